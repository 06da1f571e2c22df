"""Bottom-up evidence: pilot results combined with the top-down probability (docs/evidence.md).

The top-down headline probability of a service, with its Monte Carlo interval, becomes a Beta
prior by the method of moments; every usable pilot adds pseudo-observations of its measured share
of labour time saved, discounted by its quality (A100-A102), capped (A103) and, for pilots run
elsewhere, by how similar the setting is (A106-A108). A pilot on activities of the production
model informs every service with hours in them, in proportion to those hours (A136); a pilot that
stands for an archetype informs the services of that archetype. The posterior is again a Beta.
Value of information ranks services by what a new pilot (A109 observations) would be worth:
labour cost x the expected fall in the posterior standard deviation. Pure polars (and scipy for
Beta quantiles); no dagster.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl
from scipy.special import betaincinv

from scoring.evidence_parameters import EvidenceParameters
from scoring.model import rank_value

SERVICE_KEY = ["service_key", "fiscal_year"]
# p05 and p95 of a normal distribution are 1.6449 standard deviations either side of the mean.
Z90 = 1.6448536269514722
# Keeps alpha and beta positive when a probability is exactly 0 or 1.
EPSILON = 1e-6
MEASURES = ("labour_time_share_saved", "minutes_saved_per_transaction")

PILOT_SCHEMA = {
    "evidence_id": pl.String,
    "service_key": pl.String,
    "archetype_id": pl.String,
    "activity_ids": pl.String,
    "country_code": pl.String,
    "organisation_code": pl.String,
    "measure": pl.String,
    "measured_value": pl.Float64,
    "baseline_minutes_per_transaction": pl.Float64,
    "sample_size": pl.Int64,
    "quality_rating": pl.String,
    "is_lower_bound": pl.Boolean,
}

# Carried through from marts.fct_pilot_evidence when present, so that every pilot the scoring
# tables use can be traced to its publication.
PUBLICATION_SCHEMA = {
    "sample_unit": pl.String,
    "publication_year": pl.Int64,
    "publisher": pl.String,
    "source": pl.String,
    "source_url": pl.String,
    "design": pl.String,
    "automated_task": pl.String,
    "published_figure": pl.String,
    "published_unit": pl.String,
    "derivation": pl.String,
    "derivation_assumption_ids": pl.String,
}

USED_SCHEMA = {
    **PILOT_SCHEMA,
    **PUBLICATION_SCHEMA,
    "observed_share": pl.Float64,
    "quality_weight": pl.Float64,
    "effective_observations": pl.Float64,
    "is_usable": pl.Boolean,
    "unusable_reason": pl.String,
}

LINK_SCHEMA = {
    "service_key": pl.String,
    "fiscal_year": pl.String,
    "evidence_id": pl.String,
    "link_type": pl.String,
    "similarity_weight": pl.Float64,
    "activity_ids": pl.String,
    "activity_hours_share": pl.Float64,
    "activity_prior_probability": pl.Float64,
    "pilot_observed_share": pl.Float64,
    "observed_share": pl.Float64,
    "effective_observations": pl.Float64,
    "weighted_observations": pl.Float64,
    "assumption_ids": pl.String,
}

# The activity rows evidence_links needs (scoring.fct_service_activity).
ACTIVITY_COLUMNS = ["service_key", "fiscal_year", "activity_id", "share_of_service_hours", "probability"]


def pilot_shares(pilots: pl.DataFrame, params: EvidenceParameters) -> pl.DataFrame:
    """One row per pilot: its result as a share of labour time saved, its quality weight and its
    effective observations (quality weight x sample size, the sample capped at A103), or a reason
    why it cannot be used.

    minutes_saved_per_transaction is turned into a share by dividing by the pilot's baseline
    handling minutes per transaction; a share outside [0, 1] is not usable."""
    frame = pilots.select(
        [pl.col(c).cast(t) if c in pilots.columns else pl.lit(None, t).alias(c)
         for c, t in {**PILOT_SCHEMA, **PUBLICATION_SCHEMA}.items()]
    ).with_columns(
        # "a; b" and "a;b" name the same activities; an empty list is no list
        pl.col("activity_ids").str.replace_all(r"\s*;\s*", ";").str.strip_chars(" ;")
        .replace("", None),
        pl.col("is_lower_bound").fill_null(False),
    )
    weights = params.quality_weights()
    measure = pl.col("measure")
    share = (
        pl.when(measure == "labour_time_share_saved")
        .then(pl.col("measured_value"))
        .when((measure == "minutes_saved_per_transaction") & (pl.col("baseline_minutes_per_transaction") > 0))
        .then(pl.col("measured_value") / pl.col("baseline_minutes_per_transaction"))
        .otherwise(None)
    )
    reason = (
        pl.when(~measure.is_in(MEASURES) | measure.is_null())
        .then(pl.lit("unknown measure (expected labour_time_share_saved or minutes_saved_per_transaction)"))
        .when(pl.col("measured_value").is_null())
        .then(pl.lit("no measured value"))
        .when((measure == "minutes_saved_per_transaction")
              & ~(pl.col("baseline_minutes_per_transaction").fill_null(0.0) > 0))
        .then(pl.lit("minutes saved without a positive baseline_minutes_per_transaction"))
        .when(~pl.col("observed_share").is_between(0.0, 1.0))
        .then(pl.lit("share of labour time saved outside [0, 1]"))
        .when(pl.col("archetype_id").is_null() & pl.col("activity_ids").is_null())
        .then(pl.lit("names no activity and neither a known service nor an archetype"))
        .when(~(pl.col("sample_size").fill_null(0) > 0))
        .then(pl.lit("sample size missing or not positive"))
        .when(~pl.col("quality_rating").is_in(list(weights)) | pl.col("quality_rating").is_null())
        .then(pl.lit("quality rating not high, medium or low"))
        .otherwise(None)
    )
    capped = pl.min_horizontal(
        pl.col("sample_size").cast(pl.Float64), pl.lit(params.max_effective_observations)
    )
    return (
        frame.with_columns(share.alias("observed_share"))
        .with_columns(
            pl.col("quality_rating").replace_strict(weights, default=None, return_dtype=pl.Float64)
            .alias("quality_weight"),
            reason.alias("unusable_reason"),
        )
        .with_columns(
            pl.col("unusable_reason").is_null().alias("is_usable"),
            pl.when(pl.col("unusable_reason").is_null())
            .then(pl.col("quality_weight") * capped)
            .otherwise(None)
            .alias("effective_observations"),
        )
        .select(list(USED_SCHEMA))
        .sort("evidence_id")
    )


def beta_prior(summary: pl.DataFrame, params: EvidenceParameters) -> pl.DataFrame:
    """The top-down Beta prior per service by the method of moments (one row per service).

    mean m = headline probability; sd = (p95 - p05) / (2 x 1.6449), the Monte Carlo 90% interval
    read as a normal one; concentration k = m(1 - m) / sd^2 - 1, kept within [A104, A105] (a zero
    or missing interval gives A105); alpha = m k, beta = (1 - m) k. Services without a headline
    probability get null parameters and the model's reason."""
    m = pl.col("headline_probability").clip(EPSILON, 1.0 - EPSILON)
    sd = (pl.col("probability_p95") - pl.col("probability_p05")) / (2.0 * Z90)
    raw_k = pl.when(sd > 0).then(m * (1.0 - m) / (sd * sd) - 1.0).otherwise(None)
    k = raw_k.fill_null(params.prior_max_concentration).clip(
        params.prior_min_concentration, params.prior_max_concentration
    )
    has_p = pl.col("headline_probability").is_not_null()
    return summary.select(
        *SERVICE_KEY,
        pl.col("headline_probability").alias("prior_mean"),
        pl.when(has_p).then(sd).otherwise(None).alias("prior_interval_sd"),
        pl.when(has_p).then(k).otherwise(None).alias("prior_concentration"),
        pl.when(has_p).then(m * k).otherwise(None).alias("prior_alpha"),
        pl.when(has_p).then((1.0 - m) * k).otherwise(None).alias("prior_beta"),
        pl.when(~has_p).then(pl.col("probability_null_reason")).otherwise(None)
        .alias("prior_null_reason"),
    )


