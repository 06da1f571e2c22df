"""The lineage asset: scoring.table_lineage, the assumption ids and source files behind every table
of the marts and scoring schemas (publishing/lineage.py says how). It sits downstream of every
such table, so publish (which waits for it) always carries the lineage of what it publishes."""

import json
from pathlib import Path

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from ingestion.settings import DBT_PROJECT_DIR
from orchestration.assets.scoring import table_metadata, write_table
from orchestration.dbt_project import atlas_dbt_project
from publishing.lineage import LINEAGE_TABLE, cited_ids, table_lineage

OWNER = "team:atlas-economics"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
LINEAGE_KEY = dg.AssetKey(list(LINEAGE_TABLE))
LINEAGE_SCHEMAS = ("marts", "scoring")

CORE_MODEL = ("pipeline.py", "model.py", "production.py", "uncertainty.py", "parameters.py", "io.py")
SENSITIVITY = (*CORE_MODEL, "sensitivity.py")
# The Python modules behind each scoring table: the assumption ids they cite are the table's own.
SCORING_MODULES: dict[str, tuple[str, ...]] = {
    **{
        name: CORE_MODEL
        for name in (
            "fct_service_activity", "fct_service_domain_match", "fct_service_automation",
            "fct_service_automation_summary", "agg_automation_by_organisation",
            "agg_automation_by_archetype", "agg_automation_by_country", "agg_automation_by_activity",
            "uk_replication", "fct_unit_cost_calibration", "model_diagnostics", "dim_parameter_set",
        )
    },
    "fct_sensitivity": SENSITIVITY,
    "fct_service_evidence_link": ("evidence.py",),
    "fct_service_evidence_posterior": ("evidence.py",),
    "fct_pilot_evidence_used": ("evidence.py",),
    "fct_service_access_risk": ("access.py",),
    "fct_organisation_occupation_workforce": ("workforce.py",),
    "fct_occupation_outlook": ("workforce.py",),
    "fct_occupation_redeployment_option": ("workforce.py",),
}


def _dbt_own_ids() -> dict[str, tuple[set[str], set[str]]]:
    """Ids cited by each dbt model's SQL and each seed's rows (not the register's own rows)."""
    manifest = json.loads(Path(atlas_dbt_project.manifest_path).read_text(encoding="utf-8"))
    own: dict[str, tuple[set[str], set[str]]] = {}
    for node in manifest["nodes"].values():
        key = f"{node['schema']}/{node['name']}"
        if node["resource_type"] == "model":
            own[key] = cited_ids(node.get("raw_code") or "")
        elif node["resource_type"] == "seed" and node["name"] != "assumptions":
            own[key] = cited_ids((DBT_PROJECT_DIR / node["original_file_path"]).read_text(encoding="utf-8"))
    return own


def _scoring_own_ids(scoring_tables: list[str]) -> dict[str, tuple[set[str], set[str]]]:
    undeclared = sorted(t for t in scoring_tables if t.split("/", 1)[1] not in SCORING_MODULES)
    if undeclared:
        raise ValueError(
            f"scoring tables with no modules declared in orchestration/assets/lineage.py: {undeclared}"
        )
    own = {}
    for table in scoring_tables:
        named: set[str] = set()
        inside: set[str] = set()
        for module in SCORING_MODULES[table.split("/", 1)[1]]:
            n, i = cited_ids((PROJECT_ROOT / "scoring" / module).read_text(encoding="utf-8"))
            named |= n
            inside |= i
        own[table] = (named, inside)
    return own


def lineage_definitions(defs: dg.Definitions) -> dg.Definitions:
    """The lineage asset over every marts and scoring asset of `defs`, to merge with it."""
    graph = defs.resolve_asset_graph()
    parents = {
        key.to_user_string(): {p.to_user_string() for p in graph.get(key).parent_keys}
        for key in graph.get_all_asset_keys()
    }
    tables = sorted(
        key for key in parents
        if key.split("/", 1)[0] in LINEAGE_SCHEMAS and key != LINEAGE_KEY.to_user_string()
    )
    seeds_dir = DBT_PROJECT_DIR / "seeds"

    @dg.asset(
        key=LINEAGE_KEY,
        group_name="scoring",
        owners=[OWNER],
        kinds={"duckdb", "polars"},
        deps=[dg.AssetKey.from_user_string(t) for t in tables],
        description=(
            "One row per table of the marts and scoring schemas and item of its lineage: every "
            "assumption id the table's code and upstream code cite (with its value), every source "
            "file landed upstream (with the sha256 the landing checked) and every seed file upstream "
            "(with its sha256)."
        ),
    )
    def table_lineage_asset(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
        with warehouse.get_connection() as con:
            register = con.sql("SELECT assumption_id, parameter, value, source FROM seeds.assumptions").pl()
            load_log = con.sql(
                """SELECT table_name, dataset_id, source_files, source_sha256 FROM raw._load_log
                   QUALIFY row_number() OVER (PARTITION BY table_name ORDER BY loaded_at DESC) = 1"""
            ).pl()
            own = _dbt_own_ids()
            own.update(_scoring_own_ids([t for t in tables if t.startswith("scoring/")]))
            frame = table_lineage(
                tables, parents, own, register, load_log,
                {f"seeds/{p.stem}": p for p in sorted(seeds_dir.glob("*.csv"))},
            )
            def having(kind: str) -> set[str]:
                rows = frame.filter(pl.col("lineage_kind") == kind)
                return {f"{s}/{t}" for s, t in rows.select("table_schema", "table_name").iter_rows()}

            scoring = {t for t in tables if t.startswith("scoring/")}
            bare = sorted((scoring - having("assumption")) | (scoring - having("source_file")))
            if bare:
                raise dg.Failure(
                    description=f"scoring tables without assumption ids or source files upstream: {bare}",
                    allow_retries=False,
                )
            seeds_only = sorted(set(tables) - having("source_file"))
            if seeds_only:
                context.log.info(f"tables with no source file upstream (seeds only): {seeds_only}")
            write_table(con, LINEAGE_TABLE[1], frame)
        return dg.MaterializeResult(metadata=table_metadata(frame, LINEAGE_TABLE[1]))

    return dg.Definitions(assets=[table_lineage_asset])
