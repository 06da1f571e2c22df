"""International occupation crosswalks: ISCO-08 to US SOC 2010 (BLS), ISCO-08 structure and
ISCO-88 to ISCO-08 (ILO), as republished by the R package occupationRiskPack.

Three raw tables:
- `isco08toBLS.xlsx`: the BLS many-to-many crosswalk, one row per (SOC 2010, ISCO-08) pair. `part`
  is "*" where the match is partial (kept, plus a boolean `is_partial`). About 250 codes and a few
  titles carry trailing spaces (`13-2051 ` beside `13-2051`): they are trimmed and the row flagged
  `whitespace_trimmed`, otherwise the same code would count as two. Two SOC occupations map to a
  3-digit ISCO-08 minor group instead of a unit group (19-2099 to 211 "Physical and earth science
  professionals", 53-2022 to 315 "Ship and aircraft controllers and technicians"; the titles show
  these are minor groups, not codes that lost a leading zero): kept and flagged `isco08_minor_group`.
- `source_isco_structure.csv`: every ISCO-08 group at all four levels (1-digit major group to
  4-digit unit group) with its definition, tasks, included and excluded occupations and notes. R
  wrote missing texts as "NA": null here. Armed forces codes keep their leading zeros ("0110").
- `source_isco_88_08_crosswalk.csv`: the ILO ISCO-88 to ISCO-08 correspondence. The republished file
  has 59 empty unnamed columns and 84 empty rows after the data (dropped as not data: any value in
  them is an error); armed forces codes lost their leading zero ("110"), restored to "0110" and
  flagged `code_zero_padded`; one row (ISCO-08 5249) has "#N/A" (a spreadsheet lookup error) for the
  ISCO-88 title and no ISCO-88 code: kept with nulls and flagged `isco88_lookup_error`. Because of
  that row the pair (isco88_code, isco08_code) is checked for uniqueness by the reader where both
  codes are present rather than declared as a non-null key.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.readers import (
    ROW,
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    contract_types,
    find_header_row,
    read_excel_sheet,
    read_text_table,
    select_contract_order,
    strip_text,
)

DATASET_ID = "bls__isco08_soc2010"
BLS_FILE = "isco08toBLS.xlsx"
STRUCTURE_FILE = "source_isco_structure.csv"
ISCO88_FILE = "source_isco_88_08_crosswalk.csv"

# ISCO-08 to SOC 2010 (BLS) ------------------------------------------------------------------------

BLS_SOURCE = {
    "2010 SOC Code": "soc2010_code",
    "2010 SOC Title": "soc2010_title",
    "part": "part",
    "ISCO-08 Code": "isco08_code",
    "ISCO-08 Title EN": "isco08_title_en",
}
BLS_COLUMNS = [*BLS_SOURCE.values(), "is_partial"]


def _has_outer_space(column: str) -> pl.Expr:
    return pl.col(column).is_not_null() & (pl.col(column) != pl.col(column).str.strip_chars())


def read_isco08_to_soc2010(path: Path, file: str = BLS_FILE) -> pl.DataFrame:
    """One row per (SOC 2010, ISCO-08) pair of the BLS crosswalk."""
    ref = SourceRef(DATASET_ID, file)
    header, _ = find_header_row(path, ref, 0, list(BLS_SOURCE))
    frame = read_excel_sheet(
        path, ref, sheet=0, header_row=header, expected_columns=list(BLS_SOURCE)
    )
    frame = frame.with_columns(
        pl.any_horizontal([_has_outer_space(c) for c in BLS_SOURCE]).alias("_trimmed")
    )
    frame = strip_text(frame, list(BLS_SOURCE))
    frame = cast_columns(frame, ref, {c: pl.String() for c in BLS_SOURCE}).rename(BLS_SOURCE)
    frame = frame.with_columns((pl.col("part") == "*").fill_null(False).alias("is_partial"))
    isco_count = pl.col("isco08_code").count().over("soc2010_code")
    frame = add_flags(
        frame,
        [
            ("whitespace_trimmed", pl.col("_trimmed")),
            ("several_isco_without_part_marker", ~pl.col("is_partial") & (isco_count > 1)),
            ("isco08_minor_group", pl.col("isco08_code").str.len_chars() == 3),
        ],
    ).drop("_trimmed")
    return select_contract_order(frame, BLS_COLUMNS)


# ISCO-08 structure (ILO) --------------------------------------------------------------------------

STRUCTURE_COLUMNS = [
    "isco08_code",
    "n_digits",
    "level",
    "isco08_title",
    "definition",
    "tasks_include",
    "included_occupations",
    "excluded_occupations",
    "notes",
]
STRUCTURE_TEXT = [c for c in STRUCTURE_COLUMNS if c not in ("isco08_code", "n_digits", "level")]


def read_isco_structure(path: Path, file: str = STRUCTURE_FILE) -> pl.DataFrame:
    """One row per ISCO-08 group (major, sub-major, minor, unit) with its ILO definitions."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=STRUCTURE_COLUMNS)
    # R wrote missing texts as NA.
    frame = frame.with_columns(
        [
            pl.when(pl.col(c) == "NA").then(None).otherwise(pl.col(c)).alias(c)
            for c in STRUCTURE_TEXT
        ]
    )
    frame = cast_columns(
        frame, ref, contract_types(f"{DATASET_ID}__isco_structure", STRUCTURE_COLUMNS)
    )
    length = pl.col("isco08_code").str.len_chars()
    parent = pl.col("isco08_code").str.slice(0, length - 1)
    frame = add_flags(
        frame,
        [
            (
                "level_mismatch",
                (pl.col("n_digits") != length) | (pl.col("level") != pl.col("n_digits")),
            ),
            ("parent_missing", (length > 1) & ~parent.is_in(pl.col("isco08_code").implode())),
        ],
    )
    return select_contract_order(frame, STRUCTURE_COLUMNS)


