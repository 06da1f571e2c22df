"""The dbt project on Spark: the second target of profiles.yml (dbt-spark, session method).

The Spark build starts from the same inputs as the DuckDB build: the Parquet copy of every raw
table that the landing stage writes beside the warehouse (<warehouse dir>/parquet/raw). It runs the
same stages in the same order as the Dagster job, in one process so that one JVM and one metastore
connection serve them all:

  1. register each raw Parquet file as the view raw.<table> in the Spark metastore;
  2. dbt build --target spark (seeds, models, tests: the whole project, in one invocation, as the
     Dagster job runs it);
  3. export every mart and seed through Arrow to <spark dir>/parquet/<schema>/<table>.parquet;
  4. the automation model (scoring.pipeline.score) on that export, written beside it
     (<spark dir>/parquet/scoring/<table>.parquet).

Derby, the local metastore, admits one process: a lock file in the Spark dir serialises builds.
See docs/scale-out.md for a cluster instead of local mode.
"""

from __future__ import annotations

import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from ingestion.settings import DBT_PROJECT_DIR
from ingestion.sql import qualified, quote_identifier

EXPORTED_SCHEMAS = ("marts", "seeds")


class SparkBuildError(RuntimeError):
    """A step of the Spark build failed; the message names the step."""


@dataclass
class SparkBuild:
    """What a Spark build did: where, how long each step took (seconds), what it wrote."""

    spark_dir: Path
    raw_tables: list[str] = field(default_factory=list)
    exported: dict[str, int] = field(default_factory=dict)  # schema.table -> rows
    seconds: dict[str, float] = field(default_factory=dict)

    @property
    def parquet_dir(self) -> Path:
        return self.spark_dir / "parquet"


def session_parameters() -> dict[str, str]:
    """The Spark settings of the spark output in profiles.yml, rendered as dbt renders them
    (env_var), so that this process and dbt open the same session with the same metastore."""
    import jinja2

    profiles = yaml.safe_load((DBT_PROJECT_DIR / "profiles.yml").read_text(encoding="utf-8"))
    raw = profiles["atlas"]["outputs"]["spark"].get("server_side_parameters", {})

    def env_var(name: str, default: str | None = None) -> str:
        value = os.environ.get(name, default)
        if value is None:
            raise SparkBuildError(f"profiles.yml needs the environment variable {name}")
        return value

    environment = jinja2.Environment(undefined=jinja2.StrictUndefined)
    rendered = {
        str(k): environment.from_string(str(v)).render(env_var=env_var) for k, v in raw.items()
    }
    rendered["spark.sql.ansi.enabled"] = "false"  # as dbt-spark sets it for every session
    return rendered


def spark_session() -> Any:
    """The Spark session of this process, configured like the dbt profile (created once)."""
    os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    # the Python workers (if any) must be this interpreter, not whatever `python` is on PATH
    os.environ.setdefault("PYSPARK_PYTHON", sys.executable)
    from pyspark.sql import SparkSession

    builder = SparkSession.builder.enableHiveSupport()
    for key, value in session_parameters().items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


@contextmanager
def metastore_lock(spark_dir: Path) -> Iterator[None]:
    """Hold <spark dir>/.metastore.lock: Derby fails (XSDB6) if two processes open it at once."""
    spark_dir.mkdir(parents=True, exist_ok=True)
    with open(spark_dir / ".metastore.lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            print(f"waiting for another Spark build to release {spark_dir}/.metastore.lock ...",
                  flush=True)
            fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def register_parquet(session: Any, schema: str, files: list[Path]) -> list[str]:
    """Register each <table>.parquet file as the view <schema>.<table> (replacing any earlier
    one: a view reads the file as it is now, with its current columns)."""
    session.sql(f"CREATE DATABASE IF NOT EXISTS {quote_identifier(schema, '`')}")
    for path in files:
        location = str(path.resolve())
        if "`" in location:
            raise SparkBuildError(f"a backtick in {location} cannot be quoted for Spark")
        session.sql(
            f"CREATE OR REPLACE VIEW {qualified(schema, path.stem, quote='`')} "
            f"AS SELECT * FROM parquet.`{location}`"
        )
    return [p.stem for p in files]


