"""The Dagster home's storage (orchestration/storage.py, issue 18): the event log that keeps its
connections open stores and returns what Dagster's own SQLite storage does, a home written by one
is read by the other, and the project's dagster.yaml is written, updated and left alone as it says.
The GX preload started by the dbt step is here too."""

from __future__ import annotations

import sys
from pathlib import Path

import dagster as dg
import pytest
from dagster._core.storage.event_log.sqlite.sqlite_event_log import SqliteEventLogStorage

from orchestration import environment
from orchestration.storage import OPEN_DATABASES, AtlasSqliteEventLogStorage, AtlasSqliteStorage

STOCK_YAML = "telemetry:\n  enabled: false\n"


def _home(path: Path, yaml_text: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "dagster.yaml").write_text(yaml_text, encoding="utf-8")
    return path


def _instance(home: Path) -> dg.DagsterInstance:
    return dg.DagsterInstance.from_config(str(home))


@dg.multi_asset(
    specs=[dg.AssetSpec("a"), dg.AssetSpec("b")],
    check_specs=[dg.AssetCheckSpec("fine", asset="a"), dg.AssetCheckSpec("fails", asset="b")],
)
def _two_assets():
    yield dg.MaterializeResult(asset_key="a", metadata={"rows": 3})
    yield dg.AssetCheckResult(asset_key="a", check_name="fine", passed=True)
    yield dg.MaterializeResult(asset_key="b", metadata={"rows": 4})
    yield dg.AssetCheckResult(asset_key="b", check_name="fails", passed=False,
                              severity=dg.AssetCheckSeverity.WARN)


@dg.asset(deps=["a"])
def _after(context) -> None:
    context.log.info("downstream of a")


def _events(instance: dg.DagsterInstance, run_id: str) -> list[tuple]:
    """What a run stored, without ids and times: type, step, asset, check, passed, message."""
    out = []
    for entry in instance.all_logs(run_id):
        event = entry.dagster_event
        if event is None:
            out.append(("log", entry.step_key, entry.user_message))
            continue
        data = event.event_specific_data
        asset = event.asset_key.to_user_string() if event.asset_key else None
        check = getattr(data, "check_name", None)
        passed = getattr(data, "passed", None)
        out.append((event.event_type_value, event.step_key, asset, check, passed))
    return out


def _summary(instance: dg.DagsterInstance) -> dict:
    """What the UI's asset pages read: the latest materialisations and check executions."""
    keys = [dg.AssetKey("a"), dg.AssetKey("b")]
    latest = {k.to_user_string(): instance.get_latest_materialization_event(k) for k in keys}
    checks = instance.event_log_storage.get_latest_asset_check_execution_by_key(
        [dg.AssetCheckKey(dg.AssetKey("a"), "fine"), dg.AssetCheckKey(dg.AssetKey("b"), "fails")]
    )
    return {
        "rows": {k: v.asset_materialization.metadata["rows"].value for k, v in latest.items()},
        "checks": {k.to_user_string(): v.status.value for k, v in checks.items()},
    }


def test_the_storage_stores_what_dagsters_own_does(tmp_path):
    stock = _instance(_home(tmp_path / "stock", STOCK_YAML))
    atlas = _instance(_home(tmp_path / "atlas", environment.dagster_yaml(tmp_path / "atlas")))
    try:
        assert type(stock.event_log_storage) is SqliteEventLogStorage
        assert isinstance(atlas.event_log_storage, AtlasSqliteEventLogStorage)
        runs = {}
        for name, instance in (("stock", stock), ("atlas", atlas)):
            first = dg.materialize([_two_assets, _after], instance=instance, raise_on_error=False)
            second = dg.materialize([_two_assets, _after], instance=instance, raise_on_error=False)
            runs[name] = (instance, first.run_id, second.run_id)
        for index in (1, 2):
            assert _events(stock, runs["stock"][index]) == _events(atlas, runs["atlas"][index])
        assert _summary(stock) == _summary(atlas)
        assert _summary(atlas)["checks"] == {"a:fine": "SUCCEEDED", "b:fails": "FAILED"}
        assert len(atlas.get_runs()) == 2
    finally:
        stock.dispose()
        atlas.dispose()


