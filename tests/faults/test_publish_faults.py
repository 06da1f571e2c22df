"""One fault at a time through the real pipeline: the run fails saying where, nothing is published,
and the published warehouse readers see is byte for byte what it was.

Every fault starts from a copy of the session's built and published warehouse and runs only the
affected asset and everything downstream of it (`key:raw/<table>+`, which includes publish). The
landing faults run through tests/faults/pipeline_batch.py, which loads the definitions once and
runs the job once per fault; the dbt seed fault needs its own copy of the project, so it runs the
CLI in a copy of the repository.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ingestion.fetch import sha256_of
from ingestion.settings import SOURCES_DIR
from tests.conftest import PROJECT_ROOT
from tests.faults import injectors
from tests.faults.pipeline_batch import published_state, run_batch

SI = "tbs_canada__service_inventory"
SI_FILE = "si_2024.csv"
RBPO = "tbs_canada__program_spending_ftes"
RBPO_FILE = "rbpo.csv"


@dataclass
class Fault:
    name: str
    dataset: str
    file: str
    expected: list[str]  # every one must appear in the failure message
    make: str  # how to break the file (see _broken_file)
    accept_checksum: bool = True  # register the broken file's sha256 so that the reader sees it
    env: dict[str, str | None] = field(default_factory=dict)
    max_seconds: float | None = None
    keeps_build: bool = False  # also check that every table of the build warehouse is unchanged

    @property
    def selection(self) -> str:
        return f"key:raw/{self.dataset}+"


FAULTS = [
    Fault("checksum mismatch", SI, SI_FILE, ["checksum mismatch", SI, SI_FILE, "data_contracts/sources"],
          "edited_cell", accept_checksum=False, keeps_build=True),
    Fault("truncated file", SI, SI_FILE, ["truncated", SI, SI_FILE, "row "], "truncated"),
    Fault("empty file", SI, SI_FILE, ["empty", SI, SI_FILE], "empty"),
    Fault("wrong encoding", SI, SI_FILE, ["not valid utf-8", SI, SI_FILE], "cp1252"),
    Fault("renamed column", SI, SI_FILE, ["column 'num_applications_total'", "missing", SI, SI_FILE],
          "renamed_column", keeps_build=True),
    Fault("missing column", SI, SI_FILE, ["column 'service_scope'", "missing", SI, SI_FILE],
          "dropped_column"),
    Fault("extra column", SI, SI_FILE, ["column 'surprise'", "unexpected column", SI, SI_FILE],
          "extra_column"),
    Fault("wrong type", SI, SI_FILE,
          ["column 'num_applications_online'", "row 7", "'lots'", SI, SI_FILE], "wrong_type"),
    Fault("wrong type in spending", RBPO, RBPO_FILE,
          ["column 'actual_spending'", "row 3", RBPO, RBPO_FILE], "wrong_type_rbpo"),
    Fault("duplicate key", SI, SI_FILE, ["duplicate key", "column 'service_id'", "row 1", SI_FILE],
          "duplicate_key", keeps_build=True),
    Fault("null key", SI, SI_FILE, ["column 'service_id'", "row 5", "must not be null", SI_FILE],
          "null_key"),
    Fault("value out of range", SI, SI_FILE,
          ["column 'num_applications_total'", "row 4", "minimum", "'-5'", SI_FILE], "negative"),
    Fault("file missing from the mirror", SI, SI_FILE, ["missing from the mirror", SI, SI_FILE],
          "deleted", accept_checksum=False),
    # A non-routable address: the download must give up after its attempts (ATLAS_DOWNLOAD_RETRIES + 1)
    # of ATLAS_DOWNLOAD_TIMEOUT each, not hang.
    Fault("unreachable download URL", SI, SI_FILE, ["could not download", SI, SI_FILE, "ATLAS_MIRROR"],
          "unreachable", accept_checksum=False,
          env={"ATLAS_MIRROR": None, "ATLAS_DOWNLOAD_TIMEOUT": "2", "ATLAS_DOWNLOAD_RETRIES": "1",
               "ATLAS_ALLOWED_HOSTS": "<dead host allowed>"},
          max_seconds=60),
    Fault("download host off the allow-list", SI, SI_FILE,
          ["not on the allow-list", "10.255.255.1", SI, SI_FILE, "allowed_hosts.yml"],
          "unreachable", accept_checksum=False, env={"ATLAS_MIRROR": None}, max_seconds=60),
]


def _broken_file(fault: Fault, source: Path, target: Path) -> Path | None:
    """Write the broken copy of `source` (None: the file is absent)."""
    rows = injectors._read_text_rows(source, ",", "utf-8-sig") if source.suffix == ".csv" else []
    match fault.make:
        case "edited_cell":
            return injectors.set_text_cell(source, target, "service_name_en", 3, "Renamed service")
        case "truncated":
            return injectors.truncate(source, target)
        case "empty":
            target.write_bytes(b"")
            return target
        case "cp1252":
            text = source.read_text(encoding="utf-8-sig")
            target.write_bytes(text.encode("cp1252", errors="replace"))
            return target
        case "renamed_column":
            return injectors.rename_text_column(source, target, "num_applications_total", "apps_total")
        case "dropped_column":
            i = rows[0].index("service_scope")
            return injectors._write_text_rows([r[:i] + r[i + 1:] for r in rows], target, ",", "utf-8")
        case "extra_column":
            return injectors._write_text_rows(
                [r + (["surprise"] if n == 0 else ["x"]) for n, r in enumerate(rows)], target, ",", "utf-8"
            )
        case "wrong_type":
            return injectors.set_text_cell(source, target, "num_applications_online", 7, "lots")
        case "wrong_type_rbpo":
            return injectors.set_text_cell(source, target, "actual_spending", 3, "n/a")
        case "duplicate_key":
            return injectors.set_text_cell(source, target, "service_id", 2, rows[1][rows[0].index("service_id")])
        case "null_key":
            return injectors.set_text_cell(source, target, "service_id", 5, "")
        case "negative":
            return injectors.set_text_cell(source, target, "num_applications_total", 4, "-5")
        case "deleted" | "unreachable":
            return None
    raise ValueError(fault.make)


def _fake_mirror(folder: Path, mirror: Path, dataset: str, file: str, broken: Path | None) -> Path:
    """Symlinks to the real mirror's files, except one broken (or absent) file."""
    fake = folder / "mirror"
    for sub in mirror.iterdir():
        if sub.is_dir():
            (fake / sub.name).mkdir(parents=True)
            for f in sub.iterdir():
                (fake / sub.name / f.name).symlink_to(f)
    (fake / dataset / file).unlink()
    if broken is not None:
        shutil.copyfile(broken, fake / dataset / file)
    return fake


