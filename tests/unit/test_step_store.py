"""The scoring's step store (scoring/step_store.py) on hand-made frames: what it loads is what the
steps compute, to the bit; it computes a step again when what the step reads changes, and only
then; a damaged entry or a store that cannot be written never changes a result nor fails."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest

import scoring.production as production
import scoring.step_store as step_store
from scoring.production import ProductionParameters
from scoring.step_store import StepStore

PARAMS = ProductionParameters(unit_minutes={}, domain_top_k=2)

DWA_TASKS = pl.DataFrame({
    "dwa_id": ["w1", "w2", "w3"],
    "dwa_title": ["Examine travel documents.", "Check restaurant hygiene.", "Forecast storms and floods."],
    "task_statement": ["Renew passports for citizens.", "Inspect food kitchens.", "Issue weather warnings."],
    "gpt4_beta": [0.5, 1.0, 0.0],  # an automation measure: the vectors do not read it
})
SERVICES = pl.DataFrame({
    "service_key": ["s3", "s1", "s2"], "fiscal_year": ["2022-2023"] * 3,
    "service_name": ["Passport renewal", "Food inspection", "Weather warnings"],
    "service_description": ["Renew a passport.", None, "Storm and flood warnings."],
    "annual_volume": [10, 20, 30],  # not read by the vectors either
})


def _arrays(rng_seed: int = 3) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(rng_seed)
    front, back = rng.uniform(1, 30, 9), rng.uniform(5, 200, 9)
    return front, back, (front * 0.8 + back * 1.7) * rng.lognormal(0, 0.3, 9)


def _same_matrix(got, expected) -> None:
    assert type(got) is type(expected) and got.shape == expected.shape
    assert np.array_equal(got.indptr, expected.indptr) and np.array_equal(got.indices, expected.indices)
    assert got.data.tobytes() == expected.data.tobytes()
    assert got.has_sorted_indices == expected.has_sorted_indices


def test_what_the_store_loads_is_what_the_steps_compute_to_the_bit(tmp_path):
    first = StepStore(tmp_path)
    vectors = first.domain_vectors(SERVICES, DWA_TASKS)
    ranked = first.ranked(vectors, PARAMS)
    fits = first.leave_one_out(*_arrays())
    minutes = fits.result()
    assert first.stored == ["domain_vectors", "ranked", "leave_one_out"] and first.loaded == []

    lines: list[str] = []
    second = StepStore(tmp_path, log=lines.append)
    loaded = second.domain_vectors(SERVICES, DWA_TASKS)
    assert second.ranked(loaded, PARAMS).equals(ranked)
    assert np.array_equal(second.leave_one_out(*_arrays()).result(), minutes)
    assert second.loaded == ["domain_vectors", "ranked", "leave_one_out"] and second.stored == []
    assert all("loaded from" in line for line in lines) and len(lines) == 3

    computed = production.domain_vectors(SERVICES, DWA_TASKS)
    assert loaded.services.equals(computed.services) and loaded.documents.equals(computed.documents)
    _same_matrix(loaded.service_matrix, computed.service_matrix)
    _same_matrix(loaded.dwa_matrix, computed.dwa_matrix)
    assert ranked.equals(production.rank_domain_work(computed, PARAMS))
    assert np.array_equal(minutes, production.leave_one_out_minutes(*_arrays(), processes=1))


def test_a_step_is_computed_again_when_what_it_reads_changes_and_only_then(tmp_path, monkeypatch):
    first = StepStore(tmp_path)
    first.ranked(first.domain_vectors(SERVICES, DWA_TASKS), PARAMS)

    def steps(services=SERVICES, dwa_tasks=DWA_TASKS, params=PARAMS) -> tuple[list[str], list[str]]:
        store = StepStore(tmp_path, keep=10)
        store.ranked(store.domain_vectors(services, dwa_tasks), params)
        return store.loaded, store.stored

    # what the vectors do not read: an automation measure, another column, the rows' order
    assert steps(dwa_tasks=DWA_TASKS.with_columns(pl.col("gpt4_beta") * 0.5)) == (["domain_vectors", "ranked"], [])
    assert steps(services=SERVICES.with_columns(pl.col("annual_volume") + 1)) == (["domain_vectors", "ranked"], [])
    assert steps(services=SERVICES.reverse()) == (["domain_vectors", "ranked"], [])
    assert steps(dwa_tasks=DWA_TASKS.reverse()) == (["domain_vectors", "ranked"], [])  # a rebuilt mart's order
    # what they read: a service's name, a task statement; the ranking reads A211 as well
    renamed = SERVICES.with_columns(pl.col("service_name").str.replace("Food", "Meat"))
    assert steps(services=renamed) == ([], ["domain_vectors", "ranked"])
    restated = DWA_TASKS.with_columns(pl.col("task_statement").str.replace("kitchens", "markets"))
    assert steps(dwa_tasks=restated) == ([], ["domain_vectors", "ranked"])
    wider = ProductionParameters(unit_minutes={}, domain_top_k=3)
    assert steps(params=wider) == (["domain_vectors"], ["ranked"])
    # the code of the steps (scoring/production.py) or a library's version
    monkeypatch.setattr(step_store, "_code_digest", lambda: "another version of the code")
    assert steps() == ([], ["domain_vectors", "ranked"])
    monkeypatch.undo()

    store = StepStore(tmp_path)
    store.leave_one_out(*_arrays()).result()
    front, back, target = _arrays()
    target[4] *= 1.01
    again = StepStore(tmp_path)
    assert not np.array_equal(again.leave_one_out(front, back, target).result(), store.leave_one_out(*_arrays()).result())
    assert again.stored == ["leave_one_out"] and again.loaded == []


def test_stored_fits_run_no_fit_and_the_calibration_is_the_same(tmp_path, monkeypatch):
    front, back, target = _arrays()
    keys = [f"s{i}" for i in range(len(front))]
    per_minute = production.ProductionParameters(unit_minutes={}).uk_cost_per_hour / 60
    params = ProductionParameters(unit_minutes={})
    per_tx = pl.DataFrame({"service_key": keys, "fiscal_year": ["y"] * len(keys),
                           "front_minutes_per_transaction": front, "back_minutes_per_transaction": back})
    reported = pl.DataFrame({"service_key": keys, "fiscal_year": ["y"] * len(keys), "service_name": keys,
                             "cost_per_transaction_gbp": target * per_minute / params.uk_labour_share,
                             "cost_round": ["2012-Q4"] * len(keys)})
    expected = production.calibrate(per_tx, reported, params)
    with production.start_calibration(per_tx, reported, params, fits=StepStore(tmp_path).leave_one_out) as first:
        assert first.finish()[2].equals(expected[2])

    def no_fit(*args, **kwargs):
        raise AssertionError("a leave-one-out fit ran although its minutes were stored")

    monkeypatch.setattr(production, "_leave_one_out_part", no_fit)
    store = StepStore(tmp_path)
    with production.start_calibration(per_tx, reported, params, fits=store.leave_one_out) as second:
        a, b, table, diagnostics = second.finish()
    assert (a, b, diagnostics) == (expected[0], expected[1], expected[3]) and table.equals(expected[2])
    assert store.loaded == ["leave_one_out"]


def test_a_damaged_entry_is_named_removed_and_computed_again(tmp_path):
    StepStore(tmp_path).domain_vectors(SERVICES, DWA_TASKS)
    (entry,) = tmp_path.glob("domain_vectors-*")
    (entry / "service_matrix.npz").write_bytes(b"not a numpy file")
    lines: list[str] = []
    store = StepStore(tmp_path, log=lines.append)
    vectors = store.domain_vectors(SERVICES, DWA_TASKS)
    assert store.loaded == [] and store.stored == ["domain_vectors"]
    assert any(entry.name in line and "could not be read" in line for line in lines)
    _same_matrix(vectors.service_matrix, production.domain_vectors(SERVICES, DWA_TASKS).service_matrix)
    assert StepStore(tmp_path).domain_vectors(SERVICES, DWA_TASKS) is not None  # stored again, whole


def test_an_entry_without_its_completion_mark_is_not_read(tmp_path):
    StepStore(tmp_path).leave_one_out(*_arrays()).result()
    (entry,) = tmp_path.glob("leave_one_out-*")
    (entry / step_store.COMPLETE).unlink()  # as a run stopped while writing would leave a folder
    store = StepStore(tmp_path)
    store.leave_one_out(*_arrays()).result()
    assert store.loaded == []


def test_a_store_that_cannot_be_written_is_logged_and_the_step_still_computed(tmp_path):
    blocked = tmp_path / "a file"
    blocked.write_text("the store's folder cannot be made here")
    lines: list[str] = []
    store = StepStore(blocked / "steps", log=lines.append)
    minutes = store.leave_one_out(*_arrays()).result()
    assert np.array_equal(minutes, production.leave_one_out_minutes(*_arrays(), processes=1))
    assert store.stored == [] and any("could not store leave_one_out" in line for line in lines)
    assert not list(tmp_path.glob(".*.part"))


def test_the_newest_entries_of_each_step_are_kept(tmp_path):
    store = StepStore(tmp_path, keep=2)
    for seed in (1, 2, 3):
        store.leave_one_out(*_arrays(seed)).result()
    store.domain_vectors(SERVICES, DWA_TASKS)
    assert len(list(tmp_path.glob("leave_one_out-*"))) == 2
    assert len(list(tmp_path.glob("domain_vectors-*"))) == 1
    again = StepStore(tmp_path)
    again.leave_one_out(*_arrays(3)).result()
    again.leave_one_out(*_arrays(1)).result()
    assert again.loaded == ["leave_one_out"]  # the oldest (seed 1) was the one removed


@pytest.mark.parametrize("kind", ["array", "matrix"])
def test_a_sparse_array_and_a_sparse_matrix_come_back_as_they_were(tmp_path, kind):
    import scipy.sparse as sp

    make = sp.csr_array if kind == "array" else sp.csr_matrix
    matrix = make(np.array([[0.0, 1.5, 0.0], [2.0, 0.0, 0.25]]))
    step_store._save_matrix(matrix, tmp_path / "m.npz")
    _same_matrix(step_store._load_matrix(tmp_path / "m.npz"), matrix)


def test_the_vectors_do_not_depend_on_the_order_of_the_rows_to_the_bit():
    """A mart rebuilt by dbt may return its rows in another order: the vectors (and so the step
    store's digest, which covers the same sorted frames) are the same."""
    shuffled = production.domain_vectors(SERVICES.sample(fraction=1.0, shuffle=True, seed=5),
                                         DWA_TASKS.sample(fraction=1.0, shuffle=True, seed=9))
    plain = production.domain_vectors(SERVICES, DWA_TASKS)
    assert shuffled.documents.equals(plain.documents) and shuffled.services.equals(plain.services)
    _same_matrix(shuffled.service_matrix, plain.service_matrix)
    _same_matrix(shuffled.dwa_matrix, plain.dwa_matrix)
