"""Dagster's SQLite storage, with the event log keeping its database connections open.

Dagster's `SqliteEventLogStorage` makes a new SQLAlchemy engine and SQLite connection for every
read and write of a run's event log or of its cross-run index, and closes it again; closing the
last connection to a database in WAL mode checkpoints its log to disk. A run stores each event
that way, often three times (the run's database, the index, the asset or check tables), and asks
the index whether the asset-check tables exist before each check event: three to four new
connections an event on average, 8 to 11 ms of bookkeeping for each of a cold 1x run's 2,400
events (issue 18; `python -m benchmarks.events` measures the two storages side by side).

`AtlasSqliteEventLogStorage` is the same storage (the same files, tables, schema and queries; a
Dagster home written by one is read by the other) with two differences: it keeps one engine, and
so one open connection, for each of the last few databases it used, and it remembers which tables
it has seen exist. Writes still commit one by one, so the UI and other processes see every event
as before. Access stays serialised by the storage's own lock, as in Dagster's class.

`AtlasSqliteStorage` is Dagster's default local storage (`DagsterSqliteStorage`: runs, event logs
and schedules under DAGSTER_HOME) with that event log. orchestration/environment.py names it in the
dagster.yaml it writes:

    storage:
      custom:
        module: orchestration.storage
        class: AtlasSqliteStorage
        config:
          base_dir: <the Dagster home, as an absolute path>

(An absolute path, not `{env: DAGSTER_HOME}`: a home opened from elsewhere, such as
`InstanceRef.from_dir`, must read its own files whatever the process's DAGSTER_HOME says.)
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

import yaml
from dagster._core.storage.event_log.sqlite.sqlite_event_log import (
    SQLITE_BUSY_TIMEOUT_SECONDS,
    SqliteEventLogStorage,
)
from dagster._core.storage.runs.sqlite.sqlite_run_storage import SqliteRunStorage
from dagster._core.storage.schedules.sqlite.sqlite_schedule_storage import SqliteScheduleStorage
from dagster._core.storage.sql import create_engine
from dagster._core.storage.sqlite_storage import (
    DagsterSqliteStorage,
    _event_logs_directory,
    _runs_directory,
    _schedule_directory,
)
from dagster._serdes import ConfigurableClassData

# Databases whose engine stays open: the index, the run being written, and a few a reader (the UI)
# moves between. Older ones are closed as newer ones are opened.
OPEN_DATABASES = 4


class AtlasSqliteEventLogStorage(SqliteEventLogStorage):
    """Dagster's SQLite event log storage, reusing one engine per database and remembering the
    tables that exist (see the module's docstring)."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        self._engines: OrderedDict[str, Any] = OrderedDict()  # shard -> SQLAlchemy engine
        self._tables_seen: set[str] = set()
        super().__init__(base_dir, inst_data=inst_data)

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,
                          config_value: Mapping[str, Any]) -> AtlasSqliteEventLogStorage:
        return cls(inst_data=inst_data, **config_value)

    def _engine(self, shard: str) -> Any:
        """The shard's engine, made on first use; the caller holds self._db_lock."""
        engine = self._engines.pop(shard, None)
        if engine is None:
            # SQLAlchemy's default pool for a SQLite file keeps the connection open between uses;
            # any thread may use it, one at a time (self._db_lock).
            engine = create_engine(
                self.conn_string_for_shard(shard),
                connect_args={"timeout": SQLITE_BUSY_TIMEOUT_SECONDS, "check_same_thread": False},
            )
        self._engines[shard] = engine
        while len(self._engines) > OPEN_DATABASES:
            _, oldest = self._engines.popitem(last=False)
            oldest.dispose()
        return engine

    @contextmanager
    def _connect(self, shard: str) -> Iterator[Any]:
        with self._db_lock:
            engine = self._engine(shard)
            if shard not in self._initialized_dbs:
                self._initdb(engine)
                self._initialized_dbs.add(shard)
            with engine.connect() as conn, conn.begin():
                yield conn

    def has_table(self, table_name: str) -> bool:
        # Tables are added by migrations, never dropped while a process runs: a table seen once
        # is there; one not seen is asked about again.
        if table_name in self._tables_seen:
            return True
        found = super().has_table(table_name)
        if found:
            self._tables_seen.add(table_name)
        return found

    def close_connections(self) -> None:
        """Close every open database connection (they reopen on next use)."""
        with self._db_lock:
            while self._engines:
                _, engine = self._engines.popitem()
                engine.dispose()

    def upgrade(self) -> None:
        self.close_connections()
        self._tables_seen.clear()
        super().upgrade()

    def dispose(self) -> None:
        super().dispose()
        self.close_connections()


class AtlasSqliteStorage(DagsterSqliteStorage):
    """Dagster's local SQLite storage (runs in history/, event logs in history/runs/, schedules in
    schedules/ under base_dir) with AtlasSqliteEventLogStorage as its event log."""

    def __init__(self, base_dir: str, inst_data: ConfigurableClassData | None = None) -> None:
        # DagsterSqliteStorage.__init__ with the event log swapped (the same folders: Dagster's own)
        self.base_dir = base_dir
        self._run_storage = SqliteRunStorage.from_local(_runs_directory(base_dir))
        self._event_log_storage = AtlasSqliteEventLogStorage(_event_logs_directory(base_dir))
        self._schedule_storage = SqliteScheduleStorage.from_local(_schedule_directory(base_dir))
        self._inst_data = inst_data
        super(DagsterSqliteStorage, self).__init__()

    @classmethod
    def from_config_value(cls, inst_data: ConfigurableClassData | None,  # type: ignore[override]
                          config_value: Mapping[str, Any]) -> AtlasSqliteStorage:
        # Dagster's from_config_value makes a DagsterSqliteStorage whatever the class
        return cls.from_local(config_value["base_dir"], inst_data=inst_data)

    @property
    def event_storage_data(self) -> ConfigurableClassData | None:
        return ConfigurableClassData(
            __name__, AtlasSqliteEventLogStorage.__name__,
            yaml.dump({"base_dir": _event_logs_directory(self.base_dir)}, default_flow_style=False),
        )
