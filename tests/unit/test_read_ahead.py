"""The landing's read-ahead (ingestion.read_ahead): the same tables landed as without it, each
table's error and log records handed to the caller that takes that table, never more than `ahead`
tables held, and one read-ahead per run in the Dagster landing, closed when the run has taken
every table."""

from __future__ import annotations

import logging
import threading
import time
from types import SimpleNamespace

import duckdb
import pytest

from ingestion import fetch, landing, read_ahead
from ingestion.catalog import raw_table
from ingestion.errors import AtlasDataError
from ingestion.read_ahead import ReadAhead
from orchestration.logs import forwarded

# Small real tables of three datasets, read from the mirror.
REAL = ("frey_osborne__computerisation", "mihaylov_tijdens__rti", "gds__transactions_explorer")


def _tables(*names: str) -> list[SimpleNamespace]:
    return [SimpleNamespace(name=n) for n in names]


def _landed(path, tables, *, ahead: bool) -> tuple[dict[str, list], list]:
    con = duckdb.connect(str(path))
    try:
        if ahead:
            with ReadAhead(tables, workers=2, ahead=2) as reading:
                for table in tables:
                    landing.land(con, table, run_id="r", prepared=reading.take(table))
        else:
            for table in tables:
                landing.land(con, table, run_id="r")
        content = {
            t.name: con.execute(
                f"SELECT * EXCLUDE (_loaded_at) FROM raw.{t.name} ORDER BY _source_row").fetchall()
            for t in tables
        }
        log = con.execute("SELECT * EXCLUDE (loaded_at) FROM raw._load_log ORDER BY table_name").fetchall()
    finally:
        con.close()
    return content, log


def test_tables_read_ahead_are_landed_as_without_it(tmp_path, mirror):
    tables = [raw_table(n) for n in REAL]
    plain = _landed(tmp_path / "plain.duckdb", tables, ahead=False)
    ahead = _landed(tmp_path / "ahead.duckdb", tables, ahead=True)
    assert ahead == plain
    assert all(rows for rows in plain[0].values())
    for table in tables:  # the Parquet copies beside each warehouse hold the same rows
        one = duckdb.sql(f"SELECT * EXCLUDE (_loaded_at) FROM '{tmp_path}/parquet/raw/{table.name}.parquet' "
                         "ORDER BY _source_row").fetchall()
        assert one == plain[0][table.name]


def test_each_table_gets_its_own_result_or_error_in_the_callers_thread(monkeypatch):
    calls: list[tuple[str, str]] = []

    def prepare(table):
        calls.append((table.name, threading.current_thread().name))
        if table.name == "b":
            raise AtlasDataError("b is broken", dataset_id="d", file="b.csv", column="x", row=3)
        return f"prepared {table.name}"

    monkeypatch.setattr(read_ahead, "prepare", prepare)
    a, b, c = _tables("a", "b", "c")
    with ReadAhead([a, b, c], workers=2, ahead=2) as reading:
        assert reading.take(a) == "prepared a"
        with pytest.raises(AtlasDataError, match="b is broken") as caught:
            reading.take(b)
        assert caught.value.row == 3 and caught.value.file == "b.csv"
        assert reading.take(c) == "prepared c"
        assert reading.tables_left == 0
    assert sorted(n for n, _ in calls) == ["a", "b", "c"]
    assert all(thread.startswith("atlas-read-ahead") for _, thread in calls)


def test_a_table_not_read_ahead_is_prepared_by_the_caller(monkeypatch):
    threads: dict[str, str] = {}
    monkeypatch.setattr(read_ahead, "prepare",
                        lambda t: threads.setdefault(t.name, threading.current_thread().name))
    a, b = _tables("a", "b")
    with ReadAhead([a], workers=1, ahead=1) as reading:
        reading.take(b)
        reading.take(a)
    assert threads["b"] == threading.current_thread().name
    assert threads["a"].startswith("atlas-read-ahead")