def test_a_home_written_by_one_storage_reads_the_same_with_the_other(tmp_path, monkeypatch):
    home = _home(tmp_path / "home", environment.dagster_yaml(tmp_path / "home"))
    # the process's own home is elsewhere: the yaml's path counts, not DAGSTER_HOME
    monkeypatch.setenv("DAGSTER_HOME", str(_home(tmp_path / "other", STOCK_YAML)))
    atlas = _instance(home)
    run_id = dg.materialize([_two_assets, _after], instance=atlas, raise_on_error=False).run_id
    written, summary = _events(atlas, run_id), _summary(atlas)
    atlas.dispose()
    (home / "dagster.yaml").write_text(STOCK_YAML, encoding="utf-8")
    stock = _instance(home)
    assert type(stock.event_log_storage) is SqliteEventLogStorage
    assert _events(stock, run_id) == written
    assert _summary(stock) == summary
    # ... and back: Dagster's storage writes a run, the project's reads it
    again = dg.materialize([_two_assets, _after], instance=stock, raise_on_error=False).run_id
    stock_events = _events(stock, again)
    stock.dispose()
    (home / "dagster.yaml").write_text(environment.dagster_yaml(home), encoding="utf-8")
    atlas = _instance(home)
    assert _events(atlas, again) == stock_events
    assert len(atlas.get_runs()) == 2
    atlas.dispose()


def test_it_keeps_a_few_databases_open_and_closes_them_on_dispose(tmp_path):
    storage = AtlasSqliteStorage(str(tmp_path)).event_log_storage
    assert isinstance(storage, AtlasSqliteEventLogStorage)
    for shard in [f"run{i}" for i in range(OPEN_DATABASES + 3)]:
        with storage.run_connection(shard) as conn:
            conn.exec_driver_sql("SELECT 1")
    assert len(storage._engines) == OPEN_DATABASES
    assert list(storage._engines)[-1] == f"run{OPEN_DATABASES + 2}"  # the latest used stays
    storage.dispose()
    assert storage._engines == {}
    with storage.index_connection() as conn:  # reopens on use
        assert conn.exec_driver_sql("SELECT 1").scalar() == 1
    storage.dispose()


def test_it_remembers_only_tables_it_found(tmp_path, monkeypatch):
    storage = AtlasSqliteEventLogStorage(str(tmp_path))
    asked = []
    original = SqliteEventLogStorage.has_table

    def counting(self, name):
        asked.append(name)
        return original(self, name)

    monkeypatch.setattr(SqliteEventLogStorage, "has_table", counting)
    assert storage.has_table("asset_check_executions") and storage.has_table("asset_check_executions")
    assert not storage.has_table("no_such_table") and not storage.has_table("no_such_table")
    assert asked == ["asset_check_executions", "no_such_table", "no_such_table"]
    storage.dispose()


def test_dagster_yaml_written_updated_and_a_users_own_left_alone(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    config = home / "dagster.yaml"
    assert environment.write_dagster_yaml(home)
    assert config.read_text(encoding="utf-8") == environment.dagster_yaml(home)
    assert f'base_dir: "{home.resolve()}"' in config.read_text(encoding="utf-8")
    assert not environment.write_dagster_yaml(home)  # the same: untouched
    older = f"{environment.MARKER}: keep runs local and quiet.\ntelemetry:\n  enabled: false\n"
    config.write_text(older, encoding="utf-8")
    assert environment.write_dagster_yaml(home)
    assert "orchestration.storage" in config.read_text(encoding="utf-8")
    moved = tmp_path / "moved"
    home.rename(moved)  # a home moved elsewhere names its new path
    assert environment.write_dagster_yaml(moved)
    assert f'base_dir: "{moved.resolve()}"' in (moved / "dagster.yaml").read_text(encoding="utf-8")
    own = "# mine\ntelemetry:\n  enabled: true\n"
    (moved / "dagster.yaml").write_text(own, encoding="utf-8")
    assert not environment.write_dagster_yaml(moved)
    assert (moved / "dagster.yaml").read_text(encoding="utf-8") == own


def test_great_expectations_preloaded_once_in_the_background(monkeypatch):
    from quality import expectations

    calls = []
    monkeypatch.setattr(expectations, "_PRELOAD", None)
    monkeypatch.setattr(expectations, "_import_great_expectations", lambda: calls.append(1))
    monkeypatch.delitem(sys.modules, "great_expectations", raising=False)
    thread = expectations.preload()
    assert thread is not None
    thread.join(5)
    assert expectations.preload() is thread and calls == [1]
    monkeypatch.setattr(expectations, "_PRELOAD", None)
    monkeypatch.setitem(sys.modules, "great_expectations", object())
    assert expectations.preload() is None and calls == [1]  # imported already: nothing to start


@pytest.mark.parametrize(("selection", "expected"), [
    (None, True),
    ({dg.AssetCheckKey(dg.AssetKey(["marts", "dim_service"]), "great_expectations")}, True),
    ({dg.AssetCheckKey(dg.AssetKey(["marts", "dim_service"]), "not_null_dim_service_id")}, False),
    (set(), False),
])
def test_the_dbt_step_preloads_only_for_a_run_with_suites(selection, expected):
    from orchestration.assets.dbt import runs_expectation_suites

    run = dg.DagsterRun(job_name="atlas_full", asset_check_selection=selection)
    assert runs_expectation_suites(run) is expected
