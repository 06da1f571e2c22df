"""ILO generative-AI exposure reader on small hand-written workbooks."""

from __future__ import annotations

import openpyxl
import pytest

from ingestion.errors import AtlasDataError
from ingestion.ilo.genai_exposure_2025 import SOURCE_COLUMNS, read_task_scores

OCC_1111 = {
    "label4d": "1111 - Legislators",
    "label1d": "1 - Managers",
    "ISCO_08": "1111",
    "Title": "Legislators",
    "mean_score_2023": 0.22,
    "mean_score_2025": 0.31,
    "SD_2023": 0.07,
    "SD_2025": 0.04,
    "potential25": "Not Exposed",
    "potential23": "Not affected",
}
OCC_0110 = {
    "label4d": "0110 - Commissioned armed forces officers",
    "label1d": "0 - Armed forces occupations",
    "ISCO_08": 110,  # a code stored as a number loses its leading zero
    "Title": "Commissioned armed forces officers",
    "mean_score_2023": 0.2,
    "mean_score_2025": 0.3,
    "SD_2023": 0,
    "SD_2025": 0,
    "potential25": "Minimal Exposure",
    "potential23": "The Big Uknown",
}


def task(occ: dict, task_id: int, **changes) -> dict:
    row = {
        **occ,
        "taskID": task_id,
        "Task_ISCO": f"Task {task_id};",
        "score_2023": 0.2,
        "Weaviate Status": "success",
        "predicted_score_2025_gpt4o": 0.3,
        "prediction_justification_gpt4o": "The task ...",
        "weaviate_status_gemini": "success",
        "predicted_score_2025_gemini": 0.32,
        "prediction_justification_gemini": "The task ...",
        "score_2025": 0.31,
        "source": "predicted",
    }
    row.update(changes)
    return row


def workbook(tmp_path, rows: list[dict], *, extra_sheet: bool = False):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "Sheet1"
    sheet.append(SOURCE_COLUMNS)
    for row in rows:
        sheet.append([row.get(c) for c in SOURCE_COLUMNS])
    if extra_sheet:
        book.create_sheet("Occupations").append(["ISCO_08"])
    path = tmp_path / "scores.xlsx"
    book.save(path)
    return path


def test_task_rows_are_typed_and_snake_cased(tmp_path):
    frame = read_task_scores(workbook(tmp_path, [task(OCC_1111, 1), task(OCC_1111, 2)]))
    assert frame.columns[:6] == ["label4d", "label1d", "isco_08", "title", "task_id", "task_isco"]
    assert "weaviate_status" in frame.columns and "sd_2025" in frame.columns
    assert frame["task_id"].to_list() == [1, 2]
    assert frame["score_2025"].to_list() == [0.31, 0.31]
    assert frame["_flags"].to_list() == [None, None]


def test_a_numeric_isco_code_gets_its_leading_zero_back(tmp_path):
    frame = read_task_scores(workbook(tmp_path, [task(OCC_0110, 1)]))
    assert frame["isco_08"].to_list() == ["0110"]
    assert frame["potential23"].to_list() == ["The Big Uknown"]  # publisher's spelling kept
    assert frame["_flags"].to_list() == ["isco_code_zero_padded"]


def test_failed_model_calls_and_missing_2023_scores_are_flagged(tmp_path):
    rows = [
        task(
            OCC_1111,
            1,
            predicted_score_2025_gpt4o=None,
            prediction_justification_gpt4o="Error,Error",
        ),
        task(
            OCC_1111, 2, predicted_score_2025_gemini=None, prediction_justification_gemini="Error"
        ),
        task(OCC_1111, 3, score_2023=None),
        task(OCC_1111, 4, weaviate_status_gemini="fail"),
    ]
    frame = read_task_scores(workbook(tmp_path, rows))
    assert frame.height == 4
    assert frame["_flags"].to_list() == [
        "gpt4o_prediction_failed",
        "gemini_prediction_failed",
        "score_2023_missing",
        "weaviate_retrieval_failed",
    ]
    assert frame["predicted_score_2025_gpt4o"][0] is None


def test_disagreeing_unit_group_values_and_labels_are_flagged(tmp_path):
    rows = [task(OCC_1111, 1), task({**OCC_1111, "mean_score_2025": 0.5}, 2)]
    rows.append(task({**OCC_1111, "label4d": "1112 - Senior government officials"}, 3))
    frame = read_task_scores(workbook(tmp_path, rows))
    flags = frame["_flags"].to_list()
    assert all("occupation_values_inconsistent" in f for f in flags)
    assert "label_mismatch" in flags[2] and "label_mismatch" not in flags[0]


def test_a_new_sheet_is_refused(tmp_path):
    with pytest.raises(AtlasDataError, match="sheets"):
        read_task_scores(workbook(tmp_path, [task(OCC_1111, 1)], extra_sheet=True))


def test_a_score_that_is_not_a_number_names_column_and_row(tmp_path):
    path = workbook(tmp_path, [task(OCC_1111, 1), task(OCC_1111, 2, score_2025="high")])
    with pytest.raises(AtlasDataError) as caught:
        read_task_scores(path)
    assert caught.value.column == "score_2025"
    assert caught.value.row == 2
    assert "Sheet1" in caught.value.file
