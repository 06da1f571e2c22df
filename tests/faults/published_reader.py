"""A reader of the published warehouse, run as a separate process while the pipeline runs.

    python -m tests.faults.published_reader PUBLISHED_DIR RESULTS.jsonl STOP_FILE

In a loop until STOP_FILE exists (or its parent process is gone, or MAX_SECONDS have passed, so
that a reader whose test was killed does not run on): open published/atlas.duckdb read-only, read which version it is
(meta.publication) and count the rows of every published table, then compare the counts with that
version's manifest. Appends every read's outcome to RESULTS.jsonl as it goes.
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

import duckdb

MAX_SECONDS = 3600.0


def read_once(published: Path) -> dict:
    started = time.monotonic()
    with duckdb.connect(str(published / "atlas.duckdb"), read_only=True) as con:
        publish_id = con.execute("SELECT publish_id FROM meta.publication").fetchone()[0]
        listed = con.execute(
            "SELECT table_schema, table_name, row_count FROM meta.published_tables"
        ).fetchall()
        counts = {
            f"{schema}.{table}": con.execute(
                f'SELECT count(*) FROM "{schema}"."{table}"'
            ).fetchone()[0]
            for schema, table, _ in listed
        }
    manifest = json.loads((published / f"atlas-{publish_id}.json").read_text(encoding="utf-8"))
    expected = {name: t["rows"] for name, t in manifest["tables"].items()}
    return {
        "publish_id": publish_id,
        "complete": counts == expected,
        "tables": len(counts),
        "seconds": round(time.monotonic() - started, 3),
    }


def main(published_dir: str, results_path: str, stop_file: str) -> int:
    published, stop = Path(published_dir), Path(stop_file)
    parent, deadline = os.getppid(), time.monotonic() + MAX_SECONDS
    with Path(results_path).open("a", encoding="utf-8") as out:
        while not stop.exists() and os.getppid() == parent and time.monotonic() < deadline:
            try:
                read = read_once(published)
            except Exception as exc:  # recorded, not raised: the test asserts there are none
                read = {"error": f"{exc.__class__.__name__}: {exc}"}
            out.write(json.dumps(read) + "\n")
            out.flush()
            time.sleep(0.05)
    return 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:4]))
