"""Time the automation model's point estimates in polars (scoring.model) and in DuckDB SQL
(scoring.sql) on a built warehouse, after checking that they agree.

    python -m benchmarks.scoring_engines --warehouse warehouse/atlas.duckdb
    python -m benchmarks.scoring_engines --warehouse /tmp/atlas.duckdb --repeats 5 \
        --results benchmarks/results/scoring_engines.json

Three timings, each the best of `repeats` runs (wall clock by time.perf_counter, CPU of the whole
process, all threads, by time.process_time, best of its own): reading the scoring inputs into
polars (scoring.io.read_scoring_inputs), the polars point estimates from those frames, and the
SQL formulation, which reads the marts itself. So "polars + read" is the like-for-like figure
against "sql". The Monte Carlo is in neither. The warehouse is opened read-only.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from scoring.io import read_assumptions, read_scoring_inputs
from scoring.parameters import from_assumptions
from scoring.sql import compare, score_polars, score_sql

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_RESULTS = ROOT / "benchmarks" / "results" / "scoring_engines.json"


class EnginesDisagree(RuntimeError):
    """The polars model and the SQL formulation gave different point estimates."""


def best_of(function: Callable[[], Any], repeats: int) -> tuple[Any, float, float]:
    """The last result of `repeats` calls of `function`, its best wall seconds and best CPU
    seconds."""
    if repeats < 1:
        raise ValueError("repeats must be at least 1")
    wall, cpu, result = float("inf"), float("inf"), None
    for _ in range(repeats):
        started_wall, started_cpu = time.perf_counter(), time.process_time()
        result = function()
        wall = min(wall, time.perf_counter() - started_wall)
        cpu = min(cpu, time.process_time() - started_cpu)
    return result, wall, cpu


def compare_engines(warehouse: Path, repeats: int = 3) -> dict[str, Any]:
    """Check that both engines agree on `warehouse` (raise EnginesDisagree if not) and time them."""
    warehouse = Path(warehouse)
    if not warehouse.is_file():
        raise FileNotFoundError(f"no warehouse at {warehouse}; build it first (make run)")
    with duckdb.connect(str(warehouse), read_only=True) as con:
        params = from_assumptions(read_assumptions(con))
        inputs, read_wall, read_cpu = best_of(lambda: read_scoring_inputs(con), repeats)
        polars_frames, polars_wall, polars_cpu = best_of(lambda: score_polars(inputs, params), repeats)
        sql_frames, sql_wall, sql_cpu = best_of(lambda: score_sql(con, params), repeats)
        duckdb_threads = int(con.execute("SELECT current_setting('threads')").fetchall()[0][0])
    problems = compare(polars_frames, sql_frames)
    if problems:
        raise EnginesDisagree(
            f"{len(problems)} difference(s) between polars and SQL:\n" + "\n".join(problems)
        )
    return {
        "warehouse": str(warehouse),
        "repeats": repeats,
        "cores": os.cpu_count(),
        "load_average_1m": os.getloadavg()[0],
        "duckdb_threads": duckdb_threads,
        "polars_threads": pl.thread_pool_size(),
        "input_rows": {
            "services": inputs.services.height,
            "service_occupations": inputs.service_occupations.height,
            "occupation_tasks": inputs.occupation_tasks.height,
            "occupation_measures": inputs.occupation_measures.height,
        },
        "rows": {name: frame.height for name, frame in sql_frames.items()},
        "seconds": {
            "read_inputs": read_wall,
            "polars": polars_wall,
            "polars_with_read": read_wall + polars_wall,
            "sql": sql_wall,
        },
        "cpu_seconds": {
            "read_inputs": read_cpu,
            "polars": polars_cpu,
            "polars_with_read": read_cpu + polars_cpu,
            "sql": sql_cpu,
        },
        "agreement": True,
    }


def table(result: dict[str, Any]) -> str:
    """The timings as a small text table."""
    lines = [f"{'step':<18}{'wall s':>10}{'cpu s':>10}"]
    for step, seconds in result["seconds"].items():
        lines.append(f"{step:<18}{seconds:>10.3f}{result['cpu_seconds'][step]:>10.3f}")
    rows = ", ".join(f"{name} {n}" for name, n in result["rows"].items())
    lines.append(f"rows: {rows}; agreement: {result['agreement']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True, help="a built atlas.duckdb")
    parser.add_argument("--repeats", type=int, default=3, help="runs per engine; the best counts")
    parser.add_argument("--results", type=Path, default=DEFAULT_RESULTS, help="JSON to write")
    args = parser.parse_args(argv)
    result = compare_engines(args.warehouse, repeats=args.repeats)
    print(table(result))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(f"written {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
