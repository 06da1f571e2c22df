"""Nesta 'Mapping Career Causeways' supplementary data (nestauk/mapping-career-causeways):
automation risk of ESCO occupations and ISCO-08 unit groups (Brynjolfsson, Mitchell and Rock's
suitability-for-machine-learning ratings carried to ESCO), the impact of O*NET detailed work
activities on that risk, the most common automation bottlenecks, the ESCO to O*NET-SOC crosswalk,
and UK and Italian employment (thousands, EU-LFS) by ISCO-08 minor group with a risk category.

Quirks handled here:
- the crosswalk writes 'na' for "no job title in common" and the DWA table 'na' for three DWAs
  without an intermediate work activity or element: both become null and are flagged;
- the UK/Italy employment tables are wide (one column per year 2014-2018) and are read long; cells
  from 20 or fewer survey respondents are masked with 'x' (EU-LFS rules): null, flagged;
  RISK_CAT is a code (0 = high risk, 1 = low risk, 2 = other) and is kept with its label;
- mcc_risk_Bottlenecks.csv starts with a byte-order mark, uses CRLF line breaks and has no final
  line break;
- ISCO-08 codes stay text ('1111', minor groups '111'), O*NET-SOC codes keep their dashes and
  dots ('11-1011.00').
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
    read_text_table,
    select_contract_order,
)

DATASET_ID = "nesta__career_causeways"
RISK_CATEGORIES = {0: "High risk", 1: "Low risk", 2: "Other"}
NA_MARKER = "na"
MASK_MARKER = "x"
YEARS = ["2014", "2015", "2016", "2017", "2018"]


def _na_to_null(frame: pl.DataFrame, columns: list[str]) -> pl.DataFrame:
    """The literal 'na' the source writes for "nothing" becomes null (the row is flagged)."""
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.strip_chars() == NA_MARKER)
            .then(None)
            .otherwise(pl.col(c))
            .alias(c)
            for c in columns
        ]
    )


# --- ESCO occupations ------------------------------------------------------------------------

OCCUPATION_COLUMNS = [
    "id",
    "occupation",
    "isco_code",
    "risk",
    "prevalence",
    "risk_category",
    "risk_nonphysical",
    "prevalence_nonphysical",
    "onet_code",
    "onet_occupation",
    "concept_uri",
    "skills_based_sector_code",
    "skills_based_sector",
    "sub_sector_code",
    "sub_sector",
]


def read_occupation_risk(path: Path, file: str = "mcc_risk_All_occupations.csv") -> pl.DataFrame:
    """One row per ESCO occupation (level 5): risk 1-5, prevalence 0-1, O*NET match, sector."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=OCCUPATION_COLUMNS)
    frame = cast_columns(frame, ref, contract_types(f"{DATASET_ID}__occupation_risk"))
    return select_contract_order(frame, OCCUPATION_COLUMNS)


# --- ISCO-08 unit groups ---------------------------------------------------------------------

ISCO_COLUMNS = ["isco_code", "isco_unit_group", "risk", "prevalence", "risk_category"]


def read_isco_risk(path: Path, file: str = "mcc_risk_ISCO_4digit.csv") -> pl.DataFrame:
    """One row per ISCO-08 unit group: mean risk and prevalence over its ESCO occupations."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=ISCO_COLUMNS)
    frame = cast_columns(frame, ref, contract_types(f"{DATASET_ID}__isco_risk"))
    frame = add_flags(
        frame,
        # Two unit groups (3355, 3411) carry the same title in the source.
        [("duplicate_unit_group_title", pl.col("isco_unit_group").is_duplicated())],
    )
    return select_contract_order(frame, ISCO_COLUMNS)


# --- Detailed work activities ----------------------------------------------------------------

DWA_COLUMNS = ["detailed_work_activity", "impact", "intermediate_work_activity", "element"]


def read_dwa_impact(path: Path, file: str = "mcc_risk_DWAs.csv") -> pl.DataFrame:
    """One row per O*NET detailed work activity: summed impact of its tasks on occupation risk."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=DWA_COLUMNS)
    missing = pl.col("intermediate_work_activity").str.strip_chars() == NA_MARKER
    frame = frame.with_columns(missing.fill_null(False).alias("_iwa_na"))
    frame = _na_to_null(frame, ["intermediate_work_activity", "element"])
    frame = cast_columns(frame, ref, contract_types(f"{DATASET_ID}__dwa_impact"))
    frame = add_flags(frame, [("activity_hierarchy_missing", pl.col("_iwa_na"))]).drop("_iwa_na")
    return select_contract_order(frame, DWA_COLUMNS)


# --- Bottlenecks -----------------------------------------------------------------------------

BOTTLENECK_COLUMNS = [
    "sml_question",
    "task_bottleneck",
    "is_bottleneck",
    "percentage_of_all_bottleneck_tasks",
]


