"""The landing writes each raw table as Parquet beside the warehouse (the Spark build's input), the
same rows as the DuckDB table, and never ahead of it."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from ingestion import landing
from ingestion.catalog import raw_table
from tests.conftest import copy_raw_from_build

DATASET = "frey_osborne__computerisation"


def test_the_parquet_copy_holds_the_same_rows_as_the_duckdb_table(raw_build, built_warehouse):
    con, results = raw_build
    folder = built_warehouse.parent / "parquet" / "raw"
    parquet = folder / f"{DATASET}.parquet"
    copy = pl.read_parquet(parquet)
    # DuckDB names the zone Etc/UTC, polars UTC: the same instants
    table = (
        con.sql(f"SELECT * FROM raw.{DATASET}")
        .pl()
        .with_columns(pl.col("_loaded_at").dt.convert_time_zone("UTC"))
    )
    assert copy.height == results[DATASET].rows
    assert copy.schema == table.schema
    assert copy.sort("_source_row").equals(table.sort("_source_row"))
    # no temporary file left: one copy per table the build landed, and nothing else
    assert sorted(p.name for p in folder.iterdir()) == sorted(f"{t}.parquet" for t in results)


def test_a_failed_write_leaves_the_previous_parquet_and_no_temporary_file(
    tmp_path, mirror, built_warehouse
):
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        # the previous good load is the session build's (table, load-log row, Parquet copy);
        # only the landing that fails runs here
        first = copy_raw_from_build(con, built_warehouse, raw_table(DATASET), parquet=True)
        parquet = tmp_path / "parquet" / "raw" / f"{DATASET}.parquet"
        before = parquet.read_bytes()
        # a load log the insert no longer fits: the write fails inside the transaction, after the
        # table was replaced, as a full disk would
        con.execute("ALTER TABLE raw._load_log ADD COLUMN extra VARCHAR NOT NULL DEFAULT 'x'")
        with pytest.raises(duckdb.Error):
            landing.land(con, raw_table(DATASET), run_id="faulty")
        assert parquet.read_bytes() == before
        assert pl.read_parquet(parquet).get_column("_run_id").unique().to_list() == [first.run_id]
        assert [p.name for p in parquet.parent.iterdir()] == [parquet.name]
        assert con.execute(f"SELECT count(*) FROM raw.{DATASET}").fetchone()[0] == first.rows
        assert con.execute(f"SELECT DISTINCT _run_id FROM raw.{DATASET}").fetchall() == [
            (first.run_id,)
        ]
    finally:
        con.close()


def test_an_in_memory_warehouse_gets_no_parquet_copy(tmp_path, mirror, monkeypatch):
    # A landing of its own (the session build's warehouse is a file): what is under test is where
    # a landing into an in-memory database writes, which no existing load can show.
    # In a fresh working directory, so that a copy written "nowhere" (the cwd) would show; the
    # mirror by its absolute path, as CI gives it relative to the repository
    monkeypatch.setenv("ATLAS_MIRROR", str(mirror))
    monkeypatch.chdir(tmp_path)
    con = duckdb.connect()
    landing.land(con, raw_table(DATASET))
    assert landing.raw_parquet_dir(con) is None
    assert not list(tmp_path.rglob("*.parquet"))


def test_a_failed_parquet_copy_leaves_the_previous_load_whole(tmp_path, mirror, built_warehouse,
                                                              monkeypatch):
    """The Parquet copy is written while DuckDB loads the table (issue 18): when the copy fails,
    half written, the table's replacement is rolled back too and no temporary file stays."""
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"))
    try:
        first = copy_raw_from_build(con, built_warehouse, raw_table(DATASET), parquet=True)
        parquet = tmp_path / "parquet" / "raw" / f"{DATASET}.parquet"
        before = parquet.read_bytes()

        def half_written(frame, path, *args, **kwargs):
            with open(path, "wb") as handle:
                handle.write(b"PAR1 cut short")
            raise OSError("No space left on device")

        monkeypatch.setattr(pl.DataFrame, "write_parquet", half_written)
        with pytest.raises(OSError, match="No space left"):
            landing.land(con, raw_table(DATASET), run_id="faulty")
        assert parquet.read_bytes() == before
        assert [p.name for p in parquet.parent.iterdir()] == [parquet.name]
        assert con.execute(f"SELECT DISTINCT _run_id FROM raw.{DATASET}").fetchall() == [
            (first.run_id,)
        ]
        assert con.execute(
            "SELECT count(*) FROM raw._load_log WHERE run_id = 'faulty'").fetchone()[0] == 0
    finally:
        con.close()
