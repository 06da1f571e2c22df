"""The lineage of a table gathers the assumption ids and source files of everything upstream of it;
the one-at-a-time sensitivity sets one assumption at a time to its low and high, keeps the run's
other overrides, and ranks assumptions by how far they move each figure."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import polars as pl
import pytest

import scoring.sensitivity as sensitivity
from publishing.lineage import ancestors, cited_ids, table_lineage

REGISTER = pl.DataFrame({
    "assumption_id": ["A001", "A040", "A050", "A230", "A231", "A232"],
    "parameter": ["basis", "uk_labour_share_of_unit_cost", "probability_threshold",
                  "unit_minutes__a", "unit_minutes__b", "unit_minutes__c"],
    "value": ["applications", "0.7", "0.7", "8", "0.1", "0.4"],
    "source": ["inventory", "notes", "Frey and Osborne", "PwC", "judgement", "PwC"],
})


def test_cited_ids_reads_named_ids_and_the_ids_inside_named_ranges():
    named, inside = cited_ids("-- weights A030; unit minutes A230-A232 and A100 to A101 (not A12 or A1234)")
    assert named == {"A030", "A230", "A232", "A100", "A101"}
    assert inside == {"A230", "A231", "A232", "A100", "A101"}


def test_ancestors_follow_every_path_once():
    parents = {"scoring/t": {"marts/m"}, "marts/m": {"raw/r", "seeds/s"}, "seeds/s": set(), "raw/r": set()}
    assert ancestors("scoring/t", parents) == {"marts/m", "raw/r", "seeds/s"}


def _lineage(own, load_log=None, tmp_path: Path | None = None):
    parents = {"scoring/t": {"marts/m"}, "marts/m": {"raw/r", "seeds/s"}}
    seed = (tmp_path or Path(".")) / "s.csv"
    if tmp_path is not None:
        seed.write_text("a,b\n1,A231\n", encoding="utf-8")
    log = load_log if load_log is not None else pl.DataFrame({
        "table_name": ["r"], "dataset_id": ["d"], "source_files": ["r.csv"], "source_sha256": ["abc"]})
    return table_lineage(["marts/m", "scoring/t"], parents, own, REGISTER, log, {"seeds/s": seed})


def test_a_table_inherits_the_ids_and_files_of_everything_upstream(tmp_path):
    own = {"marts/m": ({"A001"}, set()), "scoring/t": ({"A230", "A232"}, {"A230", "A231", "A232", "A299"}),
           "seeds/s": ({"A040"}, set())}
    frame = _lineage(own, tmp_path=tmp_path)
    scoring = frame.filter(pl.col("table_name") == "t")
    assert scoring.filter(pl.col("lineage_kind") == "assumption")["item_id"].to_list() == [
        "A001", "A040", "A230", "A231", "A232"]  # A299 is in a range but not in the register
    assert scoring.filter(pl.col("lineage_kind") == "source_file").select("item_id", "item_value").rows() == [
        ("d", "abc")]
    assert scoring.filter(pl.col("lineage_kind") == "seed_file")["item_id"].to_list() == ["s"]
    mart = frame.filter(pl.col("table_name") == "m")
    assert mart.filter(pl.col("lineage_kind") == "assumption")["item_id"].to_list() == ["A001", "A040"]


def test_an_id_the_register_lacks_fails_with_the_asset_that_cites_it():
    with pytest.raises(ValueError, match="marts/m.*A777"):
        _lineage({"marts/m": ({"A777"}, set())})


def test_a_raw_table_upstream_with_no_load_fails_naming_it():
    empty = pl.DataFrame(schema={"table_name": pl.String, "dataset_id": pl.String,
                                 "source_files": pl.String, "source_sha256": pl.String})
    with pytest.raises(ValueError, match=r"raw tables upstream with no load.*\['r'\]"):
        _lineage({}, load_log=empty)


# --- sensitivity -------------------------------------------------------------------------------

@dataclass
class _Outputs:
    value: float


def test_candidates_are_the_numeric_scoring_assumptions_with_a_range():
    register = pl.DataFrame({
        "assumption_id": ["A040", "A053", "A113", "A230", "A050"],
        "parameter": ["uk_labour_share_of_unit_cost", "monte_carlo_seed", "redeployment_options_per_occupation",
                      "unit_minutes__enquiry_phone", "probability_threshold"],
        "value": ["0.7", "20261129", "5", "8", "0.7"],
        "low": ["0.5", None, "3", "6", None],
        "high": ["0.85", None, "10", "11", None],
    })
    # the seed is not a quantity, A113 is not read by the scoring stage, A050 has no range here
    assert sensitivity.candidates(register)["assumption_id"].to_list() == ["A040", "A230"]


def test_one_at_a_time_varies_each_assumption_alone_and_ranks_by_swing(monkeypatch):
    register = pl.DataFrame({
        "assumption_id": ["A040", "A230"],
        "parameter": ["uk_labour_share_of_unit_cost", "unit_minutes__enquiry_phone"],
        "value": ["0.7", "8"], "low": ["0.5", "6"], "high": ["0.9", "11"], "unit": ["share", "minutes"],
        "quality": ["red", "amber"],
    })
    seen = []

    def fake_score(inputs, params, **_):
        values = {r["parameter"]: float(r["value"]) for r in inputs.assumptions.iter_rows(named=True)}
        seen.append((values["uk_labour_share_of_unit_cost"], values["unit_minutes__enquiry_phone"],
                     params.probability_threshold))
        return _Outputs(100 * values["uk_labour_share_of_unit_cost"] + values["unit_minutes__enquiry_phone"]), None

    monkeypatch.setattr(sensitivity, "score_figures", fake_score)
    monkeypatch.setattr(sensitivity, "from_assumptions",
                        lambda frame: sensitivity.Parameters())
    monkeypatch.setattr(sensitivity, "headline_figures",
                        lambda outputs, replication, params: [("total", "Total", outputs.value, "money")])
    inputs = sensitivity.ScoringInputs(*([None] * 7), assumptions=register, replication_reference=None)
    frame = sensitivity.one_at_a_time(inputs, {"probability_threshold": 0.8})
    # central, then A040 low and high, then A230 low and high; the run's override kept throughout
    assert seen == [(0.7, 8.0, 0.8), (0.5, 8.0, 0.8), (0.9, 8.0, 0.8), (0.7, 6.0, 0.8), (0.7, 11.0, 0.8)]
    rows = {r["assumption_id"]: r for r in frame.iter_rows(named=True)}
    assert rows["A040"]["figure_at_low"] == pytest.approx(58.0)
    assert rows["A040"]["swing"] == pytest.approx(40.0)
    assert rows["A230"]["change_at_high"] == pytest.approx(3.0)
    assert (rows["A040"]["swing_rank"], rows["A230"]["swing_rank"]) == (1, 2)
    assert rows["A040"]["quality"] == "red"


def test_last_bit_noise_is_no_change_and_does_not_decide_the_rank(monkeypatch):
    register = pl.DataFrame({
        "assumption_id": ["A040", "A230"],
        "parameter": ["uk_labour_share_of_unit_cost", "unit_minutes__enquiry_phone"],
        "value": ["0.7", "8"], "low": ["0.5", "6"], "high": ["0.9", "11"], "unit": ["share", "minutes"],
        "quality": ["red", "amber"],
    })
    noise = iter([0.0, 3e-7, -2e-7, 1e-7, 0.0])  # parallel-sum noise on a figure of 1e9

    monkeypatch.setattr(sensitivity, "score_figures", lambda inputs, params, **_: (_Outputs(1e9 + next(noise)), None))
    monkeypatch.setattr(sensitivity, "from_assumptions", lambda frame: sensitivity.Parameters())
    monkeypatch.setattr(sensitivity, "headline_figures",
                        lambda outputs, replication, params: [("total", "Total", outputs.value, "money")])
    inputs = sensitivity.ScoringInputs(*([None] * 7), assumptions=register, replication_reference=None)
    frame = sensitivity.one_at_a_time(inputs)
    assert frame["change_at_low"].to_list() == [0.0, 0.0]
    assert frame["change_at_high"].to_list() == [0.0, 0.0]
    assert frame["swing"].to_list() == [0.0, 0.0]
    assert frame["assumption_id"].to_list() == ["A040", "A230"]  # ties rank by id


def test_kept_steps_are_given_only_to_a_scoring_of_the_same_inputs():
    import polars as pl

    from scoring.pipeline import ScoringInputs, inputs_fingerprint, keep_steps, take_steps

    frames = {name: pl.DataFrame({"id": [1, 2], "text": ["a", "b"]}) for name in ScoringInputs.__dataclass_fields__}
    inputs = ScoringInputs(**frames)
    same = ScoringInputs(**{name: frame.clone() for name, frame in frames.items()})
    changed = ScoringInputs(**{**frames, "services": pl.DataFrame({"id": [1, 2], "text": ["a", "c"]})})
    reordered = ScoringInputs(**{**frames, "services": frames["services"].reverse()})
    assert inputs_fingerprint(inputs) == inputs_fingerprint(same) != inputs_fingerprint(changed)
    assert inputs_fingerprint(reordered) != inputs_fingerprint(inputs)  # the same rows in another order
    cache = {("domain_vectors",): "vectors", ("ranked", 5): "ranked", ("valued", "p"): "not shared"}
    keep_steps(inputs, cache)
    assert take_steps(changed) == {}  # other inputs get nothing, and nothing stays kept
    assert take_steps(same) == {}
    keep_steps(inputs, cache)
    assert take_steps(same) == {("domain_vectors",): "vectors", ("ranked", 5): "ranked"}
    assert take_steps(same) == {}
