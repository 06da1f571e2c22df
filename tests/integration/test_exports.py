"""The exports of the session's real build (issue 7): the folder of the published version behind
`latest`, every table as Parquet and CSV, the workbook with every sheet and every column documented,
the charts (and the PNG in the asset's metadata), and what the run reports in logs and summary."""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest
from openpyxl import load_workbook

from reporting.workbook import HEADER_ROWS, SHEETS


@pytest.fixture(scope="module")
def published(built_warehouse) -> Path:
    return built_warehouse.parent / "published" / "atlas.duckdb"


@pytest.fixture(scope="module")
def publish_id(published) -> str:
    with duckdb.connect(str(published), read_only=True) as con:
        return con.execute("SELECT publish_id FROM meta.publication").fetchone()[0]


@pytest.fixture(scope="module")
def exports(built_warehouse, publish_id) -> Path:
    root = built_warehouse.parent / "exports"
    assert (root / "latest").is_symlink(), f"no exports/latest in {root}"
    assert os.readlink(root / "latest") == publish_id
    return root / publish_id


@pytest.fixture(scope="module")
def workbook(exports, publish_id):
    # atlas-<publish_id>.xlsx; when the build republished an identical version, its exports are a
    # link to the earlier version's folder, whose workbook carries that version's id
    name = os.readlink(exports) if exports.is_symlink() else publish_id
    return load_workbook(exports / f"atlas-{name}.xlsx")


def test_each_exported_csv_is_the_one_the_batch_path_writes_from_the_published_table(published, exports, tmp_path):
    """Issue 18: the exports stream a plain table's CSV from its Parquet file; on the real build
    every table's CSV is, byte for byte, the one the batch path (the path it replaced) writes from
    the published table. Tables whose files an earlier export lent (a reused build) are left out:
    their rows may come in that export's order."""
    from reporting.exports import export_table, published_tables

    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8"))
    reused = set(manifest.get("reused_tables", {}))
    compared = 0
    with duckdb.connect(str(published), read_only=True) as con:
        for schema, table in published_tables(con):
            name = f"{schema}.{table}"
            if name in reused:
                continue
            rows = export_table(con, schema, table, tmp_path, streamed=False)
            assert rows == manifest["tables"][name], name
            assert (tmp_path / f"{name}.csv").read_bytes() == (exports / "tables" / f"{name}.csv").read_bytes(), name
            (tmp_path / f"{name}.csv").unlink()
            (tmp_path / f"{name}.parquet").unlink()
            compared += 1
    assert compared > 30


def test_the_digests_publish_recorded_are_those_of_the_published_tables(published, publish_id, exports):
    """Issue 18: the exports take each table's exact digest from the version's publish manifest
    instead of scanning the table again; on the real build every recorded digest is the digest of
    the table in the published file, and the export's manifest records the same."""
    from ingestion.sql import qualified
    from publishing.publish import exact_digest
    from reporting.exports import published_digests, published_tables

    database = Path(os.path.realpath(published))
    recorded = published_digests(database, publish_id)
    with duckdb.connect(str(database), read_only=True) as con:
        computed = {f"{s}.{t}": exact_digest(con, qualified(s, t)) for s, t in published_tables(con)}
    assert len(computed) > 40 and {n: recorded.get(n) for n in computed} == computed
    if not exports.is_symlink():  # an identical republish shares the earlier version's folder
        assert json.loads((exports / "manifest.json").read_text(encoding="utf-8"))["table_contents"] == computed


def test_every_published_mart_score_and_seed_table_is_exported_as_parquet_and_csv(published, exports):
    with duckdb.connect(str(published), read_only=True) as con:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables "
            "WHERE table_schema IN ('marts', 'scoring', 'seeds')"
        ).fetchall()
        assert len(tables) > 30
        for schema, table in tables:
            rows = con.execute(f'SELECT count(*) FROM "{schema}"."{table}"').fetchone()[0]
            parquet = pl.read_parquet(exports / "tables" / f"{schema}.{table}.parquet")
            assert parquet.height == rows, f"{schema}.{table}"
            csv = pl.scan_csv(exports / "tables" / f"{schema}.{table}.csv", infer_schema=False)
            assert csv.select(pl.len()).collect().item() == rows, f"{schema}.{table}"
    manifest = json.loads((exports / "manifest.json").read_text(encoding="utf-8"))
    # the published copy itself (or, for an identical republish, the version whose folder it shares)
    expected = f"atlas-{os.readlink(exports)}.duckdb" if exports.is_symlink() else os.readlink(published)
    assert manifest["published_database"] == expected


