"""Write the exports of one published version: `exports/<publish_id>/` and the `latest` pointer.

    exports/
      latest -> <publish_id>                       (relative symlink, swapped in one rename)
      <publish_id> -> <earlier publish_id>         an identical republish: a link to the folder of the
                                                   version it repeats (no new files)
      <publish_id>/
        tables/<schema>.<table>.parquet and .csv   every published mart, score and seed table
        atlas-<publish_id>.xlsx                    the economists' workbook
        data_dictionary.csv                        every column: type, description, unit, source
        charts/matrix.png, charts/matrix.html      the probability x value matrix (PNG; offline page)
        charts/value_by_organisation.png, charts/calibration.png (unit-cost calibration, A207),
        charts/sensitivity.png (tornado charts of scoring.fct_sensitivity)
        manifest.json                              what is here: files with sha256, rows, publish id

Everything is read from the published copy (the file the pointer names when the export starts),
never from the build warehouse. A version's folder is written beside its final place and renamed
into it whole, so `latest` never names a half-written folder.

A table whose contents are exactly those of the same table in the `latest` export (an exact
digest of its rows, recorded in each export's manifest) is not written again: its Parquet and CSV
are hard links to that export's files (checked against that export's manifest first), so a run
that changed a few tables writes those and the workbook and charts, not every table (issue 18).
The table files are read-only: a file shared by two versions' folders must not be edited in place.

A version that publish found identical to the one before it (its manifest says
identical_to_previous: the same contents in every published table) gets no new files: its entry is
a relative symlink to the folder of that earlier version, so that runs that changed nothing do not
grow the disk. Pruning keeps a folder while a kept link names it.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from ingestion.fetch import sha256_of
from ingestion.settings import exports_dir, exports_keep
from ingestion.sql import qualified
from ingestion.versions import (
    is_publish_id,
    read_pointer,
    remove_leftovers,
    swap_pointer,
    to_prune,
)
from publishing.publish import PublishError, exact_digest, read_manifest
from reporting.chart_set import PARTS as CHART_PARTS
from reporting.chart_set import in_chart_order, read_chart_names, write_chart_inputs
from reporting.dictionary import describe, table_docs
from reporting.matrix import matrix_points
from reporting.workbook import build_sheets, write_workbook
from reporting.xlsx import json_text, neutralise_expr

EXPORTED_SCHEMAS = ("marts", "scoring", "seeds")
READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH  # a table's files: another version may share them
LATEST = "latest"


class ExportError(Exception):
    """The exports could not be written; `latest` is unchanged."""


@dataclass
class ExportResult:
    publish_id: str
    directory: Path
    tables: dict[str, int] = field(default_factory=dict)
    workbook: Path | None = None
    dictionary: Path | None = None
    charts: dict[str, Path] = field(default_factory=dict)
    sheets: dict[str, int] = field(default_factory=dict)
    undocumented: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)
    seconds: float = 0.0
    shared_with: str | None = None  # an identical republish: the version whose folder it links to
    reused: dict[str, str] = field(default_factory=dict)  # unchanged tables: the export whose files they are
    matrix: list[dict[str, str]] = field(default_factory=list)  # the matrix as a small table (matrix_grid)


def published_tables(con: duckdb.DuckDBPyConnection) -> list[tuple[str, str]]:
    """(schema, table) of every table in the exported schemas of the published file."""
    placeholders = ", ".join("?" for _ in EXPORTED_SCHEMAS)
    rows = con.execute(
        f"""SELECT table_schema, table_name FROM information_schema.tables
            WHERE table_schema IN ({placeholders}) ORDER BY 1, 2""",
        list(EXPORTED_SCHEMAS),
    ).fetchall()
    return [(str(s), str(t)) for s, t in rows]


def read(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> pl.DataFrame:
    return con.sql(f"SELECT * FROM {qualified(schema, table)}").pl()


# Rows of a table held in memory at once while its CSV is written batch by batch (a table with a
# column the streamed path does not take: see export_table).
CSV_BATCH_ROWS = 50_000
# Column types whose CSV the streamed path writes from the table's Parquet file: every type the
# published tables hold (VARCHAR, DOUBLE, BIGINT, INTEGER, BOOLEAN, DATE) and the other plain ones.
STREAMED_CSV_TYPES = frozenset({pl.String, pl.Boolean, pl.Date, pl.Float64, pl.Float32, pl.Int64, pl.Int32,
                                pl.Int16, pl.Int8, pl.UInt64, pl.UInt32, pl.UInt16, pl.UInt8})


def export_table(con: duckdb.DuckDBPyConnection, schema: str, table: str, folder: Path,
                 batch_rows: int = CSV_BATCH_ROWS, streamed: bool = True) -> int:
    """<schema>.<table>.parquet (DuckDB writes it, streaming) and .csv in `folder`; returns the rows.

    The CSV is made CSV-ready (nested values as JSON, formula-like text escaped: `_csv_ready`).
    When every column has a plain type (STREAMED_CSV_TYPES) and `streamed` is on, polars writes it
    from the Parquet file just written, in its streaming engine (scan_parquet, the escapes as
    expressions, sink_csv: one read of the file, no second query of the table, the writing spread
    over the cores; 30% less time for the 27 million task rows at 100 times the services, issue 18).
    Otherwise it is written batch by batch from the table, each batch made CSV-ready in memory. The
    two give the same bytes (tests/unit/test_reporting.py); memory holds a batch either way,
    whatever the table's size."""
    name = f"{schema}.{table}"
    parquet = folder / f"{name}.parquet"
    quoted_path = str(parquet).replace("'", "''")
    con.execute(f"COPY (SELECT * FROM {qualified(schema, table)}) TO '{quoted_path}' (FORMAT parquet, COMPRESSION zstd)")
    if streamed:
        scan = pl.scan_parquet(parquet)
        columns = scan.collect_schema()
        if all(dtype in STREAMED_CSV_TYPES for dtype in columns.dtypes()):
            scan.with_columns(_formula_escapes(columns)).sink_csv(folder / f"{name}.csv")
            return int(scan.select(pl.len()).collect().item())
    rows = 0
    reader = con.sql(f"SELECT * FROM {qualified(schema, table)}").to_arrow_reader(batch_rows)
    with (folder / f"{name}.csv").open("wb") as handle:
        for batch in reader:
            frame = pl.from_arrow(batch)
            assert isinstance(frame, pl.DataFrame)
            _csv_ready(frame).write_csv(handle, include_header=rows == 0)
            rows += frame.height
        if rows == 0:  # no rows: the header alone, from the table's schema
            _csv_ready(pl.from_arrow(reader.schema.empty_table())).write_csv(handle)  # type: ignore[arg-type]
    return rows


