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

from scoring.pipeline import ScoringInputs

SERVICE_KEY = ["service_key", "fiscal_year"]
# fct_service_process_input columns that dim_service already has.
PROCESS_DUPLICATES = ["country_code", "is_online_application", "is_online_decision", "is_online_issuance"]


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


def read_scoring_inputs(source: Any) -> ScoringInputs:
    """The marts and seeds the automation model reads (scoring.pipeline.score), from `source`."""
    process = read_table(source, "marts", "fct_service_process_input")
    services = read_table(source, "marts", "dim_service").join(
        process.drop([c for c in PROCESS_DUPLICATES if c in process.columns]), on=SERVICE_KEY, how="inner"
    )
    return ScoringInputs(
        services=services,
        activities=read_table(source, "seeds", "activities"),
        activity_dwa=read_table(source, "seeds", "activity_dwa"),
        type_rules=read_table(source, "seeds", "service_type_activity"),
        dwa_tasks=read_table(source, "marts", "fct_dwa_task"),
        occupation_measures=read_table(source, "marts", "fct_occupation_automation_measure"),
        programme_links=read_table(source, "marts", "fct_ca_service_programme"),
        assumptions=read_table(source, "seeds", "assumptions"),
        replication_reference=read_table(source, "seeds", "turing_replication_reference"),
    )


def read_assumptions(source: Any) -> pl.DataFrame:
    """seeds.assumptions, from which scoring.parameters.from_assumptions takes the parameters."""
    return read_table(source, "seeds", "assumptions")


def read_occupation_profiles(con: duckdb.DuckDBPyConnection) -> pl.DataFrame:
    """O*NET Skills and Knowledge importance (scale IM) per occupation, one row per occupation and
    element (`skill:<id>` or `knowledge:<id>`), the profiles the redeployment similarity compares
    (A114). Read from the O*NET staging views: no mart reshapes them."""
    return con.sql(
        """SELECT o_net_soc_code AS onet_soc_code, 'skill:' || element_id AS element_id,
                  data_value, recommend_suppress
           FROM staging.stg_onet__skills WHERE scale_id = 'IM'
           UNION ALL
           SELECT o_net_soc_code, 'knowledge:' || element_id, data_value, recommend_suppress
           FROM staging.stg_onet__knowledge WHERE scale_id = 'IM'"""
    ).pl()
