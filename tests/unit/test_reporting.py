"""Exports, workbook, data dictionary and charts on a small synthetic published warehouse (no
pipeline run): the latest pointer, the sheets, the units and the pages."""

from __future__ import annotations

import json
import os
import re
import signal
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path
from xml.etree import ElementTree

import duckdb
import polars as pl
import pytest
from openpyxl import load_workbook

import reporting.exports as exports
from ingestion.fetch import sha256_of
from ingestion.sql import qualified
from publishing.publish import exact_digest, rollback
from reporting.chart_set import CHARTS, PARTS, draw_charts
from reporting.chart_set import main as chart_set_main
from reporting.charts import draw_matrix, organisation_label, organisations_png
from reporting.dictionary import (
    DICTIONARY_SCHEMA,
    column_descriptions,
    describe,
    infer_unit,
    table_docs,
)
from reporting.exports import (
    ExportError,
    _csv_ready,
    current_export,
    export_table,
    follow_published,
    prune,
    read,
    write_exports,
)
from reporting.interactive import label_size, matrix_html, page_points
from reporting.labels import Box, overlapping_pairs, place_labels
from reporting.matrix import (
    label_text,
    matrix_points,
    money,
    no_value_reasons,
    panels,
    probability_threshold,
)
from reporting.workbook import (
    HEADER_ROWS,
    SHEETS,
    Sheet,
    column_label,
    number_format,
    write_workbook,
)

PUBLISH_ID = "20260101T120000Z-abcdef12"
MANIFEST = Path(__file__).resolve().parents[2] / "dbt_project" / "target" / "manifest.json"
PARAMETER_SET = "ps-0123456789abcdef"


def _summary() -> pl.DataFrame:
    rows = []
    for i in range(12):
        country = "CA" if i < 8 else "UK"
        placed = i not in (3, 9)  # two services without a value: listed, not drawn
        p = 0.3 + 0.05 * i
        value = 10.0 ** (3 + i % 5) if placed else None
        rows.append({
            "service_key": f"{country}-{i}", "fiscal_year": "2023-2024" if country == "CA" else "2012-2013",
            "country_code": country, "organisation_code": f"ORG{i % 3}", "organisation_name": f"Organisation {i % 3}",
            "service_name": f"Service <{i}> & co", "archetype_id": ["benefit", "licence", "info"][i % 3],
            "involves_case_decision": i % 3 == 0, "customer_type": "Citizen", "annual_volume": 1000 * (i + 1),
            "currency": "CAD" if country == "CA" else "GBP", "price_year": 2024 if country == "CA" else 2012,
            "labour_cost": 1e6, "fte": 10.0 if country == "CA" else None,
            "headline_probability": p, "method_min_probability": p - 0.1, "method_max_probability": p + 0.1,
            "methods_used": 3, "methods_used_ids": "a,b,c", "probability_null_reason": None,
            "already_digital_share": 0.5, "value_gross": value, "value_net": None if value is None else value / 2,
            "fte_automatable": 5.0, "hours_automatable": 8000.0,
            "value_null_reason": None if placed else "no labour cost",
            "probability_p05": p - 0.2, "probability_p50": p, "probability_p95": min(1.0, p + 0.2),
            "value_gross_p05": None if value is None else value / 3, "value_gross_p50": value,
            "value_gross_p95": None if value is None else value * 3,
            "value_threshold": 1e6, "is_highly_automatable": p >= 0.75, "is_high_value": bool(value and value >= 1e6),
            "quadrant": "no_value" if not placed else ("automate_first" if p >= 0.75 and value >= 1e6 else "monitor"),
            "priority_rank": (i + 1 - (i > 3)) if placed and country == "CA" else (i - 7 - (i > 9)) if placed else None,
            "probability_threshold": 0.75, "parameter_set_id": PARAMETER_SET,
            "volume_basis": "reported" if i % 4 else "modelled", "volume_modelled": None if i % 4 else 500.0,
            "delivery_hours": 16500.0, "labour_cost_basis": "bottom-up hours x loaded cost",
            "labour_cost_null_reason": None if placed else "no loaded cost", "routine_share": 0.5, "top_activity_id": "intake_mail",
            "explanation": "hours: 60% application intake by mail (p 0.69)",
            "probability_interval_driver": "method", "value_interval_driver": "unit_times",
        })
    return pl.DataFrame(rows)


