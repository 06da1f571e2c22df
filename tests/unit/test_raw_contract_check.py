"""The landing step reports each raw table's contract as one blocking check, `contract`, whose
metadata gives every group of rules and, when one fails, where it failed."""

from __future__ import annotations

import dagster as dg
import polars as pl
import pytest
from dagster_duckdb import DuckDBResource

from ingestion.catalog import raw_tables
from ingestion.contracts import CHECKS, evaluate, load_contract
from orchestration.assets.raw import CHECK_NAME, _check_result, build_dataset_assets

DATASET = "frey_osborne__computerisation"


def _tables():
    return [t for t in raw_tables() if t.dataset_id == DATASET]


def test_one_blocking_check_per_table():
    tables = _tables()
    assets = build_dataset_assets(DATASET, tables)
    assert {(k.asset_key.path[-1], k.name) for k in assets.check_keys} == {(t.name, CHECK_NAME) for t in tables}
    assert all(spec.blocking for spec in assets.check_specs)


def test_a_landed_table_passes_its_contract_with_every_group_named(tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_CACHE", str(tmp_path / "cache"))
    tables = _tables()
    result = dg.materialize(
        [build_dataset_assets(DATASET, tables)],
        resources={"warehouse": DuckDBResource(database=str(tmp_path / "w.duckdb"))},
        instance=dg.DagsterInstance.ephemeral(),
    )
    assert result.success
    evaluations = result.get_asset_check_evaluations()
    assert len(evaluations) == len(tables)
    for evaluation in evaluations:
        assert evaluation.check_name == CHECK_NAME and evaluation.passed
        assert evaluation.metadata["rules"].value == {name: "passed" for name in CHECKS}


def test_a_failed_group_names_the_file_column_and_row():
    table = _tables()[0]
    contract = load_contract(table.name)
    good = {c.name: None for c in contract.columns}
    frame = pl.DataFrame([good, good], schema=contract.polars_schema())
    outcomes = evaluate(frame, contract, file="computerisation.csv")
    failed = [o.name for o in outcomes if not o.passed]
    assert failed, "a frame of nulls should break the contract"

    check = _check_result(table, outcomes)
    assert not check.passed and check.check_name == CHECK_NAME
    assert check.severity == dg.AssetCheckSeverity.ERROR
    rules = check.metadata["rules"].value
    assert set(rules) == set(CHECKS)
    assert [name for name, text in rules.items() if text.startswith("failed: ")] == failed
    first = next(o for o in outcomes if not o.passed).violation
    assert check.metadata["failed_rules"].value == ", ".join(failed)
    assert check.metadata["file"].value == "computerisation.csv"
    assert check.metadata["column"].value == (first.column or "")
    assert check.metadata["error"].value == first.reason
    assert check.description.startswith(f"{failed[0]}: [dataset {DATASET}, file computerisation.csv")


@pytest.mark.parametrize("name", list(CHECKS))
def test_every_group_is_in_the_check_description(name):
    spec = next(iter(build_dataset_assets(DATASET, _tables()).check_specs))
    assert name in spec.description
