"""Check the IBS O*NET task items and Eurostat employment the session build landed with csv and
openpyxl."""

from __future__ import annotations

import csv

import openpyxl
import pytest

DATASET = "ibs__onet_task_items_isco08"


def test_onet_tasks_land_long(raw_build, mirror):
    with (mirror / DATASET / "onet_tasks.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        header = next(reader)
        rows = [r for r in reader if r]
    con, results = raw_build
    result = results[f"{DATASET}__onet_tasks"]
    assert result.rows == len(rows) * (len(header) - 1)
    for row in (rows[0], rows[-1]):
        for item in ("t_4A2a4", "t_4C3b8_rev"):
            got = con.execute(
                f"SELECT value, is_reversed FROM raw.{DATASET}__onet_tasks WHERE isco08 = ? AND item = ?",
                [row[0], item],
            ).fetchone()
            assert got == (pytest.approx(float(row[header.index(item)])), item.endswith("_rev"))
    units = con.execute(f"SELECT count(DISTINCT isco08) FROM raw.{DATASET}__onet_tasks").fetchone()[
        0
    ]
    assert units == len({r[0] for r in rows})


def test_eurostat_employment_lands_long(raw_build, mirror):
    book = openpyxl.load_workbook(
        mirror / DATASET / "Eurostat_employment_isco.xlsx", read_only=True
    )
    cells = {}
    markers = 0
    for ws in book.worksheets:
        header, *data = [r for r in ws.iter_rows(values_only=True) if any(v is not None for v in r)]
        for row in data:
            for geo, value in zip(header[1:], row[1:], strict=True):
                cells[(ws.title, row[0], geo)] = value
                markers += value == ":"
    book.close()
    con, results = raw_build
    result = results[f"{DATASET}__eurostat_employment"]
    assert result.rows == len(cells)
    assert result.flag_counts.get("not_available", 0) == markers
    for key in [
        ("ISCO4", "2015-Q2", "Italy"),
        ("Total", "2011-Q1", "Belgium"),
        ("ISCO9", "2020-Q4", "Sweden"),
    ]:
        got = con.execute(
            f"SELECT employment_thousands FROM raw.{DATASET}__eurostat_employment "
            "WHERE sheet = ? AND time = ? AND geo = ?",
            list(key),
        ).fetchone()[0]
        assert got == pytest.approx(cells[key])
    italy_total = sum(v for (s, _t, g), v in cells.items() if s == "Total" and g == "Italy")
    got = con.execute(
        f"SELECT sum(employment_thousands) FROM raw.{DATASET}__eurostat_employment "
        "WHERE isco08_major_group = 'TOTAL' AND geo_code = 'IT'"
    ).fetchone()[0]
    assert got == pytest.approx(italy_total)
