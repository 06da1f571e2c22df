"""What the Dagster UI shows beside each published table: every column with its description."""

from __future__ import annotations

import duckdb
import pytest


@pytest.fixture(scope="module")
def published_columns(built_warehouse) -> dict[tuple[str, str], list[str]]:
    path = (built_warehouse.parent / "published" / "atlas.duckdb").resolve()
    with duckdb.connect(str(path), read_only=True) as con:
        rows = con.execute(
            """SELECT table_schema, table_name, column_name FROM information_schema.columns
               WHERE table_catalog = current_database() AND table_schema IN ('marts', 'scoring', 'seeds')
               ORDER BY table_schema, table_name, ordinal_position"""
        ).fetchall()
    out: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in rows:
        out.setdefault((schema, table), []).append(column)
    return out


def test_every_column_of_every_published_table_has_a_description_in_the_dagster_metadata(
    built_warehouse, published_columns, monkeypatch
):
    import dagster as dg
    from dagster._core.instance import InstanceRef

    from orchestration.definitions import defs

    graph = defs.resolve_asset_graph()
    instance = dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(built_warehouse.parent / "dagster_home")))
    assert len(published_columns) > 50
    missing = []
    for (schema, table), columns in published_columns.items():
        key = dg.AssetKey([schema, table])
        assert graph.has(key), f"{schema}.{table} is published but no asset"
        schema_meta = None
        event = instance.get_latest_materialization_event(key)
        if event is not None and event.asset_materialization is not None:
            schema_meta = event.asset_materialization.metadata.get("dagster/column_schema")
        if schema_meta is None:
            schema_meta = graph.get(key).metadata.get("dagster/column_schema")
        # a materialisation carries a TableSchemaMetadataValue, a definition may carry the TableSchema
        schema = getattr(schema_meta, "value", schema_meta)
        described = {c.name: (c.description or "").strip() for c in (schema.columns if schema else [])}
        missing += [f"{schema}.{table}.{c}" for c in columns if not described.get(c)]
    assert not missing, f"{len(missing)} columns without a description in Dagster: {missing[:20]}"
