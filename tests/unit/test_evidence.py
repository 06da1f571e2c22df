"""Bottom-up evidence (scoring/evidence.py) on hand-made pilots and services, with the Beta
arithmetic worked out by hand in the comments."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from scoring.evidence import (
    Z90,
    beta_prior,
    evidence_invariant_failures,
    evidence_links,
    evidence_summary,
    pilot_shares,
    posterior,
)
from scoring.evidence_parameters import EvidenceParameters, evidence_parameters_from_assumptions

P = EvidenceParameters()


def _pilots(rows: list[dict]) -> pl.DataFrame:
    base = {
        "evidence_id": None, "service_key": None, "archetype_id": "X", "country_code": None,
        "organisation_code": None, "measure": "labour_time_share_saved", "measured_value": None,
        "baseline_minutes_per_transaction": None, "sample_size": None, "quality_rating": "high",
        "activity_ids": None,
    }
    if any("is_lower_bound" in r for r in rows):
        base["is_lower_bound"] = False
    schema_extra = {"is_lower_bound": pl.Boolean} if "is_lower_bound" in base else {}
    return pl.DataFrame([{**base, **r} for r in rows], schema={**schema_extra,
        "evidence_id": pl.String, "service_key": pl.String, "archetype_id": pl.String,
        "activity_ids": pl.String,
        "country_code": pl.String, "organisation_code": pl.String, "measure": pl.String,
        "measured_value": pl.Float64, "baseline_minutes_per_transaction": pl.Float64,
        "sample_size": pl.Int64, "quality_rating": pl.String,
    })


def _used(rows: list[dict]) -> pl.DataFrame:
    return pilot_shares(_pilots(rows), P)


def _summary(rows: list[tuple]) -> pl.DataFrame:
    """(service_key, country, organisation, archetype, headline, p05, p95, labour_cost)."""
    frame = pl.DataFrame(
        rows,
        schema={
            "service_key": pl.String, "country_code": pl.String, "organisation_code": pl.String,
            "archetype_id": pl.String, "headline_probability": pl.Float64,
            "probability_p05": pl.Float64, "probability_p95": pl.Float64, "labour_cost": pl.Float64,
        },
        orient="row",
    )
    return frame.with_columns(
        pl.lit("2023-2024").alias("fiscal_year"),
        ("service " + pl.col("service_key")).alias("service_name"),
        pl.lit("CAD").alias("currency"),
        pl.lit(2024).alias("price_year"),
        pl.lit("monitor").alias("quadrant"),
        pl.lit(1, pl.Int64).alias("priority_rank"),
        pl.when(pl.col("headline_probability").is_null()).then(pl.lit("no method covers it"))
        .otherwise(None).alias("probability_null_reason"),
    )


# A prior with mean 0.6 and sd 0.1: k = 0.6 x 0.4 / 0.01 - 1 = 23, alpha = 13.8, beta = 9.2.
LO, HI = 0.6 - Z90 * 0.1, 0.6 + Z90 * 0.1


def test_pilot_results_become_shares_with_quality_weighted_capped_observations():
    used = _used([
        # 30% of labour time saved over 50 cases, high quality: 1.0 x 50 = 50 observations.
        {"evidence_id": "E1", "measured_value": 0.3, "sample_size": 50},
        # 3 of 12 minutes saved = 0.25, 1,000 transactions capped at 100 (A103), medium: 50.
        {"evidence_id": "E2", "measure": "minutes_saved_per_transaction", "measured_value": 3.0,
         "baseline_minutes_per_transaction": 12.0, "sample_size": 1000, "quality_rating": "medium"},
        # Low quality, 40 cases: 0.2 x 40 = 8.
        {"evidence_id": "E3", "measured_value": 0.5, "sample_size": 40, "quality_rating": "low"},
    ]).sort("evidence_id")
    assert used["observed_share"].to_list() == pytest.approx([0.3, 0.25, 0.5])
    assert used["effective_observations"].to_list() == pytest.approx([50.0, 50.0, 8.0])
    assert used["is_usable"].all()


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"measure": "minutes_saved_per_transaction", "measured_value": 2.0, "sample_size": 10},
         "baseline"),
        ({"measured_value": 1.2, "sample_size": 10}, "outside [0, 1]"),
        ({"measured_value": 0.2, "sample_size": 0}, "sample size"),
        ({"measured_value": 0.2, "sample_size": 10, "quality_rating": "excellent"}, "quality"),
        ({"measured_value": 0.2, "sample_size": 10, "archetype_id": None}, "names no activity"),
        ({"measured_value": 0.2, "sample_size": 10, "measure": "hours"}, "unknown measure"),
    ],
)
def test_an_unusable_pilot_is_kept_with_its_reason_and_no_observations(row, reason):
    used = _used([{"evidence_id": "E9", **row}]).row(0, named=True)
    assert used["is_usable"] is False
    assert reason in used["unusable_reason"]
    assert used["effective_observations"] is None


def test_the_prior_matches_the_top_down_mean_and_interval_by_the_method_of_moments():
    prior = beta_prior(_summary([
        ("A", "CA", "o", "X", 0.6, LO, HI, 1.0),
        ("B", "CA", "o", "X", 0.5, 0.5, 0.5, 1.0),      # no spread: k = A105 = 200
        ("C", "CA", "o", "X", 0.5, 0.5 - Z90 * 0.4, 0.5 + Z90 * 0.4, 1.0),  # k = 0.5625 -> A104 = 2
        ("D", "CA", "o", "X", None, None, None, 1.0),
    ]), P).sort("service_key")
    a, b, c, d = prior.iter_rows(named=True)
    assert (a["prior_concentration"], a["prior_alpha"], a["prior_beta"]) == pytest.approx((23.0, 13.8, 9.2))
    assert (b["prior_alpha"], b["prior_beta"]) == pytest.approx((100.0, 100.0))
    assert (c["prior_alpha"], c["prior_beta"]) == pytest.approx((1.0, 1.0))
    assert d["prior_alpha"] is None and d["prior_null_reason"] == "no method covers it"


SERVICES = _summary([
    # archetype X: S1 and S2 in organisation A, S3 in organisation B (Canada), S4 in the UK
    ("S1", "CA", "A", "X", 0.6, LO, HI, 1000.0),
    ("S2", "CA", "A", "X", 0.6, LO, HI, 1000.0),
    ("S3", "CA", "B", "X", 0.6, LO, HI, 1000.0),
    ("S4", "UK", "U", "X", 0.6, LO, HI, 1000.0),
    # archetype Y: untouched by pilots of X
    ("S5", "CA", "A", "Y", 0.6, LO, HI, 1000.0),
])


def test_a_pilot_moves_its_service_fully_and_similar_services_of_its_archetype_partly():
    # E1 on S1: share 0.3, 50 observations. Weights 1 / 0.5 / 0.25 / 0.1 pass 50 / 25 / 12.5 / 5.
    used = _used([{"evidence_id": "E1", "service_key": "S1", "country_code": "CA",
                                  "organisation_code": "A", "measured_value": 0.3, "sample_size": 50}])
    links = evidence_links(SERVICES, used, P)
    assert dict(zip(links["service_key"], links["link_type"], strict=True)) == {
        "S1": "own_service", "S2": "same_organisation", "S3": "same_country", "S4": "other_country"}
    result = {r["service_key"]: r for r in posterior(SERVICES, links, P).iter_rows(named=True)}
    # S1: alpha 13.8 + 50 x 0.3 = 28.8, beta 9.2 + 50 x 0.7 = 44.2, mean 28.8 / 73
    assert (result["S1"]["posterior_alpha"], result["S1"]["posterior_beta"]) == pytest.approx((28.8, 44.2))
    assert result["S1"]["posterior_mean"] == pytest.approx(28.8 / 73)
    # S2: 13.8 + 7.5 = 21.3 over 48; S3: 13.8 + 3.75 = 17.55 over 35.5; S4: 15.3 over 28
    assert result["S2"]["posterior_mean"] == pytest.approx(21.3 / 48)
    assert result["S3"]["posterior_mean"] == pytest.approx(17.55 / 35.5)
    assert result["S4"]["posterior_mean"] == pytest.approx(15.3 / 28)
    assert result["S5"]["posterior_mean"] == pytest.approx(0.6)
    assert result["S1"]["own_pilots"] == 1 and result["S2"]["borrowed_pilots"] == 1
    assert result["S2"]["evidence_observations"] == pytest.approx(25.0)
    assert result["S2"]["evidence_mean_share"] == pytest.approx(0.3)
    # the prior stays beside the posterior
    assert result["S1"]["prior_mean"] == pytest.approx(0.6)
    assert result["S1"]["posterior_shift"] == pytest.approx(28.8 / 73 - 0.6)


def test_an_archetype_level_pilot_with_a_country_counts_as_same_country_there():
    used = _used([{"evidence_id": "E2", "country_code": "UK", "measured_value": 0.5,
                                  "sample_size": 20}])
    links = evidence_links(SERVICES, used, P)
    weights = dict(zip(links["service_key"], links["similarity_weight"], strict=True))
    assert weights == pytest.approx({"S1": 0.1, "S2": 0.1, "S3": 0.1, "S4": 0.25})


def test_value_of_information_is_labour_cost_times_the_expected_fall_in_sd():
    result = {r["service_key"]: r for r in posterior(SERVICES, evidence_links(SERVICES, _used([]), P), P).iter_rows(named=True)}
    s5 = result["S5"]
    # Beta(13.8, 9.2): variance 0.24 / 24 = 0.01, sd 0.1; after 30 more observations the sd is
    # expected to be 0.1 x sqrt(23 / 53) = 0.065876; VoI = 1000 x (0.1 - 0.065876) = 34.124.
    assert s5["posterior_sd"] == pytest.approx(0.1)
    assert s5["expected_sd_after_reference_pilot"] == pytest.approx(0.1 * math.sqrt(23 / 53))
    assert s5["value_of_information"] == pytest.approx(34.124, abs=1e-3)
    assert s5["value_uncertainty"] == pytest.approx(100.0)
    assert s5["own_pilots"] == 0 and s5["evidence_mean_share"] is None


def test_services_with_less_evidence_rank_first_for_a_new_pilot():
    used = _used([{"evidence_id": "E1", "service_key": "S1", "country_code": "CA",
                                  "organisation_code": "A", "measured_value": 0.3, "sample_size": 50}])
    result = posterior(SERVICES, evidence_links(SERVICES, used, P), P)
    ca = result.filter(pl.col("country_code") == "CA").sort("voi_rank")
    # equal labour costs: the untouched S5 first, the piloted S1 last
    assert ca["service_key"].to_list() == ["S5", "S3", "S2", "S1"]
    assert result.filter(pl.col("country_code") == "UK")["voi_rank"].to_list() == [1]


def test_beta_quantiles_of_a_uniform_prior_are_the_5th_and_95th_percent():
    wide = _summary([("C", "CA", "o", "X", 0.5, 0.5 - Z90 * 0.4, 0.5 + Z90 * 0.4, None)])
    row = posterior(wide, evidence_links(wide, _used([]), P), P).row(0, named=True)
    assert (row["prior_p05"], row["prior_p95"]) == pytest.approx((0.05, 0.95))
    assert row["value_of_information"] is None and "labour cost" in row["voi_null_reason"]
    assert row["voi_rank"] is None


def test_a_service_without_a_headline_probability_keeps_its_row_and_reason():
    frame = _summary([("D", "CA", "o", "X", None, None, None, 5.0)])
    row = posterior(frame, evidence_links(frame, _used([]), P), P).row(0, named=True)
    assert row["posterior_mean"] is None and row["voi_null_reason"] == "no method covers it"


def test_the_invariants_pass_on_a_consistent_result_and_catch_a_missing_service():
    links = evidence_links(SERVICES, _used([]), P)
    result = posterior(SERVICES, links, P)
    assert evidence_invariant_failures(result, SERVICES.height) == []
    assert evidence_invariant_failures(result.head(4), SERVICES.height) != []


def test_parameters_come_from_the_assumptions_seed_rows():
    seed = pl.DataFrame({
        "parameter": ["pilot_quality_weight_high", "pilot_quality_weight_medium",
                      "pilot_quality_weight_low", "pilot_max_effective_observations",
                      "prior_min_concentration", "prior_max_concentration",
                      "evidence_weight_same_organisation", "evidence_weight_same_country",
                      "evidence_weight_other_country", "voi_reference_pilot_observations",
                      "access_assisted_share_threshold", "access_probability_threshold",
                      "workforce_high_automation_threshold", "redeployment_options_per_occupation",
                      "posterior_shift_report_threshold"],
        "value": ["0.9", "0.4", "0.1", "80", "3", "150", "0.6", "0.3", "0.05", "20", "0.3", "0.4",
                  "0.65", "3", "0.1"],
    })
    params = evidence_parameters_from_assumptions(seed)
    assert params.quality_weights() == {"high": 0.9, "medium": 0.4, "low": 0.1}
    assert params.redeployment_options == 3 and isinstance(params.redeployment_options, int)
    assert params.shift_report_threshold == 0.1
    with pytest.raises(ValueError, match="redeployment_options_per_occupation"):
        evidence_parameters_from_assumptions(seed.head(13))
    with pytest.raises(ValueError, match="posterior_shift_report_threshold"):
        evidence_parameters_from_assumptions(seed.head(14))


# --- activity-level pilots (issue 19) -----------------------------------------------------------

# Production of S1-S5 (scoring.fct_service_activity): share of hours and top-down probability.
# S1 and S2 spend half their hours on correspondence (probability 0.4), S3 a quarter, S4 all of
# them; S5 has none.
ACTIVITIES = pl.DataFrame(
    [
        ("S1", "corr", 0.5, 0.4), ("S1", "intake", 0.5, 0.8),
        ("S2", "corr", 0.5, 0.4), ("S2", "intake", 0.5, 0.8),
        ("S3", "corr", 0.25, 0.4), ("S3", "intake", 0.75, 0.667),
        ("S4", "corr", 1.0, 0.6),
        ("S5", "intake", 1.0, 0.6),
    ],
    schema={"service_key": pl.String, "activity_id": pl.String, "share_of_service_hours": pl.Float64,
            "probability": pl.Float64},
    orient="row",
).with_columns(pl.lit("2023-2024").alias("fiscal_year"))


def test_an_activity_pilot_informs_each_service_in_proportion_to_its_hours_in_the_activity():
    # A pilot of organisation A in Canada saved 80% of correspondence time, 100 cases, high
    # quality: n = 100. It reaches every service with correspondence hours, whatever its archetype.
    used = _used([{"evidence_id": "E1", "archetype_id": None, "activity_ids": "corr",
                   "country_code": "CA", "organisation_code": "A", "measured_value": 0.8,
                   "sample_size": 100}])
    links = {r["service_key"]: r for r in evidence_links(SERVICES, used, P, ACTIVITIES).iter_rows(named=True)}
    assert set(links) == {"S1", "S2", "S3", "S4"}  # S5 has no correspondence
    assert links["S1"]["link_type"] == links["S2"]["link_type"] == "same_organisation"
    assert (links["S3"]["link_type"], links["S4"]["link_type"]) == ("same_country", "other_country")
    # S1: h = 0.5, p = 0.4: observes 0.6 + 0.5 x (0.8 - 0.4) = 0.8 with 0.5 x 100 x 0.5 = 25
    assert links["S1"]["observed_share"] == pytest.approx(0.8)
    assert links["S1"]["weighted_observations"] == pytest.approx(25.0)
    assert links["S1"]["assumption_ids"].endswith("A136")
    # S3: h = 0.25: 0.6 + 0.25 x 0.4 = 0.7 with 0.25 x 100 x 0.25 = 6.25
    assert links["S3"]["observed_share"] == pytest.approx(0.7)
    assert links["S3"]["weighted_observations"] == pytest.approx(6.25)
    # S4 abroad: all its hours, p = 0.6: observes 0.8 with 0.1 x 100 x 1 = 10
    assert links["S4"]["observed_share"] == pytest.approx(0.8)
    assert links["S4"]["weighted_observations"] == pytest.approx(10.0)
    result = {r["service_key"]: r for r in posterior(
        SERVICES, evidence_links(SERVICES, used, P, ACTIVITIES), P).iter_rows(named=True)}
    # S1: alpha 13.8 + 25 x 0.8 = 33.8 over 23 + 25 = 48
    assert result["S1"]["posterior_mean"] == pytest.approx(33.8 / 48)
    assert result["S1"]["evidence_mean_share"] == pytest.approx(0.8)
    assert result["S5"]["posterior_shift"] == 0.0


def test_a_high_quality_pilot_moves_a_linked_service_toward_its_effect_and_a_vendor_claim_barely():
    # S4 does nothing but correspondence (h = 1, p = 0.6 = its prior mean), so it observes the
    # pilot's own share. A randomised trial (100 observations) finding 0.2 pulls it from 0.6 two
    # thirds of the way when run in its own organisation; a vendor claim of 0.2 with no published
    # sample (one setting, A135: 0.2 observations) moves it by less than 0.01.
    def shifted(quality: str, sample: int) -> dict:
        used = _used([{"evidence_id": "E1", "archetype_id": None, "activity_ids": "corr",
                       "country_code": "UK", "organisation_code": "U", "measured_value": 0.2,
                       "sample_size": sample, "quality_rating": quality}])
        result = posterior(SERVICES, evidence_links(SERVICES, used, P, ACTIVITIES), P)
        return result.filter(pl.col("service_key") == "S4").row(0, named=True)

    trial, claim = shifted("high", 100), shifted("low", 1)
    # trial: weight 0.5 x 100 = 50; alpha 13.8 + 10 = 23.8 over 73 = 0.326
    assert trial["posterior_mean"] == pytest.approx(23.8 / 73)
    assert trial["posterior_shift"] < -0.25 and trial["is_shift_reported"]
    assert abs(trial["posterior_mean"] - 0.2) < abs(trial["prior_mean"] - 0.2)
    # claim: weight 0.5 x 0.2 x 1 = 0.1; alpha 13.8 + 0.02 over 23.1
    assert claim["posterior_mean"] == pytest.approx(13.82 / 23.1)
    assert -0.01 < claim["posterior_shift"] < 0 and not claim["is_shift_reported"]


def test_an_activity_pilot_on_an_activity_no_service_has_makes_no_link():
    used = _used([{"evidence_id": "E1", "archetype_id": None, "activity_ids": "unheard_of",
                   "country_code": "UK", "measured_value": 0.5, "sample_size": 10}])
    assert used["is_usable"].all()
    assert evidence_links(SERVICES, used, P, ACTIVITIES).is_empty()
    assert evidence_links(SERVICES, used, P).is_empty()  # no production given: nothing to link


def test_the_run_summary_counts_pilots_used_links_and_posteriors_moved_beyond_the_threshold():
    used = _used([
        {"evidence_id": "E1", "archetype_id": None, "activity_ids": "corr", "country_code": "UK",
         "organisation_code": "U", "measured_value": 0.2, "sample_size": 100},
        {"evidence_id": "E2", "measure": "minutes_saved_per_transaction", "measured_value": 5.0,
         "sample_size": 10},  # no baseline: kept, not used
    ])
    links = evidence_links(SERVICES, used, P, ACTIVITIES)
    result = posterior(SERVICES, links, P)
    line = evidence_summary(used, links, result, P)
    moved = result.filter(pl.col("is_shift_reported"))
    # S4 (same organisation, all its hours) drops from 0.6 to 0.326; S1-S3 move less than 0.05
    assert moved["service_key"].to_list() == ["S4"]
    assert line == "1 of 2 pilots used, 4 links to 4 services, 1 posteriors moved by more than 0.05 (0 up, 1 down)"


def test_a_lower_bound_informs_only_services_whose_top_down_probability_is_below_it():
    # Staff report saving 50% of correspondence time with a general-purpose assistant: at least
    # that share can be saved (A138). S1-S3 put correspondence at 0.4, below the bound: they observe
    # it as a measurement would. S4 puts it at 0.6, above: the bound says nothing there.
    def links_for(lower: bool) -> dict:
        used = _used([{"evidence_id": "E1", "archetype_id": None, "activity_ids": "corr",
                       "country_code": "CA", "organisation_code": "A", "measured_value": 0.5,
                       "sample_size": 100, "is_lower_bound": lower}])
        return {r["service_key"]: r for r in evidence_links(SERVICES, used, P, ACTIVITIES).iter_rows(named=True)}

    bound, measured = links_for(True), links_for(False)
    assert set(measured) == {"S1", "S2", "S3", "S4"}
    assert set(bound) == {"S1", "S2", "S3"}
    assert bound["S1"]["observed_share"] == pytest.approx(measured["S1"]["observed_share"])
    used = _used([{"evidence_id": "E1", "archetype_id": None, "activity_ids": "corr",
                   "country_code": "CA", "organisation_code": "A", "measured_value": 0.5,
                   "sample_size": 100, "is_lower_bound": True}])
    result = {r["service_key"]: r for r in posterior(
        SERVICES, evidence_links(SERVICES, used, P, ACTIVITIES), P).iter_rows(named=True)}
    assert result["S4"]["posterior_shift"] == 0.0


def test_a_pilot_row_without_the_lower_bound_column_is_a_measurement():
    used = _used([{"evidence_id": "E1", "measured_value": 0.3, "sample_size": 10}])
    assert used["is_lower_bound"].to_list() == [False]


def test_beta_quantiles_from_the_arrays_equal_those_element_by_element_to_the_bit():
    """Issue 18: beta_quantile calls scipy's ufunc once on the arrays instead of once a service."""
    from scipy.special import betaincinv

    from scoring.evidence import beta_quantile

    rng = np.random.default_rng(3)
    alpha = rng.uniform(0.05, 400, 2000).tolist()
    beta = rng.uniform(0.05, 400, 2000).tolist()
    alpha[5], beta[9], alpha[11], beta[11] = None, None, None, None
    for q in (0.05, 0.5, 0.95):
        got = beta_quantile(pl.Series(alpha), pl.Series(beta), q).to_list()
        expected = [None if a is None or b is None else float(betaincinv(a, b, q))
                    for a, b in zip(alpha, beta, strict=True)]
        assert got == expected
