"""Traceability of published numbers: every marts and scoring table has lineage to the assumption ids
and source files behind it, with the checksums the mirror's registry gives; the scoring tables'
`parameters` list every assumption read; the assumption register is a working tool (evidence,
quality and range for every assumption) and the one-at-a-time sensitivity table is published."""

from __future__ import annotations

import csv
import json

import polars as pl
import pytest

from scoring.parameters import parameter_set_id
from tests.conftest import PROJECT_ROOT

REGISTER = PROJECT_ROOT / "dbt_project" / "seeds" / "assumptions.csv"


@pytest.fixture(scope="module")
def register() -> list[dict[str, str]]:
    with REGISTER.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def tables_in(con, schema: str) -> set[str]:
    return {
        name
        for (name,) in con.execute(
            "select table_name from information_schema.tables where table_schema = ?", [schema]
        ).fetchall()
    }


def lineage(con, kind: str) -> dict[tuple[str, str], set[str]]:
    found: dict[tuple[str, str], set[str]] = {}
    for schema, table, item in con.execute(
        "select table_schema, table_name, item_id from scoring.table_lineage where lineage_kind = ?", [kind]
    ).fetchall():
        found.setdefault((schema, table), set()).add(item)
    return found


def test_every_scoring_table_has_assumption_ids_and_source_files(con):
    scoring = tables_in(con, "scoring") - {"table_lineage"}
    assert "fct_sensitivity" in scoring
    assumptions, sources = lineage(con, "assumption"), lineage(con, "source_file")
    bare = sorted(t for t in scoring if not assumptions.get(("scoring", t)) or not sources.get(("scoring", t)))
    assert not bare, f"scoring tables without lineage: {bare}"


def test_every_mart_has_lineage_and_the_reference_marts_name_their_assumptions(con):
    marts = tables_in(con, "marts")
    items = lineage(con, "source_file")
    seeds = lineage(con, "seed_file")
    bare = sorted(t for t in marts if not items.get(("marts", t)) and not seeds.get(("marts", t)))
    assert not bare, f"marts without lineage: {bare}"
    assumptions = lineage(con, "assumption")
    assert {"A001", "A041", "A042", "A043"} <= assumptions[("marts", "fct_service_cost")]
    assert {"A002"} <= assumptions[("marts", "fct_ca_service_programme")]
    assert {"A030", "A031", "A032"} <= assumptions[("marts", "fct_occupation_automation_measure")]
    assert {"A119"} <= assumptions[("marts", "fct_occupation_automation_measure")]
    assert {"A230", "A249", "A240"} <= assumptions[("scoring", "fct_service_automation_summary")]


