"""The automation model: probability per activity, service and method, the headline probability,
value, the probability x value matrix and the roll-ups. Pure polars; every function takes and
returns frames, and every parameter comes from `Parameters` (assumption ids in
seeds/assumptions.csv).

A service is produced by activities (scoring/production.py); an activity is performed by the O*NET
tasks of the detailed work activities (DWAs) it maps to (A200). For a method m, a task t has a value
v_m(t) in [0, 1] (its own label for task-level methods, its occupation's value for occupation-level
ones) and a weight w_t within its DWA. Then, for a DWA d and a profile of DWAs with weights u_d
(an activity: equal weights; a service's domain work: its match scores),

    coverage_m(d) = sum_t w_t c_m(t)            value_m(d) = sum_t w_t c_m(t) v_m(t) / coverage_m(d)
    coverage_m(a) = sum_d u_d coverage_m(d)     p_m(a) = sum_d u_d coverage_m(d) value_m(d) / coverage_m(a)

and a service's P_m is the hours-weighted mean of its activities' p_m over the hours the method
covers. The headline of an activity is the mean of the methods on a probability scale (A214) that
cover at least A055 of it; a service's headline is the hours-weighted mean of its activities'.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import polars as pl

from scoring.parameters import Parameters


@dataclass(frozen=True)
class Method:
    method_id: str
    level: str  # "task", "dwa" or "occupation"
    description: str
    task_column: str | None = None  # column of fct_dwa_task for task- and DWA-level methods
    quantity: str = "exposure index"  # what the measure is (docs/production-model.md)


METHODS: tuple[Method, ...] = (
    Method("gpt4_beta", "task", "GPT-4 exposure beta (E1 + 0.5 E2), Eloundou et al. 2024", "gpt4_beta",
           "share of task time a language model can at least halve"),
    Method("human_beta", "task", "Human-rated exposure beta, Eloundou et al. 2024", "human_beta",
           "share of task time a language model can at least halve"),
    Method("gpt4_automation", "task", "GPT-4 automation label T0-T4 as 0-1, Eloundou et al. 2024",
           "gpt4_automation_01", "share of the task a language model with software can do (T/4)"),
    Method("frey_osborne_probability", "occupation", "Probability of computerisation, Frey and Osborne 2017",
           None, "probability"),
    Method("rti_mihaylov_tijdens", "occupation", "Routine task intensity rescaled to [0, 1], Mihaylov and Tijdens 2019"),
    Method("ilo_genai_2025", "occupation", "ILO generative-AI exposure 2025, Gmyrek et al."),
    Method("felten_aioe", "occupation", "AI occupational exposure, normalised, Felten et al."),
    Method("microsoft_ai_applicability", "occupation", "AI applicability score, Tomlinson et al. 2025"),
    Method("nesta_automation_risk", "occupation", "Automation risk, normalised, Nesta Mapping Career Causeways"),
    # measures of the detailed work activity itself, the same for every task that performs it
    Method("nesta_dwa_impact", "dwa", "Impact of the DWA on automation risk, rescaled, Nesta Mapping Career Causeways",
           "nesta_dwa_impact_01"),
    Method("microsoft_iwa_applicability", "dwa",
           "AI applicability of the DWA's intermediate work activity (completion x scope x coverage), Tomlinson et al. 2025",
           "microsoft_iwa_applicability"),
)
SERVICE_KEY = ["service_key", "fiscal_year"]
# Ranks order services by floating-point values rounded to this many significant digits, then by
# key: parallel sums (DuckDB, polars) may differ in the last bit from run to run, and two services
# whose values differ only there would otherwise swap ranks between runs on the same inputs.
RANK_SIGNIFICANT_DIGITS = 12


def rank_value(column: str) -> pl.Expr:
    """`column` rounded for ordering (RANK_SIGNIFICANT_DIGITS), so that last-bit noise cannot
    reorder services; exact ties are then broken by the service key."""
    return pl.col(column).round_sig_figs(RANK_SIGNIFICANT_DIGITS)


def methods_frame(headline_methods: tuple[str, ...] = ()) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "method_id": [m.method_id for m in METHODS],
            "method_level": [m.level for m in METHODS],
            "method_description": [m.description for m in METHODS],
            "quantity_kind": [m.quantity for m in METHODS],
            "enters_headline": [m.method_id in headline_methods for m in METHODS],
        }
    )


ROUTINE = "routine"  # pseudo-method id of the routine share (A215) in the per-DWA values


def dwa_method_values(dwa_tasks: pl.DataFrame, occupation_measures: pl.DataFrame) -> pl.DataFrame:
    """value and coverage of every method (and the routine share, A215) for every DWA: one row per
    DWA and method. `dwa_tasks`: marts.fct_dwa_task. `occupation_measures`:
    marts.fct_occupation_automation_measure (onet_soc_code, measure_id, value_01, coverage_share)."""
    # task- and DWA-level methods read their column of fct_dwa_task (a hand-made frame may lack some)
    labelled = [m for m in METHODS if m.task_column and m.task_column in dwa_tasks.columns]
    tasks = dwa_tasks.select(
        "dwa_id", "task_id", "onet_soc_code", pl.col("task_weight_in_dwa").cast(pl.Float64),
        *[pl.col(m.task_column).cast(pl.Float64) for m in labelled],
        pl.col("is_routine_task").cast(pl.Float64).alias(ROUTINE),
    ).unique(subset=["dwa_id", "task_id", "onet_soc_code"]).sort(["dwa_id", "task_id", "onet_soc_code"])
    long_parts = [
        tasks.select("dwa_id", "task_weight_in_dwa", pl.lit(column_id).alias("method_id"),
                     pl.col(column).alias("value"), pl.col(column).is_not_null().cast(pl.Float64).alias("coverage"))
        for column_id, column in [(m.method_id, m.task_column) for m in labelled] + [(ROUTINE, ROUTINE)]
    ]
    occupation_ids = [m.method_id for m in METHODS if m.level == "occupation"]
    measures = occupation_measures.filter(
        pl.col("measure_id").is_in(occupation_ids) & pl.col("value_01").is_not_null()
    ).select(
        pl.col("onet_soc_code").cast(pl.String), pl.col("measure_id").alias("method_id"),
        pl.col("value_01").cast(pl.Float64).alias("value"),
        (pl.col("coverage_share").cast(pl.Float64).fill_null(1.0) if "coverage_share" in occupation_measures.columns
         else pl.lit(1.0)).clip(0.0, 1.0).alias("coverage"),
    )
    long_parts.append(
        tasks.select("dwa_id", "onet_soc_code", "task_weight_in_dwa")
        .join(measures, on="onet_soc_code", how="inner")
        .select("dwa_id", "task_weight_in_dwa", "method_id", "value", "coverage")
    )
    long = pl.concat(long_parts, how="vertical_relaxed")
    w = pl.col("task_weight_in_dwa") * pl.col("coverage")
    return (
        long.group_by(["dwa_id", "method_id"])
        .agg(w.sum().alias("coverage"), (w * pl.col("value").fill_null(0.0)).sum().alias("_num"))
        .filter(pl.col("coverage") > 0)
        .select("dwa_id", "method_id", (pl.col("_num") / pl.col("coverage")).clip(0.0, 1.0).alias("value"),
                pl.col("coverage").clip(0.0, 1.0))
        .sort(["dwa_id", "method_id"])
    )


def profile_method_values(profiles: pl.DataFrame, dwa_values: pl.DataFrame, keys: list[str]) -> pl.DataFrame:
    """p_m and coverage_m of a weighted set of DWAs: one row per profile key and method.
    `profiles`: keys, dwa_id, weight (any scale; normalised per profile)."""
    weighted = profiles.with_columns(
        (pl.col("weight") / pl.col("weight").sum().over(keys)).alias("_u")
    ).join(dwa_values, on="dwa_id", how="inner")
    u = pl.col("_u") * pl.col("coverage")
    return (
        weighted.group_by([*keys, "method_id"])
        .agg(u.sum().alias("coverage"), (u * pl.col("value")).sum().alias("_num"))
        .filter(pl.col("coverage") > 0)
        .select(*keys, "method_id", (pl.col("_num") / pl.col("coverage")).clip(0.0, 1.0).alias("value"),
                pl.col("coverage").clip(0.0, 1.0))
        .sort([*keys, "method_id"])
    )


def activity_headline(values: pl.DataFrame, keys: list[str], params: Parameters) -> pl.DataFrame:
    """Headline probability and routine share of each profile: the mean of the headline methods
    (A214) covering at least A055 of it; the routine share (A215) where labels cover A055."""
    eligible = values.filter(
        pl.col("method_id").is_in(list(params.headline_methods))
        & (pl.col("coverage") >= params.method_coverage_threshold)
    )
    head = eligible.group_by(keys).agg(
        pl.col("value").mean().alias("probability"),
        pl.col("method_id").sort().str.join(",").alias("methods_used_ids"),
    )
    routine = values.filter(
        (pl.col("method_id") == ROUTINE) & (pl.col("coverage") >= params.method_coverage_threshold)
    ).select(*keys, pl.col("value").alias("routine_share"))
    return head.join(routine, on=keys, how="full", coalesce=True).sort(keys)


def _profiles(
    activity_dwa: pl.DataFrame,
    domain_matches: pl.DataFrame,
    dwa_values: pl.DataFrame,
    per_profile: Callable[[pl.DataFrame, list[str]], pl.DataFrame],
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """`per_profile(method values, profile keys)` of each standard activity's profile (its DWAs in
    equal weights, A200: the same in every service; keyed by activity_id) and of each service's
    domain work (its used matches weighted by score, A210; keyed by SERVICE_KEY)."""
    per_activity = per_profile(profile_method_values(
        activity_dwa.select("activity_id", "dwa_id", pl.lit(1.0).alias("weight")), dwa_values, ["activity_id"]
    ), ["activity_id"])
    domain_profiles = domain_matches.filter(pl.col("is_used")).select(
        *SERVICE_KEY, "dwa_id", pl.col("match_score").alias("weight")
    )
    return per_activity, per_profile(profile_method_values(domain_profiles, dwa_values, SERVICE_KEY), SERVICE_KEY)


def activity_and_domain_headlines(
    activity_dwa: pl.DataFrame, domain_matches: pl.DataFrame, dwa_values: pl.DataFrame, params: Parameters
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """activity_headline of each standard activity (one row per activity_id) and of each service's
    domain work (one row per service with used matches): service_activity_headlines' figures before
    they are joined to the service activity rows."""
    return _profiles(activity_dwa, domain_matches, dwa_values, lambda values, keys: activity_headline(values, keys, params))


def _standard_and_domain(
    service_activities: pl.DataFrame,
    activity_dwa: pl.DataFrame,
    domain_matches: pl.DataFrame,
    dwa_values: pl.DataFrame,
    per_profile: Callable[[pl.DataFrame, list[str]], pl.DataFrame],
    carry: Sequence[str] = (),
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The service activity rows of standard activities and of domain_work, each with
    `per_profile(method values, profile keys)` of its profile (_profiles). `carry`: columns of
    `service_activities` kept on their rows."""
    keys = [*SERVICE_KEY, "activity_id"]
    per_activity, per_service = _profiles(activity_dwa, domain_matches, dwa_values, per_profile)
    standard = service_activities.filter(pl.col("activity_id") != "domain_work").select(*keys, *carry).join(
        per_activity, on="activity_id", how="inner"
    )
    domain = per_service.with_columns(pl.lit("domain_work").alias("activity_id")).join(
        service_activities.filter(pl.col("activity_id") == "domain_work").select(*keys, *carry), on=keys, how="inner")
    return standard, domain


