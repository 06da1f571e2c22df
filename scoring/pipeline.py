"""The whole scoring stage as one pure function: marts and seeds in, score tables out.

The production model (scoring/production.py) turns each service into activities with hours and
labour cost; the automation model (scoring/model.py) scores the activities and the services; the
Monte Carlo (scoring/uncertainty.py) gives their intervals."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from scoring.figure_rows import (
    assemble_rows,
    at_services,
    capped_hours,
    factors,
    headlines,
    service_figures,
    service_totals,
    unit_layout,
)
from scoring.model import (
    QUADRANTS,
    SERVICE_KEY,
    dwa_method_values,
    explain,
    headline_frame,
    matrix,
    rollup,
    rollup_by_activity,
    service_activity_headlines,
    service_activity_values,
    service_headline,
    service_method_probability,
    service_value,
    uk_replication,
)
from scoring.parameters import Parameters, parameter_set_id, parameters_record
from scoring.production import (
    LeaveOneOut,
    ProgrammeLinks,
    activity_minutes,
    domain_vectors,
    minutes_per_transaction,
    model_volumes,
    production_parameters,
    rank_domain_work,
    reported_cost_factor,
    start_calibration,
    unit_parts,
    units_from_parts,
)
from scoring.step_store import StepStore, frame_digest
from scoring.uncertainty import monte_carlo


@dataclass(frozen=True)
class ScoringInputs:
    services: pl.DataFrame  # dim_service joined to fct_service_process_input
    activities: pl.DataFrame  # seeds.activities
    activity_dwa: pl.DataFrame  # seeds.activity_dwa
    type_rules: pl.DataFrame  # seeds.service_type_activity
    dwa_tasks: pl.DataFrame  # marts.fct_dwa_task
    occupation_measures: pl.DataFrame  # marts.fct_occupation_automation_measure
    programme_links: pl.DataFrame  # marts.fct_ca_service_programme
    assumptions: pl.DataFrame  # seeds.assumptions (the production model's parameters)
    replication_reference: pl.DataFrame  # seeds.turing_replication_reference


@dataclass(frozen=True)
class ScoringOutputs:
    service_activity: pl.DataFrame
    domain_match: pl.DataFrame
    service_automation: pl.DataFrame
    summary: pl.DataFrame
    by_organisation: pl.DataFrame
    by_archetype: pl.DataFrame
    by_country: pl.DataFrame
    by_activity: pl.DataFrame
    uk_replication: pl.DataFrame
    calibration: pl.DataFrame
    diagnostics: pl.DataFrame
    parameter_sets: pl.DataFrame

    def tables(self) -> dict[str, pl.DataFrame]:
        return {
            "fct_service_activity": self.service_activity,
            "fct_service_domain_match": self.domain_match,
            "fct_service_automation": self.service_automation,
            "fct_service_automation_summary": self.summary,
            "agg_automation_by_organisation": self.by_organisation,
            "agg_automation_by_archetype": self.by_archetype,
            "agg_automation_by_country": self.by_country,
            "agg_automation_by_activity": self.by_activity,
            "uk_replication": self.uk_replication,
            "fct_unit_cost_calibration": self.calibration,
            "model_diagnostics": self.diagnostics,
            "dim_parameter_set": self.parameter_sets,
        }


SUMMARY_SERVICE_COLUMNS = [
    "service_key", "fiscal_year", "country_code", "organisation_code", "organisation_name",
    "delivery_body", "service_name", "archetype_id", "involves_case_decision", "customer_type",
    "annual_volume", "volume_round", "volume_basis", "volume_modelled", "volume_modelled_low",
    "volume_modelled_high", "currency", "price_year", "delivery_hours", "fte_bottom_up", "fte",
    "is_capped_by_programme_fte", "labour_cost", "labour_cost_basis", "labour_cost_null_reason",
    "reported_cost_per_transaction", "modelled_cost_per_transaction",
]


def _cost_per_hour(services: pl.DataFrame, production) -> pl.DataFrame:
    """Loaded cost of an hour of staff time per service: UK A202 x A203 / A057 (GBP 2012); Canada
    A041 / A204 (CAD of the fiscal year)."""
    return services.select(
        *SERVICE_KEY, "country_code",
        pl.when(pl.col("country_code") == "UK").then(pl.lit("GBP")).otherwise(pl.lit("CAD")).alias("currency"),
        pl.when(pl.col("country_code") == "UK").then(pl.lit(2012))
        .otherwise(pl.col("fiscal_year").str.split("-").list.get(1, null_on_oob=True).cast(pl.Int64, strict=False))
        .alias("price_year"),
        pl.when(pl.col("country_code") == "UK").then(pl.lit(production.uk_cost_per_hour))
        .otherwise(pl.col("loaded_cost_per_fte_cad") / production.ca_hours_per_fte)
        .alias("cost_per_hour"),
        pl.when(pl.col("country_code") == "UK").then(pl.lit(production.uk_hours_per_fte))
        .otherwise(pl.lit(production.ca_hours_per_fte)).alias("hours_per_fte"),
    )


# The steps of a scoring whose results depend on nothing but the inputs and the parameters named in
# their cache keys (see score_figures): the sorted services, the volume model, the units (their
# parameter-free parts and the rows at an A206), the text vectors, the ranked and the used matches,
# the per-DWA method values, the programme links as arrays.
SHARED_STEPS = frozenset({"services", "volumes", "unit_parts", "units", "domain_vectors", "ranked", "matches",
                          "dwa_values", "programme_links"})
# Those steps as the last score() in this process computed them, under the fingerprint of its inputs
_kept_steps: dict[tuple, dict[tuple, Any]] = {}


def inputs_fingerprint(inputs: ScoringInputs) -> tuple:
    """The inputs' identity: each frame's name, schema and a digest of its row hashes in row order
    (the same rows in another order are other inputs: a step may depend on the order)."""
    return tuple((name, frame_digest(frame).hex()) for name, frame in sorted(inputs.__dict__.items()))


def keep_steps(inputs: ScoringInputs, cache: dict[tuple, Any]) -> None:
    """Keep the shared steps of a scoring's cache for take_steps (one set at a time, the latest)."""
    _kept_steps.clear()
    _kept_steps[inputs_fingerprint(inputs)] = {k: v for k, v in cache.items() if k[0] in SHARED_STEPS}