def _rollup(summary: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    return summary.group_by(by).agg(
        pl.len().cast(pl.Int64).alias("services"), pl.col("annual_volume").sum().alias("annual_volume"),
        pl.col("value_gross").sum(), pl.col("value_net").sum(), pl.col("fte_automatable").sum(),
        pl.col("headline_probability").mean().alias("volume_weighted_probability"),
        pl.col("headline_probability").mean().alias("mean_probability"),
        (pl.col("quadrant") == "automate_first").sum().cast(pl.Int64).alias("services_automate_first"),
        pl.col("currency").first(), pl.col("price_year").first(),
    ).with_columns(pl.lit(PARAMETER_SET).alias("parameter_set_id"))


@pytest.fixture()
def published(tmp_path) -> Path:
    """A published version as publishing/publish.py lays it out, with the tables the exports use."""
    directory = tmp_path / "published"
    directory.mkdir()
    database = directory / f"atlas-{PUBLISH_ID}.duckdb"
    summary = _summary()
    dim = summary.select("service_key", "fiscal_year", "country_code", "organisation_code",
                         "organisation_name", "service_name", "archetype_id", "annual_volume")
    cost = summary.select("service_key", "fiscal_year", "currency", "price_year", "annual_volume",
                          pl.col("labour_cost").alias("total_cost"), "labour_cost", "fte")
    tables = {
        "scoring.fct_service_automation_summary": summary,
        "scoring.agg_automation_by_organisation": _rollup(summary, ["country_code", "fiscal_year", "organisation_code"]),
        "scoring.agg_automation_by_archetype": _rollup(summary, ["country_code", "fiscal_year", "archetype_id"]),
        "scoring.uk_replication": pl.DataFrame({"figure_id": ["services"], "figure": ["Services"],
                                                "atlas_value": [4.0], "unit": ["services"],
                                                "atlas_data_year": ["2012-13"], "reference_value": [377.0],
                                                "reference_data_year": ["2024"], "reference_source": ["Turing"],
                                                "parameter_set_id": [PARAMETER_SET]}),
        "scoring.agg_automation_by_activity": pl.DataFrame({
            "country_code": ["CA"], "fiscal_year": ["2023-2024"], "activity_id": ["intake_mail"], "services": [3], "units": [100.0],
            "hours": [50.0], "labour_cost": [5000.0], "automatable_hours": [30.0], "value_gross": [3000.0],
            "hours_weighted_probability": [0.6], "hours_weighted_routine_share": [0.8],
            "rows_on_modelled_volume": [1], "currency": ["CAD"], "price_year": [2024],
            "share_of_country_hours": [1.0], "parameter_set_id": [PARAMETER_SET]}),
        "scoring.fct_sensitivity": pl.DataFrame({
            "assumption_id": ["A040", "A212"], "parameter": ["uk_labour_share_of_unit_cost", "domain_work_share"],
            "assumption_unit": ["share", "share"], "quality": ["red", "red"], "central": [0.7, 0.5],
            "low": [0.5, 0.25], "high": [0.85, 0.75], "figure_id": ["uk_value_gross_total"] * 2,
            "figure": ["UK: gross value of all services"] * 2, "figure_unit": ["GBP a year"] * 2,
            "figure_central": [100.0, 100.0], "figure_at_low": [71.0, 99.0], "figure_at_high": [121.0, 100.5],
            "change_at_low": [-29.0, -1.0], "change_at_high": [21.0, 0.5], "swing": [50.0, 1.5],
            "relative_swing": [0.5, 0.015], "swing_rank": [1, 2]}),
        "scoring.fct_unit_cost_calibration": pl.DataFrame({
            "service_key": ["UK-8"], "fiscal_year": ["2012-2013"], "service_name": ["Service 8"],
            "cost_round": ["2012-Q4"], "cost_per_transaction_gbp": [2.5], "front_minutes_per_transaction": [3.0],
            "back_minutes_per_transaction": [4.0], "target_minutes": [5.6],
            "predicted_cost_per_transaction_gbp": [2.0], "loo_predicted_cost_per_transaction_gbp": [1.9],
            "loo_log_ratio": [-0.27], "parameter_set_id": [PARAMETER_SET]}),
        "marts.dim_service": dim,
        "marts.fct_service_cost": cost,
        "seeds.archetypes": pl.DataFrame({"archetype_id": ["benefit", "licence", "info"],
                                          "archetype_name": ["Benefit", "Licence", "Information"],
                                          "involves_case_decision": [True, True, False],
                                          "description": ["b", "l", "i"]}),
        "seeds.assumptions": pl.DataFrame({"assumption_id": ["A050"], "parameter": ["probability_threshold"],
                                           "value": ["0.75"], "low": [None], "high": [None],
                                           "unit": ["probability"], "source": ["x"], "reason": ["y"],
                                           "alternative": ["z"], "owner": ["me"]},
                                          schema_overrides={"low": pl.Float64, "high": pl.Float64}),
    }
    with duckdb.connect(str(database)) as con:
        for schema in ("marts", "scoring", "seeds", "raw", "meta"):
            con.execute(f"CREATE SCHEMA {schema}")
        for name, frame in tables.items():
            arrow = frame.to_arrow()  # noqa: F841
            con.execute(f"CREATE TABLE {name} AS SELECT * FROM arrow")
        con.execute("""CREATE TABLE raw._load_log AS SELECT 'gds__transactions_explorer' AS dataset_id,
                       'gds__transactions_explorer' AS table_name, 'transaction-volumes.csv' AS source_files,
                       'abc' AS source_sha256, now() AS loaded_at, 'run' AS run_id, 683::BIGINT AS row_count,
                       0::BIGINT AS flagged_rows, NULL::VARCHAR AS flag_counts""")
        con.execute(f"""CREATE TABLE meta.publication AS SELECT '{PUBLISH_ID}' AS publish_id,
                        'abcdef12-run' AS run_id, now() AS published_at""")
    os.symlink(database.name, directory / "atlas.duckdb")
    return directory / "atlas.duckdb"


def test_the_exports_of_a_published_version_land_in_their_folder_behind_the_latest_pointer(published, tmp_path):
    root = tmp_path / "exports"
    result = write_exports(published, root=root, manifest_path=None)
    assert result.directory == root / PUBLISH_ID
    assert current_export(root) == PUBLISH_ID and os.readlink(root / "latest") == PUBLISH_ID
    for name, rows in result.tables.items():
        assert pl.read_parquet(root / "latest" / "tables" / f"{name}.parquet").height == rows
        assert pl.read_csv(root / "latest" / "tables" / f"{name}.csv").height == rows
    assert result.tables["scoring.fct_service_automation_summary"] == 12
    manifest = json.loads((root / "latest" / "manifest.json").read_text())
    assert manifest["published_database"] == f"atlas-{PUBLISH_ID}.duckdb"  # the version, not a build
    assert "charts/matrix.png" in manifest["files"] and "charts/matrix.html" in manifest["files"]
    # exporting the same version again replaces its folder whole; nothing is left half-written
    write_exports(published, root=root, manifest_path=None, charts=False)
    assert sorted(p.name for p in root.iterdir()) == [PUBLISH_ID, "latest"]


@pytest.mark.parametrize("failing", ["a table", "the workbook"])
def test_a_failure_in_either_thread_of_the_export_leaves_no_folder_and_latest_where_it_was(published, tmp_path,
                                                                                        monkeypatch, failing):
    """The tables are written in a thread beside the workbook and the charts: whichever fails, the
    error reaches the caller and nothing half-written stays."""
    import reporting.exports as exports

    root = tmp_path / "exports"
    write_exports(published, root=root, manifest_path=None, charts=False)
    before = sorted(p.name for p in root.iterdir())
    (root / PUBLISH_ID / "manifest.json").unlink()  # so that a new export would show

    def broken_table(con, schema, table, folder, *args, **kwargs):
        if table == "fct_service_automation_summary":
            raise OSError(f"disk full while writing {schema}.{table}")
        return export_table(con, schema, table, folder, *args, **kwargs)

    def broken_workbook(*args, **kwargs):
        raise OSError("disk full while writing the workbook")

    if failing == "a table":
        monkeypatch.setattr(exports, "export_table", broken_table)
    else:
        monkeypatch.setattr(exports, "write_workbook", broken_workbook)
    with pytest.raises(OSError, match="disk full while writing"):
        write_exports(published, root=root, manifest_path=None, charts=False, share=False)
    assert sorted(p.name for p in root.iterdir()) == before  # no .part folder left
    assert not (root / PUBLISH_ID / "manifest.json").exists()  # the earlier folder, not replaced
    assert current_export(root) == PUBLISH_ID


def test_old_export_folders_are_pruned_but_never_the_latest(published, tmp_path):
    root = tmp_path / "exports"
    for stamp in ("20250101T000000Z-old1", "20250102T000000Z-old2", "20250103T000000Z-old3"):
        (root / stamp).mkdir(parents=True)
    result = write_exports(published, root=root, manifest_path=None, keep=2, charts=False)
    assert sorted(result.pruned) == ["20250101T000000Z-old1", "20250102T000000Z-old2"]
    assert (root / PUBLISH_ID).is_dir() and (root / "20250103T000000Z-old3").is_dir()


def _names(sheet) -> list:
    """The column names of a workbook sheet: its third header row (note, labels, names)."""
    return [c.value for c in sheet[HEADER_ROWS]]


def test_the_workbook_has_every_sheet_frozen_headers_no_index_and_every_column_documented(published, tmp_path):
    if not MANIFEST.is_file():
        pytest.fail("the dbt manifest is missing: run `python -m orchestration prepare` (make test does)")
    result = write_exports(published, root=tmp_path / "exports", manifest_path=MANIFEST, charts=False)
    book = load_workbook(result.workbook, read_only=False)
    assert set(SHEETS) <= set(book.sheetnames)
    dictionary = book["Data dictionary"]
    header = _names(dictionary)
    rows = [dict(zip(header, (c.value for c in r), strict=True)) for r in dictionary.iter_rows(min_row=HEADER_ROWS + 1)]
    documented = {(r["object_name"], r["column_name"]): r for r in rows}
    for name in book.sheetnames:
        if name == "Data dictionary":
            continue
        sheet = book[name]
        assert sheet.freeze_panes == f"A{HEADER_ROWS + 1}", name
        assert sheet.auto_filter.ref.startswith(f"A{HEADER_ROWS}:"), name
        assert sheet["A1"].value, f"{name} has no note in its first row"
        columns = _names(sheet)
        assert columns[0] not in (None, "", "index", "__index_level_0__"), name
        assert [c.value for c in sheet[2]] == [column_label(c) for c in columns], name  # readable labels
        for column in columns:
            entry = documented.get((name, column))
            assert entry, f"{name}.{column} missing from the data dictionary"
            assert entry["description"] and entry["unit"] and entry["source"], entry
    priority = book["Priority list"]
    columns = _names(priority)
    probability = priority.cell(row=HEADER_ROWS + 1, column=columns.index("headline_probability") + 1)
    value = priority.cell(row=HEADER_ROWS + 1, column=columns.index("value_gross") + 1)
    assert probability.number_format == "0.000" and value.number_format == "#,##0"
    assert priority.cell(row=HEADER_ROWS + 1, column=columns.index("annual_volume") + 1).number_format == "#,##0"
    # assumption values are numbers where they are numbers; the publication time is a real date
    assumptions = book["Assumptions"]
    row = dict(zip(_names(assumptions), (c.value for c in assumptions[HEADER_ROWS + 1]), strict=True))
    assert row["value"] == 0.75 and isinstance(row["value"], float)
    about = {r[0]: r[1] for r in book["About"].iter_rows(min_row=HEADER_ROWS + 1, values_only=True)}
    assert about["publish_id"] == PUBLISH_ID
    assert isinstance(about["published_at"], datetime)
    assert label_of(book["About"], "published_at").number_format == "yyyy-mm-dd hh:mm:ss"


def label_of(sheet, item: str):
    """The value cell of an item of the About sheet."""
    for row in sheet.iter_rows(min_row=HEADER_ROWS + 1):
        if row[0].value == item:
            return row[1]
    raise KeyError(item)


def _dictionary(sheet: str, units: dict[str, str]) -> pl.DataFrame:
    return pl.DataFrame(
        [{"object_kind": "sheet", "object_name": sheet, "column_position": i, "column_name": c,
          "data_type": "", "description": c, "unit": u, "source": "test"} for i, (c, u) in enumerate(units.items(), 1)],
        schema=DICTIONARY_SCHEMA,
    )


def test_number_formats_follow_each_columns_unit_and_each_values_magnitude(tmp_path):
    frame = pl.DataFrame({
        "cost_per_transaction_gbp": [0.01, 0.73, 1234.5],
        "services": [584.0, 12.0, 3.0],  # a count held as a double
        "headline_probability": [0.123456, 0.5, None],
        "loaded_at": [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)] * 3,
        "already_digital_share": [0.25, 0.5, 1.0],
        "service_name": ["=HYPERLINK(\"http://x\")", "plain", "-1"],
    })
    units = {"cost_per_transaction_gbp": "GBP (pounds sterling, nominal)", "services": "count",
             "headline_probability": "probability in [0, 1]", "loaded_at": "timestamp (UTC)",
             "already_digital_share": "share in [0, 1]", "service_name": "text"}
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Costs", frame, note="Hand-made rows.")], _dictionary("Costs", units))
    sheet = load_workbook(path)["Costs"]
    assert _names(sheet) == frame.columns
    cells = {c: [sheet.cell(row=HEADER_ROWS + r, column=i + 1) for r in (1, 2, 3)] for i, c in enumerate(frame.columns)}
    small, _, large = cells["cost_per_transaction_gbp"]
    assert (small.value, small.number_format) == (0.01, "#,##0.00")  # pence, not 0
    assert large.number_format == "#,##0"
    assert cells["services"][0].value == 584 and cells["services"][0].number_format == "#,##0"
    assert cells["headline_probability"][0].number_format == "0.000"
    assert cells["headline_probability"][2].value is None
    assert cells["already_digital_share"][0].number_format == "0.0%"
    stamp = cells["loaded_at"][0]
    assert stamp.value == datetime(2026, 1, 2, 3, 4, 5) and stamp.number_format == "yyyy-mm-dd hh:mm:ss"
    names = [c.value for c in cells["service_name"]]
    assert names[0] == "'=HYPERLINK(\"http://x\")" and names[2] == "'-1"
    assert all(c.data_type != "f" for c in cells["service_name"])
    # the rule itself, for units and types the sheet above does not show
    assert number_format("rank (1 = first)", pl.Int64) == "0"
    assert number_format("count", pl.Float64) == "#,##0"
    assert number_format("text", pl.String) is None
    assert number_format("date (YYYY-MM-DD)", pl.Date) == "yyyy-mm-dd"