def service_activity_values(
    service_activities: pl.DataFrame,
    activity_dwa: pl.DataFrame,
    domain_matches: pl.DataFrame,
    dwa_values: pl.DataFrame,
) -> pl.DataFrame:
    """p_m and coverage_m for every service activity row: standard activities take their DWAs in
    equal weights (A200); a service's domain_work takes its used matches weighted by score (A210).
    One row per service, activity and method, in that order.

    The order is that of sorting the rows by service, activity and method, reached without sorting
    their strings: the service activities (a million at 100x) are sorted and numbered, the methods
    numbered in their sorted order, and the rows (thirteen million) sorted by one integer made of
    the two (issue 18: 6.2 s -> 1.8 s at 100x; a sort by the four text columns took 5.2 s)."""
    keys = [*SERVICE_KEY, "activity_id"]
    methods = pl.Enum(sorted(dwa_values["method_id"].unique().drop_nulls().to_list()))

    def numbered(values: pl.DataFrame, _keys: list[str]) -> pl.DataFrame:
        return values.with_columns(pl.col("method_id").cast(methods).to_physical().cast(pl.UInt64).alias("_method"))

    standard, domain = _standard_and_domain(
        service_activities.select(keys).sort(keys).with_row_index("_row"), activity_dwa, domain_matches,
        dwa_values, numbered, carry=["_row"],
    )
    columns = [*keys, "method_id", "value", "coverage"]
    order = pl.col("_row").cast(pl.UInt64) * max(len(methods.categories), 1) + pl.col("_method")
    rows = pl.concat([part.select(*columns, order.alias("_order")) for part in (standard, domain)])
    return rows.sort("_order").drop("_order")


