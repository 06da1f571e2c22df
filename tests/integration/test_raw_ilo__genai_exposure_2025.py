"""Check the ILO task scores the session build landed from the mirror against openpyxl's reading."""

from __future__ import annotations

import openpyxl
import pytest

DATASET = "ilo__genai_exposure_2025"
FILE = "Final_Scores_ISCO08_Gmyrek_et_al_2025.xlsx"


def test_lands_every_task_with_real_values(raw_build, mirror):
    book = openpyxl.load_workbook(mirror / DATASET / FILE, read_only=True, data_only=True)
    assert book.sheetnames == ["Sheet1"]  # no occupation-level sheet to land separately
    header, *rows = [
        r for r in book["Sheet1"].iter_rows(values_only=True) if any(v is not None for v in r)
    ]
    book.close()
    col = {name: i for i, name in enumerate(header)}

    con, results = raw_build
    result = results[DATASET]
    assert result.rows == len(rows)

    for row in (rows[0], rows[len(rows) // 2], rows[-1]):
        got = con.execute(
            f"SELECT task_isco, score_2023, score_2025, source, potential25 FROM raw.{DATASET} "
            "WHERE isco_08 = ? AND task_id = ?",
            [str(row[col["ISCO_08"]]).zfill(4), int(row[col["taskID"]])],
        ).fetchone()
        assert got[0] == row[col["Task_ISCO"]].strip()
        assert got[1] == pytest.approx(row[col["score_2023"]])
        assert got[2] == pytest.approx(row[col["score_2025"]])
        assert got[3:] == (row[col["source"]], row[col["potential25"]])

    units = {str(r[col["ISCO_08"]]).zfill(4) for r in rows}
    assert con.execute(f"SELECT count(DISTINCT isco_08) FROM raw.{DATASET}").fetchone()[0] == len(
        units
    )
    missing_2023 = sum(1 for r in rows if r[col["score_2023"]] is None)
    assert result.flag_counts.get("score_2023_missing", 0) == missing_2023
    mean_2025 = sum(r[col["score_2025"]] for r in rows) / len(rows)
    assert con.execute(f"SELECT avg(score_2025) FROM raw.{DATASET}").fetchone()[0] == pytest.approx(
        mean_2025
    )