def _registry(folder: Path, mirror: Path, fault: Fault, broken: Path | None) -> Path:
    """A copy of the source registry that accepts the broken file, or points it at a dead URL."""
    sources = folder / "sources"
    shutil.copytree(SOURCES_DIR, sources)
    entry = sources / f"{fault.dataset}.yml"
    text = entry.read_text(encoding="utf-8")
    if fault.make == "unreachable":
        text = text.replace("https://raw.githubusercontent.com/", "https://10.255.255.1/")
    elif broken is not None:
        text = text.replace(sha256_of(mirror / fault.dataset / fault.file), sha256_of(broken))
    entry.write_text(text, encoding="utf-8")
    return sources


@pytest.fixture(scope="module")
def pristine(built_warehouse) -> Path:
    """The session's build: atlas.duckdb and its published folder."""
    folder = built_warehouse.parent
    assert (folder / "published" / "atlas.duckdb").is_symlink(), "the session build published nothing"
    return folder


@pytest.fixture(scope="module")
def batch_results(pristine, mirror, tmp_path_factory) -> dict[str, dict]:
    """Run every landing fault through the real job, one at a time, in one process."""
    root = tmp_path_factory.mktemp("publish_faults")
    faults = []
    for n, fault in enumerate(FAULTS):
        folder = root / f"fault{n:02d}"
        folder.mkdir()
        broken = _broken_file(fault, mirror / fault.dataset / fault.file, folder / fault.file)
        env = {"ATLAS_MIRROR": str(_fake_mirror(folder, mirror, fault.dataset, fault.file, broken)),
               "ATLAS_CACHE": str(folder / "cache"), **fault.env}
        if fault.accept_checksum or fault.make == "unreachable":
            env["ATLAS_SOURCES_DIR"] = str(_registry(folder, mirror, fault, broken))
        if env.get("ATLAS_ALLOWED_HOSTS") == "<dead host allowed>":
            # an allow-list that admits the dead host, so that the download itself is tried
            hosts = folder / "allowed_hosts.yml"
            hosts.write_text("hosts:\n  10.255.255.1: a non-routable address (test of an unreachable host)\n",
                             encoding="utf-8")
            env["ATLAS_ALLOWED_HOSTS"] = str(hosts)
        faults.append({"name": fault.name, "selection": fault.selection, "env": env,
                       "fingerprint": fault.keeps_build})
    return {r["name"]: r for r in run_batch(root, pristine, mirror, faults)}


