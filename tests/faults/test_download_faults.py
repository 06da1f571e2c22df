"""A registry entry an operator or an attacker gets wrong: an http URL fails only its own dataset,
with a message naming the entry, and a host off the allow-list (data_contracts/allowed_hosts.yml,
kept apart from the registry) is refused before any request is made."""

from __future__ import annotations

import pytest

from ingestion import fetch as fetch_module
from ingestion.errors import FetchError
from ingestion.registry import Source, SourceFile, allowed_hosts


def _fake_source(entry: SourceFile) -> Source:
    return Source("demo__data", "Pub", "Title", "OGL", "", "row", "annual", "", (entry,))


def test_a_plain_http_entry_fails_its_own_dataset_only(tmp_path, monkeypatch):
    (tmp_path / "demo__data.yml").write_text(
        "dataset_id: demo__data\npublisher: P\ntitle: T\nlicence: L\ngrain: g\ncadence: c\n"
        "files:\n  - {name: d.csv, url: 'http://raw.githubusercontent.com/o/r/c/d.csv', bytes: 1, sha256: abc}\n",
        encoding="utf-8",
    )
    (tmp_path / "other__data.yml").write_text(
        "dataset_id: other__data\npublisher: P\ntitle: T\nlicence: L\ngrain: g\ncadence: c\n"
        "files:\n  - {name: e.csv, url: 'https://raw.githubusercontent.com/o/r/c/e.csv', bytes: 1, sha256: abc}\n",
        encoding="utf-8",
    )
    monkeypatch.setenv("ATLAS_SOURCES_DIR", str(tmp_path))
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)  # a download, not a mirror read
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch_module.requests, "get", lambda *a, **k: pytest.fail("no request may be made"))
    from ingestion.registry import load_registry

    assert set(load_registry()) == {"demo__data", "other__data"}  # the registry still loads
    with pytest.raises(FetchError, match="only https downloads are allowed") as caught:
        fetch_module.fetch("demo__data", "d.csv")
    assert (caught.value.dataset_id, caught.value.file) == ("demo__data", "d.csv")
    assert "data_contracts/sources/demo__data.yml" in str(caught.value)


def test_a_host_off_the_allow_list_is_refused_even_when_the_registry_names_it(tmp_path, monkeypatch):
    entry = SourceFile("d.csv", "https://evil.example.com/d.csv", "0" * 64, 8)
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch_module, "get_source", lambda _id: _fake_source(entry))
    monkeypatch.setattr(fetch_module.requests, "get", lambda *a, **k: pytest.fail("no request may be made"))
    with pytest.raises(FetchError, match="'evil.example.com' is not on the allow-list") as caught:
        fetch_module.fetch("demo__data", "d.csv")
    assert caught.value.dataset_id == "demo__data"
    assert "evil.example.com" not in allowed_hosts()
