"""Make broken copies of real source files in a temporary folder (never in the repository).

Each injector writes a new file and returns its path; the original mirror file is only read.

The Excel injectors edit the one cell in the sheet's XML inside the .xlsx zip and copy every other
part as it is: loading and saving the whole workbook with openpyxl takes tens of seconds for the
multi-MB workbooks (the O*NET ones hold 35 MB of sheet XML), with the same effect on what a reader
sees.
"""

from __future__ import annotations

import csv
import html
import io
import posixpath
import re
import xml.etree.ElementTree as ET
import zipfile
from collections.abc import Callable
from pathlib import Path
from xml.sax.saxutils import escape


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
    src: Path,
    dst: Path,
    old: str,
    new: str,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    header_row: int = 0,
) -> Path:
    rows = _read_text_rows(src, delimiter, encoding)
    header = rows[header_row]
    header[[h.strip() for h in header].index(old)] = new
    return _write_text_rows(rows, dst, delimiter, "utf-8")


def set_text_cell(
    src: Path,
    dst: Path,
    column: str,
    data_row: int,
    value: str,
    *,
    delimiter: str = ",",
    encoding: str = "utf-8-sig",
    header_row: int = 0,
) -> Path:
    """Overwrite one cell; `data_row` counts from 1 after the header."""
    rows = _read_text_rows(src, delimiter, encoding)
    index = [h.strip() for h in rows[header_row]].index(column)
    rows[header_row + data_row][index] = value
    return _write_text_rows(rows, dst, delimiter, "utf-8")


# Excel (.xlsx) ---------------------------------------------------------------------------------


def rename_excel_column(
    src: Path, dst: Path, old: str, new: str, *, sheet: str | int = 0, header_row: int = 1
) -> Path:
    """Rename the header cell `old`; `sheet` is a name or a 0-based position, `header_row` the
    header's row number in the sheet (1 = the first row)."""

    def edit(xml: str, header: dict[str, str]) -> str:
        return _put_cell(xml, header_row, _letters(header, old), new)

    return _edit_sheet(src, dst, sheet, header_row, edit)


def set_excel_cell(
    src: Path,
    dst: Path,
    column: str,
    data_row: int,
    value: object,
    *,
    sheet: str | int = 0,
    header_row: int = 1,
) -> Path:
    """Overwrite one cell with a string, number, boolean or None (empty); `data_row` counts from
    1 after the header. A cell or row that is not in the sheet yet is added."""

    def edit(xml: str, header: dict[str, str]) -> str:
        return _put_cell(xml, header_row + data_row, _letters(header, column), value)

    return _edit_sheet(src, dst, sheet, header_row, edit)


def rename_excel_sheet(src: Path, dst: Path, old: str, new: str) -> Path:
    """Rename a sheet (its entry in xl/workbook.xml)."""
    with zipfile.ZipFile(src) as book:
        xml = book.read(WORKBOOK).decode("utf-8")
    for match in re.finditer(r'<sheet\b[^>]*?\sname="([^"]*)"', xml):
        if html.unescape(match.group(1)) == old:
            xml = xml[: match.start(1)] + _attr(new) + xml[match.end(1) :]
            return _rewrite_zip(src, dst, {WORKBOOK: xml.encode("utf-8")})
    raise KeyError(f"no sheet {old!r} in {src.name}")


WORKBOOK = "xl/workbook.xml"
WORKBOOK_RELS = "xl/_rels/workbook.xml.rels"
_CELL = re.compile(r"<c\b([^>]*?)(?:/>|>(.*?)</c>)", flags=re.S)
_ATTR = re.compile(r'([\w:]+)="([^"]*)"')
_REF = re.compile(r"([A-Z]+)(\d+)")


def _edit_sheet(
    src: Path,
    dst: Path,
    sheet: str | int,
    header_row: int,
    edit: Callable[[str, dict[str, str]], str],
) -> Path:
    """Apply `edit(sheet_xml, header)` to one sheet, `header` mapping each header text (stripped)
    to its column letters, and write the workbook to `dst`."""
    with zipfile.ZipFile(src) as book:
        part, strings_part = _parts(book, sheet)
        xml = book.read(part).decode("utf-8")
        strings = _shared_strings(book.read(strings_part)) if strings_part else []
    header: dict[str, str] = {}
    row = _find_row(xml, header_row)
    for attrs, inner in _cells(row.group(0) if row else ""):
        text = _cell_text(attrs, inner, strings)
        if text is not None:
            header.setdefault(text.strip(), _REF.match(attrs["r"]).group(1))
    return _rewrite_zip(src, dst, {part: edit(xml, header).encode("utf-8")})


def _parts(book: zipfile.ZipFile, sheet: str | int) -> tuple[str, str | None]:
    """The zip members of `sheet` (a name or a 0-based position) and of the shared strings, found
    through xl/workbook.xml and its relationships (xl/worksheets/sheet1.xml is not always the
    first sheet)."""
    workbook = ET.fromstring(book.read(WORKBOOK))
    sheets = [
        (el.get("name"), next(v for k, v in el.attrib.items() if _local(k) == "id"))
        for el in workbook.iter()
        if _local(el.tag) == "sheet"
    ]
    if isinstance(sheet, int):
        rel_id = sheets[sheet][1]
    else:
        found = [rel for name, rel in sheets if name == sheet]
        if not found:
            raise KeyError(f"no sheet {sheet!r}; the workbook has {[n for n, _ in sheets]}")
        rel_id = found[0]
    targets, strings = {}, None
    for rel in ET.fromstring(book.read(WORKBOOK_RELS)):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        targets[rel.get("Id")] = posixpath.normpath(path)
        if rel.get("Type", "").endswith("/sharedStrings"):
            strings = posixpath.normpath(path)
    return targets[rel_id], strings


