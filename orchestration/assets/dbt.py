"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as checks.

`dbt build` runs each model and then its tests; an error-severity test failure makes dbt skip the
models downstream of it and fails this step, so the scoring assets do not run on bad marts.
"""


from collections.abc import Mapping
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets

from orchestration.dbt_project import atlas_dbt_project
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


# The marts that need the polars cost allocation (tag after_allocation) run in a second dbt step,
# so that the order is: dbt (staging, marts) -> polars allocation -> dbt (cost marts) -> scoring.
AFTER_ALLOCATION = "tag:after_allocation"


@dbt_assets(
    manifest=atlas_dbt_project.manifest_path,
    project=atlas_dbt_project,
    dagster_dbt_translator=translator,
    name="atlas_dbt_models",
    exclude=AFTER_ALLOCATION,
)
def atlas_dbt_models(context: dg.AssetExecutionContext, dbt: OfflineDbtCliResource):
    """Build the dbt models and run their tests (dbt build) for the selected assets."""
    yield from dbt.cli(["build"], context=context).stream()


@dbt_assets(
    manifest=atlas_dbt_project.manifest_path,
    project=atlas_dbt_project,
    dagster_dbt_translator=translator,
    name="atlas_dbt_cost_models",
    select=AFTER_ALLOCATION,
)
def atlas_dbt_cost_models(context: dg.AssetExecutionContext, dbt: OfflineDbtCliResource):
    """Build the cost marts that read the polars allocation, and run their tests."""
    yield from dbt.cli(["build"], context=context).stream()
