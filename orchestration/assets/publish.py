"""The `published/atlas` asset: copy the build warehouse into a new read-only published version.

It depends on every asset in the groups marts, scoring and seeds, found from the definitions (so a
new mart or score is picked up without an edit here), and so runs only when all of them and their
blocking checks (dbt tests, Great Expectations suites, scoring checks) succeeded in the run. Before
it copies anything it also refuses to publish when:

- a non-optional expectation suite's table is missing, or a suite fails that has no asset check
  (or whose check this Dagster instance never evaluated), which publish then runs itself;
- the latest evaluation of any blocking check on an upstream asset failed, in this run or an
  earlier one (a subset run must not publish a mart whose test failed last time);
- a table keyed by service and fiscal year holds services that marts.dim_service does not (the
  candidate's cross-table integrity, checked whatever the run rebuilt);
- a table was materialised, in another run, after its checks last ran (a subset run that failed
  before its tests): its expectation suite is run again here, and any other stale check stops the
  publish, naming the table and the command that rebuilds it with its checks.

The mechanics (copy, manifest, pointer swap, pruning) are in publishing/publish.py.
"""


from collections.abc import Iterable, Sequence
from pathlib import Path

import dagster as dg
from dagster_duckdb import DuckDBResource

from ingestion.settings import data_docs_dir, published_dir
from orchestration.assets.expectations import CHECK_NAME, expectation_checks
from orchestration.gate import failed_checks, refusal, stale_checks
from publishing.publish import orphan_service_keys
from publishing.publish import publish as publish_version
from quality.expectations import discover_suites, validate_table

PUBLISH_KEY = dg.AssetKey(["published", "atlas"])
PUBLISHED_GROUPS = ("marts", "scoring", "seeds")
OWNER = "team:atlas-data-engineering"


def _specs(assets: Iterable[object]) -> list[dg.AssetSpec]:
    specs: list[dg.AssetSpec] = []
    for item in assets:
        if isinstance(item, dg.AssetsDefinition):
            specs.extend(item.specs)
        elif isinstance(item, dg.AssetSpec):
            specs.append(item)
    return specs


def _check_keys(assets: Iterable[object], checks: Sequence[dg.AssetChecksDefinition]) -> set[dg.AssetCheckKey]:
    keys: set[dg.AssetCheckKey] = set()
    for item in [*assets, *checks]:
        if isinstance(item, dg.AssetsDefinition):
            keys |= set(item.check_keys)
    return keys


