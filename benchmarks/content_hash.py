"""The content hash of publish (publishing.publish.content_hash) against the one before issue 18, on
a built warehouse.

    python -m benchmarks.content_hash --warehouse benchmarks/work/x1/warehouse/atlas.duckdb

Opens the warehouse read-only and hashes every table publish would publish, with the current hash
(the sum of DuckDB's 64-bit hash() of each row) and with the previous one (an md5 of each row's
text, the md5s sorted and hashed again), each `--repeat` times, alternating, so that both see the
same load. Both hash the same rounded values (floats to 12, then 9 significant digits). Reports the
best and median seconds of each over all tables and for the largest table, and writes
benchmarks/results/content_hash.json. Nothing asserts a time.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import statistics
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results" / "content_hash.json"


def previous_content_hash(con: Any, relation: str) -> tuple[int, str]:
    """The content hash as publish computed it before issue 18: the rows' md5s sorted, so that the
    order of the rows does not matter. Here only to be timed beside the current one."""
    from publishing.publish import hashed_columns, rounded_select

    columns, header = hashed_columns(con, relation)
    if not columns:
        count = con.execute(f"SELECT count(*) FROM {relation}").fetchone()[0]
        return int(count), hashlib.sha256(f"{header}\n{count}".encode()).hexdigest()
    select = rounded_select(columns)
    count, rows_md5 = con.execute(
        f"""SELECT count(*), coalesce(md5(string_agg(h, '' ORDER BY h)), '')
            FROM (SELECT md5(CAST(t AS VARCHAR)) AS h FROM (SELECT {select} FROM {relation}) AS t)"""
    ).fetchone()
    return int(count), hashlib.sha256(f"{header}\n{rows_md5}".encode()).hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warehouse", type=Path, required=True)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--results", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if not args.warehouse.is_file():
        parser.error(f"no warehouse at {args.warehouse}: run `make run` or `make bench` first")

    import duckdb

    from publishing.publish import content_hash, qualified, tables_to_publish

    load_at_start = os.getloadavg()[0]
    implementations = {"current": content_hash, "previous": previous_content_hash}
    with duckdb.connect(str(args.warehouse), read_only=True) as con:
        tables = [qualified(s, t) for s, t in tables_to_publish(con)]
        rows = {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in tables}
        largest = max(tables, key=rows.__getitem__)
        seconds: dict[str, list[float]] = {name: [] for name in implementations}
        largest_seconds: dict[str, list[float]] = {name: [] for name in implementations}
        for _ in range(args.repeat):
            for name, function in implementations.items():
                total = 0.0
                for table in tables:
                    start = time.perf_counter()
                    function(con, table)
                    elapsed = time.perf_counter() - start
                    total += elapsed
                    if table == largest:
                        largest_seconds[name].append(elapsed)
                seconds[name].append(total)
    summary = {
        name: {"best_s": min(seconds[name]), "median_s": statistics.median(seconds[name]),
               "largest_best_s": min(largest_seconds[name]),
               "largest_median_s": statistics.median(largest_seconds[name])}
        for name in implementations
    }
    for name, s in summary.items():
        print(f"{name:>8}: {len(tables)} tables, {sum(rows.values())} rows: best {s['best_s']:.2f} s, "
              f"median {s['median_s']:.2f} s; {largest} ({rows[largest]} rows): best "
              f"{s['largest_best_s']:.2f} s", flush=True)
    print(f"previous / current (median, all tables): "
          f"{summary['previous']['median_s'] / summary['current']['median_s']:.2f}")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    args.results.write_text(json.dumps({
        "warehouse": str(args.warehouse), "cores": os.cpu_count(), "repeat": args.repeat,
        "load_average_1m_at_start": load_at_start, "load_average_1m_at_end": os.getloadavg()[0],
        "tables": len(tables), "rows": sum(rows.values()), "largest": largest,
        "largest_rows": rows[largest], "seconds": summary,
    }, indent=1) + "\n", encoding="utf-8")
    print(f"results: {args.results}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
