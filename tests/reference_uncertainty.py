"""The Monte Carlo of scoring/uncertainty.py as it was before issue 18 vectorised it: a per-service
loop building the output rows, np.nanpercentile, and per-row loops filling the hours and
probability matrices. Kept only as the reference that the vectorised
`scoring.uncertainty.monte_carlo` is tested against (tests/unit/test_monte_carlo_reference.py);
the pipeline never runs it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import polars as pl

from scoring.parameters import Parameters
from scoring.production import DOMAIN_ACTIVITY, ProductionParameters
from scoring.uncertainty import (  # unchanged by issue 18
    DRIVERS,
    OUTPUT_SCHEMA,
    PERCENTILES,
    SERVICE_KEY,
    draw_inputs,
)


def _column_factors(
    activities: list[str], back: np.ndarray, unit: np.ndarray, share: np.ndarray, central_share: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per-draw multipliers of each activity's hours, for services without and with domain work."""
    no_domain = unit.copy()
    with_domain = unit.copy()
    scale_back = (1.0 - share) / (1.0 - central_share) if central_share < 1 else np.ones_like(share)
    with_domain[back, :] *= scale_back[None, :]
    if DOMAIN_ACTIVITY in activities:
        d = activities.index(DOMAIN_ACTIVITY)
        with_domain[d, :] = share / central_share if central_share > 0 else 0.0
        no_domain[d, :] = 0.0
    return no_domain, with_domain


