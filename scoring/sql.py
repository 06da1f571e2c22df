"""The automation model's point estimates written as plain DuckDB SQL, to check scoring.model.

What it is for: a second, independent formulation of the deterministic part of the model (no
Monte Carlo) that runs inside the warehouse, so that (a) `compare` shows the polars model and
the SQL agree on the real marts, and (b) benchmarks/scoring_engines.py can time both: keep the
faster where it matters (the published tables stay the polars ones). All the maths is SQL; every
number it uses comes from `Parameters` and is bound as a SQL parameter ($name), and the method
list comes from scoring.model.METHODS. Formulas, one a line (s_o occupation share, w task weight
in the occupation, v a label or measure value, clip = clamp to [0, 1]):

    task methods      c_m(o) = sum_t w [v not null];  v_m(o) = sum_t w coalesce(v, 0) / c_m(o)
    occupation ones   v_m(o) = value_01;  c_m(o) = clip(coalesce(coverage_share, 1))
    kept              c_m(o) > 0 (task coverage clipped after v_m(o) is computed)
    coverage_m        clip(sum_o s_o c_m(o)), 0 when no occupation of the service is covered
    P_m               clip(sum_o s_o c_m(o) v_m(o) / sum_o s_o c_m(o)), null when coverage is 0
    headline P        median of P_m over methods with coverage_m >= $method_coverage_threshold
    spread, count     min and max of those P_m, their number and their sorted ids
    already digital   UK: digital_share; else online stages / applicable stages (ADS = online decision)
    value_gross       labour_cost x P
    value_net         labour_cost x P x (1 - coalesce(already digital share, 0))
    fte_automatable   fte x P
    hours_automatable fte x $hours_per_person_year x P
    value_null_reason the probability's reason if P is null, else labour_cost_null_reason if no cost

Sums are DuckDB's compensated fsum, not SUM: polars' sums of the coverages come out at exactly 1
where DuckDB's plain SUM gives 1 - 1 ulp (summation order), which decides `coverage >= threshold`
when the threshold is 1; with fsum the coverages agree to the bit on the real marts. The DISTINCT
over fct_service_task matches polars' unique((onet_soc_code, task_id)) because the task columns
depend on that key only (polars keeps any one row of a key; if they ever differed, compare says so).

Tables (keys): occupation_method_values (onet_soc_code, method_id), service_method_probability
(service_key, fiscal_year, method_id), headline_probability and service_value (service_key,
fiscal_year); column names are those of the polars functions of the same name.
"""

from __future__ import annotations

import math
import re
import uuid
from typing import Any

import duckdb
import polars as pl

from scoring.model import (
    METHODS,
    SERVICE_KEY,
    headline_probability,
    occupation_method_values,
    service_method_probability,
    service_value,
)
from scoring.parameters import Parameters
from scoring.pipeline import ScoringInputs

TABLE_KEYS: dict[str, list[str]] = {
    "occupation_method_values": ["onet_soc_code", "method_id"],
    "service_method_probability": [*SERVICE_KEY, "method_id"],
    "headline_probability": SERVICE_KEY,
    "service_value": SERVICE_KEY,
}
# The reason scoring.model.headline_probability gives a service no method covers enough.
NO_METHOD_REASON = "no method covers the service's labour time above the threshold (A055)"

_KEY = "service_key, fiscal_year"


def _clip(expression: str) -> str:
    """expression clamped to [0, 1], null staying null (GREATEST/LEAST would drop the null)."""
    return f"(CASE WHEN ({expression}) < 0 THEN 0.0 WHEN ({expression}) > 1 THEN 1.0 ELSE ({expression}) END)"


def _has_column(con: duckdb.DuckDBPyConnection, schema: str, table: str, column: str) -> bool:
    return bool(
        con.execute(
            "SELECT count(*) FROM information_schema.columns "
            "WHERE table_schema = ? AND table_name = ? AND column_name = ?",
            [schema, table, column],
        ).fetchall()[0][0]
    )


