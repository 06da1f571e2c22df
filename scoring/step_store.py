"""The scoring's slowest steps that read no parameter and none of the automation measures, kept on
disk between runs under a digest of exactly what each reads, so that a run whose inputs they do not
read (a new occupation measure, a changed assumption of the automation model) loads them instead of
computing them again (issue 18: "a change in one occupation measure reruns only what it changes").

Three steps are kept:
- `domain_vectors`: the services' and the DWAs' TF-IDF vectors (scoring.production.domain_vectors),
  read from the services' keys, names and descriptions and from the DWA task table;
- `ranked`: each service's top A211 DWAs (rank_domain_work), read from those vectors and A211;
- `leave_one_out`: the calibration's leave-one-out minutes (one fit per calibration service over
  all the others: 730 fits at 10x the real services, 7,300 at 100x), read from three arrays of
  minutes per transaction.

A digest covers the step's name, its inputs' values, the bytes of scoring/production.py (the code of
all three steps) and the versions of the libraries that compute them (numpy, scipy, scikit-learn,
polars), so an edit of that code or an upgrade computes them again. What is loaded is what was
computed, to the bit: frames as Parquet, sparse matrices and arrays as their raw numpy arrays
(tests/unit/test_step_store.py; tests/integration/test_automation_model.py scores the real data
with and without the store and compares every table). An entry is written to a temporary folder
and renamed into place when complete; one that cannot be read is removed and computed again; a
store that cannot be written is only logged: the store never changes a result and never fails a
run. The newest `keep` entries of each step stay.

The store is a folder the pipeline writes itself (ATLAS_WAREHOUSE's folder, `scoring_steps/`):
deleting it at any time only makes the next run compute the steps.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from scoring import production
from scoring.production import DomainVectors, LeaveOneOut, ProductionParameters

COMPLETE = "complete.json"


def _code_digest() -> str:
    """What the stored steps' results depend on besides their inputs: the code of scoring/production.py
    and the versions of the libraries that compute them."""
    digest = hashlib.blake2b(Path(production.__file__).read_bytes(), digest_size=16)
    for package in ("numpy", "scipy", "scikit-learn", "polars"):
        digest.update(f"|{package}={importlib.metadata.version(package)}".encode())
    return digest.hexdigest()


def frame_digest(frame: pl.DataFrame) -> bytes:
    """A frame's columns, types and row values in row order."""
    schema = repr([(name, str(dtype)) for name, dtype in frame.schema.items()]).encode()
    return hashlib.blake2b(schema + frame.hash_rows(seed=0).to_numpy().tobytes(), digest_size=32).digest()


def _arrays_digest(*arrays: np.ndarray) -> bytes:
    digest = hashlib.blake2b(digest_size=32)
    for array in arrays:
        plain = np.ascontiguousarray(array)
        digest.update(f"{plain.dtype.str}{plain.shape}".encode())
        digest.update(plain.tobytes())
    return digest.digest()


def _save_matrix(matrix: Any, path: Path) -> None:
    """A CSR matrix as its arrays, its shape, whether it is a sparse array or a sparse matrix (their
    indexing differs) and whether its indices are marked sorted."""
    import scipy.sparse as sp

    if matrix.format != "csr":
        raise TypeError(f"the step store keeps CSR matrices, not {matrix.format}")
    np.savez(path, data=matrix.data, indices=matrix.indices, indptr=matrix.indptr,
             shape=np.asarray(matrix.shape, dtype=np.int64),
             kind=np.asarray("array" if isinstance(matrix, sp.sparray) else "matrix"),
             sorted=np.asarray(bool(matrix.has_sorted_indices)))


def _load_matrix(path: Path) -> Any:
    import scipy.sparse as sp

    with np.load(path) as stored:
        make = sp.csr_array if str(stored["kind"]) == "array" else sp.csr_matrix
        matrix = make((stored["data"], stored["indices"], stored["indptr"]), shape=tuple(stored["shape"].tolist()))
        if bool(stored["sorted"]):
            matrix.has_sorted_indices = True  # as the computed matrix was marked (its indices are sorted)
    return matrix


class _Fits:
    """A LeaveOneOut whose minutes are stored when they are read (Calibration.finish reads them)."""

    def __init__(self, fits: LeaveOneOut, save: Callable[[np.ndarray], None]) -> None:
        self._fits, self._save = fits, save

    def result(self) -> np.ndarray:
        minutes = self._fits.result()
        self._save(minutes)
        return minutes

    def close(self) -> None:
        self._fits.close()


class _KnownFits:
    """Leave-one-out minutes loaded from the store: no fit runs."""

    def __init__(self, minutes: np.ndarray) -> None:
        self._minutes = minutes

    def result(self) -> np.ndarray:
        return self._minutes

    def close(self) -> None:
        pass


