"""Every `ATLAS_*` setting, in one place: its name, default, what it does, what is valid, and the
function that reads it.

Every setting is an environment variable, so that tests, CI and scheduled runs can point the
pipeline at their own folders without touching code. Each one is declared once in SETTINGS below;
the rest of the project reads settings only through the functions of this module (read when
called, never at import, so that a test may set a variable with monkeypatch). `settings_problems()`
checks every set value before a run starts, naming the variable and what to do about it.

The settings table in docs/operations.md is made from SETTINGS (`python -m ingestion.settings
--write`), and a unit test keeps the two, and every `ATLAS_` name used in the code, in step.
Settings read by dbt (`dbt_project/profiles.yml`, through `env_var`) are declared here too, so that
they are documented and checked with the others.

No Dagster import here: ingestion, scoring, reporting and orchestration all read their settings
from this module.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
CONTRACTS_DIR = PROJECT_ROOT / "data_contracts"
SOURCES_DIR = CONTRACTS_DIR / "sources"
RAW_CONTRACTS_DIR = CONTRACTS_DIR / "raw"
EXPECTATIONS_DIR = CONTRACTS_DIR / "expectations"
ALLOWED_HOSTS_FILE = CONTRACTS_DIR / "allowed_hosts.yml"
DBT_PROJECT_DIR = PROJECT_ROOT / "dbt_project"
OPERATIONS_DOC = PROJECT_ROOT / "docs" / "operations.md"

DEFAULT_KEEP = 5
DBT_TARGETS = ("duckdb", "spark")


class SettingError(ValueError):
    """An `ATLAS_*` variable is set to a value the pipeline cannot use; the message names it."""


# --- checks: each takes the variable's name and its (non-empty, stripped) value and returns the
# problem, naming the variable and what to do, or None when the value is usable ---------------------


def _resolve(value: str) -> Path:
    """A path setting: `~` expanded, a relative path taken from the current directory."""
    path = Path(value).expanduser()
    return path if path.is_absolute() else (Path.cwd() / path).resolve()


def _whole_number(minimum: int) -> Callable[[str, str], str | None]:
    def check(name: str, value: str) -> str | None:
        try:
            number = int(value)
        except ValueError:
            return (f"{name} must be a whole number of at least {minimum}, not {value!r}: "
                    f"correct it, or unset it for the default")
        if number < minimum:
            return f"{name} must be at least {minimum}, not {number}: correct it, or unset it for the default"
        return None

    return check


def _seconds(name: str, value: str) -> str | None:
    try:
        seconds = float(value)
    except ValueError:
        return f"{name} must be a number of seconds, not {value!r}: correct it, or unset it for the default"
    if not seconds > 0:
        return f"{name} must be a number of seconds above 0, not {value}: correct it, or unset it for the default"
    return None


def _existing_folder(name: str, value: str) -> str | None:
    if _resolve(value).is_dir():
        return None
    return f"{name} names {_resolve(value)}, which is not a folder: create it, correct the path, or unset {name}"


def _existing_file(name: str, value: str) -> str | None:
    if _resolve(value).is_file():
        return None
    return f"{name} names {_resolve(value)}, which is not a file: correct the path, or unset {name}"


def _not_a_folder(name: str, value: str) -> str | None:
    if not _resolve(value).is_dir():
        return None
    return (f"{name} names the folder {_resolve(value)}; it must name the DuckDB file "
            f"(e.g. {_resolve(value) / 'atlas.duckdb'})")


def _dbt_target(name: str, value: str) -> str | None:
    if value.lower() in DBT_TARGETS:
        return None
    return f"{name} must be duckdb or spark, not {value!r}: correct it, or unset it for duckdb"


_MEMORY = re.compile(r"^\d+(?:[kmgtp]b?|b)?$", re.IGNORECASE)


def _spark_memory(name: str, value: str) -> str | None:
    if _MEMORY.match(value):
        return None
    return f"{name} must be a Spark memory size such as 2g or 512m, not {value!r}: correct it, or unset it for the default"


# --- the settings ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    """One environment variable: how the docs describe it and how a set value is checked."""

    name: str
    default: str  # the value used when unset, as the docs table says it
    doc: str  # what it does
    values: str  # what is valid
    check: Callable[[str, str], str | None] | None = None  # the problem with a set value, or None

    def problem(self) -> str | None:
        value = os.environ.get(self.name, "").strip()
        return self.check(self.name, value) if value and self.check else None

    def row(self) -> str:
        """The setting's row in the docs table."""
        values = self.values + (" (checked)" if self.check else "")
        return f"| `{self.name}` | {self.default} | {self.doc} | {values} |"


