"""A failed Great Expectations suite stops publish, in the run where it fails and in later subset
runs, while the published version readers see stays byte for byte the same.

Uses the real factories (publishing_definitions, expectation_checks) on a two-asset toy graph, so
it runs in seconds without the mirror.
"""

# No `from __future__ import annotations`: Dagster reads the resource annotations at definition.

import hashlib
import json
from pathlib import Path

import dagster as dg
import pytest
from dagster_duckdb import DuckDBResource

from orchestration.assets.publish import PUBLISH_KEY, publishing_definitions
from publishing.publish import current_publish_id

SUITE = {
    "name": "marts.fct_widget",
    "meta": {"optional": False},
    "expectations": [
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "online_share", "min_value": 0, "max_value": 1}},
    ],
}
STATE = {"share": 0.5}


@dg.asset(key=["marts", "fct_widget"], group_name="marts")
def fct_widget(warehouse: DuckDBResource) -> None:
    with warehouse.get_connection() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        con.execute(
            "CREATE OR REPLACE TABLE marts.fct_widget AS SELECT * FROM (VALUES ('w1', 0.2), "
            "('w2', ?::DOUBLE)) t(widget_id, online_share)",
            [STATE["share"]],
        )


@dg.asset(key=["seeds", "assumptions"], group_name="seeds")
def assumptions(warehouse: DuckDBResource) -> None:
    with warehouse.get_connection() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS seeds")
        con.execute("CREATE OR REPLACE TABLE seeds.assumptions AS SELECT 'A001' AS assumption_id")


def toy_definitions(tmp_path: Path, assets: list, suites: list[dict], asset_checks: tuple = ()) -> dg.Definitions:
    """The toy assets with the real publishing definitions (expectation checks from `suites`,
    the publish asset) and a job "all", everything under tmp_path."""
    folder = tmp_path / "suites"
    folder.mkdir()
    for suite in suites:
        (folder / f"{suite['name']}.json").write_text(json.dumps(suite), encoding="utf-8")
    base = dg.Definitions(
        assets=assets, asset_checks=list(asset_checks),
        resources={"warehouse": DuckDBResource(database=str(tmp_path / "atlas.duckdb"))},
    )
    return dg.Definitions.merge(
        base,
        publishing_definitions(base, suites_dir=folder, docs_dir=tmp_path / "docs",
                               directory=tmp_path / "published"),
        dg.Definitions(jobs=[dg.define_asset_job("all", executor_def=dg.in_process_executor)]),
    )


@pytest.fixture
def toy(tmp_path):
    defs = toy_definitions(tmp_path, [fct_widget, assumptions], [SUITE])
    return defs.resolve_job_def("all"), dg.DagsterInstance.ephemeral(), tmp_path / "published"


def run(job, instance, share: float, selection=None):
    STATE["share"] = share
    return job.execute_in_process(instance=instance, raise_on_error=False, asset_selection=selection)


def materialized(result) -> set[str]:
    return {e.asset_key.to_user_string() for e in result.all_events
            if e.event_type_value == "ASSET_MATERIALIZATION"}


def fingerprint(folder: Path) -> dict[str, str]:
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.glob("atlas-*"))}


def test_a_failed_expectation_stops_publish_now_and_in_later_subset_runs(toy, record_fault):
    job, instance, published = toy
    good = run(job, instance, 0.5)
    assert good.success
    assert "published/atlas" in materialized(good)
    first = current_publish_id(published)
    before = fingerprint(published)

    record_fault("mart value breaks its expectation suite")
    bad = run(job, instance, 1.7)
    assert not bad.success
    assert "published/atlas" not in materialized(bad)
    check = next(e.event_specific_data for e in bad.all_events
                 if e.event_type_value == "ASSET_CHECK_EVALUATION")
    assert not check.passed and check.check_name == "great_expectations"
    assert "expect_column_values_to_be_between" in str(check.metadata["failed_expectations"].value)
    assert "1.7" in str(check.metadata["offending_rows_sample"].value)
    assert current_publish_id(published) == first
    assert fingerprint(published) == before

    # A later run that rebuilds only something else must not publish the table that failed.
    record_fault("subset run after a failed expectation")
    subset = run(job, instance, 1.7, selection=[dg.AssetKey(["seeds", "assumptions"]), PUBLISH_KEY])
    assert not subset.success
    failure = next(e for e in subset.all_events if e.is_step_failure)
    assert "marts/fct_widget:great_expectations" in failure.event_specific_data.error.message
    assert fingerprint(published) == before

    fixed = run(job, instance, 0.25)
    assert fixed.success and current_publish_id(published) != first


@dg.asset_check(asset=fct_widget, blocking=True, description="a toy stand-in for a dbt test")
def widget_has_rows(warehouse: DuckDBResource) -> dg.AssetCheckResult:
    with warehouse.get_connection() as con:
        rows = con.execute("SELECT count(*) FROM marts.fct_widget").fetchall()[0][0]
    return dg.AssetCheckResult(passed=rows > 0)


