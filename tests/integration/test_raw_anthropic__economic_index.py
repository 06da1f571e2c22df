"""Check the Anthropic Economic Index tables the session build landed from the mirror against
figures computed here from the mirror files with the csv module."""

from __future__ import annotations

import csv

import pytest

DATASET = "anthropic__economic_index"


def rows_of(path):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_task_mappings_match_the_file(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror / DATASET / "onet_task_mappings.csv")
    table = f"{DATASET}__onet_task_mappings"
    assert results[table].rows == len(rows)
    total = con.execute(f"SELECT sum(pct) FROM raw.{table}").fetchone()[0]
    assert total == pytest.approx(sum(float(r["pct"]) for r in rows))
    largest = max(rows, key=lambda r: float(r["pct"]))
    got = con.execute(f"SELECT task_name FROM raw.{table} ORDER BY pct DESC LIMIT 1").fetchone()[0]
    assert got == largest["task_name"]


def test_interaction_shares_match_the_file_and_their_total_is_flagged(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror / DATASET / "automation_vs_augmentation.csv")
    table = f"{DATASET}__automation_vs_augmentation"
    landed = dict(con.execute(f"SELECT interaction_type, pct FROM raw.{table}").fetchall())
    assert landed == {r["interaction_type"]: float(r["pct"]) for r in rows}
    off = abs(sum(float(r["pct"]) for r in rows) - 100) > 0.01
    assert results[table].flag_counts.get("shares_do_not_sum_to_100", 0) == (
        len(rows) if off else 0
    )


def test_tasks_final_matches_the_file(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror / DATASET / "tasks_final.csv")
    table = f"{DATASET}__tasks_final"
    assert results[table].rows == len(rows)
    occupations = {r["soc_code_2010"] for r in rows}
    assert con.execute(f"SELECT count(DISTINCT soc_code_2010) FROM raw.{table}").fetchone()[
        0
    ] == len(occupations)
    sample = rows[len(rows) // 3]
    got = con.execute(
        f"SELECT title, task_type, pct_weighted, importance_2025, emp_tot_nat_2024, "
        f"imputed_rating_mean_2025 FROM raw.{table} WHERE soc_code_2010 = ? AND task = ?",
        [sample["soc_code_2010"], sample["task"]],
    ).fetchone()
    assert got == (
        sample["title"],
        sample["task_type"],
        float(sample["pct_weighted"]),
        float(sample["importance_2025"]),
        int(float(sample["emp_tot_nat_2024"])),
        sample["imputed_rating_mean_2025"] == "True",
    )
    missing = sum(1 for r in rows if not r["n_responding"])
    assert results[table].flag_counts.get("n_responding_missing", 0) == missing
    imputed = sum(1 for r in rows if r["imputed_rating_mean_2025"] == "True")
    assert results[table].flag_counts.get("ratings_2025_imputed", 0) == imputed
