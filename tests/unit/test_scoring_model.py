"""The automation model on tiny hand-made frames, with values worked out by hand."""

from __future__ import annotations

import math

import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.model import (
    already_digital_share,
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

P = Parameters(monte_carlo_draws=400, monte_carlo_batch_services=2)


def _tasks(rows):
    return pl.DataFrame(
        rows,
        schema=["onet_soc_code", "task_id", "task_weight_in_occupation", "gpt4_beta", "human_beta", "gpt4_automation_01"],
        orient="row",
    )


def _measures(rows):
    return pl.DataFrame(rows, schema=["onet_soc_code", "measure_id", "value_01"], orient="row")


def _mix(rows):
    return pl.DataFrame(
        rows, schema=["service_key", "fiscal_year", "onet_soc_code", "occupation_share"], orient="row"
    )


def test_task_methods_average_labelled_tasks_and_report_their_coverage():
    # Occupation A: tasks weighted 0.5/0.25/0.25; beta 1.0, 0.0 and unlabelled.
    tasks = _tasks([
        ("A", 1, 0.5, 1.0, None, 0.75),
        ("A", 2, 0.25, 0.0, None, 0.25),
        ("A", 3, 0.25, None, None, None),
    ])
    values = occupation_method_values(tasks, _measures([]))
    beta = values.filter(pl.col("method_id") == "gpt4_beta").row(0, named=True)
    assert beta["coverage"] == pytest.approx(0.75)
    assert beta["value"] == pytest.approx(0.5 / 0.75)
    automation = values.filter(pl.col("method_id") == "gpt4_automation").row(0, named=True)
    assert automation["value"] == pytest.approx((0.5 * 0.75 + 0.25 * 0.25) / 0.75)
    assert values.filter(pl.col("method_id") == "human_beta").is_empty()


def test_occupation_methods_weight_occupations_by_labour_share_and_coverage():
    # Service S: 60% occupation A (Frey-Osborne 0.9), 40% B (no Frey-Osborne value).
    values = occupation_method_values(_tasks([]), _measures([("A", "frey_osborne_probability", 0.9)]))
    result = service_method_probability(_mix([("S", "2023", "A", 0.6), ("S", "2023", "B", 0.4)]), values)
    fo = result.filter(pl.col("method_id") == "frey_osborne_probability").row(0, named=True)
    assert fo["probability"] == pytest.approx(0.9)
    assert fo["coverage"] == pytest.approx(0.6)
    nesta = result.filter(pl.col("method_id") == "nesta_automation_risk").row(0, named=True)
    assert nesta["probability"] is None and nesta["coverage"] == 0.0


def test_a_service_no_method_covers_keeps_its_row_with_a_reason():
    result = service_method_probability(_mix([("S", "2023", "Z", 1.0)]), occupation_method_values(_tasks([]), _measures([])))
    headline = headline_probability(result, P)
    row = headline.row(0, named=True)
    assert row["headline_probability"] is None
    assert row["methods_used"] == 0
    assert "threshold" in row["probability_null_reason"]


def test_the_headline_is_the_median_of_methods_above_the_coverage_threshold():
    values = occupation_method_values(
        _tasks([]),
        _measures([
            ("A", "frey_osborne_probability", 0.9),
            ("A", "rti_mihaylov_tijdens", 0.5),
            ("A", "ilo_genai_2025", 0.2),
            ("B", "nesta_automation_risk", 1.0),  # covers only 30%: left out
        ]),
    )
    methods = service_method_probability(_mix([("S", "2023", "A", 0.7), ("S", "2023", "B", 0.3)]), values)
    row = headline_probability(methods, P).row(0, named=True)
    assert row["headline_probability"] == pytest.approx(0.5)
    assert row["method_min_probability"] == pytest.approx(0.2)
    assert row["method_max_probability"] == pytest.approx(0.9)
    assert row["methods_used"] == 3


def test_one_occupation_only_gives_that_occupations_value():
    values = occupation_method_values(_tasks([]), _measures([("A", "microsoft_ai_applicability", 0.3)]))
    methods = service_method_probability(_mix([("S", "2023", "A", 1.0)]), values)
    assert headline_probability(methods, P)["headline_probability"].to_list() == [0.3]


def _summary(rows):
    return pl.DataFrame(
        rows,
        schema=["service_key", "fiscal_year", "country_code", "organisation_code", "archetype_id",
                "involves_case_decision", "annual_volume", "headline_probability", "value_gross",
                "value_net", "fte_automatable", "currency", "price_year"],
        orient="row",
    )


def test_a_tie_at_the_probability_threshold_counts_as_highly_automatable():
    summary = _summary([
        ("a", "y", "UK", "O", "x", True, 10, 0.75, 100.0, 100.0, None, "GBP", 2012),
        ("b", "y", "UK", "O", "x", True, 10, 0.7499, 400.0, 400.0, None, "GBP", 2012),
        ("c", "y", "UK", "O", "x", True, 10, 0.9, 50.0, 50.0, None, "GBP", 2012),
        ("d", "y", "UK", "O", "x", True, 0, None, None, None, None, "GBP", 2012),
    ])
    result = {r["service_key"]: r for r in matrix(summary, P).iter_rows(named=True)}
    assert result["a"]["is_highly_automatable"] is True
    assert result["b"]["is_highly_automatable"] is False
    # value threshold: 75th percentile of 50, 100, 400 (linear) = 250 -> only b is high value
    assert result["b"]["quadrant"] == "augment"
    assert result["a"]["quadrant"] == "quick_win"
    assert result["d"]["quadrant"] == "unscored"
    assert [result[k]["priority_rank"] for k in "acbd"] == [1, 2, 3, 4]


def test_values_that_differ_only_in_the_last_bit_rank_by_service_key_in_any_run():
    # two runs on the same inputs may sum in a different order; the rank must not follow the noise
    value = 1234.5678
    above = math.nextafter(value, math.inf)
    for b_value in (value, above, math.nextafter(value, -math.inf)):
        summary = _summary([
            ("b", "y", "UK", "O", "x", True, 10, 0.5, b_value, b_value, None, "GBP", 2012),
            ("a", "y", "UK", "O", "x", True, 10, 0.5, value, value, None, "GBP", 2012),
            ("c", "y", "UK", "O", "x", True, 10, 0.5, value * 2, value * 2, None, "GBP", 2012),
        ])
        ranks = {r["service_key"]: r["priority_rank"] for r in matrix(summary, P).iter_rows(named=True)}
        assert ranks == {"c": 1, "a": 2, "b": 3}


def test_a_zero_volume_service_adds_nothing_to_the_volume_weighted_probability():
    summary = _summary([
        ("a", "y", "UK", "O", "x", True, 30, 0.9, 1.0, 1.0, None, "GBP", 2012),
        ("b", "y", "UK", "O", "x", True, 10, 0.5, 1.0, 1.0, None, "GBP", 2012),
        ("c", "y", "UK", "O", "x", True, 0, 0.1, 1.0, 1.0, None, "GBP", 2012),
    ]).with_columns(pl.lit("monitor").alias("quadrant"))
    row = rollup(summary, ["country_code"]).row(0, named=True)
    assert row["volume_weighted_probability"] == pytest.approx((30 * 0.9 + 10 * 0.5) / 40)
    assert row["annual_volume"] == 40
    assert row["services"] == 3


def _services(rows):
    return pl.DataFrame(
        rows,
        schema=["service_key", "fiscal_year", "country_code", "labour_cost", "labour_cost_null_reason",
                "fte", "digital_share", "is_online_application", "is_online_decision",
                "is_online_issuance", "is_automated_decision_system"],
        orient="row",
    )


def test_net_value_removes_what_is_already_digital_or_automated():
    services = _services([
        ("uk", "y", "UK", 1000.0, None, None, 0.25, None, None, None, None),
        ("ca", "y", "CA", 1000.0, None, 10.0, None, True, False, None, True),
        ("ca2", "y", "CA", 1000.0, None, 10.0, None, True, False, False, False),
    ])
    shares = already_digital_share(services)["already_digital_share"].to_list()
    # ca: application online, decision automated (ADS), issuance not applicable -> 2/2
    assert shares == pytest.approx([0.25, 1.0, 1 / 3])
    headline = pl.DataFrame({"service_key": ["uk", "ca", "ca2"], "fiscal_year": ["y"] * 3,
                             "headline_probability": [0.8, 0.5, 0.5], "probability_null_reason": [None] * 3})
    value = service_value(services, headline, P).sort("service_key")
    assert value["value_gross"].to_list() == pytest.approx([500.0, 500.0, 800.0])
    assert value["value_net"].to_list() == pytest.approx([0.0, 500.0 * 2 / 3, 600.0])
    assert value["hours_automatable"].to_list()[0] == pytest.approx(10 * 1650 * 0.5)


def test_uk_replication_counts_decision_transactions_and_person_years():
    summary = _summary([
        ("a", "y", "UK", "D1", "benefit", True, 600_000, 0.8, 1.0, 1.0, None, "GBP", 2012),
        ("b", "y", "UK", "D2", "benefit", True, 400_000, 0.6, 1.0, 1.0, None, "GBP", 2012),
        ("c", "y", "UK", "D2", "info", False, 1_000_000, 0.9, 1.0, 1.0, None, "GBP", 2012),
        ("d", "y", "CA", "X", "info", True, 5, 0.9, 1.0, 1.0, None, "CAD", 2024),
    ])
    methods = pl.DataFrame({"service_key": ["a", "b"], "fiscal_year": ["y", "y"],
                            "method_id": ["rti_mihaylov_tijdens"] * 2, "probability": [0.7, 0.76]})
    rows = {r["figure_id"]: r["atlas_value"] for r in uk_replication(summary, methods, P).iter_rows(named=True)}
    assert rows["services"] == 3 and rows["organisations"] == 2
    assert rows["decision_transactions"] == 1_000_000
    assert rows["share_highly_automatable_headline"] == pytest.approx(0.6)
    assert rows["share_highly_automatable_routine"] == pytest.approx(0.4)
    assert rows["person_years_per_minute_saved"] == pytest.approx(1_000_000 / 60 / 1650)


def _mc_inputs(share_a=0.6):
    mix = _mix([("S", "y", "A", share_a), ("S", "y", "B", 1 - share_a)])
    values = occupation_method_values(
        _tasks([]), _measures([("A", "frey_osborne_probability", 0.9), ("B", "frey_osborne_probability", 0.1)])
    )
    costs = pl.DataFrame({"service_key": ["S"], "fiscal_year": ["y"], "country_code": ["CA"],
                          "labour_cost": [1000.0], "total_cost": [2000.0]})
    return mix, values, costs


def test_the_monte_carlo_with_zero_spread_returns_the_point_estimate():
    mix, values, costs = _mc_inputs()
    params = P.override(occupation_mix_concentration=float("inf"))
    row = monte_carlo(mix, values, costs, params).row(0, named=True)
    point = 0.6 * 0.9 + 0.4 * 0.1
    assert row["probability_p05"] == pytest.approx(point)
    assert row["probability_p95"] == pytest.approx(point)
    assert row["value_gross_p50"] == pytest.approx(1000 * point)


def test_the_monte_carlo_is_reproducible_and_ordered():
    mix, values, costs = _mc_inputs()
    first = monte_carlo(mix, values, costs, P)
    assert first.equals(monte_carlo(mix, values, costs, P))
    row = first.row(0, named=True)
    assert row["probability_p05"] <= row["probability_p50"] <= row["probability_p95"]
    assert row["probability_p05"] < row["probability_p95"]


def test_a_different_seed_moves_percentiles_only_within_monte_carlo_error():
    mix, values, costs = _mc_inputs()
    a = monte_carlo(mix, values, costs, P.override(monte_carlo_draws=4000)).row(0, named=True)
    b = monte_carlo(mix, values, costs, P.override(monte_carlo_draws=4000, monte_carlo_seed=7)).row(0, named=True)
    for column in ("probability_p05", "probability_p50", "probability_p95"):
        assert abs(a[column] - b[column]) < 0.02


@settings(max_examples=40, deadline=None)
@given(
    share=st.floats(0.01, 0.99),
    va=st.floats(0.0, 1.0),
    vb=st.floats(0.0, 1.0),
    factor=st.floats(0.1, 100.0),
)
def test_probabilities_stay_in_0_1_and_doubling_costs_scales_value_only(share, va, vb, factor):
    mix = _mix([("S", "y", "A", share), ("S", "y", "B", 1 - share)])
    values = occupation_method_values(
        _tasks([]), _measures([("A", "frey_osborne_probability", va), ("B", "frey_osborne_probability", vb)])
    )
    methods = service_method_probability(mix, values)
    assert methods["probability"].drop_nulls().is_between(0.0, 1.0).all()
    headline = headline_probability(methods, P)
    services = _services([("S", "y", "CA", 1000.0, None, 2.0, None, None, None, None, None)])
    base = service_value(services, headline, P).row(0, named=True)
    scaled = service_value(
        services.with_columns(pl.col("labour_cost") * factor), headline, P
    ).row(0, named=True)
    assert scaled["headline_probability"] == base["headline_probability"]
    assert scaled["value_gross"] == pytest.approx(base["value_gross"] * factor)
