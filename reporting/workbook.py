"""The economists' workbook (openpyxl): one sheet per view, frozen header row, filters, number
formats by unit, no index column, and a data dictionary sheet that documents every column of every
other sheet (description, unit, source).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import polars as pl
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from ingestion.registry import load_registry

SUMMARY = "scoring.fct_service_automation_summary"
QUADRANTS = ("automate_first", "quick_win", "augment", "monitor", "no_value")
HEADER_FONT = Font(bold=True, color="FFFFFF")
HEADER_FILL = PatternFill("solid", fgColor="1F4E78")
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
                 note="Every service, first priority first within each country (rank 1 = automate first, highest net value).")


def _sum_or_null(column: str) -> pl.Expr:
    """A sum that stays null (unknown) when every value is null: the no_value quadrant has no
    value, not a value of zero."""
    return pl.when(pl.col(column).is_not_null().any()).then(pl.col(column).sum()).alias(column)


def _matrix_summary(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    summary = frames[SUMMARY]
    threshold = 0.7
    for text in summary["parameters"].drop_nulls().head(1).to_list():
        threshold = float(json.loads(text).get("probability_threshold", threshold))
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
                 note="Services, volume and value per country and quadrant of the probability x value matrix.")


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
                 note="Every service with its organisation, type, volume (reported or modelled), hours, FTE and labour cost.")


def _organisation_names(frames: Mapping[str, pl.DataFrame]) -> pl.DataFrame:
    return (frames[SUMMARY].group_by("country_code", "organisation_code")
            .agg(pl.col("organisation_name").drop_nulls().first()))


def _organisations(frames: Mapping[str, pl.DataFrame]) -> Sheet:
    table = "scoring.agg_automation_by_organisation"
    agg = frames[table]
    frame = agg.join(_organisation_names(frames), on=["country_code", "organisation_code"], how="left")
    frame = frame.select("country_code", "organisation_code", "organisation_name",
                         *[c for c in agg.columns if c not in ("country_code", "organisation_code", "parameters")])
    frame = frame.sort(["country_code", "value_gross"], descending=[False, True], nulls_last=True)
    return Sheet("Organisations", frame, _origin(frame, table, {"organisation_name": (SUMMARY, "organisation_name")}),
                 note="Per organisation: services, volume, value and volume-weighted probability.")


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
    frame = frame.drop("parameters", strict=False).sort(["country_code", "value_gross"], descending=[False, True], nulls_last=True)
    return Sheet("Archetypes", frame, origin, note="Per service archetype: services, volume, value and probability.")


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
                      "(bottom-up) and the combined Beta posterior side by side, largest shift first (docs/evidence.md).")


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
                      "as published and the share derived from it, design and quality, and how many services it informs.")


def _plain(frames: Mapping[str, pl.DataFrame], name: str, table: str, note: str, drop: Sequence[str] = ()) -> Sheet:
    frame = frames[table].drop(list(drop), strict=False)
    return Sheet(name, frame, _origin(frame, table), note=note)


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
                 note="Every raw table behind this version: publisher, licence, file and sha256.")


def _about(publication: Mapping[str, str], sheets: Sequence[Sheet]) -> Sheet:
    rows = [
        ("publish_id", publication.get("publish_id", "")),
        ("published_at", publication.get("published_at", "")),
        ("run_id", publication.get("run_id", "")),
        ("read_from", "the published warehouse (published/atlas.duckdb): marts, scoring and seeds schemas"),
    ]
    rows += [(f"sheet: {s.name}", s.note) for s in sheets]
    rows.append(("sheet: Data dictionary", "Every column of every sheet and every exported table: type, description, unit and source."))
    frame = pl.DataFrame(rows, schema={"item": pl.String, "value": pl.String}, orient="row")
    return Sheet("About", frame, {}, note="What this workbook is and which published version it comes from.")


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
               drop=["parameters"]),
        _evidence(frames),
        _pilots(frames),
        _plain(frames, "Calibration", "scoring.fct_unit_cost_calibration",
               "UK services with a reported cost per transaction: reported against predicted, in sample and leave-one-out (A207).",
               drop=["parameters"]),
        _plain(frames, "UK replication", "scoring.uk_replication",
               "The Turing Institute's UK arithmetic on the 2012-13 Transactions Explorer, ours beside theirs.",
               drop=["parameters"]),
        _plain(frames, "Sensitivity", "scoring.fct_sensitivity",
               "One-at-a-time sensitivity: each numeric assumption of the scoring stage at its low and high, "
               "the others central, and how far it moves each headline figure (swing_rank 1 = moves it most)."),
        _plain(frames, "Assumptions", "seeds.assumptions",
               "Every modelling assumption: id, parameter, value, range, unit, evidence (source or judgement), "
               "quality rating with its reason, source, reason, alternative."),
        _sources(load_log),
    ]
    return [_about(publication, sheets), *sheets]


# --- writing -----------------------------------------------------------------------------------


def number_format(unit: str, dtype: pl.DataType) -> str | None:
    """An Excel number format for a column, from its unit."""
    unit = unit.lower()
    if dtype == pl.Boolean or dtype == pl.String:
        return None
    if isinstance(dtype, pl.Datetime):
        return "yyyy-mm-dd hh:mm:ss"
    if dtype == pl.Date:
        return "yyyy-mm-dd"
    if unit == "year" or "rank" in unit:
        return "0"
    if "probability" in unit or "score in [0, 1]" in unit:
        return "0.000"
    if "share" in unit:
        return "0.0%"
    if "money per" in unit:
        return "#,##0.00"
    if "money" in unit or "cad" in unit or "gbp" in unit or "usd" in unit:
        return "#,##0"
    if "full-time" in unit or "hours" in unit:
        return "#,##0.0"
    if dtype in (pl.Int64, pl.Int32, pl.Int16, pl.Int8, pl.UInt32, pl.UInt64):
        return "#,##0"
    if dtype in (pl.Float64, pl.Float32):
        return "#,##0.00##"
    return None


# Characters that make a spreadsheet read a cell as a formula (OWASP, CSV injection): a text cell
# starting with one of them gets a leading apostrophe, so that it stays text.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def neutralise_formula(text: str) -> str:
    """`text`, with a leading apostrophe when a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _excel_value(value: Any) -> Any:
    if isinstance(value, str):
        return neutralise_formula(value)
    if isinstance(value, datetime):
        return value.replace(tzinfo=None)  # Excel has no time zones; the unit says UTC
    if isinstance(value, (list, dict, tuple)):
        return json.dumps(value, default=str)
    if isinstance(value, float) and value != value:  # NaN
        return None
    if isinstance(value, (str, int, float, bool, date)) or value is None:
        return value
    return str(value)


