"""Broken Anthropic Economic Index files are refused with an error that says where; the landed
table stays."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "anthropic__economic_index"

# table, file, column to rename, (column, data row, bad value)
CASES = [
    (f"{DATASET}__onet_task_mappings", "onet_task_mappings.csv", "pct", ("pct", 40, "lots")),
    (
        f"{DATASET}__automation_vs_augmentation",
        "automation_vs_augmentation.csv",
        "interaction_type",
        ("pct", 2, "12,0%"),
    ),
    (
        f"{DATASET}__tasks_final",
        "tasks_final.csv",
        "pct_weighted",
        ("emp_tot_nat_2024", 100, "many"),
    ),
]
IDS = [c[1] for c in CASES]


@pytest.mark.parametrize("table,file,renamed,bad", CASES, ids=IDS)
def test_a_truncated_file_is_refused_and_the_table_kept(
    tmp_path, monkeypatch, mirror, table, file, renamed, bad, built_warehouse
):
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / file)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, table, file, broken)


@pytest.mark.parametrize("table,file,renamed,bad", CASES, ids=IDS)
def test_a_renamed_column_is_named(
    tmp_path, monkeypatch, mirror, table, file, renamed, bad, built_warehouse
):
    broken = injectors.rename_text_column(
        mirror / DATASET / file, tmp_path / file, renamed, renamed.upper()
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=renamed
    )
    assert "missing" in str(error)


@pytest.mark.parametrize("table,file,renamed,bad", CASES, ids=IDS)
def test_a_value_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, table, file, renamed, bad, built_warehouse
):
    column, row, value = bad
    broken = injectors.set_text_cell(mirror / DATASET / file, tmp_path / file, column, row, value)
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=column
    )
    assert error.row == row


def test_a_relevance_above_100_percent_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    file = "tasks_final.csv"
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "relevance_2025", 17, "180.5"
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__tasks_final",
        file,
        broken,
        column="relevance_2025",
    )
    assert error.row == 17
    assert "maximum" in str(error)
