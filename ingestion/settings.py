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
    """The folder named by ATLAS_MIRROR (laid out like ../shared/mirror), or None to download."""
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
