"""The automation model: probability per service and method, the headline probability, value,
the probability x value matrix and the roll-ups. Pure polars; every function takes and returns
frames, and every parameter comes from `Parameters` (assumption ids in seeds/assumptions.csv).

A service's production process is its archetype's occupation mix (fct_service_occupation).
For a method m, an occupation o has a value v_m(o) in [0, 1] and a coverage c_m(o): the share of
its task weight that the method labels (task-level methods), or the share of its crosswalk
weight that carries a value (occupation-level methods; 1 when the measure is native to O*NET-SOC). Then, with occupation shares s_o,

    coverage_m = sum_o s_o c_m(o)
    P_m        = sum_o s_o c_m(o) v_m(o) / coverage_m

so that P_m is the labour-weighted mean over the part of the service the method knows, and
coverage_m says how large that part is: a method that knows half the tasks does not pass for one
that knows all. For task-level methods this is the sum over the service's tasks of
task_weight_in_service x task value, renormalised over the labelled tasks.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from scoring.parameters import Parameters


@dataclass(frozen=True)
class Method:
    method_id: str
    level: str  # "task" or "occupation"
    description: str
    task_column: str | None = None  # column of fct_service_task for task-level methods


METHODS: tuple[Method, ...] = (
    Method("gpt4_beta", "task", "GPT-4 exposure beta (E1 + 0.5 E2), Eloundou et al. 2023", "gpt4_beta"),
    Method("human_beta", "task", "Human-rated exposure beta, Eloundou et al. 2023", "human_beta"),
    Method("gpt4_automation", "task", "GPT-4 automation label T0-T4 as 0-1, Eloundou et al. 2023", "gpt4_automation_01"),
    Method("frey_osborne_probability", "occupation", "Probability of computerisation, Frey and Osborne 2017"),
    Method("rti_mihaylov_tijdens", "occupation", "Routine task intensity rescaled to [0, 1], Mihaylov and Tijdens 2019"),
    Method("ilo_genai_2025", "occupation", "ILO generative-AI exposure 2025, Gmyrek et al."),
    Method("felten_aioe", "occupation", "AI occupational exposure, normalised, Felten et al."),
    Method("microsoft_ai_applicability", "occupation", "AI applicability score, Tomlinson et al. 2025"),
    Method("nesta_automation_risk", "occupation", "Automation risk, normalised, Nesta Mapping Career Causeways"),
)
ROUTINE_METHOD = "rti_mihaylov_tijdens"
SERVICE_KEY = ["service_key", "fiscal_year"]
# Ranks order services by floating-point values rounded to this many significant digits, then by
# key: parallel sums (DuckDB, polars) may differ in the last bit from run to run, and two services
# whose values differ only there would otherwise swap ranks between runs on the same inputs.
RANK_SIGNIFICANT_DIGITS = 12


def rank_value(column: str) -> pl.Expr:
    """`column` rounded for ordering (RANK_SIGNIFICANT_DIGITS), so that last-bit noise cannot
    reorder services; exact ties are then broken by the service key."""
    return pl.col(column).round_sig_figs(RANK_SIGNIFICANT_DIGITS)


def methods_frame() -> pl.DataFrame:
    return pl.DataFrame(
        {
            "method_id": [m.method_id for m in METHODS],
            "method_level": [m.level for m in METHODS],
            "method_description": [m.description for m in METHODS],
        }
    )


def occupation_method_values(
    occupation_tasks: pl.DataFrame, occupation_measures: pl.DataFrame
) -> pl.DataFrame:
    """v_m(o) and c_m(o) for every occupation and method: one row per occupation and method.

    `occupation_tasks`: rows of fct_service_task (onet_soc_code, task_id, task_weight_in_occupation
    and the task value columns; repeated rows of an occupation and task count once), e.g. as
    scoring.io.read_occupation_tasks reads them. `occupation_measures`: fct_occupation_automation_measure (onet_soc_code,
    measure_id, value_01).
    """
    tasks = occupation_tasks.select(
        "onet_soc_code", "task_id", "task_weight_in_occupation",
        *[m.task_column for m in METHODS if m.task_column],
    ).unique(subset=["onet_soc_code", "task_id"]).with_columns(
        pl.col("onet_soc_code").cast(pl.String),
        pl.col("task_weight_in_occupation").cast(pl.Float64),
        *[pl.col(m.task_column).cast(pl.Float64) for m in METHODS if m.task_column],
    )
    parts = []
    for method in METHODS:
        if method.level != "task":
            continue
        value = pl.col(method.task_column)
        weight = pl.col("task_weight_in_occupation")
        parts.append(
            tasks.group_by("onet_soc_code").agg(
                (weight * value.is_not_null().cast(pl.Float64)).sum().alias("coverage"),
                (weight * value.fill_null(0.0)).sum().alias("_weighted"),
            ).select(
                "onet_soc_code",
                pl.lit(method.method_id).alias("method_id"),
                pl.when(pl.col("coverage") > 0)
                .then(pl.col("_weighted") / pl.col("coverage"))
                .otherwise(None)
                .alias("value"),
                pl.col("coverage").clip(0.0, 1.0),
            )
        )
    occupation_ids = [m.method_id for m in METHODS if m.level == "occupation"]
    parts.append(
        occupation_measures.filter(
            pl.col("measure_id").is_in(occupation_ids) & pl.col("value_01").is_not_null()
        ).select(
            pl.col("onet_soc_code").cast(pl.String),
            pl.col("measure_id").cast(pl.String).alias("method_id"),
            pl.col("value_01").cast(pl.Float64).alias("value"),
            # the share of the occupation's crosswalk weight that had a value (1 when direct)
            (
                pl.col("coverage_share").cast(pl.Float64).fill_null(1.0)
                if "coverage_share" in occupation_measures.columns
                else pl.lit(1.0)
            ).clip(0.0, 1.0).alias("coverage"),
        )
    )
    return pl.concat(parts).filter(pl.col("coverage") > 0)


def service_method_probability(
    service_occupations: pl.DataFrame, occupation_values: pl.DataFrame
) -> pl.DataFrame:
    """P_m and coverage_m: one row per service and method (methods that reach no occupation of
    the service get coverage 0 and a null probability)."""
    grid = service_occupations.select(*SERVICE_KEY).unique().join(methods_frame(), how="cross")
    known = (
        service_occupations.join(occupation_values, on="onet_soc_code", how="inner")
        .group_by([*SERVICE_KEY, "method_id"])
        .agg(
            (pl.col("occupation_share") * pl.col("coverage")).sum().alias("coverage"),
            (pl.col("occupation_share") * pl.col("coverage") * pl.col("value")).sum().alias("_num"),
            pl.len().cast(pl.Int64).alias("occupations_covered"),
        )
    )
    return (
        grid.join(known, on=[*SERVICE_KEY, "method_id"], how="left")
        .with_columns(
            pl.col("coverage").fill_null(0.0).clip(0.0, 1.0),
            pl.col("occupations_covered").fill_null(0),
            pl.when(pl.col("coverage") > 0)
            .then((pl.col("_num") / pl.col("coverage")).clip(0.0, 1.0))
            .otherwise(None)
            .alias("probability"),
        )
        .drop("_num")
        .sort([*SERVICE_KEY, "method_id"])
    )


def headline_probability(service_methods: pl.DataFrame, params: Parameters) -> pl.DataFrame:
    """Headline probability per service: the median of the methods whose coverage is at least
    `method_coverage_threshold` (A055), with the spread across them (min, max) and their count.
    A service no method covers enough keeps its row with a null and a reason."""
    eligible = service_methods.filter(
        pl.col("probability").is_not_null()
        & (pl.col("coverage") >= params.method_coverage_threshold)
    )
    summary = eligible.group_by(SERVICE_KEY).agg(
        pl.col("probability").median().alias("headline_probability"),
        pl.col("probability").min().alias("method_min_probability"),
        pl.col("probability").max().alias("method_max_probability"),
        pl.len().cast(pl.Int64).alias("methods_used"),
        pl.col("method_id").sort().str.join(",").alias("methods_used_ids"),
    )
    services = service_methods.select(*SERVICE_KEY).unique()
    return (
        services.join(summary, on=SERVICE_KEY, how="left")
        .with_columns(
            pl.col("methods_used").fill_null(0),
            pl.when(pl.col("headline_probability").is_null())
            .then(pl.lit("no method covers the service's labour time above the threshold (A055)"))
            .otherwise(None)
            .alias("probability_null_reason"),
        )
        .sort(SERVICE_KEY)
    )


def already_digital_share(services: pl.DataFrame) -> pl.DataFrame:
    """The share of a service's work already digital or automated (A058), in [0, 1].

    UK: the digital share of transactions. Canada: the share of the application, decision and
    issuance stages that are online (stages that do not apply are left out), with the decision
    stage counted as automated where an automated decision system is in use."""
    stages = ["is_online_application", "is_online_decision", "is_online_issuance"]
    decision = (
        pl.when(pl.col("is_automated_decision_system").fill_null(False))
        .then(pl.lit(True))
        .otherwise(pl.col("is_online_decision"))
    )
    exprs = [pl.col("is_online_application"), decision, pl.col("is_online_issuance")]
    applicable = pl.sum_horizontal([e.is_not_null().cast(pl.Int64) for e in exprs])
    online = pl.sum_horizontal([e.fill_null(False).cast(pl.Int64) for e in exprs])
    ca_share = pl.when(applicable > 0).then(online / applicable).otherwise(None)
    return services.with_columns(
        pl.when(pl.col("country_code") == "UK")
        .then(pl.col("digital_share"))
        .otherwise(ca_share)
        .alias("already_digital_share")
    ).drop([c for c in stages if c not in services.columns], strict=False)


def service_value(services: pl.DataFrame, headline: pl.DataFrame, params: Parameters) -> pl.DataFrame:
    """Gross and net value of automating each service (currency and price year of its costs).

    gross value = labour cost x P; FTE value = FTE x P; hours = FTE x hours per person-year x P
    (A057); net = gross x (1 - already digital share) (A058). Nulls carry a reason."""
    frame = already_digital_share(services).join(headline, on=SERVICE_KEY, how="left")
    p = pl.col("headline_probability")
    not_digital = 1.0 - pl.col("already_digital_share").fill_null(0.0)
    reason = (
        pl.when(p.is_null()).then(pl.col("probability_null_reason"))
        .when(pl.col("labour_cost").is_null()).then(pl.col("labour_cost_null_reason"))
        .otherwise(None)
    )
    return frame.with_columns(
        (pl.col("labour_cost") * p).alias("value_gross"),
        (pl.col("labour_cost") * p * not_digital).alias("value_net"),
        (pl.col("fte") * p).alias("fte_automatable"),
        (pl.col("fte") * params.hours_per_person_year * p).alias("hours_automatable"),
        reason.alias("value_null_reason"),
    )


def matrix(summary: pl.DataFrame, params: Parameters) -> pl.DataFrame:
    """Quadrant and rank per service: high probability if P >= threshold (A050); high value if the
    gross value is in the top quartile (A051) of its country. Rank 1 = first priority: highly
    automatable and high value, then by net value."""
    threshold = (
        summary.filter(pl.col("value_gross").is_not_null())
        .group_by("country_code")
        .agg(pl.col("value_gross").quantile(params.value_threshold_quantile, "linear").alias("value_threshold"))
    )
    frame = summary.join(threshold, on="country_code", how="left")
    high_p = pl.col("headline_probability") >= params.probability_threshold
    high_v = pl.col("value_gross") >= pl.col("value_threshold")
    quadrant = (
        pl.when(pl.col("headline_probability").is_null() | pl.col("value_gross").is_null())
        .then(pl.lit("unscored"))
        .when(high_p & high_v).then(pl.lit("automate_first"))
        .when(high_p).then(pl.lit("quick_win"))
        .when(high_v).then(pl.lit("augment"))
        .otherwise(pl.lit("monitor"))
    )
    order = {"automate_first": 0, "quick_win": 1, "augment": 2, "monitor": 3, "unscored": 4}
    frame = frame.with_columns(
        high_p.fill_null(False).alias("is_highly_automatable"),
        high_v.fill_null(False).alias("is_high_value"),
        quadrant.alias("quadrant"),
    ).with_columns(pl.col("quadrant").replace_strict(order, return_dtype=pl.Int64).alias("_q"))
    # fiscal_year breaks the last ties (a service listed in two years with the same value), so
    # that the rank does not depend on the order in which the engine returned the rows.
    frame = frame.sort([pl.col("country_code"), pl.col("_q"), rank_value("value_net"),
                        pl.col("service_key"), pl.col("fiscal_year")],
                       descending=[False, False, True, False, False], nulls_last=True)
    return frame.with_columns(
        pl.int_range(1, pl.len() + 1).over("country_code").cast(pl.Int64).alias("priority_rank")
    ).drop("_q")


def rollup(summary: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Sums of value and volume, and the volume-weighted headline probability, per group."""
    weighted = pl.col("annual_volume").cast(pl.Float64) * pl.col("headline_probability")
    has_both = pl.col("annual_volume").is_not_null() & pl.col("headline_probability").is_not_null()
    return (
        summary.group_by(by)
        .agg(
            pl.len().cast(pl.Int64).alias("services"),
            pl.col("annual_volume").sum().cast(pl.Int64).alias("annual_volume"),
            pl.col("value_gross").sum().alias("value_gross"),
            pl.col("value_net").sum().alias("value_net"),
            pl.col("fte_automatable").sum().alias("fte_automatable"),
            (pl.when(has_both).then(weighted).otherwise(0.0).sum()
             / pl.when(has_both).then(pl.col("annual_volume")).otherwise(0).sum())
            .alias("volume_weighted_probability"),
            pl.col("headline_probability").mean().alias("mean_probability"),
            (pl.col("quadrant") == "automate_first").sum().cast(pl.Int64).alias("services_automate_first"),
            pl.col("currency").first().alias("currency"),
            pl.col("price_year").first().alias("price_year"),
        )
        .sort(by)
    )


