"""Fixtures of the integration tests: they read the session's build of the real pipeline."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest


@pytest.fixture(scope="module")
def con(built_warehouse: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """A read-only connection to the session's build warehouse, per test module (a module that
    runs the pipeline again on that file needs it closed)."""
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()
