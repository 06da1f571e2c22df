"""The published warehouse of the session's real build: complete, read-only, traceable to its
sources and parameters, checked by every expectation suite, and readable by a DuckDB 1.x client."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from publishing.publish import content_hash, qualified
from quality.expectations import discover_suites
from tests.conftest import skip_or_fail

SI = "tbs_canada__service_inventory"
DUCKDB_1X_CLI = "duckdb-cli==1.5.6"


@pytest.fixture(scope="module")
def published(built_warehouse) -> Path:
    return built_warehouse.parent / "published"


@pytest.fixture(scope="module")
def manifest(published) -> dict:
    target = os.readlink(published / "atlas.duckdb")
    return json.loads((published / target.replace(".duckdb", ".json")).read_text(encoding="utf-8"))


def test_the_run_published_a_read_only_version_whose_contents_match_its_manifest(published, manifest):
    target = published / manifest["database"]
    assert (published / "atlas.duckdb").resolve() == target.resolve()
    assert oct(target.stat().st_mode & 0o777) == "0o444"
    assert {"marts.fct_ca_service", "marts.fct_ca_service_programme",
            "marts.fct_ca_service_cost_allocation", "seeds.assumptions", "raw._load_log"} <= set(manifest["tables"])
    with duckdb.connect(str(published / "atlas.duckdb"), read_only=True) as con:
        assert con.execute("SELECT publish_id FROM meta.publication").fetchone()[0] == manifest["publish_id"]
        for name, table in manifest["tables"].items():
            rows, digest = content_hash(con, qualified(*name.split(".")))
            assert (rows, digest) == (table["rows"], table["content_sha256"]), name
        # nothing but the published schemas (raw holds only the load log)
        tables = con.execute(
            "SELECT table_schema || '.' || table_name FROM information_schema.tables "
            "WHERE table_schema <> 'meta'"
        ).fetchall()
        assert {t for (t,) in tables} == set(manifest["tables"])


def test_the_manifest_traces_every_source_checksum_and_parameter(manifest, mirror):
    registered = {
        (r["dataset_id"], r["file"]): r["sha256"]
        for r in csv.DictReader((mirror / "FILES.csv").open(encoding="utf-8"))
    }
    sources = {(s["dataset_id"], s["table_name"]): s for s in manifest["sources"]}
    si = sources[(SI, SI)]
    assert si["source_sha256"] == registered[(SI, "si_2024.csv")]
    assert si["row_count"] == manifest["tables"]["marts.fct_ca_service"]["rows"]
    assert len(sources) == manifest["tables"]["raw._load_log"]["rows"]
    assert "A001" in {p["assumption_id"] for p in manifest["parameters"]}
    assert manifest["storage_version"].startswith("v1.")


def test_the_data_docs_show_every_suite_and_its_result(built_warehouse):
    docs = built_warehouse.parent / "data_docs"
    index = (docs / "index.html").read_text(encoding="utf-8")
    for suite in discover_suites():
        if (docs / f"{suite.name}.status.json").exists():
            assert f'href="{suite.name}/index.html"' in index
    for name in ("marts.fct_ca_service", "marts.fct_ca_service_cost_allocation"):
        status = json.loads((docs / f"{name}.status.json").read_text(encoding="utf-8"))
        assert status["passed"] and status["evaluated"] >= 5, status
        assert (docs / name / "index.html").is_file()


@pytest.fixture(scope="module")
def duckdb_1x_cli(tmp_path_factory) -> Path:
    """The DuckDB 1.x command-line client, in a throwaway venv (needs PyPI: skipped without it on a developer machine, a failure in CI)."""
    venv = tmp_path_factory.mktemp("duckdb1x") / "venv"
    try:
        subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                       timeout=120, capture_output=True)
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(venv / "bin" / "python"), "install",
             "--quiet", "--only-binary", ":all:", "--disable-pip-version-check", DUCKDB_1X_CLI],
            check=True, timeout=300, capture_output=True, text=True,
        )
    except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        output = getattr(exc, "stderr", "") or getattr(exc, "stdout", "") or str(exc)
        skip_or_fail(f"could not install {DUCKDB_1X_CLI} from PyPI into a throwaway venv: "
                    f"{str(output).strip()[-300:]}")
    cli = venv / "bin" / "duckdb"
    if not cli.exists():
        skip_or_fail(f"{DUCKDB_1X_CLI} installed no duckdb executable")
    return cli


def test_the_published_file_opens_in_a_duckdb_1x_client(duckdb_1x_cli, published, manifest):
    version = subprocess.run([str(duckdb_1x_cli), "--version"], capture_output=True, text=True,
                             timeout=60).stdout
    assert version.startswith("v1."), version
    counts = " UNION ALL ".join(
        f"SELECT '{name}' AS t, count(*) AS n FROM {qualified(*name.split('.'))}"
        for name in manifest["tables"]
    )
    done = subprocess.run(
        [str(duckdb_1x_cli), "-readonly", "-json", str(published / "atlas.duckdb"), "-c", counts],
        capture_output=True, text=True, timeout=120,
    )
    assert done.returncode == 0, done.stderr
    seen = {r["t"]: r["n"] for r in json.loads(done.stdout)}
    assert seen == {name: t["rows"] for name, t in manifest["tables"].items()}
