"""The economists' workbook: one sheet per view, frozen header rows, filters, number formats by
unit, no index column, and a data dictionary sheet that documents every column of every other sheet
(description, unit, source). What goes in each sheet is decided here; reporting/xlsx.py writes it
with XlsxWriter.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from ingestion.registry import load_registry
from reporting.matrix import probability_threshold
from reporting.xlsx import FORMULA_PREFIXES, Column, SheetSpec, neutralise_formula, write_xlsx

# the same on every row of a scoring table, and about the run rather than the row: the About sheet
# names the parameter set, scoring.dim_parameter_set holds it
RUN_COLUMNS = ("parameters", "parameter_set_id")

__all__ = ["FORMULA_PREFIXES", "SHEETS", "Sheet", "build_sheets", "neutralise_formula", "number_format",
           "write_workbook"]

SUMMARY = "scoring.fct_service_automation_summary"
QUADRANTS = ("automate_first", "quick_win", "augment", "monitor", "no_value")
MAX_WIDTH = 60
POSTERIOR = "scoring.fct_service_evidence_posterior"
PILOTS = "scoring.fct_pilot_evidence_used"
LINKS = "scoring.fct_service_evidence_link"
SHEETS = (
    "Priority list", "Matrix summary", "Services", "Organisations", "Archetypes",
    "Activities", "Evidence", "Pilots", "Calibration", "UK replication", "Assumptions", "Data dictionary",
    "Sources and licences",
)


@dataclass
class Sheet:
    """One worksheet: its rows, and for each column the (table, column) it was taken from."""

    name: str
    frame: pl.DataFrame
    origin: dict[str, tuple[str, str]] = field(default_factory=dict)
    note: str = ""
    documented: bool = True  # its columns go into the data dictionary
    table: str = ""  # the exported table that holds every row (named when the sheet is capped)
    typed_text: tuple[str, ...] = ()  # text columns whose numbers and timestamps are written as such

    @property
    def columns(self) -> list[tuple[str, str]]:
        return [(n, _sql_type(t)) for n, t in self.frame.schema.items()]


def _sql_type(dtype: pl.DataType) -> str:
    mapping = {pl.String: "VARCHAR", pl.Int64: "BIGINT", pl.Int32: "INTEGER", pl.Float64: "DOUBLE",
               pl.Boolean: "BOOLEAN", pl.Date: "DATE", pl.UInt32: "UINTEGER", pl.Int8: "TINYINT",
               pl.Int16: "SMALLINT", pl.Float32: "FLOAT", pl.UInt64: "UBIGINT"}
    for kind, name in mapping.items():
        if dtype == kind:
            return name
    if isinstance(dtype, pl.Datetime):
        return "TIMESTAMP WITH TIME ZONE" if dtype.time_zone else "TIMESTAMP"
    if isinstance(dtype, pl.Decimal):
        return "DECIMAL"
    return str(dtype).upper()


def _origin(frame: pl.DataFrame, table: str, renamed: Mapping[str, tuple[str, str]] | None = None) -> dict[str, tuple[str, str]]:
    out = {c: (table, c) for c in frame.columns}
    out.update(renamed or {})
    return out


def _select(frame: pl.DataFrame, wanted: Sequence[str]) -> pl.DataFrame:
    return frame.select([c for c in wanted if c in frame.columns])


# --- the sheets --------------------------------------------------------------------------------


def _priority_list(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    summary = frames[SUMMARY]
    archetypes = frames.get("seeds.archetypes")
    if archetypes is not None:
        summary = summary.join(archetypes.select("archetype_id", "archetype_name"), on="archetype_id", how="left")
    columns = [
        "country_code", "priority_rank", "quadrant", "service_name", "organisation_name",
        "organisation_code", "archetype_name", "headline_probability", "probability_p05",
        "probability_p95", "value_gross", "value_gross_p05", "value_gross_p95", "value_net",
        "currency", "price_year", "annual_volume", "labour_cost", "fte", "fte_automatable",
        "hours_automatable", "already_digital_share", "methods_used", "methods_used_ids",
        "probability_null_reason", "value_null_reason", "service_key", "fiscal_year",
    ]
    frame = _select(summary.sort("country_code", "priority_rank", "service_key", "fiscal_year", nulls_last=True), columns)
    return Sheet("Priority list", frame, _origin(frame, SUMMARY, {"archetype_name": ("seeds.archetypes", "archetype_name")}),
                 note="Every service, first priority first within each country (rank 1 = automate first, highest net value).",
                 table=SUMMARY)


def _sum_or_null(column: str) -> pl.Expr:
    """A sum that stays null (unknown) when every value is null: the no_value quadrant has no
    value, not a value of zero."""
    return pl.when(pl.col(column).is_not_null().any()).then(pl.col(column).sum()).alias(column)


def _matrix_summary(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    summary = frames[SUMMARY]
    threshold = probability_threshold(summary)
    totals = summary.group_by("country_code").agg(pl.col("value_gross").sum().alias("_country_value"))
    frame = (
        summary.group_by("country_code", "quadrant")
        .agg(
            pl.len().cast(pl.Int64).alias("services"),
            pl.col("annual_volume").sum().cast(pl.Int64).alias("annual_volume"),
            *[_sum_or_null(c) for c in ("value_gross", "value_net", "fte_automatable")],
            pl.col("headline_probability").mean().alias("mean_probability"),
            pl.col("value_threshold").first().alias("value_threshold"),
            pl.col("currency").first().alias("currency"),
            pl.col("price_year").first().alias("price_year"),
        )
        .join(totals, on="country_code", how="left")
        .with_columns(
            (pl.col("value_gross") / pl.col("_country_value")).alias("value_share"),
            pl.lit(threshold).alias("probability_threshold"),
            pl.col("quadrant").replace_strict({q: i for i, q in enumerate(QUADRANTS)}, default=99,
                                              return_dtype=pl.Int64).alias("_order"),
        )
        .sort("country_code", "_order")
        .select("country_code", "quadrant", "services", "annual_volume", "value_gross", "value_net",
                "value_share", "fte_automatable", "mean_probability", "probability_threshold",
                "value_threshold", "currency", "price_year")
    )
    origin = {c: (SUMMARY, c) for c in ("country_code", "quadrant", "value_threshold", "currency", "price_year")}
    return Sheet("Matrix summary", frame, origin,
                 note="Services, volume and value per country and quadrant of the probability x value matrix.",
                 table=SUMMARY)


def _services(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    dim = frames["marts.dim_service"]
    # volume, hours, FTE and cost as the production model has them (scoring/production.py)
    model = frames.get(SUMMARY)
    frame = dim
    origin = _origin(dim, "marts.dim_service")
    if model is not None:
        extra = [c for c in ("volume_basis", "volume_modelled", "volume_modelled_low", "volume_modelled_high",
                             "currency", "price_year", "delivery_hours", "fte", "labour_cost",
                             "labour_cost_basis", "labour_cost_null_reason", "reported_cost_per_transaction",
                             "modelled_cost_per_transaction", "explanation")
                 if c in model.columns and c not in dim.columns]
        frame = dim.join(model.select("service_key", "fiscal_year", *extra), on=["service_key", "fiscal_year"], how="left")
        origin.update({c: (SUMMARY, c) for c in extra})
    frame = frame.sort("country_code", "organisation_code", "service_name")
    return Sheet("Services", frame, origin,
                 note="Every service with its organisation, type, volume (reported or modelled), hours, FTE and labour cost.",
                 table="marts.dim_service")


def _organisation_names(frames: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    return (frames[SUMMARY].group_by("country_code", "organisation_code")
            .agg(pl.col("organisation_name").drop_nulls().first()))


def _organisations(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    table = "scoring.agg_automation_by_organisation"
    agg = frames[table]
    frame = agg.join(_organisation_names(frames), on=["country_code", "organisation_code"], how="left")
    frame = frame.select("country_code", "organisation_code", "organisation_name",
                         *[c for c in agg.columns if c not in ("country_code", "organisation_code", *RUN_COLUMNS)])
    frame = frame.sort(["country_code", "value_gross"], descending=[False, True], nulls_last=True)
    return Sheet("Organisations", frame, _origin(frame, table, {"organisation_name": (SUMMARY, "organisation_name")}),
                 note="Per organisation: services, volume, value and volume-weighted probability.", table=table)


def _archetypes(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    table = "scoring.agg_automation_by_archetype"
    agg = frames[table]
    seed = frames.get("seeds.archetypes")
    frame = agg
    origin = _origin(agg, table)
    if seed is not None:
        extra = [c for c in ("archetype_name", "involves_case_decision") if c in seed.columns]
        frame = agg.join(seed.select("archetype_id", *extra), on="archetype_id", how="left")
        origin.update({c: ("seeds.archetypes", c) for c in extra})
        frame = frame.select("country_code", "archetype_id", *extra,
                             *[c for c in agg.columns if c not in ("country_code", "archetype_id")])
    frame = frame.drop(*RUN_COLUMNS, strict=False).sort(["country_code", "value_gross"], descending=[False, True], nulls_last=True)
    return Sheet("Archetypes", frame, origin, note="Per service archetype: services, volume, value and probability.",
                 table=table)


# top-down, bottom-up and combined side by side (docs/evidence.md): sheet column -> table column
EVIDENCE_RENAMED = {
    "top_down_probability": "prior_mean",
    "bottom_up_share": "evidence_mean_share",
    "combined_probability": "posterior_mean",
}
EVIDENCE_COLUMNS = (
    "country_code", "service_key", "fiscal_year", "service_name", "organisation_code", "archetype_id",
    "top_down_probability", "bottom_up_share", "combined_probability", "posterior_shift",
    "is_shift_reported", "prior_p05", "prior_p95", "posterior_p05", "posterior_p95", "own_pilots",
    "borrowed_pilots", "evidence_observations", "evidence_ids", "quadrant", "priority_rank",
    "value_of_information", "voi_rank", "currency", "price_year",
)
PILOT_COLUMNS = (
    "evidence_id", "publisher", "publication_year", "source", "source_url", "country_code",
    "organisation_code", "service_key", "activity_ids", "automated_task", "published_figure",
    "published_unit", "derivation", "derivation_assumption_ids", "observed_share", "design",
    "quality_rating", "sample_size", "sample_unit", "effective_observations", "is_usable",
    "unusable_reason", "services_informed", "services_moved",
)


def _evidence(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    """The services a pilot informs: top-down, bottom-up and combined probability side by side,
    largest shift first."""
    table = frames.get(POSTERIOR)
    if table is None:
        table = pl.DataFrame(schema={c: pl.String for c in ("service_key", "fiscal_year")})
    frame = table.rename({v: k for k, v in EVIDENCE_RENAMED.items() if v in table.columns})
    if "evidence_observations" in frame.columns:
        frame = frame.filter(pl.col("evidence_observations") > 0)
    if "posterior_shift" in frame.columns:
        frame = frame.sort(pl.col("posterior_shift").abs(), "service_key", descending=[True, False])
    frame = _select(frame, EVIDENCE_COLUMNS)
    origin = _origin(frame, POSTERIOR, {k: (POSTERIOR, v) for k, v in EVIDENCE_RENAMED.items()})
    return Sheet("Evidence", frame, origin,
                 note="Services that published pilots inform: the top-down probability, what the pilots say "
                      "(bottom-up) and the combined Beta posterior side by side, largest shift first (docs/evidence.md).",
                 table=POSTERIOR)


def _pilots(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    """Every pilot of the seed with its publication, the share it gives, whether it is used and how
    many services it informs and moves beyond A137."""
    table = frames.get(PILOTS)
    if table is None:
        table = pl.DataFrame(schema={"evidence_id": pl.String})
    links, posterior = frames.get(LINKS), frames.get(POSTERIOR)
    reach = pl.DataFrame(schema={"evidence_id": pl.String, "services_informed": pl.Int64, "services_moved": pl.Int64})
    if links is not None and posterior is not None and links.height:
        moved = posterior.filter(pl.col("is_shift_reported")).select("service_key", "fiscal_year")
        reach = links.group_by("evidence_id").agg(pl.len().cast(pl.Int64).alias("services_informed")).join(
            links.join(moved, on=["service_key", "fiscal_year"], how="semi")
            .group_by("evidence_id").agg(pl.len().cast(pl.Int64).alias("services_moved")),
            on="evidence_id", how="left",
        )
    frame = table.join(reach, on="evidence_id", how="left").with_columns(
        pl.col("services_informed").fill_null(0), pl.col("services_moved").fill_null(0)
    ).sort("evidence_id")
    frame = _select(frame, PILOT_COLUMNS)
    return Sheet("Pilots", frame, _origin(frame, PILOTS),
                 note="Every published pilot entered in seeds/pilot_evidence.csv: publisher, year, link, the figure "
                      "as published and the share derived from it, design and quality, and how many services it informs.",
                 table=PILOTS)


def _plain(frames: Mapping[str, pl.DataFrame], name: str, table: str, note: str, drop: Sequence[str] = (),
           typed_text: Sequence[str] = ()) -> Sheet:
    frame = frames[table].drop(list(drop), strict=False)
    return Sheet(name, frame, _origin(frame, table), note=note, table=table,
                 typed_text=tuple(c for c in typed_text if frame.schema.get(c) == pl.String))


def _sources(load_log: Sequence[Mapping[str, Any]]) -> Sheet:
    registry = load_registry()
    rows = []
    for row in load_log:
        source = registry.get(str(row["dataset_id"]))
        rows.append({
            "dataset_id": row["dataset_id"],
            "table_name": row["table_name"],
            "publisher": source.publisher if source else "",
            "title": source.title if source else "",
            "licence": source.licence if source else "",
            "landing_page": source.landing_page if source else "",
            "source_files": row["source_files"],
            "source_sha256": row["source_sha256"],
            "loaded_at": row["loaded_at"],
            "row_count": row["row_count"],
            "flagged_rows": row["flagged_rows"],
        })
    schema = {"dataset_id": pl.String, "table_name": pl.String, "publisher": pl.String, "title": pl.String,
              "licence": pl.String, "landing_page": pl.String, "source_files": pl.String,
              "source_sha256": pl.String, "loaded_at": pl.Datetime("us", "UTC"), "row_count": pl.Int64,
              "flagged_rows": pl.Int64}
    frame = pl.DataFrame(rows, schema=schema, orient="row") if rows else pl.DataFrame(schema=schema)
    origin = {c: ("raw._load_log", c) for c in ("dataset_id", "table_name", "source_files", "source_sha256",
                                                "loaded_at", "row_count", "flagged_rows")}
    origin.update({c: ("registry.sources", c) for c in ("publisher", "title", "licence", "landing_page")})
    return Sheet("Sources and licences", frame, origin,
                 note="Every raw table behind this version: publisher, licence, file and sha256.", table="")


def _about(publication: Mapping[str, str], sheets: Sequence[Sheet], summary: pl.DataFrame) -> Sheet:
    parameter_sets = summary["parameter_set_id"].unique().sort().to_list() if "parameter_set_id" in summary.columns else []
    rows = [
        ("publish_id", publication.get("publish_id", "")),
        ("published_at", publication.get("published_at", "")),
        ("run_id", publication.get("run_id", "")),
        *[("parameter_set_id", f"{p}: the model's parameters and assumptions in this version "
           "(scoring.dim_parameter_set; the Assumptions sheet lists the register)") for p in parameter_sets if p],
        ("read_from", "the published warehouse (published/atlas.duckdb): marts, scoring and seeds schemas"),
    ]
    rows += [(f"sheet: {s.name}", s.note) for s in sheets]
    rows.append(("sheet: Data dictionary", "Every column of every sheet and every exported table: type, description, unit and source."))
    frame = pl.DataFrame(rows, schema={"item": pl.String, "value": pl.String}, orient="row")
    return Sheet("About", frame, {}, note="What this workbook is and which published version it comes from "
                 "(published_at in UTC).", typed_text=("value",))


def build_sheets(
    frames: Mapping[str, pl.DataFrame],
    load_log: Sequence[Mapping[str, Any]],
    publication: Mapping[str, str],
) -> list[Sheet]:
    """Every sheet but the data dictionary, in workbook order ('About' first)."""
    sheets = [
        _priority_list(frames),
        _matrix_summary(frames),
        _services(frames),
        _organisations(frames),
        _archetypes(frames),
        _plain(frames, "Activities", "scoring.agg_automation_by_activity",
               "Per country and activity (the general procedures): services, hours, labour cost, automatable hours and value.",
               drop=list(RUN_COLUMNS)),
        _evidence(frames),
        _pilots(frames),
        _plain(frames, "Calibration", "scoring.fct_unit_cost_calibration",
               "UK services with a reported cost per transaction: reported against predicted, in sample and leave-one-out (A207).",
               drop=list(RUN_COLUMNS)),
        _plain(frames, "UK replication", "scoring.uk_replication",
               "The Turing Institute's UK arithmetic on the 2012-13 Transactions Explorer, ours beside theirs.",
               drop=list(RUN_COLUMNS)),
        _plain(frames, "Sensitivity", "scoring.fct_sensitivity",
               "One-at-a-time sensitivity: each numeric assumption of the scoring stage at its low and high, "
               "the others central, and how far it moves each headline figure (swing_rank 1 = moves it most)."),
        _plain(frames, "Assumptions", "seeds.assumptions",
               "Every modelling assumption: id, parameter, value, range, unit, evidence (source or judgement), "
               "quality rating with its reason, source, reason, alternative. A value, low or high that is a "
               "number is written as a number (in the row's unit), any other as text.",
               typed_text=("value", "low", "high")),
        _sources(load_log),
    ]
    return [_about(publication, sheets, frames[SUMMARY]), *sheets]


# --- writing -----------------------------------------------------------------------------------

# Rows a per-service sheet shows at most (Excel's own limit is 1,048,576): at 100 times the services
# and five fiscal years the services would not fit, and a sheet that size is of little use in a
# spreadsheet. A capped sheet says so in its first row and names the export that holds every row.
MAX_SHEET_ROWS = 100_000
HEADER_ROWS = 3  # the sheet's note, the columns' labels, the columns' names
INTEGER = "#,##0"
# words of column names written out in the label row
LABEL_WORDS = {
    "fte": "FTE", "ftes": "FTEs", "id": "ID", "ids": "IDs", "uk": "UK", "gc": "GC", "url": "URL",
    "sha256": "SHA-256", "cad": "CAD", "gbp": "GBP", "usd": "USD", "loo": "leave-one-out",
    "voi": "value of information", "p05": "(5th percentile)", "p50": "(median)", "p95": "(95th percentile)",
    "oews": "OEWS", "soc": "SOC", "isco": "ISCO", "onet": "O*NET", "iwa": "IWA", "dwa": "DWA",
    "n": "number of", "pct": "%", "json": "JSON", "ai": "AI", "gpt4": "GPT-4",
}


def column_label(column: str) -> str:
    """A readable label for a snake_case column name: 'value_gross_p05' -> 'Value gross (5th
    percentile)'."""
    words = [LABEL_WORDS.get(w, w) for w in column.split("_") if w]
    text = " ".join(words) or column
    return text[:1].upper() + text[1:]


