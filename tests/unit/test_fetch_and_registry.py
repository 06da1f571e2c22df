"""fetch verifies every file against the registry; every registered file is https on an allowed
host (the faults of a bad entry: tests/faults/test_download_faults.py)."""

from __future__ import annotations

import hashlib

import pytest

from ingestion import fetch as fetch_module
from ingestion.errors import FetchError
from ingestion.registry import Source, SourceFile, allowed_hosts


def _fake_source(entry: SourceFile) -> Source:
    return Source("demo__data", "Pub", "Title", "OGL", "", "row", "annual", "", (entry,))


def test_a_mirror_file_with_the_registered_checksum_is_returned_in_place(tmp_path, monkeypatch):
    body = b"a,b\n1,2\n"
    entry = SourceFile("d.csv", "https://raw.githubusercontent.com/o/r/c/d.csv", hashlib.sha256(body).hexdigest(), 8)
    (tmp_path / "demo__data").mkdir()
    (tmp_path / "demo__data" / "d.csv").write_bytes(body)
    monkeypatch.setenv("ATLAS_MIRROR", str(tmp_path))
    monkeypatch.setattr(fetch_module, "get_source", lambda _id: _fake_source(entry))
    assert fetch_module.fetch("demo__data", "d.csv") == tmp_path / "demo__data" / "d.csv"


def test_a_mirror_file_with_another_checksum_is_refused_naming_dataset_and_file(tmp_path, monkeypatch):
    entry = SourceFile("d.csv", "https://raw.githubusercontent.com/o/r/c/d.csv", "0" * 64, 8)
    (tmp_path / "demo__data").mkdir()
    (tmp_path / "demo__data" / "d.csv").write_bytes(b"changed\n")
    monkeypatch.setenv("ATLAS_MIRROR", str(tmp_path))
    monkeypatch.setattr(fetch_module, "get_source", lambda _id: _fake_source(entry))
    with pytest.raises(FetchError, match="checksum mismatch") as caught:
        fetch_module.fetch("demo__data", "d.csv")
    assert caught.value.dataset_id == "demo__data"
    assert caught.value.file == "d.csv"


def test_every_registered_file_is_https_with_a_sha256(mirror):
    import csv

    from ingestion.registry import load_registry

    known = {
        (r["dataset_id"], r["file"]): r["sha256"]
        for r in csv.DictReader((mirror / "FILES.csv").open(encoding="utf-8"))
    }
    for source in load_registry().values():
        for entry in source.files:
            assert entry.url.startswith("https://"), (source.dataset_id, entry.name)
            assert entry.host in allowed_hosts(), (source.dataset_id, entry.name)
            assert known[(source.dataset_id, entry.name)] == entry.sha256, (source.dataset_id, entry.name)
