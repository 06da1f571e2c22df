"""Long work shows progress (downloads, the Monte Carlo) without changing what it computes, and the
source sensor's change detection reads registry, mirror and HTTP validators right."""

from __future__ import annotations

import hashlib
import json
import logging

import polars as pl
import pytest

from ingestion.registry import Source, SourceFile
from ingestion.upstream import detect_changes, published_checksums
from scoring.parameters import Parameters
from scoring.production import ProductionParameters
from scoring.uncertainty import monte_carlo


def _inputs():
    services = [(f"S{i}", "2023-2024") for i in range(7)]
    keys = [(s, y, a) for s, y in services for a in ("intake_mail", "assessment_decision")]
    hours = pl.DataFrame({"service_key": [k[0] for k in keys], "fiscal_year": [k[1] for k in keys],
                          "activity_id": [k[2] for k in keys], "hours": [10.0 + i for i in range(len(keys))],
                          "is_front_office": [k[2] == "intake_mail" for k in keys]})
    values = pl.DataFrame({"service_key": [k[0] for k in keys for _ in range(2)],
                           "fiscal_year": [k[1] for k in keys for _ in range(2)],
                           "activity_id": [k[2] for k in keys for _ in range(2)],
                           "method_id": ["gpt4_beta", "frey_osborne_probability"] * len(keys),
                           "value": [0.2, 0.8] * len(keys), "coverage": [1.0] * 2 * len(keys),
                           "probability": [0.5] * 2 * len(keys)})
    costs = pl.DataFrame({"service_key": [s for s, _ in services], "fiscal_year": [y for _, y in services],
                          "country_code": ["CA"] * 4 + ["UK"] * 3, "labour_cost": [1e6] * 7})
    minutes = pl.DataFrame({"activity_id": ["intake_mail", "assessment_decision"],
                            "minutes_low": [12.0, 10.0], "minutes_high": [27.0, 90.0]})
    return hours, values, costs, minutes


def test_the_monte_carlo_reports_each_batch_and_gives_the_same_numbers_with_or_without_it():
    hours, values, costs, minutes = _inputs()
    params = Parameters(monte_carlo_draws=200, monte_carlo_batch_services=3)
    production = ProductionParameters(unit_minutes={})
    calls: list[tuple[int, int]] = []
    with_progress = monte_carlo(hours, values, costs, minutes, params, production,
                                progress=lambda d, t: calls.append((d, t)))
    without = monte_carlo(hours, values, costs, minutes, params, production)
    assert calls == [(0, 7), (3, 7), (6, 7), (7, 7)]
    assert with_progress.equals(without)
    # batches do not change the numbers: the draws are common to all services
    assert without.equals(monte_carlo(hours, values, costs, minutes,
                                      params.override(monte_carlo_batch_services=7), production))


class _Response:
    def __init__(self, payload: bytes, headers: dict[str, str]):
        self.payload, self.headers = payload, headers

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def raise_for_status(self):
        return None

    def iter_content(self, chunk_size: int):
        for start in range(0, len(self.payload), 4):
            yield self.payload[start:start + 4]


def _source(payload: bytes) -> Source:
    entry = SourceFile(name="x.csv", url="https://example.org/x.csv",
                       sha256=hashlib.sha256(payload).hexdigest(), bytes=len(payload))
    return Source("demo__data", "p", "t", "l", "", "g", "c", "", (entry,))


def test_a_download_logs_its_progress_and_keeps_the_servers_validators(tmp_path, monkeypatch, caplog):
    from ingestion import fetch as fetch_module

    payload = b"a,b\n1,2\n3,4\n"
    source = _source(payload)
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    monkeypatch.setattr(fetch_module, "get_source", lambda _id: source)
    monkeypatch.setattr(fetch_module, "allowed_hosts", lambda: frozenset({"example.org"}))
    monkeypatch.setattr(fetch_module, "PROGRESS_EVERY_SECONDS", 0.0)
    monkeypatch.setattr(fetch_module.requests, "get",
                        lambda *a, **k: _Response(payload, {"ETag": '"v1"', "Content-Length": "12"}))
    with caplog.at_level(logging.INFO, logger="atlas.fetch"):
        path = fetch_module.fetch("demo__data", "x.csv")
    assert path.read_bytes() == payload
    messages = [r.getMessage() for r in caplog.records if r.name == "atlas.fetch"]
    assert any("downloading https://example.org/x.csv" in m for m in messages)
    assert any(" of 12 bytes" in m for m in messages)
    assert any("downloaded 12 bytes" in m for m in messages)
    assert json.loads(fetch_module.validators_file(path).read_text()) == {"etag": '"v1"', "content-length": "12"}


def test_a_cached_copy_that_the_registry_no_longer_names_is_downloaded_again(tmp_path, monkeypatch):
    from ingestion import fetch as fetch_module

    payload = b"new version\n"
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    cached = tmp_path / "cache" / "demo__data" / "x.csv"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(b"old version\n")
    monkeypatch.setattr(fetch_module, "get_source", lambda _id: _source(payload))
    monkeypatch.setattr(fetch_module, "allowed_hosts", lambda: frozenset({"example.org"}))
    monkeypatch.setattr(fetch_module.requests, "get", lambda *a, **k: _Response(payload, {}))
    assert fetch_module.fetch("demo__data", "x.csv").read_bytes() == payload


def test_change_detection_reads_the_registry_the_mirror_and_http_validators(tmp_path, monkeypatch):
    from ingestion import fetch as fetch_module

    monkeypatch.setattr(fetch_module, "allowed_hosts", lambda: frozenset({"example.org"}))
    payload = b"a,b\n1,2\n"
    source = _source(payload)
    digest = source.files[0].sha256
    log = [{"dataset_id": "demo__data", "table_name": "demo__data", "source_files": "x.csv",
            "source_sha256": digest, "loaded_at": "2026-01-01"}]
    published = published_checksums(log)
    assert published == {("demo__data", "x.csv"): digest}
    # mirror: unchanged, then changed
    (tmp_path / "mirror" / "demo__data").mkdir(parents=True)
    (tmp_path / "mirror" / "demo__data" / "x.csv").write_bytes(payload)
    state: dict = {}
    changes, problems = detect_changes({"demo__data": source}, published, mirror=tmp_path / "mirror",
                                       cache=tmp_path / "cache", state=state)
    assert changes == [] and problems == []
    (tmp_path / "mirror" / "demo__data" / "x.csv").write_bytes(payload + b"3,4\n")
    changes, _ = detect_changes({"demo__data": source}, published, mirror=tmp_path / "mirror",
                                cache=tmp_path / "cache", state=state)
    assert [(c.dataset_id, c.signal) for c in changes] == [("demo__data", "mirror")]
    # http: the first sighting is the baseline; a new ETag is a change
    headers = iter([{"etag": '"v1"'}, {"etag": '"v1"'}, {"etag": '"v2"'}])
    state = {}
    for expected in ([], [], ["http"]):
        changes, _ = detect_changes({"demo__data": source}, published, mirror=None,
                                    cache=tmp_path / "cache", state=state, head=lambda url: next(headers))
        assert [c.signal for c in changes] == expected
    # registry: an updated sha256 is a change whatever the files say
    moved = Source("demo__data", "p", "t", "l", "", "g", "c", "",
                   (SourceFile("x.csv", "https://example.org/x.csv", "f" * 64, 1),))
    changes, _ = detect_changes({"demo__data": moved}, published, mirror=None, cache=tmp_path / "cache",
                                state={}, head=lambda url: pytest.fail("no HEAD needed"))
    assert [c.signal for c in changes] == ["registry"]
