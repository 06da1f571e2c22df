"""Check the GPTs-are-GPTs tables the session build landed from the mirror against figures computed
here from the mirror files with the csv module."""

from __future__ import annotations

import csv
from collections import Counter

import pytest

DATASET = "openai__gpts_are_gpts"


def rows_of(path, delimiter):
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter=delimiter))


def test_full_labelset_matches_the_file(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror / DATASET / "full_labelset.tsv", "\t")
    table = f"{DATASET}__full_labelset"
    assert results[table].rows == len(rows)
    assert con.execute(f"SELECT count(*) FROM raw.{table}").fetchone()[0] == len(rows)

    # labels as published, counted per value
    for column in ("human_exposure_agg", "gpt4_exposure", "gpt4_automation"):
        landed = dict(
            con.execute(f"SELECT {column}, count(*) FROM raw.{table} GROUP BY 1").fetchall()
        )
        assert landed == dict(Counter(r[column] for r in rows))

    # a task picked from the middle of the file, by its Task ID
    sample = rows[len(rows) // 2]
    got = con.execute(
        f"SELECT source_index, o_net_soc_code, task, gpt4_exposure, beta, automation "
        f"FROM raw.{table} WHERE task_id = ?",
        [int(float(sample["Task ID"]))],
    ).fetchone()
    assert got == (
        int(sample[""]),
        sample["O*NET-SOC Code"],
        sample["Task"],
        sample["gpt4_exposure"],
        float(sample["beta"]),
        float(sample["automation"]),
    )

    total_beta = con.execute(f"SELECT sum(beta) FROM raw.{table}").fetchone()[0]
    assert total_beta == pytest.approx(sum(float(r["beta"]) for r in rows))
    missing_type = sum(1 for r in rows if not r["Task Type"])
    assert results[table].flag_counts.get("task_type_missing", 0) == missing_type
    assert (
        con.execute(f"SELECT count(*) FROM raw.{table} WHERE task_type IS NULL").fetchone()[0]
        == missing_type
    )


def test_full_onet_data_weights_match_the_file(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror / DATASET / "full_onet_data.tsv", "\t")
    table = f"{DATASET}__full_onet_data"
    assert results[table].rows == len(rows)
    assert con.execute(f"SELECT sum(coreweight) FROM raw.{table}").fetchone()[0] == sum(
        int(r["coreweight"]) for r in rows
    )
    last = rows[-1]
    got = con.execute(
        f"SELECT o_net_soc_code, title, task_type, coreweight FROM raw.{table} WHERE task_id = ?",
        [int(float(last["Task ID"]))],
    ).fetchone()
    assert got == (
        last["O*NET-SOC Code"],
        last["Title"],
        last["Task Type"] or None,
        int(last["coreweight"]),
    )


def test_automation_labels_match_the_file(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror / DATASET / "automation_gpt4_human_labels.tsv", "\t")
    table = f"{DATASET}__automation_gpt4_human_labels"
    assert results[table].rows == len(rows)
    human = Counter(r["human_automation"] for r in rows if r["human_automation"])
    landed = dict(
        con.execute(
            f"SELECT human_automation, count(*) FROM raw.{table} "
            "WHERE human_automation IS NOT NULL GROUP BY 1"
        ).fetchall()
    )
    assert landed == dict(human)
    first = rows[0]
    got = con.execute(
        f"SELECT gpt4_automation, o_net_soc_code, human_automation FROM raw.{table} "
        "WHERE task_id = ?",
        [int(first["Task ID"])],
    ).fetchone()
    assert got == (
        first["gpt4_automation"],
        first["O*NET-SOC Code"],
        first["human_automation"] or None,
    )


def test_work_contexts_are_long_and_match_the_file(raw_build, mirror):
    con, results = raw_build
    rows = rows_of(mirror / DATASET / "occupations_onet_work_contexts.csv", ",")
    contexts = [c for c in rows[0] if c != "occupation"]
    table = f"{DATASET}__occupations_onet_work_contexts"
    assert results[table].rows == len(rows) * len(contexts)
    for row in (rows[0], rows[-1]):
        landed = dict(
            con.execute(
                f"SELECT work_context, value FROM raw.{table} WHERE occupation = ?",
                [row["occupation"]],
            ).fetchall()
        )
        assert landed == {c: float(row[c]) for c in contexts}