def read_bottlenecks(path: Path, file: str = "mcc_risk_Bottlenecks.csv") -> pl.DataFrame:
    """One row per automation dimension (SML rubric question): how many tasks it bottlenecks."""
    ref = SourceRef(DATASET_ID, file)
    # Published with a byte-order mark, CRLF line breaks and no final line break.
    frame = read_text_table(
        path, ref, expected_columns=BOTTLENECK_COLUMNS, require_final_newline=False
    )
    frame = cast_columns(frame, ref, contract_types(f"{DATASET_ID}__bottlenecks"))
    return select_contract_order(frame, BOTTLENECK_COLUMNS)


# --- ESCO to O*NET crosswalk -----------------------------------------------------------------

CROSSWALK_COLUMNS = [
    "id",
    "esco_occupation",
    "isco_code",
    "onet_code",
    "onet_occupation",
    "matching_job_titles",
    "semantic_similarity",
    "confidence",
    "concept_uri",
]


def read_esco_onet_crosswalk(path: Path, file: str = "esco_onet_crosswalk_MCC.csv") -> pl.DataFrame:
    """One row per ESCO occupation: its best-matching O*NET-SOC occupation and match quality."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=CROSSWALK_COLUMNS)
    no_titles = (pl.col("matching_job_titles").str.strip_chars() == NA_MARKER).fill_null(False)
    frame = frame.with_columns(no_titles.alias("_no_titles"))
    frame = _na_to_null(frame, ["matching_job_titles"])
    frame = cast_columns(frame, ref, contract_types(f"{DATASET_ID}__esco_onet_crosswalk"))
    frame = add_flags(frame, [("no_matching_job_titles", pl.col("_no_titles"))])
    frame = frame.drop("_no_titles")
    return select_contract_order(frame, CROSSWALK_COLUMNS)


# --- Employment by ISCO-08 minor group (UK, Italy) --------------------------------------------

EMPLOYMENT_SOURCE_COLUMNS = ["isco_code", *YEARS, "isco_minor_group", "RISK_CAT"]
EMPLOYMENT_COLUMNS = [
    "isco_code",
    "isco_minor_group",
    "risk_cat",
    "risk_category",
    "year",
    "employment_thousands",
]


def read_employment_by_isco(path: Path, file: str, entity: str) -> pl.DataFrame:
    """One row per ISCO-08 minor group and year (2014-2018): employment in thousands, long form."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=EMPLOYMENT_SOURCE_COLUMNS)
    # 'x' masks a cell from 20 or fewer respondents: remember where, then null it before casting.
    masks = [(pl.col(y).str.strip_chars() == MASK_MARKER).fill_null(False) for y in YEARS]
    frame = frame.with_columns(
        [m.alias(f"_masked_{y}") for y, m in zip(YEARS, masks, strict=True)]
        + [
            pl.when(m).then(None).otherwise(pl.col(y)).alias(y)
            for y, m in zip(YEARS, masks, strict=True)
        ]
    )
    # wide years in the source, one `employment_thousands` per year in the contract
    contract = contract_types(f"{DATASET_ID}__{entity}")
    types = {c: contract[c] for c in ("isco_code", "isco_minor_group")}
    types["RISK_CAT"] = contract["risk_cat"]
    types.update({y: contract["employment_thousands"] for y in YEARS})
    frame = cast_columns(frame, ref, types).rename({"RISK_CAT": "risk_cat"})
    index = [ROW, "isco_code", "isco_minor_group", "risk_cat"]
    values = frame.unpivot(
        index=index, on=YEARS, variable_name="year", value_name="employment_thousands"
    )
    masked = frame.unpivot(index=index, on=[f"_masked_{y}" for y in YEARS], value_name="_masked")
    long = values.with_columns(
        pl.col("year").cast(pl.Int32),
        masked.get_column("_masked"),
        pl.col("risk_cat")
        .replace_strict(RISK_CATEGORIES, default=None, return_dtype=pl.String)
        .alias("risk_category"),
    )
    long = add_flags(long, [("masked_small_cell", pl.col("_masked"))])
    long = long.drop("_masked").sort(ROW, "year")
    return select_contract_order(long, EMPLOYMENT_COLUMNS)


def read_uk_employment(path: Path) -> pl.DataFrame:
    return read_employment_by_isco(path, "uk_breakdown_by_isco_w_risk.csv", "uk_employment_by_isco")


def read_ita_employment(path: Path) -> pl.DataFrame:
    return read_employment_by_isco(
        path, "ita_breakdown_by_isco_w_risk.csv", "ita_employment_by_isco"
    )


TABLES = tuple(
    RawTable.from_contract(f"{DATASET_ID}__{entity}", reader)
    for entity, reader in (
        ("occupation_risk", read_occupation_risk),
        ("isco_risk", read_isco_risk),
        ("dwa_impact", read_dwa_impact),
        ("bottlenecks", read_bottlenecks),
        ("esco_onet_crosswalk", read_esco_onet_crosswalk),
        ("uk_employment_by_isco", read_uk_employment),
        ("ita_employment_by_isco", read_ita_employment),
    )
)