@pytest.mark.parametrize("fault", FAULTS, ids=[f.name.replace(" ", "_") for f in FAULTS])
def test_a_bad_source_stops_the_run_before_publish_and_the_published_file_is_unchanged(
    fault, batch_results, record_fault
):
    record_fault(fault.name)
    result = batch_results[fault.name]
    message = "\n".join(result["errors"])
    assert not result["success"], f"{fault.name} was not caught"
    for text in fault.expected:
        assert text in message, (text, message[:3000])
    assert f"raw/{fault.dataset}" not in result["materialized"]
    assert "published/atlas" not in result["materialized"]
    assert "published/atlas" in result["selected"]
    assert "published__atlas" not in result["started_steps"]
    assert result["published_after"] == result["published_before"]
    assert result["published_before"]["atlas.duckdb"].startswith("-> atlas-")
    if fault.max_seconds is not None:
        assert result["seconds"] < fault.max_seconds


# --- the dbt seed fault: a changed assumption file, caught by a dbt test ------------------------


def _repository_copy(target: Path) -> Path:
    """The repository's code and dbt project, without the venv, git, builds or caches."""
    skip = {".venv", ".git", "warehouse", ".dagster_home", ".cache", "target", "logs", "__pycache__",
            ".pytest_cache", ".ruff_cache", "data_docs", "exports"}
    shutil.copytree(PROJECT_ROOT, target, ignore=lambda _d, names: [n for n in names if n in skip])
    return target


def test_an_occupation_mix_that_no_longer_sums_to_one_stops_publish(
    pristine, mirror, tmp_path, record_fault
):
    mix = PROJECT_ROOT / "dbt_project" / "seeds" / "archetype_occupation_mix.csv"
    singular = PROJECT_ROOT / "dbt_project" / "tests" / "archetype_mix_sums_to_one.sql"
    assert mix.is_file() and singular.is_file(), "the occupation mix seed and its sums-to-one dbt test"
    record_fault("occupation mix no longer sums to 1 (dbt seed)")
    repo = _repository_copy(tmp_path / "repo")
    seed = repo / "dbt_project" / "seeds" / "archetype_occupation_mix.csv"
    lines = seed.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    share = header.index("labour_share")
    first = lines[1].split(",")
    archetype = first[header.index("archetype_id")]
    first[share] = f"{float(first[share]) + 0.25:.2f}"
    lines[1] = ",".join(first)
    seed.write_text("\n".join(lines) + "\n", encoding="utf-8")

    work = tmp_path / "work"
    work.mkdir()
    shutil.copyfile(pristine / "atlas.duckdb", work / "atlas.duckdb")
    shutil.copytree(pristine / "published", work / "published", symlinks=True)
    before = published_state(work / "published")
    env = dict(os.environ, ATLAS_WAREHOUSE=str(work / "atlas.duckdb"), ATLAS_MIRROR=str(mirror),
               DAGSTER_HOME=str(tmp_path / "dagster_home"))
    env.pop("ATLAS_SOURCES_DIR", None)
    done = subprocess.run(
        [sys.executable, "-m", "orchestration", "run", "--select", "key:seeds/archetype_occupation_mix+"],
        cwd=repo, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, timeout=900,
    )
    assert done.returncode != 0, done.stdout[-3000:]
    assert "archetype_mix_sums_to_one" in done.stdout
    assert archetype in done.stdout or "archetype_occupation_mix" in done.stdout
    assert "nothing published" in done.stdout.splitlines()[-1] or "nothing published" in done.stdout
    assert published_state(work / "published") == before
    assert hashlib.sha256((work / "published" / "atlas.duckdb").read_bytes()).hexdigest() == \
        hashlib.sha256((pristine / "published" / "atlas.duckdb").read_bytes()).hexdigest()


@pytest.mark.parametrize("fault", [f for f in FAULTS if f.keeps_build],
                         ids=[f.name.replace(" ", "_") for f in FAULTS if f.keeps_build])
def test_a_bad_source_leaves_every_table_of_the_build_warehouse_unchanged(fault, batch_results):
    """The last good tables stay in the build warehouse, raw, marts and scoring alike."""
    assert batch_results[fault.name]["build_unchanged"] is True
