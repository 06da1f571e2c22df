"""Frey & Osborne (2013/2017): probability of computerisation of 702 US occupations (SOC 2010).

The appendix table as transcribed to CSV: rank (1 = least computerisable), probability (0-1),
label (1/0 for the 70 hand-labelled training occupations, empty for the others), SOC 2010 code
and occupation title. Quirks, flagged not dropped:
- four codes are SOC broad groups (ending in 0, e.g. 29-1060 Physicians and surgeons, 25-1000
  Postsecondary teachers) rather than detailed occupations: `soc_broad_group`;
- rank should follow probability; a rank whose probability is lower than the rank before it is
  flagged `rank_out_of_order` (none in the published file).
Titles keep the publisher's typography (en dashes in "Helpers–carpenters", curly apostrophes).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from ingestion.readers import (
    RawTable,
    SourceRef,
    add_flags,
    cast_columns,
    contract_types,
    read_text_table,
    select_contract_order,
    snake_case,
)

DATASET_ID = "frey_osborne__computerisation"
FILE = "frey_osborne_automation_risk_index_clean.csv"

SOURCE_COLUMNS = ["Rank", "Probability", "Label", "SOC code", "Occupation"]
COLUMNS = [snake_case(c) for c in SOURCE_COLUMNS]  # rank, probability, label, soc_code, occupation


def read_computerisation(path: Path, file: str = FILE) -> pl.DataFrame:
    """One row per SOC 2010 occupation with its probability of computerisation."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=SOURCE_COLUMNS)
    frame = cast_columns(frame, ref, contract_types(DATASET_ID, SOURCE_COLUMNS, snake_case))
    frame = frame.rename({c: snake_case(c) for c in SOURCE_COLUMNS})
    previous = pl.col("probability").shift(1).over(order_by="rank")
    frame = add_flags(
        frame,
        [
            ("soc_broad_group", pl.col("soc_code").str.ends_with("0")),
            ("rank_out_of_order", previous.is_not_null() & (pl.col("probability") < previous)),
        ],
    )
    return select_contract_order(frame, COLUMNS)


TABLES = (RawTable.from_contract(DATASET_ID, read_computerisation),)