def service_activity_headlines(
    service_activities: pl.DataFrame,
    activity_dwa: pl.DataFrame,
    domain_matches: pl.DataFrame,
    dwa_values: pl.DataFrame,
    params: Parameters,
) -> pl.DataFrame:
    """activity_headline(service_activity_values(...), service activity keys, params) without the
    method values of every service activity (ten rows each, gigabytes at 100x the services): a
    standard activity's headline is computed once per activity and joined to the services that
    perform it; only domain_work's is computed per service."""
    standard, domain = _standard_and_domain(
        service_activities, activity_dwa, domain_matches, dwa_values,
        lambda values, keys: activity_headline(values, keys, params),
    )
    keys = [*SERVICE_KEY, "activity_id"]
    columns = [*keys, "probability", "methods_used_ids", "routine_share"]
    return pl.concat([standard.select(columns), domain.select(columns)]).sort(keys)


def service_method_probability(
    hours: pl.DataFrame, activity_values: pl.DataFrame, params: Parameters, *, joined: bool = False
) -> pl.DataFrame:
    """P_m and coverage_m per service: the hours-weighted mean over the service's activities, over the
    hours the method covers; one row per service and method (methods that reach none of its
    activities get coverage 0 and a null probability), with the method's percentile among the
    services of its country.

    The sums are numpy bincounts over the method values' rows, each row finding its hours through
    its service activity (the rows come in runs of one service activity, a million runs against
    thirteen million rows at 100x: issue 18, 5.5 s -> 2.3 s). `joined=True` joins every row to the
    hours and groups them in polars instead (the path this replaced, the tests' reference: the same
    sums added in another order, equal to the last bits)."""
    if joined:
        return _method_percentiles(_method_sums_joined(hours, activity_values, params))
    activity_key = [*SERVICE_KEY, "activity_id"]
    services = hours.select(*SERVICE_KEY, "country_code").unique().sort(SERVICE_KEY)
    methods = methods_frame(params.headline_methods).sort("method_id")
    n, m = services.height, methods.height
    located = hours.select(*activity_key, pl.col("hours").cast(pl.Float64).fill_null(0.0)).join(
        services.select(SERVICE_KEY).with_row_index("_s"), on=SERVICE_KEY, how="left", maintain_order="left")
    if services.height != services.select(SERVICE_KEY).n_unique():
        raise ValueError("service method probability: a service with more than one country_code")
    if located.select(activity_key).is_duplicated().any():
        raise ValueError("service method probability: a service activity with more than one row of hours")
    service_of = located["_s"].cast(pl.Int64).to_numpy()
    hours_of = located["hours"].to_numpy()
    # each run of the method values' rows with one service activity is looked up among the hours once
    runs = activity_values.select(*activity_key, pl.struct(activity_key).rle_id().alias("_r"))
    firsts = runs.filter(pl.col("_r").is_first_distinct()).join(
        located.select(activity_key).with_row_index("_h"), on=activity_key, how="left", maintain_order="left")
    row = firsts["_h"].cast(pl.Int64).fill_null(-1).to_numpy()[runs["_r"].cast(pl.Int64).to_numpy()]
    # the method ids as their positions in the grid (a lookup of their few distinct strings), -1 outside it
    distinct = activity_values["method_id"].unique().drop_nulls().sort().to_list()
    position = {method: i for i, method in enumerate(methods["method_id"].to_list())}
    lookup = np.array([position.get(c, -1) for c in distinct] + [-1], dtype=np.int64)  # null: the last
    code = lookup[activity_values["method_id"].cast(pl.Enum(distinct)).to_physical().cast(pl.Int64)
                  .fill_null(len(distinct)).to_numpy()]
    keep = (row >= 0) & (code >= 0)  # the inner join with the hours; methods outside the grid
    row = row[keep]
    # a null coverage or value adds nothing, as a null is left out of a polars sum
    weight = hours_of[row] * activity_values["coverage"].cast(pl.Float64).fill_null(0.0).to_numpy()[keep]
    value = activity_values["value"].cast(pl.Float64).fill_null(0.0).to_numpy()[keep]
    group = service_of[row] * m + code[keep]
    count = np.bincount(group, minlength=n * m)
    sums = services.join(methods, how="cross", maintain_order="left_right").with_columns(
        pl.Series("_covered", np.bincount(group, weights=weight, minlength=n * m)),
        pl.Series("_num", np.bincount(group, weights=weight * value, minlength=n * m)),
        pl.Series("activities_covered", count.astype(np.int64)),
        pl.Series("_total", np.repeat(np.bincount(service_of, weights=hours_of, minlength=n), m)),
        pl.Series("_present", count > 0),
    ).with_columns(pl.when(pl.col("_present")).then(pl.col("_covered")).alias("_covered"))
    return _method_percentiles(sums)


