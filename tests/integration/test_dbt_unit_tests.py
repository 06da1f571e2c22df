"""dbt's unit tests on DuckDB, which a pipeline run leaves out (UNIT_TESTS_EXCLUDED in
orchestration/assets/dbt.py).

They check the models' SQL on the fixed rows of their fixtures, so one run per change of the code
is enough: here, in `make test`, on a copy of the session's build (dbt reads the column types of a
model's inputs from the warehouse). The Spark build runs them on Spark (test_spark_equality.py).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

from ingestion.settings import DBT_PROJECT_DIR
from orchestration.assets.dbt import invocation_results
from orchestration.dbt_project import atlas_dbt_project
from orchestration.resources import dbt_executable
from tests.conftest import PROJECT_ROOT


def _unit_tests_in_manifest() -> set[str]:
    manifest = json.loads(atlas_dbt_project.manifest_path.read_text(encoding="utf-8"))
    return set(manifest.get("unit_tests", {}))


def test_every_dbt_unit_test_passes_on_duckdb(built_warehouse: Path, tmp_path: Path) -> None:
    expected = _unit_tests_in_manifest()
    assert len(expected) >= 17, f"the manifest names {len(expected)} dbt unit tests"
    warehouse = tmp_path / "atlas.duckdb"
    shutil.copyfile(built_warehouse, warehouse)
    env = dict(os.environ, ATLAS_WAREHOUSE=str(warehouse), ATLAS_DBT_TARGET="duckdb")
    target = tmp_path / "target"
    completed = subprocess.run(
        [str(dbt_executable()), "test", "--select", "test_type:unit",
         "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
         "--target", "duckdb", "--target-path", str(target), "--log-path", str(tmp_path / "logs")],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=600, check=False,
    )
    results = json.loads((target / "run_results.json").read_text(encoding="utf-8"))["results"]
    outcome = {r["unique_id"]: r["status"] for r in results}
    failed = {k: v for k, v in outcome.items() if v != "pass"}
    assert not failed, f"dbt unit tests did not pass: {failed}\n{completed.stdout[-4000:]}"
    assert set(outcome) == expected, completed.stdout[-4000:]
    assert completed.returncode == 0, completed.stdout[-4000:]


def test_a_pipeline_run_leaves_the_unit_tests_out(built_warehouse: Path) -> None:
    """The session build's dbt invocation ran the models and their data tests and no unit test:
    they run above instead. Its folder in dbt_project/target is named after the run's id, which
    the build's summary (run.log beside the warehouse) gives."""
    summary = (built_warehouse.parent / "run.log").read_text(encoding="utf-8")
    run_ids = re.findall(r"^run ([0-9a-f-]{36}): succeeded", summary, flags=re.MULTILINE)
    assert run_ids, f"no succeeded run in the build's run.log:\n{summary[-2000:]}"
    folders = sorted((DBT_PROJECT_DIR / "target").glob(f"atlas_dbt_models-{run_ids[-1][:7]}-*"))
    assert len(folders) == 1, f"dbt invocations of run {run_ids[-1]}: {folders}"
    elapsed, results = invocation_results(folders[0])  # its dbt.log: the run writes no run_results.json
    kinds = {r["unique_id"].split(".")[0] for r in results}
    assert {"model", "test", "seed"} <= kinds, kinds
    assert "unit_test" not in kinds, kinds
    assert elapsed is not None and elapsed > 0
    assert {r["status"] for r in results} <= {"success", "ok", "pass"}, {r["status"] for r in results}
    # nothing reads dbt's JSON artifacts, which cost about 1 s a run to write (NO_JSON_ARTIFACTS)
    assert not (folders[0] / "run_results.json").exists() and not (folders[0] / "manifest.json").exists()