def run_dbt(args: list[str], spark_dir: Path) -> None:
    """dbt <args> on the spark target, in this process (so that it reuses this session)."""
    from dbt.cli.main import dbtRunner

    command = [
        *args,
        "--project-dir", str(DBT_PROJECT_DIR),
        "--profiles-dir", str(DBT_PROJECT_DIR),
        "--target", "spark",
        "--target-path", str(spark_dir / "target"),
        "--log-path", str(spark_dir / "logs"),
    ]
    result = dbtRunner().invoke(command)
    if not result.success:
        failed = []
        for node in getattr(result.result, "results", None) or []:
            if str(getattr(node, "status", "")).lower() in ("error", "fail"):
                failed.append(f"{node.node.unique_id}: {str(node.message or '')[:300]}")
        detail = "\n  ".join(failed[:20]) or str(result.exception or "see the dbt log")
        raise SparkBuildError(f"dbt {' '.join(args)} failed on Spark:\n  {detail}")


def export_tables(session: Any, out_dir: Path, schemas: tuple[str, ...] = EXPORTED_SCHEMAS) -> dict[str, int]:
    """Every table of `schemas` through Arrow to <out_dir>/<schema>/<table>.parquet (one file per
    table, with its schema even when it has no rows)."""
    import pyarrow.parquet as pq

    rows: dict[str, int] = {}
    for schema in schemas:
        folder = out_dir / schema
        folder.mkdir(parents=True, exist_ok=True)
        for table in session.catalog.listTables(schema):
            if table.tableType == "VIEW" or table.isTemporary:
                continue
            arrow = session.table(f"{schema}.{table.name}").toArrow()
            pq.write_table(arrow, folder / f"{table.name}.parquet")
            rows[f"{schema}.{table.name}"] = arrow.num_rows
    return rows


def score_export(parquet_dir: Path) -> dict[str, int]:
    """The automation model on the exported Spark marts, written to <parquet_dir>/scoring/."""
    from scoring.io import read_assumptions, read_scoring_inputs
    from scoring.parameters import from_assumptions
    from scoring.pipeline import invariant_failures, score

    params = from_assumptions(read_assumptions(parquet_dir))
    inputs = read_scoring_inputs(parquet_dir)
    outputs = score(inputs, params)
    problems = invariant_failures(outputs, inputs.services.height)
    if problems:
        raise SparkBuildError(f"scoring invariants failed on the Spark marts: {problems}")
    folder = parquet_dir / "scoring"
    folder.mkdir(parents=True, exist_ok=True)
    written = {}
    for name, frame in outputs.tables().items():
        frame.write_parquet(folder / f"{name}.parquet")
        written[f"scoring.{name}"] = frame.height
    return written


def build(
    raw_dir: Path, spark_dir: Path, *, score: bool = True, data_tests: bool = True
) -> SparkBuild:
    """The whole Spark build (module docstring, steps 1-4) from the raw Parquet in `raw_dir`.

    data_tests=False leaves out dbt's data and unit tests (the models, seeds and contracts still
    build): the equality test compares the marts with the DuckDB build, which ran the tests."""
    skipped = [] if data_tests else ["resource_type:test", "resource_type:unit_test"]
    raw_dir, spark_dir = raw_dir.resolve(), spark_dir.resolve()
    if not any(raw_dir.glob("*.parquet")):
        raise SparkBuildError(
            f"no raw Parquet files in {raw_dir}: land the sources first (make run), which writes "
            "them beside the DuckDB warehouse"
        )
    os.environ["ATLAS_SPARK_DIR"] = str(spark_dir)
    os.environ["ATLAS_DBT_TARGET"] = "spark"
    report = SparkBuild(spark_dir=spark_dir)
    with metastore_lock(spark_dir):
        started = time.monotonic()
        session = spark_session()
        report.seconds["session"] = time.monotonic() - started

        def step(name: str, started_at: float) -> float:
            now = time.monotonic()
            report.seconds[name] = now - started_at
            print(f"spark build: {name} done in {now - started_at:.1f} s", flush=True)
            return now

        t = time.monotonic()
        report.raw_tables = register_parquet(session, "raw", sorted(raw_dir.glob("*.parquet")))
        t = step("register_raw", t)
        run_dbt(["build", *(["--exclude", *skipped] if skipped else [])], spark_dir)
        t = step("dbt_build", t)
        report.exported = export_tables(session, report.parquet_dir)
        t = step("export", t)
        if score:
            report.exported.update(score_export(report.parquet_dir))
            t = step("scoring", t)
        report.seconds["total"] = time.monotonic() - started
    return report
