"""O*NET 29.3 readers on small hand-written files: types, codes kept as text, months, flags."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest

from ingestion.errors import AtlasDataError
from ingestion.onet.database import READERS, SPECS, TABLES

TAB = "\t"


def write_tsv(path: Path, rows: list[list[str]]) -> Path:
    path.write_text("".join(TAB.join(r) + "\n" for r in rows), encoding="utf-8")
    return path


def write_xlsx(path: Path, sheet: str, rows: list[list[object]]) -> Path:
    book = openpyxl.Workbook()
    ws = book.active
    ws.title = sheet
    for row in rows:
        ws.append(row)
    book.save(path)
    return path


def flags(frame: pl.DataFrame) -> list[str | None]:
    return frame.get_column("_flags").to_list()


RATING_HEADER = [
    "O*NET-SOC Code",
    "Title",
    "Element ID",
    "Element Name",
    "Scale ID",
    "Scale Name",
    "Data Value",
    "N",
    "Standard Error",
    "Lower CI Bound",
    "Upper CI Bound",
    "Recommend Suppress",
    "Not Relevant",
    "Date",
    "Domain Source",
]


def test_every_file_but_the_read_me_has_one_table():
    assert len(TABLES) == 14
    assert {t.name for t in TABLES} == {f"onet__database__{s.entity}" for s in SPECS}
    assert all(t.dataset_id == "onet__database" and len(t.files) == 1 for t in TABLES)
    assert "Read Me.txt" not in {t.files[0] for t in TABLES}


def test_occupations_keep_codes_and_flag_residual_and_military(tmp_path):
    path = write_tsv(
        tmp_path / "occ.txt",
        [
            ["O*NET-SOC Code", "Title", "Description"],
            ["11-1011.00", "Chief Executives", "Determine and formulate policies."],
            ["11-9199.00", "Managers, All Other", "All managers not listed separately."],
            [
                "29-1029.00",
                "Dentists, All Other Specialists",
                "All dentists not listed separately.",
            ],
            ["55-1011.00", "Air Crew Officers", "Perform and direct in-flight duties."],
        ],
    )
    frame = READERS["occupation_data"](path)
    assert frame.columns[:3] == ["o_net_soc_code", "title", "description"]
    assert frame.get_column("o_net_soc_code").to_list()[0] == "11-1011.00"
    assert flags(frame) == [None, "all_other_residual", "all_other_residual", "military"]


def test_tasks_keep_a_missing_task_type_and_read_months_and_quotes(tmp_path):
    path = write_tsv(
        tmp_path / "tasks.txt",
        [
            [
                "O*NET-SOC Code",
                "Title",
                "Task ID",
                "Task",
                "Task Type",
                "Incumbents Responding",
                "Date",
                "Domain Source",
            ],
            [
                "11-1011.00",
                "Chief Executives",
                "8823",
                "Direct budgets.",
                "Core",
                "95.0",
                "08/2023",
                "Incumbent",
            ],
            [
                "11-1031.00",
                "Legislators",
                "15287",
                '"Conduct ""head counts"" to predict votes."',
                "",
                "",
                "06/2006",
                "Analyst",
            ],
            [
                "11-1031.00",
                "Legislators",
                "15288",
                "Draft bills.",
                "Supplemental",
                "",
                "11/2020",
                "Analyst - Transition",
            ],
        ],
    )
    frame = READERS["task_statements"](path)
    assert frame.schema["task_id"] == pl.Int64
    assert frame.schema["incumbents_responding"] == pl.Int32
    assert frame.schema["date"] == pl.Date
    assert frame.height == 3
    assert frame.get_column("incumbents_responding").to_list() == [95, None, None]
    assert frame.get_column("task_type").to_list() == ["Core", None, "Supplemental"]
    assert frame.get_column("date").to_list() == [
        dt.date(2023, 8, 1),
        dt.date(2006, 6, 1),
        dt.date(2020, 11, 1),
    ]
    assert frame.get_column("task").to_list()[1] == 'Conduct "head counts" to predict votes.'
    assert flags(frame) == [
        None,
        "task_type_missing;incumbents_responding_missing",
        "incumbents_responding_missing",
    ]


def test_a_month_in_another_format_is_an_error_with_its_row(tmp_path):
    path = write_tsv(
        tmp_path / "jz.txt",
        [
            ["O*NET-SOC Code", "Title", "Job Zone", "Date", "Domain Source"],
            ["11-1011.00", "Chief Executives", "5", "08/2023", "Analyst"],
            ["11-1021.00", "General and Operations Managers", "4", "2023-08", "Analyst"],
        ],
    )
    with pytest.raises(AtlasDataError) as caught:
        READERS["job_zones"](path)
    assert caught.value.column == "date"
    assert caught.value.row == 2
    assert caught.value.file == "Job Zones.txt"


def test_job_zones_flag_preliminary_assignments(tmp_path):
    path = write_tsv(
        tmp_path / "jz.txt",
        [
            ["O*NET-SOC Code", "Title", "Job Zone", "Date", "Domain Source"],
            ["11-1011.00", "Chief Executives", "5", "08/2023", "Analyst"],
            [
                "15-1299.08",
                "Computer Systems Engineers/Architects",
                "4",
                "11/2024",
                "Analyst - Preliminary",
            ],
        ],
    )
    frame = READERS["job_zones"](path)
    assert frame.get_column("job_zone").to_list() == [5, 4]
    assert flags(frame) == [None, "preliminary"]


def test_a_renamed_column_is_named(tmp_path):
    path = write_tsv(
        tmp_path / "iwa.txt",
        [
            ["Element ID", "Element Name", "IWA Code", "IWA Title"],
            ["4.A.1.a.1", "Getting Information", "4.A.1.a.1.I01", "Study details."],
        ],
    )
    with pytest.raises(AtlasDataError) as caught:
        READERS["iwa_reference"](path)
    assert caught.value.column == "IWA ID"
    assert caught.value.dataset_id == "onet__database"


def test_dwa_codes_stay_text_and_a_broken_hierarchy_is_flagged(tmp_path):
    path = write_tsv(
        tmp_path / "dwa.txt",
        [
            ["Element ID", "Element Name", "IWA ID", "IWA Title", "DWA ID", "DWA Title"],
            [
                "4.A.1.a.1",
                "Getting Information",
                "4.A.1.a.1.I01",
                "Study art.",
                "4.A.1.a.1.I01.D01",
                "Review art.",
            ],
            [
                "4.A.1.a.1",
                "Getting Information",
                "4.A.1.a.1.I01",
                "Study art.",
                "4.A.2.a.1.I01.D02",
                "Misfiled.",
            ],
        ],
    )
    frame = READERS["dwa_reference"](path)
    assert frame.get_column("dwa_id").to_list()[0] == "4.A.1.a.1.I01.D01"
    assert flags(frame) == [None, "id_hierarchy_mismatch"]


def test_emerging_tasks_read_float_task_ids_and_check_revisions(tmp_path):
    header = [
        "O*NET-SOC Code",
        "Title",
        "Task",
        "Category",
        "Original Task ID",
        "Original Task",
        "Date",
        "Domain Source",
    ]
    path = write_tsv(
        tmp_path / "et.txt",
        [
            header,
            [
                "11-3013.00",
                "Facilities Managers",
                "Plan budgets.",
                "Revision",
                "21280.0",
                "Control budgets.",
                "08/2024",
                "Incumbent",
            ],
            [
                "11-3013.00",
                "Facilities Managers",
                "Approve payroll.",
                "New",
                "",
                "",
                "05/2025",
                "AI/SME",
            ],
            [
                "11-3013.00",
                "Facilities Managers",
                "Plan more.",
                "Revision",
                "",
                "",
                "08/2024",
                "Incumbent",
            ],
        ],
    )
    frame = READERS["emerging_tasks"](path)
    assert frame.get_column("original_task_id").to_list() == [21280, None, None]
    assert flags(frame) == [None, None, "revision_without_original_task"]

    bad = write_tsv(
        tmp_path / "bad.txt",
        [header, ["11-3013.00", "F", "T", "Revision", "21280.5", "O", "08/2024", "Incumbent"]],
    )
    with pytest.raises(AtlasDataError) as caught:
        READERS["emerging_tasks"](bad)
    assert caught.value.column == "original_task_id"
    assert caught.value.row == 1


def test_reference_tables_type_their_numbers(tmp_path):
    scales = write_tsv(
        tmp_path / "scales.txt",
        [
            ["Scale ID", "Scale Name", "Minimum", "Maximum"],
            ["IM", "Importance", "1", "5"],
            ["RT", "Relevance of Task", "0", "100"],
        ],
    )
    frame = READERS["scales_reference"](scales)
    assert frame.get_column("maximum").to_list() == [5, 100]
    assert frame.schema["minimum"] == pl.Int32

    categories = write_tsv(
        tmp_path / "wc.txt",
        [
            [
                "Element ID",
                "Element Name",
                "Scale ID",
                "Scale Name",
                "Category",
                "Category Description",
            ],
            ["4.C.1.a.2.c", "Public Speaking", "CXP", "Context (Categories 1-5)", "1", "Never"],
        ],
    )
    assert READERS["work_context_categories"](categories).get_column("category").to_list() == [1]


def test_a_truncated_text_file_is_refused(tmp_path):
    path = tmp_path / "cm.txt"
    path.write_text(
        "Element ID\tElement Name\tDescription\n1\tWorker Characteristics\tWorker Char",
        encoding="utf-8",
    )
    with pytest.raises(AtlasDataError, match="truncated"):
        READERS["content_model_reference"](path)


def test_skills_are_typed_long_rows_with_booleans_and_flags(tmp_path):
    path = write_xlsx(
        tmp_path / "skills.xlsx",
        "Skills",
        [
            RATING_HEADER,
            [
                "11-1011.00",
                "Chief Executives",
                "2.A.1.a",
                "Reading Comprehension",
                "IM",
                "Importance",
                4.12,
                8,
                0.125,
                3.88,
                4.37,
                "N",
                None,
                "08/2023",
                "Analyst",
            ],
            [
                "11-1011.00",
                "Chief Executives",
                "2.A.1.a",
                "Reading Comprehension",
                "LV",
                "Level",
                4.62,
                8,
                0.183,
                4.2664,
                4.9836,
                "N",
                "N",
                "08/2023",
                "Analyst",
            ],
            [
                "11-1011.00",
                "Chief Executives",
                "2.B.1.a",
                "Social Perceptiveness",
                "LV",
                "Level",
                0,
                8,
                0,
                0,
                0,
                "Y",
                "Y",
                "08/2023",
                "Analyst",
            ],
        ],
    )
    frame = READERS["skills"](path)
    assert frame.schema["data_value"] == pl.Float64
    assert frame.schema["n"] == pl.Int32
    assert frame.schema["recommend_suppress"] == pl.Boolean
    assert frame.get_column("element_id").to_list() == ["2.A.1.a", "2.A.1.a", "2.B.1.a"]
    assert frame.get_column("data_value").to_list() == [4.12, 4.62, 0.0]
    assert frame.get_column("not_relevant").to_list() == [None, False, True]
    assert frame.get_column("recommend_suppress").to_list() == [False, False, True]
    assert frame.get_column("date").to_list()[0] == dt.date(2023, 8, 1)
    assert flags(frame) == [None, None, "recommend_suppress;not_relevant"]


def test_expert_knowledge_without_errors_or_advice_is_kept_and_flagged(tmp_path):
    path = write_xlsx(
        tmp_path / "knowledge.xlsx",
        "Knowledge",
        [
            RATING_HEADER,
            [
                "11-1011.03",
                "Chief Sustainability Officers",
                "2.C.1.a",
                "Administration and Management",
                "IM",
                "Importance",
                4.15,
                26,
                None,
                None,
                None,
                None,
                None,
                "08/2021",
                "Occupational Expert",
            ],
            [
                "11-1011.03",
                "Chief Sustainability Officers",
                "2.C.10",
                "Telecommunications",
                "LV",
                "Level",
                2.5,
                None,
                None,
                None,
                None,
                "N",
                "N",
                "08/2021",
                "Analyst - Transition",
            ],
            [
                "11-3021.00",
                "Computer and Information Systems Managers",
                "2.C.2.b",
                "Food Production",
                "IM",
                "Importance",
                1,
                26,
                0,
                None,
                None,
                "N",
                None,
                "07/2016",
                "Incumbent",
            ],
            [
                "11-3021.00",
                "Computer and Information Systems Managers",
                "2.C.2.b",
                "Food Production",
                "IM",
                "Importance",
                5.5,
                26,
                0.1,
                5.3,
                5.7,
                "N",
                None,
                "07/2016",
                "Incumbent",
            ],
        ],
    )
    frame = READERS["knowledge"](path)
    assert frame.height == 4
    assert frame.get_column("standard_error").to_list()[:3] == [None, None, 0.0]
    assert flags(frame) == [
        "standard_error_missing;ci_bounds_missing;recommend_suppress_missing",
        "n_missing;standard_error_missing;ci_bounds_missing",
        "ci_bounds_missing",
        "value_outside_scale",
    ]


def test_a_suppression_marker_that_is_not_y_or_n_is_named(tmp_path):
    path = write_xlsx(
        tmp_path / "skills.xlsx",
        "Skills",
        [
            RATING_HEADER,
            [
                "11-1011.00",
                "Chief Executives",
                "2.A.1.a",
                "Reading Comprehension",
                "IM",
                "Importance",
                4.12,
                8,
                0.125,
                3.88,
                4.37,
                "maybe",
                None,
                "08/2023",
                "Analyst",
            ],
        ],
    )
    with pytest.raises(AtlasDataError) as caught:
        READERS["skills"](path)
    assert caught.value.column == "recommend_suppress"
    assert caught.value.row == 1
    assert caught.value.file == "Skills.xlsx"


def test_a_workbook_without_the_expected_sheet_is_refused(tmp_path):
    path = write_xlsx(tmp_path / "dwas.xlsx", "Sheet1", [["O*NET-SOC Code"], ["11-1011.00"]])
    with pytest.raises(AtlasDataError) as caught:
        READERS["tasks_to_dwas"](path)
    assert caught.value.file == "Tasks to DWAs.xlsx"
    assert "Tasks to DWAs" in str(caught.value)