SETTINGS: tuple[Setting, ...] = (
    Setting("ATLAS_MIRROR", "unset: download",
            "Folder laid out like the data mirror, `<folder>/<dataset_id>/<file>`. Source files are read "
            "there in place instead of downloaded. The source sensor hashes the mirror files to notice new "
            "versions. The integration tests and `make bench` need it.",
            "an existing folder", _existing_folder),
    Setting("ATLAS_CACHE", "`.cache/sources/` in the repository",
            "Where downloaded source files are kept, with the HTTP validators of each download. Unused "
            "with `ATLAS_MIRROR`.",
            "a folder path (created when needed)"),
    Setting("ATLAS_DOWNLOAD_TIMEOUT", "`60`", "Seconds to wait for a source server before giving up.",
            "a number above 0", _seconds),
    Setting("ATLAS_DOWNLOAD_RETRIES", "`2`",
            "How many more times a failed or damaged download is tried (waiting 1 s, 2 s, ...).",
            "a whole number, 0 or more", _whole_number(0)),
    Setting("ATLAS_SOURCES_DIR", "`data_contracts/sources/`",
            "The source registry folder. Tests and `make bench` point it at a changed copy of the registry.",
            "an existing folder", _existing_folder),
    Setting("ATLAS_ALLOWED_HOSTS", "`data_contracts/allowed_hosts.yml`",
            "The file listing the hosts downloads may use (a mapping `hosts: {host: reason}`).",
            "an existing file", _existing_file),
    Setting("ATLAS_ACCEPT_CHANGES", "empty",
            "Dataset ids whose large change (row count or volume total moving more than a factor 3 from "
            "the last good load, A044) this run may land; otherwise such a landing is refused.",
            "comma-separated dataset ids"),
    Setting("ATLAS_WAREHOUSE", "`warehouse/atlas.duckdb`",
            "The build warehouse. The published versions, data docs, raw Parquet and Spark folder default "
            "to folders beside it. Every entry point sets it to an absolute path before dbt runs, so that "
            "Dagster and dbt (`dbt_project/profiles.yml`) use the same file.",
            "a file path, not an existing folder", _not_a_folder),
    Setting("ATLAS_PUBLISHED_DIR", "`published/` beside the build warehouse",
            "Where the published versions, their manifests, the pointer `atlas.duckdb` and "
            "`history.jsonl` live.",
            "a folder path"),
    Setting("ATLAS_PUBLISH_KEEP", f"`{DEFAULT_KEEP}`", "How many published versions to keep.",
            "a whole number, at least 1", _whole_number(1)),
    Setting("ATLAS_EXPECTATIONS_DIR", "`data_contracts/expectations/`",
            "The folder of Great Expectations suites.",
            "an existing folder", _existing_folder),
    Setting("ATLAS_DATA_DOCS", "`data_docs/` beside the build warehouse",
            "Where the data docs (HTML) are written.",
            "a folder path"),
    Setting("ATLAS_EXPORTS", "`exports/` in the repository",
            "Where the exports go: one folder per publish id and the pointer `latest`.",
            "a folder path"),
    Setting("ATLAS_EXPORTS_KEEP", f"`ATLAS_PUBLISH_KEEP`, else `{DEFAULT_KEEP}`",
            "How many export folders to keep.",
            "a whole number, at least 1", _whole_number(1)),
    Setting("ATLAS_DBT_TARGET", "`duckdb`",
            "The dbt engine. With `spark`, `make run` lands the raw tables with Dagster (only those in "
            "`SELECT`, if given), then builds the dbt project and scores it on Spark; nothing is published.",
            "`duckdb` or `spark`, any case", _dbt_target),
    Setting("ATLAS_SPARK_DIR", "`spark/` beside the build warehouse",
            "The Spark build's state and output: Spark SQL warehouse, Derby metastore, dbt target and "
            "logs, Parquet export.",
            "a folder path"),
    Setting("ATLAS_SPARK_MASTER", "`local[*]`",
            "The Spark master (read by `dbt_project/profiles.yml`): e.g. `spark://host:7077`, `yarn`, "
            "`k8s://...`.",
            "a Spark master URL"),
    Setting("ATLAS_SPARK_SHUFFLE_PARTITIONS", "`8`",
            "`spark.sql.shuffle.partitions` for the Spark build (read by `dbt_project/profiles.yml`).",
            "a whole number, at least 1", _whole_number(1)),
    Setting("ATLAS_SPARK_DRIVER_MEMORY", "`2g`",
            "`spark.driver.memory` for the Spark build (read by `dbt_project/profiles.yml`).",
            "a Spark memory size", _spark_memory),
    Setting("ATLAS_TEST_REUSE_BUILD", "unset",
            "Tests only: `<folder>/atlas.duckdb` of an earlier test build to reuse instead of building "
            "again, while working on a test. CI never sets it.",
            "a build warehouse made by the tests' `built_warehouse` fixture"),
    Setting("ATLAS_TEST_ARTIFACTS", "`test-artifacts/` in the repository",
            "Tests only: the browser tests write their screenshots to `<folder>/browser/`.",
            "a folder path"),
)