@functools.cache
def table_files_format() -> str:
    """A digest of what makes a table's Parquet and CSV besides its contents: the code of this
    module and of reporting/xlsx.py (export_table, _csv_ready, json_text) and the DuckDB and polars
    versions. An earlier export's table files are reused only under the same format."""
    digest = hashlib.sha256(f"duckdb {duckdb.__version__}; polars {pl.__version__}".encode())
    here = Path(__file__)
    for module in (here, here.with_name("xlsx.py")):
        digest.update(module.read_bytes())
    return digest.hexdigest()


@dataclass
class _Reusable:
    """An earlier export (`folder`, a publish id under the exports root) whose table files this
    one may reuse: per table, its exact digest, rows and files (path under the folder -> bytes and
    sha256), from that export's manifest."""

    folder: str
    digests: dict[str, str]
    rows: dict[str, int]
    files: dict[str, dict[str, Any]]


def reusable_export(root: Path) -> _Reusable | None:
    """The export `latest` names (the folder holding it), when its manifest records its tables'
    exact digests under the same table_files_format; otherwise None."""
    current = current_export(root)
    folder = _folder_of(root, current) if current else None
    if folder is None:
        return None
    try:
        manifest = json.loads((root / folder / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if manifest.get("table_files_format") != table_files_format() or not isinstance(manifest.get("table_contents"), dict):
        return None
    return _Reusable(folder=folder, digests=dict(manifest["table_contents"]), rows=dict(manifest.get("tables", {})),
                     files=dict(manifest.get("files", {})))


def _publish_manifest(database: Path, publish_id: str) -> Any:
    """The manifest publish wrote beside the version's database file, or None when it cannot be read."""
    try:
        return read_manifest(database.parent, publish_id)
    except (PublishError, OSError, ValueError):
        return None


def published_digests(database: Path, publish_id: str) -> dict[str, str]:
    """Each table's exact digest as the version's publish recorded it (its manifest beside the
    database file: publishing.publish.exact_digest of the table in that file), so that the exports
    need not scan every table again (issue 18: 1.7 s at 100x the services). Empty when the manifest
    cannot be read, is another version's, or was written by another DuckDB (whose hash() may
    differ); a table without a recorded digest gets its digest taken by the exports."""
    manifest = _publish_manifest(database, publish_id)
    if not isinstance(manifest, dict) or manifest.get("publish_id") != publish_id \
            or manifest.get("built_with_duckdb") != duckdb.__version__ or not isinstance(manifest.get("tables"), dict):
        return {}
    return {str(name): entry["exact_sha256"] for name, entry in manifest["tables"].items()
            if isinstance(entry, dict) and isinstance(entry.get("exact_sha256"), str)}


def _table_files(name: str) -> tuple[str, str]:
    return f"tables/{name}.parquet", f"tables/{name}.csv"


def _link_or_copy(source: Path, target: Path) -> None:
    try:
        os.link(source, target)  # the same file, read-only already
    except OSError:  # a file system without hard links
        shutil.copyfile(source, target)
        os.chmod(target, READ_ONLY)


class _TableExport:
    """`export_table` for each of `tables`, in order, in a thread with its own DuckDB connection
    (a cursor of `con`). `wait` returns the rows per table or raises what the thread raised; `stop`
    makes it stop after the table it is writing and waits for it.

    Each table's exact digest (publishing.publish.exact_digest) comes first: the one the version's
    publish recorded (`known`, published_digests), else taken here. A table whose digest equals the
    one an earlier export (`reuse`) recorded gets that export's Parquet and CSV instead of new ones,
    hard links (copies where the file system has none), after each file's sha256 is checked against
    that export's manifest; a file that fails the check, or is gone, makes the table be exported
    anew. `digests`, `reused` (table -> the earlier export) and `sha256` (every table file's:
    checked when reused, taken after writing otherwise) are for the manifest. The files written are
    hashed by a second thread while this one writes the next table's (hashlib lets go of Python's
    lock): at 100x the services, 5 s of hashing 5.7 GB that no longer waits for the writing."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tables: Sequence[tuple[str, str]], folder: Path,
                 log: Callable[[str], None], reuse: _Reusable | None = None, root: Path | None = None,
                 known: Mapping[str, str] | None = None) -> None:
        self.rows: dict[str, int] = {}
        self.digests: dict[str, str] = {}
        self.reused: dict[str, str] = {}
        self.sha256: dict[str, str] = {}
        self.error: BaseException | None = None
        self._known = dict(known or {})
        self._stopping = threading.Event()
        self._cursor = con.cursor()
        self._thread = threading.Thread(target=self._run, args=(tables, folder, log, reuse, root),
                                        name="export-tables", daemon=True)
        self._thread.start()

    def _reuse(self, name: str, folder: Path, reuse: _Reusable, root: Path) -> bool:
        """Link the earlier export's files of `name` into `folder`; False (nothing left behind) when
        one of them is missing or does not match that export's manifest."""
        checked: dict[str, str] = {}
        for path in _table_files(name):
            entry = reuse.files.get(path)
            source = root / reuse.folder / path
            try:
                if not isinstance(entry, dict) or source.stat().st_size != entry.get("bytes"):
                    return False
                digest = sha256_of(source)
            except OSError:
                return False
            if digest != entry.get("sha256"):
                return False
            checked[path] = digest
        try:
            for path in checked:
                _link_or_copy(root / reuse.folder / path, folder.parent / path)
        except OSError:
            for path in checked:
                (folder.parent / path).unlink(missing_ok=True)
            return False
        self.sha256.update(checked)
        return True

    def _run(self, tables: Sequence[tuple[str, str]], folder: Path, log: Callable[[str], None],
             reuse: _Reusable | None, root: Path | None) -> None:
        hashing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="export-hash")
        hashed: list[tuple[str, Future[str]]] = []
        try:
            for schema, table in tables:
                if self._stopping.is_set():
                    return
                name = f"{schema}.{table}"
                digest = self._known.get(name) or exact_digest(self._cursor, qualified(schema, table))
                if digest is not None:
                    self.digests[name] = digest
                if (reuse is not None and root is not None and digest is not None
                        and reuse.digests.get(name) == digest and name in reuse.rows
                        and self._reuse(name, folder, reuse, root)):
                    self.rows[name] = int(reuse.rows[name])
                    self.reused[name] = reuse.folder
                else:
                    self.rows[name] = export_table(self._cursor, schema, table, folder)
                    for path in _table_files(name):
                        os.chmod(folder.parent / path, READ_ONLY)
                        # hashed now, beside the workbook and the next table, while the file is in
                        # the page cache (5.7 GB at 100x: seconds the manifest would wait for)
                        hashed.append((path, hashing.submit(sha256_of, folder.parent / path)))
            for path, digest_of_file in hashed:
                self.sha256[path] = digest_of_file.result()
            written = len(tables) - len(self.reused)
            log(f"exported {written} tables as Parquet and CSV"
                + (f"; the files of {len(self.reused)} unchanged tables are export {reuse.folder}'s"
                   if self.reused and reuse is not None else ""))
        except BaseException as error:  # handed to the caller by wait()
            self.error = error
        finally:
            hashing.shutdown(wait=True, cancel_futures=True)
            self._cursor.close()

    def wait(self) -> dict[str, int]:
        self._thread.join()
        if self.error is not None:
            raise self.error
        return self.rows

    def stop(self) -> None:
        self._stopping.set()
        self._thread.join()


# The summary rows (services x fiscal years) up to which the charts are drawn by two processes, one
# per part of reporting.chart_set.PARTS, instead of one. At 1x (2,655 rows) the tables and the
# workbook were written 3 s into the exports and the charts' one process took 6 s, a core idle
# meanwhile; at 10x and beyond the tables and the workbook keep both cores busy for as long as the
# charts take, and a second process would only add its start and imports (issue 18).
SPLIT_CHARTS_UP_TO = 10_000


class _ChartDrawing:
    """reporting.chart_set's charts drawn by child Python processes, started at once: one, or one
    per part of the charts when `points` has at most SPLIT_CHARTS_UP_TO rows. `wait` returns the
    file names they drew (in the order of reporting.chart_set.CHARTS) or raises ExportError with
    the error of the first that failed, `stop` ends them.

    The charts (matplotlib, the page's SVG and labels) are Python, which a thread could not run
    beside the workbook's Python: in processes of their own they take the second core while the
    workbook is written (issue 18). A child is a new interpreter (`python -m
    reporting.chart_set`), not a fork of this process (whose DuckDB and polars threads are working
    on the tables, their locks held) nor a multiprocessing spawn (which reruns the caller's main
    script). Their inputs are Arrow IPC files and a JSON file in a folder beside `folder`, removed
    after."""

    def __init__(self, folder: Path, points: pl.DataFrame, calibration: pl.DataFrame | None,
                 sensitivity: pl.DataFrame | None, **labels: str) -> None:
        self._inputs = folder.with_name(f".{folder.name}-inputs")
        self._inputs.mkdir(parents=True)
        write_chart_inputs(self._inputs, points, calibration, sensitivity, labels)
        project = str(Path(__file__).resolve().parents[1])
        path = os.pathsep.join([project, *filter(None, [os.environ.get("PYTHONPATH")])])
        parts: list[str | None] = list(CHART_PARTS) if points.height <= SPLIT_CHARTS_UP_TO else [None]
        self._processes: list[tuple[str | None, subprocess.Popen]] = []
        for part in parts:
            with (self._inputs / self._errors(part)).open("wb") as errors:
                self._processes.append((part, subprocess.Popen(
                    [sys.executable, "-m", "reporting.chart_set", str(self._inputs), str(folder),
                     *([part] if part else [])],
                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=errors,
                    env={**os.environ, "PYTHONPATH": path},
                )))

    @staticmethod
    def _errors(part: str | None) -> str:
        return "stderr.txt" if part is None else f"stderr-{part}.txt"

    def wait(self) -> list[str]:
        try:
            names: list[str] = []
            for part, process in self._processes:
                code = process.wait()
                if code != 0:
                    errors = (self._inputs / self._errors(part)).read_text(encoding="utf-8", errors="replace")
                    self.stop()
                    raise ExportError(
                        f"drawing the charts failed (python -m reporting.chart_set exited with code {code}); "
                        f"no exports were written. Its error output ends:\n{errors[-4000:]}")
                names += read_chart_names(self._inputs, part)
            return in_chart_order(names)
        finally:
            shutil.rmtree(self._inputs, ignore_errors=True)

    def stop(self) -> None:
        for _part, process in self._processes:
            if process.poll() is None:
                process.terminate()
        for _part, process in self._processes:
            process.wait()
        shutil.rmtree(self._inputs, ignore_errors=True)


class PublishedFrames(Mapping[str, pl.DataFrame]):
    """The published tables by "schema.table", each read whole on first use and kept: the workbook
    and the charts read a dozen of them (the summary, the evidence, the seeds), not the large
    per-activity, per-method and per-task tables, which stay on disk."""

    def __init__(self, con: duckdb.DuckDBPyConnection, tables: Sequence[tuple[str, str]]) -> None:
        self._con = con
        self._tables = {f"{s}.{t}": (s, t) for s, t in tables}
        self._read: dict[str, pl.DataFrame] = {}

    def __getitem__(self, name: str) -> pl.DataFrame:
        if name not in self._read:
            schema, table = self._tables[name]  # KeyError for a table that is not published
            self._read[name] = read(self._con, schema, table)
        return self._read[name]

    def __iter__(self):
        return iter(self._tables)

    def __len__(self) -> int:
        return len(self._tables)


def _amount(value: float | None, currency: str | None) -> str:
    if value is None:
        return "no value"
    for size, suffix in ((1e9, " bn"), (1e6, " m"), (1e3, " k")):
        if abs(value) >= size:
            return f"{currency or ''} {value / size:,.1f}{suffix}".strip()
    return f"{currency or ''} {value:,.0f}".strip()


def matrix_grid(con: duckdb.DuckDBPyConnection, table: str = "scoring.fct_service_automation_summary") -> list[dict[str, str]]:
    """The probability x value matrix as a small table, one row per country and value level (high,
    lower, none) and one column per side of the probability threshold; each cell names its
    quadrant, its services and their gross value. For the exports asset's metadata, which the
    Dagster UI shows as a table (a PNG there sits behind a "Show Markdown" button)."""
    schema, name = table.split(".", 1)
    columns = {str(r[0]) for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?",
        [schema, name]).fetchall()}
    if not {"country_code", "quadrant", "is_high_value", "is_highly_automatable", "value_gross"} <= columns:
        return []
    currency = "any_value(currency)" if "currency" in columns else "NULL"
    rows = con.execute(f"""
        SELECT country_code,
               CASE WHEN value_gross IS NULL OR headline_probability IS NULL THEN 'not placed'
                    WHEN is_high_value THEN 'high value' ELSE 'lower value' END AS value_level,
               coalesce(is_highly_automatable, false) AS high_probability,
               string_agg(DISTINCT quadrant, ', ' ORDER BY quadrant) AS quadrants,
               count(*) AS services, sum(value_gross) AS value, {currency} AS currency
        FROM {qualified(schema, name)} GROUP BY ALL ORDER BY 1, 2, 3""").fetchall()
    grid: dict[tuple[str, str], dict[str, str]] = {}
    for country, level, high, quadrants, services, value, money in rows:
        row = grid.setdefault((country, level), {"country": str(country), "value": str(level),
                                                 "lower probability": "", "high probability": ""})
        text = f"{quadrants}: {services:,} services"
        if level != "not placed":
            text += f", {_amount(value, money)}"
        key = "high probability" if high else "lower probability"
        row[key] = f"{row[key]}; {text}" if row[key] else text
    order = {"high value": 0, "lower value": 1, "not placed": 2}
    return [grid[k] for k in sorted(grid, key=lambda k: (k[0], order.get(k[1], 3)))]


