"""Data quality beside dbt's tests, without Dagster: the Great Expectations suites (run through GX's
pandas datasource on tables read from DuckDB) and their offline data docs."""
