"""Check the Working with AI tables the session build landed from the mirror against figures
computed here from the mirror files with the csv module."""

from __future__ import annotations

import csv

import pytest

DATASET = "microsoft__working_with_ai"


def rows_of(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_weights_are_long_with_every_non_zero_cell(raw_build, mirror):
    con, results = raw_build
    header, *rows = rows_of(mirror / DATASET / "soc_iwa_weights.csv")
    table = f"{DATASET}__soc_iwa_weights"
    cells = [(r[0], iwa, float(v)) for r in rows for iwa, v in zip(header[1:], r[1:], strict=True)]
    nonzero = [c for c in cells if c[2] != 0]
    assert results[table].rows == len(nonzero)
    assert con.execute(f"SELECT count(DISTINCT soc_code) FROM raw.{table}").fetchone()[0] == len(
        rows
    )
    assert con.execute(f"SELECT sum(weight) FROM raw.{table}").fetchone()[0] == pytest.approx(
        sum(c[2] for c in cells)
    )
    soc, iwa, weight = nonzero[len(nonzero) // 2]
    got = con.execute(
        f"SELECT weight FROM raw.{table} WHERE soc_code = ? AND iwa = ?", [soc, iwa]
    ).fetchone()[0]
    assert got == weight
    whole = {r[0] for r in rows if all(float(v) == int(float(v)) for v in r[1:])}
    assert results[table].flag_counts.get("whole_number_weights", 0) == sum(
        1 for c in nonzero if c[0] in whole
    )


def test_soc_to_iwas_match_the_file(raw_build, mirror):
    con, results = raw_build
    _, *rows = rows_of(mirror / DATASET / "soc_to_iwas.csv")
    table = f"{DATASET}__soc_to_iwas"
    assert results[table].rows == len(rows)
    landed = set(con.execute(f"SELECT soc_code, iwa FROM raw.{table}").fetchall())
    assert landed == {(r[0], r[1]) for r in rows}


def test_scores_and_metrics_match_the_file(raw_build, mirror):
    con, results = raw_build
    header, *rows = rows_of(mirror / DATASET / "soc_ai_applicability_scores.csv")
    table = f"{DATASET}__soc_ai_applicability_scores"
    assert results[table].rows == len(rows)
    landed = dict(
        con.execute(f"SELECT soc_code, ai_applicability_score FROM raw.{table}").fetchall()
    )
    assert landed == {r[0]: float(r[2]) for r in rows}

    header, *rows = rows_of(mirror / DATASET / "soc_metrics.csv")
    table = f"{DATASET}__soc_metrics"
    assert results[table].rows == len(rows)
    index = header.index("coverage_user")
    sample = rows[-1]
    got = con.execute(
        f"SELECT title, coverage_user FROM raw.{table} WHERE soc_code = ?", [sample[0]]
    ).fetchone()
    assert got == (sample[1], float(sample[index]))


def test_iwa_metrics_match_the_file(raw_build, mirror):
    con, results = raw_build
    header, *rows = rows_of(mirror / DATASET / "iwa_metrics.csv")
    table = f"{DATASET}__iwa_metrics"
    assert results[table].rows == len(rows)
    share = header.index("share_user")
    total = con.execute(f"SELECT sum(share_user) FROM raw.{table}").fetchone()[0]
    assert total == pytest.approx(sum(float(r[share]) for r in rows))
    empty = header.index("completion_ai")
    assert con.execute(f"SELECT count(*) FROM raw.{table} WHERE completion_ai IS NULL").fetchone()[
        0
    ] == sum(1 for r in rows if r[empty] == "")
