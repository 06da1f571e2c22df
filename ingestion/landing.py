"""Land one raw table in DuckDB: fetch and verify files, read, check the contract, write atomically.

The order is what protects the warehouse: nothing touches the database until the files match the
registry and the frame satisfies its contract, and the write itself is one transaction (replace the
table and append to the load log together), so a failure at any point leaves the last good table.
The part before the write (`prepare`) touches no database: a read-ahead may do it in another
thread (ingestion.read_ahead) and hand the result to `land`.

Each raw table is also written as Parquet beside the warehouse file (<warehouse dir>/parquet/raw/
<table>.parquet), the same frame, so that the Spark build of the dbt project starts from exactly the
inputs DuckDB has (docs/scale-out.md). The Parquet file is written before the transaction and renamed
into place only after the commit: it never runs ahead of the DuckDB table.
"""

from __future__ import annotations

import csv
import os
import weakref
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import polars as pl

from ingestion.contracts import CheckOutcome, evaluate, load_contract
from ingestion.errors import AtlasDataError
from ingestion.fetch import fetch, sha256_of
from ingestion.readers import FLAGS, ROW, RawTable, strip_control_characters
from ingestion.settings import DBT_PROJECT_DIR, accepted_changes
from ingestion.sql import quote_identifier

RAW_SCHEMA = "raw"
LOAD_LOG = "_load_log"


@dataclass(frozen=True)
class LandingResult:
    table: str
    dataset_id: str
    rows: int
    flagged_rows: int
    files: str
    sha256: str
    loaded_at: datetime
    flag_counts: dict[str, int]
    columns: dict[str, str]
    outcomes: tuple[CheckOutcome, ...] = ()


def read_table(table: RawTable) -> tuple[pl.DataFrame, list[tuple[str, str]]]:
    """Fetch the table's files (verified against the registry) and run its reader."""
    paths = [fetch(table.dataset_id, f) for f in table.files]
    checksums = [(f, sha256_of(p)) for f, p in zip(table.files, paths, strict=True)]
    try:
        frame = table.reader(*paths)
    except AtlasDataError:
        raise
    except Exception as exc:  # a reader bug or an unforeseen layout: still say where
        raise AtlasDataError(
            f"reader failed: {exc.__class__.__name__}: {str(exc).splitlines()[0][:300]}",
            dataset_id=table.dataset_id,
            file=", ".join(table.files),
        ) from exc
    return frame, checksums


def with_lineage(
    frame: pl.DataFrame, checksums: list[tuple[str, str]], loaded_at: datetime, run_id: str
) -> pl.DataFrame:
    if ROW not in frame.columns:
        frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    if FLAGS not in frame.columns:
        frame = frame.with_columns(pl.lit(None, dtype=pl.String).alias(FLAGS))
    return frame.with_columns(
        pl.lit(", ".join(f for f, _ in checksums)).alias("_source_file"),
        pl.lit(", ".join(s for _, s in checksums)).alias("_source_sha256"),
        pl.lit(loaded_at).cast(pl.Datetime("us", "UTC")).alias("_loaded_at"),
        pl.lit(run_id).alias("_run_id"),
    )


def flag_counts(frame: pl.DataFrame) -> dict[str, int]:
    """How many rows carry each flag (a row may carry several)."""
    flags = frame.get_column(FLAGS).drop_nulls().str.split(";").explode()
    if flags.is_empty():
        return {}
    counts = flags.value_counts()
    return {str(r[0]): int(r[1]) for r in counts.iter_rows()}


