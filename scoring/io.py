"""Read the scoring stage's inputs from either engine's warehouse, as polars (Arrow) frames.

The scoring stage does not care which engine built the marts. A source is one of:
- a DuckDB connection, or the path of a DuckDB file (the default build, warehouse/atlas.duckdb);
- a folder of Parquet files laid out by schema: <folder>/<schema>/<table>.parquet, or a folder of
  part files <folder>/<schema>/<table>/*.parquet, or Spark's own warehouse layout
  <folder>/<schema>.db/<table>/*.parquet (the Spark build exports <spark dir>/parquet/);
- a live Spark session (anything with .table(name).toArrow()), for a cluster whose storage the
  scoring process cannot list: the rows come to the driver through Arrow.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from scoring.model import METHODS
from scoring.pipeline import ScoringInputs

SERVICE_KEY = ["service_key", "fiscal_year"]
# fct_service_cost columns the scoring stage takes beside dim_service's.
COST_COLUMNS = ["total_cost", "labour_cost", "labour_cost_null_reason", "fte", "currency", "price_year"]
# fct_service_task columns the model reads (scoring.model.occupation_method_values): all are
# attributes of an occupation's task, the same for every service that employs the occupation.
OCCUPATION_TASK_COLUMNS = [
    "onet_soc_code", "task_id", "task_weight_in_occupation",
    *[m.task_column for m in METHODS if m.task_column],
]


def parquet_path(folder: Path, schema: str, table: str) -> Path | None:
    """The Parquet file or folder of schema.table under `folder`, or None if there is none."""
    for candidate in (
        folder / schema / f"{table}.parquet",
        folder / schema / table,
        folder / f"{schema}.db" / table,
    ):
        if candidate.is_file() or (candidate.is_dir() and any(candidate.glob("*.parquet"))):
            return candidate
    return None


def read_table(source: Any, schema: str, table: str) -> pl.DataFrame:
    """schema.table from a DuckDB connection or file, a Parquet folder or a Spark session."""
    if isinstance(source, duckdb.DuckDBPyConnection):
        return source.sql(f'SELECT * FROM "{schema}"."{table}"').pl()
    if hasattr(source, "table") and hasattr(source, "sql"):  # a Spark session (duck-typed)
        return pl.from_arrow(source.table(f"{schema}.{table}").toArrow())  # type: ignore[return-value]
    path = Path(source)
    if path.is_file():
        with duckdb.connect(str(path), read_only=True) as con:
            return con.sql(f'SELECT * FROM "{schema}"."{table}"').pl()
    if path.is_dir():
        found = parquet_path(path, schema, table)
        if found is None:
            raise FileNotFoundError(
                f"no Parquet for {schema}.{table} under {path} (looked for {schema}/{table}.parquet, "
                f"{schema}/{table}/*.parquet and {schema}.db/{table}/*.parquet); build it first"
            )
        return pl.read_parquet(found / "*.parquet" if found.is_dir() else found)
    raise FileNotFoundError(f"scoring source {source!r} is neither a DuckDB file nor a folder")


def read_occupation_tasks(source: Any) -> pl.DataFrame:
    """The distinct rows of marts.fct_service_task's occupation-level columns
    (OCCUPATION_TASK_COLUMNS), deduplicated where the data is: fct_service_task repeats each occupation's tasks for
    every service that employs it (27 million rows at 100x the services), while the model needs
    each (occupation, task) once. Sorted, so that the model's sums run in the same order."""
    columns = ", ".join(f'"{c}"' for c in OCCUPATION_TASK_COLUMNS)
    query = (f'SELECT DISTINCT {columns} FROM "marts"."fct_service_task" '
             f"ORDER BY onet_soc_code, task_id")
    if isinstance(source, duckdb.DuckDBPyConnection):
        return source.sql(query).pl()
    if hasattr(source, "table") and hasattr(source, "sql"):  # a Spark session (duck-typed)
        frame = source.table("marts.fct_service_task").select(*OCCUPATION_TASK_COLUMNS).distinct()
        return pl.from_arrow(frame.toArrow()).sort(["onet_soc_code", "task_id"])  # type: ignore[union-attr]
    path = Path(source)
    if path.is_file():
        with duckdb.connect(str(path), read_only=True) as con:
            return con.sql(query).pl()
    found = parquet_path(path, "marts", "fct_service_task") if path.is_dir() else None
    if found is None:
        return read_table(source, "marts", "fct_service_task")  # raises the reader's own error
    return (
        pl.scan_parquet(found / "*.parquet" if found.is_dir() else found)
        .select(OCCUPATION_TASK_COLUMNS).unique().sort(["onet_soc_code", "task_id"]).collect()
    )


def read_scoring_inputs(source: Any) -> ScoringInputs:
    """The marts and seeds the automation model reads (scoring.pipeline.score), from `source`."""
    services = read_table(source, "marts", "dim_service").join(
        read_table(source, "marts", "fct_service_cost").select(*SERVICE_KEY, *COST_COLUMNS),
        on=SERVICE_KEY,
        how="inner",
    )
    return ScoringInputs(
        services=services,
        service_occupations=read_table(source, "marts", "fct_service_occupation"),
        occupation_tasks=read_occupation_tasks(source),
        occupation_measures=read_table(source, "marts", "fct_occupation_automation_measure"),
        replication_reference=read_table(source, "seeds", "turing_replication_reference"),
    )


def read_assumptions(source: Any) -> pl.DataFrame:
    """seeds.assumptions, from which scoring.parameters.from_assumptions takes the parameters."""
    return read_table(source, "seeds", "assumptions")
