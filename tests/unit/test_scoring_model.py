"""The automation model on tiny hand-made frames, with values worked out by hand."""

from __future__ import annotations

import json
import math
import re

import numpy as np
import polars as pl
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from scoring.model import (
    activity_headline,
    already_digital_share,
    dwa_method_values,
    matrix,
    methods_frame,
    profile_method_values,
    rollup,
    rollup_by_activity,
    service_headline,
    service_method_probability,
    service_value,
    uk_replication,
)
from scoring.parameters import Parameters, parameter_set_id, parameters_record
from scoring.production import ProductionParameters
from scoring.uncertainty import monte_carlo

P = Parameters(monte_carlo_draws=400, monte_carlo_batch_services=2)


def _summary(rows):
    return pl.DataFrame(
        rows,
        schema=["service_key", "fiscal_year", "country_code", "organisation_code", "archetype_id",
                "involves_case_decision", "annual_volume", "headline_probability", "value_gross",
                "value_net", "fte_automatable", "currency", "price_year"],
        orient="row",
    )


def test_a_tie_at_the_probability_threshold_counts_as_highly_automatable():
    params = P.override(probability_threshold=0.75)
    summary = _summary([
        ("a", "y", "UK", "O", "x", True, 10, 0.75, 100.0, 100.0, None, "GBP", 2012),
        ("b", "y", "UK", "O", "x", True, 10, 0.7499, 400.0, 400.0, None, "GBP", 2012),
        ("c", "y", "UK", "O", "x", True, 10, 0.9, 50.0, 50.0, None, "GBP", 2012),
        ("d", "y", "UK", "O", "x", True, 0, None, None, None, None, "GBP", 2012),
    ])
    result = {r["service_key"]: r for r in matrix(summary, params).iter_rows(named=True)}
    assert result["a"]["is_highly_automatable"] is True
    assert result["b"]["is_highly_automatable"] is False
    # value threshold: 75th percentile of 50, 100, 400 (linear) = 250 -> only b is high value
    assert result["b"]["quadrant"] == "augment"
    assert result["a"]["quadrant"] == "quick_win"
    assert result["d"]["quadrant"] == "no_value"
    assert [result[k]["priority_rank"] for k in "acb"] == [1, 2, 3]
    assert result["d"]["priority_rank"] is None  # no value: listed, not ranked
    assert {r["probability_threshold"] for r in result.values()} == {0.75}  # the cut used, on every row


def test_a_parameter_set_id_names_exactly_the_values_of_its_set():
    register = pl.DataFrame({"assumption_id": ["A050", "A001"], "parameter": ["probability_threshold", "x"],
                             "value": ["0.7", "2"]})
    central = parameters_record(P, register)
    assert parameter_set_id(central) == parameter_set_id(parameters_record(P, register))  # reproducible
    assert re.fullmatch(r"ps-[0-9a-f]{16}", parameter_set_id(central))
    overridden = parameters_record(P.override(probability_threshold=0.75), register)
    assert json.loads(overridden)["assumptions"]["A050"] == "0.75"  # the value the run used
    assert parameter_set_id(overridden) != parameter_set_id(central)
    changed = parameters_record(P, register.with_columns(pl.lit("3").alias("value")).head(2))
    assert parameter_set_id(changed) != parameter_set_id(central)  # any assumption's value counts


