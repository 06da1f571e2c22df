"""One Dagster asset per raw table, generated from the source registry (no per-dataset code here).

Each asset fetches and verifies its files, reads them, runs the landing contract and only then
writes `raw.<table>`. The contract's groups of rules are reported as blocking asset checks; when one
fails the asset fails too, nothing is written and everything downstream is skipped.
"""


from collections.abc import Iterator

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.catalog import raw_tables
from ingestion.contracts import CHECKS
from ingestion.errors import AtlasDataError
from ingestion.fetch import refreshing
from ingestion.landing import land
from ingestion.readers import RawTable
from ingestion.registry import get_source
from orchestration.logs import forwarded
from orchestration.metadata import preview_markdown

OWNER = "team:atlas-data-engineering"
# Run tag set by the source sensor when a download's HTTP validators changed: fetch again.
REFRESH_TAG = "atlas/refresh_downloads"


def _check_result(table: RawTable, outcome) -> dg.AssetCheckResult:
    metadata: dict[str, object] = {"rule": outcome.description}
    if outcome.violation is not None:
        metadata.update(
            {
                "error": outcome.violation.reason,
                "column": outcome.violation.column or "",
                "first_row": outcome.violation.row if outcome.violation.row is not None else -1,
                "offending_rows_sample": dg.MetadataValue.json(
                    [{k: str(v) for k, v in r.items()} for r in outcome.violation.sample]
                ),
            }
        )
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["raw", table.name]),
        check_name=outcome.name,
        passed=outcome.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
    )


def build_raw_asset(table: RawTable) -> dg.AssetsDefinition:
    source = get_source(table.dataset_id)
    key = dg.AssetKey(["raw", table.name])

    @dg.asset(
        key=key,
        group_name="raw",
        owners=[OWNER],
        kinds={"duckdb", "polars"},
        description=f"{table.description}\n\nSource: {source.publisher}, {source.title}. "
        f"Licence: {source.licence}. Files: {', '.join(table.files)}.",
        tags={"dataset": table.dataset_id},
        metadata={
            "dataset_id": table.dataset_id,
            "publisher": source.publisher,
            "licence": source.licence,
            "files": ", ".join(table.files),
            "sha256": ", ".join(source.file(f).sha256 for f in table.files),
            "contract": f"data_contracts/raw/{table.name}.yml",
        },
        check_specs=[
            dg.AssetCheckSpec(name, asset=key, description=text, blocking=True)
            for name, text in CHECKS.items()
        ],
    )
    def _raw_asset(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        # Runs the source sensor requests for a changed download look at the server again.
        refresh = context.run.tags.get(REFRESH_TAG) == "true"
        try:
            with forwarded(context.log, "atlas.fetch"), refreshing(refresh), \
                    warehouse.get_connection() as con:
                result = land(con, table, run_id=context.run.run_id)
                preview = preview_markdown(con, "raw", table.name)
        except AtlasDataError as error:
            for outcome in getattr(error, "outcomes", ()):
                yield _check_result(table, outcome)
            context.log.error(str(error))
            raise dg.Failure(
                description=str(error), metadata=error.as_metadata(), allow_retries=False
            ) from error
        for outcome in result.outcomes:
            yield _check_result(table, outcome)
        yield dg.MaterializeResult(
            metadata={
                "dagster/row_count": result.rows,
                "flagged_rows": result.flagged_rows,
                "flag_counts": dg.MetadataValue.json(result.flag_counts),
                "source_files": result.files,
                "source_sha256": result.sha256,
                "loaded_at": result.loaded_at.isoformat(),
                "preview": dg.MetadataValue.md(preview),
                "dagster/column_schema": dg.TableSchema(
                    columns=[dg.TableColumn(n, t) for n, t in result.columns.items()]
                ),
            }
        )

    return _raw_asset


def raw_assets() -> list[dg.AssetsDefinition]:
    return [build_raw_asset(t) for t in raw_tables()]
