"""Felten, Raj & Seamans: AI exposure of occupations, industries and places (AIOE/AIIE/AIGE).

Two workbooks, every sheet inspected:
- `AIOE_DataAppendix.xlsx`: `Index` is a table of contents (five title lines, no data) and is
  not landed; `Appendix A` (AIOE by SOC 2010 occupation), `Appendix B` (AIIE by 4-digit NAICS /
  OES industry), `Appendix C` (AIGE by FIPS state or county), `Appendix D` (relatedness of 10 AI
  applications to 52 O*NET abilities, a matrix: landed long) and `Appendix E` (ability-level AI
  exposure) each land as their own table.
- `Language Modeling AIOE and AIIE.xlsx`: `LM AIOE` (by SOC 2010) and `LM AIIE` (by OES industry).
Every sheet has its header in the first row and no notes rows above or below it.

Quirks, flagged not dropped:
- Appendix C stores FIPS codes as numbers, so states 01-09 lost their leading zero ("1000" for
  Alabama): codes are zero-padded to five digits (`fips_zero_padded`); the 52 state rows (county
  part 000, incl. DC and Puerto Rico) sit among the counties (`state_aggregate`);
- Appendix B uses OES industry groupings, not only NAICS 4-digit industries: codes ending in 0 are
  OES aggregates of a 3-digit sector (`oes_aggregate_code`); several of them are split into
  partial groups that share one code, told apart only by the title, e.g. 4240 three times
  ("(4244 and 4248 only)"...) (`oes_partial_group`), so the key is (naics, industry_title);
  9991-9993 are OES government designations, not NAICS (`oes_designation`);
- LM AIIE uses 6-character OES industry codes ("611100", partial groups "3250A1");
- Appendix A and LM AIOE include the SOC broad group 19-1020 Biologists (`soc_broad_group`);
- Appendix D's first column has no header (the ability names): it is named `ability`.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.readers import (
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    check_sheets,
    contract_types,
    read_excel_sheet,
    select_contract_order,
)

DATASET_ID = "felten__aioe"
APPENDIX = "AIOE_DataAppendix.xlsx"
LM = "Language Modeling AIOE and AIIE.xlsx"
APPENDIX_SHEETS = ["Index", "Appendix A", "Appendix B", "Appendix C", "Appendix D", "Appendix E"]
LM_SHEETS = ["LM AIOE", "LM AIIE"]
AI_APPLICATIONS = [
    "Abstract Strategy Games",
    "Real-Time Video Games",
    "Image Recognition",
    "Visual Question Answering",
    "Generating Images",
    "Reading Comprehension",
    "Language Modeling",
    "Translation",
    "Speech Recognition",
    "Instrumental Track Recognition",
]
UNNAMED_FIRST = "__UNNAMED__0"  # how the Excel reader names a column without a header


SHEETS = {APPENDIX: APPENDIX_SHEETS, LM: LM_SHEETS}


def _read_sheet(
    path: Path, file: str, sheet: str, table: str, rename: dict[str, str]
) -> pl.DataFrame:
    """Read one sheet as text, check its header (the keys of `rename`), cast strictly to the types
    of the landing contract of `table` (errors name the source header), rename to contract names."""
    check_sheets(path, SourceRef(DATASET_ID, file), SHEETS[file])
    ref = SourceRef(DATASET_ID, f"{file} [sheet {sheet}]")
    frame = read_excel_sheet(path, ref, sheet=sheet, expected_columns=list(rename))
    frame = cast_columns(frame, ref, contract_types(f"{DATASET_ID}__{table}", list(rename), rename))
    return frame.rename(rename)


def _soc_table(
    path: Path, file: str, sheet: str, table: str, score: str, column: str
) -> pl.DataFrame:
    """A sheet of one score per SOC 2010 occupation (Appendix A, LM AIOE)."""
    rename = {"SOC Code": "soc_code", "Occupation Title": "occupation_title", score: column}
    frame = _read_sheet(path, file, sheet, table, rename)
    frame = add_flags(frame, [("soc_broad_group", pl.col("soc_code").str.ends_with("0"))])
    return select_contract_order(frame, list(rename.values()))


def _industry_table(
    path: Path, file: str, sheet: str, table: str, rename: dict[str, str]
) -> pl.DataFrame:
    """A sheet of one score per OES industry (group) (Appendix B, LM AIIE): code, title, score."""
    frame = _read_sheet(path, file, sheet, table, rename)
    code, title = (pl.col(c) for c in list(rename.values())[:2])
    frame = add_flags(
        frame,
        [
            ("oes_aggregate_code", code.str.slice(0, 4).str.ends_with("0")),
            ("oes_partial_group", title.str.contains(r"(?i)\bonly\)")),
            ("oes_designation", title.str.contains("(OES Designation)", literal=True)),
        ],
    )
    return select_contract_order(frame, list(rename.values()))


def read_occupation(path: Path) -> pl.DataFrame:
    """Appendix A: one row per SOC 2010 occupation with its AIOE (standardised score)."""
    return _soc_table(path, APPENDIX, "Appendix A", "occupation", "AIOE", "aioe")


def read_industry(path: Path) -> pl.DataFrame:
    """Appendix B: one row per 4-digit NAICS / OES industry (group) with its AIIE."""
    rename = {"NAICS": "naics", "Industry Title": "industry_title", "AIIE": "aiie"}
    return _industry_table(path, APPENDIX, "Appendix B", "industry", rename)


def read_geography(path: Path) -> pl.DataFrame:
    """Appendix C: one row per US state or county FIPS code with its AIGE."""
    rename = {"FIPS Code": "fips_code", "Geographic Area": "geographic_area", "AIGE": "aige"}
    frame = _read_sheet(path, APPENDIX, "Appendix C", "geography", rename)
    published = pl.col("fips_code")
    frame = frame.with_columns(
        (published.str.len_chars() < 5).alias("__padded"),
        pl.when(published.str.contains(r"^\d{1,5}$"))
        .then(published.str.zfill(5))
        .otherwise(published)
        .alias("fips_code"),
    )
    frame = add_flags(
        frame,
        [
            ("fips_zero_padded", pl.col("__padded")),
            ("state_aggregate", pl.col("fips_code").str.ends_with("000")),
        ],
    ).drop("__padded")
    return select_contract_order(frame, list(rename.values()))


def read_ability_application(path: Path) -> pl.DataFrame:
    """Appendix D, long form: one row per O*NET ability and AI application (relatedness 0-1).
    The sheet is wide (one column per application), so the application columns take the type of
    the contract's `relatedness`."""
    table = f"{DATASET_ID}__ability_application"
    contract = contract_types(table)
    check_sheets(path, SourceRef(DATASET_ID, APPENDIX), APPENDIX_SHEETS)
    ref = SourceRef(DATASET_ID, f"{APPENDIX} [sheet Appendix D]")
    frame = read_excel_sheet(
        path, ref, sheet="Appendix D", expected_columns=[UNNAMED_FIRST, *AI_APPLICATIONS]
    )
    types = {
        UNNAMED_FIRST: contract["ability"],
        **{a: contract["relatedness"] for a in AI_APPLICATIONS},
    }
    frame = cast_columns(frame, ref, types).rename({UNNAMED_FIRST: "ability"})
    frame = frame.unpivot(
        index=["ability", "_source_row"],
        on=AI_APPLICATIONS,
        variable_name="ai_application",
        value_name="relatedness",
    ).sort("_source_row", maintain_order=True)
    frame = add_flags(frame, [])
    return select_contract_order(frame, ["ability", "ai_application", "relatedness"])


