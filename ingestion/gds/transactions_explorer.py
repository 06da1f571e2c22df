"""GDS Transactions Explorer export `transaction-volumes.csv` (UK central government services,
reporting rounds 2012-Q4 and 2013-Q1): transaction volumes, digital volumes and cost per
transaction by service, with service type, customer type and business model.

The file needs a tolerant parser. Every field is quoted, but 41 rows carry HTML (40 in 'Other
notes', 1 in 'Notes on costs') whose attribute quotes are not escaped (`<a href="https://...">`). A
strict RFC 4180 parser ends the field at the first of those quotes: in 22 rows (HMRC, Land
Registry, ...) the FOI request text that follows contains commas, so the row splits into 21 fields
and 'Customer type' reads URL-encoded junk ('%0A%0APlease provide ...'); in the other 19 the value
silently loses a quote. `parse_tolerant_csv` applies one documented repair: inside a quoted field,
a quote that is neither doubled (`""`, an escaped quote) nor followed by the separator or a line
end cannot close the field, so it is kept as a literal character. Rows that needed it are flagged
(`unescaped_quotes_repaired`; `shifted_fields_repaired` for the 22 a strict parser would shift)
and every row must still have exactly as many fields as the header, otherwise the file is refused
naming the row. The file is published without a final line break.

The table is long: one row per service and reporting round. In BOTH rounds the volume is an
ANNUAL count (the 2012-Q4 round collected calendar 2012 or 2011-12 outturn; the 2013-Q1 figures
are annual too: for the 411 services reporting both, the median ratio is 1.0), so `volume_unit`
says 'transactions per year'. Local-government rows are empty placeholders; they are kept and
flagged, as is HTML in the notes (kept verbatim).
"""

from __future__ import annotations

import csv
import re
from pathlib import Path

import polars as pl

from ingestion.readers import (
    ROW,
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    check_columns,
    read_text,
    select_contract_order,
)

DATASET_ID = "gds__transactions_explorer"
FILE = "transaction-volumes.csv"

SOURCE_COLUMNS = [
    "Department",
    "Department Abbreviation",
    "Body/Agency",
    "Agency Abbreviation",
    "Name of service",
    "2012 Q4: volume",
    "2012 Q4: digital volume",
    "2012 Q4: cost per transaction",
    "2013 Q1: volume",
    "2013 Q1: digital volume",
    "2013 Q1: cost per transaction",
    "Service Type",
    "URL",
    "Description of service",
    "Notes on costs",
    "Other notes",
    "Customer type",
    "Business model",
]
# Reporting round -> the source's column prefix for its three measures.
ROUNDS = {"2012-Q4": "2012 Q4", "2013-Q1": "2013 Q1"}
MEASURES = {
    "volume": ("volume", pl.Int64()),
    "digital_volume": ("digital volume", pl.Int64()),
    "cost_per_transaction_gbp": ("cost per transaction", pl.Float64()),
}
DESCRIPTIVE = {
    "Department": "department",
    "Department Abbreviation": "department_abbreviation",
    "Body/Agency": "body_agency",
    "Agency Abbreviation": "agency_abbreviation",
    "Name of service": "name_of_service",
    "Service Type": "service_type",
    "URL": "url",
    "Description of service": "description_of_service",
    "Notes on costs": "notes_on_costs",
    "Other notes": "other_notes",
    "Customer type": "customer_type",
    "Business model": "business_model",
}
VOLUME_UNIT = "transactions per year"
COLUMNS = [
    "department",
    "department_abbreviation",
    "body_agency",
    "agency_abbreviation",
    "name_of_service",
    "reporting_round",
    "volume",
    "digital_volume",
    "cost_per_transaction_gbp",
    "volume_unit",
    "service_type",
    "customer_type",
    "business_model",
    "url",
    "description_of_service",
    "notes_on_costs",
    "other_notes",
]
NOTE_COLUMNS = ["description_of_service", "notes_on_costs", "other_notes"]
HTML_TAG = r"<\s*/?\s*[A-Za-z][^>]*>"
LOCAL_GOVERNMENT = "Local government"


def parse_tolerant_csv(
    text: str, ref: SourceRef, *, separator: str = ",", quote: str = '"'
) -> tuple[list[list[str]], list[bool], list[str]]:
    """Split CSV text into records, keeping unescaped quotes inside quoted fields as literals.

    RFC 4180 except for one repair: inside a quoted field, a quote closes the field only when it
    is followed by the separator, a line break or the end of the text; a doubled quote is an
    escaped quote; any other quote is a stray literal (`<a href="...">` in HTML) and is kept as
    it is. Returns the records (header first), whether each record needed that repair, and each
    record's raw text (to compare with a strict parse). A quoted field still open at the end of the
    text means the file was cut off, and is an error.
    """
    unquoted_end = re.compile(f"[{re.escape(separator)}\r\n]")
    records: list[list[str]] = []
    repaired: list[bool] = []
    raw: list[str] = []
    n = len(text)
    i = 0
    while i < n:
        start = i
        fields: list[str] = []
        stray = False
        while True:  # one field per pass
            if i < n and text[i] == quote:
                i += 1
                parts: list[str] = []
                while True:
                    j = text.find(quote, i)
                    if j < 0:
                        raise ref.error(
                            "the file ends inside a quoted field: it looks truncated",
                            row=len(records),
                            value=text[start : start + 80],
                            hint="Re-fetch the file and check its sha256 against the registry",
                        )
                    parts.append(text[i:j])
                    after = text[j + 1] if j + 1 < n else ""
                    if after == quote:  # "" is an escaped quote
                        parts.append(quote)
                        i = j + 2
                    elif after in (separator, "\r", "\n", ""):  # closes the field
                        i = j + 1
                        break
                    else:  # stray quote inside the field: keep it (the repair)
                        parts.append(quote)
                        stray = True
                        i = j + 1
                fields.append("".join(parts))
            else:
                match = unquoted_end.search(text, i)
                end = match.start() if match else n
                fields.append(text[i:end])
                i = end
            if i < n and text[i] == separator:
                i += 1
                continue
            break
        end_of_record = i
        if i < n and text[i] == "\r":
            i += 1
        if i < n and text[i] == "\n":
            i += 1
        if fields == [""]:
            continue  # a blank line is not a record
        records.append(fields)
        repaired.append(stray)
        raw.append(text[start:end_of_record])
    return records, repaired, raw