class StepStore:
    """The store in `folder` (created when first written). `log` receives a line per step loaded,
    stored or not usable; `keep` entries of each step stay (the newest used)."""

    def __init__(self, folder: Path, keep: int = 2, log: Callable[[str], None] | None = None) -> None:
        self.folder = Path(folder)
        self.keep = keep
        self._log = log or (lambda _line: None)
        self._code = _code_digest()
        self._vectors: dict[int, tuple[DomainVectors, str]] = {}  # id -> (vectors, their digest)
        self.loaded: list[str] = []  # the steps this store gave back from disk, in order
        self.stored: list[str] = []  # the steps it wrote

    # --- the three steps ---------------------------------------------------------------------------

    def domain_vectors(self, services: pl.DataFrame, dwa_tasks: pl.DataFrame) -> DomainVectors:
        """production.domain_vectors(services, dwa_tasks), loaded when stored."""
        read = production.domain_inputs(services, dwa_tasks)  # the columns and rows the step reads
        digest = self._digest("domain_vectors", *(frame_digest(frame) for frame in read))
        vectors = self._load("domain_vectors", digest, _read_vectors)
        if vectors is None:
            vectors = production.domain_vectors(services, dwa_tasks)
            self._save("domain_vectors", digest, vectors, _write_vectors)
        self._vectors[id(vectors)] = (vectors, digest)
        return vectors

    def ranked(self, vectors: DomainVectors, params: ProductionParameters) -> pl.DataFrame:
        """production.rank_domain_work(vectors, params), loaded when stored (vectors this store gave;
        others are ranked here)."""
        known = self._vectors.get(id(vectors))
        if known is None or known[0] is not vectors:
            return production.rank_domain_work(vectors, params)
        digest = self._digest("ranked", known[1].encode(), repr(int(params.domain_top_k)).encode())
        ranked = self._load("ranked", digest, lambda path: pl.read_parquet(path / "ranked.parquet"))
        if ranked is None:
            ranked = production.rank_domain_work(vectors, params)
            self._save("ranked", digest, ranked, lambda frame, path: frame.write_parquet(path / "ranked.parquet"))
        return ranked

    def leave_one_out(self, front: np.ndarray, back: np.ndarray, target: np.ndarray, background: bool = False):
        """A LeaveOneOut of these minutes (started now), or its minutes when stored; either way
        with `result()` and `close()` (production.start_calibration's `fits`)."""
        digest = self._digest("leave_one_out", _arrays_digest(front, back, target))
        minutes = self._load("leave_one_out", digest, lambda path: np.load(path / "minutes.npy"))
        if minutes is not None:
            return _KnownFits(minutes)
        return _Fits(LeaveOneOut(front, back, target, background=background),
                     lambda m: self._save("leave_one_out", digest, m, lambda a, path: np.save(path / "minutes.npy", a)))

    # --- entries -----------------------------------------------------------------------------------

    def _digest(self, step: str, *parts: bytes) -> str:
        digest = hashlib.blake2b(f"{step}|{self._code}".encode(), digest_size=20)
        for part in parts:
            digest.update(len(part).to_bytes(8, "little"))
            digest.update(part)
        return digest.hexdigest()

    def _entry(self, step: str, digest: str) -> Path:
        return self.folder / f"{step}-{digest}"

    def _load(self, step: str, digest: str, read: Callable[[Path], Any]) -> Any:
        entry = self._entry(step, digest)
        if not (entry / COMPLETE).is_file():
            return None
        try:
            value = read(entry)
            os.utime(entry)  # the newest used is kept longest
        except Exception as error:  # noqa: BLE001 - a damaged entry is computed again
            self._log(f"step store: {entry} could not be read ({type(error).__name__}: {error}); computing "
                      f"{step} again")
            shutil.rmtree(entry, ignore_errors=True)
            return None
        self.loaded.append(step)
        self._log(f"step store: {step} loaded from {entry.name} (stored by an earlier run from the same inputs)")
        return value

    def _save(self, step: str, digest: str, value: Any, write: Callable[[Any, Path], None]) -> None:
        entry = self._entry(step, digest)
        staging = self.folder / f".{entry.name}.{os.getpid()}.part"
        try:
            shutil.rmtree(staging, ignore_errors=True)
            staging.mkdir(parents=True)
            write(value, staging)
            (staging / COMPLETE).write_text(json.dumps({"step": step, "digest": digest}) + "\n", encoding="utf-8")
            try:
                os.replace(staging, entry)
            except OSError:  # another run stored the same entry meanwhile: the same content
                shutil.rmtree(staging, ignore_errors=True)
            self.stored.append(step)
            self._prune(step)
        except Exception as error:  # noqa: BLE001 - a store that cannot be written never fails the run
            shutil.rmtree(staging, ignore_errors=True)
            self._log(f"step store: could not store {step} in {self.folder} ({error}); the run goes on without it")

    def _prune(self, step: str) -> None:
        entries = sorted((p for p in self.folder.glob(f"{step}-*") if p.is_dir()),
                         key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[self.keep:]:
            shutil.rmtree(old, ignore_errors=True)


def _write_vectors(vectors: DomainVectors, path: Path) -> None:
    vectors.services.write_parquet(path / "services.parquet")
    vectors.documents.write_parquet(path / "documents.parquet")
    _save_matrix(vectors.service_matrix, path / "service_matrix.npz")
    _save_matrix(vectors.dwa_matrix, path / "dwa_matrix.npz")


def _read_vectors(path: Path) -> DomainVectors:
    return DomainVectors(
        pl.read_parquet(path / "services.parquet"), pl.read_parquet(path / "documents.parquet"),
        _load_matrix(path / "service_matrix.npz"), _load_matrix(path / "dwa_matrix.npz"),
    )
