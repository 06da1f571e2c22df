"""Check the BLS employment projections the session build landed from the mirror against the
file."""

from __future__ import annotations

import csv

import pytest

DATASET = "bls__employment_projections"
FILE = "source_employment_projections.csv"


@pytest.fixture(scope="module")
def landed(raw_build, mirror):
    con, results = raw_build
    with (mirror / DATASET / FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return con, results[DATASET], rows


def test_every_row_and_the_total_employment(landed):
    con, result, rows = landed
    assert result.rows == len(rows)
    total = con.execute(f"SELECT sum(employment_2024_thousands) FROM raw.{DATASET}").fetchone()[0]
    assert total == pytest.approx(sum(float(r["employment_2024_thousands"]) for r in rows))


def test_quirk_counts_match_the_file(landed):
    con, result, rows = landed
    mangled = sum(1 for r in rows if r["soc2018_code"].endswith("00"))
    no_wage = sum(1 for r in rows if r["median_annual_wage_2024"] == "NA")
    top = sum(1 for r in rows if r["median_annual_wage_2024"] == "239200")
    assert mangled > 0 and no_wage > 0 and top > 0
    assert result.flag_counts.get("soc_code_mangled") == mangled
    assert result.flag_counts.get("wage_not_available") == no_wage
    assert result.flag_counts.get("wage_top_coded") == top
    nulls = con.execute(
        f"SELECT count(*) FROM raw.{DATASET} WHERE median_annual_wage_2024 IS NULL"
    ).fetchone()[0]
    assert nulls == no_wage


def test_a_row_matches_the_file(landed):
    con, _, rows = landed
    source = next(r for r in rows if r["median_annual_wage_2024"] not in ("NA", "239200"))
    got = con.execute(
        f"SELECT soc2018_code, employment_2034_thousands, median_annual_wage_2024, education_code, "
        f"typical_ojt FROM raw.{DATASET} WHERE soc2018_title = ?",
        [source["soc2018_title"]],
    ).fetchone()
    assert got == (
        source["soc2018_code"],
        pytest.approx(float(source["employment_2034_thousands"])),
        int(source["median_annual_wage_2024"]),
        int(source["education_code"]),
        source["typical_ojt"],
    )