def _strict_width(raw_record: str, separator: str) -> int:
    """How many fields a strict (Python csv) parser finds in one raw record."""
    return len(next(csv.reader([raw_record], delimiter=separator, strict=False), []))


def read_tolerant_table(
    path: Path, ref: SourceRef, expected_columns: list[str], *, separator: str = ","
) -> pl.DataFrame:
    """All-text frame with `_source_row`, `_quotes_repaired` and `_strict_parse_shifted`.

    Like `read_text_table` (strict UTF-8, header checked by name, every record as wide as the
    header) but parsed with `parse_tolerant_csv`.
    """
    records, repaired, raw = parse_tolerant_csv(read_text(path, ref), ref, separator=separator)
    header = [h.strip() for h in records[0]]
    check_columns(header, expected_columns, ref)
    width = len(header)
    for row, record in enumerate(records[1:], start=1):
        if len(record) != width:
            raise ref.error(
                f"data row has {len(record)} fields but the header has {width}, even after "
                "repairing unescaped quotes",
                row=row,
                value=separator.join(record)[:80],
                hint="The file may be truncated or have a stray quote before a separator",
            )
    if len(records) < 2:
        raise ref.error("the file has a header but no data rows", hint="Re-fetch the file")
    body = records[1:]
    frame = pl.DataFrame(
        {name: [r[k] for r in body] for k, name in enumerate(header)},
        schema={name: pl.String() for name in header},
    )
    return frame.with_columns(
        pl.Series(ROW, range(1, len(body) + 1), dtype=pl.Int64),
        pl.Series("_quotes_repaired", repaired[1:], dtype=pl.Boolean),
        pl.Series(
            "_strict_parse_shifted",
            [_strict_width(r, separator) != width for r in raw[1:]],
            dtype=pl.Boolean,
        ),
    )


def read_transaction_volumes(path: Path, file: str = FILE) -> pl.DataFrame:
    """One row per service and reporting round, typed, every source row kept and flagged."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_tolerant_table(path, ref, SOURCE_COLUMNS)
    types: dict[str, pl.DataType] = {c: pl.String() for c in DESCRIPTIVE}
    for prefix in ROUNDS.values():
        for suffix, dtype in MEASURES.values():
            types[f"{prefix}: {suffix}"] = dtype
    # Cast under the source's own column names, so a bad cell names the column in the file.
    frame = cast_columns(frame, ref, types).rename(DESCRIPTIVE)

    figures = [f"{p}: {s}" for p in ROUNDS.values() for s, _ in MEASURES.values()]
    placeholder = (pl.col("department") == LOCAL_GOVERNMENT) & pl.all_horizontal(
        [pl.col(c).is_null() for c in figures]
    )
    html = pl.any_horizontal(
        [pl.col(c).str.contains(HTML_TAG).fill_null(False) for c in NOTE_COLUMNS]
    )
    unclassified = pl.any_horizontal(
        [pl.col(c).is_null() for c in ("service_type", "customer_type", "business_model")]
    )
    frame = frame.with_columns(
        placeholder.alias("_placeholder"), html.alias("_html"), unclassified.alias("_unclassified")
    )

    # Long form: the same service row once per reporting round.
    shared = [c for c in COLUMNS if c in DESCRIPTIVE.values()]
    helpers = [
        "_quotes_repaired",
        "_strict_parse_shifted",
        "_placeholder",
        "_html",
        "_unclassified",
    ]
    rounds = [
        frame.select(
            *shared,
            pl.lit(period).alias("reporting_round"),
            *[pl.col(f"{prefix}: {suffix}").alias(name) for name, (suffix, _) in MEASURES.items()],
            pl.lit(VOLUME_UNIT).alias("volume_unit"),
            ROW,
            *helpers,
        )
        for period, prefix in ROUNDS.items()
    ]
    long = pl.concat(rounds).sort(ROW, "reporting_round")
    not_reported = pl.all_horizontal([pl.col(c).is_null() for c in MEASURES])
    long = add_flags(
        long,
        [
            # Properties of the source row (the same on both rounds of a service):
            ("unescaped_quotes_repaired", pl.col("_quotes_repaired")),
            ("shifted_fields_repaired", pl.col("_strict_parse_shifted")),
            ("local_government_placeholder", pl.col("_placeholder")),
            ("html_in_notes", pl.col("_html")),
            ("classification_missing", ~pl.col("_placeholder") & pl.col("_unclassified")),
            # Properties of this round's figures:
            ("not_reported_in_round", ~pl.col("_placeholder") & not_reported),
            (
                "digital_volume_exceeds_volume",
                (pl.col("digital_volume") > pl.col("volume")).fill_null(False),
            ),
        ],
    ).drop(helpers)
    return select_contract_order(long, COLUMNS)


TABLES = (RawTable.from_contract(DATASET_ID, read_transaction_volumes),)