def _occupation_values_sql(coverage_share: bool) -> str:
    task_methods = [m for m in METHODS if m.level == "task"]
    label_columns = ", ".join(f'CAST("{m.task_column}" AS DOUBLE) AS "{m.task_column}"' for m in task_methods)
    # one row per occupation, task and task-level method (the unpivot of the label columns)
    task_rows = "\n        UNION ALL\n        ".join(
        f'SELECT onet_soc_code, $task_method_{i} AS method_id, w, "{m.task_column}" AS v FROM tasks'
        for i, m in enumerate(task_methods)
    )
    share = "CAST(coverage_share AS DOUBLE)" if coverage_share else "NULL::DOUBLE"
    return f"""
    WITH tasks AS (
        -- a task sits once per service that uses its occupation: one row per occupation and task
        SELECT DISTINCT
            CAST(onet_soc_code AS VARCHAR) AS onet_soc_code,
            task_id,
            CAST(task_weight_in_occupation AS DOUBLE) AS w,
            {label_columns}
        FROM marts.fct_service_task
    ),
    task_rows AS (
        {task_rows}
    ),
    task_sums AS (
        SELECT
            onet_soc_code,
            method_id,
            fsum(w * CAST(v IS NOT NULL AS DOUBLE)) AS coverage,
            fsum(w * COALESCE(v, 0.0)) AS weighted
        FROM task_rows
        GROUP BY onet_soc_code, method_id
    ),
    all_values AS (
        SELECT
            onet_soc_code,
            method_id,
            CASE WHEN coverage > 0 THEN weighted / coverage END AS value,
            {_clip("coverage")} AS coverage
        FROM task_sums
        UNION ALL
        SELECT
            CAST(onet_soc_code AS VARCHAR) AS onet_soc_code,
            CAST(measure_id AS VARCHAR) AS method_id,
            CAST(value_01 AS DOUBLE) AS value,
            {_clip(f"COALESCE({share}, 1.0)")} AS coverage
        FROM marts.fct_occupation_automation_measure
        WHERE list_contains($occupation_methods, CAST(measure_id AS VARCHAR))
            AND value_01 IS NOT NULL
    )
    SELECT onet_soc_code, method_id, value, coverage
    FROM all_values
    WHERE coverage > 0
    """


def _service_methods_sql(values: str) -> str:
    return f"""
    WITH methods AS (
        SELECT
            unnest($method_ids) AS method_id,
            unnest($method_levels) AS method_level,
            unnest($method_descriptions) AS method_description
    ),
    services AS (
        SELECT DISTINCT {_KEY} FROM marts.fct_service_occupation
    ),
    known AS (
        SELECT
            mix.service_key,
            mix.fiscal_year,
            ov.method_id,
            fsum(mix.occupation_share * ov.coverage) AS coverage,
            fsum(mix.occupation_share * ov.coverage * ov.value) AS num,
            COUNT(*) AS occupations_covered
        FROM marts.fct_service_occupation AS mix
        INNER JOIN {values} AS ov
            ON CAST(mix.onet_soc_code AS VARCHAR) = ov.onet_soc_code
        GROUP BY mix.service_key, mix.fiscal_year, ov.method_id
    )
    SELECT
        services.service_key,
        services.fiscal_year,
        methods.method_id,
        methods.method_level,
        methods.method_description,
        {_clip("COALESCE(known.coverage, 0.0)")} AS coverage,
        COALESCE(known.occupations_covered, 0) AS occupations_covered,
        CASE WHEN known.coverage > 0 THEN {_clip("known.num / known.coverage")} END AS probability
    FROM services
    CROSS JOIN methods
    LEFT JOIN known
        ON known.service_key = services.service_key
        AND known.fiscal_year = services.fiscal_year
        AND known.method_id = methods.method_id
    """


def _headline_sql(service_methods: str) -> str:
    return f"""
    WITH summary AS (
        SELECT
            {_KEY},
            median(probability) AS headline_probability,
            min(probability) AS method_min_probability,
            max(probability) AS method_max_probability,
            COUNT(*) AS methods_used,
            string_agg(method_id, ',' ORDER BY method_id) AS methods_used_ids
        FROM {service_methods}
        WHERE probability IS NOT NULL AND coverage >= $method_coverage_threshold
        GROUP BY {_KEY}
    ),
    services AS (
        SELECT DISTINCT {_KEY} FROM {service_methods}
    )
    SELECT
        services.service_key,
        services.fiscal_year,
        summary.headline_probability,
        summary.method_min_probability,
        summary.method_max_probability,
        COALESCE(summary.methods_used, 0) AS methods_used,
        summary.methods_used_ids,
        CASE WHEN summary.headline_probability IS NULL THEN $no_method_reason END
            AS probability_null_reason
    FROM services
    LEFT JOIN summary
        ON summary.service_key = services.service_key
        AND summary.fiscal_year = services.fiscal_year
    """


