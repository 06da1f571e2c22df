"""The automation model's Dagster assets: read the marts, call scoring.pipeline.score, write the
score tables. Parameters come from the assumptions seed and may be overridden in run config."""

import json
import time
from dataclasses import asdict

import dagster as dg
import polars as pl
from dagster_duckdb import DuckDBResource

from ingestion.settings import scoring_steps_dir
from orchestration.assets.scoring import table_metadata, write_table
from orchestration.gate import dbt_checks_on, failed_checks, refusal
from scoring.io import read_scoring_inputs
from scoring.parameters import Parameters, from_assumptions
from scoring.pipeline import (
    ScoringInputs,
    invariant_failures,
    keep_steps,
    model_summary,
    score,
    take_steps,
)
from scoring.sensitivity import one_at_a_time
from scoring.step_store import StepStore
from scoring.uncertainty import chunk_services

OWNER = "team:atlas-economics"
# the dbt tests of the marts and seeds: scoring refuses tables whose latest test failed
MART_CHECKS = dbt_checks_on(("marts", "seeds"))
KEYS = {
    "fct_service_activity": "One row per service, fiscal year and activity of its production: units "
    "and where they come from, calibrated minutes per unit, hours (bottom-up and after the Canadian "
    "programme ceiling or the UK reported cost), probability, routine share, labour cost and value.",
    "fct_service_domain_match": "One row per service and O*NET detailed work activity among its best "
    "text matches (TF-IDF of its name and description, A210-A211): score, rank, whether used.",
    "fct_service_automation": "One row per service and automation method: probability over the "
    "hours the method covers, coverage, what the measure is, whether it enters the headline, and "
    "its percentile among the services of the country.",
    "fct_service_automation_summary": "One row per service: volume (reported or modelled), hours, "
    "FTE and labour cost, headline probability with its spread and Monte Carlo interval, routine "
    "share, value gross and net, quadrant, priority rank and a one-sentence explanation.",
    "agg_automation_by_organisation": "One row per country, fiscal year and organisation: services, volume, "
    "value and volume-weighted probability.",
    "agg_automation_by_archetype": "One row per country, fiscal year and archetype (a label of the first native "
    "type): services, volume, value and volume-weighted probability.",
    "agg_automation_by_country": "One row per country and fiscal year: services, volume, value and volume-weighted "
    "probability.",
    "agg_automation_by_activity": "One row per country, fiscal year and activity: services, units, hours, labour "
    "cost, automatable hours and value across all services (the general procedures).",
    "uk_replication": "One row per figure of the Turing Institute's UK arithmetic: our value on the "
    "2012-13 Transactions Explorer beside theirs, with both definitions.",
    "fct_unit_cost_calibration": "One row per UK service with a reported cost per transaction: "
    "reported against predicted cost, in sample and leave-one-out (A207).",
    "model_diagnostics": "One row per diagnostic figure of the model: calibration and volume-model "
    "fit, distinct probabilities, variance explained by the archetype, quadrant counts, coverage.",
    "dim_parameter_set": "One row per parameter set the model's tables were computed with (their "
    "parameter_set_id): the run's parameters after any override and every assumption of the register "
    "it read, as JSON.",
}


class ScoringConfig(dg.Config):
    """Per-run overrides of the assumptions seed (leave empty to use the seed's values)."""

    probability_threshold: float | None = None
    value_threshold_quantile: float | None = None
    monte_carlo_draws: int | None = None
    monte_carlo_seed: int | None = None
    routine_threshold: float | None = None
    method_coverage_threshold: float | None = None
    minutes_saved_per_transaction: float | None = None
    hours_per_person_year: float | None = None
    # not a model assumption: services per Monte Carlo batch; lower it to hold memory at many draws
    monte_carlo_batch_services: int | None = None