def _formula_escapes(schema: pl.Schema) -> list[pl.Expr]:
    """For each text column of `schema`: a leading apostrophe on a cell that a spreadsheet would
    read as a formula (starting with =, +, -, @, tab or carriage return; OWASP, CSV injection), as
    in the workbook (reporting.xlsx.neutralise_expr)."""
    return [neutralise_expr(pl.col(n)).alias(n) for n, t in schema.items() if t == pl.String]


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no nested types: lists and structs are written as JSON text. A text cell that a
    spreadsheet would read as a formula gets a leading apostrophe (`_formula_escapes`); the Parquet
    exports keep the text as published."""
    nested = [n for n, t in frame.schema.items() if isinstance(t, (pl.List, pl.Array, pl.Struct))]
    if nested:
        frame = frame.with_columns(json_text(frame[n]) for n in nested)
    return frame.with_columns(_formula_escapes(frame.schema))


def current_export(root: Path | None = None) -> str | None:
    """The publish id `latest` names, or None."""
    return read_pointer((root or exports_dir()) / LATEST)


def follow_published(publish_id: str | None, root: Path | None = None) -> str:
    """Point `latest` at the exports of `publish_id` (the version readers see) when they exist, and
    say what was done; when they do not, say which is behind and the command that repairs it. Used
    after a rollback and at the end of every run, so that the published pointer and `latest` name
    the same version or a message says which is behind."""
    root = root or exports_dir()
    current = current_export(root)
    if publish_id is None or current == publish_id:
        return f"exports/latest is {current}" if current else "no exports yet"
    if (root / publish_id / "manifest.json").is_file():
        swap_pointer(root / LATEST, publish_id)
        return f"exports/latest moved from {current} to {publish_id}, the version readers see"
    return (f"exports are behind: readers see {publish_id} but exports/latest is {current}; re-export with "
            "`python -m orchestration run --select key:exports/atlas` (the next full run also repairs it)")


def _entries(root: Path) -> list[str]:
    """Publish ids with an export entry in `root` (a folder, or a link to an earlier one), oldest
    first."""
    return sorted(p.name for p in root.iterdir() if is_publish_id(p.name) and (p.is_symlink() or p.is_dir()))


def _folder_of(root: Path, publish_id: str) -> str | None:
    """The real folder holding `publish_id`'s exports: its own, or the one its link names; None
    when there is none with a manifest."""
    entry = root / publish_id
    name = os.readlink(entry) if entry.is_symlink() else publish_id
    folder = root / name
    if is_publish_id(name) and folder.is_dir() and not folder.is_symlink() and (folder / "manifest.json").is_file():
        return name
    return None


def prune(root: Path, keep: int, protect: Sequence[str] = ()) -> list[str]:
    """Remove all but the `keep` newest export entries (never `latest`'s nor `protect`ed ones, nor
    a folder that a kept link names), links whose folder is gone, and leftovers of interrupted
    exports."""
    names = _entries(root)
    removed = to_prune(names, keep, current_export(root), protect)
    kept = [n for n in names if n not in removed]
    needed = {os.readlink(root / n) for n in kept if (root / n).is_symlink()}
    removed = [n for n in removed if n not in needed]
    for name in removed:
        path = root / name
        if path.is_symlink():
            path.unlink(missing_ok=True)
        else:
            shutil.rmtree(path, ignore_errors=True)
    for name in kept:
        path = root / name
        if path.is_symlink() and not path.exists() and name != current_export(root):
            path.unlink(missing_ok=True)
            removed.append(name)
    remove_leftovers(root, (".*.part",))
    return sorted(removed)


def shareable(database: Path, publish_id: str, root: Path) -> str | None:
    """The export folder that `publish_id` can share: when publish found it identical to the
    version before it (its manifest, beside the database file) and that version's exports are on
    disk, the real folder holding them; otherwise None."""
    manifest = _publish_manifest(database, publish_id)
    if not isinstance(manifest, dict):
        return None
    previous = manifest.get("previous_publish_id")
    if manifest.get("identical_to_previous") is not True or not is_publish_id(previous):
        return None
    return _folder_of(root, previous) if (root / previous).exists() else None


def _link(root: Path, publish_id: str, target: str) -> None:
    """Make root/publish_id a relative link to root/target, replacing whatever was there in one
    rename (a folder is moved aside and removed after)."""
    final = root / publish_id
    aside = None
    if final.is_dir() and not final.is_symlink():
        aside = root / f".{publish_id}.{os.getpid()}.old.part"
        os.replace(final, aside)
    swap_pointer(final, target)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def _shared_result(root: Path, publish_id: str, target: str) -> ExportResult:
    """What a shared folder holds, from its manifest."""
    manifest = json.loads((root / target / "manifest.json").read_text(encoding="utf-8"))
    final = root / publish_id
    files = manifest.get("files", {})
    result = ExportResult(publish_id=publish_id, directory=final, shared_with=target,
                          tables=dict(manifest.get("tables", {})), sheets=dict(manifest.get("sheets", {})),
                          undocumented=list(manifest.get("undocumented_columns", [])))
    workbooks = [f for f in files if f.endswith(".xlsx")]
    result.workbook = final / workbooks[0] if workbooks else None
    result.dictionary = final / "data_dictionary.csv" if "data_dictionary.csv" in files else None
    result.charts = {f.removeprefix("charts/"): final / f for f in files if f.startswith("charts/")}
    return result


def lineage_from_load_log(con: duckdb.DuckDBPyConnection) -> list[dict[str, Any]]:
    try:
        cursor = con.execute("SELECT * FROM raw._load_log ORDER BY dataset_id, table_name")
    except duckdb.Error:
        return []
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def write_exports(
    published: Path,
    *,
    root: Path | None = None,
    manifest_path: Path | None = None,
    lineage: Mapping[str, Sequence[str]] | None = None,
    keep: int | None = None,
    charts: bool = True,
    log: Callable[[str], None] = lambda _message: None,
    share: bool = True,
    reuse_tables: bool = True,
) -> ExportResult:
    """Export the published version `published` (the pointer or a versioned file) into
    root/<publish_id>/, swap root/latest to it and prune old folders. With `share`, a version
    identical to the one before it gets a link to that version's folder instead (see `shareable`).

    With `reuse_tables`, a table whose exact contents equal those the `latest` export recorded
    gets that export's Parquet and CSV (hard links, checked against its manifest's sha256) instead
    of files written again (see `_TableExport`); without it, every table is written.

    `manifest_path` is the dbt manifest (column descriptions of marts and seeds); `lineage` maps a
    schema.table to the source datasets upstream of it (for the dictionary's source column)."""
    started = time.monotonic()
    root = root or exports_dir()
    database = Path(os.path.realpath(published))  # one version, even if the pointer moves meanwhile
    if not database.is_file():
        raise ExportError(f"no published warehouse at {published}: run the pipeline (make run) first")
    root.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database), read_only=True) as con:
        return _write(con, database, root, started, manifest_path=manifest_path, lineage=lineage,
                      keep=keep, charts=charts, log=log, share=share, reuse_tables=reuse_tables)


