"""Compare two builds of the same tables (DuckDB and Spark) and say where they differ.

Used by tests/integration/test_spark_equality.py. Two tables are equal when:
- they have the same columns, of compatible types (the same family: text, integer, floating,
  decimal, boolean, date, timestamp; an int against a bigint is compatible);
- their rows match one to one on the table's key (from its dbt tests: unique or
  unique_combination), no key value appearing on one side only;
- in matched rows every value is equal, nulls included, floating-point values within
  |a - b| <= ABS_TOLERANCE + REL_TOLERANCE * max(|a|, |b|): the engines add in different orders,
  so sums and means may differ in the last bits, never more.
Each difference names the table, the column and the key of the row.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import polars as pl

REL_TOLERANCE = 1e-9
ABS_TOLERANCE = 1e-12
DUPLICATE = "__duplicate_index"


@dataclass(frozen=True)
class Difference:
    table: str
    kind: str  # column_missing, type_incompatible, key_not_unique, row_missing, value_differs
    column: str | None = None
    key: dict[str, object] | None = None
    left: object = None
    right: object = None

    def __str__(self) -> str:
        where = self.table + (f".{self.column}" if self.column else "")
        key = f" at {self.key}" if self.key else ""
        values = f": {self.left!r} vs {self.right!r}" if self.kind in ("value_differs", "type_incompatible") else ""
        return f"{where}{key}: {self.kind}{values}"


def type_family(dtype: pl.DataType) -> str:
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "floating"
    if dtype.is_decimal():
        return "decimal"
    if dtype == pl.Boolean:
        return "boolean"
    if dtype == pl.Date:
        return "date"
    if dtype.is_temporal():
        return "timestamp"
    if dtype in (pl.String, pl.Categorical) or isinstance(dtype, pl.Enum):
        return "text"
    if dtype == pl.Null:
        return "null"
    return str(dtype)


def mart_keys(manifest: Path, schema: str = "marts") -> dict[str, list[str]]:
    """Each model of `schema` and the key its dbt tests declare (unique_combination, or a column
    with a unique test); models without one are absent."""
    nodes = json.loads(manifest.read_text(encoding="utf-8"))["nodes"]
    models = {
        uid: node["name"]
        for uid, node in nodes.items()
        if node["resource_type"] == "model" and node["schema"] == schema
    }
    keys: dict[str, list[str]] = {}
    for node in nodes.values():
        if node["resource_type"] != "test" or node.get("attached_node") not in models:
            continue
        name = models[node["attached_node"]]
        meta = node.get("test_metadata") or {}
        kwargs = meta.get("kwargs") or {}
        if meta.get("name") == "unique_combination":
            columns = kwargs.get("combination_of_columns")
            if columns:
                keys.setdefault(name, list(columns))
        elif meta.get("name") == "unique" and kwargs.get("column_name"):
            keys[name] = [kwargs["column_name"]]  # a single-column key wins: it is the grain
    return keys


def _with_duplicate_index(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """Number repeated key values (after sorting every column) so that rows pair up as multisets."""
    return frame.sort(frame.columns, nulls_last=True).with_columns(
        pl.int_range(pl.len()).over(key).alias(DUPLICATE)
    )


def compare_tables(
    table: str,
    left: pl.DataFrame,
    right: pl.DataFrame,
    key: list[str] | None = None,
    *,
    rel_tolerance: float = REL_TOLERANCE,
    abs_tolerance: float = ABS_TOLERANCE,
) -> list[Difference]:
    """Every difference between `left` (reference) and `right`; an empty list means equal."""
    differences: list[Difference] = []
    for column in left.columns:
        if column not in right.columns:
            differences.append(Difference(table, "column_missing", column, left="present", right="missing"))
    for column in right.columns:
        if column not in left.columns:
            differences.append(Difference(table, "column_missing", column, left="missing", right="present"))
    columns = [c for c in left.columns if c in right.columns]
    families = {}
    for column in columns:
        a, b = type_family(left.schema[column]), type_family(right.schema[column])
        if a != b and "null" not in (a, b):
            differences.append(Difference(table, "type_incompatible", column, left=str(left.schema[column]),
                                          right=str(right.schema[column])))
        families[column] = a if a != "null" else b
    comparable = [c for c in columns if not any(d.column == c and d.kind == "type_incompatible" for d in differences)]
    declared = key is not None and set(key) <= set(comparable)
    if not declared:  # no key: rows pair up as multisets on their exact columns
        key = [c for c in comparable if families[c] not in ("floating", "decimal")]
    for side, frame in (("left", left), ("right", right)):
        if declared and frame.select(key).is_duplicated().any():
            duplicated = frame.filter(frame.select(key).is_duplicated()).select(key).head(1).to_dicts()[0]
            differences.append(Difference(table, "key_not_unique", None, key=duplicated, left=side))
    a = _with_duplicate_index(left.select(comparable), key)
    b = _with_duplicate_index(right.select(comparable), key)
    # a float key column would need a tolerance to join on; keys are text, integers and dates
    b = b.with_columns(pl.col(c).cast(a.schema[c]) for c in key + [DUPLICATE] if b.schema[c] != a.schema[c])
    join_key = key + [DUPLICATE]
    joined = a.join(b, on=join_key, how="full", nulls_equal=True, suffix="__right", coalesce=False)
    only_left = joined.filter(pl.col(f"{DUPLICATE}__right").is_null())
    only_right = joined.filter(pl.col(DUPLICATE).is_null())
    for row in only_left.select(key).head(20).to_dicts():
        differences.append(Difference(table, "row_missing", None, key=row, left="present", right="missing"))
    for row in only_right.select([f"{k}__right" for k in key]).head(20).to_dicts():
        differences.append(Difference(table, "row_missing", None, key={k.removesuffix("__right"): v for k, v in row.items()},
                                      left="missing", right="present"))
    matched = joined.filter(pl.col(DUPLICATE).is_not_null() & pl.col(f"{DUPLICATE}__right").is_not_null())
    for column in comparable:
        if column in key:
            continue
        x, y = pl.col(column), pl.col(f"{column}__right")
        if families[column] in ("floating", "decimal"):
            x, y = x.cast(pl.Float64), y.cast(pl.Float64)
            both_nan = x.is_nan() & y.is_nan()
            close = (x - y).abs() <= abs_tolerance + rel_tolerance * pl.max_horizontal(x.abs(), y.abs())
            same = (x.is_null() & y.is_null()) | (x.is_not_null() & y.is_not_null() & (both_nan | close))
        else:
            if matched.schema[f"{column}__right"] != matched.schema[column]:
                y = y.cast(matched.schema[column])
            same = x.eq_missing(y)
        off = matched.filter(~same.fill_null(False))
        for row in off.head(5).iter_rows(named=True):
            differences.append(
                Difference(table, "value_differs", column, key={k: row[k] for k in key},
                           left=row[column], right=row[f"{column}__right"])
            )
        if off.height > 5:
            differences.append(Difference(table, "value_differs", column, key=None,
                                          left=f"{off.height} rows in all", right=None))
    return differences


def summarise(differences: list[Difference], limit: int = 60) -> str:
    """The differences as lines, table by table (at most `limit` lines)."""
    lines = [str(d) for d in differences[:limit]]
    if len(differences) > limit:
        lines.append(f"... and {len(differences) - limit} more")
    return "\n".join(lines)