def _link_type(same_organisation_needs_service: bool) -> pl.Expr:
    """own service, same organisation, same country or other country (columns of the joined
    pilot-service frame)."""
    same_country = pl.col("pilot_country_code") == pl.col("country_code")
    same_org = same_country & (pl.col("pilot_organisation_code") == pl.col("organisation_code"))
    if same_organisation_needs_service:
        same_org = same_org & pl.col("pilot_service_key").is_not_null()
    return (
        pl.when(pl.col("pilot_service_key") == pl.col("service_key")).then(pl.lit("own_service"))
        .when(same_org.fill_null(False)).then(pl.lit("same_organisation"))
        .when(same_country.fill_null(False)).then(pl.lit("same_country"))
        .otherwise(pl.lit("other_country"))
    )


def _with_weights(joined: pl.DataFrame, params: EvidenceParameters, rule: str) -> pl.DataFrame:
    """Similarity weight and assumption ids by link type (A106-A108); `rule` names the transfer
    rule's assumption (empty for archetype-level pilots)."""
    weights = {
        "own_service": (1.0, "A100-A103"),
        "same_organisation": (params.weight_same_organisation, "A100-A103,A106"),
        "same_country": (params.weight_same_country, "A100-A103,A107"),
        "other_country": (params.weight_other_country, "A100-A103,A108"),
    }
    return joined.with_columns(
        pl.col("link_type").replace_strict({k: v[0] for k, v in weights.items()}, return_dtype=pl.Float64)
        .alias("similarity_weight"),
        (pl.col("link_type").replace_strict({k: v[1] for k, v in weights.items()}, return_dtype=pl.String)
         + pl.lit(rule)).alias("assumption_ids"),
    )


