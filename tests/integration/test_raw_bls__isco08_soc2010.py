"""Check the ISCO crosswalks and structure the session build landed with openpyxl and csv."""

from __future__ import annotations

import csv

import openpyxl
import pytest

DATASET = "bls__isco08_soc2010"


@pytest.fixture(scope="module")
def landed(raw_build):
    con, results = raw_build
    names = ["isco08_to_soc2010", "isco_structure", "isco88_to_isco08"]
    return con, {n: results[f"{DATASET}__{n}"] for n in names}


def test_bls_crosswalk_matches_the_workbook(landed, mirror):
    con, results = landed
    book = openpyxl.load_workbook(mirror / DATASET / "isco08toBLS.xlsx", read_only=True)
    rows = [r for r in book.worksheets[0].iter_rows(min_row=2, values_only=True) if any(r)]
    book.close()
    assert results["isco08_to_soc2010"].rows == len(rows)
    pairs = {(str(r[0]).strip(), str(r[3]).strip()) for r in rows}
    got = set(
        con.execute(
            f"SELECT soc2010_code, isco08_code FROM raw.{DATASET}__isco08_to_soc2010"
        ).fetchall()
    )
    assert got == pairs
    partial = sum(1 for r in rows if r[2] == "*")
    assert (
        con.execute(
            f"SELECT count(*) FROM raw.{DATASET}__isco08_to_soc2010 WHERE is_partial"
        ).fetchone()[0]
        == partial
    )
    spaced = sum(1 for r in rows if any(isinstance(v, str) and v != v.strip() for v in r))
    assert results["isco08_to_soc2010"].flag_counts["whitespace_trimmed"] == spaced > 0


def test_structure_matches_the_file(landed, mirror):
    con, results = landed
    with (mirror / DATASET / "source_isco_structure.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert results["isco_structure"].rows == len(rows)
    armed = next(r for r in rows if r["isco08_code"] == "0110")
    got = con.execute(
        f"SELECT isco08_title, level, definition FROM raw.{DATASET}__isco_structure WHERE isco08_code = '0110'"
    ).fetchone()
    assert got == (armed["isco08_title"], int(armed["level"]), armed["definition"])
    na_notes = sum(1 for r in rows if r["notes"] == "NA")
    assert (
        con.execute(
            f"SELECT count(*) FROM raw.{DATASET}__isco_structure WHERE notes IS NULL"
        ).fetchone()[0]
        == na_notes
    )


def test_isco88_crosswalk_matches_the_file(landed, mirror):
    con, results = landed
    with (mirror / DATASET / "source_isco_88_08_crosswalk.csv").open(
        encoding="utf-8-sig", newline=""
    ) as f:
        rows = [r[:4] for r in csv.reader(f)][1:]
    data = [r for r in rows if any(v.strip() for v in r)]
    assert results["isco88_to_isco08"].rows == len(data) < len(rows)
    pairs = {(r[1].zfill(4) if r[1] else None, r[2].zfill(4)) for r in data}
    got = set(
        con.execute(
            f"SELECT isco88_code, isco08_code FROM raw.{DATASET}__isco88_to_isco08"
        ).fetchall()
    )
    assert got == pairs
    assert ("0110", "0110") in got
