"""Bottom-up evidence: the Beta update of each service's top-down probability with the pilots of
seeds/pilot_evidence.csv (scoring/evidence.py), and the value of information of a new pilot."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from orchestration.assets.scoring import (
    EvidenceConfig,
    evidence_parameters,
    table_metadata,
    write_table,
)
from scoring.evidence import (
    ACTIVITY_COLUMNS,
    evidence_invariant_failures,
    evidence_links,
    evidence_summary,
    pilot_shares,
    posterior,
)

OWNER = "team:atlas-economics"
SUMMARY = ["scoring", "fct_service_automation_summary"]


EVIDENCE_TABLES = {
    "fct_pilot_evidence_used": "One row per pilot of seeds/pilot_evidence.csv: its result as a "
    "share of labour time saved, quality weight and effective observations (A100-A103), or why it "
    "cannot be used.",
    "fct_service_evidence_link": "One row per service and pilot that informs it: link type (own "
    "service, same organisation, same country, other country), the similarity weight (A106-A108) "
    "and, for a pilot on activities, the activities' share of the service's hours (A136) with "
    "which the pilot's observations reach the service.",
    "fct_service_evidence_posterior": "One row per service: top-down Beta prior, pilot evidence and "
    "Beta posterior side by side, and the value of information of a new pilot (labour cost x "
    "expected fall in the posterior sd, A109) with its rank per country.",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["scoring", name], description=text, group_name="scoring", owners=[OWNER],
            kinds={"polars", "duckdb"},
            deps=[SUMMARY, ["scoring", "fct_service_activity"], ["marts", "fct_pilot_evidence"],
                  ["seeds", "assumptions"]],
        )
        for name, text in EVIDENCE_TABLES.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "evidence_invariants", asset=["scoring", "fct_service_evidence_posterior"], blocking=True,
            description="One posterior row per service of the summary; means and percentiles in "
            "[0, 1]; percentiles bracket the mean; evidence never lowers the concentration.",
        )
    ],
    name="bottom_up_evidence",
)
def bottom_up_evidence(
    context: dg.AssetExecutionContext, config: EvidenceConfig, warehouse: DuckDBResource
):
    with warehouse.get_connection() as con:
        params = evidence_parameters(con, config)
        summary = con.sql("SELECT * FROM scoring.fct_service_automation_summary").pl()
        pilots = con.sql("SELECT * FROM marts.fct_pilot_evidence").pl()
        activities = con.sql(
            f"SELECT {', '.join(ACTIVITY_COLUMNS)} FROM scoring.fct_service_activity"
        ).pl()
        used = pilot_shares(pilots, params)
        links = evidence_links(summary, used, params, activities)
        result = posterior(summary, links, params)
        line = evidence_summary(used, links, result, params)
        context.log.info(f"{line}; {result.height} services; parameters {params.to_json()}")
        problems = evidence_invariant_failures(result, summary.height)
        yield dg.AssetCheckResult(
            check_name="evidence_invariants",
            asset_key=["scoring", "fct_service_evidence_posterior"],
            passed=not problems,
            metadata={"problems": dg.MetadataValue.json(problems)},
        )
        if problems:
            raise dg.Failure(f"evidence invariants failed: {problems}; nothing written")
        parameters = pl.lit(params.to_json()).alias("parameters")
        tables = {
            "fct_pilot_evidence_used": used.with_columns(parameters),
            "fct_service_evidence_link": links.with_columns(parameters),
            "fct_service_evidence_posterior": result.with_columns(parameters),
        }
        for name, frame in tables.items():
            write_table(con, name, frame)
            extra = {"evidence_summary": line} if name == "fct_service_evidence_posterior" else {}
            yield dg.MaterializeResult(asset_key=["scoring", name], metadata={**table_metadata(frame, name), **extra})