def test_a_capped_sheet_says_where_every_row_is(tmp_path):
    frame = _summary().select("country_code", "priority_rank", "service_key", "value_gross")
    path = tmp_path / "book.xlsx"
    units = {"country_code": "identifier or code", "priority_rank": "rank (1 = first)",
             "service_key": "identifier or code", "value_gross": "money a year"}
    shown = write_workbook(path, [Sheet("Priority list", frame, note="Every service.",
                                        table="scoring.fct_service_automation_summary")],
                           _dictionary("Priority list", units), max_rows=4)
    assert shown["Priority list"] == 4
    sheet = load_workbook(path)["Priority list"]
    note = sheet["A1"].value
    assert "CAPPED" in note and "4 of 12" in note
    assert "tables/scoring.fct_service_automation_summary.parquet" in note
    rows = list(sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    assert [r[0] for r in rows] == ["CA", "CA", "UK", "UK"]  # both countries keep their first rows
    # a sheet within the cap keeps every row and no such note
    write_workbook(path, [Sheet("Priority list", frame, note="Every service.")], _dictionary("Priority list", units))
    sheet = load_workbook(path)["Priority list"]
    assert sheet["A1"].value == "Every service." and sheet.max_row == HEADER_ROWS + 12


def test_units_follow_the_house_naming_rules():
    assert infer_unit("digital_share", "DOUBLE") == "share in [0, 1]"
    assert infer_unit("headline_probability", "DOUBLE") == "probability in [0, 1]"
    assert infer_unit("allocated_spending_cad", "DOUBLE").startswith("CAD")
    assert infer_unit("value_gross", "DOUBLE", ["value_gross", "currency"]).startswith("money a year")
    assert infer_unit("fte_automatable", "DOUBLE") == "full-time equivalents"
    assert infer_unit("is_online_application", "BOOLEAN") == "true/false"
    assert infer_unit("service_key", "VARCHAR") == "identifier or code"
    assert infer_unit("priority_rank", "BIGINT") == "rank (1 = first)"


def test_every_scoring_column_of_the_summary_is_documented_in_scoring_columns_yml():
    docs = table_docs(None)
    columns = [(c, "DOUBLE") for c in _summary().columns]
    dictionary = describe({"scoring.fct_service_automation_summary": columns}, docs, kind="table",
                          lineage={"scoring.fct_service_automation_summary": ["onet__database"]})
    missing = dictionary.filter(pl.col("description") == "")["column_name"].to_list()
    assert missing == []
    assert dictionary["source"].str.contains("source datasets: onet__database").all()


def test_a_manifest_is_read_once_until_dbt_writes_it_again(tmp_path):
    """The manifest's docs are kept between calls (every scoring table's Dagster metadata asks for
    them), under the file's modification time and size: a manifest written again is read again."""
    def manifest(description: str) -> dict:
        return {"nodes": {"model.atlas.m": {
            "resource_type": "model", "schema": "marts", "name": "m", "description": "a model",
            "original_file_path": "models/m.sql", "columns": {"x": {"description": description}}}}}

    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(manifest("first")), encoding="utf-8")
    assert column_descriptions("marts.m", ["x"], path) == {"x": "first"}
    table_docs(path)["marts.m"] = None  # a caller's change to its dict does not reach the kept docs
    assert column_descriptions("marts.m", ["x"], path) == {"x": "first"}
    path.write_text(json.dumps(manifest("second, longer")), encoding="utf-8")
    assert column_descriptions("marts.m", ["x"], path) == {"x": "second, longer"}


