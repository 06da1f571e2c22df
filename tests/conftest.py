"""Shared test settings: the mirror is found through ATLAS_MIRROR (.ci/run sets it)."""

from __future__ import annotations

import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    import duckdb

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


@dataclass(frozen=True)
class LoggedLoad:
    """One load of a raw table as raw._load_log records it: the figures of the LandingResult the
    landing returned (rows, flagged_rows, files, sha256, loaded_at, flag_counts) and its run."""

    table: str
    dataset_id: str
    rows: int
    flagged_rows: int
    files: str
    sha256: str
    loaded_at: datetime
    run_id: str
    flag_counts: dict[str, int]


def parse_flag_counts(text: str | None) -> dict[str, int]:
    """The load log's `flag=count;flag=count` back into LandingResult.flag_counts."""
    if not text:
        return {}
    pairs = (item.rsplit("=", 1) for item in text.split(";"))
    return {flag: int(count) for flag, count in pairs}


def logged_loads(con: duckdb.DuckDBPyConnection, schema: str = "raw") -> dict[str, LoggedLoad]:
    """The last load of each raw table in `<schema>._load_log` (a schema of an attached
    database too, e.g. "build.raw"), by table name."""
    rows = con.execute(
        f"""SELECT table_name, dataset_id, row_count, flagged_rows, source_files, source_sha256,
                   loaded_at, run_id, flag_counts
            FROM {schema}._load_log
            QUALIFY row_number() OVER (PARTITION BY table_name ORDER BY loaded_at DESC) = 1"""
    ).fetchall()
    return {
        r[0]: LoggedLoad(*r[:8], flag_counts=parse_flag_counts(r[8]))  # type: ignore[misc]
        for r in rows
    }


def registry_files(table: RawTable) -> tuple[str, str]:
    """What a landing of `table` from the registered files logs as source_files and
    source_sha256 (the files are verified against these checksums before they are read)."""
    from ingestion.registry import get_source

    source = get_source(table.dataset_id)
    return ", ".join(table.files), ", ".join(source.file(f).sha256 for f in table.files)


def assert_landed_from_registered_files(load: LoggedLoad, table: RawTable) -> None:
    """The build's load of `table` read exactly the files the registry names today, so that what
    it landed is what landing them again would give (a build reused through
    ATLAS_TEST_REUSE_BUILD may predate a registry change: then build again)."""
    files, sha256 = registry_files(table)
    if (load.files, load.sha256) != (files, sha256):
        pytest.fail(
            f"the build landed {table.name} from {load.files} ({load.sha256}), the registry names "
            f"{files} ({sha256}): build again (unset ATLAS_TEST_REUSE_BUILD)"
        )


def copy_raw_from_build(
    con: duckdb.DuckDBPyConnection, build: Path, table: RawTable, *, parquet: bool = False
) -> LoggedLoad:
    """Give the warehouse behind `con` the good load of `table` that the session build made, as if
    it had been landed here from the mirror: raw.<table> (created as the landing creates it, from
    the same rows) and its row of raw._load_log (created with the landing's own DDL), copied from
    the build attached read-only; with `parquet`, its Parquet copy too. Only the lineage of the
    load (_loaded_at, _run_id) is the build's. Returns the load as logged."""
    from ingestion import landing

    name = landing.quote_identifier(table.name)
    landing._ensure_log(con)
    con.execute(f"ATTACH '{str(build).replace(chr(39), chr(39) * 2)}' AS session_build (READ_ONLY)")
    try:
        load = logged_loads(con, "session_build.raw").get(table.name)
        if load is None:
            pytest.fail(f"the session build has no load of {table.name}")
        assert_landed_from_registered_files(load, table)
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(f"CREATE TABLE raw.{name} AS SELECT * FROM session_build.raw.{name}")
            con.execute(
                "INSERT INTO raw._load_log SELECT * FROM session_build.raw._load_log "
                "WHERE table_name = ? AND run_id = ? AND loaded_at = ?",
                [table.name, load.run_id, load.loaded_at],
            )
            con.execute("COMMIT")
        except Exception:
            con.execute("ROLLBACK")
            raise
    finally:
        con.execute("DETACH session_build")
    if parquet:
        target = landing.raw_parquet_dir(con)
        assert target is not None, "an in-memory warehouse has no Parquet copies"
        target.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(build.parent / "parquet" / "raw" / f"{table.name}.parquet",
                        target / f"{table.name}.parquet")
    return load


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
