"""Parameters of the evidence, access-risk and workforce-transition stages (issue 9), read from the
assumptions seed (ids A100-A118, A137) and overridable per run, like scoring.parameters for the model.

The model's own parameters (probability threshold A050, coverage threshold A055) stay in
scoring.parameters.Parameters; the functions here take both where they need both.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace

import polars as pl


@dataclass(frozen=True)
class EvidenceParameters:
    quality_weight_high: float = 1.0  # A100
    quality_weight_medium: float = 0.5  # A101
    quality_weight_low: float = 0.2  # A102
    max_effective_observations: float = 100.0  # A103
    prior_min_concentration: float = 2.0  # A104
    prior_max_concentration: float = 200.0  # A105
    weight_same_organisation: float = 0.5  # A106
    weight_same_country: float = 0.25  # A107
    weight_other_country: float = 0.1  # A108
    voi_reference_observations: float = 30.0  # A109
    access_assisted_share_threshold: float = 0.2  # A110
    access_probability_threshold: float = 0.5  # A111
    workforce_high_automation_threshold: float = 0.7  # A112
    redeployment_options: int = 5  # A113
    shift_report_threshold: float = 0.05  # A137

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def quality_weights(self) -> dict[str, float]:
        return {
            "high": self.quality_weight_high,
            "medium": self.quality_weight_medium,
            "low": self.quality_weight_low,
        }

    def override(self, **values: object) -> EvidenceParameters:
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ValueError(f"unknown evidence parameter(s) {unknown}; known: {sorted(known)}")
        cast = {k: (int(v) if isinstance(getattr(self, k), int) else float(v)) for k, v in values.items()}
        return replace(self, **cast)


# parameter field -> seed parameter name (column value)
SEED_FIELDS = {
    "quality_weight_high": "pilot_quality_weight_high",
    "quality_weight_medium": "pilot_quality_weight_medium",
    "quality_weight_low": "pilot_quality_weight_low",
    "max_effective_observations": "pilot_max_effective_observations",
    "prior_min_concentration": "prior_min_concentration",
    "prior_max_concentration": "prior_max_concentration",
    "weight_same_organisation": "evidence_weight_same_organisation",
    "weight_same_country": "evidence_weight_same_country",
    "weight_other_country": "evidence_weight_other_country",
    "voi_reference_observations": "voi_reference_pilot_observations",
    "access_assisted_share_threshold": "access_assisted_share_threshold",
    "access_probability_threshold": "access_probability_threshold",
    "workforce_high_automation_threshold": "workforce_high_automation_threshold",
    "redeployment_options": "redeployment_options_per_occupation",
    "shift_report_threshold": "posterior_shift_report_threshold",
}


def evidence_parameters_from_assumptions(assumptions: pl.DataFrame) -> EvidenceParameters:
    """EvidenceParameters from the assumptions seed (columns parameter, value)."""
    rows = {r["parameter"]: r for r in assumptions.iter_rows(named=True)}
    values: dict[str, object] = {}
    for field, parameter in SEED_FIELDS.items():
        if parameter not in rows or rows[parameter].get("value") in (None, ""):
            raise ValueError(
                f"assumptions seed lacks {parameter}, needed for {field} "
                "(dbt_project/seeds/assumptions.csv, ids A100-A113 and A137)"
            )
        values[field] = rows[parameter]["value"]
    return EvidenceParameters().override(**values)