def take_steps(inputs: ScoringInputs) -> dict[tuple, Any]:
    """The steps keep_steps kept for these very inputs (a cache to start from), or none; either
    way nothing stays kept. In a Dagster run the automation model and the sensitivity analysis
    run in one process (the in-process executor), so the sensitivity's central scoring reuses the
    model's text vectors and matches rather than computing them again."""
    fingerprint = inputs_fingerprint(inputs)
    kept = _kept_steps.pop(fingerprint, {})
    _kept_steps.clear()
    return dict(kept)


def score(
    inputs: ScoringInputs,
    params: Parameters,
    progress: Callable[[int, int], None] | None = None,
    *,
    uncertainty: bool = True,
    cache: dict[tuple, Any] | None = None,
    store: StepStore | None = None,
) -> ScoringOutputs:
    """Every score table from the marts and seeds. `progress(done, total)` follows the Monte Carlo.

    `uncertainty=False` leaves the Monte Carlo columns null and skips the calibration's
    leave-one-out fits. `cache`: see score_figures. `store`: the text vectors, the ranked domain
    work and the leave-one-out fits are loaded from it when an earlier run stored them for the same
    inputs, and stored in it otherwise (scoring.step_store: the same results to the bit)."""
    # the stack stops the calibration's leave-one-out workers if a step fails before they are read
    with contextlib.ExitStack() as stack:
        outputs = _score(inputs, params, progress, uncertainty=uncertainty, cache=cache, figures_only=False,
                         stack=stack, store=store)
    assert isinstance(outputs, ScoringOutputs)
    return outputs


