"""Broken Working with AI files are refused with an error that says where; the landed table
stays."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "microsoft__working_with_ai"

# table, file, column to rename, (column, data row, bad value, column named in error)
CASES = [
    (
        f"{DATASET}__iwa_metrics",
        "iwa_metrics.csv",
        "share_user",
        ("share_ai", 20, "0.1%", "share_ai"),
    ),
    (
        f"{DATASET}__soc_ai_applicability_scores",
        "soc_ai_applicability_scores.csv",
        "ai_applicability_score",
        ("ai_applicability_score", 33, "high", "ai_applicability_score"),
    ),
    (
        f"{DATASET}__soc_metrics",
        "soc_metrics.csv",
        "coverage_user",
        ("impact_scope_ai", 250, "n/a", "impact_scope_ai"),
    ),
    (
        # both columns are codes kept as text: a wrongly shaped code breaks the contract
        f"{DATASET}__soc_to_iwas",
        "soc_to_iwas.csv",
        "IWA",
        ("SOC Code", 8, "11-1011.00", "soc_code"),
    ),
    (
        f"{DATASET}__soc_iwa_weights",
        "soc_iwa_weights.csv",
        "SOC Code",
        ("4.A.1.a.1.I03", 3, "two", "4.A.1.a.1.I03"),
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
        mirror / DATASET / file, tmp_path / file, renamed, renamed + " (new)"
    )
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=renamed
    )


@pytest.mark.parametrize("table,file,renamed,bad", CASES, ids=IDS)
def test_a_value_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, table, file, renamed, bad, built_warehouse
):
    column, row, value, named = bad
    broken = injectors.set_text_cell(mirror / DATASET / file, tmp_path / file, column, row, value)
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=named
    )
    assert error.row == row


def test_a_renamed_iwa_column_in_the_weights_is_named(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    file = "soc_iwa_weights.csv"
    broken = injectors.rename_text_column(
        mirror / DATASET / file, tmp_path / file, "4.A.2.a.1.I01", "4.A.2.a.1.l01"
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__soc_iwa_weights",
        file,
        broken,
        column="4.A.2.a.1.l01",
    )
    assert "IWA id" in str(error)


def test_an_applicability_score_above_one_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    file = "soc_ai_applicability_scores.csv"
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "ai_applicability_score", 5, "1.5"
    )
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        f"{DATASET}__soc_ai_applicability_scores",
        file,
        broken,
        column="ai_applicability_score",
    )
    assert error.row == 5
