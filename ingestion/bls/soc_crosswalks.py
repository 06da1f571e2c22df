"""US occupation code lists and crosswalks around SOC 2018 (BLS, Census Bureau, O*NET Center).

Five files, one raw table each:
- `crosswalk_soc2010_to_soc2018.csv` (BLS SOC 2010 to 2018): many-to-many, one row per
  (SOC 2010, SOC 2018) pair; `_flags` marks 2010 codes that split and 2018 codes that merge.
- `SOC2018-All-Codes.txt` (BLS SOC 2018 code list): no header, one "code<two spaces>title" per line,
  all four levels. The level is read from the code (major XX-0000, minor XX-XX00, broad XX-XXX0,
  detailed otherwise) and the parent from the file's hierarchical order, because a few detailed
  codes do not sit under the broad code their digits suggest (29-1221..29-1229 belong to broad group
  29-1210 Physicians): those rows are flagged `parent_not_implied_by_code`.
- `2018-occupation-code-list-and-crosswalk.xlsx` (Census Bureau), sheet "2018 Census Occ Code
  List": Census occupation codes (used by CPS/ACS microdata) with their SOC 2018 equivalents, under
  a title block; group lines carry code ranges, some SOC equivalents are aggregates ("13-20XX") and
  two codes have none ("none"). The note "has 570 codes" above the first group is checked against
  the number of occupation lines rather than landed.
- `nem-onet-to-soc-crosswalk.xlsx` (BLS Employment Projections, as of 9/6/2023): O*NET-SOC 2019
  codes to National Employment Matrix (SOC-based) codes and Occupational Outlook Handbook profiles,
  under a four-line title block; "—" means no OOH profile.
- `2010_to_2019_soc_crosswalk.csv` (O*NET Center): O*NET-SOC 2010 to O*NET-SOC 2019 taxonomy,
  many-to-many like the SOC crosswalk.
"""

from __future__ import annotations

import re
from datetime import datetime
from pathlib import Path

import polars as pl

from ingestion.readers import (
    ROW,
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    find_header_row,
    read_excel_sheet,
    read_text,
    read_text_table,
    select_contract_order,
    strip_text,
)

DATASET_ID = "bls__soc_crosswalks"

SOC_FILE = "crosswalk_soc2010_to_soc2018.csv"
CODES_FILE = "SOC2018-All-Codes.txt"
CENSUS_FILE = "2018-occupation-code-list-and-crosswalk.xlsx"
NEM_FILE = "nem-onet-to-soc-crosswalk.xlsx"
ONET_FILE = "2010_to_2019_soc_crosswalk.csv"

CENSUS_SHEET = "2018 Census Occ Code List"
NEM_SHEET = "ONET to SOC crosswalk"
NO_VALUE = "\u2014"  # em dash: BLS's "no OOH profile"


# Shared helpers -----------------------------------------------------------------------------------


def split_merge_flags(source: str, target: str) -> list[tuple[str, pl.Expr]]:
    """Many-to-many crosswalk flags: a source code mapped to several targets, and the reverse."""
    return [
        ("source_code_splits", pl.col(source).is_duplicated()),
        ("target_code_merges", pl.col(target).is_duplicated()),
    ]


def _crosswalk(
    path: Path, file: str, source: dict[str, str], renames: dict[str, str]
) -> pl.DataFrame:
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=list(source))
    frame = cast_columns(frame, ref, {c: pl.String() for c in source})
    frame = frame.rename(renames)
    codes = [renames[c] for c in source if source[c] == "code"]
    frame = add_flags(frame, split_merge_flags(codes[0], codes[1]))
    return select_contract_order(frame, list(renames.values()))


# SOC 2010 -> SOC 2018 -----------------------------------------------------------------------------