def score_figures(
    inputs: ScoringInputs, params: Parameters, cache: dict[tuple, Any] | None = None
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The service summary and the UK replication as score() gives them, central estimates only,
    for the sensitivity analysis, which scores the model about seventy times and reads only the
    headline figures (scoring.sensitivity.headline_figures).

    The summary keeps the columns those figures read (value, probability, routine share, volume,
    country) and leaves out the per-method spread, the explanation, the quadrant and the Monte Carlo
    intervals; the tables score() publishes per activity, method and group are not built.

    `cache` is a dict the caller keeps between calls on the same inputs. It holds each expensive
    step's result under the values the step reads: the volume model, the services' and DWAs' text
    vectors and the per-DWA method values (inputs only), the units (A206), the domain-work matches
    (ranked by A211, used from A210), the service activities as arrays with their units and
    headline probabilities (the units, the matches, A214 and A055; a standard activity's headline
    computed once, not per service: scoring.model.service_activity_headlines), and the valued
    services (every production parameter, A214 and A055). A call that varies a unit time therefore
    reuses all but the last and recomputes the hours and what follows, as sums over those arrays
    (scoring.figure_rows) rather than joins of every service activity; one that varies a
    threshold of the figures only (A050, A051, A056, A057, A205, A216) recomputes nothing but the
    figures. tests/unit/test_figure_rows.py checks the arrays' sums against the rows' and
    tests/integration/test_lineage_and_sensitivity.py the figures against scoring without a cache
    on the real data."""
    with contextlib.ExitStack() as stack:  # no leave-one-out fits here: nothing to stop
        return _score(inputs, params, None, uncertainty=False, cache=cache, figures_only=True,  # type: ignore[return-value]
                      stack=stack)


def _service_base(services: pl.DataFrame, modelled: pl.DataFrame, volume_basis: pl.DataFrame) -> pl.DataFrame:
    """The services (in their order) with their modelled volumes and their volume_basis (SERVICE_KEY
    and volume_basis, one row per service): what _service_frame adds the scoring's sums to."""
    return services.join(modelled, on=SERVICE_KEY, how="left", maintain_order="left").join(
        volume_basis.select(*SERVICE_KEY, "volume_basis"), on=SERVICE_KEY, how="left", maintain_order="left")


def _service_frame(
    base: pl.DataFrame,
    totals: pl.DataFrame,
    costs: pl.DataFrame,
    ceiling: pl.DataFrame,
    production,
    *,
    aligned: bool = False,
) -> pl.DataFrame:
    """One row per service: its attributes, modelled volume, hours and labour cost with the reasons
    where they are null. `base`: _service_base's rows; `totals`: per service delivery_hours,
    _hours_bottom_up, _labour_cost, _cost_unknown (any activity without a labour cost) and
    _decision (a case decision activity with hours); `costs`: _cost_per_hour's rows; `ceiling`:
    programme_ceiling's rows. `aligned`: totals, costs and the ceiling (its fte_bottom_up and
    is_capped_by_programme_fte, null where a service has no ceiling: ServiceFigures.
    ceiling_by_service) hold one row per row of `base`, in its order, and are put beside it rather
    than joined to it (the same frame: tests/unit/test_figure_rows.py)."""
    per_service = [totals, costs.drop("country_code")]
    ceiling_columns = ["fte_bottom_up", "is_capped_by_programme_fte"]
    if aligned:
        if not totals.height == costs.height == ceiling.height == base.height:
            raise ValueError(f"_service_frame(aligned=True): {base.height} services but {totals.height} totals, "
                             f"{costs.height} costs and {ceiling.height} ceiling rows")
        frame = base.hstack([column for f in per_service for column in f.drop(SERVICE_KEY).get_columns()]
                            + ceiling.select(ceiling_columns).get_columns())
    else:
        frame = base
        for f in per_service:
            frame = frame.join(f, on=SERVICE_KEY, how="left")
        frame = frame.join(ceiling.select(*SERVICE_KEY, *ceiling_columns), on=SERVICE_KEY, how="left")
    return (
        frame
        .with_columns(
            pl.col("_decision").fill_null(False).alias("involves_case_decision"),
            pl.col("volume_source").alias("volume_round"),
            pl.when(pl.col("volume_basis") == "modelled").then(pl.col("volume_modelled")).otherwise(None).alias("volume_modelled"),
            pl.when(pl.col("volume_basis") == "modelled").then(pl.col("volume_modelled_low")).otherwise(None).alias("volume_modelled_low"),
            pl.when(pl.col("volume_basis") == "modelled").then(pl.col("volume_modelled_high")).otherwise(None).alias("volume_modelled_high"),
            pl.when(pl.col("_cost_unknown") | (pl.col("delivery_hours").fill_null(0) <= 0)).then(None)
            .otherwise(pl.col("_labour_cost")).alias("labour_cost"),
            (pl.col("delivery_hours") / pl.col("hours_per_fte")).alias("fte"),
            pl.col("fte_bottom_up").fill_null(pl.col("delivery_hours") / pl.col("hours_per_fte")),
            pl.col("is_capped_by_programme_fte").fill_null(False),
            pl.col("cost_per_transaction_gbp").alias("reported_cost_per_transaction"),
            pl.when((pl.col("country_code") == "UK") & pl.col("cost_per_transaction_gbp").is_not_null()
                    & (pl.col("applications_total").fill_null(0) > 0))
            .then(pl.lit("reported cost per transaction x labour share (A040); activity mix from the model"))
            .when(pl.col("is_capped_by_programme_fte").fill_null(False))
            .then(pl.lit("bottom-up hours capped by programme FTE (A209) x loaded cost"))
            .otherwise(pl.lit("bottom-up hours x loaded cost"))
            .alias("labour_cost_basis"),
        )
        .with_columns(
            pl.when(pl.col("_hours_bottom_up").is_null() | (pl.col("_hours_bottom_up") <= 0))
            .then(pl.lit("no activity with hours: no recorded or modelled volume"))
            .when(pl.col("delivery_hours") <= 0)
            .then(pl.lit("its programmes report zero actual FTE (rbpo.csv), so the ceiling (A209) leaves no "
                         "delivery staff: its staff are counted in another programme"))
            .when(pl.col("labour_cost").is_null())
            .then(pl.lit("no loaded cost per FTE for the fiscal year (A041: no internal-services actuals)"))
            .otherwise(None)
            .alias("labour_cost_null_reason"),
            pl.when((pl.col("country_code") == "UK") & (pl.col("annual_volume").fill_null(0) > 0))
            .then(pl.col("_hours_bottom_up") * pl.col("cost_per_hour") / production.uk_labour_share / pl.col("annual_volume"))
            .otherwise(None)
            .alias("modelled_cost_per_transaction"),
        )
    )


def _score(
    inputs: ScoringInputs,
    params: Parameters,
    progress: Callable[[int, int], None] | None,
    *,
    uncertainty: bool,
    cache: dict[tuple, Any] | None,
    figures_only: bool,
    stack: contextlib.ExitStack,
    store: StepStore | None = None,
) -> ScoringOutputs | tuple[pl.DataFrame, pl.DataFrame]:
    production = production_parameters(inputs.assumptions)
    record = parameters_record(params, inputs.assumptions)
    # each row names its parameter set; the set itself is one row of scoring.dim_parameter_set
    parameter_set = pl.lit(parameter_set_id(record)).alias("parameter_set_id")
    memo = cache if cache is not None else {}

    def memoised(key: tuple, compute: Callable[[], Any]) -> Any:
        if key not in memo:
            memo[key] = compute()
        return memo[key]

    # the service figures read the production parameters and, of the model's, only A214 and A055:
    # an assumption read only by the headline figures (A050, A051, A056, A057, A205, A216) reuses them
    valued_key = ("valued", repr(production), tuple(params.headline_methods), params.method_coverage_threshold)
    if figures_only and valued_key in memo:
        return memo[valued_key], uk_replication(memo[valued_key], params)
    services = memoised(("services",), lambda: inputs.services.sort(SERVICE_KEY))

    # the production model: units, domain work, calibrated hours, ceiling, cost
    modelled, volume_diagnostics = memoised(("volumes",), lambda: model_volumes(services))
    # service_activity_units reads one parameter, the online share of unspecified channels (A206),
    # and only in the split of the unspecified channels: its other rows are computed once
    parts = memoised(("unit_parts",), lambda: unit_parts(services, inputs.type_rules, modelled))
    units = memoised(("units", production.unspecified_online_share), lambda: units_from_parts(parts, production))
    minutes = activity_minutes(inputs.activities, production)
    uk_reported = services.filter(
        (pl.col("country_code") == "UK") & (pl.col("applications_total").fill_null(0) > 0)
        & pl.col("cost_per_transaction_gbp").is_not_null()
    )
    per_transaction = minutes_per_transaction(
        units.join(uk_reported.select(SERVICE_KEY), on=SERVICE_KEY, how="semi"), minutes,
        uk_reported.select(*SERVICE_KEY, pl.col("applications_total").cast(pl.Float64).alias("volume")),
    )
    # The calibration reads the units, not the text matches: fitted here, its leave-one-out fits
    # (which judge it and give the Monte Carlo its calibration spread, never a central figure) run
    # in worker processes while this one makes the text vectors (one core) and the activity values,
    # and are read before the Monte Carlo (issue 18: 7,300 fits at 100x).
    calibrating = stack.enter_context(start_calibration(
        per_transaction,
        uk_reported.select(*SERVICE_KEY, "service_name", "cost_per_transaction_gbp", "cost_round"),
        production,
        leave_one_out=uncertainty,
        background=True,
        fits=store.leave_one_out if store is not None else LeaveOneOut,
    ))
    front_scale, back_scale = calibrating.scales
    # the text match ranks by A211 only; A210 marks which matches are used
    # (the vectors read no parameter: a change of A211 ranks again without vectorising again)
    make_vectors, rank = (store.domain_vectors, store.ranked) if store is not None else (domain_vectors, rank_domain_work)
    vectors = memoised(("domain_vectors",), lambda: make_vectors(services, inputs.dwa_tasks))
    ranked = memoised(("ranked", production.domain_top_k), lambda: rank(vectors, production))
    match_key = ("matches", production.domain_min_score, production.domain_top_k)
    matches = memoised(match_key, lambda: ranked.with_columns(
        (pl.col("match_score") >= production.domain_min_score).alias("is_used")))
    costs = _cost_per_hour(services, production)
    ca_services = services.filter(pl.col("country_code") == "CA").select(SERVICE_KEY)
    decision_activities = inputs.activities.filter(pl.col("is_case_decision"))["activity_id"].to_list()
    dwa_values = memoised(("dwa_values",), lambda: dwa_method_values(inputs.dwa_tasks, inputs.occupation_measures))
    activity_key = [*SERVICE_KEY, "activity_id"]

    # programme_ceiling(hours of the Canadian services, inputs.programme_links, production), with the
    # links as arrays made once (ProgrammeLinks: the same frame)
    links = memoised(("programme_links",), lambda: ProgrammeLinks(inputs.programme_links))

    def ceiling_of(hours: pl.DataFrame) -> pl.DataFrame:
        return links.ceiling(hours.join(ca_services, on=SERVICE_KEY, how="semi"), production)

    def reported_of(hours: pl.DataFrame) -> pl.DataFrame:
        return reported_cost_factor(hours, uk_reported, production)

    if figures_only:
        # the figures read per service sums only. What no parameter of the hours changes (which
        # service activities exist, their units, their headline probabilities) is kept as arrays
        # once, and each scoring sums them with numpy instead of joining and grouping every
        # service activity again (scoring/figure_rows.py; the same figures as the row path below)
        # (service_activity_rows in its two parts: the units' layout, A206; the headlines, the
        # matches and the headline methods; put together for each pair)
        layout = memoised(("unit_layout", production.unspecified_online_share), lambda: unit_layout(services, units))
        heads_key = ("headlines", match_key, tuple(params.headline_methods), params.method_coverage_threshold)
        heads = memoised(heads_key, lambda: headlines(matches, inputs.activity_dwa, dwa_values, params))
        arrays = memoised(("activity_rows", production.unspecified_online_share, heads_key),
                          lambda: assemble_rows(layout, heads))
        base = memoised(("service_base", production.unspecified_online_share),
                        lambda: _service_base(services, modelled, arrays.volume_basis))
        # the services the ceiling and the reported cost apply to, and where each service's headline
        # row is (null: a service without activities), looked up once by their keys (issue 18)
        applies = memoised(("factors", production.unspecified_online_share),
                           lambda: factors(arrays.volume_basis, ca_services, links, uk_reported))
        at = memoised(("headline_at", production.unspecified_online_share),
                      lambda: at_services("_at", services.height, arrays.with_rows, np.arange(len(arrays.with_rows))))
        figures = service_figures(arrays, minutes, (front_scale, back_scale), production, factors=applies,
                                  costs=costs, decision_activities=decision_activities)
        keys = arrays.volume_basis.select(SERVICE_KEY)
        headline = headline_frame(keys, figures.head, figures.routine, None, params, aligned=True)
        if not headline.select(SERVICE_KEY).equals(keys):  # `at` reads its rows in the services' order
            raise ValueError("the headline rows are not in the order of the services with activities")
        frame = _service_frame(base, figures.totals, costs, figures.ceiling_by_service, production, aligned=True)
        valued = service_value(frame, headline, params, at=at)
        memo[valued_key] = valued
        return valued, uk_replication(valued, params)

    hours, ceiling = capped_hours(units, minutes, matches, (front_scale, back_scale), production,
                                  ceiling=ceiling_of, reported=reported_of)

    # the automation model on the activities
    activity_values = service_activity_values(hours, inputs.activity_dwa, matches, dwa_values)
    # each row's headline as the figures path takes it: a standard activity's once per activity, domain
    # work's per service (activity_headline over the activity values gives the same means, summed in
    # another order: 1 ulp apart; issue 18: 2.3 s -> 0.7 s at 100x)
    heads = service_activity_headlines(hours, inputs.activity_dwa, matches, dwa_values, params)
    rows = (
        hours.join(heads, on=activity_key, how="left")
        .join(costs, on=SERVICE_KEY, how="left")
        .with_columns(
            (pl.col("hours") * pl.col("cost_per_hour")).alias("labour_cost"),
            (pl.col("hours") * pl.col("probability")).alias("automatable_hours"),
            (pl.col("hours") * pl.col("routine_share")).alias("routine_hours"),
        )
        .with_columns(
            (pl.col("labour_cost") * pl.col("probability")).alias("value_gross"),
            (pl.col("hours_bottom_up") / pl.col("hours_bottom_up").sum().over(SERVICE_KEY)).alias("share_of_service_hours"),
        )
    )
    weights = rows.with_columns(pl.col("hours_bottom_up").alias("hours"))
    per_method = service_method_probability(weights, activity_values, params).with_columns(parameter_set)
    headline = service_headline(weights, per_method, params)
    totals = service_totals(rows, decision_activities)
    base = _service_base(services, modelled, units.select(*SERVICE_KEY, "volume_basis").unique())
    frame = _service_frame(base, totals, costs, ceiling, production)
    valued = service_value(frame, headline, params)
    explained = explain(weights, inputs.activities.select("activity_id", "activity_name"))
    mc_inputs = [
        weights.select(*activity_key, "hours", "is_front_office"),
        activity_values.join(heads.select(*activity_key, "probability"), on=activity_key, how="left"),
        frame.select(*SERVICE_KEY, "country_code", "labour_cost"),
    ]
    if not uncertainty:  # no service to draw for: the interval columns come back empty, then null
        mc_inputs = [f.clear() for f in mc_inputs]
    _, _, calibration, calibration_diagnostics = calibrating.finish()
    intervals = monte_carlo(
        *mc_inputs,
        minutes, params, production, progress=progress,
        # the standard error of the calibrated level (a common uncertainty), not a service's own
        # misfit, which the calibration table reports and no common draw can represent
        calibration_sd=float(calibration["loo_log_ratio"].drop_nulls().std() or 0.0) / max(calibration.height, 1) ** 0.5,
    )
    summary = valued.select(
        *SUMMARY_SERVICE_COLUMNS,
        "headline_probability", "method_min_probability", "method_max_probability",
        "methods_used", "methods_used_ids", "probability_null_reason", "routine_share",
        "already_digital_share", "value_gross", "value_net", "fte_automatable", "hours_automatable",
        "value_null_reason", "value_net_null_reason",
    ).join(explained, on=SERVICE_KEY, how="left").join(intervals, on=SERVICE_KEY, how="left")
    summary = matrix(summary, params).with_columns(parameter_set).sort(
        ["country_code", "priority_rank", "service_key", "fiscal_year"], nulls_last=True  # no value: unranked, last
    )

    service_activity = (
        rows.join(services.select(*SERVICE_KEY, "country_code"), on=SERVICE_KEY, how="left", suffix="_s")
        .select(
            *SERVICE_KEY, "country_code", "activity_id", "volume_basis", "units", "units_source",
            "minutes_per_unit", "hours_bottom_up", "hours", "share_of_service_hours", "probability", "methods_used_ids",
            "routine_share", "automatable_hours", "labour_cost", "value_gross", "currency", "price_year",
        )
        .with_columns(parameter_set)
        .sort(activity_key)
    )
    reference = inputs.replication_reference.select(
        "figure_id", "reference_value", "reference_data_year", "reference_source"
    )
    replication = (
        uk_replication(summary, params).join(reference, on="figure_id", how="left").with_columns(parameter_set)
    )
    fallback = units.filter(pl.col("units_source").str.contains("fallback")).select(SERVICE_KEY).unique()
    diagnostics = model_diagnostics(
        summary, {**volume_diagnostics, **calibration_diagnostics}, ceiling,
        summary.join(fallback, on=SERVICE_KEY, how="semi"),
    )
    return ScoringOutputs(
        service_activity=service_activity,
        domain_match=matches.join(services.select(*SERVICE_KEY, "country_code", "service_name"), on=SERVICE_KEY, how="left")
        .select(*SERVICE_KEY, "country_code", "service_name", "match_rank", "dwa_id", "dwa_title", "match_score", "is_used"),
        service_automation=per_method,
        summary=summary,
        by_organisation=rollup(summary, ["country_code", "fiscal_year", "organisation_code"]).with_columns(parameter_set),
        by_archetype=rollup(summary, ["country_code", "fiscal_year", "archetype_id"]).with_columns(parameter_set),
        by_country=rollup(summary, ["country_code", "fiscal_year"]).with_columns(parameter_set),
        by_activity=rollup_by_activity(service_activity).with_columns(parameter_set),
        uk_replication=replication,
        calibration=calibration.select(
            *SERVICE_KEY, "service_name", "cost_round", "cost_per_transaction_gbp",
            "front_minutes_per_transaction", "back_minutes_per_transaction", "target_minutes",
            "predicted_cost_per_transaction_gbp", "loo_predicted_cost_per_transaction_gbp", "loo_log_ratio",
        ).with_columns(parameter_set),
        diagnostics=diagnostics.with_columns(parameter_set),
        parameter_sets=pl.DataFrame({"parameters": [record]}).select(parameter_set, "parameters"),
    )


def r_squared_by_group(frame: pl.DataFrame, value: str, group: str) -> float | None:
    """Share of the variance of `value` explained by the means of `group` (one-way ANOVA R^2)."""
    known = frame.filter(pl.col(value).is_not_null())
    if known.height < 2:
        return None
    y = known[value].to_numpy()
    means = known.with_columns(pl.col(value).mean().over(group).alias("_m"))["_m"].to_numpy()
    total = float(((y - y.mean()) ** 2).sum())
    return None if total == 0 else 1.0 - float(((y - means) ** 2).sum()) / total


# Digits to which headline probabilities are told apart in the diagnostics. At 12, two sums of the
# same terms in another order (1e-16 apart) fell on either side of a rounding boundary about once in
# ten thousand values, and the count moved between runs that agree to the last bits (7,442 and
# 7,443 at 10x); at 9 that takes about one in ten million.
DISTINCT_SIGNIFICANT_DIGITS = 9


def model_diagnostics(
    summary: pl.DataFrame, fits: dict[str, float], ceiling: pl.DataFrame, fallback: pl.DataFrame | None = None
) -> pl.DataFrame:
    """One row per diagnostic figure of the model: fits of the calibration and the volume model,
    distinct probabilities, variance explained by the archetype, coverage of value by volume basis."""
    rows: list[tuple[str, str, float | None, str]] = []
    described = {
        "calibration_services": ("UK services with a cost per transaction used in the calibration (A207)", "services"),
        "calibration_front_office_scale": ("Fitted multiplier of front-office minutes (enquiries, intake)", "multiplier"),
        "calibration_back_office_scale": ("Fitted multiplier of back-office minutes", "multiplier"),
        "calibration_loo_median_abs_log_ratio": ("Leave-one-out median |log(predicted / reported cost per transaction)|", "natural log"),
        "calibration_in_sample_median_abs_log_ratio": ("In-sample median |log(predicted / reported)|", "natural log"),
        "calibration_loo_share_within_factor_2": ("Share of calibration services predicted within a factor 2, leave-one-out", "share"),
        "volume_model_services_fitted": ("Services with a reported volume the volume model is fitted on (A208)", "services"),
        "volume_model_oos_median_abs_log_error": ("5-fold out-of-sample median |log(predicted / reported volume)|", "natural log"),
        "volume_model_oos_residual_sd_log": ("5-fold out-of-sample residual standard deviation of log volume", "natural log"),
        "volume_model_in_sample_r_squared": ("In-sample R-squared of log volume", "share"),
    }
    for key, (text, unit) in described.items():
        if key in fits:
            rows.append((key, text, float(fits[key]), unit))
    for country in sorted(summary["country_code"].unique().to_list()):
        s = summary.filter(pl.col("country_code") == country)
        p = s["headline_probability"].drop_nulls()
        for year in sorted(s["fiscal_year"].unique().to_list()):
            rows.append((f"{country.lower()}_service_years_{year}", f"{country}: services listed for fiscal year {year}",
                         float((s["fiscal_year"] == year).sum()), "service-years"))
        rows.append((f"{country.lower()}_distinct_headline_probabilities",
                     f"{country}: distinct headline probabilities ({DISTINCT_SIGNIFICANT_DIGITS} significant digits)",
                     float(p.round_sig_figs(DISTINCT_SIGNIFICANT_DIGITS).n_unique()), "values"))
        rows.append((f"{country.lower()}_archetype_r_squared", f"{country}: share of the headline probability's variance explained by the archetype",
                     r_squared_by_group(s, "headline_probability", "archetype_id"), "share"))
        for quadrant in QUADRANTS:
            rows.append((f"{country.lower()}_services_{quadrant}", f"{country}: services in quadrant {quadrant}",
                         float((s["quadrant"] == quadrant).sum()), "services"))
        for basis in ("reported", "modelled"):
            b = s.filter(pl.col("volume_basis") == basis)
            rows.append((f"{country.lower()}_services_{basis}_volume", f"{country}: services with a {basis} volume", float(b.height), "services"))
            rows.append((f"{country.lower()}_value_coverage_{basis}_volume",
                         f"{country}: share of services with a {basis} volume that get a gross value",
                         float(b["value_gross"].is_not_null().mean()) if b.height else None, "share"))
        if fallback is not None:
            rows.append((f"{country.lower()}_services_on_fallback_process",
                         f"{country}: services with no mapped service type, on the labelled fallback process (record keeping, A201)",
                         float(fallback.filter(pl.col("country_code") == country).height), "services"))
        none = s.filter(pl.col("volume_basis").is_null())
        rows.append((f"{country.lower()}_services_without_activities", f"{country}: services with no activity (no volume at all)", float(none.height), "services"))
        rows.append((f"{country.lower()}_value_gross_total", f"{country}: gross value of all services", float(s["value_gross"].sum() or 0), "money a year"))
    capped = ceiling.filter(pl.col("is_capped_by_programme_fte"))
    rows.append(("ca_services_capped_by_programme_fte", "CA: services whose delivery FTE the programme ceiling reduced (A209)", float(capped.height), "services"))
    return pl.DataFrame(rows, schema=["figure_id", "figure", "value", "unit"], orient="row")


def model_summary(diagnostics: pl.DataFrame) -> str:
    """One line per country for the run summary: distinct probabilities, archetype R-squared,
    quadrants, modelled volumes and fallbacks; then the calibration's out-of-sample fit."""
    d = dict(diagnostics.select("figure_id", "value").iter_rows())

    def n(key: str) -> int:
        return int(d.get(key) or 0)

    lines = []
    for country in ("ca", "uk"):
        if f"{country}_distinct_headline_probabilities" not in d:
            continue
        r2 = d.get(f"{country}_archetype_r_squared")
        lines.append(
            f"{country.upper()}: {n(f'{country}_distinct_headline_probabilities')} distinct probabilities, "
            f"archetype R-squared {r2:.2f}; quadrants automate first/quick win/augment/monitor "
            f"{n(f'{country}_services_automate_first')}/{n(f'{country}_services_quick_win')}/"
            f"{n(f'{country}_services_augment')}/{n(f'{country}_services_monitor')}, "
            f"no value {n(f'{country}_services_no_value')}; {n(f'{country}_services_modelled_volume')} modelled volumes; "
            f"{n(f'{country}_services_on_fallback_process')} on the fallback process"
            if r2 is not None else f"{country.upper()}: no probabilities"
        )
    if "calibration_loo_median_abs_log_ratio" in d:
        lines.append(
            f"unit-cost calibration on {n('calibration_services')} UK services: leave-one-out median "
            f"|log ratio| {d['calibration_loo_median_abs_log_ratio']:.2f}; volume model out-of-sample "
            f"median |log error| {d.get('volume_model_oos_median_abs_log_error', float('nan')):.2f}"
        )
    return "\n".join(lines)


def invariant_failures(outputs: ScoringOutputs, services: int) -> list[str]:
    """Model invariants checked before anything is written; an empty list means all hold."""
    s = outputs.summary
    problems = []
    if s.height != services or s.select(pl.struct(SERVICE_KEY).is_duplicated().any()).item():
        problems.append(f"summary has {s.height} rows for {services} services, or duplicates")
    for column in ("headline_probability", "probability_p05", "probability_p50", "probability_p95", "routine_share"):
        if not s[column].drop_nulls().is_between(0.0, 1.0).all():
            problems.append(f"{column} outside [0, 1]")
    ordered = s.filter(pl.col("probability_p05").is_not_null()).select(
        ((pl.col("probability_p05") <= pl.col("probability_p50") + 1e-12)
         & (pl.col("probability_p50") <= pl.col("probability_p95") + 1e-12)).all()
    ).item()
    if ordered is False:
        problems.append("probability percentiles out of order")
    if not outputs.service_automation["coverage"].is_between(0.0, 1.0).all():
        problems.append("coverage outside [0, 1]")
    no_reason = s.filter(pl.col("value_gross").is_null() & pl.col("value_null_reason").is_null())
    if no_reason.height:
        problems.append(f"{no_reason.height} services have a null value without a reason")
    negative = s.filter((pl.col("labour_cost") < 0) | (pl.col("value_gross") < 0))
    if negative.height:
        problems.append(f"{negative.height} services have a negative labour cost or value")
    hours = outputs.service_activity
    if hours.filter(pl.col("hours") < 0).height or not np.isfinite(hours["hours"].to_numpy()).all():
        problems.append("negative or non-finite hours in fct_service_activity")
    sets = outputs.parameter_sets
    if sets.height == 0 or sets["parameter_set_id"].is_duplicated().any():
        problems.append(f"dim_parameter_set has {sets.height} rows, or duplicate ids")
    for name, frame in outputs.tables().items():
        if "parameter_set_id" not in frame.columns:
            continue
        unknown = frame.filter(~pl.col("parameter_set_id").is_in(sets["parameter_set_id"]))
        if unknown.height:
            problems.append(f"{name}: {unknown.height} rows name a parameter set missing from dim_parameter_set")
    return problems
