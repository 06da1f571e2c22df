"""`make bench`: the whole pipeline from a cold start, per stage, against the floor its inputs set.

    python -m benchmarks.pipeline                       # 1x, with the two incremental runs
    python -m benchmarks.pipeline --factors 1 10 100    # and 10x, 100x services (scale generator)
    python -m benchmarks.pipeline --factors 10 --draws 5000 --no-incremental

Per scale factor, in a fresh work folder (warehouse, published copies, exports, Dagster home):

1. inputs: the mirror (ATLAS_MIRROR) at 1x, or the scale generator's copy of it (benchmarks/scale.py:
   more services resampled and perturbed from the real ones, more fiscal years);
2. cold run: the job `atlas_full`, exactly as `make run` executes it (one process, in-process
   executor), in a child process; a sampler thread reads the CPU time and resident memory of that
   process and its children (the dbt subprocess) from /proc every SAMPLE_SECONDS, and each Dagster
   step's start and end come from the run's events; per stage (STAGES): wall time (sum of its
   steps), CPU time and peak memory in those steps;
3. floors, measured in the same session right after the run: DuckDB scanning every registered
   input file once (landing), every raw and seed table (dbt build), the scoring inputs read as
   scoring/io.py reads them (scoring), every table with an expectation suite (checks), every table
   that is published (publish, exports); each stage is reported as a ratio to its floor;
4. incremental, nothing changed: the source-version sensor evaluated against the published
   version (it finds no change and requests no run);
5. incremental, one source changed: one value of the Frey and Osborne file republished (a copy in
   the work folder with its registry entry updated), the sensor evaluated, and the run it requests
   (that dataset's raw table and everything downstream of it) executed and measured as in 2.

Results: a table on stdout, and JSON in benchmarks/results/pipeline.json (one entry per factor; a
rerun replaces the entries of the factors it ran); with two or more factors, the growth exponent of
each stage (least-squares slope of log time, and of log peak memory, on log services). Nothing here
asserts a time; docs/benchmarks.md reports the numbers.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import platform
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "pipeline.json"
DEFAULT_WORK = ROOT / "benchmarks" / "work"
SAMPLE_SECONDS = 0.1
STAGES = ("landing", "dbt build", "scoring", "checks", "publish", "exports")
# The dataset the "one source changed" run republishes, and the row and column it corrects.
CHANGED_DATASET = "frey_osborne__computerisation"
PAGE = os.sysconf("SC_PAGE_SIZE")
TICKS = os.sysconf("SC_CLK_TCK")


# --- process-tree sampling ---------------------------------------------------------------------


def _stat(pid: int | str) -> tuple[int, float, int] | None:
    """(parent pid, CPU seconds of the process and its reaped children, resident bytes)."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as handle:
            fields = handle.read().rsplit(b")", 1)[1].split()
        with open(f"/proc/{pid}/statm", "rb") as handle:
            resident = int(handle.read().split()[1]) * PAGE
    except (FileNotFoundError, ProcessLookupError, IndexError, ValueError):
        return None
    # fields[0] is the state (field 3 of stat); utime..cstime are fields 14..17
    cpu = sum(int(v) for v in fields[11:15]) / TICKS
    return int(fields[1]), cpu, resident


