"""What the Dagster UI shows and what runs by itself: every asset described, owned, grouped and
kinded; the weekly full refresh; freshness policies on the published tables; and the source sensor,
which requests only the assets a changed source affects (against the session's real build)."""

from __future__ import annotations

import json
import shutil

import dagster as dg
import pytest
import yaml

GROUPS = {"raw", "staging", "intermediate", "seeds", "marts", "scoring", "publish", "exports"}
KINDS = {"duckdb", "dbt", "polars", "numpy", "parquet", "excel"}
SI = "tbs_canada__service_inventory"


@pytest.fixture(scope="module")
def defs():
    from orchestration.definitions import defs

    return defs


@pytest.fixture(scope="module")
def graph(defs):
    return defs.resolve_asset_graph()


def test_every_asset_has_a_description_owner_group_and_kinds(graph):
    problems = []
    for key in graph.get_all_asset_keys():
        node = graph.get(key)
        if not (node.description or "").strip():
            problems.append(f"{key.to_user_string()}: no description")
        if not node.owners:
            problems.append(f"{key.to_user_string()}: no owner")
        if node.group_name not in GROUPS:
            problems.append(f"{key.to_user_string()}: group {node.group_name}")
        if not node.kinds or not node.kinds <= KINDS:
            problems.append(f"{key.to_user_string()}: kinds {node.kinds}")
    assert not problems, problems[:20]
    assert graph.get(dg.AssetKey(["exports", "atlas"])).group_name == "exports"
    assert dg.AssetKey(["published", "atlas"]) in graph.get(dg.AssetKey(["exports", "atlas"])).parent_keys


def test_a_weekly_schedule_refreshes_everything_and_published_tables_have_freshness_policies(defs, graph):
    schedule = defs.resolve_schedule_def("atlas_weekly_full_refresh")
    assert schedule.cron_schedule == "0 5 * * 1" and schedule.job_name == "atlas_full"
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    for key in (["marts", "dim_service"], ["scoring", "fct_service_automation_summary"],
                ["published", "atlas"], ["exports", "atlas"]):
        policy = graph.get(dg.AssetKey(key)).freshness_policy
        assert policy is not None and policy.fail_window.to_timedelta().days == 8, key
    assert graph.get(dg.AssetKey(["raw", SI])).freshness_policy is None


def _evaluate(defs, cursor: str | None = None):
    sensor = defs.resolve_sensor_def("atlas_source_versions")
    context = dg.build_sensor_context(cursor=cursor, definitions=defs)
    return sensor.evaluate_tick(context)


@pytest.fixture()
def published_env(built_warehouse, mirror, monkeypatch):
    monkeypatch.setenv("ATLAS_PUBLISHED_DIR", str(built_warehouse.parent / "published"))
    monkeypatch.setenv("ATLAS_MIRROR", str(mirror))
    return built_warehouse


def test_the_source_sensor_requests_nothing_while_the_sources_are_those_published(defs, published_env):
    result = _evaluate(defs)
    assert not result.run_requests
    assert "no source changed" in (result.skip_message or "")


def test_a_registry_update_requests_that_dataset_and_everything_downstream_only(defs, graph, published_env,
                                                                               tmp_path, monkeypatch):
    from ingestion.settings import SOURCES_DIR

    registry = tmp_path / "sources"
    shutil.copytree(SOURCES_DIR, registry)
    entry = yaml.safe_load((registry / f"{SI}.yml").read_text(encoding="utf-8"))
    entry["files"][0]["sha256"] = "0" * 64
    (registry / f"{SI}.yml").write_text(yaml.safe_dump(entry, sort_keys=False), encoding="utf-8")
    monkeypatch.setenv("ATLAS_SOURCES_DIR", str(registry))
    result = _evaluate(defs)
    assert len(result.run_requests) == 1
    request = result.run_requests[0]
    keys = set(request.asset_selection)
    assert dg.AssetKey(["raw", SI]) in keys
    assert {dg.AssetKey(["marts", "dim_service"]), dg.AssetKey(["published", "atlas"]),
            dg.AssetKey(["exports", "atlas"])} <= keys
    assert not {k for k in keys if k.path[0] == "raw" and not k.path[1].startswith(SI)}
    assert dg.AssetKey(["marts", "dim_occupation"]) not in keys  # not downstream of the inventory
    assert request.tags["atlas/changed_datasets"] == SI
    # the same change is requested once, not on every tick
    again = _evaluate(defs, cursor=result.cursor)
    assert not again.run_requests and "already requested" in (again.skip_message or "")


def test_a_changed_mirror_file_is_noticed_by_its_checksum(defs, published_env, mirror, tmp_path, monkeypatch):
    fake = tmp_path / "mirror"
    fake.mkdir()
    for item in mirror.iterdir():
        (fake / item.name).symlink_to(item)
    (fake / "gds__transactions_explorer").unlink()
    (fake / "gds__transactions_explorer").mkdir()
    original = mirror / "gds__transactions_explorer" / "transaction-volumes.csv"
    (fake / "gds__transactions_explorer" / "transaction-volumes.csv").write_bytes(original.read_bytes() + b"\n")
    monkeypatch.setenv("ATLAS_MIRROR", str(fake))
    result = _evaluate(defs)
    assert len(result.run_requests) == 1
    assert result.run_requests[0].tags["atlas/changed_datasets"] == "gds__transactions_explorer"
    state = json.loads(result.cursor)
    assert any("gds__transactions_explorer" in k for k in state["requested"])
