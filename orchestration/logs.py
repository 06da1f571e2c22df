"""Send the log records of the pure packages (e.g. `atlas.fetch` download progress) to the Dagster
run log while an asset runs, so that long work shows its progress in the UI and the console."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator


class _ToDagster(logging.Handler):
    def __init__(self, dagster_log) -> None:
        super().__init__(level=logging.INFO)
        self.dagster_log = dagster_log

    def emit(self, record: logging.LogRecord) -> None:
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
    """Within the block, INFO and above of the named loggers go to `dagster_log` (context.log)."""
    handler = _ToDagster(dagster_log)
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
