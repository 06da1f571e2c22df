"""Broken OEWS-by-ownership files and manifests are refused naming dataset, file and column."""

from __future__ import annotations

import json

from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected

DATASET = "bls__oews_government_2025"
FILE = "oews_may2025_national_by_ownership.csv"
MANIFEST_TABLE = f"{DATASET}__manifest"
MANIFEST = "manifest.json"


def test_a_truncated_file_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / FILE, tmp_path / FILE)
    assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, DATASET, FILE, broken)


def test_a_renamed_column_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.rename_text_column(
        mirror / DATASET / FILE, tmp_path / FILE, "tot_emp", "employment"
    )
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, DATASET, FILE, broken, column="tot_emp"
    )


def test_a_wage_of_the_wrong_type_is_named_with_its_row(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    broken = injectors.set_text_cell(mirror / DATASET / FILE, tmp_path / FILE, "a_median", 9, "n/a")
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, DATASET, FILE, broken, column="a_median"
    )
    assert error.row == 9


def test_an_unknown_ownership_group_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.set_text_cell(
        mirror / DATASET / FILE, tmp_path / FILE, "industry_code", 2, "999999"
    )
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, DATASET, FILE, broken, column="industry_code"
    )


def _manifest(mirror, tmp_path, edit):
    data = json.loads((mirror / DATASET / MANIFEST).read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / MANIFEST
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    return path


def test_a_truncated_manifest_is_refused(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = injectors.truncate(mirror / DATASET / MANIFEST, tmp_path / MANIFEST)
    error = assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, MANIFEST_TABLE, MANIFEST, broken
    )
    assert "JSON" in str(error)


def test_a_renamed_manifest_key_is_named(tmp_path, monkeypatch, mirror, built_warehouse):
    broken = _manifest(mirror, tmp_path, lambda d: d.update(retrieved_on=d.pop("retrieved")))
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, MANIFEST_TABLE, MANIFEST, broken, column="retrieved"
    )


def test_a_manifest_value_of_the_wrong_type_is_named(
    tmp_path, monkeypatch, mirror, built_warehouse
):
    def edit(data):
        data["sources"]["oe.area"]["bytes"] = "about 20 kB"

    broken = _manifest(mirror, tmp_path, edit)
    assert_fault_rejected(
        built_warehouse, tmp_path, monkeypatch, MANIFEST_TABLE, MANIFEST, broken, column="bytes"
    )
