"""A small columnar XLSX writer: each sheet's XML is built a column at a time with polars string
expressions and streamed into the zip, instead of one Python object per cell (openpyxl wrote the
243,500-service workbook in 545 s, cell by cell; this writes it in seconds).

It writes what the economists' workbook needs and nothing more: inline strings, numbers, booleans,
dates and timestamps as Excel serial numbers with a date format, a number format per cell chosen by
an expression (so that a column's format can follow each value's magnitude), a few header rows
with their own styles, frozen panes, an auto filter and column widths. openpyxl reads the result
(the tests use it), as do Excel and LibreOffice.

Text that a spreadsheet would read as a formula is written with a leading apostrophe (OWASP, CSV
injection); an inline string is never evaluated as a formula, and the apostrophe keeps the text
inert when someone saves the sheet as CSV.
"""

from __future__ import annotations

import json
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import polars as pl
from openpyxl.utils import get_column_letter

# Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection).
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
MAX_ROWS = 1_048_576  # Excel's limit, header rows included
MAX_CELL_CHARS = 32_767
CHUNK_ROWS = 20_000
EXCEL_EPOCH_DAYS = 25_569  # 1970-01-01 as an Excel serial (1900 date system)
GENERAL = "General"
# cell styles: a header row's look (bold, fill, font colour, wrapping)
STYLE_FONTS = {"plain": '<font><sz val="11"/><name val="Calibri"/></font>',
               "bold": '<font><b/><sz val="11"/><name val="Calibri"/></font>',
               "header": '<font><b/><sz val="11"/><color rgb="FFFFFFFF"/><name val="Calibri"/></font>',
               "italic": '<font><i/><sz val="11"/><name val="Calibri"/></font>'}
STYLE_FILLS = {"none": '<fill><patternFill patternType="none"/></fill>',
               "gray125": '<fill><patternFill patternType="gray125"/></fill>',
               "header": '<fill><patternFill patternType="solid"><fgColor rgb="FF1F4E78"/><bgColor indexed="64"/></patternFill></fill>',
               "label": '<fill><patternFill patternType="solid"><fgColor rgb="FFDDEBF7"/><bgColor indexed="64"/></patternFill></fill>'}
HEADER_STYLES = {"note": ("italic", "none", False), "label": ("bold", "label", True), "names": ("header", "header", False)}

_NS = ('xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
       'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"')
_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
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


@dataclass
class _Styles:
    formats: dict[str, int] = field(default_factory=dict)  # number format -> cellXfs index
    headers: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        for name in HEADER_STYLES:
            self.headers[name] = 1 + len(self.headers)

    def index(self, number_format: str) -> int:
        if number_format == GENERAL:
            return 0
        if number_format not in self.formats:
            self.formats[number_format] = 1 + len(HEADER_STYLES) + len(self.formats)
        return self.formats[number_format]

    def xml(self) -> str:
        fonts = list(STYLE_FONTS)
        fills = list(STYLE_FILLS)
        numfmts = "".join(f'<numFmt numFmtId="{164 + i}" formatCode="{escape(code, {chr(34): "&quot;"})}"/>'
                          for i, code in enumerate(self.formats))
        xfs = ['<xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>']
        for font, fill, wrap in HEADER_STYLES.values():
            xfs.append(f'<xf numFmtId="0" fontId="{fonts.index(font)}" fillId="{fills.index(fill)}" borderId="0" '
                       f'xfId="0" applyFont="1" applyFill="1" applyAlignment="1"><alignment vertical="top"'
                       f'{" wrapText=" + chr(34) + "1" + chr(34) if wrap else ""}/></xf>')
        for i, _code in enumerate(self.formats):
            xfs.append(f'<xf numFmtId="{164 + i}" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>')
        return (
            f'{_XML}<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
            + (f'<numFmts count="{len(self.formats)}">{numfmts}</numFmts>' if self.formats else "")
            + f'<fonts count="{len(fonts)}">{"".join(STYLE_FONTS.values())}</fonts>'
            + f'<fills count="{len(fills)}">{"".join(STYLE_FILLS.values())}</fills>'
            + '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
            + '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
            + f'<cellXfs count="{len(xfs)}">{"".join(xfs)}</cellXfs>'
            + '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
            + "</styleSheet>"
        )