def test_the_workbook_has_every_sheet_with_frozen_headers_and_no_index_column(workbook):
    assert set(SHEETS) <= set(workbook.sheetnames)
    for name in SHEETS:
        sheet = workbook[name]
        assert sheet.freeze_panes == f"A{HEADER_ROWS + 1}", name
        header = [c.value for c in sheet[HEADER_ROWS]]
        assert header[0] not in (None, "", "index", "__index_level_0__"), name
        assert sheet.max_row > HEADER_ROWS, f"sheet {name} is empty"
    priority = workbook["Priority list"]
    header = [c.value for c in priority[HEADER_ROWS]]
    assert header[:3] == ["country_code", "priority_rank", "quadrant"]
    assert [c.value for c in priority[2]][:3] == ["Country code", "Priority rank", "Quadrant"]
    row = [c for c in priority[HEADER_ROWS + 1]]
    assert row[header.index("headline_probability")].number_format == "0.000"
    assert row[header.index("already_digital_share")].number_format == "0.0%"
    assert row[header.index("annual_volume")].number_format == "#,##0"
    # UK costs per transaction of a few pence show their pence
    calibration = workbook["Calibration"]
    header = [c.value for c in calibration[HEADER_ROWS]]
    costs = [r[header.index("cost_per_transaction_gbp")] for r in calibration.iter_rows(min_row=HEADER_ROWS + 1)]
    assert all(c.number_format == "#,##0.00" for c in costs if isinstance(c.value, float) and 0 < c.value < 10)
    assumptions = workbook["Assumptions"]
    header = [c.value for c in assumptions[HEADER_ROWS]]
    values = [r[header.index("value")] for r in assumptions.iter_rows(min_row=HEADER_ROWS + 1, values_only=True)]
    assert sum(isinstance(v, (int, float)) for v in values) > len(values) / 2


def test_every_column_of_every_sheet_and_table_is_documented_with_description_unit_and_source(workbook, exports):
    sheet = workbook["Data dictionary"]
    header = [c.value for c in sheet[HEADER_ROWS]]
    entries = {(r[header.index("object_name")], r[header.index("column_name")]): r
               for r in sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True)}
    fields = [header.index(f) for f in ("description", "unit", "source")]
    for name in workbook.sheetnames:
        if name == "Data dictionary":
            continue
        for column in [c.value for c in workbook[name][HEADER_ROWS]]:
            entry = entries.get((name, column))
            assert entry is not None, f"{name}.{column} is not in the data dictionary"
            assert all(entry[i] for i in fields), f"{name}.{column} lacks a description, unit or source"
    dictionary = pl.read_csv(exports / "data_dictionary.csv", infer_schema=False)
    for table in [p.name.removesuffix(".parquet") for p in (exports / "tables").glob("*.parquet")]:
        columns = pl.read_parquet_schema(exports / "tables" / f"{table}.parquet")
        documented = dictionary.filter(pl.col("object_name") == table)
        assert sorted(documented["column_name"].to_list()) == sorted(columns), table
        lacking = documented.filter(pl.col("description").is_null() | pl.col("unit").is_null()
                                    | pl.col("source").is_null())
        assert lacking.is_empty(), f"{table}: {lacking['column_name'].to_list()}"
    sources = dictionary.filter(pl.col("object_name") == "marts.dim_service")["source"]
    assert sources.str.contains("tbs_canada__service_inventory").all()


def test_the_sources_sheet_names_every_dataset_with_its_licence_and_checksum(workbook, published):
    sheet = workbook["Sources and licences"]
    header = [c.value for c in sheet[HEADER_ROWS]]
    rows = list(sheet.iter_rows(min_row=HEADER_ROWS + 1, values_only=True))
    with duckdb.connect(str(published), read_only=True) as con:
        loads = con.execute("SELECT count(*) FROM raw._load_log").fetchone()[0]
    assert len(rows) == loads
    assert all(r[header.index("licence")] and re.fullmatch(r"[0-9a-f, ]{64,}", r[header.index("source_sha256")])
               for r in rows)


