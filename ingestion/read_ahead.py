"""Read raw tables ahead of the writer that lands them (issue 18).

Landing a table is mostly reading it: fetching and verifying its files, parsing CSV and Excel,
casting, checking the landing contract (`landing.prepare`). None of that touches the warehouse,
and the libraries that do the heavy part (polars, calamine) let go of Python's lock while they
work. A `ReadAhead` prepares the tables of a run in worker threads, in the order they will be
landed and never more than `ahead` of them at once, while the caller writes the ones already read
(`landing.land(..., prepared=...)`): the reading of the next tables overlaps the writing of this
one and the orchestration around it.

What the caller sees does not change: `take(table)` returns the table's `Prepared` or raises the
error its preparation raised (the same AtlasDataError, with its contract outcomes), in the caller's
thread; a table that was not read ahead is prepared there and then. The records that `atlas.fetch`
logs while a worker prepares a table (a download's progress) are kept with the table and handed to
the caller's `on_log` while it waits for that table or takes it, so each shows in the log of the
step that lands its table, not of whichever step happens to be running.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait

from ingestion.fetch import logger as fetch_logger
from ingestion.fetch import refreshing
from ingestion.landing import Prepared, prepare
from ingestion.readers import RawTable

# How often a caller waiting for a table hands over the log records kept so far (seconds).
LOG_EVERY_SECONDS = 0.5


class _Kept(logging.Handler):
    """Keeps the records logged on the workers' threads, by the table each worker prepares."""

    def __init__(self) -> None:
        super().__init__(level=logging.INFO)
        self.current = threading.local()
        self.records: dict[str, list[logging.LogRecord]] = {}
        self.kept_lock = threading.Lock()  # not `lock`: logging.Handler's own

    def emit(self, record: logging.LogRecord) -> None:
        table = getattr(self.current, "table", None)
        if table is None:  # not a worker of this read-ahead
            return
        with self.kept_lock:
            self.records.setdefault(table, []).append(record)

    def drain(self, table: str) -> list[logging.LogRecord]:
        with self.kept_lock:
            return self.records.pop(table, [])


class ReadAhead:
    """Prepares `tables` (in this order) in `workers` threads, at most `ahead` not yet taken.

    `refresh` is `fetch.refreshing`'s flag for the workers (a context variable does not follow
    work into a thread by itself). Close it when done (or use it as a context manager): tables not
    taken are dropped.
    """

    def __init__(self, tables: Iterable[RawTable], *, workers: int = 2, ahead: int = 6,
                 refresh: bool = False) -> None:
        if workers < 1 or ahead < 1:
            raise ValueError(f"workers and ahead must be at least 1, got {workers} and {ahead}")
        self._upcoming: deque[RawTable] = deque(tables)
        self._pending: dict[str, Future[Prepared]] = {}
        self._ahead = ahead
        self._refresh = refresh
        self._kept = _Kept()
        fetch_logger.addHandler(self._kept)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="atlas-read-ahead")
        self._closed = False
        self._fill()

    def _prepare(self, table: RawTable) -> Prepared:
        self._kept.current.table = table.name
        try:
            with refreshing(self._refresh):
                return prepare(table)
        finally:
            self._kept.current.table = None

    def _fill(self) -> None:
        while self._upcoming and len(self._pending) < self._ahead:
            table = self._upcoming.popleft()
            self._pending[table.name] = self._pool.submit(self._prepare, table)

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def tables_left(self) -> int:
        """Tables neither taken nor dropped."""
        return len(self._upcoming) + len(self._pending)

    def take(self, table: RawTable,
             on_log: Callable[[logging.LogRecord], None] | None = None) -> Prepared:
        """The table prepared (by a worker, or here if it was not read ahead or the read-ahead is
        closed), or its error.

        While waiting for it, and once it is ready, the records logged in preparing it are passed
        to `on_log` (dropped without one)."""
        future = self._pending.pop(table.name, None)
        if future is None:
            self._upcoming = deque(t for t in self._upcoming if t.name != table.name)
            self._fill()
            return prepare(table)
        self._fill()  # the next table starts while this one is written
        while True:
            done, _ = futures_wait([future], timeout=LOG_EVERY_SECONDS,
                                   return_when=FIRST_COMPLETED)
            for record in self._kept.drain(table.name):
                if on_log is not None:
                    on_log(record)
            if done:
                return future.result()

    def close(self) -> None:
        """Stop reading ahead: tables not started are dropped, the ones being read finish in the
        background and are dropped too; `take` then prepares each table itself."""
        if self._closed:
            return
        self._closed = True
        self._upcoming.clear()
        for future in self._pending.values():
            future.cancel()
        self._pending.clear()
        self._pool.shutdown(wait=False, cancel_futures=True)
        fetch_logger.removeHandler(self._kept)

    def __enter__(self) -> ReadAhead:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
