"""The cited pilots of seeds/pilot_evidence.csv (issue 19): every row traceable to its publication
(link, year, publisher, the figure and unit as published, design) and its share derived as the
row says, with the assumptions it names in the register."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest

from scoring.evidence import pilot_shares
from scoring.evidence_parameters import EvidenceParameters

SEEDS = Path(__file__).resolve().parents[2] / "dbt_project" / "seeds"
DESIGN_QUALITY = {
    "randomised": "high", "controlled_before_after": "high",
    "before_after": "medium", "self_reported": "medium",
    "vendor_claim": "low", "anecdote": "low", "unstated": "low",
}


@pytest.fixture(scope="module")
def pilots() -> pl.DataFrame:
    return pl.read_csv(SEEDS / "pilot_evidence.csv", infer_schema_length=0)


def test_every_pilot_has_a_link_a_year_a_unit_and_a_design(pilots):
    assert pilots.height >= 12
    for row in pilots.iter_rows(named=True):
        who = row["evidence_id"]
        assert re.fullmatch(r"https?://\S+", row["source_url"] or ""), who
        assert 2000 <= int(row["publication_year"]) <= 2100, who
        for column in ("publisher", "source", "published_figure", "published_unit", "derivation",
                       "automated_task", "sample_unit"):
            assert (row[column] or "").strip(), (who, column)
        assert row["design"] in DESIGN_QUALITY, who
        assert row["quality_rating"] == DESIGN_QUALITY[row["design"]], who


def test_at_least_twelve_cited_pilots_are_usable(pilots):
    used = pilot_shares(pilots.with_columns(
        pl.col("measured_value").cast(pl.Float64),
        pl.col("baseline_minutes_per_transaction").cast(pl.Float64),
        pl.col("sample_size").cast(pl.Int64),
        pl.col("is_lower_bound") == "true",
    ), EvidenceParameters())
    assert used["is_usable"].sum() >= 12
    # the ones not used say why (a published minutes saving without its baseline)
    assert used.filter(~pl.col("is_usable"))["unusable_reason"].str.contains("baseline").all()


def test_the_share_is_the_number_the_derivation_ends_with(pilots):
    for row in pilots.filter(pl.col("measure") == "labour_time_share_saved").iter_rows(named=True):
        derived = re.findall(r"=\s*([0-9]*\.?[0-9]+)", row["derivation"])
        assert derived, row["evidence_id"]
        assert float(derived[-1]) == pytest.approx(float(row["measured_value"])), row["evidence_id"]


def test_the_derivations_check_out_arithmetically(pilots):
    """Re-derive each share from the published figure and the register's working time."""
    register = pl.read_csv(SEEDS / "assumptions.csv", infer_schema_length=0)
    value = dict(zip(register["assumption_id"], register["value"], strict=True))
    share = dict(zip(pilots["evidence_id"], pilots["measured_value"].cast(pl.Float64), strict=True))
    assert share["P0001"] == pytest.approx(26 / float(value["A130"]), abs=5e-5)
    assert share["P0002"] == pytest.approx(60 / float(value["A131"]), abs=5e-5)
    assert share["P0003"] == pytest.approx(95 / float(value["A132"]), abs=5e-5)
    assert share["P0004"] == pytest.approx(25.3 / 81.5, abs=5e-5)
    assert share["P0006"] == pytest.approx(3.7 / float(value["A133"]), abs=5e-5)
    assert share["P0010"] == pytest.approx(1 - 1 / 1.87, abs=5e-5)  # A134


def test_named_assumptions_and_activities_exist(pilots):
    register = set(pl.read_csv(SEEDS / "assumptions.csv", infer_schema_length=0)["assumption_id"])
    activities = set(pl.read_csv(SEEDS / "activities.csv", infer_schema_length=0)["activity_id"])
    for row in pilots.iter_rows(named=True):
        for aid in filter(None, (row["derivation_assumption_ids"] or "").split(";")):
            assert aid.strip() in register, (row["evidence_id"], aid)
        for act in filter(None, (row["activity_ids"] or "").split(";")):
            assert act.strip() in activities, (row["evidence_id"], act)
        if row["sample_unit"] == "settings":
            assert row["sample_size"] == "1" and "A135" in (row["derivation_assumption_ids"] or "")


def test_only_whole_day_assistant_savings_are_lower_bounds(pilots):
    """is_lower_bound is true or false on every row, and true only for staff-reported time saved
    across the working day (A138)."""
    assert set(pilots["is_lower_bound"].to_list()) <= {"true", "false"}
    for row in pilots.filter(pl.col("is_lower_bound") == "true").iter_rows(named=True):
        assert row["design"] == "self_reported", row["evidence_id"]
        assert "day" in row["published_unit"], row["evidence_id"]
