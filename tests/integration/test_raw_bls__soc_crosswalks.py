"""Check the five SOC code lists and crosswalks the session build landed with csv and openpyxl."""

from __future__ import annotations

import csv
import re
from collections import Counter

import openpyxl
import pytest

DATASET = "bls__soc_crosswalks"
TABLES = {
    "soc2010_to_soc2018": "crosswalk_soc2010_to_soc2018.csv",
    "soc2018_codes": "SOC2018-All-Codes.txt",
    "census_occ_codes_2018": "2018-occupation-code-list-and-crosswalk.xlsx",
    "onet_soc_to_soc": "nem-onet-to-soc-crosswalk.xlsx",
    "onet_soc2010_to_2019": "2010_to_2019_soc_crosswalk.csv",
}


@pytest.fixture(scope="module")
def landed(raw_build):
    con, results = raw_build
    return con, {e: results[f"{DATASET}__{e}"] for e in TABLES}


def csv_rows(mirror, file):
    with (mirror / DATASET / file).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def sheet_rows(mirror, file, sheet):
    book = openpyxl.load_workbook(mirror / DATASET / file, read_only=True, data_only=True)
    try:
        return [tuple(r) for r in book[sheet].iter_rows(values_only=True)]
    finally:
        book.close()


def test_every_table_is_landed_with_its_file(landed):
    con, results = landed
    for entity, file in TABLES.items():
        assert results[entity].files == file
        got = con.execute(f'SELECT count(*) FROM raw."{DATASET}__{entity}"').fetchone()[0]
        assert got == results[entity].rows > 0


def test_soc_crosswalk_pairs_match_the_file(landed, mirror):
    con, results = landed
    rows = csv_rows(mirror, TABLES["soc2010_to_soc2018"])
    assert results["soc2010_to_soc2018"].rows == len(rows)
    pairs = {(r["2010 SOC Code"], r["2018 SOC Code"]) for r in rows}
    got = set(
        con.execute(
            f"SELECT soc2010_code, soc2018_code FROM raw.{DATASET}__soc2010_to_soc2018"
        ).fetchall()
    )
    assert got == pairs
    splits = Counter(r["2010 SOC Code"] for r in rows)
    assert results["soc2010_to_soc2018"].flag_counts["source_code_splits"] == sum(
        n for n in splits.values() if n > 1
    )


def test_onet_crosswalk_matches_the_file(landed, mirror):
    con, results = landed
    rows = csv_rows(mirror, TABLES["onet_soc2010_to_2019"])
    assert results["onet_soc2010_to_2019"].rows == len(rows)
    first = rows[0]
    got = con.execute(
        f"SELECT onet_soc2019_code, onet_soc2019_title FROM raw.{DATASET}__onet_soc2010_to_2019 "
        "WHERE _source_row = 1"
    ).fetchone()
    assert got == (first["O*NET-SOC 2019 Code"], first["O*NET-SOC 2019 Title"])


def test_soc2018_code_list_matches_the_text_file(landed, mirror):
    con, results = landed
    lines = (mirror / DATASET / TABLES["soc2018_codes"]).read_text(encoding="utf-8").splitlines()
    parsed = dict(line.split("  ", 1) for line in lines if line.strip())
    assert results["soc2018_codes"].rows == len(parsed)
    got = dict(
        con.execute(
            f"SELECT soc2018_code, soc2018_title FROM raw.{DATASET}__soc2018_codes"
        ).fetchall()
    )
    assert got == parsed
    levels = dict(
        con.execute(
            f"SELECT soc_level, count(*) FROM raw.{DATASET}__soc2018_codes GROUP BY 1"
        ).fetchall()
    )
    assert levels["major"] == sum(1 for c in parsed if c.endswith("-0000"))
    assert levels["detailed"] == sum(1 for c in parsed if not c.endswith("0"))


def test_census_code_list_matches_the_sheet(landed, mirror):
    con, results = landed
    rows = sheet_rows(mirror, TABLES["census_occ_codes_2018"], "2018 Census Occ Code List")
    codes = {}
    for row in rows:
        code = row[2] if len(row) > 2 else None
        if code is None:
            continue
        text = str(code).strip()
        if re.fullmatch(r"\d{1,4}", text):
            codes[text.zfill(4)] = row[3]
        elif re.fullmatch(r"\d{4}-\d{4}", text):
            codes[text] = row[3]
    assert results["census_occ_codes_2018"].rows == len(codes)
    got = dict(
        con.execute(
            f"SELECT census_code, coalesce(soc2018_code, 'none') FROM raw.{DATASET}__census_occ_codes_2018"
        ).fetchall()
    )
    assert got == {k: str(v).strip() for k, v in codes.items()}
    occupations = con.execute(
        f"SELECT count(*) FROM raw.{DATASET}__census_occ_codes_2018 WHERE line_type = 'occupation'"
    ).fetchone()[0]
    assert occupations == sum(1 for c in codes if "-" not in c)


def test_nem_crosswalk_matches_the_sheet(landed, mirror):
    con, results = landed
    rows = sheet_rows(mirror, TABLES["onet_soc_to_soc"], "ONET to SOC crosswalk")
    header = next(i for i, r in enumerate(rows) if r[0] == "Sort Order")
    data = [r for r in rows[header + 1 :] if any(v is not None for v in r)]
    assert results["onet_soc_to_soc"].rows == len(data)
    dashes = sum(1 for r in data if r[5] == "\u2014")
    assert results["onet_soc_to_soc"].flag_counts["no_ooh_profile"] == dashes
    sample = data[len(data) // 2]
    got = con.execute(
        f"SELECT nem_code, nem_title, sort_order FROM raw.{DATASET}__onet_soc_to_soc WHERE onet_soc_code = ?",
        [sample[1]],
    ).fetchone()
    assert got == (sample[3], sample[4], sample[0])
    stated = next(str(r[0]) for r in rows[:header] if str(r[0]).startswith("As of"))
    month, day, year = (int(x) for x in stated.removeprefix("As of ").split("/"))
    as_of = con.execute(f"SELECT DISTINCT as_of FROM raw.{DATASET}__onet_soc_to_soc").fetchall()
    assert [(d.year, d.month, d.day) for (d,) in as_of] == [(year, month, day)]
