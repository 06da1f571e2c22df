"""The checks stage alone: every Great Expectations suite on a built warehouse, in a fresh process.

    python -m benchmarks.checks --warehouse benchmarks/work/x1/warehouse/atlas.duckdb [--no-docs]

Imports Great Expectations first and reports that time apart (in a pipeline run the first suite's
check step imports it, about 3 s of the checks stage: quality.expectations imports it on first
use), then runs `quality.expectations.validate_table` for every
suite in data_contracts/expectations/ on the warehouse (read-only), writing data docs to a
temporary folder as a run does (unless --no-docs). Reports seconds per suite and in total, the way
the suites run in a pipeline run: one after the other, the first paying for what is made once per
process. Writes benchmarks/results/checks.json. Nothing asserts a time.

    python -m benchmarks.checks --warehouse <warehouse> --paired [--repeat 6]

instead measures one change side by side in one process, where this machine's drift between runs
(up to a third of the checks' time) cannot decide it: suite by suite, alternating which goes first,
each suite runs with the row-condition filters kept per validation and the data docs views sharing
their Jinja environment (the code as it is), and without both (each filter applied per metric, an
environment per view: the code before). Each run writes its own docs folder. Reports seconds per
pass of every suite for each; writes benchmarks/results/checks-paired-<warehouse folder>.json.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "checks.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--no-docs", action="store_true", help="do not write data docs")
    parser.add_argument("--results", type=Path, default=None)
    parser.add_argument("--paired", action="store_true",
                        help="the current checks against the code before the kept row filters and shared views")
    parser.add_argument("--repeat", type=int, default=6, help="passes of every suite (with --paired)")
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        parser.error(f"no warehouse at {args.warehouse}: run `make run` or `make bench` first")
    if args.paired:
        return paired(args.warehouse, args.repeat, args.results)
    args.results = args.results or RESULTS

    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    load_at_start = os.getloadavg()[0]
    start = time.perf_counter()
    import great_expectations  # noqa: F401  (timed apart: the pipeline imports it at start)

    import_s = time.perf_counter() - start

    import duckdb

    from quality.expectations import discover_suites, validate_table

    suites = discover_suites()
    runs = []
    with tempfile.TemporaryDirectory() as tmp, duckdb.connect(str(args.warehouse), read_only=True) as con:
        docs = None if args.no_docs else Path(tmp) / "data_docs"
        wall, cpu = time.perf_counter(), time.process_time()
        for suite in suites:
            one, one_cpu = time.perf_counter(), time.process_time()
            report = validate_table(con, suite, docs)
            runs.append({"suite": suite.name, "rows": report.rows, "passed": report.passed,
                         "seconds": time.perf_counter() - one, "cpu_seconds": time.process_time() - one_cpu})
            print(f"{suite.name:<48} {runs[-1]['seconds']:6.2f} s  {report.message()[:60]}", flush=True)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    print(f"{len(suites)} suites: {wall:.1f} s wall, {cpu:.1f} s CPU (importing GX before: {import_s:.1f} s)")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({
        "warehouse": str(args.warehouse), "cores": os.cpu_count(), "data_docs": not args.no_docs,
        "load_average_1m_at_start": load_at_start, "load_average_1m_at_end": os.getloadavg()[0],
        "import_great_expectations_s": import_s, "suites": len(suites), "wall_s": wall, "cpu_s": cpu,
        "runs": runs,
    }, indent=1) + "\n", encoding="utf-8")
    print(f"results: {args.results}")
    return 0


def paired(warehouse: Path, repeat: int, results: Path | None) -> int:
    """Every suite run `repeat` times as the code is and as it was, alternating (see the docstring)."""
    import contextlib

    import duckdb

    import quality.expectations as expectations
    import quality.gx_views as views

    kept_filters, shared_environment = expectations.row_filters_kept, views._shared_environment

    def own_environment(view: object) -> None:  # the views before: an environment each
        view.env.bytecode_cache = views.TEMPLATES  # type: ignore[attr-defined]

    variants = {
        "now": (kept_filters, shared_environment),
        "before": (contextlib.nullcontext, own_environment),
    }
    load_at_start = os.getloadavg()[0]
    importing = expectations.preload()
    if importing is not None:
        importing.join()  # GX imported and warmed up, as during a run's dbt step
    suites = expectations.discover_suites()
    seconds = dict.fromkeys(variants, 0.0)
    try:
        with tempfile.TemporaryDirectory() as tmp, duckdb.connect(str(warehouse), read_only=True) as con:
            for run in range(-1, repeat):  # run -1, not counted: what each suite does only once
                for number, suite in enumerate(suites):
                    order = list(variants) if (number + run) % 2 == 0 else list(reversed(variants))
                    for name in order:
                        expectations.row_filters_kept, views._shared_environment = variants[name]
                        start = time.perf_counter()
                        report = expectations.validate_table(con, suite, Path(tmp) / f"{name}-{run}")
                        if run >= 0:
                            seconds[name] += time.perf_counter() - start
                        if not report.passed:
                            print(f"{name}: {report.message()[:200]}")
    finally:
        expectations.row_filters_kept, views._shared_environment = kept_filters, shared_environment
    per_pass = {name: total / repeat for name, total in seconds.items()}
    saved = per_pass["before"] - per_pass["now"]
    print(f"{len(suites)} suites, {repeat} passes each way: {per_pass['before']:.3f} s a pass before, "
          f"{per_pass['now']:.3f} s now ({saved:.3f} s, {saved / per_pass['before']:.1%} less)")
    results = results or RESULTS.with_name(f"checks-paired-{warehouse.parent.parent.name}.json")
    results.parent.mkdir(parents=True, exist_ok=True)
    results.write_text(json.dumps({
        "warehouse": str(warehouse), "cores": os.cpu_count(), "suites": len(suites), "passes": repeat,
        "load_average_1m_at_start": load_at_start, "load_average_1m_at_end": os.getloadavg()[0],
        "seconds_a_pass": per_pass, "saved_s": saved, "saved_share": saved / per_pass["before"],
    }, indent=1) + "\n", encoding="utf-8")
    print(f"results: {results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
