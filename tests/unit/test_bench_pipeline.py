"""The benchmark harness's bookkeeping (benchmarks/pipeline.py) on hand-made steps and samples.
Nothing here measures or asserts a time."""

from __future__ import annotations

import hashlib
import subprocess
import sys

import pytest
import yaml

from benchmarks.pipeline import (
    cpu_at,
    growth,
    per_stage,
    republish_one_value,
    stage_of,
    tree_usage,
)


@pytest.mark.parametrize(
    ("step", "stage"),
    [
        ("raw__gds__transactions_explorer", "landing"),
        ("raw__gds__transactions_explorer_great_expectations", "checks"),
        ("atlas_dbt_models", "dbt build"),
        ("marts__dim_service_great_expectations", "checks"),
        ("automation_model", "scoring"),
        ("scoring__fct_sensitivity", "scoring"),
        ("published__atlas", "publish"),
        ("exports__atlas", "exports"),
    ],
)
def test_each_step_belongs_to_its_stage(step, stage):
    assert stage_of(step) == stage


SAMPLES = [(0.0, 0.0, 100 * 2**20), (10.0, 5.0, 300 * 2**20), (20.0, 15.0, 200 * 2**20),
           (30.0, 16.0, 100 * 2**20)]


def test_cpu_is_interpolated_between_samples_and_held_outside_them():
    assert cpu_at(SAMPLES, 5.0) == pytest.approx(2.5)
    assert cpu_at(SAMPLES, 15.0) == pytest.approx(10.0)
    assert cpu_at(SAMPLES, -1.0) == 0.0
    assert cpu_at(SAMPLES, 99.0) == 16.0


def test_stages_add_their_steps_and_the_rest_is_orchestration():
    steps = [
        {"step": "raw__a", "stage": "landing", "start": 0.0, "end": 5.0, "ok": True},
        {"step": "raw__b", "stage": "landing", "start": 5.0, "end": 10.0, "ok": True},
        {"step": "atlas_dbt_models", "stage": "dbt build", "start": 10.0, "end": 20.0, "ok": True},
    ]
    stages = per_stage(steps, SAMPLES, started=0.0, finished=30.0)
    assert stages["landing"]["steps"] == 2
    assert stages["landing"]["wall_s"] == pytest.approx(10.0)
    assert stages["landing"]["cpu_s"] == pytest.approx(5.0)
    assert stages["landing"]["peak_rss_mb"] == pytest.approx(300.0)
    assert stages["dbt build"]["cpu_s"] == pytest.approx(10.0)
    assert stages["orchestration"]["wall_s"] == pytest.approx(10.0)
    assert stages["orchestration"]["cpu_s"] == pytest.approx(1.0)
    assert "scoring" not in stages


def _record(services, wall, memory):
    stage = {"wall_s": wall, "cpu_s": wall, "peak_rss_mb": memory}
    return {"services": services,
            "cold": {"stages": {"scoring": stage}, "total_wall_s": wall, "total_cpu_s": wall,
                     "peak_rss_mb": memory}}


def test_growth_exponents_are_log_log_slopes():
    runs = [_record(100, 2.0, 50.0), _record(1000, 20.0, 50.0), _record(10000, 200.0, 50.0)]
    exponents = growth(runs)
    assert exponents["scoring"]["wall_exponent"] == pytest.approx(1.0)
    assert exponents["scoring"]["memory_exponent"] == pytest.approx(0.0)
    assert exponents["total"]["wall_exponent"] == pytest.approx(1.0)
    assert growth([_record(100, 2.0, 50.0)]) == {}


def test_the_tree_includes_a_child_process_memory():
    code = "import time; b = bytearray(300 * 2**20); b[::4096] = b'x' * len(b[::4096]); " \
           "print('ready', flush=True); time.sleep(30)"
    child = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert child.stdout.readline().strip() == "ready"
        _, alone = tree_usage(child.pid)
        _, with_parent = tree_usage(__import__("os").getpid())
        assert alone > 300 * 2**20
        assert with_parent > alone
    finally:
        child.kill()
        child.wait()


def test_republishing_one_value_changes_a_copy_and_its_registry_entry_not_the_original(tmp_path):
    original = tmp_path / "mirror_original" / "d"
    original.mkdir(parents=True)
    (original / "f.csv").write_bytes(b"rank,code,probability,title\n1,11-1011,0.015,Chief executives\n2,11-1021,0.16,Managers\n")
    mirror = tmp_path / "mirror"
    mirror.mkdir()
    (mirror / "d").symlink_to(original)  # a linked dataset folder, as the generator may leave it
    sources = tmp_path / "sources"
    sources.mkdir()
    data = (original / "f.csv").read_bytes()
    (sources / "d.yml").write_text(yaml.safe_dump({
        "dataset_id": "d",
        "files": [{"name": "f.csv", "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}],
    }), encoding="utf-8")
    what = republish_one_value(mirror, sources, "d")
    changed = (mirror / "d" / "f.csv").read_bytes()
    assert (original / "f.csv").read_bytes() == data
    assert changed == b"rank,code,probability,title\n1,11-1011,0.011,Chief executives\n2,11-1021,0.16,Managers\n"
    entry = yaml.safe_load((sources / "d.yml").read_text(encoding="utf-8"))["files"][0]
    assert entry["sha256"] == hashlib.sha256(changed).hexdigest()
    assert entry["bytes"] == len(changed)
    assert "d/f.csv" in what
