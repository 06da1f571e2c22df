"""Resources: the DuckDB warehouse and the dbt CLI."""

from __future__ import annotations

import sys
from functools import cached_property
from importlib.metadata import version as installed_version
from pathlib import Path

from dagster_dbt import DbtCliResource
from dagster_duckdb import DuckDBResource
from packaging import version

from ingestion.settings import warehouse_path
from orchestration.dbt_project import atlas_dbt_project


class OfflineDbtCliResource(DbtCliResource):
    """dagster-dbt runs `dbt --version` before every command, and dbt then asks PyPI for its
    latest release (about 3 s, and a network call). The installed dbt-core version is known from
    package metadata, so report that instead."""

    @cached_property
    def _cli_version(self) -> version.Version:
        return version.parse(installed_version("dbt-core"))


def dbt_resource() -> OfflineDbtCliResource:
    return OfflineDbtCliResource(
        project_dir=atlas_dbt_project,
        dbt_executable=str(Path(sys.executable).parent / "dbt"),
        # The Dagster graph is the DuckDB build (its scoring and publish steps read DuckDB); the
        # Spark target is built by orchestration/spark.py, whatever ATLAS_DBT_TARGET says.
        target="duckdb",
    )


def warehouse_resource() -> DuckDBResource:
    return DuckDBResource(database=str(warehouse_path()))
