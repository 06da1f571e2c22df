"""Bad input through the real pipeline: the run fails saying where, and the built tables stay."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from tests.conftest import run_pipeline
from tests.faults import injectors

SI_DATASET = "tbs_canada__service_inventory"


def _table_fingerprints(warehouse: Path) -> dict[str, tuple]:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_schema in ('raw', 'marts', 'scoring') and table_type = 'BASE TABLE' "
            "order by 1, 2"
        ).fetchall()
        out = {}
        for schema, name in tables:
            if name == "_load_log":
                continue
            out[f"{schema}.{name}"] = con.execute(
                f'select count(*), sum(hash(t)) from (select * exclude (_loaded_at, _run_id) '
                f'from "{schema}"."{name}") t'
                if schema == "raw" else
                f'select count(*), sum(hash(t)) from "{schema}"."{name}" t'
            ).fetchone()
    return out


def _mirror_with(tmp_path: Path, mirror: Path, dataset: str, file: str, broken: Path) -> Path:
    """A mirror of symlinks to the real files, except one broken file."""
    fake = tmp_path / "mirror"
    for folder in mirror.iterdir():
        if folder.is_dir():
            (fake / folder.name).mkdir(parents=True)
            for f in folder.iterdir():
                (fake / folder.name / f.name).symlink_to(f)
    target = fake / dataset / file
    target.unlink()
    shutil.copyfile(broken, target)
    return fake


@pytest.fixture(scope="module")
def warehouse_copy(built_warehouse, tmp_path_factory) -> Path:
    copy = tmp_path_factory.mktemp("faulty_runs") / "atlas.duckdb"
    shutil.copyfile(built_warehouse, copy)
    return copy


@pytest.mark.parametrize(
    "fault,expected",
    [
        ("checksum", ["checksum mismatch", SI_DATASET, "si_2024.csv"]),
        ("renamed_column", ["num_applications_total", SI_DATASET, "si_2024.csv"]),
        ("duplicate_key", ["duplicate key", SI_DATASET, "si_2024.csv", "service_id", "row"]),
    ],
)
def test_a_bad_source_fails_the_run_and_leaves_the_tables_unchanged(
    fault, expected, warehouse_copy, mirror, tmp_path, monkeypatch
):
    source = mirror / SI_DATASET / "si_2024.csv"
    broken = tmp_path / "si_2024.csv"
    if fault == "checksum":
        injectors.set_text_cell(source, broken, "service_name_en", 3, "Renamed service")
    elif fault == "renamed_column":
        injectors.rename_text_column(source, broken, "num_applications_total", "apps_total")
    else:
        rows = injectors._read_text_rows(source, ",", "utf-8-sig")
        injectors.set_text_cell(source, broken, "service_id", 2, rows[1][1])
    fake_mirror = _mirror_with(tmp_path, mirror, SI_DATASET, "si_2024.csv", broken)
    if fault != "checksum":
        # Register the broken file's checksum so that the reader and contract see it.
        import hashlib

        from ingestion.settings import SOURCES_DIR

        digest = hashlib.sha256(broken.read_bytes()).hexdigest()
        original = (mirror / SI_DATASET / "si_2024.csv")
        override = tmp_path / "sources"
        shutil.copytree(SOURCES_DIR, override)
        text = (override / f"{SI_DATASET}.yml").read_text(encoding="utf-8")
        from ingestion.fetch import sha256_of

        (override / f"{SI_DATASET}.yml").write_text(
            text.replace(sha256_of(original), digest), encoding="utf-8"
        )
        monkeypatch.setenv("ATLAS_SOURCES_DIR", str(override))
    before = _table_fingerprints(warehouse_copy)
    result = run_pipeline(
        warehouse_copy, "--select", f"key:raw/{SI_DATASET}+", mirror_dir=fake_mirror
    )
    assert result.returncode != 0, result.stdout[-3000:]
    for text in expected:
        assert text in result.stdout, (text, result.stdout[-3000:])
    assert _table_fingerprints(warehouse_copy) == before