def tree_usage(root: int) -> tuple[float, int]:
    """CPU seconds and resident bytes of `root` and all its live descendants. A child that has
    exited and been reaped counts in its parent's cumulative CPU (cutime, cstime)."""
    table: dict[int, tuple[int, float, int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            stat = _stat(entry)
            if stat is not None:
                table[int(entry)] = stat
    children: dict[int, list[int]] = {}
    for pid, (ppid, _, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    cpu, rss, stack = 0.0, 0, [root]
    while stack:
        pid = stack.pop()
        if pid in table:
            cpu += table[pid][1]
            rss += table[pid][2]
        stack.extend(children.get(pid, []))
    return cpu, rss


class Sampler(threading.Thread):
    """Samples (wall clock, tree CPU seconds, tree resident bytes) of this process until stopped."""

    def __init__(self, interval: float = SAMPLE_SECONDS) -> None:
        super().__init__(daemon=True)
        self.interval = interval
        self.samples: list[tuple[float, float, int]] = []
        self._halt = threading.Event()

    def sample(self) -> None:
        cpu, rss = tree_usage(os.getpid())
        self.samples.append((time.time(), cpu, rss))

    def run(self) -> None:
        while not self._halt.is_set():
            self.sample()
            self._halt.wait(self.interval)

    def stop(self) -> list[tuple[float, float, int]]:
        self._halt.set()
        self.join()
        self.sample()
        return self.samples


def cpu_at(samples: list[tuple[float, float, int]], moment: float) -> float:
    """Tree CPU seconds at `moment`, linearly between the samples around it."""
    if moment <= samples[0][0]:
        return samples[0][1]
    for (t0, c0, _), (t1, c1, _) in zip(samples, samples[1:], strict=False):
        if t0 <= moment <= t1:
            return c0 if t1 == t0 else c0 + (c1 - c0) * (moment - t0) / (t1 - t0)
    return samples[-1][1]


def peak_between(samples: list[tuple[float, float, int]], start: float, end: float) -> int:
    """Largest tree resident size sampled in [start, end], or at the sample nearest to it."""
    inside = [r for t, _, r in samples if start <= t <= end]
    if inside:
        return max(inside)
    return min(samples, key=lambda s: min(abs(s[0] - start), abs(s[0] - end)))[2]


# --- stages ------------------------------------------------------------------------------------


def stage_of(step_key: str) -> str:
    """The stage a Dagster step belongs to (step keys as the definitions name them)."""
    if step_key.endswith("_great_expectations"):
        return "checks"
    if step_key.startswith("raw__"):
        return "landing"
    if step_key.startswith("atlas_dbt_"):
        return "dbt build"
    if step_key.startswith("published__"):
        return "publish"
    if step_key.startswith("exports__"):
        return "exports"
    return "scoring"


def step_intervals(entries: Iterable[Any]) -> list[dict[str, Any]]:
    """Start, end and outcome of every step of a run, from its event log entries (which carry
    the timestamps; the DagsterEvents of a run result do not)."""
    started: dict[str, float] = {}
    steps = []
    for entry in entries:
        event = entry.dagster_event
        if event is None or not event.step_key:
            continue
        kind = event.event_type_value
        if kind == "STEP_START":
            started[event.step_key] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE") and event.step_key in started:
            steps.append({"step": event.step_key, "stage": stage_of(event.step_key),
                          "start": started[event.step_key], "end": entry.timestamp,
                          "ok": kind == "STEP_SUCCESS"})
    return steps


def per_stage(steps: list[dict[str, Any]], samples: list[tuple[float, float, int]],
              started: float, finished: float) -> dict[str, dict[str, float]]:
    """Wall, CPU and peak memory per stage; 'orchestration' is the run's wall time outside steps
    (start-up, definitions, Dagster's bookkeeping between steps)."""
    out: dict[str, dict[str, float]] = {}
    for stage in STAGES:
        mine = [s for s in steps if s["stage"] == stage]
        if not mine:
            continue
        out[stage] = {
            "steps": len(mine),
            "wall_s": sum(s["end"] - s["start"] for s in mine),
            "cpu_s": sum(cpu_at(samples, s["end"]) - cpu_at(samples, s["start"]) for s in mine),
            "peak_rss_mb": max(peak_between(samples, s["start"], s["end"]) for s in mine) / 2**20,
        }
    inside = sum(v["wall_s"] for v in out.values())
    out["orchestration"] = {
        "steps": 0,
        "wall_s": max(0.0, (finished - started) - inside),
        "cpu_s": max(0.0, (cpu_at(samples, finished) - cpu_at(samples, started))
                     - sum(v["cpu_s"] for v in out.values())),
        "peak_rss_mb": max(r for _, _, r in samples) / 2**20,
    }
    return out


# --- the child: one measured Dagster run ------------------------------------------------------


def _run_config(draws: int | None) -> dict[str, Any] | None:
    if draws is None:
        return None
    return {"ops": {"automation_model": {"config": {"monte_carlo_draws": draws}}}}


def child(mode: str, draws: int | None, out: Path) -> int:
    """Executed in a fresh process (its environment set by the parent): a full run, or a sensor
    evaluation and the run it requests; the measurements go to `out` as JSON."""
    sampler = Sampler()
    sampler.start()
    started = time.time()
    from orchestration import environment

    environment.configure()
    import dagster as dg

    from orchestration.definitions import defs

    record: dict[str, Any] = {"mode": mode}
    selection = None
    if mode == "incremental":
        from orchestration.schedules import source_versions_sensor

        t = time.time()
        with dg.build_sensor_context(repository_def=defs.get_repository_def(),
                                     instance=dg.DagsterInstance.get()) as context:
            result = source_versions_sensor(context)
        record["sensor_s"] = time.time() - t
        requests = list(getattr(result, "run_requests", None) or [])
        skip = result if isinstance(result, dg.SkipReason) else getattr(result, "skip_reason", None)
        record["sensor_result"] = (
            f"{len(requests)} run request(s)" if requests
            else str(getattr(skip, "skip_message", skip) or "no run requested")
        )
        if not requests:
            samples = sampler.stop()
            record.update(steps=[], assets=0, success=True, started=started, finished=time.time(),
                          stages={}, total_wall_s=time.time() - started,
                          total_cpu_s=samples[-1][1] - samples[0][1],
                          peak_rss_mb=max(r for _, _, r in samples) / 2**20)
            out.write_text(json.dumps(record, indent=1), encoding="utf-8")
            return 0
        selection = list(requests[0].asset_selection or [])
    job = defs.get_job_def("atlas_full")
    scored = selection is None or dg.AssetKey(["scoring", "fct_service_automation"]) in selection
    result = job.execute_in_process(
        instance=dg.DagsterInstance.get(), asset_selection=selection,
        run_config=_run_config(draws) if scored else None, raise_on_error=False,
    )
    finished = time.time()
    samples = sampler.stop()
    steps = step_intervals(dg.DagsterInstance.get().all_logs(result.run_id))
    record.update(
        success=result.success,
        assets=sum(1 for e in result.all_events if e.event_type_value == "ASSET_MATERIALIZATION"),
        failed_steps=[s["step"] for s in steps if not s["ok"]],
        started=started, finished=finished, total_wall_s=finished - started,
        total_cpu_s=cpu_at(samples, finished) - samples[0][1],
        peak_rss_mb=max(r for _, _, r in samples) / 2**20,
        stages=per_stage(steps, samples, started, finished),
        run_id=result.run_id,
        dbt=dbt_breakdown(result.run_id),
        slowest_steps=sorted(({"step": s["step"], "wall_s": s["end"] - s["start"]} for s in steps),
                             key=lambda s: -s["wall_s"])[:8],
    )
    out.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return 0 if result.success else 1


def dbt_breakdown(run_id: str) -> list[dict[str, Any]]:
    """dbt's own account of each dbt invocation of a run, from its dbt.log (dagster-dbt leaves it in
    dbt_project/target/<asset>-<run id[:7]>-*/; orchestration.assets.dbt.invocation_results):
    dbt's elapsed time, and per node type the count and summed execution time (summed over dbt's
    threads, so it can exceed the elapsed)."""
    from orchestration.assets.dbt import invocation_results

    out = []
    for path in sorted((ROOT / "dbt_project" / "target").glob(f"*-{run_id[:7]}-*/dbt.log")):
        elapsed, results = invocation_results(path.parent)
        kinds: dict[str, dict[str, float]] = {}
        for node in results:
            kind = kinds.setdefault(node["unique_id"].split(".")[0], {"nodes": 0, "seconds": 0.0})
            kind["nodes"] += 1
            kind["seconds"] += node["execution_time"]
        slowest = sorted(results, key=lambda n: -n["execution_time"])
        out.append({"invocation": path.parent.name, "dbt_elapsed_s": elapsed,
                    "by_type": kinds,
                    "slowest": [{"node": n["unique_id"], "seconds": n["execution_time"]}
                                for n in slowest[:5]]})
    return out


# --- floors ------------------------------------------------------------------------------------


def _timed(fn) -> float:
    t = time.perf_counter()
    fn()
    return time.perf_counter() - t


def scan_files(mirror: Path, sources: Path) -> dict[str, Any]:
    """DuckDB reading every file that a raw table loads, once: delimited text parsed by read_csv
    (every field as text), JSON by read_json, anything else (Excel, zip) read as bytes (read_blob):
    DuckDB has no reader for those without extensions, which are not installed here."""
    import duckdb

    from ingestion.catalog import raw_tables
    from ingestion.sql import quote_literal

    os.environ["ATLAS_SOURCES_DIR"] = str(sources)
    files = sorted({(t.dataset_id, f) for t in raw_tables() for f in t.files})
    con = duckdb.connect()
    seconds, total_bytes, how = 0.0, 0, {"csv": 0, "json": 0, "bytes": 0}
    for dataset_id, name in files:
        path = (mirror / dataset_id / name).resolve()
        total_bytes += path.stat().st_size
        literal = quote_literal(str(path))
        suffix = path.suffix.lower()
        queries = []
        if suffix in (".csv", ".tsv", ".txt"):
            queries.append(("csv", f"SELECT count(*) FROM read_csv({literal}, all_varchar=true, "
                                   "ignore_errors=true, null_padding=true)"))
            queries.append(("csv", f"SELECT count(*) FROM read_csv({literal}, all_varchar=true, "
                                   "ignore_errors=true, null_padding=true, encoding='latin-1')"))
        elif suffix == ".json":
            queries.append(("json", f"SELECT count(*) FROM read_json({literal}, format='auto')"))
        queries.append(("bytes", f"SELECT sum(octet_length(content)) FROM read_blob({literal})"))
        for kind, sql in queries:
            start = time.perf_counter()
            try:
                con.execute(sql).fetchall()
            except duckdb.Error:
                continue
            seconds += time.perf_counter() - start
            how[kind] += 1
            break
    return {"files": len(files), "bytes": total_bytes, "seconds": seconds, "read_as": how}


def scan_tables(con, tables: Iterable[tuple[str, str]]) -> float:
    """DuckDB reading every column of every row of `tables` once (a hash of each column summed)."""
    seconds = 0.0
    for schema, table in tables:
        sql = f'SELECT sum(hash(COLUMNS(*))) FROM "{schema}"."{table}"'
        seconds += _timed(lambda sql=sql: con.execute(sql).fetchall())
    return seconds


def floors(mirror: Path, sources: Path, warehouse: Path) -> dict[str, Any]:
    """The floor of each stage, measured on the warehouse the cold run built."""
    import duckdb

    from publishing.publish import reader_database
    from quality.expectations import discover_suites
    from scoring.io import read_assumptions, read_scoring_inputs

    result: dict[str, Any] = {"landing": scan_files(mirror, sources)}
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() ORDER BY 1, 2").fetchall()
        by_schema: dict[str, list[tuple[str, str]]] = {}
        for schema, table in tables:
            by_schema.setdefault(schema, []).append((schema, table))
        dbt_inputs = [t for t in by_schema.get("raw", []) if not t[1].startswith("_")]
        dbt_inputs += by_schema.get("seeds", [])
        result["dbt build"] = {"tables": len(dbt_inputs), "seconds": scan_tables(con, dbt_inputs)}
        result["scoring"] = {"seconds": _timed(lambda: (read_scoring_inputs(con),
                                                        read_assumptions(con)))}
        present = set(tables)
        checked = [(s.schema, s.table) for s in discover_suites() if (s.schema, s.table) in present]
        result["checks"] = {"tables": len(checked), "seconds": scan_tables(con, checked)}
    with duckdb.connect(str(reader_database()), read_only=True) as con:
        published = [tuple(r) for r in con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE schema_name <> 'meta'"
        ).fetchall()]
        seconds = scan_tables(con, published)
    result["publish"] = result["exports"] = {"tables": len(published), "seconds": seconds}
    return result


# --- the parent: one scale factor -------------------------------------------------------------


def _environment(work: Path, mirror: Path, sources: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        ATLAS_MIRROR=str(mirror), ATLAS_SOURCES_DIR=str(sources),
        ATLAS_WAREHOUSE=str(work / "warehouse" / "atlas.duckdb"),
        ATLAS_EXPORTS=str(work / "exports"), ATLAS_DATA_DOCS=str(work / "data_docs"),
        ATLAS_CACHE=str(work / "cache"), DAGSTER_HOME=str(work / "dagster_home"),
        PYTHONUNBUFFERED="1",
    )
    env.pop("ATLAS_PUBLISHED_DIR", None)
    return env


def _measured_run(mode: str, env: dict[str, str], draws: int | None, out: Path, log: Path) -> dict:
    command = [sys.executable, "-m", "benchmarks.pipeline", "_child", "--mode", mode,
               "--out", str(out)] + (["--draws", str(draws)] if draws else [])
    with log.open("w", encoding="utf-8") as handle:
        code = subprocess.run(command, cwd=ROOT, env=env, stdout=handle,
                              stderr=subprocess.STDOUT, check=False).returncode
    if not out.is_file():
        raise SystemExit(f"benchmark run ({mode}) produced no measurements; see {log}")
    record = json.loads(out.read_text(encoding="utf-8"))
    if code != 0:
        raise SystemExit(f"benchmark run ({mode}) failed (exit {code}, failed steps "
                         f"{record.get('failed_steps')}); see {log}")
    return record


def republish_one_value(mirror: Path, sources: Path, dataset: str = CHANGED_DATASET) -> str:
    """Replace the bench mirror's link to `dataset`'s first file by a copy in which the first
    decimal field of the first data row is changed in its last digit, and register the new
    checksum: a publisher's correction of one figure."""
    import hashlib

    import yaml

    entry_path = sources / f"{dataset}.yml"
    entry = yaml.safe_load(entry_path.read_text(encoding="utf-8"))
    file = entry["files"][0]
    folder = mirror / dataset
    if folder.is_symlink():  # a linked dataset folder: make it a folder of links first
        original = folder.resolve()
        folder.unlink()
        folder.mkdir()
        for path in original.iterdir():
            (folder / path.name).symlink_to(path)
    target = folder / file["name"]
    data = target.read_bytes()
    target.unlink()  # the link, never the mirror's file
    header_end = data.index(b"\n") + 1
    row_end = data.index(b"\n", header_end)
    row = data[header_end:row_end].rstrip(b"\r")
    number = re.search(rb"(?:^|,)(\d+\.\d+)(?=,|$)", row)
    if number is None:
        raise SystemExit(f"{target}: no decimal field in the first data row; choose another dataset")
    old = number.group(1)
    new = old[:-1] + (b"1" if old[-1:] != b"1" else b"2")
    changed = row[: number.start(1)] + new + row[number.end(1):]
    data = data[:header_end] + changed + data[header_end + len(row):]
    target.write_bytes(data)
    text = entry_path.read_text(encoding="utf-8")
    text = text.replace(file["sha256"], hashlib.sha256(data).hexdigest())
    text = text.replace(f"bytes: {file['bytes']}", f"bytes: {len(data)}")
    entry_path.write_text(text, encoding="utf-8")
    return f"{dataset}/{file['name']}: first data row, {old.decode()} -> {new.decode()}"


def source_mirror() -> Path:
    """The mirror the inputs are generated from (ATLAS_MIRROR, read once at start: each factor
    then points ATLAS_MIRROR at its own generated copy)."""
    from ingestion.settings import mirror_dir

    mirror = mirror_dir()
    if mirror is None:
        raise SystemExit("the benchmark generates its inputs from a local mirror: set ATLAS_MIRROR "
                         "(e.g. ATLAS_MIRROR=../shared/mirror make bench)")
    return mirror


def prepare_inputs(work: Path, factor: int, years: int, seed: int,
                   mirror: Path) -> tuple[Path, Path]:
    """The inputs at `factor`: always a copy in the work folder (links to the mirror's files, and
    regenerated service files above 1x), so that the incremental run may change one of them."""
    from benchmarks.scale import build_scaled_inputs

    return build_scaled_inputs(work / "inputs", factor, years=years, seed=seed, mirror=mirror,
                               sources=ROOT / "data_contracts" / "sources")


def services_in(warehouse: Path) -> int:
    import duckdb

    with duckdb.connect(str(warehouse), read_only=True) as con:
        return int(con.execute("SELECT count(*) FROM marts.dim_service").fetchone()[0])


def bench_factor(factor: int, work_root: Path, draws: int | None, years: int, seed: int,
                 incremental: bool, mirror: Path) -> dict[str, Any]:
    work = work_root / f"x{factor}"
    if work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True)
    print(f"\n== {factor}x: inputs", flush=True)
    t = time.perf_counter()
    mirror, sources = prepare_inputs(work, factor, years, seed, mirror)
    generate_s = time.perf_counter() - t
    env = _environment(work, mirror, sources)
    (work / "dagster_home").mkdir()
    # dbt's manifest and partial-parse state for this factor's settings (the warehouse path is in
    # the profile): parsed once here, as `make run` does, not in full by every dbt invocation
    subprocess.run([sys.executable, "-m", "orchestration", "prepare"], cwd=ROOT, env=env, check=True)
    print(f"== {factor}x: cold run (log: {work / 'cold.log'})", flush=True)
    cold = _measured_run("full", env, draws, work / "cold.json", work / "cold.log")
    os.environ.update({k: env[k] for k in ("ATLAS_WAREHOUSE", "ATLAS_SOURCES_DIR", "ATLAS_MIRROR")})
    os.environ.pop("ATLAS_PUBLISHED_DIR", None)
    warehouse = Path(env["ATLAS_WAREHOUSE"])
    print(f"== {factor}x: floors", flush=True)
    floor = floors(mirror, sources, warehouse)
    for stage, values in cold["stages"].items():
        if stage in floor and floor[stage]["seconds"] > 0:
            values["floor_s"] = floor[stage]["seconds"]
            values["ratio_to_floor"] = values["wall_s"] / floor[stage]["seconds"]
    record: dict[str, Any] = {
        "factor": factor, "years": years, "draws": draws, "seed": seed,
        "services": services_in(warehouse), "generate_inputs_s": generate_s,
        "warehouse_mb": warehouse.stat().st_size / 2**20, "cold": cold, "floors": floor,
    }
    if incremental:
        print(f"== {factor}x: incremental, nothing changed", flush=True)
        record["unchanged"] = _measured_run("incremental", env, draws, work / "unchanged.json",
                                            work / "unchanged.log")
        record["changed_source"] = republish_one_value(mirror, sources)
        print(f"== {factor}x: incremental, one source changed ({record['changed_source']})",
              flush=True)
        record["one_changed"] = _measured_run("incremental", env, draws, work / "changed.json",
                                              work / "changed.log")
    return record


# --- report ------------------------------------------------------------------------------------


def machine() -> dict[str, Any]:
    memory = 0
    with open("/proc/meminfo", encoding="utf-8") as handle:
        for line in handle:
            if line.startswith("MemTotal:"):
                memory = int(line.split()[1]) * 1024
    import duckdb
    import polars

    return {"cores": os.cpu_count(), "memory_gib": round(memory / 2**30, 1),
            "python": platform.python_version(), "platform": platform.platform(),
            "duckdb": duckdb.__version__, "polars": polars.__version__,
            "load_average_1m_at_start": os.getloadavg()[0]}


def slope(points: list[tuple[float, float]]) -> float | None:
    """Least-squares slope of log y on log x (points with a non-positive value left out)."""
    logs = [(math.log(x), math.log(y)) for x, y in points if x > 0 and y > 0]
    if len(logs) < 2:
        return None
    mx = sum(x for x, _ in logs) / len(logs)
    my = sum(y for _, y in logs) / len(logs)
    sxx = sum((x - mx) ** 2 for x, _ in logs)
    return None if sxx == 0 else sum((x - mx) * (y - my) for x, y in logs) / sxx


def growth(records: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
    """Least-squares slope of log(wall), log(CPU) and log(peak memory) on log(services), per stage
    and for the whole run: 1 = linear in services, below 1 = fixed costs still dominate."""
    if len({r["services"] for r in records}) < 2:
        return {}
    out: dict[str, dict[str, float]] = {}
    for stage in (*STAGES, "orchestration"):
        rows = [(r["services"], r["cold"]["stages"].get(stage)) for r in records]
        rows = [(n, v) for n, v in rows if v]
        out[stage] = {
            f"{what}_exponent": slope([(n, v[key]) for n, v in rows])
            for what, key in (("wall", "wall_s"), ("cpu", "cpu_s"), ("memory", "peak_rss_mb"))
        }
    out["total"] = {
        "wall_exponent": slope([(r["services"], r["cold"]["total_wall_s"]) for r in records]),
        "cpu_exponent": slope([(r["services"], r["cold"]["total_cpu_s"]) for r in records]),
        "memory_exponent": slope([(r["services"], r["cold"]["peak_rss_mb"]) for r in records]),
    }
    return out


def table(records: list[dict[str, Any]]) -> str:
    lines = [f"{'factor':>6} {'services':>9} {'stage':<14} {'wall s':>8} {'cpu s':>8} "
             f"{'peak MB':>8} {'floor s':>8} {'x floor':>8}"]
    for r in records:
        for stage, v in r["cold"]["stages"].items():
            lines.append(
                f"{r['factor']:>6} {r['services']:>9} {stage:<14} {v['wall_s']:>8.1f} "
                f"{v['cpu_s']:>8.1f} {v['peak_rss_mb']:>8.0f} "
                + (f"{v['floor_s']:>8.2f} {v['ratio_to_floor']:>8.0f}" if "floor_s" in v else "")
            )
        c = r["cold"]
        lines.append(f"{r['factor']:>6} {r['services']:>9} {'TOTAL (cold)':<14} "
                     f"{c['total_wall_s']:>8.1f} {c['total_cpu_s']:>8.1f} {c['peak_rss_mb']:>8.0f}")
        for invocation in c.get("dbt", []):
            kinds = ", ".join(f"{n['nodes']} {k} {n['seconds']:.0f} s"
                              for k, n in sorted(invocation["by_type"].items()))
            lines.append(f"{r['factor']:>6} {r['services']:>9} {'  dbt itself':<14} "
                         f"{invocation['dbt_elapsed_s']:>8.1f}   {invocation['invocation'].split('-')[0]}: "
                         f"{kinds} (summed over threads)")
        for key, label in (("unchanged", "nothing changed"), ("one_changed", "one changed")):
            if key in r:
                inc = r[key]
                lines.append(f"{r['factor']:>6} {r['services']:>9} {label:<14} "
                             f"{inc['total_wall_s']:>8.1f} {inc['total_cpu_s']:>8.1f} "
                             f"{inc['peak_rss_mb']:>8.0f}   sensor {inc['sensor_s']:.1f} s: "
                             f"{inc['sensor_result']}; {inc['assets']} assets materialised")
    return "\n".join(lines)


def save(records: list[dict[str, Any]], path: Path) -> list[dict[str, Any]]:
    """Merge into the results file: a factor measured again replaces its earlier entry."""
    old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    kept = [r for r in old.get("runs", []) if r["factor"] not in {n["factor"] for n in records}]
    runs = sorted(kept + records, key=lambda r: r["factor"])
    path.parent.mkdir(parents=True, exist_ok=True)
    payload = {"machine": machine(), "runs": runs, "growth": growth(runs)}
    path.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")
    return runs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command")
    hidden = sub.add_parser("_child")
    hidden.add_argument("--mode", choices=["full", "incremental"], required=True)
    hidden.add_argument("--draws", type=int)
    hidden.add_argument("--out", type=Path, required=True)
    parser.add_argument("--factors", type=int, nargs="+", default=[1])
    parser.add_argument("--years", type=int, default=1, help="fiscal years of Canadian services")
    parser.add_argument("--draws", type=int, help="Monte Carlo draws (default: the seed's A053)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the scale generator")
    parser.add_argument("--no-incremental", action="store_true")
    parser.add_argument("--work", type=Path, default=DEFAULT_WORK)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.command == "_child":
        return child(args.mode, args.draws, args.out)
    os.chdir(ROOT)
    sys.path.insert(0, str(ROOT))
    from orchestration import environment

    environment.configure()
    mirror = source_mirror()
    saved = {k: os.environ.get(k) for k in ("ATLAS_MIRROR", "ATLAS_SOURCES_DIR", "ATLAS_WAREHOUSE")}
    records = []
    for factor in args.factors:
        try:
            records.append(bench_factor(factor, args.work.resolve(), args.draws, args.years,
                                        args.seed, not args.no_incremental, mirror))
        finally:  # the next factor starts from the settings the user gave
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
        save(records, args.results)
    runs = save(records, args.results)
    print("\n" + table(records))
    exponents = growth(runs)
    if exponents:
        print("\ngrowth exponents (log-log slope on services):")
        for stage, values in exponents.items():
            print(f"  {stage:<14} " + "  ".join(
                f"{k.split('_')[0]} {v:.2f}" for k, v in values.items() if v is not None))
    print(f"\nresults: {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
