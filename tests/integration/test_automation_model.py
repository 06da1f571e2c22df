"""The automation model on the real marts: complete, reproducible, and in line with its inputs."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from scoring.parameters import from_assumptions
from scoring.pipeline import ScoringInputs, score


@pytest.fixture(scope="module")
def con(built_warehouse):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


@pytest.fixture(scope="module")
def inputs(con) -> ScoringInputs:
    return ScoringInputs(
        services=con.sql(
            """SELECT s.*, c.total_cost, c.labour_cost, c.labour_cost_null_reason, c.fte,
                      c.currency, c.price_year
               FROM marts.dim_service s JOIN marts.fct_service_cost c USING (service_key, fiscal_year)"""
        ).pl(),
        service_occupations=con.sql("SELECT * FROM marts.fct_service_occupation").pl(),
        # every service's task rows, as before the reader took the distinct ones: same results
        occupation_tasks=con.sql("SELECT * FROM marts.fct_service_task").pl(),
        occupation_measures=con.sql("SELECT * FROM marts.fct_occupation_automation_measure").pl(),
        replication_reference=con.sql("SELECT * FROM seeds.turing_replication_reference").pl(),
    )


def test_every_service_of_dim_service_has_exactly_one_summary_row(con):
    missing, extra, duplicated = con.execute(
        """select
             (select count(*) from marts.dim_service d anti join scoring.fct_service_automation_summary s using (service_key, fiscal_year)),
             (select count(*) from scoring.fct_service_automation_summary s anti join marts.dim_service d using (service_key, fiscal_year)),
             (select count(*) - count(distinct (service_key, fiscal_year)) from scoring.fct_service_automation_summary)"""
    ).fetchone()
    assert (missing, extra, duplicated) == (0, 0, 0)


def test_task_method_probability_equals_the_weighted_task_sum_from_fct_service_task(con):
    # Straight from fct_service_task: sum(weight x beta) / sum(weight over labelled tasks).
    expected = con.execute(
        """select service_key, fiscal_year,
                  sum(task_weight_in_service * gpt4_beta) / sum(task_weight_in_service) filter (where gpt4_beta is not null)
           from marts.fct_service_task group by all order by 1 limit 50"""
    ).fetchall()
    got = dict(
        ((k, y), p) for k, y, p in con.execute(
            "select service_key, fiscal_year, probability from scoring.fct_service_automation where method_id = 'gpt4_beta'"
        ).fetchall()
    )
    for key, year, value in expected:
        assert got[(key, year)] == pytest.approx(value, abs=1e-12)


def test_the_same_seed_gives_identical_outputs(inputs, con):
    params = from_assumptions(con.sql("select * from seeds.assumptions").pl()).override(monte_carlo_draws=200)
    first = score(inputs, params)
    second = score(inputs, params)
    from polars.testing import assert_frame_equal

    # Identical up to the last bit of a parallel floating-point sum (polars may add a group's
    # values in another order); keys, ranks, quadrants and every other column exactly.
    for name, frame in first.tables().items():
        assert_frame_equal(frame, second.tables()[name], check_exact=False, rel_tol=1e-12, abs_tol=1e-12)


def test_a_different_seed_moves_percentiles_only_within_monte_carlo_error(inputs, con):
    params = from_assumptions(con.sql("select * from seeds.assumptions").pl()).override(monte_carlo_draws=1000)
    a = score(inputs, params).summary
    b = score(inputs, params.override(monte_carlo_seed=params.monte_carlo_seed + 1)).summary
    joined = a.join(b, on=["service_key", "fiscal_year"], suffix="_b")
    for column in ("probability_p05", "probability_p50", "probability_p95"):
        diff = (joined[column] - joined[f"{column}_b"]).abs().drop_nulls()
        assert diff.max() < 0.05, column
        assert diff.mean() < 0.01, column


def test_the_stored_summary_records_its_parameters_and_a_sane_interval(con):
    rows = con.sql("select * from scoring.fct_service_automation_summary").pl()
    assert rows["parameters"].n_unique() == 1
    scored = rows.filter(pl.col("headline_probability").is_not_null())
    assert scored.height > 2000
    assert (scored["probability_p05"] <= scored["probability_p95"]).all()


def test_the_uk_replication_counts_match_the_transactions_explorer(con, mirror):
    import csv

    volumes = {}
    with (mirror / "gds__transactions_explorer" / "transaction-volumes.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    # counted independently with the landed raw table, which already repaired the broken quoting
    raw = con.execute(
        "select name_of_service, reporting_round, volume from raw.gds__transactions_explorer"
    ).fetchall()
    for name, round_, volume in raw:
        volumes.setdefault(name, {})[round_] = volume
    annual = {n: v.get("2012-Q4") if v.get("2012-Q4") is not None else v.get("2013-Q1") for n, v in volumes.items()}
    with_volume = {n: v for n, v in annual.items() if v is not None}
    figures = dict(con.execute("select figure_id, atlas_value from scoring.uk_replication").fetchall())
    assert figures["services"] == len(with_volume)
    assert figures["transactions"] == sum(with_volume.values())
    assert len(rows) > len(with_volume)
