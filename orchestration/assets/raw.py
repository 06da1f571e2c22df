"""One Dagster asset per raw table, generated from the source registry (no per-dataset code here),
landed by one step per dataset (a multi-asset that can be subset to single tables).

For each selected table the step fetches and verifies its files, reads them, runs the landing
contract and only then writes `raw.<table>`. The contract is reported as one blocking asset check
of the table, `contract`, whose metadata gives the outcome of each group of rules (required
columns, row count, column types, values, key unique) and, when one fails, the dataset, file,
column, first row and a sample of offending rows. A table that fails is not written; the step
lands the dataset's other tables, then fails, so everything downstream of the dataset is skipped.

One step per dataset rather than per table, and one check per table rather than per group of
rules: Dagster stores every step's and every check's events one by one, and that bookkeeping was
most of the landing stage's time (64 steps, then 320 checks; docs/benchmarks.md).

The run's first landing step starts a read-ahead (ingestion.read_ahead) for every raw table the run
lands: two worker threads fetch, read and check the next tables (at most six ahead) while the
steps write the ones already read, each in its own step as before. A table's error, contract
outcomes and download log are reported by the step that lands it.
"""


from collections.abc import Iterator, Sequence

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.catalog import raw_tables
from ingestion.contracts import CHECKS
from ingestion.errors import AtlasDataError
from ingestion.fetch import refreshing
from ingestion.landing import land
from ingestion.read_ahead import ReadAhead
from ingestion.readers import RawTable
from ingestion.registry import get_source
from orchestration.logs import forwarded, to_dagster
from orchestration.metadata import preview_markdown

OWNER = "team:atlas-data-engineering"
# Run tag set by the source sensor when a download's HTTP validators changed: fetch again.
REFRESH_TAG = "atlas/refresh_downloads"


CHECK_NAME = "contract"
CHECK_DESCRIPTION = "The landing contract (data_contracts/raw/<table>.yml) holds: " + " ".join(
    f"{name}: {text}" for name, text in CHECKS.items()
)


def _check_result(table: RawTable, outcomes: Sequence) -> dg.AssetCheckResult:
    """The table's contract check: passed when every group of rules passed; its metadata gives
    each group's outcome and the first failure's column, row and offending rows."""
    failed = [o for o in outcomes if not o.passed]
    metadata: dict[str, object] = {
        "rules": dg.MetadataValue.json(
            {o.name: "passed" if o.passed else f"failed: {o.violation.reason}" for o in outcomes}
        ),
        "contract": f"data_contracts/raw/{table.name}.yml",
    }
    if failed:
        violation = failed[0].violation
        metadata.update(
            {
                "failed_rules": ", ".join(o.name for o in failed),
                "error": violation.reason,
                "file": violation.file or "",
                "column": violation.column or "",
                "first_row": violation.row if violation.row is not None else -1,
                "offending_rows_sample": dg.MetadataValue.json(
                    [{k: str(v) for k, v in r.items()} for r in violation.sample]
                ),
            }
        )
    return dg.AssetCheckResult(
        asset_key=dg.AssetKey(["raw", table.name]),
        check_name=CHECK_NAME,
        passed=not failed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=(f"{failed[0].name}: {failed[0].violation}"[:1000] if failed else None),
    )


def _table_spec(table: RawTable, source) -> dg.AssetSpec:
    return dg.AssetSpec(
        key=dg.AssetKey(["raw", table.name]),
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
    )