def _local(name: str) -> str:
    return name.rsplit("}", 1)[-1]


def _text_of(item: ET.Element) -> str:
    """The text of a shared or inline string: its <t>, or the <t> of each rich-text run <r>
    (phonetic hints, <rPh>, are not part of it)."""
    parts = []
    for child in item:
        if _local(child.tag) == "t":
            parts.append(child.text or "")
        elif _local(child.tag) == "r":
            parts += [t.text or "" for t in child if _local(t.tag) == "t"]
    return "".join(parts)


def _shared_strings(data: bytes) -> list[str]:
    return [_text_of(item) for item in ET.fromstring(data)]


def _find_row(xml: str, number: int) -> re.Match | None:
    return re.search(rf'<row\b[^>]*?\sr="{number}"[^>]*?(?:/>|>.*?</row>)', xml, flags=re.S)


def _cells(row_xml: str) -> list[tuple[dict[str, str], str]]:
    """Each cell of a row: its attributes and inner XML ('' for an empty cell)."""
    return [(dict(_ATTR.findall(m.group(1))), m.group(2) or "") for m in _CELL.finditer(row_xml)]


def _cell_text(attrs: dict[str, str], inner: str, strings: list[str]) -> str | None:
    """A cell's value as text, as openpyxl would show it (None for an empty cell)."""
    kind = attrs.get("t", "n")
    if kind == "inlineStr":
        item = re.search(r"<is>.*?</is>", inner, flags=re.S)
        return _text_of(ET.fromstring(item.group(0))) if item else ""
    value = re.search(r"<v>(.*?)</v>", inner, flags=re.S)
    if value is None:
        return None
    text = html.unescape(value.group(1))
    if kind == "s":
        return strings[int(text)]
    if kind == "n":
        number = float(text)
        return str(int(number)) if number.is_integer() and "." not in text else str(number)
    return text


def _letters(header: dict[str, str], column: str) -> str:
    if column not in header:
        raise KeyError(f"no column {column!r} in the header row; it has {list(header)}")
    return header[column]


def _column_number(letters: str) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + ord(letter) - ord("A") + 1
    return number


def _attr(text: str) -> str:
    return escape(text, {'"': "&quot;"})


def _new_cell(ref: str, style: str | None, value: object) -> str:
    s = f' s="{style}"' if style else ""
    if value is None:
        return f'<c r="{ref}"{s}/>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{s} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"{s}><v>{value!r}</v></c>'
    if isinstance(value, str):
        return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{escape(value)}</t></is></c>'
    raise TypeError(f"cannot write a {type(value).__name__} into a cell")


def _put_cell(xml: str, number: int, letters: str, value: object) -> str:
    """Write `value` into the cell at column `letters`, row `number` (keeping its style), adding
    the cell, or the row, where the sheet has none."""
    ref = f"{letters}{number}"
    row = _find_row(xml, number)
    if row is None:  # a new row, before the first row below it
        new_row = f'<row r="{number}">{_new_cell(ref, None, value)}</row>'
        for later in re.finditer(r'<row\b[^>]*?\sr="(\d+)"', xml):
            if int(later.group(1)) > number:
                return xml[: later.start()] + new_row + xml[later.start() :]
        if "<sheetData/>" in xml:
            return xml.replace("<sheetData/>", f"<sheetData>{new_row}</sheetData>", 1)
        end = xml.index("</sheetData>")
        return xml[:end] + new_row + xml[end:]
    row_xml = row.group(0)
    if row_xml.endswith("/>"):  # an empty row written as <row .../>
        row_xml = row_xml[:-2] + "></row>"
    for cell in _CELL.finditer(row_xml):
        attrs = dict(_ATTR.findall(cell.group(1)))
        if attrs.get("r") == ref:
            new = _new_cell(ref, attrs.get("s"), value)
            row_xml = row_xml[: cell.start()] + new + row_xml[cell.end() :]
            break
        if _column_number(_REF.match(attrs["r"]).group(1)) > _column_number(letters):
            row_xml = (
                row_xml[: cell.start()] + _new_cell(ref, None, value) + row_xml[cell.start() :]
            )
            break
    else:
        end = row_xml.rindex("</row>")
        row_xml = row_xml[:end] + _new_cell(ref, None, value) + row_xml[end:]
    return xml[: row.start()] + row_xml + xml[row.end() :]


def _rewrite_zip(src: Path, dst: Path, replaced: dict[str, bytes]) -> Path:
    """Copy the zip `src` to `dst` with the members in `replaced` given new contents."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for item in zin.infolist():
            data = replaced[item.filename] if item.filename in replaced else zin.read(item)
            info = zipfile.ZipInfo(item.filename, date_time=item.date_time)
            info.external_attr = item.external_attr
            # Level 1: recompressing 35 MB of XML at the default level takes seconds.
            zout.writestr(info, data, compress_type=zipfile.ZIP_DEFLATED, compresslevel=1)
    return dst
