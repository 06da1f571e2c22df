"""Programme costs allocated to services by applications (assumption A001), worked by hand."""

from __future__ import annotations

import polars as pl
import pytest

from scoring.allocation import (
    REASON_NET_SPENDING,
    REASON_NO_PROGRAMME,
    REASON_NO_SPENDING,
    REASON_NO_VOLUME,
    REASON_ZERO_VOLUME,
    allocate_programme_costs,
    services_without_links,
)


def links(rows: list[tuple]) -> pl.DataFrame:
    columns = [
        "service_key", "service_id", "fiscal_year", "programme_id", "organisation_id",
        "is_programme_matched", "programme_actual_spending_cad", "programme_actual_fte",
        "applications_total",
    ]
    return pl.DataFrame(rows, schema=columns, orient="row")


def test_spending_is_shared_in_proportion_to_applications():
    # Programme P: 1,000 CAD and 10 FTE; services A (30 apps) and B (10 apps) -> 3/4 and 1/4.
    frame = links([
        ("CA-A", "A", "2023-2024", "P", "1", True, 1000.0, 10.0, 30),
        ("CA-B", "B", "2023-2024", "P", "1", True, 1000.0, 10.0, 10),
    ])
    out = allocate_programme_costs(frame).sort("service_key")
    assert out["allocated_spending_cad"].to_list() == pytest.approx([750.0, 250.0])
    assert out["allocated_fte"].to_list() == pytest.approx([7.5, 2.5])
    assert out["cost_per_application_cad"].to_list() == pytest.approx([25.0, 25.0])
    assert out["cost_null_reason"].to_list() == [None, None]


def test_a_service_under_two_programmes_takes_a_share_of_each():
    # A is alone in P (all of 100) and shares Q (600) with B: 20 vs 40 apps -> 200.
    frame = links([
        ("CA-A", "A", "2023-2024", "P", "1", True, 100.0, 1.0, 20),
        ("CA-A", "A", "2023-2024", "Q", "1", True, 600.0, 6.0, 20),
        ("CA-B", "B", "2023-2024", "Q", "1", True, 600.0, 6.0, 40),
    ])
    out = allocate_programme_costs(frame).sort("service_key")
    assert out["allocated_spending_cad"].to_list() == pytest.approx([300.0, 400.0])
    assert out["listed_programmes"].to_list() == [2, 1]


def test_services_without_volume_keep_their_row_with_a_reason_and_take_nothing():
    frame = links([
        ("CA-A", "A", "2023-2024", "P", "1", True, 900.0, 9.0, 9),
        ("CA-Z", "Z", "2023-2024", "P", "1", True, 900.0, 9.0, 0),
        ("CA-N", "N", "2023-2024", "P", "1", True, 900.0, 9.0, None),
        ("CA-U", "U", "2023-2024", "X", None, False, None, None, 5),
        ("CA-S", "S", "2023-2024", "R", "1", True, None, None, 5),
    ])
    out = allocate_programme_costs(frame).sort("service_key")
    by_key = {r["service_key"]: r for r in out.iter_rows(named=True)}
    assert by_key["CA-A"]["allocated_spending_cad"] == pytest.approx(900.0)
    assert by_key["CA-Z"]["allocated_spending_cad"] is None
    assert by_key["CA-Z"]["cost_null_reason"] == REASON_ZERO_VOLUME
    assert by_key["CA-N"]["cost_null_reason"] == REASON_NO_VOLUME
    assert by_key["CA-U"]["cost_null_reason"] == REASON_NO_PROGRAMME
    assert by_key["CA-S"]["cost_null_reason"] == REASON_NO_SPENDING
    assert out.height == 5


def test_services_listing_no_programme_are_added_back_with_a_reason():
    frame = links([("CA-A", "A", "2023-2024", "P", "1", True, 10.0, 1.0, 1)])
    services = pl.DataFrame(
        {"service_key": ["CA-A", "CA-B"], "service_id": ["A", "B"],
         "fiscal_year": ["2023-2024", "2023-2024"], "applications_total": [1, 7]}
    )
    allocated = allocate_programme_costs(frame)
    extra = services_without_links(services, allocated)
    assert extra["service_key"].to_list() == ["CA-B"]
    assert extra["cost_null_reason"].to_list() == ["the service lists no programme"]
    combined = pl.concat([allocated, extra])
    assert combined.height == 2


def test_a_programme_with_spending_net_of_revenue_gives_no_negative_cost_but_shares_its_fte():
    # Employment Insurance-like programme: -5,000 CAD net of premiums, 10 FTE; a second service also
    # takes a share of a positive programme, so only its positive part is allocated.
    frame = links([
        ("CA-A", "A", "2023-2024", "N", "1", True, -5000.0, 10.0, 30),
        ("CA-B", "B", "2023-2024", "N", "1", True, -5000.0, 10.0, 10),
        ("CA-B", "B", "2023-2024", "P", "1", True, 400.0, 4.0, 10),
    ])
    out = {r["service_key"]: r for r in allocate_programme_costs(frame).iter_rows(named=True)}
    assert out["CA-A"]["allocated_spending_cad"] is None
    assert out["CA-A"]["cost_null_reason"] == REASON_NET_SPENDING
    assert out["CA-A"]["allocated_fte"] == pytest.approx(7.5)
    assert out["CA-B"]["allocated_spending_cad"] == pytest.approx(400.0)
    assert out["CA-B"]["allocated_fte"] == pytest.approx(2.5 + 4.0)