def test_services_without_a_value_are_not_ranked_and_the_others_rank_1_to_n_per_country():
    summary = _summary([
        ("u1", "y", "UK", "O", "x", True, 10, 0.9, 500.0, 400.0, None, "GBP", 2012),
        ("u2", "y", "UK", "O", "x", True, 10, 0.2, None, None, None, "GBP", 2012),  # no labour cost
        ("u3", "y", "UK", "O", "x", True, 10, None, None, None, None, "GBP", 2012),  # no probability
        ("u4", "y", "UK", "O", "x", True, 10, 0.4, 20.0, None, None, "GBP", 2012),  # net unknown: still ranked
        ("u5", "y", "UK", "O", "x", True, 10, 0.8, 0.0, 0.0, None, "GBP", 2012),  # a value of zero is a value
        ("c1", "y", "CA", "O", "x", True, 10, None, None, None, None, "CAD", 2024),
        ("c2", "y", "CA", "O", "x", True, 10, 0.5, 30.0, 10.0, None, "CAD", 2024),
        ("c3", "y", "CA", "O", "x", True, 10, 0.95, 90.0, 80.0, None, "CAD", 2024),
    ])
    result = matrix(summary, P)
    unranked = result.filter(pl.col("priority_rank").is_null())
    assert sorted(unranked["service_key"].to_list()) == ["c1", "u2", "u3"]
    assert set(unranked["quadrant"].to_list()) == {"no_value"}
    assert "unscored" not in result["quadrant"].to_list()
    for country, n in (("UK", 3), ("CA", 2)):
        ranks = result.filter((pl.col("country_code") == country) & pl.col("priority_rank").is_not_null())
        assert sorted(ranks["priority_rank"].to_list()) == list(range(1, n + 1))  # no gaps
    ranked = result.filter(pl.col("priority_rank").is_not_null())
    assert (ranked["quadrant"] != "no_value").all() and ranked["value_gross"].is_not_null().all()


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["CA", "UK"]), st.one_of(st.none(), st.floats(0, 1)),
                          st.one_of(st.none(), st.floats(0, 1e9))), min_size=1, max_size=30))
def test_ranks_run_1_to_n_without_gaps_for_every_country_whatever_is_missing(rows):
    summary = _summary([
        (f"s{i}", "y", c, "O", "x", True, 1, p, v if p is not None else None, v, None, "GBP", 2012)
        for i, (c, p, v) in enumerate(rows)
    ])
    result = matrix(summary, P)
    for country in ("CA", "UK"):
        part = result.filter(pl.col("country_code") == country)
        valued = part.filter(pl.col("value_gross").is_not_null())
        assert sorted(valued["priority_rank"].to_list()) == list(range(1, valued.height + 1))
        assert part.filter(pl.col("value_gross").is_null())["priority_rank"].null_count() == part.height - valued.height


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
                "fte", "delivery_hours", "digital_share", "is_online_application", "is_online_decision",
                "is_online_issuance", "is_automated_decision_system"],
        orient="row",
    )


def test_net_value_removes_what_is_already_digital_or_automated():
    services = _services([
        ("uk", "y", "UK", 1000.0, None, None, None, 0.25, None, None, None, None),
        ("ca", "y", "CA", 1000.0, None, 10.0, 17550.0, None, True, False, None, True),
        ("ca2", "y", "CA", 1000.0, None, 10.0, 17550.0, None, True, False, False, False),
        ("ca3", "y", "CA", 1000.0, None, 10.0, 17550.0, None, None, None, None, False),
        ("uk2", "y", "UK", 1000.0, None, None, None, None, None, None, None, None),
    ])
    shares = already_digital_share(services)["already_digital_share"].to_list()
    # ca: application online, decision automated (ADS), issuance not applicable -> 2/2;
    # ca3: no stage applies and uk2 reports no digital volume -> unknown, not 0% digital
    assert shares[:3] == pytest.approx([0.25, 1.0, 1 / 3])
    assert shares[3:] == [None, None]
    headline = pl.DataFrame({"service_key": ["uk", "ca", "ca2", "ca3", "uk2"], "fiscal_year": ["y"] * 5,
                             "headline_probability": [0.8, 0.5, 0.5, 0.5, 0.5], "probability_null_reason": [None] * 5})
    value = {r["service_key"]: r for r in service_value(services, headline, P).iter_rows(named=True)}
    assert [value[k]["value_gross"] for k in ("ca", "ca2", "uk")] == pytest.approx([500.0, 500.0, 800.0])
    assert [value[k]["value_net"] for k in ("ca", "ca2", "uk")] == pytest.approx([0.0, 500.0 * 2 / 3, 600.0])
    for key in ("ca3", "uk2"):
        assert value[key]["value_gross"] == pytest.approx(500.0)  # gross is still published
        assert value[key]["value_net"] is None
        assert "unknown" in value[key]["value_net_null_reason"]
    assert value["ca"]["value_net_null_reason"] is None
    assert value["ca"]["hours_automatable"] == pytest.approx(17550 * 0.5)



