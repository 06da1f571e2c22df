"""Check OEWS May 2025 by ownership and its manifest, as the session build landed them, with csv and
json."""

from __future__ import annotations

import csv
import json
from collections import Counter

import pytest

DATASET = "bls__oews_government_2025"
FILE = "oews_may2025_national_by_ownership.csv"
MANIFEST = f"{DATASET}__manifest"


@pytest.fixture(scope="module")
def landed(raw_build, mirror):
    con, loads = raw_build
    results = {name: loads[name] for name in (DATASET, MANIFEST)}
    with (mirror / DATASET / FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    manifest = json.loads((mirror / DATASET / "manifest.json").read_text(encoding="utf-8"))
    return con, results, rows, manifest


def test_row_counts_per_ownership_group(landed):
    con, results, rows, _ = landed
    assert results[DATASET].rows == len(rows)
    expected = Counter(r["industry_code"] for r in rows)
    got = dict(
        con.execute(f"SELECT industry_code, count(*) FROM raw.{DATASET} GROUP BY 1").fetchall()
    )
    assert got == dict(expected)
    assert "999101" in got and "999301" in got  # federal and local government are there


def test_federal_all_occupations_matches_the_file(landed):
    con, _, rows, _ = landed
    source = next(
        r for r in rows if r["industry_code"] == "999101" and r["occ_code_soc2018"] == "00-0000"
    )
    got = con.execute(
        f"SELECT tot_emp, a_median, h_mean, occ_display_level FROM raw.{DATASET} "
        "WHERE industry_code = '999101' AND occ_code_soc2018 = '00-0000'"
    ).fetchone()
    assert got[0] == int(source["tot_emp"])
    assert got[1] == int(source["a_median"])
    assert got[2] == pytest.approx(float(source["h_mean"]))
    assert got[3] == int(source["occ_display_level"])


@pytest.mark.parametrize("column", ["tot_emp", "h_median", "a_median", "mean_prse"])
def test_dashes_are_nulls_with_status(landed, column):
    con, _, rows, _ = landed
    expected = sum(1 for r in rows if r[column] == "-")
    assert expected > 0
    got = con.execute(
        f"SELECT count(*), count({column}) FROM raw.{DATASET} WHERE {column}_status = 'not_available'"
    ).fetchone()
    assert got == (expected, 0)
    reported = con.execute(
        f"SELECT count({column}) FROM raw.{DATASET} WHERE {column}_status = 'reported'"
    ).fetchone()[0]
    assert reported == len(rows) - expected


def test_flagged_rows_are_the_rows_with_a_dash(landed):
    con, results, rows, _ = landed
    measures = ["tot_emp", "h_mean", "a_mean", "h_median", "a_median", "emp_prse", "mean_prse"]
    with_dash = sum(1 for r in rows if any(r[m] == "-" for m in measures))
    assert results[DATASET].flagged_rows == with_dash


def test_manifest_lands_one_row_per_flat_file(landed):
    con, results, _, manifest = landed
    assert results[MANIFEST].rows == len(manifest["sources"])
    for name, entry in manifest["sources"].items():
        got = con.execute(
            f"SELECT bytes, sha256, url, release_code, retrieved::VARCHAR, count_cells "
            f"FROM raw.{MANIFEST} WHERE source_file = ?",
            [name],
        ).fetchone()
        assert got == (
            entry["bytes"],
            entry["sha256"],
            entry["url"],
            manifest["release"]["code"],
            manifest["retrieved"],
            manifest["counts"]["cells"],
        )