def test_source_checksums_in_the_lineage_equal_the_mirror_registry(con, mirror):
    with (mirror / "FILES.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    registry = {(row["dataset_id"], row["file"]): row["sha256"] for row in rows}
    found = con.execute(
        "select distinct item_id, item_name, item_value from scoring.table_lineage "
        "where lineage_kind = 'source_file'"
    ).fetchall()
    assert len({dataset for dataset, _, _ in found}) >= 15
    for dataset, file_name, sha in found:
        assert registry.get((dataset, file_name)) == sha, f"{dataset}/{file_name}: {sha} is not the registry's"


def test_every_cited_assumption_is_in_the_register_with_its_value(con, register):
    values = {r["assumption_id"]: r["value"] for r in register}
    for assumption_id, value in con.execute(
        "select distinct item_id, item_value from scoring.table_lineage where lineage_kind = 'assumption'"
    ).fetchall():
        assert values.get(assumption_id) == value, assumption_id


def test_parameters_list_every_assumption_of_the_register(con, register):
    (text,) = con.execute(
        "select p.parameters from scoring.dim_parameter_set as p join (select distinct parameter_set_id "
        "from scoring.fct_service_automation_summary) using (parameter_set_id)"
    ).fetchall()[0]
    listed = json.loads(text)["assumptions"]
    assert set(listed) == {r["assumption_id"] for r in register}
    assert {"A001", "A010", "A020", "A029", "A041"} <= set(listed)


def test_every_model_table_names_the_one_parameter_set_of_the_run(con):
    tables = [t for (t,) in con.execute(
        "select table_name from information_schema.columns where table_schema = 'scoring' "
        "and column_name = 'parameter_set_id' and table_name <> 'dim_parameter_set'").fetchall()]
    assert {"fct_service_automation", "fct_service_activity", "fct_service_automation_summary",
            "agg_automation_by_country", "uk_replication", "model_diagnostics"} <= set(tables)
    (sets,) = con.execute("select list(parameter_set_id) from scoring.dim_parameter_set").fetchone()
    assert len(sets) == 1 and sets[0].startswith("ps-")
    for table in tables:
        used = {v for (v,) in con.execute(f"select distinct parameter_set_id from scoring.{table}").fetchall()}
        assert used == set(sets), table
    (text,) = con.execute("select parameters from scoring.dim_parameter_set").fetchone()
    assert parameter_set_id(text) == sets[0]  # the id is the hash of the set it names
    assert json.loads(text)["probability_threshold"] == con.execute(
        "select any_value(probability_threshold) from scoring.fct_service_automation_summary").fetchone()[0]


def test_register_rows_have_evidence_quality_and_a_range_where_numeric(register):
    for row in register:
        assert row["evidence"] in {"source", "derived", "judgement", "convention"}, row["assumption_id"]
        assert row["quality"] in {"green", "amber", "red"}, row["assumption_id"]
        assert row["quality_reason"].strip(), row["assumption_id"]
        assert row["source"].strip(), row["assumption_id"]
        try:
            value = float(row["value"])
        except ValueError:
            continue
        if row["unit"] == "seed":
            continue
        assert row["low"] and row["high"], f"{row['assumption_id']} is a number without a range"
        assert float(row["low"]) <= value <= float(row["high"]), row["assumption_id"]
    assert not [r for r in register if "Straub et al. 2023" in r["source"]]


def test_sensitivity_central_figures_equal_the_published_figures(con):
    rows = dict(
        con.execute(
            "select distinct figure_id, figure_central from scoring.fct_sensitivity "
            "where figure_id like '%_value_gross_total' or figure_id like 'uk_replication_%'"
        ).fetchall()
    )
    published = dict(
        con.execute(
            "select lower(country_code) || '_value_gross_total', sum(value_gross) "
            "from scoring.fct_service_automation_summary group by country_code"
        ).fetchall()
    )
    for figure_id, value in published.items():
        assert rows[figure_id] == pytest.approx(value, rel=1e-9), figure_id
    for figure_id, value in con.execute("select figure_id, atlas_value from scoring.uk_replication").fetchall():
        expected = rows[f"uk_replication_{figure_id}"]
        assert (expected is None and value is None) or expected == pytest.approx(value, rel=1e-9), figure_id


def test_sensitivity_varies_the_numeric_scoring_assumptions_in_their_ranges(con, register):
    varied = {
        r[0]: r[1:]
        for r in con.execute("select distinct assumption_id, central, low, high from scoring.fct_sensitivity").fetchall()
    }
    assert {"A040", "A050", "A057", "A203", "A210", "A212", "A230", "A249"} <= set(varied)
    by_id = {r["assumption_id"]: r for r in register}
    for assumption_id, (central, low, high) in varied.items():
        row = by_id[assumption_id]
        assert (central, low, high) == (float(row["value"]), float(row["low"]), float(row["high"]))
    # the labour share scales every UK value: at its low and high, UK gross value moves in proportion
    low, high, central = con.execute(
        "select figure_at_low, figure_at_high, figure_central from scoring.fct_sensitivity "
        "where assumption_id = 'A040' and figure_id = 'uk_value_gross_total'"
    ).fetchall()[0]
    assert low < central < high


def assert_same_analysis(one: pl.DataFrame, other: pl.DataFrame) -> None:
    """The changes are kept to 1e-9 of the figure, so they, the swings and the ranks agree exactly;
    the figures themselves are sums whose order may differ in the last bit (polars adds groups in
    parallel), so they agree to 1e-12."""
    exact = ["assumption_id", "figure_id", "change_at_low", "change_at_high", "swing", "swing_rank"]
    assert one.select(exact).equals(other.select(exact))
    for column in ("figure_central", "figure_at_low", "figure_at_high"):
        for a, b in zip(one[column].to_list(), other[column].to_list(), strict=True):
            assert (a is None and b is None) or a == pytest.approx(b, rel=1e-12, abs=1e-12), column


def test_the_shared_cache_gives_the_figures_of_scoring_each_time_from_scratch(con):
    """Issue 18: the sensitivity's scorings share a cache of the steps an assumption does not reach.
    Against the whole score() run afresh for every scoring (the path it replaced), on the real data,
    for an assumption of every kind the cache keys on: the units (A206), the domain matches (A210,
    A211) and the rows they add (A212), the headline methods' coverage (A055), a unit time (A240),
    the calibration's cost (A202) and one read only by the figures (A050). The figures come from
    the service activities as arrays (scoring/figure_rows.py), so also every branch those sums take
    on the way: the UK reported cost (A040) and the Canadian programme ceiling (A204)."""
    from scoring.io import read_scoring_inputs
    from scoring.sensitivity import one_at_a_time

    inputs = read_scoring_inputs(con)
    only = {"A040", "A050", "A055", "A202", "A204", "A206", "A210", "A211", "A212", "A240"}
    cached = one_at_a_time(inputs, only=only)
    fresh = one_at_a_time(inputs, only=only, reuse=False)
    assert cached.height == fresh.height == len(only) * cached["figure_id"].n_unique()
    assert_same_analysis(cached, fresh)
    # and the analysis moves something: every kind above changes at least one figure
    moved = set(cached.filter(pl.col("swing") > 0)["assumption_id"].to_list())
    assert moved == only


def test_the_sensitivity_started_from_the_automation_models_steps_gives_the_same_figures(con):
    """Issue 18: in a run the sensitivity starts from the text vectors, matches, units and volumes
    the automation model computed (scoring.pipeline.keep_steps / take_steps, inputs read again and
    recognised by their fingerprint). The analysis equals one that computes them (as above)."""
    from scoring.io import read_scoring_inputs
    from scoring.parameters import from_assumptions
    from scoring.pipeline import keep_steps, score, take_steps
    from scoring.sensitivity import one_at_a_time

    inputs = read_scoring_inputs(con)
    cache: dict = {}
    score(inputs, from_assumptions(inputs.assumptions), uncertainty=False, cache=cache)
    keep_steps(inputs, cache)
    start = take_steps(read_scoring_inputs(con))
    assert {key[0] for key in start} >= {"domain_vectors", "ranked", "matches", "units", "volumes", "dwa_values"}
    assert take_steps(inputs) == {}  # taken once
    only = {"A206", "A211", "A240"}
    started = one_at_a_time(inputs, only=only, start=start)
    computed = one_at_a_time(inputs, only=only)
    assert started.height == computed.height == len(only) * started["figure_id"].n_unique()
    assert_same_analysis(started, computed)


def test_the_sensitivity_scoring_low_and_high_side_by_side_gives_the_same_figures(con):
    """Issue 18: a run scores each assumption's low and high in two threads (concurrent=True), which
    share the cache; the analysis equals the one that scores them one after the other."""
    from scoring.io import read_scoring_inputs
    from scoring.sensitivity import one_at_a_time

    inputs = read_scoring_inputs(con)
    only = {"A050", "A206", "A210", "A211", "A240"}
    side_by_side = one_at_a_time(inputs, only=only, concurrent=True)
    in_turn = one_at_a_time(inputs, only=only)
    assert side_by_side.height == in_turn.height == len(only) * in_turn["figure_id"].n_unique()
    assert_same_analysis(side_by_side, in_turn)
