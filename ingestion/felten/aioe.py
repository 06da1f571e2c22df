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

from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ingestion.readers import (
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    check_sheets,
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


def _read_sheet(
    path: Path,
    file: str,
    sheets: Sequence[str],
    sheet: str,
    types: dict[str, pl.DataType],
    rename: dict[str, str],
) -> pl.DataFrame:
    """Read one sheet as text, check its header, cast strictly (errors name the source header)."""
    check_sheets(path, SourceRef(DATASET_ID, file), sheets)
    ref = SourceRef(DATASET_ID, f"{file} [sheet {sheet}]")
    frame = read_excel_sheet(path, ref, sheet=sheet, expected_columns=list(types))
    frame = cast_columns(frame, ref, types)
    return frame.rename(rename)


def read_occupation(path: Path) -> pl.DataFrame:
    """Appendix A: one row per SOC 2010 occupation with its AIOE (standardised score)."""
    frame = _read_sheet(
        path,
        APPENDIX,
        APPENDIX_SHEETS,
        "Appendix A",
        {"SOC Code": pl.String(), "Occupation Title": pl.String(), "AIOE": pl.Float64()},
        {"SOC Code": "soc_code", "Occupation Title": "occupation_title", "AIOE": "aioe"},
    )
    frame = add_flags(frame, [("soc_broad_group", pl.col("soc_code").str.ends_with("0"))])
    return select_contract_order(frame, ["soc_code", "occupation_title", "aioe"])


def _industry_flags(code: pl.Expr, title: pl.Expr) -> list[tuple[str, pl.Expr]]:
    return [
        ("oes_aggregate_code", code.str.slice(0, 4).str.ends_with("0")),
        ("oes_partial_group", title.str.contains(r"(?i)\bonly\)")),
        ("oes_designation", title.str.contains("(OES Designation)", literal=True)),
    ]


def read_industry(path: Path) -> pl.DataFrame:
    """Appendix B: one row per 4-digit NAICS / OES industry (group) with its AIIE."""
    frame = _read_sheet(
        path,
        APPENDIX,
        APPENDIX_SHEETS,
        "Appendix B",
        {"NAICS": pl.String(), "Industry Title": pl.String(), "AIIE": pl.Float64()},
        {"NAICS": "naics", "Industry Title": "industry_title", "AIIE": "aiie"},
    )
    frame = add_flags(frame, _industry_flags(pl.col("naics"), pl.col("industry_title")))
    return select_contract_order(frame, ["naics", "industry_title", "aiie"])


def read_geography(path: Path) -> pl.DataFrame:
    """Appendix C: one row per US state or county FIPS code with its AIGE."""
    frame = _read_sheet(
        path,
        APPENDIX,
        APPENDIX_SHEETS,
        "Appendix C",
        {"FIPS Code": pl.String(), "Geographic Area": pl.String(), "AIGE": pl.Float64()},
        {"FIPS Code": "fips_code", "Geographic Area": "geographic_area", "AIGE": "aige"},
    )
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
    return select_contract_order(frame, ["fips_code", "geographic_area", "aige"])


def read_ability_application(path: Path) -> pl.DataFrame:
    """Appendix D, long form: one row per O*NET ability and AI application (relatedness 0-1)."""
    types: dict[str, pl.DataType] = {UNNAMED_FIRST: pl.String()}
    types.update({a: pl.Float64() for a in AI_APPLICATIONS})
    frame = _read_sheet(
        path, APPENDIX, APPENDIX_SHEETS, "Appendix D", types, {UNNAMED_FIRST: "ability"}
    )
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
    frame = _read_sheet(
        path,
        APPENDIX,
        APPENDIX_SHEETS,
        "Appendix E",
        {"O*NET Abilities": pl.String(), "Ability-Level AI Exposure": pl.Float64()},
        {"O*NET Abilities": "ability", "Ability-Level AI Exposure": "ability_level_ai_exposure"},
    )
    frame = add_flags(frame, [])
    return select_contract_order(frame, ["ability", "ability_level_ai_exposure"])


def read_lm_occupation(path: Path) -> pl.DataFrame:
    """LM AIOE: one row per SOC 2010 occupation with its language-modeling AIOE."""
    frame = _read_sheet(
        path,
        LM,
        LM_SHEETS,
        "LM AIOE",
        {
            "SOC Code": pl.String(),
            "Occupation Title": pl.String(),
            "Language Modeling AIOE": pl.Float64(),
        },
        {
            "SOC Code": "soc_code",
            "Occupation Title": "occupation_title",
            "Language Modeling AIOE": "language_modeling_aioe",
        },
    )
    frame = add_flags(frame, [("soc_broad_group", pl.col("soc_code").str.ends_with("0"))])
    return select_contract_order(frame, ["soc_code", "occupation_title", "language_modeling_aioe"])


def read_lm_industry(path: Path) -> pl.DataFrame:
    """LM AIIE: one row per 6-character OES industry code with its language-modeling AIIE."""
    frame = _read_sheet(
        path,
        LM,
        LM_SHEETS,
        "LM AIIE",
        {
            "NAICS": pl.String(),
            "NAICS Description": pl.String(),
            "Language Modeling AIIE": pl.Float64(),
        },
        {
            "NAICS": "naics",
            "NAICS Description": "naics_description",
            "Language Modeling AIIE": "language_modeling_aiie",
        },
    )
    frame = add_flags(frame, _industry_flags(pl.col("naics"), pl.col("naics_description")))
    return select_contract_order(frame, ["naics", "naics_description", "language_modeling_aiie"])


TABLES = (
    RawTable(
        name=f"{DATASET_ID}__occupation",
        dataset_id=DATASET_ID,
        files=(APPENDIX,),
        reader=read_occupation,
        description="One row per SOC 2010 occupation: AI Occupational Exposure (AIOE, Appendix A).",
    ),
    RawTable(
        name=f"{DATASET_ID}__industry",
        dataset_id=DATASET_ID,
        files=(APPENDIX,),
        reader=read_industry,
        description="One row per 4-digit NAICS / OES industry group: AI Industry Exposure (AIIE, Appendix B).",
    ),
    RawTable(
        name=f"{DATASET_ID}__geography",
        dataset_id=DATASET_ID,
        files=(APPENDIX,),
        reader=read_geography,
        description="One row per US state or county FIPS code: AI Geographic Exposure (AIGE, Appendix C).",
    ),
    RawTable(
        name=f"{DATASET_ID}__ability_application",
        dataset_id=DATASET_ID,
        files=(APPENDIX,),
        reader=read_ability_application,
        description="One row per O*NET ability and AI application: relatedness 0-1 (Appendix D, long form).",
    ),
    RawTable(
        name=f"{DATASET_ID}__ability",
        dataset_id=DATASET_ID,
        files=(APPENDIX,),
        reader=read_ability,
        description="One row per O*NET ability: standardised ability-level AI exposure (Appendix E).",
    ),
    RawTable(
        name=f"{DATASET_ID}__lm_occupation",
        dataset_id=DATASET_ID,
        files=(LM,),
        reader=read_lm_occupation,
        description="One row per SOC 2010 occupation: language-modeling AIOE (Felten et al. 2023).",
    ),
    RawTable(
        name=f"{DATASET_ID}__lm_industry",
        dataset_id=DATASET_ID,
        files=(LM,),
        reader=read_lm_industry,
        description="One row per OES industry code: language-modeling AIIE (Felten et al. 2023).",
    ),
)
