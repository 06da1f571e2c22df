"""Check the Nesta Career Causeways tables the session build landed from the mirror against figures
computed here from the mirror files with the csv module."""

from __future__ import annotations

import csv

import pytest

from ingestion.nesta import career_causeways as mcc

DATASET = "nesta__career_causeways"
YEARS = ["2014", "2015", "2016", "2017", "2018"]


def rows_of(mirror, file):
    with (mirror / DATASET / file).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_every_table_has_one_row_per_source_row(raw_build, mirror):
    _, results = raw_build
    for table in mcc.TABLES:
        rows = rows_of(mirror, table.files[0])
        expected = len(rows) * (len(YEARS) if "employment" in table.name else 1)
        assert results[table.name].rows == expected, table.name


def test_occupation_risk_values(raw_build, mirror):
    con, _ = raw_build
    rows = rows_of(mirror, "mcc_risk_All_occupations.csv")
    table = f"{DATASET}__occupation_risk"
    got = con.execute(
        f"SELECT sum(risk), sum(prevalence), count(DISTINCT onet_code) FROM raw.{table}"
    ).fetchone()
    assert got[0] == pytest.approx(sum(float(r["risk"]) for r in rows))
    assert got[1] == pytest.approx(sum(float(r["prevalence"]) for r in rows))
    assert got[2] == len({r["onet_code"] for r in rows})
    riskiest = max(rows, key=lambda r: float(r["risk"]))
    got = con.execute(
        f"SELECT occupation, isco_code, onet_code, risk_category FROM raw.{table} "
        "ORDER BY risk DESC, id LIMIT 1"
    ).fetchone()
    assert got == (
        riskiest["occupation"],
        riskiest["isco_code"],
        riskiest["onet_code"],
        riskiest["risk_category"],
    )


def test_isco_risk_values(raw_build, mirror):
    con, _ = raw_build
    rows = rows_of(mirror, "mcc_risk_ISCO_4digit.csv")
    table = f"{DATASET}__isco_risk"
    landed = dict(con.execute(f"SELECT isco_code, risk FROM raw.{table}").fetchall())
    assert landed == {r["isco_code"]: float(r["risk"]) for r in rows}
    categories = con.execute(
        f"SELECT risk_category, count(*) FROM raw.{table} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    counts: dict[str, int] = {}
    for r in rows:
        counts[r["risk_category"]] = counts.get(r["risk_category"], 0) + 1
    assert categories == sorted(counts.items())


def test_dwa_impact_values(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror, "mcc_risk_DWAs.csv")
    table = f"{DATASET}__dwa_impact"
    total = con.execute(f"SELECT sum(impact) FROM raw.{table}").fetchone()[0]
    assert total == pytest.approx(sum(float(r["impact"]) for r in rows))
    na = [r for r in rows if r["intermediate_work_activity"] == "na"]
    nulls = con.execute(
        f"SELECT count(*) FROM raw.{table} WHERE intermediate_work_activity IS NULL"
    ).fetchone()[0]
    assert nulls == len(na) == results[table].flag_counts["activity_hierarchy_missing"]


def test_bottleneck_values(raw_build, mirror):
    con, _ = raw_build
    rows = rows_of(mirror, "mcc_risk_Bottlenecks.csv")
    table = f"{DATASET}__bottlenecks"
    landed = con.execute(
        f"SELECT sml_question, is_bottleneck, percentage_of_all_bottleneck_tasks FROM raw.{table} "
        "ORDER BY _source_row"
    ).fetchall()
    assert landed == [
        (r["sml_question"], int(r["is_bottleneck"]), float(r["percentage_of_all_bottleneck_tasks"]))
        for r in rows
    ]


def test_crosswalk_values(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror, "esco_onet_crosswalk_MCC.csv")
    table = f"{DATASET}__esco_onet_crosswalk"
    landed = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT id, isco_code, onet_code, confidence FROM raw.{table}"
        ).fetchall()
    }
    assert landed == {
        int(r["id"]): (r["isco_code"], r["onet_code"], float(r["confidence"])) for r in rows
    }
    na = sum(1 for r in rows if r["matching_job_titles"] == "na")
    assert results[table].flag_counts["no_matching_job_titles"] == na


@pytest.mark.parametrize(
    "entity,file",
    [
        ("uk_employment_by_isco", "uk_breakdown_by_isco_w_risk.csv"),
        ("ita_employment_by_isco", "ita_breakdown_by_isco_w_risk.csv"),
    ],
)
def test_employment_values(raw_build, mirror, entity, file):
    con, results = raw_build
    rows = rows_of(mirror, file)
    table = f"{DATASET}__{entity}"
    for year in YEARS:
        expected = sum(float(r[year]) for r in rows if r[year] != "x")
        got = con.execute(
            f"SELECT sum(employment_thousands) FROM raw.{table} WHERE year = {int(year)}"
        ).fetchone()[0]
        assert got == pytest.approx(expected), year
    masked = sum(1 for r in rows for y in YEARS if r[y] == "x")
    assert results[table].flag_counts.get("masked_small_cell", 0) == masked
    nulls = con.execute(
        f"SELECT count(*) FROM raw.{table} WHERE employment_thousands IS NULL"
    ).fetchone()[0]
    assert nulls == masked
    first = rows[0]
    got = con.execute(
        f"SELECT isco_code, isco_minor_group, risk_cat, employment_thousands FROM raw.{table} "
        "WHERE _source_row = 1 AND year = 2018"
    ).fetchone()
    assert got == (
        first["isco_code"],
        first["isco_minor_group"],
        int(first["RISK_CAT"]),
        float(first["2018"]),
    )