def _method_sums_joined(hours: pl.DataFrame, activity_values: pl.DataFrame, params: Parameters) -> pl.DataFrame:
    """The grid of services and methods with the sums of service_method_probability (_covered,
    _num, activities_covered, _total; null where a method reaches none of the service's
    activities), by joining every method value to its hours."""
    # the grid in the output's order (services, then methods, sorted), kept through the join below,
    # so that the last sort finds the rows in order (issue 18: 1.1 s -> 0.1 s at 100x)
    grid = hours.select(*SERVICE_KEY, "country_code").unique().sort(SERVICE_KEY).join(
        methods_frame(params.headline_methods).sort("method_id"), how="cross", maintain_order="left_right"
    )
    total = hours.group_by(SERVICE_KEY).agg(pl.col("hours").sum().alias("_total"))
    known = (
        hours.select(*SERVICE_KEY, "activity_id", "hours")
        .join(activity_values, on=[*SERVICE_KEY, "activity_id"], how="inner")
        .group_by([*SERVICE_KEY, "method_id"])
        .agg(
            (pl.col("hours") * pl.col("coverage")).sum().alias("_covered"),
            (pl.col("hours") * pl.col("coverage") * pl.col("value")).sum().alias("_num"),
            pl.len().cast(pl.Int64).alias("activities_covered"),
        )
        .join(total, on=SERVICE_KEY, how="left")
    )
    return grid.join(known, on=[*SERVICE_KEY, "method_id"], how="left", maintain_order="left")


