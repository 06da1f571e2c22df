"""Check Mihaylov & Tijdens RTI as the session build landed it from the mirror against the csv
module."""

from __future__ import annotations

import csv

import pytest

DATASET = "mihaylov_tijdens__rti"
FILE = "source_rti_mihaylov_2019.csv"


def test_lands_every_row_with_real_values(raw_build, mirror):
    with (mirror / DATASET / FILE).open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    con, results = raw_build
    result = results[DATASET]
    assert result.rows == len(rows)
    landed = {
        r[0]: r[1:]
        for r in con.execute(
            f"SELECT isco08_code, isco08_title, nra, nri, rc, rm, nrm, rti FROM raw.{DATASET}"
        ).fetchall()
    }
    for row in (rows[0], rows[len(rows) // 3], rows[-1]):
        title, *numbers = landed[row["isco08_code"]]
        assert title == row["isco08_title"]
        expected = [float(row[c]) for c in ("nra", "nri", "rc", "rm", "nrm", "rti")]
        assert numbers == pytest.approx(expected)
    clerical = [float(r["rti"]) for r in rows if r["isco08_code"].startswith("41")]
    got = con.execute(
        f"SELECT avg(rti) FROM raw.{DATASET} WHERE isco08_code LIKE '41%'"
    ).fetchone()[0]
    assert got == pytest.approx(sum(clerical) / len(clerical))
