"""Workforce transitions (docs/workforce-transitions.md): who in the public services does highly
automatable work, and which occupations could they move to.

- Occupation probability: the mean of the headline methods (A214) that cover at least A055 of the
  occupation (two at least), the occupation-level twin of the service headline.
- FTE by organisation and occupation: a service's FTE (Canada; the UK publishes none) times the
  occupation's share of its labour time (fct_service_occupation), summed over the organisation's
  services; automatable FTE = FTE x probability; highly automatable when probability >= A112.
- Redeployment options: for each highly automatable occupation, the A113 most similar occupations
  (A114: cosine of the centred O*NET Skills and Knowledge importance profiles) whose probability
  is lower and below A112 and whose US employment is projected not to fall (A115).
Pure polars and numpy; no dagster.
"""

from __future__ import annotations

import numpy as np
import polars as pl

from scoring.evidence_parameters import EvidenceParameters
from scoring.parameters import Parameters
from scoring.production import (
    DOMAIN_ACTIVITY,
    SERVICE_KEY,
    activity_occupation_mix,
    domain_occupation_mix,
)

SIMILARITY_MEASURE = "A114"
FTE_ORDER_DIGITS = 12
WORKFORCE_KEYS = ["country_code", "organisation_code", "fiscal_year", "onet_soc_code"]


MIN_OCCUPATION_METHODS = 2


def occupation_probability(occupation_measures: pl.DataFrame, params: Parameters) -> pl.DataFrame:
    """One row per occupation that at least two headline methods cover: the occupation-level twin
    of the service headline, the mean of the probability-scale methods (A214) whose coverage is at
    least A055, with their count, range and ids. One method alone does not make a probability: the
    catch-all "All Other" occupations have only Frey and Osborne's value, often near 0 or 1.

    `occupation_measures`: fct_occupation_automation_measure (onet_soc_code, measure_id,
    value_01, coverage_share)."""
    eligible = occupation_measures.filter(
        pl.col("measure_id").is_in(list(params.headline_methods))
        & pl.col("value_01").is_not_null()
        & (pl.col("coverage_share") >= params.method_coverage_threshold)
    )
    return (
        eligible.group_by("onet_soc_code")
        .agg(
            pl.col("value_01").mean().alias("automation_probability"),
            pl.col("value_01").min().alias("method_min_probability"),
            pl.col("value_01").max().alias("method_max_probability"),
            pl.len().cast(pl.Int64).alias("methods_used"),
            pl.col("measure_id").sort().str.join(",").alias("methods_used_ids"),
        )
        .filter(pl.col("methods_used") >= MIN_OCCUPATION_METHODS)
        .sort("onet_soc_code")
    )


def organisation_occupation_fte(
    services: pl.DataFrame,
    service_occupations: pl.DataFrame,
    probabilities: pl.DataFrame,
    eparams: EvidenceParameters,
) -> pl.DataFrame:
    """One row per country, organisation, fiscal year and occupation: FTE, automatable FTE and
    highly automatable FTE. Only services with an FTE figure count.

    `services`: service_key, fiscal_year, country_code, organisation_code, organisation_name, fte.
    `service_occupations`: service_key, fiscal_year, onet_soc_code, occupation_share
    (scoring.production.service_occupation_mix). The pipeline uses
    organisation_occupation_fte_by_activity, which gives the same rows without the mix; this is
    its reference."""
    staffed = services.filter(pl.col("fte").is_not_null()).select(
        "service_key", "fiscal_year", "country_code", "organisation_code", "organisation_name",
        pl.col("fte").cast(pl.Float64),
    )
    grouped = (
        staffed.join(
            service_occupations.select("service_key", "fiscal_year", "onet_soc_code",
                                       pl.col("occupation_share").cast(pl.Float64)),
            on=["service_key", "fiscal_year"],
            how="inner",
        )
        .group_by(WORKFORCE_KEYS)
        .agg(
            pl.col("organisation_name").first(),
            (pl.col("fte") * pl.col("occupation_share")).sum().alias("fte"),
            pl.col("service_key").n_unique().cast(pl.Int64).alias("services"),
        )
    )
    return _workforce_columns(grouped, probabilities, eparams)