def _method_percentiles(sums: pl.DataFrame) -> pl.DataFrame:
    """service_method_probability's rows from the grid of sums (_method_sums_joined's columns)."""
    out = sums.with_columns(
        pl.when(pl.col("_total") > 0).then(pl.col("_covered") / pl.col("_total")).otherwise(0.0)
        .fill_null(0.0).clip(0.0, 1.0).alias("coverage"),
        pl.col("activities_covered").fill_null(0),
        pl.when(pl.col("_covered") > 0).then((pl.col("_num") / pl.col("_covered")).clip(0.0, 1.0))
        .otherwise(None).alias("probability"),
    )
    return (
        out.with_columns(
            pl.when(pl.col("probability").is_not_null())
            .then(
                (rank_value("probability").rank("average").over(["country_code", "method_id"]) - 0.5)
                / pl.col("probability").count().over(["country_code", "method_id"])
            )
            .otherwise(None)
            .alias("percentile_in_country")
        )
        .select(*SERVICE_KEY, "method_id", "method_level", "method_description", "quantity_kind",
                "enters_headline", "probability", "coverage", "activities_covered", "percentile_in_country")
        .sort([*SERVICE_KEY, "method_id"])
    )


def service_headline(
    hours_valued: pl.DataFrame, service_methods: pl.DataFrame | None, params: Parameters
) -> pl.DataFrame:
    """Headline probability, routine share and their explanation per service, from its activity rows
    (hours, probability, routine_share), with the spread across the headline methods
    (`service_methods`: service_method_probability's rows; None leaves the spread columns null)."""
    rows = hours_valued.filter(pl.col("hours") > 0)
    scored = rows.filter(pl.col("probability").is_not_null())
    head = scored.group_by(SERVICE_KEY).agg(
        ((pl.col("hours") * pl.col("probability")).sum() / pl.col("hours").sum()).alias("headline_probability"),
    )
    routine = rows.filter(pl.col("routine_share").is_not_null()).group_by(SERVICE_KEY).agg(
        ((pl.col("hours") * pl.col("routine_share")).sum() / pl.col("hours").sum()).alias("routine_share")
    )
    return headline_frame(hours_valued.select(SERVICE_KEY).unique(), head, routine, service_methods, params)


def headline_frame(
    services: pl.DataFrame,
    head: pl.DataFrame,
    routine: pl.DataFrame,
    service_methods: pl.DataFrame | None,
    params: Parameters,
    *,
    aligned: bool = False,
) -> pl.DataFrame:
    """service_headline's frame from its parts: `services` (SERVICE_KEY, each once), `head`
    (SERVICE_KEY, headline_probability) and `routine` (SERVICE_KEY, routine_share), null or absent
    where a service has none; `service_methods` as in service_headline.

    `aligned`: `head` and `routine` hold one row per row of `services`, in its order (as the
    sensitivity's array path makes them, scoring.figure_rows.service_figures), and there are no
    per-method rows: their columns are put beside the services instead of joined to them, the same
    frame without three joins on the two-part key (issue 18: 4 s of the 100x sensitivity)."""
    if aligned:
        if service_methods is not None:
            raise ValueError("headline_frame(aligned=True) takes no per-method rows")
        if not head.height == routine.height == services.height:
            raise ValueError(f"headline_frame(aligned=True): {services.height} services but {head.height} "
                             f"headline and {routine.height} routine rows")
        return (
            services.hstack([head.get_column("headline_probability"), routine.get_column("routine_share")])
            .with_columns(
                pl.lit(None, pl.Float64).alias("method_min_probability"),
                pl.lit(None, pl.Float64).alias("method_max_probability"),
                pl.lit(0, pl.Int64).alias("methods_used"),
                pl.lit(None, pl.String).alias("methods_used_ids"),
                pl.when(pl.col("headline_probability").is_null())
                .then(pl.lit("no activity with hours that the headline methods cover above A055"))
                .otherwise(None)
                .alias("probability_null_reason"),
            )
            .sort(SERVICE_KEY)
        )
    if service_methods is None:
        service_methods = pl.DataFrame(schema={
            **{c: services.schema[c] for c in SERVICE_KEY}, "method_id": pl.String, "enters_headline": pl.Boolean,
            "probability": pl.Float64, "coverage": pl.Float64,
        })
    eligible = service_methods.filter(
        pl.col("enters_headline") & pl.col("probability").is_not_null()
        & (pl.col("coverage") >= params.method_coverage_threshold)
    ).group_by(SERVICE_KEY).agg(
        pl.col("probability").min().alias("method_min_probability"),
        pl.col("probability").max().alias("method_max_probability"),
        pl.len().cast(pl.Int64).alias("methods_used"),
        pl.col("method_id").sort().str.join(",").alias("methods_used_ids"),
    )
    return (
        services.join(head, on=SERVICE_KEY, how="left")
        .join(routine, on=SERVICE_KEY, how="left")
        .join(eligible, on=SERVICE_KEY, how="left")
        .with_columns(
            pl.col("methods_used").fill_null(0),
            pl.when(pl.col("headline_probability").is_null())
            .then(pl.lit("no activity with hours that the headline methods cover above A055"))
            .otherwise(None)
            .alias("probability_null_reason"),
        )
        .sort(SERVICE_KEY)
    )


