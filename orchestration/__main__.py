"""Command line: `python -m orchestration <command>`.

  run [--select SELECTION]   materialise every asset (or a selection) into the warehouse
  spark [--raw-dir DIR]      build the dbt project on Spark from the landed Parquet and score it
  prepare                    build the dbt manifest the definitions need
  datasets                   per dataset: when it was loaded, from which file and checksum, flags
  published                  the published versions, newest first (* = the one readers see)
  rollback PUBLISH_ID        point the published warehouse back at an earlier version
  validate                   run the Great Expectations suites on the build warehouse
  report [--top N]           top of the Canadian and UK priority lists, and the UK replication
  dev [--port N]             the Dagster UI (webserver) and the daemon (schedule, sensor) until Ctrl-C
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from orchestration import environment
from publishing.runlock import RunInProgress, one_run_at_a_time


def prepare() -> None:
    """dbt parse, so that target/manifest.json exists before the definitions import."""
    environment.configure()
    from ingestion.settings import DBT_PROJECT_DIR

    dbt = Path(sys.executable).parent / "dbt"
    subprocess.run(
        [str(dbt), "parse", "--quiet", "--project-dir", str(DBT_PROJECT_DIR),
         "--profiles-dir", str(DBT_PROJECT_DIR), "--target", "duckdb"],
        check=True,
    )


def run(selection: str | None) -> int:
    environment.configure()
    from ingestion.settings import warehouse_path

    try:
        with one_run_at_a_time(warehouse_path()):
            return _run(selection)
    except RunInProgress as error:
        print(f"not run: {error}", file=sys.stderr)
        return 2


def _run(selection: str | None) -> int:
    prepare()
    import dagster as dg

    from ingestion.settings import warehouse_path
    from orchestration.console import quiet, run_loggers

    # dbt's output goes to the run's log file: no colour codes there
    os.environ["DBT_USE_COLORS"] = "false"
    started = time.monotonic()
    log_file = warehouse_path().parent / "logs" / f"run-{time.strftime('%Y%m%d-%H%M%S')}.log"
    with quiet(log_file) as terminal:
        from orchestration.definitions import defs

        loggers, logger_config, lines = run_loggers(log_file, terminal)
        job = defs.resolve_job_def("atlas_full").with_logger_defs(loggers)
        instance = dg.DagsterInstance.get()
        asset_selection = None
        if selection:
            resolved = dg.AssetSelection.from_string(selection).resolve(defs.resolve_asset_graph())
            asset_selection = sorted(resolved, key=lambda k: k.to_user_string())
            terminal.write(f"selected {len(asset_selection)} assets: "
                           + ", ".join(k.to_user_string() for k in asset_selection[:12])
                           + (" ..." if len(asset_selection) > 12 else "") + "\n")
        terminal.write(f"running (details in {log_file})\n")
        terminal.flush()
        result = job.execute_in_process(
            run_config=logger_config, instance=instance, asset_selection=asset_selection,
            raise_on_error=False,
        )
        lines.flush_stage()
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
    for check in failed_checks[:10]:
        print(f"  failed check {check.asset_key.to_user_string()}:{check.check_name}")
    if len(failed_checks) > 10:
        print(f"  ... and {len(failed_checks) - 10} more failed checks (see the log)")
    for event in failed[:5]:
        error = event.event_specific_data.error  # type: ignore[union-attr]
        first = error.message.strip().splitlines()[0] if error else ""
        print(f"  failed step {event.step_key}: {first[:400]}{' ...' if len(first) > 400 else ''}")
    if len(failed) > 5:
        print(f"  ... and {len(failed) - 5} more failed steps (see the log)")
    _print_built(result)
    _print_model(result)
    _print_evidence(result)
    _print_publication(result)
    _print_where_to_look(result)
    print(f"log: {log_file}")
    return 0 if result.success else 1


def _materialisations(result) -> list:
    return [e for e in result.all_events
            if e.event_type_value == "ASSET_MATERIALIZATION" and e.asset_key is not None]


def _print_built(result) -> None:
    """What was built: materialised assets per layer (the first part of their key)."""
    counts: dict[str, int] = {}
    for event in _materialisations(result):
        layer = event.asset_key.path[0]
        counts[layer] = counts.get(layer, 0) + 1
    order = ["raw", "staging", "intermediate", "seeds", "marts", "scoring", "published", "exports"]
    layers = sorted(counts, key=lambda k: (order.index(k) if k in order else len(order), k))
    print("built: " + (", ".join(f"{counts[k]} {k}" for k in layers) if counts else "nothing"))


def _print_model(result) -> None:
    """The automation model's summary line per country, when the run scored (scoring/pipeline.py)."""
    for event in _materialisations(result):
        if event.asset_key.path == ["scoring", "fct_service_automation_summary"]:
            metadata = event.event_specific_data.materialization.metadata
            if "model_summary" in metadata:
                for line in str(metadata["model_summary"].value).splitlines():
                    print(f"model: {line}")


