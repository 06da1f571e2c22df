"""Writes the economists' workbook with XlsxWriter (https://xlsxwriter.readthedocs.io), in its
constant_memory mode: rows go to the file in order, one row held in memory at a time, so a sheet's
size does not bound the memory it needs. XlsxWriter writes the OOXML package (parts, styles, element
order, ZIP) as Excel expects it; this module only decides what each cell holds and how it looks.

The cell values are prepared a column at a time with polars (text cleaned and formula-neutralised,
numbers made finite, dates and timestamps turned into Excel serial numbers, each cell's number
format code chosen by an expression, so that a column's format can follow each value's magnitude);
the cells are then handed to XlsxWriter a row at a time with the write call of their type. What the
workbook holds: strings, numbers, booleans, dates and timestamps as Excel date-times (a serial
number with a date format), a number format per cell, a few header rows with their own styles,
frozen panes, an auto filter and column widths.

Cells are values, never formulas: text is written with `write_string` (XlsxWriter's options that
would turn text into formulas, numbers or links are off), and text that a spreadsheet would read as
a formula gets a leading apostrophe (OWASP, CSV injection), which keeps it inert when someone saves
the sheet as CSV.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

# Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 1_048_576  # Excel's limit, header rows included
MAX_CELL_CHARS = 32_767
CHUNK_ROWS = 20_000  # rows prepared at a time (Python values of a chunk are held in memory)
EXCEL_EPOCH_DAYS = 25_569  # 1970-01-01 as an Excel serial (1900 date system)
GENERAL = "General"
DATE = "yyyy-mm-dd"
TIMESTAMP = "yyyy-mm-dd hh:mm:ss"
# a header row's look: XlsxWriter format properties (font Calibri 11, XlsxWriter's default)
HEADER_STYLES: dict[str, dict[str, Any]] = {
    "note": {"italic": True, "valign": "top"},
    "label": {"bold": True, "pattern": 1, "bg_color": "#DDEBF7", "text_wrap": True, "valign": "top"},
    "names": {"bold": True, "font_color": "#FFFFFF", "pattern": 1, "bg_color": "#1F4E78", "valign": "top"},
}
WORKBOOK_OPTIONS = {
    "constant_memory": True,  # rows written in order, one row in memory; strings inline
    # text stays text: no formulas, numbers or hyperlinks made of strings (we call write_string anyway)
    "strings_to_formulas": False,
    "strings_to_urls": False,
    "strings_to_numbers": False,
    "nan_inf_to_errors": True,  # never reached: non-finite numbers are written as empty cells
    # ZIP64 records only where a part needs them (Python's zipfile decides by the part's size): a
    # sheet can pass 4 GiB, and some Excel versions call a small file with ZIP64 records corrupt
    "use_zip64": True,
}
_ILLEGAL = r"[\x00-\x08\x0B\x0C\x0E-\x1F\uFFFE\uFFFF]"


@dataclass
class Column:
    """How one column is written: its number format, either one for the whole column or a polars
    expression giving each cell's format (a string column of format codes); `typed_text` makes a
    text column's cells numbers (format General) or timestamps where they parse as such."""

    number_format: str | pl.Expr | None = None
    typed_text: bool = False


@dataclass
class SheetSpec:
    name: str
    frame: pl.DataFrame
    columns: Sequence[Column]
    header: Sequence[tuple[str, Sequence[str | None]]] = ()  # (style name, cell texts), in order
    widths: Sequence[float] = ()
    filter_row: int | None = None  # the header row the auto filter sits on (1-based)


class _Formats:
    """XlsxWriter formats are workbook objects: one per distinct number format code, made once."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        self.workbook = workbook
        self.numbers: dict[str, Format | None] = {GENERAL: None}
        self.headers = {name: workbook.add_format(props) for name, props in HEADER_STYLES.items()}

    def get(self, code: str | None) -> Format | None:
        if code is None:
            return None
        found = self.numbers.get(code, False)
        if found is False:
            found = self.numbers[code] = self.workbook.add_format({"num_format": code})
        return found


def neutralise_formula(text: str) -> str:
    """`text`, with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _formula_pattern() -> str:
    escaped = {"\t": r"\t", "\r": r"\r", "-": r"\-", "^": r"\^", "\\": r"\\", "]": r"\]"}
    return "^[" + "".join(escaped.get(c, c) for c in FORMULA_PREFIXES) + "]"