# --- the activity model ---------------------------------------------------------------------------


def _dwa_tasks(rows):
    """rows: (dwa_id, task_id, onet_soc_code, task_weight_in_dwa, gpt4_beta, human_beta, gpt4_automation_01, routine)."""
    return pl.DataFrame(
        rows,
        schema={"dwa_id": pl.String, "task_id": pl.Int64, "onet_soc_code": pl.String,
                "task_weight_in_dwa": pl.Float64, "gpt4_beta": pl.Float64, "human_beta": pl.Float64,
                "gpt4_automation_01": pl.Float64, "is_routine_task": pl.Boolean},
        orient="row",
    )


def _measures(rows):
    return pl.DataFrame(rows, schema=["onet_soc_code", "measure_id", "value_01"], orient="row")


def test_a_dwas_method_value_is_the_weighted_mean_of_its_labelled_tasks_and_their_occupations():
    tasks = _dwa_tasks([
        ("d", 1, "A", 0.5, 1.0, None, 0.75, True),
        ("d", 2, "B", 0.25, 0.0, None, 0.25, False),
        ("d", 3, "B", 0.25, None, None, None, None),
    ])
    values = dwa_method_values(tasks, _measures([("A", "frey_osborne_probability", 0.9), ("B", "frey_osborne_probability", 0.1)]))
    got = {r["method_id"]: (r["value"], r["coverage"]) for r in values.iter_rows(named=True)}
    assert got["gpt4_beta"] == pytest.approx((0.5 / 0.75, 0.75))
    assert got["gpt4_automation"] == pytest.approx(((0.5 * 0.75 + 0.25 * 0.25) / 0.75, 0.75))
    assert got["routine"] == pytest.approx((0.5 / 0.75, 0.75))
    assert got["frey_osborne_probability"] == pytest.approx((0.5 * 0.9 + 0.5 * 0.1, 1.0))
    assert "human_beta" not in got  # no task has a human label


def test_an_activity_weighs_its_dwas_equally_and_its_headline_is_the_mean_of_the_probability_methods():
    values = pl.DataFrame({
        "dwa_id": ["d1", "d1", "d2", "d2", "d1"],
        "method_id": ["frey_osborne_probability", "gpt4_beta", "frey_osborne_probability", "gpt4_beta", "felten_aioe"],
        "value": [0.8, 0.6, 0.4, 0.2, 0.99],
        "coverage": [1.0, 1.0, 1.0, 1.0, 1.0],
    })
    profile = profile_method_values(
        pl.DataFrame({"activity_id": ["a", "a"], "dwa_id": ["d1", "d2"], "weight": [1.0, 1.0]}), values, ["activity_id"]
    )
    got = {r["method_id"]: r["value"] for r in profile.iter_rows(named=True)}
    assert got["frey_osborne_probability"] == pytest.approx(0.6)
    assert got["gpt4_beta"] == pytest.approx(0.4)
    head = activity_headline(profile, ["activity_id"], P).row(0, named=True)
    # felten_aioe is an exposure index (A214): it does not enter the headline
    assert head["probability"] == pytest.approx((0.6 + 0.4) / 2)
    assert head["methods_used_ids"] == "frey_osborne_probability,gpt4_beta"


def _rows(rows):
    return pl.DataFrame(rows, schema=["service_key", "fiscal_year", "country_code", "activity_id", "hours",
                                      "probability", "routine_share"], orient="row")


