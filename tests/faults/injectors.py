"""Make broken copies of real source files in a temporary folder (never in the repository).

Each injector writes a new file and returns its path; the original mirror file is only read.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

import openpyxl


def truncate(src: Path, dst: Path, fraction: float = 0.5) -> Path:
    """Cut the file part-way through, mid-line, as an interrupted download would."""
    data = src.read_bytes()
    cut = max(int(len(data) * fraction), 1)
    while cut < len(data) and data[cut : cut + 1] in (b"\n", b"\r"):
        cut += 1
    dst.write_bytes(data[:cut])
    return dst


def _read_text_rows(src: Path, delimiter: str, encoding: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(src.read_text(encoding=encoding)), delimiter=delimiter))


def _write_text_rows(rows: list[list[str]], dst: Path, delimiter: str, encoding: str) -> Path:
    buffer = io.StringIO()
    csv.writer(buffer, delimiter=delimiter, lineterminator="\n").writerows(rows)
    dst.write_text(buffer.getvalue(), encoding=encoding)
    return dst


def rename_text_column(
    src: Path, dst: Path, old: str, new: str, *, delimiter: str = ",", encoding: str = "utf-8-sig",
    header_row: int = 0,
) -> Path:
    rows = _read_text_rows(src, delimiter, encoding)
    header = rows[header_row]
    header[[h.strip() for h in header].index(old)] = new
    return _write_text_rows(rows, dst, delimiter, "utf-8")


def set_text_cell(
    src: Path, dst: Path, column: str, data_row: int, value: str, *, delimiter: str = ",",
    encoding: str = "utf-8-sig", header_row: int = 0,
) -> Path:
    """Overwrite one cell; `data_row` counts from 1 after the header."""
    rows = _read_text_rows(src, delimiter, encoding)
    index = [h.strip() for h in rows[header_row]].index(column)
    rows[header_row + data_row][index] = value
    return _write_text_rows(rows, dst, delimiter, "utf-8")


def rename_excel_column(
    src: Path, dst: Path, old: str, new: str, *, sheet: str | int = 0, header_row: int = 1
) -> Path:
    book = openpyxl.load_workbook(src)
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    for cell in ws[header_row]:
        if cell.value is not None and str(cell.value).strip() == old:
            cell.value = new
            break
    else:
        raise KeyError(old)
    book.save(dst)
    return dst


def set_excel_cell(
    src: Path, dst: Path, column: str, data_row: int, value: object, *, sheet: str | int = 0,
    header_row: int = 1,
) -> Path:
    book = openpyxl.load_workbook(src)
    ws = book.worksheets[sheet] if isinstance(sheet, int) else book[sheet]
    names = [str(c.value).strip() if c.value is not None else "" for c in ws[header_row]]
    ws.cell(row=header_row + data_row, column=names.index(column) + 1, value=value)
    book.save(dst)
    return dst
