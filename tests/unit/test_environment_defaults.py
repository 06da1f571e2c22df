"""orchestration.environment.configure: its defaults, and a user's own settings winning."""

from __future__ import annotations

import os

import pytest

from orchestration import environment


@pytest.fixture
def clean(monkeypatch, tmp_path):
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(tmp_path / "warehouse" / "atlas.duckdb"))
    monkeypatch.delenv("DBT_LOG_LEVEL_FILE", raising=False)
    # every variable configure() sets is put back as it was after the test
    for name in ("DAGSTER_DISABLE_TELEMETRY", "DO_NOT_TRACK", "DBT_SEND_ANONYMOUS_USAGE_STATS",
                 "DBT_VERSION_CHECK", "GX_ANALYTICS_ENABLED", "ATLAS_SPARK_DIR"):
        if name in os.environ:
            monkeypatch.setenv(name, os.environ[name])
        else:
            monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_dbt_writes_its_log_file_at_info_unless_told_otherwise(clean):
    environment.configure()
    assert os.environ["DBT_LOG_LEVEL_FILE"] == "info"
    assert os.environ["DBT_SEND_ANONYMOUS_USAGE_STATS"] == "false"


def test_a_users_dbt_log_level_is_kept(clean):
    clean.setenv("DBT_LOG_LEVEL_FILE", "debug")
    environment.configure()
    assert os.environ["DBT_LOG_LEVEL_FILE"] == "debug"