def _value_sql(headline: str) -> str:
    return f"""
    WITH services AS (
        SELECT
            dim.service_key,
            dim.fiscal_year,
            dim.country_code,
            CAST(dim.digital_share AS DOUBLE) AS digital_share,
            dim.is_online_application AS application,
            CASE WHEN COALESCE(dim.is_automated_decision_system, false) THEN true
                ELSE dim.is_online_decision END AS decision,
            dim.is_online_issuance AS issuance,
            CAST(cost.labour_cost AS DOUBLE) AS labour_cost,
            cost.labour_cost_null_reason,
            CAST(cost.fte AS DOUBLE) AS fte
        FROM marts.dim_service AS dim
        INNER JOIN marts.fct_service_cost AS cost
            ON cost.service_key = dim.service_key
            AND cost.fiscal_year = dim.fiscal_year
    ),
    stages AS (
        SELECT
            *,
            CAST(application IS NOT NULL AS BIGINT) + CAST(decision IS NOT NULL AS BIGINT)
                + CAST(issuance IS NOT NULL AS BIGINT) AS applicable,
            CAST(COALESCE(application, false) AS BIGINT) + CAST(COALESCE(decision, false) AS BIGINT)
                + CAST(COALESCE(issuance, false) AS BIGINT) AS online
        FROM services
    ),
    shares AS (
        SELECT
            *,
            CASE
                WHEN country_code = 'UK' THEN digital_share
                WHEN applicable > 0 THEN CAST(online AS DOUBLE) / applicable
            END AS already_digital_share
        FROM stages
    )
    SELECT
        shares.service_key,
        shares.fiscal_year,
        shares.already_digital_share,
        h.headline_probability,
        h.method_min_probability,
        h.method_max_probability,
        h.methods_used,
        h.methods_used_ids,
        h.probability_null_reason,
        shares.labour_cost * h.headline_probability AS value_gross,
        shares.labour_cost * h.headline_probability
            * (1.0 - COALESCE(shares.already_digital_share, 0.0)) AS value_net,
        shares.fte * h.headline_probability AS fte_automatable,
        shares.fte * $hours_per_person_year * h.headline_probability AS hours_automatable,
        CASE
            WHEN h.headline_probability IS NULL THEN h.probability_null_reason
            WHEN shares.labour_cost IS NULL THEN shares.labour_cost_null_reason
        END AS value_null_reason
    FROM shares
    LEFT JOIN {headline} AS h
        ON h.service_key = shares.service_key
        AND h.fiscal_year = shares.fiscal_year
    """


def _execute(con: duckdb.DuckDBPyConnection, sql: str, values: dict[str, Any]) -> None:
    """Run `sql` binding only the $parameters it names (DuckDB refuses unused ones)."""
    named = set(re.findall(r"\$([A-Za-z_]\w*)", sql))
    con.execute(sql, {k: v for k, v in values.items() if k in named})


def sql_parameters(params: Parameters) -> dict[str, Any]:
    """The values the SQL binds: the model's parameters and its method list."""
    task_methods = [m for m in METHODS if m.level == "task"]
    return {
        "method_coverage_threshold": float(params.method_coverage_threshold),
        "hours_per_person_year": float(params.hours_per_person_year),
        "no_method_reason": NO_METHOD_REASON,
        "method_ids": [m.method_id for m in METHODS],
        "method_levels": [m.level for m in METHODS],
        "method_descriptions": [m.description for m in METHODS],
        "occupation_methods": [m.method_id for m in METHODS if m.level == "occupation"],
        **{f"task_method_{i}": m.method_id for i, m in enumerate(task_methods)},
    }


def score_sql(con: duckdb.DuckDBPyConnection, params: Parameters) -> dict[str, pl.DataFrame]:
    """The point estimates computed by DuckDB from the marts on `con` (read-only is enough: the
    intermediate results are temporary tables, dropped before returning)."""
    values = sql_parameters(params)
    prefix = f"score_sql_{uuid.uuid4().hex[:12]}"
    temp = {name: f"temp.main.{prefix}_{name}" for name in TABLE_KEYS}
    coverage_share = _has_column(con, "marts", "fct_occupation_automation_measure", "coverage_share")
    statements = {
        "occupation_method_values": _occupation_values_sql(coverage_share),
        "service_method_probability": _service_methods_sql(temp["occupation_method_values"]),
        "headline_probability": _headline_sql(temp["service_method_probability"]),
        "service_value": _value_sql(temp["headline_probability"]),
    }
    created: list[str] = []
    try:
        for name, sql in statements.items():
            _execute(con, f"CREATE TEMP TABLE {prefix}_{name} AS {sql}", values)
            created.append(name)
        return {
            name: con.sql(
                f"SELECT * FROM {temp[name]} ORDER BY {', '.join(TABLE_KEYS[name])} NULLS FIRST"
            ).pl()
            for name in TABLE_KEYS
        }
    finally:
        for name in reversed(created):
            con.execute(f"DROP TABLE IF EXISTS {temp[name]}")


def score_polars(inputs: ScoringInputs, params: Parameters) -> dict[str, pl.DataFrame]:
    """The same point estimates from scoring.model (the functions scoring.pipeline.score runs)."""
    values = occupation_method_values(inputs.occupation_tasks, inputs.occupation_measures)
    per_method = service_method_probability(inputs.service_occupations, values)
    headline = headline_probability(per_method, params)
    return {
        "occupation_method_values": values,
        "service_method_probability": per_method,
        "headline_probability": headline,
        "service_value": service_value(inputs.services, headline, params),
    }


