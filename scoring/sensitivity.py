"""One-at-a-time sensitivity of the headline figures to the assumptions (the Aqua Book's question:
how far does each assumption move the answer?).

Each numeric assumption the scoring stage reads, with a low and a high value in the register, is
set to its low and then its high value while every other assumption keeps its central value, and the
model is scored again (central estimates only: no Monte Carlo). The headline figures are the total
gross and net value per country, the share of scored services that are highly automatable per
country, and every figure of the UK replication. Assumptions that act upstream of scoring (dbt
models and seeds, e.g. the task weights A030-A032) are not varied here: changing them rebuilds the
marts.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from scoring.parameters import SEED_FIELDS, Parameters, from_assumptions
from scoring.pipeline import ScoringInputs, score, score_figures
from scoring.production import PRODUCTION_FIELDS

# Relative precision of the changes, against the central figure (see one_at_a_time).
NOISE = 1e-9

SCHEMA = {
    "assumption_id": pl.String,
    "parameter": pl.String,
    "assumption_unit": pl.String,
    "quality": pl.String,
    "central": pl.Float64,
    "low": pl.Float64,
    "high": pl.Float64,
    "figure_id": pl.String,
    "figure": pl.String,
    "figure_unit": pl.String,
    "figure_central": pl.Float64,
    "figure_at_low": pl.Float64,
    "figure_at_high": pl.Float64,
    "change_at_low": pl.Float64,
    "change_at_high": pl.Float64,
    "swing": pl.Float64,
    "relative_swing": pl.Float64,
    "swing_rank": pl.Int64,
}


def varied_parameters() -> set[str]:
    """Register parameter names the scoring stage reads as numbers (their value column)."""
    model = {parameter for parameter, column in SEED_FIELDS.values() if column == "value"}
    return (model | set(PRODUCTION_FIELDS)) - {"monte_carlo_draws", "monte_carlo_seed", "headline_methods"}


def candidates(assumptions: pl.DataFrame) -> pl.DataFrame:
    """The register rows the analysis varies: read by scoring as numbers, with a low and a high."""
    numeric = pl.col("value").cast(pl.Float64, strict=False)
    return (
        assumptions.with_columns(
            numeric.alias("central"),
            pl.col("low").cast(pl.Float64, strict=False).alias("low"),
            pl.col("high").cast(pl.Float64, strict=False).alias("high"),
        )
        .filter(
            (pl.col("parameter").is_in(sorted(varied_parameters())) | pl.col("parameter").str.starts_with("unit_minutes__"))
            & pl.col("central").is_not_null() & pl.col("low").is_not_null() & pl.col("high").is_not_null()
        )
        .sort("assumption_id")
    )


def headline_figures(
    summary: pl.DataFrame, replication: pl.DataFrame, params: Parameters
) -> list[tuple[str, str, float | None, str]]:
    """(figure_id, figure, value, unit) of the headline figures of one scoring: its service summary
    and UK replication (score_figures, or ScoringOutputs.summary and .uk_replication)."""
    rows: list[tuple[str, str, float | None, str]] = []
    for country in sorted(summary["country_code"].unique().to_list()):
        s = summary.filter(pl.col("country_code") == country)
        currency = s["currency"].drop_nulls().head(1).to_list()
        money = f"{currency[0] if currency else ''} a year".strip()
        scored = s.filter(pl.col("headline_probability").is_not_null())
        high = scored.filter(pl.col("headline_probability") >= params.probability_threshold).height
        code = country.lower()
        rows += [
            (f"{code}_value_gross_total", f"{country}: gross value of all services", float(s["value_gross"].sum() or 0), money),
            (f"{code}_value_net_total", f"{country}: net value of the services whose net value is known",
             float(s["value_net"].sum() or 0), money),
            (f"{code}_share_highly_automatable", f"{country}: share of scored services with headline probability >= A050",
             high / scored.height if scored.height else None, "share"),
        ]
    for r in replication.iter_rows(named=True):
        rows.append((f"uk_replication_{r['figure_id']}", f"UK replication: {r['figure']}", r["atlas_value"], r["unit"]))
    return rows


def _with_value(assumptions: pl.DataFrame, assumption_id: str, value: float) -> pl.DataFrame:
    text = str(int(value)) if float(value).is_integer() else repr(float(value))
    return assumptions.with_columns(
        pl.when(pl.col("assumption_id") == assumption_id).then(pl.lit(text)).otherwise(pl.col("value")).alias("value")
    )


def one_at_a_time(
    inputs: ScoringInputs,
    overrides: dict[str, object] | None = None,
    progress: Callable[[int, int], None] | None = None,
    *,
    only: set[str] | None = None,
    reuse: bool = True,
    start: dict[tuple, object] | None = None,
    concurrent: bool = False,
) -> pl.DataFrame:
    """One row per varied assumption and headline figure: the figure at the central value and at the
    assumption's low and high, the changes, the swing |high - low| and its rank within the figure
    (1 = the assumption that moves the figure most). `overrides` are the run's parameter overrides,
    applied to every scoring except where they set the assumption being varied.

    The scorings share one cache (score_figures): a step whose inputs an assumption does not reach
    is computed once. `reuse=False` runs the whole score() each time, without a cache (the path
    the shared cache replaced, kept as the reference it is tested against); `only` limits the analysis to those assumption ids (tests).
    `start`: cache entries to begin with, the shared steps of a scoring of the same inputs
    (scoring.pipeline.take_steps). `concurrent`: score each assumption's low and high side by side
    in two threads sharing the cache (polars and numpy release the GIL; polars' parallel sums make
    figures differ in the last bit, as between any two runs, and the changes are kept to NOISE)."""
    overrides = dict(overrides or {})
    field_of = {parameter: field for field, (parameter, column) in SEED_FIELDS.items() if column == "value"}
    cache: dict[tuple, object] = dict(start or {}) if reuse else {}

    def run(assumptions: pl.DataFrame, varied_parameter: str | None) -> dict[str, tuple[str, float | None, str]]:
        kept = {k: v for k, v in overrides.items() if k != field_of.get(varied_parameter or "")}
        params = from_assumptions(assumptions).override(**kept)
        varied_inputs = ScoringInputs(**{**inputs.__dict__, "assumptions": assumptions})
        if reuse:
            summary, replication = score_figures(varied_inputs, params, cache=cache)
        else:
            outputs = score(varied_inputs, params, uncertainty=False)
            summary, replication = outputs.summary, outputs.uk_replication
        return {fid: (text, value, unit) for fid, text, value, unit in headline_figures(summary, replication, params)}

    central = run(inputs.assumptions, None)
    kept_entries = set(cache)  # what the central scoring cached; an assumption's own entries go after it
    varied = candidates(inputs.assumptions)
    if only is not None:
        varied = varied.filter(pl.col("assumption_id").is_in(sorted(only)))
    rows = []
    total = varied.height
    sides = ("low", "high")
    threads = ThreadPoolExecutor(2, thread_name_prefix="sensitivity") if concurrent else contextlib.nullcontext()
    with threads as pool:
        each = pool.map if pool is not None else map
        for done, a in enumerate(varied.iter_rows(named=True), start=1):
            at = dict(zip(sides, each(
                lambda side, a=a: run(_with_value(inputs.assumptions, a["assumption_id"], a[side]), a["parameter"]),
                sides), strict=True))
            for figure_id, (text, base, unit) in central.items():
                low = at["low"].get(figure_id, (None, None, None))[1]
                high = at["high"].get(figure_id, (None, None, None))[1]
                rows.append({
                    "assumption_id": a["assumption_id"], "parameter": a["parameter"], "assumption_unit": a["unit"],
                    "quality": a.get("quality"), "central": a["central"], "low": a["low"], "high": a["high"],
                    "figure_id": figure_id, "figure": text, "figure_unit": unit, "figure_central": base,
                    "figure_at_low": low, "figure_at_high": high,
                    "change_at_low": None if low is None or base is None else low - base,
                    "change_at_high": None if high is None or base is None else high - base,
                })
            for key in [k for k in cache if k not in kept_entries]:
                del cache[key]  # memory: at 100x services an entry can hold a million rows
            if progress is not None:
                progress(done, total)
    frame = pl.DataFrame(rows, schema={k: v for k, v in SCHEMA.items() if k not in ("swing", "relative_swing", "swing_rank")},
                         orient="row")
    # Parallel sums may differ in the last bit between runs, and a change is a difference of two
    # figures: its absolute noise is the figure's. Changes are therefore kept to NOISE of the
    # central figure (rounded to that quantum, a power of ten): noise never shows, a change that is
    # only noise is exactly 0, and an assumption that moves nothing ranks the same in every run.
    magnitude = pl.col("figure_central").abs() * NOISE
    quantum = (
        pl.when(magnitude > 0)
        .then(pl.lit(10.0).pow(magnitude.log10().floor()))
        .otherwise(pl.lit(NOISE))
    )
    def kept(column: str) -> pl.Expr:
        change = ((pl.col(column) - pl.col("figure_central")) / quantum).round(0) * quantum
        return pl.when(change == 0).then(pl.lit(0.0)).otherwise(change)  # never -0.0

    changes = [kept(c).alias(name) for c, name in (("figure_at_low", "change_at_low"), ("figure_at_high", "change_at_high"))]
    swing = (pl.col("change_at_high") - pl.col("change_at_low")).abs()
    return (
        frame.with_columns(changes)
        .with_columns(swing.alias("swing"))
        .with_columns(
            pl.when(pl.col("figure_central").abs() > 0)
            .then(pl.col("swing") / pl.col("figure_central").abs())
            .otherwise(None)
            .alias("relative_swing")
        )
        .sort(["figure_id", "swing", "assumption_id"], descending=[False, True, False], nulls_last=True)
        .with_columns(pl.int_range(1, pl.len() + 1).over("figure_id").cast(pl.Int64).alias("swing_rank"))
        .select(list(SCHEMA))
    )
