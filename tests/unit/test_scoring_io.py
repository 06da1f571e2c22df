"""The scoring stage reads the same rows from a DuckDB file, a Parquet export in any of its layouts,
and joins each service's process inputs to its dimension row without duplicating columns."""

from __future__ import annotations

import duckdb
import polars as pl
import pytest

from scoring.io import PROCESS_DUPLICATES, read_table

TASKS = pl.DataFrame({
    "dwa_id": ["4.A.1", "4.A.1", "4.A.2"],
    "task_id": [101, 102, 201],
    "onet_soc_code": ["43-4051.00", "43-4061.00", "13-2011.00"],
    "task_weight_in_dwa": [0.75, 0.25, 1.0],
})


@pytest.fixture
def con():
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    frame = TASKS  # noqa: F841 (read by DuckDB's replacement scan)
    con.execute("CREATE TABLE marts.fct_dwa_task AS SELECT * FROM frame")
    return con


@pytest.mark.parametrize("layout", ["file", "folder", "spark"])
def test_every_parquet_layout_gives_the_rows_duckdb_gives(con, tmp_path, layout):
    if layout == "file":
        (tmp_path / "marts").mkdir()
        TASKS.write_parquet(tmp_path / "marts" / "fct_dwa_task.parquet")
    else:
        folder = tmp_path / ("marts" if layout == "folder" else "marts.db") / "fct_dwa_task"
        folder.mkdir(parents=True)
        TASKS.write_parquet(folder / "part-00000.parquet")
    assert read_table(tmp_path, "marts", "fct_dwa_task").sort("task_id").equals(
        read_table(con, "marts", "fct_dwa_task").sort("task_id")
    )


def test_a_missing_table_is_named_in_the_error(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"marts\.fct_service_process_input"):
        read_table(tmp_path, "marts", "fct_service_process_input")


def test_the_process_inputs_drop_only_the_columns_dim_service_already_has():
    assert set(PROCESS_DUPLICATES) == {"country_code", "is_online_application", "is_online_decision",
                                       "is_online_issuance"}
