"""The `exports/atlas` asset: after each publish, the exports of the published version (Parquet and
CSV of every table, the economists' workbook, the data dictionary, the matrix and organisation
charts) in exports/<publish_id>/ with a `latest` pointer (a link to the previous version's folder
when the version is identical to it). It reads only the published copy; the work is in
reporting/exports.py. Its metadata shows the matrix as a table, which the UI displays inline."""

import base64
import io
from collections import deque
from pathlib import Path

import dagster as dg

from ingestion.settings import exports_dir
from orchestration.assets.publish import PUBLISH_KEY
from orchestration.dbt_project import atlas_dbt_project
from publishing.publish import POINTER, published_dir
from reporting.exports import ExportError, write_exports

EXPORTS_KEY = dg.AssetKey(["exports", "atlas"])
OWNER = "team:atlas-economics"
PREVIEW_WIDTH = 1100


def upstream_datasets(asset_graph, keys: list[dg.AssetKey]) -> dict[str, list[str]]:
    """For each schema.table asset key, the dataset ids of the raw assets upstream of it."""
    out: dict[str, list[str]] = {}
    for key in keys:
        if len(key.path) != 2 or not asset_graph.has(key):
            continue
        seen: set[dg.AssetKey] = set()
        queue = deque([key])
        datasets: set[str] = set()
        while queue:
            current = queue.popleft()
            for parent in asset_graph.get(current).parent_keys:
                if parent in seen or not asset_graph.has(parent):
                    continue
                seen.add(parent)
                if parent.path[0] == "raw":
                    dataset = asset_graph.get(parent).tags.get("dataset")
                    if dataset:
                        datasets.add(dataset)
                queue.append(parent)
        out[".".join(key.path)] = sorted(datasets)
    return out


def _png_preview(path: Path) -> str:
    """The PNG, scaled down, as a markdown image (shown in the asset's metadata in the UI)."""
    from PIL import Image

    with Image.open(path) as image:
        image.thumbnail((PREVIEW_WIDTH, PREVIEW_WIDTH))
        buffer = io.BytesIO()
        image.save(buffer, format="PNG", optimize=True)
    encoded = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f"![probability x value matrix](data:image/png;base64,{encoded})"


def _matrix_table(rows: list[dict[str, str]]) -> dg.TableMetadataValue:
    columns = list(rows[0])
    return dg.MetadataValue.table(
        records=[dg.TableRecord(row) for row in rows],
        schema=dg.TableSchema(columns=[dg.TableColumn(name, "string") for name in columns]),
    )


def exports_definitions(defs: dg.Definitions) -> dg.Definitions:
    """The exports asset, given the lineage of every marts, scoring and seeds table of `defs` (the
    raw datasets upstream of each, for the data dictionary's source column)."""
    graph = defs.resolve_asset_graph()
    keys = [k for k in graph.get_all_asset_keys() if k.path[0] in ("marts", "scoring", "seeds")]
    return dg.Definitions(assets=[build_exports_asset(upstream_datasets(graph, keys))])


def build_exports_asset(lineage: dict[str, list[str]]) -> dg.AssetsDefinition:
    """The `exports/atlas` asset writing the given lineage into the data dictionary."""

    @dg.asset(
        key=EXPORTS_KEY,
        group_name="exports",
        owners=[OWNER],
        kinds={"polars", "parquet", "excel"},
        deps=[PUBLISH_KEY],
        description=(
            "Exports of the published version, in exports/<publish_id>/ (ATLAS_EXPORTS) with a `latest` "
            "pointer: Parquet and CSV of every mart, score and seed table; the economists' workbook "
            "(priority list, matrix summary, services, organisations, archetypes, UK replication, "
            "assumptions, data dictionary, sources and licences); data_dictionary.csv; the probability "
            "x value matrix as PNG and as an offline interactive page, and value by organisation. "
            "Reads only the published copy, never the build warehouse. A version identical to the one "
            "before it gets a link to that version's folder instead of new files."
        ),
    )
    def atlas_exports(context: dg.AssetExecutionContext) -> dg.MaterializeResult:
        pointer = published_dir() / POINTER
        try:
            result = write_exports(
                pointer,
                root=exports_dir(),
                manifest_path=Path(atlas_dbt_project.manifest_path),
                lineage=lineage,
                log=context.log.info,
            )
        except ExportError as error:
            raise dg.Failure(description=str(error), allow_retries=False) from error
        if result.undocumented:
            context.log.warning(
                f"{len(result.undocumented)} columns lack a description, unit or source in the data "
                f"dictionary: {', '.join(result.undocumented[:20])}"
            )
        context.log.info(
            f"exports of {result.publish_id} in {result.directory} ({result.seconds:.0f} s); "
            f"latest -> {result.publish_id}"
        )
        metadata: dict[str, object] = {
            "publish_id": result.publish_id,
            "path": dg.MetadataValue.path(str(result.directory)),
            "latest": dg.MetadataValue.path(str(result.directory.parent / "latest")),
            "tables_exported": len(result.tables),
            "dagster/row_count": sum(result.tables.values()),
            "table_rows": dg.MetadataValue.json(result.tables),
            "workbook_sheets": dg.MetadataValue.json(result.sheets),
            "undocumented_columns": len(result.undocumented),
            "pruned_exports": dg.MetadataValue.json(result.pruned),
        }
        if result.shared_with:
            # an identical republish: its exports are the earlier version's folder (a link)
            metadata["shared_with"] = result.shared_with
        if result.reused:
            # unchanged tables: their files are those of the export before (hard links)
            metadata["tables_reused"] = len(result.reused)
            metadata["tables_reused_from"] = sorted(set(result.reused.values()))[0]
        if result.matrix:
            # a table, which the UI shows as it is (the PNG below sits behind "Show Markdown")
            metadata = {"matrix": _matrix_table(result.matrix), **metadata}
        if result.workbook:
            metadata["workbook"] = dg.MetadataValue.path(str(result.workbook))
        if result.dictionary:
            metadata["data_dictionary"] = dg.MetadataValue.path(str(result.dictionary))
        if "matrix.html" in result.charts:
            metadata["matrix_page"] = dg.MetadataValue.path(str(result.charts["matrix.html"]))
        if "matrix.png" in result.charts:
            metadata["matrix_chart"] = dg.MetadataValue.md(_png_preview(result.charts["matrix.png"]))
        if "value_by_organisation.png" in result.charts:
            metadata["value_by_organisation_chart"] = dg.MetadataValue.md(
                _png_preview(result.charts["value_by_organisation.png"]).replace(
                    "probability x value matrix", "value by organisation")
            )
        return dg.MaterializeResult(metadata=metadata)

    return atlas_exports
