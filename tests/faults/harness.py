"""Land a raw table from the real mirror, then try again with a broken file in place of one of its
files, and check that the error says where and that the landed table did not change."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from ingestion import landing
from ingestion.catalog import raw_table
from ingestion.errors import AtlasDataError


def snapshot(con: duckdb.DuckDBPyConnection, table: str) -> list[tuple]:
    # ORDER BY ALL: long tables repeat _source_row, and DuckDB's order among ties can change.
    return con.execute(f'SELECT * FROM raw."{table}" ORDER BY ALL').fetchall()


def assert_fault_rejected(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    table_name: str,
    file: str,
    broken: Path,
    *,
    column: str | None = None,
) -> AtlasDataError:
    """Land `table_name` from the mirror, then land it with `broken` standing in for `file`.

    Asserts an AtlasDataError naming the dataset and file (and `column` when given), and that the
    table landed first is unchanged row for row. Returns the error for further checks.
    """
    table = raw_table(table_name)
    con = duckdb.connect(str(tmp_path / "faults.duckdb"))
    try:
        landing.land(con, table, run_id="good")
        before = snapshot(con, table.name)
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
        return error
    finally:
        con.close()
