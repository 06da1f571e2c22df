"""Dagster's event bookkeeping alone: its own SQLite storage against the project's, side by side.

    python -m benchmarks.events [--assets 150] [--checks 3] [--repeat 2]

One step materialises `--assets` assets, each with `--checks` asset checks, the way the dbt step
reports its models and tests; nothing else happens in it, so the run's time is Dagster's: storing
each event (the run's database, the cross-run index, the asset and check tables) and the run's
planned events. Each storage gets a Dagster home of its own in a temporary folder: Dagster's
default (`DagsterSqliteStorage`, as before issue 18) and the project's dagster.yaml
(`orchestration.storage.AtlasSqliteStorage`, orchestration/environment.py). They take turns,
`--repeat` runs each, in separate processes (each a fresh interpreter, as a pipeline run is).
Reports seconds a run and milliseconds an event, and checks that both stored the same events;
writes benchmarks/results/events.json. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "events.json"
STORAGES = ("dagster", "atlas")


def _child(storage: str, home: Path, assets: int, checks: int) -> dict[str, Any]:
    """One run in this process, on the Dagster home `home`."""
    from orchestration import environment

    home.mkdir(parents=True, exist_ok=True)
    config = "telemetry:\n  enabled: false\n" if storage == "dagster" else environment.dagster_yaml(home)
    (home / "dagster.yaml").write_text(config, encoding="utf-8")
    os.environ["DAGSTER_HOME"] = str(home)
    import dagster as dg

    specs = [dg.AssetSpec(f"table_{i}") for i in range(assets)]
    check_specs = [dg.AssetCheckSpec(f"test_{j}", asset=f"table_{i}")
                   for i in range(assets) for j in range(checks)]

    @dg.multi_asset(specs=specs, check_specs=check_specs, name="tables")
    def tables():
        for i in range(assets):
            yield dg.MaterializeResult(asset_key=f"table_{i}", metadata={"dagster/row_count": i})
            for j in range(checks):
                yield dg.AssetCheckResult(asset_key=f"table_{i}", check_name=f"test_{j}", passed=True)

    with dg.DagsterInstance.get() as instance:
        started = time.perf_counter()
        result = dg.materialize([tables], instance=instance)
        seconds = time.perf_counter() - started
        events = instance.all_logs(result.run_id)
        kinds: dict[str, int] = {}
        for entry in events:
            kind = entry.dagster_event.event_type_value if entry.dagster_event else "log"
            kinds[kind] = kinds.get(kind, 0) + 1
        return {"storage": type(instance.event_log_storage).__name__, "success": result.success,
                "seconds": seconds, "events": len(events), "by_type": kinds}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assets", type=int, default=150)
    parser.add_argument("--checks", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--child", choices=STORAGES, help=argparse.SUPPRESS)
    parser.add_argument("--home", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(_child(args.child, args.home, args.assets, args.checks)))
        return 0

    runs: dict[str, list[dict[str, Any]]] = {s: [] for s in STORAGES}
    with tempfile.TemporaryDirectory() as tmp:
        for turn in range(args.repeat):
            for storage in STORAGES:
                command = [sys.executable, "-m", "benchmarks.events", "--child", storage,
                           "--home", str(Path(tmp) / storage), "--assets", str(args.assets),
                           "--checks", str(args.checks)]
                done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=True)
                run = json.loads(done.stdout.strip().splitlines()[-1])
                runs[storage].append(run)
                print(f"{storage:<8} run {turn + 1}: {run['seconds']:6.2f} s, {run['events']} events, "
                      f"{run['seconds'] / run['events'] * 1000:5.2f} ms an event ({run['storage']})",
                      flush=True)
    same = all(a["by_type"] == b["by_type"] for a, b in zip(runs["dagster"], runs["atlas"], strict=True))
    best = {s: min(r["seconds"] for r in runs[s]) for s in STORAGES}
    print(f"same events stored: {same}; best run: Dagster's storage {best['dagster']:.2f} s, the "
          f"project's {best['atlas']:.2f} s ({best['dagster'] / best['atlas']:.1f}x)")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({
        "assets": args.assets, "checks_per_asset": args.checks, "runs": runs,
        "same_events": same, "best_seconds": best, "load_at_start": os.getloadavg()[0],
    }, indent=1), encoding="utf-8")
    print(f"results: {args.results}")
    return 0 if same else 1


if __name__ == "__main__":
    sys.exit(main())
