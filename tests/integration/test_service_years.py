"""Service and fiscal year is the key: the service counts per country and fiscal year that the
warehouse publishes equal the counts made here from the mirror files, and the UK's local-government
placeholder rows are kept out of the services, listed with their reason."""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path

import pytest

from tests.conftest import mirror_file


def read_rows(path: Path) -> list[dict[str, str]]:
    # csv's default (non-strict) dialect reads the Transactions Explorer's unescaped quotes in HTML
    # notes the way its publisher's tools do: one record per service row.
    with path.open(encoding="utf-8-sig", newline="") as handle:  # the inventory starts with a BOM
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def uk_rows(mirror: Path) -> list[dict[str, str]]:
    return read_rows(mirror_file(mirror, "gds__transactions_explorer", "transaction-volumes.csv"))


def uk_placeholders(rows: list[dict[str, str]]) -> set[str]:
    """Rows of the department 'Local government' with no number in any column of any round."""
    numbers = [column for column in rows[0] if column and column.startswith("20") and ":" in column]
    return {
        row["Name of service"]
        for row in rows
        if row["Department"] == "Local government" and not any(row[c].strip() for c in numbers)
    }


@pytest.fixture(scope="module")
def expected_counts(mirror: Path, uk_rows) -> dict[tuple[str, str], int]:
    canada = read_rows(mirror_file(mirror, "tbs_canada__service_inventory", "si_2024.csv"))
    counts = Counter(("CA", row["fiscal_yr"]) for row in canada)
    assert len(canada) == len({(row["service_id"], row["fiscal_yr"]) for row in canada})
    uk_services = {row["Name of service"] for row in uk_rows} - uk_placeholders(uk_rows)
    counts[("UK", "2012-2013")] = len(uk_services)
    return dict(counts)


def test_service_years_per_country_and_fiscal_year_equal_the_source_files(con, expected_counts):
    assert expected_counts[("CA", "2024-2025")] == 1  # SRV02975, listed for both years
    for table in ("marts.dim_service", "scoring.fct_service_automation_summary"):
        got = dict(
            ((country, year), count)
            for country, year, count in con.execute(
                f"select country_code, fiscal_year, count(*) from {table} group by 1, 2"
            ).fetchall()
        )
        assert got == expected_counts, table
    rollup = dict(
        ((country, year), services)
        for country, year, services in con.execute(
            "select country_code, fiscal_year, services from scoring.agg_automation_by_country"
        ).fetchall()
    )
    assert rollup == expected_counts


def test_a_service_listed_in_two_fiscal_years_has_one_row_per_year(con):
    rows = con.execute(
        "select fiscal_year from scoring.fct_service_automation_summary "
        "where service_key = 'CA-SRV02975' order by 1"
    ).fetchall()
    assert rows == [("2023-2024",), ("2024-2025",)]


def test_uk_placeholder_rows_are_listed_as_excluded_and_are_not_services(con, uk_rows):
    placeholders = uk_placeholders(uk_rows)
    assert len(placeholders) == 21
    excluded = con.execute(
        "select service_id, source_rows, assumption_id from marts.fct_service_excluded "
        "where country_code = 'UK'"
    ).fetchall()
    assert {name for name, _, _ in excluded} == placeholders
    assert {(rows, assumption) for _, rows, assumption in excluded} == {(2, "A043")}
    leaked = con.execute(
        "select count(*) from marts.dim_service where country_code = 'UK' "
        "and organisation_name = 'Local government'"
    ).fetchall()
    assert leaked == [(0,)]
    in_staging = con.execute(
        "select count(*) from staging.stg_gds__transactions_explorer where department = 'Local government'"
    ).fetchall()
    assert in_staging == [(42,)]  # 21 rows in each of the two rounds, kept as published
