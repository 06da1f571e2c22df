"""Command line: `python -m orchestration <command>`.

  run [--select SELECTION]   materialise every asset (or a selection) into the warehouse
  prepare                    build the dbt manifest the definitions need
  datasets                   per dataset: when it was loaded, from which file and checksum, flags
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

from orchestration import environment


def prepare() -> None:
    """dbt parse, so that target/manifest.json exists before the definitions import."""
    environment.configure()
    from ingestion.settings import DBT_PROJECT_DIR

    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [str(dbt), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR)],
        check=True,
    )


def run(selection: str | None) -> int:
    environment.configure()
    prepare()
    import dagster as dg

    from ingestion.settings import warehouse_path
    from orchestration.definitions import defs

    started = time.monotonic()
    job = defs.get_job_def("atlas_full")
    instance = dg.DagsterInstance.get()
    asset_selection = None
    if selection:
        resolved = dg.AssetSelection.from_string(selection).resolve(defs.resolve_asset_graph())
        asset_selection = sorted(resolved, key=lambda k: k.to_user_string())
        print(f"selected {len(asset_selection)} assets: "
              + ", ".join(k.to_user_string() for k in asset_selection[:12])
              + (" ..." if len(asset_selection) > 12 else ""))
    result = job.execute_in_process(
        instance=instance, asset_selection=asset_selection, raise_on_error=False
    )
    elapsed = time.monotonic() - started
    failed = [e for e in result.all_events if e.is_step_failure]
    checks = [
        e.event_specific_data
        for e in result.all_events
        if e.event_type_value == "ASSET_CHECK_EVALUATION"
    ]
    failed_checks = [c for c in checks if not c.passed]
    print(
        f"\nrun {result.run_id}: {'succeeded' if result.success else 'FAILED'} in {elapsed:.0f} s; "
        f"{len(checks) - len(failed_checks)}/{len(checks)} checks passed; "
        f"warehouse {warehouse_path()}"
    )
    for check in failed_checks:
        print(f"  failed check {check.asset_key.to_user_string()}:{check.check_name}")
    for event in failed:
        error = event.event_specific_data.error  # type: ignore[union-attr]
        print(f"  failed step {event.step_key}: {error.message.strip().splitlines()[0] if error else ''}")
    return 0 if result.success else 1


def datasets() -> int:
    environment.configure()
    import duckdb

    from ingestion.settings import warehouse_path

    with duckdb.connect(str(warehouse_path()), read_only=True) as con:
        con.sql(
            """select dataset_id, table_name, max_by(loaded_at, loaded_at) as loaded_at,
                      max_by(source_files, loaded_at) as files,
                      max_by(left(source_sha256, 12), loaded_at) as sha256_prefix,
                      max_by(row_count, loaded_at) as row_count,
                      max_by(flagged_rows, loaded_at) as flagged_rows
               from raw._load_log group by all order by dataset_id, table_name"""
        ).show(max_rows=200, max_col_width=40)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="materialise every asset, or --select a subset")
    run_parser.add_argument(
        "--select", help="Dagster asset selection, e.g. 'tag:dataset=onet__database' or "
        "'key:raw/gds__transactions_explorer+'",
    )
    sub.add_parser("prepare", help="build the dbt manifest")
    sub.add_parser("datasets", help="show when each dataset was loaded and from what")
    args = parser.parse_args(argv)
    if args.command == "run":
        return run(args.select)
    if args.command == "prepare":
        prepare()
        return 0
    return datasets()


if __name__ == "__main__":
    sys.exit(main())
