"""Lineage of every published table: the assumption ids and the source files behind its numbers.

A table's lineage is the union over the table and every asset upstream of it (the Dagster asset
graph: raw landings, dbt seeds and models, scoring stages) of
  - the assumption ids its code cites: a dbt model's SQL, a seed's rows (every seed but the
    assumption register itself, whose rows are the ids' definitions), a scoring stage's Python
    modules. Every id cited must be in the register, so a stale citation fails the build;
  - the source files landed by the raw assets upstream, with the sha256 the landing checked
    (raw._load_log), and the seed files (sha256 of the CSV in the repository).
The result is one long table, `scoring.table_lineage`: a row per published table and item.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path

import polars as pl

from ingestion.fetch import sha256_of

ASSUMPTION_ID = re.compile(r"\bA\d{3}\b")
# A range such as "A230-A249" or "A100 to A109" cites every registered id between its ends.
ASSUMPTION_RANGE = re.compile(r"\bA(\d{3})\s*(?:-|–|to)\s*A(\d{3})\b")
REGISTER_SEED = "seeds/assumptions"
LINEAGE_TABLE = ("scoring", "table_lineage")

SCHEMA = {
    "table_schema": pl.String,
    "table_name": pl.String,
    "lineage_kind": pl.String,
    "item_id": pl.String,
    "item_name": pl.String,
    "item_value": pl.String,
    "detail": pl.String,
}


def cited_ids(text: str) -> tuple[set[str], set[str]]:
    """Assumption ids (A followed by three digits) cited in a piece of code or data: the ids
    named, and the ids inside the ranges it names (which count only where the register has them)."""
    inside = {
        f"A{number:03d}"
        for low, high in ASSUMPTION_RANGE.findall(text)
        for number in range(int(low), int(high) + 1)
    }
    return set(ASSUMPTION_ID.findall(text)), inside


def ancestors(key: str, parents: Mapping[str, Iterable[str]]) -> set[str]:
    """Every asset upstream of `key` (not `key` itself), following `parents`."""
    seen: set[str] = set()
    stack = list(parents.get(key, ()))
    while stack:
        current = stack.pop()
        if current in seen:
            continue
        seen.add(current)
        stack.extend(parents.get(current, ()))
    return seen


def table_lineage(
    tables: Iterable[str],
    parents: Mapping[str, Iterable[str]],
    own_ids: Mapping[str, tuple[set[str], set[str]]],
    register: pl.DataFrame,
    load_log: pl.DataFrame,
    seed_files: Mapping[str, Path],
) -> pl.DataFrame:
    """One row per table of `tables` ('schema/table' asset keys) and lineage item.

    `own_ids` gives the ids each asset's own code cites (named, and inside named ranges);
    `register` is seeds.assumptions
    (assumption_id, parameter, value, source); `load_log` is raw._load_log (table_name,
    dataset_id, source_files, source_sha256), its latest row per table; `seed_files` maps
    'seeds/<name>' to the seed's CSV file. Raises naming any cited id the register lacks and any
    raw asset upstream that the load log does not know."""
    known = {r["assumption_id"]: r for r in register.iter_rows(named=True)}
    unknown = {
        asset: sorted(named - known.keys()) for asset, (named, _) in own_ids.items() if named - known.keys()
    }
    if unknown:
        raise ValueError(f"assumption ids cited but not in seeds/assumptions.csv: {unknown}")
    loads = {r["table_name"]: r for r in load_log.iter_rows(named=True)}
    rows: list[dict[str, str | None]] = []
    for table in sorted(tables):
        upstream = ancestors(table, parents) | {table}
        schema, name = table.split("/", 1)
        ids: set[str] = set()
        for asset in upstream:
            named, inside = own_ids.get(asset, (set(), set()))
            ids |= named | (inside & known.keys())
        for assumption_id in sorted(ids):
            entry = known[assumption_id]
            rows.append({
                "table_schema": schema, "table_name": name, "lineage_kind": "assumption",
                "item_id": assumption_id, "item_name": entry["parameter"], "item_value": str(entry["value"]),
                "detail": entry.get("source"),
            })
        raws = sorted(asset.split("/", 1)[1] for asset in upstream if asset.startswith("raw/"))
        missing = [raw for raw in raws if raw not in loads]
        if missing:
            raise ValueError(f"{table}: raw tables upstream with no load recorded in raw._load_log: {missing}")
        for raw in raws:
            load = loads[raw]
            rows.append({
                "table_schema": schema, "table_name": name, "lineage_kind": "source_file",
                "item_id": load["dataset_id"], "item_name": load["source_files"],
                "item_value": load["source_sha256"], "detail": f"raw.{raw}",
            })
        for seed in sorted(asset for asset in upstream if asset.startswith("seeds/")):
            path = seed_files.get(seed)
            if path is None:
                continue
            rows.append({
                "table_schema": schema, "table_name": name, "lineage_kind": "seed_file",
                "item_id": seed.split("/", 1)[1], "item_name": f"dbt_project/seeds/{path.name}",
                "item_value": sha256_of(path), "detail": f"seeds.{seed.split('/', 1)[1]}",
            })
    return pl.DataFrame(rows, schema=SCHEMA, orient="row")
