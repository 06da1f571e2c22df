"""Broken Canadian source files are refused with an error that says where; nothing is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

SI = ("tbs_canada__service_inventory", "tbs_canada__service_inventory", "si_2024.csv")
RBPO = ("tbs_canada__program_spending_ftes", "tbs_canada__program_spending_ftes", "rbpo.csv")


@pytest.mark.parametrize("table,dataset,file", [SI, RBPO])
def test_a_truncated_file_is_refused_and_the_table_kept(
    tmp_path, monkeypatch, mirror, table, dataset, file, built_warehouse
):
    broken = injectors.truncate(mirror / dataset / file, tmp_path / file)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, table, file, broken)


def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_text_column(
        mirror / SI[1] / SI[2], tmp_path / SI[2], "num_applications_total", "applications_total"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, SI[0], SI[2], broken, column="num_applications_total"
    )
    assert "missing" in str(error)


def test_a_count_that_is_not_a_number_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / SI[1] / SI[2], tmp_path / SI[2], "num_applications_online", 7, "lots"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, SI[0], SI[2], broken, column="num_applications_online"
    )
    assert error.row == 7


def test_a_spending_value_of_the_wrong_type_is_named(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(
        mirror / RBPO[1] / RBPO[2], tmp_path / RBPO[2], "actual_spending", 3, "n/a"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, RBPO[0], RBPO[2], broken, column="actual_spending"
    )
    assert error.row == 3


def test_a_duplicate_service_and_year_key_is_refused(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    source = mirror / SI[1] / SI[2]
    first = injectors._read_text_rows(source, ",", "utf-8-sig")
    broken = injectors.set_text_cell(source, tmp_path / "step.csv", "service_id", 2, first[1][1])
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, SI[0], SI[2], broken, column="service_id"
    )
    assert "duplicate key" in str(error)


def test_a_negative_count_is_out_of_range(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.set_text_cell(
        mirror / SI[1] / SI[2], tmp_path / SI[2], "num_applications_total", 4, "-5"
    )
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, SI[0], SI[2], broken, column="num_applications_total"
    )
    assert "minimum" in str(error)


def test_a_changed_checksum_in_the_mirror_is_refused(tmp_path, monkeypatch):
    from ingestion.errors import FetchError
    from ingestion.fetch import fetch

    fake = tmp_path / "mirror" / SI[1]
    fake.mkdir(parents=True)
    (fake / SI[2]).write_text("fiscal_yr,service_id\n2023-2024,1\n", encoding="utf-8")
    monkeypatch.setenv("ATLAS_MIRROR", str(tmp_path / "mirror"))
    with pytest.raises(FetchError, match="checksum mismatch") as caught:
        fetch(SI[1], SI[2])
    assert caught.value.file == SI[2]
    assert "tbs_canada__service_inventory" in str(caught.value)


def test_a_file_missing_from_the_mirror_says_how_to_set_it(tmp_path, monkeypatch):
    from ingestion.errors import FetchError
    from ingestion.fetch import fetch

    monkeypatch.setenv("ATLAS_MIRROR", str(tmp_path))
    with pytest.raises(FetchError, match="ATLAS_MIRROR"):
        fetch(SI[1], SI[2])


def test_an_unreachable_download_fails_fast_with_advice(tmp_path, monkeypatch):
    from ingestion import fetch as fetch_module
    from ingestion.errors import FetchError
    from ingestion.registry import SourceFile

    monkeypatch.delenv("ATLAS_MIRROR", raising=False)
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setenv("ATLAS_DOWNLOAD_TIMEOUT", "2")
    entry = SourceFile(name="x.csv", url="https://127.0.0.1:9/x.csv", sha256="0" * 64, bytes=1)
    monkeypatch.setattr(fetch_module, "get_source", lambda _id: _FakeSource(entry))
    monkeypatch.setattr(fetch_module, "allowed_hosts", lambda: frozenset({"127.0.0.1"}))
    with pytest.raises(FetchError, match="could not download") as caught:
        fetch_module.fetch("some__dataset", "x.csv")
    assert "ATLAS_MIRROR" in str(caught.value)
    assert not any(Path(tmp_path / "cache").rglob("*.csv"))


class _FakeSource:
    def __init__(self, entry):
        self.entry = entry

    def file(self, name):
        return self.entry
