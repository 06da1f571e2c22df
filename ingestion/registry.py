"""The source registry: one YAML file per dataset in data_contracts/sources/.

Each entry gives the publisher, title, licence, grain, cadence and, for every file, its official
download URL, size and sha256. The registry is the single place that says what a valid source file
is; `fetch` refuses anything else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

from ingestion import yaml_files
from ingestion.settings import allowed_hosts_file, sources_dir


@dataclass(frozen=True)
class SourceFile:
    name: str
    url: str
    sha256: str
    bytes: int
    description: str = ""

    @property
    def host(self) -> str:
        return urlparse(self.url).hostname or ""


@dataclass(frozen=True)
class Source:
    dataset_id: str
    publisher: str
    title: str
    licence: str
    landing_page: str
    grain: str
    cadence: str
    description: str
    files: tuple[SourceFile, ...] = field(default_factory=tuple)

    def file(self, name: str) -> SourceFile:
        for entry in self.files:
            if entry.name == name:
                return entry
        known = ", ".join(f.name for f in self.files)
        raise KeyError(f"dataset {self.dataset_id} has no file {name!r} in the registry ({known})")



_REQUIRED = ("dataset_id", "publisher", "title", "licence", "grain", "cadence", "files")


def _parse(path: Path) -> Source:
    raw = yaml_files.safe_load(path.read_text(encoding="utf-8"))
    missing = [k for k in _REQUIRED if k not in raw]
    if missing:
        raise ValueError(f"source registry entry {path.name} lacks {', '.join(missing)}")
    if raw["dataset_id"] != path.stem:
        raise ValueError(f"source registry entry {path.name} names dataset {raw['dataset_id']!r}")
    files = tuple(
        SourceFile(
            name=f["name"],
            url=f["url"],
            sha256=f["sha256"].lower(),
            bytes=int(f["bytes"]),
            description=f.get("description", ""),
        )
        for f in raw["files"]
    )
    # https and an allowed host are checked when a file is fetched, so that one bad entry fails only
    # its own dataset (ingestion/fetch.py)
    return Source(
        dataset_id=raw["dataset_id"],
        publisher=raw["publisher"],
        title=raw["title"],
        licence=raw["licence"],
        landing_page=raw.get("landing_page", ""),
        grain=raw["grain"],
        cadence=raw["cadence"],
        description=raw.get("description", ""),
        files=files,
    )


def allowed_hosts(path: Path | None = None) -> frozenset[str]:
    """The hosts downloads may use (data_contracts/allowed_hosts.yml, or the file ATLAS_ALLOWED_HOSTS
    names), kept apart from the registry entries whose URLs they check."""
    return _hosts(path or allowed_hosts_file())


@lru_cache(maxsize=4)
def _hosts(path: Path) -> frozenset[str]:
    raw = yaml_files.safe_load(path.read_text(encoding="utf-8")) or {}
    hosts = raw.get("hosts") or {}
    if not isinstance(hosts, dict) or not hosts:
        raise ValueError(f"{path} lists no hosts (a mapping host: reason under 'hosts')")
    return frozenset(str(h).lower() for h in hosts)


def load_registry(directory: Path | None = None) -> dict[str, Source]:
    """Every source entry, keyed by dataset id (from ATLAS_SOURCES_DIR when set)."""
    return _load(directory or sources_dir())


@lru_cache(maxsize=4)
def _load(directory: Path) -> dict[str, Source]:
    return {p.stem: _parse(p) for p in sorted(directory.glob("*.yml"))}


def get_source(dataset_id: str) -> Source:
    registry = load_registry()
    if dataset_id not in registry:
        raise KeyError(
            f"dataset {dataset_id!r} is not in the source registry "
            f"(data_contracts/sources/); known: {', '.join(sorted(registry))}"
        )
    return registry[dataset_id]
