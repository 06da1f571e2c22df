"""A mistyped setting fails at once, naming the variable, before any step runs (not after a whole
build, as ATLAS_PUBLISH_KEEP=abc used to)."""

from __future__ import annotations

import subprocess
import sys

import pytest

from ingestion.settings import settings_problems
from tests.conftest import PROJECT_ROOT


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        ("ATLAS_PUBLISH_KEEP", "abc", "ATLAS_PUBLISH_KEEP must be a whole number"),
        ("ATLAS_PUBLISH_KEEP", "0", "ATLAS_PUBLISH_KEEP must be at least 1"),
        ("ATLAS_EXPORTS_KEEP", "two", "ATLAS_EXPORTS_KEEP must be a whole number"),
        ("ATLAS_DOWNLOAD_TIMEOUT", "soon", "ATLAS_DOWNLOAD_TIMEOUT must be a number of seconds"),
        ("ATLAS_DOWNLOAD_RETRIES", "many", "ATLAS_DOWNLOAD_RETRIES must be a whole number"),
        ("ATLAS_DOWNLOAD_RETRIES", "-1", "ATLAS_DOWNLOAD_RETRIES must be at least 0"),
        ("ATLAS_DBT_TARGET", "postgres", "ATLAS_DBT_TARGET must be duckdb or spark"),
        ("ATLAS_MIRROR", "/nonexistent/mirror", "ATLAS_MIRROR names /nonexistent/mirror"),
    ],
)
def test_each_bad_setting_is_named(monkeypatch, variable, value, expected):
    monkeypatch.setenv(variable, value)
    problems = settings_problems()
    assert any(expected in p for p in problems), problems


def test_a_bad_setting_stops_the_run_before_any_step(tmp_path, mirror):
    env = {"PATH": "/usr/bin:/bin", "ATLAS_MIRROR": str(mirror), "ATLAS_PUBLISH_KEEP": "abc",
           "ATLAS_WAREHOUSE": str(tmp_path / "atlas.duckdb"), "DAGSTER_HOME": str(tmp_path / "home")}
    completed = subprocess.run([sys.executable, "-m", "orchestration", "run"], cwd=PROJECT_ROOT, env=env,
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 2
    assert "ATLAS_PUBLISH_KEEP must be a whole number of at least 1, not 'abc'" in completed.stderr
    assert not (tmp_path / "atlas.duckdb").exists()  # nothing ran
