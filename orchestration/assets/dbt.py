"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as checks.

`dbt build` runs each model and then its tests; an error-severity test failure makes dbt skip the
models downstream of it and fails this step, so the scoring assets do not run on bad marts.
"""


from collections.abc import Iterable, Iterator, Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from dagster_duckdb import DuckDBResource

from orchestration.dbt_project import atlas_dbt_project
from orchestration.metadata import relation_metadata
from orchestration.resources import OfflineDbtCliResource

LAYERS = ("staging", "intermediate", "marts", "seeds")


class AtlasTranslator(DagsterDbtTranslator):
    """Key dbt models and seeds by schema and name (["marts", "fct_ca_service"]), group them by
    layer, and own them; sources keep the raw asset keys given in their `meta.dagster`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        for layer in LAYERS:
            if layer in fqn:
                return layer
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:atlas-analytics-engineering"]


translator = AtlasTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=atlas_dbt_project.manifest_path,
    project=atlas_dbt_project,
    dagster_dbt_translator=translator,
    name="atlas_dbt_models",
)
def atlas_dbt_models(
    context: dg.AssetExecutionContext, dbt: OfflineDbtCliResource, warehouse: DuckDBResource
):
    """Build the dbt models and run their tests (dbt build) for the selected assets: one dbt
    invocation per run; no dbt model reads a table that Python wrote."""
    yield from with_table_metadata(context, dbt.cli(["build"], context=context).stream(), warehouse)


def with_table_metadata(
    context: dg.AssetExecutionContext, events: Iterable[Any], warehouse: DuckDBResource
) -> Iterator[Any]:
    """The dbt events, each model's materialisation with its row count and first rows added.

    The warehouse is read only after the dbt process has exited (DuckDB allows one writer and no
    reader beside it), so the events are held until dbt is done; if dbt fails, the events it
    produced are still passed on before the error."""
    held: list[Any] = []
    failure: BaseException | None = None
    try:
        for event in events:
            held.append(event)
    except Exception as error:  # dbt failed: report what it did, then fail the step
        failure = error
    extra: dict[dg.AssetKey, dict[str, object]] = {}
    keys = [context.asset_key_for_output(e.output_name) for e in held if isinstance(e, dg.Output)]
    if keys:
        try:
            with warehouse.get_connection() as con:
                for key in keys:
                    if len(key.path) == 2:
                        try:
                            extra[key] = relation_metadata(con, *key.path)
                        except Exception as error:  # a model dbt did not build: no metadata
                            context.log.debug(f"no table metadata for {key.to_user_string()}: {error}")
        except Exception as error:
            context.log.warning(f"could not read table metadata from the warehouse: {error}")
    for event in held:
        if isinstance(event, dg.Output):
            key = context.asset_key_for_output(event.output_name)
            if key in extra:
                # dagster-dbt's own column schema (with dbt's descriptions) stays in the definition
                added = {k: v for k, v in extra[key].items() if k != "dagster/column_schema"}
                event = event.with_metadata({**event.metadata, **added})
        yield event
    if failure is not None:
        raise failure