def _workforce_columns(grouped: pl.DataFrame, probabilities: pl.DataFrame, eparams: EvidenceParameters) -> pl.DataFrame:
    """The published columns from the FTE and services of each organisation and occupation."""
    threshold = eparams.workforce_high_automation_threshold
    grouped = grouped.join(probabilities.select("onet_soc_code", "automation_probability"), on="onet_soc_code",
                           how="left")
    high = pl.col("automation_probability") >= threshold
    return (
        grouped.with_columns(
            (pl.col("fte") * pl.col("automation_probability")).alias("automatable_fte"),
            high.fill_null(False).alias("is_highly_automatable"),
        )
        .with_columns(
            pl.when(pl.col("automation_probability").is_null()).then(None)
            .when(pl.col("is_highly_automatable")).then(pl.col("fte"))
            .otherwise(0.0)
            .alias("highly_automatable_fte"),
            pl.when(pl.col("automation_probability").is_null())
            .then(pl.lit("no method covers the occupation above the threshold (A055)"))
            .otherwise(None)
            .alias("probability_null_reason"),
            pl.lit(threshold).alias("high_automation_threshold"),
        )
        .select(
            *WORKFORCE_KEYS, "organisation_name", "services", "fte", "automation_probability",
            "automatable_fte", "is_highly_automatable", "highly_automatable_fte",
            "high_automation_threshold", "probability_null_reason",
        )
        # FTE to 12 significant digits: FTEs equal but for the order of their sums are ordered by
        # occupation code, so that the row order does not hang on the last bit of a float
        .sort([pl.col("country_code"), pl.col("organisation_code"), pl.col("fiscal_year"),
               pl.col("fte").round_sig_figs(FTE_ORDER_DIGITS), pl.col("onet_soc_code")],
              descending=[False, False, False, True, False])
    )


