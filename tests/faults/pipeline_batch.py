"""Run the real `atlas_full` job once per fault, in one process, and record what happened.

    python -m tests.faults.pipeline_batch SPEC.json RESULTS.json

Starting Python, loading the definitions and parsing dbt take about 20 s, the failing run itself a
few seconds: so the fault suite loads the definitions once and runs each fault here, one at a time,
each from the same pristine copy of a built and published warehouse. Per fault it sets the fault's
environment (a mirror with one broken file, a registry that accepts it, ...), runs the job on the
fault's asset selection exactly as `python -m orchestration run --select` does (in-process, a fresh
ephemeral Dagster instance), and records the outcome, the failure messages, and the sha256 of every
file in the published folder before and after.

SPEC: {"workdir": <folder holding atlas.duckdb>, "pristine": <folder with atlas.duckdb and
published/>, "faults": [{"name", "selection", "env": {VAR: value or null}, "fingerprint": compare the
build warehouse's tables before and after}], "sequences": [{"name",
"steps": [{"name", "selection", "env"}], "queries": {name: SQL}}]}. ATLAS_WAREHOUSE must be
<workdir>/atlas.duckdb in this process's environment (the definitions read it at import).

A sequence replays what an operator does over several runs: its steps run one after the other on
the same warehouse and the same Dagster instance (so each run sees the check history of the runs
before it), starting from the pristine copy; after each step the queries are run on the published
file and their rows recorded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import time
from pathlib import Path


def run_batch(root: Path, pristine: Path, mirror: Path, faults: list[dict],
              sequences: list[dict] | None = None) -> list[dict]:
    """Run this module in a child process on a spec of `faults` and `sequences` (see above),
    starting from the built warehouse folder `pristine`; the results, in order. `root` holds the
    spec, the results, the work folder and the Dagster home."""
    import subprocess

    from tests.conftest import PROJECT_ROOT

    workdir = root / "work"
    workdir.mkdir()
    spec = root / "spec.json"
    spec.write_text(json.dumps({"workdir": str(workdir), "pristine": str(pristine), "faults": faults,
                                "sequences": sequences or []}))
    env = dict(os.environ, ATLAS_WAREHOUSE=str(workdir / "atlas.duckdb"), ATLAS_MIRROR=str(mirror),
               DAGSTER_HOME=str(root / "dagster_home"))
    env.pop("ATLAS_SOURCES_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "tests.faults.pipeline_batch", str(spec), str(root / "results.json")],
        cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        timeout=1800,
    )
    assert done.returncode == 0, done.stdout[-5000:]
    return json.loads((root / "results.json").read_text())


def published_state(folder: Path) -> dict[str, str]:
    """sha256 of every file in the published folder, and where the pointer points."""
    state: dict[str, str] = {}
    if not folder.is_dir():
        return state
    for path in sorted(folder.iterdir()):
        if path.name in (".lock", "history.jsonl"):
            continue
        if path.is_symlink():
            state[path.name] = "-> " + os.readlink(path)
        elif path.is_file():
            state[path.name] = hashlib.sha256(path.read_bytes()).hexdigest()
    return state


def restore(pristine: Path, workdir: Path) -> None:
    for name in ("atlas.duckdb", "atlas.duckdb.wal"):
        (workdir / name).unlink(missing_ok=True)
        if (pristine / name).exists():
            shutil.copyfile(pristine / name, workdir / name)
    shutil.rmtree(workdir / "published", ignore_errors=True)
    shutil.copytree(pristine / "published", workdir / "published", symlinks=True)


def table_fingerprints(warehouse: Path) -> dict[str, list]:
    """Row count and an order-free hash of every raw, marts and scoring table of the build warehouse
    (raw tables without their load stamps)."""
    import duckdb

    # the configuration of the run's own connections (dagster-duckdb's user agent): DuckDB keeps one
    # database instance per file in a process and refuses a second configuration
    con = duckdb.connect(str(warehouse), config={"custom_user_agent": "dagster"})
    try:
        tables = con.execute(
            """SELECT table_schema, table_name FROM information_schema.tables
               WHERE table_schema IN ('raw', 'marts', 'scoring') AND table_type = 'BASE TABLE'
                 AND table_name <> '_load_log' ORDER BY 1, 2"""
        ).fetchall()
        out = {}
        for schema, name in tables:
            relation = (f'(SELECT * EXCLUDE (_loaded_at, _run_id) FROM "{schema}"."{name}")'
                        if schema == "raw" else f'"{schema}"."{name}"')
            out[f"{schema}.{name}"] = list(con.execute(f"SELECT count(*), sum(hash(t)) FROM {relation} t").fetchone())
        return out
    finally:
        con.close()


def published_rows(folder: Path, queries: dict[str, str]) -> dict[str, list]:
    """Each query's rows on the published file (read-only), as lists."""
    import duckdb

    if not queries or not (folder / "atlas.duckdb").exists():
        return {}
    con = duckdb.connect(str((folder / "atlas.duckdb").resolve()), read_only=True)
    try:
        return {name: [list(row) for row in con.execute(sql).fetchall()] for name, sql in queries.items()}
    finally:
        con.close()