def _print_evidence(result) -> None:
    """The bottom-up evidence line, when the run combined pilots with the top-down map
    (scoring/evidence.py): pilots used, links made, posteriors moved beyond A137."""
    for event in _materialisations(result):
        if event.asset_key.path == ["scoring", "fct_service_evidence_posterior"]:
            metadata = event.event_specific_data.materialization.metadata
            if "evidence_summary" in metadata:
                print(f"evidence: {metadata['evidence_summary'].value}")


def _print_where_to_look(result) -> None:
    """The exports of this run (or why there are none), the data docs and the Dagster UI."""
    from ingestion.settings import data_docs_dir, exports_dir
    from reporting.exports import current_export

    exported = [e for e in _materialisations(result) if e.asset_key.path == ["exports", "atlas"]]
    if exported:
        metadata = exported[-1].event_specific_data.materialization.metadata
        folder = metadata["path"].value if "path" in metadata else str(exports_dir())
        print(f"exports {metadata['publish_id'].value} -> {folder} (latest: {exports_dir() / 'latest'})")
        for label, key in (("  workbook", "workbook"), ("  matrix page", "matrix_page"),
                           ("  data dictionary", "data_dictionary")):
            if key in metadata:
                print(f"{label}: {metadata[key].value}")
        undocumented = metadata.get("undocumented_columns")
        if undocumented is not None and undocumented.value:
            print(f"  {undocumented.value} columns lack a description, unit or source (see the run log)")
    else:
        current = current_export()
        print("no exports written; " + (f"{exports_dir() / 'latest'} is still {current}" if current
                                        else f"none yet in {exports_dir()}"))
    from publishing.publish import current_publish_id
    from reporting.exports import follow_published

    readers_see = current_publish_id()
    if readers_see is not None and readers_see != current_export():
        print(follow_published(readers_see))
    docs = data_docs_dir() / "index.html"
    if docs.is_file():
        print(f"data docs: {docs}")
    print(f"details: `make dev` (Dagster UI, run {result.run_id[:8]}), `make published`, `make datasets`")


def run_spark(selection: str | None) -> int:
    """ATLAS_DBT_TARGET=spark: land the raw tables with Dagster (DuckDB and their Parquet copy),
    then build the dbt project on Spark from the Parquet and score it (engines/spark.py).
    Publishing stays with the DuckDB build."""
    status = run(f"({selection}) and group:raw" if selection else "group:raw")
    return status or spark(None, None, score=True, data_tests=True)


def spark(raw_dir: str | None, spark_dir: str | None, *, score: bool, data_tests: bool) -> int:
    """Build the dbt project on Spark from landed Parquet (default <warehouse dir>/parquet/raw)."""
    environment.configure()
    from engines.spark import SparkBuildError, build
    from ingestion.settings import parquet_dir
    from ingestion.settings import spark_dir as default_spark_dir

    raw = Path(raw_dir).resolve() if raw_dir else parquet_dir() / "raw"
    state = Path(spark_dir).resolve() if spark_dir else default_spark_dir()
    try:
        report = build(raw, state, score=score, data_tests=data_tests)
    except SparkBuildError as error:
        print(f"\nspark build FAILED: {error}")
        return 1
    steps = ", ".join(f"{k} {v:.0f} s" for k, v in report.seconds.items() if k != "total")
    print(f"\nspark build: succeeded in {report.seconds['total']:.0f} s ({steps}); "
          f"{len(report.raw_tables)} raw tables from {raw}")
    print(f"marts, seeds and scores as Parquet: {report.parquet_dir}")
    return 0


def _print_publication(result) -> None:
    """Say what readers see now: the version this run published, or the unchanged one."""
    from publishing.publish import current_publish_id, published_dir

    for event in result.all_events:
        if event.event_type_value == "ASSET_MATERIALIZATION" and event.asset_key is not None \
                and event.asset_key.path == ["published", "atlas"]:
            metadata = event.event_specific_data.materialization.metadata
            same = metadata.get("identical_to_previous")
            same_text = same.value if same is not None and same.value not in ("None", "") else None
            print(f"published {metadata['publish_id'].value} -> {published_dir() / 'atlas.duckdb'}"
                  + (f" (identical to previous: {same_text})" if same_text else " (the first version)"))
            return
    current = current_publish_id()
    print("nothing published; readers still see "
          + (f"{current} ({published_dir() / 'atlas.duckdb'})" if current else "no published version yet"))


