"""The Spark session this project opens is the one the dbt profile describes (engines/spark.py)."""

from __future__ import annotations

import pytest

from engines.spark import session_parameters
from ingestion.settings import dbt_target, spark_dir


def test_the_session_keeps_its_metastore_and_tables_under_the_spark_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_SPARK_DIR", str(tmp_path))
    monkeypatch.delenv("ATLAS_SPARK_MASTER", raising=False)
    conf = session_parameters()
    assert conf["spark.sql.warehouse.dir"] == f"{tmp_path}/warehouse"
    assert conf["spark.driver.extraJavaOptions"] == f"-Dderby.system.home={tmp_path}/derby"
    assert f"databaseName={tmp_path}/metastore_db;" in conf["spark.hadoop.javax.jdo.option.ConnectionURL"]
    assert conf["spark.master"] == "local[*]"
    assert conf["spark.sql.ansi.enabled"] == "false"  # as dbt-spark opens it


def test_a_cluster_master_is_one_setting(monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_SPARK_DIR", str(tmp_path))
    monkeypatch.setenv("ATLAS_SPARK_MASTER", "spark://spark-master:7077")
    assert session_parameters()["spark.master"] == "spark://spark-master:7077"


def test_the_spark_dir_defaults_to_beside_the_warehouse(monkeypatch, tmp_path):
    monkeypatch.delenv("ATLAS_SPARK_DIR", raising=False)
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(tmp_path / "atlas.duckdb"))
    assert spark_dir() == tmp_path / "spark"


def test_the_target_is_duckdb_unless_spark_is_asked_for(monkeypatch):
    monkeypatch.delenv("ATLAS_DBT_TARGET", raising=False)
    assert dbt_target() == "duckdb"
    monkeypatch.setenv("ATLAS_DBT_TARGET", "Spark")
    assert dbt_target() == "spark"
    monkeypatch.setenv("ATLAS_DBT_TARGET", "snowflake")
    with pytest.raises(ValueError, match="duckdb or spark"):
        dbt_target()
