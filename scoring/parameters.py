"""Model parameters: read from the assumptions seed, overridable per run.

Every number the scoring stage uses is an assumption with an id in seeds/assumptions.csv; a run may
override any of them (Dagster run config). Every output table names the set of values it used
(`parameter_set_id`); scoring.dim_parameter_set holds each set in full, as JSON.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, fields, replace

import polars as pl


@dataclass(frozen=True)
class Parameters:
    probability_threshold: float = 0.7  # A050
    value_threshold_quantile: float = 0.75  # A051
    monte_carlo_draws: int = 1000  # A052
    monte_carlo_seed: int = 20261129  # A053
    method_coverage_threshold: float = 0.5  # A055
    minutes_saved_per_transaction: float = 1.0  # A056
    hours_per_person_year: float = 1650.0  # A057
    uk_labour_share: float = 0.7  # A040
    uk_labour_share_low: float = 0.5  # A040 low
    uk_labour_share_high: float = 0.85  # A040 high
    routine_threshold: float = 0.75  # A216
    turing_hours_per_person_year: float = 1950.0  # A205
    headline_methods: tuple[str, ...] = (
        "frey_osborne_probability", "gpt4_automation", "gpt4_beta", "human_beta",
    )  # A214
    monte_carlo_batch_services: int = 4096

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    def override(self, **values: object) -> Parameters:
        known = {f.name: f.type for f in fields(self)}
        unknown = sorted(set(values) - set(known))
        if unknown:
            raise ValueError(f"unknown parameter(s) {unknown}; known: {sorted(known)}")
        cast: dict[str, object] = {}
        for k, v in values.items():
            current = getattr(self, k)
            if isinstance(current, tuple):
                items = v.split(";") if isinstance(v, str) else list(v)  # type: ignore[union-attr]
                cast[k] = tuple(str(i).strip() for i in items if str(i).strip())
            elif isinstance(current, int):
                cast[k] = int(v)  # type: ignore[arg-type]
            else:
                cast[k] = float(v)  # type: ignore[arg-type]
        return replace(self, **cast)


# parameter field -> (seed parameter name, seed column)
SEED_FIELDS = {
    "probability_threshold": ("probability_threshold", "value"),
    "value_threshold_quantile": ("value_threshold_quantile", "value"),
    "monte_carlo_draws": ("monte_carlo_draws", "value"),
    "monte_carlo_seed": ("monte_carlo_seed", "value"),
    "method_coverage_threshold": ("method_coverage_threshold", "value"),
    "minutes_saved_per_transaction": ("minutes_saved_per_transaction", "value"),
    "hours_per_person_year": ("hours_per_person_year", "value"),
    "uk_labour_share": ("uk_labour_share_of_unit_cost", "value"),
    "uk_labour_share_low": ("uk_labour_share_of_unit_cost", "low"),
    "uk_labour_share_high": ("uk_labour_share_of_unit_cost", "high"),
    "routine_threshold": ("routine_score_threshold", "value"),
    "turing_hours_per_person_year": ("turing_hours_per_person_year", "value"),
    "headline_methods": ("headline_methods", "value"),
}


def parameters_record(params: Parameters, assumptions: pl.DataFrame) -> str:
    """The `parameters` JSON of scoring.dim_parameter_set: the run's parameters (as used, after any
    run override) and every assumption of the register the run read, id -> value, with the
    overridden ones at the value the run used."""
    values = {r["assumption_id"]: r["value"] for r in assumptions.iter_rows(named=True)}
    by_parameter = {r["parameter"]: r["assumption_id"] for r in assumptions.iter_rows(named=True)}
    used = asdict(params)
    for field, (parameter, column) in SEED_FIELDS.items():
        assumption_id = by_parameter.get(parameter)
        if assumption_id is None or column != "value":
            continue
        value = used[field]
        if isinstance(value, tuple):
            values[assumption_id] = ";".join(value)
        elif isinstance(value, float) and value.is_integer():
            values[assumption_id] = str(int(value))
        else:
            values[assumption_id] = str(value)
    return json.dumps({**used, "assumptions": dict(sorted(values.items()))}, sort_keys=True)


def parameter_set_id(record: str) -> str:
    """The id of a parameters record: `ps-` and the first 16 hex digits of its sha256. Every scoring
    table carries it on each row instead of the record itself (about 3,000 characters, which made
    most of the scoring tables' export size at 100x the services)."""
    return "ps-" + hashlib.sha256(record.encode("utf-8")).hexdigest()[:16]


def from_assumptions(assumptions: pl.DataFrame) -> Parameters:
    """Parameters from the assumptions seed (columns parameter, value, low, high)."""
    rows = {r["parameter"]: r for r in assumptions.iter_rows(named=True)}
    values: dict[str, object] = {}
    for field, (parameter, column) in SEED_FIELDS.items():
        if parameter not in rows or rows[parameter].get(column) in (None, ""):
            raise ValueError(
                f"assumptions seed lacks {parameter}.{column}, needed for {field} "
                "(dbt_project/seeds/assumptions.csv)"
            )
        values[field] = rows[parameter][column]
    return Parameters().override(**values)
