"""Broken GPTs-are-GPTs files are refused with an error that says where; the landed table stays."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "openai__gpts_are_gpts"

# table, file, delimiter, column to rename, (column, data row, bad value, column named in error)
CASES = [
    (
        f"{DATASET}__full_labelset",
        "full_labelset.tsv",
        "\t",
        "gpt4_exposure",
        ("alpha", 5, "one", "alpha"),
    ),
    (
        f"{DATASET}__full_onet_data",
        "full_onet_data.tsv",
        "\t",
        "coreweight",
        ("coreweight", 12, "two", "coreweight"),
    ),
    (
        f"{DATASET}__automation_gpt4_human_labels",
        "automation_gpt4_human_labels.tsv",
        "\t",
        "human_automation",
        ("Task ID", 3, "21527a", "task_id"),
    ),
    (
        f"{DATASET}__occupations_onet_work_contexts",
        "occupations_onet_work_contexts.csv",
        ",",
        "occupation",
        ("degree_of_automation_context", 7, "high", "degree_of_automation_context"),
    ),
]
IDS = [c[1] for c in CASES]


@pytest.mark.parametrize("table,file,delimiter,renamed,bad", CASES, ids=IDS)
def test_a_truncated_file_is_refused_and_the_table_kept(
    tmp_path, monkeypatch, mirror, table, file, delimiter, renamed, bad, built_warehouse
):
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / file)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, table, file, broken)


@pytest.mark.parametrize("table,file,delimiter,renamed,bad", CASES, ids=IDS)
def test_a_renamed_column_is_named(
    tmp_path, monkeypatch, mirror, table, file, delimiter, renamed, bad, built_warehouse
):
    broken = injectors.rename_text_column(
        mirror / DATASET / file, tmp_path / file, renamed, renamed + "_v2", delimiter=delimiter
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=renamed
    )
    assert "missing" in str(error)


@pytest.mark.parametrize("table,file,delimiter,renamed,bad", CASES, ids=IDS)
def test_a_value_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, table, file, delimiter, renamed, bad, built_warehouse
):
    column, row, value, named = bad
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, column, row, value, delimiter=delimiter
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=named
    )
    assert error.row == row


def test_an_unknown_exposure_label_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    file = "full_labelset.tsv"
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "gpt4_exposure", 9, "E3", delimiter="\t"
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__full_labelset",
        file,
        broken,
        column="gpt4_exposure",
    )
    assert error.row == 9
    assert "allowed" in str(error)


def test_a_duplicate_task_id_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    file = "full_onet_data.tsv"
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "Task ID", 2, "8823.0", delimiter="\t"
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__full_onet_data",
        file,
        broken,
        column="task_id",
    )
    assert "duplicate key" in str(error)


def test_a_file_cut_at_a_line_end_is_refused_by_the_row_count(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    """The automation file has no final line break, so a cut at a line end reads cleanly: the
    contract's minimum row count is what refuses it."""
    file = "automation_gpt4_human_labels.tsv"
    lines = (mirror / DATASET / file).read_bytes().split(b"\r\n")
    broken = tmp_path / file
    broken.write_bytes(b"\r\n".join(lines[:5000]))
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__automation_gpt4_human_labels",
        file,
        broken,
    )
    assert "only 4999 rows" in str(error)