def _magnitude(column: str, small: str, large: str, limit: float = 10.0) -> pl.Expr:
    """Per cell: `small` (more decimals) where 0 < |value| < limit, else `large`."""
    value = pl.col(column).cast(pl.Float64, strict=False).abs()
    return pl.when((value > 0) & (value < limit)).then(pl.lit(small)).otherwise(pl.lit(large))


def _by_magnitude(column: str) -> pl.Expr:
    """Per cell, for a number whose unit says nothing about its format: whole numbers and
    thousands as integers, others with two or three decimals, tiny ones in scientific notation."""
    value = pl.col(column).cast(pl.Float64, strict=False)
    size = value.abs()
    return (pl.when((size >= 1000) | (value == value.round(0))).then(pl.lit(INTEGER))
            .when(size >= 1).then(pl.lit("#,##0.00"))
            .when(size >= 0.001).then(pl.lit("0.000"))
            .otherwise(pl.lit("0.00E+00")))


def _unit_format(unit: str, dtype: pl.DataType, column: str) -> str | pl.Expr | None:
    """The format a unit calls for, or None when it says nothing (or the column is not a number)."""
    unit = unit.lower()
    if not (dtype.is_numeric() or isinstance(dtype, pl.Decimal)):
        return None
    if unit == "year" or unit.startswith(("rank", "order", "position", "job zone")):
        return "0"
    if "probability" in unit or ("in [0, 1]" in unit and "share" not in unit):
        return "0.000"
    if "share" in unit:
        return "0.0%"
    if any(word in unit for word in ("money", "cad", "gbp", "usd", "currency", "dollars", "pounds")):
        # currency: an amount per transaction (or per anything) with pence and cents; a yearly
        # amount in whole units, but with cents where a value is below 10 (a cost per transaction
        # of GBP 0.01-0.73 must not show as 0 or 1)
        if " per " in f" {unit} ":
            return "#,##0.00"
        return _magnitude(column, "#,##0.00", INTEGER) if column else INTEGER
    if any(word in unit for word in ("hours", "full-time", "minutes")):
        return _magnitude(column, "#,##0.00", "#,##0.0") if column else "#,##0.0"
    if unit.startswith(("count", "persons", "observations", "transactions", "applications", "enquiries",
                        "visits", "services")):
        return INTEGER
    return None


