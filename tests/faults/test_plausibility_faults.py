"""Numbers a real source cannot publish are refused at landing, naming the dataset, file, column
and row: a volume of 1e15 applications (a contract bound), and a republished inventory ten times
longer than the last good load (the change check, A044), which an operator who has reviewed it can
let through with ATLAS_ACCEPT_CHANGES."""

from __future__ import annotations

import csv
from pathlib import Path

import duckdb
import pytest

from ingestion import landing
from ingestion.catalog import raw_table
from ingestion.errors import AtlasDataError
from tests.conftest import copy_raw_from_build
from tests.faults import injectors
from tests.faults.harness import assert_fault_rejected, snapshot

SI = "tbs_canada__service_inventory"


def test_an_implausible_volume_is_refused_naming_column_and_row(
    mirror, tmp_path, monkeypatch, built_warehouse
):
    source = mirror / SI / "si_2024.csv"
    broken = injectors.set_text_cell(source, tmp_path / "si_2024.csv", "num_applications_total", 7,
                                     "999999999999999")
    error = assert_fault_rejected(built_warehouse, tmp_path, monkeypatch, SI, "si_2024.csv", broken,
                                  column="num_applications_total")
    assert error.row == 7
    assert "1000000000" in str(error) or "1,000,000,000" in str(error)


def _tenfold(source: Path, target: Path) -> Path:
    """The inventory with every row repeated ten times under new service ids."""
    with source.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    header, body = rows[0], rows[1:]
    key = header.index("service_id")
    out = [header]
    for copy in range(10):
        for row in body:
            row = list(row)
            row[key] = f"{row[key]}-{copy}" if copy else row[key]
            out.append(row)
    with target.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle, lineterminator="\n").writerows(out)
    return target


def _land_good_then(build: Path, tmp_path: Path, monkeypatch, broken: Path):
    """A warehouse holding the build's good load of the inventory (table and load-log row: the
    last good load the change check compares with), whose next landing reads `broken`."""
    table = raw_table(SI)
    con = duckdb.connect(str(tmp_path / "faults.duckdb"))
    copy_raw_from_build(con, build, table)
    real_fetch = landing.fetch
    monkeypatch.setattr(landing, "fetch",
                        lambda dataset_id, name: broken if name == "si_2024.csv" else real_fetch(dataset_id, name))
    return con, table


def test_a_tenfold_republish_is_refused_and_the_last_good_load_kept(
    mirror, tmp_path, monkeypatch, built_warehouse
):
    broken = _tenfold(mirror / SI / "si_2024.csv", tmp_path / "si_2024.csv")
    con, table = _land_good_then(built_warehouse, tmp_path, monkeypatch, broken)
    try:
        before = snapshot(con, table.name)
        with pytest.raises(AtlasDataError, match="row count moved from 1,752 .* to 17,520") as caught:
            landing.land(con, table, run_id="tenfold")
        assert caught.value.dataset_id == SI
        assert "ATLAS_ACCEPT_CHANGES=tbs_canada__service_inventory" in str(caught.value)
        assert snapshot(con, table.name) == before
        # reviewed and accepted: it lands
        monkeypatch.setenv("ATLAS_ACCEPT_CHANGES", SI)
        assert landing.land(con, table, run_id="accepted").rows == 17_520
    finally:
        con.close()
