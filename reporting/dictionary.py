"""The data dictionary: every column of every exported table (and of every workbook sheet) with its
type, description, unit and source.

Descriptions come from where each table is defined: the dbt manifest for marts and seeds (a
model's `<model>.yml` beside its .sql, the seeds' `_*.yml`), scoring/columns.yml for the tables the
scoring stage writes, and reporting/columns.yml for the load log and the columns the workbook
derives. Units come from an explicit `unit` in those files or a dbt column's `meta.unit`, else from
the naming conventions of the house style (`*_share` in [0, 1], `*_fte`, money with its currency,
...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import polars as pl

from ingestion import yaml_files
from ingestion.settings import PROJECT_ROOT

SCORING_DOCS = PROJECT_ROOT / "scoring" / "columns.yml"
REPORTING_DOCS = Path(__file__).with_name("columns.yml")
UNDOCUMENTED = ""

DICTIONARY_SCHEMA = {
    "object_kind": pl.String,
    "object_name": pl.String,
    "column_position": pl.Int64,
    "column_name": pl.String,
    "data_type": pl.String,
    "description": pl.String,
    "unit": pl.String,
    "source": pl.String,
}


@dataclass(frozen=True)
class TableDoc:
    """What is known about one table: its description, its columns' descriptions and units, where
    it comes from, and the tables whose column docs apply to the columns it passes through."""

    name: str  # schema.table, or a workbook sheet's name
    description: str
    columns: Mapping[str, str]
    units: Mapping[str, str]
    source: str
    inherits: tuple[str, ...] = ()


# --- units -------------------------------------------------------------------------------------

MONEY_COLUMNS = re.compile(
    r"^(value_gross|value_net|total_cost|labour_cost|cost_per_transaction|value_threshold)"
    r"(_p\d\d)?$|^value_gross_p\d\d$"
)
_RULES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"(^|_)cad(_|$)"), "CAD (Canadian dollars, nominal)"),
    (re.compile(r"(^|_)gbp(_|$)"), "GBP (pounds sterling, nominal)"),
    (re.compile(r"(^|_)usd(_|$)"), "USD (US dollars, nominal)"),
    (re.compile(r"(^|_)(prob|probability)(_|$)|_probability_p\d\d$"), "probability in [0, 1]"),
    (re.compile(r"(^|_)(share|coverage|rate|pct_share)(_|$)"), "share in [0, 1]"),
    (re.compile(r"_01$|(^|_)value_01(_|$)"), "score in [0, 1]"),
    (re.compile(r"(^|_)fte(_|$)|_ftes?$"), "full-time equivalents"),
    (re.compile(r"(^|_)hours(_|$)"), "hours a year"),
    (re.compile(r"(^|_)minutes(_|$)"), "minutes"),
    (re.compile(r"(^|_)(volume|transactions)(_|$)"), "transactions a year"),
    (re.compile(r"^applications"), "applications a year"),
    (re.compile(r"(^|_)(rank)$"), "rank (1 = first)"),
    (re.compile(r"(^|_)(year)$|^price_year$|_year$"), "year"),
    (re.compile(r"(^|_)(count|services|rows|occupations|tasks|methods_used|n)$|^n_|_count_"), "count"),
    (re.compile(r"(^|_)(employment|workers|jobs)(_|$)"), "persons employed"),
    (re.compile(r"(^|_)weight(_|$)"), "weight (shares summing to 1)"),
)


def infer_unit(column: str, data_type: str, table_columns: Sequence[str] = ()) -> str:
    """A unit from the column's name and type, or '' when the name says nothing."""
    t = data_type.upper()
    name = column.lower()
    if t == "BOOLEAN":
        return "true/false"
    if t.startswith("TIMESTAMP"):
        return "timestamp (UTC)" if "TIME ZONE" in t or "TZ" in t else "timestamp"
    if t == "DATE":
        return "date (YYYY-MM-DD)"
    if name == "currency":
        return "ISO 4217 currency code"
    if name == "fiscal_year" or name.endswith("fiscal_year"):
        return "fiscal year (YYYY-YYYY)"
    if name == "parameters":
        return "JSON object of parameter values"
    if name.endswith("sha256"):
        return "sha256 hex digest"
    if t in ("VARCHAR", "TEXT", "STRING") or t.startswith("VARCHAR") or t.endswith("[]"):
        if re.search(r"(_id|_key|_code|_codes|_ids)$|^id$", name):
            return "identifier or code"
        return "text"
    if MONEY_COLUMNS.match(name) and "currency" in table_columns:
        return "money a year, in the row's currency at price_year prices"
    if name in ("cost_per_transaction",) and "currency" in table_columns:
        return "money per transaction, in the row's currency at price_year prices"
    for pattern, unit in _RULES:
        if pattern.search(name):
            return unit
    return ""


