"""Issue 18: the figures' array path (scoring/figure_rows.py) gives the per-service sums of the row
path it replaces in score_figures, on hand-written service activities that reach every branch:
front, back and unknown office sides, domain work (present, absent, and gone when A212 is 0), the
Canadian programme ceiling (binding and zero FTE), the UK reported cost, a service without a cost
per hour and one without a headline probability."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from scoring.figure_rows import (
    at_services,
    capped_hours,
    factor_arrays,
    factors,
    service_activity_rows,
    service_figures,
    service_totals,
)
from scoring.model import (
    ROUTINE,
    SERVICE_KEY,
    headline_frame,
    service_activity_headlines,
    service_headline,
    service_value,
)
from scoring.parameters import Parameters
from scoring.pipeline import _service_frame
from scoring.production import (
    ProductionParameters,
    ProgrammeLinks,
    programme_ceiling,
    reported_cost_factor,
)

KEYS = [*SERVICE_KEY, "activity_id"]
PARAMS = Parameters()
DECISIONS = ["assessment_decision"]

# service, country, activity, units: "mystery" has no minutes and no office side (a null hours row)
UNITS = [
    ("ca1", "CA", "intake_mail", 120000.0), ("ca1", "CA", "assessment_decision", 100000.0),
    ("ca1", "CA", "record_update", 300000.0),
    ("ca2", "CA", "intake_mail", 50.0), ("ca2", "CA", "assessment_decision", 40.0),
    ("ca3", "CA", "record_update", 500.0), ("ca3", "CA", "mystery", 10.0),
    ("ca4", "CA", "intake_mail", 100.0),
    ("uk1", "UK", "intake_mail", 2000.0), ("uk1", "UK", "assessment_decision", 2000.0),
    ("uk2", "UK", "record_update", 700.0), ("uk2", "UK", "intake_mail", 90.0),
    ("uk3", "UK", "web_content", 5000.0),
]


def _units() -> pl.DataFrame:
    return pl.DataFrame(
        [(s, "2023-2024", a, "reported" if s != "ca3" else "modelled", u, "test") for s, _, a, u in UNITS],
        schema=[*KEYS, "volume_basis", "units", "units_source"], orient="row",
    )


def _minutes(record_update: float = 2.0) -> pl.DataFrame:
    return pl.DataFrame({
        "activity_id": ["intake_mail", "web_content", "assessment_decision", "record_update"],
        "is_front_office": [True, True, False, False],
        "prior_minutes": [10.0, 0.1, 20.0, record_update],
    })


# ca1 and uk1 have used matches, ca2 a match under A210 only
MATCHES = pl.DataFrame({
    "service_key": ["ca1", "ca1", "uk1", "ca2"], "fiscal_year": ["2023-2024"] * 4,
    "dwa_id": ["d1", "d3", "d2", "d3"], "match_score": [0.6, 0.3, 0.5, 0.1], "is_used": [True, True, True, False],
})
ACTIVITY_DWA = pl.DataFrame({
    "activity_id": ["intake_mail", "assessment_decision", "assessment_decision", "record_update", "web_content"],
    "dwa_id": ["d1", "d2", "d3", "d1", "d4"],
})
# d4 (web_content's only DWA) has no headline method: uk3 has no headline probability
DWA_VALUES = pl.DataFrame(
    [(d, m, v, 1.0) for d, base in (("d1", 0.8), ("d2", 0.3), ("d3", 0.55))
     for m, v in zip(PARAMS.headline_methods, (base, base - 0.1, base + 0.05, base - 0.2), strict=True)]
    + [("d1", ROUTINE, 0.9, 1.0), ("d2", ROUTINE, 0.2, 1.0), ("d4", ROUTINE, 0.7, 1.0)],
    schema=["dwa_id", "method_id", "value", "coverage"], orient="row",
)
LINKS = pl.DataFrame(
    [("ca1", "2023-2024", "o", "P", True, 2.0),  # binding: ca1 needs more than 2 FTE
     ("ca2", "2023-2024", "o", "Q", True, 0.0),  # zero FTE: ca2 keeps no delivery staff
     ("ca3", "2023-2024", "o", "R", False, None)],  # unmatched: no ceiling
    schema=["service_key", "fiscal_year", "organisation_id", "programme_id", "is_programme_matched",
            "programme_actual_fte"], orient="row",
)
REPORTED = pl.DataFrame({"service_key": ["uk1"], "fiscal_year": ["2023-2024"], "applications_total": [2000],
                         "cost_per_transaction_gbp": [4.5]})
# every service of the scoring, in its order (not sorted: the arrays follow it), uk4 without activities
SERVICES = pl.DataFrame({"service_key": ["uk2", "ca1", "uk4", "ca3", "uk1", "ca2", "uk3", "ca4"],
                         "fiscal_year": ["2023-2024"] * 8})
COSTS = pl.DataFrame({
    "service_key": ["ca1", "ca2", "ca3", "ca4", "uk1", "uk2", "uk3"], "fiscal_year": ["2023-2024"] * 7,
    "cost_per_hour": [50.0, 48.0, 52.0, None, 18.8, 18.8, 18.8],  # ca4: no loaded cost for its year
})


CA = pl.DataFrame({"service_key": ["ca1", "ca2", "ca3", "ca4"], "fiscal_year": ["2023-2024"] * 4})


def _paths(production: ProductionParameters, minutes: pl.DataFrame, scales: tuple[float, float]):
    ca = CA

    def ceiling(hours):
        return programme_ceiling(hours.join(ca, on=SERVICE_KEY, how="semi"), LINKS, production)

    def reported(hours):
        return reported_cost_factor(hours, REPORTED, production)

    units = _units()
    # the row path, as score() runs it
    hours, row_ceiling = capped_hours(units, minutes, MATCHES, scales, production, ceiling=ceiling, reported=reported)
    heads = service_activity_headlines(hours, ACTIVITY_DWA, MATCHES, DWA_VALUES, PARAMS)
    rows = hours.join(heads, on=KEYS, how="left").join(COSTS, on=SERVICE_KEY, how="left").with_columns(
        (pl.col("hours") * pl.col("cost_per_hour")).alias("labour_cost"))
    row_headline = service_headline(rows.with_columns(pl.col("hours_bottom_up").alias("hours")), None, PARAMS)
    by_rows = (row_ceiling, service_totals(rows, DECISIONS), row_headline)
    # the array path, over every service (uk4 has no activities: its totals are null)
    arrays = service_activity_rows(SERVICES, units, MATCHES, ACTIVITY_DWA, DWA_VALUES, PARAMS)
    figures = service_figures(arrays, minutes, scales, production,
                              factors=factors(arrays.volume_basis, CA, ProgrammeLinks(LINKS), REPORTED),
                              costs=SERVICES.join(COSTS, on=SERVICE_KEY, how="left", maintain_order="left"),
                              decision_activities=DECISIONS)
    array_headline = headline_frame(arrays.volume_basis.select(SERVICE_KEY), figures.head, figures.routine, None, PARAMS,
                                    aligned=True)
    # the columns put beside the services, as the joins they replace give them (issue 18)
    joined = headline_frame(arrays.volume_basis.select(SERVICE_KEY), figures.head, figures.routine, None, PARAMS)
    assert array_headline.schema == joined.schema
    assert array_headline.equals(joined, null_equal=True)
    assert array_headline["headline_probability"].null_count() and array_headline["methods_used"].eq(0).all()
    row_totals = SERVICES.join(by_rows[1], on=SERVICE_KEY, how="left")
    assert figures.totals.select(SERVICE_KEY).equals(SERVICES)  # in the order of the services
    _assert_aligned_frames_are_the_joined_ones(arrays, figures, array_headline, production)
    return (by_rows[0], row_totals, by_rows[2]), (figures.ceiling, figures.totals, array_headline), hours


# What _service_frame and service_value read of a service besides the scoring's sums, for SERVICES
# (uk4 without activities); one Canadian service of each stage pattern, one UK service without a
# digital share
SERVICE_COLUMNS = pl.DataFrame({
    "service_key": ["uk2", "ca1", "uk4", "ca3", "uk1", "ca2", "uk3", "ca4"],
    "fiscal_year": ["2023-2024"] * 8,
    "country_code": ["UK", "CA", "UK", "CA", "UK", "CA", "UK", "CA"],
    "volume_source": ["a", "b", None, "c", "d", "e", "f", "g"],
    "volume_basis": ["reported", "reported", None, "modelled", "reported", "reported", "reported", "reported"],
    "volume_modelled": [None, None, None, 510.0, None, None, None, None],
    "volume_modelled_low": [None, None, None, 400.0, None, None, None, None],
    "volume_modelled_high": [None, None, None, 700.0, None, None, None, None],
    "cost_per_transaction_gbp": [None, None, None, None, 4.5, None, None, None],
    "applications_total": [790, None, 10, None, 2000, None, 5000, None],
    "annual_volume": [790.0, 420000.0, 10.0, 510.0, 2000.0, 90.0, 5000.0, 100.0],
    "digital_share": [0.5, None, 0.1, None, None, None, 0.9, None],
    "is_online_application": [None, True, None, False, None, None, None, True],
    "is_online_decision": [None, False, None, None, None, True, None, False],
    "is_online_issuance": [None, True, None, False, None, None, None, None],
    "is_automated_decision_system": [None, True, None, None, None, False, None, None],
})


def _assert_aligned_frames_are_the_joined_ones(arrays, figures, headline, production) -> None:
    """Issue 18: _service_frame and service_value put the figures' per-service columns beside the
    services (aligned) in the sensitivity's array path; the frames are those of the joins they
    replace, to the bit."""
    costs = SERVICES.join(COSTS, on=SERVICE_KEY, how="left", maintain_order="left").with_columns(
        pl.lit("CAD").alias("currency"), pl.lit(2024).alias("price_year"), pl.lit(1950.0).alias("hours_per_fte"),
        pl.col("service_key").str.slice(0, 2).str.to_uppercase().alias("country_code"))
    aligned = _service_frame(SERVICE_COLUMNS, figures.totals, costs, figures.ceiling_by_service, production,
                             aligned=True)
    joined = _service_frame(SERVICE_COLUMNS, figures.totals, costs.sample(fraction=1.0, shuffle=True, seed=3),
                            figures.ceiling, production)
    assert aligned.equals(joined, null_equal=True)
    assert aligned["is_capped_by_programme_fte"].to_list() == [False, True, False, False, False, True, False, False]
    # the ceiling's FTE, or the delivery hours' (uk4 has none)
    assert aligned["fte_bottom_up"].is_null().to_list() == [False, False, True, False, False, False, False, False]
    at = at_services("_at", SERVICES.height, arrays.with_rows, np.arange(len(arrays.with_rows)))
    assert at.to_list() == [0, 1, None, 2, 3, 4, 5, 6]  # uk4 has no activities
    # the headline in the order of the services with activities, as the scoring's are (its services
    # sorted, which SERVICES are not: score_figures checks the order)
    headline = arrays.volume_basis.select(SERVICE_KEY).join(headline, on=SERVICE_KEY, how="left",
                                                            maintain_order="left")
    gathered = service_value(aligned, headline, PARAMS, at=at)
    assert gathered.equals(service_value(aligned, headline, PARAMS), null_equal=True)
    assert gathered["value_gross"].null_count() < gathered.height  # values reached, not only nulls
    with pytest.raises(ValueError, match="positions"):
        service_value(aligned, headline, PARAMS, at=at.head(3))


@pytest.mark.parametrize("hours", [
    [30.0, 9000.0, 0.0, 700.0, 400.0, 25.0, 12.0, 8.0],
    [30.0, 5000.0, 0.0, 0.0, 0.0, 25.0, 1e-9, 3e6],  # uk1 and ca3 without hours: no finite reported factor
])
def test_the_factors_on_arrays_are_the_production_models_frames_to_the_bit(hours):
    """Issue 18: the ceiling and the reported cost factor of the array path (factor_arrays) are
    ProgrammeLinks.ceiling's and reported_cost_factor's for each service with activities given as
    one row with its hours: the same rows and factors, bit for bit."""
    production = ProductionParameters(unit_minutes={})
    arrays = service_activity_rows(SERVICES, _units(), MATCHES, ACTIVITY_DWA, DWA_VALUES, PARAMS)
    links = ProgrammeLinks(LINKS)
    per_service = np.array(hours)
    got, ceiling_factor, reported_factor = factor_arrays(
        arrays, factors(arrays.volume_basis, CA, links, REPORTED), per_service, production)
    frame = arrays.volume_basis.select(SERVICE_KEY).with_columns(pl.Series("hours", per_service[arrays.with_rows]))
    expected = links.ceiling(frame.join(CA, on=SERVICE_KEY, how="semi"), production)
    assert got.sort(SERVICE_KEY).equals(expected.sort(SERVICE_KEY), null_equal=True)
    reported = reported_cost_factor(frame, REPORTED, production)
    where = {key: i for i, key in enumerate(SERVICES["service_key"])}

    def scattered(rows: pl.DataFrame, column: str) -> np.ndarray:
        out = np.ones(SERVICES.height)
        for key, value in zip(rows["service_key"], rows[column], strict=True):
            out[where[key]] = value
        return out

    assert np.array_equal(ceiling_factor, scattered(expected, "ceiling_factor"))
    assert np.array_equal(reported_factor, scattered(reported, "reported_factor"))
    # the cases reached: ca1 capped, ca2 in a zero-FTE programme, uk1's reported cost where it has hours
    assert 0 < ceiling_factor[where["ca1"]] < 1 and ceiling_factor[where["ca2"]] == 0
    assert (reported_factor[where["uk1"]] != 1.0) == (hours[where["uk1"]] > 0)


def _assert_same(expected: pl.DataFrame, got: pl.DataFrame) -> None:
    expected, got = expected.sort(SERVICE_KEY), got.sort(SERVICE_KEY).select(expected.columns)
    assert expected.schema == got.schema
    assert expected.height == got.height
    for column in expected.columns:
        for a, b in zip(expected[column].to_list(), got[column].to_list(), strict=True):
            if isinstance(a, float) and isinstance(b, float):
                assert a == pytest.approx(b, rel=1e-12, abs=1e-12), column
            else:
                assert a == b, column


@pytest.mark.parametrize(("domain_share", "record_update", "scales"), [
    (0.5, 2.0, (1.0, 1.0)),
    (0.25, 4.0, (0.7, 2.3)),
    (0.0, 2.0, (1.3, 0.4)),  # no domain work rows at all
    (1.0, 1.0, (2.0, 0.5)),  # all back-office hours of a matched service are domain work
])
def test_the_array_path_gives_the_row_paths_ceiling_totals_and_headline(domain_share, record_update, scales):
    production = ProductionParameters(unit_minutes={}, domain_share=domain_share)
    by_rows, by_arrays, hours = _paths(production, _minutes(record_update), scales)
    for expected, got in zip(by_rows, by_arrays, strict=True):
        _assert_same(expected, got)
    totals = by_rows[1].sort(SERVICE_KEY)
    # the cases this data is built to reach, so that the comparison cannot pass on an empty branch
    domain_rows = hours.filter(pl.col("activity_id") == "domain_work")["service_key"].sort().to_list()
    assert domain_rows == ([] if domain_share == 0 else ["ca1", "uk1"])
    assert totals.filter(pl.col("service_key") == "ca3")["_cost_unknown"].item()  # mystery: no minutes
    assert totals.filter(pl.col("service_key") == "ca4")["_cost_unknown"].item()  # no cost per hour
    assert totals.filter(pl.col("service_key") == "uk4").row(0)[2:] == (None,) * 5  # no activities
    assert totals.filter(pl.col("service_key") == "ca2")["delivery_hours"].item() == 0.0  # zero-FTE programme
    assert not totals.filter(pl.col("service_key") == "ca2")["_decision"].item()
    # a decision with hours: all of ca1's back-office hours are domain work when A212 is 1
    assert totals.filter(pl.col("service_key") == "ca1")["_decision"].item() == (domain_share < 1)
    ceiling = by_rows[0].filter(pl.col("service_key") == "ca1").row(0, named=True)
    assert 0 < ceiling["ceiling_factor"] < 1
    uk1 = totals.filter(pl.col("service_key") == "uk1").row(0, named=True)
    assert uk1["_labour_cost"] == pytest.approx(4.5 * 2000 * production.uk_labour_share * 18.8
                                                / production.uk_cost_per_hour)
    headline = by_rows[2].sort(SERVICE_KEY)
    assert headline.filter(pl.col("service_key") == "uk3")["headline_probability"].item() is None
    assert not math.isnan(headline.filter(pl.col("service_key") == "uk3")["routine_share"].item())


def test_a_service_with_two_volume_bases_is_refused_by_name():
    units = _units().with_columns(
        pl.when(pl.col("activity_id") == "record_update").then(pl.lit("modelled")).otherwise(pl.col("volume_basis"))
        .alias("volume_basis"))
    with pytest.raises(ValueError, match="more than one volume_basis"):
        service_activity_rows(SERVICES, units, MATCHES, ACTIVITY_DWA, DWA_VALUES, PARAMS)