ROW_UNIT = re.compile(r"^as in (?:the )?(unit column of the row|[a-z0-9_]+)$")


def number_format(unit: str, dtype: pl.DataType, column: str = "", frame: pl.DataFrame | None = None) -> str | pl.Expr | None:
    """The Excel number format of a column, from its unit (the data dictionary's, which comes from
    the column docs or the naming rules) and, where the unit leaves it open, each value's magnitude:
    then an expression giving each cell's format. A unit "as in <column>" (or "as in the unit
    column of the row") takes each row's unit from that column of `frame`. None: the cell is text
    or true/false."""
    if dtype == pl.Boolean:
        return None
    if isinstance(dtype, pl.Datetime):
        return "yyyy-mm-dd hh:mm:ss"
    if dtype == pl.Date:
        return "yyyy-mm-dd"
    numeric = dtype.is_numeric() or isinstance(dtype, pl.Decimal)
    match = ROW_UNIT.match(unit.strip().lower())
    if match and frame is not None and column:
        source = "unit" if match.group(1) == "unit column of the row" else match.group(1)
        if source in frame.columns and frame.schema[source] == pl.String and source != column:
            codes = {u: _unit_format(u, pl.Float64, "") for u in frame[source].drop_nulls().unique().to_list()}
            mapping = {u: code for u, code in codes.items() if isinstance(code, str)}
            return (pl.col(source).replace_strict(mapping, default=None, return_dtype=pl.String)
                    .fill_null(_by_magnitude(column)))
    if not numeric:
        return None
    found = _unit_format(unit, dtype, column)
    if found is not None:
        return found
    if dtype.is_integer():
        return INTEGER
    return _by_magnitude(column) if column else "#,##0.00##"