def _rebuilt_without_checks(instance, warehouse: Path, share: float) -> None:
    """What a subset run that failed before its tests leaves behind: the table rebuilt, in another
    run, and no check evaluated on the new contents."""
    import duckdb

    with duckdb.connect(str(warehouse)) as con:
        con.execute("UPDATE marts.fct_widget SET online_share = ? WHERE widget_id = 'w2'", [share])
    instance.report_runless_asset_event(dg.AssetMaterialization(asset_key=["marts", "fct_widget"]))


def test_a_table_rebuilt_after_its_suite_ran_is_validated_again_before_publish(toy, tmp_path, record_fault):
    job, instance, published = toy
    assert run(job, instance, 0.5).success
    before = fingerprint(published)
    record_fault("mart rebuilt by a failed subset run, its suite not rerun")
    _rebuilt_without_checks(instance, tmp_path / "atlas.duckdb", 1.9)
    publish_only = run(job, instance, 0.5, selection=[PUBLISH_KEY])
    assert not publish_only.success
    failure = next(e for e in publish_only.all_events if e.is_step_failure)
    assert "marts.fct_widget" in failure.event_specific_data.error.message
    assert fingerprint(published) == before


def test_a_table_rebuilt_after_its_other_checks_ran_stops_publish_naming_the_rerun(tmp_path, record_fault):
    defs = toy_definitions(tmp_path, [fct_widget, assumptions], [], asset_checks=(widget_has_rows,))
    job, instance = defs.resolve_job_def("all"), dg.DagsterInstance.ephemeral()
    assert run(job, instance, 0.5).success
    before = fingerprint(tmp_path / "published")
    record_fault("mart rebuilt by a failed subset run, its tests not rerun")
    _rebuilt_without_checks(instance, tmp_path / "atlas.duckdb", 0.6)
    publish_only = run(job, instance, 0.5, selection=[PUBLISH_KEY])
    assert not publish_only.success
    message = next(e for e in publish_only.all_events if e.is_step_failure).event_specific_data.error.message
    assert "rebuilt after their checks last ran" in message
    assert "marts/fct_widget:widget_has_rows" in message
    assert "make run SELECT='key:marts/fct_widget'" in message
    assert fingerprint(tmp_path / "published") == before
    # rebuilding it with its checks lets the next publish through
    assert run(job, instance, 0.6).success
    assert fingerprint(tmp_path / "published") != before


@dg.multi_asset(specs=[dg.AssetSpec(["marts", "fct_gadget"], group_name="marts"),
                       dg.AssetSpec(["marts", "fct_gizmo"], group_name="marts")])
def gadgets_and_gizmos(warehouse: DuckDBResource):
    with warehouse.get_connection() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS marts")
        for table in ("fct_gadget", "fct_gizmo"):
            share = STATE["share"] if table == "fct_gizmo" else 0.5
            con.execute(f"CREATE OR REPLACE TABLE marts.{table} AS SELECT 'w1' AS widget_id, ?::DOUBLE AS online_share",
                        [share])
    yield dg.MaterializeResult(asset_key=["marts", "fct_gadget"])
    yield dg.MaterializeResult(asset_key=["marts", "fct_gizmo"])


@dg.asset(key=["scoring", "gadget_report"], group_name="scoring", deps=[dg.AssetKey(["marts", "fct_gadget"])])
def gadget_report(warehouse: DuckDBResource) -> None:
    with warehouse.get_connection() as con:
        con.execute("CREATE SCHEMA IF NOT EXISTS scoring")
        con.execute("CREATE OR REPLACE TABLE scoring.gadget_report AS SELECT count(*) AS n FROM marts.fct_gadget")


def test_the_suites_of_one_step_s_tables_run_in_one_step_and_a_failure_stops_what_follows(tmp_path, record_fault):
    """Issue 18: the checks of the tables one assets definition materialises run in one step. A
    failed suite fails that step after every suite has its result, and nothing downstream of any
    of its tables runs (here the report on the table that passed), publish included."""
    defs = toy_definitions(tmp_path, [gadgets_and_gizmos, gadget_report, assumptions],
                           [dict(SUITE, name=f"marts.{table}") for table in ("fct_gadget", "fct_gizmo")])
    assert [c.node_def.name for c in defs.asset_checks] == ["gadgets_and_gizmos_great_expectations"]
    job, instance = defs.resolve_job_def("all"), dg.DagsterInstance.ephemeral()
    good = run(job, instance, 0.5)
    assert good.success and {"scoring/gadget_report", "published/atlas"} <= materialized(good)

    record_fault("one of two suites in one checks step fails")
    bad = run(job, instance, 1.7)
    assert not bad.success
    results = {e.event_specific_data.asset_key.to_user_string(): e.event_specific_data.passed
               for e in bad.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"}
    assert results == {"marts/fct_gadget": True, "marts/fct_gizmo": False}
    assert {e.step_key for e in bad.all_events if e.event_type_value == "ASSET_CHECK_EVALUATION"} == {
        "gadgets_and_gizmos_great_expectations"}
    assert not {"scoring/gadget_report", "published/atlas"} & materialized(bad)
