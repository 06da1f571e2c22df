"""Shared building blocks for the per-dataset readers: safe parsing with errors that say where.

Readers parse every file as text first, check the header against what they expect, then cast each
column strictly, so that a changed layout or an unparseable cell is reported with its dataset, file,
column and data row (1 = the first row after the header) instead of becoming a silent null.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import fastexcel
import openpyxl
import polars as pl

from ingestion.contracts import load_contract
from ingestion.errors import AtlasDataError

ROW = "_source_row"
FLAGS = "_flags"
HEADER_SCAN_ROWS = 60  # how far down a sheet `find_header_row` looks for the header
SHEETS_HINT = "The publisher may have added, removed or renamed a sheet: update the reader"


@dataclass(frozen=True)
class SourceRef:
    """Which dataset and file a frame came from, carried into every error message."""

    dataset_id: str
    file: str

    def error(self, message: str, **kwargs: object) -> AtlasDataError:
        return AtlasDataError(message, dataset_id=self.dataset_id, file=self.file, **kwargs)


@dataclass(frozen=True)
class RawTable:
    """One raw warehouse table: its name, the registered files it is read from, and its reader.

    `reader` takes the local paths of `files`, in order, and returns the typed frame that must
    satisfy data_contracts/raw/<name>.yml.
    """

    name: str
    dataset_id: str
    files: tuple[str, ...]
    reader: Callable[..., pl.DataFrame]
    description: str

    @classmethod
    def from_contract(cls, name: str, reader: Callable[..., pl.DataFrame]) -> RawTable:
        """The table as its landing contract declares it (dataset, files in reading order,
        description), read by `reader`: the contract is the one place these are written."""
        contract = load_contract(name)
        return cls(
            name=name,
            dataset_id=contract.dataset_id,
            files=contract.files,
            reader=reader,
            description=contract.description,
        )


def contract_types(
    table: str,
    columns: Iterable[str] | None = None,
    rename: Mapping[str, str] | Callable[[str], str] | None = None,
) -> dict[str, pl.DataType]:
    """The type to cast each source column to, for `cast_columns`, taken from the landing contract
    of `table` (data_contracts/raw/<table>.yml) so that a reader never repeats it. `columns` are the
    source's column names (default: the contract's own); `rename` gives the contract column of a
    source column (a mapping or a function; default the same name)."""
    contract = load_contract(table)
    types = contract.polars_schema()
    to_contract = rename if callable(rename) else (lambda c: (rename or {}).get(c, c))
    out: dict[str, pl.DataType] = {}
    for column in contract.column_names if columns is None else columns:
        name = to_contract(column)
        if name not in types:
            raise ValueError(
                f"column {name!r} (source column {column!r}) is not in the landing "
                f"contract data_contracts/raw/{table}.yml"
            )
        out[column] = types[name]
    return out


def snake_case(name: str) -> str:
    """'Task ID' -> 'task_id', 'O*NET-SOC Code' -> 'o_net_soc_code', 'AIOE' -> 'aioe'."""
    name = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name.strip())
    name = re.sub(r"[^0-9a-zA-Z]+", "_", name).strip("_").lower()
    return name or "unnamed"


def read_text(path: Path, ref: SourceRef, *, encoding: str = "utf-8") -> str:
    """The whole file as text, decoded strictly: a wrong encoding is an error with its byte offset,
    not mojibake. A missing or empty file is an error; a UTF-8 byte-order mark is dropped."""
    if not path.is_file():
        raise ref.error(f"file not found: {path}")
    data = path.read_bytes()
    if not data or data.isspace():  # only ASCII whitespace, as bytes.strip() removes
        raise ref.error("the file is empty", hint="Re-fetch the file")
    codec = encoding.replace("_", "-").lower()
    try:
        return data.decode("utf-8-sig" if codec in ("utf-8", "utf8") else encoding)
    except UnicodeDecodeError as exc:
        raise ref.error(
            f"not valid {encoding} text at byte {exc.start}",
            hint="The file may be in another encoding or corrupt",
        ) from exc


def read_text_table(
    path: Path,
    ref: SourceRef,
    *,
    expected_columns: Sequence[str] | None = None,
    separator: str = ",",
    encoding: str = "utf-8",
    skip_rows: int = 0,
    quote_char: str | None = '"',
    allow_extra_columns: bool = False,
    require_final_newline: bool = True,
) -> pl.DataFrame:
    """Read a delimited text file with every column as text, plus `_source_row` (1-based).

    The bytes are decoded strictly (a wrong encoding is an error with its byte offset, not
    mojibake); every record must have as many fields as the header (a truncated or malformed row is
    an error with its row number); and the header is checked against `expected_columns`, so that a
    renamed, missing or extra column is reported by name before any value is parsed. Files that
    are published ending in a line break must still end in one: otherwise the last row was cut off
    (pass `require_final_newline=False` for the few sources published without one).
    """
    text = read_text(path, ref, encoding=encoding)
    # Records end at \n, \r\n or \r only: str.splitlines would also end them at U+2028, NEL, form
    # feed or vertical tab inside a field (a name with a line separator is not a truncated file).
    lines = io.StringIO(text, newline="").readlines()[skip_rows:]
    if require_final_newline and not text.endswith(("\n", "\r")):
        raise ref.error(
            f"the file does not end with a line break: it looks truncated after {len(lines)} lines",
            row=max(len(lines) - 1, 0),
            hint="Re-fetch the file and check its sha256 against the registry",
        )
    _check_field_counts(lines, ref, separator=separator, quote_char=quote_char)
    try:
        frame = pl.read_csv(
            ("".join(lines) if skip_rows else text).encode("utf-8"),  # the same text without a copy
            separator=separator,
            infer_schema=False,
            quote_char=quote_char,
            empty_string_is_null=True,
            truncate_ragged_lines=False,
            raise_if_empty=True,
        )
    except Exception as exc:  # polars raises several types for malformed text
        raise ref.error(
            f"cannot parse as text separated by {separator!r}: "
            f"{exc.__class__.__name__}: {str(exc).splitlines()[0][:300]}",
            hint="The file may be truncated, binary or in another format",
        ) from exc
    frame = frame.rename({c: c.strip() for c in frame.columns})
    if expected_columns is not None:
        check_columns(frame.columns, expected_columns, ref, allow_extra=allow_extra_columns)
    frame = frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))
    # A blank line (often a trailing CRLF) parses as a row of nulls: it is not data.
    data_columns = [c for c in frame.columns if c != ROW]
    return frame.filter(~pl.all_horizontal([pl.col(c).is_null() for c in data_columns]))


def _check_field_counts(
    lines: list[str], ref: SourceRef, *, separator: str, quote_char: str | None
) -> None:
    """Every record has as many fields as the header: catches truncated and malformed rows."""
    quoting = csv.QUOTE_MINIMAL if quote_char else csv.QUOTE_NONE
    reader = csv.reader(
        lines, delimiter=separator, quotechar=quote_char or '"', quoting=quoting, strict=False
    )
    width = None
    row = 0
    for record in reader:
        if not record or (len(record) == 1 and not record[0].strip()):
            continue  # blank line
        if width is None:
            width = len(record)
            continue
        row += 1
        if len(record) != width:
            raise ref.error(
                f"data row has {len(record)} fields but the header has {width}",
                row=row,
                value=separator.join(record)[:80],
                hint="The file may be truncated or have an unquoted separator in a value",
            )


def read_excel_sheet(
    path: Path,
    ref: SourceRef,
    *,
    sheet: str | int = 0,
    expected_columns: Sequence[str] | None = None,
    header_row: int = 0,
    allow_extra_columns: bool = False,
) -> pl.DataFrame:
    """Read one Excel sheet with every column as text, plus `_source_row` (1-based data rows)."""
    if not path.is_file():
        raise ref.error(f"file not found: {path}")
    if path.stat().st_size == 0:
        raise ref.error("the file is empty (0 bytes)", hint="Re-fetch the file")
    kwargs: dict[str, object] = {"read_options": {"header_row": header_row}}
    if isinstance(sheet, int):
        kwargs["sheet_id"] = sheet + 1
    else:
        kwargs["sheet_name"] = sheet
    try:
        frame = pl.read_excel(path, engine="calamine", infer_schema_length=0, **kwargs)
    except Exception as exc:
        raise ref.error(
            f"cannot read Excel sheet {sheet!r}: {exc.__class__.__name__}: "
            f"{str(exc).splitlines()[0][:300]}",
            hint="The workbook may be truncated, renamed or not an .xlsx file",
        ) from exc
    frame = frame.rename({c: str(c).strip() for c in frame.columns})
    if expected_columns is not None:
        check_columns(frame.columns, expected_columns, ref, allow_extra=allow_extra_columns)
    return frame.with_row_index(ROW, offset=1).with_columns(pl.col(ROW).cast(pl.Int64))


def check_sheets(
    path: Path, ref: SourceRef, expected: Sequence[str], *, hint: str = SHEETS_HINT
) -> None:
    """The workbook has exactly the sheets the reader knows, in order: a new, missing or renamed
    sheet is an error (with `hint` saying what to do), not a table silently left out."""
    expected = list(expected)
    try:
        names = fastexcel.read_excel(path).sheet_names
    except Exception as exc:
        raise ref.error(
            f"cannot open the workbook: {exc.__class__.__name__}: {str(exc).splitlines()[0][:300]}",
            hint="The workbook may be truncated or not an .xlsx file: re-fetch it",
        ) from exc
    if list(names) != expected:
        wanted = f"only {expected[0]!r}" if len(expected) == 1 else str(expected)
        raise ref.error(
            f"the workbook has sheets {list(names)}, the reader expects {wanted}", hint=hint
        )


def find_header_row(
    path: Path, ref: SourceRef, sheet: str | int, expected: Sequence[str]
) -> tuple[int, list[tuple]]:
    """Locate the real header row of a sheet that has title and note rows above it.

    Returns the header's index as `read_excel_sheet(header_row=...)` counts it (from the first
    non-empty row) and the rows above it (the title block, for version dates). The row that holds
    the most expected names wins, so a renamed column is still reported by name afterwards.
    """
    if not path.is_file():
        raise ref.error(f"file not found: {path}")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # zipfile, XML and openpyxl errors for truncated or non-xlsx files
        raise ref.error(
            f"cannot open the workbook: {exc.__class__.__name__}: {str(exc)[:200]}",
            hint="The workbook may be truncated, renamed or not an .xlsx file",
        ) from exc
    try:
        if isinstance(sheet, int):
            worksheet = book.worksheets[sheet]
        elif sheet in book.sheetnames:
            worksheet = book[sheet]
        else:
            raise ref.error(f"no sheet {sheet!r}; the workbook has {book.sheetnames}")
        rows = list(
            worksheet.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, max_col=30, values_only=True)
        )
    except AtlasDataError:
        raise
    except Exception as exc:
        raise ref.error(
            f"cannot read sheet {sheet!r}: {exc.__class__.__name__}: {str(exc)[:200]}",
            hint="The workbook may be truncated or corrupt",
        ) from exc
    finally:
        book.close()
    wanted = set(expected)
    best, best_hits = None, 0
    for index, row in enumerate(rows):
        names = {str(v).strip() for v in row if v is not None}
        hits = len(wanted & names)
        if hits > best_hits:
            best, best_hits = index, hits
    if best is None or best_hits * 2 < len(wanted):
        raise ref.error(
            f"no header row with the columns {list(expected)} in the first "
            f"{HEADER_SCAN_ROWS} rows of sheet {sheet!r}",
            column=expected[0],
            hint="The publisher may have changed the layout: update the reader and contract",
        )
    first = next(
        (i for i, row in enumerate(rows) if any(v is not None and str(v).strip() for v in row)), 0
    )
    return best - first, rows[:best]


def check_columns(
    actual: Sequence[str], expected: Sequence[str], ref: SourceRef, *, allow_extra: bool = False
) -> None:
    """Fail naming the first missing (or, unless allowed, unexpected) column."""
    missing = [c for c in expected if c not in actual]
    if missing:
        raise ref.error(
            f"expected column(s) {missing} are missing; the file has {list(actual)[:30]}",
            column=missing[0],
            hint="The publisher may have renamed or dropped a column: update the reader and contract",
        )
    extra = [c for c in actual if c not in expected]
    if extra and not allow_extra:
        raise ref.error(
            f"unexpected column(s) {extra} that the reader does not know",
            column=extra[0],
            hint="The publisher may have added or renamed a column: update the reader and contract",
        )


def strip_text(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """Trim surrounding spaces; an empty cell becomes null."""
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.strip_chars() == "")
            .then(None)
            .otherwise(pl.col(c).str.strip_chars())
            .alias(c)
            for c in columns
        ]
    )


def split_markers(
    frame: pl.DataFrame,
    columns: Sequence[str],
    markers: Mapping[str, str],
    *,
    blank: str = "blank",
) -> pl.DataFrame:
    """Replace marker cells by null and add `<column>_status` naming the marker (`markers` maps a
    marker to its status), `reported`, or `blank` for an empty cell.

    Works on the text columns before casting, so a cell that is neither a number nor a known marker
    still reaches the strict cast and is reported with its column and row.
    """
    out = []
    for column in columns:
        text = pl.col(column).str.strip_chars()
        is_marker = text.is_in(list(markers))
        status = (
            pl.when(text.is_null() | (text == ""))
            .then(pl.lit(blank))
            .when(is_marker)
            .then(text.replace_strict(dict(markers), default=None))
            .otherwise(pl.lit("reported"))
        )
        out += [
            pl.when(is_marker).then(None).otherwise(text).alias(column),
            status.alias(f"{column}_status"),
        ]
    return frame.with_columns(out)


def any_status(columns: Sequence[str], status: str) -> pl.Expr:
    """True where any of `columns` has `<column>_status == status` (see `split_markers`)."""
    return pl.any_horizontal([pl.col(f"{c}_status") == status for c in columns])


def _first_bad(frame: pl.DataFrame, column: str, bad: pl.Series) -> tuple[int, object]:
    idx = bad.arg_true()[0]
    row = frame.get_column(ROW)[idx] if ROW in frame.columns else idx + 1
    return int(row), frame.get_column(column)[idx]


def cast_columns(
    frame: pl.DataFrame,
    ref: SourceRef,
    types: Mapping[str, pl.DataType],
    *,
    rename: Mapping[str, str] | None = None,
) -> pl.DataFrame:
    """Cast text columns strictly: a non-empty cell that does not parse is an error with its row.

    Numbers may carry thousands separators (`1,234`) and surrounding spaces. Empty cells become null.
    """
    out = []
    for column, dtype in types.items():
        if column not in frame.columns:
            raise ref.error("column missing before cast", column=column)
        text = frame.get_column(column).cast(pl.String).str.strip_chars()
        text = text.set(text == "", None) if text.len() else text
        if dtype == pl.String:
            casted = text
        elif dtype == pl.Boolean:
            upper = text.str.to_uppercase()
            casted = pl.select(
                pl.when(upper.is_in(["TRUE", "Y", "YES", "1"]))
                .then(True)
                .when(upper.is_in(["FALSE", "N", "NO", "0"]))
                .then(False)
                .otherwise(None)
            ).to_series()
        elif dtype.is_numeric():
            cleaned = text.str.replace_all(",", "")
            if dtype.is_integer():
                as_float = cleaned.cast(pl.Float64, strict=False)
                casted = as_float.cast(dtype, strict=False)
                not_whole = as_float.is_not_null() & (as_float != as_float.round(0))
                casted = casted.set(not_whole, None) if casted.len() else casted
            else:
                casted = cleaned.cast(dtype, strict=False)
        elif dtype == pl.Date:
            casted = text.str.to_date(strict=False)
        else:
            casted = text.cast(dtype, strict=False)
        bad = text.is_not_null() & casted.is_null()
        if bad.any():
            row, value = _first_bad(frame, column, bad)
            raise ref.error(
                f"cannot read the value as {dtype} ({int(bad.sum())} such cells)",
                column=(rename or {}).get(column, column),
                row=row,
                value=value,
            )
        out.append(casted.alias((rename or {}).get(column, column)))
    keep = [c for c in frame.columns if c not in types]
    return frame.select(keep).with_columns(out)


def reject_non_finite(frame: pl.DataFrame, ref: SourceRef, columns: Iterable[str]) -> None:
    """NaN or infinity parses as a float but is never a published value: name the first such cell."""
    for column in columns:
        values = frame.get_column(column)
        bad = values.is_nan() | values.is_infinite()
        if bad.any():
            row, value = _first_bad(frame, column, bad)
            raise ref.error("not a finite number", column=column, row=row, value=value)


# C0 control characters other than tab, line feed and carriage return, and DEL: no published text
# means them, and spreadsheet writers refuse them (openpyxl raises IllegalCharacterError).
CONTROL_CHARACTERS = r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]"


def strip_control_characters(frame: pl.DataFrame) -> pl.DataFrame:
    """Remove control characters from every text column, flagging each row that had some with
    `control_characters_in_<column>` (added to `_flags`), so that the row stays, the text is
    usable downstream and the load log counts what was stripped where."""
    text = [n for n, t in frame.schema.items() if t == pl.String and not n.startswith("_")]
    hits = [(n, pl.col(n).str.contains(CONTROL_CHARACTERS).fill_null(False)) for n in text]
    found = frame.select([expr.any().alias(n) for n, expr in hits]) if hits else None
    affected = [n for n in text if found is not None and found.item(0, n)]
    if not affected:
        return frame
    flags = [
        pl.when(pl.col(n).str.contains(CONTROL_CHARACTERS).fill_null(False)).then(
            pl.lit(f"control_characters_in_{n}")
        )
        for n in affected
    ]
    existing = [pl.col(FLAGS)] if FLAGS in frame.columns else []
    joined = pl.concat_str([*existing, *flags], separator=";", ignore_nulls=True)
    return frame.with_columns(
        pl.when(joined == "").then(None).otherwise(joined).alias(FLAGS),
        *(pl.col(n).str.replace_all(CONTROL_CHARACTERS, "") for n in affected),
    )


def add_flags(frame: pl.DataFrame, rules: Iterable[tuple[str, pl.Expr]]) -> pl.DataFrame:
    """Add `_flags`: the names of every rule a row meets, joined by ';' (null when none).

    Flagging instead of dropping keeps every source row in the raw table while making the quirks
    countable (`count(_flags)`).
    """
    parts = [pl.when(expr).then(pl.lit(name)) for name, expr in rules]
    if not parts:
        return frame.with_columns(pl.lit(None, dtype=pl.String).alias(FLAGS))
    joined = pl.concat_str(parts, separator=";", ignore_nulls=True)
    return frame.with_columns(pl.when(joined == "").then(None).otherwise(joined).alias(FLAGS))


def select_contract_order(frame: pl.DataFrame, columns: Sequence[str]) -> pl.DataFrame:
    """The contract's columns in its order, then lineage columns (leading underscore)."""
    lineage = [c for c in frame.columns if c.startswith("_")]
    return frame.select([*columns, *lineage])
