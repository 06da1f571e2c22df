"""Send the log records of the pure packages (e.g. `atlas.fetch` download progress) to the Dagster
run log while an asset runs, so that long work shows its progress in the UI and the console."""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator


class _ToDagster(logging.Handler):
    def __init__(self, dagster_log, thread: int | None = None) -> None:
        super().__init__(level=logging.INFO)
        self.dagster_log = dagster_log
        self.thread = thread

    def emit(self, record: logging.LogRecord) -> None:
        if self.thread is not None and record.thread != self.thread:
            return  # another thread's work (a read-ahead keeps and hands over its own records)
        try:
            message = record.getMessage()
            if record.levelno >= logging.ERROR:
                self.dagster_log.error(message)
            elif record.levelno >= logging.WARNING:
                self.dagster_log.warning(message)
            else:
                self.dagster_log.info(message)
        except Exception:  # logging must never break the asset
            self.handleError(record)


@contextlib.contextmanager
def forwarded(dagster_log, *names: str) -> Iterator[None]:
    """Within the block, INFO and above that the named loggers receive on this thread go to
    `dagster_log` (context.log)."""
    handler = _ToDagster(dagster_log, thread=threading.get_ident())
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg, lg.level) for lg in loggers]
    for lg in loggers:
        lg.addHandler(handler)
        if lg.level == logging.NOTSET or lg.level > logging.INFO:
            lg.setLevel(logging.INFO)
    try:
        yield
    finally:
        for lg, level in saved:
            lg.removeHandler(handler)
            lg.setLevel(level)


def to_dagster(dagster_log) -> Callable[[logging.LogRecord], None]:
    """A function that sends one log record to `dagster_log` at its level (INFO and above), for
    records kept elsewhere and handed over later (ingestion.read_ahead)."""
    handler = _ToDagster(dagster_log)

    def send(record: logging.LogRecord) -> None:
        if record.levelno >= handler.level:
            handler.handle(record)

    return send
