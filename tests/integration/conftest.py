"""Fixtures of the integration tests: they read the session's build of the real pipeline."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path

import duckdb
import pytest

from ingestion.catalog import raw_table
from tests.conftest import LoggedLoad, assert_landed_from_registered_files, logged_loads


@pytest.fixture(scope="module")
def con(built_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the session's build warehouse, per test module (a module that
    runs the pipeline again on that file needs it closed)."""
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


class BuildLoads(Mapping[str, LoggedLoad]):
    """Each raw table's load in the session build, by table name, as raw._load_log records it.

    Looking a table up checks, once, that its log row speaks for the rows the build holds, as a
    LandingResult spoke for the rows it wrote: the row count, the flagged rows and the count of
    each flag recomputed from the table, and the lineage of every row (file, checksum, run and
    time of the load); and that the load read the files the registry names today."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self._con = con
        self._loads = logged_loads(con)
        self._checked: set[str] = set()

    def __getitem__(self, name: str) -> LoggedLoad:
        load = self._loads[name]
        if name not in self._checked:
            assert_log_describes_table(self._con, load)
            assert_landed_from_registered_files(load, raw_table(name))
            self._checked.add(name)
        return load

    def __iter__(self) -> Iterator[str]:
        return iter(self._loads)

    def __len__(self) -> int:
        return len(self._loads)


def assert_log_describes_table(con: duckdb.DuckDBPyConnection, load: LoggedLoad) -> None:
    table = f'raw."{load.table}"'
    rows, flagged = con.execute(f"SELECT count(*), count(_flags) FROM {table}").fetchone()
    assert (rows, flagged) == (load.rows, load.flagged_rows), load.table
    flags = dict(
        con.execute(
            f"SELECT flag, count(*) FROM (SELECT unnest(string_split(_flags, ';')) AS flag "
            f"FROM {table} WHERE _flags IS NOT NULL) GROUP BY flag"
        ).fetchall()
    )
    assert flags == load.flag_counts, load.table
    lineage = con.execute(
        f"SELECT DISTINCT _source_file, _source_sha256, _run_id, _loaded_at FROM {table}"
    ).fetchall()
    assert lineage == [(load.files, load.sha256, load.run_id, load.loaded_at)], load.table


@pytest.fixture(scope="module")
def raw_build(con: duckdb.DuckDBPyConnection) -> tuple[duckdb.DuckDBPyConnection, BuildLoads]:
    """The raw tables as the session build landed them, each source once for the whole session:
    the read-only connection, and per raw table what its landing returned (rows, flagged_rows,
    flag_counts, files, sha256, loaded_at) read back from the build's raw._load_log."""
    return con, BuildLoads(con)
