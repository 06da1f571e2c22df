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


def test_a_killed_run_publishes_nothing_and_the_next_run_recovers_while_readers_read(
    built_warehouse, mirror, manifest, tmp_path, record_fault
):
    record_fault("run killed mid-way (during dbt build)")
    warehouse = _copy_build(built_warehouse, tmp_path / "work")
    published = warehouse.parent / "published"
    before = published_state(published)

    stop = tmp_path / "stop-reader"
    reads_file = tmp_path / "reads.json"
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
        output = _kill_when(killed, "Running dbt command", delay=3)
        assert killed.returncode == -signal.SIGKILL, output[-3000:]
        assert "published " not in output
        assert published_state(published) == before

        recovered = run_pipeline(warehouse, "--select", SELECTION, mirror_dir=mirror,
                                 home=tmp_path / "dagster_home")
        assert recovered.returncode == 0, recovered.stdout[-5000:]
        time.sleep(1)  # let the reader open the new version at least once
    finally:
        stop.touch()
        reader.wait(timeout=120)

    current = os.readlink(published / "atlas.duckdb")
    assert current != before["atlas.duckdb"].removeprefix("-> ")
    new = json.loads((published / current.replace(".duckdb", ".json")).read_text(encoding="utf-8"))
    # same inputs, same contents: the manifest says so, table by table
    assert new["previous_publish_id"] == manifest["publish_id"]
    assert new["changed_tables"] == [], new["changed_tables"]
    assert new["identical_to_previous"] is True
    assert f"published {new['publish_id']}" in recovered.stdout
    # the versions that were there before the kill are still there, byte for byte
    after = published_state(published)
    assert {k: v for k, v in after.items() if k in before and k != "atlas.duckdb"} == \
        {k: v for k, v in before.items() if k != "atlas.duckdb"}

    reads = json.loads(reads_file.read_text(encoding="utf-8"))
    errors = [r["error"] for r in reads if "error" in r]
    assert not errors, errors[:5]
    assert len(reads) >= 20
    assert all(r["complete"] for r in reads)
    assert {r["publish_id"] for r in reads} == {manifest["publish_id"], new["publish_id"]}
