"""Landing contracts: one YAML file per raw table in data_contracts/raw/, checked before writing.

A contract lists every column with its type, nullability, allowed values or range, the table's key
and its minimum row count. `validate` checks a frame against it and raises ContractViolation naming
the dataset, file, column and the first offending source row, with a sample of offending rows, so
that nothing that breaks the contract is ever written.

Columns whose names start with an underscore are lineage columns added by the pipeline
(`_source_row`, `_flags`, ...); contracts describe the source's own columns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import polars as pl

from ingestion import yaml_files
from ingestion.errors import ContractViolation
from ingestion.settings import RAW_CONTRACTS_DIR

TYPES: dict[str, pl.DataType] = {
    "VARCHAR": pl.String(),
    "BIGINT": pl.Int64(),
    "INTEGER": pl.Int32(),
    "DOUBLE": pl.Float64(),
    "BOOLEAN": pl.Boolean(),
    "DATE": pl.Date(),
}
SAMPLE_ROWS = 5


@dataclass(frozen=True)
class ColumnRule:
    name: str
    type: str
    nullable: bool = True
    description: str = ""
    allowed: tuple | None = None
    min: float | None = None
    max: float | None = None
    pattern: str | None = None


@dataclass(frozen=True)
class Contract:
    table: str
    dataset_id: str
    description: str
    columns: tuple[ColumnRule, ...]
    primary_key: tuple[str, ...] = ()
    min_rows: int = 1
    files: tuple[str, ...] = field(default_factory=tuple)
    # numeric columns whose total the change check compares with the last good load (landing.py)
    change_sums: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    def polars_schema(self) -> dict[str, pl.DataType]:
        return {c.name: TYPES[c.type] for c in self.columns}


def _parse(path: Path) -> Contract:
    raw = yaml_files.safe_load(path.read_text(encoding="utf-8"))
    columns = []
    for name, spec in raw["columns"].items():
        spec = spec or {}
        if spec.get("type", "VARCHAR") not in TYPES:
            raise ValueError(f"{path.name}: column {name} has unknown type {spec.get('type')}")
        columns.append(
            ColumnRule(
                name=name,
                type=spec.get("type", "VARCHAR"),
                nullable=bool(spec.get("nullable", True)),
                description=spec.get("description", ""),
                allowed=tuple(spec["allowed"]) if "allowed" in spec else None,
                min=spec.get("min"),
                max=spec.get("max"),
                pattern=spec.get("pattern"),
            )
        )
    return Contract(
        table=raw["table"],
        dataset_id=raw["dataset_id"],
        description=raw.get("description", ""),
        columns=tuple(columns),
        primary_key=tuple(raw.get("primary_key", [])),
        min_rows=int(raw.get("min_rows", 1)),
        change_sums=tuple(raw.get("change_sums", [])),
        files=tuple(raw.get("files", [])),
    )


@cache
def load_contract(table: str, directory: Path = RAW_CONTRACTS_DIR) -> Contract:
    path = directory / f"{table}.yml"
    if not path.is_file():
        raise FileNotFoundError(f"no landing contract for raw table {table}: expected {path}")
    contract = _parse(path)
    if contract.table != table:
        raise ValueError(f"{path.name} describes table {contract.table!r}, not {table!r}")
    return contract


def _row_numbers(frame: pl.DataFrame, mask: pl.Expr) -> tuple[list[int], list[dict]]:
    """Source row numbers (from `_source_row` when present) and a sample of the offending rows."""
    bad = frame.with_row_index("_index").filter(mask)
    ref = "_source_row" if "_source_row" in frame.columns else "_index"
    rows = [int(r) for r in bad.get_column(ref).head(SAMPLE_ROWS).to_list()]
    sample = bad.drop("_index").head(SAMPLE_ROWS).to_dicts()
    return rows, sample


@dataclass(frozen=True)
class CheckOutcome:
    """The result of one group of contract rules: passed, or the violation that failed it."""

    name: str
    description: str
    violation: ContractViolation | None

    @property
    def passed(self) -> bool:
        return self.violation is None


CHECKS = {
    "required_columns": "Every contract column is present, with no unexpected column.",
    "row_count": "At least the contract's minimum number of rows.",
    "column_types": "Every column has the contract's type.",
    "values": "Nullability, allowed values, ranges and patterns hold on every row.",
    "key_unique": "The primary key is never null and never repeated.",
}


class _Failed(Exception):
    def __init__(self, violation: ContractViolation) -> None:
        self.violation = violation


def evaluate(
    frame: pl.DataFrame, contract: Contract, *, file: str | None = None
) -> list[CheckOutcome]:
    """Run every group of rules; each outcome carries the first violation of its group."""
    file = file or ", ".join(contract.files) or None

    def fail(message: str, column: str | None = None, mask: pl.Expr | None = None) -> None:
        rows: list[int] = []
        sample: list[dict] = []
        if mask is not None:
            rows, sample = _row_numbers(frame, mask)
        raise _Failed(
            ContractViolation(
                message + (f"; first offending rows: {rows}" if len(rows) > 1 else ""),
                dataset_id=contract.dataset_id,
                file=file,
                column=column,
                row=rows[0] if rows else None,
                value=sample[0].get(column) if sample and column else None,
                sample=sample,
                hint=f"Contract: data_contracts/raw/{contract.table}.yml",
            )
        )

    own = [c for c in frame.columns if not c.startswith("_")]
    expected = contract.column_names

    def required_columns() -> None:
        missing = [c for c in expected if c not in own]
        if missing:
            fail(f"missing column(s) {missing} required by the contract", column=missing[0])
        extra = [c for c in own if c not in expected]
        if extra:
            fail(f"unexpected column(s) {extra} not in the contract", column=extra[0])

    def row_count() -> None:
        if frame.height < contract.min_rows:
            fail(f"only {frame.height} rows; the contract expects at least {contract.min_rows}")

    present = [r for r in contract.columns if r.name in frame.columns]

    def column_types() -> None:
        for rule in present:
            dtype = frame.schema[rule.name]
            if dtype != TYPES[rule.type]:
                fail(f"type is {dtype}, the contract says {rule.type}", column=rule.name)

    def values() -> None:
        for rule in present:
            if frame.schema[rule.name] != TYPES[rule.type]:
                continue  # reported by column_types
            col = pl.col(rule.name)
            if not rule.nullable:
                mask = col.is_null()
                if frame.select(mask.any()).item():
                    fail("null value in a column that must not be null", rule.name, mask)
            if rule.allowed is not None:
                mask = col.is_not_null() & ~col.is_in(list(rule.allowed))
                if frame.select(mask.any()).item():
                    fail(f"value outside the allowed set {list(rule.allowed)}", rule.name, mask)
            if rule.min is not None:
                mask = col.is_not_null() & (col < rule.min)
                if frame.select(mask.any()).item():
                    fail(f"value below the allowed minimum {rule.min}", rule.name, mask)
            if rule.max is not None:
                mask = col.is_not_null() & (col > rule.max)
                if frame.select(mask.any()).item():
                    fail(f"value above the allowed maximum {rule.max}", rule.name, mask)
            if rule.pattern is not None:
                mask = col.is_not_null() & ~col.str.contains(f"^(?:{rule.pattern})$")
                if frame.select(mask.any()).item():
                    fail(f"value does not match the pattern {rule.pattern!r}", rule.name, mask)

    def key_unique() -> None:
        key = [k for k in contract.primary_key if k in frame.columns]
        if not key:
            return
        for name in key:
            if frame.select(pl.col(name).is_null().any()).item():
                fail("null in a key column", name, pl.col(name).is_null())
        mask = pl.struct(key).is_duplicated()
        if frame.select(mask.any()).item():
            fail(f"duplicate key {key}", key[0], mask)

    outcomes = []
    for name, check in [
        ("required_columns", required_columns),
        ("row_count", row_count),
        ("column_types", column_types),
        ("values", values),
        ("key_unique", key_unique),
    ]:
        try:
            check()
            outcomes.append(CheckOutcome(name, CHECKS[name], None))
        except _Failed as failed:
            outcomes.append(CheckOutcome(name, CHECKS[name], failed.violation))
    return outcomes


def validate(frame: pl.DataFrame, contract: Contract, *, file: str | None = None) -> None:
    """Raise the first ContractViolation found; return None when the frame conforms."""
    for outcome in evaluate(frame, contract, file=file):
        if outcome.violation is not None:
            raise outcome.violation
