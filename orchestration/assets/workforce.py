"""Workforce transitions: each service's delivery FTE spread over the occupations of its
activities, occupations whose time is highly automatable, and redeployment options
(scoring/workforce.py)."""

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from orchestration.assets.scoring import (
    EvidenceConfig,
    evidence_parameters,
    table_metadata,
    write_table,
)
from scoring.io import read_occupation_profiles
from scoring.parameters import from_assumptions
from scoring.workforce import (
    occupation_outlook,
    occupation_probability,
    organisation_occupation_fte_by_activity,
    redeployment_options,
    workforce_problems,
)

OWNER = "team:atlas-economics"


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
        params = evidence_parameters(con, config)
        probabilities = occupation_probability(
            con.sql("SELECT * FROM marts.fct_occupation_automation_measure").pl(), model_params
        )
        # delivery FTE spread over the occupations of each service's activities (scoring/workforce.py)
        services = con.sql(
            """SELECT service_key, fiscal_year, country_code, organisation_code, organisation_name, fte
               FROM scoring.fct_service_automation_summary"""
        ).pl()
        workforce = organisation_occupation_fte_by_activity(
            services,
            con.sql("SELECT service_key, fiscal_year, activity_id, hours FROM scoring.fct_service_activity").pl(),
            con.sql("SELECT * FROM seeds.activity_dwa").pl(),
            con.sql("SELECT * FROM scoring.fct_service_domain_match").pl(),
            con.sql("SELECT dwa_id, onet_soc_code, task_weight_in_dwa FROM marts.fct_dwa_task").pl(),
            probabilities, params,
        )
        projections = con.sql("SELECT * FROM marts.fct_occupation_projection").pl()
        profiles = read_occupation_profiles(con)
        options = redeployment_options(
            probabilities, profiles, projections, params,
            workforce.select("onet_soc_code", "fte"),
        )
        outlook = occupation_outlook(probabilities, projections, params)
        problems = workforce_problems(services, workforce, options)
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
            yield dg.MaterializeResult(asset_key=["scoring", name], metadata=table_metadata(frame, name))