# --- documentation sources ---------------------------------------------------------------------


@lru_cache(maxsize=8)
def _yaml(path: Path) -> dict:
    if not path.is_file():
        return {}
    return yaml_files.safe_load(path.read_text(encoding="utf-8")) or {}


def _columns(spec: Mapping | None) -> tuple[dict[str, str], dict[str, str]]:
    columns: dict[str, str] = {}
    units: dict[str, str] = {}
    for column, value in (spec or {}).items():
        if isinstance(value, Mapping):
            columns[column] = str(value.get("description", "")).strip()
            if value.get("unit"):
                units[column] = str(value["unit"]).strip()
        else:
            columns[column] = str(value or "").strip()
    return columns, units


def _docs_from_yaml(path: Path) -> dict[str, TableDoc]:
    """Tables in a columns.yml: {common: {column: doc}, tables: {name: {description, source,
    inherits, columns: {column: description | {description, unit}}}}}; the common columns apply
    to every table of the file that does not document them itself."""
    raw = _yaml(path)
    common_columns, common_units = _columns(raw.get("common"))
    out: dict[str, TableDoc] = {}
    for name, spec in (raw.get("tables") or {}).items():
        columns, units = _columns(spec.get("columns"))
        out[name] = TableDoc(
            name, str(spec.get("description", "")).strip(),
            {**common_columns, **columns}, {**common_units, **units},
            str(spec.get("source", "")).strip(), tuple(spec.get("inherits") or ()),
        )
    return out


def unit_overrides() -> dict[str, str]:
    """Explicit units for columns whose names say nothing: {"column" or "schema.table.column": unit}."""
    return {str(k): str(v) for k, v in (_yaml(REPORTING_DOCS).get("units") or {}).items()}


def _manifest_docs(manifest_path: Path | None) -> dict[str, TableDoc]:
    """Models and seeds of the dbt manifest, as schema.table -> TableDoc (a new dict each call)."""
    if manifest_path is None or not Path(manifest_path).is_file():
        return {}
    stat = Path(manifest_path).stat()
    return dict(_read_manifest_docs(str(Path(manifest_path).resolve()), stat.st_mtime_ns, stat.st_size))


@lru_cache(maxsize=4)
def _read_manifest_docs(path: str, _mtime_ns: int, _size: int) -> dict[str, TableDoc]:
    """_manifest_docs of the manifest at `path` as it was at that modification time and size: every
    scoring table's Dagster metadata reads it (a 3 MB JSON, 20-70 ms a parse), and dbt rewrites it
    on a new parse, which changes the key."""
    manifest = json.loads(Path(path).read_text(encoding="utf-8"))
    out: dict[str, TableDoc] = {}
    for node in manifest.get("nodes", {}).values():
        kind = node.get("resource_type")
        if kind not in ("model", "seed"):
            continue
        name = f"{node['schema']}.{node['name']}"
        columns = {c: str(v.get("description") or "").strip() for c, v in node.get("columns", {}).items()}
        units = {c: str((v.get("meta") or {}).get("unit")) for c, v in node.get("columns", {}).items()
                 if (v.get("meta") or {}).get("unit")}
        path = node.get("original_file_path", "")
        source = (f"dbt seed {path}" if kind == "seed" else f"dbt model {node['name']} ({path})")
        out[name] = TableDoc(name, str(node.get("description") or "").strip(), columns, units, source)
    return out