def datasets() -> int:
    environment.configure()
    import duckdb

    from publishing.publish import reader_database

    with duckdb.connect(str(reader_database()), read_only=True) as con:
        con.sql(
            """select dataset_id, table_name, max_by(loaded_at, loaded_at) as loaded_at,
                      max_by(source_files, loaded_at) as files,
                      max_by(left(source_sha256, 12), loaded_at) as sha256_prefix,
                      max_by(row_count, loaded_at) as row_count,
                      max_by(flagged_rows, loaded_at) as flagged_rows
               from raw._load_log group by all order by dataset_id, table_name"""
        ).show(max_rows=200, max_col_width=40, max_width=10_000)
    return 0


def report(top: int) -> int:
    """Print the top of each country's priority list and the UK replication table."""
    environment.configure()
    import duckdb

    from publishing.publish import reader_database

    # what readers see: the published copy (the build warehouse only before the first publish)
    database = reader_database()
    print(f"from {database}")
    with duckdb.connect(str(database), read_only=True) as con:
        for country in ("CA", "UK"):
            print(f"\nTop {top} of the {country} priority list (scoring.fct_service_automation_summary)")
            con.execute(
                """select priority_rank as rank, left(service_name, 48) as service,
                          archetype_id as archetype, round(headline_probability, 3) as p,
                          round(probability_p05, 2) as p05, round(probability_p95, 2) as p95,
                          round(value_net / 1e6, 1) as net_m, round(value_gross / 1e6, 1) as gross_m,
                          currency, quadrant
                   from scoring.fct_service_automation_summary
                   where country_code = ? order by priority_rank limit ?""",
                [country, top],
            )
            _print_rows(con)
        print("\nUK replication of the Turing Institute's arithmetic (scoring.uk_replication)")
        con.execute(
            """select figure_id, round(atlas_value, 3) as atlas, atlas_data_year,
                      reference_value as turing, reference_data_year
               from scoring.uk_replication"""
        )
        _print_rows(con)
    return 0