def neutralise_expr(column: pl.Expr) -> pl.Expr:
    """The polars form of neutralise_formula."""
    return pl.when(column.str.contains(_formula_pattern())).then(pl.lit("'") + column).otherwise(column)


def _text(column: pl.Expr) -> pl.Expr:
    """Cell text: without characters XML forbids, formula-neutralised, line breaks as Excel's own
    (a line feed: XlsxWriter would write a carriage return as Excel's _x000D_ escape, which Excel
    and calamine decode but openpyxl, pandas' default reader, shows as such), at most Excel's
    32,767 characters."""
    text = neutralise_expr(column.str.replace_all(_ILLEGAL, ""))
    return text.str.replace_all("\r\n", "\n", literal=True).str.replace_all("\r", "\n", literal=True).str.slice(
        0, MAX_CELL_CHARS)


def _clean_text(text: str) -> str:
    """The Python form of _text, for the header cells."""
    return pl.select(_text(pl.lit(text, dtype=pl.String))).item()


def _inline_safe(text: str) -> str:
    """XlsxWriter writes an inline string that starts with "<r>" and ends with "</r>" as rich text
    markup, unescaped; such a text is given as the rich text run it would be, escaped, so that the
    cell shows it as it is."""
    if text.startswith("<r>") and text.endswith("</r>"):
        escaped = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return f'<r><t xml:space="preserve">{escaped}</t></r>'
    return text


