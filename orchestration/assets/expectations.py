"""Great Expectations suites as blocking Dagster asset checks, one per suite file.

A suite `data_contracts/expectations/<schema>.<table>.json` becomes the check
`great_expectations` on the asset `<schema>/<table>` when that asset exists; a failed expectation
fails the check (severity ERROR, blocking), so nothing downstream of the table runs, `publish`
included. The check's metadata names each failed expectation and carries a sample of offending
rows; the data docs are written to ATLAS_DATA_DOCS (default warehouse/data_docs/).
"""


from collections.abc import Iterable
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.settings import data_docs_dir
from quality.expectations import Suite, discover_suites, validate_table

CHECK_NAME = "great_expectations"


def _check_for(suite: Suite, docs_dir: Path | None) -> dg.AssetChecksDefinition:
    key = dg.AssetKey([suite.schema, suite.table])

    @dg.asset_check(
        asset=key,
        name=CHECK_NAME,
        blocking=True,
        description=(
            f"Great Expectations suite {suite.path.name}"
            + (f": {suite.description}" if suite.description else "")
        ),
        metadata={"suite": f"data_contracts/expectations/{suite.path.name}"},
    )
    def _expectations(context: dg.AssetCheckExecutionContext, warehouse: DuckDBResource):
        docs = docs_dir or data_docs_dir()
        with warehouse.get_connection() as con:
            report = validate_table(con, suite, docs)
        if not report.passed:
            context.log.error(report.message())
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
            passed=report.passed,
            severity=dg.AssetCheckSeverity.ERROR,
            metadata=metadata,
            description=report.message()[:1000],
        )

    return _expectations


def expectation_checks(
    asset_keys: Iterable[dg.AssetKey],
    suites_dir: Path | None = None,
    docs_dir: Path | None = None,
) -> list[dg.AssetChecksDefinition]:
    """A blocking check for each suite whose table is an asset of the definitions. Suites for
    tables that have no asset yet get no check here; publish refuses to run while a non-optional
    one's table is missing (orchestration/assets/publish.py)."""
    keys = set(asset_keys)
    return [
        _check_for(suite, docs_dir)
        for suite in discover_suites(suites_dir)
        if dg.AssetKey([suite.schema, suite.table]) in keys
    ]