def test_the_probability_cut_comes_from_the_summary_or_from_an_older_versions_parameters():
    assert {p.probability_threshold for p in panels(matrix_points(_summary(), None))} == {0.75}
    older = _summary().drop("probability_threshold", "parameter_set_id").with_columns(
        pl.lit(json.dumps({"probability_threshold": 0.8, "assumptions": {"A050": "0.8"}})).alias("parameters"))
    assert {p.probability_threshold for p in panels(matrix_points(older, None))} == {0.8}
    assert probability_threshold(older.drop("parameters")) == 0.7  # neither: A050's register value


def test_the_matrix_page_draws_every_valued_service_lists_every_service_and_needs_no_network(tmp_path):
    points = matrix_points(_summary(), pl.DataFrame({"archetype_id": ["benefit"], "archetype_name": ["Benefit"]}))
    assert [p.country_code for p in panels(points)] == ["CA", "UK"]
    page = matrix_html(points, tmp_path / "m.html", title="t", subtitle="s").read_text(encoding="utf-8")
    circles = re.findall(r'<circle class="svc[^"]*" data-key="([^"]+)"', page)
    rows = re.findall(r'<tr data-key="([^"]+)"', page.split('<table id="services">')[1])
    keys = points.select(pl.concat_str("service_key", pl.lit("|"), "fiscal_year"), "is_placed")
    assert sorted(rows) == sorted(keys.to_series(0).to_list())
    assert sorted(circles) == sorted(keys.filter(pl.col("is_placed")).to_series(0).to_list())
    assert len(circles) == 10
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)  # nothing loaded from elsewhere
    assert "Service &lt;1&gt; &amp; co" in page  # names are escaped
    data = json.loads(re.search(r'<script type="application/json" id="atlas-data">(.*?)</script>', page, re.S)
                      .group(1).replace("<\\/", "</"))
    assert len(data) == 12


def test_beyond_its_limit_the_matrix_page_lists_each_countrys_first_services_and_counts_them_all(tmp_path):
    one = _summary()
    most = one.group_by("country_code").agg(pl.col("priority_rank").max().alias("most"))
    summary = pl.concat([
        one.join(most, on="country_code").with_columns(
            (pl.col("service_key") + f"-copy{k}").alias("service_key"),
            (pl.col("priority_rank") + k * pl.col("most")).alias("priority_rank"),
        ).drop("most")
        for k in range(10)
    ])  # 120 services: 80 in CA (70 ranked), 40 in UK (30 ranked)
    points = matrix_points(summary, None)
    page = matrix_html(points, tmp_path / "m.html", title="t", subtitle="s", limit=30).read_text(encoding="utf-8")
    rows = re.findall(r'<tr data-key="([^"]+)"', page.split('<table id="services">')[1])
    listed = page_points(points, 30)
    assert listed.height == len(rows) == 30
    # each country's share of the page is its share of the services, taken in priority order
    for country, quota in (("CA", 20), ("UK", 10)):
        mine = listed.filter(pl.col("country_code") == country)
        assert sorted(mine["priority_rank"].to_list()) == list(range(1, quota + 1))
    data = json.loads(re.search(r'<script type="application/json" id="atlas-data">(.*?)</script>', page, re.S)
                      .group(1).replace("<\\/", "</"))
    assert len(data) == 30
    # the titles, corners and strips still count every service, and the page says what it lists
    assert "Canada: 70 of 80 services placed" in page and "United Kingdom: 30 of 40 services placed" in page
    assert re.search(r'no value: 10<', page) and re.search(r'no value: 20<', page) is None
    assert 'id="page-limit"' in page and "lists 30 of the 120 services" in page
    assert "The first 30 services by priority" in page
    assert "20 services have no value; this page lists 0 of them" in page and "Every service has a value" not in page
    # under the limit nothing changes: every service, no note
    whole = matrix_html(points, tmp_path / "w.html", title="t", subtitle="s", limit=120).read_text(encoding="utf-8")
    assert 'id="page-limit"' not in whole and "<h2>Every service</h2>" in whole
    assert len(re.findall(r'<tr data-key="([^"]+)"', whole.split('<table id="services">')[1])) == 120


def test_the_matrix_page_switches_a_service_with_evidence_to_its_combined_probability(tmp_path):
    summary = _summary()
    placed = summary.filter(pl.col("headline_probability").is_not_null() & (pl.col("value_gross") > 0)).row(0, named=True)
    evidence = summary.select("service_key", "fiscal_year").with_columns(
        pl.when(pl.col("service_key") == placed["service_key"]).then(0.2).otherwise(None).alias("evidence_mean_share"),
        pl.when(pl.col("service_key") == placed["service_key"]).then(0.25).otherwise(None).alias("posterior_mean"),
        pl.lit(0.0).alias("posterior_shift"),
        pl.when(pl.col("service_key") == placed["service_key"]).then(pl.lit("P0001")).otherwise(None).alias("evidence_ids"),
    )
    points = matrix_points(summary, None, evidence)
    row = points.filter(pl.col("service_key") == placed["service_key"]).row(0, named=True)
    assert (row["bottom_up_share"], row["combined_probability"]) == (0.2, 0.25)
    # a service no pilot informs keeps its headline probability as the combined one
    other = points.filter(pl.col("evidence_ids").is_null() & pl.col("headline_probability").is_not_null()).row(0, named=True)
    assert other["combined_probability"] == other["headline_probability"]
    page = matrix_html(points, tmp_path / "m.html", title="t", subtitle="s").read_text(encoding="utf-8")
    assert '<select id="estimate">' in page and "1 services informed" in page
    circle = re.search(r'<circle class="svc evidence[^"]*" data-key="[^"]+"[^>]*>', page).group(0)
    top, combined = (float(v) for v in re.search(
        r'data-cx-top-down="([0-9.]+)" data-cx-combined="([0-9.]+)"', circle).groups())
    assert combined < top  # 0.25 sits left of the headline probability


def _disk_bytes(root: Path) -> int:
    """Bytes of the files under `root`, links not followed (what the exports take on disk)."""
    total = 0
    for folder, _dirs, files in os.walk(root):  # os.walk does not descend into linked folders
        total += sum((Path(folder) / f).lstat().st_size for f in files)
    return total


def _republish_identical(published: Path, publish_id: str) -> None:
    """A second published version with the same contents, as publish writes it after a run that
    changed nothing: its own file and manifest (identical_to_previous), the pointer on it."""
    directory = published.parent
    first = directory / f"atlas-{PUBLISH_ID}.duckdb"
    second = directory / f"atlas-{publish_id}.duckdb"
    second.write_bytes(first.read_bytes())
    with duckdb.connect(str(second)) as con:
        con.execute("UPDATE meta.publication SET publish_id = ?", [publish_id])
    for version, database, previous in ((PUBLISH_ID, first, None), (publish_id, second, PUBLISH_ID)):
        (directory / f"atlas-{version}.json").write_text(json.dumps({
            "publish_id": version, "published_at": version, "run_id": "run", "database": database.name,
            "database_sha256": sha256_of(database), "previous_publish_id": previous,
            "identical_to_previous": None if previous is None else True, "tables": {},
        }))
    published.unlink()
    os.symlink(second.name, published)