def raw_parquet_dir(con: duckdb.DuckDBPyConnection) -> Path | None:
    """<warehouse dir>/parquet/raw for the database file behind `con`; None for an in-memory
    database (nothing to sit beside)."""
    row = con.execute(
        "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchone()
    if row is None or not row[0]:
        return None
    return Path(row[0]).resolve().parent / "parquet" / RAW_SCHEMA


def _ensure_log(con: duckdb.DuckDBPyConnection) -> None:
    con.execute(f"CREATE SCHEMA IF NOT EXISTS {RAW_SCHEMA}")
    con.execute(
        f"""CREATE TABLE IF NOT EXISTS {RAW_SCHEMA}.{LOAD_LOG} (
            dataset_id VARCHAR NOT NULL, table_name VARCHAR NOT NULL, source_files VARCHAR NOT NULL,
            source_sha256 VARCHAR NOT NULL, loaded_at TIMESTAMPTZ NOT NULL, run_id VARCHAR NOT NULL,
            row_count BIGINT NOT NULL, flagged_rows BIGINT NOT NULL, flag_counts VARCHAR)"""
    )


# Connections that already have the load log, with their Parquet folder: a step lands many tables
# on one connection, and each catalog query waits its turn for Python's lock while a read-ahead's
# workers run (ingestion.read_ahead).
_READY: weakref.WeakKeyDictionary[duckdb.DuckDBPyConnection, Path | None] = weakref.WeakKeyDictionary()


def _ready_to_write(con: duckdb.DuckDBPyConnection) -> Path | None:
    """Make sure of the raw schema and the load log on `con` (once per connection) and return its
    raw Parquet folder (`raw_parquet_dir`)."""
    if con not in _READY:
        _ensure_log(con)
        _READY[con] = raw_parquet_dir(con)
    return _READY[con]


def write_table(
    con: duckdb.DuckDBPyConnection,
    table: RawTable,
    frame: pl.DataFrame,
    result: LandingResult,
    run_id: str,
) -> None:
    """Replace raw.<table> and log the load in one transaction; the table's Parquet copy beside
    the warehouse is written by polars in a thread of its own meanwhile (both polars and DuckDB let
    go of Python's lock: issue 18), and takes its name only once the transaction has committed."""
    parquet_dir = _ready_to_write(con)
    parquet_tmp = None
    if parquet_dir is not None:
        parquet_dir.mkdir(parents=True, exist_ok=True)
        parquet_tmp = parquet_dir / f".{table.name}.parquet.{os.getpid()}.tmp"
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="atlas-parquet") as pool:
        writing = pool.submit(frame.write_parquet, parquet_tmp) if parquet_tmp is not None else None
        try:
            _load_table(con, table, frame, result, run_id, writing)
        except BaseException:
            if writing is not None:
                futures_wait([writing])  # the copy is not left half written
                parquet_tmp.unlink(missing_ok=True)  # type: ignore[union-attr]
            raise
    if parquet_tmp is not None:
        os.replace(parquet_tmp, parquet_tmp.with_name(f"{table.name}.parquet"))


def _load_table(con: duckdb.DuckDBPyConnection, table: RawTable, frame: pl.DataFrame,
                result: LandingResult, run_id: str, writing: Future[None] | None) -> None:
    """write_table's transaction: the table and its load-log row, committed only once the Parquet
    copy being `writing` is complete."""
    arrow = frame.to_arrow()  # noqa: F841 - referenced by name in the SQL below
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE OR REPLACE TABLE {RAW_SCHEMA}.{quote_identifier(table.name)} AS SELECT * FROM arrow")
        con.execute(
            f"INSERT INTO {RAW_SCHEMA}.{LOAD_LOG} VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                table.dataset_id,
                table.name,
                result.files,
                result.sha256,
                result.loaded_at,
                run_id,
                result.rows,
                result.flagged_rows,
                ";".join(f"{k}={v}" for k, v in sorted(result.flag_counts.items())) or None,
            ],
        )
        if writing is not None:
            writing.result()  # the Parquet copy's error, if any, before anything is committed
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def check_change(con: duckdb.DuckDBPyConnection, table: RawTable, frame: pl.DataFrame,
                 sums: tuple[str, ...] = ()) -> None:
    """Refuse a load whose row count, or the total of a `change_sums` column of its contract,
    moves by more than the factor A044 from the table's last good load (the one in the warehouse):
    a republished file ten times longer, or a volume a million times larger, is far more often a
    fault than news. ATLAS_ACCEPT_CHANGES=<dataset_id> lets a reviewed change through."""
    if table.dataset_id in accepted_changes() or not _table_exists(con, table.name):
        return
    factor = change_factor()
    figures = [("row count", "count(*)", float(frame.height))]
    figures += [(f"total of {c}", f"sum({quote_identifier(c)})", float(frame.get_column(c).sum() or 0))
                for c in sums if c in frame.columns]
    previous = con.execute(
        f"SELECT {', '.join(f'CAST({expr} AS DOUBLE)' for _, expr, _ in figures)} "
        f"FROM {RAW_SCHEMA}.{quote_identifier(table.name)}"
    ).fetchall()[0]
    for (name, _, now), before in zip(figures, previous, strict=True):
        before = float(before or 0)
        if before > 0 and now > 0 and max(now / before, before / now) <= factor:
            continue
        if before == 0 and now == 0:
            continue
        raise AtlasDataError(
            f"{name} moved from {before:,.0f} at the last good load to {now:,.0f}, beyond the factor "
            f"{factor:g} a republished file is expected to stay within (A044)",
            dataset_id=table.dataset_id,
            file=", ".join(table.files),
            hint=(f"If the publisher really changed this much, review the file and rerun with "
                  f"ATLAS_ACCEPT_CHANGES={table.dataset_id}; otherwise restore the previous file"),
        )


