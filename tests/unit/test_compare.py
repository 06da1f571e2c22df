"""The engine comparison finds every kind of difference and forgives only rounding (compare.py)."""

from __future__ import annotations

import json
from datetime import date

import polars as pl

from tests.compare import compare_tables, mart_keys


def services() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "service_key": ["CA-1", "CA-2", "UK-a"],
            "fiscal_year": ["2023-2024", "2023-2024", "2012-2013"],
            "annual_volume": [10, None, 7],
            "digital_share": [0.25, None, 1 / 3],
            "is_online": [True, None, False],
            "start": [date(2024, 1, 1), None, date(2013, 4, 1)],
        },
        schema_overrides={"annual_volume": pl.Int64},
    )


KEY = ["service_key", "fiscal_year"]


def test_identical_tables_have_no_differences():
    assert compare_tables("marts.dim_service", services(), services(), KEY) == []


def test_rounding_in_the_last_bits_and_narrower_integers_are_forgiven():
    spark = services().with_columns(
        (pl.col("digital_share") * (1 + 1e-14)).alias("digital_share"),
        pl.col("annual_volume").cast(pl.Int32),
    )
    assert compare_tables("marts.dim_service", services(), spark, KEY) == []


def test_a_value_beyond_the_tolerance_is_reported_with_its_column_and_key():
    spark = services().with_columns(
        pl.when(pl.col("service_key") == "UK-a").then(0.3334).otherwise(pl.col("digital_share"))
        .alias("digital_share")
    )
    [difference] = compare_tables("marts.dim_service", services(), spark, KEY)
    assert difference.kind == "value_differs"
    assert difference.column == "digital_share"
    assert difference.key == {"service_key": "UK-a", "fiscal_year": "2012-2013"}
    assert "marts.dim_service.digital_share" in str(difference)


def test_a_null_against_a_value_is_a_difference():
    spark = services().with_columns(pl.lit(True).alias("is_online"))
    found = compare_tables("marts.dim_service", services(), spark, KEY)
    assert [(d.column, d.key["service_key"]) for d in found] == [("is_online", "CA-2"), ("is_online", "UK-a")]


def test_missing_rows_columns_and_incompatible_types_are_reported():
    spark = (
        services()
        .filter(pl.col("service_key") != "CA-2")
        .drop("start")
        .with_columns(pl.col("annual_volume").cast(pl.String))
    )
    kinds = {(d.kind, d.column) for d in compare_tables("marts.dim_service", services(), spark, KEY)}
    assert kinds == {
        ("column_missing", "start"),
        ("type_incompatible", "annual_volume"),
        ("row_missing", None),
    }


def test_tables_without_a_key_compare_as_multisets_of_rows():
    left = pl.DataFrame({"code": ["a", "a", "b"], "value": [1.0, 2.0, 3.0]})
    same_rows_other_order = pl.DataFrame({"code": ["b", "a", "a"], "value": [3.0, 2.0, 1.0]})
    assert compare_tables("t", left, same_rows_other_order) == []
    one_row_changed = pl.DataFrame({"code": ["b", "a", "a"], "value": [3.0, 2.0, 1.5]})
    assert [d.kind for d in compare_tables("t", left, one_row_changed)] == ["value_differs"]


def test_keys_come_from_the_unique_tests_of_each_mart(tmp_path):
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {
        "model.atlas.dim_service": {"resource_type": "model", "schema": "marts", "name": "dim_service"},
        "model.atlas.dim_task": {"resource_type": "model", "schema": "marts", "name": "dim_task"},
        "model.atlas.stg_x": {"resource_type": "model", "schema": "staging", "name": "stg_x"},
        "test.1": {"resource_type": "test", "attached_node": "model.atlas.dim_service",
                   "test_metadata": {"name": "unique_combination",
                                     "kwargs": {"combination_of_columns": KEY}}},
        "test.2": {"resource_type": "test", "attached_node": "model.atlas.dim_task",
                   "test_metadata": {"name": "unique", "kwargs": {"column_name": "task_id"}}},
        "test.3": {"resource_type": "test", "attached_node": "model.atlas.stg_x",
                   "test_metadata": {"name": "unique", "kwargs": {"column_name": "x"}}},
    }}))
    assert mart_keys(manifest) == {"dim_service": KEY, "dim_task": ["task_id"]}