def build_dataset_assets(dataset_id: str, tables: Sequence[RawTable]) -> dg.AssetsDefinition:
    """The raw tables of one dataset, landed in one step."""
    source = get_source(dataset_id)
    keys = {table.name: dg.AssetKey(["raw", table.name]) for table in tables}

    @dg.multi_asset(
        name=f"raw__{dataset_id}",
        specs=[_table_spec(table, source) for table in tables],
        check_specs=[
            dg.AssetCheckSpec(CHECK_NAME, asset=keys[table.name], description=CHECK_DESCRIPTION,
                              blocking=True)
            for table in tables
        ],
        can_subset=True,
    )
    def _land_dataset(
        context: dg.AssetExecutionContext, warehouse: DuckDBResource
    ) -> Iterator[dg.MaterializeResult | dg.AssetCheckResult]:
        # Runs the source sensor requests for a changed download look at the server again.
        refresh = context.run.tags.get(REFRESH_TAG) == "true"
        checks = context.selected_asset_check_keys
        failed: list[tuple[RawTable, AtlasDataError]] = []
        selected = [table for table in tables if keys[table.name] in context.selected_asset_keys]
        reading = _read_ahead(context, refresh)
        send_log = to_dagster(context.log)
        try:
            # One connection for the step's tables: opening the warehouse costs tens of milliseconds.
            with forwarded(context.log, "atlas.fetch"), refreshing(refresh), \
                    warehouse.get_connection() as con:
                for table in selected:
                    checked = dg.AssetCheckKey(keys[table.name], CHECK_NAME) in checks
                    try:
                        prepared = reading.take(table, on_log=send_log)
                        result = land(con, table, run_id=context.run.run_id, prepared=prepared)
                        preview = preview_markdown(con, "raw", table.name)
                    except AtlasDataError as error:
                        outcomes = getattr(error, "outcomes", ())
                        if outcomes and checked:
                            yield _check_result(table, outcomes)
                        context.log.error(f"raw.{table.name}: {error}")
                        failed.append((table, error))
                        continue
                    if checked:
                        yield _check_result(table, result.outcomes)
                    yield dg.MaterializeResult(
                        asset_key=keys[table.name],
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
                        },
                    )
        except BaseException:
            reading.close()  # a fault in this step: the run's later steps read their own tables
            raise
        finally:
            _done_with(reading)
        if failed:
            table, error = failed[0]
            others = [f"raw.{t.name}" for t, _ in failed[1:]]
            raise dg.Failure(
                description=str(error) + (f" (also failed: {', '.join(others)})" if others else ""),
                metadata={**error.as_metadata(), "table": table.name},
                allow_retries=False,
            ) from error

    return _land_dataset


# The read-ahead of the run whose landing steps are running (the definitions run every step of a
# run in one process, one after another: the in-process executor). One at a time: a run's steps
# land its raw tables in the registry's order, and a new run replaces what an earlier one left.
_READING: dict[str, ReadAhead] = {}


def _read_ahead(context: dg.AssetExecutionContext, refresh: bool) -> ReadAhead:
    """The run's read-ahead, started by its first landing step for every raw table the run lands
    (ingestion.read_ahead): the next steps' tables are read while this step writes."""
    run_id = context.run.run_id
    reading = _READING.get(run_id)
    if reading is None:
        for stale in _READING.values():
            stale.close()
        _READING.clear()
        # The assets the run materialises (its job, subset to the run's selection if it has one).
        selected = context.job_def.asset_layer.selected_asset_keys
        run_tables = [t for t in raw_tables() if dg.AssetKey(["raw", t.name]) in selected]
        reading = _READING[run_id] = ReadAhead(run_tables, refresh=refresh)
    return reading


def _done_with(reading: ReadAhead) -> None:
    """Close the run's read-ahead once every table it reads has been taken. (One closed by a
    fault in a step stays, closed, for the run's later steps: they prepare their tables
    themselves.)"""
    if reading.tables_left == 0 and not reading.closed:
        reading.close()
        for run_id, value in list(_READING.items()):
            if value is reading:
                del _READING[run_id]


def raw_assets() -> list[dg.AssetsDefinition]:
    by_dataset: dict[str, list[RawTable]] = {}
    for table in raw_tables():
        by_dataset.setdefault(table.dataset_id, []).append(table)
    return [build_dataset_assets(dataset_id, tables) for dataset_id, tables in by_dataset.items()]
