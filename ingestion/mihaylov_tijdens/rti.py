"""Mihaylov & Tijdens (2019): routine and non-routine task content of 427 ISCO-08 unit groups.

Per unit group: the shares of its tasks that are non-routine analytic (nra), non-routine
interpersonal (nri), routine cognitive (rc), routine manual (rm) and non-routine manual (nrm),
which sum to 1, and the routine task intensity rti = (rc + rm) - (nra + nri + nrm), in [-1, 1].

Quirks:
- the file is published without a final line break (and with CRLF line ends), so the usual "ends
  with a line break" check for truncation cannot be used; instead the last row must be complete
  and internally consistent (its shares sum to 1 and its rti matches them), otherwise the file is
  taken as cut off; a cut exactly at a line end is caught by the contract's minimum of 427 rows;
- rows whose shares do not sum to 1 or whose rti does not match them are flagged
  (`shares_do_not_sum_to_one`, `rti_inconsistent_with_shares`; none in the published file).
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

DATASET_ID = "mihaylov_tijdens__rti"
FILE = "source_rti_mihaylov_2019.csv"

SHARES = ["nra", "nri", "rc", "rm", "nrm"]
COLUMNS = ["isco08_code", "isco08_title", *SHARES, "rti"]
# Values are rounded to 7 decimals, so the sum of the shares and rc + rm - nra - nri - nrm are off
# by at most 6 x 0.5e-7 = 3e-7 (1e-7 in the published file); more than that is an inconsistency.
TOLERANCE = 5e-7


def _consistency(frame: pl.DataFrame) -> pl.DataFrame:
    total = pl.sum_horizontal([pl.col(c) for c in SHARES])
    implied = pl.col("rc") + pl.col("rm") - pl.col("nra") - pl.col("nri") - pl.col("nrm")
    return frame.with_columns(
        ((total - 1.0).abs() > TOLERANCE).alias("__bad_sum"),
        ((implied - pl.col("rti")).abs() > TOLERANCE).alias("__bad_rti"),
    )


def read_rti(path: Path, file: str = FILE) -> pl.DataFrame:
    """One row per ISCO-08 unit group: five task-content shares and the RTI."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=COLUMNS, require_final_newline=False)
    frame = cast_columns(frame, ref, contract_types(DATASET_ID, COLUMNS))
    frame = _consistency(frame)
    if frame.height:
        last = frame.row(frame.height - 1, named=True)
        if last["__bad_sum"] or last["__bad_rti"] or any(last[c] is None for c in COLUMNS):
            raise ref.error(
                "the last row is incomplete or inconsistent (its shares do not sum to 1 or its "
                "rti does not match them): the file looks truncated",
                row=int(last[ROW]),
                value=",".join("" if last[c] is None else str(last[c]) for c in COLUMNS),
                hint="Re-fetch the file and check its sha256 against the registry",
            )
    frame = add_flags(
        frame,
        [
            ("shares_do_not_sum_to_one", pl.col("__bad_sum")),
            ("rti_inconsistent_with_shares", pl.col("__bad_rti")),
        ],
    ).drop("__bad_sum", "__bad_rti")
    return select_contract_order(frame, COLUMNS)


TABLES = (RawTable.from_contract(DATASET_ID, read_rti),)