def explain(hours_valued: pl.DataFrame, activity_names: pl.DataFrame) -> pl.DataFrame:
    """Per service, the activity that contributes most to its value (hours x probability) and one
    sentence naming its three largest activities by hours with their probabilities."""
    rows = hours_valued.filter(pl.col("hours") > 0).join(activity_names, on="activity_id", how="left").with_columns(
        (pl.col("hours") / pl.col("hours").sum().over(SERVICE_KEY)).alias("_share"),
        (pl.col("hours") * pl.col("probability").fill_null(0.0)).alias("_contribution"),
    )
    top = rows.sort([*SERVICE_KEY, "_contribution", "activity_id"], descending=[False, False, True, False]).group_by(
        SERVICE_KEY, maintain_order=True
    ).agg(
        pl.col("activity_id").first().alias("top_activity_id"),
        (pl.col("_contribution").first() / pl.col("_contribution").sum()).alias("top_activity_share_of_automatable_hours"),
    )
    phrases = rows.sort([*SERVICE_KEY, "_share", "activity_id"], descending=[False, False, True, False]).with_columns(
        pl.concat_str(
            (pl.col("_share") * 100).round(0).cast(pl.Int64).cast(pl.String), pl.lit("% "),
            pl.col("activity_name").str.to_lowercase(),
            pl.when(pl.col("probability").is_not_null())
            .then(pl.concat_str(pl.lit(" (p "), pl.col("probability").round(2).cast(pl.String), pl.lit(")")))
            .otherwise(pl.lit("")),
        ).alias("_phrase")
    ).group_by(SERVICE_KEY, maintain_order=True).agg(pl.col("_phrase").head(3).str.join(", ").alias("_phrases"))
    return top.join(phrases, on=SERVICE_KEY, how="left").select(
        *SERVICE_KEY, "top_activity_id", "top_activity_share_of_automatable_hours",
        pl.concat_str(pl.lit("hours: "), pl.col("_phrases")).alias("explanation"),
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


def service_value(services: pl.DataFrame, headline: pl.DataFrame, params: Parameters, *,
                  at: pl.Series | None = None) -> pl.DataFrame:
    """Gross and net value of automating each service (currency and price year of its costs).

    gross value = labour cost x P; FTE value = FTE x P; hours = delivery hours x P; net = gross x
    (1 - already digital share) (A058), null where that share is unknown (unknown is not zero: the
    gross value is still published). Nulls carry a reason.

    `at`: for each row of `services`, the index of its row in `headline` (null where it has none),
    known to the caller (the sensitivity's array path): the headline's columns are gathered beside
    the services instead of joined by the two-part key, the same frame (issue 18;
    tests/unit/test_figure_rows.py)."""
    digital = already_digital_share(services)
    if at is None:
        frame = digital.join(headline, on=SERVICE_KEY, how="left")
    else:
        if at.len() != digital.height:
            raise ValueError(f"service_value(at=...): {digital.height} services but {at.len()} positions")
        frame = digital.hstack(headline.drop(SERVICE_KEY).select(pl.all().gather(at)).get_columns())
    p = pl.col("headline_probability")
    not_digital = 1.0 - pl.col("already_digital_share")
    reason = (
        pl.when(p.is_null()).then(pl.col("probability_null_reason"))
        .when(pl.col("labour_cost").is_null()).then(pl.col("labour_cost_null_reason"))
        .otherwise(None)
    )
    return frame.with_columns(
        (pl.col("labour_cost") * p).alias("value_gross"),
        (pl.col("labour_cost") * p * not_digital).alias("value_net"),
        (pl.col("fte") * p).alias("fte_automatable"),
        (pl.col("delivery_hours") * p).alias("hours_automatable"),
        reason.alias("value_null_reason"),
        pl.when(reason.is_not_null()).then(reason)
        .when(pl.col("already_digital_share").is_null())
        .then(pl.when(pl.col("country_code") == "UK")
              .then(pl.lit(NET_UNKNOWN_UK)).otherwise(pl.lit(NET_UNKNOWN_CA)))
        .otherwise(None)
        .alias("value_net_null_reason"),
    )


NET_UNKNOWN_UK = "no digital volume reported (or it exceeds the total), so the share already digital is unknown (A058)"
NET_UNKNOWN_CA = ("none of the application, decision and issuance stages applies, so the share already online "
                  "is unknown (A058)")


NO_VALUE = "no_value"
QUADRANTS = ("automate_first", "quick_win", "augment", "monitor", NO_VALUE)


def matrix(summary: pl.DataFrame, params: Parameters) -> pl.DataFrame:
    """Quadrant and rank per service: high probability if P >= threshold (A050); high value if the
    gross value is in the top quartile (A051) of its country. Rank 1 = first priority: highly
    automatable and high value, then by net value (unknown net values last, by gross value).

    A service without a gross value (no probability, or no labour cost: value_null_reason says
    which) cannot be placed in a quadrant: its quadrant is `no_value` and it has no rank, so that
    the ranks of the others run 1..n per country without gaps."""
    threshold = (
        summary.filter(pl.col("value_gross").is_not_null())
        .group_by("country_code")
        .agg(pl.col("value_gross").quantile(params.value_threshold_quantile, "linear").alias("value_threshold"))
    )
    frame = summary.join(threshold, on="country_code", how="left")
    high_p = pl.col("headline_probability") >= params.probability_threshold
    high_v = pl.col("value_gross") >= pl.col("value_threshold")
    no_value = pl.col("headline_probability").is_null() | pl.col("value_gross").is_null()
    quadrant = (
        pl.when(no_value).then(pl.lit(NO_VALUE))
        .when(high_p & high_v).then(pl.lit("automate_first"))
        .when(high_p).then(pl.lit("quick_win"))
        .when(high_v).then(pl.lit("augment"))
        .otherwise(pl.lit("monitor"))
    )
    order = {q: i for i, q in enumerate(QUADRANTS)}
    frame = frame.with_columns(
        pl.lit(params.probability_threshold, dtype=pl.Float64).alias("probability_threshold"),
        high_p.fill_null(False).alias("is_highly_automatable"),
        high_v.fill_null(False).alias("is_high_value"),
        quadrant.alias("quadrant"),
    ).with_columns(pl.col("quadrant").replace_strict(order, return_dtype=pl.Int64).alias("_q"))
    # Within a quadrant by net value; services whose net value is unknown (A058) follow, by gross
    # value. fiscal_year breaks the last ties (a service listed in two years with the same value),
    # so that the rank does not depend on the order in which the engine returned the rows.
    frame = frame.sort([pl.col("country_code"), pl.col("_q"), rank_value("value_net"), rank_value("value_gross"),
                        pl.col("service_key"), pl.col("fiscal_year")],
                       descending=[False, False, True, True, False, False], nulls_last=True)
    ranked = pl.col("quadrant") != NO_VALUE
    return frame.with_columns(
        pl.when(ranked)
        .then(ranked.cast(pl.Int64).cum_sum().over("country_code"))
        .otherwise(None)
        .cast(pl.Int64)
        .alias("priority_rank")
    ).drop("_q")


def rollup(summary: pl.DataFrame, by: list[str]) -> pl.DataFrame:
    """Sums of value and volume, and the volume-weighted headline probability, per group. The
    groups include the fiscal year, so `services` counts service-years: a service listed in two
    fiscal years counts once in each."""
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


def rollup_by_activity(activity_rows: pl.DataFrame) -> pl.DataFrame:
    """General procedures (the Turing study's conclusion: target procedures, not services): per
    country, fiscal year and activity, the services performing it, units, hours, labour cost, automatable hours,
    gross value and the hours-weighted probability across all services."""
    has_p = pl.col("probability").is_not_null()
    return (
        activity_rows.filter(pl.col("hours") > 0)
        .group_by(["country_code", "fiscal_year", "activity_id"])
        .agg(
            pl.col("service_key").n_unique().cast(pl.Int64).alias("services"),
            pl.col("units").sum().alias("units"),
            pl.col("hours").sum().alias("hours"),
            pl.col("labour_cost").sum().alias("labour_cost"),
            pl.col("automatable_hours").sum().alias("automatable_hours"),
            pl.col("value_gross").sum().alias("value_gross"),
            (pl.when(has_p).then(pl.col("hours") * pl.col("probability")).otherwise(0.0).sum()
             / pl.when(has_p).then(pl.col("hours")).otherwise(0.0).sum()).alias("hours_weighted_probability"),
            (pl.when(pl.col("routine_share").is_not_null()).then(pl.col("hours") * pl.col("routine_share")).otherwise(0.0).sum()
             / pl.when(pl.col("routine_share").is_not_null()).then(pl.col("hours")).otherwise(0.0).sum()).alias("hours_weighted_routine_share"),
            (pl.col("volume_basis") == "modelled").sum().cast(pl.Int64).alias("rows_on_modelled_volume"),
            pl.col("currency").first().alias("currency"),
            pl.col("price_year").first().alias("price_year"),
        )
        .with_columns(
            (pl.col("hours") / pl.col("hours").sum().over("country_code", "fiscal_year")).alias("share_of_country_hours")
        )
        .sort(["country_code", "fiscal_year", "value_gross", "activity_id"], descending=[False, False, True, False],
              nulls_last=True)
    )


def uk_replication(summary: pl.DataFrame, params: Parameters) -> pl.DataFrame:
    """The Turing Institute's arithmetic on the UK Transactions Explorer, like for like, as one row
    per figure with our definition and theirs.

    Services counted are those with a reported annual volume above zero. A complex repetitive
    service decides on a case with an exchange of information: its process includes a case decision
    activity (assessment, grant appraisal, inspection); payments are not decisions. Highly
    automatable: routine share of hours (A215) at least A216."""
    uk = summary.filter(
        (pl.col("country_code") == "UK") & (pl.col("volume_basis") == "reported")
        & (pl.col("annual_volume").fill_null(0) > 0)
    )
    decision = uk.filter(pl.col("involves_case_decision"))
    decision_tx = float(decision["annual_volume"].sum() or 0)

    def share_high(column: str, threshold: float) -> float | None:
        if decision_tx == 0:
            return None
        high = decision.filter(pl.col(column) >= threshold)
        return float(high["annual_volume"].sum() or 0) / decision_tx

    bodies = uk.select(pl.coalesce("delivery_body", "organisation_name")).to_series().n_unique()
    minutes = params.minutes_saved_per_transaction
    rows = [
        ("services", "Services with a reported annual volume above zero", float(uk.height), "services",
         "Transactions Explorer services with a volume in 2012-Q4 (else 2013-Q1) above zero.",
         "Their service list (about 400, 377 listed) from later GOV.UK data; different years and coverage."),
        ("organisations", "Bodies that run those services (agencies, else their department)", float(bodies), "organisations",
         "Distinct delivery bodies (the file's body or agency; the department where none is named).",
         "They count 57 departments; our departments are in the next row."),
        ("departments", "Departments of those services", float(uk["organisation_code"].n_unique()), "departments",
         "Distinct departments named in the file.", "No reference figure (the study counts 57 organisations)."),
        ("transactions", "Annual transactions", float(uk["annual_volume"].sum() or 0), "transactions a year",
         "Sum of the annual volumes.", "About one billion, later data."),
        ("decision_services", "Services whose process includes a decision on a case (complex repetitive)", float(decision.height), "services",
         "Services with an assessment, grant appraisal or inspection activity (seeds/activities.csv is_case_decision); payments and filings are not decisions.",
         "Their 201 services 'involving a decision and an exchange of information', judged service by service."),
        ("decision_transactions", "Transactions of those services", decision_tx, "transactions a year",
         "Sum of those services' volumes.", "About 143 million."),
        ("share_highly_automatable_routine", f"Share of decision transactions in services whose routine share of hours is at least {params.routine_threshold:g}",
         share_high("routine_share", params.routine_threshold), "share",
         "Routine share: hours in tasks GPT-4 rates T3 or T4 (A215), over the service's activities; cut A216.",
         "Their share of transactions whose tasks are highly automatable, from their own task judgements."),
        ("share_highly_automatable_headline", f"Share of decision transactions in services with headline P >= {params.probability_threshold:g}",
         share_high("headline_probability", params.probability_threshold), "share",
         "Headline probability (A214) at or above A050.", "Their single method; shown for comparison."),
        ("person_years_per_minute_saved", f"Person-years saved by saving {minutes:g} minute(s) per decision transaction, at A057 hours",
         decision_tx * minutes / 60.0 / params.hours_per_person_year, "person-years",
         f"{params.hours_per_person_year:g} hours a person-year (UK civil service, A057).",
         "Their figure implies about 1,950 hours a person-year (A205)."),
        ("person_years_per_minute_saved_turing_hours", f"The same at {params.turing_hours_per_person_year:g} hours a person-year",
         decision_tx * minutes / 60.0 / params.turing_hours_per_person_year, "person-years",
         "The hours a person-year the Turing arithmetic implies (A205).", "Their arithmetic, on our transactions."),
    ]
    rounds = uk.group_by("volume_round").len().sort("volume_round")
    year = "2012-13 (Transactions Explorer; " + ", ".join(
        f"{r['len']} services from the {r['volume_round']} round" for r in rounds.iter_rows(named=True)
    ) + ")"
    return pl.DataFrame(
        rows, schema=["figure_id", "figure", "atlas_value", "unit", "atlas_definition", "reference_definition"],
        orient="row",
    ).with_columns(pl.lit(year).alias("atlas_data_year"))
