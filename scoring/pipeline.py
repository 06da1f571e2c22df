"""The whole scoring stage as one pure function: marts in, score tables out."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import polars as pl

from scoring.model import (
    SERVICE_KEY,
    headline_probability,
    matrix,
    occupation_method_values,
    rollup,
    service_method_probability,
    service_value,
    uk_replication,
)
from scoring.parameters import Parameters
from scoring.uncertainty import monte_carlo


@dataclass(frozen=True)
class ScoringInputs:
    services: pl.DataFrame  # dim_service joined to fct_service_cost
    service_occupations: pl.DataFrame  # fct_service_occupation
    # the distinct (occupation, task) rows of fct_service_task with the task weight and the task
    # measures: all the model needs of it, a few thousand rows however many services there are
    occupation_tasks: pl.DataFrame
    occupation_measures: pl.DataFrame  # fct_occupation_automation_measure
    replication_reference: pl.DataFrame  # seeds.turing_replication_reference


@dataclass(frozen=True)
class ScoringOutputs:
    service_automation: pl.DataFrame
    summary: pl.DataFrame
    by_organisation: pl.DataFrame
    by_archetype: pl.DataFrame
    by_country: pl.DataFrame
    uk_replication: pl.DataFrame

    def tables(self) -> dict[str, pl.DataFrame]:
        return {
            "fct_service_automation": self.service_automation,
            "fct_service_automation_summary": self.summary,
            "agg_automation_by_organisation": self.by_organisation,
            "agg_automation_by_archetype": self.by_archetype,
            "agg_automation_by_country": self.by_country,
            "uk_replication": self.uk_replication,
        }


SUMMARY_SERVICE_COLUMNS = [
    "service_key", "fiscal_year", "country_code", "organisation_code", "organisation_name",
    "service_name", "archetype_id", "involves_case_decision", "customer_type", "annual_volume",
    "currency", "price_year", "labour_cost", "fte",
]


def score(
    inputs: ScoringInputs,
    params: Parameters,
    progress: Callable[[int, int], None] | None = None,
) -> ScoringOutputs:
    """Every score table from the marts. `progress(done, total)` follows the Monte Carlo."""
    parameters_json = pl.lit(params.to_json()).alias("parameters")
    occupation_values = occupation_method_values(inputs.occupation_tasks, inputs.occupation_measures)
    per_method = service_method_probability(inputs.service_occupations, occupation_values)
    headline = headline_probability(per_method, params)
    uncertainty = monte_carlo(
        inputs.service_occupations, occupation_values,
        inputs.services.select(*SERVICE_KEY, "country_code", "labour_cost", "total_cost"), params,
        progress=progress,
    )
    valued = service_value(inputs.services, headline, params)
    summary = valued.select(
        *SUMMARY_SERVICE_COLUMNS,
        "headline_probability", "method_min_probability", "method_max_probability",
        "methods_used", "methods_used_ids", "probability_null_reason", "already_digital_share",
        "value_gross", "value_net", "fte_automatable", "hours_automatable", "value_null_reason",
    ).join(uncertainty, on=SERVICE_KEY, how="left")
    summary = matrix(summary, params).with_columns(parameters_json).sort(
        ["country_code", "priority_rank"]
    )
    per_method = per_method.with_columns(parameters_json)
    reference = inputs.replication_reference.select(
        "figure_id", "reference_value", "reference_data_year", "reference_source"
    )
    replication = (
        uk_replication(summary, per_method, params)
        .join(reference, on="figure_id", how="left")
        .with_columns(parameters_json)
    )
    return ScoringOutputs(
        service_automation=per_method,
        summary=summary,
        by_organisation=rollup(summary, ["country_code", "organisation_code"]).with_columns(parameters_json),
        by_archetype=rollup(summary, ["country_code", "archetype_id"]).with_columns(parameters_json),
        by_country=rollup(summary, ["country_code"]).with_columns(parameters_json),
        uk_replication=replication,
    )


def invariant_failures(outputs: ScoringOutputs, services: int) -> list[str]:
    """Model invariants checked before anything is written; an empty list means all hold."""
    s = outputs.summary
    problems = []
    if s.height != services or s.select(pl.struct(SERVICE_KEY).is_duplicated().any()).item():
        problems.append(f"summary has {s.height} rows for {services} services, or duplicates")
    for column in ("headline_probability", "probability_p05", "probability_p50", "probability_p95"):
        if not s[column].drop_nulls().is_between(0.0, 1.0).all():
            problems.append(f"{column} outside [0, 1]")
    ordered = s.filter(pl.col("probability_p05").is_not_null()).select(
        ((pl.col("probability_p05") <= pl.col("probability_p50") + 1e-12)
         & (pl.col("probability_p50") <= pl.col("probability_p95") + 1e-12)).all()
    ).item()
    if ordered is False:
        problems.append("probability percentiles out of order")
    if not outputs.service_automation["coverage"].is_between(0.0, 1.0).all():
        problems.append("coverage outside [0, 1]")
    no_reason = s.filter(pl.col("value_gross").is_null() & pl.col("value_null_reason").is_null())
    if no_reason.height:
        problems.append(f"{no_reason.height} services have a null value without a reason")
    return problems