def _monte_carlo_progress(context: dg.AssetExecutionContext):
    """Log the Monte Carlo's progress about every tenth of the services (and at the end), timed
    from its start (done = 0), after the central scoring."""
    started = [time.monotonic()]
    last = [0]

    def report(done: int, total: int) -> None:
        if done == 0:
            context.log.info(f"central scores in {time.monotonic() - started[0]:.0f} s; Monte Carlo draws start")
            started[0] = time.monotonic()
            return
        if done < total and (done - last[0]) < max(1, total // 10):
            return
        last[0] = done
        elapsed = time.monotonic() - started[0]
        eta = elapsed / done * (total - done) if done else 0.0
        context.log.info(
            f"Monte Carlo: {done}/{total} services ({done / max(total, 1):.0%}) in {elapsed:.0f} s"
            + (f", about {eta:.0f} s to go" if done < total else "")
        )

    return report


@dg.multi_asset(
    specs=[
        dg.AssetSpec(
            ["scoring", name], description=text, group_name="scoring", owners=[OWNER],
            kinds={"polars", "duckdb"},
            deps=[
                ["marts", "dim_service"], ["marts", "fct_service_process_input"],
                ["marts", "fct_dwa_task"], ["marts", "fct_ca_service_programme"],
                ["marts", "fct_occupation_automation_measure"], ["seeds", "assumptions"],
                ["seeds", "activities"], ["seeds", "activity_dwa"], ["seeds", "service_type_activity"],
                ["seeds", "turing_replication_reference"],
            ],
        )
        for name, text in KEYS.items()
    ],
    check_specs=[
        dg.AssetCheckSpec(
            "model_invariants", asset=["scoring", "fct_service_automation_summary"], blocking=True,
            description="Probabilities and coverage in [0, 1], percentiles ordered, one summary "
            "row per service of dim_service, null values only with a reason.",
        )
    ],
    name="automation_model",
)
def automation_model(context: dg.AssetExecutionContext, config: ScoringConfig, warehouse: DuckDBResource):
    # marts whose latest check failed in an earlier run (a subset run stopped by a dbt test) must
    # not be scored: the run would fail later on a mismatch, naming neither cause nor cure
    failed, _ = failed_checks(context.instance, MART_CHECKS)
    if failed:
        raise dg.Failure(description=refusal("not scoring", failed), allow_retries=False)
    with warehouse.get_connection() as con:
        assumptions = con.sql("SELECT * FROM seeds.assumptions").pl()
        params: Parameters = from_assumptions(assumptions)
        overrides = {k: v for k, v in config.model_dump().items() if v is not None}
        params = params.override(**overrides)
        context.log.info(f"scoring with parameters {params.to_json()}")
        # The same reader scores a Spark build from its Parquet export (scoring/io.py).
        inputs: ScoringInputs = read_scoring_inputs(con)
        services = inputs.services.height
        context.log.info(
            f"Monte Carlo: {params.monte_carlo_draws} draws for {services} services "
            f"in chunks of {min(services, chunk_services(params))} services"
        )
        cache: dict[tuple, object] = {}
        # the steps that read neither the parameters nor the automation measures, kept between runs
        store = StepStore(scoring_steps_dir(), log=context.log.info)
        outputs = score(inputs, params, progress=_monte_carlo_progress(context), cache=cache, store=store)
        keep_steps(inputs, cache)  # the text vectors and matches, for the sensitivity analysis
        del cache
        problems = invariant_failures(outputs, services)
        yield dg.AssetCheckResult(
            check_name="model_invariants",
            asset_key=["scoring", "fct_service_automation_summary"],
            passed=not problems,
            metadata={"problems": dg.MetadataValue.json(problems)},
        )
        if problems:
            raise dg.Failure(f"scoring invariants failed: {problems}; nothing written")
        summary_text = model_summary(outputs.diagnostics)
        for line in summary_text.splitlines():
            context.log.info(f"model: {line}")
        for name, frame in outputs.tables().items():
            write_table(con, name, frame)
            extra = {"model_summary": summary_text} if name == "fct_service_automation_summary" else {}
            yield dg.MaterializeResult(
                asset_key=["scoring", name],
                metadata={**table_metadata(frame, name), "parameters": params.to_json(), **extra},
            )


def _run_overrides(summary_parameters: str | None, assumptions: pl.DataFrame) -> dict[str, object]:
    """The parameters the model run used that differ from the register (its run config overrides),
    read back from the summary's parameter set (scoring.dim_parameter_set), so that the sensitivity
    varies around the same central case."""
    if not summary_parameters:
        return {}
    used = json.loads(summary_parameters)
    register = asdict(from_assumptions(assumptions))
    return {
        field: tuple(value) if isinstance(register[field], tuple) else value
        for field, value in used.items()
        if field in register and (tuple(value) if isinstance(value, list) else value) != register[field]
    }


@dg.asset(
    key=["scoring", "fct_sensitivity"],
    group_name="scoring",
    owners=[OWNER],
    kinds={"polars", "duckdb"},
    deps=[["scoring", "fct_service_automation_summary"]],
    description=(
        "One row per numeric assumption of the scoring stage and headline figure: the figure with the "
        "assumption at its central value and at its low and high (the others central), the changes, "
        "the swing and its rank within the figure (one-at-a-time sensitivity; docs/sensitivity.md)."
    ),
)
def sensitivity_analysis(context: dg.AssetExecutionContext, warehouse: DuckDBResource):
    with warehouse.get_connection() as con:
        inputs: ScoringInputs = read_scoring_inputs(con)
        first = con.execute(
            "SELECT p.parameters FROM scoring.dim_parameter_set AS p WHERE p.parameter_set_id = "
            "(SELECT parameter_set_id FROM scoring.fct_service_automation_summary LIMIT 1)"
        ).fetchall()
        overrides = _run_overrides(first[0][0] if first else None, inputs.assumptions)
        if overrides:
            context.log.info(f"sensitivity around the run's overrides {overrides}")
        started = time.monotonic()

        def report(done: int, total: int) -> None:
            if done == total or done % 5 == 0:
                context.log.info(
                    f"sensitivity: {done}/{total} assumptions at low and high in {time.monotonic() - started:.0f} s"
                )

        # what the automation model computed from these inputs in this process, if it did
        start = take_steps(inputs)
        if start:
            context.log.info(f"sensitivity: reusing the automation model's {', '.join(sorted({k[0] for k in start}))}")
        # an assumption's low and high are scored side by side, in two threads (polars and numpy
        # release the GIL): the same figures, 100x in 45 s instead of 57 s (docs/benchmarks.md)
        frame = one_at_a_time(inputs, overrides, progress=report, start=start, concurrent=True)
        write_table(con, "fct_sensitivity", frame)
    return dg.MaterializeResult(metadata=table_metadata(frame, "fct_sensitivity"))