SOC_SOURCE = {
    "2010 SOC Code": "code",
    "2010 SOC Title": "title",
    "2018 SOC Code": "code",
    "2018 SOC Title": "title",
}
SOC_RENAMES = {
    "2010 SOC Code": "soc2010_code",
    "2010 SOC Title": "soc2010_title",
    "2018 SOC Code": "soc2018_code",
    "2018 SOC Title": "soc2018_title",
}


def read_soc2010_to_soc2018(path: Path, file: str = SOC_FILE) -> pl.DataFrame:
    """One row per (SOC 2010, SOC 2018) pair."""
    return _crosswalk(path, file, SOC_SOURCE, SOC_RENAMES)


# O*NET-SOC 2010 -> 2019 ---------------------------------------------------------------------------

ONET_SOURCE = {
    "O*NET-SOC 2010 Code": "code",
    "O*NET-SOC 2010 Title": "title",
    "O*NET-SOC 2019 Code": "code",
    "O*NET-SOC 2019 Title": "title",
}
ONET_RENAMES = {
    "O*NET-SOC 2010 Code": "onet_soc2010_code",
    "O*NET-SOC 2010 Title": "onet_soc2010_title",
    "O*NET-SOC 2019 Code": "onet_soc2019_code",
    "O*NET-SOC 2019 Title": "onet_soc2019_title",
}


def read_onet_soc2010_to_2019(path: Path, file: str = ONET_FILE) -> pl.DataFrame:
    """One row per (O*NET-SOC 2010, O*NET-SOC 2019) pair."""
    return _crosswalk(path, file, ONET_SOURCE, ONET_RENAMES)


# SOC 2018 code list -------------------------------------------------------------------------------

CODES_COLUMNS = ["soc2018_code", "soc2018_title", "soc_level", "parent_code"]
CODE_LINE = re.compile(r"(?P<code>\d{2}-\d{4})  (?P<title>\S.*?)\s*")
LEVELS = ["major", "minor", "broad", "detailed"]


def soc_level(code: str) -> str:
    digits = code[3:]
    if digits == "0000":
        return "major"
    if digits.endswith("00"):
        return "minor"
    if digits.endswith("0"):
        return "broad"
    return "detailed"


def implied_parents(code: str, level: str) -> set[str]:
    """The parent codes the digits suggest (a minor group may end in 000 or 00)."""
    head, digits = code[:3], code[3:]
    if level == "minor":
        return {f"{head}0000"}
    if level == "broad":
        return {f"{head}{digits[0]}000", f"{head}{digits[:2]}00"}
    if level == "detailed":
        return {f"{head}{digits[:3]}0"}
    return set()


def read_soc2018_codes(path: Path, file: str = CODES_FILE) -> pl.DataFrame:
    """Every SOC 2018 code (major, minor, broad, detailed) with its title, level and parent."""
    ref = SourceRef(DATASET_ID, file)
    text = read_text(path, ref)
    lines = text.splitlines()
    if not text.endswith(("\n", "\r")):
        raise ref.error(
            f"the file does not end with a line break: it looks truncated after {len(lines)} lines",
            row=len(lines),
            hint="Re-fetch the file and check its sha256 against the registry",
        )
    rows = []
    last: dict[str, str] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        if not re.match(r"\d{2}-\d{4}(\s|$)", line):
            raise ref.error(
                "expected a SOC code like 11-1011 at the start of the line",
                column="soc2018_code",
                row=number,
                value=line,
                hint="The list is 'code<two spaces>title' per line: the layout may have changed",
            )
        match = CODE_LINE.fullmatch(line)
        if match is None:
            raise ref.error(
                "expected the title after the code and exactly two spaces",
                column="soc2018_title",
                row=number,
                value=line,
                hint="The list is 'code<two spaces>title' per line: the layout may have changed",
            )
        code = match.group("code")
        level = soc_level(code)
        rank = LEVELS.index(level)
        parent = last.get(LEVELS[rank - 1]) if rank else None
        if parent is not None and parent[:2] != code[:2]:
            parent = None  # the last group seen belongs to another major group
        last[level] = code
        for deeper in LEVELS[rank + 1 :]:
            last.pop(deeper, None)
        rows.append(
            {
                ROW: number,
                "soc2018_code": code,
                "soc2018_title": match.group("title"),
                "soc_level": level,
                "parent_code": parent,
                "_implied": parent is None or parent in implied_parents(code, level),
            }
        )
    frame = pl.DataFrame(
        rows,
        schema={
            ROW: pl.Int64(),
            "soc2018_code": pl.String(),
            "soc2018_title": pl.String(),
            "soc_level": pl.String(),
            "parent_code": pl.String(),
            "_implied": pl.Boolean(),
        },
    )
    frame = add_flags(
        frame,
        [
            ("parent_not_implied_by_code", ~pl.col("_implied")),
            ("parent_missing", pl.col("parent_code").is_null() & (pl.col("soc_level") != "major")),
        ],
    ).drop("_implied")
    return select_contract_order(frame, CODES_COLUMNS)


