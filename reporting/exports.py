"""Write the exports of one published version: `exports/<publish_id>/` and the `latest` pointer.

    exports/
      latest -> <publish_id>                       (relative symlink, swapped in one rename)
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
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
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
    version_folders,
)
from reporting.charts import calibration_png, matrix_png, organisations_png, tornado_png
from reporting.dictionary import describe, table_docs
from reporting.interactive import matrix_html
from reporting.matrix import matrix_points
from reporting.workbook import FORMULA_PREFIXES, build_sheets, write_workbook

EXPORTED_SCHEMAS = ("marts", "scoring", "seeds")
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


def _csv_ready(frame: pl.DataFrame) -> pl.DataFrame:
    """CSV has no nested types: lists and structs are written as JSON text. A text cell that a
    spreadsheet would read as a formula (starting with =, +, -, @, tab or carriage return) gets a
    leading apostrophe (OWASP, CSV injection); the Parquet exports keep the text as published."""
    nested = [n for n, t in frame.schema.items() if isinstance(t, (pl.List, pl.Array, pl.Struct))]
    if nested:
        frame = frame.with_columns(
            pl.col(n).map_elements(lambda v: json.dumps(v, default=str), return_dtype=pl.String)
            for n in nested
        )
    text = [n for n, t in frame.schema.items() if t == pl.String]
    escaped = {"\t": r"\t", "\r": r"\r", "-": r"\-", "^": r"\^", "\\": r"\\", "]": r"\]"}
    pattern = "^[" + "".join(escaped.get(c, c) for c in FORMULA_PREFIXES) + "]"
    return frame.with_columns(
        pl.when(pl.col(n).str.contains(pattern)).then(pl.lit("'") + pl.col(n)).otherwise(pl.col(n)).alias(n)
        for n in text
    )


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


def prune(root: Path, keep: int, protect: Sequence[str] = ()) -> list[str]:
    """Remove all but the `keep` newest export folders (never `latest`'s nor `protect`ed ones), and
    leftovers of interrupted exports."""
    removed = to_prune([p.name for p in version_folders(root)], keep, current_export(root), protect)
    for name in removed:
        shutil.rmtree(root / name, ignore_errors=True)
    remove_leftovers(root, (".*.part",))
    return removed


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
) -> ExportResult:
    """Export the published version `published` (the pointer or a versioned file) into
    root/<publish_id>/, swap root/latest to it and prune old folders.

    `manifest_path` is the dbt manifest (column descriptions of marts and seeds); `lineage` maps a
    schema.table to the source datasets upstream of it (for the dictionary's source column)."""
    started = time.monotonic()
    root = root or exports_dir()
    database = Path(os.path.realpath(published))  # one version, even if the pointer moves meanwhile
    if not database.is_file():
        raise ExportError(f"no published warehouse at {published}: run the pipeline (make run) first")
    root.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(database), read_only=True) as con:
        publication = con.execute(
            "SELECT publish_id, run_id, CAST(published_at AS VARCHAR) FROM meta.publication"
        ).fetchone()
        if publication is None:
            raise ExportError(f"{database} has no meta.publication row: not a published version")
        publish_id, run_id, published_at = (str(v) for v in publication)
        if not is_publish_id(publish_id):
            raise ExportError(f"unexpected publish id {publish_id!r} in {database}")
        final = root / publish_id
        staging = root / f".{publish_id}.{os.getpid()}.part"
        shutil.rmtree(staging, ignore_errors=True)
        (staging / "tables").mkdir(parents=True)
        result = ExportResult(publish_id=publish_id, directory=final)
        try:
            frames: dict[str, pl.DataFrame] = {}
            columns: dict[str, list[tuple[str, str]]] = {}
            for schema, table in published_tables(con):
                name = f"{schema}.{table}"
                frame = read(con, schema, table)
                frames[name] = frame
                columns[name] = [(str(r[0]), str(r[1])) for r in con.execute(
                    f"DESCRIBE {qualified(schema, table)}").fetchall()]
                frame.write_parquet(staging / "tables" / f"{name}.parquet", compression="zstd")
                _csv_ready(frame).write_csv(staging / "tables" / f"{name}.csv")
                result.tables[name] = frame.height
            log(f"exported {len(frames)} tables as Parquet and CSV")
            load_log = lineage_from_load_log(con)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
    try:
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

        summary = frames.get("scoring.fct_service_automation_summary")
        if charts and summary is not None and summary.height:
            points = matrix_points(summary, frames.get("seeds.archetypes"),
                                   frames.get("scoring.fct_service_evidence_posterior"))
            title = f"Public Service Automation Atlas: probability x value, published {publish_id}"
            folder = staging / "charts"
            org = organisations_png(points, folder / "value_by_organisation.png",
                                    title=f"Value of automating by organisation, published {publish_id}")
            matrix_png(points, folder / "matrix.png", title=title)
            matrix_html(points, folder / "matrix.html", title="Probability x value matrix",
                        subtitle=f"Published version {publish_id} ({published_at[:19]} UTC, run "
                                 f"{run_id[:8]}); {points.height:,} services.",
                        organisations_png=org)
            names = ["matrix.png", "matrix.html", "value_by_organisation.png"]
            calibration = frames.get("scoring.fct_unit_cost_calibration")
            if calibration is not None and calibration.height:
                calibration_png(calibration, folder / "calibration.png",
                                title=f"Unit-cost calibration (A207), published {publish_id}")
                names.append("calibration.png")
            sensitivity = frames.get("scoring.fct_sensitivity")
            if sensitivity is not None and sensitivity.height:
                tornado_png(sensitivity, folder / "sensitivity.png",
                            title=f"One-at-a-time sensitivity of the headline figures, published {publish_id}")
                names.append("sensitivity.png")
            result.charts = {n: final / "charts" / n for n in names}
            log("drew the matrix, value-by-organisation, calibration and sensitivity charts")
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
            "files": {str(p.relative_to(staging)): {"bytes": p.stat().st_size, "sha256": sha256_of(p)}
                      for p in files},
        }, indent=2) + "\n", encoding="utf-8")
        # replace a previous export of the same version whole
        previous = None
        if final.exists():
            previous = root / f".{publish_id}.{os.getpid()}.old.part"
            os.replace(final, previous)
        os.replace(staging, final)
        if previous is not None:
            shutil.rmtree(previous, ignore_errors=True)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    swap_pointer(root / LATEST, publish_id)
    with contextlib.suppress(OSError):
        result.pruned = prune(root, keep if keep is not None else exports_keep(), protect=[publish_id])
    result.seconds = time.monotonic() - started
    return result
