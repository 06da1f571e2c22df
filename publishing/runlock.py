"""One run at a time per warehouse, however the run was started.

DuckDB allows one writer, so two runs on the same warehouse would fail later on a lock message deep
in dbt's log. The lock is an advisory file lock beside the warehouse (`.<name>.run.lock`) holding
who took it; the operating system releases it when the holder exits, however it exits (kill -9
included). `python -m orchestration run` takes it before anything else; the warehouse resource takes
it when a run starts, so runs launched from the Dagster UI or a schedule are held to it too. Within
one process the lock is taken once (the CLI's run then executes under the lock it already holds).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

_HELD: set[Path] = set()


class RunInProgress(RuntimeError):
    pass


def lock_path(warehouse: Path) -> Path:
    return warehouse.parent / f".{warehouse.name}.run.lock"


@contextlib.contextmanager
def one_run_at_a_time(warehouse: Path, run: str | None = None) -> Iterator[None]:
    """Hold the run lock of `warehouse` for the duration of the block, or raise RunInProgress naming
    the holder (its pid, start time, command and Dagster run id when known)."""
    warehouse = warehouse.absolute()
    if warehouse in _HELD:
        yield
        return
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    handle = lock_path(warehouse).open("a+", encoding="utf-8")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.seek(0)
        holder = handle.read().strip() or "unknown"
        handle.close()
        raise RunInProgress(f"another run is using {warehouse}: {holder}. Wait for it to finish, or stop "
                            "it, then run again") from None
    handle.seek(0)
    handle.truncate()
    holder = {"pid": os.getpid(), "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
              "command": " ".join(sys.argv)}
    if run:
        holder["dagster_run"] = run
    handle.write(json.dumps(holder))
    handle.flush()
    _HELD.add(warehouse)
    try:
        yield
    finally:
        _HELD.discard(warehouse)
        handle.close()
