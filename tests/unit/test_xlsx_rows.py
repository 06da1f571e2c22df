"""The workbook's fast path (`reporting.xlsx._emit_cells`: each chunk's rows made as XML a column at a
time) against the path it replaces (each cell through XlsxWriter's write call of its type): the
same workbook, byte for byte, on hand-made sheets that reach every kind of cell and every text
XlsxWriter changes before writing it."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import polars as pl
import pytest
import xlsxwriter

from reporting import xlsx
from reporting.xlsx import (
    WORKBOOK_OPTIONS,
    Column,
    SheetSpec,
    _column_cells,
    _Formats,
    _inline_safe,
    _inline_safe_expr,
    _string_cell,
    _string_cells,
    write_xlsx,
)

# Texts XlsxWriter escapes, truncates or marks before writing them inline, and plain ones
TEXTS = [
    "plain", "", " leading", "trailing ", "\u00a0no-break", "tab\tinside", "line\nbreak", "ends with a line\n",
    "a & b < c > d", 'say "hi"', "_x0041_ looks escaped", "bell \x07 and \x1f", "\ufffe\uffff", "<r>rich</r>",
    "=1+1", "+44 20", "-minus", "@at", "\u2028separator", "x" * 40_000, "😀" * 20_000, None,
    "Québec", "東京", "ends with a no-break\u00a0", "\u3000ideographic", "inner  spaces, and 'quotes'", "a_x00zz_b",
    "x" * 16_383, "x" * 16_384,
]


def _frame(rows: int) -> pl.DataFrame:
    texts = [TEXTS[i % len(TEXTS)] for i in range(rows)]
    return pl.DataFrame({
        "integer": [None if i % 5 == 0 else (-1) ** i * (i % 10) * 10 ** (i % 19) for i in range(rows)],
        "real": [[0.1, -2.5e-12, 1e300, float("nan"), float("inf"), None, 123456789.123456789, -0.0][i % 8]
                 for i in range(rows)],
        "flag": [[True, False, None][i % 3] for i in range(rows)],
        "day": [None if i % 4 == 0 else date(2020, 1, 1 + i % 28) for i in range(rows)],
        "moment": [None if i % 6 == 0 else datetime(2021, 3, 4, i % 24, 5, 6, 789) for i in range(rows)],
        "text": texts,
        "typed": [["12.5", "2024-05-06T07:08:09Z", "n/a", None, " 3 ", "inf", "text & more"][i % 7]
                  for i in range(rows)],
        "magnitude": [None if i % 7 == 3 else 1.5 * 10.0 ** (i % 9 - 2) for i in range(rows)],
    }, schema_overrides={"moment": pl.Datetime("us")})


def _specs(frame: pl.DataFrame) -> list[SheetSpec]:
    by_magnitude = pl.when(pl.col("magnitude") >= 100).then(pl.lit("#,##0")).otherwise(pl.lit("0.000"))
    columns = [Column("#,##0"), Column("0.00"), Column(), Column(), Column(), Column(), Column(typed_text=True),
               Column(by_magnitude)]
    empty_rows = frame.with_columns(  # whole rows with no cell, at the start, inside and at the end of chunks
        [pl.when(pl.int_range(pl.len()) % 9 < 3).then(None).otherwise(pl.col(c)).alias(c) for c in frame.columns])
    return [
        SheetSpec("Every kind", frame, columns, header=[("note", ["A note & more"]), ("label", list(frame.columns)),
                                                        ("names", list(frame.columns))],
                  widths=[12.0] * frame.width, filter_row=3),
        SheetSpec("Gaps", empty_rows, columns, header=[("names", list(frame.columns))], filter_row=1),
        SheetSpec("No header", frame.head(5), columns),
        SheetSpec("No rows", frame.head(0), columns, header=[("note", ["nothing"])]),
        SheetSpec("Empty", frame.head(0).select([]), []),
        # a format first used in a sheet's last row is numbered by XlsxWriter when it closes the
        # workbook, after the formats of the sheets that follow
        SheetSpec("Last row", pl.DataFrame({"x": [1.5] * 10}),
                  [Column(pl.when(pl.int_range(pl.len()) == pl.len() - 1).then(pl.lit("0.0%")).otherwise(pl.lit("0.00")))]),
        SheetSpec("After it", pl.DataFrame({"y": [2.5] * 3}), [Column("0.000000")]),
    ]


def _parts(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as package:
        # docProps/core.xml holds the time of writing
        return {n: package.read(n) for n in package.namelist() if n != "docProps/core.xml"}


@pytest.mark.parametrize("chunk_rows", [7, 20_000])
def test_the_fast_rows_are_the_bytes_of_xlsxwriters_write_calls(tmp_path, monkeypatch, chunk_rows):
    monkeypatch.setattr(xlsx, "CHUNK_ROWS", chunk_rows)
    specs = _specs(_frame(60))
    write_xlsx(tmp_path / "fast.xlsx", specs, fast=True)
    write_xlsx(tmp_path / "reference.xlsx", specs, fast=False)
    fast, reference = _parts(tmp_path / "fast.xlsx"), _parts(tmp_path / "reference.xlsx")
    assert list(fast) == list(reference)
    assert [n for n in fast if fast[n] != reference[n]] == []
    sheet = fast["xl/worksheets/sheet1.xml"].decode()
    # the test reaches what it means to: truncation, escapes, preserved white space, rich text kept as text
    assert "_x005F_x0041_" in sheet and "&amp; b &lt; c &gt; d" in sheet
    assert 'xml:space="preserve"> leading' in sheet and "<r><t xml:space=\"preserve\">&lt;r&gt;rich" in sheet
    assert "x" * 32_767 + "<" in sheet and "x" * 32_768 not in sheet  # cut by the workbook's own text rule
    assert "😀" * 16_383 + "<" in sheet and "😀" * 16_384 not in sheet  # cut by XlsxWriter (UTF-16 units)


def test_each_text_cell_is_the_xml_xlsxwriter_writes_for_it():
    """Texts as they come, control characters included (the workbook removes those first)."""
    workbook = xlsxwriter.Workbook(io.BytesIO(), WORKBOOK_OPTIONS)
    sheet = workbook.add_worksheet()
    style = workbook.add_format({"num_format": "0.0"})
    texts = [t for t in TEXTS if t is not None] + ["\x00\x08\x0b\x1f_x00ff_", "\r\n"]
    for row, (text, cell_format) in enumerate(((t, f) for t in texts for f in (None, style)), start=1):
        sheet.fh = io.StringIO()
        sheet.write_string(row, 0, text, cell_format)
        sheet._write_single_row(row + 1)
        attributes = f' r="A{row + 1}"' + (f' s="{style._get_xf_index()}"' if cell_format else "")
        assert sheet.fh.getvalue() == f'<row r="{row + 1}">{_string_cell(sheet, attributes, text)}</row>', text


def test_a_column_of_text_cells_is_the_xml_of_each_cell():
    """_string_cells (polars for the texts that need no care) against _string_cell, text by text."""
    sheet = xlsxwriter.Workbook(io.BytesIO(), WORKBOOK_OPTIONS).add_worksheet()
    texts = [*TEXTS, "\x00\x08\x0b\x1f_x00ff_", "\r\n"]
    numbers = [str(n) for n in range(2, len(texts) + 2)]
    expected = ["" if t is None else _string_cell(sheet, f' r="C{n}"', t) for t, n in zip(texts, numbers, strict=True)]
    assert _string_cells(sheet, "C", numbers, texts) == expected


def test_the_polars_form_of_inline_safe_is_the_python_form():
    texts = [*TEXTS, "<r>a & b > c</r>", "<r>", "<r></r>", "x</r>", "<r>open", "<R>upper</R>"]
    made = pl.select(_inline_safe_expr(pl.Series("t", texts, dtype=pl.String))).to_series().to_list()
    assert made == [None if t is None else _inline_safe(t) for t in texts]


def _write_one(path: Path, frame: pl.DataFrame, columns: list[Column], fast: bool, row_height: bool) -> None:
    workbook = xlsxwriter.Workbook(str(path), WORKBOOK_OPTIONS)
    sheet = workbook.add_worksheet("Rows")
    if row_height:
        sheet.set_row(4, 30)  # a row of its own: the fast path hands the chunk to the write calls
    formats = _Formats(workbook)
    sheet.write_string(0, 0, "header", formats.headers["names"])
    cells = [(i, *_column_cells(frame, name, column, formats))
             for i, (name, column) in enumerate(zip(frame.columns, columns, strict=True))]
    (xlsx._emit_cells if fast else xlsx._write_cells)(sheet, cells, 1, frame.height)
    workbook.close()


@pytest.mark.parametrize("row_height", [False, True])
def test_a_chunk_written_alone_is_the_same_with_and_without_a_row_of_its_own(tmp_path, row_height):
    frame = _frame(30)
    columns = [Column()] * frame.width
    _write_one(tmp_path / "fast.xlsx", frame, columns, fast=True, row_height=row_height)
    _write_one(tmp_path / "reference.xlsx", frame, columns, fast=False, row_height=row_height)
    assert _parts(tmp_path / "fast.xlsx") == _parts(tmp_path / "reference.xlsx")
