"""Process settings every entry point applies first: no telemetry, no version checks, one
DAGSTER_HOME under the project, and an absolute warehouse path shared by Dagster and dbt."""

from __future__ import annotations

import os
from pathlib import Path

from ingestion.settings import PROJECT_ROOT, spark_dir, warehouse_path

DAGSTER_YAML = """\
# Written by orchestration/environment.py: keep runs local and quiet.
telemetry:
  enabled: false
nux:
  enabled: false
"""


def configure() -> None:
    """Set the environment defaults (a user's own settings win) and prepare DAGSTER_HOME."""
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home"))
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DBT_VERSION_CHECK", "false")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ["ATLAS_WAREHOUSE"] = str(warehouse_path())
    # The Spark target of profiles.yml needs absolute paths (Derby and Spark resolve relative
    # ones against the working directory).
    os.environ["ATLAS_SPARK_DIR"] = str(spark_dir())
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    config = home / "dagster.yaml"
    if not config.exists():
        config.write_text(DAGSTER_YAML, encoding="utf-8")
    warehouse_path().parent.mkdir(parents=True, exist_ok=True)
