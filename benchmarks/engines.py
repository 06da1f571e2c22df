"""Time the dbt project on DuckDB and on Spark (local mode) from the same raw Parquet, at 1x and
at k x the services (docs/scale-out.md reports the results).

    python benchmarks/engines.py scale --raw warehouse/parquet/raw --factor 10 --out /tmp/raw10x
    python benchmarks/engines.py run --engine duckdb --raw /tmp/raw10x --work /tmp/bench/duckdb10x
    python benchmarks/engines.py all --raw warehouse/parquet/raw --work /tmp/bench --factors 1 10

k x = the service-level raw tables (the GC Service Inventory, its service-programme links and the
UK Transactions Explorer) repeated k times with new service ids; the occupation, task, measure and
spending tables stay as they are, so every service-level mart (dim_service, fct_service_*) grows
k-fold and the rest does not. Each engine runs in its own process with the same steps: raw tables
from the Parquet, one dbt build (seeds, models, data and unit tests), then the automation model on
the resulting marts.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from pathlib import Path

import polars as pl

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

# raw table -> (id column, how a copy's id is made from the original and the copy number)
SERVICE_TABLES = {
    "tbs_canada__service_inventory": "service_id",
    "tbs_canada__service_inventory__service_programmes": "service_id",
    "gds__transactions_explorer": "name_of_service",
}


def scale_raw(raw: Path, out: Path, factor: int) -> None:
    """Write `raw` to `out` with every service-level table repeated `factor` times (copy k > 1
    gets the id '<id>-x<k>'); other tables are linked as they are."""
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(raw.glob("*.parquet")):
        target = out / path.name
        target.unlink(missing_ok=True)
        column = SERVICE_TABLES.get(path.stem)
        if column is None or factor == 1:
            target.symlink_to(path.resolve())
            continue
        frame = pl.read_parquet(path)
        copies = [frame] + [
            frame.with_columns(pl.concat_str(pl.col(column), pl.lit(f"-x{k}")).alias(column))
            for k in range(2, factor + 1)
        ]
        pl.concat(copies).write_parquet(target)


def run_duckdb(raw: Path, work: Path, data_tests: bool) -> dict[str, float]:
    """The DuckDB build of the benchmark: the same stages as the Dagster job, without Dagster."""
    import duckdb
    from dbt.cli.main import dbtRunner

    from ingestion.settings import DBT_PROJECT_DIR
    from scoring.io import read_assumptions, read_scoring_inputs
    from scoring.parameters import from_assumptions
    from scoring.pipeline import score

    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    warehouse = work / "atlas.duckdb"
    os.environ["ATLAS_WAREHOUSE"] = str(warehouse)
    seconds: dict[str, float] = {}
    started = t = time.monotonic()
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA raw")
        for path in sorted(raw.glob("*.parquet")):
            con.execute(f'CREATE TABLE raw."{path.stem}" AS SELECT * FROM read_parquet(?)', [str(path)])
    seconds["load_raw"] = time.monotonic() - t
    skipped = [] if data_tests else ["resource_type:test", "resource_type:unit_test"]

    def dbt(args: list[str]) -> None:
        result = dbtRunner().invoke([
            *args, "--project-dir", str(DBT_PROJECT_DIR), "--profiles-dir", str(DBT_PROJECT_DIR),
            "--target", "duckdb", "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        ])
        if not result.success:
            raise SystemExit(f"dbt {' '.join(args)} failed on DuckDB (see {work / 'logs'})")

    t = time.monotonic()
    dbt(["build", *(["--exclude", *skipped] if skipped else [])])
    seconds["dbt_build"] = time.monotonic() - t
    t = time.monotonic()
    # a connection, not the path: dbt-duckdb keeps the file open read-write in this process, and
    # DuckDB refuses a read-only second configuration of it
    with duckdb.connect(str(warehouse)) as con:
        score(read_scoring_inputs(con), from_assumptions(read_assumptions(con)))
    seconds["scoring"] = time.monotonic() - t
    seconds["total"] = time.monotonic() - started
    return seconds


def run_spark(raw: Path, work: Path, data_tests: bool) -> dict[str, float]:
    from engines.spark import build

    shutil.rmtree(work, ignore_errors=True)
    return build(raw, work, data_tests=data_tests).seconds


def cpu_seconds() -> float:
    """CPU time (user + system) of this process and, if one runs, of its Spark JVM: on a busy
    machine wall time says more about the neighbours than about the engine."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    total = usage.ru_utime + usage.ru_stime
    gateway = getattr(sys.modules.get("pyspark.context", None), "SparkContext", None)
    proc = getattr(getattr(gateway, "_gateway", None), "proc", None)
    if proc is not None:
        fields = Path(f"/proc/{proc.pid}/stat").read_text().rsplit(")", 1)[1].split()
        # utime, stime, and the children it waited for (the launcher JVM): fields 14-17
        total += sum(int(x) for x in fields[11:15]) / os.sysconf("SC_CLK_TCK")
    return total