def read_ability(path: Path) -> pl.DataFrame:
    """Appendix E: one row per O*NET ability with its standardised ability-level AI exposure."""
    rename = {
        "O*NET Abilities": "ability",
        "Ability-Level AI Exposure": "ability_level_ai_exposure",
    }
    frame = add_flags(_read_sheet(path, APPENDIX, "Appendix E", "ability", rename), [])
    return select_contract_order(frame, list(rename.values()))


def read_lm_occupation(path: Path) -> pl.DataFrame:
    """LM AIOE: one row per SOC 2010 occupation with its language-modeling AIOE."""
    return _soc_table(
        path, LM, "LM AIOE", "lm_occupation", "Language Modeling AIOE", "language_modeling_aioe"
    )


def read_lm_industry(path: Path) -> pl.DataFrame:
    """LM AIIE: one row per 6-character OES industry code with its language-modeling AIIE."""
    rename = {
        "NAICS": "naics",
        "NAICS Description": "naics_description",
        "Language Modeling AIIE": "language_modeling_aiie",
    }
    return _industry_table(path, LM, "LM AIIE", "lm_industry", rename)


TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__occupation", read_occupation),
    RawTable.from_contract(f"{DATASET_ID}__industry", read_industry),
    RawTable.from_contract(f"{DATASET_ID}__geography", read_geography),
    RawTable.from_contract(f"{DATASET_ID}__ability_application", read_ability_application),
    RawTable.from_contract(f"{DATASET_ID}__ability", read_ability),
    RawTable.from_contract(f"{DATASET_ID}__lm_occupation", read_lm_occupation),
    RawTable.from_contract(f"{DATASET_ID}__lm_industry", read_lm_industry),
)
