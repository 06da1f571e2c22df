"""Assets of issue 9: bottom-up evidence (Beta update of the top-down probability with pilots),
access risk beside the matrix, and workforce transitions. Each reads the marts and the automation
model's summary, calls pure functions from scoring/, checks the result and writes scoring.<table>.
Parameters come from the assumptions seed (A100-A113) and may be overridden in run config."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from orchestration.assets.scoring import table_metadata, write_table
from scoring.access import access_risk
from scoring.evidence import (
    ACTIVITY_COLUMNS,
    evidence_invariant_failures,
    evidence_links,
    evidence_summary,
    pilot_shares,
    posterior,
)
from scoring.evidence_parameters import EvidenceParameters, evidence_parameters_from_assumptions
from scoring.parameters import from_assumptions
from scoring.production import service_occupation_mix
from scoring.workforce import (
    occupation_outlook,
    occupation_probability,
    organisation_occupation_fte,
    redeployment_options,
)

OWNER = "team:atlas-economics"
SUMMARY = ["scoring", "fct_service_automation_summary"]


class EvidenceConfig(dg.Config):
    """Per-run overrides of the assumptions seed (leave empty to use the seed's values)."""

    quality_weight_high: float | None = None
    quality_weight_medium: float | None = None
    quality_weight_low: float | None = None
    max_effective_observations: float | None = None
    prior_min_concentration: float | None = None
    prior_max_concentration: float | None = None
    weight_same_organisation: float | None = None
    weight_same_country: float | None = None
    weight_other_country: float | None = None
    voi_reference_observations: float | None = None
    access_assisted_share_threshold: float | None = None
    access_probability_threshold: float | None = None
    workforce_high_automation_threshold: float | None = None
    redeployment_options: int | None = None
    shift_report_threshold: float | None = None


def _parameters(con, config: EvidenceConfig) -> EvidenceParameters:
    params = evidence_parameters_from_assumptions(con.sql("SELECT * FROM seeds.assumptions").pl())
    return params.override(**{k: v for k, v in config.model_dump().items() if v is not None})


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
        params = _parameters(con, config)
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
            yield dg.MaterializeResult(asset_key=["scoring", name], metadata={**table_metadata(frame), **extra})


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
        params = _parameters(con, config)
        summary = con.sql("SELECT * FROM scoring.fct_service_automation_summary").pl()
        channels = con.sql("SELECT * FROM marts.fct_service_access_channel").pl()
        frame = access_risk(channels, summary, params).with_columns(
            pl.lit(params.to_json()).alias("parameters")
        )
        unexplained = frame.filter(
            pl.col("is_access_risk").is_null() & pl.col("access_risk_null_reason").is_null()
        ).height
        same = frame.height == summary.height and frame.select(
            pl.struct("service_key", "fiscal_year").is_unique().all()
        ).item()
        passed = bool(same) and unexplained == 0
        yield dg.AssetCheckResult(
            check_name="one_row_per_service",
            passed=passed,
            metadata={"rows": frame.height, "services": summary.height, "unexplained_nulls": unexplained},
        )
        if not passed:
            raise dg.Failure("access risk failed its check; scoring table not written")
        write_table(con, "fct_service_access_risk", frame)
    flagged = int(frame["is_access_risk"].fill_null(False).sum())
    context.log.info(f"{flagged} of {frame.height} services flagged for access risk")
    yield dg.MaterializeResult(metadata={**table_metadata(frame), "services_flagged": flagged})


WORKFORCE_TABLES = {
    "fct_occupation_outlook": "One row per O*NET-SOC occupation: automation probability (mean of "
    "the headline methods, A214), whether its time is highly automatable (A112) and its projected "
    "US employment 2024-34.",
    "fct_organisation_occupation_workforce": "One row per country, organisation, fiscal year and "
    "occupation: FTE (each service's delivery FTE spread over the occupations of its activities' "
    "tasks), automatable FTE and FTE whose time is highly automatable (A112).",
    "fct_occupation_redeployment_option": "One row per highly automatable occupation and "
    "redeployment option: the A113 most similar occupations by O*NET Skills and Knowledge (A114) "
    "with a lower automation probability and non-declining projected employment (A115).",
}


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["scoring", name], description=text, group_name="scoring", owners=[OWNER],
            kinds={"polars", "numpy", "duckdb"},
            deps=[
                ["marts", "fct_occupation_automation_measure"], ["scoring", "fct_service_activity"],
                ["scoring", "fct_service_domain_match"], ["scoring", "fct_service_automation_summary"],
                ["marts", "fct_dwa_task"], ["seeds", "activity_dwa"],
                ["marts", "fct_occupation_projection"], ["staging", "stg_onet__skills"],
                ["staging", "stg_onet__knowledge"], ["seeds", "assumptions"],
            ],
        )
        for name, text in WORKFORCE_TABLES.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "fte_adds_up", asset=["scoring", "fct_organisation_occupation_workforce"], blocking=True,
            description="The occupation FTE of each organisation adds back to the FTE of its "
            "services (1e-6 relative); similarities in [-1, 1]; options respect the rules.",
        )
    ],
    name="workforce_transitions",
)
def workforce_transitions(
    context: dg.AssetExecutionContext, config: EvidenceConfig, warehouse: DuckDBResource
):
    with warehouse.get_connection() as con:
        assumptions = con.sql("SELECT * FROM seeds.assumptions").pl()
        model_params = from_assumptions(assumptions)
        params = _parameters(con, config)
        probabilities = occupation_probability(
            con.sql("SELECT * FROM marts.fct_occupation_automation_measure").pl(), model_params
        )
        # delivery FTE and the occupation mix implied by each service's activities (scoring/production.py)
        services = con.sql(
            """SELECT service_key, fiscal_year, country_code, organisation_code, organisation_name, fte
               FROM scoring.fct_service_automation_summary"""
        ).pl()
        mix = service_occupation_mix(
            con.sql("SELECT service_key, fiscal_year, activity_id, hours FROM scoring.fct_service_activity").pl(),
            con.sql("SELECT * FROM seeds.activity_dwa").pl(),
            con.sql("SELECT * FROM scoring.fct_service_domain_match").pl(),
            con.sql("SELECT dwa_id, onet_soc_code, task_weight_in_dwa FROM marts.fct_dwa_task").pl(),
        )
        workforce = organisation_occupation_fte(services, mix, probabilities, params)
        projections = con.sql("SELECT * FROM marts.fct_occupation_projection").pl()
        profiles = con.sql(
            """SELECT o_net_soc_code AS onet_soc_code, 'skill:' || element_id AS element_id,
                      data_value, recommend_suppress
               FROM staging.stg_onet__skills WHERE scale_id = 'IM'
               UNION ALL
               SELECT o_net_soc_code, 'knowledge:' || element_id, data_value, recommend_suppress
               FROM staging.stg_onet__knowledge WHERE scale_id = 'IM'"""
        ).pl()
        options = redeployment_options(
            probabilities, profiles, projections, params,
            workforce.select("onet_soc_code", "fte"),
        )
        outlook = occupation_outlook(probabilities, projections, params)
        problems = _workforce_problems(services, workforce, options)
        yield dg.AssetCheckResult(
            check_name="fte_adds_up",
            asset_key=["scoring", "fct_organisation_occupation_workforce"],
            passed=not problems,
            metadata={"problems": dg.MetadataValue.json(problems)},
        )
        if problems:
            raise dg.Failure(f"workforce checks failed: {problems}; nothing written")
        parameters = pl.lit(params.to_json()).alias("parameters")
        tables = {
            "fct_occupation_outlook": outlook.with_columns(parameters),
            "fct_organisation_occupation_workforce": workforce.with_columns(parameters),
            "fct_occupation_redeployment_option": options.with_columns(parameters),
        }
        context.log.info(
            f"{outlook['is_highly_automatable'].sum()} highly automatable occupations, "
            f"{options['source_onet_soc_code'].n_unique()} with options; "
            f"{workforce['highly_automatable_fte'].sum():.0f} of {workforce['fte'].sum():.0f} FTE highly automatable"
        )
        for name, frame in tables.items():
            write_table(con, name, frame)
            yield dg.MaterializeResult(asset_key=["scoring", name], metadata=table_metadata(frame))


def _workforce_problems(
    services: pl.DataFrame, workforce: pl.DataFrame, options: pl.DataFrame
) -> list[str]:
    """FTE conserved per organisation; option rules hold."""
    key = ["country_code", "organisation_code", "fiscal_year"]
    expected = services.filter(pl.col("fte").is_not_null()).group_by(key).agg(pl.col("fte").sum().alias("expected"))
    got = workforce.group_by(key).agg(pl.col("fte").sum().alias("got"))
    joined = expected.join(got, on=key, how="full", coalesce=True).fill_null(0.0)
    off = joined.filter(
        (pl.col("expected") - pl.col("got")).abs() > 1e-6 * pl.col("expected").abs().clip(lower_bound=1.0)
    )
    problems = []
    if off.height:
        problems.append(f"{off.height} organisations whose occupation FTE does not add up to their services' FTE")
    if not options["similarity"].is_between(-1.0 - 1e-9, 1.0 + 1e-9).all():
        problems.append("similarity outside [-1, 1]")
    if options.filter(pl.col("target_probability") >= pl.col("source_probability")).height:
        problems.append("an option is not less automatable than its source")
    return problems
