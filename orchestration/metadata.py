"""Metadata that helps in the Dagster UI, read from a table just written: row count, column schema
(with the documented descriptions when known) and a preview of the first rows as markdown."""

from __future__ import annotations

from collections.abc import Mapping

import dagster as dg
import duckdb

from ingestion.sql import qualified

PREVIEW_ROWS = 5
PREVIEW_CELL_CHARS = 60


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    text = " ".join(text.split()).replace("|", "\\|")
    return text if len(text) <= PREVIEW_CELL_CHARS else text[: PREVIEW_CELL_CHARS - 1] + "\u2026"


def preview_markdown(con: duckdb.DuckDBPyConnection, schema: str, table: str,
                     rows: int = PREVIEW_ROWS) -> str:
    """The first rows of schema.table as a markdown table (long cells shortened)."""
    cursor = con.execute(f"SELECT * FROM {qualified(schema, table)} LIMIT {int(rows)}")
    names = [d[0] for d in cursor.description]
    lines = ["| " + " | ".join(_cell(n) for n in names) + " |",
             "| " + " | ".join("---" for _ in names) + " |"]
    lines += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in cursor.fetchall()]
    return "\n".join(lines)


def relation_metadata(
    con: duckdb.DuckDBPyConnection,
    schema: str,
    table: str,
    descriptions: Mapping[str, str] | None = None,
) -> dict[str, object]:
    """Row count, column schema and preview of schema.table (a table or a view)."""
    relation = qualified(schema, table)
    count = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
    columns = con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()
    descriptions = descriptions or {}
    return {
        "dagster/row_count": int(count),
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(str(c[0]), str(c[1]), description=descriptions.get(str(c[0])))
                     for c in columns]
        ),
        "preview": dg.MetadataValue.md(preview_markdown(con, schema, table)),
    }
