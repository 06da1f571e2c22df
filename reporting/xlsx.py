"""Writes the economists' workbook with XlsxWriter (https://xlsxwriter.readthedocs.io), in its
constant_memory mode: rows go to the file in order, one row held in memory at a time, so a sheet's
size does not bound the memory it needs. XlsxWriter writes the OOXML package (parts, styles, element
order, ZIP) as Excel expects it; this module only decides what each cell holds and how it looks.

The cell values are prepared a column at a time with polars (text cleaned and formula-neutralised,
numbers made finite, dates and timestamps turned into Excel serial numbers, each cell's number
format code chosen by an expression, so that a column's format can follow each value's magnitude);
the rows' XML is then made a column at a time and written to the sheet's row file, the bytes that
XlsxWriter's write call of each cell's type would write there (`_emit_cells`; `_write_cells`, the
write calls themselves, is kept as the reference, and a unit test holds the two equal: the calls
cost about ten microseconds a cell, 82 s for the 7.8 million cells at 100 times the services). The
fast path uses XlsxWriter's worksheet internals (its row file, the row it holds back, its
dimensions and escapes) as of the pinned 3.3.1; the same test is what tells an upgrade apart. What the
workbook holds: strings, numbers, booleans, dates and timestamps as Excel date-times (a serial
number with a date format), a number format per cell, a few header rows with their own styles,
frozen panes, an auto filter and column widths.

Cells are values, never formulas: text is written with `write_string` (XlsxWriter's options that
would turn text into formulas, numbers or links are off), and text that a spreadsheet would read as
a formula gets a leading apostrophe (OWASP, CSV injection), which keeps it inert when someone saves
the sheet as CSV.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import polars as pl
import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.utility import _preserve_whitespace, _utf16_len, _utf16_truncate, xl_col_to_name
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
BOOLEAN, NUMBER, STRING, TYPED = "boolean", "number", "string", "typed"  # kinds of column
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


def _inline_safe_expr(column: pl.Expr) -> pl.Expr:
    """The polars form of _inline_safe."""
    rich = column.str.starts_with("<r>") & column.str.ends_with("</r>")
    escaped = (column.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
               .str.replace_all(">", "&gt;", literal=True))
    return pl.when(rich).then(pl.lit('<r><t xml:space="preserve">') + escaped + pl.lit("</t></r>")).otherwise(column)


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


def _column_cells(chunk: pl.DataFrame, name: str, spec: Column,
                  formats: _Formats) -> tuple[str, list[Any], list[Format | None]]:
    """One column of `chunk`: the kind of its cells (boolean, number, string or typed: a number or a
    string cell by cell), each cell's value (None: left empty) and each cell's format."""
    col = pl.col(name)
    dtype = chunk.schema[name]
    height = chunk.height
    if dtype == pl.Boolean:
        return BOOLEAN, chunk[name].to_list(), [None] * height
    if dtype.is_numeric() or isinstance(dtype, pl.Decimal):
        if dtype.is_integer():
            values = chunk[name].to_list()
        else:
            values = chunk.select(pl.when(col.cast(pl.Float64).is_finite()).then(col.cast(pl.Float64)))
            values = values.to_series().to_list()
        return NUMBER, values, _formats(_format_codes(chunk, spec, GENERAL), formats, height)
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        values = chunk.select(_serial(col, dtype)).to_series().to_list()
        default = DATE if dtype == pl.Date else TIMESTAMP
        return NUMBER, values, _formats(_format_codes(chunk, spec, default), formats, height)
    text = chunk.select(_inline_safe_expr(_text(col))).to_series().to_list()
    if not spec.typed_text:
        return STRING, text, [None] * height
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
    return TYPED, values, cell_formats


# (column index, kind, values, formats) of each column of a chunk
Cells = list[tuple[int, str, list[Any], list["Format | None"]]]


def _write_cells(sheet: Worksheet, cells: Cells, first: int, height: int) -> None:
    """The reference path: each cell through XlsxWriter's write call of its type, row by row.
    `_emit_cells` writes the same bytes faster; a unit test holds them equal."""

    def write_typed(row: int, column: int, value: Any, cell_format: Format | None) -> Any:
        if value.__class__ is str:
            return sheet.write_string(row, column, value, cell_format)
        return sheet.write_number(row, column, value, cell_format)

    writers: dict[str, Writer] = {BOOLEAN: sheet.write_boolean, NUMBER: sheet.write_number,
                                  STRING: sheet.write_string, TYPED: write_typed}
    calls = [(i, writers[kind], values, cell_formats) for i, kind, values, cell_formats in cells]
    for row in range(height):
        for i, write, values, cell_formats in calls:
            value = values[row]
            if value is not None:
                write(first + row, i, value, cell_formats[row])


# A text that XlsxWriter changes before writing it inline: XML escapes, control characters and
# their _xHHHH_ form, non-characters, leading or trailing white space (kept by xml:space), rich
# text ("<r>..."), or long enough to be truncated. Any other text goes into the cell as it is.
_TEXT_NEEDS_CARE = re.compile(r'["&<>\n\x00-\x1f\ufffe\uffff]|_x[0-9a-fA-F]{4}_|^\s|\s$')


def _string_cell(sheet: Worksheet, attributes: str, text: str) -> str:
    """The XML of one inline string cell, as XlsxWriter's _write_string and _write_cell make it in
    constant_memory mode (the same steps, in the same order, for a text that needs any)."""
    if len(text) > sheet.xls_strmax // 2 and _utf16_len(text) > sheet.xls_strmax:
        text = _utf16_truncate(text, sheet.xls_strmax)
    elif not _TEXT_NEEDS_CARE.search(text):
        return f'<c{attributes} t="inlineStr"><is><t>{text}</t></is></c>'
    text = sheet._escape_control_characters(text)
    if text.startswith("<r>") and text.endswith("</r>"):
        return f'<c{attributes} t="inlineStr"><is>{text}</is></c>'
    preserve = ' xml:space="preserve"' if _preserve_whitespace(text) else ""
    return f'<c{attributes} t="inlineStr"><is><t{preserve}>{sheet._escape_data(text)}</t></is></c>'


# A superset of the texts _TEXT_NEEDS_CARE finds, as a polars (Rust) pattern: any character that
# needs escaping or marks the text, an _xHHHH_ look-alike, or a first or last character that is
# not printable ASCII (white space among them). The texts it finds go through _string_cell; the
# others are written as they are, a column at a time.
_TEXT_MAY_NEED_CARE = r'["&<>\x00-\x1f\x{fffe}\x{ffff}]|_x[0-9a-fA-F]{4}_|^[^!-~]|[^!-~]$'


def _string_cells(sheet: Worksheet, letter: str, numbers: list[str], texts: list[str | None]) -> list[str]:
    """The XML of a column of string cells without a format (`texts[k]` in row `numbers[k]`; ""
    where the text is None): _string_cell's, made by polars for every text that needs no care."""
    frame = pl.DataFrame({"text": texts, "row": numbers}, schema={"text": pl.String, "row": pl.String})
    text = pl.col("text")
    careful = text.str.contains(_TEXT_MAY_NEED_CARE) | (text.str.len_chars() > sheet.xls_strmax // 2)
    made = frame.select(
        pl.when(text.is_null()).then(pl.lit(""))
        .when(careful).then(pl.lit(None, pl.String))
        .otherwise(pl.concat_str(pl.lit(f'<c r="{letter}'), pl.col("row"), pl.lit('" t="inlineStr"><is><t>'), text,
                                 pl.lit("</t></is></c>")))
        .alias("xml"),
        (text.is_not_null() & careful).alias("careful"),
    )
    xml = made["xml"].to_list()
    for k in made["careful"].arg_true().to_list():
        xml[k] = _string_cell(sheet, f' r="{letter}{numbers[k]}"', texts[k])  # type: ignore[arg-type]
    return xml


def _index_formats(cells: Cells, rows: int) -> dict[Format, str]:
    """Each format's cell attribute (' s="<xf index>"') for the first `rows` rows of a chunk.
    XlsxWriter numbers a format when a cell first uses it, row by row: formats new to the workbook
    are numbered in that order here too."""
    first_use: dict[Format, tuple[int, int]] = {}
    for i, _kind, values, cell_formats in cells:
        distinct = {f for f in cell_formats[:rows] if f is not None}
        if not any(f.xf_index is None for f in distinct):
            continue
        for row, (value, f) in enumerate(zip(values[:rows], cell_formats[:rows], strict=True)):
            if f is not None and value is not None and f.xf_index is None and f not in first_use:
                first_use[f] = (row, i)
    for f in sorted(first_use, key=first_use.__getitem__):
        f._get_xf_index()
    return {f: f' s="{f._get_xf_index()}"' for _i, _k, _v, cell_formats in cells for f in set(cell_formats[:rows])
            if f is not None}


def _row_tag(sheet: Worksheet) -> tuple[str, str]:
    """A data row's start tag, as XlsxWriter writes it for the sheet, split around the row number."""
    saved, sheet.fh = sheet.fh, io.StringIO()
    try:
        sheet._write_row(0, None)
        tag = sheet.fh.getvalue()
    finally:
        sheet.fh = saved
    start = '<row r="1"'
    if not tag.startswith(start):
        raise ValueError(f"unexpected row tag from XlsxWriter: {tag!r}")
    return '<row r="', tag[len(start) - 1:]


def _emit_cells(sheet: Worksheet, cells: Cells, first: int, height: int) -> None:
    """The rows of a chunk as XML written straight to the sheet's row file (constant_memory), the
    bytes XlsxWriter's write calls would produce (`_write_cells`; the 10x workbook in 8 s rather
    than 23 s): the cells' XML is made a column at a time. The chunk's last row with a cell goes through the write
    calls, so that XlsxWriter holds it back as it holds back every last row written (a format
    first used in a sheet's last row is numbered when the workbook closes). Falls back to
    `_write_cells` where a row or column carries its own format (this workbook sets none)."""
    if sheet.row_info or sheet.comments or any(c.column_format is not None for c in sheet.col_info.values()):
        _write_cells(sheet, cells, first, height)
        return
    used_rows = [False] * height
    for _i, _kind, values, _formats in cells:
        used_rows = [u or v is not None for u, v in zip(used_rows, values, strict=True)]
    rows = [row for row in range(height) if used_rows[row]]
    if not rows:
        return
    last = rows[-1]  # the row held back, written by the write calls below
    emitted = rows[:-1]
    if emitted:
        top = first + emitted[0]
        if top > sheet.previous_row:
            # the row held back before these, as XlsxWriter writes it on the next write call (its
            # formats are numbered before those of these cells)
            sheet._write_single_row(top)
        used_columns = [i for i, _kind, values, _formats in cells if any(v is not None for v in values[:last])]
        sheet._check_dimensions(top, min(used_columns))
        sheet._check_dimensions(first + emitted[-1], max(used_columns))
        styles = _index_formats(cells, last)
        numbers = [str(first + row + 1) for row in range(last)]
        columns: list[list[str]] = []
        for i, kind, values, cell_formats in cells:
            if i not in used_columns:
                continue
            letter = xl_col_to_name(i)
            shown = zip(values[:last], cell_formats[:last], [f' r="{letter}{n}"' for n in numbers], strict=True)
            if kind == NUMBER:
                xml = ["" if v is None else f"<c{r}{styles.get(f, '')}><v>{v:.16G}</v></c>" for v, f, r in shown]
            elif kind == BOOLEAN:
                xml = ["" if v is None else f'<c{r}{styles.get(f, "")} t="b"><v>{1 if v else 0}</v></c>'
                       for v, f, r in shown]
            elif kind == STRING and all(f is None for f in cell_formats[:last]):
                xml = _string_cells(sheet, letter, numbers, values[:last])
            else:  # STRING, TYPED
                xml = ["" if v is None else (
                    _string_cell(sheet, r + styles.get(f, ""), v) if v.__class__ is str
                    else f"<c{r}{styles.get(f, '')}><v>{v:.16G}</v></c>") for v, f, r in shown]
            columns.append(xml)
        before, after = _row_tag(sheet)
        sheet.fh.write("".join(f'{before}{numbers[row]}{after}{"".join(parts)}</row>'
                               for row, parts in zip(range(last), zip(*columns, strict=True), strict=True)
                               if used_rows[row]))
        # these rows are written: the next write call must not write a held-back row again
        sheet.table.clear()
        sheet.previous_row = first + emitted[-1]
    _write_cells(sheet, [(i, kind, values[last:last + 1], formats[last:last + 1])
                         for i, kind, values, formats in cells], first + last, 1)


def _write_sheet(sheet: Worksheet, spec: SheetSpec, formats: _Formats, fast: bool = True) -> None:
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
    write = _emit_cells if fast else _write_cells
    for start in range(0, frame.height, CHUNK_ROWS):
        chunk = frame.slice(start, CHUNK_ROWS)
        cells = [(i, *_column_cells(chunk, name, column, formats))
                 for i, (name, column) in enumerate(zip(chunk.columns, spec.columns, strict=True))]
        write(sheet, cells, first + start, chunk.height)


def write_xlsx(path: Path, sheets: Sequence[SheetSpec], fast: bool = True) -> None:
    """Write `sheets` as one workbook at `path` (`fast`: the cells' XML made a column at a time;
    without it, each cell through XlsxWriter's write call, the same bytes)."""
    for spec in sheets:
        if len(spec.header) + spec.frame.height > MAX_ROWS:
            raise ValueError(f"sheet {spec.name}: {spec.frame.height} rows do not fit in Excel ({MAX_ROWS} rows)")
    path.parent.mkdir(parents=True, exist_ok=True)
    # XlsxWriter's temporary files (a sheet's rows, the parts before zipping) beside the workbook
    workbook = xlsxwriter.Workbook(str(path), {**WORKBOOK_OPTIONS, "tmpdir": str(path.parent)})
    try:
        formats = _Formats(workbook)
        for spec in sheets:
            _write_sheet(workbook.add_worksheet(spec.name), spec, formats, fast)
    except BaseException:
        workbook.close()  # removes its temporary files; the half-written workbook goes too
        path.unlink(missing_ok=True)
        raise
    workbook.close()
