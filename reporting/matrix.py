"""The probability x value matrix as data: one row per service with what every chart needs.

Both the PNG (reporting/charts.py) and the interactive page (reporting/interactive.py) draw from
`matrix_points`, so that they show the same services, colours and thresholds.
"""

from __future__ import annotations

import json
import math
import textwrap
from dataclasses import dataclass, field

import polars as pl

# Colour-blind-safe categorical palette with distinct hues: Paul Tol's "muted" scheme (nine hues
# that stay apart for the common colour-vision deficiencies, and in greyscale by lightness), grey
# for the archetype that says the type is unknown. The most common archetypes get the hues that
# are furthest apart; an archetype not listed takes the next unused hue.
PALETTE = (
    "#332288", "#88CCEE", "#CC6677", "#117733", "#DDCC77", "#882255", "#44AA99", "#AA4499", "#999933",
)
UNKNOWN_COLOUR = "#BBBBBB"
ARCHETYPE_COLOURS = {
    "licence_permit_registration": "#332288",  # indigo
    "information_and_enquiries": "#88CCEE",  # cyan
    "benefit_or_grant_decision": "#CC6677",  # rose
    "filing_and_reporting": "#117733",  # green
    "policy_and_regulation": "#DDCC77",  # sand
    "compliance_and_enforcement": "#882255",  # wine
    "care_education_recreation": "#44AA99",  # teal
    "booking_and_ordering": "#AA4499",  # purple
    "tax_and_payment_processing": "#999933",  # olive
    "unclassified_administration": UNKNOWN_COLOUR,
}
NO_VALUE = "no_value"
QUADRANTS = ("automate_first", "quick_win", "augment", "monitor")
QUADRANT_LABELS = {
    "automate_first": "automate first",
    "quick_win": "quick win",
    "augment": "augment",
    "monitor": "monitor",
    NO_VALUE: "no value",
}
COUNTRY_NAMES = {"CA": "Canada", "UK": "United Kingdom"}
SUMMARY_COLUMNS = (
    "service_key", "fiscal_year", "country_code", "organisation_code", "organisation_name",
    "service_name", "archetype_id", "headline_probability", "probability_p05", "probability_p95",
    "value_gross", "value_gross_p05", "value_gross_p95", "value_net", "currency", "price_year",
    "quadrant", "priority_rank", "value_threshold",
)
# optional: read when the summary has them (older published versions may not; those carry the
# probability threshold in their `parameters` JSON instead of a column of its own)
OPTIONAL_COLUMNS = {"value_null_reason": pl.String, "value_net_null_reason": pl.String,
                    "already_digital_share": pl.Float64, "probability_threshold": pl.Float64,
                    "parameters": pl.String}


@dataclass(frozen=True)
class Panel:
    """One country: its thresholds, currency, how many services can be placed, and how many fall
    in each quadrant (no_value: the services without a value, shown apart)."""

    country_code: str
    currency: str
    price_year: int | None
    probability_threshold: float
    value_threshold: float | None
    services: int
    placed: int
    quadrant_counts: dict[str, int] = field(default_factory=dict)

    def corner(self, quadrant: str) -> str:
        """The text in a quadrant's corner: its name and how many services it holds."""
        n = self.quadrant_counts.get(quadrant, 0)
        return f"{QUADRANT_LABELS[quadrant]}: {n:,} service{'' if n == 1 else 's'}"

    @property
    def title(self) -> str:
        name = COUNTRY_NAMES.get(self.country_code, self.country_code)
        return f"{name}: {self.placed:,} of {self.services:,} services placed"

    @property
    def value_label(self) -> str:
        year = f", {self.price_year} prices" if self.price_year else ""
        return f"gross value of automating ({self.currency} a year{year}, log scale)"