def organisation_occupation_fte_by_activity(
    services: pl.DataFrame,
    activity_rows: pl.DataFrame,
    activity_dwa: pl.DataFrame,
    domain_matches: pl.DataFrame,
    dwa_tasks: pl.DataFrame,
    probabilities: pl.DataFrame,
    eparams: EvidenceParameters,
) -> pl.DataFrame:
    """organisation_occupation_fte from the services' activity hours, without the services x
    occupations mix (32 million rows at 100 times the services): the same rows, FTE to 1e-12.

    A service's FTE goes to its activities in proportion to their hours that reach an occupation,
    w = fte x hours / (the service's hours that reach one); its occupation FTE is the sum over its
    activities of w x the activity's occupation share. The general activities' shares are the same
    for every service, so w is summed per organisation and activity first, then spread over the
    occupations. Domain work has its own shares per service and is spread service by service.
    A service counts for an occupation when one of its activities reaches it: services are
    counted per organisation and set of general activities, then those whose domain work alone
    reaches the occupation are added.

    `activity_rows`: service_key, fiscal_year, activity_id, hours (scoring.fct_service_activity);
    the others as for service_occupation_mix and organisation_occupation_fte."""
    group = ["country_code", "organisation_code", "fiscal_year"]
    staffed = services.filter(pl.col("fte").is_not_null()).select(
        *SERVICE_KEY, "country_code", "organisation_code", "organisation_name", pl.col("fte").cast(pl.Float64),
    )
    activity_mix = activity_occupation_mix(activity_dwa, dwa_tasks).select("activity_id", "onet_soc_code", "_share")
    domain_mix = domain_occupation_mix(domain_matches, dwa_tasks).select(*SERVICE_KEY, "onet_soc_code", "_share")
    rows = (activity_rows.filter(pl.col("hours") > 0).select(*SERVICE_KEY, "activity_id", pl.col("hours").cast(pl.Float64))
            .join(staffed.select(SERVICE_KEY), on=SERVICE_KEY, how="semi"))
    general = rows.filter(pl.col("activity_id") != DOMAIN_ACTIVITY).join(
        activity_mix.select("activity_id").unique(), on="activity_id", how="semi")
    domain = rows.filter(pl.col("activity_id") == DOMAIN_ACTIVITY).join(
        domain_mix.select(SERVICE_KEY).unique(), on=SERVICE_KEY, how="semi")
    weighted = (
        pl.concat([general, domain])
        .join(staffed.select(*SERVICE_KEY, *group[:2], "fte"), on=SERVICE_KEY, how="inner")
        .with_columns((pl.col("fte") * pl.col("hours") / pl.col("hours").sum().over(SERVICE_KEY)).alias("_w"))
    )
    general_fte = (
        weighted.filter(pl.col("activity_id") != DOMAIN_ACTIVITY)
        .group_by([*group, "activity_id"]).agg(pl.col("_w").sum())
        .join(activity_mix, on="activity_id", how="inner")
        .select(*group, "onet_soc_code", (pl.col("_w") * pl.col("_share")).alias("fte"))
    )
    domain_fte = (
        weighted.filter(pl.col("activity_id") == DOMAIN_ACTIVITY)
        .join(domain_mix, on=SERVICE_KEY, how="inner")
        .select(*group, "onet_soc_code", (pl.col("_w") * pl.col("_share")).alias("fte"))
    )
    fte = pl.concat([general_fte, domain_fte]).group_by(WORKFORCE_KEYS).agg(pl.col("fte").sum())

    # each service's set of general activities (a signature), and the occupations each set reaches
    signatures = general.group_by(SERVICE_KEY).agg(pl.col("activity_id").unique().sort().alias("_activities")).with_columns(
        pl.col("_activities").list.join("|").alias("_signature"))
    reached = (
        signatures.unique("_signature").select("_signature", pl.col("_activities").alias("activity_id"))
        .explode("activity_id")
        .join(activity_mix.select("activity_id", "onet_soc_code"), on="activity_id", how="inner")
        .select("_signature", "onet_soc_code").unique()
    )
    counted = staffed.select(*SERVICE_KEY, *group[:2]).join(
        signatures.select(*SERVICE_KEY, "_signature"), on=SERVICE_KEY, how="left")
    by_signature = (
        counted.filter(pl.col("_signature").is_not_null())
        .group_by([*group, "_signature"]).agg(pl.len().cast(pl.Int64).alias("services"))
        .join(reached, on="_signature", how="inner")
        .select(*WORKFORCE_KEYS, "services")
    )
    by_domain_alone = (
        domain.select(SERVICE_KEY).join(domain_mix.select(*SERVICE_KEY, "onet_soc_code"), on=SERVICE_KEY, how="inner")
        .join(counted, on=SERVICE_KEY, how="inner")
        .join(reached, on=["_signature", "onet_soc_code"], how="anti")
        .group_by(WORKFORCE_KEYS).agg(pl.len().cast(pl.Int64).alias("services"))
    )
    counts = pl.concat([by_signature, by_domain_alone]).group_by(WORKFORCE_KEYS).agg(pl.col("services").sum())
    names = staffed.group_by(group).agg(pl.col("organisation_name").first())
    grouped = fte.join(counts, on=WORKFORCE_KEYS, how="left").join(names, on=group, how="left")
    return _workforce_columns(grouped, probabilities, eparams)