def table_docs(manifest_path: Path | None) -> dict[str, TableDoc]:
    """Everything documented, keyed by schema.table: dbt, then scoring, then reporting docs."""
    docs = _manifest_docs(manifest_path)
    docs.update(_docs_from_yaml(SCORING_DOCS))
    for name, doc in _docs_from_yaml(REPORTING_DOCS).items():
        docs[name] = doc
    return docs


# --- the dictionary ----------------------------------------------------------------------------


def _lookup(docs: Mapping[str, TableDoc], table: str, column: str) -> tuple[str, str, TableDoc | None]:
    """(description, unit, the doc that described it) of table.column, following `inherits`."""
    seen: set[str] = set()
    queue = [table]
    while queue:
        name = queue.pop(0)
        if name in seen or name not in docs:
            continue
        seen.add(name)
        doc = docs[name]
        if doc.columns.get(column):
            unit = doc.units.get(column, "")
            return doc.columns[column], unit, doc
        queue.extend(doc.inherits)
    return "", "", None


def column_descriptions(table: str, columns: Sequence[str], manifest_path: Path | None) -> dict[str, str]:
    """The description of each column of schema.table (following `inherits`; '' when none), for
    the column schemas Dagster shows beside each table."""
    docs = table_docs(manifest_path)
    return {column: _lookup(docs, table, column)[0] for column in columns}


def column_source(doc: TableDoc | None, table: str, lineage: Mapping[str, Sequence[str]]) -> str:
    """Where a column comes from: the table's producer and the source datasets upstream of it."""
    producer = doc.source if doc and doc.source else f"table {table}"
    upstream = sorted(set(lineage.get(table, ())))
    if upstream:
        return f"{producer}; source datasets: {', '.join(upstream)}"
    return producer


def describe(
    objects: Mapping[str, Sequence[tuple[str, str]]],
    docs: Mapping[str, TableDoc],
    *,
    kind: str,
    lineage: Mapping[str, Sequence[str]] | None = None,
    origin: Mapping[str, Mapping[str, tuple[str, str]]] | None = None,
) -> pl.DataFrame:
    """Dictionary rows for `objects` ({name: [(column, type), ...]}).

    A column documented under the object's own name (a workbook sheet's computed column) uses
    that; otherwise `origin[name][column]` = (table, column) says which table column it is
    taken from, and it inherits that column's description, unit and source."""
    lineage = lineage or {}
    origin = origin or {}
    overrides = unit_overrides()
    rows = []
    for name, columns in objects.items():
        names = [c for c, _ in columns]
        for position, (column, data_type) in enumerate(columns, start=1):
            own = docs.get(name)
            if own is not None and own.columns.get(column):
                table, source_column = name, column
                description, unit, found = own.columns[column], own.units.get(column, ""), own
                producer = own
            else:
                table, source_column = origin.get(name, {}).get(column, (name, column))
                description, unit, found = _lookup(docs, table, source_column)
                producer = docs.get(table)
            unit = (
                unit
                or overrides.get(f"{table}.{source_column}")
                or overrides.get(source_column)
                or infer_unit(source_column, data_type, names + ["currency"] if "price_year" in names else names)
            )
            rows.append({
                "object_kind": kind, "object_name": name, "column_position": position,
                "column_name": column, "data_type": data_type, "description": description,
                "unit": unit, "source": column_source(producer or found, table, lineage),
            })
    return pl.DataFrame(rows, schema=DICTIONARY_SCHEMA)


def undocumented(dictionary: pl.DataFrame) -> pl.DataFrame:
    """Rows lacking a description, a unit or a source."""
    return dictionary.filter(
        (pl.col("description").fill_null("") == "") | (pl.col("unit").fill_null("") == "")
        | (pl.col("source").fill_null("") == "")
    )