def test_a_services_headline_is_the_hours_weighted_mean_of_its_activities():
    rows = _rows([("s", "y", "CA", "a", 30.0, 0.8, 1.0), ("s", "y", "CA", "b", 10.0, 0.4, 0.0),
                  ("s", "y", "CA", "c", 60.0, None, None)])
    methods = pl.DataFrame(schema={"service_key": pl.String, "fiscal_year": pl.String, "method_id": pl.String,
                                   "probability": pl.Float64, "coverage": pl.Float64, "enters_headline": pl.Boolean})
    row = service_headline(rows, methods, P).row(0, named=True)
    assert row["headline_probability"] == pytest.approx((30 * 0.8 + 10 * 0.4) / 40)
    assert row["routine_share"] == pytest.approx(30 / 40)


def test_a_service_with_one_activity_gets_that_activitys_probability_under_every_method():
    rows = _rows([("s", "y", "UK", "a", 12.0, 0.55, 0.3)])
    activity_values = pl.DataFrame({"service_key": ["s", "s"], "fiscal_year": ["y", "y"], "activity_id": ["a", "a"],
                                    "method_id": ["frey_osborne_probability", "ilo_genai_2025"],
                                    "value": [0.7, 0.2], "coverage": [1.0, 0.5]})
    methods = service_method_probability(rows, activity_values, P)
    got = {r["method_id"]: (r["probability"], r["coverage"]) for r in methods.iter_rows(named=True)}
    assert got["frey_osborne_probability"] == pytest.approx((0.7, 1.0))
    assert got["ilo_genai_2025"] == pytest.approx((0.2, 0.5))
    assert got["nesta_automation_risk"][0] is None
    assert service_headline(rows, methods, P)["headline_probability"].to_list() == pytest.approx([0.55])


def _mc(services=("s", "t"), hours=(10.0, 30.0), probabilities=(0.8, 0.4), params=P):
    keys = [k for k in services for _ in range(2)]
    hours_frame = pl.DataFrame({"service_key": keys, "fiscal_year": ["y"] * len(keys),
                                "activity_id": ["intake_mail", "assessment_decision"] * len(services),
                                "hours": list(hours) * len(services),
                                "is_front_office": [True, False] * len(services)})
    values = pl.DataFrame({"service_key": keys, "fiscal_year": ["y"] * len(keys),
                           "activity_id": ["intake_mail", "assessment_decision"] * len(services),
                           "method_id": ["frey_osborne_probability"] * len(keys),
                           "value": list(probabilities) * len(services), "coverage": [1.0] * len(keys),
                           "probability": list(probabilities) * len(services)})
    costs = pl.DataFrame({"service_key": list(services), "fiscal_year": ["y"] * len(services),
                          "country_code": ["CA"] * len(services), "labour_cost": [4000.0] * len(services)})
    minutes = pl.DataFrame({"activity_id": ["intake_mail", "assessment_decision"],
                            "minutes_low": [12.0, 10.0], "minutes_high": [27.0, 90.0]})
    production = ProductionParameters(unit_minutes={})
    return monte_carlo(hours_frame, values, costs, minutes, params, production)


def test_identical_services_get_identical_intervals_from_common_random_numbers():
    out = _mc(services=("s", "t", "u"))
    rows = out.drop("service_key").rows()
    assert rows[0] == rows[1] == rows[2]


def test_the_monte_carlo_brackets_the_point_estimate_and_names_a_driver():
    row = _mc(services=("s",)).row(0, named=True)
    point = (10 * 0.8 + 30 * 0.4) / 40
    assert row["probability_p05"] <= point <= row["probability_p95"]
    assert row["probability_p05"] < row["probability_p95"]
    assert row["value_gross_p05"] <= 4000 * point <= row["value_gross_p95"]
    assert row["probability_interval_driver"] == "unit_times"  # one method: only the minutes move it
    assert row["value_interval_driver"] in ("unit_times", "hourly_cost")


