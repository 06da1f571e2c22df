"""Check every O*NET 29.3 table the session build landed from the mirror against figures computed
here from the mirror files themselves (csv module for the tab-separated files, openpyxl for the
workbooks)."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
from pathlib import Path

import duckdb
import openpyxl
import pytest

from ingestion.onet.database import TABLES

DATASET = "onet__database"


def source(mirror: Path, file: str) -> Path:
    return mirror / DATASET / file


def tsv(mirror: Path, file: str) -> list[dict[str, str]]:
    with source(mirror, file).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle, delimiter="\t"))


_WORKBOOKS: dict[str, list[dict[str, object]]] = {}


def workbook(mirror: Path, file: str) -> list[dict[str, object]]:
    if file not in _WORKBOOKS:
        book = openpyxl.load_workbook(source(mirror, file), read_only=True)
        rows = book.worksheets[0].iter_rows(values_only=True)
        header = [str(h) for h in next(rows)]
        _WORKBOOKS[file] = [
            dict(zip(header, r, strict=True)) for r in rows if any(v is not None for v in r)
        ]
        book.close()
    return _WORKBOOKS[file]


def month(text: str) -> dt.date:
    mm, yyyy = text.split("/")
    return dt.date(int(yyyy), int(mm), 1)


def q(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def one(con: duckdb.DuckDBPyConnection, sql: str) -> object:
    return con.execute(sql).fetchone()[0]


TEXT_TABLES = {
    "occupation_data": "Occupation Data.txt",
    "task_statements": "Task Statements.txt",
    "dwa_reference": "DWA Reference.txt",
    "iwa_reference": "IWA Reference.txt",
    "job_zones": "Job Zones.txt",
    "job_zone_reference": "Job Zone Reference.txt",
    "scales_reference": "Scales Reference.txt",
    "content_model_reference": "Content Model Reference.txt",
    "task_categories": "Task Categories.txt",
    "work_context_categories": "Work Context Categories.txt",
    "emerging_tasks": "Emerging Tasks.txt",
}
EXCEL_TABLES = {
    "tasks_to_dwas": "Tasks to DWAs.xlsx",
    "skills": "Skills.xlsx",
    "knowledge": "Knowledge.xlsx",
}


@pytest.mark.parametrize("entity,file", sorted(TEXT_TABLES.items()))
def test_text_tables_keep_every_row(raw_build, mirror, entity, file):
    con, results = raw_build
    expected = len(tsv(mirror, file))
    assert one(con, f"SELECT count(*) FROM raw.{DATASET}__{entity}") == expected
    assert results[f"{DATASET}__{entity}"].rows == expected


@pytest.mark.parametrize("entity,file", sorted(EXCEL_TABLES.items()))
def test_workbook_tables_keep_every_row(raw_build, mirror, entity, file):
    con, _ = raw_build
    assert one(con, f"SELECT count(*) FROM raw.{DATASET}__{entity}") == len(workbook(mirror, file))


def test_the_load_log_names_each_file_and_checksum(raw_build, mirror):
    con, _ = raw_build
    with (mirror / "FILES.csv").open(encoding="utf-8", newline="") as handle:
        listed = {
            r["file"]: r["sha256"] for r in csv.DictReader(handle) if r["dataset_id"] == DATASET
        }
    # the build's log holds every dataset's loads: this dataset's, one per table
    logged = q(
        con,
        "SELECT table_name, source_files, source_sha256, row_count FROM raw._load_log "
        f"WHERE dataset_id = '{DATASET}'",
    )
    assert len(logged) == len(TABLES)
    assert {table for table, *_ in logged} == {t.name for t in TABLES}
    for table, file, sha, rows in logged:
        assert table.startswith(f"{DATASET}__")
        assert sha == listed[file] == hashlib.sha256(source(mirror, file).read_bytes()).hexdigest()
        assert rows > 0


def test_occupations_are_kept_as_text_codes_and_flagged(raw_build, mirror):
    con, _ = raw_build
    rows = tsv(mirror, "Occupation Data.txt")
    landed = dict(q(con, f"SELECT o_net_soc_code, title FROM raw.{DATASET}__occupation_data"))
    assert landed == {r["O*NET-SOC Code"]: r["Title"] for r in rows}
    military = sum(r["O*NET-SOC Code"].startswith("55-") for r in rows)
    assert (
        one(
            con,
            f"SELECT count(*) FROM raw.{DATASET}__occupation_data WHERE _flags LIKE '%military%'",
        )
        == military
    )
    # The flagged occupations are exactly those O*NET publishes no tasks for.
    with_tasks = {r["O*NET-SOC Code"] for r in tsv(mirror, "Task Statements.txt")}
    flagged = {
        r[0]
        for r in q(
            con,
            f"SELECT o_net_soc_code FROM raw.{DATASET}__occupation_data WHERE _flags IS NOT NULL",
        )
    }
    assert flagged == {r["O*NET-SOC Code"] for r in rows} - with_tasks


def test_task_statements_match_the_file(raw_build, mirror):
    con, _ = raw_build
    rows = tsv(mirror, "Task Statements.txt")
    table = f"raw.{DATASET}__task_statements"
    no_type = sum(r["Task Type"] == "" for r in rows)
    assert one(con, f"SELECT count(*) FROM {table} WHERE task_type IS NULL") == no_type
    assert (
        one(con, f"SELECT count(*) FROM {table} WHERE _flags LIKE '%task_type_missing%'") == no_type
    )
    assert one(con, f"SELECT count(*) FROM {table} WHERE task_type = 'Core'") == sum(
        r["Task Type"] == "Core" for r in rows
    )
    incumbents = sum(
        int(float(r["Incumbents Responding"])) for r in rows if r["Incumbents Responding"]
    )
    assert one(con, f"SELECT sum(incumbents_responding) FROM {table}") == incumbents
    quoted = next(r for r in rows if '"' in r["Task"])
    task, soc, date = q(
        con,
        f"SELECT task, o_net_soc_code, date FROM {table} WHERE task_id = {int(quoted['Task ID'])}",
    )[0]
    assert (task, soc, date) == (quoted["Task"], quoted["O*NET-SOC Code"], month(quoted["Date"]))
    assert one(con, f"SELECT max(date) FROM {table}") == max(month(r["Date"]) for r in rows)


def test_tasks_to_dwas_match_the_workbook(raw_build, mirror):
    con, _ = raw_build
    rows = workbook(mirror, "Tasks to DWAs.xlsx")
    table = f"raw.{DATASET}__tasks_to_dwas"
    landed = set(q(con, f"SELECT o_net_soc_code, task_id, dwa_id FROM {table}"))
    assert landed == {(r["O*NET-SOC Code"], int(r["Task ID"]), r["DWA ID"]) for r in rows}
    first = rows[0]
    assert q(con, f"SELECT task, dwa_title, date FROM {table} WHERE _source_row = 1")[0] == (
        first["Task"],
        first["DWA Title"],
        month(first["Date"]),
    )
    # Every linked task and DWA exists in the task and DWA reference tables.
    assert (
        one(
            con,
            f"SELECT count(*) FROM {table} l ANTI JOIN raw.{DATASET}__task_statements t USING (task_id)",
        )
        == 0
    )
    assert (
        one(
            con,
            f"SELECT count(*) FROM {table} l ANTI JOIN raw.{DATASET}__dwa_reference d USING (dwa_id)",
        )
        == 0
    )


def test_dwa_and_iwa_references_match_the_files(raw_build, mirror):
    con, _ = raw_build
    dwas = tsv(mirror, "DWA Reference.txt")
    assert dict(q(con, f"SELECT dwa_id, iwa_id FROM raw.{DATASET}__dwa_reference")) == {
        r["DWA ID"]: r["IWA ID"] for r in dwas
    }
    iwas = tsv(mirror, "IWA Reference.txt")
    assert dict(q(con, f"SELECT iwa_id, iwa_title FROM raw.{DATASET}__iwa_reference")) == {
        r["IWA ID"]: r["IWA Title"] for r in iwas
    }
    assert (
        one(con, f"SELECT count(*) FROM raw.{DATASET}__dwa_reference WHERE _flags IS NOT NULL") == 0
    )


def test_job_zones_match_the_file(raw_build, mirror):
    con, _ = raw_build
    rows = tsv(mirror, "Job Zones.txt")
    counts = {}
    for r in rows:
        counts[int(r["Job Zone"])] = counts.get(int(r["Job Zone"]), 0) + 1
    assert (
        dict(q(con, f"SELECT job_zone, count(*) FROM raw.{DATASET}__job_zones GROUP BY 1"))
        == counts
    )
    preliminary = sum(r["Domain Source"] == "Analyst - Preliminary" for r in rows)
    assert (
        one(con, f"SELECT count(*) FROM raw.{DATASET}__job_zones WHERE _flags = 'preliminary'")
        == preliminary
    )
    reference = tsv(mirror, "Job Zone Reference.txt")
    assert dict(q(con, f"SELECT job_zone, svp_range FROM raw.{DATASET}__job_zone_reference")) == {
        int(r["Job Zone"]): r["SVP Range"] for r in reference
    }


def test_small_reference_tables_match_row_for_row(raw_build, mirror):
    con, _ = raw_build
    scales = tsv(mirror, "Scales Reference.txt")
    assert q(
        con,
        f"SELECT scale_id, scale_name, minimum, maximum FROM raw.{DATASET}__scales_reference ORDER BY _source_row",
    ) == [(r["Scale ID"], r["Scale Name"], int(r["Minimum"]), int(r["Maximum"])) for r in scales]
    categories = tsv(mirror, "Task Categories.txt")
    assert q(
        con,
        f"SELECT category, category_description FROM raw.{DATASET}__task_categories ORDER BY _source_row",
    ) == [(int(r["Category"]), r["Category Description"]) for r in categories]
    model = tsv(mirror, "Content Model Reference.txt")
    assert dict(
        q(con, f"SELECT element_id, description FROM raw.{DATASET}__content_model_reference")
    ) == {r["Element ID"]: r["Description"] for r in model}
    context = tsv(mirror, "Work Context Categories.txt")
    assert set(
        q(con, f"SELECT element_id, scale_id, category FROM raw.{DATASET}__work_context_categories")
    ) == {(r["Element ID"], r["Scale ID"], int(r["Category"])) for r in context}


def test_emerging_tasks_match_the_file(raw_build, mirror):
    con, _ = raw_build
    rows = tsv(mirror, "Emerging Tasks.txt")
    table = f"raw.{DATASET}__emerging_tasks"
    originals = sorted(int(float(r["Original Task ID"])) for r in rows if r["Original Task ID"])
    assert [
        r[0]
        for r in q(
            con,
            f"SELECT original_task_id FROM {table} WHERE original_task_id IS NOT NULL ORDER BY 1",
        )
    ] == originals
    assert one(con, f"SELECT count(*) FROM {table} WHERE category = 'New'") == sum(
        r["Category"] == "New" for r in rows
    )


@pytest.mark.parametrize(
    "entity,file", [("skills", "Skills.xlsx"), ("knowledge", "Knowledge.xlsx")]
)
def test_ratings_match_the_workbook(raw_build, mirror, entity, file):
    con, _ = raw_build
    rows = workbook(mirror, file)
    table = f"raw.{DATASET}__{entity}"
    assert one(con, f"SELECT sum(data_value) FROM {table}") == pytest.approx(
        sum(float(r["Data Value"]) for r in rows)
    )
    assert one(con, f"SELECT sum(n) FROM {table}") == sum(
        int(r["N"]) for r in rows if r["N"] is not None
    )
    assert one(con, f"SELECT count(*) FROM {table} WHERE n IS NULL") == sum(
        r["N"] is None for r in rows
    )
    assert one(con, f"SELECT count(*) FROM {table} WHERE recommend_suppress") == sum(
        r["Recommend Suppress"] == "Y" for r in rows
    )
    assert one(con, f"SELECT count(*) FROM {table} WHERE not_relevant") == sum(
        r["Not Relevant"] == "Y" for r in rows
    )
    assert one(con, f"SELECT count(*) FROM {table} WHERE standard_error IS NULL") == sum(
        r["Standard Error"] is None for r in rows
    )
    first = rows[0]
    landed = q(
        con,
        f"SELECT o_net_soc_code, element_id, scale_id, data_value, n, standard_error, lower_ci_bound, "
        f"upper_ci_bound, date FROM {table} WHERE _source_row = 1",
    )[0]
    assert landed == (
        first["O*NET-SOC Code"],
        first["Element ID"],
        first["Scale ID"],
        pytest.approx(float(first["Data Value"])),
        int(first["N"]),
        pytest.approx(float(first["Standard Error"])),
        pytest.approx(float(first["Lower CI Bound"])),
        pytest.approx(float(first["Upper CI Bound"])),
        month(first["Date"]),
    )
    # Long already: every occupation has both scales for every element.
    pairs = {}
    for r in rows:
        pairs.setdefault((r["O*NET-SOC Code"], r["Element ID"]), set()).add(r["Scale ID"])
    assert one(con, f"SELECT count(DISTINCT (o_net_soc_code, element_id)) FROM {table}") == len(
        pairs
    )
    assert one(con, f"SELECT count(*) FROM {table} WHERE _flags LIKE '%value_outside_scale%'") == 0
