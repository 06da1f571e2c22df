"""Helpers of the scoring assets (orchestration/assets/automation.py, evidence.py): write a
`scoring.<table>` in one transaction and describe it for the Dagster UI."""


import dagster as dg
import duckdb
import polars as pl

OWNER = "team:atlas-economics"
SCHEMA = "scoring"


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Replace scoring.<name> atomically: readers see the old table or the new, never half."""
    arrow = frame.to_arrow()  # noqa: F841 - referenced by name in the SQL below
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(f'CREATE OR REPLACE TABLE {SCHEMA}."{name}" AS SELECT * FROM arrow')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def table_metadata(frame: pl.DataFrame) -> dict[str, object]:
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(n, str(t)) for n, t in frame.schema.items()]
        ),
        "preview": dg.MetadataValue.md(frame.head(10).to_pandas().to_markdown(index=False)),
    }
