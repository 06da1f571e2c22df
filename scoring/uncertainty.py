"""Monte Carlo over the uncertain inputs of the production model, with common random numbers.

Every draw d fixes, for all services at once (A217):
- each activity's staff minutes per unit: a lognormal multiplier centred on 1 whose 5th-95th
  percentiles span the assumption's low/high around its value (A230-A249);
- the domain-work share of back-office time, uniform on A212's range;
- the automation method, one of the headline methods (A214), uniformly;
- the cost of an hour: UK employer on-cost factor uniform on A203's range; Canada hours per FTE
  uniform on A204's range (the loaded cost of an FTE is fixed, so an hour costs cost / hours);
- the level of all unit times: a lognormal multiplier with the standard error of the calibrated
  level (the leave-one-out residual sd over the square root of the services, A207), which moves
  value, not probability (probability is a ratio of hours). A service's own misfit (a factor of
  about 3, scoring.fct_unit_cost_calibration) is not a common draw and is reported, not drawn.
A service's probability and value in draw d follow from its own hours and activity values, so two
services with identical inputs get identical draws and intervals. The Canadian programme ceiling
(A209) is applied at the central estimate and held in the draws.

For each service the interval driver is the input group that, varied alone with the others at
their central values, gives the widest 5th-95th interval (unit times, method or hourly cost).

The computation is vectorised across services and draws (issue 18): a service's hours and
probabilities are rows of (services x activities) matrices and each draw's activity factors a
column, so a chunk of services gets all its draws from a few matrix products, and percentiles
partition every row of a chunk at once. Chunks hold at most CHUNK_ELEMENTS service-draws per
array, whatever the number of draws, and run on up to MAX_WORKERS threads (numpy releases the GIL
in its loops). tests/reference_uncertainty.py keeps the earlier service-by-service
implementation, and tests/unit/test_monte_carlo_reference.py shows both give the same outputs.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import polars as pl
from threadpoolctl import threadpool_limits

from scoring.parameters import Parameters
from scoring.production import DOMAIN_ACTIVITY, ProductionParameters

SERVICE_KEY = ["service_key", "fiscal_year"]
PERCENTILES = (5.0, 50.0, 95.0)
Z90 = 1.6448536269514722
DRIVERS = ("unit_times", "method", "hourly_cost")
OUTPUT_SCHEMA = {
    "service_key": pl.String,
    "fiscal_year": pl.String,
    "probability_p05": pl.Float64,
    "probability_p50": pl.Float64,
    "probability_p95": pl.Float64,
    "value_gross_p05": pl.Float64,
    "value_gross_p50": pl.Float64,
    "value_gross_p95": pl.Float64,
    "probability_interval_driver": pl.String,
    "value_interval_driver": pl.String,
}


def draw_inputs(
    activities: list[str],
    minutes: pl.DataFrame,
    params: Parameters,
    production: ProductionParameters,
    calibration_sd: float = 0.0,
) -> dict[str, np.ndarray]:
    """The common random numbers: per draw, a minutes multiplier per activity, the domain share,
    the method index and the hourly cost factor per country (CA, UK)."""
    rng = np.random.default_rng(params.monte_carlo_seed)
    draws = int(params.monte_carlo_draws)
    ranges = {r["activity_id"]: r for r in minutes.iter_rows(named=True)}
    sigma = np.zeros(len(activities))
    for i, a in enumerate(activities):
        r = ranges.get(a)
        if r and r["minutes_low"] and r["minutes_high"] and r["minutes_high"] > r["minutes_low"] > 0:
            sigma[i] = np.log(r["minutes_high"] / r["minutes_low"]) / (2 * Z90)
    unit = np.exp(sigma[:, None] * rng.standard_normal((len(activities), draws)))
    share = rng.uniform(production.domain_share_low, production.domain_share_high, size=draws)
    method = rng.integers(0, len(params.headline_methods), size=draws)
    uk = rng.uniform(production.uk_oncost_low, production.uk_oncost_high, size=draws) / production.uk_oncost_factor
    ca = production.ca_hours_per_fte / rng.uniform(
        production.ca_hours_per_fte_low, production.ca_hours_per_fte_high, size=draws
    )
    level = np.exp(calibration_sd * rng.standard_normal(draws))
    return {"unit": unit, "share": share, "method": method, "cost": np.vstack([ca, uk]), "level": level}


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


# A chunk of services holds its draws as a few (services x draws) float arrays; a chunk has at most
# this many elements per array (8 MB): fewer services than monte_carlo_batch_services when the draws
# are many, so memory is bounded whatever the draws.
CHUNK_ELEMENTS = 1 << 20
# Chunks run in parallel on up to this many threads; matrix products stay single-threaded inside
# them (they are small: activities x draws), so the threads do not compete with BLAS's own.
MAX_WORKERS = 2


def chunk_services(params: Parameters) -> int:
    """Services per chunk: monte_carlo_batch_services, fewer when the draws are many, so that a
    chunk's arrays hold at most CHUNK_ELEMENTS service-draws each."""
    return max(1, min(int(params.monte_carlo_batch_services), CHUNK_ELEMENTS // max(int(params.monte_carlo_draws), 1)))


def _lerp(a: np.ndarray, b: np.ndarray, t: np.ndarray) -> np.ndarray:
    """numpy's interpolation between neighbouring order statistics (numpy.lib's _lerp), so that
    the percentiles below are the ones np.nanpercentile gives, to the last bit."""
    diff = b - a
    result = a + diff * t
    np.subtract(b, diff * (1 - t), out=result, where=np.broadcast_to(t >= 0.5, result.shape))
    return result


def _positions(count: np.ndarray, percents: tuple[float, ...]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The order statistics (0-based) either side of each percentile of `count` values, and the
    interpolation weight, as numpy's 'linear' method places them; shape (percents, *count.shape)."""
    q = np.true_divide(np.asarray(percents, dtype=float), 100).reshape((-1,) + (1,) * np.ndim(count))
    virtual = (np.asarray(count) - 1) * q
    lo = np.floor(virtual)
    gamma = virtual - lo
    lo = lo.astype(np.intp)
    hi = lo + 1
    top = virtual >= np.asarray(count) - 1  # at or past the largest value: take it
    last = np.broadcast_to(np.asarray(count) - 1, top.shape)
    lo, hi = np.where(top, last, lo), np.where(top, last, hi)
    return lo, hi, gamma


def row_percentiles(x: np.ndarray, percents: tuple[float, ...]) -> np.ndarray:
    """np.nanpercentile(x, percents, axis=1) with the same arithmetic, partitioning every row in
    one call (np.nanpercentile works row by row in Python). Rows with a NaN (rare: a draw without
    scored hours) go through np.nanpercentile; all-NaN rows give NaN. Reorders x in place.
    Returns (len(percents), rows)."""
    n, d = x.shape
    out = np.full((len(percents), n), np.nan)
    if n == 0 or d == 0:
        return out
    nan = np.isnan(x)
    partial = nan.any(axis=1)
    if partial.any():
        some = partial & ~nan.all(axis=1)
        if some.any():
            out[:, some] = np.nanpercentile(x[some], percents, axis=1)
        rows = np.flatnonzero(~partial)
        if rows.size:
            out[:, rows] = row_percentiles(x[rows], percents)
        return out
    lo, hi, gamma = _positions(np.array(d), percents)
    x.partition(np.unique(np.concatenate([lo, hi])), axis=1)
    return _lerp(x[:, lo].T, x[:, hi].T, gamma[:, None])


def repeated_percentiles(values: np.ndarray, counts: np.ndarray, percents: tuple[float, ...]) -> np.ndarray:
    """np.nanpercentile of each row of `values` (rows x k) repeated counts[j] times each (e.g.
    the draws that picked method j) along axis 1, without building the repeated rows. NaN values
    are left out; a row with none left gives NaN. Returns (len(percents), rows)."""
    n = values.shape[0]
    out = np.full((len(percents), n), np.nan)
    weights = np.where(np.isnan(values), 0, np.asarray(counts)[None, :])
    total = weights.sum(axis=1)
    rows = np.flatnonzero(total > 0)
    if rows.size == 0:
        return out
    order = np.argsort(values[rows], axis=1, kind="stable")  # NaN last
    ordered = np.take_along_axis(values[rows], order, axis=1)
    cumulative = np.cumsum(np.take_along_axis(weights[rows], order, axis=1), axis=1)
    lo, hi, gamma = _positions(total[rows], percents)  # (percents, rows)

    def nth(k: np.ndarray) -> np.ndarray:  # the k-th smallest value of each repeated row
        position = (cumulative[None, :, :] <= k[:, :, None]).sum(axis=2)
        return np.take_along_axis(ordered, position.T, axis=1).T

    out[:, rows] = _lerp(nth(lo), nth(hi), gamma)
    return out


@dataclass(frozen=True)
class _Services:
    """The Monte Carlo's inputs as arrays, one row per service (sorted by key)."""

    keys: pl.DataFrame  # service_key, fiscal_year
    hours: np.ndarray  # services x activities, central estimate
    hours_scored: np.ndarray  # the same, 0 where the activity has no probability
    probability: np.ndarray  # methods x services x activities
    has_domain: np.ndarray
    country: np.ndarray  # 0 Canada, 1 UK: the row of the hourly cost draws
    cost_per_hour: np.ndarray  # NaN when unknown
    known: np.ndarray  # has scored hours: a probability
    has_value: np.ndarray  # and a cost per hour: a value


def _services(hours: pl.DataFrame, values: pl.DataFrame, costs: pl.DataFrame, activities: list[str],
              methods: list[str], coverage_threshold: float) -> _Services:
    activity_key = [*SERVICE_KEY, "activity_id"]
    keys = hours.select(SERVICE_KEY).unique().sort(SERVICE_KEY)
    n = keys.height
    located = hours.join(keys.with_row_index("_s"), on=SERVICE_KEY, how="left", maintain_order="left").select(
        *activity_key, "_s",
        pl.col("activity_id").replace_strict(activities, range(len(activities)), return_dtype=pl.Int64).alias("_a"),
        pl.col("hours").cast(pl.Float64).fill_null(0.0),
    )
    h = np.zeros((n, len(activities)))
    np.add.at(h, (located["_s"].to_numpy(), located["_a"].to_numpy()), located["hours"].to_numpy())

    # a value of a known service and activity counts even where the service has no hours in that
    # activity (its hours are 0 there): a NaN value still makes the service's draws NaN
    rows = values.join(keys.with_row_index("_s"), on=SERVICE_KEY, how="inner", maintain_order="left").with_columns(
        pl.col("activity_id").replace_strict(activities, range(len(activities)), default=None,
                                             return_dtype=pl.Int64).alias("_a")
    ).filter(pl.col("_a").is_not_null())
    heads = rows.filter(pl.col("probability").is_not_null())
    s, a = heads["_s"].to_numpy(), heads["_a"].to_numpy()
    central = np.zeros((n, len(activities)))
    central[s, a] = heads["probability"].cast(pl.Float64).to_numpy()
    scored = np.zeros((n, len(activities)), dtype=bool)
    scored[s, a] = True
    # a method that does not cover an activity takes the activity's headline
    p = np.repeat(central[None, :, :], len(methods), axis=0)
    eligible = rows.filter((pl.col("coverage") >= coverage_threshold) & pl.col("method_id").is_in(methods))
    m = eligible["method_id"].replace_strict(methods, range(len(methods)), return_dtype=pl.Int64).to_numpy()
    p[m, eligible["_s"].to_numpy(), eligible["_a"].to_numpy()] = eligible["value"].cast(pl.Float64).to_numpy()

    # activities without a probability count in hours and cost, not in the probability (as in
    # scoring.model.service_headline: the service's probability is over its scored hours)
    h_scored = np.where(scored, h, 0.0)
    total_hours = h.sum(axis=1)
    cost = keys.join(
        costs.unique(SERVICE_KEY, keep="last", maintain_order=True)
        .select(*SERVICE_KEY, "country_code", pl.col("labour_cost").cast(pl.Float64)),
        on=SERVICE_KEY, how="left", maintain_order="left",
    )
    labour_cost = cost["labour_cost"].to_numpy()  # null as NaN
    with np.errstate(invalid="ignore", divide="ignore"):
        cost_per_hour = np.where(total_hours > 0, labour_cost / np.where(total_hours > 0, total_hours, 1.0), np.nan)
    known = (h_scored > 0).any(axis=1)
    return _Services(
        keys=keys, hours=h, hours_scored=h_scored, probability=p,
        has_domain=h[:, activities.index(DOMAIN_ACTIVITY)] > 0,
        country=(cost["country_code"] == "UK").fill_null(False).to_numpy().astype(np.intp),
        cost_per_hour=cost_per_hour, known=known, has_value=known & np.isfinite(cost_per_hour),
    )


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num / den clipped to [0, 1], NaN where den is not positive (no scored hours). In place."""
    with np.errstate(invalid="ignore", divide="ignore"):
        np.divide(num, den, out=num)
    missing = ~(den > 0)
    if missing.any():
        num[missing] = np.nan
    return np.clip(num, 0.0, 1.0, out=num)


def monte_carlo(
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
    fiscal_year, country_code, labour_cost. `minutes`: activity_id, minutes_low, minutes_high.

    The draws are taken in the order of their method (percentiles do not depend on the order), so
    the draws of one method share one matrix product. Of the three one-at-a-time variants that
    name the interval driver, the method variant moves a service through one value per method and
    the hourly-cost variant scales it by one factor per country: their percentiles come from those
    values and the draws' counts, without a (services x draws) array."""
    methods = list(params.headline_methods)
    activities = sorted(set(hours["activity_id"].unique().to_list()) | {DOMAIN_ACTIVITY})
    front = set(hours.filter(pl.col("is_front_office"))["activity_id"].unique().to_list())
    back = np.array([a not in front and a != DOMAIN_ACTIVITY for a in activities])
    common = draw_inputs(activities, minutes, params, production, calibration_sd)
    draws = common["unit"].shape[1]
    sv = _services(hours, values, costs, activities, methods, params.method_coverage_threshold)
    n = sv.keys.height
    h, hs, p = sv.hours, sv.hours_scored, sv.probability

    order = np.argsort(common["method"], kind="stable")  # the draws of each method together
    unit, share = common["unit"][:, order], common["share"][order]
    cost, level = common["cost"][:, order], common["level"][order]
    counts = np.bincount(common["method"], minlength=len(methods))
    bounds = np.concatenate([[0], np.cumsum(counts)])
    factors = _column_factors(activities, back, unit, share, production.domain_share)  # without, with domain
    central = _column_factors(activities, back, np.ones((len(activities), 1)),
                              np.array([production.domain_share]), production.domain_share)
    p_mean = p.mean(axis=0)  # the central combination: the mean over methods

    with threadpool_limits(limits=1, user_api="blas"):
        # The method and hourly-cost variants: unit times, domain share and level at their centre.
        def at_centre(x: np.ndarray) -> np.ndarray:
            return np.where(sv.has_domain, (x @ central[1])[:, 0], (x @ central[0])[:, 0])

        hours_c = at_centre(h)
        scored_c = at_centre(hs)
        by_method = np.stack([_ratio(at_centre(hs * pm), scored_c) for pm in p], axis=1)
        prob_c = _ratio(at_centre(hs * p_mean), scored_c)
        base_c = sv.cost_per_hour * hours_c
        width_p = np.full((2, n), np.nan)  # unit times, method
        width_v = np.full((3, n), np.nan)  # unit times, method, hourly cost
        width_p[1] = np.diff(repeated_percentiles(by_method, counts, (5.0, 95.0)), axis=0)[0]
        width_v[1] = np.diff(repeated_percentiles(base_c[:, None] * by_method, counts, (5.0, 95.0)), axis=0)[0]
        cost_q = np.percentile(cost, [5.0, 95.0], axis=1)  # (2, countries)
        width_v[2] = np.abs(base_c * prob_c) * (cost_q[1] - cost_q[0])[sv.country]
        qp = np.full((len(PERCENTILES), n), np.nan)
        qv = np.full((len(PERCENTILES), n), np.nan)

        def chunk(start: int, stop: int) -> None:
            """All draws of services start..stop-1: the percentiles of the full draws and of the
            unit-times variant (unit times, domain share and level; method and cost central)."""
            rows = np.arange(start, stop)
            rows = rows[sv.known[rows]]
            # without domain work first, then with: each group shares its column factors
            rows = rows[np.argsort(sv.has_domain[rows], kind="stable")]
            m = rows.size
            if not m:
                return
            split = m - int(np.count_nonzero(sv.has_domain[rows]))
            hb, hsb = h[rows], hs[rows]
            hours_d, scored_d = np.empty((m, draws)), np.empty((m, draws))
            num, num_u = np.empty((m, draws)), np.empty((m, draws))
            hs_mean = hsb * p_mean[rows]
            for g, f in ((slice(0, split), factors[0]), (slice(split, m), factors[1])):
                np.matmul(hb[g], f, out=hours_d[g])
                np.matmul(hsb[g], f, out=scored_d[g])
                np.matmul(hs_mean[g], f, out=num_u[g])
                for j, pm in enumerate(p):
                    if bounds[j + 1] > bounds[j]:
                        cols = slice(bounds[j], bounds[j + 1])
                        num[g, cols] = (hsb[g] * pm[rows[g]]) @ f[:, cols]
            prob, prob_u = _ratio(num, scored_d), _ratio(num_u, scored_d)
            valued = sv.has_value[rows]
            base = hours_d[valued]
            base *= level[None, :]
            base *= sv.cost_per_hour[rows[valued], None]
            value_u = base * prob_u[valued]
            value = base
            value *= prob[valued]
            value *= cost[sv.country[rows[valued]]]
            qp[:, rows] = row_percentiles(prob, PERCENTILES)
            qv[:, rows[valued]] = row_percentiles(value, PERCENTILES)
            width_p[0, rows] = np.diff(row_percentiles(prob_u, (5.0, 95.0)), axis=0)[0]
            width_v[0, rows[valued]] = np.diff(row_percentiles(value_u, (5.0, 95.0)), axis=0)[0]

        step = chunk_services(params)
        starts = range(0, n, step)
        if progress is not None:
            progress(0, n)  # the draws start (what came before them is the central scoring)
        workers = max(1, min(MAX_WORKERS, os.cpu_count() or 1, len(starts)))
        with ThreadPoolExecutor(workers) as pool:
            for start, _ in zip(starts, pool.map(lambda s: chunk(s, min(n, s + step)), starts), strict=True):
                if progress is not None:
                    progress(min(n, start + step), n)

    names = np.array(DRIVERS, dtype=object)
    with np.errstate(invalid="ignore", divide="ignore"):
        # ties (e.g. all zero) go to the first driver, so the choice is deterministic
        driver_p = names[np.argmax(np.round(width_p, 12), axis=0)]
        driver_v = names[np.argmax(np.round(width_v / np.maximum(np.abs(qv[1]), 1e-300), 12), axis=0)]
    return sv.keys.with_columns(
        *(pl.when(pl.Series(sv.known)).then(pl.Series(qp[i], nan_to_null=False)).alias(f"probability_{label}")
          for i, label in enumerate(("p05", "p50", "p95"))),
        *(pl.when(pl.Series(sv.has_value)).then(pl.Series(qv[i], nan_to_null=False)).alias(f"value_gross_{label}")
          for i, label in enumerate(("p05", "p50", "p95"))),
        pl.Series("probability_interval_driver", np.where(sv.known, driver_p, None).tolist(), dtype=pl.String),
        pl.Series("value_interval_driver", np.where(sv.has_value, driver_v, None).tolist(), dtype=pl.String),
    ).cast(OUTPUT_SCHEMA)