def run_fault(job, fault: dict, workdir: Path, instance=None) -> dict:
    import dagster as dg

    saved = {k: os.environ.get(k) for k in fault.get("env", {})}
    for key, value in fault.get("env", {}).items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    before = published_state(workdir / "published")
    build_before = table_fingerprints(workdir / "atlas.duckdb") if fault.get("fingerprint") else None
    started = time.monotonic()
    try:
        from orchestration.definitions import defs

        selection = sorted(
            dg.AssetSelection.from_string(fault["selection"]).resolve(defs.resolve_asset_graph()),
            key=lambda k: k.to_user_string(),
        )
        result = job.execute_in_process(
            instance=instance or dg.DagsterInstance.ephemeral(), asset_selection=selection,
            raise_on_error=False,
        )
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    elapsed = time.monotonic() - started
    errors, failed_checks, materialized, started = [], [], [], []
    observed_tests, unselected_checks = [], []
    for event in result.all_events:
        if event.is_step_failure:
            error, parts = event.event_specific_data.error, []
            while error is not None:  # the step's error and its causes (a Failure in an op is wrapped)
                parts.append(error.message.strip())
                error = error.cause
            errors.append(f"{event.step_key}: {' / '.join(parts)}")
        elif event.event_type_value == "STEP_START":
            started.append(event.step_key)
        elif event.event_type_value == "ASSET_MATERIALIZATION":
            materialized.append(event.asset_key.to_user_string())
        elif event.event_type_value == "ASSET_OBSERVATION":
            unique_id = event.event_specific_data.asset_observation.metadata.get("unique_id")
            if unique_id is not None and str(unique_id.value).startswith("test."):
                observed_tests.append(str(unique_id.value))
        elif event.event_type_value == "ASSET_CHECK_EVALUATION":
            data = event.event_specific_data
            if "run_by" in data.metadata:
                unselected_checks.append(
                    {"check": f"{data.asset_key.to_user_string()}:{data.check_name}", "passed": data.passed})
            if not data.passed:
                failed_checks.append(
                    {
                        "check": f"{data.asset_key.to_user_string()}:{data.check_name}",
                        "metadata": {k: str(v.value)[:2000] for k, v in data.metadata.items()},
                    }
                )
    return {
        "name": fault["name"],
        "success": result.success,
        "seconds": round(elapsed, 1),
        "errors": errors,
        "failed_checks": failed_checks,
        "materialized": materialized,
        "selected": [k.to_user_string() for k in selection],
        "observed_tests": observed_tests,
        "unselected_checks": unselected_checks,
        "started_steps": started,
        "build_unchanged": (None if build_before is None
                            else build_before == table_fingerprints(workdir / "atlas.duckdb")),
        "published_before": before,
        "published_after": published_state(workdir / "published"),
    }


def main(spec_path: str, results_path: str) -> int:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    workdir, pristine = Path(spec["workdir"]), Path(spec["pristine"])
    from ingestion.settings import warehouse_path

    if warehouse_path() != workdir / "atlas.duckdb":
        raise SystemExit("ATLAS_WAREHOUSE must be <workdir>/atlas.duckdb")
    import dagster as dg

    restore(pristine, workdir)
    from orchestration.definitions import defs

    job = defs.resolve_job_def("atlas_full")
    results = []
    for fault in spec["faults"]:
        restore(pristine, workdir)
        results.append(run_fault(job, fault, workdir))
        print(f"fault {fault['name']}: {'succeeded' if results[-1]['success'] else 'failed'} "
              f"in {results[-1]['seconds']} s", flush=True)
    for sequence in spec.get("sequences", []):
        restore(pristine, workdir)
        instance = dg.DagsterInstance.ephemeral()
        steps = []
        for step in sequence["steps"]:
            steps.append(run_fault(job, step, workdir, instance=instance))
            steps[-1]["published_rows"] = published_rows(workdir / "published", sequence.get("queries", {}))
            print(f"sequence {sequence['name']}, step {step['name']}: "
                  f"{'succeeded' if steps[-1]['success'] else 'failed'} in {steps[-1]['seconds']} s", flush=True)
        results.append({"name": sequence["name"], "steps": steps})
    Path(results_path).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
