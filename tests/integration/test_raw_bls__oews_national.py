"""Check OEWS May 2024 national as the session build landed it from the mirror against the file read
with csv."""

from __future__ import annotations

import csv

import pytest

DATASET = "bls__oews_national"
FILE = "oews_national_2024.csv"


@pytest.fixture(scope="module")
def landed(raw_build, mirror):
    con, results = raw_build
    with (mirror / DATASET / FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    return con, results[DATASET], rows


def test_every_source_row_is_landed(landed):
    con, result, rows = landed
    assert result.rows == len(rows)
    assert con.execute(f"SELECT count(*) FROM raw.{DATASET}").fetchone()[0] == len(rows)
    log = con.execute(
        "SELECT row_count, source_files, flagged_rows FROM raw._load_log WHERE table_name = ?",
        [DATASET],
    ).fetchone()
    flagged = con.execute(
        f"SELECT count(*) FROM raw.{DATASET} WHERE _flags IS NOT NULL"
    ).fetchone()[0]
    assert log[0] == len(rows) and log[1] == FILE and log[2] == flagged == result.flagged_rows


def test_all_occupations_row_matches_the_file(landed):
    con, _, rows = landed
    source = next(r for r in rows if r["OCC_CODE"] == "00-0000")
    got = con.execute(
        f"SELECT tot_emp, h_mean, a_median, naics, own_code FROM raw.{DATASET} "
        "WHERE occ_code = '00-0000'"
    ).fetchone()
    assert got[0] == int(source["TOT_EMP"])
    assert got[1] == pytest.approx(float(source["H_MEAN"]))
    assert got[2] == int(source["A_MEDIAN"])
    assert got[3] == source["NAICS"].zfill(6) == "000000"
    assert got[4] == source["OWN_CODE"]


@pytest.mark.parametrize(
    "column,marker,status",
    [
        ("A_PCT90", "#", "top_coded"),
        ("H_MEDIAN", "#", "top_coded"),
        ("H_MEAN", "*", "wage_not_available"),
        ("A_MEAN", "*", "wage_not_available"),
    ],
)
def test_each_marker_is_a_null_with_its_status(landed, column, marker, status):
    con, _, rows = landed
    expected = sum(1 for r in rows if r[column] == marker)
    assert expected > 0
    name = column.lower()
    got = con.execute(
        f"SELECT count(*), count({name}) FROM raw.{DATASET} WHERE {name}_status = ?", [status]
    ).fetchone()
    assert got == (expected, 0)


def test_a_top_coded_occupation_keeps_its_other_wages(landed):
    con, _, rows = landed
    source = next(r for r in rows if r["A_PCT90"] == "#" and r["A_MEDIAN"] not in ("#", "*"))
    got = con.execute(
        f"SELECT a_pct90, a_pct90_status, a_median, _flags FROM raw.{DATASET} "
        "WHERE occ_code = ? AND o_group = ?",
        [source["OCC_CODE"], source["O_GROUP"]],
    ).fetchone()
    assert got[0] is None and got[1] == "top_coded"
    assert got[2] == int(source["A_MEDIAN"])
    assert "wage_top_coded" in got[3]


def test_codes_at_two_levels_are_all_kept(landed):
    con, _, rows = landed
    codes = [r["OCC_CODE"] for r in rows]
    twice = {c for c in codes if codes.count(c) > 1}
    got = con.execute(
        f"SELECT count(*) FROM raw.{DATASET} WHERE _flags LIKE '%code_at_two_levels%'"
    ).fetchone()[0]
    assert got == sum(1 for c in codes if c in twice) > 0
