"""The dbt project as Dagster assets: staging, intermediate and marts, with dbt tests as checks.

`dbt build` runs each model and then its data tests; an error-severity test failure makes dbt skip
the models downstream of it and fails this step, so the scoring assets do not run on bad marts.
dbt's unit tests (the models' SQL on fixed rows) run in CI, not in a pipeline run.

Every dbt test is an asset check. A singular test that reads several models names the one it
checks in its `meta.dagster.ref`. In a subset run dbt also runs, by its eager indirect selection,
tests of models the run did not select (a relationships test pointing at a selected model);
dagster-dbt reports those as observations, which no check history sees. They are recorded here as
evaluations of their own checks instead, so the publish gate judges them like any other.
"""


import json
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DagsterDbtTranslatorSettings, dbt_assets
from dagster_dbt.asset_utils import get_asset_check_key_for_test
from dagster_duckdb import DuckDBResource

from orchestration.assets.expectations import CHECK_NAME as EXPECTATIONS_CHECK
from orchestration.dbt_project import atlas_dbt_project
from orchestration.metadata import relation_metadata
from orchestration.resources import OfflineDbtCliResource, released
from quality import expectations

LAYERS = ("staging", "intermediate", "marts", "seeds")
# dbt's unit tests run the models' SQL on the fixed rows of their fixtures: the same outcome on
# every run whatever the sources hold, so a run does not repeat them (17 tests, about 12 s of dbt's
# thread time at 1x; issue 18). dbt Labs recommends running them in development and CI only, with
# this flag in production builds. `make test` runs them (tests/integration/test_dbt_unit_tests.py),
# and so does the Spark build (engines/spark.py), which checks the models on the other engine.
UNIT_TESTS_EXCLUDED = ("--exclude-resource-type", "unit_test")
# dbt writes its manifest.json twice per invocation (after parsing and again at the end) and its
# run_results.json: about 1 s of every run's dbt step (issue 18). Nothing reads them: Dagster gets
# each node's result from dbt's event stream, and the definitions use the project's own manifest
# (dbt_project/target/manifest.json, made by `make` before they load). The invocation's dbt.log
# (JSON lines, in its folder under dbt_project/target/) still records every node's status and
# time and dbt's elapsed time: invocation_results reads them.
NO_JSON_ARTIFACTS = ("--no-write-json",)


class AtlasTranslator(DagsterDbtTranslator):
    """Key dbt models and seeds by schema and name (["marts", "fct_ca_service"]), group them by
    layer, and own them; sources keep the raw asset keys given in their `meta.dagster`."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props.get("resource_type") in ("model", "seed", "snapshot"):
            return dg.AssetKey([dbt_resource_props["schema"], dbt_resource_props["name"]])
        return super().get_asset_key(dbt_resource_props)

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        if dbt_resource_props.get("resource_type") == "seed":
            return "seeds"
        fqn = dbt_resource_props.get("fqn", [])
        for layer in LAYERS:
            if layer in fqn:
                return layer
        return super().get_group_name(dbt_resource_props)

    def get_owners(self, dbt_resource_props: Mapping[str, Any]) -> list[str]:
        return ["team:atlas-analytics-engineering"]


translator = AtlasTranslator(settings=DagsterDbtTranslatorSettings(enable_asset_checks=True))


@dbt_assets(
    manifest=atlas_dbt_project.manifest_path,
    project=atlas_dbt_project,
    dagster_dbt_translator=translator,
    name="atlas_dbt_models",
)
def atlas_dbt_models(
    context: dg.AssetExecutionContext, dbt: OfflineDbtCliResource, warehouse: DuckDBResource
):
    """Build the dbt models and run their data tests (dbt build) for the selected assets: one dbt
    invocation per run; no dbt model reads a table that Python wrote. dbt's unit tests are left
    out (UNIT_TESTS_EXCLUDED): they check the models' SQL on fixed rows, not the data."""
    with released(warehouse):  # dbt opens the warehouse from its own process
        invocation = dbt.cli(["build", *UNIT_TESTS_EXCLUDED, *NO_JSON_ARTIFACTS], context=context)  # dbt runs from here
        if runs_expectation_suites(context.run):
            # imported while this step waits for dbt, not in the first suite's step; started only
            # now, as the import holds Python's lock for much of its 3 s, which would slow the
            # preparation of the dbt command (a cold 1x run: 2 s -> 6 s from the step's start to dbt's)
            expectations.preload()
        held, failure = hold_events(invocation.stream())
    yield from with_table_metadata(context, held, failure, warehouse)


def runs_expectation_suites(run: dg.DagsterRun) -> bool:
    """Whether the run may run a Great Expectations check: it selects no checks in particular
    (its assets' checks run), or one of those it selects is a suite's."""
    selection = run.asset_check_selection
    return selection is None or any(key.name == EXPECTATIONS_CHECK for key in selection)


