"""The production model (scoring/production.py) on tiny hand-made frames, values worked out by hand."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import polars as pl
import pytest

from scoring.production import (
    ProductionParameters,
    activity_minutes,
    calibrate,
    fit_scales,
    match_domain_work,
    minutes_per_transaction,
    model_volumes,
    programme_ceiling,
    public_sector_dwas,
    service_activity_units,
    service_hours,
    service_occupation_mix,
    unit_parts,
    units_from_parts,
)

MINUTES = {
    "intake_online": (1.0, 0.5, 2.0), "intake_mail": (10.0, 5.0, 20.0), "intake_phone": (6.0, 4.0, 9.0),
    "enquiry_phone": (5.0, 4.0, 7.0), "web_content": (0.1, 0.05, 0.2),
    "identity_eligibility_check": (4.0, 2.0, 8.0), "grant_assessment_monitoring": (100.0, 50.0, 200.0),
    "payment_processing": (2.0, 1.0, 4.0), "issuance_notification": (3.0, 2.0, 6.0),
    "record_update": (2.0, 1.0, 4.0), "review_appeal_complaint": (50.0, 20.0, 100.0),
    "assessment_decision": (20.0, 10.0, 40.0),
}
PARAMS = ProductionParameters(unit_minutes=MINUTES)

ACTIVITIES = pl.DataFrame(
    {
        "activity_id": [*MINUTES, "domain_work"],
        "stage": ["intake", "intake", "intake", "enquiry", "enquiry", "processing", "processing", "output",
                  "output", "processing", "aftercare", "processing", "processing"],
    }
)

TYPE_RULES = pl.DataFrame(
    [
        ("CA", "GNC", "identity_eligibility_check", 1.0),
        ("CA", "GNC", "grant_assessment_monitoring", 1.0),
        ("CA", "GNC", "issuance_notification", 1.0),
        ("CA", "GNC", "review_appeal_complaint", 0.02),
        ("CA", "RES", "issuance_notification", 1.0),
        ("UK", "Providing/reporting information", "record_update", 1.0),
    ],
    schema=["country_code", "native_service_type", "activity_id", "units_per_application"],
    orient="row",
)

SERVICE_COLUMNS = {
    "service_key": pl.String, "fiscal_year": pl.String, "country_code": pl.String,
    "organisation_code": pl.String, "service_name": pl.String, "service_description": pl.String,
    "native_service_types": pl.String, "recipient_type": pl.String, "client_target_groups": pl.String,
    "applications_total": pl.Int64, "applications_online": pl.Int64, "applications_phone": pl.Int64,
    "applications_in_person": pl.Int64, "applications_mail": pl.Int64, "applications_email": pl.Int64,
    "applications_fax": pl.Int64, "applications_other": pl.Int64, "applications_unspecified": pl.Int64,
    "phone_enquiries": pl.Int64, "website_visits": pl.Int64, "has_service_fee": pl.Boolean,
    "uses_sin": pl.Boolean, "uses_business_number": pl.Boolean, "is_online_application": pl.Boolean,
    "is_online_decision": pl.Boolean, "is_online_issuance": pl.Boolean,
}


def _services(rows: list[dict]) -> pl.DataFrame:
    return pl.DataFrame([{c: r.get(c) for c in SERVICE_COLUMNS} for r in rows], schema=SERVICE_COLUMNS)


def _units(services: pl.DataFrame) -> dict[tuple[str, str], float]:
    modelled = services.select("service_key", "fiscal_year").with_columns(
        pl.lit(50.0).alias("volume_modelled"), pl.lit(5.0).alias("volume_modelled_low"),
        pl.lit(500.0).alias("volume_modelled_high"),
    )
    units = service_activity_units(services, TYPE_RULES, modelled, PARAMS)
    return {(r["service_key"], r["activity_id"]): r["units"] for r in units.iter_rows(named=True)}


def test_a_grant_service_with_a_fee_and_the_sin_gets_intake_by_channel_and_every_processing_step():
    services = _services([dict(
        service_key="CA-1", fiscal_year="2023-2024", country_code="CA", native_service_types="GNC,RES",
        applications_total=15, applications_online=10, applications_mail=5, applications_unspecified=0,
        phone_enquiries=7, has_service_fee=True, uses_sin=True,
    )])
    units = _units(services)
    assert units[("CA-1", "intake_online")] == 10
    assert units[("CA-1", "intake_mail")] == 5
    assert units[("CA-1", "enquiry_phone")] == 7
    assert units[("CA-1", "grant_assessment_monitoring")] == 15
    # GNC and RES both bring issuance: the larger units, not the sum
    assert units[("CA-1", "issuance_notification")] == 15
    assert units[("CA-1", "review_appeal_complaint")] == pytest.approx(0.3)
    # the fee adds a payment per application; the identity check comes from GNC already
    assert units[("CA-1", "payment_processing")] == 15
    assert units[("CA-1", "identity_eligibility_check")] == 15


def test_unreported_channels_split_online_only_where_the_application_stage_is_online():
    services = _services([
        dict(service_key="CA-2", fiscal_year="y", country_code="CA", native_service_types="RES",
             applications_total=20, applications_online=10, applications_unspecified=10, is_online_application=True),
        dict(service_key="CA-3", fiscal_year="y", country_code="CA", native_service_types="RES",
             applications_total=20, applications_unspecified=20, is_online_application=False),
    ])
    units = _units(services)
    assert units[("CA-2", "intake_online")] == 15  # 10 reported + half of 10 (A206)
    assert units[("CA-2", "intake_mail")] == 5
    assert ("CA-3", "intake_online") not in units
    assert units[("CA-3", "intake_mail")] == 20


@pytest.mark.parametrize("online_share", [0.0, 0.3, 0.5, 1.0])
def test_the_units_grouped_only_where_an_activity_is_fed_twice_are_those_of_grouping_every_row(online_share):
    services = _services([
        # intake_online fed twice (reported and from the split), intake_mail twice at a share under 1
        dict(service_key="CA-2", fiscal_year="y", country_code="CA", native_service_types="RES",
             applications_total=30, applications_online=10, applications_mail=4, applications_unspecified=16,
             is_online_application=True, has_service_fee=True, uses_sin=True, phone_enquiries=3),
        dict(service_key="CA-3", fiscal_year="y", country_code="CA", native_service_types="GNC,RES",
             applications_total=20, applications_unspecified=20, is_online_application=False, website_visits=9),
        dict(service_key="UK-a", fiscal_year="y", country_code="UK", native_service_types="Providing/reporting information",
             applications_total=100, applications_online=60, applications_unspecified=40),
        dict(service_key="UK-b", fiscal_year="y", country_code="UK", native_service_types=None),
    ])
    modelled = services.select("service_key", "fiscal_year").with_columns(
        pl.lit(50.0).alias("volume_modelled"), pl.lit(5.0).alias("volume_modelled_low"),
        pl.lit(500.0).alias("volume_modelled_high"),
    )
    params = dataclasses.replace(PARAMS, unspecified_online_share=online_share)
    parts = unit_parts(services, TYPE_RULES, modelled)
    fast = units_from_parts(parts, params)
    assert fast.equals(units_from_parts(parts, params, group_all=True))
    assert fast.equals(service_activity_units(services, TYPE_RULES, modelled, params))
    twice = fast.filter(pl.col("units_source").str.contains("; "))
    # the case the fast path exists for is reached: sums of two sources, in the sources' order
    expected = {("CA-2", "intake_online")} if online_share > 0 else set()
    expected |= {("CA-2", "intake_mail")} if online_share < 1 else set()
    assert set(zip(twice["service_key"], twice["activity_id"], strict=True)) == expected
    online = fast.filter((pl.col("service_key") == "CA-2") & (pl.col("activity_id") == "intake_online"))
    assert online["units"].item() == pytest.approx(10 + 16 * online_share)


def test_a_uk_service_splits_digital_and_assisted_transactions_and_a_silent_one_gets_a_modelled_volume():
    services = _services([
        dict(service_key="UK-a", fiscal_year="2012-2013", country_code="UK",
             native_service_types="Providing/reporting information",
             applications_total=100, applications_online=60, applications_unspecified=40),
        dict(service_key="UK-b", fiscal_year="2012-2013", country_code="UK", native_service_types=None),
    ])
    units = _units(services)
    assert units[("UK-a", "intake_online")] == 60
    assert units[("UK-a", "intake_mail")] == 40
    assert units[("UK-a", "record_update")] == 100
    # no volume at all: the modelled 50 applications, as paper, with the labelled fallback process
    assert units[("UK-b", "intake_mail")] == 50
    assert units[("UK-b", "record_update")] == 50


def test_the_volume_model_gives_identical_services_identical_volumes_and_an_interval_around_them():
    rows = []
    for i in range(40):
        rows.append(dict(service_key=f"CA-{i:02d}", fiscal_year="y", country_code="CA", organisation_code="o",
                         native_service_types="GNC" if i % 2 else "INFO", applications_total=1000 if i % 2 else 10))
    rows += [dict(service_key="CA-x", fiscal_year="y", country_code="CA", organisation_code="o", native_service_types="GNC"),
             dict(service_key="CA-y", fiscal_year="y", country_code="CA", organisation_code="o", native_service_types="GNC")]
    modelled, diagnostics = model_volumes(_services(rows))
    x, y = (modelled.filter(pl.col("service_key") == k).row(0, named=True) for k in ("CA-x", "CA-y"))
    assert x["volume_modelled"] == y["volume_modelled"]
    assert x["volume_modelled_low"] < x["volume_modelled"] < x["volume_modelled_high"]
    # the type explains the volume exactly, up to the ridge's shrinkage towards the mean (log 10 to 1000)
    assert abs(math.log(x["volume_modelled"] / 1000)) < 0.15
    assert diagnostics["volume_model_services_fitted"] == 40
    assert diagnostics["volume_model_oos_median_abs_log_error"] < 0.2


def test_the_calibration_recovers_known_scales_and_its_leave_one_out_error_is_zero_on_exact_data():
    front = np.array([1.0, 2.0, 4.0, 1.0])
    back = np.array([3.0, 1.0, 2.0, 5.0])
    target = 2.0 * front + 0.5 * back
    a, b = fit_scales(front, back, target)
    assert (a, b) == pytest.approx((2.0, 0.5), rel=1e-6)
    per_minute = PARAMS.uk_cost_per_hour / 60
    per_tx = pl.DataFrame({"service_key": list("abcd"), "fiscal_year": ["y"] * 4,
                           "front_minutes_per_transaction": front, "back_minutes_per_transaction": back})
    reported = pl.DataFrame({"service_key": list("abcd"), "fiscal_year": ["y"] * 4, "service_name": list("abcd"),
                             "cost_per_transaction_gbp": target * per_minute / PARAMS.uk_labour_share,
                             "cost_round": ["2012-Q4"] * 4})
    a, b, table, diagnostics = calibrate(per_tx, reported, PARAMS)
    assert diagnostics["calibration_loo_median_abs_log_ratio"] == pytest.approx(0.0, abs=1e-6)
    assert table["loo_log_ratio"].abs().max() < 1e-6


def test_without_leave_one_out_the_calibration_gives_the_same_scales_and_predictions():
    """The sensitivity analysis skips the leave-one-out fits: nothing it reads may change."""
    rng = np.random.default_rng(7)
    front, back = rng.uniform(0.5, 5, 12), rng.uniform(0.5, 5, 12)
    target = (1.7 * front + 0.6 * back) * rng.lognormal(0, 0.4, 12)
    per_minute = PARAMS.uk_cost_per_hour / 60
    keys = [f"s{i}" for i in range(12)]
    per_tx = pl.DataFrame({"service_key": keys, "fiscal_year": ["y"] * 12,
                           "front_minutes_per_transaction": front, "back_minutes_per_transaction": back})
    reported = pl.DataFrame({"service_key": keys, "fiscal_year": ["y"] * 12, "service_name": keys,
                             "cost_per_transaction_gbp": target * per_minute / PARAMS.uk_labour_share,
                             "cost_round": ["2012-Q4"] * 12})
    a, b, table, diagnostics = calibrate(per_tx, reported, PARAMS)
    a2, b2, table2, diagnostics2 = calibrate(per_tx, reported, PARAMS, leave_one_out=False)
    assert (a2, b2) == (a, b)
    assert table2["predicted_cost_per_transaction_gbp"].to_list() == table["predicted_cost_per_transaction_gbp"].to_list()
    assert table2["loo_predicted_cost_per_transaction_gbp"].null_count() == 12
    assert table["loo_predicted_cost_per_transaction_gbp"].null_count() == 0
    assert {k: v for k, v in diagnostics.items() if "loo" not in k} == diagnostics2


def test_minutes_per_transaction_separate_front_and_back_office():
    units = pl.DataFrame({"service_key": ["s", "s", "s"], "fiscal_year": ["y"] * 3,
                          "activity_id": ["intake_mail", "intake_online", "record_update"],
                          "units": [4.0, 6.0, 10.0]})
    per_tx = minutes_per_transaction(units, activity_minutes(ACTIVITIES, PARAMS),
                                     pl.DataFrame({"service_key": ["s"], "fiscal_year": ["y"], "volume": [10.0]}))
    row = per_tx.row(0, named=True)
    assert row["front_minutes_per_transaction"] == pytest.approx((4 * 10 + 6 * 1) / 10)
    assert row["back_minutes_per_transaction"] == pytest.approx(10 * 2 / 10)


def _hours(units_rows, matched=(), scales=(1.0, 1.0), params=PARAMS):
    units = pl.DataFrame(units_rows, schema=["service_key", "fiscal_year", "activity_id", "units"], orient="row").with_columns(
        pl.lit("reported").alias("volume_basis"), pl.lit("test").alias("units_source"))
    matches = pl.DataFrame({"service_key": [m for m in matched], "fiscal_year": ["y"] * len(matched),
                            "dwa_id": ["d"] * len(matched), "match_score": [0.5] * len(matched),
                            "is_used": [True] * len(matched)},
                           schema={"service_key": pl.String, "fiscal_year": pl.String, "dwa_id": pl.String,
                                   "match_score": pl.Float64, "is_used": pl.Boolean})
    return service_hours(units, activity_minutes(ACTIVITIES, params), matches, scales, params)


def test_hours_are_units_times_calibrated_minutes_and_domain_work_takes_its_share_of_the_back_office():
    rows = [("s", "y", "intake_mail", 60.0), ("s", "y", "assessment_decision", 30.0)]
    plain = {r["activity_id"]: r["hours"] for r in _hours(rows, scales=(0.5, 2.0)).iter_rows(named=True)}
    assert plain == pytest.approx({"intake_mail": 60 * 10 * 0.5 / 60, "assessment_decision": 30 * 20 * 2 / 60})
    with_domain = {r["activity_id"]: r["hours"] for r in _hours(rows, matched=["s"]).iter_rows(named=True)}
    back = 30 * 20 / 60
    assert with_domain["domain_work"] == pytest.approx(back * PARAMS.domain_share)
    assert with_domain["assessment_decision"] == pytest.approx(back * (1 - PARAMS.domain_share))
    assert with_domain["intake_mail"] == pytest.approx(60 * 10 / 60)  # the front office is untouched


def test_doubling_every_unit_time_doubles_hours():
    rows = [("s", "y", "intake_mail", 60.0), ("s", "y", "assessment_decision", 30.0), ("s", "y", "web_content", 1000.0)]
    double = ProductionParameters(unit_minutes={a: (2 * v, 2 * lo, 2 * hi) for a, (v, lo, hi) in MINUTES.items()})
    base = _hours(rows, matched=["s"]).sort("activity_id")
    doubled = _hours(rows, matched=["s"], params=double).sort("activity_id")
    assert doubled["hours"].to_list() == pytest.approx([2 * h for h in base["hours"].to_list()])


def _links(rows):
    return pl.DataFrame(rows, schema=["service_key", "fiscal_year", "organisation_id", "programme_id",
                                      "is_programme_matched", "programme_actual_fte"], orient="row")


def test_programme_fte_cap_the_services_that_share_them_and_leave_the_rest_untouched():
    hpf = PARAMS.ca_hours_per_fte
    hours = pl.DataFrame({"service_key": ["a", "b", "c"], "fiscal_year": ["y"] * 3,
                          "hours": [1.5 * hpf, 0.5 * hpf, 4.0 * hpf]})
    links = _links([
        ("a", "y", "1", "P", True, 1.0),  # a and b need 2 FTE, P has 1: both halved
        ("b", "y", "1", "P", True, 1.0),
        ("c", "y", "1", "Q", True, 10.0),  # c is in two programmes: 2 FTE in Q (room), 2 in R (cap 1)
        ("c", "y", "1", "Z", True, 0.0),  # a programme with no staff holds none of c's FTE
        ("c", "y", "1", "R", True, 1.0),
    ])
    out = {r["service_key"]: r for r in programme_ceiling(hours, links, PARAMS).iter_rows(named=True)}
    assert out["a"]["fte_delivery"] == pytest.approx(0.75)
    assert out["b"]["fte_delivery"] == pytest.approx(0.25)
    # c takes R's factor 0.5 (the smallest of its programmes'), so it still counts equally in each
    assert out["c"]["fte_delivery"] == pytest.approx(2.0)
    assert out["a"]["is_capped_by_programme_fte"] and out["c"]["is_capped_by_programme_fte"]
    # no programme's services exceed its FTE
    assert out["a"]["fte_delivery"] + out["b"]["fte_delivery"] <= 1.0 + 1e-12


def test_a_service_whose_every_programme_reports_zero_fte_keeps_none():
    hours = pl.DataFrame({"service_key": ["a"], "fiscal_year": ["y"], "hours": [100.0]})
    out = programme_ceiling(hours, _links([("a", "y", "1", "Z", True, 0.0)]), PARAMS).row(0, named=True)
    assert out["fte_delivery"] == 0.0 and out["is_capped_by_programme_fte"] is True


def test_an_unmatched_programme_sets_no_ceiling():
    hpf = PARAMS.ca_hours_per_fte
    hours = pl.DataFrame({"service_key": ["a"], "fiscal_year": ["y"], "hours": [5 * hpf]})
    out = programme_ceiling(hours, _links([("a", "y", None, "X", False, None)]), PARAMS).row(0, named=True)
    assert out["fte_delivery"] == pytest.approx(5.0)
    assert out["is_capped_by_programme_fte"] is False
    assert out["is_every_programme_ceiling_known"] is False


def _same_ceiling(got: pl.DataFrame, expected: pl.DataFrame) -> None:
    key = ["service_key", "fiscal_year"]
    got, expected = got.sort(key), expected.sort(key)
    assert got.schema == expected.schema and got.height == expected.height
    for column, dtype in expected.schema.items():
        if dtype == pl.Float64:
            assert got[column].is_null().equals(expected[column].is_null()), column
            assert np.allclose(got[column].fill_null(0).to_numpy(), expected[column].fill_null(0).to_numpy(),
                               rtol=1e-12, atol=0), column
        else:
            assert got[column].equals(expected[column]), column


def test_programme_links_as_arrays_give_programme_ceilings_frame():
    """Issue 18: ProgrammeLinks.ceiling is programme_ceiling with the links worked out once: the
    same rows and values, in every case the function distinguishes."""
    from scoring.production import ProgrammeLinks

    hpf = PARAMS.ca_hours_per_fte
    links = _links([
        ("a", "y", "1", "P", True, 1.0),  # a and b over P's 1 FTE
        ("b", "y", "1", "P", True, 1.0),
        ("c", "y", "1", "Q", True, 10.0),  # c in Q (room), Z (zero: left out of k) and R (capped)
        ("c", "y", "1", "Z", True, 0.0),
        ("c", "y", "1", "R", True, 1.0),
        ("d", "y", "1", "Z", True, 0.0),  # only zero programmes: keeps no FTE
        ("e", "y", None, "X", False, None),  # unmatched: no ceiling, not known
        ("f", "y", "2", None, True, 3.0),  # a null programme id matches no programme: no ceiling
        ("g", "y", "2", "S", None, 2.0),  # matched unknown: S sets no ceiling, g's known-ness ignores it
        ("g", "y", "2", "T", True, 0.5),
        ("h", "y", "2", "T", False, 0.5),  # not matched, in a capped programme: T's factor still applies
        ("i", "z", "1", "P", True, 1.0),  # another year: another programme
        ("j", "y", "1", "P", True, 1.0),  # in P, but no hours: not a row, and no part of P's demand
        ("k", "y", "2", "U", True, 100.0),  # far under its ceiling: factor 1, capped and known
        ("l", "y", "2", "V", None, None),  # matched unknown, no FTE: not capped
    ])
    services = ["a", "b", "c", "d", "e", "f", "g", "h", "i", "k", "l", "m"]  # m: in no programme
    years = ["y"] * 8 + ["z", "y", "y", "y"]
    for scale in (0.1, 1.0, 7.0):
        hours = pl.DataFrame({"service_key": services, "fiscal_year": years,
                              "hours": [scale * hpf * (1 + i % 4) for i in range(len(services))]})
        # two rows for one service: its hours are summed
        hours = pl.concat([hours, pl.DataFrame({"service_key": ["a"], "fiscal_year": ["y"], "hours": [0.25 * hpf]})])
        expected = programme_ceiling(hours, links, PARAMS)
        got = ProgrammeLinks(links).ceiling(hours, PARAMS)
        _same_ceiling(got, expected)
    by_service = {r["service_key"]: r for r in got.iter_rows(named=True)}
    assert by_service["d"]["ceiling_factor"] == 0.0 and by_service["m"]["ceiling_factor"] == 1.0
    assert by_service["h"]["is_capped_by_programme_fte"] and not by_service["f"]["is_capped_by_programme_fte"]
    assert by_service["g"]["is_every_programme_ceiling_known"] and not by_service["e"]["is_every_programme_ceiling_known"]
    assert by_service["m"]["programme_fte_total"] is None and "j" not in by_service
    # random links: services in one to three programmes of a few, some zero, unmatched or unknown
    rng = np.random.default_rng(11)
    rows = []
    for i in range(300):
        for programme in rng.choice(12, size=int(rng.integers(1, 4)), replace=False):
            matched = [True, True, True, False, None][int(rng.integers(0, 5))]
            fte = None if rng.uniform() < 0.1 else (0.0 if programme == 0 else float(1 + programme))
            rows.append((f"s{i}", "y", "o", f"p{programme}", matched, fte))
    links = _links(rows)
    hours = pl.DataFrame({"service_key": [f"s{i}" for i in range(0, 320, 2)], "fiscal_year": ["y"] * 160,
                          "hours": rng.uniform(0, 3 * hpf, 160)})
    _same_ceiling(ProgrammeLinks(links).ceiling(hours, PARAMS), programme_ceiling(hours, links, PARAMS))


def test_the_text_match_finds_the_dwa_a_service_names_and_is_deterministic(monkeypatch):
    dwa_tasks = pl.DataFrame({
        "dwa_id": ["d1", "d2", "d3"],
        "dwa_title": ["Inspect food products.", "Answer telephones to direct calls.", "Conduct climatological research."],
        "task_statement": ["Inspect meat and poultry for contamination.", "Answer incoming calls.", "Study weather and drought."],
    })
    services = pl.DataFrame({"service_key": ["s", "t"], "fiscal_year": ["y", "y"],
                             "service_name": ["Food inspection", "Drought Watch"],
                             "service_description": ["Inspectors inspect food products and meat plants.",
                                                     "Research on drought and weather for farmers."]})
    first = match_domain_work(services, dwa_tasks, PARAMS)
    best = {r["service_key"]: r["dwa_id"] for r in first.filter(pl.col("match_rank") == 1).iter_rows(named=True)}
    assert best == {"s": "d1", "t": "d3"}
    assert first.equals(match_domain_work(services.reverse(), dwa_tasks, PARAMS))
    assert first.filter(pl.col("is_used"))["match_score"].min() >= PARAMS.domain_min_score
    # issue 18: scored a block of services at a time (here one service: 3 cells), the same matches
    import scoring.production as production

    monkeypatch.setattr(production, "MATCH_BLOCK_CELLS", 3)
    assert match_domain_work(services, dwa_tasks, PARAMS).equals(first)


def test_an_activitys_hours_spread_over_the_occupations_of_its_dwas():
    rows = pl.DataFrame({"service_key": ["s", "s"], "fiscal_year": ["y", "y"],
                         "activity_id": ["intake_mail", "domain_work"], "hours": [30.0, 10.0]})
    activity_dwa = pl.DataFrame({"activity_id": ["intake_mail", "intake_mail"], "dwa_id": ["d1", "d2"]})
    dwa_tasks = pl.DataFrame({"dwa_id": ["d1", "d1", "d2", "d9"], "onet_soc_code": ["A", "B", "A", "C"],
                              "task_weight_in_dwa": [0.5, 0.5, 1.0, 1.0]})
    matches = pl.DataFrame({"service_key": ["s"], "fiscal_year": ["y"], "dwa_id": ["d9"],
                            "match_score": [0.4], "is_used": [True]})
    mix = {r["onet_soc_code"]: r["occupation_share"]
           for r in service_occupation_mix(rows, activity_dwa, matches, dwa_tasks).iter_rows(named=True)}
    # intake: d1 and d2 in equal weights -> A 0.75, B 0.25; domain work all C
    assert mix == pytest.approx({"A": 30 * 0.75 / 40, "B": 30 * 0.25 / 40, "C": 10 / 40})
    assert math.isclose(sum(mix.values()), 1.0)


def test_the_text_match_keeps_to_work_public_administrations_do():
    # d1's occupation has 30% of its employment in government, d2's 1%, the economy 6.6%; d3 unknown
    dwa_tasks = pl.DataFrame({
        "dwa_id": ["d1", "d2", "d3"],
        "dwa_title": ["Register vital records.", "Operate cash registers.", "Register vessels."],
        "task_statement": ["Register births and deaths.", "Ring up sales on a register.", "Record vessel owners."],
        "task_weight_in_dwa": [1.0, 1.0, 1.0],
        "occupation_government_share": [0.30, 0.01, None],
        "all_occupations_government_share": [0.066, 0.066, 0.066],
    })
    kept = set(public_sector_dwas(dwa_tasks)["dwa_id"].to_list())
    assert kept == {"d1", "d3"}
    services = pl.DataFrame({"service_key": ["s"], "fiscal_year": ["y"], "service_name": ["Register industrial designs"],
                             "service_description": ["Registration of designs on a register."]})
    matched = match_domain_work(services, dwa_tasks, PARAMS)
    assert "d2" not in matched["dwa_id"].to_list()


def test_services_with_the_same_vector_are_scored_once_with_the_same_matches(monkeypatch):
    # issue 18: rank_domain_work scores each distinct vector once; the same matches as every row
    import scoring.production as production
    from scoring.production import domain_vectors, rank_domain_work

    dwa_tasks = pl.DataFrame({
        "dwa_id": ["d1", "d2", "d3"],
        "dwa_title": ["Inspect food products.", "Answer telephones to direct calls.", "Conduct climatological research."],
        "task_statement": ["Inspect meat and poultry for contamination.", "Answer incoming calls.", "Study weather and drought."],
    })
    services = pl.DataFrame({
        "service_key": ["s", "s2", "t", "t", "u"], "fiscal_year": ["y", "y", "y", "z", "y"],
        "service_name": ["Food inspection", "Food inspection (s2)", "Drought Watch", "Drought Watch", "Calls"],
        "service_description": ["Inspect food products.", "Inspect food products.", "Weather and drought research.",
                                "Weather and drought research.", "We answer calls about food."],
    })
    vectors = domain_vectors(services, dwa_tasks)
    first, inverse = production._distinct_rows(vectors.service_matrix)
    assert len(first) == 3 and inverse.tolist() == [0, 0, 1, 1, 2]  # "s2" is no DWA's word
    for k in (1, 2, 3):
        params = ProductionParameters(unit_minutes=MINUTES, domain_top_k=k)
        deduplicated = rank_domain_work(vectors, params)
        monkeypatch.setattr(production, "_distinct_rows",
                            lambda m: (np.arange(m.shape[0]), np.arange(m.shape[0])))
        every_row = rank_domain_work(vectors, params)
        monkeypatch.undo()
        assert deduplicated.equals(every_row)
        assert deduplicated.equals(match_domain_work(services, dwa_tasks, params))
        assert deduplicated["match_rank"].max() <= k


# Texts that reach every branch of count_terms: ASCII and not (accents, a combining mark, a
# superscript digit, a dotted capital I, Greek with a final sigma, CJK), stop words between two
# words (the bigram spans them), a repeated bigram, digits and underscores, one-letter tokens,
# punctuation only, empty, a stop word alone, one vocabulary word, newlines and tabs.
TERM_TEXTS = [
    "Register births and deaths. Register births online",
    "Renouvellement du passeport: Québec, Montréal and Île-d'Orléans",
    "Cafe\u0301 licence renewal (combining accent)",
    "Fish\u00b2 licences for m\u00b2 of water; H2O permits",
    "\u0130stanbul office: \u0130NSPECT cargo",
    "\u039f\u0394\u039f\u03a3 road permits \u03a3",
    "\u5e74\u91d1 pension payments",
    "Inspect food; the food of the inspect food inspect",
    "snake_case_id 2024 form T1-GEN, x y z",
    "...!!!",
    "",
    "the",
    "payments",
    "Apply\tfor\nemployment insurance\r\nbenefits",
]


@pytest.mark.parametrize("ngram_range", [(1, 1), (1, 2), (1, 3)])
def test_term_counts_made_in_polars_equal_scikit_learns_to_the_bit(ngram_range):
    """Issue 18: count_terms gives the matrix CountVectorizer.transform gives (the services' half of
    domain_vectors at 100x in 2 s rather than 13 s): the same indices, counts and sortedness."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, CountVectorizer

    from scoring.production import GENERIC_SERVICE_WORDS, count_terms

    fitted_on = ["Register births, deaths and marriages.", "Inspect food products and food premises.",
                 "Pay pension payments.", "Issue passports to citizens of Québec.", "Café licence renewal",
                 "Renew fish licences and permits.", "Process employment insurance benefits.",
                 "Inspect cargo.", "\u03a3 road permits", "snake_case_id 2024 form"]
    counter = CountVectorizer(stop_words=sorted(ENGLISH_STOP_WORDS | GENERIC_SERVICE_WORDS),
                              ngram_range=ngram_range, dtype=np.float64).fit(fitted_on)
    expected = counter.transform(TERM_TEXTS)
    got = count_terms(counter, TERM_TEXTS)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert np.array_equal(got.indptr, expected.indptr) and np.array_equal(got.indices, expected.indices)
    assert got.data.tobytes() == expected.data.tobytes()
    assert got.has_sorted_indices and got.nnz > len(TERM_TEXTS)  # not a matrix of empty rows
    assert got[0, counter.vocabulary_["births"]] == 2  # counted, not only marked
    if ngram_range[1] > 1:
        assert got[0, counter.vocabulary_["register births"]] == 2
        # stop words dropped first: inspect food food inspect food inspect
        assert got[7, counter.vocabulary_["inspect food"]] == 2 and got[7, counter.vocabulary_["food"]] == 3
    # no text, and none that the vocabulary knows
    assert count_terms(counter, []).shape == (0, len(counter.vocabulary_))
    assert count_terms(counter, ["", "the"]).nnz == 0