def uk_replication(
    summary: pl.DataFrame, service_methods: pl.DataFrame, params: Parameters
) -> pl.DataFrame:
    """The Turing Institute's arithmetic on the UK Transactions Explorer, as one row per figure.

    Services and organisations counted are those with a reported annual volume."""
    uk = summary.filter((pl.col("country_code") == "UK") & pl.col("annual_volume").is_not_null())
    routine = service_methods.filter(pl.col("method_id") == ROUTINE_METHOD).select(
        *SERVICE_KEY, pl.col("probability").alias("routine_probability")
    )
    uk = uk.join(routine, on=SERVICE_KEY, how="left")
    decision = uk.filter(pl.col("involves_case_decision"))
    decision_tx = float(decision["annual_volume"].sum() or 0)

    def share_high(column: str) -> float | None:
        if decision_tx == 0:
            return None
        high = decision.filter(pl.col(column) >= params.probability_threshold)
        return float(high["annual_volume"].sum() or 0) / decision_tx

    person_years = (
        decision_tx * params.minutes_saved_per_transaction / 60.0 / params.hours_per_person_year
    )
    rows = [
        ("services", "Services with a reported annual volume", float(uk.height), "services"),
        ("organisations", "Organisations (departments) running them", float(uk["organisation_code"].n_unique()), "organisations"),
        ("transactions", "Annual transactions", float(uk["annual_volume"].sum() or 0), "transactions a year"),
        ("decision_services", "Services whose archetype decides on a case (complex repetitive)", float(decision.height), "services"),
        ("decision_transactions", "Transactions of those services", decision_tx, "transactions a year"),
        ("share_highly_automatable_routine", f"Share of decision transactions in services with P >= {params.probability_threshold} under routine task intensity", share_high("routine_probability"), "share"),
        ("share_highly_automatable_headline", f"Share of decision transactions in services with headline P >= {params.probability_threshold}", share_high("headline_probability"), "share"),
        ("person_years_per_minute_saved", f"Person-years saved by saving {params.minutes_saved_per_transaction:g} minute(s) per decision transaction", person_years, "person-years"),
    ]
    return pl.DataFrame(
        rows, schema=["figure_id", "figure", "atlas_value", "unit"], orient="row"
    ).with_columns(
        pl.lit("2012-13 (Transactions Explorer, 2012-Q4 round)").alias("atlas_data_year")
    )
