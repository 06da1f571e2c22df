"""The run's warehouse resource keeps the database open in its process for the run (issue 18: a
step's connection no longer opens the file and checkpoints it at its close), lets another process
write it inside `released()` (dbt), and lets go of it when the run ends."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import dagster as dg
import duckdb

from orchestration.resources import LockedWarehouse, released


def _other_process(database: Path, sql: str) -> str:
    """Run `sql` on the warehouse from another process: its first result, or the error it got."""
    code = textwrap.dedent(f"""
        import duckdb
        try:
            with duckdb.connect({str(database)!r}) as con:
                print(con.execute({sql!r}).fetchall()[0][0])
        except duckdb.Error as error:
            print("error:", error)
    """)
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                          timeout=60).stdout.strip()


def _run(database: Path, assets: list) -> dg.ExecuteInProcessResult:
    return dg.Definitions(
        assets=assets, resources={"warehouse": LockedWarehouse(database=str(database))},
        jobs=[dg.define_asset_job("j", executor_def=dg.in_process_executor)],
    ).resolve_job_def("j").execute_in_process()


def test_the_warehouse_stays_open_between_steps_and_is_let_go_at_the_end(tmp_path: Path) -> None:
    database = tmp_path / "atlas.duckdb"
    seen: dict[str, str] = {}

    @dg.asset
    def first(warehouse: LockedWarehouse) -> None:
        with warehouse.get_connection() as con:
            con.execute("CREATE TABLE t AS SELECT 41 AS x")

    @dg.asset(deps=[first])
    def second(warehouse: LockedWarehouse) -> None:
        # no connection of this step is open: the run's own keeps the file
        seen["between steps"] = _other_process(database, "SELECT x FROM t")
        with warehouse.get_connection() as con:
            con.execute("UPDATE t SET x = x + 1")

    assert _run(database, [first, second]).success
    assert seen["between steps"].startswith("error:") and "lock" in seen["between steps"]
    assert _other_process(database, "SELECT x FROM t") == "42"  # let go, every write in the file


def test_another_process_writes_the_warehouse_inside_released(tmp_path: Path) -> None:
    database = tmp_path / "atlas.duckdb"

    @dg.asset
    def landed(warehouse: LockedWarehouse) -> None:
        with warehouse.get_connection() as con:
            con.execute("CREATE TABLE raw AS SELECT 2 AS x")

    @dg.asset(deps=[landed])
    def built(warehouse: LockedWarehouse) -> int:
        with released(warehouse):  # as the dbt step does around dbt's process
            written = _other_process(database, "CREATE TABLE model AS SELECT x * 3 AS y FROM raw; "
                                               "SELECT count(*) FROM model")
        assert written == "1", written
        with warehouse.get_connection() as con:  # held again
            return con.execute("SELECT y FROM model").fetchall()[0][0]

    result = _run(database, [landed, built])
    assert result.output_for_node("built") == 6


def test_outside_a_run_nothing_is_held(tmp_path: Path) -> None:
    database = tmp_path / "atlas.duckdb"
    warehouse = LockedWarehouse(database=str(database))
    with warehouse.get_connection() as con:
        con.execute("CREATE TABLE t AS SELECT 1 AS x")
    with duckdb.connect(str(database), read_only=True) as con:  # another configuration: not open
        assert con.execute("SELECT x FROM t").fetchall() == [(1,)]
