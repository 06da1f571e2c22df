"""Ragioneria Generale dello Stato (MEF), Conto Annuale 2024 data tables: staff (OCCUPAZIONE) and
pay (COMPOSIZIONE_RETRIBUZIONE) by institution, contract, category and job grade (qualifica).

NOT YET LANDED. The RGS publishes these tables only inside the yearly zip
(https://contoannuale.rgs.mef.gov.it/ext/CSV/2024Dati.zip, linked from the download page
https://contoannuale.rgs.mef.gov.it/web/sicosito/download), which is not in the data mirror and
cannot be downloaded here. So that the pipeline does not try (and fail) to land them:
- the registry entry lives in data_contracts/sources_pending/, which ingestion.registry does not
  read (it reads data_contracts/sources/*.yml only), so the catalog never imports this module;
- and, as a second guard, `TABLES` is empty: the table definitions are in `PENDING_TABLES`.
To activate (docs/italy.md): download the zip, put its size and sha256 in the entry, move the
entry to data_contracts/sources/, mirror the zip as <mirror>/rgs_italy__conto_annuale_data/,
set `TABLES = PENDING_TABLES`, run dbt_project/generate_staging.py, and add the integration and
fault tests the other datasets have.

Layout, as documented by the RGS 'Tracciati' and read by dataciviclab/open-conto-annuale (2017+
files): semicolon-separated, header row, no year column (the year is in the file name,
OCCUPAZIONE_2024.CSV); codes as text (institution 'C3363', contract 'RALN', grade '0IR000').
Quirks handled and flagged:
- the 2017-2024 OCCUPAZIONE header misspells PERSONALE_TEMPO_PIENO_DONNE as ..._PIEDO_DONNE:
  both spellings are accepted;
- numbers in Italian format (comma decimal, '1234,56'; a dot then only separates thousands) are
  read as such (`italian_decimal`); a number without a comma is read as written;
- the RGS states that more than 99.8% of rows, not all, are unique per dimension combination: a
  repeated key is kept and numbered (`key_occurrence` > 1, flag `repeated_key`), never summed or
  dropped;
- the zip may hold the CSV at any depth and inside a nested <year>Dati.zip; the member is found
  by its file name, case-insensitively.
"""

from __future__ import annotations

import io
import tempfile
import zipfile
from pathlib import Path

import polars as pl

from ingestion.readers import (
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    check_columns,
    read_text_table,
    select_contract_order,
)

DATASET_ID = "rgs_italy__conto_annuale_data"
ZIP_FILE = "2024Dati.zip"
YEAR = 2024
SEPARATOR = ";"
DIMENSIONS = ["istituzione", "contratto", "categoria", "qualifica"]
ITALIAN_NUMBER = r"^-?[\d.]*,\d+$|^-?\d{1,3}(\.\d{3})+,\d*$"


def _member_bytes(path: Path, member: str, ref: SourceRef) -> bytes:
    """The bytes of `member` (a file name) from a zip, searched at any depth and in nested zips;
    a path that is not a zip is the member itself (an extracted copy)."""
    if not zipfile.is_zipfile(path):
        if path.name.lower() != member.lower():
            raise ref.error(f"expected {member} or a zip holding it, got {path.name}")
        return path.read_bytes()

    def search(archive: zipfile.ZipFile) -> bytes | None:
        for name in archive.namelist():
            if Path(name).name.lower() == member.lower():
                return archive.read(name)
        for name in archive.namelist():
            if name.lower().endswith(".zip"):
                with zipfile.ZipFile(io.BytesIO(archive.read(name))) as nested:
                    found = search(nested)
                    if found is not None:
                        return found
        return None

    try:
        with zipfile.ZipFile(path) as archive:
            found = search(archive)
    except zipfile.BadZipFile as exc:
        raise ref.error(f"the zip is corrupt: {exc}", hint="Re-fetch the file") from exc
    if found is None:
        raise ref.error(
            f"no member named {member} in the zip",
            hint="The RGS may have renamed the table or changed the year in the file names",
        )
    return found


def _read_member(path: Path, member: str, ref: SourceRef, columns: list[str]) -> pl.DataFrame:
    """Read one CSV member with every column as text, header checked (after header fixes)."""
    data = _member_bytes(path, member, ref)
    with tempfile.TemporaryDirectory() as tmp:
        extracted = Path(tmp) / member
        extracted.write_bytes(data)
        frame = read_text_table(extracted, ref, separator=SEPARATOR)
    frame = frame.rename({c: c.strip().upper() for c in frame.columns if c != "_source_row"})
    frame = frame.rename({c: HEADER_FIXES[c] for c in frame.columns if c in HEADER_FIXES})
    check_columns([c for c in frame.columns if c != "_source_row"], columns, ref)
    return frame


# Published misspellings -> the spelling the reader expects.
HEADER_FIXES = {"PERSONALE_TEMPO_PIEDO_DONNE": "PERSONALE_TEMPO_PIENO_DONNE"}


def _italian_numbers(frame: pl.DataFrame, columns: list[str]) -> tuple[pl.DataFrame, pl.Expr]:
    """Rewrite Italian-format numbers ('1.234,5') as '1234.5'; the expression marks rows that had
    one, for the `italian_decimal` flag."""
    had = pl.any_horizontal(
        [pl.col(c).str.strip_chars().str.contains(ITALIAN_NUMBER).fill_null(False) for c in columns]
    )
    rewritten = [
        pl.when(pl.col(c).str.strip_chars().str.contains(ITALIAN_NUMBER))
        .then(
            pl.col(c)
            .str.strip_chars()
            .str.replace_all(".", "", literal=True)
            .str.replace(",", ".", literal=True)
        )
        .otherwise(pl.col(c))
        .alias(c)
        for c in columns
    ]
    marked = frame.with_columns(had.alias("_italian"))
    return marked.with_columns(rewritten), pl.col("_italian")


