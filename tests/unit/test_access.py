"""Access risk (scoring/access.py) on hand-made services: A110 = 0.2 of transactions through
assisted channels, and an automation threshold set to 0.5 here (as A111 in the seed)."""

from __future__ import annotations

import polars as pl
import pytest

from scoring.access import access_risk
from scoring.evidence_parameters import EvidenceParameters

E = EvidenceParameters(access_probability_threshold=0.5)


def _channels(rows):
    """(service_key, country, challenged, assisted share, assisted volume)"""
    frame = pl.DataFrame(
        rows,
        schema={"service_key": pl.String, "country_code": pl.String, "is_customer_challenged": pl.Boolean,
                "assisted_share": pl.Float64, "assisted_volume": pl.Int64},
        orient="row",
    )
    return frame.with_columns(
        pl.lit("2023-2024").alias("fiscal_year"), pl.lit("O").alias("organisation_code"),
        pl.col("service_key").alias("service_name"), pl.lit("x").alias("archetype_id"),
        pl.lit("CLIENT").alias("customer_type"), pl.lit(1000, pl.Int64).alias("annual_volume"),
        *[pl.lit(None, pl.Float64).alias(c) for c in
          ("online_share", "in_person_share", "phone_share", "mail_share", "other_assisted_share")],
        pl.lit("test").alias("channel_basis"),
        pl.when(pl.col("assisted_share").is_null()).then(pl.lit("not reported")).otherwise(None)
        .alias("channel_null_reason"),
    )


def _summary(probabilities: dict[str, float | None]):
    return pl.DataFrame({
        "service_key": list(probabilities), "fiscal_year": ["2023-2024"] * len(probabilities),
        "headline_probability": list(probabilities.values()),
        "quadrant": ["monitor"] * len(probabilities), "priority_rank": list(range(1, len(probabilities) + 1)),
        "is_highly_automatable": [False] * len(probabilities),
        "probability_null_reason": [None if v is not None else "no method" for v in probabilities.values()],
    }, schema_overrides={"headline_probability": pl.Float64, "probability_null_reason": pl.String})


def test_the_flag_needs_both_reliance_on_assisted_channels_and_enough_automation():
    channels = _channels([
        ("A", "CA", False, 0.4, 400),   # relies (0.4 >= 0.2), P 0.6 >= 0.5: at risk
        ("B", "CA", False, 0.1, 100),   # does not rely: not at risk
        ("C", "CA", False, 0.4, 400),   # relies, P 0.4 < 0.5: not at risk
        ("D", "UK", True, None, None),  # challenged customers rely whatever the share: at risk
        ("E", "UK", False, None, None), # share unknown, P high: unknown, with the reason
        ("F", "UK", False, None, None), # share unknown, P low: not at risk either way
        ("G", "CA", False, 0.5, 500),   # no probability: unknown
    ])
    out = {r["service_key"]: r for r in access_risk(
        channels, _summary({"A": 0.6, "B": 0.6, "C": 0.4, "D": 0.55, "E": 0.7, "F": 0.3, "G": None}), E
    ).iter_rows(named=True)}
    assert {k: v["is_access_risk"] for k, v in out.items()} == {
        "A": True, "B": False, "C": False, "D": True, "E": None, "F": False, "G": None}
    assert out["E"]["access_risk_null_reason"] == "assisted share unknown: not reported"
    assert out["G"]["access_risk_null_reason"] == "no headline probability: no method"
    assert out["D"]["relies_on_assisted_channels"] is True
    # 400 assisted applications x 0.6 of labour time automatable = 240
    assert out["A"]["assisted_transactions_automatable"] == pytest.approx(240.0)


def test_the_thresholds_come_from_the_parameters():
    channels = _channels([("A", "CA", False, 0.15, 150)])
    strict = access_risk(channels, _summary({"A": 0.6}), E).row(0, named=True)
    loose = access_risk(channels, _summary({"A": 0.6}), E.override(access_assisted_share_threshold=0.1)).row(0, named=True)
    assert (strict["is_access_risk"], loose["is_access_risk"]) == (False, True)
    assert loose["assisted_share_threshold"] == 0.1


def test_the_access_check_wants_one_row_per_service_and_a_reason_for_every_unknown_flag():
    from scoring.access import access_risk_problems

    frame = pl.DataFrame({"service_key": ["a", "b"], "fiscal_year": ["2023-2024"] * 2,
                          "is_access_risk": [True, None], "access_risk_null_reason": [None, "not reported"]})
    assert access_risk_problems(frame, 2) == []
    assert access_risk_problems(frame, 3) == ["2 rows for 3 services"]
    twice = pl.concat([frame, frame.head(1)])
    assert "a service appears twice" in access_risk_problems(twice, 3)
    unexplained = frame.with_columns(pl.lit(None, pl.String).alias("access_risk_null_reason"))
    assert access_risk_problems(unexplained, 2) == ["1 services with an unknown flag and no reason"]