def _show(value: Any) -> str:
    return repr(value) if not isinstance(value, float) else f"{value:.17g}"


def _key_text(row: dict[str, Any], keys: list[str]) -> str:
    return "[" + ", ".join(f"{k}={row[k]!r}" for k in keys) + "]"


def _compare_table(
    table: str, left: pl.DataFrame, right: pl.DataFrame, keys: list[str],
    rel_tol: float, abs_tol: float, examples: int,
) -> list[str]:
    problems: list[str] = []
    missing = [c for c in [*keys, *right.columns] if c not in left.columns]
    if missing:
        problems.append(f"{table}: columns missing from the polars frame: {sorted(set(missing))}")
    if any(k not in right.columns for k in keys):
        problems.append(f"{table}: the SQL frame lacks the key columns {keys}")
    if problems:
        return problems
    for side, frame in (("polars", left), ("sql", right)):
        duplicated = frame.select(keys).is_duplicated()
        if duplicated.any():
            row = frame.filter(duplicated).row(0, named=True)
            problems.append(
                f"{table}: {int(duplicated.sum())} {side} rows share a key, e.g. {_key_text(row, keys)}"
            )
    columns = [c for c in right.columns if c not in keys]
    left = left.select(*keys, *columns).with_columns(pl.lit(True).alias("_in_left"))
    right = right.select(*keys, *columns).with_columns(pl.lit(True).alias("_in_right"))
    joined = left.join(right, on=keys, how="full", coalesce=True, nulls_equal=True, suffix="_sql")
    for side, flag in (("polars", "_in_right"), ("sql", "_in_left")):
        only = joined.filter(pl.col(flag).is_null())
        if only.height:
            keys_shown = ", ".join(_key_text(r, keys) for r in only.head(examples).iter_rows(named=True))
            problems.append(f"{table}: {only.height} rows only in {side}, e.g. {keys_shown}")
    both = joined.filter(pl.col("_in_left") & pl.col("_in_right"))
    for column in columns:
        a, b = pl.col(column), pl.col(f"{column}_sql")
        left_type, right_type = both.schema[column], both.schema[f"{column}_sql"]
        null_differs = a.is_null() != b.is_null()
        if left_type.is_numeric() and right_type.is_numeric():
            a, b = a.cast(pl.Float64), b.cast(pl.Float64)
            tolerance = pl.max_horizontal(rel_tol * pl.max_horizontal(a.abs(), b.abs()), pl.lit(abs_tol))
            both_nan = a.is_nan() & b.is_nan()
            differs = null_differs | ((a - b).abs() > tolerance) | (a.is_nan() != b.is_nan())
            differs = differs & ~both_nan.fill_null(False)
        elif left_type == right_type or (left_type == pl.Null or right_type == pl.Null):
            differs = null_differs | (a != b)
        else:
            problems.append(f"{table}.{column}: polars type {left_type} but SQL type {right_type}")
            continue
        bad = both.filter(differs.fill_null(False))
        if not bad.height:
            continue
        shown = [
            f"{_key_text(r, keys)} polars={_show(r[column])} sql={_show(r[f'{column}_sql'])}"
            for r in bad.head(examples).iter_rows(named=True)
        ]
        more = f" (and {bad.height - examples} more)" if bad.height > examples else ""
        problems.append(f"{table}.{column}: {bad.height} rows differ: " + "; ".join(shown) + more)
    return problems


def compare(
    polars_frames: dict[str, pl.DataFrame],
    sql_frames: dict[str, pl.DataFrame],
    rel_tol: float = 1e-9,
    abs_tol: float = 1e-12,
    examples: int = 3,
) -> list[str]:
    """Human-readable differences between the two engines' frames, by table, column and key; an
    empty list means they agree. Rows are matched on the table's key (TABLE_KEYS); every SQL
    column is compared with the polars column of the same name (numbers within
    max(rel_tol x the larger magnitude, abs_tol), everything else exactly, nulls as values)."""
    if not (math.isfinite(rel_tol) and rel_tol >= 0 and abs_tol >= 0):
        raise ValueError("tolerances must be finite and non-negative")
    problems: list[str] = []
    for table in sorted(set(polars_frames) | set(sql_frames)):
        if table not in sql_frames or table not in polars_frames:
            side = "SQL" if table not in sql_frames else "polars"
            problems.append(f"{table}: no {side} frame")
            continue
        keys = TABLE_KEYS.get(table)
        if keys is None:
            problems.append(f"{table}: unknown table (no key in TABLE_KEYS)")
            continue
        problems += _compare_table(
            table, polars_frames[table], sql_frames[table], keys, rel_tol, abs_tol, examples
        )
    return problems