def _write_sheet(workbook: Workbook, name: str, frame: pl.DataFrame, formats: Sequence[str | None]) -> None:
    sheet = workbook.create_sheet(title=name)
    sheet.freeze_panes = "A2"
    widths = [min(MAX_WIDTH, max(10, len(c) + 2)) for c in frame.columns]
    for i, column in enumerate(frame.columns):
        sample = frame.get_column(column).head(200).cast(pl.String, strict=False).drop_nulls()
        if len(sample):
            widths[i] = min(MAX_WIDTH, max(widths[i], int(sample.str.len_chars().quantile(0.9) or 0) + 2))
        sheet.column_dimensions[get_column_letter(i + 1)].width = widths[i]
    header = []
    for column in frame.columns:
        cell = WriteOnlyCell(sheet, value=column)
        cell.font = HEADER_FONT
        cell.fill = HEADER_FILL
        cell.alignment = Alignment(vertical="top")
        header.append(cell)
    sheet.append(header)
    for row in frame.iter_rows():
        cells = []
        for value, fmt in zip(row, formats, strict=True):
            cell = WriteOnlyCell(sheet, value=_excel_value(value))
            if fmt:
                cell.number_format = fmt
            cells.append(cell)
        sheet.append(cells)
    if frame.width:
        sheet.auto_filter.ref = f"A1:{get_column_letter(frame.width)}{max(1, frame.height + 1)}"


def write_workbook(path: Path, sheets: Sequence[Sheet], dictionary: pl.DataFrame) -> dict[str, int]:
    """Write the sheets and the data dictionary; returns rows per sheet (in workbook order)."""
    units = {(r["object_name"], r["column_name"]): r["unit"] for r in
             dictionary.filter(pl.col("object_kind") == "sheet").iter_rows(named=True)}
    workbook = Workbook(write_only=True)
    written: dict[str, int] = {}
    ordered = list(sheets)
    # the dictionary sits after the views it documents, the sources last (the order)
    for sheet in ordered:
        if sheet.name == "Sources and licences":
            _write_sheet(workbook, "Data dictionary", dictionary, [None] * dictionary.width)
            written["Data dictionary"] = dictionary.height
        formats = [number_format(units.get((sheet.name, c), ""), t) for c, t in sheet.frame.schema.items()]
        _write_sheet(workbook, sheet.name, sheet.frame, formats)
        written[sheet.name] = sheet.frame.height
    if "Data dictionary" not in written:
        _write_sheet(workbook, "Data dictionary", dictionary, [None] * dictionary.width)
        written["Data dictionary"] = dictionary.height
    path.parent.mkdir(parents=True, exist_ok=True)
    workbook.save(path)
    return written
