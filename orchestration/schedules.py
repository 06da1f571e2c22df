"""When the pipeline runs by itself: a weekly full refresh, a sensor that notices a new version of a
source and refreshes only what depends on it, and freshness policies on the published tables.

- `atlas_weekly_full_refresh`: the whole `atlas_full` job every Monday at 05:00 UTC.
- `atlas_source_versions`: every hour, compares each registered file with the load behind the
  published warehouse (`raw._load_log`): the registry's sha256, the mirror file's sha256 (with
  ATLAS_MIRROR) or the server's HTTP validators (ETag, Last-Modified, Content-Length). For the
  datasets that changed it requests their raw assets and everything downstream (publish and
  exports included), once per new version. A file that changed but whose registry entry was not
  updated fails at `fetch` naming it, as every run does: review it, then update its sha256.
- Freshness: the marts, scores and the published warehouse should be at most 8 days old (a week
  plus a day of slack for the weekly run), with a warning after 7.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from datetime import timedelta

import dagster as dg

from ingestion.catalog import raw_tables
from ingestion.registry import load_registry
from ingestion.settings import cache_dir, mirror_dir
from ingestion.upstream import detect_changes, published_checksums
from orchestration.assets.raw import REFRESH_TAG

JOB_NAME = "atlas_full"
SENSOR_INTERVAL_SECONDS = 3600
FRESHNESS = dg.FreshnessPolicy.time_window(fail_window=timedelta(days=8), warn_window=timedelta(days=7))
FRESH_GROUPS = ("marts", "scoring", "published", "publish", "exports")

weekly_full_refresh = dg.ScheduleDefinition(
    name="atlas_weekly_full_refresh",
    job_name=JOB_NAME,
    cron_schedule="0 5 * * 1",
    execution_timezone="Etc/UTC",
    default_status=dg.DefaultScheduleStatus.RUNNING,
    tags={"atlas/trigger": "weekly_full_refresh"},
    description="Every Monday 05:00 UTC: land every source, rebuild, check, publish and export.",
)


def _published_load_log() -> list[dict[str, object]] | None:
    """raw._load_log of the published warehouse, or None when nothing is published yet."""
    import duckdb

    from publishing.publish import POINTER, published_dir

    pointer = published_dir() / POINTER
    if not pointer.exists():
        return None
    with duckdb.connect(str(pointer), read_only=True) as con:
        cursor = con.execute(
            "SELECT dataset_id, table_name, source_files, source_sha256, CAST(loaded_at AS VARCHAR) "
            "FROM raw._load_log"
        )
        names = ["dataset_id", "table_name", "source_files", "source_sha256", "loaded_at"]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def affected_assets(datasets: set[str], asset_graph) -> list[dg.AssetKey]:
    """The raw assets of `datasets` and every asset downstream of them."""
    raw_keys = [dg.AssetKey(["raw", t.name]) for t in raw_tables() if t.dataset_id in datasets]
    if not raw_keys:
        return []
    selection = dg.AssetSelection.assets(*raw_keys).downstream()
    return sorted(selection.resolve(asset_graph), key=lambda k: k.to_user_string())


@dg.sensor(
    name="atlas_source_versions",
    job_name=JOB_NAME,
    minimum_interval_seconds=SENSOR_INTERVAL_SECONDS,
    default_status=dg.DefaultSensorStatus.RUNNING,
    description="Notices a new version of a source (registry or mirror sha256, or the server's "
    "ETag/Last-Modified) against the published warehouse's load log, and requests the raw assets "
    "of the changed datasets and everything downstream of them.",
)
def source_versions_sensor(context: dg.SensorEvaluationContext):
    load_log = _published_load_log()
    if load_log is None:
        return dg.SkipReason("nothing published yet: run the full job first (make run)")
    state = json.loads(context.cursor) if context.cursor else {}
    changes, problems = detect_changes(
        load_registry(), published_checksums(load_log), mirror=mirror_dir(), cache=cache_dir(),
        state=state, files_in_use={(t.dataset_id, f) for t in raw_tables() for f in t.files},
    )
    for problem in problems:
        context.log.warning(problem)
    requested: dict[str, str] = state.setdefault("requested", {})
    new = [c for c in changes if requested.get(c.file_key) != c.fingerprint]
    for change in changes:
        context.log.info(f"{change.file_key}: {change.detail}")
    if not new:
        summary = f"{len(changes)} known change(s) already requested" if changes else "no source changed"
        return dg.SensorResult(skip_reason=summary + (f"; {len(problems)} problem(s)" if problems else ""),
                               cursor=json.dumps(state, sort_keys=True))
    datasets = {c.dataset_id for c in new}
    keys = affected_assets(datasets, context.repository_def.asset_graph)
    for change in new:
        requested[change.file_key] = change.fingerprint
    run_key = hashlib.sha256(
        "\n".join(sorted(f"{c.file_key}={c.fingerprint}" for c in new)).encode()
    ).hexdigest()[:16]
    tags = {
        "atlas/trigger": "source_versions",
        "atlas/changed_datasets": ",".join(sorted(datasets))[:255],
    }
    if any(c.signal == "http" for c in new):
        tags[REFRESH_TAG] = "true"
    observations = [
        dg.AssetObservation(
            asset_key=dg.AssetKey(["raw", t.name]),
            metadata={"new_source_version": f"{c.file}: {c.detail}", "signal": c.signal},
        )
        for c in new for t in raw_tables() if t.dataset_id == c.dataset_id and c.file in t.files
    ]
    return dg.SensorResult(
        run_requests=[dg.RunRequest(run_key=run_key, asset_selection=keys, tags=tags)],
        asset_events=observations,
        cursor=json.dumps(state, sort_keys=True),
    )


def with_freshness(defs: dg.Definitions) -> dg.Definitions:
    """The definitions with the freshness policy on every published table (marts, scores) and on
    the publish and export assets."""
    with warnings.catch_warnings():  # map_asset_specs is marked preview in Dagster 1.13
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_asset_specs(
            func=lambda spec: dg.apply_freshness_policy(spec, FRESHNESS)
            if spec.group_name in FRESH_GROUPS else spec
        )


def automation_definitions() -> dg.Definitions:
    return dg.Definitions(schedules=[weekly_full_refresh], sensors=[source_versions_sensor])
