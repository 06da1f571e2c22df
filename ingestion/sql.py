"""Quoting for SQL text the pipeline builds itself: names read from a catalog, a contract or a file
name, and the odd literal, are never spliced into SQL as they are. Source data never goes this way:
it reaches DuckDB as values or through Arrow.

No Dagster import here: ingestion, reporting and orchestration all quote through this module.
"""

from __future__ import annotations


def quote_identifier(name: str, quote: str = '"') -> str:
    """`name` as a quoted SQL identifier, an embedded quote doubled. The quote is `"` (DuckDB and
    standard SQL) or a backtick (Spark SQL)."""
    if quote not in ('"', "`"):
        raise ValueError(f"an identifier is quoted with \" or `, not {quote!r}")
    return quote + name.replace(quote, quote + quote) + quote


def qualified(schema: str, table: str, catalog: str | None = None, quote: str = '"') -> str:
    """[catalog.]schema.table, each part quoted."""
    parts = ([catalog] if catalog else []) + [schema, table]
    return ".".join(quote_identifier(p, quote) for p in parts)


def quote_literal(text: str) -> str:
    """`text` as a single-quoted SQL string literal, an embedded quote doubled."""
    return "'" + text.replace("'", "''") + "'"