def test_an_identical_republish_shares_the_previous_exports_and_rollback_still_moves_latest(published, tmp_path):
    root = tmp_path / "exports"
    first = write_exports(published, root=root, manifest_path=None)
    before = _disk_bytes(root)
    assert first.shared_with is None and before > 0
    # the matrix as a table for the Dagster UI: a row per country and value level
    assert [(r["country"], r["value"]) for r in first.matrix] == [
        ("CA", "high value"), ("CA", "lower value"), ("CA", "not placed"),
        ("UK", "high value"), ("UK", "lower value"), ("UK", "not placed")]
    assert all(r["high probability"] or r["lower probability"] for r in first.matrix)
    again = "20260102T120000Z-abcdef13"
    _republish_identical(published, again)
    second = write_exports(published, root=root, manifest_path=None)
    # no new files: the new version's entry is a link to the folder of the version it repeats
    assert second.shared_with == PUBLISH_ID
    assert (root / again).is_symlink() and os.readlink(root / again) == PUBLISH_ID
    assert _disk_bytes(root) == before
    assert current_export(root) == again and (root / "latest" / "manifest.json").is_file()
    assert second.workbook == root / again / f"atlas-{PUBLISH_ID}.xlsx" and second.workbook.is_file()
    assert second.tables == first.tables and "matrix.png" in second.charts
    # rollback (publishing.publish.rollback, then what `make rollback` does to the exports)
    rollback(PUBLISH_ID, published.parent)
    assert "moved" in follow_published(PUBLISH_ID, root) and current_export(root) == PUBLISH_ID
    rollback(again, published.parent)
    follow_published(again, root)
    assert current_export(root) == again
    # pruning keeps the folder that a kept link names, and drops links whose folder is gone
    assert prune(root, keep=1) == []
    assert (root / PUBLISH_ID / "manifest.json").is_file()
    # re-exporting without sharing writes the version's own folder in place of the link
    own = write_exports(published, root=root, manifest_path=None, charts=False, share=False)
    assert own.shared_with is None and (root / again).is_dir() and not (root / again).is_symlink()
    assert prune(root, keep=1) == [PUBLISH_ID]


