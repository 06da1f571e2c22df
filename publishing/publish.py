"""Publish the build warehouse as a complete, read-only, versioned DuckDB file; list and roll back.

The pipeline writes the *build* warehouse (ATLAS_WAREHOUSE). Readers never open it: it is locked
while a run writes, and half-built while a run is under way. Publishing copies the published schemas
into a new file `published/atlas-<publish_id>.duckdb` (in a storage format DuckDB 1.x can read;
starting from a checked copy of the previous version's file, whose unchanged tables it keeps),
makes it read-only, writes its manifest `atlas-<publish_id>.json`, and only then swaps the pointer
`published/atlas.duckdb` (a relative symlink, replaced with one atomic rename), so that a reader
opening the pointer always gets one complete version. The last KEEP_VERSIONS versions stay on disk
for `rollback`.

No Dagster import here: the asset in orchestration/assets/publish.py is a thin wrapper.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import logging
import os
import re
import stat
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb

from ingestion.fetch import sha256_of as sha256_file
from ingestion.settings import publish_keep, published_dir, warehouse_path
from ingestion.sql import qualified, quote_identifier, quote_literal
from ingestion.versions import (
    fsync_dir,
    is_publish_id,
    read_pointer,
    remove_leftovers,
    swap_pointer,
    to_prune,
)
from ingestion.versions import new_publish_id as _new_publish_id

logger = logging.getLogger("atlas.publish")

# Schemas copied whole (tables and views, materialised as tables) into the published file.
PUBLISHED_SCHEMAS: tuple[str, ...] = ("marts", "scoring", "seeds")
# Lineage: the load behind each raw table (latest load per table), so that every published figure
# traces back to a source file checksum.
LOAD_LOG = ("raw", "_load_log")
# Inside the published file: which version it is, and what each table holds.
META_SCHEMA = "meta"
# Columns that differ between two runs on the same inputs; left out of the content hash.
VOLATILE_COLUMNS = frozenset({"_loaded_at", "_run_id", "loaded_at", "run_id"})
# Floating-point columns enter the content hash to this many significant digits: parallel sums
# (DuckDB, polars) may differ in the last bit from run to run, which is not a change of contents.
FLOAT_SIGNIFICANT_DIGITS = 9
# ... after a first rounding to this many: a value computed from decimal data often sits exactly on a
# 9-digit rounding boundary (3.502671025), where last-bit noise alone would decide the 9th digit
# (3.5026710249999997 against 3.502671025); both noisy variants round to the same 12 digits first.
FLOAT_GUARD_DIGITS = 12
FLOAT_TYPES = frozenset({"DOUBLE", "FLOAT", "REAL"})
# How the rows enter the content hash: the sum of DuckDB's 64-bit hash() of each row (issue 18;
# before, an md5 of the rows' md5s sorted, which needed a sort of every table).
CONTENT_HASH_SCHEME = "rows: sum of duckdb hash()"
# Readable by every DuckDB from 1.0 on (DuckDB 2.x files are not readable by 1.x).
STORAGE_VERSION = "v1.0.0"
POINTER = "atlas.duckdb"
_SAFE_NAME = re.compile(r"^[A-Za-z0-9_]+$")


class PublishError(Exception):
    """Publishing or rolling back could not be done; the published pointer is unchanged."""


# --- what to publish ---------------------------------------------------------------------------


def tables_to_publish(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every table and view in the published schemas, sorted, plus the load log
    when it exists."""
    placeholders = ", ".join("?" for _ in PUBLISHED_SCHEMAS)
    rows = con.execute(
        f"""SELECT table_schema, table_name FROM information_schema.tables
            WHERE table_catalog = current_database() AND table_schema IN ({placeholders})
            ORDER BY 1, 2""",
        list(PUBLISHED_SCHEMAS),
    ).fetchall()
    found = [(str(s), str(t)) for s, t in rows]
    if table_exists(con, *LOAD_LOG):
        found.append(LOAD_LOG)
    return found


