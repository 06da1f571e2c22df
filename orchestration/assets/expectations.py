"""Great Expectations suites as blocking Dagster asset checks, one per suite file.

A suite `data_contracts/expectations/<schema>.<table>.json` becomes the check
`great_expectations` on the asset `<schema>/<table>` when that asset exists; a failed expectation
fails the check (severity ERROR, blocking), so nothing downstream of the table runs, `publish`
included. The checks of the tables one step materialises run together in one step (see
`expectation_checks`). The check's metadata names each failed expectation and carries a sample of
offending rows; the data docs are written to ATLAS_DATA_DOCS (default warehouse/data_docs/).
"""


from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.settings import data_docs_dir
from quality.expectations import Suite, ValidationReport, discover_suites, validate_table

CHECK_NAME = "great_expectations"


def _key(suite: Suite) -> dg.AssetKey:
    return dg.AssetKey([suite.schema, suite.table])


def _result(suite: Suite, report: ValidationReport) -> dg.AssetCheckResult:
    """The check's result: passed or failed (ERROR), each failed expectation and sample rows."""
    metadata: dict[str, object] = {
        "summary": report.message(),
        "rows": report.rows if report.rows is not None else -1,
        "expectations_evaluated": report.evaluated,
        "expectations_met": report.successful,
        "failed_expectations": dg.MetadataValue.json(
            [
                {
                    "expectation": f.expectation,
                    "column": f.column,
                    "kwargs": {k: str(v) for k, v in f.kwargs.items()},
                    "why": f.why,
                    "unexpected_count": f.unexpected_count,
                    "observed_value": str(f.observed_value)[:300],
                }
                for f in report.failures
            ]
        ),
        "offending_rows_sample": dg.MetadataValue.json(
            {f"{f.expectation}:{f.column or ''}": f.sample_rows for f in report.failures}
        ),
    }
    if report.docs_index is not None:
        metadata["data_docs"] = dg.MetadataValue.path(str(report.docs_index))
    return dg.AssetCheckResult(
        asset_key=_key(suite),
        check_name=CHECK_NAME,
        passed=report.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        metadata=metadata,
        description=report.message()[:1000],
    )


def _checks_for(name: str, suites: Sequence[Suite], docs_dir: Path | None) -> dg.AssetChecksDefinition:
    """The suites of the tables one step materialises, run in one step of their own."""

    @dg.multi_asset_check(
        name=f"{name}_{CHECK_NAME}",
        specs=[
            dg.AssetCheckSpec(
                CHECK_NAME,
                asset=_key(suite),
                blocking=True,
                description=(
                    f"Great Expectations suite {suite.path.name}"
                    + (f": {suite.description}" if suite.description else "")
                ),
                metadata={"suite": f"data_contracts/expectations/{suite.path.name}"},
            )
            for suite in suites
        ],
        can_subset=True,
    )
    def _expectations(
        context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource
    ) -> Iterator[dg.AssetCheckResult]:
        docs = docs_dir or data_docs_dir()
        selected = context.selected_asset_check_keys
        with warehouse.get_connection() as con:
            for suite in suites:
                if dg.AssetCheckKey(_key(suite), CHECK_NAME) not in selected:
                    continue
                report = validate_table(con, suite, docs)
                if not report.passed:
                    context.log.error(report.message())
                yield _result(suite, report)

    return _expectations


def expectation_checks(
    assets: Iterable[dg.AssetsDefinition | dg.AssetSpec],
    suites_dir: Path | None = None,
    docs_dir: Path | None = None,
) -> list[dg.AssetChecksDefinition]:
    """A blocking check for each suite whose table is one of `assets`. Suites for tables that have
    no asset yet get no check here; publish refuses to run while a non-optional one's table is
    missing (orchestration/assets/publish.py).

    The suites of the tables one assets definition materialises (the dbt models, the automation
    model's tables) run in one step, `<its name>_great_expectations`: Dagster's bookkeeping of a
    step cost about as much as a suite (issue 18). A failed suite fails the step after every
    selected suite of it has run, so each check still has its result, and nothing downstream of
    any of the step's tables runs."""
    producer: dict[dg.AssetKey, str] = {}
    for item in assets:
        if isinstance(item, dg.AssetsDefinition):
            for key in item.keys:
                producer[key] = item.node_def.name if item.is_executable else key.to_python_identifier()
        else:
            producer[item.key] = item.key.to_python_identifier()
    groups: dict[str, list[Suite]] = {}
    for suite in discover_suites(suites_dir):
        if _key(suite) in producer:
            groups.setdefault(producer[_key(suite)], []).append(suite)
    return [_checks_for(name, suites, docs_dir) for name, suites in groups.items()]