def test_the_monte_carlo_is_reproducible_and_a_new_seed_moves_it_only_within_its_error():
    a = _mc(params=P.override(monte_carlo_draws=4000))
    assert a.equals(_mc(params=P.override(monte_carlo_draws=4000)))
    b = _mc(params=P.override(monte_carlo_draws=4000, monte_carlo_seed=7))
    for column in ("probability_p05", "probability_p50", "probability_p95"):
        assert abs(a[column][0] - b[column][0]) < 0.02


def _summary_uk(rows):
    return pl.DataFrame(
        rows,
        schema=["service_key", "fiscal_year", "country_code", "organisation_code", "organisation_name", "delivery_body",
                "involves_case_decision", "annual_volume", "volume_basis", "volume_round",
                "headline_probability", "routine_share"],
        orient="row",
    )


def test_uk_replication_counts_decision_services_bodies_and_routine_transactions():
    summary = _summary_uk([
        ("a", "y", "UK", "D1", "Dept 1", "Agency X", True, 600_000, "reported", "2012-Q4", 0.72, 0.8),
        ("b", "y", "UK", "D2", "Dept 2", None, True, 400_000, "reported", "2013-Q1", 0.6, 0.5),
        ("c", "y", "UK", "D2", "Dept 2", "Agency Y", False, 1_000_000, "reported", "2012-Q4", 0.9, 0.9),
        ("m", "y", "UK", "D3", "Dept 3", None, True, None, "modelled", None, 0.9, 0.9),
        ("d", "y", "CA", "X", "X", None, True, 5, "reported", None, 0.9, 0.9),
    ])
    rows = {r["figure_id"]: r for r in uk_replication(summary, P).iter_rows(named=True)}
    value = {k: r["atlas_value"] for k, r in rows.items()}
    assert value["services"] == 3 and value["departments"] == 2
    assert value["organisations"] == 3  # Agency X, Dept 2 (no body named), Agency Y
    assert value["decision_transactions"] == 1_000_000
    assert value["share_highly_automatable_routine"] == pytest.approx(0.6)  # only a has routine >= 0.75
    assert value["share_highly_automatable_headline"] == pytest.approx(0.6)  # only a has P >= 0.7
    assert value["person_years_per_minute_saved"] == pytest.approx(1_000_000 / 60 / 1650)
    assert value["person_years_per_minute_saved_turing_hours"] == pytest.approx(1_000_000 / 60 / 1950)
    assert "2 services from the 2012-Q4 round" in rows["services"]["atlas_data_year"]
    assert all(r["atlas_definition"] and r["reference_definition"] for r in rows.values())


def test_the_general_procedures_add_up_hours_and_value_across_services():
    rows = pl.DataFrame({
        "service_key": ["s", "t", "t"], "fiscal_year": ["y"] * 3, "country_code": ["CA"] * 3,
        "activity_id": ["intake_mail", "intake_mail", "record_update"], "units": [10.0, 30.0, 5.0],
        "hours": [1.0, 3.0, 2.0], "labour_cost": [10.0, 30.0, 20.0], "probability": [0.5, 0.7, 0.2],
        "routine_share": [1.0, 0.0, 0.5], "automatable_hours": [0.5, 2.1, 0.4],
        "value_gross": [5.0, 21.0, 4.0], "volume_basis": ["reported", "modelled", "modelled"],
        "currency": ["CAD"] * 3, "price_year": [2024] * 3,
    })
    out = {r["activity_id"]: r for r in rollup_by_activity(rows).iter_rows(named=True)}
    intake = out["intake_mail"]
    assert intake["services"] == 2 and intake["hours"] == pytest.approx(4.0)
    assert intake["hours_weighted_probability"] == pytest.approx((0.5 + 2.1) / 4)
    assert intake["value_gross"] == pytest.approx(26.0)
    assert intake["share_of_country_hours"] == pytest.approx(4 / 6)
    assert intake["rows_on_modelled_volume"] == 1


