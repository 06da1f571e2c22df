"""Every raw table the pipeline lands, discovered from the source registry.

A dataset id `<publisher>__<dataset>` has its reader module `ingestion.<publisher>.<dataset>`,
which exports `TABLES`, a tuple of RawTable. Adding a dataset means adding its registry entry,
its module and one contract per table: nothing here changes.
"""

from __future__ import annotations

import importlib
from functools import lru_cache

from ingestion.readers import RawTable
from ingestion.registry import load_registry


def reader_module_name(dataset_id: str) -> str:
    publisher, _, dataset = dataset_id.partition("__")
    return f"ingestion.{publisher}.{dataset}"


@lru_cache(maxsize=1)
def raw_tables() -> tuple[RawTable, ...]:
    """All raw tables of all registered datasets, in registry order."""
    tables: list[RawTable] = []
    for dataset_id in load_registry():
        module = importlib.import_module(reader_module_name(dataset_id))
        for table in module.TABLES:
            if table.dataset_id != dataset_id:
                raise ValueError(f"{module.__name__} declares {table.name} for {table.dataset_id}")
            tables.append(table)
    names = [t.name for t in tables]
    duplicates = {n for n in names if names.count(n) > 1}
    if duplicates:
        raise ValueError(f"raw table names declared twice: {sorted(duplicates)}")
    return tuple(tables)


def raw_table(name: str) -> RawTable:
    for table in raw_tables():
        if table.name == name:
            return table
    raise KeyError(f"no raw table {name!r}")