def test_nested_values_and_control_characters_become_plain_text_in_the_workbook(tmp_path):
    frame = pl.DataFrame({"ids": [["a", "b"], None], "name": ["Canada\x01 Pension\x0b Plan", "x & <y>"]})
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Nested", frame, note="n")], _dictionary("Nested", {"ids": "text", "name": "text"}))
    rows = list(load_workbook(path)["Nested"].iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    assert rows == [('["a", "b"]', "Canada Pension Plan"), (None, "x & <y>")]


def test_the_summary_fixture_ranks_its_valued_services_1_to_n_per_country():
    summary = _summary()
    for country in ("CA", "UK"):
        rows = summary.filter(pl.col("country_code") == country)
        ranked = rows.filter(pl.col("value_gross").is_not_null())["priority_rank"].to_list()
        assert sorted(ranked) == list(range(1, len(ranked) + 1))
        assert rows.filter(pl.col("value_gross").is_null())["priority_rank"].null_count() == rows.height - len(ranked)


@pytest.mark.parametrize(("value", "text"), [
    (None, "n/a"), (0.0, "0"), (0.004, "<1"), (0.6, "<1"), (1.0, "1"), (5.123, "5.12"), (512.4, "512"),
    (999.6, "1k"), (1234.0, "1.23k"), (45_300.0, "45.3k"), (999_950.0, "1m"), (400_000.0, "400k"),
    (790_600_000.0, "791m"), (1.2e9, "1.2bn"), (1.234e12, "1,230bn"), (-5000.0, "-5k"),
])
def test_money_is_three_significant_digits_with_a_unit_and_never_zero_for_a_small_amount(value, text):
    assert money(value) == text


def test_a_label_wraps_the_whole_name_after_its_rank():
    name = "Incapacity Benefit/ Employment and Support Allowance (ESA): claims maintained"
    text = label_text(4, name, 30)
    assert text.startswith("4. ") and "\u2026" not in text
    assert " ".join(text[3:].split()) == name
    assert all(len(line) <= 30 for line in text[3:].split("\n"))


def test_a_bilingual_organisation_name_is_wrapped_whole_one_language_after_the_other():
    name = "Canada Border Services Agency | Agence des services frontaliers du Canada"
    label = organisation_label(name, 27)
    assert "\u2026" not in label and "|" not in label
    assert " ".join(label.split()) == name.replace(" | ", " / ")
    assert label.split("\n")[0] == "Canada Border Services"
    assert label.split("\n")[1] == "Agency /"  # French follows on its own line


def _random_anchors(seed: int, n: int) -> list[tuple[float, float]]:
    import random

    rng = random.Random(seed)
    return [(rng.uniform(50, 550), rng.uniform(40, 360)) for _ in range(n)]


@pytest.mark.parametrize("seed", range(12))
def test_placed_labels_never_overlap_stay_inside_and_never_hide_a_labelled_point(seed):
    anchors = _random_anchors(seed, 6)
    # some anchors crowded together, as the first services of a priority list often are
    anchors[1] = (anchors[0][0] + 4, anchors[0][1] + 3)
    anchors[2] = (anchors[0][0] - 3, anchors[0][1] + 6)
    texts = [[label_text(i + 1, "A service with a rather long name that wraps " * (1 + i % 2), w) for w in (30, 16)]
             for i in range(len(anchors))]
    sizes = [[label_size(t) for t in options] for options in texts]
    bounds = Box(0, 0, 600, 400)
    spots = place_labels(anchors, sizes, bounds, points=_random_anchors(seed + 100, 300),
                         vertical_lines=[420.0], horizontal_lines=[150.0], gap=3.0, marker=5.0)
    boxes = [s[0] for s in spots if s is not None]
    assert len(boxes) == len(anchors)  # there is room for all of them here
    assert overlapping_pairs(boxes, gap=2.9) == []
    for box in boxes:
        assert box.inside(bounds)
        assert not any(box.contains(x, y, 4.9) for x, y in anchors)
    for (x, y), (box, option) in zip(anchors, [s for s in spots if s is not None], strict=True):
        assert (box.width, box.height) == pytest.approx(sizes[anchors.index((x, y))][option])


def test_a_label_that_finds_no_free_spot_is_left_out_rather_than_drawn_over_another():
    bounds = Box(0, 0, 100, 40)
    spots = place_labels([(10, 20), (60, 20), (90, 20)], [[(45, 30)], [(45, 30)], [(45, 30)]], bounds)
    placed = [s[0] for s in spots if s is not None]
    assert overlapping_pairs(placed) == [] and len(placed) < 3


def test_a_label_does_not_sit_on_a_threshold_line_when_it_can_sit_beside_it():
    spots = place_labels([(100, 100)], [[(80, 20)]], Box(0, 0, 400, 300),
                         vertical_lines=[110.0], horizontal_lines=[95.0])
    box = spots[0][0]
    assert not box.crosses_vertical(110.0) and not box.crosses_horizontal(95.0)


def _big_summary() -> pl.DataFrame:
    """Many services of one country crowded around a few values, as the real data are."""
    import random

    rng = random.Random(7)
    base = _summary().row(0, named=True)
    rows = []
    for i in range(400):
        p = min(0.95, max(0.05, rng.gauss(0.55, 0.12)))
        v = 10 ** rng.uniform(2, 8) if i % 50 else None
        rows.append({**base, "service_key": f"CA-{i}", "country_code": "CA",
                     "service_name": f"Service {i} " + "with a long name " * (i % 4),
                     "headline_probability": p, "value_gross": v, "value_net": v,
                     "value_gross_p05": v and v / 3, "value_gross_p95": v and v * 3,
                     "probability_p05": p - 0.1, "probability_p95": min(1.0, p + 0.1),
                     "value_null_reason": None if v else "no labour cost",
                     "quadrant": "monitor" if v else "no_value"})
    frame = pl.DataFrame(rows)
    ranked = frame.filter(pl.col("value_gross").is_not_null()).sort("value_gross", descending=True).with_row_index(
        "rank", offset=1).select("service_key", pl.col("rank").cast(pl.Int64))
    return frame.drop("priority_rank").join(ranked, on="service_key", how="left").rename({"rank": "priority_rank"})


def test_the_matrix_png_labels_the_first_services_in_rank_order_and_no_two_labels_overlap(tmp_path):
    import matplotlib.pyplot as plt

    points = matrix_points(_big_summary())
    fig, layout = draw_matrix(points, title="t", labelled=6)
    try:
        labels = layout.labels["CA"]
        first = points.filter(pl.col("priority_rank").is_not_null()).sort("priority_rank").head(6)
        assert [k for k, _ in labels] == first["service_key"].to_list()  # rank order
        assert all(box is not None for _, box in labels)
        assert overlapping_pairs([box for _, box in labels]) == []
        # what matplotlib drew: each label's box, as rendered, overlaps no other
        renderer = fig.canvas.get_renderer()
        drawn = {t.get_gid(): t for ax in fig.axes for t in ax.texts if (t.get_gid() or "").startswith("label-")}
        assert len(drawn) == 6
        extents = []
        for text in drawn.values():
            text.draw(renderer)
            e = text.get_bbox_patch().get_window_extent(renderer)
            extents.append(Box(e.x0, e.y0, e.x1, e.y1))
        assert overlapping_pairs(extents, gap=1.0) == []
        ranks = sorted(int(t.get_text().split(".")[0]) for t in drawn.values())
        assert ranks == [1, 2, 3, 4, 5, 6]
        corners = layout.corners["CA"]
        assert corners["monitor"] == f"monitor: {int((points['quadrant'] == 'monitor').sum()):,} services"
    finally:
        plt.close(fig)


def test_services_without_a_value_are_named_with_their_reason_and_left_unranked(tmp_path):
    points = matrix_points(_summary())
    missing = points.filter(pl.col("value_gross").is_null())
    assert missing.height == 2
    assert missing["priority_rank"].null_count() == 2
    assert missing["no_value_reason"].to_list() == ["no value: no labour cost"] * 2
    assert no_value_reasons(points, "CA") == [("no value: no labour cost", 1)]
    page = matrix_html(points, tmp_path / "m.html", title="t", subtitle="s").read_text(encoding="utf-8")
    table = page.split('<table id="no-value">')[1].split("</table>")[0]
    assert table.count("<tr data-key=") == 2 and table.count("no value: no labour cost") == 2
    assert len(re.findall(r'<circle class="novalue" data-key="', page)) == 2  # each at its probability
    # each corner gives its quadrant's number of services
    counts = {(m[0], m[1]) for m in re.findall(r'data-quadrant="([a-z_]+)" data-count="(\d+)"', page)}
    assert ("monitor", str(int(((points["country_code"] == "CA") & (points["quadrant"] == "monitor")).sum()))) in counts
    assert "unscored" not in page
    # the labels: the first services of each list, in rank order
    ranks = [int(r) for r in re.findall(r'<g class="callout" data-key="CA-[^"]+" data-rank="(\d+)"', page)]
    assert ranks == sorted(ranks) and ranks[0] == 1


def test_the_organisation_chart_draws_no_bar_too_small_to_see(tmp_path):
    summary = _summary().with_columns(
        pl.when(pl.col("organisation_code") == "ORG2").then(pl.col("value_gross") / 1e6).otherwise(pl.col("value_gross"))
        .alias("value_gross"))
    points = matrix_points(summary)
    path = organisations_png(points, tmp_path / "org.png", title="t")
    assert path.is_file() and path.stat().st_size > 10_000


def test_the_workbook_is_a_well_formed_package_that_a_second_reader_opens(tmp_path):
    """XlsxWriter writes the package; every part is well-formed XML, a small workbook has no ZIP64
    records, and calamine (the Rust reader behind polars' and pandas' read_excel) reads the values
    as written, text that looks like markup or Excel's _xHHHH_ escapes included."""
    texts = ["<r>bold</r>", "a_x0041_b", "x & <y>", "=1+1", " padded ", "two\r\nlines", None]
    frame = pl.DataFrame({
        "name": texts,
        "services": [1, 2, 3, 4, 5, 6, None],
        "headline_probability": [0.5, float("nan"), float("inf"), 0.25, None, 1.0, 0.0],
        "is_digital": [True, False, None, True, True, False, True],
        "fiscal_date": [date(2024, 4, 1)] * 7,
        "loaded_at": [datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)] * 7,
    })
    units = {"name": "text", "services": "count", "headline_probability": "probability in [0, 1]",
             "is_digital": "true/false", "fiscal_date": "date (YYYY-MM-DD)", "loaded_at": "timestamp (UTC)"}
    path = tmp_path / "book.xlsx"
    write_workbook(path, [Sheet("Checks & <more>", frame, note="n")], _dictionary("Checks & <more>", units))
    with zipfile.ZipFile(path) as archive:
        assert archive.testzip() is None
        for info in archive.infolist():
            assert not info.extra, f"{info.filename} has ZIP64 (or other) extra records"
            if info.filename.endswith((".xml", ".rels")):
                ElementTree.fromstring(archive.read(info.filename))
    read = pl.read_excel(path, sheet_name="Checks & <more>", engine="calamine", read_options={"header_row": 2})
    assert read.columns == frame.columns
    written = ["<r>bold</r>", "a_x0041_b", "x & <y>", "'=1+1", " padded ", "two\nlines", None]
    assert read["name"].to_list() == written
    # so does openpyxl, but for the text that looks like an _xHHHH_ escape: openpyxl leaves Excel's
    # escapes as they are (hence a carriage return is written as the line feed Excel uses in a cell)
    sheet = load_workbook(path)["Checks & <more>"]
    names = [r[0] for r in sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True)]
    assert names[:1] + names[2:] == written[:1] + written[2:]
    assert read["services"].to_list() == [1, 2, 3, 4, 5, 6, None]
    assert read["headline_probability"].to_list() == [0.5, None, None, 0.25, None, 1.0, 0.0]
    assert read["is_digital"].to_list() == [True, False, None, True, True, False, True]
    assert read["loaded_at"].to_list() == [datetime(2026, 1, 2, 3, 4, 5)] * 7
    assert [str(v)[:10] for v in read["fiscal_date"].to_list()] == ["2024-04-01"] * 7


