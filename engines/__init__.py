"""Other engines for the same dbt project and scoring: Spark in local mode (docs/scale-out.md)."""
