"""kill -9 of the orchestrator while dbt builds: the dbt child dies with it, so the warehouse's
single-writer lock is free for the next run (before, an orphaned dbt kept it until found and killed)."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import duckdb

from tests.conftest import PROJECT_ROOT


def _children(pid: int) -> list[tuple[int, list[str]]]:
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            argv = (entry / "cmdline").read_bytes().decode(errors="replace").split("\0")
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        if ppid == pid:
            found.append((int(entry.name), argv))
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def test_the_dbt_child_dies_with_a_killed_orchestrator(built_warehouse, tmp_path, mirror, record_fault):
    warehouse = tmp_path / "atlas.duckdb"
    shutil.copyfile(built_warehouse, warehouse)
    env = dict(os.environ, ATLAS_MIRROR=str(mirror), ATLAS_WAREHOUSE=str(warehouse),
               DAGSTER_HOME=str(tmp_path / "home"))
    orchestrator = subprocess.Popen(
        [sys.executable, "-m", "orchestration", "run", "--select", "key:marts/dim_service"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    try:
        dbt = None
        deadline = time.monotonic() + 180
        while dbt is None and time.monotonic() < deadline and orchestrator.poll() is None:
            for pid, argv in _children(orchestrator.pid):
                if "build" in argv and any(Path(a).name in ("dbt", "atlas-dbt") for a in argv[:2]):
                    dbt = pid
            time.sleep(0.2)
        assert dbt is not None, "the run never started dbt build"
        orchestrator.send_signal(signal.SIGKILL)
        orchestrator.wait(timeout=30)
        deadline = time.monotonic() + 30
        while _alive(dbt) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not _alive(dbt), f"dbt (pid {dbt}) outlived its orchestrator"
    finally:
        if orchestrator.poll() is None:
            orchestrator.kill()
    con = duckdb.connect(str(warehouse))  # the writer lock is free
    con.close()
    record_fault("kill -9 of the orchestrator during dbt build")