def _serial(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Excel serial day numbers of a date or datetime column (UTC wall time for zoned ones)."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone:
            column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        micros = column.dt.epoch("us").cast(pl.Float64)
        return micros / 86_400_000_000 + EXCEL_EPOCH_DAYS
    return column.dt.epoch("d").cast(pl.Int64) + EXCEL_EPOCH_DAYS


def json_text(series: pl.Series) -> pl.Series:
    """A nested column (lists, structs) as JSON text, nulls kept."""
    return pl.Series(series.name, [None if v is None else json.dumps(v, default=str) for v in series.to_list()],
                     dtype=pl.String)


def _plain_types(frame: pl.DataFrame) -> pl.DataFrame:
    """Nested values as JSON text; types with no cell form (time, duration, binary...) as text."""
    out: list[pl.Expr | pl.Series] = []
    for name, dtype in frame.schema.items():
        if isinstance(dtype, (pl.List, pl.Array, pl.Struct)):
            out.append(json_text(frame[name]))
        elif not (dtype in (pl.Boolean, pl.String, pl.Date) or dtype.is_numeric()
                  or isinstance(dtype, (pl.Datetime, pl.Decimal))):
            out.append(pl.col(name).cast(pl.String, strict=False))
    return frame.with_columns(out) if out else frame


# --- one column of a chunk as cell values, formats and the write call of their type -------------

Writer = Callable[[int, int, Any, "Format | None"], Any]


def _format_codes(chunk: pl.DataFrame, spec: Column, default: str) -> list[str | None] | str:
    """The number format code of each cell of a numeric (or date) column, or one for them all."""
    if isinstance(spec.number_format, pl.Expr):
        return chunk.select(spec.number_format.cast(pl.String).alias("f"))["f"].to_list()
    return spec.number_format or default


def _formats(codes: list[str | None] | str, formats: _Formats, height: int) -> list[Format | None]:
    if isinstance(codes, str):
        return [formats.get(codes)] * height
    cache: dict[str | None, Format | None] = {}
    out = []
    for code in codes:
        if code not in cache:
            cache[code] = formats.get(code)
        out.append(cache[code])
    return out


def _column_cells(chunk: pl.DataFrame, name: str, spec: Column, sheet: Worksheet,
                  formats: _Formats) -> tuple[Writer, list[Any], list[Format | None]]:
    """One column of `chunk`: the write call, each cell's value (None: left empty) and format."""
    col = pl.col(name)
    dtype = chunk.schema[name]
    height = chunk.height
    if dtype == pl.Boolean:
        return sheet.write_boolean, chunk[name].to_list(), [None] * height
    if dtype.is_numeric() or isinstance(dtype, pl.Decimal):
        if dtype.is_integer():
            values = chunk[name].to_list()
        else:
            values = chunk.select(pl.when(col.cast(pl.Float64).is_finite()).then(col.cast(pl.Float64)))
            values = values.to_series().to_list()
        return sheet.write_number, values, _formats(_format_codes(chunk, spec, GENERAL), formats, height)
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        values = chunk.select(_serial(col, dtype)).to_series().to_list()
        default = DATE if dtype == pl.Date else TIMESTAMP
        return sheet.write_number, values, _formats(_format_codes(chunk, spec, default), formats, height)
    text = [None if t is None else _inline_safe(t) for t in chunk.select(_text(col)).to_series().to_list()]
    if not spec.typed_text:
        return sheet.write_string, text, [None] * height
    # typed text: a number where the text is one, else a timestamp where it starts with one, else text
    number = col.str.strip_chars().cast(pl.Float64, strict=False)
    moment = col.str.slice(0, 19).str.replace("T", " ").str.strptime(pl.Datetime("us"), "%Y-%m-%d %H:%M:%S",
                                                                       strict=False)
    typed = chunk.select(
        pl.when(number.is_finite()).then(number).alias("number"),
        pl.when(number.is_finite()).then(pl.lit(None, pl.Float64)).otherwise(
            _serial(moment, pl.Datetime("us"))).alias("moment"),
    )
    number_formats = _formats(_format_codes(chunk, spec, GENERAL), formats, height)
    timestamp = formats.get(TIMESTAMP)
    values: list[Any] = []
    cell_formats: list[Format | None] = []
    for n, m, t, f in zip(typed["number"].to_list(), typed["moment"].to_list(), text, number_formats, strict=True):
        if n is not None:
            values.append(n)
            cell_formats.append(f)
        elif m is not None:
            values.append(m)
            cell_formats.append(timestamp)
        else:
            values.append(t)
            cell_formats.append(None)

    def write_typed(row: int, column: int, value: Any, cell_format: Format | None) -> Any:
        if value.__class__ is str:
            return sheet.write_string(row, column, value, cell_format)
        return sheet.write_number(row, column, value, cell_format)

    return write_typed, values, cell_formats


def _write_sheet(sheet: Worksheet, spec: SheetSpec, formats: _Formats) -> None:
    frame = _plain_types(spec.frame)
    first = len(spec.header)  # the first data row (0-based)
    for i, width in enumerate(spec.widths):
        sheet.set_column(i, i, width)
    if spec.header:
        sheet.freeze_panes(first, 0)
    if spec.filter_row and frame.width:
        sheet.autofilter(spec.filter_row - 1, 0, max(spec.filter_row - 1, first - 1 + frame.height), frame.width - 1)
    for row, (style, texts) in enumerate(spec.header):
        for column, text in enumerate(texts):
            if text not in (None, ""):
                sheet.write_string(row, column, _inline_safe(_clean_text(str(text))), formats.headers[style])
    for start in range(0, frame.height, CHUNK_ROWS):
        chunk = frame.slice(start, CHUNK_ROWS)
        cells = [(i, *_column_cells(chunk, name, column, sheet, formats))
                 for i, (name, column) in enumerate(zip(chunk.columns, spec.columns, strict=True))]
        for row in range(chunk.height):
            excel_row = first + start + row
            for i, write, values, cell_formats in cells:
                value = values[row]
                if value is not None:
                    write(excel_row, i, value, cell_formats[row])


def write_xlsx(path: Path, sheets: Sequence[SheetSpec]) -> None:
    """Write `sheets` as one workbook at `path`."""
    for spec in sheets:
        if len(spec.header) + spec.frame.height > MAX_ROWS:
            raise ValueError(f"sheet {spec.name}: {spec.frame.height} rows do not fit in Excel ({MAX_ROWS} rows)")
    path.parent.mkdir(parents=True, exist_ok=True)
    # XlsxWriter's temporary files (a sheet's rows, the parts before zipping) beside the workbook
    workbook = xlsxwriter.Workbook(str(path), {**WORKBOOK_OPTIONS, "tmpdir": str(path.parent)})
    try:
        formats = _Formats(workbook)
        for spec in sheets:
            _write_sheet(workbook.add_worksheet(spec.name), spec, formats)
    except BaseException:
        workbook.close()  # removes its temporary files; the half-written workbook goes too
        path.unlink(missing_ok=True)
        raise
    workbook.close()
