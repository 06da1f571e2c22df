"""The benchmark scale generator on the real mirror: a 3x mirror and registry land through the
pipeline's own landing (fetch with checksums, strict readers, contracts) with 3x the rows."""

from __future__ import annotations

import duckdb
import pytest

from benchmarks.scale import build_scaled_inputs
from ingestion.catalog import raw_table
from ingestion.landing import land

FACTOR = 3
TABLES = (
    "tbs_canada__service_inventory",
    "tbs_canada__service_inventory__service_programmes",
    "gds__transactions_explorer",
)


def _land_all(folder):
    folder.mkdir()
    con = duckdb.connect(str(folder / "warehouse.duckdb"))
    try:
        results = {name: land(con, raw_table(name), run_id="test") for name in TABLES}
        keys = {
            name: con.execute(
                f"SELECT count(*) FROM (SELECT DISTINCT {cols} FROM raw.{name})"
            ).fetchone()[0]
            for name, cols in (
                ("tbs_canada__service_inventory", "service_id, fiscal_yr"),
                ("gds__transactions_explorer", "name_of_service, reporting_round"),
            )
        }
    finally:
        con.close()
    return results, keys


@pytest.fixture(scope="module")
def landed(mirror, tmp_path_factory):
    work = tmp_path_factory.mktemp("scale")
    scaled_mirror, scaled_sources = build_scaled_inputs(work / "inputs", FACTOR, mirror=mirror)
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("ATLAS_MIRROR", str(mirror))
        patch.delenv("ATLAS_SOURCES_DIR", raising=False)
        original = _land_all(work / "x1")
        patch.setenv("ATLAS_MIRROR", str(scaled_mirror))
        patch.setenv("ATLAS_SOURCES_DIR", str(scaled_sources))
        scaled = _land_all(work / "x3")
    return original, scaled


def test_scaled_tables_pass_their_contracts_with_three_times_the_rows(landed):
    (original, _), (scaled, _) = landed
    for name in TABLES:
        assert all(o.passed for o in scaled[name].outcomes), name
        assert scaled[name].rows == FACTOR * original[name].rows, name
        assert scaled[name].sha256 != original[name].sha256


def test_keys_stay_unique_and_flags_scale_with_the_copies(landed):
    (original, _), (scaled, keys) = landed
    assert keys["tbs_canada__service_inventory"] == scaled["tbs_canada__service_inventory"].rows
    assert keys["gds__transactions_explorer"] == scaled["gds__transactions_explorer"].rows
    for name in TABLES:
        assert scaled[name].flag_counts == {
            k: FACTOR * v for k, v in original[name].flag_counts.items()
        }