def profile_matrix(profiles: pl.DataFrame) -> tuple[list[str], np.ndarray]:
    """Occupations (sorted) and their centred importance profiles, one row each.

    `profiles`: onet_soc_code, element_id (distinct across Skills and Knowledge), data_value
    (importance, scale IM), recommend_suppress. A suppressed or missing rating takes the element's
    mean, i.e. 0 after centring, so it neither adds nor removes similarity."""
    usable = profiles.filter(~pl.col("recommend_suppress").fill_null(False)).select(
        "onet_soc_code", "element_id", pl.col("data_value").cast(pl.Float64)
    )
    wide = usable.pivot(on="element_id", index="onet_soc_code", values="data_value", aggregate_function="mean")
    wide = wide.sort("onet_soc_code")
    codes = wide["onet_soc_code"].to_list()
    elements = sorted(c for c in wide.columns if c != "onet_soc_code")
    matrix = wide.select(elements).to_numpy().astype(float)
    means = np.nanmean(matrix, axis=0)
    centred = np.where(np.isnan(matrix), 0.0, matrix - means)
    return codes, centred


def cosine_similarity(centred: np.ndarray) -> np.ndarray:
    """Cosine similarity of every pair of rows; 0 for a row that is all zeros."""
    norms = np.linalg.norm(centred, axis=1)
    safe = np.where(norms > 0, norms, 1.0)
    unit = centred / safe[:, None]
    return unit @ unit.T


