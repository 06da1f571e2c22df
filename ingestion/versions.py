"""Folders of versions named by publish id, with a pointer that names the current one: the
published warehouse (published/atlas-<publish_id>.duckdb, pointer atlas.duckdb) and the exports
(exports/<publish_id>/, pointer latest) share these mechanics.

- A publish id is `<UTC time>-<run id prefix>[-n]`, e.g. 20260101T120000Z-1a2b3c4d; nothing else
  is accepted where a publish id is expected, so no path can be smuggled in through one.
- The pointer is a relative symlink, replaced with one atomic rename: a reader opening it gets the
  old version or the new, never neither.
- Pruning keeps the `keep` newest versions, the one the pointer names and any the caller protects.

It lives in ingestion, the package with no Dagster import that every other one already builds on
(settings, contracts), so that the publish step (orchestration) and the exports (reporting) share it
without either importing the other.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path

PUBLISH_ID = re.compile(r"^\d{8}T\d{6}Z-[0-9a-z]{1,12}(?:-\d{1,3})?$")


def is_publish_id(text: str | None) -> bool:
    return bool(PUBLISH_ID.match(text or ""))


def new_publish_id(run_id: str, now: datetime, taken: Callable[[str], bool]) -> str:
    """The publish id of a version made at `now` by run `run_id`: its time and the first 8 letters
    and digits of the run id, with -2, -3, ... appended while `taken` says the id is in use."""
    suffix = re.sub(r"[^0-9a-z]", "", run_id.lower())[:8] or "manual"
    base = f"{now:%Y%m%dT%H%M%SZ}-{suffix}"
    publish_id, n = base, 1
    while taken(publish_id):
        n += 1
        publish_id = f"{base}-{n}"
    return publish_id


def fsync_dir(directory: Path) -> None:
    """Make a folder's entries (a rename, a new file) durable."""
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def swap_pointer(pointer: Path, target: str) -> None:
    """Point the symlink `pointer` at `target` (a name in the same folder) with one rename."""
    staging = pointer.with_name(f".{pointer.name}.{os.getpid()}.swap")
    staging.unlink(missing_ok=True)
    os.symlink(target, staging)
    os.replace(staging, pointer)
    fsync_dir(pointer.parent)


def read_pointer(pointer: Path, prefix: str = "", suffix: str = "") -> str | None:
    """The publish id the symlink `pointer` names (its target is prefix + id + suffix), or None
    when there is no pointer or it names something else."""
    if not pointer.is_symlink():
        return None
    target = os.readlink(pointer)
    if not (target.startswith(prefix) and target.endswith(suffix)) or len(target) <= len(prefix) + len(suffix):
        return None
    publish_id = target[len(prefix):len(target) - len(suffix)]
    return publish_id if is_publish_id(publish_id) else None


def version_folders(root: Path) -> list[Path]:
    """The sub-folders of `root` named by a publish id, oldest first."""
    return sorted((p for p in root.iterdir() if p.is_dir() and not p.is_symlink() and is_publish_id(p.name)),
                  key=lambda p: p.name)


def to_prune(publish_ids: Sequence[str], keep: int, current: str | None = None,
             protect: Iterable[str] = ()) -> list[str]:
    """Of `publish_ids` (oldest first), those to remove: all but the `keep` newest, the current one
    and the protected ones."""
    kept = set(publish_ids[-keep:]) | set(protect) | ({current} if current else set())
    return [p for p in publish_ids if p not in kept]


def remove_leftovers(directory: Path, patterns: Iterable[str]) -> None:
    """Remove what interrupted writes left behind: every file or folder matching one of `patterns`."""
    for pattern in patterns:
        for leftover in directory.glob(pattern):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover, ignore_errors=True)
            else:
                leftover.unlink(missing_ok=True)
