"""Government of Canada Service Inventory (TBS), fiscal year 2023-24 file `si_2024.csv`.

One row per service and fiscal year. Counts use two markers instead of numbers: "NA" (not
applicable: the service has no such channel) and "ND" (no data: applicable but not collected). Both
become null, and the reason is kept in a `<count>_status` column ("reported", "not_applicable",
"no_data") because "zero", "not offered" and "unknown" mean different things for the automation map.
Stage flags are "Y", "N" or "NA" and become booleans (null = the stage does not apply).
Also reads `serv_prog.csv`, the service-to-programme link table for earlier years.
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
    split_markers,
)

DATASET_ID = "tbs_canada__service_inventory"

SI_COLUMNS = [
    "fiscal_yr",
    "service_id",
    "service_name_en",
    "service_name_fr",
    "service_description_en",
    "service_description_fr",
    "service_type",
    "service_recipient_type",
    "service_scope",
    "client_target_groups",
    "program_id",
    "program_name_en",
    "program_name_fr",
    "client_feedback_channel",
    "automated_decision_system",
    "automated_decision_system_description_en",
    "automated_decision_system_description_fr",
    "service_fee",
    "os_account_registration",
    "os_authentication",
    "os_application",
    "os_decision",
    "os_issuance",
    "os_issue_resolution_feedback",
    "os_comments_client_interaction_en",
    "os_comments_client_interaction_fr",
    "last_service_review",
    "last_service_improvement",
    "sin_usage",
    "cra_bn_identifier_usage",
    "num_phone_enquiries",
    "num_applications_by_phone",
    "num_website_visits",
    "num_applications_online",
    "num_applications_in_person",
    "num_applications_by_mail",
    "num_applications_by_email",
    "num_applications_by_fax",
    "num_applications_by_other",
    "num_applications_total",
    "special_remarks_en",
    "special_remarks_fr",
    "service_uri_en",
    "service_uri_fr",
    "owner_org",
    "owner_org_title",
]
COUNT_COLUMNS = [c for c in SI_COLUMNS if c.startswith("num_")]
FLAG_COLUMNS = [
    "automated_decision_system",
    "service_fee",
    "os_account_registration",
    "os_authentication",
    "os_application",
    "os_decision",
    "os_issuance",
    "os_issue_resolution_feedback",
    "sin_usage",
    "cra_bn_identifier_usage",
]
MARKERS = {"NA": "not_applicable", "ND": "no_data"}
FLAG_VALUES = {"Y", "N", "NA"}


def _flags_to_boolean(frame: pl.DataFrame, ref: SourceRef) -> pl.DataFrame:
    for column in FLAG_COLUMNS:
        values = frame.get_column(column).str.strip_chars()
        bad = values.is_not_null() & (values != "") & ~values.is_in(list(FLAG_VALUES))
        if bad.any():
            idx = bad.arg_true()[0]
            raise ref.error(
                "expected Y, N or NA",
                column=column,
                row=int(frame.get_column(ROW)[idx]),
                value=values[idx],
            )
    return frame.with_columns(
        [
            pl.when(pl.col(c).str.strip_chars() == "Y")
            .then(True)
            .when(pl.col(c).str.strip_chars() == "N")
            .then(False)
            .otherwise(None)
            .alias(c)
            for c in FLAG_COLUMNS
        ]
    )


def read_service_inventory(path: Path, file: str = "si_2024.csv") -> pl.DataFrame:
    """Typed service inventory: one row per (service_id, fiscal_yr), markers kept as statuses."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=SI_COLUMNS)
    # NA/ND become nulls, with a `<count>_status` saying why the number is missing.
    frame = split_markers(frame, COUNT_COLUMNS, MARKERS, blank="missing")
    frame = _flags_to_boolean(frame, ref)
    frame = cast_columns(frame, ref, contract_types(DATASET_ID, COUNT_COLUMNS))
    text_columns = [c for c in SI_COLUMNS if c not in COUNT_COLUMNS and c not in FLAG_COLUMNS]
    frame = frame.with_columns(
        [pl.col(c).str.strip_chars().alias(c) for c in text_columns]
    ).with_columns(
        # Programme names are published wrapped in stray quote marks: 'Registry Services'.
        [pl.col(c).str.strip_chars("'\"") for c in ("program_name_en", "program_name_fr")]
    )
    channels = [
        c
        for c in COUNT_COLUMNS
        if c.startswith("num_applications_") and c != "num_applications_total"
    ]
    reported_sum = pl.sum_horizontal([pl.col(c).fill_null(0) for c in channels])
    frame = add_flags(
        frame,
        [
            ("total_missing", pl.col("num_applications_total").is_null()),
            (
                "channels_exceed_total",
                pl.col("num_applications_total").is_not_null()
                & (reported_sum > pl.col("num_applications_total")),
            ),
        ],
    )
    columns = SI_COLUMNS + [f"{c}_status" for c in COUNT_COLUMNS]
    return select_contract_order(frame, columns)


SP_COLUMNS = ["fiscal_yr", "service_id", "program_id"]


def read_service_programmes(path: Path, file: str = "serv_prog.csv") -> pl.DataFrame:
    """Service-to-programme links by fiscal year (2018-19 to 2022-23): one row per link."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=SP_COLUMNS)
    frame = cast_columns(frame, ref, {c: pl.String() for c in SP_COLUMNS})
    return select_contract_order(frame, SP_COLUMNS)


TABLES = (
    RawTable.from_contract(DATASET_ID, read_service_inventory),
    RawTable.from_contract(f"{DATASET_ID}__service_programmes", read_service_programmes),
)