# ISCO-88 -> ISCO-08 (ILO) -------------------------------------------------------------------------

ISCO88_COLUMNS = ["isco88_title", "isco88_code", "isco08_code", "isco08_title"]
LOOKUP_ERRORS = ["#N/A", "#REF!", "#VALUE!", "#NAME?"]


def read_isco88_to_isco08(path: Path, file: str = ISCO88_FILE) -> pl.DataFrame:
    """One row per ISCO-88 to ISCO-08 correspondence of the ILO table."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(
        path,
        ref,
        expected_columns=ISCO88_COLUMNS,
        allow_extra_columns=True,
        require_final_newline=False,  # published without a final line break
    )
    extra = [c for c in frame.columns if c not in ISCO88_COLUMNS and c != ROW]
    named = [c for c in extra if c and not c.startswith("_duplicated_")]
    if named:
        raise ref.error(
            f"unexpected column(s) {named} that the reader does not know",
            column=named[0],
            hint="The publisher may have added or renamed a column: update the reader and contract",
        )
    for column in extra:
        filled = frame.get_column(column).is_not_null()
        if filled.any():
            idx = filled.arg_true()[0]
            raise ref.error(
                "a value in one of the empty unnamed columns after isco08_title",
                column=column or "(unnamed)",
                row=int(frame.get_column(ROW)[idx]),
                value=frame.get_column(column)[idx],
                hint="A row may have an unquoted comma in a title or be shifted",
            )
    frame = frame.drop(extra)
    frame = strip_text(frame, ISCO88_COLUMNS)
    lookup_error = pl.col("isco88_title").is_in(LOOKUP_ERRORS)
    frame = frame.with_columns(
        lookup_error.fill_null(False).alias("_lookup_error"),
        pl.when(lookup_error).then(None).otherwise(pl.col("isco88_title")).alias("isco88_title"),
    )
    # Codes that lost their leading zero (armed forces "110" for "0110") get it back.
    codes = ("isco88_code", "isco08_code")
    short = {c: pl.col(c).str.contains(r"^\d{1,3}$").fill_null(False) for c in codes}
    frame = frame.with_columns(pl.any_horizontal(list(short.values())).alias("_padded"))
    frame = frame.with_columns(
        [
            pl.when(short[c]).then(pl.col(c).str.zfill(4)).otherwise(pl.col(c)).alias(c)
            for c in codes
        ]
    )
    frame = cast_columns(frame, ref, {c: pl.String() for c in ISCO88_COLUMNS})
    both = frame.filter(pl.col("isco88_code").is_not_null())
    duplicated = pl.struct("isco88_code", "isco08_code").is_duplicated()
    dupes = both.filter(duplicated)
    if dupes.height:
        raise ref.error(
            "duplicate (isco88_code, isco08_code) pair",
            column="isco88_code",
            row=int(dupes.get_column(ROW)[0]),
            value=f"{dupes.get_column('isco88_code')[0]} -> {dupes.get_column('isco08_code')[0]}",
        )
    frame = add_flags(
        frame,
        [
            ("code_zero_padded", pl.col("_padded")),
            ("isco88_lookup_error", pl.col("_lookup_error")),
            ("isco88_code_missing", pl.col("isco88_code").is_null()),
            (
                "isco88_code_splits",
                pl.col("isco88_code").is_not_null() & pl.col("isco88_code").is_duplicated(),
            ),
            ("isco08_code_merges", pl.col("isco08_code").is_duplicated()),
        ],
    ).drop("_padded", "_lookup_error")
    return select_contract_order(frame, ISCO88_COLUMNS)


TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__isco08_to_soc2010", read_isco08_to_soc2010),
    RawTable.from_contract(f"{DATASET_ID}__isco_structure", read_isco_structure),
    RawTable.from_contract(f"{DATASET_ID}__isco88_to_isco08", read_isco88_to_isco08),
)
