"""Count the faults the suite feeds the pipeline, and print the count at the end of the run."""

from __future__ import annotations

import pytest

FAULTS_TRIED: list[str] = []


@pytest.fixture
def record_fault():
    """Call with a short description of each fault a test feeds the pipeline."""
    return FAULTS_TRIED.append


def pytest_terminal_summary(terminalreporter) -> None:
    if FAULTS_TRIED:
        names = sorted(set(FAULTS_TRIED))
        terminalreporter.write_sep("-", f"faults tried: {len(names)}")
        for name in names:
            terminalreporter.write_line(f"  {name}")


# DEV-ONLY-TEMP
import os as _os  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

if _os.environ.get("DEV_REUSE_BUILD"):
    @pytest.fixture(scope="session")
    def built_warehouse(tmp_path_factory):
        import shutil
        dst = tmp_path_factory.mktemp("reuse")
        src = _Path(_os.environ["DEV_REUSE_BUILD"])
        shutil.copyfile(src / "atlas.duckdb", dst / "atlas.duckdb")
        shutil.copytree(src / "published", dst / "published", symlinks=True)
        return dst / "atlas.duckdb"