def redeployment_options(
    probabilities: pl.DataFrame,
    profiles: pl.DataFrame,
    projections: pl.DataFrame,
    eparams: EvidenceParameters,
    public_service_fte: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per highly automatable occupation (with a skills profile) and redeployment option,
    rank 1 = most similar; at most A113 options each.

    An option is another occupation with a profile whose probability is lower than the source's
    and below A112, and whose projected US employment change 2024-34 is zero or more (A115).
    `projections`: fct_occupation_projection. `public_service_fte`: onet_soc_code, fte (the
    occupation's FTE across the organisations), shown beside each source occupation."""
    threshold = eparams.workforce_high_automation_threshold
    codes, centred = profile_matrix(profiles)
    similarity = cosine_similarity(centred)
    index = {c: i for i, c in enumerate(codes)}
    info = (
        pl.DataFrame({"onet_soc_code": codes})
        .join(probabilities.select("onet_soc_code", "automation_probability"), on="onet_soc_code", how="left")
        .join(
            projections.select(
                "onet_soc_code", "occupation_title", "job_zone", "is_non_declining",
                "employment_2024_thousands", "employment_change_24to34_percent",
            ),
            on="onet_soc_code",
            how="left",
        )
    )
    rows = {r["onet_soc_code"]: r for r in info.iter_rows(named=True)}
    sources = [c for c in codes if (rows[c]["automation_probability"] or -1.0) >= threshold]
    targets = [
        c for c in codes
        if rows[c]["automation_probability"] is not None
        and rows[c]["automation_probability"] < threshold
        and rows[c]["is_non_declining"] is True
    ]
    out: list[dict[str, object]] = []
    k = int(eparams.redeployment_options)
    for source in sources:
        p_source = rows[source]["automation_probability"]
        eligible = [t for t in targets if t != source and rows[t]["automation_probability"] < p_source]
        ranked = sorted(eligible, key=lambda t: (-similarity[index[source], index[t]], t))[:k]
        for rank, target in enumerate(ranked, start=1):
            out.append({
                "source_onet_soc_code": source,
                "source_title": rows[source]["occupation_title"],
                "source_probability": p_source,
                "source_job_zone": rows[source]["job_zone"],
                "option_rank": rank,
                "target_onet_soc_code": target,
                "target_title": rows[target]["occupation_title"],
                "similarity": float(similarity[index[source], index[target]]),
                "target_probability": rows[target]["automation_probability"],
                "probability_reduction": p_source - rows[target]["automation_probability"],
                "target_job_zone": rows[target]["job_zone"],
                "target_employment_2024_thousands": rows[target]["employment_2024_thousands"],
                "target_employment_change_24to34_percent": rows[target]["employment_change_24to34_percent"],
            })
    schema = {
        "source_onet_soc_code": pl.String, "source_title": pl.String,
        "source_probability": pl.Float64, "source_job_zone": pl.Int64, "option_rank": pl.Int64,
        "target_onet_soc_code": pl.String, "target_title": pl.String, "similarity": pl.Float64,
        "target_probability": pl.Float64, "probability_reduction": pl.Float64,
        "target_job_zone": pl.Int64, "target_employment_2024_thousands": pl.Float64,
        "target_employment_change_24to34_percent": pl.Float64,
    }
    frame = pl.DataFrame(out, schema=schema, orient="row")
    fte = (
        public_service_fte.group_by("onet_soc_code").agg(pl.col("fte").sum().alias("source_public_service_fte"))
        if public_service_fte is not None
        else pl.DataFrame(schema={"onet_soc_code": pl.String, "source_public_service_fte": pl.Float64})
    )
    return (
        frame.join(fte.rename({"onet_soc_code": "source_onet_soc_code"}), on="source_onet_soc_code", how="left")
        .with_columns(
            pl.lit(threshold).alias("high_automation_threshold"),
            pl.lit("A112,A113,A114,A115").alias("assumption_ids"),
        )
        .select(
            "source_onet_soc_code", "source_title", "source_probability", "source_job_zone",
            "source_public_service_fte", "option_rank", "target_onet_soc_code", "target_title",
            "similarity", "target_probability", "probability_reduction", "target_job_zone",
            "target_employment_2024_thousands", "target_employment_change_24to34_percent",
            "high_automation_threshold", "assumption_ids",
        )
        .sort(["source_onet_soc_code", "option_rank"])
    )


def occupation_outlook(
    probabilities: pl.DataFrame, projections: pl.DataFrame, eparams: EvidenceParameters
) -> pl.DataFrame:
    """One row per O*NET-SOC occupation of fct_occupation_projection: its automation probability,
    whether its time is highly automatable (A112) and its projected US employment, i.e. both
    sides of a transition at a glance."""
    threshold = eparams.workforce_high_automation_threshold
    return (
        projections.select(
            "onet_soc_code", "occupation_title", "job_zone", "nem_code",
            "employment_2024_thousands", "employment_change_24to34_thousands",
            "employment_change_24to34_percent", "is_non_declining", "projection_null_reason",
        )
        .join(probabilities, on="onet_soc_code", how="left")
        .with_columns(
            (pl.col("automation_probability") >= threshold).fill_null(False).alias("is_highly_automatable"),
            pl.lit(threshold).alias("high_automation_threshold"),
            pl.when(pl.col("automation_probability").is_null())
            .then(pl.lit("no method covers the occupation above the threshold (A055)"))
            .otherwise(None)
            .alias("probability_null_reason"),
        )
        .sort("onet_soc_code")
    )


def workforce_problems(
    services: pl.DataFrame, workforce: pl.DataFrame, options: pl.DataFrame
) -> list[str]:
    """FTE conserved per organisation; option rules hold."""
    key = ["country_code", "organisation_code", "fiscal_year"]
    expected = services.filter(pl.col("fte").is_not_null()).group_by(key).agg(pl.col("fte").sum().alias("expected"))
    got = workforce.group_by(key).agg(pl.col("fte").sum().alias("got"))
    joined = expected.join(got, on=key, how="full", coalesce=True).fill_null(0.0)
    off = joined.filter(
        (pl.col("expected") - pl.col("got")).abs() > 1e-6 * pl.col("expected").abs().clip(lower_bound=1.0)
    )
    problems = []
    if off.height:
        problems.append(f"{off.height} organisations whose occupation FTE does not add up to their services' FTE")
    if not options["similarity"].is_between(-1.0 - 1e-9, 1.0 + 1e-9).all():
        problems.append("similarity outside [-1, 1]")
    if options.filter(pl.col("target_probability") >= pl.col("source_probability")).height:
        problems.append("an option is not less automatable than its source")
    return problems
