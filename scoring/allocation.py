"""Allocate each Canadian programme's spending and FTEs to its services (assumption A001): the
polars reference implementation. The warehouse computes the allocation in dbt
(marts.fct_ca_service_cost_allocation, so that no table flows back from Python into dbt);
tests/integration/test_canada_services.py checks that the two agree on the real data, and
tests/unit/test_allocation.py pins the rules on hand-made cases.

A programme's actual spending and FTEs are shared among the services delivered under it in
proportion to their annual applications. Only services with a positive reported number of
applications take a share; every other service stays in the output with null cost and a reason,
so no service is dropped and no programme money is invented or lost: wherever a programme has
services with volumes, the shares of its spending add back to its spending exactly. A programme
reporting zero or negative spending (net of revenue) has none to allocate: its services get a null
spending with that reason, never a negative cost; its FTE are still shared.
"""

from __future__ import annotations

import polars as pl

ASSUMPTION_ID = "A001"

REASON_NO_PROGRAMME = "no programme of the service was found in rbpo.csv for the fiscal year"
REASON_NO_VOLUME = "applications not reported (NA/ND/missing), so no volume to allocate by"
REASON_ZERO_VOLUME = "zero applications reported, so no volume to allocate by"
REASON_NO_SPENDING = "the matched programmes report no actual spending for the fiscal year"
REASON_NET_SPENDING = (
    "the matched programmes report zero or negative actual spending (net of revenue), so there is "
    "no spending to allocate"
)


def _sum_or_null(column: str) -> pl.Expr:
    """Sum that stays null when every value is null (polars' sum would give 0)."""
    col = pl.col(column)
    return pl.when(col.is_not_null().any()).then(col.sum()).otherwise(None).alias(column)


def allocate_programme_costs(links: pl.DataFrame) -> pl.DataFrame:
    """Service-level cost from service-programme links.

    `links`: one row per service, fiscal year and programme with columns service_key, service_id,
    fiscal_year, programme_id, organisation_id, is_programme_matched, programme_actual_spending_cad,
    programme_actual_fte, applications_total. Returns one row per service and fiscal year with the
    allocated spending and FTEs, cost per application, the share of each programme it took, and a
    reason wherever a figure is null.
    """
    has_volume = pl.col("applications_total").fill_null(0) > 0
    spending = pl.col("programme_actual_spending_cad")
    links = links.with_columns(
        (spending <= 0).fill_null(False).alias("_net"),
        pl.when(spending > 0).then(spending).otherwise(None).alias("programme_actual_spending_cad"),
    )
    matched = links.filter(pl.col("is_programme_matched"))
    programme_key = ["fiscal_year", "organisation_id", "programme_id"]
    totals = (
        matched.filter(has_volume)
        .group_by(programme_key)
        .agg(pl.col("applications_total").sum().alias("programme_applications"))
    )
    shares = (
        matched.join(totals, on=programme_key, how="left")
        .with_columns(
            pl.when(has_volume & (pl.col("programme_applications") > 0))
            .then(pl.col("applications_total") / pl.col("programme_applications"))
            .otherwise(None)
            .alias("allocation_share")
        )
        .with_columns(
            (pl.col("allocation_share") * pl.col("programme_actual_spending_cad")).alias(
                "allocated_spending_cad"
            ),
            (pl.col("allocation_share") * pl.col("programme_actual_fte")).alias("allocated_fte"),
        )
    )
    per_service = shares.group_by(["service_key", "fiscal_year"]).agg(
        _sum_or_null("allocated_spending_cad"),
        _sum_or_null("allocated_fte"),
        pl.col("programme_actual_spending_cad").is_not_null().any().alias("_any_spending"),
        pl.col("_net").any().alias("_any_net"),
        pl.len().cast(pl.Int64).alias("matched_programmes"),
    )
    services = links.group_by(["service_key", "service_id", "fiscal_year"]).agg(
        pl.col("applications_total").first(),
        pl.col("programme_id").n_unique().cast(pl.Int64).alias("listed_programmes"),
    )
    out = services.join(per_service, on=["service_key", "fiscal_year"], how="left").with_columns(
        pl.col("matched_programmes").fill_null(0)
    )
    reason = (
        pl.when(pl.col("matched_programmes") == 0).then(pl.lit(REASON_NO_PROGRAMME))
        .when(pl.col("applications_total").is_null()).then(pl.lit(REASON_NO_VOLUME))
        .when(pl.col("applications_total") == 0).then(pl.lit(REASON_ZERO_VOLUME))
        .when(~pl.col("_any_spending").fill_null(False) & pl.col("_any_net").fill_null(False))
        .then(pl.lit(REASON_NET_SPENDING))
        .when(~pl.col("_any_spending").fill_null(False)).then(pl.lit(REASON_NO_SPENDING))
        .otherwise(None)
    )
    out = out.with_columns(reason.alias("cost_null_reason")).with_columns(
        pl.when(pl.col("cost_null_reason").is_null()).then(pl.col("allocated_spending_cad"))
        .otherwise(None).alias("allocated_spending_cad"),
        # FTE are shared wherever there is a volume to share them by, even when spending is net
        pl.when(pl.col("cost_null_reason").is_null() | (pl.col("cost_null_reason") == REASON_NET_SPENDING))
        .then(pl.col("allocated_fte")).otherwise(None).alias("allocated_fte"),
    )
    return (
        out.with_columns(
            (pl.col("allocated_spending_cad") / pl.col("applications_total")).alias(
                "cost_per_application_cad"
            ),
            pl.lit(ASSUMPTION_ID).alias("assumption_id"),
        )
        .select(
            "service_key", "service_id", "fiscal_year", "applications_total", "listed_programmes",
            "matched_programmes", "allocated_spending_cad", "allocated_fte",
            "cost_per_application_cad", "cost_null_reason", "assumption_id",
        )
        .sort("service_key", "fiscal_year")
    )


def services_without_links(services: pl.DataFrame, allocated: pl.DataFrame) -> pl.DataFrame:
    """Services of the mart that list no programme at all, as rows with null cost and a reason."""
    missing = services.join(allocated, on=["service_key", "fiscal_year"], how="anti")
    return missing.select(
        "service_key", "service_id", "fiscal_year", "applications_total",
        pl.lit(0, dtype=pl.Int64).alias("listed_programmes"),
        pl.lit(0, dtype=pl.Int64).alias("matched_programmes"),
        pl.lit(None, dtype=pl.Float64).alias("allocated_spending_cad"),
        pl.lit(None, dtype=pl.Float64).alias("allocated_fte"),
        pl.lit(None, dtype=pl.Float64).alias("cost_per_application_cad"),
        pl.lit("the service lists no programme").alias("cost_null_reason"),
        pl.lit(ASSUMPTION_ID).alias("assumption_id"),
    )
