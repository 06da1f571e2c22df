"""Cross-table integrity of the candidate warehouse, checked at publish whatever the run rebuilt:
a fact that holds services marts.dim_service does not (a table left from an earlier version of the
inventory, or rows duplicated under new ids in one table only) stops the publish, named."""

from __future__ import annotations

import duckdb

from publishing.publish import orphan_service_keys


def _candidate() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE SCHEMA scoring")
    con.execute("CREATE TABLE marts.dim_service AS SELECT * FROM (VALUES ('CA-1', '2023-2024'), "
                "('CA-2', '2023-2024')) t(service_key, fiscal_year)")
    con.execute("CREATE TABLE scoring.summary AS SELECT * FROM marts.dim_service")
    con.execute("CREATE TABLE marts.fct_pilot AS SELECT NULL::VARCHAR AS service_key, '2023-2024' AS fiscal_year")
    return con


def test_a_consistent_candidate_has_no_orphans():
    assert orphan_service_keys(_candidate()) == []


def test_a_fact_with_services_the_dimension_lacks_is_named():
    con = _candidate()
    # the inventory republished with every service duplicated under new ids, in one table only
    con.execute("CREATE TABLE marts.fct_service_cost AS SELECT service_key || '-copy' AS service_key, "
                "fiscal_year, 1.0 AS total_cost FROM marts.dim_service UNION ALL "
                "SELECT service_key, fiscal_year, 1.0 FROM marts.dim_service")
    con.execute("INSERT INTO scoring.summary VALUES ('CA-2', '2024-2025')")  # a year dim_service lacks
    problems = orphan_service_keys(con)
    assert len(problems) == 2
    assert problems[0].startswith("marts.fct_service_cost: 2 rows for services not in marts.dim_service")
    assert problems[1] == "scoring.summary: 1 rows for services not in marts.dim_service (e.g. CA-2 2024-2025)"
