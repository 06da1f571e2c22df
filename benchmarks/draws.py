"""The scoring stage against the number of Monte Carlo draws, on a built warehouse.

    python -m benchmarks.draws --warehouse benchmarks/work/x1/warehouse/atlas.duckdb \\
        --draws 1000 4000 16000 [--reference]

Each count runs in its own process (so that its peak memory is its own): read the scoring inputs
from the warehouse (read-only), then `scoring.pipeline.score` with `monte_carlo_draws` overridden
(A052), everything else from the assumptions seed. Reports wall and CPU seconds of the scoring
and, within it, of the Monte Carlo alone (`scoring.uncertainty.monte_carlo`) with its rate in
service-draws a second (services x draws / wall seconds), the process's peak resident memory, the
growth exponent of each in the draws, and writes benchmarks/results/draws.json. The Monte Carlo
runs in chunks of services (at most `monte_carlo_batch_services`, and at most
scoring.uncertainty.CHUNK_ELEMENTS service-draws), so memory should grow with the chunk, not with
draws x services. `--reference` also runs each count with the implementation before issue 18
(tests/reference_uncertainty.py), in its own process, for a side-by-side ratio. Nothing asserts a
time.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.pipeline import slope

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "draws.json"


def one(warehouse: Path, draws: int, reference: bool = False) -> dict[str, Any]:
    """Score once with `draws` draws; seconds and peak memory of this process, and the seconds of
    the Monte Carlo within the scoring (the reference implementation's when `reference`)."""
    import duckdb

    import scoring.pipeline
    from scoring.io import read_assumptions, read_scoring_inputs
    from scoring.parameters import from_assumptions

    with duckdb.connect(str(warehouse), read_only=True) as con:
        inputs = read_scoring_inputs(con)
        params = from_assumptions(read_assumptions(con)).override(monte_carlo_draws=draws)
    if reference:
        from tests.reference_uncertainty import monte_carlo_reference as monte_carlo
    else:
        monte_carlo = scoring.pipeline.monte_carlo
    timed: dict[str, float] = {}

    def timed_monte_carlo(*args: Any, **kwargs: Any) -> Any:
        wall, cpu = time.perf_counter(), time.process_time()
        result = monte_carlo(*args, **kwargs)
        timed.update(wall=time.perf_counter() - wall, cpu=time.process_time() - cpu, services=result.height)
        return result

    scoring.pipeline.monte_carlo = timed_monte_carlo
    wall, cpu = time.perf_counter(), time.process_time()
    outputs = scoring.pipeline.score(inputs, params)
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    return {
        "implementation": "reference (before issue 18)" if reference else "current",
        "draws": draws,
        "services": inputs.services.height,
        "monte_carlo_services": timed["services"],
        "batch_services": params.monte_carlo_batch_services,
        "scoring_s": wall,
        "scoring_cpu_s": cpu,
        "monte_carlo_s": timed["wall"],
        "monte_carlo_cpu_s": timed["cpu"],
        "service_draws_per_s": timed["services"] * draws / timed["wall"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "summary_rows": outputs.summary.height,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--draws", type=int, nargs="+", default=[1000, 4000, 16000])
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--reference", action="store_true",
                        help="also time the Monte Carlo as it was before issue 18 (tests/reference_uncertainty.py)")
    parser.add_argument("--one", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        parser.error(f"no warehouse at {args.warehouse}: run `make run` or `make bench` first")
    if args.one:
        print(json.dumps(one(args.warehouse, args.draws[0], args.reference)))
        return 0
    load_at_start = os.getloadavg()[0]
    runs: list[dict[str, Any]] = []
    for draws in args.draws:
        for reference in (False, True) if args.reference else (False,):
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.draws", "--one", "--warehouse", str(args.warehouse),
                 "--draws", str(draws)] + (["--reference"] if reference else []),
                cwd=ROOT, capture_output=True, text=True, check=False,
            )
            if done.returncode != 0:
                raise SystemExit(f"scoring with {draws} draws failed:\n{done.stderr[-3000:]}")
            runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
            r = runs[-1]
            print(f"{draws:>7} draws x {r['services']} services ({r['implementation']}): scoring "
                  f"{r['scoring_s']:.1f} s wall, {r['scoring_cpu_s']:.1f} s CPU; Monte Carlo "
                  f"{r['monte_carlo_s']:.2f} s wall, {r['monte_carlo_cpu_s']:.2f} s CPU, "
                  f"{r['service_draws_per_s'] / 1e6:.2f} million service-draws/s; "
                  f"peak {r['peak_rss_mb']:.0f} MB", flush=True)
    current = [r for r in runs if r["implementation"] == "current"]
    exponents = {
        "wall": slope([(r["draws"], r["scoring_s"]) for r in current]),
        "cpu": slope([(r["draws"], r["scoring_cpu_s"]) for r in current]),
        "monte_carlo_wall": slope([(r["draws"], r["monte_carlo_s"]) for r in current]),
        "memory": slope([(r["draws"], r["peak_rss_mb"]) for r in current]),
    }
    print("growth exponents in draws: " + ", ".join(
        f"{k} {v:.2f}" for k, v in exponents.items() if v is not None))
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({
        "warehouse": str(args.warehouse), "cores": os.cpu_count(),
        "load_average_1m_at_start": load_at_start, "load_average_1m_at_end": os.getloadavg()[0],
        "runs": runs, "exponents": exponents,
    }, indent=1) + "\n", encoding="utf-8")
    print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
