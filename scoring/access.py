"""Access risk (docs/access-risk.md): where automating a service would cut the assisted capacity
(in person, phone, mail) that people without online access rely on.

A service relies on assisted channels when at least A110 of its transactions come through them, or
when the UK marks its customers 'Citizen (challenged)'. Automation would cut that capacity when at
least A111 of its labour time is automatable (headline probability). The flag is null, with a
reason, when either side is unknown and could decide it. Pure polars; no dagster.
"""

from __future__ import annotations

import polars as pl

from scoring.evidence_parameters import EvidenceParameters

SERVICE_KEY = ["service_key", "fiscal_year"]


def access_risk(
    channels: pl.DataFrame, summary: pl.DataFrame, eparams: EvidenceParameters
) -> pl.DataFrame:
    """One row per service of `channels` (fct_service_access_channel), with the matrix position
    from `summary` (fct_service_automation_summary) beside it."""
    share_cut = eparams.access_assisted_share_threshold
    p_cut = eparams.access_probability_threshold
    matrix = summary.select(
        *SERVICE_KEY, "headline_probability", "quadrant", "priority_rank", "is_highly_automatable",
        "probability_null_reason",
    )
    frame = channels.join(matrix, on=SERVICE_KEY, how="left")
    p = pl.col("headline_probability")
    relies = (
        pl.when(pl.col("is_customer_challenged")).then(pl.lit(True))
        .when(pl.col("assisted_share").is_null()).then(pl.lit(None, pl.Boolean))
        .otherwise(pl.col("assisted_share") >= share_cut)
    )
    frame = frame.with_columns(relies.alias("relies_on_assisted_channels"))
    r = pl.col("relies_on_assisted_channels")
    risk = (
        pl.when(p.is_null()).then(pl.lit(None, pl.Boolean))
        .when(p < p_cut).then(pl.lit(False))
        .when(r.is_null()).then(pl.lit(None, pl.Boolean))
        .otherwise(r)
    )
    reason = (
        pl.when(p.is_null())
        .then(pl.concat_str(pl.lit("no headline probability: "), pl.col("probability_null_reason").fill_null("")))
        .when((p >= p_cut) & r.is_null())
        .then(pl.concat_str(pl.lit("assisted share unknown: "), pl.col("channel_null_reason").fill_null("")))
        .otherwise(None)
    )
    return (
        frame.with_columns(
            risk.alias("is_access_risk"),
            reason.alias("access_risk_null_reason"),
            (pl.col("assisted_volume").cast(pl.Float64) * p).alias("assisted_transactions_automatable"),
            pl.lit(share_cut).alias("assisted_share_threshold"),
            pl.lit(p_cut).alias("access_probability_threshold"),
            pl.lit("A110,A111").alias("assumption_ids"),
        )
        .select(
            *SERVICE_KEY, "country_code", "organisation_code", "service_name", "archetype_id",
            "customer_type", "is_customer_challenged", "annual_volume", "online_share",
            "in_person_share", "phone_share", "mail_share", "other_assisted_share",
            "assisted_share", "assisted_volume", "channel_basis", "channel_null_reason",
            "headline_probability", "quadrant", "priority_rank", "is_highly_automatable",
            "relies_on_assisted_channels", "is_access_risk", "access_risk_null_reason",
            "assisted_transactions_automatable", "assisted_share_threshold",
            "access_probability_threshold", "assumption_ids",
        )
        .sort(["country_code", "priority_rank", "service_key"], nulls_last=True)
    )


def access_risk_problems(frame: pl.DataFrame, services: int) -> list[str]:
    """Exactly one row per service of the automation summary (`services` rows), and an unknown
    flag always with its reason."""
    problems = []
    if frame.height != services:
        problems.append(f"{frame.height} rows for {services} services")
    if not frame.select(pl.struct("service_key", "fiscal_year").is_unique().all()).item():
        problems.append("a service appears twice")
    unexplained = frame.filter(
        pl.col("is_access_risk").is_null() & pl.col("access_risk_null_reason").is_null()
    ).height
    if unexplained:
        problems.append(f"{unexplained} services with an unknown flag and no reason")
    return problems
