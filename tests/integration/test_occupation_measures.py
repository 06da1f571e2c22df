"""The occupation marts agree with figures computed here, with polars, straight from the mirror files:
Eloundou et al. exposure per occupation from the paper's own label file and task types, crosswalk
weights that sum to 1, and OEWS employment that survives the trip to occupations and back."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.conftest import PROJECT_ROOT, mirror_file

ASSUMPTIONS = PROJECT_ROOT / "dbt_project" / "seeds" / "assumptions.csv"


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


EXPOSURE_SCORES = {
    "alpha": {"E0": 0.0, "E1": 1.0, "E2": 0.0},
    "beta": {"E0": 0.0, "E1": 1.0, "E2": 0.5},
    "gamma": {"E0": 0.0, "E1": 1.0, "E2": 1.0},
}
AUTOMATION_SCORES = {"T0": 0.0, "T1": 0.25, "T2": 0.5, "T3": 0.75, "T4": 1.0}
ELOUNDOU_MEASURES = [
    *(f"{rater}_{kind}" for rater in ("gpt4", "human") for kind in EXPOSURE_SCORES),
    "gpt4_automation",
]


@pytest.fixture(scope="module")
def eloundou_from_files(mirror: Path) -> pl.DataFrame:
    """The paper's occupation figures recomputed from its own files, without the project's code:
    every task row of full_labelset.tsv, weighted by the coreweight column of full_onet_data.tsv
    (2 core, 1 supplemental or untyped) for the same task; per occupation the weighted mean of
    alpha, beta and gamma for GPT-4 (gpt4_exposure) and humans (human_exposure_agg), and of the
    GPT-4 automation level T0-T4 as 0, 0.25, 0.5, 0.75, 1. Long: onet_soc_code, measure_id, value."""
    folder = "openai__gpts_are_gpts"
    read = dict(separator="\t", infer_schema=False, quote_char=None)
    labels = pl.read_csv(mirror_file(mirror, folder, "full_labelset.tsv"), **read)
    weights = pl.read_csv(mirror_file(mirror, folder, "full_onet_data.tsv"), **read).select(
        "O*NET-SOC Code", "Task ID", pl.col("coreweight").cast(pl.Float64).alias("weight")
    )
    tasks = labels.join(weights, on=["O*NET-SOC Code", "Task ID"], how="left", validate="1:1")
    assert tasks["weight"].null_count() == 0, "a labelled task has no coreweight"
    scores = [
        pl.col(column)
        .replace_strict(EXPOSURE_SCORES[kind], return_dtype=pl.Float64)
        .alias(f"{rater}_{kind}")
        for rater, column in (("gpt4", "gpt4_exposure"), ("human", "human_exposure_agg"))
        for kind in EXPOSURE_SCORES
    ]
    scores.append(
        pl.col("gpt4_automation")
        .replace_strict(AUTOMATION_SCORES, return_dtype=pl.Float64)
        .alias("gpt4_automation")
    )
    return (
        tasks.with_columns(scores)
        .group_by(pl.col("O*NET-SOC Code").alias("onet_soc_code"))
        .agg(
            pl.len().alias("labelled_tasks"),
            *(
                ((pl.col("weight") * pl.col(m)).sum() / pl.col("weight").sum()).alias(m)
                for m in ELOUNDOU_MEASURES
            ),
        )
        .unpivot(
            index=["onet_soc_code", "labelled_tasks"],
            variable_name="measure_id",
            value_name="value",
        )
    )


def test_eloundou_measures_of_all_923_occupations_equal_the_papers_definition(
    con, eloundou_from_files
):
    expected = eloundou_from_files.select("onet_soc_code", "measure_id", "value")
    assert expected["onet_soc_code"].n_unique() == 923
    got = pl.DataFrame(
        con.execute(
            "select onet_soc_code, measure_id, raw_value from marts.fct_occupation_automation_measure "
            f"where measure_id in ({', '.join('?' for _ in ELOUNDOU_MEASURES)})",
            ELOUNDOU_MEASURES,
        ).fetchall(),
        schema=["onet_soc_code", "measure_id", "raw_value"],
        orient="row",
    )
    joined = expected.join(got, on=["onet_soc_code", "measure_id"], how="full", coalesce=True)
    missing = joined.filter(pl.col("value").is_null() | pl.col("raw_value").is_null())
    assert missing.is_empty(), f"occupation-measure pairs on one side only:\n{missing}"
    worst = joined.with_columns((pl.col("raw_value") - pl.col("value")).abs().alias("diff")).sort(
        "diff", descending=True
    )
    assert worst["diff"][0] <= 1e-12, f"largest differences:\n{worst.head(5)}"


def test_general_and_operations_clerks_beta_is_the_published_068(con):
    # The occupation table published with the paper gives 43-4061.00 a GPT-4 beta of 0.68.
    (value,) = scalars(
        con,
        "select raw_value from marts.fct_occupation_automation_measure "
        "where measure_id = 'gpt4_beta' and onet_soc_code = '43-4061.00'",
    )
    assert value == pytest.approx(0.68, abs=1e-12)


def test_labelled_tasks_per_occupation_match_the_task_exposure_mart(con, eloundou_from_files):
    got = dict(
        con.execute(
            "select onet_soc_code, count(*) from marts.fct_task_exposure group by 1"
        ).fetchall()
    )
    expected = eloundou_from_files.filter(pl.col("measure_id") == "gpt4_beta")
    assert got == dict(expected.select("onet_soc_code", "labelled_tasks").iter_rows())


def test_task_weights_a030_to_a032_are_the_papers_coreweight(mirror):
    onet_data = pl.read_csv(
        mirror_file(mirror, "openai__gpts_are_gpts", "full_onet_data.tsv"),
        separator="\t",
        infer_schema=False,
        quote_char=None,
    )
    by_type = {
        (task_type or None): float(weight)
        for task_type, weight in onet_data.select("Task Type", "coreweight").unique().iter_rows()
    }
    assert by_type == task_type_weights()


def test_task_exposure_compares_the_label_file_with_onet_29_3(con):
    not_in_onet, type_changed = scalars(
        con,
        "select count(*) filter (where not is_in_onet_29_3), count(*) filter (where is_task_type_changed) "
        "from marts.fct_task_exposure",
    )
    assert (not_in_onet, type_changed) == (514, 569)


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


# Native codes that reach no occupation, by measure, with the reason. Empty: every code of every
# measure resolves (exactly, by expansion, by title or through the OES hybrid seed, A119).
KNOWN_UNMATCHED: dict[tuple[str, str], str] = {}


def test_every_native_code_reaches_an_occupation_or_is_listed_with_its_reason(con):
    unmatched = con.execute(
        "select resolved.measure_id, resolved.native_code, max(native.native_title) "
        "from intermediate.int_measure_codes__resolved as resolved "
        "join intermediate.int_measure_values__collected as native "
        "on native.measure_id = resolved.measure_id and native.native_code = resolved.native_code "
        "where resolved.resolution = 'unmatched' group by 1, 2 order by 1, 2"
    ).fetchall()
    got = {(measure, code): title for measure, code, title in unmatched}
    unexplained = {key: title for key, title in got.items() if key not in KNOWN_UNMATCHED}
    assert not unexplained, (
        f"native codes that reach no occupation, with no reason given: {unexplained}"
    )
    assert set(KNOWN_UNMATCHED) <= set(got), (
        "a code listed as unmatched now resolves: drop it from the list"
    )


def test_oes_hybrid_codes_map_to_soc2010_codes_of_the_bls_crosswalk(mirror):
    """The seed behind A119: each hybrid code and title is Frey and Osborne's and in no SOC 2010
    list; each SOC 2010 code it maps to, with its title, is in the BLS SOC 2010 to 2018 crosswalk."""
    seed = pl.read_csv(
        PROJECT_ROOT / "dbt_project" / "seeds" / "soc2010_hybrid_codes.csv", infer_schema=False
    )
    crosswalk = pl.read_csv(
        mirror_file(mirror, "bls__soc_crosswalks", "crosswalk_soc2010_to_soc2018.csv"),
        infer_schema=False,
    )
    soc2010 = {
        code: title.replace(" (#)", "")
        for code, title in crosswalk.select("2010 SOC Code", "2010 SOC Title").unique().iter_rows()
    }
    frey_osborne = pl.read_csv(
        mirror_file(
            mirror, "frey_osborne__computerisation", "frey_osborne_automation_risk_index_clean.csv"
        ),
        infer_schema=False,
    )
    titles = dict(frey_osborne.select("SOC code", "Occupation").iter_rows())
    for hybrid, hybrid_title, code, title in seed.select(
        "hybrid_code", "hybrid_title", "soc2010_code", "soc2010_title"
    ).iter_rows():
        assert titles.get(hybrid) == hybrid_title, hybrid
        assert hybrid not in soc2010, f"{hybrid} is a SOC 2010 code, not a hybrid"
        assert soc2010.get(code) == title, f"{code} {title!r} is not in the BLS crosswalk"
        assert code not in titles, f"{code} has a Frey-Osborne value of its own"
    assert sorted(seed["hybrid_code"].unique()) == ["13-1078", "15-1179", "29-2037", "39-4831"]