def test_no_more_than_ahead_tables_are_held_and_they_come_in_order(monkeypatch):
    lock = threading.Lock()
    held: set[str] = set()
    most = [0]
    started: list[str] = []

    def prepare(table):
        with lock:
            started.append(table.name)
            held.add(table.name)
            most[0] = max(most[0], len(held))
        time.sleep(0.01)
        return table.name

    monkeypatch.setattr(read_ahead, "prepare", prepare)
    tables = _tables(*(f"t{i}" for i in range(12)))
    with ReadAhead(tables, workers=2, ahead=3) as reading:
        for table in tables:
            time.sleep(0.02)  # a slow writer: the workers would run far ahead if let
            assert reading.take(table) == table.name
            with lock:
                held.discard(table.name)
    assert most[0] <= 3
    # Started in the order given (two workers may swap neighbours only).
    assert [int(n[1:]) // 2 for n in started] == sorted(int(n[1:]) // 2 for n in started)


def test_closing_drops_the_tables_not_taken(monkeypatch):
    started: list[str] = []
    monkeypatch.setattr(read_ahead, "prepare", lambda t: started.append(t.name))
    tables = _tables(*(f"t{i}" for i in range(10)))
    reading = ReadAhead(tables, workers=1, ahead=2)
    reading.take(tables[0])
    reading.close()
    time.sleep(0.05)
    assert len(started) <= 3  # the first, and at most the two read ahead of it
    reading.take(tables[5])  # prepared by the caller
    assert started[-1] == "t5" and len(started) <= 4


def test_the_refresh_flag_reaches_the_workers(monkeypatch):
    seen: dict[str, bool] = {}
    monkeypatch.setattr(read_ahead, "prepare",
                        lambda t: seen.setdefault(t.name, fetch._REFRESH.get()))
    a, b = _tables("a", "b")
    with ReadAhead([a], refresh=True) as reading:
        reading.take(a)
    with ReadAhead([b], refresh=False) as reading:
        reading.take(b)
    assert seen == {"a": True, "b": False}


class _Log:
    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str) -> None:
        self.lines.append(message)

    warning = error = info


def test_a_workers_fetch_records_go_to_the_caller_that_takes_its_table(monkeypatch):
    def prepare(table):
        fetch.logger.info("downloading %s", table.name)
        return table.name

    monkeypatch.setattr(read_ahead, "prepare", prepare)
    a, b = _tables("a", "b")
    step_log = _Log()
    with forwarded(step_log, "atlas.fetch"):
        with ReadAhead([a, b], workers=2, ahead=2) as reading:
            time.sleep(0.05)  # both prepared while this "step" runs
            fetch.logger.info("the step's own record")
            taken_a, taken_b = [], []
            reading.take(a, on_log=lambda r: taken_a.append(r.getMessage()))
            reading.take(b, on_log=lambda r: taken_b.append(r.getMessage()))
    assert taken_a == ["downloading a"] and taken_b == ["downloading b"]
    # The step's forwarding kept to its own thread: no worker's record in it.
    assert step_log.lines == ["the step's own record"]
    assert not any(isinstance(h, read_ahead._Kept) for h in logging.getLogger("atlas.fetch").handlers)


def test_a_run_lands_its_tables_through_one_read_ahead_and_closes_it(tmp_path, mirror, monkeypatch):
    import dagster as dg

    from orchestration.assets import raw
    from orchestration.resources import warehouse_resource

    made: list[ReadAhead] = []

    class Counted(ReadAhead):
        def __init__(self, tables, **kwargs):
            super().__init__(tables, **kwargs)
            made.append(self)

    monkeypatch.setattr(raw, "ReadAhead", Counted)
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(tmp_path / "atlas.duckdb"))
    assets = [a for a in raw.raw_assets()
              if a.node_def.name in ("raw__frey_osborne__computerisation", "raw__gds__transactions_explorer")]
    result = dg.materialize(assets, resources={"warehouse": warehouse_resource()},
                            instance=dg.DagsterInstance.ephemeral())
    assert result.success
    assert len(made) == 1 and made[0].tables_left == 0
    assert raw._READING == {}
    con = duckdb.connect(str(tmp_path / "atlas.duckdb"), read_only=True)
    try:
        landed = {r[0] for r in con.execute("SELECT table_name FROM raw._load_log").fetchall()}
    finally:
        con.close()
    assert landed == {key.path[1] for a in assets for key in a.keys}
