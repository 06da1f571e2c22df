"""The occupation marts agree with figures computed here, with polars, straight from the mirror files:
Eloundou et al. exposure per occupation from the raw task labels and O*NET task types, crosswalk
weights that sum to 1, and OEWS employment that survives the trip to occupations and back."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import PROJECT_ROOT, mirror_file

pytestmark = pytest.mark.integration

ASSUMPTIONS = PROJECT_ROOT / "dbt_project" / "seeds" / "assumptions.csv"


@pytest.fixture(scope="module")
def con(built_warehouse: Path):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


def scalars(con: duckdb.DuckDBPyConnection, query: str) -> tuple:
    """The single row a query returns (fetched to the end, as DuckDB 2 wants before the next query)."""
    rows = con.execute(query).fetchall()
    assert len(rows) == 1, query
    return rows[0]


def task_type_weights() -> dict[str | None, float]:
    """Task weights by O*NET task type from the assumptions seed (A030 core, A031 supplemental,
    A032 untyped), so that the test recomputes with the project's parameters, not copies of them."""
    with ASSUMPTIONS.open(encoding="utf-8", newline="") as handle:
        values = {
            row["assumption_id"]: float(row["value"])
            for row in csv.DictReader(handle)
            if row["assumption_id"] in ("A030", "A031", "A032")
        }
    return {"Core": values["A030"], "Supplemental": values["A031"], None: values["A032"]}


@pytest.fixture(scope="module")
def gpt4_beta_from_files(mirror: Path) -> pl.DataFrame:
    """Occupation-level GPT-4 beta recomputed from full_labelset.tsv and O*NET 29.3 Task
    Statements: beta per task from the gpt4_exposure label (E1 1, E2 0.5, E0 0), weighted by the
    O*NET 29.3 task type, over the O*NET 29.3 tasks that have labels (joined on Task ID)."""
    labels = pl.read_csv(
        mirror_file(mirror, "openai__gpts_are_gpts", "full_labelset.tsv"),
        separator="\t",
        infer_schema=False,
        quote_char=None,
    ).select(
        pl.col("Task ID").cast(pl.Float64).cast(pl.Int64).alias("task_id"),
        pl.col("gpt4_exposure"),
    )
    tasks = pl.read_csv(
        mirror_file(mirror, "onet__database", "Task Statements.txt"),
        separator="\t",
        infer_schema=False,
        quote_char=None,
    ).select(
        pl.col("O*NET-SOC Code").alias("onet_soc_code"),
        pl.col("Task ID").cast(pl.Int64).alias("task_id"),
        pl.col("Task Type").replace("", None).alias("task_type"),
    )
    weights = task_type_weights()
    beta = {"E1": 1.0, "E2": 0.5, "E0": 0.0}
    assert set(labels["gpt4_exposure"].unique()) == set(beta), "unexpected exposure labels"
    return (
        tasks.join(labels, on="task_id", how="inner")
        .with_columns(
            pl.col("task_type")
            .replace_strict(weights, default=weights[None], return_dtype=pl.Float64)
            .alias("weight"),
            pl.col("gpt4_exposure").replace_strict(beta, return_dtype=pl.Float64).alias("beta"),
        )
        .group_by("onet_soc_code")
        .agg(
            ((pl.col("weight") * pl.col("beta")).sum() / pl.col("weight").sum()).alias("beta"),
            pl.len().alias("labelled_tasks"),
        )
        .sort("onet_soc_code")
    )


def test_every_labelled_occupation_has_a_gpt4_beta_row(con, gpt4_beta_from_files):
    in_mart = {
        code
        for (code,) in con.execute(
            "select onet_soc_code from marts.fct_occupation_automation_measure "
            "where measure_id = 'gpt4_beta'"
        ).fetchall()
    }
    assert in_mart == set(gpt4_beta_from_files["onet_soc_code"])


def test_gpt4_beta_of_sampled_occupations_matches_the_raw_labels(con, gpt4_beta_from_files):
    # Every 15th occupation, plus ones whose weights are easy to get wrong: 19-4092.00 has four
    # tasks without labels, 11-3051.00 core, supplemental and untyped tasks, 13-2054.00 only
    # untyped tasks, 25-9042.00 28 tasks whose type changed between the label file and O*NET 29.3.
    codes = gpt4_beta_from_files["onet_soc_code"].to_list()
    tricky = {"19-4092.00", "11-3051.00", "13-2054.00", "25-9042.00"}
    assert tricky <= set(codes)
    sample = sorted(set(codes[::15]) | tricky)
    assert len(sample) > 60
    expected = dict(
        gpt4_beta_from_files.filter(pl.col("onet_soc_code").is_in(sample))
        .select("onet_soc_code", "beta")
        .iter_rows()
    )
    got = dict(
        con.execute(
            "select onet_soc_code, raw_value from marts.fct_occupation_automation_measure "
            f"where measure_id = 'gpt4_beta' and onet_soc_code in ({', '.join('?' for _ in sample)})",
            sample,
        ).fetchall()
    )
    assert got.keys() == expected.keys()
    for code, value in expected.items():
        assert got[code] == pytest.approx(value, abs=1e-9), code