def test_a_table_is_exported_in_batches_with_the_same_bytes_as_in_one_piece(tmp_path):
    """Issue 18: the exports write a table batch by batch (memory holds one batch); the CSV is the
    one the whole table gives (header once, formula-like text escaped, lists as JSON), the Parquet
    the table itself; an empty table still has its header."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA scoring")
    con.execute(
        "CREATE TABLE scoring.t AS SELECT i AS n, CASE WHEN i % 2 = 0 THEN '=SUM(A1)' ELSE 'text ' || i END AS label, "
        "[i, i + 1] AS pair, i / 3 AS share FROM range(7) r(i)"
    )
    con.execute("CREATE TABLE scoring.empty AS SELECT * FROM scoring.t WHERE false")
    for table, rows in (("t", 7), ("empty", 0)):
        assert export_table(con, "scoring", table, tmp_path, batch_rows=2) == rows
        whole = read(con, "scoring", table)
        expected = tmp_path / "whole.csv"
        _csv_ready(whole).write_csv(expected)
        assert (tmp_path / f"scoring.{table}.csv").read_bytes() == expected.read_bytes()
        assert pl.read_parquet(tmp_path / f"scoring.{table}.parquet").equals(whole)
    assert "'=SUM(A1)" in (tmp_path / "scoring.t.csv").read_text(encoding="utf-8")


def test_a_plain_table_is_streamed_from_its_parquet_to_the_bytes_of_the_batches(tmp_path, monkeypatch):
    """Issue 18: a table of plain columns (every type the published tables hold) has its CSV
    written by polars' streaming engine from the Parquet file just written; the bytes are those the
    batch path writes from the table: nulls, formula-like text, quotes, line breaks, other
    scripts, signed zero, not-a-number and infinities, large integers, dates, an empty table."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("""
        CREATE TABLE marts.plain AS SELECT
            i::BIGINT * 1000000007 AS big, i::INTEGER AS small, (i % 3 = 0) AS flag,
            DATE '2024-04-01' + i::INTEGER AS day,
            [NULL, '=1+1', '+44 20', '-x', '@me', chr(9) || 'tab', chr(13) || 'cr', 'a "quote"',
             'two' || chr(10) || 'lines', 'comma, here', 'Ålesund ÅÄÖ 東京', '', 'plain', ' lead'][i % 14 + 1] AS label,
            [0.1, -0.0, 'nan'::DOUBLE, 'inf'::DOUBLE, '-inf'::DOUBLE, 1e-7, 123456789.125, NULL,
             1/3, 2.5e300][i % 10 + 1] AS share,
            CASE WHEN i % 4 = 0 THEN NULL ELSE 'x' || i END AS maybe
        FROM range(40) r(i)""")
    con.execute("CREATE TABLE marts.none AS SELECT * FROM marts.plain WHERE false")
    sinks = []
    original = pl.LazyFrame.sink_csv

    def spy(self, target, *args, **kwargs):
        if isinstance(target, Path):  # the streamed path (write_csv sinks to the open file)
            sinks.append(target)
        return original(self, target, *args, **kwargs)

    monkeypatch.setattr(pl.LazyFrame, "sink_csv", spy)
    for table, rows in (("plain", 40), ("none", 0)):
        streamed, batches = tmp_path / "streamed", tmp_path / "batches"
        streamed.mkdir(exist_ok=True)
        batches.mkdir(exist_ok=True)
        before = len(sinks)
        assert export_table(con, "marts", table, streamed) == rows
        assert len(sinks) == before + 1  # the streamed path was taken
        assert export_table(con, "marts", table, batches, batch_rows=7, streamed=False) == rows
        assert len(sinks) == before + 1
        name = f"marts.{table}.csv"
        assert (streamed / name).read_bytes() == (batches / name).read_bytes(), table
    text = (tmp_path / "streamed" / "marts.plain.csv").read_text(encoding="utf-8")
    assert "'=1+1" in text and "'@me" in text and '"a ""quote"""' in text and "東京" in text


# --- exports by difference, and the charts' own process (issue 18) ------------------------------
# The tables whose exact contents the latest export already holds get its files (hard links)
# instead of new ones, and the result is the export written whole; the charts drawn by a process
# of their own are those drawn in process.

AGAIN = "20260102T120000Z-abcdef13"
CHANGED = "scoring.fct_sensitivity"


def _republish(published: Path, publish_id: str, change: str | None) -> None:
    """A second published version: the first's file with `change` (SQL) applied, the pointer on it."""
    directory = published.parent
    second = directory / f"atlas-{publish_id}.duckdb"
    second.write_bytes((directory / f"atlas-{PUBLISH_ID}.duckdb").read_bytes())
    with duckdb.connect(str(second)) as con:
        con.execute("UPDATE meta.publication SET publish_id = ?", [publish_id])
        if change:
            con.execute(change)
    published.unlink()
    os.symlink(second.name, published)


def _tables(folder: Path) -> dict[str, Path]:
    return {p.name: p for p in sorted((folder / "tables").iterdir())}


def test_unchanged_tables_get_the_latest_exports_files_and_the_export_is_the_one_written_whole(published, tmp_path):
    root = tmp_path / "exports"
    first = write_exports(published, root=root, manifest_path=None, charts=False)
    assert first.reused == {}  # nothing to reuse yet
    # the next version changes one value of one table, in its 14th significant digit: the content
    # hash of publish forgives that (last-bit noise), the exact digest does not
    _republish(published, AGAIN, f"UPDATE {CHANGED} SET figure_central = figure_central * (1 + 1e-13) "
                                 "WHERE assumption_id = 'A040'")
    second = write_exports(published, root=root, manifest_path=None, charts=False)
    assert second.reused == {t: PUBLISH_ID for t in first.tables if t != CHANGED}
    assert second.tables == first.tables
    new, old = _tables(root / AGAIN), _tables(root / PUBLISH_ID)
    for name, path in new.items():
        linked = path.stat().st_ino == old[name].stat().st_ino
        assert linked == (not name.startswith(CHANGED + ".")), name
        assert not path.stat().st_mode & 0o222  # read-only: another version's folder shares it
    # the same version written whole, every table exported
    whole = write_exports(published, root=tmp_path / "whole", manifest_path=None, charts=False, reuse_tables=False)
    assert whole.reused == {}
    reference = _tables(tmp_path / "whole" / AGAIN)
    assert sorted(reference) == sorted(new)
    for name, path in new.items():
        if name.endswith(".csv"):
            assert path.read_bytes() == reference[name].read_bytes(), name
        else:
            assert pl.read_parquet(path).equals(pl.read_parquet(reference[name])), name
    assert pl.read_csv(new[f"{CHANGED}.csv"])["figure_central"].to_list() != pl.read_csv(
        old[f"{CHANGED}.csv"])["figure_central"].to_list()
    # the manifest: which tables were reused, every table's digest, and sha256 true of every file
    manifest = json.loads((root / AGAIN / "manifest.json").read_text())
    assert manifest["reused_tables"] == second.reused
    assert manifest["table_contents"] == json.loads((tmp_path / "whole" / AGAIN / "manifest.json").read_text())[
        "table_contents"]
    for relative, entry in manifest["files"].items():
        path = root / AGAIN / relative
        assert entry == {"bytes": path.stat().st_size, "sha256": sha256_of(path)}, relative


