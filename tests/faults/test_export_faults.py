"""Faults an operator meets in the exports: a source text that a spreadsheet would run as a formula
(OWASP CSV injection) must stay text in the workbook and the CSV exports, and a control character
in a source text (which openpyxl refuses) is stripped and flagged at landing, naming the column, so
that the exports of the run can be written."""

from __future__ import annotations

import csv

import duckdb
import openpyxl
import polars as pl
import pytest

import tests.unit.test_reporting as reporting_fixture
from ingestion import landing
from ingestion.catalog import raw_table
from reporting.exports import write_exports
from tests.faults import injectors
from tests.unit.test_reporting import published  # noqa: F401 - the fixture below builds on it

PAYLOADS = ['=HYPERLINK("http://evil.example/x","Click me")', "+1+1", "-2+3", "@SUM(A1:A2)", "\t=1", "\r=1"]


@pytest.fixture()
def malicious_names(monkeypatch):
    """The unit tests' published version, its first services named with formula payloads."""
    original = reporting_fixture._summary

    def summary() -> pl.DataFrame:
        frame = original()
        names = PAYLOADS + frame["service_name"].to_list()[len(PAYLOADS):]
        return frame.with_columns(pl.Series("service_name", names))

    monkeypatch.setattr(reporting_fixture, "_summary", summary)


def test_formula_payloads_stay_text_in_the_workbook_and_the_csv(malicious_names, published, tmp_path):  # noqa: F811
    result = write_exports(published, root=tmp_path / "exports", manifest_path=None)
    book = openpyxl.load_workbook(result.workbook)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row
             if isinstance(c.value, str) and any(p.strip() in c.value for p in PAYLOADS)]
    assert cells, "the payloads should be in the workbook"
    for cell in cells:
        assert cell.data_type != "f", f"{cell.parent.title}!{cell.coordinate} is a formula: {cell.value!r}"
        assert cell.value.startswith("'"), f"{cell.parent.title}!{cell.coordinate}: {cell.value!r}"
    table = tmp_path / "exports" / "latest" / "tables" / "scoring.fct_service_automation_summary.csv"
    with table.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    names = [r["service_name"] for r in rows]
    for payload in PAYLOADS:
        assert "'" + payload in names, payload
    assert not [n for n in names if n[:1] in ("=", "+", "-", "@", "\t", "\r")]


def test_a_control_character_in_a_service_name_is_stripped_and_flagged_at_landing(mirror, tmp_path, monkeypatch):
    table = raw_table("tbs_canada__service_inventory")
    source = mirror / "tbs_canada__service_inventory" / "si_2024.csv"
    broken = injectors.set_text_cell(source, tmp_path / "si_2024.csv", "service_name_en", 1,
                                     "Canada\x01 Pension\x1b Plan")
    real_fetch = landing.fetch
    monkeypatch.setattr(landing, "fetch",
                        lambda dataset_id, name: broken if name == "si_2024.csv" else real_fetch(dataset_id, name))
    with duckdb.connect(str(tmp_path / "faults.duckdb")) as con:
        result = landing.land(con, table, run_id="faulty")
        name, flags = con.execute(
            'SELECT service_name_en, _flags FROM raw."tbs_canada__service_inventory" WHERE _source_row = 1'
        ).fetchall()[0]
    assert name == "Canada Pension Plan"
    assert "control_characters_in_service_name_en" in flags.split(";")
    assert result.flag_counts.get("control_characters_in_service_name_en") == 1
    # the stripped text is one a workbook can hold
    book = openpyxl.Workbook()
    book.active.append([name])
    book.save(tmp_path / "ok.xlsx")


@pytest.mark.parametrize("separator", ["\u2028", "\u2029", "\x85", "\x0c", "\x0b"])
def test_a_line_separator_inside_a_field_is_not_a_line_end(mirror, tmp_path, monkeypatch, separator):
    table = raw_table("tbs_canada__service_inventory")
    source = mirror / "tbs_canada__service_inventory" / "si_2024.csv"
    broken = injectors.set_text_cell(source, tmp_path / "si_2024.csv", "service_name_en", 3,
                                     f"Passport{separator}Program")
    real_fetch = landing.fetch
    monkeypatch.setattr(landing, "fetch",
                        lambda dataset_id, name: broken if name == "si_2024.csv" else real_fetch(dataset_id, name))
    with duckdb.connect(str(tmp_path / "faults.duckdb")) as con:
        result = landing.land(con, table, run_id="separator")
        (name,) = con.execute(
            'SELECT service_name_en FROM raw."tbs_canada__service_inventory" WHERE _source_row = 3'
        ).fetchall()[0]
    assert result.rows == 1752
    # control characters (form feed, vertical tab) are stripped and flagged; other separators stay
    assert name == ("PassportProgram" if separator in "\x0c\x0b" else f"Passport{separator}Program")