def hold_events(events: Iterable[Any]) -> tuple[list[Any], BaseException | None]:
    """Every event of the dbt invocation, read to its end (dbt has exited then), and the error that
    ended it if dbt failed."""
    held: list[Any] = []
    try:
        for event in events:
            held.append(event)
    except Exception as error:  # dbt failed: report what it did, then fail the step
        return held, error
    return held, None


def with_table_metadata(
    context: dg.AssetExecutionContext, held: list[Any], failure: BaseException | None,
    warehouse: DuckDBResource,
) -> Iterator[Any]:
    """The dbt events, each model's materialisation with its row count and first rows added.

    The warehouse is read only after the dbt process has exited (DuckDB allows one writer and no
    reader beside it): `held` is every event it produced (`hold_events`); if dbt failed, they are
    still passed on before its error, `failure`."""
    evaluations, held = tests_outside_the_selection(held)
    for evaluation in evaluations:
        context.log_event(evaluation)
    extra: dict[dg.AssetKey, dict[str, object]] = {}
    keys = [context.asset_key_for_output(e.output_name) for e in held if isinstance(e, dg.Output)]
    if keys:
        try:
            with warehouse.get_connection() as con:
                for key in keys:
                    if len(key.path) == 2:
                        try:
                            extra[key] = relation_metadata(con, *key.path)
                        except Exception as error:  # a model dbt did not build: no metadata
                            context.log.debug(f"no table metadata for {key.to_user_string()}: {error}")
        except Exception as error:
            context.log.warning(f"could not read table metadata from the warehouse: {error}")
    for event in held:
        if isinstance(event, dg.Output):
            key = context.asset_key_for_output(event.output_name)
            if key in extra:
                # dagster-dbt's own column schema (with dbt's descriptions) stays in the definition
                added = {k: v for k, v in extra[key].items() if k != "dagster/column_schema"}
                event = event.with_metadata({**event.metadata, **added})
        yield event
    if failure is not None:
        raise failure


def invocation_results(folder: Path) -> tuple[float | None, list[dict[str, Any]]]:
    """dbt's own account of an invocation from its dbt.log in `folder` (the JSON lines dagster-dbt
    has dbt write there): its elapsed time in seconds (None if it did not finish running nodes)
    and one record per node that finished, with its `unique_id`, `resource_type`, `status` and
    `execution_time` (run_results.json's fields, which the pipeline's dbt step does not write)."""
    elapsed: float | None = None
    results: list[dict[str, Any]] = []
    with (folder / "dbt.log").open(encoding="utf-8") as lines:
        for line in lines:
            event = json.loads(line)
            data, name = event.get("data", {}), event.get("info", {}).get("name")
            if name == "FinishedRunningStats":
                elapsed = float(data["execution_time"])
            node = data.get("node_info") or {}
            if "execution_time" in data and node.get("unique_id") and node.get("node_status") != "started":
                results.append({"unique_id": node["unique_id"], "resource_type": node.get("resource_type"),
                                "status": str(data.get("status", node.get("node_status", ""))).lower(),
                                "execution_time": float(data["execution_time"])})
    return elapsed, results


@cache
def _manifest() -> Mapping[str, Any]:
    return json.loads(atlas_dbt_project.manifest_path.read_text(encoding="utf-8"))


def dbt_test_check_key(unique_id: str) -> dg.AssetCheckKey | None:
    """The asset check of a dbt test (None only for a node that is not a test)."""
    return get_asset_check_key_for_test(_manifest(), translator, unique_id, atlas_dbt_project)


def _text(value: object) -> str:
    return str(getattr(value, "value", value))


def tests_outside_the_selection(
    events: Iterable[Any],
) -> tuple[list[dg.AssetCheckEvaluation], list[Any]]:
    """Split dagster-dbt's observations of dbt tests (one per parent of a test the run did not
    select as a check) from the other events, and turn each test into one evaluation of its check:
    passed when dbt says `pass`, severity WARN when dbt says `warn`."""
    evaluations: dict[str, dg.AssetCheckEvaluation] = {}
    rest: list[Any] = []
    for event in events:
        unique_id = _text(event.metadata.get("unique_id", "")) if isinstance(
            event, dg.AssetObservation) else ""
        key = dbt_test_check_key(unique_id) if unique_id.startswith("test.") else None
        if key is None:
            rest.append(event)
            continue
        if unique_id in evaluations:
            continue
        status = _text(event.metadata.get("status", "")).lower()
        metadata = {k: v for k, v in event.metadata.items() if not k.startswith("dagster/")}
        evaluations[unique_id] = dg.AssetCheckEvaluation(
            asset_key=key.asset_key,
            check_name=key.name,
            passed=status == "pass",
            severity=dg.AssetCheckSeverity.WARN if status == "warn" else dg.AssetCheckSeverity.ERROR,
            metadata={**metadata, "run_by": "dbt indirect selection (the check was not selected)"},
        )
    return list(evaluations.values()), rest
