"""Resources: the DuckDB warehouse (which holds the run lock while a run executes) and the dbt CLI
(whose child process dies with the orchestrator)."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

import dagster as dg
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
    start, naming the running one, like `python -m orchestration run` does."""

    @contextlib.contextmanager
    def yield_for_execution(self, context: dg.InitResourceContext) -> Iterator[LockedWarehouse]:
        with one_run_at_a_time(Path(self.database), run=context.run_id):
            yield self


def warehouse_resource() -> LockedWarehouse:
    return LockedWarehouse(database=str(warehouse_path()))
