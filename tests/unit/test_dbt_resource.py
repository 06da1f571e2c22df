"""The dbt CLI resource (orchestration/resources.py): dagster-dbt's `cli` runs dbt without making
a dbt adapter in the orchestrator's process first (issue 18: 1.2-1.4 s of every run's dbt step,
for features the project does not use) and without asking PyPI for dbt's version."""

from __future__ import annotations

import os
from typing import Any

import pytest
from dagster_dbt.core.dbt_cli_invocation import DbtCliInvocation

from orchestration.resources import dbt_resource


def test_a_dbt_command_starts_with_no_adapter_made_in_this_process(monkeypatch: pytest.MonkeyPatch) -> None:
    import dbt.adapters.factory as factory

    registered: list[object] = []  # (dagster-dbt would log, not raise, an error made here)
    started: dict[str, Any] = {}

    def run(**kwargs: Any) -> str:  # instead of starting dbt
        started.update(kwargs)
        return "started"

    monkeypatch.setattr(factory, "register_adapter", lambda *args, **kwargs: registered.append(args))
    monkeypatch.setattr(DbtCliInvocation, "run", staticmethod(run))
    cwd = os.getcwd()
    assert dbt_resource().cli(["build"]) == "started"
    assert os.getcwd() == cwd
    assert started["adapter"] is None and registered == []
    assert started["args"][1:3] == ["build", "--target"] and started["args"][3] == "duckdb"
    assert str(started["cli_version"]).split(".")[0] == "1"  # from the installed package, not PyPI
