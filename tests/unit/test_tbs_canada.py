"""The Canadian readers on small hand-written files: markers, flags, malformed rows."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from ingestion.contracts import load_contract, validate
from ingestion.errors import AtlasDataError, ContractViolation
from ingestion.tbs_canada.program_spending_ftes import COLUMNS as RBPO_COLUMNS
from ingestion.tbs_canada.program_spending_ftes import read_program_spending_ftes
from ingestion.tbs_canada.service_inventory import SI_COLUMNS, read_service_inventory


def _service_row(**values: str) -> dict[str, str]:
    row = {c: "" for c in SI_COLUMNS}
    row.update(
        fiscal_yr="2023-2024", service_id="1", service_name_en="Passports", owner_org="ircc",
        program_id="BXX01", service_type="APIR", automated_decision_system="N", service_fee="Y",
        os_application="Y", os_decision="N", os_issuance="NA", sin_usage="N",
        cra_bn_identifier_usage="NA",
    )
    for c in SI_COLUMNS:
        if c.startswith("num_"):
            row[c] = "0"
    row.update(values)
    return row


def _write(path: Path, rows: list[dict[str, str]], columns: list[str]) -> Path:
    import csv

    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns, lineterminator="\r\n")
        writer.writeheader()
        writer.writerows(rows)
    return path


def test_na_and_nd_markers_become_null_counts_with_their_reason(tmp_path):
    path = _write(
        tmp_path / "si.csv",
        [
            _service_row(service_id="1", num_applications_online="NA", num_applications_total="12"),
            _service_row(service_id="2", num_applications_online="ND", num_applications_total="ND"),
            _service_row(service_id="3", num_applications_online="1,234", num_applications_total="2000"),
        ],
        SI_COLUMNS,
    )
    frame = read_service_inventory(path).sort("service_id")
    assert frame["num_applications_online"].to_list() == [None, None, 1234]
    assert frame["num_applications_online_status"].to_list() == [
        "not_applicable", "no_data", "reported",
    ]
    assert frame["num_applications_total"].to_list() == [12, None, 2000]
    assert frame["_flags"].to_list() == [None, "total_missing", None]


def test_stage_flags_become_booleans_with_null_for_not_applicable(tmp_path):
    path = _write(tmp_path / "si.csv", [_service_row()], SI_COLUMNS)
    frame = read_service_inventory(path)
    assert frame.schema["os_application"] == pl.Boolean
    assert frame.row(0, named=True)["os_application"] is True
    assert frame.row(0, named=True)["os_decision"] is False
    assert frame.row(0, named=True)["os_issuance"] is None


def test_an_unknown_stage_flag_names_column_and_row(tmp_path):
    path = _write(
        tmp_path / "si.csv",
        [_service_row(service_id="1"), _service_row(service_id="2", os_decision="Maybe")],
        SI_COLUMNS,
    )
    with pytest.raises(AtlasDataError) as caught:
        read_service_inventory(path)
    assert caught.value.column == "os_decision"
    assert caught.value.row == 2
    assert "tbs_canada__service_inventory" in str(caught.value)


def test_a_malformed_row_with_too_few_fields_is_refused_with_its_row(tmp_path):
    path = _write(tmp_path / "si.csv", [_service_row(), _service_row(service_id="2")], SI_COLUMNS)
    text = path.read_text(encoding="utf-8").rstrip("\r\n").rsplit(",", 3)[0] + "\r\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AtlasDataError, match="fields but the header has") as caught:
        read_service_inventory(path)
    assert caught.value.row == 2


def test_the_same_service_in_two_fiscal_years_is_two_rows_but_one_year_twice_is_refused(tmp_path):
    rows = [_service_row(service_id="9"), _service_row(service_id="9", fiscal_yr="2024-2025")]
    frame = read_service_inventory(_write(tmp_path / "ok.csv", rows, SI_COLUMNS))
    validate(frame, load_contract("tbs_canada__service_inventory").__class__(
        **{**load_contract("tbs_canada__service_inventory").__dict__, "min_rows": 1}
    ))
    rows.append(_service_row(service_id="9"))
    frame = read_service_inventory(_write(tmp_path / "dup.csv", rows, SI_COLUMNS))
    contract = load_contract("tbs_canada__service_inventory")
    small = contract.__class__(**{**contract.__dict__, "min_rows": 1})
    with pytest.raises(ContractViolation, match="duplicate key") as caught:
        validate(frame, small, file="dup.csv")
    assert caught.value.column == "service_id"
    assert caught.value.row == 1


def test_programme_spending_reads_negative_zero_and_blank_actuals(tmp_path):
    row = {c: "" for c in RBPO_COLUMNS}
    row.update(fy_ef="2023-2024", organization_id="1", organization="Dept", program_id="BWN01",
               program_name="Trade", core_responsibility="Markets", planned_spending_1="10.50",
               actual_spending="-0.00", planned_ftes_1="3.00")
    other = {**row, "program_id": "BWN02", "actual_spending": ""}
    frame = read_program_spending_ftes(_write(tmp_path / "rbpo.csv", [row, other], RBPO_COLUMNS))
    assert frame["actual_spending"].to_list() == [0.0, None]
    assert str(frame["actual_spending"][0]) == "0.0"
    assert frame["planned_spending_1"].to_list() == [10.5, 10.5]
