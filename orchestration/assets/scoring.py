"""Helpers of the scoring assets (automation.py, evidence.py, access.py, workforce.py): write a
`scoring.<table>` in one transaction, describe it for the Dagster UI, and the run config that
overrides the evidence parameters (A100-A115) shared by the evidence, access and workforce assets."""


import dagster as dg
import duckdb
import polars as pl

from orchestration.dbt_project import atlas_dbt_project
from reporting.dictionary import column_descriptions
from scoring.evidence_parameters import EvidenceParameters, evidence_parameters_from_assumptions

OWNER = "team:atlas-economics"
SCHEMA = "scoring"


def write_table(con: duckdb.DuckDBPyConnection, name: str, frame: pl.DataFrame) -> None:
    """Replace scoring.<name> atomically: readers see the old table or the new, never half."""
    arrow = frame.to_arrow()  # noqa: F841 - referenced by name in the SQL below
    con.execute("BEGIN TRANSACTION")
    try:
        con.execute(f"CREATE SCHEMA IF NOT EXISTS {SCHEMA}")
        con.execute(f'CREATE OR REPLACE TABLE {SCHEMA}."{name}" AS SELECT * FROM arrow')
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise


def table_metadata(frame: pl.DataFrame, table: str) -> dict[str, object]:
    """Row count, the column schema with each column's description (scoring/columns.yml, following
    `inherits`), and the first rows, for scoring.<table> in the Dagster UI."""
    descriptions = column_descriptions(f"{SCHEMA}.{table}", frame.columns, atlas_dbt_project.manifest_path)
    return {
        "dagster/row_count": frame.height,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(n, str(t), description=descriptions.get(n) or None)
                     for n, t in frame.schema.items()]
        ),
        "preview": dg.MetadataValue.md(frame.head(10).to_pandas().to_markdown(index=False)),
    }


class EvidenceConfig(dg.Config):
    """Per-run overrides of the assumptions seed (leave empty to use the seed's values)."""

    quality_weight_high: float | None = None
    quality_weight_medium: float | None = None
    quality_weight_low: float | None = None
    max_effective_observations: float | None = None
    prior_min_concentration: float | None = None
    prior_max_concentration: float | None = None
    weight_same_organisation: float | None = None
    weight_same_country: float | None = None
    weight_other_country: float | None = None
    voi_reference_observations: float | None = None
    access_assisted_share_threshold: float | None = None
    access_probability_threshold: float | None = None
    workforce_high_automation_threshold: float | None = None
    redeployment_options: int | None = None
    shift_report_threshold: float | None = None


def evidence_parameters(con: duckdb.DuckDBPyConnection, config: EvidenceConfig) -> EvidenceParameters:
    params = evidence_parameters_from_assumptions(con.sql("SELECT * FROM seeds.assumptions").pl())
    return params.override(**{k: v for k, v in config.model_dump().items() if v is not None})
