"""Monte Carlo over the uncertain inputs of the model, vectorised with numpy and run in batches of
services so that memory stays bounded however many services there are.

Per draw and service: the occupation mix shares are drawn from a Dirichlet centred on the seed
shares with total concentration A054 (infinite: the seed shares themselves); one method is drawn
uniformly from the methods eligible for the headline (coverage at least A055); for UK services the
labour share of the unit cost is drawn uniformly on A040's range. Outputs are the 5th, 50th and
95th percentiles of probability and of gross value per service.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator

import numpy as np
import polars as pl

from scoring.model import METHODS, SERVICE_KEY
from scoring.parameters import Parameters

PERCENTILES = (5.0, 50.0, 95.0)
OUTPUT_SCHEMA = {
    "service_key": pl.String,
    "fiscal_year": pl.String,
    "probability_p05": pl.Float64,
    "probability_p50": pl.Float64,
    "probability_p95": pl.Float64,
    "value_gross_p05": pl.Float64,
    "value_gross_p50": pl.Float64,
    "value_gross_p95": pl.Float64,
}


def _batches(keys: list[tuple[str, str]], size: int) -> Iterator[list[tuple[str, str]]]:
    for start in range(0, len(keys), size):
        yield keys[start : start + size]


def monte_carlo(
    service_occupations: pl.DataFrame,
    occupation_values: pl.DataFrame,
    costs: pl.DataFrame,
    params: Parameters,
    progress: Callable[[int, int], None] | None = None,
) -> pl.DataFrame:
    """Percentiles of probability and gross value per service (one row per service).

    `costs`: service_key, fiscal_year, country_code, labour_cost, total_cost.
    Services no method covers enough get null percentiles. `progress`, if given, is called after
    each batch with (services done, services in all); it does not change the draws."""
    method_ids = [m.method_id for m in METHODS]
    method_index = {m: i for i, m in enumerate(method_ids)}
    rng = np.random.default_rng(params.monte_carlo_seed)
    draws = int(params.monte_carlo_draws)
    kappa = float(params.occupation_mix_concentration)

    occupations = service_occupations.sort([*SERVICE_KEY, "onet_soc_code"])
    values = {
        (r["onet_soc_code"], r["method_id"]): (r["value"], r["coverage"])
        for r in occupation_values.iter_rows(named=True)
        if r["method_id"] in method_index
    }
    by_service: dict[tuple[str, str], list[tuple[str, float]]] = {}
    for r in occupations.iter_rows(named=True):
        by_service.setdefault((r["service_key"], r["fiscal_year"]), []).append(
            (r["onet_soc_code"], float(r["occupation_share"]))
        )
    cost_rows = {
        (r["service_key"], r["fiscal_year"]): r for r in costs.iter_rows(named=True)
    }
    keys = sorted(by_service)
    out: list[dict[str, object]] = []
    done = 0
    for batch in _batches(keys, max(1, int(params.monte_carlo_batch_services))):
        n = len(batch)
        k_max = max(len(by_service[key]) for key in batch)
        m_count = len(method_ids)
        shares = np.zeros((n, k_max))
        coverage = np.zeros((n, m_count, k_max))
        value = np.zeros((n, m_count, k_max))
        for i, key in enumerate(batch):
            for k, (occupation, share) in enumerate(by_service[key]):
                shares[i, k] = share
                for m, method in enumerate(method_ids):
                    found = values.get((occupation, method))
                    if found is not None and found[0] is not None:
                        value[i, m, k] = found[0]
                        coverage[i, m, k] = found[1]
        base_cov = np.einsum("nk,nmk->nm", shares, coverage)
        eligible = base_cov >= params.method_coverage_threshold
        if math.isinf(kappa):
            drawn = np.broadcast_to(shares[:, None, :], (n, draws, k_max))
        else:
            shape = np.where(shares > 0, shares * kappa, 1.0)
            gamma = rng.gamma(shape[:, None, :], size=(n, draws, k_max)) * (shares > 0)[:, None, :]
            drawn = gamma / gamma.sum(axis=2, keepdims=True)
        numerator = np.einsum("ndk,nmk->ndm", drawn, coverage * value)
        denominator = np.einsum("ndk,nmk->ndm", drawn, coverage)
        with np.errstate(invalid="ignore", divide="ignore"):
            probability_all = np.where(denominator > 0, numerator / denominator, np.nan)
        keys_random = rng.random((n, draws, m_count))
        keys_random = np.where(eligible[:, None, :], keys_random, -1.0)
        chosen = keys_random.argmax(axis=2)
        probability = np.take_along_axis(probability_all, chosen[:, :, None], axis=2)[:, :, 0]
        probability = np.clip(probability, 0.0, 1.0)
        labour = np.full((n, draws), np.nan)
        for i, key in enumerate(batch):
            cost = cost_rows.get(key)
            if cost is None:
                continue
            if cost["country_code"] == "UK" and cost["total_cost"] is not None:
                labour[i] = cost["total_cost"] * rng.uniform(
                    params.uk_labour_share_low, params.uk_labour_share_high, size=draws
                )
            elif cost["labour_cost"] is not None:
                labour[i] = cost["labour_cost"]
        value_gross = labour * probability
        for i, key in enumerate(batch):
            row: dict[str, object] = {"service_key": key[0], "fiscal_year": key[1]}
            has_method = bool(eligible[i].any())
            p = np.percentile(probability[i], PERCENTILES) if has_method else [None] * 3
            v = (
                np.percentile(value_gross[i], PERCENTILES)
                if has_method and not np.isnan(value_gross[i]).any()
                else [None] * 3
            )
            for label, x in zip(("p05", "p50", "p95"), p, strict=True):
                row[f"probability_{label}"] = None if x is None else float(x)
            for label, x in zip(("p05", "p50", "p95"), v, strict=True):
                row[f"value_gross_{label}"] = None if x is None else float(x)
            out.append(row)
        done += n
        if progress is not None:
            progress(done, len(keys))
    return pl.DataFrame(out, schema=OUTPUT_SCHEMA, orient="row")