def _write(
    con: duckdb.DuckDBPyConnection,
    database: Path,
    root: Path,
    started: float,
    *,
    manifest_path: Path | None,
    lineage: Mapping[str, Sequence[str]] | None,
    keep: int | None,
    charts: bool,
    log: Callable[[str], None],
    share: bool,
    reuse_tables: bool,
) -> ExportResult:
    """write_exports with the published file open (read-only) as `con`."""
    publication = con.execute(
        "SELECT publish_id, run_id, CAST(published_at AS VARCHAR) FROM meta.publication"
    ).fetchone()
    if publication is None:
        raise ExportError(f"{database} has no meta.publication row: not a published version")
    publish_id, run_id, published_at = (str(v) for v in publication)
    if not is_publish_id(publish_id):
        raise ExportError(f"unexpected publish id {publish_id!r} in {database}")
    matrix = matrix_grid(con)
    target = shareable(database, publish_id, root) if share else None
    if target is not None and target != publish_id:
        _link(root, publish_id, target)
        swap_pointer(root / LATEST, publish_id)
        result = _shared_result(root, publish_id, target)
        result.matrix = matrix
        log(f"{publish_id} is identical to {target}: its exports are that version's folder (a link)")
        with contextlib.suppress(OSError):
            result.pruned = prune(root, keep if keep is not None else exports_keep(), protect=[publish_id])
        result.seconds = time.monotonic() - started
        return result
    final = root / publish_id
    staging = root / f".{publish_id}.{os.getpid()}.part"
    shutil.rmtree(staging, ignore_errors=True)
    (staging / "tables").mkdir(parents=True)
    result = ExportResult(publish_id=publish_id, directory=final, matrix=matrix)
    try:
        tables = published_tables(con)
        frames = PublishedFrames(con, tables)
        columns = {f"{schema}.{table}": [(str(r[0]), str(r[1])) for r in con.execute(
            f"DESCRIBE {qualified(schema, table)}").fetchall()] for schema, table in tables}
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    # The tables are written by DuckDB and polars, which release the GIL, in a thread of their own,
    # and the charts by one or two processes of their own, while this thread makes the workbook (Python).
    reuse = reusable_export(root) if reuse_tables else None
    exporting = _TableExport(con, tables, staging / "tables", log, reuse, root,
                             known=published_digests(database, publish_id))
    drawing: _ChartDrawing | None = None
    try:
        summary = frames.get("scoring.fct_service_automation_summary")
        if charts and summary is not None and summary.height:
            drawing = _ChartDrawing(
                staging / "charts",
                matrix_points(summary, frames.get("seeds.archetypes"),
                              frames.get("scoring.fct_service_evidence_posterior")),
                frames.get("scoring.fct_unit_cost_calibration"), frames.get("scoring.fct_sensitivity"),
                publish_id=publish_id, published_at=published_at, run_id=run_id,
            )
        load_log = lineage_from_load_log(con)
        docs = table_docs(manifest_path)
        dictionary = describe(columns, docs, kind="table", lineage=lineage)
        sheets = build_sheets(frames, load_log, publication={"publish_id": publish_id, "run_id": run_id,
                                                             "published_at": published_at})
        sheet_dictionary = describe(
            {s.name: s.columns for s in sheets if s.documented}, docs, kind="sheet",
            lineage=lineage, origin={s.name: s.origin for s in sheets},
        )
        dictionary = pl.concat([sheet_dictionary, dictionary])
        dictionary.write_csv(staging / "data_dictionary.csv")
        result.dictionary = final / "data_dictionary.csv"
        missing = dictionary.filter(
            (pl.col("description") == "") | (pl.col("unit") == "") | (pl.col("source") == "")
        )
        result.undocumented = [f"{r['object_name']}.{r['column_name']}" for r in missing.iter_rows(named=True)]
        workbook = staging / f"atlas-{publish_id}.xlsx"
        result.sheets = write_workbook(workbook, sheets, dictionary)
        result.workbook = final / workbook.name
        log(f"wrote the workbook ({len(result.sheets)} sheets)")

        if drawing is not None:
            result.charts = {n: final / "charts" / n for n in drawing.wait()}
            log("drew the matrix, value-by-organisation, calibration and sensitivity charts")
        result.tables = exporting.wait()
        result.reused = dict(exporting.reused)
        files = sorted(p for p in staging.rglob("*") if p.is_file())
        (staging / "manifest.json").write_text(json.dumps({
            "publish_id": publish_id,
            "run_id": run_id,
            "published_at": published_at,
            "published_database": database.name,
            "exported_at": datetime.now(UTC).isoformat(),
            "tables": result.tables,
            "sheets": result.sheets,
            "undocumented_columns": result.undocumented,
            "table_files_format": table_files_format(),
            "table_contents": exporting.digests,
            "reused_tables": result.reused,
            "files": {str(p.relative_to(staging)): {
                "bytes": p.stat().st_size,
                "sha256": exporting.sha256.get(str(p.relative_to(staging))) or sha256_of(p)} for p in files},
        }, indent=2) + "\n", encoding="utf-8")
        # replace a previous export of the same version whole (or the link it was)
        previous = None
        if final.is_symlink():
            final.unlink()
        if final.exists():
            previous = root / f".{publish_id}.{os.getpid()}.old.part"
            os.replace(final, previous)
        os.replace(staging, final)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        exporting.stop()
        if drawing is not None:
            drawing.stop()
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_pointer(root / LATEST, publish_id)
    with contextlib.suppress(OSError):
        result.pruned = prune(root, keep if keep is not None else exports_keep(), protect=[publish_id])
    result.seconds = time.monotonic() - started
    return result
