"""Shared test settings: the mirror is found through ATLAS_MIRROR (.ci/run sets it)."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import duckdb

    from ingestion.landing import LandingResult
    from ingestion.readers import RawTable

PROJECT_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home"))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
# Pipeline runs started by tests never write the project's exports/ folder.
os.environ.setdefault("ATLAS_EXPORTS", tempfile.mkdtemp(prefix="atlas-test-exports-"))


FOLDER_MARKERS = ("unit", "faults", "integration", "browser")


def in_ci() -> bool:
    return os.environ.get("CI", "").lower() in ("1", "true", "yes")


def skip_or_fail(reason: str):
    """Skip on a developer's machine that lacks something a test needs; in CI (CI=true, which
    .ci/run sets) fail instead, so that no test is silently skipped there."""
    if in_ci():
        pytest.fail(f"{reason} (CI must provide it)")
    pytest.skip(reason)


def pytest_collection_modifyitems(config, items) -> None:
    """Mark every test by its folder (tests/<marker>/...), so `-m unit` selects the fast loop."""
    for item in items:
        parts = Path(str(item.fspath)).relative_to(PROJECT_ROOT / "tests").parts
        if len(parts) > 1 and parts[0] in FOLDER_MARKERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The real data mirror; tests that need real data fail loudly without it."""
    from ingestion.settings import mirror_dir

    path = mirror_dir()
    if path is None or not (path / "FILES.csv").is_file():
        pytest.fail("ATLAS_MIRROR must name the data mirror (e.g. ATLAS_MIRROR=../shared/mirror)")
    return path


def mirror_file(mirror: Path, dataset_id: str, file: str) -> Path:
    return mirror / dataset_id / file


def land_tables(
    folder: Path, tables: Iterable[RawTable]
) -> Iterator[tuple[duckdb.DuckDBPyConnection, dict[str, LandingResult]]]:
    """Land `tables` from the mirror into a new warehouse in `folder`; yield the connection and
    each table's LandingResult by table name, then close the connection. For a module fixture:
    `yield from land_tables(tmp_path_factory.mktemp("x"), TABLES)`."""
    import duckdb

    from ingestion import landing

    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    try:
        yield con, {t.name: landing.land(con, t, run_id="test") for t in tables}
    finally:
        con.close()


def run_pipeline(warehouse: Path, *args: str, mirror_dir: Path | None = None, home: Path | None = None):
    """Run `python -m orchestration run ...` in a subprocess against `warehouse`; returns the
    CompletedProcess (stdout and stderr merged)."""
    import subprocess
    import sys

    env = dict(os.environ)
    env["ATLAS_WAREHOUSE"] = str(warehouse)
    env["DAGSTER_HOME"] = str(home or warehouse.parent / "dagster_home")
    # exports of a test build stay beside its warehouse, not in the project's exports/
    env["ATLAS_EXPORTS"] = str(warehouse.parent / "exports")
    if mirror_dir is not None:
        env["ATLAS_MIRROR"] = str(mirror_dir)
    return subprocess.run(
        [sys.executable, "-m", "orchestration", "run", *args],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=1200,
    )


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory, mirror) -> Path:
    """The whole pipeline materialised once from the mirror into a fresh warehouse.

    ATLAS_TEST_REUSE_BUILD=<folder>/atlas.duckdb reuses a build made by this fixture (with its
    published/, exports/, dagster_home/ and run.log beside it) while working on a test; CI never
    sets it."""
    from ingestion.settings import reused_test_build

    reuse = reused_test_build()
    if reuse is not None:
        return reuse
    warehouse = tmp_path_factory.mktemp("build") / "atlas.duckdb"
    result = run_pipeline(warehouse, mirror_dir=mirror)
    (warehouse.parent / "run.log").write_text(result.stdout, encoding="utf-8")
    if result.returncode != 0:
        pytest.fail(f"pipeline run failed:\n{result.stdout[-6000:]}")
    return warehouse
