"""Two runs on one warehouse: the second stops at once, naming the first, instead of failing later
on DuckDB's single-writer lock with the message only in dbt's log; a run launched from the Dagster
UI (or a schedule) is held to the same lock by the warehouse resource."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import dagster as dg

from orchestration.resources import LockedWarehouse
from publishing.runlock import one_run_at_a_time
from tests.conftest import PROJECT_ROOT


def test_a_second_run_on_the_same_warehouse_stops_naming_the_first(tmp_path, mirror):
    warehouse = tmp_path / "atlas.duckdb"
    env = {"PATH": "/usr/bin:/bin", "ATLAS_MIRROR": str(mirror), "ATLAS_WAREHOUSE": str(warehouse),
           "DAGSTER_HOME": str(tmp_path / "home")}
    with one_run_at_a_time(warehouse):  # the first run, still going
        second = subprocess.run([sys.executable, "-m", "orchestration", "run"], cwd=PROJECT_ROOT, env=env,
                                capture_output=True, text=True, timeout=300)
    assert second.returncode == 2
    assert f"another run is using {warehouse}" in second.stderr
    assert f'"pid": {os.getpid()}' in second.stderr
    assert not warehouse.exists()  # the second run touched nothing


def test_the_lock_is_released_when_the_run_ends(tmp_path):
    warehouse = tmp_path / "atlas.duckdb"
    with one_run_at_a_time(warehouse):
        pass
    with one_run_at_a_time(warehouse):  # taken again at once
        pass


def _job(warehouse):
    @dg.asset
    def a_table(warehouse: LockedWarehouse) -> None:
        with warehouse.get_connection() as con:
            con.execute("CREATE OR REPLACE TABLE t AS SELECT 1 AS x")

    return dg.Definitions(
        assets=[a_table], resources={"warehouse": LockedWarehouse(database=str(warehouse))},
        jobs=[dg.define_asset_job("j", executor_def=dg.in_process_executor)],
    ).resolve_job_def("j")


def test_a_dagster_run_started_while_another_process_runs_stops_naming_it(tmp_path):
    """The Dagster UI launches runs in their own process, without the command line's lock: the
    warehouse resource takes it when the run starts."""
    warehouse = tmp_path / "atlas.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(f"""
            import sys, time
            from pathlib import Path
            from publishing.runlock import one_run_at_a_time
            with one_run_at_a_time(Path({str(warehouse)!r})):
                print("held", flush=True)
                time.sleep(120)
        """)], cwd=PROJECT_ROOT, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "held"
        result = _job(warehouse).execute_in_process(raise_on_error=False)
        assert not result.success
        message = " ".join(str(getattr(e.event_specific_data, "error", "") or "") + (e.message or "")
                           for e in result.all_events)
        assert f"another run is using {warehouse}" in message, message
        assert f'"pid": {holder.pid}' in message, message
    finally:
        holder.kill()
        holder.wait()
    assert not warehouse.exists()


def test_a_dagster_run_holds_the_lock_while_it_runs_and_releases_it(tmp_path):
    database = tmp_path / "atlas.duckdb"
    seen = []

    @dg.asset
    def probe(warehouse: LockedWarehouse) -> None:
        probe_run = subprocess.run(
            [sys.executable, "-c", "from pathlib import Path; from publishing.runlock import "
             f"one_run_at_a_time as h\nwith h(Path({str(database)!r})): pass"],
            cwd=PROJECT_ROOT, capture_output=True, text=True)
        seen.append(probe_run.stderr)

    job = dg.Definitions(
        assets=[probe], resources={"warehouse": LockedWarehouse(database=str(database))},
        jobs=[dg.define_asset_job("j", executor_def=dg.in_process_executor)],
    ).resolve_job_def("j")
    assert job.execute_in_process().success
    assert "another run is using" in seen[0]
    with one_run_at_a_time(database):  # released when the run ended
        pass