def test_labelled_tasks_per_occupation_match_the_task_exposure_mart(con, gpt4_beta_from_files):
    got = dict(
        con.execute(
            "select onet_soc_code, count(*) from marts.fct_task_exposure group by 1"
        ).fetchall()
    )
    assert got == dict(gpt4_beta_from_files.select("onet_soc_code", "labelled_tasks").iter_rows())


def test_bridge_weights_sum_to_one_for_every_code_and_every_occupation(con):
    (worst_split,) = scalars(
        con,
        (
            "select max(abs(total - 1)) from (select classification, code, sum(split_weight) as total "
            "from marts.bridge_occupation_code group by 1, 2)"
        ),
    )
    (worst_share,) = scalars(
        con,
        (
            "select max(abs(total - 1)) from (select onet_soc_code, classification, "
            "sum(share_weight) as total from marts.bridge_occupation_code group by 1, 2)"
        ),
    )
    assert worst_split < 1e-9
    assert worst_share < 1e-9
    classifications = {
        c
        for (c,) in con.execute(
            "select distinct classification from marts.bridge_occupation_code"
        ).fetchall()
    }
    assert classifications == {"soc2018", "soc2010", "isco08", "onet_soc2010"}


@pytest.fixture(scope="module")
def oews_detailed(mirror: Path) -> pl.DataFrame:
    """OEWS May 2024 national employment by detailed occupation code, from the mirror file."""
    frame = pl.read_csv(
        mirror_file(mirror, "bls__oews_national", "oews_national_2024.csv"), infer_schema=False
    )
    return frame.filter(pl.col("O_GROUP") == "detailed").select(
        pl.col("OCC_CODE").alias("code"), pl.col("TOT_EMP").cast(pl.Float64).alias("employment")
    )


def test_all_oews_employment_is_allocated_to_occupations_once(con, oews_detailed):
    (allocated,) = scalars(con, "select sum(oews_employment_2024) from marts.dim_occupation")
    assert allocated == pytest.approx(oews_detailed["employment"].sum(), rel=1e-12)


def test_oews_employment_goes_to_occupations_and_back_to_soc2018_codes_unchanged(
    con, oews_detailed
):
    bridge = pl.DataFrame(
        con.execute(
            "select onet_soc_code, code, split_weight, share_weight "
            "from marts.bridge_occupation_code where classification = 'soc2018'"
        ).fetchall(),
        schema=["onet_soc_code", "code", "split_weight", "share_weight"],
        orient="row",
    )
    codes = oews_detailed.join(bridge.select("code").unique(), on="code", how="inner")
    assert codes.height > 800  # OEWS publishes most SOC 2018 codes as they are
    occupations = (
        bridge.join(codes, on="code")
        .group_by("onet_soc_code")
        .agg((pl.col("split_weight") * pl.col("employment")).sum().alias("employment"))
    )
    back = (
        bridge.join(occupations, on="onet_soc_code")
        .group_by("code")
        .agg((pl.col("share_weight") * pl.col("employment")).sum().alias("employment_back"))
    )
    assert occupations["employment"].sum() == pytest.approx(codes["employment"].sum(), rel=1e-12)
    compared = codes.join(back, on="code", how="left")
    assert compared["employment_back"].null_count() == 0
    worst = (compared["employment_back"] - compared["employment"]).abs().max()
    assert worst < 1e-6


def test_every_measure_is_covered_and_values_are_in_the_unit_interval(con):
    measures = {m for (m,) in con.execute("select measure_id from seeds.measures").fetchall()}
    coverage = dict(
        con.execute(
            "select measure_id, occupations_reached from marts.fct_measure_coverage"
        ).fetchall()
    )
    assert coverage.keys() == measures
    assert all(reached > 700 for reached in coverage.values()), coverage
    low, high = scalars(
        con, "select min(value_01), max(value_01) from marts.fct_occupation_automation_measure"
    )
    assert 0 <= low and high <= 1