def test_term_counts_refuse_a_vectorizer_they_would_not_copy():
    from sklearn.feature_extraction.text import CountVectorizer

    from scoring.production import count_terms

    for counter in (CountVectorizer(analyzer="char"), CountVectorizer(ngram_range=(2, 2)),
                    CountVectorizer(binary=True), CountVectorizer(lowercase=False),
                    CountVectorizer(strip_accents="unicode")):
        with pytest.raises(ValueError, match="count_terms needs"):
            count_terms(counter.fit(["a text to fit"]), ["a text"])


def test_domain_vectors_equal_scikit_learns_tfidf_vectorizer_to_the_bit():
    """domain_vectors fits CountVectorizer then TfidfTransformer (what TfidfVectorizer is) and
    counts the services with count_terms: the same vectors as TfidfVectorizer, DWAs and services."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS, TfidfVectorizer

    from scoring.production import (
        GENERIC_SERVICE_WORDS,
        domain_vectors,
        dwa_documents,
        public_sector_dwas,
    )

    dwa_tasks = pl.DataFrame({
        "dwa_id": ["d1", "d2", "d3", "d4"],
        "dwa_title": ["Inspect food products.", "Answer telephones to direct calls.",
                      "Conduct climatological research.", "Issue passports and licences."],
        "task_statement": ["Inspect meat and poultry for contamination.", "Answer incoming calls.",
                           "Study weather and drought.", "Issue passports to citizens of Québec."],
    })
    services = pl.DataFrame({
        "service_key": [f"s{i:02d}" for i in range(len(TERM_TEXTS))], "fiscal_year": ["y"] * len(TERM_TEXTS),
        "service_name": TERM_TEXTS, "service_description": [None, *TERM_TEXTS[:-1]],
    })
    vectors = domain_vectors(services, dwa_tasks)
    reference = TfidfVectorizer(stop_words=sorted(ENGLISH_STOP_WORDS | GENERIC_SERVICE_WORDS),
                                ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    dwa_matrix = reference.fit_transform(dwa_documents(public_sector_dwas(dwa_tasks))["document"].to_list())
    texts = services.sort("service_key", "fiscal_year").select(pl.concat_str(
        [pl.col("service_name").fill_null(""), pl.col("service_description").fill_null("")], separator=". "))
    service_matrix = reference.transform(texts.to_series().to_list())
    for got, expected in ((vectors.dwa_matrix, dwa_matrix), (vectors.service_matrix, service_matrix)):
        assert type(got) is type(expected) and got.shape == expected.shape
        assert np.array_equal(got.indptr, expected.indptr) and np.array_equal(got.indices, expected.indices)
        assert got.data.tobytes() == expected.data.tobytes()
    assert vectors.service_matrix.nnz > 0


def test_the_leave_one_out_fits_shared_with_a_worker_process_equal_one_process_to_the_bit(monkeypatch):
    """Issue 18: from LEAVE_ONE_OUT_PARALLEL_FROM calibration services the leave-one-out fits run in
    two processes (this one and `python -m scoring.production`); the same fits on the same numbers."""
    import scoring.production as production

    rng = np.random.default_rng(7)
    front, back = rng.uniform(1, 30, 11), rng.uniform(5, 200, 11)
    target = (front * 0.8 + back * 1.7) * rng.lognormal(0, 0.3, 11)
    alone = production.leave_one_out_minutes(front, back, target, processes=1)
    monkeypatch.setattr(production, "LEAVE_ONE_OUT_PARALLEL_FROM", 0)
    shared = production.leave_one_out_minutes(front, back, target, processes=2)
    assert np.array_equal(alone, shared)
    # and each is the fit without that service
    mask = np.arange(11) != 4
    a, b = fit_scales(front[mask], back[mask], target[mask])
    assert shared[4] == front[4] * a + back[4] * b


def test_a_leave_one_out_worker_that_fails_is_named_and_none_is_left_running(monkeypatch):
    import shutil
    import sys

    import scoring.production as production

    monkeypatch.setattr(production, "LEAVE_ONE_OUT_PARALLEL_FROM", 0)
    monkeypatch.setattr(sys, "executable", shutil.which("false"))  # a worker that exits 1 at once
    front = back = target = np.ones(4)
    with pytest.raises(RuntimeError, match=r"leave-one-out worker \(python -m scoring.production\) exited with 1"):
        production.leave_one_out_minutes(front, back, target, processes=2)


def _calibration_frames(n: int, seed: int = 11) -> tuple[pl.DataFrame, pl.DataFrame]:
    rng = np.random.default_rng(seed)
    front, back = rng.uniform(0.5, 5, n), rng.uniform(0.5, 5, n)
    target = (1.7 * front + 0.6 * back) * rng.lognormal(0, 0.4, n)
    per_minute = PARAMS.uk_cost_per_hour / 60
    keys = [f"s{i:03d}" for i in range(n)]
    per_tx = pl.DataFrame({"service_key": keys, "fiscal_year": ["y"] * n,
                           "front_minutes_per_transaction": front, "back_minutes_per_transaction": back})
    reported = pl.DataFrame({"service_key": keys, "fiscal_year": ["y"] * n, "service_name": keys,
                             "cost_per_transaction_gbp": target * per_minute / PARAMS.uk_labour_share,
                             "cost_round": ["2012-Q4"] * n})
    return per_tx, reported


def test_leave_one_out_fits_in_background_workers_equal_one_process_to_the_bit(monkeypatch):
    """Issue 18: the scoring starts the leave-one-out fits in worker processes and reads them before
    the Monte Carlo; the calibration it then finishes is calibrate's, to the bit."""
    import scoring.production as production

    per_tx, reported = _calibration_frames(13)
    a, b, table, diagnostics = calibrate(per_tx, reported, PARAMS)  # 13 services: in this process
    monkeypatch.setattr(production, "LEAVE_ONE_OUT_PARALLEL_FROM", 0)
    with production.start_calibration(per_tx, reported, PARAMS, background=True) as pending:
        assert pending.scales == (a, b)  # the fit on every service is there at once
        a2, b2, table2, diagnostics2 = pending.finish()
    assert (a2, b2) == (a, b) and diagnostics2 == diagnostics
    assert table2.equals(table)


def test_background_leave_one_out_workers_are_stopped_when_the_scoring_fails(monkeypatch):
    import subprocess

    import scoring.production as production

    started: list[subprocess.Popen] = []

    class Recorded(subprocess.Popen):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    monkeypatch.setattr(production, "LEAVE_ONE_OUT_PARALLEL_FROM", 0)
    monkeypatch.setattr(production.subprocess, "Popen", Recorded)
    per_tx, reported = _calibration_frames(400)
    with pytest.raises(ZeroDivisionError), production.start_calibration(per_tx, reported, PARAMS, background=True):
        raise ZeroDivisionError("a later step of the scoring failed")
    assert len(started) == 2 and all(worker.poll() is not None for worker in started)