# Census 2018 occupation code list -----------------------------------------------------------------

CENSUS_SOURCE = ["__UNNAMED__0", "2018 Census Title", "2018 Census Code", "2018 SOC Code"]
CENSUS_COLUMNS = ["census_title", "census_code", "soc2018_code", "line_type"]
STATED_COUNT = re.compile(r"has (\d+) codes")


def read_census_occ_codes(path: Path, file: str = CENSUS_FILE) -> pl.DataFrame:
    """Census 2018 occupation codes and code-range groups with their SOC 2018 equivalents."""
    ref = SourceRef(DATASET_ID, file)
    header, _ = find_header_row(path, ref, CENSUS_SHEET, CENSUS_SOURCE[1:])
    frame = read_excel_sheet(
        path, ref, sheet=CENSUS_SHEET, header_row=header, expected_columns=CENSUS_SOURCE
    )
    frame = strip_text(frame, CENSUS_SOURCE)
    group, title, code, soc = (pl.col(c) for c in CENSUS_SOURCE)
    # A code typed as a number comes back as "1825" or "1825.0": restore the 4-digit text.
    code = (
        pl.when(code.str.contains(r"^\d+(\.0+)?$"))
        .then(code.str.replace(r"\.0+$", "").str.zfill(4))
        .otherwise(code)
    )
    frame = frame.with_columns(code.alias("census_code"))
    notes = frame.filter(pl.col("census_code").is_null() & soc.is_null())
    frame = frame.filter(pl.col("census_code").is_not_null() | soc.is_not_null())

    is_code = pl.col("census_code").str.contains(r"^\d{4}$")
    is_range = pl.col("census_code").str.contains(r"^\d{4}-\d{4}$")
    bad = frame.filter(~(is_code | is_range).fill_null(False))
    if bad.height:
        raise ref.error(
            "expected a 4-digit Census code or a code range like 0010-0440",
            column="2018 Census Code",
            row=int(bad.get_column(ROW)[0]),
            value=bad.get_column("census_code")[0],
        )
    occupations = frame.filter(is_code).height
    for note in notes.get_column("2018 Census Title").drop_nulls():
        stated = STATED_COUNT.search(note)
        if stated and int(stated.group(1)) != occupations:
            raise ref.error(
                f"the sheet says it has {stated.group(1)} codes but {occupations} occupation "
                "lines were read",
                column="2018 Census Code",
                hint="The sheet may be truncated or edited: re-fetch it",
            )
    frame = frame.with_columns(
        pl.coalesce(title, group).alias("census_title"),
        pl.when(soc.str.to_lowercase() == "none").then(None).otherwise(soc).alias("soc2018_code"),
        pl.when(group.is_not_null())
        .then(pl.lit("major_group"))
        .when(is_range)
        .then(pl.lit("group"))
        .otherwise(pl.lit("occupation"))
        .alias("line_type"),
    )
    frame = add_flags(
        frame,
        [
            ("no_soc_equivalent", soc.str.to_lowercase() == "none"),
            ("soc_code_aggregate", soc.str.contains("X")),
        ],
    ).drop(CENSUS_SOURCE)
    return select_contract_order(frame, CENSUS_COLUMNS)


