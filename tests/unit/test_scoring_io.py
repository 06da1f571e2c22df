"""The scoring stage reads each occupation's tasks once, however many services repeat them."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from scoring.io import OCCUPATION_TASK_COLUMNS, read_occupation_tasks
from scoring.model import occupation_method_values


def _service_tasks() -> pl.DataFrame:
    """Two occupations' tasks as fct_service_task holds them: once per service (three services)."""
    tasks = pl.DataFrame({
        "onet_soc_code": ["43-4051.00", "43-4051.00", "13-2011.00"],
        "task_id": [101, 102, 201],
        "task_weight_in_occupation": [0.75, 0.25, 1.0],
    }).with_columns(
        *[pl.lit(0.5).alias(c) for c in OCCUPATION_TASK_COLUMNS[3:]]
    ).with_columns(pl.Series(OCCUPATION_TASK_COLUMNS[3], [1.0, 0.0, None], dtype=pl.Float64))
    return pl.concat([
        tasks.with_columns(pl.lit(service).alias("service_key"), pl.lit("2023-2024").alias("fiscal_year"))
        for service in ("S1", "S2", "S3")
    ])


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    frame = _service_tasks()  # noqa: F841 (read by DuckDB's replacement scan)
    con.execute("CREATE TABLE marts.fct_service_task AS SELECT * FROM frame")
    return con


def test_each_occupation_task_is_read_once_and_sorted(con):
    tasks = read_occupation_tasks(con)
    assert tasks.columns == OCCUPATION_TASK_COLUMNS
    assert tasks.select("onet_soc_code", "task_id").rows() == [
        ("13-2011.00", 201), ("43-4051.00", 101), ("43-4051.00", 102)]


def test_parquet_and_duckdb_sources_give_the_same_rows(con, tmp_path):
    (tmp_path / "marts").mkdir()
    con.sql("SELECT * FROM marts.fct_service_task").pl().write_parquet(
        tmp_path / "marts" / "fct_service_task.parquet")
    assert read_occupation_tasks(tmp_path).equals(read_occupation_tasks(con))


def test_the_model_gives_the_same_values_from_the_distinct_rows_as_from_every_service_row(con):
    measures = pl.DataFrame(schema={"onet_soc_code": pl.String, "measure_id": pl.String,
                                    "value_01": pl.Float64})
    every_row = occupation_method_values(_service_tasks(), measures).sort(["onet_soc_code", "method_id"])
    distinct = occupation_method_values(read_occupation_tasks(con), measures).sort(["onet_soc_code", "method_id"])
    assert distinct.equals(every_row)