def neutralise_formula(text: str) -> str:
    """`text`, with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _formula_pattern() -> str:
    escaped = {"\t": r"\t", "\r": r"\r", "-": r"\-", "^": r"\^", "\\": r"\\", "]": r"\]"}
    return "^[" + "".join(escaped.get(c, c) for c in FORMULA_PREFIXES) + "]"


def neutralise_expr(column: pl.Expr) -> pl.Expr:
    """The polars form of neutralise_formula."""
    return pl.when(column.str.contains(_formula_pattern())).then(pl.lit("'") + column).otherwise(column)


def _text_xml(column: pl.Expr) -> pl.Expr:
    """Cell text: formula-neutralised, without characters XML forbids, escaped, at most Excel's
    32,767 characters."""
    text = neutralise_expr(column.str.replace_all(_ILLEGAL, "")).str.slice(0, MAX_CELL_CHARS)
    return (text.str.replace_all("&", "&amp;", literal=True).str.replace_all("<", "&lt;", literal=True)
            .str.replace_all(">", "&gt;", literal=True).str.replace_all("\r", "&#13;", literal=True))


def _cell(ref: pl.Expr, style: pl.Expr, body: pl.Expr, kind: str = "") -> pl.Expr:
    return pl.concat_str([pl.lit('<c r="'), ref, pl.lit('" s="'), style, pl.lit(f'"{kind}>'), body, pl.lit("</c>")])


def _number_body(values: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit("<v>"), values, pl.lit("</v>")])


def _string_body(text: pl.Expr) -> pl.Expr:
    return pl.concat_str([pl.lit('<is><t xml:space="preserve">'), _text_xml(text), pl.lit("</t></is>")])


def _serial(column: pl.Expr, dtype: pl.DataType) -> pl.Expr:
    """Excel serial day numbers of a date or datetime column (UTC wall time for zoned ones)."""
    if isinstance(dtype, pl.Datetime):
        if dtype.time_zone:
            column = column.dt.convert_time_zone("UTC").dt.replace_time_zone(None)
        micros = column.dt.epoch("us").cast(pl.Float64)
        return micros / 86_400_000_000 + EXCEL_EPOCH_DAYS
    return column.dt.epoch("d").cast(pl.Int64) + EXCEL_EPOCH_DAYS


def _column_cells(name: str, dtype: pl.DataType, spec: Column, letter: str, row: pl.Expr,
                  styles: _Styles, style_ids: dict[str, pl.Expr]) -> pl.Expr:
    """One column's cells as XML text (null where the cell is empty)."""
    col = pl.col(name)
    ref = pl.concat_str([pl.lit(letter), row])

    def style(default: str) -> pl.Expr:
        if isinstance(spec.number_format, pl.Expr):
            return style_ids[name]
        return pl.lit(str(styles.index(spec.number_format or default)))

    if dtype == pl.Boolean:
        return pl.when(col.is_not_null()).then(
            _cell(ref, pl.lit("0"), _number_body(col.cast(pl.Int8).cast(pl.String)), ' t="b"'))
    if dtype.is_numeric() or isinstance(dtype, pl.Decimal):
        if dtype.is_integer():
            text = col.cast(pl.String)
            ok = col.is_not_null()
        else:
            values = col.cast(pl.Float64)
            text = values.cast(pl.String)
            ok = values.is_not_null() & values.is_finite()
        return pl.when(ok).then(_cell(ref, style(GENERAL), _number_body(text)))
    if dtype == pl.Date or isinstance(dtype, pl.Datetime):
        default = "yyyy-mm-dd" if dtype == pl.Date else "yyyy-mm-dd hh:mm:ss"
        return pl.when(col.is_not_null()).then(
            _cell(ref, style(default), _number_body(_serial(col, dtype).cast(pl.String))))
    if dtype == pl.String and spec.typed_text:
        number = col.str.strip_chars().cast(pl.Float64, strict=False)
        moment = col.str.slice(0, 19).str.replace("T", " ").str.strptime(
            pl.Datetime("us"), "%Y-%m-%d %H:%M:%S", strict=False)
        return (
            pl.when(number.is_not_null() & number.is_finite())
            .then(_cell(ref, style(GENERAL), _number_body(number.cast(pl.String))))
            .when(moment.is_not_null())
            .then(_cell(ref, pl.lit(str(styles.index("yyyy-mm-dd hh:mm:ss"))),
                        _number_body(_serial(moment, pl.Datetime("us")).cast(pl.String))))
            .when(col.is_not_null())
            .then(_cell(ref, pl.lit("0"), _string_body(col), ' t="inlineStr"'))
        )
    return pl.when(col.is_not_null()).then(_cell(ref, pl.lit("0"), _string_body(col), ' t="inlineStr"'))


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


def _header_xml(row_number: int, style: int, texts: Sequence[str | None]) -> str:
    cells = "".join(
        f'<c r="{get_column_letter(i + 1)}{row_number}" s="{style}" t="inlineStr"><is><t xml:space="preserve">'
        f"{escape(neutralise_formula(str(t)))}</t></is></c>"
        for i, t in enumerate(texts) if t not in (None, "")
    )
    return f'<row r="{row_number}">{cells}</row>'


