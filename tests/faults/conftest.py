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

