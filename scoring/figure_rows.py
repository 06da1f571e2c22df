"""A scoring's per-service sums from arrays kept on its service activities: the figures' fast path.

The sensitivity analysis scores the model some seventy times for its headline figures (total
value, the share of highly automatable services, the UK replication). Those figures read one row
per service: its hours, labour cost, headline probability, routine share and whether it decides on
cases. Most of the assumptions it varies change only numbers on the way there: the unit minutes
(A230-A249), the calibrated scales they lead to, A212's share of domain work, the costs of an hour
(A040, A057, A202-A204). They do not change which service activities exist, their units or their
headline probabilities, which depend only on the units (A206), the domain matches (A210, A211) and
the headline methods (A214, A055).

`service_activity_rows` keeps that part as arrays aligned on the service activity rows, in two
parts: the units' layout once per A206, the activities' and domain work's headlines once per
matches and headline methods (a row's headline is looked up from its activity's).
`service_figures` then computes one scoring's sums with numpy gathers and bincounts, where the
row path of scoring.pipeline (service_hours, the programme ceiling, the reported cost factor,
service_headline and the service totals) joins and groups a million rows at 100x the services
some twenty times. The ceiling and the reported cost factor are the production model's own
arithmetic on arrays (ProgrammeLinks.ceiling_at; `Factors`), with the services they apply to looked
up once rather than joined by their two-part text key in every scoring.

The two paths compute the same sums in another order: figures agree to the last bits (relative
1e-15), not bit for bit. tests/unit/test_figure_rows.py compares them on hand-written rows, and
the integration test of the sensitivity compares the analysis with score() run afresh on the real
data.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import polars as pl

from scoring.model import activity_and_domain_headlines
from scoring.parameters import Parameters
from scoring.production import (
    DOMAIN_ACTIVITY,
    SERVICE_KEY,
    ProductionParameters,
    ProgrammeLinks,
    ceiling_frame,
    service_hours,
)

# --------------------------------------------------------------------------------------------
# The row path (score() and the published tables): one polars row per service activity
# --------------------------------------------------------------------------------------------


def capped_hours(
    units: pl.DataFrame,
    minutes: pl.DataFrame,
    matches: pl.DataFrame,
    scales: tuple[float, float],
    production: ProductionParameters,
    *,
    ceiling: Callable[[pl.DataFrame], pl.DataFrame],
    reported: Callable[[pl.DataFrame], pl.DataFrame],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """service_hours' rows with hours_bottom_up (before the ceiling) and hours (after it), and the
    ceiling's rows. The ceiling scales all of a service's activities alike: probabilities are
    weighted by the bottom-up hours (so that a programme reporting zero FTE does not erase the
    process), costs by the capped hours. A UK service that reports its cost per transaction keeps
    its reported cost: its hours are scaled to it (the model gives the mix of activities, the
    source the level). `ceiling` and `reported`: the programme ceiling (programme_ceiling) and the
    reported cost factor (reported_cost_factor) of a frame of hours."""
    hours = service_hours(units, minutes, matches, scales, production)
    ceiling_frame = ceiling(hours)
    capped = (
        hours.join(ceiling_frame.select(*SERVICE_KEY, "ceiling_factor"), on=SERVICE_KEY, how="left")
        .join(reported(hours), on=SERVICE_KEY, how="left")
        .with_columns(
            pl.col("hours").alias("hours_bottom_up"),
            (pl.col("hours") * pl.col("ceiling_factor").fill_null(1.0) * pl.col("reported_factor").fill_null(1.0)).alias("hours"),
        )
        .drop("ceiling_factor", "reported_factor")
    )
    return capped, ceiling_frame


def service_totals(rows: pl.DataFrame, decision_activities: list[str]) -> pl.DataFrame:
    """Per service: delivery_hours (capped), _hours_bottom_up, _labour_cost, _cost_unknown (an
    activity without a labour cost) and _decision (a case decision activity with hours), from its
    activity rows (hours, hours_bottom_up, labour_cost)."""
    return rows.group_by(SERVICE_KEY).agg(
        pl.col("hours").sum().alias("delivery_hours"),
        pl.col("hours_bottom_up").sum().alias("_hours_bottom_up"),
        pl.col("labour_cost").sum().alias("_labour_cost"),
        pl.col("labour_cost").is_null().any().alias("_cost_unknown"),
        (pl.col("activity_id").is_in(decision_activities) & (pl.col("hours") > 0)).any().alias("_decision"),
    )


# --------------------------------------------------------------------------------------------
# The array path (score_figures, the sensitivity analysis)
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ServiceActivityRows:
    """What the hours' parameters do not change, as arrays. Per-service arrays follow `services`
    (every service, in the order of the scoring's services frame); per-row arrays describe the
    standard activities (every row of the units). A service's domain_work row exists where it has
    used matches and its back-office hours are positive."""

    services: pl.DataFrame  # SERVICE_KEY of every service, in the order of the per-service arrays
    index: pl.DataFrame  # the same with its position _s
    volume_basis: pl.DataFrame  # SERVICE_KEY and volume_basis of the services with activities, in that order
    with_rows: np.ndarray  # indices of the services with activities, ascending
    service: np.ndarray  # per row: index into services
    activity: np.ndarray  # per row: index into activity_ids
    activity_ids: tuple[str, ...]
    units: np.ndarray  # per row: units a year
    probability: np.ndarray  # per row: the activity's headline probability, NaN where it has none
    routine: np.ndarray  # per row: its routine share, NaN where it has none
    has_domain: np.ndarray  # per service: has used domain matches (A210)
    domain_probability: np.ndarray  # per service: its domain work's headline probability or NaN
    domain_routine: np.ndarray  # per service: its domain work's routine share or NaN


def _floats(series: pl.Series) -> np.ndarray:
    return series.cast(pl.Float64).fill_null(float("nan")).to_numpy()


def _indexed(index: pl.DataFrame, frame: pl.DataFrame, keys: list[str] = SERVICE_KEY) -> pl.DataFrame:
    """`frame` with the position `_s` of its service in `index` (SERVICE_KEY with `_s`), in its order."""
    return frame.join(index, on=keys, how="left", maintain_order="left")


@dataclass(frozen=True)
class UnitLayout:
    """The part of ServiceActivityRows that the units alone decide (A206): which service activities
    exist, their services, activities and units (the fields of the same names; volume_basis also
    keeps each service's position _s, which assemble_rows reads)."""

    services: pl.DataFrame
    index: pl.DataFrame
    volume_basis: pl.DataFrame
    with_rows: np.ndarray
    service: np.ndarray
    activity: np.ndarray
    activity_ids: tuple[str, ...]
    units: np.ndarray


@dataclass(frozen=True)
class Headlines:
    """The part of ServiceActivityRows that the matches and the headline methods decide (A210,
    A211, A214, A055): each standard activity's headline probability and routine share (one row
    per activity_id: a standard activity's profile is the same in every service), each service's
    domain work's (one row per service with used matches) and the services with used matches."""

    activity: pl.DataFrame  # activity_id, probability, routine_share
    domain: pl.DataFrame  # SERVICE_KEY, probability, routine_share
    used: pl.DataFrame  # SERVICE_KEY of the services with used matches, each once


def unit_layout(services: pl.DataFrame, units: pl.DataFrame) -> UnitLayout:
    """`units` (service_activity_units' rows) as arrays over `services` (every service: SERVICE_KEY,
    each once), in the units' row order."""
    keys = [*SERVICE_KEY, "activity_id"]
    if units.filter(pl.col("activity_id") == DOMAIN_ACTIVITY).height:
        raise ValueError(f"service activity units: {DOMAIN_ACTIVITY} comes from the domain matches, not from the units")
    index = services.select(SERVICE_KEY).with_row_index("_s")
    bases = _indexed(index, units.select(*SERVICE_KEY, "volume_basis").unique()).sort("_s")
    if bases["_s"].null_count():
        raise ValueError(f"service activity units: the service {bases.filter(pl.col('_s').is_null()).row(0)[:2]} "
                         "is not among the services")
    duplicated = bases.filter(pl.col("_s").is_duplicated())
    if duplicated.height:
        raise ValueError(f"service activity units: more than one volume_basis for the service {duplicated.row(0)[:2]}")
    activity_ids = tuple(sorted(units["activity_id"].unique().to_list()))
    activity_index = pl.DataFrame({"activity_id": list(activity_ids)}).with_row_index("_a")
    rows = _indexed(index, units.select(*keys, "units")).join(
        activity_index, on="activity_id", how="left", maintain_order="left")
    return UnitLayout(
        services=services.select(SERVICE_KEY),
        index=index,
        volume_basis=bases.select(*SERVICE_KEY, "volume_basis", "_s"),
        with_rows=bases["_s"].cast(pl.Int64).to_numpy(),
        service=rows["_s"].cast(pl.Int64).to_numpy(),
        activity=rows["_a"].cast(pl.Int64).to_numpy(),
        activity_ids=activity_ids,
        units=_floats(rows["units"]),
    )


def headlines(
    matches: pl.DataFrame, activity_dwa: pl.DataFrame, dwa_values: pl.DataFrame, params: Parameters
) -> Headlines:
    """The headline probabilities and routine shares of the standard activities and of the
    services' domain work, as service_activity_headlines gives them on the service activity rows
    (the same functions, before the join to the rows). `matches`: the ranked domain matches with
    is_used."""
    standard, domain = activity_and_domain_headlines(activity_dwa, matches, dwa_values, params)
    return Headlines(
        activity=standard.select("activity_id", "probability", "routine_share"),
        domain=domain.select(*SERVICE_KEY, "probability", "routine_share"),
        used=matches.filter(pl.col("is_used")).select(SERVICE_KEY).unique(),
    )


def assemble_rows(layout: UnitLayout, heads: Headlines) -> ServiceActivityRows:
    """ServiceActivityRows from its two parts: a row's headline probability and routine share are
    its activity's (looked up by the activity's index); a service has a domain_work row where it has
    activities and used matches, with its domain work's headline."""
    flagged = layout.volume_basis.join(heads.used, on=SERVICE_KEY, how="inner")
    has_domain = np.zeros(layout.services.height, dtype=bool)
    has_domain[flagged["_s"].to_numpy()] = True
    per_activity = pl.DataFrame({"activity_id": list(layout.activity_ids)}).join(
        heads.activity, on="activity_id", how="left", maintain_order="left")
    domain = flagged.select(*SERVICE_KEY, "_s").join(heads.domain, on=SERVICE_KEY, how="inner")
    domain_probability = np.full(layout.services.height, np.nan)
    domain_routine = np.full(layout.services.height, np.nan)
    domain_probability[domain["_s"].to_numpy()] = _floats(domain["probability"])
    domain_routine[domain["_s"].to_numpy()] = _floats(domain["routine_share"])
    return ServiceActivityRows(
        services=layout.services,
        index=layout.index,
        volume_basis=layout.volume_basis.select(*SERVICE_KEY, "volume_basis"),
        with_rows=layout.with_rows,
        service=layout.service,
        activity=layout.activity,
        activity_ids=layout.activity_ids,
        units=layout.units,
        probability=_floats(per_activity["probability"])[layout.activity],
        routine=_floats(per_activity["routine_share"])[layout.activity],
        has_domain=has_domain,
        domain_probability=domain_probability,
        domain_routine=domain_routine,
    )


def service_activity_rows(
    services: pl.DataFrame,
    units: pl.DataFrame,
    matches: pl.DataFrame,
    activity_dwa: pl.DataFrame,
    dwa_values: pl.DataFrame,
    params: Parameters,
) -> ServiceActivityRows:
    """The arrays of `units` (service_activity_units' rows) and `matches` (the ranked domain
    matches with is_used) over `services` (every service: SERVICE_KEY, each once), with each row's
    headline probability and routine share as service_activity_headlines gives them (a row's do
    not depend on which other rows exist). The scoring keeps the two parts apart (unit_layout,
    headlines): a change of A206 makes the layout again, one of A210, A211 or A055 the headlines;
    neither joins the headlines to a million rows at 100x as service_activity_headlines does."""
    return assemble_rows(unit_layout(services, units), headlines(matches, activity_dwa, dwa_values, params))


@dataclass(frozen=True)
class ServiceFigures:
    """One scoring's per-service frames, as the row path gives them: `ceiling` (programme_ceiling's
    rows), `totals` (delivery_hours, _hours_bottom_up, _labour_cost, _cost_unknown, _decision: one
    row per service in the order of ServiceActivityRows.services, null where a service has no
    activities), `head` (headline_probability) and `routine` (routine_share): one row per service
    with activities, null where it has none. `ceiling_by_service`: the ceiling's fte_bottom_up and
    is_capped_by_programme_fte in the order of ServiceActivityRows.services, null where a service is
    not among the ceiling's (what a left join of `ceiling` to the services gives)."""

    ceiling: pl.DataFrame
    totals: pl.DataFrame
    head: pl.DataFrame
    routine: pl.DataFrame
    ceiling_by_service: pl.DataFrame


@dataclass(frozen=True)
class Factors:
    """Which services with activities (ServiceActivityRows.volume_basis, in its order) the Canadian
    programme ceiling (A209) and the UK reported cost (A040) apply to, looked up once by their
    two-part keys, so that each scoring computes the two factors on arrays: the same numbers as
    ProgrammeLinks.ceiling and reported_cost_factor given one row per service with its hours
    (issue 18: those joined and grouped a quarter of a million services by text keys twice a
    scoring, 71 scorings in the 100x sensitivity). Made by `factors`."""

    links: ProgrammeLinks
    ceiling: np.ndarray  # per service with activities: the ceiling applies (a Canadian service)
    programme: np.ndarray  # per such Canadian service: ProgrammeLinks.positions
    reported: np.ndarray  # per service with activities: it reports a cost per transaction
    reported_cost: np.ndarray  # per such service: cost_per_transaction_gbp x applications_total


def factors(volume_basis: pl.DataFrame, ceiling_services: pl.DataFrame, links: ProgrammeLinks,
            reported: pl.DataFrame) -> Factors:
    """Factors of the services of `volume_basis` (SERVICE_KEY): `ceiling_services` are those the
    programme ceiling applies to (the Canadian services), `reported` the UK services with a reported
    cost (SERVICE_KEY, applications_total, cost_per_transaction_gbp; each once)."""
    keys = volume_basis.select(SERVICE_KEY)
    marked = keys.join(ceiling_services.select(SERVICE_KEY).unique().with_columns(pl.lit(True).alias("_in")),
                       on=SERVICE_KEY, how="left", maintain_order="left")
    ceiling = marked["_in"].fill_null(False).to_numpy()
    costs = keys.join(
        reported.select(*SERVICE_KEY, (pl.col("cost_per_transaction_gbp") * pl.col("applications_total"))
                        .alias("_cost"), pl.lit(True).alias("_in")),
        on=SERVICE_KEY, how="left", maintain_order="left")
    if costs.height != keys.height:
        raise ValueError("reported costs: more than one row for a service")
    has_cost = costs["_in"].fill_null(False).to_numpy()
    return Factors(
        links=links, ceiling=ceiling, programme=links.positions(keys.filter(pl.Series(ceiling))),
        reported=has_cost, reported_cost=_floats(costs["_cost"])[has_cost],
    )


def factor_arrays(rows: ServiceActivityRows, factors: Factors, hours: np.ndarray,
                  production: ProductionParameters) -> tuple[pl.DataFrame, np.ndarray, np.ndarray]:
    """The programme ceiling's rows (the services of `factors.ceiling`, in rows.volume_basis'
    order) and, per service of rows.services, its ceiling factor and reported cost factor (1 where
    none applies), for the services' bottom-up `hours` (per service of rows.services). The same
    numbers as ProgrammeLinks.ceiling and reported_cost_factor given each service with activities
    as one row with its hours, in the same polars operations: FTE = hours / hours per FTE (the sum
    of one row is that row), a factor = cost x applications x labour share / (hours x cost an
    hour), kept where finite (tests/unit/test_figure_rows.py compares them to the bit)."""
    n = rows.services.height
    per_service = hours[rows.with_rows]
    # polars' arithmetic, as in the frames (it divides by a number as it multiplies by its inverse)
    fte_bottom_up = pl.Series("fte_bottom_up", per_service[factors.ceiling]) / production.ca_hours_per_fte
    factor, known, programme_total = factors.links.ceiling_at(factors.programme, fte_bottom_up.to_numpy())
    capped_services = ceiling_frame(rows.volume_basis.filter(pl.Series(factors.ceiling)), fte_bottom_up, factor,
                                    known, programme_total)
    ceiling_factor = np.ones(n)
    ceiling_factor[rows.with_rows[factors.ceiling]] = factor
    reported = ((pl.Series(factors.reported_cost) * production.uk_labour_share)
                / (pl.Series(per_service[factors.reported]) * production.uk_cost_per_hour)).to_numpy()
    finite = np.isfinite(reported)
    reported_factor = np.ones(n)
    reported_factor[rows.with_rows[factors.reported][finite]] = reported[finite]
    return capped_services, ceiling_factor, reported_factor


def at_services(name: str, n: int, where: np.ndarray, values: np.ndarray) -> pl.Series:
    """A per-service column of n services: `values` at the indices `where`, null elsewhere (with
    values 0, 1, 2, ...: each service's row among the services at `where`, service_value's `at`)."""
    out = np.zeros(n, dtype=values.dtype)
    out[where] = values
    missing = np.ones(n, dtype=bool)
    missing[where] = False
    return pl.Series(name, out).scatter(np.flatnonzero(missing), None)


def _sums(index: np.ndarray, values: np.ndarray, n: int) -> np.ndarray:
    """Per service, the sum of the values that are not NaN (a sum of nulls is 0, as in polars)."""
    return np.bincount(index, weights=np.where(np.isnan(values), 0.0, values), minlength=n)


def _weighted_mean(index: np.ndarray, weights: np.ndarray, values: np.ndarray, n: int,
                   domain_weights: np.ndarray, domain_values: np.ndarray) -> np.ndarray:
    """Per service, the mean of `values` weighted by positive weights, over the rows (and domain
    rows with positive weight) whose value is not NaN; NaN where there is none."""
    rows = (weights > 0) & ~np.isnan(values)
    numerator = np.bincount(index[rows], weights=weights[rows] * values[rows], minlength=n)
    denominator = np.bincount(index[rows], weights=weights[rows], minlength=n)
    count = np.bincount(index[rows], minlength=n)
    domain = (domain_weights > 0) & ~np.isnan(domain_values)
    numerator = numerator + np.where(domain, domain_weights * np.where(domain, domain_values, 0.0), 0.0)
    denominator = denominator + np.where(domain, domain_weights, 0.0)
    count = count + domain
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(count > 0, numerator / np.where(count > 0, denominator, 1.0), np.nan)


def service_figures(
    rows: ServiceActivityRows,
    minutes: pl.DataFrame,
    scales: tuple[float, float],
    production: ProductionParameters,
    *,
    factors: Factors,
    costs: pl.DataFrame,
    decision_activities: list[str],
) -> ServiceFigures:
    """One scoring's per-service sums. `minutes`: activity_minutes' rows (prior_minutes,
    is_front_office); `scales`: the calibrated front- and back-office scales; `factors`: which
    services the programme ceiling and the reported cost factor apply to (`factors` of
    rows.volume_basis); `costs`: cost_per_hour of every service, in the order of rows.services."""
    front_scale, back_scale = scales
    n = rows.services.height
    s, a = rows.service, rows.activity
    per_activity = pl.DataFrame({"activity_id": list(rows.activity_ids)}).join(
        minutes.select("activity_id", "prior_minutes", "is_front_office"), on="activity_id", how="left",
        maintain_order="left",
    )
    prior = _floats(per_activity["prior_minutes"])[a]
    front = per_activity["is_front_office"].fill_null(False).to_numpy()[a]
    # an activity of unknown office side takes the back-office scale but is never split (service_hours)
    back_known = per_activity["is_front_office"].not_().fill_null(False).to_numpy()[a]
    decides = np.isin(np.array(rows.activity_ids, dtype=object), decision_activities)[a]

    # service_hours: units x calibrated minutes / 60; A212 of the back-office hours of a service
    # with used matches goes to its domain_work row, which exists where that is positive
    hours = rows.units * (prior * np.where(front, front_scale, back_scale)) / 60.0
    back = back_known & rows.has_domain[s]
    domain = _sums(s[back], hours[back], n) * production.domain_share
    domain = np.where(rows.has_domain & (domain > 0), domain, 0.0)
    hours = np.where(back, hours * (1 - production.domain_share), hours)
    total = _sums(s, hours, n) + domain
    # the Canadian programme ceiling and the UK reported cost scale a service's hours alike
    capped_services, ceiling_factor, reported_factor = factor_arrays(rows, factors, total, production)
    at_ceiling = rows.with_rows[factors.ceiling]
    capped = hours * ceiling_factor[s] * reported_factor[s]
    capped_domain = domain * ceiling_factor * reported_factor
    cost_per_hour = _floats(costs["cost_per_hour"])
    labour = capped * cost_per_hour[s]
    labour_domain = np.where(domain > 0, capped_domain * cost_per_hour, 0.0)
    domain_decides = DOMAIN_ACTIVITY in decision_activities
    has_rows = np.zeros(n, dtype=bool)
    has_rows[rows.with_rows] = True

    def per_service_column(name: str, values: np.ndarray) -> pl.Series:  # null where a service has no rows
        return pl.Series(name, values).scatter(np.flatnonzero(~has_rows), None)

    totals = rows.services.with_columns(
        per_service_column("delivery_hours", _sums(s, capped, n) + capped_domain),
        per_service_column("_hours_bottom_up", total),
        per_service_column("_labour_cost", _sums(s, labour, n) + np.where(np.isnan(labour_domain), 0.0, labour_domain)),
        per_service_column("_cost_unknown", (np.bincount(s, weights=np.isnan(labour).astype(float), minlength=n) > 0)
                           | np.isnan(labour_domain)),
        per_service_column("_decision", (np.bincount(s, weights=(decides & (capped > 0)).astype(float), minlength=n) > 0)
                           | (domain_decides & (capped_domain > 0))),
    )
    # service_headline: means weighted by the bottom-up hours, for the services with activities
    keys = rows.volume_basis.select(SERVICE_KEY)
    head = _weighted_mean(s, hours, rows.probability, n, domain, rows.domain_probability)
    routine = _weighted_mean(s, hours, rows.routine, n, domain, rows.domain_routine)
    return ServiceFigures(
        ceiling=capped_services,
        totals=totals,
        head=keys.with_columns(pl.Series("headline_probability", head[rows.with_rows], nan_to_null=True)),
        routine=keys.with_columns(pl.Series("routine_share", routine[rows.with_rows], nan_to_null=True)),
        ceiling_by_service=pl.DataFrame([
            at_services("fte_bottom_up", n, at_ceiling, capped_services["fte_bottom_up"].to_numpy()),
            at_services("is_capped_by_programme_fte", n, at_ceiling,
                         capped_services["is_capped_by_programme_fte"].to_numpy()),
        ]),
    )
