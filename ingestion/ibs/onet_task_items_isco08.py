"""O*NET task items by ISCO-08 unit group (IBS crosswalk) and Eurostat employment by ISCO-08 group.

Two files, two tables, both landed long because both are published wide:
- `onet_tasks.csv`: one row per ISCO-08 unit group (391) and one column per O*NET element mean,
  named `t_<ElementID>` with the dots removed (t_4A2a4 = O*NET element 4.A.2.a.4, Analyzing Data or
  Information); a `_rev` suffix marks an element whose scale was reversed by the compiler. Landed as
  one row per unit group and item, with the published item name, the dotted O*NET element id and
  an `is_reversed` flag. Values are on O*NET's 1-5 importance / context scales.
- `Eurostat_employment_isco.xlsx`: ten sheets, `Total` and `ISCO1`..`ISCO9` (ISCO-08 major
  groups), each with the header in row 1 (TIME, then ten geographies) and 40 quarters 2011-Q1 to
  2020-Q4, no notes rows. Landed as one row per sheet, quarter and geography, employment in
  thousands.

Quirks, flagged not dropped:
- Eurostat's ':' marker (value not available: the EU28 aggregate for 2020, after the UK left)
  becomes null with the flag `not_available`;
- the EU28 column is labelled "European Union - 28 countries (2013-2020)" (its composition) but
  also holds 2011-2012 values; the label is kept in `geo`, `geo_code` is EU28;
- ISCO-08 codes are text; a code that lost its leading zero (stored as a number) is zero-padded
  to four digits (`isco_code_zero_padded`, none in the published file).
"""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl

from ingestion.readers import (
    ROW,
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    check_sheets,
    read_excel_sheet,
    read_text_table,
    select_contract_order,
)

DATASET_ID = "ibs__onet_task_items_isco08"
TASKS_FILE = "onet_tasks.csv"
EMPLOYMENT_FILE = "Eurostat_employment_isco.xlsx"

ITEMS = [
    "t_1A1f1",
    "t_1A2a2",
    "t_2B1a",
    "t_4A2a4",
    "t_4A2b2",
    "t_4A3a3",
    "t_4A3a4",
    "t_4A4a1",
    "t_4A4a4",
    "t_4A4b4",
    "t_4A4b5",
    "t_4C2d1g",
    "t_4C2d1i",
    "t_4C3b4",
    "t_4C3b7",
    "t_4C3d3",
    "t_4C3b8_rev",
    "t_4C1a2l_rev",
    "t_4A4a5_rev",
    "t_4A4a8_rev",
    "t_4A1b2_rev",
    "t_4A3a2_rev",
    "t_4A3b4_rev",
    "t_4A3b5_rev",
]
TASK_COLUMNS = ["isco08", "item", "onet_element_id", "is_reversed", "value"]
_ITEM = re.compile(r"^t_([1-6][A-Z][0-9a-z]*?)(_rev)?$")


def onet_element_id(item: str) -> str:
    """'t_4A2a4' -> '4.A.2.a.4', 't_4C3b8_rev' -> '4.C.3.b.8' (every part is one character)."""
    match = _ITEM.match(item)
    if match is None:
        raise ValueError(f"not an O*NET item name: {item!r}")
    return ".".join(match.group(1))


def read_onet_tasks(path: Path, file: str = TASKS_FILE) -> pl.DataFrame:
    """Long form: one row per ISCO-08 unit group and O*NET item, value on the 1-5 scale."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=["isco08", *ITEMS])
    types: dict[str, pl.DataType] = {"isco08": pl.String()}
    types.update({c: pl.Float64() for c in ITEMS})
    frame = cast_columns(frame, ref, types)
    code = pl.col("isco08")
    frame = frame.with_columns(
        code.str.contains(r"^\d{1,3}$").alias("__padded"),
        pl.when(code.str.contains(r"^\d{1,3}$")).then(code.str.zfill(4)).otherwise(code),
    )
    frame = frame.unpivot(
        index=["isco08", "__padded", ROW], on=ITEMS, variable_name="item", value_name="value"
    )
    elements = {item: onet_element_id(item) for item in ITEMS}
    frame = frame.with_columns(
        pl.col("item").replace_strict(elements, return_dtype=pl.String).alias("onet_element_id"),
        pl.col("item").str.ends_with("_rev").alias("is_reversed"),
    )
    frame = add_flags(frame, [("isco_code_zero_padded", pl.col("__padded"))]).drop("__padded")
    return select_contract_order(frame.sort(ROW, maintain_order=True), TASK_COLUMNS)


SHEETS = {
    "Total": "TOTAL",
    "ISCO1": "1",
    "ISCO2": "2",
    "ISCO3": "3",
    "ISCO4": "4",
    "ISCO5": "5",
    "ISCO6": "6",
    "ISCO7": "7",
    "ISCO8": "8",
    "ISCO9": "9",
}
GEOS = {
    "European Union - 28 countries (2013-2020)": "EU28",
    "Belgium": "BE",
    "Czechia": "CZ",
    "Denmark": "DK",
    "Spain": "ES",
    "Italy": "IT",
    "Lithuania": "LT",
    "Poland": "PL",
    "Finland": "FI",
    "Sweden": "SE",
}
NOT_AVAILABLE = ":"
EMPLOYMENT_COLUMNS = [
    "sheet",
    "isco08_major_group",
    "time",
    "geo",
    "geo_code",
    "employment_thousands",
]


def _read_employment_sheet(path: Path, file: str, sheet: str) -> pl.DataFrame:
    ref = SourceRef(DATASET_ID, f"{file} [sheet {sheet}]")
    frame = read_excel_sheet(path, ref, sheet=sheet, expected_columns=["TIME", *GEOS])
    marked = {g: f"__na_{i}" for i, g in enumerate(GEOS)}
    frame = frame.with_columns(
        [
            (pl.col(g).str.strip_chars() == NOT_AVAILABLE).fill_null(False).alias(m)
            for g, m in marked.items()
        ]
    ).with_columns(
        [pl.when(pl.col(m)).then(None).otherwise(pl.col(g)).alias(g) for g, m in marked.items()]
    )
    types: dict[str, pl.DataType] = {"TIME": pl.String()}
    types.update({g: pl.Float64() for g in GEOS})
    frame = cast_columns(frame, ref, types)
    parts = [
        frame.select(
            pl.lit(sheet).alias("sheet"),
            pl.lit(SHEETS[sheet]).alias("isco08_major_group"),
            pl.col("TIME").alias("time"),
            pl.lit(geo).alias("geo"),
            pl.lit(code).alias("geo_code"),
            pl.col(geo).alias("employment_thousands"),
            pl.col(marked[geo]).alias("__not_available"),
            pl.col(ROW),
        )
        for geo, code in GEOS.items()
    ]
    return pl.concat(parts).sort(ROW, maintain_order=True)


def read_eurostat_employment(path: Path, file: str = EMPLOYMENT_FILE) -> pl.DataFrame:
    """Long form: one row per ISCO-08 major group (sheet), quarter and geography."""
    check_sheets(path, SourceRef(DATASET_ID, file), list(SHEETS))
    frame = pl.concat([_read_employment_sheet(path, file, sheet) for sheet in SHEETS])
    frame = add_flags(frame, [("not_available", pl.col("__not_available"))]).drop("__not_available")
    return select_contract_order(frame, EMPLOYMENT_COLUMNS)


TABLES = (
    RawTable.from_contract(f"{DATASET_ID}__onet_tasks", read_onet_tasks),
    RawTable.from_contract(f"{DATASET_ID}__eurostat_employment", read_eurostat_employment),
)
