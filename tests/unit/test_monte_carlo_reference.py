"""The vectorised Monte Carlo (scoring.uncertainty, issue 18) gives the outputs of the earlier
service-by-service implementation (tests/reference_uncertainty.py) to 1e-12, with the same interval
drivers, on hand-made and on randomised inputs; and its percentile helpers are np.nanpercentile's."""

from __future__ import annotations

import contextlib
import math
import warnings

import numpy as np
import polars as pl
import pytest

from scoring.parameters import Parameters
from scoring.production import DOMAIN_ACTIVITY, ProductionParameters
from scoring.uncertainty import monte_carlo, repeated_percentiles, row_percentiles
from tests.reference_uncertainty import monte_carlo_reference

TOLERANCE = 1e-12
HEADLINE = Parameters().headline_methods


def assert_same_outputs(new: pl.DataFrame, old: pl.DataFrame) -> None:
    assert new.schema == old.schema
    assert new.height == old.height
    for column in new.columns:
        a, b = new[column].to_list(), old[column].to_list()
        if new.schema[column] != pl.Float64:
            assert a == b, column
            continue
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            assert (x is None) == (y is None), (column, i, x, y)
            if x is None:
                continue
            assert math.isnan(x) == math.isnan(y), (column, i, x, y)
            assert math.isnan(x) or abs(x - y) <= TOLERANCE * max(1.0, abs(y)), (column, i, x, y)


@contextlib.contextmanager
def _quiet():
    """np.nanpercentile warns on all-NaN rows (the reference's unknown services): not compared."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        yield


def both(*args, **kwargs) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(new, reference) outputs of the same inputs."""
    with _quiet():
        old = monte_carlo_reference(*args, **kwargs)
    return monte_carlo(*args, **kwargs), old


def _hand_made(domain: bool = False):
    """Two activities per service, one of them domain work when `domain`: a service without a cost
    row, one without a probability, one whose labour cost is unknown, UK and Canadian ones."""
    services = ["s1", "s2", "s3", "s4", "s5"]
    acts = ["intake_mail", DOMAIN_ACTIVITY if domain else "assessment_decision"]
    keys = [(s, a) for s in services for a in acts]
    hours = pl.DataFrame({
        "service_key": [s for s, _ in keys], "fiscal_year": ["2023-2024"] * len(keys),
        "activity_id": [a for _, a in keys],
        "hours": [10.0, 30.0, 10.0, 30.0, 5.0, 0.0, 8.0, 2.0, 1.0, None],
        "is_front_office": [a == "intake_mail" for _, a in keys],
    })
    rows = [(s, a, m) for s, a in keys for m in (*HEADLINE[:2], "ilo_genai_2025")]
    probability = {"s1": (0.8, 0.4), "s2": (0.8, 0.4), "s3": (0.3, None), "s4": (None, None), "s5": (0.9, 0.1)}
    values = pl.DataFrame({
        "service_key": [s for s, _, _ in rows], "fiscal_year": ["2023-2024"] * len(rows),
        "activity_id": [a for _, a, _ in rows], "method_id": [m for _, _, m in rows],
        "value": [0.2 + 0.1 * (i % 7) for i in range(len(rows))],
        "coverage": [1.0, 0.4, 1.0] * len(keys),
        "probability": [probability[s][acts.index(a)] for s, a, _ in rows],
    })
    costs = pl.DataFrame({"service_key": ["s1", "s2", "s3", "s5"], "fiscal_year": ["2023-2024"] * 4,
                          "country_code": ["CA", "CA", "UK", "UK"], "labour_cost": [4000.0, 4000.0, 9e5, None]})
    minutes = pl.DataFrame({"activity_id": ["intake_mail", "assessment_decision"],
                            "minutes_low": [12.0, 10.0], "minutes_high": [27.0, 90.0]})
    return hours, values, costs, minutes


@pytest.mark.parametrize("domain", [False, True])
@pytest.mark.parametrize("batch", [1, 2, 4096])
def test_hand_made_services_get_the_reference_outputs(domain, batch):
    params = Parameters(monte_carlo_draws=500, monte_carlo_batch_services=batch)
    production = ProductionParameters(unit_minutes={})
    new, old = both(*_hand_made(domain), params, production, calibration_sd=0.1)
    assert_same_outputs(new, old)
    assert new.filter(pl.col("service_key") == "s4")["probability_p50"].to_list() == [None]