def archetype_colours(archetype_ids: list[str]) -> dict[str, str]:
    """A colour per archetype: its own (ARCHETYPE_COLOURS), else the next hue not yet used."""
    ids = sorted(set(archetype_ids))
    colours = {a: ARCHETYPE_COLOURS[a] for a in ids if a in ARCHETYPE_COLOURS}
    free = [c for c in PALETTE if c not in colours.values()]
    for i, a in enumerate(a for a in ids if a not in colours):
        colours[a] = free[i] if i < len(free) else UNKNOWN_COLOUR
    return colours


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
    frame = summary.select(*SUMMARY_COLUMNS, *[
        pl.col(c) if c in summary.columns else pl.lit(None, t).alias(c) for c, t in OPTIONAL_COLUMNS.items()
    ])
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
        pl.when(pl.col("value_gross").is_null())
        .then(pl.concat_str(pl.lit("no value: "),
                            pl.col("value_null_reason").fill_null("no probability or no labour cost")))
        .alias("no_value_reason"),
    ).sort("country_code", "priority_rank", "service_key", "fiscal_year", nulls_last=True)


def probability_threshold(summary: pl.DataFrame, default: float = 0.7) -> float:
    """The probability threshold the scores were computed with (A050): the summary's
    `probability_threshold`, or in a version published before that column, its `parameters` JSON."""
    if "probability_threshold" in summary.columns:
        for value in summary["probability_threshold"].drop_nulls().head(1).to_list():
            return float(value)
    if "parameters" in summary.columns:
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
                quadrant_counts={q: int((rows["quadrant"] == q).sum()) for q in (*QUADRANTS, NO_VALUE)},
            )
        )
    return out


def top_services(points: pl.DataFrame, country: str, n: int) -> pl.DataFrame:
    """The first n placed services of a country's priority list (rank 1 first)."""
    return (
        points.filter((pl.col("country_code") == country) & pl.col("is_placed")
                      & pl.col("priority_rank").is_not_null())
        .sort("priority_rank")
        .head(n)
    )


def no_value_services(points: pl.DataFrame, country: str | None = None) -> pl.DataFrame:
    """The services without a value (quadrant no_value, no rank), with `no_value_reason`."""
    rows = points.filter(pl.col("value_gross").is_null())
    if country is not None:
        rows = rows.filter(pl.col("country_code") == country)
    return rows.sort("country_code", "service_name", "service_key", "fiscal_year")


def no_value_reasons(points: pl.DataFrame, country: str) -> list[tuple[str, int]]:
    """(reason, services) for a country's services without a value, most common first."""
    rows = no_value_services(points, country)
    if rows.is_empty():
        return []
    counts = rows.group_by("no_value_reason").agg(pl.len().alias("n")).sort(["n", "no_value_reason"],
                                                                           descending=[True, False])
    return [(str(r), int(n)) for r, n in counts.iter_rows()]


def label_text(rank: int | None, name: str | None, width: int = 30, lines: int | None = None) -> str:
    """A point's label: its rank and its whole name, wrapped to `width` characters. Only a name
    longer than `lines` lines (by default, room for 90 characters) is shortened: the full name is
    in the tooltip and the table."""
    lines = lines or max(3, math.ceil(90 / width))
    wrapped = textwrap.wrap(" ".join((name or "").split()), width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[: lines - 1] + [short(" ".join(wrapped[lines - 1:]), width)]
    prefix = "" if rank is None else f"{rank}. "
    return prefix + "\n".join(wrapped)


def money(value: float | None) -> str:
    """A money amount for charts and tooltips: three significant digits with k, m or bn ("791m",
    "1.2bn", "45.3k", "512"), "0" for zero, "<1" for a small non-zero amount, "n/a" for unknown.
    reporting/interactive.py has the same function in JavaScript."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "n/a"
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    value = abs(value)
    if value < 1:
        return f"{sign}<1"
    i = max(i for i, (size, _) in enumerate(MONEY_UNITS) if value >= size)
    scaled = float(f"{value / MONEY_UNITS[i][0]:.3g}")
    if scaled >= 1000 and i < len(MONEY_UNITS) - 1:  # 999,950 rounds to 1,000k: say 1m
        i += 1
        scaled = float(f"{value / MONEY_UNITS[i][0]:.3g}")
    text = f"{scaled:,.0f}" if scaled >= 1000 else f"{scaled:.3g}"
    return f"{sign}{text}{MONEY_UNITS[i][1]}"


MONEY_UNITS = ((1.0, ""), (1e3, "k"), (1e6, "m"), (1e9, "bn"))


def money_tick(value: float) -> str:
    """An axis tick: as money(), but a tick under 1 says its value (0.1), not "<1"."""
    return f"{value:g}" if 0 < abs(value) < 1 else money(value)


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