def test_a_reused_file_that_no_longer_matches_its_manifest_is_written_again(published, tmp_path):
    root = tmp_path / "exports"
    write_exports(published, root=root, manifest_path=None, charts=False)
    tables = root / PUBLISH_ID / "tables"
    grown = tables / "marts.dim_service.csv"
    grown.chmod(0o644)
    grown.write_bytes(grown.read_bytes() + b"\n")  # another size
    same_size = tables / "seeds.archetypes.parquet"
    same_size.chmod(0o644)
    data = bytearray(same_size.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the same size, another sha256
    same_size.write_bytes(bytes(data))
    _republish(published, AGAIN, None)
    second = write_exports(published, root=root, manifest_path=None, charts=False, share=False)
    assert "marts.dim_service" not in second.reused and "seeds.archetypes" not in second.reused
    assert "scoring.fct_service_automation_summary" in second.reused
    again = root / AGAIN / "tables"
    assert pl.read_parquet(again / "seeds.archetypes.parquet").height == 3
    assert pl.read_csv(again / "marts.dim_service.csv").height == 12
    assert (again / "marts.dim_service.csv").stat().st_ino != grown.stat().st_ino


def test_no_table_is_reused_across_a_change_of_the_code_or_libraries_that_write_them(published, tmp_path, monkeypatch):
    root = tmp_path / "exports"
    write_exports(published, root=root, manifest_path=None, charts=False)
    _republish(published, AGAIN, None)
    monkeypatch.setattr(exports, "table_files_format", lambda: "another writer")
    second = write_exports(published, root=root, manifest_path=None, charts=False, share=False)
    assert second.reused == {} and len(second.tables) > 10


def _publish_manifest(published: Path, **changes) -> dict[str, str]:
    """Write the version's publish manifest (as publishing.publish does, with what the exports
    read from it) and return each table's exact digest."""
    with duckdb.connect(str(published), read_only=True) as con:
        digests = {f"{schema}.{table}": exact_digest(con, qualified(schema, table))
                   for schema, table in exports.published_tables(con)}
    manifest = {"publish_id": PUBLISH_ID, "built_with_duckdb": duckdb.__version__,
                "tables": {name: {"exact_sha256": digest, "rows": 1} for name, digest in digests.items()}, **changes}
    path = published.resolve().with_name(f"atlas-{PUBLISH_ID}.json")
    path.unlink(missing_ok=True)
    path.write_text(json.dumps(manifest), encoding="utf-8")
    return digests


@pytest.mark.parametrize("manifest", ["recorded", "another version's", "another duckdb's", "unreadable", "none"])
def test_the_exports_take_the_digests_publish_recorded_and_take_them_only_from_that_version(
        published, tmp_path, monkeypatch, manifest):
    """Issue 18: each table's exact digest comes from the version's publish manifest, when it is
    that version's and written by this DuckDB; otherwise the exports take it themselves. Either
    way the export's manifest records the table's exact digest."""
    changes = {"another version's": {"publish_id": AGAIN}, "another duckdb's": {"built_with_duckdb": "0.0.1"}}
    digests = _publish_manifest(published, **changes.get(manifest, {}))
    path = published.resolve().with_name(f"atlas-{PUBLISH_ID}.json")
    if manifest == "unreadable":
        path.write_text("{not json", encoding="utf-8")
    elif manifest == "none":
        path.unlink()
    taken: list[str] = []

    def counted(con, relation):
        taken.append(relation)
        return exact_digest(con, relation)

    monkeypatch.setattr(exports, "exact_digest", counted)
    assert exports.published_digests(published.resolve(), PUBLISH_ID) == (digests if manifest == "recorded" else {})
    root = tmp_path / "exports"
    write_exports(published, root=root, manifest_path=None, charts=False)
    assert len(taken) == (0 if manifest == "recorded" else len(digests))
    assert json.loads((root / PUBLISH_ID / "manifest.json").read_text())["table_contents"] == digests


def _points(published: Path) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    with duckdb.connect(str(published), read_only=True) as con:
        frames = {t: con.sql(f"SELECT * FROM {t}").pl() for t in (
            "scoring.fct_service_automation_summary", "seeds.archetypes", "scoring.fct_unit_cost_calibration",
            "scoring.fct_sensitivity")}
    points = matrix_points(frames["scoring.fct_service_automation_summary"], frames["seeds.archetypes"])
    return points, frames["scoring.fct_unit_cost_calibration"], frames["scoring.fct_sensitivity"]


LABELS = {"publish_id": PUBLISH_ID, "published_at": "2026-01-01 12:00:00", "run_id": "abcdef12-run"}


@pytest.mark.parametrize("split_up_to", [0, 10**9], ids=["one process", "a process per part"])
def test_the_charts_drawn_by_their_own_processes_are_those_drawn_in_process(published, tmp_path, monkeypatch,
                                                                             split_up_to):
    points, calibration, sensitivity = _points(published)
    names = draw_charts(tmp_path / "here", points, calibration, sensitivity, **LABELS)
    assert names == ["matrix.png", "matrix.html", "value_by_organisation.png", "calibration.png", "sensitivity.png"]
    monkeypatch.setattr(exports, "SPLIT_CHARTS_UP_TO", split_up_to)
    drawing = exports._ChartDrawing(tmp_path / "staging" / "charts", points, calibration, sensitivity, **LABELS)
    assert len(drawing._processes) == (1 if split_up_to == 0 else len(PARTS))
    assert drawing.wait() == names
    assert sorted(names) == sorted(p.name for p in (tmp_path / "staging" / "charts").iterdir())
    for name in names:
        assert (tmp_path / "staging" / "charts" / name).read_bytes() == (tmp_path / "here" / name).read_bytes(), name
    assert sorted(p.name for p in (tmp_path / "staging").iterdir()) == ["charts"]  # its inputs are gone


def test_a_failure_of_the_chart_process_is_an_export_error_with_its_traceback(tmp_path):
    drawing = exports._ChartDrawing(tmp_path / "staging" / "charts", pl.DataFrame({"service_key": ["x"]}),
                                    None, None, **LABELS)
    with pytest.raises(ExportError, match=r"reporting\.chart_set exited with code 1(.|\n)*Traceback"):
        drawing.wait()
    assert list((tmp_path / "staging").iterdir()) == []
    killed = exports._ChartDrawing(tmp_path / "staging2" / "charts", pl.DataFrame({"service_key": ["x"]}),
                                   None, None, **LABELS)
    os.kill(killed._processes[0][1].pid, signal.SIGKILL)
    with pytest.raises(ExportError, match="exited with code -9"):
        killed.wait()
    assert all(process.poll() is not None for _part, process in killed._processes)


def test_each_part_of_the_charts_is_drawn_once(published, tmp_path):
    points, calibration, sensitivity = _points(published)
    drawn = [draw_charts(tmp_path / part, points, calibration, sensitivity, part=part, **LABELS) for part in PARTS]
    assert sorted(sum(drawn, [])) == sorted(CHARTS)
    for part, names in zip(PARTS, drawn, strict=True):
        assert sorted(p.name for p in (tmp_path / part).iterdir()) == sorted(names)
    assert {"matrix.html", "value_by_organisation.png"} <= set(PARTS["page"])  # the page embeds the chart
    with pytest.raises(ValueError, match="no chart part 'tables'"):
        draw_charts(tmp_path / "x", points, calibration, sensitivity, part="tables", **LABELS)
    assert chart_set_main([str(tmp_path), str(tmp_path / "x"), "tables"]) == 2


def test_a_failed_workbook_stops_the_chart_process_and_leaves_nothing(published, tmp_path, monkeypatch):
    started: list[exports._ChartDrawing] = []

    class Recorded(exports._ChartDrawing):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            started.append(self)

    def broken(*_args, **_kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(exports, "_ChartDrawing", Recorded)
    monkeypatch.setattr(exports, "write_workbook", broken)
    root = tmp_path / "exports"
    with pytest.raises(OSError, match="disk full"):
        write_exports(published, root=root, manifest_path=None)
    assert len(started) == 1 and all(process.poll() is not None for _part, process in started[0]._processes)
    assert list(root.iterdir()) == []
