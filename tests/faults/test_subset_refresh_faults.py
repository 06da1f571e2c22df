"""Subset refreshes as an operator runs them, one after the other on the same warehouse and Dagster
instance (issue findings D1 and D2).

The service inventory is republished with 100 services removed and, by mistake, one service with
more online applications than applications in all (every landing bound holds; only the dbt test on
fct_ca_service's online share catches it):

1. `make run SELECT='tag:dataset=tbs_canada__service_inventory+'` fails at that test. dbt has
   rebuilt marts.dim_service (which does not read fct_ca_service) and skipped the cost tables, so the
   build warehouse now holds a new service list beside the old costs. Nothing is published.
2. The operator refreshes another source, `make run SELECT='tag:dataset=frey_osborne__computerisation+'`,
   which neither rebuilds nor retests the cost tables. It must stop before scoring the stale marts
   (the check that failed in step 1 is still the latest word on its table; the publish gate applies
   the same rule), naming the check and the command to rerun. Before the fix this published a
   warehouse whose cost table held services dim_service did not.
3. The corrected republish (services removed, no bad value) and the documented command recover:
   the run succeeds and the published services and costs agree, service for service.

Every dbt test the runs execute is reported as an asset check, never as an observation.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest

from ingestion.fetch import sha256_of
from ingestion.settings import SOURCES_DIR
from tests.faults.pipeline_batch import run_batch

SI = "tbs_canada__service_inventory"
REMOVED = 100  # services dropped by the republish

QUERIES = {
    "ca_services": "SELECT count(*) FROM marts.dim_service WHERE country_code = 'CA'",
    "ca_cost_rows": "SELECT count(*) FROM marts.fct_service_cost WHERE currency = 'CAD'",
    "cost_rows_without_service": """
        SELECT count(*) FROM marts.fct_service_cost AS c
        LEFT JOIN marts.dim_service AS d USING (service_key, fiscal_year)
        WHERE d.service_key IS NULL""",
    "ca_scored": "SELECT count(*) FROM scoring.fct_service_automation_summary WHERE country_code = 'CA'",
}


def _rows(path: Path) -> tuple[list[str], list[list[str]]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write(path: Path, header: list[str], rows: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerows([header, *rows])
    path.write_text(buffer.getvalue(), encoding="utf-8")


def _republish(mirror: Path, folder: Path, *, bad_online_share: bool) -> dict[str, str]:
    """A mirror (symlinks to the real one) and a registry in which the service inventory is
    republished without its last REMOVED services (and their programme rows), optionally with one
    service reporting ten times more online applications than applications in all."""
    fake = folder / "mirror"
    for sub in mirror.iterdir():
        if sub.is_dir():
            (fake / sub.name).mkdir(parents=True)
            for f in sub.iterdir():
                (fake / sub.name / f.name).symlink_to(f)
    header, rows = _rows(mirror / SI / "si_2024.csv")
    sid = header.index("service_id")
    removed = set(sorted({row[sid] for row in rows})[-REMOVED:])
    kept = [row for row in rows if row[sid] not in removed]
    if bad_online_share:
        total, online = header.index("num_applications_total"), header.index("num_applications_online")
        row = next(r for r in kept if r[total].isdigit() and int(r[total]) > 0)
        row[online] = str(int(row[total]) * 10)
    (fake / SI / "si_2024.csv").unlink()
    _write(fake / SI / "si_2024.csv", header, kept)
    p_header, p_rows = _rows(mirror / SI / "serv_prog.csv")
    psid = p_header.index("service_id")
    (fake / SI / "serv_prog.csv").unlink()
    _write(fake / SI / "serv_prog.csv", p_header, [r for r in p_rows if r[psid] not in removed])

    sources = folder / "sources"
    shutil.copytree(SOURCES_DIR, sources)
    entry = sources / f"{SI}.yml"
    text = entry.read_text(encoding="utf-8")
    for name in ("si_2024.csv", "serv_prog.csv"):
        text = text.replace(sha256_of(mirror / SI / name), sha256_of(fake / SI / name))
    entry.write_text(text, encoding="utf-8")
    return {"ATLAS_MIRROR": str(fake), "ATLAS_SOURCES_DIR": str(sources), "ATLAS_CACHE": str(folder / "cache")}


@pytest.fixture(scope="module")
def sequence(built_warehouse, mirror, tmp_path_factory) -> list[dict]:
    root = tmp_path_factory.mktemp("subset_refresh")
    pristine = built_warehouse.parent
    assert (pristine / "published" / "atlas.duckdb").is_symlink(), "the session build published nothing"
    (root / "mistake").mkdir()
    (root / "corrected").mkdir()
    mistake = _republish(mirror, root / "mistake", bad_online_share=True)
    corrected = _republish(mirror, root / "corrected", bad_online_share=False)
    inventory = f"tag:dataset={SI}+"
    steps = [
        {"name": "republish with a mistake", "selection": inventory, "env": mistake},
        {"name": "refresh another source", "selection": "tag:dataset=frey_osborne__computerisation+",
         "env": mistake},
        {"name": "corrected republish", "selection": inventory, "env": corrected},
    ]
    [result] = run_batch(root, pristine, mirror, [],
                         [{"name": "subset refresh", "steps": steps, "queries": QUERIES}])
    return result["steps"]


def test_a_republish_with_a_bad_value_fails_at_its_dbt_test_and_publishes_nothing(sequence, record_fault):
    first = sequence[0]
    assert not first["success"]
    checks = [c["check"] for c in first["failed_checks"]]
    assert any("fct_ca_service" in c and "online_share" in c for c in checks), checks
    assert first["published_after"] == first["published_before"]
    record_fault("subset run: republished inventory with an online share above 1")


def test_a_later_subset_run_that_does_not_retest_the_stale_tables_does_not_publish(sequence, record_fault):
    before = sequence[0]["published_rows"]
    second = sequence[1]
    assert not second["success"]
    message = " ".join(second["errors"])
    assert "the latest evaluation of these blocking checks failed" in message, message
    assert "fct_ca_service" in message and "online_share" in message, message
    assert "make run SELECT=" in message, message
    assert second["published_after"] == second["published_before"]
    assert second["published_rows"] == before
    record_fault("subset run of another source after a failed one (D1)")


def test_the_documented_command_recovers_from_a_republish_that_removes_services(sequence, record_fault):
    pristine_services = sequence[0]["published_rows"]["ca_services"][0][0]
    third = sequence[2]
    assert third["success"], third["errors"]
    assert third["published_after"]["atlas.duckdb"] != third["published_before"]["atlas.duckdb"]
    rows = third["published_rows"]
    services = rows["ca_services"][0][0]
    assert pristine_services - REMOVED <= services < pristine_services  # a service can span two years
    assert rows["ca_cost_rows"][0][0] == services
    assert rows["cost_rows_without_service"][0][0] == 0
    assert rows["ca_scored"][0][0] == services
    record_fault("republish that removes services, then the documented subset command (D2)")


def test_every_dbt_test_a_run_executes_is_an_asset_check(sequence):
    for step in sequence:
        assert step["observed_tests"] == [], (step["name"], step["observed_tests"][:5])
