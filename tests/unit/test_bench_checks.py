"""The checks benchmark's side-by-side mode (benchmarks/checks.py --paired) on a hand-made
warehouse and suite: it runs every suite both ways, reports both, and leaves the checks' code as
it found it. Nothing here measures or asserts a time."""

from __future__ import annotations

import json

import duckdb

import quality.expectations as expectations
import quality.gx_views as views
from benchmarks.checks import main

SUITE = {
    "name": "marts.fct_widget",
    "meta": {"optional": False},
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "widget_id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "share", "min_value": 0, "max_value": 1,
                    "row_condition": 'country=="CA"', "condition_parser": "pandas"}},
    ],
}


def test_the_paired_mode_runs_every_suite_both_ways_and_restores_the_checks(tmp_path, monkeypatch, capsys):
    suites = tmp_path / "suites"
    suites.mkdir()
    (suites / "marts.fct_widget.json").write_text(json.dumps(SUITE), encoding="utf-8")
    monkeypatch.setenv("ATLAS_EXPECTATIONS_DIR", str(suites))
    warehouse = tmp_path / "x1" / "warehouse" / "atlas.duckdb"
    warehouse.parent.mkdir(parents=True)
    with duckdb.connect(str(warehouse)) as con:
        con.execute("CREATE SCHEMA marts")
        con.execute("""CREATE TABLE marts.fct_widget AS SELECT * FROM (VALUES
            ('w1', 0.5, 'CA'), ('w2', 2.0, 'UK'), ('w3', 1.0, 'CA')) t(widget_id, share, country)""")
    kept, shared = expectations.row_filters_kept, views._shared_environment
    results = tmp_path / "paired.json"

    assert main(["--warehouse", str(warehouse), "--paired", "--repeat", "2", "--results", str(results)]) == 0

    assert expectations.row_filters_kept is kept and views._shared_environment is shared
    report = json.loads(results.read_text(encoding="utf-8"))
    assert report["suites"] == 1 and report["passes"] == 2
    assert set(report["seconds_a_pass"]) == {"now", "before"}
    assert all(seconds > 0 for seconds in report["seconds_a_pass"].values())
    output = capsys.readouterr().out
    assert "1 suites, 2 passes each way" in output and "FAILED" not in output
