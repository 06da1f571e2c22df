"""What the check history says about the warehouse as it stands, whatever run built it.

Dagster's blocking checks stop the steps downstream of a failing check in the same run. A later
subset run that neither rebuilds nor retests a table would still read it (or publish it): these
queries of the instance's check history let the scoring stage and the publish gate refuse a table
whose latest check failed, or that was rebuilt after its checks last ran.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import dagster as dg


def failed_checks(
    instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey]
) -> tuple[list[str], set[dg.AssetCheckKey]]:
    """Checks whose latest evaluation failed with severity ERROR, as 'asset:check (run id)', and
    the checks this Dagster instance has never evaluated."""
    from dagster._core.storage.asset_check_execution_record import (
        AssetCheckExecutionRecordStatus,
    )

    keys = sorted(check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))
    if not keys:
        return [], set()
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    never = {k for k in keys if k not in latest or latest[k].status not in (
        AssetCheckExecutionRecordStatus.SUCCEEDED, AssetCheckExecutionRecordStatus.FAILED)}
    failed = []
    for key, record in latest.items():
        if record.status != AssetCheckExecutionRecordStatus.FAILED:
            continue
        evaluation = record.evaluation
        if evaluation is not None and evaluation.severity != dg.AssetCheckSeverity.ERROR:
            continue
        failed.append(f"{key.asset_key.to_user_string()}:{key.name} (run {record.run_id[:8]})")
    return sorted(failed), never


def stale_checks(
    instance: dg.DagsterInstance, check_keys: Iterable[dg.AssetCheckKey]
) -> set[dg.AssetCheckKey]:
    """Checks whose latest evaluation is older than their table's latest materialisation, from
    another run: the table was rebuilt (e.g. by a subset run that failed before its tests) and its
    current contents were never checked. Within one run the order of events does not matter."""
    keys = sorted(check_keys, key=lambda k: (k.asset_key.to_user_string(), k.name))
    if not keys:
        return set()
    latest = instance.event_log_storage.get_latest_asset_check_execution_by_key(keys)
    built: dict[dg.AssetKey, Any] = {}
    stale = set()
    for key in keys:
        record = latest.get(key)
        if record is None:
            continue
        if key.asset_key not in built:
            built[key.asset_key] = instance.get_latest_materialization_event(key.asset_key)
        event = built[key.asset_key]
        if event is not None and event.run_id != record.run_id and event.timestamp > record.create_timestamp:
            stale.add(key)
    return stale


def refusal(what: str, failed: list[str]) -> str:
    """The message that stops a step on failed checks: which, and the command that rebuilds their
    tables with their checks."""
    tables = sorted({name.split(":", 1)[0] for name in failed})
    return (f"{what}: the latest evaluation of these blocking checks failed: {', '.join(failed)}. "
            "Fix the source, then rebuild those tables with their checks, e.g. "
            + " ".join(f"`make run SELECT='key:{t}+'`" for t in tables[:3]) + ", or run `make run`.")


def dbt_checks_on(layers: Iterable[str] = ("marts", "seeds")) -> list[dg.AssetCheckKey]:
    """The asset checks (dbt tests) of every dbt asset of these layers (the first part of the key)."""
    from orchestration.assets.dbt import atlas_dbt_models

    wanted = tuple(layers)
    return sorted((key for key in atlas_dbt_models.check_keys if key.asset_key.path[0] in wanted),
                  key=lambda k: (k.asset_key.to_user_string(), k.name))