def _widths(frame: pl.DataFrame, labels: Sequence[str]) -> list[float]:
    widths = []
    for column, label in zip(frame.columns, labels, strict=True):
        width = max(10, len(column) + 2, min(len(label), 30) + 2)
        sample = frame.get_column(column).head(200)
        if sample.dtype == pl.String:
            lengths = sample.drop_nulls().str.len_chars()
            if len(lengths):
                width = max(width, int(lengths.quantile(0.9) or 0) + 2)
        elif isinstance(sample.dtype, pl.Datetime):
            width = max(width, 20)
        elif sample.dtype.is_numeric():
            width = max(width, 14)
        widths.append(min(MAX_WIDTH, width))
    return widths


def _cap(sheet: Sheet, max_rows: int) -> tuple[pl.DataFrame, str]:
    """The rows the sheet shows and its note: at most `max_rows`, split evenly between countries
    when it has a country column (so that the UK is not cut to make room for Canada)."""
    frame = sheet.frame
    if frame.height <= max_rows:
        return frame, sheet.note
    where = f"tables/{sheet.table}.parquet and .csv" if sheet.table else "the Parquet and CSV exports in tables/"
    if "country_code" in frame.columns:
        countries = max(1, frame["country_code"].n_unique())
        per_country = max(1, max_rows // countries)
        shown = frame.filter(pl.int_range(pl.len()).over("country_code") < per_country)
        how = f"the first {per_country:,} rows of each country"
    else:
        shown = frame.head(max_rows)
        how = f"the first {max_rows:,} rows"
    note = (f"{sheet.note} CAPPED: this sheet shows {how} ({shown.height:,} of {frame.height:,}), in the "
            f"order described; every row is in {where} in the same folder.")
    return shown, note


def write_workbook(path: Path, sheets: Sequence[Sheet], dictionary: pl.DataFrame,
                   max_rows: int = MAX_SHEET_ROWS, fast: bool = True) -> dict[str, int]:
    """Write the sheets and the data dictionary; returns rows shown per sheet (in workbook order).

    Every sheet has three header rows: what it holds (and, for a capped sheet, where every row
    is), a readable label per column, and the column names the data dictionary documents; the
    panes are frozen below them and the auto filter sits on the names."""
    units = {(r["object_name"], r["column_name"]): r["unit"] for r in
             dictionary.filter(pl.col("object_kind") == "sheet").iter_rows(named=True)}
    ordered: list[Sheet] = []
    for sheet in sheets:
        # the dictionary sits after the views it documents, the sources last (the order)
        if sheet.name == "Sources and licences":
            ordered.append(_dictionary_sheet(dictionary))
        ordered.append(sheet)
    if not any(s.name == "Data dictionary" for s in ordered):
        ordered.append(_dictionary_sheet(dictionary))
    shown = {s.name: _cap(s, max_rows) for s in ordered}
    notes = {f"sheet: {name}": note for name, (_frame, note) in shown.items()}
    specs: list[SheetSpec] = []
    written: dict[str, int] = {}
    for sheet in ordered:
        frame, note = shown[sheet.name]
        if sheet.name == "About":
            frame = frame.with_columns(pl.col("item").replace_strict(notes, default=None).fill_null(pl.col("value"))
                                       .alias("value"))
        columns = [
            Column(number_format(units.get((sheet.name, c), ""), t, c, frame), typed_text=c in sheet.typed_text)
            for c, t in frame.schema.items()
        ]
        labels = [column_label(c) for c in frame.columns]
        specs.append(SheetSpec(
            sheet.name, frame, columns,
            header=[("note", [note]), ("label", labels), ("names", frame.columns)],
            widths=_widths(frame, labels), filter_row=HEADER_ROWS,
        ))
        written[sheet.name] = frame.height
    write_xlsx(path, specs, fast=fast)
    return written


def _dictionary_sheet(dictionary: pl.DataFrame) -> Sheet:
    return Sheet("Data dictionary", dictionary, {}, documented=False,
                 note="Every column of every sheet (object_kind sheet) and every exported table (object_kind "
                      "table): type, description, unit and source.")