def table_exists(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> bool:
    return bool(
        con.execute(
            """SELECT count(*) FROM information_schema.tables
               WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?""",
            [schema, table],
        ).fetchone()[0]
    )


def _source_query(schema: str, table: str, catalog: str) -> str:
    """The SELECT that gives a published table's rows from the build warehouse."""
    source = qualified(schema, table, catalog)
    if (schema, table) == LOAD_LOG:
        # The load behind each raw table that is still in the warehouse.
        return f"""SELECT * FROM {source}
                   WHERE table_name IN (SELECT table_name FROM information_schema.tables
                                        WHERE table_catalog = {quote_literal(catalog)}
                                          AND table_schema = 'raw')
                   QUALIFY row_number() OVER (PARTITION BY table_name ORDER BY loaded_at DESC) = 1"""
    return f"SELECT * FROM {source}"


# --- content hashes ----------------------------------------------------------------------------


def table_columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[tuple[str, str]]:
    """(name, type) of every column of a relation (a quoted, qualified name)."""
    return [(str(r[0]), str(r[1])) for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def hashed_columns(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[list[tuple[str, str]], str]:
    """The columns a content hash covers (all but VOLATILE_COLUMNS) and their JSON header."""
    columns = [(n, t) for n, t in table_columns(con, relation) if n not in VOLATILE_COLUMNS]
    return columns, json.dumps(columns)


def rounded_text(expression: str) -> str:
    """SQL for a floating-point value as the text the content hash reads: rounded to
    FLOAT_SIGNIFICANT_DIGITS, through FLOAT_GUARD_DIGITS first, so that a value a parallel sum left
    on a rounding boundary rounds the same way every run. -0.0 and 0.0 are the same number: both
    give 0."""
    return (f"printf('%.{FLOAT_SIGNIFICANT_DIGITS}g', CASE WHEN {expression} = 0 THEN 0.0 ELSE "
            f"CAST(printf('%.{FLOAT_GUARD_DIGITS}g', {expression}) AS DOUBLE) END)")


def rounded_select(columns: list[tuple[str, str]]) -> str:
    """The select list of a content hash, each floating-point value rounded in its row (the path
    that content_hash_query replaced; kept as its reference: tests/unit/test_content_hash.py)."""
    return ", ".join(
        f"{rounded_text(quote_identifier(n))} AS {quote_identifier(n)}" if t in FLOAT_TYPES else quote_identifier(n)
        for n, t in columns
    )


def content_hash_query(relation: str, columns: list[tuple[str, str]]) -> str:
    """SELECT count(*), sum of the row hashes, with the floating-point columns as rounded text.

    Each distinct value of a floating-point column is rounded once and joined back to its rows
    (printing a double twice is the costly part, and published columns hold few distinct values:
    27 million task rows at 100x hold 65 at most). The rows hashed are the same, column for column
    and in name and type, as with every value rounded in its row (rounded_select), so the sum is
    the same."""
    ctes, joins, select = [], [], []
    for i, (name, kind) in enumerate(columns):
        column = quote_identifier(name)
        if kind in FLOAT_TYPES:
            ctes.append(f"_rounded_{i} AS (SELECT _value, {rounded_text('_value')} AS _text "
                        f"FROM (SELECT DISTINCT {column} AS _value FROM {relation}))")
            joins.append(f"LEFT JOIN _rounded_{i} ON _row.{column} IS NOT DISTINCT FROM _rounded_{i}._value")
            select.append(f"_rounded_{i}._text AS {column}")
        else:
            select.append(f"_row.{column}")
    with_clause = f"WITH {', '.join(ctes)} " if ctes else ""
    # hash() of the subquery's alias is the hash of its row; an alias no published column has
    # (a column named like it would be hashed instead of the row)
    return (f"{with_clause}SELECT count(*), coalesce(sum(hash(_hashed_row)), 0) FROM "
            f"(SELECT {', '.join(select)} FROM {relation} AS _row {' '.join(joins)}) AS _hashed_row")


def content_hash(con: duckdb.DuckDBPyConnection, relation: str) -> tuple[int, str]:
    """Row count and a sha256 of a table's columns and rows, in any order, leaving out columns
    that change from run to run (VOLATILE_COLUMNS) and floating-point noise below
    FLOAT_SIGNIFICANT_DIGITS: two runs on the same inputs hash the same.

    Each row (its columns, floating-point ones as rounded text) gets DuckDB's 64-bit hash(), and
    the table's digest covers the column header, the row count and the exact sum of the row
    hashes: a sum does not depend on the order of the rows, so nothing is sorted and the table is
    read once, and a duplicated row counts each time it appears (an xor would cancel it). The
    digest depends on DuckDB's hash function: a DuckDB release that changes it changes every
    digest once (docs/operations.md)."""
    columns, header = hashed_columns(con, relation)
    if not columns:
        count = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        return int(count), hashlib.sha256(f"{header}\n{count}".encode()).hexdigest()
    count, rows_sum = con.execute(content_hash_query(relation, columns)).fetchone()
    return int(count), hashlib.sha256(f"{CONTENT_HASH_SCHEME}\n{header}\n{count}\n{rows_sum}".encode()).hexdigest()


# The alias under which a table's whole row is hashed (exact_digest); a table with a column of this
# name gets no exact digest (hash() of the alias would hash that column, not the row).
_ROW_ALIAS = "_atlas_exact_row"


def exact_digest(con: duckdb.DuckDBPyConnection, relation: str) -> str | None:
    """sha256 of a table's exact contents, in any row order: its columns (names and types), its
    row count and the sum of DuckDB's 64-bit hash() of each whole row, every value as stored.

    Unlike content_hash it rounds nothing and leaves no column out (run ids and load times
    included), and it is cheap (no value is printed: about 0.04 s for 2.7 million rows): two tables
    with the same digest hold the same rows, value for value (DuckDB's hash takes -0.0 and 0.0 as
    the same number, as content_hash does), so they have the same content hash and export to the
    same files but for row order. None for a table with a column named like the row's alias."""
    columns = table_columns(con, relation)
    if any(name == _ROW_ALIAS for name, _type in columns):
        return None
    count, total = con.execute(
        f"SELECT count(*), coalesce(sum(hash({_ROW_ALIAS})), 0) FROM {relation} AS {_ROW_ALIAS}"
    ).fetchone()
    return hashlib.sha256(f"exact rows: sum of duckdb hash()\n{json.dumps(columns)}\n{count}\n{total}".encode()).hexdigest()


def content_hash_version() -> str:
    """What a content hash depends on besides the table: its scheme, its rounding, the columns it
    leaves out and DuckDB's hash function (its version). A content hash recorded under the same
    version is the hash of the same exact contents today."""
    return (f"{CONTENT_HASH_SCHEME}; {FLOAT_SIGNIFICANT_DIGITS} digits after {FLOAT_GUARD_DIGITS}; "
            f"without {sorted(VOLATILE_COLUMNS)}; duckdb {duckdb.__version__}")


def known_content_hash(previous: dict[str, Any] | None, name: str, exact: str | None) -> tuple[int, str] | None:
    """The rows and content hash the previous version's manifest records for table `name`, when
    it records the same exact digest under the same content_hash_version (publishing by
    difference: the unchanged tables of a run are not hashed again); otherwise None."""
    if previous is None or exact is None or previous.get("content_hash_version") != content_hash_version():
        return None
    before = previous.get("tables", {}).get(name)
    if not isinstance(before, dict) or before.get("exact_sha256") != exact:
        return None
    return int(before["rows"]), str(before["content_sha256"])


def orphan_service_keys(con: duckdb.DuckDBPyConnection, catalog: str | None = None) -> list[str]:
    """Cross-table integrity of a candidate warehouse: every published table keyed by service and
    fiscal year holds only services of marts.dim_service. One line per table that does not, with
    the count and an example; empty when all agree (or when there is no dim_service yet)."""
    if not table_exists(con, "marts", "dim_service"):
        return []
    tables = con.execute(
        """SELECT table_schema, table_name FROM information_schema.columns
           WHERE table_catalog = current_database() AND table_schema IN ('marts', 'scoring')
             AND column_name IN ('service_key', 'fiscal_year')
           GROUP BY table_schema, table_name HAVING count(*) = 2 ORDER BY 1, 2"""
    ).fetchall()
    problems = []
    for schema, table in tables:
        if (schema, table) == ("marts", "dim_service"):
            continue
        relation = qualified(schema, table, catalog)
        orphans, example = con.execute(
            f"""SELECT count(*), any_value(t.service_key || ' ' || t.fiscal_year)
                FROM {relation} AS t
                LEFT JOIN {qualified("marts", "dim_service", catalog)} AS d
                  ON d.service_key = t.service_key AND d.fiscal_year = t.fiscal_year
                WHERE t.service_key IS NOT NULL AND d.service_key IS NULL"""
        ).fetchall()[0]
        if orphans:
            problems.append(f"{schema}.{table}: {orphans} rows for services not in marts.dim_service (e.g. {example})")
    return problems


# --- versions on disk --------------------------------------------------------------------------


@dataclass(frozen=True)
class Version:
    publish_id: str
    database: Path
    manifest_path: Path
    manifest: dict[str, Any]
    current: bool


def validate_publish_id(publish_id: str) -> str:
    """Refuse anything that is not a publish id (so that no path can be smuggled in)."""
    if not is_publish_id(publish_id):
        raise PublishError(
            f"{publish_id!r} is not a publish id (like 20260101T120000Z-1a2b3c4d); "
            "see `python -m orchestration published`"
        )
    return publish_id


def database_file(directory: Path, publish_id: str) -> Path:
    return directory / f"atlas-{validate_publish_id(publish_id)}.duckdb"


def manifest_file(directory: Path, publish_id: str) -> Path:
    return directory / f"atlas-{validate_publish_id(publish_id)}.json"


def current_publish_id(directory: Path | None = None) -> str | None:
    """The version the pointer names, or None before the first publish."""
    directory = directory or published_dir()
    return read_pointer(directory / POINTER, prefix="atlas-", suffix=".duckdb")


def read_manifest(directory: Path, publish_id: str) -> dict[str, Any]:
    path = manifest_file(directory, publish_id)
    if not path.is_file():
        raise PublishError(f"no published version {publish_id} (missing {path})")
    return json.loads(path.read_text(encoding="utf-8"))


def _readable_manifest(directory: Path, publish_id: str) -> dict[str, Any] | None:
    """The current version's manifest, or None (with a warning) when it is missing or corrupt: a
    lost manifest must not block every later publish. The new version is then compared with
    nothing (identical_to_previous null), and the warning names the file."""
    try:
        return read_manifest(directory, publish_id)
    except (PublishError, OSError, ValueError) as error:
        logger.warning(
            "the manifest of the current published version %s cannot be read (%s); publishing "
            "without comparing with it. `python -m orchestration rollback <id>` can point readers "
            "at a version whose manifest is intact", publish_id, error,
        )
        return None


def list_versions(directory: Path | None = None) -> list[Version]:
    """Every complete published version (database and manifest present), oldest first."""
    directory = directory or published_dir()
    if not directory.is_dir():
        return []
    current = current_publish_id(directory)
    versions = []
    for path in directory.glob("atlas-*.json"):
        publish_id = path.stem.removeprefix("atlas-")
        if not is_publish_id(publish_id):
            continue
        database = directory / f"atlas-{publish_id}.duckdb"
        if not database.is_file():
            continue
        try:
            manifest = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            logger.warning("skipping published version %s: its manifest %s cannot be read (%s)",
                           publish_id, path, error)
            continue
        versions.append(Version(publish_id, database, path, manifest, publish_id == current))
    return sorted(versions, key=lambda v: (v.manifest.get("published_at", ""), v.publish_id))


@contextlib.contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """One publish or rollback at a time in a published folder."""
    directory.mkdir(parents=True, exist_ok=True)
    with (directory / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _swap_pointer(directory: Path, publish_id: str) -> None:
    """Point atlas.duckdb at a version with one rename: readers see the old or the new, never
    neither."""
    swap_pointer(directory / POINTER, database_file(directory, publish_id).name)


def _write_readonly_json(path: Path, payload: dict[str, Any]) -> None:
    staging = path.with_name(f".{path.name}.part")
    staging.unlink(missing_ok=True)
    staging.write_text(json.dumps(payload, indent=2, sort_keys=False, default=str) + "\n",
                       encoding="utf-8")
    os.chmod(staging, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
    os.replace(staging, path)


def _history(directory: Path, action: str, publish_id: str, previous: str | None) -> None:
    line = {"at": datetime.now(UTC).isoformat(), "action": action, "publish_id": publish_id,
            "previous": previous}
    with (directory / "history.jsonl").open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(line) + "\n")


def prune(directory: Path, keep: int) -> list[str]:
    """Delete all but the `keep` newest versions (never the current one), and leftovers of
    interrupted publishes. Returns the publish ids removed."""
    versions = list_versions(directory)
    current = current_publish_id(directory)
    removed = to_prune([v.publish_id for v in versions], keep, current)
    for version in versions:
        if version.publish_id in removed:
            version.database.unlink(missing_ok=True)
            version.manifest_path.unlink(missing_ok=True)
    complete = {v.publish_id for v in versions}
    for leftover in directory.glob("atlas-*.duckdb"):
        publish_id = leftover.stem.removeprefix("atlas-")
        if publish_id not in complete and publish_id != current:
            leftover.unlink(missing_ok=True)  # written, but its manifest never was
    remove_leftovers(directory, (".*.part", ".*.part.wal", ".*.swap"))
    return removed


# --- publish -----------------------------------------------------------------------------------


def new_publish_id(run_id: str, directory: Path, now: datetime) -> str:
    return _new_publish_id(run_id, now, lambda publish_id: database_file(directory, publish_id).exists()
                           or manifest_file(directory, publish_id).exists())


def _rows_as_dicts(con: duckdb.DuckDBPyConnection, query: str) -> list[dict[str, Any]]:
    cursor = con.execute(query)
    names = [d[0] for d in cursor.description]
    return [
        {n: (v.isoformat() if isinstance(v, datetime) else v) for n, v in zip(names, row, strict=True)}
        for row in cursor.fetchall()
    ]


def publish(
    con: duckdb.DuckDBPyConnection,
    *,
    run_id: str,
    directory: Path | None = None,
    keep: int | None = None,
    build_path: Path | None = None,
) -> dict[str, Any]:
    """Copy the published schemas of the build warehouse open on `con` into a new read-only
    version, write its manifest, swap the pointer to it and prune old versions.

    Returns the manifest. On any error the new file is removed and the pointer is untouched.
    """
    directory = directory or published_dir()
    keep = keep if keep is not None else publish_keep()
    with _locked(directory):
        previous_id = current_publish_id(directory)
        previous = _readable_manifest(directory, previous_id) if previous_id else None
        now = datetime.now(UTC)
        publish_id = new_publish_id(run_id, directory, now)
        final = database_file(directory, publish_id)
        staging = directory / f".{final.name}.part"
        staging.unlink(missing_ok=True)
        alias = "atlas_publish"
        reused: list[str] = []
        catalog = con.execute("SELECT current_database()").fetchone()[0]
        tables = tables_to_publish(con)
        for schema, table in tables:
            if not (_SAFE_NAME.match(schema) and _SAFE_NAME.match(table)):
                raise PublishError(f"refusing to publish {schema}.{table}: unexpected characters")
        try:
            carried = _carry_over(directory, previous_id, previous, staging)
            con.execute(f"ATTACH {quote_literal(str(staging))} AS {alias} (STORAGE_VERSION {quote_literal(STORAGE_VERSION)})")
        except BaseException:
            staging.unlink(missing_ok=True)
            raise
        try:
            summary: dict[str, dict[str, Any]] = {}
            kept = _clear_for(con, alias, tables) if carried else set()
            for schema in sorted({s for s, _ in tables} | {META_SCHEMA}):
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {quote_identifier(alias)}.{quote_identifier(schema)}")
            for schema, table in tables:
                target = qualified(schema, table, alias)
                exact = exact_digest(con, target) if (schema, table) in kept else None
                if exact is None or exact != exact_digest(con, qualified(schema, table, catalog)):
                    con.execute(f"DROP TABLE IF EXISTS {target}")
                    con.execute(f"CREATE TABLE {target} AS {_source_query(schema, table, catalog)}")
                    exact = exact_digest(con, target)
                else:
                    reused.append(f"{schema}.{table}")
                known = known_content_hash(previous, f"{schema}.{table}", exact)
                rows, digest = known if known is not None else content_hash(con, target)
                summary[f"{schema}.{table}"] = {
                    "rows": rows,
                    "content_sha256": digest,
                    "exact_sha256": exact,
                    "columns": [{"name": n, "type": t} for n, t in table_columns(con, target)],
                }
            sources = (
                _rows_as_dicts(
                    con,
                    f"""SELECT dataset_id, table_name, source_files, source_sha256, loaded_at,
                               run_id, row_count, flagged_rows
                        FROM {qualified(*LOAD_LOG, alias)} ORDER BY dataset_id, table_name""",
                )
                if LOAD_LOG in tables
                else []
            )
            parameters = (
                _rows_as_dicts(con, f"SELECT * FROM {qualified('seeds', 'assumptions', alias)} ORDER BY 1")
                if ("seeds", "assumptions") in tables
                else []
            )
            meta_publication = qualified(META_SCHEMA, "publication", alias)
            con.execute(
                f"""CREATE TABLE {meta_publication} AS SELECT
                    ?::VARCHAR AS publish_id, ?::VARCHAR AS run_id, ?::TIMESTAMPTZ AS published_at,
                    ?::VARCHAR AS built_with_duckdb, ?::VARCHAR AS storage_version""",
                [publish_id, run_id, now, duckdb.__version__, STORAGE_VERSION],
            )
            meta_tables = qualified(META_SCHEMA, "published_tables", alias)
            con.execute(
                f"""CREATE TABLE {meta_tables} (table_schema VARCHAR, table_name VARCHAR,
                    row_count BIGINT, content_sha256 VARCHAR)"""
            )
            con.executemany(
                f"INSERT INTO {meta_tables} VALUES (?, ?, ?, ?)",
                [[*name.split(".", 1), s["rows"], s["content_sha256"]] for name, s in summary.items()],
            )
            con.execute(f"CHECKPOINT {quote_identifier(alias)}")
        except BaseException:
            with contextlib.suppress(Exception):
                con.execute(f"DETACH {quote_identifier(alias)}")
            staging.unlink(missing_ok=True)
            Path(f"{staging}.wal").unlink(missing_ok=True)
            raise
        con.execute(f"DETACH {quote_identifier(alias)}")
        with staging.open("rb") as handle:
            os.fsync(handle.fileno())
        os.chmod(staging, stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH)
        os.replace(staging, final)

        changed = _changed_tables(previous, summary)
        manifest: dict[str, Any] = {
            "publish_id": publish_id,
            "run_id": run_id,
            "published_at": now.isoformat(),
            "database": final.name,
            "database_sha256": sha256_file(final),
            "database_bytes": final.stat().st_size,
            "storage_version": STORAGE_VERSION,
            "built_with_duckdb": duckdb.__version__,
            "content_hash_version": content_hash_version(),
            "build_warehouse": str(build_path or warehouse_path()),
            "previous_publish_id": previous_id,
            "identical_to_previous": (not changed) if previous is not None else None,
            "changed_tables": changed,
            "carried_over_from": previous_id if reused else None,
            "carried_over_tables": reused,
            "tables": summary,
            "sources": sources,
            "parameters": parameters,
        }
        _write_readonly_json(manifest_file(directory, publish_id), manifest)
        fsync_dir(directory)
        _swap_pointer(directory, publish_id)
        _history(directory, "publish", publish_id, previous_id)
        manifest["pruned"] = prune(directory, keep)
        return manifest


def _carry_over(directory: Path, previous_id: str | None, previous: dict[str, Any] | None, staging: Path) -> bool:
    """Start the new version's file as a copy of the previous version's, when there is one in this
    storage format: a table whose exact contents did not change is then kept rather than copied
    again (publishing by difference, issue 18). The copy must be byte for byte the file the
    previous manifest records (its sha256, taken while copying). True when `staging` is that copy;
    False (and nothing left written) when there is none to start from, it cannot be read, or it is
    not the recorded file: every table is then copied from the build, as in a first publish."""
    if previous is None or previous_id is None or previous.get("storage_version") != STORAGE_VERSION:
        return False
    source = database_file(directory, previous_id)
    digest = hashlib.sha256()
    try:  # a new file (writable, whatever the source's mode), checked as it is copied
        with source.open("rb") as reader, staging.open("wb") as writer:
            while chunk := reader.read(1 << 22):
                digest.update(chunk)
                writer.write(chunk)
    except OSError as error:
        logger.warning("publishing every table afresh: cannot copy the previous version %s (%s)", source, error)
        staging.unlink(missing_ok=True)
        return False
    if digest.hexdigest() != previous.get("database_sha256"):
        logger.warning("publishing every table afresh: the previous version %s is not the file its manifest "
                       "records (sha256 %s, recorded %s)", source, digest.hexdigest(), previous.get("database_sha256"))
        staging.unlink(missing_ok=True)
        return False
    return True


def _clear_for(con: duckdb.DuckDBPyConnection, alias: str, tables: Sequence[tuple[str, str]]) -> set[tuple[str, str]]:
    """In the copy of the previous version attached as `alias`: drop its tables that are not to be
    published now, the meta tables (written anew) and the load log (its rows are chosen anew), and
    the schemas left empty; return the (schema, table) pairs left, which publish keeps where their
    exact digest is the build's (compared in the copy itself, so the kept rows are the rows checked)."""
    wanted = set(tables)
    present = con.execute(
        "SELECT table_schema, table_name, table_type FROM information_schema.tables WHERE table_catalog = ?",
        [alias],
    ).fetchall()
    left: set[tuple[str, str]] = set()
    for schema, table, kind in present:
        key = (str(schema), str(table))
        if kind != "BASE TABLE" or key not in wanted or key == LOAD_LOG or schema == META_SCHEMA:
            what = "VIEW" if kind == "VIEW" else "TABLE"
            con.execute(f"DROP {what} {qualified(key[0], key[1], alias)}")
        else:
            left.add(key)
    needed = {s for s, _ in tables} | {META_SCHEMA}
    for (schema,) in con.execute(
        "SELECT schema_name FROM information_schema.schemata WHERE catalog_name = ? AND schema_name NOT IN "
        "('main', 'information_schema', 'pg_catalog')", [alias]
    ).fetchall():
        if schema not in needed:
            con.execute(f"DROP SCHEMA {quote_identifier(alias)}.{quote_identifier(schema)} CASCADE")
    return left


def _changed_tables(previous: dict[str, Any] | None, summary: dict[str, dict[str, Any]]) -> list[str]:
    """Tables added, removed or with different contents since the previous version."""
    if previous is None:
        return sorted(summary)
    before = {name: t.get("content_sha256") for name, t in previous.get("tables", {}).items()}
    after = {name: t["content_sha256"] for name, t in summary.items()}
    return sorted(n for n in before.keys() | after.keys() if before.get(n) != after.get(n))


# --- rollback ----------------------------------------------------------------------------------


def rollback(publish_id: str, directory: Path | None = None) -> dict[str, Any]:
    """Point atlas.duckdb back at an earlier version, after checking its file against its
    manifest's sha256. Returns that version's manifest."""
    directory = directory or published_dir()
    validate_publish_id(publish_id)
    with _locked(directory):
        manifest = read_manifest(directory, publish_id)
        database = database_file(directory, publish_id)
        if not database.is_file():
            raise PublishError(f"version {publish_id} has a manifest but no database file {database}")
        actual = sha256_file(database)
        if actual != manifest.get("database_sha256"):
            raise PublishError(
                f"version {publish_id} does not match its manifest (sha256 {actual}, manifest says "
                f"{manifest.get('database_sha256')}); refusing to publish a changed file"
            )
        previous_id = current_publish_id(directory)
        _swap_pointer(directory, publish_id)
        _history(directory, "rollback", publish_id, previous_id)
        return manifest


def describe_versions(versions: Sequence[Version]) -> list[str]:
    """One line per version, newest first, for the CLI."""
    lines = []
    for v in reversed(versions):
        m = v.manifest
        rows = sum(t.get("rows", 0) for t in m.get("tables", {}).values())
        same = m.get("identical_to_previous")
        lines.append(
            f"{'*' if v.current else ' '} {v.publish_id}  {m.get('published_at', '')[:19]}  "
            f"run {str(m.get('run_id', ''))[:8]}  {len(m.get('tables', {}))} tables  {rows} rows  "
            + ("first publish" if same is None else "same as previous" if same
               else f"changed: {', '.join(m.get('changed_tables', [])[:4])}"
               + (" ..." if len(m.get("changed_tables", [])) > 4 else ""))
        )
    return lines


def reader_database(directory: Path | None = None) -> Path:
    """The file a reader should open: the published pointer, or the build warehouse (with its
    single-writer lock) only while nothing has been published yet."""
    pointer = (directory or published_dir()) / POINTER
    return pointer if pointer.exists() else warehouse_path()
