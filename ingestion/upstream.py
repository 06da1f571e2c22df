"""Has a source changed since the published warehouse was built? (Used by the source sensor.)

Three signals, per registered file, against the load behind the published version (the sha256s in
`raw._load_log`):

- the registry: its sha256 differs from the published one (the entry was updated for a new version);
- the mirror (ATLAS_MIRROR set): the file's own sha256 differs from the published one (hashes are
  remembered by size and modification time, so an unchanged file is not read again);
- the server (no mirror): its HTTP validators (ETag, Last-Modified, Content-Length, from a HEAD
  request with a short timeout) differ from those of the cached download, or from the last ones
  seen.

No Dagster import here; the sensor in orchestration/schedules.py turns the changes into run requests.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import requests

from ingestion.errors import FetchError
from ingestion.fetch import check_url, sha256_of, validators_file
from ingestion.registry import Source

HEAD_TIMEOUT_SECONDS = 5.0
# A sensor tick has about a minute: stop asking servers after this long, go on next tick.
CHECK_BUDGET_SECONDS = 40.0
VALIDATORS = ("etag", "last-modified", "content-length")


@dataclass(frozen=True)
class Change:
    """One registered file whose current version differs from the published one."""

    dataset_id: str
    file: str
    signal: str  # registry | mirror | http
    detail: str
    fingerprint: str  # what was observed; a change is acted on once per fingerprint

    @property
    def file_key(self) -> str:
        return f"{self.dataset_id}/{self.file}"


def published_checksums(load_log: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], str]:
    """(dataset_id, file) -> sha256 of the latest load of each raw table in `raw._load_log` rows
    (source_files and source_sha256 are comma-separated lists in the same order)."""
    latest: dict[str, Mapping[str, Any]] = {}
    for row in load_log:
        table = str(row["table_name"])
        if table not in latest or str(row["loaded_at"]) > str(latest[table]["loaded_at"]):
            latest[table] = row
    out: dict[tuple[str, str], str] = {}
    for row in latest.values():
        files = [f.strip() for f in str(row["source_files"]).split(",")]
        hashes = [h.strip() for h in str(row["source_sha256"]).split(",")]
        for file, digest in zip(files, hashes, strict=False):
            out[(str(row["dataset_id"]), file)] = digest
    return out


def mirror_sha256(path: Path, memo: dict[str, list[Any]]) -> str:
    """sha256 of a mirror file, reusing `memo[path] = [size, mtime_ns, sha256]` when the file's
    size and modification time are unchanged (memo is updated in place)."""
    stat = path.stat()
    known = memo.get(str(path))
    if known and known[0] == stat.st_size and known[1] == stat.st_mtime_ns:
        return str(known[2])
    digest = sha256_of(path)
    memo[str(path)] = [stat.st_size, stat.st_mtime_ns, digest]
    return digest


def http_validators(url: str, timeout: float = HEAD_TIMEOUT_SECONDS) -> dict[str, str]:
    """The server's current validators for `url` (HEAD, redirects followed)."""
    response = requests.head(url, allow_redirects=True, timeout=(timeout, timeout))
    response.raise_for_status()
    return {k: response.headers[k] for k in VALIDATORS if k in response.headers}


def _fingerprint(validators: Mapping[str, str]) -> str:
    return json.dumps(dict(sorted(validators.items())), sort_keys=True)


def detect_changes(
    registry: Mapping[str, Source],
    published: Mapping[tuple[str, str], str],
    *,
    mirror: Path | None,
    cache: Path,
    state: dict[str, Any],
    head=http_validators,
    budget_seconds: float = CHECK_BUDGET_SECONDS,
    files_in_use: set[tuple[str, str]] | None = None,
) -> tuple[list[Change], list[str]]:
    """Changes against the published checksums, and problems (unreadable files, unreachable
    servers) that did not stop the others being checked. `state` (the sensor's cursor) keeps the
    mirror hash memo and the last validators seen, and is updated in place. `files_in_use`, if
    given, limits the check to the (dataset_id, file) that raw tables read (a registry may list
    documentation files no table loads)."""
    memo: dict[str, list[Any]] = state.setdefault("mirror_sha256", {})
    seen: dict[str, str] = state.setdefault("http_validators", {})
    changes: list[Change] = []
    problems: list[str] = []
    deadline = time.monotonic() + budget_seconds
    for dataset_id, source in sorted(registry.items()):
        for entry in source.files:
            key = (dataset_id, entry.name)
            if files_in_use is not None and key not in files_in_use:
                continue
            was = published.get(key)
            if was is None:
                changes.append(Change(dataset_id, entry.name, "registry",
                                      "registered but not in the published warehouse",
                                      f"new:{entry.sha256}"))
                continue
            if entry.sha256 != was:
                changes.append(Change(dataset_id, entry.name, "registry",
                                      f"the registry names sha256 {entry.sha256[:12]}, the published "
                                      f"version was built from {was[:12]}", f"registry:{entry.sha256}"))
                continue
            if mirror is not None:
                path = mirror / dataset_id / entry.name
                try:
                    digest = mirror_sha256(path, memo)
                except OSError as error:
                    problems.append(f"{dataset_id}/{entry.name}: cannot read {path}: {error}")
                    continue
                if digest != was:
                    changes.append(Change(dataset_id, entry.name, "mirror",
                                          f"the mirror file's sha256 is {digest[:12]}, the published "
                                          f"version was built from {was[:12]}", f"mirror:{digest}"))
                continue
            if time.monotonic() > deadline:
                problems.append(f"{dataset_id}/{entry.name}: not checked this time (time budget spent)")
                continue
            try:
                check_url(dataset_id, entry)
            except FetchError as error:
                problems.append(f"{dataset_id}/{entry.name}: {error}")
                continue
            try:
                now = head(entry.url)
            except (requests.RequestException, OSError) as error:
                problems.append(f"{dataset_id}/{entry.name}: HEAD {entry.url} failed: "
                                f"{error.__class__.__name__}")
                continue
            file_key = f"{dataset_id}/{entry.name}"
            baseline = _downloaded_validators(cache / dataset_id / entry.name) or seen.get(file_key)
            seen[file_key] = _fingerprint(now)
            if baseline is None:
                continue  # first sighting: remember, nothing to compare with yet
            before = json.loads(baseline) if isinstance(baseline, str) else baseline
            differing = sorted(k for k in VALIDATORS if k in now and k in before and now[k] != before[k])
            if differing:
                changes.append(Change(dataset_id, entry.name, "http",
                                      "the server's " + ", ".join(f"{k} changed ({before[k]} -> {now[k]})"
                                                                 for k in differing),
                                      f"http:{_fingerprint(now)}"))
    return changes, problems


def _downloaded_validators(cached: Path) -> str | None:
    path = validators_file(cached)
    if not path.is_file():
        return None
    try:
        return _fingerprint(json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError):
        return None

