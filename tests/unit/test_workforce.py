"""Workforce transitions (scoring/workforce.py) on hand-made occupations, with the similarity and
FTE arithmetic worked out by hand in the comments."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from scoring.evidence_parameters import EvidenceParameters
from scoring.parameters import Parameters
from scoring.production import service_occupation_mix
from scoring.workforce import (
    cosine_similarity,
    occupation_outlook,
    occupation_probability,
    organisation_occupation_fte,
    organisation_occupation_fte_by_activity,
    profile_matrix,
    redeployment_options,
)

E = EvidenceParameters(workforce_high_automation_threshold=0.6)  # A112 set to 0.6 here; A113 = 5
P = Parameters()  # A055 = 0.5


def _measures(rows):
    return pl.DataFrame(rows, schema=["onet_soc_code", "measure_id", "value_01", "coverage_share"], orient="row")


def _profiles(profiles: dict[str, tuple[float, ...]], suppressed: set[tuple[str, int]] = frozenset()):
    rows = [
        (code, f"E{i}", value, (code, i) in suppressed)
        for code, values in profiles.items() for i, value in enumerate(values)
    ]
    return pl.DataFrame(rows, schema=["onet_soc_code", "element_id", "data_value", "recommend_suppress"], orient="row")


def _projections(rows):
    """(code, title, job zone, non-declining)"""
    return pl.DataFrame(
        [(c, t, z, n, 100.0, 5.0 if n else -5.0, "X", 5.0 if n else -5.0, None) for c, t, z, n in rows],
        schema={
            "onet_soc_code": pl.String, "occupation_title": pl.String, "job_zone": pl.Int64,
            "is_non_declining": pl.Boolean, "employment_2024_thousands": pl.Float64,
            "employment_change_24to34_percent": pl.Float64, "nem_code": pl.String,
            "employment_change_24to34_thousands": pl.Float64, "projection_null_reason": pl.String,
        },
        orient="row",
    )


def test_occupation_probability_is_the_mean_of_well_covered_headline_methods():
    probs = occupation_probability(_measures([
        ("X", "gpt4_beta", 0.5, 1.0),
        ("X", "frey_osborne_probability", 0.9, 1.0),
        ("X", "human_beta", 0.4, 0.3),            # covers 30% < A055: left out
        ("X", "rti_mihaylov_tijdens", 0.7, 1.0),  # an exposure index, not in the headline (A214)
        ("Y", "frey_osborne_probability", 0.99, 1.0),  # one method alone: no probability
    ]), P)
    row = probs.row(0, named=True)
    assert row["automation_probability"] == pytest.approx(0.7)  # mean of 0.5 and 0.9
    assert row["methods_used"] == 2
    assert row["methods_used_ids"] == "frey_osborne_probability,gpt4_beta"
    assert probs["onet_soc_code"].to_list() == ["X"]


def test_fte_by_organisation_and_occupation_adds_service_fte_times_occupation_share():
    services = pl.DataFrame({
        "service_key": ["S1", "S2", "S3"], "fiscal_year": ["2023-2024"] * 3,
        "country_code": ["CA", "CA", "UK"], "organisation_code": ["O1", "O1", "U"],
        "organisation_name": ["Org one", "Org one", "UK dept"], "fte": [10.0, 5.0, None],
    })
    mix = pl.DataFrame({
        "service_key": ["S1", "S1", "S2", "S3"], "fiscal_year": ["2023-2024"] * 4,
        "onet_soc_code": ["X", "Y", "X", "X"], "occupation_share": [0.4, 0.6, 1.0, 1.0],
    })
    probs = pl.DataFrame({"onet_soc_code": ["X", "Y"], "automation_probability": [0.7, 0.3]})
    out = {r["onet_soc_code"]: r for r in organisation_occupation_fte(services, mix, probs, E).iter_rows(named=True)}
    # X: 10 x 0.4 + 5 x 1.0 = 9 FTE, 9 x 0.7 = 6.3 automatable, all 9 highly automatable (0.7 >= A112)
    assert (out["X"]["fte"], out["X"]["automatable_fte"], out["X"]["highly_automatable_fte"]) == pytest.approx((9.0, 6.3, 9.0))
    assert out["X"]["services"] == 2 and out["X"]["is_highly_automatable"] is True
    # Y: 10 x 0.6 = 6 FTE, 1.8 automatable, none highly automatable
    assert (out["Y"]["fte"], out["Y"]["automatable_fte"], out["Y"]["highly_automatable_fte"]) == pytest.approx((6.0, 1.8, 0.0))
    assert set(out) == {"X", "Y"}  # the UK service has no FTE and adds nothing


def test_the_workforce_from_the_mix_equals_the_workforce_from_activity_hours():
    rows = pl.DataFrame({
        "service_key": ["S1", "S1", "S2", "S2", "S3", "S4"], "fiscal_year": ["2023-2024"] * 6,
        "activity_id": ["intake_mail", "domain_work", "intake_mail", "assess", "domain_work", "assess"],
        "hours": [30.0, 10.0, 5.0, 7.0, 4.0, 0.0],
    })
    activity_dwa = pl.DataFrame({"activity_id": ["intake_mail", "intake_mail", "assess"], "dwa_id": ["d1", "d2", "d3"]})
    dwa_tasks = pl.DataFrame({"dwa_id": ["d1", "d1", "d2", "d3", "d9"], "onet_soc_code": ["X", "Y", "X", "Z", "W"],
                              "task_weight_in_dwa": [0.5, 0.5, 1.0, 1.0, 1.0]})
    matches = pl.DataFrame({"service_key": ["S1", "S3", "S3"], "fiscal_year": ["2023-2024"] * 3,
                            "dwa_id": ["d9", "d9", "d1"], "match_score": [0.4, 0.3, 0.2], "is_used": [True, True, True]})
    services = pl.DataFrame({
        "service_key": ["S1", "S2", "S3", "S4"], "fiscal_year": ["2023-2024"] * 4, "country_code": ["CA"] * 4,
        "organisation_code": ["O1", "O1", "O2", "O1"], "organisation_name": ["One", "One", "Two", "One"],
        "fte": [10.0, 5.0, 2.0, 1.0],
    })
    probs = pl.DataFrame({"onet_soc_code": ["X", "Y", "Z", "W"], "automation_probability": [0.7, 0.3, 0.9, None]})
    whole = service_occupation_mix(rows, activity_dwa, matches, dwa_tasks)
    out = organisation_occupation_fte(services, whole, probs, E)
    assert out.filter((pl.col("organisation_code") == "O1") & (pl.col("onet_soc_code") == "X"))["services"].item() == 2
    # issue 18: the same rows from the activities' hours, without the services x occupations mix
    assert_frame_equal(organisation_occupation_fte_by_activity(services, rows, activity_dwa, matches, dwa_tasks, probs, E),
                       out, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
    empty = organisation_occupation_fte(services, whole.head(0), probs, E)
    assert empty.height == 0 and empty.columns == out.columns
    unstaffed = services.with_columns(pl.lit(None, pl.Float64).alias("fte"))
    none = organisation_occupation_fte_by_activity(unstaffed, rows, activity_dwa, matches, dwa_tasks, probs, E)
    assert none.height == 0 and none.schema == out.schema


# Profiles built so that the element means are 3 and the centred vectors are
# A (1, -1, 0), B (1, 0, -1), C (-1, 1, 0), D (-1, 0, 1), each of norm sqrt 2:
# cos(A, B) = 1 / 2, cos(A, C) = -2 / 2 = -1, cos(A, D) = -1 / 2, cos(B, D) = -1, cos(C, D) = 1 / 2.
PROFILES = {"A": (4, 2, 3), "B": (4, 3, 2), "C": (2, 4, 3), "D": (2, 3, 4)}


def test_similarity_is_the_cosine_of_profiles_centred_on_each_elements_mean():
    codes, centred = profile_matrix(_profiles(PROFILES))
    assert codes == ["A", "B", "C", "D"]
    np.testing.assert_allclose(centred[0], [1.0, -1.0, 0.0])
    sim = cosine_similarity(centred)
    assert sim[0, 1] == pytest.approx(0.5)
    assert sim[0, 2] == pytest.approx(-1.0)
    assert sim[0, 3] == pytest.approx(-0.5)
    assert sim[2, 3] == pytest.approx(0.5)


def test_a_suppressed_rating_counts_as_the_elements_mean():
    # B's second element is suppressed: mean of that element over A, C, D is (2 + 4 + 3) / 3 = 3,
    # so B's centred value there is 0, as if it were rated at the mean.
    codes, centred = profile_matrix(_profiles(PROFILES, suppressed={("B", 1)}))
    assert centred[codes.index("B"), 1] == pytest.approx(0.0)


def test_options_are_the_most_similar_lower_probability_growing_occupations():
    probs = pl.DataFrame({"onet_soc_code": ["A", "B", "C", "D"], "automation_probability": [0.8, 0.3, 0.2, 0.1]})
    projections = _projections([("A", "Clerk", 2, False), ("B", "Analyst", 3, True),
                                ("C", "Declining job", 2, False), ("D", "Carer", 2, True)])
    options = redeployment_options(probs, _profiles(PROFILES), projections, E,
                                   pl.DataFrame({"onet_soc_code": ["A", "A"], "fte": [2.0, 3.0]}))
    # A is the only source (0.8 >= 0.6); C declines, so B (0.5) then D (-0.5).
    assert options["target_onet_soc_code"].to_list() == ["B", "D"]
    assert options["similarity"].to_list() == pytest.approx([0.5, -0.5])
    assert options["option_rank"].to_list() == [1, 2]
    first = options.row(0, named=True)
    assert first["probability_reduction"] == pytest.approx(0.5)
    assert first["source_public_service_fte"] == pytest.approx(5.0)


def test_an_option_must_also_be_below_the_high_automation_threshold_and_the_options_are_capped():
    probs = pl.DataFrame({"onet_soc_code": ["A", "B", "C", "D"], "automation_probability": [0.9, 0.65, 0.2, 0.1]})
    projections = _projections([("A", "a", 2, True), ("B", "b", 2, True), ("C", "c", 2, True), ("D", "d", 2, True)])
    options = redeployment_options(probs, _profiles(PROFILES), projections, E.override(redeployment_options=1))
    by_source = {r["source_onet_soc_code"]: r["target_onet_soc_code"] for r in options.iter_rows(named=True)}
    # B (0.65) is itself highly automatable: a source, never an option. A's best is then D (-0.5)
    # over C (-1); B's best is D (cos(B, D) = -1) or C (cos(B, C) = -0.5): C.
    assert by_source == {"A": "D", "B": "C"}


def test_the_outlook_flags_highly_automatable_occupations_beside_their_projection():
    probs = pl.DataFrame({"onet_soc_code": ["A", "B"], "automation_probability": [0.6, 0.59]})
    out = occupation_outlook(probs, _projections([("A", "a", 2, True), ("B", "b", 2, False), ("C", "c", 1, True)]), E)
    assert out["is_highly_automatable"].to_list() == [True, False, False]
    assert out.filter(pl.col("onet_soc_code") == "C")["probability_null_reason"].item().startswith("no method")


def test_the_workforce_check_wants_fte_conserved_per_organisation_and_options_that_follow_the_rules():
    from scoring.workforce import workforce_problems

    services = pl.DataFrame({"country_code": ["CA", "CA"], "organisation_code": ["O", "O"],
                             "fiscal_year": ["2023-2024"] * 2, "fte": [3.0, None]})
    workforce = pl.DataFrame({"country_code": ["CA", "CA"], "organisation_code": ["O", "O"],
                              "fiscal_year": ["2023-2024"] * 2, "fte": [1.0, 2.0]})
    options = pl.DataFrame({"similarity": [0.5], "source_probability": [0.9], "target_probability": [0.2]})
    assert workforce_problems(services, workforce, options) == []
    lost = workforce.with_columns(pl.lit(1.0).alias("fte"))
    assert workforce_problems(services, lost, options) == [
        "1 organisations whose occupation FTE does not add up to their services' FTE"]
    upside_down = options.with_columns(pl.lit(0.95).alias("target_probability"), pl.lit(1.5).alias("similarity"))
    assert workforce_problems(services, workforce, upside_down) == [
        "similarity outside [-1, 1]", "an option is not less automatable than its source"]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_workforce_from_activity_hours_equals_the_workforce_from_the_service_occupation_mix(seed):
    """Issue 18: organisation_occupation_fte_by_activity against the mix it replaces, on services
    drawn at random: some without FTE, hours of zero, an activity without DWA tasks, domain work
    with and without used matches, domain occupations that the general activities also reach, two
    fiscal years and organisations whose services share their sets of activities."""
    rng = np.random.default_rng(seed)
    activities = ["intake", "assess", "decide", "notify", "archive"]  # archive has no DWA task
    activity_dwa = pl.DataFrame({"activity_id": ["intake", "intake", "assess", "decide", "notify", "archive"],
                                 "dwa_id": ["d1", "d2", "d3", "d3", "d4", "d8"]})
    dwa_tasks = pl.DataFrame({"dwa_id": ["d1", "d1", "d2", "d3", "d3", "d4", "d5", "d5", "d6"],
                              "onet_soc_code": ["A", "B", "A", "C", "D", "E", "B", "F", "G"],
                              "task_weight_in_dwa": [0.25, 0.75, 1.0, 0.5, 0.5, 1.0, 0.3, 0.7, 1.0]})
    services, rows, matches = [], [], []
    for i in range(80):
        key, year = f"S{i // 2}", ["2022-2023", "2023-2024"][i % 2]  # a service in two fiscal years
        services.append({"service_key": key, "fiscal_year": year, "country_code": "CA" if i % 7 else "UK",
                         "organisation_code": f"O{i % 3}", "organisation_name": f"Org {i % 3}",
                         "fte": None if i % 11 == 0 else float(rng.uniform(0.5, 40))})
        for activity in [*rng.choice(activities, size=rng.integers(0, 4), replace=False), "domain_work"]:
            rows.append({"service_key": key, "fiscal_year": year, "activity_id": str(activity),
                         "hours": float(rng.choice([0.0, rng.uniform(1, 500)], p=[0.15, 0.85]))})
        for dwa in rng.choice(["d1", "d5", "d6", "d9"], size=rng.integers(0, 3), replace=False):
            matches.append({"service_key": key, "fiscal_year": year, "dwa_id": str(dwa),
                            "match_score": float(rng.uniform(0.1, 1)), "is_used": bool(rng.random() < 0.8)})
    services = pl.DataFrame(services, schema_overrides={"fte": pl.Float64})
    rows, matches = pl.DataFrame(rows), pl.DataFrame(matches)
    probs = pl.DataFrame({"onet_soc_code": ["A", "B", "C", "D", "E", "F"],
                          "automation_probability": [0.7, 0.3, 0.9, None, 0.75, 0.1]})
    mix = service_occupation_mix(rows, activity_dwa, matches, dwa_tasks)
    expected = organisation_occupation_fte(services, mix, probs, E)
    assert expected.height > 20 and expected["services"].max() > 5
    assert_frame_equal(organisation_occupation_fte_by_activity(services, rows, activity_dwa, matches, dwa_tasks, probs, E),
                       expected, check_exact=False, rel_tol=1e-12, abs_tol=1e-12)