def _number_keys(frame: pl.DataFrame, key: list[str]) -> pl.DataFrame:
    """key_occurrence: 1 for the first row of each key, 2 for its first repeat, ..."""
    return frame.with_columns(
        pl.int_range(1, pl.len() + 1).over(key).cast(pl.Int32).alias("key_occurrence")
    )


STAFF_SOURCE = [
    "ISTITUZIONE",
    "CONTRATTO",
    "CATEGORIA",
    "QUALIFICA",
    "PERSONALE_TEMPO_PIENO_UOMINI",
    "PERSONALE_TEMPO_PIENO_DONNE",
    "PART_TIME_INF50%_UOMINI",
    "PART_TIME_INF50%_DONNE",
    "PART_TIME_SUP50%_UOMINI",
    "PART_TIME_SUP50%_DONNE",
]
# source column -> (working_time, sex)
STAFF_MEASURES = {
    "PERSONALE_TEMPO_PIENO_UOMINI": ("full_time", "M"),
    "PERSONALE_TEMPO_PIENO_DONNE": ("full_time", "F"),
    "PART_TIME_INF50%_UOMINI": ("part_time_up_to_50", "M"),
    "PART_TIME_INF50%_DONNE": ("part_time_up_to_50", "F"),
    "PART_TIME_SUP50%_UOMINI": ("part_time_over_50", "M"),
    "PART_TIME_SUP50%_DONNE": ("part_time_over_50", "F"),
}
STAFF_COLUMNS = ["anno", *DIMENSIONS, "key_occurrence", "working_time", "sex", "employees"]


def read_staff(path: Path, file: str = ZIP_FILE, year: int = YEAR) -> pl.DataFrame:
    """One row per institution, contract, category, grade, working time and sex: staff in service
    at 31 December (OCCUPAZIONE), long form of the source's six count columns."""
    member = f"OCCUPAZIONE_{year}.CSV"
    ref = SourceRef(DATASET_ID, f"{file}:{member}")
    frame = _read_member(path, member, ref, STAFF_SOURCE)
    frame, italian = _italian_numbers(frame, list(STAFF_MEASURES))
    frame = cast_columns(frame, ref, {c: pl.Float64() for c in STAFF_MEASURES})
    frame = frame.rename({c.upper(): c for c in DIMENSIONS})
    frame = _number_keys(frame, DIMENSIONS)
    frame = add_flags(
        frame,
        [
            ("italian_decimal", italian),
            ("repeated_key", pl.col("key_occurrence") > 1),
        ],
    ).drop("_italian")
    long = frame.unpivot(
        index=[*DIMENSIONS, "key_occurrence", "_source_row", "_flags"],
        on=list(STAFF_MEASURES),
        variable_name="_measure",
        value_name="employees",
    )
    long = long.with_columns(
        pl.col("_measure")
        .replace_strict({k: v[0] for k, v in STAFF_MEASURES.items()})
        .alias("working_time"),
        pl.col("_measure")
        .replace_strict({k: v[1] for k, v in STAFF_MEASURES.items()})
        .alias("sex"),
        pl.lit(year, pl.Int32).alias("anno"),
    ).sort(["_source_row", "_measure"])
    return select_contract_order(long, STAFF_COLUMNS)


PAY_SOURCE = ["ISTITUZIONE", "CONTRATTO", "CATEGORIA", "QUALIFICA", "VOCE_SPESA", "IMPORTO"]
PAY_COLUMNS = ["anno", *DIMENSIONS, "voce_spesa", "key_occurrence", "amount_eur"]


def read_pay(path: Path, file: str = ZIP_FILE, year: int = YEAR) -> pl.DataFrame:
    """One row per institution, contract, category, grade and pay item (voce di spesa, e.g. A015
    = type A item 15, STIPENDIO): the annual amount paid, EUR (COMPOSIZIONE_RETRIBUZIONE)."""
    member = f"COMPOSIZIONE_RETRIBUZIONE_{year}.CSV"
    ref = SourceRef(DATASET_ID, f"{file}:{member}")
    frame = _read_member(path, member, ref, PAY_SOURCE)
    frame, italian = _italian_numbers(frame, ["IMPORTO"])
    frame = cast_columns(frame, ref, {"IMPORTO": pl.Float64()}, rename={"IMPORTO": "amount_eur"})
    frame = frame.rename({c.upper(): c for c in [*DIMENSIONS, "voce_spesa"]})
    frame = _number_keys(frame, [*DIMENSIONS, "voce_spesa"])
    frame = add_flags(
        frame,
        [
            ("italian_decimal", italian),
            ("repeated_key", pl.col("key_occurrence") > 1),
        ],
    ).drop("_italian")
    frame = frame.with_columns(pl.lit(year, pl.Int32).alias("anno"))
    return select_contract_order(frame, PAY_COLUMNS)


PENDING_TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__occupazione", read_staff),
    RawTable.from_contract(f"{DATASET_ID}__composizione_retribuzione", read_pay),
)

# Empty until the zip is registered and mirrored: see the module docstring.
TABLES: tuple[RawTable, ...] = ()