# O*NET-SOC -> NEM / SOC (BLS Employment Projections) -----------------------------------------------

NEM_SOURCE = {
    "Sort Order": "sort_order",
    "O*NET-SOC Code": "onet_soc_code",
    "O*NET-SOC Title": "onet_soc_title",
    "NEM Code": "nem_code",
    "National Employment Matrix Occupational Title": "nem_title",
    "OOH Profile Code": "ooh_profile_code",
    "OOH Profile Title": "ooh_profile_title",
    "OOH Occupation Group": "ooh_occupation_group",
    "OOH Occupation Group (brief)": "ooh_occupation_group_brief",
    "OOH Profile Website": "ooh_profile_url",
}
OOH_COLUMNS = list(NEM_SOURCE)[5:]
NEM_COLUMNS = [*NEM_SOURCE.values(), "as_of"]
AS_OF = re.compile(r"As of (\d{1,2}/\d{1,2}/\d{4})")


def _as_of(preamble: list[tuple], ref: SourceRef) -> datetime:
    for row in preamble:
        for value in row:
            if isinstance(value, datetime):
                continue
            found = AS_OF.search(str(value or ""))
            if found:
                return datetime.strptime(found.group(1), "%m/%d/%Y")
    raise ref.error(
        "no 'As of m/d/yyyy' line in the title block above the header",
        column="as_of",
        hint="BLS may have changed the title block: update the reader",
    )


def read_onet_soc_to_soc(path: Path, file: str = NEM_FILE) -> pl.DataFrame:
    """One row per O*NET-SOC 2019 code: its NEM (SOC 2018 based) code and OOH profile."""
    ref = SourceRef(DATASET_ID, file)
    header, preamble = find_header_row(path, ref, NEM_SHEET, list(NEM_SOURCE))
    as_of = _as_of(preamble, ref)
    frame = read_excel_sheet(
        path, ref, sheet=NEM_SHEET, header_row=header, expected_columns=list(NEM_SOURCE)
    )
    frame = strip_text(frame, list(NEM_SOURCE))
    no_profile = pl.all_horizontal([pl.col(c) == NO_VALUE for c in OOH_COLUMNS])
    frame = frame.with_columns(no_profile.fill_null(False).alias("_no_profile")).with_columns(
        [
            pl.when(pl.col(c) == NO_VALUE).then(None).otherwise(pl.col(c)).alias(c)
            for c in OOH_COLUMNS
        ]
    )
    types: dict[str, pl.DataType] = {c: pl.String() for c in NEM_SOURCE}
    types["Sort Order"] = pl.Int32()
    frame = cast_columns(frame, ref, types).rename(NEM_SOURCE)
    frame = frame.with_columns(pl.lit(as_of.date()).alias("as_of"))
    frame = add_flags(
        frame,
        [
            ("no_ooh_profile", pl.col("_no_profile")),
            ("nem_code_shared", pl.col("nem_code").is_duplicated()),
        ],
    ).drop("_no_profile")
    return select_contract_order(frame, NEM_COLUMNS)


TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__soc2010_to_soc2018", read_soc2010_to_soc2018),
    RawTable.from_contract(f"{DATASET_ID}__soc2018_codes", read_soc2018_codes),
    RawTable.from_contract(f"{DATASET_ID}__census_occ_codes_2018", read_census_occ_codes),
    RawTable.from_contract(f"{DATASET_ID}__onet_soc_to_soc", read_onet_soc_to_soc),
    RawTable.from_contract(f"{DATASET_ID}__onet_soc2010_to_2019", read_onet_soc2010_to_2019),
)
