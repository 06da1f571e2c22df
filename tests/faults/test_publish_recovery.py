"""A run killed mid-way publishes nothing and leaves the published warehouse byte for byte as it
was; the next run on the same inputs recovers and publishes identical contents (the manifest says
so); and a reader querying the published warehouse all along never fails and always sees one
complete version (row counts as in that version's manifest)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT, run_pipeline
from tests.faults.pipeline_batch import published_state

SI = "tbs_canada__service_inventory"
# One dataset and everything downstream of it up to and including publish (not what runs after
# publish, such as exports: this test is about building and publishing).
SELECTION = f"(key:raw/{SI}+ and not key:published/atlas+) or key:published/atlas"


@pytest.fixture(scope="module")
def manifest(built_warehouse) -> dict:
    published = built_warehouse.parent / "published"
    target = os.readlink(published / "atlas.duckdb")
    return json.loads((published / target.replace(".duckdb", ".json")).read_text(encoding="utf-8"))


def _copy_build(built_warehouse: Path, target: Path) -> Path:
    import shutil

    target.mkdir()
    shutil.copyfile(built_warehouse, target / "atlas.duckdb")
    shutil.copytree(built_warehouse.parent / "published", target / "published", symlinks=True)
    return target / "atlas.duckdb"


def _wait_for_a_read_of(reads_file: Path, database: str, timeout: float = 120) -> None:
    """Wait until the reader has read the version `database` (the pointer's new target)."""
    publish_id = database.removeprefix("atlas-").removesuffix(".duckdb")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if reads_file.exists() and publish_id in reads_file.read_text(encoding="utf-8"):
            return
        time.sleep(0.2)


def _kill_when(process: subprocess.Popen, marker: str, delay: float, timeout: float = 600) -> str:
    """Read the run's output until `marker`, wait `delay` seconds, then kill its whole process
    group (the run and its dbt subprocess), as a crash or an OOM kill would."""
    seen: list[str] = []
    deadline = time.monotonic() + timeout
    assert process.stdout is not None
    for line in process.stdout:
        seen.append(line)
        if marker in line or time.monotonic() > deadline:
            break
    time.sleep(delay)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    return "".join(seen)


@dataclass
class Scenario:
    published: Path
    before: dict[str, str]  # published_state before the killed run
    after_kill: dict[str, str]
    killed_returncode: int | None
    killed_output: str
    recovered: subprocess.CompletedProcess
    reads: list[dict]


@pytest.fixture(scope="module")
def scenario(built_warehouse, mirror, tmp_path_factory) -> Scenario:
    """On a copy of the session's build, with a reader querying the published warehouse all
    along: a run killed during its dbt build, then the same run again to completion."""
    tmp_path = tmp_path_factory.mktemp("killed_run")
    warehouse = _copy_build(built_warehouse, tmp_path / "work")
    published = warehouse.parent / "published"
    before = published_state(published)
    stop = tmp_path / "stop-reader"
    reads_file = tmp_path / "reads.jsonl"
    reader = subprocess.Popen(
        [sys.executable, "-m", "tests.faults.published_reader", str(published), str(reads_file),
         str(stop)],
        cwd=PROJECT_ROOT,
    )
    try:
        env = dict(os.environ, ATLAS_WAREHOUSE=str(warehouse), ATLAS_MIRROR=str(mirror),
                   DAGSTER_HOME=str(tmp_path / "dagster_home"))
        killed = subprocess.Popen(
            [sys.executable, "-m", "orchestration", "run", "--select", SELECTION],
            cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )
        output = _kill_when(killed, "  landing ", delay=3)  # the landing line: dbt has started
        after_kill = published_state(published)
        recovered = run_pipeline(warehouse, "--select", SELECTION, mirror_dir=mirror,
                                 home=tmp_path / "dagster_home")
        if published.joinpath("atlas.duckdb").is_symlink():
            _wait_for_a_read_of(reads_file, os.readlink(published / "atlas.duckdb"))
    finally:
        stop.touch()
        reader.wait(timeout=120)
    reads = [json.loads(line) for line in reads_file.read_text(encoding="utf-8").splitlines()]
    return Scenario(published, before, after_kill, killed.returncode, output, recovered, reads)


def _new_manifest(scenario: Scenario) -> dict:
    current = os.readlink(scenario.published / "atlas.duckdb")
    return json.loads((scenario.published / current.replace(".duckdb", ".json")).read_text(encoding="utf-8"))


def test_a_run_killed_mid_way_publishes_nothing(scenario, record_fault):
    record_fault("run killed mid-way (during dbt build)")
    assert scenario.killed_returncode == -signal.SIGKILL, scenario.killed_output[-3000:]
    assert "  landing " in scenario.killed_output
    assert scenario.after_kill == scenario.before  # byte for byte, pointer included


def test_the_next_run_recovers_and_publishes_without_touching_older_versions(scenario, manifest):
    assert scenario.recovered.returncode == 0, scenario.recovered.stdout[-5000:]
    new = _new_manifest(scenario)
    assert new["publish_id"] != manifest["publish_id"]
    assert new["previous_publish_id"] == manifest["publish_id"]
    assert f"published {new['publish_id']}" in scenario.recovered.stdout
    after = published_state(scenario.published)
    assert {k: v for k, v in after.items() if k in scenario.before and k != "atlas.duckdb"} == \
        {k: v for k, v in scenario.before.items() if k != "atlas.duckdb"}


def test_a_reader_never_fails_and_always_sees_one_complete_version(scenario, manifest):
    new = _new_manifest(scenario)
    errors = [r["error"] for r in scenario.reads if "error" in r]
    assert not errors, errors[:5]
    assert len(scenario.reads) >= 20
    assert all(r["complete"] for r in scenario.reads)  # row counts as in that version's manifest
    assert {r["publish_id"] for r in scenario.reads} == {manifest["publish_id"], new["publish_id"]}


def test_two_runs_on_the_same_inputs_publish_identical_contents(scenario, manifest):
    new = _new_manifest(scenario)
    assert new["changed_tables"] == [], (
        "tables whose contents differ between two runs on the same inputs (non-deterministic "
        f"code, e.g. an unstable sort or an unseeded draw): {new['changed_tables']}"
    )
    assert new["identical_to_previous"] is True
    assert {n: t["content_sha256"] for n, t in new["tables"].items()} == \
        {n: t["content_sha256"] for n, t in manifest["tables"].items()}
