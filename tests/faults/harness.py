"""Give a warehouse the good load of a raw table, then land it with a broken file in place of one
of its files, and check that the error says where and that the landed table did not change.

The good load is the session build's (the `built_warehouse` fixture): its raw table and load-log
row are copied into the test's warehouse, so that only the broken file is landed here. The landing
of the broken file sees the prior state a landing of the good file would have left: the same raw
table (which the change check, A044, compares the new file with) and the same load log."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingestion import landing
from ingestion.catalog import raw_table
from ingestion.errors import AtlasDataError
from tests.conftest import copy_raw_from_build


def snapshot(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    # ORDER BY ALL: long tables repeat _source_row, and DuckDB's order among ties can change.
    return con.execute(f'SELECT * FROM raw."{table}" ORDER BY ALL').fetchall()


def load_log(con: duckdb.DuckDBPyConnection) -> list[tuple]:
    return con.execute("SELECT * FROM raw._load_log ORDER BY ALL").fetchall()


def assert_fault_rejected(
    build: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table_name: str,
    file: str,
    broken: Path,
    *,
    column: str | None = None,
) -> AtlasDataError:
    """Give a warehouse in `tmp_path` the good load of `table_name` from the session build
    `build`, then land the table with `broken` standing in for `file`.

    Asserts an AtlasDataError naming the dataset and file (and `column` when given), that the
    good table is unchanged row for row, that the load log gained nothing, and that no Parquet copy
    was written. Returns the error for further checks.
    """
    table = raw_table(table_name)
    con = duckdb.connect(str(tmp_path / "faults.duckdb"))
    try:
        copy_raw_from_build(con, build, table)
        before = snapshot(con, table.name)
        logged = load_log(con)
        real_fetch = landing.fetch

        def fetch_with_fault(dataset_id: str, name: str) -> Path:
            return broken if name == file else real_fetch(dataset_id, name)

        monkeypatch.setattr(landing, "fetch", fetch_with_fault)
        with pytest.raises(AtlasDataError) as caught:
            landing.land(con, table, run_id="faulty")
        error = caught.value
        assert error.dataset_id == table.dataset_id
        assert error.file and file in error.file, str(error)
        if column is not None:
            assert error.column == column, str(error)
        assert snapshot(con, table.name) == before
        assert load_log(con) == logged
        parquet = landing.raw_parquet_dir(con)
        assert parquet is not None and not (parquet.exists() and any(parquet.iterdir()))
        return error
    finally:
        con.close()