BY_NAME: dict[str, Setting] = {s.name: s for s in SETTINGS}


def value(name: str) -> str:
    """The stripped value of a declared setting ('' when unset); a name not in SETTINGS is a
    programming error (KeyError), so that no variable is read without being declared."""
    setting = BY_NAME[name]
    return os.environ.get(setting.name, "").strip()


def _checked(name: str) -> str:
    """The value of a setting, or SettingError when it is set to something unusable."""
    problem = BY_NAME[name].problem()
    if problem:
        raise SettingError(problem)
    return value(name)


def _path(name: str, default: Path) -> Path:
    text = _checked(name)
    return _resolve(text) if text else default


def settings_problems() -> list[str]:
    """Every ATLAS_* setting that is set to something the pipeline cannot use, each naming the
    variable and what to do: checked before any step runs, so that a typo fails in a second, not
    after a build."""
    return [p for p in (s.problem() for s in SETTINGS) if p]


# --- source files ----------------------------------------------------------------------------------


def mirror_dir() -> Path | None:
    """The folder named by ATLAS_MIRROR (laid out like the data mirror: <folder>/<dataset_id>/<file>),
    or None to download."""
    text = value("ATLAS_MIRROR")
    return _resolve(text) if text else None


def cache_dir() -> Path:
    """Where downloaded source files are kept (ATLAS_CACHE, default .cache/sources)."""
    return _path("ATLAS_CACHE", PROJECT_ROOT / ".cache" / "sources")


def download_timeout_seconds() -> float:
    """Seconds to wait for a source server before giving up (ATLAS_DOWNLOAD_TIMEOUT, default 60)."""
    text = _checked("ATLAS_DOWNLOAD_TIMEOUT")
    return float(text) if text else 60.0


def download_retries() -> int:
    """How many more times a failed download is tried (ATLAS_DOWNLOAD_RETRIES, default 2): after a
    dropped connection, a timeout, a busy server (408, 425, 429, 5xx) or a transfer whose sha256
    does not match. The waits between attempts grow by a second each (1 s, 2 s, ...)."""
    text = _checked("ATLAS_DOWNLOAD_RETRIES")
    return int(text) if text else 2


def sources_dir() -> Path:
    """The source registry folder (ATLAS_SOURCES_DIR, default data_contracts/sources).

    Overridable so that a test can register a deliberately changed file without editing the repo.
    """
    text = value("ATLAS_SOURCES_DIR")
    return _resolve(text) if text else SOURCES_DIR


def allowed_hosts_file() -> Path:
    """The file listing the hosts downloads may use (ATLAS_ALLOWED_HOSTS, default
    data_contracts/allowed_hosts.yml)."""
    text = value("ATLAS_ALLOWED_HOSTS")
    return _resolve(text) if text else ALLOWED_HOSTS_FILE


def accepted_changes() -> set[str]:
    """Datasets whose large change an operator has reviewed and accepts for this run
    (ATLAS_ACCEPT_CHANGES: comma-separated dataset ids)."""
    return {d.strip() for d in value("ATLAS_ACCEPT_CHANGES").split(",") if d.strip()}


# --- the warehouse, its published versions, checks and exports --------------------------------------


def warehouse_path() -> Path:
    """The DuckDB file the pipeline builds (ATLAS_WAREHOUSE, default warehouse/atlas.duckdb)."""
    text = value("ATLAS_WAREHOUSE")
    return _resolve(text) if text else PROJECT_ROOT / "warehouse" / "atlas.duckdb"


def published_dir() -> Path:
    """Where published versions live (ATLAS_PUBLISHED_DIR, default <warehouse folder>/published)."""
    text = value("ATLAS_PUBLISHED_DIR")
    return _resolve(text) if text else warehouse_path().parent / "published"


def publish_keep() -> int:
    """How many published versions to keep (ATLAS_PUBLISH_KEEP, default 5; at least 1)."""
    text = _checked("ATLAS_PUBLISH_KEEP")
    return int(text) if text else DEFAULT_KEEP


def expectations_dir() -> Path:
    """The suites folder (ATLAS_EXPECTATIONS_DIR, default data_contracts/expectations)."""
    text = value("ATLAS_EXPECTATIONS_DIR")
    return _resolve(text) if text else EXPECTATIONS_DIR