def monte_carlo_reference(
    hours: pl.DataFrame,
    values: pl.DataFrame,
    costs: pl.DataFrame,
    minutes: pl.DataFrame,
    params: Parameters,
    production: ProductionParameters,
    progress: Callable[[int, int], None] | None = None,
    calibration_sd: float = 0.0,
) -> pl.DataFrame:
    """Percentiles of probability and gross value per service, and the interval drivers.

    `hours`: service_key, fiscal_year, activity_id, hours, is_front_office (central estimate, after
    the ceiling). `values`: service_key, fiscal_year, activity_id, method_id, value, coverage (the
    activity's method values) and probability (the activity's headline). `costs`: service_key,
    fiscal_year, country_code, labour_cost. `minutes`: activity_id, minutes_low, minutes_high."""
    methods = list(params.headline_methods)
    activities = sorted(set(hours["activity_id"].to_list()) | {DOMAIN_ACTIVITY})
    a_index = {a: i for i, a in enumerate(activities)}
    front = set(hours.filter(pl.col("is_front_office"))["activity_id"].to_list())
    back = np.array([a not in front and a != DOMAIN_ACTIVITY for a in activities])
    common = draw_inputs(activities, minutes, params, production, calibration_sd)
    draws = common["unit"].shape[1]

    services = hours.select(SERVICE_KEY).unique().sort(SERVICE_KEY)
    keys = list(zip(services["service_key"].to_list(), services["fiscal_year"].to_list(), strict=True))
    s_index = {k: i for i, k in enumerate(keys)}
    n = len(keys)
    h = np.zeros((n, len(activities)))
    for r in hours.iter_rows(named=True):
        h[s_index[(r["service_key"], r["fiscal_year"])], a_index[r["activity_id"]]] += r["hours"] or 0.0
    central = np.zeros((n, len(activities)))
    scored = np.zeros((n, len(activities)), dtype=bool)
    p = np.zeros((len(methods), n, len(activities)))
    eligible = values.filter(pl.col("coverage") >= params.method_coverage_threshold)
    for r in values.select(*SERVICE_KEY, "activity_id", "probability").unique().iter_rows(named=True):
        if r["probability"] is not None:
            i, a = s_index[(r["service_key"], r["fiscal_year"])], a_index[r["activity_id"]]
            central[i, a] = r["probability"]
            scored[i, a] = True
    p[:] = central[None, :, :]  # a method that does not cover an activity takes the activity's headline
    m_index = {m: i for i, m in enumerate(methods)}
    for r in eligible.filter(pl.col("method_id").is_in(methods)).iter_rows(named=True):
        p[m_index[r["method_id"]], s_index[(r["service_key"], r["fiscal_year"])], a_index[r["activity_id"]]] = r["value"]
    # activities without a probability count in hours and cost, not in the probability (as in
    # scoring.model.service_headline: the service's probability is over its scored hours)
    h_scored = np.where(scored, h, 0.0)
    has_domain = h[:, a_index[DOMAIN_ACTIVITY]] > 0
    cost_rows = {(r["service_key"], r["fiscal_year"]): r for r in costs.iter_rows(named=True)}
    total_hours = h.sum(axis=1)
    cost_per_hour = np.full(n, np.nan)
    country = np.zeros(n, dtype=int)
    for k, i in s_index.items():
        r = cost_rows.get(k)
        if r is None:
            continue
        country[i] = 1 if r["country_code"] == "UK" else 0
        if r["labour_cost"] is not None and total_hours[i] > 0:
            cost_per_hour[i] = r["labour_cost"] / total_hours[i]

    def run(unit: np.ndarray, share: np.ndarray, method: np.ndarray | None, cost: np.ndarray,
            level: np.ndarray, rows: slice) -> tuple[np.ndarray, np.ndarray]:
        no_dom, with_dom = _column_factors(activities, back, unit, share, production.domain_share)
        hb, hs, dom = h[rows], h_scored[rows], has_domain[rows]
        hours_d = np.where(dom[:, None], hb @ with_dom, hb @ no_dom)
        scored_d = np.where(dom[:, None], hs @ with_dom, hs @ no_dom)
        nums = np.stack([np.where(dom[:, None], (hs * pm[rows]) @ with_dom, (hs * pm[rows]) @ no_dom) for pm in p])
        if method is None:  # the central combination: the mean over methods
            num = nums.mean(axis=0)
        else:
            num = np.take_along_axis(nums, method[None, None, :].repeat(nums.shape[1], axis=1), axis=0)[0]
        with np.errstate(invalid="ignore", divide="ignore"):
            prob = np.where(scored_d > 0, num / scored_d, np.nan)
        prob = np.clip(prob, 0.0, 1.0)
        value = cost_per_hour[rows, None] * cost[country[rows], :] * level[None, :] * hours_d * prob
        return prob, value

    ones_unit = np.ones_like(common["unit"])
    central_share = np.full(draws, production.domain_share)
    ones_cost = np.ones_like(common["cost"])
    ones_level = np.ones_like(common["level"])
    batch = max(1, int(params.monte_carlo_batch_services))
    out: list[dict[str, object]] = []
    for start in range(0, n, batch):
        rows = slice(start, min(n, start + batch))
        prob, value = run(common["unit"], common["share"], common["method"], common["cost"], common["level"], rows)
        widths_p, widths_v = [], []
        for variant in (
            (common["unit"], common["share"], None, ones_cost, common["level"]),  # unit times, level, domain share
            (ones_unit, central_share, common["method"], ones_cost, ones_level),  # method
            (ones_unit, central_share, None, common["cost"], ones_level),  # hourly cost
        ):
            vp, vv = run(*variant, rows)
            qp = np.nanpercentile(vp, [5, 95], axis=1) if vp.size else np.zeros((2, 0))
            qv = np.nanpercentile(vv, [5, 95], axis=1) if vv.size else np.zeros((2, 0))
            widths_p.append(qp[1] - qp[0])
            widths_v.append(qv[1] - qv[0])
        wp, wv = np.vstack(widths_p), np.vstack(widths_v)
        with np.errstate(all="ignore"):
            qp = np.nanpercentile(prob, PERCENTILES, axis=1)
            qv = np.nanpercentile(value, PERCENTILES, axis=1)
        for j, i in enumerate(range(rows.start, rows.stop)):
            known = bool((h_scored[i] > 0).any())
            has_value = known and np.isfinite(cost_per_hour[i])
            row: dict[str, object] = {"service_key": keys[i][0], "fiscal_year": keys[i][1]}
            for label, x in zip(("p05", "p50", "p95"), qp[:, j], strict=True):
                row[f"probability_{label}"] = float(x) if known else None
            for label, x in zip(("p05", "p50", "p95"), qv[:, j], strict=True):
                row[f"value_gross_{label}"] = float(x) if has_value else None
            # ties (e.g. all zero) go to the first driver, so the choice is deterministic
            row["probability_interval_driver"] = DRIVERS[int(np.argmax(np.round(wp[:2, j], 12)))] if known else None
            row["value_interval_driver"] = DRIVERS[int(np.argmax(np.round(wv[:, j] / max(abs(qv[1, j]), 1e-300), 12)))] if has_value else None
            out.append(row)
        if progress is not None:
            progress(rows.stop, n)
    return pl.DataFrame(out, schema=OUTPUT_SCHEMA, orient="row")