@settings(max_examples=40, deadline=None)
@given(
    hours=st.lists(st.floats(0.01, 1e6), min_size=1, max_size=6),
    probabilities=st.lists(st.floats(0.0, 1.0), min_size=6, max_size=6),
    factor=st.floats(0.1, 100.0),
)
def test_probabilities_stay_in_0_1_and_scaling_every_hour_leaves_them_unchanged(hours, probabilities, factor):
    rows = _rows([("s", "y", "CA", f"a{i}", h, probabilities[i], probabilities[i]) for i, h in enumerate(hours)])
    methods = pl.DataFrame(schema={"service_key": pl.String, "fiscal_year": pl.String, "method_id": pl.String,
                                   "probability": pl.Float64, "coverage": pl.Float64, "enters_headline": pl.Boolean})
    base = service_headline(rows, methods, P).row(0, named=True)
    scaled = service_headline(rows.with_columns(pl.col("hours") * factor), methods, P).row(0, named=True)
    assert 0.0 <= base["headline_probability"] <= 1.0
    assert scaled["headline_probability"] == pytest.approx(base["headline_probability"], rel=1e-9, abs=1e-12)
    assert scaled["routine_share"] == pytest.approx(base["routine_share"], rel=1e-9, abs=1e-12)


def test_the_run_summary_names_each_countrys_fit_and_the_calibration():
    from scoring.pipeline import model_summary

    diagnostics = pl.DataFrame({
        "figure_id": ["ca_distinct_headline_probabilities", "ca_archetype_r_squared", "ca_services_automate_first",
                      "ca_services_modelled_volume", "ca_services_on_fallback_process",
                      "calibration_services", "calibration_loo_median_abs_log_ratio",
                      "volume_model_oos_median_abs_log_error"],
        "value": [900.0, 0.4812, 25.0, 504.0, 0.0, 73.0, 1.1597, 1.93],
    })
    lines = model_summary(diagnostics).splitlines()
    assert lines[0].startswith("CA: 900 distinct probabilities, archetype R-squared 0.48;")
    assert "504 modelled volumes; 0 on the fallback process" in lines[0]
    assert lines[1] == ("unit-cost calibration on 73 UK services: leave-one-out median |log ratio| 1.16; "
                        "volume model out-of-sample median |log error| 1.93")


def test_a_dwa_level_measure_is_the_dwas_own_value_whatever_its_tasks():
    tasks = _dwa_tasks([("d", 1, "A", 0.5, None, None, None, None), ("d", 2, "B", 0.5, None, None, None, None)])
    tasks = tasks.with_columns(pl.lit(0.42).alias("microsoft_iwa_applicability"))
    got = {r["method_id"]: (r["value"], r["coverage"]) for r in dwa_method_values(tasks, _measures([])).iter_rows(named=True)}
    assert got["microsoft_iwa_applicability"] == pytest.approx((0.42, 1.0))
    assert "nesta_dwa_impact" not in got  # the frame has no such column