def data_docs_dir() -> Path:
    """Where the data docs go (ATLAS_DATA_DOCS, default <warehouse folder>/data_docs)."""
    text = value("ATLAS_DATA_DOCS")
    return _resolve(text) if text else warehouse_path().parent / "data_docs"


def exports_dir() -> Path:
    """The exports folder (ATLAS_EXPORTS, default <project>/exports): one sub-folder per publish
    id and a `latest` pointer."""
    text = value("ATLAS_EXPORTS")
    return _resolve(text) if text else PROJECT_ROOT / "exports"


def exports_keep() -> int:
    """Export folders kept (ATLAS_EXPORTS_KEEP, else ATLAS_PUBLISH_KEEP, default 5; at least 1):
    the same number as published versions, so every kept version has its exports."""
    text = _checked("ATLAS_EXPORTS_KEEP")
    return int(text) if text else publish_keep()


# --- dbt and the Spark build -------------------------------------------------------------------------


def dbt_target() -> str:
    """The dbt target: duckdb (default) or spark (ATLAS_DBT_TARGET, any case)."""
    return _checked("ATLAS_DBT_TARGET").lower() or "duckdb"


def parquet_dir() -> Path:
    """The Parquet copy of the landed raw tables, <warehouse dir>/parquet (raw/<table>.parquet):
    the input of the Spark build (docs/scale-out.md)."""
    return warehouse_path().parent / "parquet"


def scoring_steps_dir() -> Path:
    """The scoring's step store, <warehouse dir>/scoring_steps (scoring.step_store): the text vectors,
    ranked domain work and leave-one-out fits of earlier runs, reused when their inputs are the same."""
    return warehouse_path().parent / "scoring_steps"


def spark_dir() -> Path:
    """Where the local Spark build keeps its state (ATLAS_SPARK_DIR, default <warehouse dir>/spark):
    the Spark SQL warehouse (warehouse/), the Derby metastore (metastore_db/, derby/), the dbt
    target path (target/) and the scores computed from the Spark marts (scoring/)."""
    text = value("ATLAS_SPARK_DIR")
    return _resolve(text) if text else warehouse_path().parent / "spark"


# --- tests -------------------------------------------------------------------------------------------


def reused_test_build() -> Path | None:
    """The build warehouse of an earlier test run to reuse (ATLAS_TEST_REUSE_BUILD), or None."""
    text = value("ATLAS_TEST_REUSE_BUILD")
    return Path(text).expanduser().absolute() if text else None


def artifacts_dir() -> Path:
    """Where tests leave what a person may want to look at (ATLAS_TEST_ARTIFACTS, default
    <project>/test-artifacts)."""
    text = value("ATLAS_TEST_ARTIFACTS")
    return _resolve(text) if text else PROJECT_ROOT / "test-artifacts"


# --- the docs table ----------------------------------------------------------------------------------

TABLE_HEADER = ("| variable | default | what it does | valid values |", "|---|---|---|---|")


def docs_rows() -> list[str]:
    """The rows of the settings table in docs/operations.md, one per setting, in SETTINGS order."""
    return [s.row() for s in SETTINGS]


def documented_rows(text: str) -> tuple[int, int, list[str]]:
    """The `ATLAS_*` rows of the settings table in a copy of docs/operations.md: where they start
    and end (line numbers, end exclusive) and the rows themselves."""
    lines = text.splitlines()
    start = lines.index(TABLE_HEADER[0]) + 2
    end = start
    while end < len(lines) and lines[end].startswith("| `ATLAS_"):
        end += 1
    return start, end, lines[start:end]


def main(argv: list[str] | None = None) -> int:
    """`python -m ingestion.settings [--write]`: check (or rewrite) the settings table in
    docs/operations.md against SETTINGS."""
    argv = sys.argv[1:] if argv is None else argv
    text = OPERATIONS_DOC.read_text(encoding="utf-8")
    start, end, rows = documented_rows(text)
    if rows == docs_rows():
        print(f"{OPERATIONS_DOC.name}: the settings table is up to date")
        return 0
    if "--write" in argv:
        lines = text.splitlines()
        lines[start:end] = docs_rows()
        OPERATIONS_DOC.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"{OPERATIONS_DOC.name}: rewrote the settings table from ingestion/settings.py")
        return 0
    print(f"{OPERATIONS_DOC.name}: the settings table differs from ingestion/settings.py; "
          "run `python -m ingestion.settings --write`", file=sys.stderr)
    return 1


if __name__ == "__main__":
    raise SystemExit(main())
