"""Where things live: project root, data mirror, download cache and warehouse paths.

Every path can be overridden by an environment variable so that tests, CI and scheduled runs can
point the pipeline at their own folders without touching code.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = PROJECT_ROOT / "data_contracts"
SOURCES_DIR = CONTRACTS_DIR / "sources"
RAW_CONTRACTS_DIR = CONTRACTS_DIR / "raw"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"


def _resolve(value: str) -> Path:
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def sources_dir() -> Path:
    """The source registry folder (ATLAS_SOURCES_DIR, default data_contracts/sources).

    Overridable so that a test can register a deliberately changed file without editing the repo.
    """
    value = os.environ.get("ATLAS_SOURCES_DIR", "").strip()
    return _resolve(value) if value else SOURCES_DIR


def mirror_dir() -> Path | None:
    """The folder named by ATLAS_MIRROR (laid out like the data mirror: <folder>/<dataset_id>/<file>),
    or None to download."""
    value = os.environ.get("ATLAS_MIRROR", "").strip()
    return _resolve(value) if value else None


def cache_dir() -> Path:
    """Where downloaded source files are kept (ATLAS_CACHE, default .cache/sources)."""
    value = os.environ.get("ATLAS_CACHE", "").strip()
    return _resolve(value) if value else PROJECT_ROOT / ".cache" / "sources"


def warehouse_path() -> Path:
    """The DuckDB file the pipeline builds (ATLAS_WAREHOUSE, default warehouse/atlas.duckdb)."""
    value = os.environ.get("ATLAS_WAREHOUSE", "").strip()
    return _resolve(value) if value else PROJECT_ROOT / "warehouse" / "atlas.duckdb"


def download_timeout_seconds() -> float:
    """Seconds to wait for a source server before giving up (ATLAS_DOWNLOAD_TIMEOUT, default 60)."""
    return float(os.environ.get("ATLAS_DOWNLOAD_TIMEOUT", "60"))


def download_retries() -> int:
    """How many more times a failed download is tried (ATLAS_DOWNLOAD_RETRIES, default 2): after a
    dropped connection, a timeout, a busy server (408, 425, 429, 5xx) or a transfer whose sha256
    does not match. The waits between attempts grow by a second each (1 s, 2 s, ...)."""
    value = os.environ.get("ATLAS_DOWNLOAD_RETRIES", "").strip()
    return int(value) if value else 2


def parquet_dir() -> Path:
    """The Parquet copy of the landed raw tables, <warehouse dir>/parquet (raw/<table>.parquet):
    the input of the Spark build (docs/scale-out.md)."""
    return warehouse_path().parent / "parquet"


def spark_dir() -> Path:
    """Where the local Spark build keeps its state (ATLAS_SPARK_DIR, default <warehouse dir>/spark):
    the Spark SQL warehouse (warehouse/), the Derby metastore (metastore_db/, derby/), the dbt
    target path (target/) and the scores computed from the Spark marts (scoring/)."""
    value = os.environ.get("ATLAS_SPARK_DIR", "").strip()
    return _resolve(value) if value else warehouse_path().parent / "spark"


def dbt_target() -> str:
    """The dbt target: duckdb (default) or spark (ATLAS_DBT_TARGET)."""
    value = os.environ.get("ATLAS_DBT_TARGET", "").strip().lower() or "duckdb"
    if value not in ("duckdb", "spark"):
        raise ValueError(f"ATLAS_DBT_TARGET must be duckdb or spark, not {value!r}")
    return value


def _whole_number(name: str, minimum: int) -> str | None:
    value = os.environ.get(name, "").strip()
    if not value:
        return None
    try:
        number = int(value)
    except ValueError:
        return f"{name} must be a whole number of at least {minimum}, not {value!r}"
    return None if number >= minimum else f"{name} must be at least {minimum}, not {number}"


def _folder(name: str) -> str | None:
    value = os.environ.get(name, "").strip()
    if value and not _resolve(value).is_dir():
        return f"{name} names {_resolve(value)}, which is not a folder"
    return None


def settings_problems() -> list[str]:
    """Every ATLAS_* setting that is set to something the pipeline cannot use, each naming the
    variable: checked before any step runs, so that a typo fails in a second, not after a build."""
    problems = [
        _whole_number("ATLAS_PUBLISH_KEEP", 1),
        _whole_number("ATLAS_EXPORTS_KEEP", 1),
        _whole_number("ATLAS_DOWNLOAD_RETRIES", 0),
        _folder("ATLAS_MIRROR"),
        _folder("ATLAS_SOURCES_DIR"),
        _folder("ATLAS_EXPECTATIONS_DIR"),
    ]
    hosts = os.environ.get("ATLAS_ALLOWED_HOSTS", "").strip()
    if hosts and not _resolve(hosts).is_file():
        problems.append(f"ATLAS_ALLOWED_HOSTS names {_resolve(hosts)}, which is not a file")
    timeout = os.environ.get("ATLAS_DOWNLOAD_TIMEOUT", "").strip()
    if timeout:
        try:
            if float(timeout) <= 0:
                problems.append(f"ATLAS_DOWNLOAD_TIMEOUT must be a number of seconds above 0, not {timeout}")
        except ValueError:
            problems.append(f"ATLAS_DOWNLOAD_TIMEOUT must be a number of seconds, not {timeout!r}")
    target = os.environ.get("ATLAS_DBT_TARGET", "").strip().lower()
    if target and target not in ("duckdb", "spark"):
        problems.append(f"ATLAS_DBT_TARGET must be duckdb or spark, not {target!r}")
    warehouse = os.environ.get("ATLAS_WAREHOUSE", "").strip()
    if warehouse and _resolve(warehouse).is_dir():
        problems.append(f"ATLAS_WAREHOUSE names the folder {_resolve(warehouse)}; it must name the DuckDB file")
    return [p for p in problems if p]
