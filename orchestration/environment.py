"""Process settings every entry point applies first: no telemetry, no version checks, one
DAGSTER_HOME under the project, and an absolute warehouse path shared by Dagster and dbt."""

from __future__ import annotations

import json
import os
from pathlib import Path

from ingestion.settings import PROJECT_ROOT, spark_dir, warehouse_path

MARKER = "# Written by orchestration/environment.py"


def dagster_yaml(home: Path) -> str:
    """The project's dagster.yaml for the Dagster home `home` (whose absolute path it names)."""
    base_dir = json.dumps(str(home.resolve()))  # a JSON string is a YAML string
    return f"""\
{MARKER}: keep runs local and quiet. Rewritten when the project
# changes it (or the home moves), as long as this first line stays; remove the line to keep your
# own settings.
telemetry:
  enabled: false
nux:
  enabled: false
# Dagster's local SQLite storage (history/, schedules/ in this folder), its event log keeping its
# database connections open between events (orchestration/storage.py).
storage:
  custom:
    module: orchestration.storage
    class: AtlasSqliteStorage
    config:
      base_dir: {base_dir}
"""


def configure() -> None:
    """Set the environment defaults (a user's own settings win) and prepare DAGSTER_HOME."""
    os.environ.setdefault("DAGSTER_HOME", str(PROJECT_ROOT / ".dagster_home"))
    os.environ.setdefault("DAGSTER_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    os.environ.setdefault("DBT_VERSION_CHECK", "false")
    # dbt writes its own log file (dbt_project/target/<invocation>/dbt.log) at debug level by
    # default: some 9,700 JSON lines for a 1x build, every statement and connection event. At
    # info (the level of its console) it writes 1,200 and a build takes about 3 s less of dbt's
    # 27 s (issue 18). Errors and each node's result are at info; compiled SQL stays in target/.
    # DBT_LOG_LEVEL_FILE=debug brings the full log back.
    os.environ.setdefault("DBT_LOG_LEVEL_FILE", "info")
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    os.environ["ATLAS_WAREHOUSE"] = str(warehouse_path())
    # The Spark target of profiles.yml needs absolute paths (Derby and Spark resolve relative
    # ones against the working directory).
    os.environ["ATLAS_SPARK_DIR"] = str(spark_dir())
    home = Path(os.environ["DAGSTER_HOME"])
    home.mkdir(parents=True, exist_ok=True)
    write_dagster_yaml(home)
    warehouse_path().parent.mkdir(parents=True, exist_ok=True)


def write_dagster_yaml(home: Path) -> bool:
    """Write the project's dagster.yaml in the Dagster home `home` when there is none, or when the
    one there was written by this module (its first line is MARKER) and differs, from an earlier
    version or for a home since moved; a file without the marker is the user's and stays as it
    is. Returns whether it wrote."""
    config = home / "dagster.yaml"
    wanted = dagster_yaml(home)
    if config.exists():
        current = config.read_text(encoding="utf-8")
        if not current.startswith(MARKER) or current == wanted:
            return False
    config.write_text(wanted, encoding="utf-8")
    return True
