"""Shared test settings: the mirror is found through ATLAS_MIRROR (CI sets ../shared/mirror)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parent.parent
os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home"))
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")


def _mirror() -> Path | None:
    value = os.environ.get("ATLAS_MIRROR")
    if not value:
        return None
    path = Path(value)
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


@pytest.fixture(scope="session")
def mirror() -> Path:
    """The real data mirror; tests that need real data fail loudly without it."""
    path = _mirror()
    if path is None or not (path / "FILES.csv").is_file():
        pytest.fail("ATLAS_MIRROR must name the data mirror (e.g. ATLAS_MIRROR=../shared/mirror)")
    return path


def mirror_file(mirror: Path, dataset_id: str, file: str) -> Path:
    return mirror / dataset_id / file


def run_pipeline(warehouse: Path, *args: str, mirror_dir: Path | None = None, home: Path | None = None):
    """Run `python -m orchestration run ...` in a subprocess against `warehouse`; returns the
    CompletedProcess (stdout and stderr merged)."""
    import subprocess
    import sys

    env = dict(os.environ)
    env["ATLAS_WAREHOUSE"] = str(warehouse)
    env["DAGSTER_HOME"] = str(home or warehouse.parent / "dagster_home")
    if mirror_dir is not None:
        env["ATLAS_MIRROR"] = str(mirror_dir)
    return subprocess.run(
        [sys.executable, "-m", "orchestration", "run", *args],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=1200,
    )


@pytest.fixture(scope="session")
def built_warehouse(tmp_path_factory, mirror) -> Path:
    """The whole pipeline materialised once from the mirror into a fresh warehouse."""
    warehouse = tmp_path_factory.mktemp("build") / "atlas.duckdb"
    result = run_pipeline(warehouse, mirror_dir=mirror)
    if result.returncode != 0:
        pytest.fail(f"pipeline run failed:\n{result.stdout[-6000:]}")
    return warehouse