def change_factor() -> float:
    """A044 from the assumption register (dbt_project/seeds/assumptions.csv)."""
    with (DBT_PROJECT_DIR / "seeds" / "assumptions.csv").open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["assumption_id"] == "A044":
                return float(row["value"])
    raise ValueError("assumptions seed lacks A044 (republish_change_factor)")


def _table_exists(con: duckdb.DuckDBPyConnection, name: str) -> bool:
    # duckdb_tables() rather than information_schema.tables: the same answer for a table, in half
    # the time (the landing asks once per table).
    return bool(con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = ? AND table_name = ?",
        [RAW_SCHEMA, name],
    ).fetchall()[0][0])


@dataclass(frozen=True)
class Prepared:
    """A table fetched, read and found to satisfy its contract, not yet written: `land`'s work
    that needs no warehouse, which `ingestion.read_ahead` does in worker threads."""

    frame: pl.DataFrame
    checksums: list[tuple[str, str]]
    change_sums: tuple[str, ...]
    outcomes: tuple[CheckOutcome, ...]
    flagged_rows: int
    flag_counts: dict[str, int]


def prepare(table: RawTable) -> Prepared:
    """Fetch and read the table's files and check its landing contract; raise AtlasDataError
    (a contract failure as the first ContractViolation, carrying every check's outcome in its
    `outcomes` attribute so that callers can report each landing check)."""
    frame, checksums = read_table(table)
    frame = strip_control_characters(frame)
    contract = load_contract(table.name)
    outcomes = tuple(evaluate(frame, contract, file=", ".join(table.files)))
    for outcome in outcomes:
        if outcome.violation is not None:
            outcome.violation.outcomes = outcomes  # type: ignore[attr-defined]
            raise outcome.violation
    flagged = (int(frame.get_column(FLAGS).is_not_null().sum()), flag_counts(frame)) \
        if FLAGS in frame.columns else (0, {})
    return Prepared(frame, checksums, contract.change_sums, outcomes, *flagged)


def land(con: duckdb.DuckDBPyConnection, table: RawTable, run_id: str = "manual",
         prepared: Prepared | None = None) -> LandingResult:
    """Fetch, read, validate and write one raw table; raise AtlasDataError with nothing written.

    `prepared` is the table's `prepare` done beforehand (by a read-ahead); without it `land`
    prepares the table itself. Either way the change check against the table's last good load and
    the write happen here, on `con`.
    """
    ready = prepared if prepared is not None else prepare(table)
    frame = ready.frame
    check_change(con, table, frame, ready.change_sums)
    loaded_at = datetime.now(UTC)
    frame = with_lineage(frame, ready.checksums, loaded_at, run_id)
    result = LandingResult(
        table=table.name,
        dataset_id=table.dataset_id,
        rows=frame.height,
        flagged_rows=ready.flagged_rows,
        files=", ".join(f for f, _ in ready.checksums),
        sha256=", ".join(s for _, s in ready.checksums),
        loaded_at=loaded_at,
        flag_counts=ready.flag_counts,
        columns={k: str(v) for k, v in frame.schema.items()},
        outcomes=ready.outcomes,
    )
    write_table(con, table, frame, result, run_id)
    return result
