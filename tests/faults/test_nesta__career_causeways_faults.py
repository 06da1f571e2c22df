"""Broken copies of the Nesta Career Causeways files are refused naming the dataset, file and
column, and the table landed before is left as it was."""

from __future__ import annotations

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "nesta__career_causeways"
T = f"{DATASET}__"

# table, file, a column to rename, a numeric column to break (as named in the file)
CASES = [
    (T + "occupation_risk", "mcc_risk_All_occupations.csv", "onet_code", "risk"),
    (T + "isco_risk", "mcc_risk_ISCO_4digit.csv", "isco_code", "prevalence"),
    (T + "dwa_impact", "mcc_risk_DWAs.csv", "detailed_work_activity", "impact"),
    (T + "bottlenecks", "mcc_risk_Bottlenecks.csv", "sml_question", "is_bottleneck"),
    (T + "esco_onet_crosswalk", "esco_onet_crosswalk_MCC.csv", "onet_code", "semantic_similarity"),
    (T + "uk_employment_by_isco", "uk_breakdown_by_isco_w_risk.csv", "RISK_CAT", "2016"),
    (T + "ita_employment_by_isco", "ita_breakdown_by_isco_w_risk.csv", "isco_code", "2018"),
]
IDS = [c[0].removeprefix(T) for c in CASES]


@pytest.mark.parametrize("table,file,renamed,numeric", CASES, ids=IDS)
def test_a_truncated_file_is_refused_and_the_table_kept(
    tmp_path, monkeypatch, mirror, table, file, renamed, numeric, built_warehouse
):
    broken = injectors.truncate(mirror / DATASET / file, tmp_path / file)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, table, file, broken)


@pytest.mark.parametrize("table,file,renamed,numeric", CASES, ids=IDS)
def test_a_renamed_column_is_named(
    tmp_path, monkeypatch, mirror, table, file, renamed, numeric, built_warehouse
):
    broken = injectors.rename_text_column(
        mirror / DATASET / file, tmp_path / file, renamed, renamed + "_v2"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=renamed
    )
    assert "missing" in str(error)


@pytest.mark.parametrize("table,file,renamed,numeric", CASES, ids=IDS)
def test_a_value_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, table, file, renamed, numeric, built_warehouse
):
    broken = injectors.set_text_cell(mirror / DATASET / file, tmp_path / file, numeric, 5, "n/a")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, table, file, broken, column=numeric
    )
    assert error.row == 5


def test_a_risk_above_the_scale_breaks_the_contract(tmp_path, monkeypatch, mirror, built_warehouse):
    file = "mcc_risk_All_occupations.csv"
    broken = injectors.set_text_cell(mirror / DATASET / file, tmp_path / file, "risk", 2, "7.5")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, T + "occupation_risk", file, broken, column="risk"
    )
    assert "maximum" in str(error)


def test_an_isco_code_without_its_leading_digit_breaks_the_contract(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    file = "mcc_risk_ISCO_4digit.csv"
    broken = injectors.set_text_cell(
        mirror / DATASET / file, tmp_path / file, "isco_code", 1, "111"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, T + "isco_risk", file, broken, column="isco_code"
    )
    assert "pattern" in str(error)


def test_an_unknown_risk_code_breaks_the_contract(tmp_path, monkeypatch, mirror, built_warehouse):
    file = "uk_breakdown_by_isco_w_risk.csv"
    broken = injectors.set_text_cell(mirror / DATASET / file, tmp_path / file, "RISK_CAT", 4, "3")
    error = assert_fault_rejected(
        built_warehouse,
        tmp_path,
        monkeypatch,
        T + "uk_employment_by_isco",
        file,
        broken,
        column="risk_cat",
    )
    assert error.row == 4