def _write_sheet(handle, spec: SheetSpec, styles: _Styles) -> None:
    frame = _plain_types(spec.frame)
    first = len(spec.header) + 1
    if first - 1 + frame.height > MAX_ROWS:
        raise ValueError(f"sheet {spec.name}: {frame.height} rows do not fit in Excel ({MAX_ROWS} rows)")
    width = max(frame.width, max((len(t) for _, t in spec.header), default=0), 1)
    last = f"{get_column_letter(width)}{max(1, first - 1 + frame.height)}"
    views = "<sheetViews><sheetView workbookViewId=\"0\"/></sheetViews>"
    if spec.header:
        views = (f'<sheetViews><sheetView workbookViewId="0"><pane ySplit="{first - 1}" topLeftCell="A{first}" '
                 f'activePane="bottomLeft" state="frozen"/><selection pane="bottomLeft" activeCell="A{first}" '
                 f'sqref="A{first}"/></sheetView></sheetViews>')
    cols = "".join(f'<col min="{i + 1}" max="{i + 1}" width="{w:.1f}" customWidth="1"/>'
                   for i, w in enumerate(spec.widths))
    handle.write((f"{_XML}<worksheet {_NS}><dimension ref=\"A1:{last}\"/>{views}"
                  f'<sheetFormatPr defaultRowHeight="15"/>' + (f"<cols>{cols}</cols>" if cols else "")
                  + "<sheetData>").encode())
    for i, (style, texts) in enumerate(spec.header):
        handle.write(_header_xml(i + 1, styles.headers[style], texts).encode())
    # per-cell number formats: the codes an expression may give, registered as styles up front
    style_ids: dict[str, pl.Expr] = {}
    for (name, _dtype), column in zip(frame.schema.items(), spec.columns, strict=True):
        if isinstance(column.number_format, pl.Expr):
            codes = frame.select(column.number_format.alias("f"))["f"].drop_nulls().unique().to_list()
            mapping = {code: str(styles.index(code)) for code in codes}
            style_ids[name] = column.number_format.replace_strict(mapping, default="0", return_dtype=pl.String)
    for start in range(0, frame.height, CHUNK_ROWS):
        chunk = frame.slice(start, CHUNK_ROWS)
        row = (pl.int_range(0, pl.len(), dtype=pl.Int64) + (first + start)).cast(pl.String)
        cells = [
            _column_cells(name, dtype, column, get_column_letter(i + 1), row, styles, style_ids)
            for i, ((name, dtype), column) in enumerate(zip(chunk.schema.items(), spec.columns, strict=True))
        ]
        xml = chunk.select(
            pl.concat_str([pl.lit('<row r="'), row, pl.lit('">'),
                           pl.concat_str(cells, ignore_nulls=True) if cells else pl.lit(""),
                           pl.lit("</row>")]).alias("xml")
        )["xml"]
        handle.write("".join(xml.to_list()).encode())
    handle.write(b"</sheetData>")
    if spec.filter_row and frame.width:
        handle.write(f'<autoFilter ref="A{spec.filter_row}:{get_column_letter(frame.width)}'
                     f'{max(spec.filter_row, first - 1 + frame.height)}"/>'.encode())
    handle.write(b"</worksheet>")


def write_xlsx(path: Path, sheets: Sequence[SheetSpec]) -> None:
    """Write `sheets` as one workbook at `path`."""
    styles = _Styles()
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for i, spec in enumerate(sheets, start=1):
            # ZIP64 only where a sheet could pass 2 GiB: some Excel versions call a small file with
            # ZIP64 records corrupt (a generous 200 bytes a cell)
            large = len(spec.header) * 100 + spec.frame.height * max(1, spec.frame.width) * 200 > 2**31
            with archive.open(f"xl/worksheets/sheet{i}.xml", "w", force_zip64=large) as handle:
                _write_sheet(handle, spec, styles)
        archive.writestr("xl/styles.xml", styles.xml())
        names = "".join(f'<sheet name="{escape(s.name, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                        for i, s in enumerate(sheets, start=1))
        filters = "".join(
            f'<definedName name="_xlnm._FilterDatabase" localSheetId="{i}" hidden="1">'
            f"'{escape(s.name.replace(chr(39), chr(39) * 2))}'!$A${s.filter_row}:$"
            f"{get_column_letter(max(1, s.frame.width))}${max(s.filter_row, len(s.header) + s.frame.height)}</definedName>"
            for i, s in enumerate(sheets) if s.filter_row and s.frame.width
        )
        archive.writestr("xl/workbook.xml", (
            f"{_XML}<workbook {_NS}><bookViews><workbookView/></bookViews><sheets>{names}</sheets>"
            + (f"<definedNames>{filters}</definedNames>" if filters else "") + "</workbook>"))
        rels = "".join(
            f'<Relationship Id="rId{i}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
            f'Target="worksheets/sheet{i}.xml"/>' for i in range(1, len(sheets) + 1))
        rels += (f'<Relationship Id="rId{len(sheets) + 1}" Type="http://schemas.openxmlformats.org/officeDocument/'
                 f'2006/relationships/styles" Target="styles.xml"/>')
        archive.writestr("xl/_rels/workbook.xml.rels", (
            f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}</Relationships>'))
        archive.writestr("_rels/.rels", (
            f'{_XML}<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
            'officeDocument" Target="xl/workbook.xml"/></Relationships>'))
        overrides = "".join(
            f'<Override PartName="/xl/worksheets/sheet{i}.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
            for i in range(1, len(sheets) + 1))
        archive.writestr("[Content_Types].xml", (
            f'{_XML}<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" '
            'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
            f"{overrides}</Types>"))

