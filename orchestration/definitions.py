"""Dagster definitions: every asset, check, job and resource of the Atlas."""

from __future__ import annotations

from orchestration import environment

environment.configure()

import dagster as dg  # noqa: E402

from orchestration.assets.access import service_access_risk  # noqa: E402
from orchestration.assets.automation import automation_model, sensitivity_analysis  # noqa: E402
from orchestration.assets.dbt import atlas_dbt_models  # noqa: E402
from orchestration.assets.evidence import bottom_up_evidence  # noqa: E402
from orchestration.assets.exports import exports_definitions  # noqa: E402
from orchestration.assets.lineage import lineage_definitions  # noqa: E402
from orchestration.assets.publish import publishing_definitions  # noqa: E402
from orchestration.assets.raw import raw_assets  # noqa: E402
from orchestration.assets.workforce import workforce_transitions  # noqa: E402
from orchestration.resources import dbt_resource, warehouse_resource  # noqa: E402
from orchestration.schedules import automation_definitions, with_freshness  # noqa: E402

# One process writes the warehouse at a time: DuckDB allows a single writer, and dbt runs in a
# subprocess that must find the file unlocked.
atlas_full = dg.define_asset_job(
    name="atlas_full",
    selection=dg.AssetSelection.all(),
    description="Land every source, build the dbt warehouse and score it, in one process.",
    executor_def=dg.in_process_executor,
)

defs = dg.Definitions(
    assets=[*raw_assets(), atlas_dbt_models,
            automation_model, sensitivity_analysis, bottom_up_evidence, service_access_risk, workforce_transitions],
    jobs=[atlas_full],
    resources={"warehouse": warehouse_resource(), "dbt": dbt_resource()},
    executor=dg.in_process_executor,
)

# The lineage of every marts and scoring table (assumption ids and source checksums), downstream of
# all of them.
defs = dg.Definitions.merge(defs, lineage_definitions(defs))

# Great Expectations suites as blocking checks, and the publish asset downstream of every asset in
# the marts, scoring and seeds groups (found from the definitions above, so new ones count).
defs = dg.Definitions.merge(defs, publishing_definitions(defs))

# After each publish, the exports of the published version (they read only the published copy);
# the weekly full refresh and the source sensor; freshness policies on the published tables.
defs = dg.Definitions.merge(defs, exports_definitions(defs), automation_definitions())
defs = with_freshness(defs)