def _randomised(seed: int):
    rng = np.random.default_rng(seed)
    activity_pool = [f"act_{i:02d}" for i in range(int(rng.integers(2, 12)))] + [DOMAIN_ACTIVITY]
    front = {a: bool(rng.random() < 0.4) for a in activity_pool}
    methods = [*HEADLINE, "ilo_genai_2025", "nesta_automation_risk"]
    services = [(f"S{i:04d}", str(rng.choice(["2022-2023", "2023-2024"]))) for i in range(int(rng.integers(1, 160)))]
    hour_rows, value_rows, cost_rows = [], [], []
    for key, year in services:
        chosen = rng.choice(activity_pool, size=int(rng.integers(1, len(activity_pool) + 1)), replace=False)
        for activity in chosen:
            roll = rng.random()
            hours = None if roll < 0.05 else 0.0 if roll < 0.1 else float(rng.lognormal(3, 2))
            hour_rows.append((key, year, str(activity), hours, front[str(activity)]))
            probability = None if rng.random() < 0.15 else float(rng.random())
            for method in methods:
                if rng.random() < 0.2:
                    continue  # the method has no value for this activity
                value = None if rng.random() < 0.03 else float(rng.random() * 1.1)
                coverage = None if rng.random() < 0.05 else float(rng.random())
                value_rows.append((key, year, str(activity), method, value, coverage, probability))
        if rng.random() < 0.9:
            cost = None if rng.random() < 0.1 else float(rng.lognormal(13, 1.5))
            cost_rows.append((key, year, "UK" if rng.random() < 0.4 else "CA", cost))
    # values of activities a service has no hours in (some of them null): they count where the
    # service's hours are 0, as in the reference
    in_hours = sorted({r[2] for r in hour_rows} | {DOMAIN_ACTIVITY})
    for key, year in services:
        if rng.random() < 0.3:
            activity = str(rng.choice(in_hours))
            if (key, year, activity) not in {r[:3] for r in hour_rows}:
                value = None if rng.random() < 0.5 else float(rng.random())
                value_rows.append((key, year, activity, HEADLINE[0], value, 1.0, float(rng.random())))
    hours = pl.DataFrame(hour_rows, orient="row", schema={
        "service_key": pl.String, "fiscal_year": pl.String, "activity_id": pl.String, "hours": pl.Float64,
        "is_front_office": pl.Boolean})
    values = pl.DataFrame(value_rows, orient="row", schema={
        "service_key": pl.String, "fiscal_year": pl.String, "activity_id": pl.String, "method_id": pl.String,
        "value": pl.Float64, "coverage": pl.Float64, "probability": pl.Float64})
    costs = pl.DataFrame(cost_rows, orient="row", schema={
        "service_key": pl.String, "fiscal_year": pl.String, "country_code": pl.String, "labour_cost": pl.Float64})
    ranged = [a for a in activity_pool if rng.random() < 0.8]
    low = rng.uniform(1, 20, size=len(ranged))
    minutes = pl.DataFrame({"activity_id": ranged, "minutes_low": low,
                            "minutes_high": low * rng.uniform(0.9, 6, size=len(ranged))})
    params = Parameters(
        monte_carlo_draws=int(rng.integers(1, 700)), monte_carlo_seed=int(rng.integers(0, 2**31)),
        monte_carlo_batch_services=int(rng.integers(1, 200)),
        method_coverage_threshold=float(rng.choice([0.0, 0.5, 0.9])),
    )
    share_low = float(rng.uniform(0.05, 0.5))
    production = ProductionParameters(
        unit_minutes={}, domain_share=float(rng.uniform(share_low, 0.95)), domain_share_low=share_low,
        domain_share_high=float(rng.uniform(share_low + 0.01, 0.99)),
    )
    return (hours, values, costs, minutes, params, production), float(rng.choice([0.0, 0.05, 0.3]))


@pytest.mark.parametrize("seed", range(24))
def test_randomised_services_get_the_reference_outputs(seed):
    args, calibration_sd = _randomised(seed)
    new, old = both(*args, calibration_sd=calibration_sd)
    assert_same_outputs(new, old)


def test_no_services_give_an_empty_frame_like_the_reference():
    hours, values, costs, minutes = (f.clear() for f in _hand_made())
    params, production = Parameters(monte_carlo_draws=50), ProductionParameters(unit_minutes={})
    new, old = both(hours, values, costs, minutes, params, production)
    assert new.height == 0
    assert_same_outputs(new, old)


@pytest.mark.parametrize("draws", [1, 2, 3, 20, 1000])
def test_row_percentiles_are_numpys_including_rows_with_nan(draws):
    rng = np.random.default_rng(draws)
    x = rng.normal(size=(40, draws))
    x[3, 0] = np.nan  # a partly missing row
    x[5, :] = np.nan  # a row with nothing
    x[7, :] = 1.5  # ties
    with _quiet():
        expected = np.nanpercentile(x, [5.0, 50.0, 95.0], axis=1)
    got = row_percentiles(x.copy(), (5.0, 50.0, 95.0))
    np.testing.assert_array_equal(got, expected)


def test_repeated_percentiles_are_numpys_on_the_repeated_rows():
    rng = np.random.default_rng(1)
    values = rng.random((30, 4))
    values[2, 1] = np.nan
    values[4, :] = np.nan
    values[6, :] = 0.25
    for counts in (np.array([250, 240, 260, 250]), np.array([0, 1, 0, 0]), np.array([3, 0, 2, 1])):
        repeated = np.repeat(values, counts, axis=1)
        with _quiet():
            expected = np.nanpercentile(repeated, [5.0, 50.0, 95.0], axis=1)
        np.testing.assert_array_equal(repeated_percentiles(values, counts, (5.0, 50.0, 95.0)), expected)
