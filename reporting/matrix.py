"""The probability x value matrix as data: one row per service with what every chart needs.

Both the PNG (reporting/charts.py) and the interactive page (reporting/interactive.py) draw from
`matrix_points`, so that they show the same services, colours and thresholds.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import polars as pl

# Colour-blind-safe categorical palette (Okabe-Ito, then Tableau 10 for further categories),
# assigned to archetypes in sorted order so that the PNG and the page agree.
PALETTE = (
    "#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000",
    "#4E79A7", "#F28E2B", "#59A14F", "#B07AA1", "#9C755F", "#BAB0AC", "#EDC948", "#76B7B2",
)
QUADRANT_LABELS = {
    "automate_first": "automate first",
    "quick_win": "quick win",
    "augment": "augment",
    "monitor": "monitor",
    "unscored": "unscored",
}
COUNTRY_NAMES = {"CA": "Canada", "UK": "United Kingdom"}
SUMMARY_COLUMNS = (
    "service_key", "fiscal_year", "country_code", "organisation_code", "organisation_name",
    "service_name", "archetype_id", "headline_probability", "probability_p05", "probability_p95",
    "value_gross", "value_gross_p05", "value_gross_p95", "value_net", "currency", "price_year",
    "quadrant", "priority_rank", "value_threshold", "parameters",
)


@dataclass(frozen=True)
class Panel:
    """One country: its thresholds, currency and how many services can be placed."""

    country_code: str
    currency: str
    price_year: int | None
    probability_threshold: float
    value_threshold: float | None
    services: int
    placed: int

    @property
    def title(self) -> str:
        name = COUNTRY_NAMES.get(self.country_code, self.country_code)
        return f"{name}: {self.placed:,} of {self.services:,} services placed"

    @property
    def value_label(self) -> str:
        year = f", {self.price_year} prices" if self.price_year else ""
        return f"gross value of automating ({self.currency} a year{year}, log scale)"


def archetype_colours(archetype_ids: list[str]) -> dict[str, str]:
    return {a: PALETTE[i % len(PALETTE)] for i, a in enumerate(sorted(set(archetype_ids)))}


EVIDENCE_COLUMNS = {
    "evidence_mean_share": "bottom_up_share",
    "posterior_mean": "combined_probability",
    "posterior_shift": "posterior_shift",
    "evidence_ids": "evidence_ids",
}


def matrix_points(
    summary: pl.DataFrame,
    archetypes: pl.DataFrame | None = None,
    evidence: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per service of scoring.fct_service_automation_summary with its archetype name and
    colour, and `is_placed`: it has a probability and a positive gross value, so it can be drawn on
    a log value axis (the others are listed, not drawn).

    With `evidence` (scoring.fct_service_evidence_posterior) each service also carries what the
    pilots say (bottom_up_share), the combined probability and the pilots' ids; without it, or for
    a service no pilot informs, the combined probability is the headline one."""
    missing = [c for c in SUMMARY_COLUMNS if c not in summary.columns]
    if missing:
        raise ValueError(f"scoring.fct_service_automation_summary lacks columns {missing}")
    frame = summary.select(SUMMARY_COLUMNS)
    if archetypes is not None and "archetype_name" in archetypes.columns:
        frame = frame.join(
            archetypes.select("archetype_id", "archetype_name"), on="archetype_id", how="left"
        )
    else:
        frame = frame.with_columns(pl.lit(None, pl.String).alias("archetype_name"))
    frame = frame.with_columns(pl.col("archetype_name").fill_null(pl.col("archetype_id")))
    if evidence is not None and set(EVIDENCE_COLUMNS) <= set(evidence.columns):
        frame = frame.join(
            evidence.select("service_key", "fiscal_year", *EVIDENCE_COLUMNS).rename(EVIDENCE_COLUMNS),
            on=["service_key", "fiscal_year"], how="left",
        )
    else:
        frame = frame.with_columns(
            pl.lit(None, pl.Float64).alias("bottom_up_share"), pl.lit(None, pl.Float64).alias("combined_probability"),
            pl.lit(None, pl.Float64).alias("posterior_shift"), pl.lit(None, pl.String).alias("evidence_ids"),
        )
    frame = frame.with_columns(pl.col("combined_probability").fill_null(pl.col("headline_probability")))
    colours = archetype_colours(frame["archetype_id"].drop_nulls().to_list())
    return frame.with_columns(
        pl.col("archetype_id").replace_strict(colours, default="#777777", return_dtype=pl.String)
        .alias("colour"),
        (pl.col("headline_probability").is_not_null() & (pl.col("value_gross").fill_null(0) > 0))
        .alias("is_placed"),
    ).sort("country_code", "priority_rank")


def probability_threshold(summary: pl.DataFrame, default: float = 0.7) -> float:
    """The probability threshold the scores were computed with (A050), from their parameters."""
    for text in summary["parameters"].drop_nulls().head(1).to_list():
        value = json.loads(text).get("probability_threshold")
        if value is not None:
            return float(value)
    return default


def panels(points: pl.DataFrame) -> list[Panel]:
    """One panel per country, in country order."""
    threshold = probability_threshold(points)
    out = []
    for country in sorted(points["country_code"].unique().to_list()):
        rows = points.filter(pl.col("country_code") == country)
        values = rows["value_threshold"].drop_nulls()
        years = rows["price_year"].drop_nulls()
        currencies = rows["currency"].drop_nulls()
        out.append(
            Panel(
                country_code=country,
                currency=str(currencies[0]) if len(currencies) else "",
                price_year=int(years[0]) if len(years) else None,
                probability_threshold=threshold,
                value_threshold=float(values[0]) if len(values) else None,
                services=rows.height,
                placed=int(rows["is_placed"].sum()),
            )
        )
    return out


def top_services(points: pl.DataFrame, country: str, n: int) -> pl.DataFrame:
    """The first n placed services of a country's priority list (rank 1 first)."""
    return (
        points.filter((pl.col("country_code") == country) & pl.col("is_placed"))
        .sort("priority_rank")
        .head(n)
    )


def value_by_organisation(points: pl.DataFrame, top: int) -> pl.DataFrame:
    """Per country, the `top` organisations by gross value (sum over their services), with the
    net value and the number of services."""
    return (
        points.filter(pl.col("value_gross").is_not_null())
        .group_by("country_code", "organisation_code")
        .agg(
            pl.col("organisation_name").drop_nulls().first().alias("organisation_name"),
            pl.col("value_gross").sum().alias("value_gross"),
            pl.col("value_net").sum().alias("value_net"),
            pl.len().alias("services"),
            pl.col("currency").first().alias("currency"),
            pl.col("price_year").first().alias("price_year"),
        )
        .with_columns(pl.col("organisation_name").fill_null(pl.col("organisation_code")))
        .filter(pl.col("value_gross") > 0)
        .sort(["country_code", "value_gross"], descending=[False, True])
        .group_by("country_code", maintain_order=True)
        .head(top)
    )


def short(text: str | None, width: int = 40) -> str:
    text = " ".join((text or "").split())
    return text if len(text) <= width else text[: width - 1].rstrip() + "\u2026"