def _print_rows(con) -> None:
    columns = [d[0] for d in con.description]
    rows = [[("" if v is None else str(v)) for v in r] for r in con.fetchall()]
    widths = [max(len(c), *(len(r[i]) for r in rows)) if rows else len(c) for i, c in enumerate(columns)]
    print(" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    print("-+-".join("-" * w for w in widths))
    for r in rows:
        print(" | ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))


def published() -> int:
    """List the published versions, newest first; * marks the one the pointer names."""
    environment.configure()
    from publishing.publish import describe_versions, list_versions, published_dir

    versions = list_versions()
    if not versions:
        print(f"nothing published yet in {published_dir()}")
        return 0
    print(f"published versions in {published_dir()} (readers open atlas.duckdb, * below):")
    for line in describe_versions(versions):
        print(line)
    return 0


def rollback(publish_id: str) -> int:
    """Point the published warehouse back at an earlier version."""
    environment.configure()
    from publishing.publish import PublishError, published_dir
    from publishing.publish import rollback as rollback_to

    try:
        manifest = rollback_to(publish_id)
    except PublishError as error:
        print(f"rollback refused: {error}")
        return 1
    print(f"rolled back: {published_dir() / 'atlas.duckdb'} -> {manifest['database']} "
          f"(published {manifest['published_at'][:19]}, run {manifest['run_id']})")
    from reporting.exports import follow_published

    print(follow_published(publish_id))
    return 0


def validate() -> int:
    """Run every Great Expectations suite on the build warehouse (outside Dagster) and write the
    data docs; exits non-zero if a suite fails."""
    environment.configure()
    import duckdb

    from ingestion.settings import data_docs_dir, warehouse_path
    from quality.expectations import discover_suites, validate_table

    failed = 0
    with duckdb.connect(str(warehouse_path()), read_only=True) as con:
        for suite in discover_suites():
            report = validate_table(con, suite, data_docs_dir())
            failed += not report.passed
            print(report.message())
            for failure in report.failures:
                for row in failure.sample_rows[:2]:
                    print(f"    e.g. {failure.expectation}: {row}")
    print(f"data docs: {data_docs_dir() / 'index.html'}")
    return 1 if failed else 0


def dev(port: int) -> int:
    """The Dagster webserver and daemon, as `dagster dev` runs them but without its warning that
    the command is superseded by `dg dev` (a different project layout). Each runs in its own
    process group; Ctrl-C or either one exiting stops both."""
    environment.configure()
    import dagster as dg

    # create the instance's storage once, before two processes race to create it
    with dg.DagsterInstance.get():
        pass
    bin_dir = Path(sys.executable).parent
    target = ["-m", "orchestration.definitions"]
    # dagster-dbt calls `dbt` from PATH when it loads the project
    env = dict(os.environ, PATH=f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}")
    children = [
        subprocess.Popen([str(bin_dir / "dagster-daemon"), "run", *target], env=env,
                         start_new_session=True),
        subprocess.Popen([str(bin_dir / "dagster-webserver"), *target, "-h", "127.0.0.1", "-p", str(port)],
                         env=env, start_new_session=True),
    ]
    print(f"Dagster UI: http://127.0.0.1:{port} (the daemon runs the schedule and sensor); Ctrl-C stops both",
          flush=True)
    code = 0
    try:
        while all(child.poll() is None for child in children):
            time.sleep(0.5)
        name, code = next((n, c.returncode) for n, c in zip(("dagster-daemon", "dagster-webserver"), children,
                                                             strict=True) if c.returncode is not None)
        print(f"{name} exited with code {code}; stopping the other", file=sys.stderr)
    except KeyboardInterrupt:
        pass
    finally:
        for child in children:
            if child.poll() is None:
                os.killpg(child.pid, signal.SIGINT)  # as Ctrl-C would: each shuts down cleanly
        for child in children:
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
    return code


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m orchestration", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    run_parser = sub.add_parser("run", help="materialise every asset, or --select a subset")
    run_parser.add_argument(
        "--select", help="Dagster asset selection, e.g. 'tag:dataset=onet__database' or "
        "'key:raw/gds__transactions_explorer+'",
    )
    spark_parser = sub.add_parser(
        "spark", help="build the dbt project on Spark from the landed Parquet (docs/scale-out.md)"
    )
    spark_parser.add_argument("--raw-dir", help="folder of raw <table>.parquet "
                              "(default <warehouse dir>/parquet/raw)")
    spark_parser.add_argument("--spark-dir", help="Spark state and output folder "
                              "(default ATLAS_SPARK_DIR or <warehouse dir>/spark)")
    spark_parser.add_argument("--no-score", action="store_true", help="skip the automation model")
    spark_parser.add_argument("--no-tests", action="store_true",
                              help="skip dbt's data and unit tests (models and contracts only)")
    sub.add_parser("prepare", help="build the dbt manifest")
    sub.add_parser("datasets", help="show when each dataset was loaded and from what")
    sub.add_parser("published", help="list the published versions")
    rollback_parser = sub.add_parser("rollback", help="point the published warehouse at a version")
    rollback_parser.add_argument("publish_id", help="a publish id from `published`")
    sub.add_parser("validate", help="run the Great Expectations suites on the build warehouse")
    report_parser = sub.add_parser("report", help="top of the priority lists and the UK replication")
    report_parser.add_argument("--top", type=int, default=10)
    dev_parser = sub.add_parser("dev", help="the Dagster UI and daemon until Ctrl-C")
    dev_parser.add_argument("--port", type=int, default=3000)
    args = parser.parse_args(argv)
    if args.command in ("run", "spark", "rollback", "published", "validate"):
        from ingestion.settings import settings_problems

        problems = settings_problems()
        if problems:
            print("configuration error (nothing was run):\n" + "\n".join(f"  {p}" for p in problems),
                  file=sys.stderr)
            return 2
    if args.command == "run":
        from ingestion.fetch import source_access_problems
        from ingestion.settings import dbt_target

        problems = source_access_problems()
        if problems:
            print("configuration error (nothing was run):\n" + "\n".join(f"  {p}" for p in problems),
                  file=sys.stderr)
            return 2

        return run_spark(args.select) if dbt_target() == "spark" else run(args.select)
    if args.command == "spark":
        return spark(args.raw_dir, args.spark_dir, score=not args.no_score,
                     data_tests=not args.no_tests)
    if args.command == "prepare":
        prepare()
        return 0
    if args.command == "published":
        return published()
    if args.command == "rollback":
        return rollback(args.publish_id)
    if args.command == "validate":
        return validate()
    if args.command == "report":
        return report(args.top)
    if args.command == "dev":
        return dev(args.port)
    return datasets()


if __name__ == "__main__":
    sys.exit(main())
