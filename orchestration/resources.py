"""Resources: the DuckDB warehouse (which holds the run lock while a run executes) and the dbt CLI
(whose child process dies with the orchestrator)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import dagster as dg
import duckdb
from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version

from ingestion.settings import warehouse_path
from orchestration.dbt_project import atlas_dbt_project
from publishing.runlock import one_run_at_a_time


class OfflineDbtCliResource(DbtCliResource):
    """dagster-dbt runs `dbt --version` before every command, and dbt then asks PyPI for its
    latest release (about 3 s, and a network call). The installed dbt-core version is known from
    package metadata, so report that instead."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args: Sequence[str]) -> None:  # type: ignore[override]
        """dagster-dbt also makes a dbt adapter in this process before every dbt command (loading
        dbt's profile and project and registering the adapter: 1.2-1.4 s of every run's dbt step,
        issue 18) for two features the project does not use, `fetch_row_counts` and
        `fetch_column_metadata`: the dbt step reads its tables' metadata itself once dbt has
        exited (orchestration.assets.dbt.with_table_metadata). Without an adapter
        (DbtCliInvocation's `adapter=None`, which dagster-dbt allows) the invocation is the same."""
        return None


def dbt_executable() -> Path:
    """`atlas-dbt` (dbt that dies with its parent, installed by `pip install -e .`), else dbt."""
    guarded = Path(sys.executable).parent / "atlas-dbt"
    return guarded if guarded.exists() else Path(sys.executable).parent / "dbt"


def dbt_resource() -> OfflineDbtCliResource:
    return OfflineDbtCliResource(
        project_dir=atlas_dbt_project,
        dbt_executable=str(dbt_executable()),
        # The Dagster graph is the DuckDB build (its scoring and publish steps read DuckDB); the
        # Spark target is built by engines/spark.py, whatever ATLAS_DBT_TARGET says.
        target="duckdb",
    )


class LockedWarehouse(DuckDBResource):
    """The DuckDB warehouse; while a run executes it holds the warehouse's run lock
    (publishing/runlock.py), so a run launched from the Dagster UI or a schedule stops at its
    start, naming the running one, like `python -m orchestration run` does.

    It also keeps the database open in this process for the run, from the first step that connects
    (one idle connection). Each step's `get_connection` is then DuckDB's second connection to an
    open database, not a new open: opening reads the catalog (about 20 ms at 1x) and closing the
    last connection checkpoints the write-ahead log into the file, which the landing paid once per
    source (0.6 s of its 6 s, issue 18). DuckDB still checkpoints as the log grows, and once more
    when the run ends. dbt writes the warehouse from a process of its own: its step closes the
    idle connection first (`released`)."""

    _held: contextlib.ExitStack | None = None  # private attributes (a leading underscore), not config
    _holding: bool = False

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[LockedWarehouse]:
        with one_run_at_a_time(Path(self.database), run=context.run_id):
            self._holding = self.database != ":memory:"
            try:
                yield self
            finally:
                self._holding = False
                self._let_go()

    @contextlib.contextmanager
    def get_connection(self) -> Iterator[duckdb.DuckDBPyConnection]:
        if self._holding and self._held is None:
            held = contextlib.ExitStack()
            held.enter_context(super().get_connection())
            self._held = held
        with super().get_connection() as con:
            yield con

    def _let_go(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.close()

    @contextlib.contextmanager
    def released(self) -> Iterator[None]:
        """The warehouse closed in this process for the block (no step connection may be open):
        another process, dbt, can open it to write. Held again from the next connection after."""
        holding, self._holding = self._holding, False
        self._let_go()
        try:
            yield
        finally:
            self._holding = holding


def released(warehouse: DuckDBResource) -> contextlib.AbstractContextManager[None]:
    """`warehouse.released()` for the run's warehouse; nothing to release for a plain resource."""
    return warehouse.released() if isinstance(warehouse, LockedWarehouse) else contextlib.nullcontext()


def warehouse_resource() -> LockedWarehouse:
    return LockedWarehouse(database=str(warehouse_path()))
