"""The dbt project built on Spark equals the DuckDB build, mart by mart (issue #10).

Both builds start from the same inputs: the DuckDB side is the session's pipeline run on the mirror
(tests/conftest.py built_warehouse), whose landing also wrote every raw table as Parquet beside the
warehouse; the Spark side is `python -m orchestration spark` on those Parquet files, in local
session mode, in a fresh Spark dir (its own Derby metastore, so nothing else can hold its lock).
Every mart is compared with tests.compare: same columns of compatible types, the same
rows by the mart's key, floating-point values within 1e-12 + 1e-9 x |value|. The scores computed
from the Spark marts (read through scoring.io from Parquet) are compared the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import polars as pl
import pytest

from tests.compare import compare_tables, mart_keys, summarise
from tests.conftest import PROJECT_ROOT

SCORE_KEYS = {
    "fct_service_automation": ["service_key", "fiscal_year", "method_id"],
    "fct_service_automation_summary": ["service_key", "fiscal_year"],
    "agg_automation_by_organisation": ["country_code", "fiscal_year", "organisation_code"],
    "agg_automation_by_archetype": ["country_code", "fiscal_year", "archetype_id"],
    "agg_automation_by_country": ["country_code", "fiscal_year"],
    "uk_replication": ["figure_id"],
    "fct_service_activity": ["service_key", "fiscal_year", "activity_id"],
    "fct_service_domain_match": ["service_key", "fiscal_year", "match_rank"],
    "agg_automation_by_activity": ["country_code", "fiscal_year", "activity_id"],
    "fct_unit_cost_calibration": ["service_key", "fiscal_year"],
    "model_diagnostics": ["figure_id"],
    "dim_parameter_set": ["parameter_set_id"],
}


@pytest.fixture(scope="module")
def spark_build(built_warehouse: Path, tmp_path_factory) -> Path:
    """The Spark build of the same landing; returns its Spark dir."""
    raw = built_warehouse.parent / "parquet" / "raw"
    assert len(list(raw.glob("*.parquet"))) >= 60, f"the landing wrote no raw Parquet in {raw}"
    spark_dir = tmp_path_factory.mktemp("spark")
    env = dict(os.environ, ATLAS_WAREHOUSE=str(built_warehouse), ATLAS_SPARK_DIR=str(spark_dir))
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "orchestration", "spark", "--raw-dir", str(raw),
         "--spark-dir", str(spark_dir), "--no-tests"],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=1800,
    )
    print(f"\nspark build in {time.monotonic() - started:.0f} s:\n"
          + "\n".join(line for line in result.stdout.splitlines() if "spark build" in line))
    if result.returncode != 0:
        pytest.fail(f"spark build failed:\n{result.stdout[-8000:]}")
    return spark_dir


@pytest.fixture(scope="module")
def duckdb_con(built_warehouse):
    connection = duckdb.connect(str(built_warehouse), read_only=True)
    yield connection
    connection.close()


def tables_in(con, schema: str) -> set[str]:
    rows = con.execute(
        "SELECT table_name FROM information_schema.tables WHERE table_schema = ?", [schema]
    ).fetchall()
    return {r[0] for r in rows}


def test_every_mart_built_on_spark_equals_the_duckdb_build(spark_build, duckdb_con):
    keys = mart_keys(spark_build / "target" / "manifest.json")
    marts = tables_in(duckdb_con, "marts")
    exported = {p.stem for p in (spark_build / "parquet" / "marts").glob("*.parquet")}
    assert marts == exported, f"only on DuckDB: {marts - exported}; only on Spark: {exported - marts}"
    differences = []
    for mart in sorted(marts):
        reference = duckdb_con.sql(f"SELECT * FROM marts.{mart}").pl()
        spark = pl.read_parquet(spark_build / "parquet" / "marts" / f"{mart}.parquet")
        differences += compare_tables(f"marts.{mart}", reference, spark, keys.get(mart))
    assert not differences, "Spark and DuckDB marts differ:\n" + summarise(differences)


def test_every_mart_has_a_key_to_report_differences_by(spark_build, duckdb_con):
    keys = mart_keys(spark_build / "target" / "manifest.json")
    assert tables_in(duckdb_con, "marts") <= set(keys), "marts without a unique test"


def test_the_scores_of_the_spark_marts_equal_the_duckdb_scores(spark_build, duckdb_con):
    folder = spark_build / "parquet" / "scoring"
    assert {p.stem for p in folder.glob("*.parquet")} == set(SCORE_KEYS)
    differences = []
    for table, key in SCORE_KEYS.items():
        reference = duckdb_con.sql(f"SELECT * FROM scoring.{table}").pl()
        spark = pl.read_parquet(folder / f"{table}.parquet")
        differences += compare_tables(f"scoring.{table}", reference, spark, key)
    assert not differences, "scores of the Spark build differ:\n" + summarise(differences)