def test_the_charts_show_every_service_and_the_page_needs_no_network(exports, published):
    assert (exports / "charts" / "matrix.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (exports / "charts" / "value_by_organisation.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    page = (exports / "charts" / "matrix.html").read_text(encoding="utf-8")
    with duckdb.connect(str(published), read_only=True) as con:
        keys = {k for (k,) in con.execute(
            "SELECT service_key || '|' || fiscal_year FROM scoring.fct_service_automation_summary").fetchall()}
    assert set(re.findall(r'<tr data-key="([^"]+)"', page)) == keys
    assert not re.search(r'(src|href)\s*=\s*"(https?:)?//', page)


def _events(built_warehouse, key: list[str]):
    instance = dg.DagsterInstance.from_config(str(built_warehouse.parent / "dagster_home"))
    return instance.fetch_materializations(dg.AssetKey(key), limit=1).records


def test_the_exports_asset_shows_the_matrix_png_in_its_metadata(built_warehouse, publish_id):
    records = _events(built_warehouse, ["exports", "atlas"])
    assert records, "exports/atlas was not materialised"
    metadata = records[0].asset_materialization.metadata
    assert metadata["publish_id"].value == publish_id
    assert metadata["matrix_chart"].value.startswith("![probability x value matrix](data:image/png;base64,")
    # and the matrix as a table, which the UI shows without a click
    matrix = metadata["matrix"].value
    assert {"CA", "UK"} <= {json.loads(r)["country"] if isinstance(r, str) else r.data["country"] for r in matrix.records}


def test_assets_carry_row_counts_schemas_and_previews(built_warehouse):
    for key in (["raw", "gds__transactions_explorer"], ["marts", "dim_service"],
                ["scoring", "fct_service_automation_summary"]):
        records = _events(built_warehouse, key)
        assert records, key
        metadata = records[0].asset_materialization.metadata
        assert metadata["dagster/row_count"].value > 0, key
        assert "preview" in metadata and metadata["preview"].value.startswith("|"), key


def test_the_run_logs_monte_carlo_progress_and_prints_a_summary(built_warehouse):
    log = (built_warehouse.parent / "run.log").read_text(encoding="utf-8")
    # the terminal shows one line per stage; the details are in the run's log file it names
    details = Path(re.search(r"^log: (.+)$", log, re.M).group(1))
    assert re.search(r"Monte Carlo: \d+/\d+ services \(100%\)", details.read_text(encoding="utf-8"))
    assert re.search(r"^  dbt build \(models and tests\) +\d+ s  ok ", log, re.M)
    assert len(log.splitlines()) < 60, log
    assert re.search(r"^built: .*\d+ raw.*\d+ marts.*\d+ scoring", log, re.M)
    assert re.search(r"^exports \S+ -> .*exports", log, re.M)
    assert re.search(r"^  workbook: .*\.xlsx$", log, re.M)
    assert re.search(r"^data docs: .*index\.html$", log, re.M)


def test_exporting_the_real_build_again_reuses_every_table_and_gives_the_files_of_a_full_export(
        published, publish_id, tmp_path):
    """Exports by difference on the real data (issue 18): the manifest's exact digests are those
    publish recorded, a second export of the same version links every table's files, and those
    files are the ones an export that writes every table makes."""
    from reporting.exports import write_exports

    root, whole = tmp_path / "exports", tmp_path / "whole"
    first = write_exports(published, root=root, manifest_path=None, charts=False, share=False)
    version = json.loads(Path(os.path.realpath(published)).with_suffix(".json").read_text(encoding="utf-8"))
    digests = json.loads((root / publish_id / "manifest.json").read_text(encoding="utf-8"))["table_contents"]
    assert digests == {name: table["exact_sha256"] for name, table in version["tables"].items() if name in digests}
    assert sorted(digests) == sorted(first.tables)
    second = write_exports(published, root=root, manifest_path=None, charts=False, share=False)
    assert second.reused == {name: publish_id for name in first.tables}
    write_exports(published, root=whole, manifest_path=None, charts=False, share=False, reuse_tables=False)
    for name in first.tables:
        linked, written = root / publish_id / "tables", whole / publish_id / "tables"
        assert (linked / f"{name}.csv").read_bytes() == (written / f"{name}.csv").read_bytes(), name
        assert pl.read_parquet(linked / f"{name}.parquet").equals(pl.read_parquet(written / f"{name}.parquet")), name