def run_in_subprocess(engine: str, raw: Path, work: Path, data_tests: bool) -> dict[str, float]:
    """One engine, one build, in a fresh process (a fresh JVM for Spark); its wall time too."""
    started = time.monotonic()
    command = [sys.executable, __file__, "run", "--engine", engine, "--raw", str(raw), "--work", str(work)]
    if not data_tests:
        command.append("--no-tests")
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    if result.returncode != 0:
        raise SystemExit(f"{engine} build failed:\n{result.stdout[-4000:]}")
    line = [x for x in result.stdout.splitlines() if x.startswith("BENCHMARK ")][-1]
    seconds = json.loads(line.removeprefix("BENCHMARK "))
    seconds["process"] = time.monotonic() - started
    return seconds


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    scale = sub.add_parser("scale")
    scale.add_argument("--raw", type=Path, required=True)
    scale.add_argument("--out", type=Path, required=True)
    scale.add_argument("--factor", type=int, required=True)
    run = sub.add_parser("run")
    run.add_argument("--engine", choices=["duckdb", "spark"], required=True)
    run.add_argument("--raw", type=Path, required=True)
    run.add_argument("--work", type=Path, required=True)
    run.add_argument("--no-tests", action="store_true")
    every = sub.add_parser("all")
    every.add_argument("--raw", type=Path, required=True)
    every.add_argument("--work", type=Path, required=True)
    every.add_argument("--factors", type=int, nargs="+", default=[1, 10])
    every.add_argument("--no-tests", action="store_true")
    every.add_argument("--results", type=Path, default=ROOT / "benchmarks" / "results" / "engines.json")
    args = parser.parse_args()
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ.setdefault("DBT_SEND_ANONYMOUS_USAGE_STATS", "false")
    if args.command == "scale":
        scale_raw(args.raw.resolve(), args.out.resolve(), args.factor)
        return 0
    if args.command == "run":
        runner = run_duckdb if args.engine == "duckdb" else run_spark
        seconds = runner(args.raw.resolve(), args.work.resolve(), not args.no_tests)
        seconds["cpu"] = cpu_seconds()
        print("BENCHMARK " + json.dumps(seconds))
        return 0
    results = []
    for factor in args.factors:
        raw = args.work.resolve() / f"raw_{factor}x"
        scale_raw(args.raw.resolve(), raw, factor)
        for engine in ("duckdb", "spark"):
            seconds = run_in_subprocess(engine, raw, args.work.resolve() / f"{engine}_{factor}x",
                                        not args.no_tests)
            row = {"engine": engine, "factor": factor, "data_tests": not args.no_tests,
                   "cores": os.cpu_count(), "load_average_1m": os.getloadavg()[0], **seconds}
            print(json.dumps(row), flush=True)
            results.append(row)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