def build_publish_asset(
    deps: Sequence[dg.AssetKey],
    gate_checks: Iterable[dg.AssetCheckKey] = (),
    *,
    suites_dir: Path | None = None,
    suites_with_assets: Iterable[str] = (),
    docs_dir: Path | None = None,
    directory: Path | None = None,
) -> dg.AssetsDefinition:
    """The publish asset over `deps`, refusing to run while any of `gate_checks` last failed."""
    gate = tuple(gate_checks)
    checked_by_asset = frozenset(suites_with_assets)

    @dg.asset(
        key=PUBLISH_KEY,
        group_name="publish",
        owners=[OWNER],
        kinds={"duckdb"},
        deps=list(deps),
        description=(
            "The published warehouse: a read-only DuckDB file (DuckDB 1.x storage format) with the "
            "marts, scoring and seeds schemas and the raw load log, plus a manifest (source "
            "checksums, parameters, row counts and content hashes), behind the pointer "
            "published/atlas.duckdb. Runs only when everything upstream and its blocking checks "
            "succeeded. Roll back with `python -m orchestration rollback <publish_id>`."
        ),
    )
    def publish_asset(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        failed, never_evaluated = failed_checks(context.instance, gate)
        if failed:
            raise dg.Failure(
                description=refusal("not publishing", failed),
                metadata={"failed_checks": dg.MetadataValue.json(failed)},
                allow_retries=False,
            )
        # A check older than its table's current contents says nothing about them: expectation
        # suites are run again below; any other such check stops the publish, naming the rerun.
        outdated = stale_checks(context.instance, gate)
        never_evaluated = never_evaluated | {k for k in outdated if k.name == CHECK_NAME}
        unchecked = sorted({k.asset_key.to_user_string() for k in outdated if k.name != CHECK_NAME})
        if unchecked:
            names = sorted(f"{k.asset_key.to_user_string()}:{k.name}" for k in outdated if k.name != CHECK_NAME)
            raise dg.Failure(
                description="not publishing: these tables were rebuilt after their checks last ran, "
                f"so their contents are unchecked: {', '.join(unchecked)} (checks {', '.join(names[:10])}"
                f"{' ...' if len(names) > 10 else ''}). Rebuild them with their checks, e.g. "
                + " ".join(f"`make run SELECT='key:{t}'`" for t in unchecked[:3]) + ", or run `make run`.",
                metadata={"stale_checks": dg.MetadataValue.json(names)},
                allow_retries=False,
            )
        with warehouse.get_connection() as con:
            problems = []
            for suite in discover_suites(suites_dir):
                check_key = dg.AssetCheckKey(dg.AssetKey([suite.schema, suite.table]), CHECK_NAME)
                if suite.name not in checked_by_asset or check_key in never_evaluated:
                    # no asset check, or one that never ran here (e.g. a fresh DAGSTER_HOME and a
                    # run of publish alone): validate now
                    report = validate_table(con, suite, docs_dir or data_docs_dir())
                    if not report.passed:
                        problems.append(report.message())
                elif not suite.optional:
                    # checked by its asset check; here only make sure the table is there
                    exists = con.execute(
                        """SELECT count(*) FROM information_schema.tables WHERE
                           table_catalog = current_database() AND table_schema = ? AND table_name = ?""",
                        [suite.schema, suite.table],
                    ).fetchone()[0]
                    if not exists:
                        problems.append(f"{suite.name}: table missing (suite {suite.path.name})")
            # cross-table integrity of the candidate itself, whatever this run rebuilt
            problems.extend(orphan_service_keys(con))
            if problems:
                raise dg.Failure(
                    description="not publishing: " + "; ".join(problems),
                    metadata={"problems": dg.MetadataValue.json(problems)},
                    allow_retries=False,
                )
            manifest = publish_version(con, run_id=context.run.run_id, directory=directory)
        target = (directory or published_dir()) / manifest["database"]
        carried = manifest["carried_over_tables"]
        context.log.info(
            f"published {manifest['publish_id']} ({len(manifest['tables'])} tables"
            + (f", {len(carried)} unchanged ones kept from {manifest['carried_over_from']}" if carried else "")
            + f"): {target}"
        )
        return dg.MaterializeResult(
            metadata={
                "publish_id": manifest["publish_id"],
                "path": dg.MetadataValue.path(str(target)),
                "identical_to_previous": str(manifest["identical_to_previous"]),
                "changed_tables": dg.MetadataValue.json(manifest["changed_tables"]),
                "carried_over_tables": dg.MetadataValue.json(carried),
                "tables": dg.MetadataValue.json(
                    {name: t["rows"] for name, t in manifest["tables"].items()}
                ),
                "dagster/row_count": sum(t["rows"] for t in manifest["tables"].values()),
                "pruned_versions": dg.MetadataValue.json(manifest["pruned"]),
            }
        )

    return publish_asset


def publishing_definitions(
    defs: dg.Definitions,
    *,
    suites_dir: Path | None = None,
    docs_dir: Path | None = None,
    directory: Path | None = None,
) -> dg.Definitions:
    """The expectation checks and the publish asset for the assets of `defs`, to merge with it."""
    assets = list(defs.assets or [])
    specs = _specs(assets)
    keys = {s.key for s in specs}
    checks = expectation_checks([a for a in assets if isinstance(a, dg.AssetsDefinition | dg.AssetSpec)],
                                suites_dir, docs_dir)
    deps = sorted(
        (s.key for s in specs if s.group_name in PUBLISHED_GROUPS),
        key=lambda k: k.to_user_string(),
    )
    gate = {k for k in _check_keys([*assets, *(defs.asset_checks or [])], checks) if k.asset_key in set(deps)}
    checked = {f"{s.schema}.{s.table}" for s in discover_suites(suites_dir)
               if dg.AssetKey([s.schema, s.table]) in keys}
    publish_asset = build_publish_asset(
        deps, gate, suites_dir=suites_dir, suites_with_assets=checked, docs_dir=docs_dir,
        directory=directory,
    )
    return dg.Definitions(assets=[publish_asset], asset_checks=checks)
