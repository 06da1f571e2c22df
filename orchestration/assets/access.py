"""Access risk beside the matrix: services whose automation would cut assisted channels that people
without online access rely on (scoring/access.py)."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from orchestration.assets.scoring import (
    EvidenceConfig,
    evidence_parameters,
    table_metadata,
    write_table,
)
from scoring.access import access_risk, access_risk_problems

OWNER = "team:atlas-economics"
SUMMARY = ["scoring", "fct_service_automation_summary"]


@dg.asset(
    key=["scoring", "fct_service_access_risk"],
    group_name="scoring",
    owners=[OWNER],
    kinds={"polars", "duckdb"},
    deps=[SUMMARY, ["marts", "fct_service_access_channel"], ["seeds", "assumptions"]],
    description=(
        "One row per service: channel shares (in person, phone, mail, other assisted; UK: not "
        "digital), customer type, and whether automating it would cut assisted capacity that people "
        "without online access rely on (A110, A111), beside its quadrant and priority rank."
    ),
    check_specs=[
        dg.AssetCheckSpec(
            "one_row_per_service", asset=dg.AssetKey(["scoring", "fct_service_access_risk"]),
            blocking=True,
            description="Exactly one row per service of the automation summary; an unknown flag "
            "always has a reason.",
        )
    ],
)
def service_access_risk(
    context: dg.AssetExecutionContext, config: EvidenceConfig, warehouse: DuckDBResource
):
    with warehouse.get_connection() as con:
        params = evidence_parameters(con, config)
        summary = con.sql("SELECT * FROM scoring.fct_service_automation_summary").pl()
        channels = con.sql("SELECT * FROM marts.fct_service_access_channel").pl()
        frame = access_risk(channels, summary, params).with_columns(
            pl.lit(params.to_json()).alias("parameters")
        )
        problems = access_risk_problems(frame, summary.height)
        passed = not problems
        yield dg.AssetCheckResult(
            check_name="one_row_per_service",
            passed=passed,
            metadata={"rows": frame.height, "services": summary.height,
                      "problems": dg.MetadataValue.json(problems)},
        )
        if not passed:
            raise dg.Failure("access risk failed its check; scoring table not written")
        write_table(con, "fct_service_access_risk", frame)
    flagged = int(frame["is_access_risk"].fill_null(False).sum())
    context.log.info(f"{flagged} of {frame.height} services flagged for access risk")
    yield dg.MaterializeResult(metadata={**table_metadata(frame, "fct_service_access_risk"), "services_flagged": flagged})