def evidence_links(
    services: pl.DataFrame,
    used: pl.DataFrame,
    params: EvidenceParameters,
    activities: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """One row per service and usable pilot that informs it: the share of the pilot's effective
    observations that the service receives, and the share of labour time saved they observe.

    Similarity: own service 1; another service of the same organisation A106; same country A107;
    other country, or an archetype-level pilot without a country, A108. An archetype-level pilot
    with a country counts as same country (A107) for that country's services.

    A pilot whose figure is a lower bound (is_lower_bound, A138) informs a service only where it is
    above the top-down probability of the piloted activities (of the service, for an archetype-level
    pilot); elsewhere it makes no link.

    A pilot that names activities (activity_ids) informs every service with hours in them
    (`activities`: scoring.fct_service_activity), whatever its archetype (A136): with h the
    activities' share of the service's hours and p their hours-weighted top-down probability, the
    service observes prior mean + h (y - p) (the pilot's share y in place of the top-down one for
    those hours) with weight similarity x effective observations x h. A pilot that names no
    activity informs the services of its archetype with its own share, h = 1."""
    usable = used.filter(pl.col("is_usable")).select(
        "evidence_id",
        pl.col("service_key").alias("pilot_service_key"),
        "archetype_id",
        "activity_ids",
        pl.col("country_code").alias("pilot_country_code"),
        pl.col("organisation_code").alias("pilot_organisation_code"),
        pl.col("observed_share").alias("pilot_observed_share"),
        "effective_observations",
        "is_lower_bound",
    )
    targets = services.select(
        *SERVICE_KEY, "archetype_id", "country_code", "organisation_code", "headline_probability"
    )
    frames = []
    by_archetype = usable.filter(pl.col("activity_ids").is_null())
    if not by_archetype.is_empty():
        joined = targets.join(by_archetype.drop("activity_ids"), on="archetype_id", how="inner").filter(
            ~pl.col("is_lower_bound") | (pl.col("pilot_observed_share") > pl.col("headline_probability"))
        )
        frames.append(
            _with_weights(joined.with_columns(_link_type(True).alias("link_type")), params, "")
            .with_columns(
                pl.lit(None, pl.String).alias("activity_ids"),
                pl.lit(1.0).alias("activity_hours_share"),
                pl.lit(None, pl.Float64).alias("activity_prior_probability"),
                pl.col("pilot_observed_share").alias("observed_share"),
            )
        )
    by_activity = usable.filter(pl.col("activity_ids").is_not_null())
    if not by_activity.is_empty() and activities is not None and not activities.is_empty():
        named = by_activity.select(
            "evidence_id", pl.col("activity_ids").str.split(";").alias("activity_id")
        ).explode("activity_id")
        hours = (
            activities.select(ACTIVITY_COLUMNS)
            .join(named, on="activity_id", how="inner")
            .group_by(*SERVICE_KEY, "evidence_id")
            .agg(
                pl.col("share_of_service_hours").sum().alias("activity_hours_share"),
                ((pl.col("share_of_service_hours") * pl.col("probability")).sum()
                 / pl.col("share_of_service_hours").filter(pl.col("probability").is_not_null()).sum())
                .alias("activity_prior_probability"),
            )
        )
        joined = (
            targets.join(hours, on=SERVICE_KEY, how="inner")
            .join(by_activity.drop("archetype_id"), on="evidence_id", how="inner")
            .filter(
                (pl.col("activity_hours_share") > 0)
                & pl.col("headline_probability").is_not_null()
                & pl.col("activity_prior_probability").is_finite()
                # a lower bound at or below the top-down probability carries no information (A138)
                & (~pl.col("is_lower_bound")
                   | (pl.col("pilot_observed_share") > pl.col("activity_prior_probability")))
            )
        )
        frames.append(
            _with_weights(joined.with_columns(_link_type(False).alias("link_type")), params, ",A136")
            .with_columns(
                (pl.col("headline_probability") + pl.col("activity_hours_share")
                 * (pl.col("pilot_observed_share") - pl.col("activity_prior_probability")))
                .clip(0.0, 1.0).alias("observed_share"),
            )
        )
    if not frames:
        return pl.DataFrame(schema=LINK_SCHEMA)
    return (
        pl.concat([f.with_columns(
            (pl.col("similarity_weight") * pl.col("effective_observations") * pl.col("activity_hours_share"))
            .alias("weighted_observations")
        ).select(list(LINK_SCHEMA)) for f in frames], how="vertical")
        .cast(LINK_SCHEMA)
        .filter(pl.col("weighted_observations") > 0)
        .sort([*SERVICE_KEY, "evidence_id"])
    )


def beta_quantile(alpha: pl.Series, beta: pl.Series, q: float) -> pl.Series:
    """The q-quantile of Beta(alpha, beta), element-wise; null where alpha or beta is null."""
    # one call of the ufunc on the arrays: element by element the same function, in half the time
    # of one call per service from Python (issue 18); a missing parameter gives null, as before
    missing = (alpha.is_null() | beta.is_null()).to_numpy()
    a = alpha.cast(pl.Float64).fill_null(1.0).to_numpy()  # any value: masked below
    b = beta.cast(pl.Float64).fill_null(1.0).to_numpy()
    values = pl.Series(np.asarray(betaincinv(a, b, q), dtype=np.float64))
    return pl.select(
        pl.when(pl.lit(pl.Series(missing))).then(None).otherwise(pl.lit(values))
    ).to_series().rename("")


def posterior(
    summary: pl.DataFrame, links: pl.DataFrame, params: EvidenceParameters
) -> pl.DataFrame:
    """Prior, evidence and posterior side by side, and the value of information: one row per
    service of `summary`.

    alpha' = alpha + sum(w n y), beta' = beta + sum(w n (1 - y)) over the service's links.
    A new pilot of n_ref = A109 effective observations is expected to cut the posterior variance
    by the factor k' / (k' + n_ref), k' = alpha' + beta' (exact for a binomial pilot), so
    value_of_information = labour_cost x (sd' - sd' sqrt(k' / (k' + n_ref))); ranked within each
    country (currencies differ), 1 = the service a pilot would inform most."""
    prior = beta_prior(summary, params)
    evidence = links.group_by(SERVICE_KEY).agg(
        (pl.col("link_type") == "own_service").sum().cast(pl.Int64).alias("own_pilots"),
        (pl.col("link_type") != "own_service").sum().cast(pl.Int64).alias("borrowed_pilots"),
        pl.col("weighted_observations").sum().alias("evidence_observations"),
        (pl.col("weighted_observations") * pl.col("observed_share")).sum().alias("_successes"),
        pl.col("evidence_id").sort().str.join(",").alias("evidence_ids"),
    )
    frame = (
        summary.select(
            *SERVICE_KEY, "country_code", "organisation_code", "service_name", "archetype_id",
            "labour_cost", "currency", "price_year", "quadrant", "priority_rank",
        )
        .join(prior, on=SERVICE_KEY, how="left")
        .join(evidence, on=SERVICE_KEY, how="left")
        .with_columns(
            pl.col("own_pilots").fill_null(0),
            pl.col("borrowed_pilots").fill_null(0),
            pl.col("evidence_observations").fill_null(0.0),
            pl.col("_successes").fill_null(0.0),
        )
        .with_columns(
            pl.when(pl.col("evidence_observations") > 0)
            .then(pl.col("_successes") / pl.col("evidence_observations"))
            .otherwise(None)
            .alias("evidence_mean_share"),
            (pl.col("prior_alpha") + pl.col("_successes")).alias("posterior_alpha"),
            (pl.col("prior_beta") + pl.col("evidence_observations") - pl.col("_successes"))
            .alias("posterior_beta"),
        )
        .drop("_successes")
    )
    a, b = pl.col("posterior_alpha"), pl.col("posterior_beta")
    k = a + b
    frame = frame.with_columns(
        (a / k).alias("posterior_mean"),
        (a * b / (k * k * (k + 1.0))).sqrt().alias("posterior_sd"),
        (pl.col("prior_alpha") * pl.col("prior_beta")
         / ((pl.col("prior_alpha") + pl.col("prior_beta")).pow(2)
            * (pl.col("prior_alpha") + pl.col("prior_beta") + 1.0))).sqrt().alias("prior_sd"),
    )
    frame = frame.with_columns(
        beta_quantile(frame["prior_alpha"], frame["prior_beta"], 0.05).alias("prior_p05"),
        beta_quantile(frame["prior_alpha"], frame["prior_beta"], 0.95).alias("prior_p95"),
        beta_quantile(frame["posterior_alpha"], frame["posterior_beta"], 0.05).alias("posterior_p05"),
        beta_quantile(frame["posterior_alpha"], frame["posterior_beta"], 0.95).alias("posterior_p95"),
    )
    n_ref = params.voi_reference_observations
    sd_after = pl.col("posterior_sd") * (k / (k + n_ref)).sqrt()
    frame = frame.with_columns(
        # a difference of two probabilities: rounded to 1e-12 (absolute), so that a service no pilot
        # moves shifts by exactly 0 (not -0.0), not by the -1e-16 of the alpha-beta round trip
        pl.when((pl.col("posterior_mean") - pl.col("prior_mean")).round(12) == 0).then(0.0)
        .otherwise((pl.col("posterior_mean") - pl.col("prior_mean")).round(12)).alias("posterior_shift"),
        pl.lit(params.shift_report_threshold).alias("shift_report_threshold"),
        sd_after.alias("expected_sd_after_reference_pilot"),
        (pl.col("labour_cost") * pl.col("posterior_sd")).alias("value_uncertainty"),
        (pl.col("labour_cost") * (pl.col("posterior_sd") - sd_after)).alias("value_of_information"),
        pl.lit(n_ref).alias("voi_reference_observations"),
    ).with_columns(
        (pl.col("posterior_shift").abs() > pl.col("shift_report_threshold")).fill_null(False)
        .alias("is_shift_reported"),
        pl.when(pl.col("prior_mean").is_null()).then(pl.col("prior_null_reason"))
        .when(pl.col("labour_cost").is_null()).then(pl.lit("labour cost unknown (fct_service_cost)"))
        .otherwise(None)
        .alias("voi_null_reason"),
    )
    ranked = (
        frame.filter(pl.col("value_of_information").is_not_null())
        .sort([pl.col("country_code"), rank_value("value_of_information"),
               pl.col("service_key"), pl.col("fiscal_year")],
              descending=[False, True, False, False])
        .with_columns(pl.int_range(1, pl.len() + 1).over("country_code").cast(pl.Int64).alias("voi_rank"))
        .select(*SERVICE_KEY, "voi_rank")
    )
    return (
        frame.join(ranked, on=SERVICE_KEY, how="left")
        .select(
            *SERVICE_KEY, "country_code", "organisation_code", "service_name", "archetype_id",
            "quadrant", "priority_rank",
            "prior_mean", "prior_sd", "prior_p05", "prior_p95", "prior_alpha", "prior_beta",
            "prior_concentration", "prior_interval_sd",
            "own_pilots", "borrowed_pilots", "evidence_observations", "evidence_mean_share",
            "evidence_ids",
            "posterior_alpha", "posterior_beta", "posterior_mean", "posterior_sd",
            "posterior_p05", "posterior_p95", "posterior_shift", "shift_report_threshold",
            "is_shift_reported",
            "labour_cost", "currency", "price_year", "value_uncertainty",
            "expected_sd_after_reference_pilot", "voi_reference_observations",
            "value_of_information", "voi_rank", "voi_null_reason", "prior_null_reason",
        )
        .sort(["country_code", "voi_rank", "service_key", "fiscal_year"], nulls_last=True)
    )


def evidence_summary(
    used: pl.DataFrame, links: pl.DataFrame, result: pl.DataFrame, params: EvidenceParameters
) -> str:
    """One line for the run summary: pilots used, links made, and how many services' posteriors
    moved from the top-down probability by more than A137 (absolute), each way."""
    shift = result["posterior_shift"].fill_null(0.0)
    limit = params.shift_report_threshold
    linked = links.select(pl.struct(SERVICE_KEY).n_unique()).item() if links.height else 0
    return (
        f"{int(used['is_usable'].sum())} of {used.height} pilots used, {links.height} links to "
        f"{linked} services, {int((shift.abs() > limit).sum())} posteriors moved by more than "
        f"{limit:g} ({int((shift > limit).sum())} up, {int((shift < -limit).sum())} down)"
    )


def evidence_invariant_failures(result: pl.DataFrame, services: int) -> list[str]:
    """Checks before anything is written; an empty list means all hold."""
    problems = []
    if result.height != services or result.select(pl.struct(SERVICE_KEY).is_duplicated().any()).item():
        problems.append(f"posterior has {result.height} rows for {services} services, or duplicates")
    for column in ("prior_mean", "posterior_mean", "posterior_p05", "posterior_p95"):
        if not result[column].drop_nulls().is_between(0.0, 1.0).all():
            problems.append(f"{column} outside [0, 1]")
    ordered = result.filter(pl.col("posterior_p05").is_not_null()).select(
        ((pl.col("posterior_p05") <= pl.col("posterior_mean") + 1e-9)
         & (pl.col("posterior_mean") <= pl.col("posterior_p95") + 1e-9)).all()
    ).item()
    if ordered is False:
        problems.append("posterior percentiles do not bracket the posterior mean")
    # Evidence can move the mean towards 0.5 and so widen the sd, but never lowers the concentration.
    lost = result.filter(
        pl.col("posterior_alpha") + pl.col("posterior_beta")
        < pl.col("prior_alpha") + pl.col("prior_beta") - 1e-9
    )
    if lost.height:
        problems.append(f"{lost.height} services have a posterior less concentrated than their prior")
    if not math.isfinite(float(result["posterior_alpha"].drop_nulls().sum() or 0.0)):
        problems.append("non-finite posterior parameters")
    return problems
