"""The checks stage alone: every Great Expectations suite on a built warehouse, in a fresh process.

    python -m benchmarks.checks --warehouse benchmarks/work/x1/warehouse/atlas.duckdb [--no-docs]

Imports Great Expectations first and reports that time apart (in a pipeline run the first suite's
check step imports it, about 3 s of the checks stage: quality.expectations imports it on first
use), then runs `quality.expectations.validate_table` for every
suite in data_contracts/expectations/ on the warehouse (read-only), writing data docs to a
temporary folder as a run does (unless --no-docs). Reports seconds per suite and in total, the way
the suites run in a pipeline run: one after the other, the first paying for what is made once per
process. Writes benchmarks/results/checks.json. Nothing asserts a time.
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
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        parser.error(f"no warehouse at {args.warehouse}: run `make run` or `make bench` first")

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


if __name__ == "__main__":
    raise SystemExit(main())