def test_activity_headlines_from_the_activities_equal_those_from_every_service_activitys_method_values():
    # issue 18: the sensitivity's figures take a standard activity's headline once per activity
    from scoring.model import service_activity_headlines, service_activity_values

    dwa_values = pl.DataFrame({
        "dwa_id": ["d1", "d1", "d1", "d2", "d2", "d3", "d3"],
        "method_id": ["frey_osborne_probability", "gpt4_beta", "routine", "frey_osborne_probability", "routine",
                      "gpt4_beta", "routine"],
        "value": [0.8, 0.6, 0.9, 0.4, 0.1, 0.3, 0.5],
        "coverage": [1.0, 0.4, 1.0, 1.0, 0.9, 1.0, 0.2],
    })
    activity_dwa = pl.DataFrame({"activity_id": ["a", "a", "b", "c"], "dwa_id": ["d1", "d2", "d3", "d9"]})
    service_activities = pl.DataFrame({
        "service_key": ["s", "s", "s", "t", "t", "u", "u"], "fiscal_year": ["y"] * 7,
        "activity_id": ["a", "b", "domain_work", "a", "c", "domain_work", "b"],
    })
    matches = pl.DataFrame({"service_key": ["s", "s", "u", "t"], "fiscal_year": ["y"] * 4,
                            "dwa_id": ["d1", "d3", "d2", "d1"], "match_score": [0.5, 0.2, 0.3, 0.9],
                            "is_used": [True, True, True, True]})
    keys = ["service_key", "fiscal_year", "activity_id"]
    for params in (P, Parameters(method_coverage_threshold=0.3), Parameters(method_coverage_threshold=0.95)):
        expected = activity_headline(service_activity_values(service_activities, activity_dwa, matches, dwa_values),
                                     keys, params)
        got = service_activity_headlines(service_activities, activity_dwa, matches, dwa_values, params)
        assert got.columns == expected.columns
        assert got.height == expected.height > 0
        for column in ("probability", "routine_share"):
            pairs = zip(got[column].to_list(), expected[column].to_list(), strict=True)
            assert all((a is None and b is None) or math.isclose(a, b, rel_tol=1e-12) for a, b in pairs)
        assert got.drop("probability", "routine_share").equals(expected.drop("probability", "routine_share"))


