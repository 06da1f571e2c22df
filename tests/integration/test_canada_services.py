"""The Canadian service mart and cost allocation agree with figures computed here from the files."""

from __future__ import annotations

import csv
from collections import defaultdict

import pytest


def _read(path):
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return [r for r in csv.DictReader(handle) if any(v.strip() for v in r.values())]


@pytest.fixture(scope="module")
def inventory(mirror):
    return _read(mirror / "tbs_canada__service_inventory" / "si_2024.csv")


def test_services_and_applications_per_fiscal_year_match_the_source(con, inventory):
    expected_services: dict[str, int] = defaultdict(int)
    expected_apps: dict[str, int] = defaultdict(int)
    for row in inventory:
        expected_services[row["fiscal_yr"]] += 1
        if row["num_applications_total"].strip().isdigit():
            expected_apps[row["fiscal_yr"]] += int(row["num_applications_total"])
    got = con.execute(
        "select fiscal_year, count(*), sum(applications_total) from marts.fct_ca_service group by 1"
    ).fetchall()
    assert {y: n for y, n, _ in got} == dict(expected_services)
    assert {y: int(a or 0) for y, _, a in got} == dict(expected_apps)


def test_a_service_reported_for_two_fiscal_years_keeps_both_rows(con, inventory):
    years: dict[str, set[str]] = defaultdict(set)
    for row in inventory:
        years[row["service_id"]].add(row["fiscal_yr"])
    twice = sorted(s for s, y in years.items() if len(y) > 1)
    assert twice, "the source holds at least one service for two fiscal years"
    rows = con.execute(
        "select service_id, count(*) from marts.fct_ca_service where service_id in "
        f"({','.join('?' for _ in twice)}) group by 1", twice
    ).fetchall()
    assert dict(rows) == {s: len(years[s]) for s in twice}


def test_allocated_spending_adds_back_to_each_programme_with_volumes(con, mirror):
    spending = {}
    for row in _read(mirror / "tbs_canada__program_spending_ftes" / "rbpo.csv"):
        if row["actual_spending"].strip():
            key = (row["fy_ef"], row["organization_id"], row["program_id"])
            spending[key] = float(row["actual_spending"])
    # Spread each service's allocation back over its programmes, by the same shares, then compare
    # with the source figure per programme.
    rows = con.execute(
        """
        with links as (
            select l.fiscal_year, l.organisation_id, l.programme_id, l.service_key,
                   l.applications_total
            from marts.fct_ca_service_programme l
            where l.is_programme_matched and l.applications_total > 0
              -- spending net of revenue (zero or negative) is not allocated (A001)
              and l.programme_actual_spending_cad > 0
        ),
        shares as (
            select *, applications_total * 1.0
                / sum(applications_total) over (partition by fiscal_year, organisation_id, programme_id) as share
            from links
        )
        select s.fiscal_year, s.organisation_id, s.programme_id, count(*) as services,
               sum(s.share) as share_total
        from shares s
        join marts.fct_ca_service_cost_allocation a using (service_key, fiscal_year)
        where a.allocated_spending_cad is not null
        group by all
        """
    ).fetchall()
    assert len(rows) > 300
    for fiscal_year, organisation_id, programme_id, _, share_total in rows:
        assert (fiscal_year, organisation_id, programme_id) in spending
        assert share_total == pytest.approx(1.0, rel=1e-9)
    # And the allocated money per service equals the sum of its programme shares of spending.
    total_allocated = con.execute(
        "select sum(allocated_spending_cad) from marts.fct_ca_service_cost_allocation"
    ).fetchone()[0]
    expected_total = sum(spending[(y, o, p)] for y, o, p, _, _ in rows)
    assert total_allocated == pytest.approx(expected_total, rel=1e-9)


def test_every_service_is_in_the_allocation_and_nulls_carry_a_reason(con, inventory):
    count, null_without_reason, reason_with_value = con.execute(
        """select count(*),
                  count(*) filter (where allocated_spending_cad is null and cost_null_reason is null),
                  count(*) filter (where allocated_spending_cad is not null and cost_null_reason is not null)
           from marts.fct_ca_service_cost_allocation"""
    ).fetchone()
    assert count == len(inventory)
    assert null_without_reason == 0
    assert reason_with_value == 0


def test_the_load_log_records_file_checksum_and_flags_for_each_raw_table(con, mirror):
    sha = {
        (r["dataset_id"], r["file"]): r["sha256"]
        for r in csv.DictReader((mirror / "FILES.csv").open(encoding="utf-8"))
    }
    rows = con.execute(
        "select dataset_id, source_files, source_sha256, row_count, flagged_rows from raw._load_log"
    ).fetchall()
    logged = {(d, f): (s, n) for d, f, s, n, _ in rows}
    assert logged[("tbs_canada__service_inventory", "si_2024.csv")] == (
        sha[("tbs_canada__service_inventory", "si_2024.csv")], len(_read(mirror / "tbs_canada__service_inventory" / "si_2024.csv"))
    )


def test_the_dbt_allocation_equals_the_polars_reference_service_by_service(con):
    import polars as pl

    from scoring.allocation import allocate_programme_costs, services_without_links

    links = pl.DataFrame(
        con.execute("select * from marts.fct_ca_service_programme").fetchall(),
        schema=[d[0] for d in con.description], orient="row", infer_schema_length=None,
    )
    services = pl.DataFrame(
        con.execute(
            "select service_key, service_id, fiscal_year, applications_total from marts.fct_ca_service"
        ).fetchall(),
        schema=["service_key", "service_id", "fiscal_year", "applications_total"], orient="row",
        infer_schema_length=None,
    )
    allocated = allocate_programme_costs(links)
    reference = pl.concat([allocated, services_without_links(services, allocated)], how="vertical_relaxed")
    mart = pl.DataFrame(
        con.execute("select * from marts.fct_ca_service_cost_allocation").fetchall(),
        schema=[d[0] for d in con.description], orient="row", infer_schema_length=None,
    )
    joined = reference.join(mart, on=["service_key", "fiscal_year"], how="full", suffix="_dbt", coalesce=True)
    assert joined.height == mart.height == reference.height == services.height
    for column in ("listed_programmes", "matched_programmes", "cost_null_reason", "applications_total"):
        off = joined.filter(pl.col(column).ne_missing(pl.col(f"{column}_dbt")))
        assert off.is_empty(), f"{column}: {off.select('service_key', column, f'{column}_dbt').head()}"
    for column in ("allocated_spending_cad", "allocated_fte", "cost_per_application_cad"):
        a, b = pl.col(column), pl.col(f"{column}_dbt")
        off = joined.filter(
            (a.is_null() != b.is_null()) | ((a - b).abs() > 1e-9 * pl.max_horizontal(a.abs(), pl.lit(1.0)))
        )
        assert off.is_empty(), f"{column}: {off.select('service_key', column, f'{column}_dbt').head()}"