def test_service_activity_values_in_any_input_order_equal_the_rows_sorted_whole():
    """Issue 18: service_activity_values orders the service activities before it makes their method
    rows, so that its last sort has little to do; the rows, their order and their values are those
    of making the rows from the activities as given and sorting them all."""
    from scoring.model import _standard_and_domain, service_activity_values

    rng = np.random.default_rng(3)
    methods = ["frey_osborne_probability", "gpt4_beta", "routine", "human_beta"]
    dwas = [f"d{i}" for i in range(12)]
    dwa_values = pl.DataFrame([
        {"dwa_id": d, "method_id": m, "value": float(rng.uniform()), "coverage": float(rng.uniform(0.2, 1.0))}
        for d in dwas for m in methods if rng.uniform() < 0.8
    ])
    activity_dwa = pl.DataFrame({"activity_id": [f"a{i % 5}" for i in range(15)], "dwa_id": [dwas[i % 12] for i in range(15)]})
    services = [(f"s{i:03d}", y) for i in range(60) for y in ("2022-2023", "2023-2024")]
    rows = [(s, y, a) for s, y in services for a in ["a0", "a1", "a2", "a3", "a4", "domain_work"] if rng.uniform() < 0.6]
    service_activities = pl.DataFrame(rows, schema=["service_key", "fiscal_year", "activity_id"], orient="row")
    matches = pl.DataFrame([
        {"service_key": s, "fiscal_year": y, "dwa_id": d, "match_score": float(rng.uniform()), "is_used": bool(rng.uniform() < 0.7)}
        for s, y in services for d in rng.choice(dwas, 3, replace=False)
    ])
    keys = ["service_key", "fiscal_year", "activity_id", "method_id"]
    columns = [*keys, "value", "coverage"]
    standard, domain = _standard_and_domain(service_activities, activity_dwa, matches, dwa_values, lambda v, _k: v)
    expected = pl.concat([standard.select(columns), domain.select(columns)]).sort(keys)
    assert expected.height > 1000 and expected.filter(pl.col("activity_id") == "domain_work").height > 0
    for seed in range(3):
        shuffled = service_activities.sample(fraction=1.0, shuffle=True, seed=seed)
        got = service_activity_values(shuffled, activity_dwa, matches, dwa_values)
        assert got.select(keys).equals(expected.select(keys))
        for column in ("value", "coverage"):
            assert np.allclose(got[column].to_numpy(), expected[column].to_numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_method_sums_by_bincount_equal_those_of_joining_every_method_value_to_its_hours(seed):
    """Issue 18: service_method_probability adds its sums with numpy over runs of service
    activities; the rows, coverage, counts, probabilities and percentiles are those of joining each
    method value to its hours and grouping in polars (joined=True), to the last bits."""
    rng = np.random.default_rng(seed)
    methods = ["frey_osborne_probability", "gpt4_beta", "routine", "ilo_genai_2025", "human_beta"]  # routine: not a method
    services = [(f"s{i:03d}", y, "UK" if i % 3 else "CA") for i in range(80) for y in ("2022-2023", "2023-2024")]
    activities = ["a0", "a1", "a2", "a3", "domain_work"]
    hours = pl.DataFrame(
        [(s, y, c, a, None if rng.uniform() < 0.05 else float(rng.choice([0.0, rng.uniform(0, 500)])))
         for s, y, c in services for a in activities if rng.uniform() < 0.7],
        schema={"service_key": pl.String, "fiscal_year": pl.String, "country_code": pl.String,
                "activity_id": pl.String, "hours": pl.Float64}, orient="row",
    )
    known = {tuple(r) for r in hours.select("service_key", "fiscal_year", "activity_id").iter_rows()}
    extra = [(f"x{i}", "2022-2023", "a1") for i in range(3)]  # values of service activities without hours
    values = pl.DataFrame(
        [(s, y, a, m, float(rng.uniform()), None if rng.uniform() < 0.03 else float(rng.uniform(0.0, 1.0)))
         for s, y, a in sorted(known | set(extra)) for m in methods if rng.uniform() < 0.6],
        schema={"service_key": pl.String, "fiscal_year": pl.String, "activity_id": pl.String,
                "method_id": pl.String, "value": pl.Float64, "coverage": pl.Float64}, orient="row",
    )
    expected = service_method_probability(hours, values, P, joined=True)
    got = service_method_probability(hours, values, P)
    assert got.columns == expected.columns and got.height == expected.height == 160 * methods_frame().height
    assert got.drop("probability", "coverage", "percentile_in_country").equals(
        expected.drop("probability", "coverage", "percentile_in_country"))
    for column in ("probability", "coverage", "percentile_in_country"):
        pairs = list(zip(got[column].to_list(), expected[column].to_list(), strict=True))
        assert all((a is None and b is None) or math.isclose(a, b, rel_tol=1e-12, abs_tol=1e-15) for a, b in pairs), column
    # the cases the comparison is built to reach
    assert expected["probability"].null_count() > 0 and expected["probability"].drop_nulls().len() > 300
    assert (expected["activities_covered"] == 0).sum() > 0 and (expected["activities_covered"] > 1).sum() > 0


def test_probabilities_that_differ_in_the_last_bits_count_once_among_the_distinct_ones():
    """The diagnostics' count of distinct headline probabilities must not move between two runs
    whose sums agree to the last bits: values around a 12-digit rounding boundary, a few units in
    the last place apart, are one value (two at 12 digits)."""
    from scoring.pipeline import model_diagnostics

    boundary = [0.1234567890125]
    for _ in range(5):
        boundary.append(float(np.nextafter(boundary[-1], 1.0)))
        boundary.insert(0, float(np.nextafter(boundary[0], 0.0)))
    assert pl.Series(boundary).round_sig_figs(12).n_unique() == 2  # the case is reached
    probabilities = [*boundary, 0.5, 0.5 + 1e-6]
    n = len(probabilities)
    summary = pl.DataFrame({
        "country_code": ["CA"] * n, "fiscal_year": ["2023-2024"] * n, "headline_probability": probabilities,
        "archetype_id": ["a"] * n, "quadrant": ["automate_first"] * n, "volume_basis": ["reported"] * n,
        "value_gross": [1.0] * n,
    })
    ceiling = pl.DataFrame({"is_capped_by_programme_fte": [False]})
    figures = dict(model_diagnostics(summary, {}, ceiling).select("figure_id", "value").iter_rows())
    assert figures["ca_distinct_headline_probabilities"] == 3
