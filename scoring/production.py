"""The production model of a public service: the activities that produce it, their volumes, hours
and labour cost, from what each service publishes about itself. Pure polars and numpy.

A service is decomposed into activities (seeds/activities.csv, A200):
- enquiries and intake come from its channel counts (applications by channel, phone enquiries,
  website visits; UK: digital and assisted transactions), unspecified channels split by A206;
- processing activities come from every native service type it carries (A201), plus an identity
  check where it uses the SIN or a business number and a payment step where it charges a fee;
- its own domain work comes from matching its name and description to O*NET detailed work
  activities by TF-IDF (A210-A212).
Hours = units x staff minutes per unit (A230-A249), calibrated on the UK services that report a
cost per transaction (A207). Canada: programme FTE cap the delivery FTE of their services (A209).
Services with no recorded volume get a modelled one (A208), flagged as such.
"""

from __future__ import annotations

import contextlib
import io
import math
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

SERVICE_KEY = ["service_key", "fiscal_year"]

# Channel count column of fct_service_process_input -> intake activity.
INTAKE_CHANNELS = {
    "applications_online": "intake_online",
    "applications_phone": "intake_phone",
    "applications_in_person": "intake_in_person",
    "applications_mail": "intake_mail",
    "applications_email": "intake_email",
    "applications_fax": "intake_fax",
    "applications_other": "intake_other",
}
ENQUIRY_CHANNELS = {"phone_enquiries": "enquiry_phone", "website_visits": "web_content"}
FRONT_OFFICE_STAGES = ("enquiry", "intake")
DOMAIN_ACTIVITY = "domain_work"
IDENTITY_ACTIVITY = "identity_eligibility_check"
PAYMENT_ACTIVITY = "payment_processing"
FALLBACK_ACTIVITY = "record_update"


@dataclass(frozen=True)
class ProductionParameters:
    """The production model's assumptions (seeds/assumptions.csv, A200-A249)."""

    unit_minutes: dict[str, tuple[float, float, float]]  # activity -> (value, low, high), A230-A249
    uk_pay_gbp: float = 23900.0  # A202
    uk_oncost_factor: float = 1.3  # A203
    uk_oncost_low: float = 1.2
    uk_oncost_high: float = 1.4
    uk_hours_per_fte: float = 1650.0  # A057
    uk_labour_share: float = 0.7  # A040
    ca_hours_per_fte: float = 1755.0  # A204
    ca_hours_per_fte_low: float = 1650.0
    ca_hours_per_fte_high: float = 1860.0
    unspecified_online_share: float = 0.5  # A206
    domain_min_score: float = 0.2  # A210
    domain_top_k: int = 3  # A211
    domain_share: float = 0.5  # A212
    domain_share_low: float = 0.25
    domain_share_high: float = 0.75

    @property
    def uk_cost_per_hour(self) -> float:
        """Loaded GBP an hour of UK staff time (A202 x A203 / A057)."""
        return self.uk_pay_gbp * self.uk_oncost_factor / self.uk_hours_per_fte


# Register parameters production_parameters reads as numbers (besides unit_minutes__<activity>).
PRODUCTION_FIELDS = (
    "uk_median_civil_service_pay_gbp", "uk_employer_oncost_factor", "hours_per_person_year",
    "uk_labour_share_of_unit_cost", "ca_hours_per_fte", "ca_unspecified_channel_online_share",
    "domain_match_min_score", "domain_match_top_k", "domain_work_share",
)


def production_parameters(assumptions: pl.DataFrame) -> ProductionParameters:
    """ProductionParameters from the assumptions seed; raises naming any missing row."""
    rows = {r["parameter"]: r for r in assumptions.iter_rows(named=True)}

    def get(parameter: str, column: str = "value") -> float:
        row = rows.get(parameter)
        if row is None or row.get(column) in (None, ""):
            raise ValueError(
                f"assumptions seed lacks {parameter}.{column} (dbt_project/seeds/assumptions.csv)"
            )
        return float(row[column])

    minutes = {
        p.removeprefix("unit_minutes__"): (get(p), get(p, "low"), get(p, "high"))
        for p in rows
        if p.startswith("unit_minutes__")
    }
    if not minutes:
        raise ValueError("assumptions seed has no unit_minutes__<activity> rows (A230-A249)")
    return ProductionParameters(
        unit_minutes=minutes,
        uk_pay_gbp=get("uk_median_civil_service_pay_gbp"),
        uk_oncost_factor=get("uk_employer_oncost_factor"),
        uk_oncost_low=get("uk_employer_oncost_factor", "low"),
        uk_oncost_high=get("uk_employer_oncost_factor", "high"),
        uk_hours_per_fte=get("hours_per_person_year"),
        uk_labour_share=get("uk_labour_share_of_unit_cost"),
        ca_hours_per_fte=get("ca_hours_per_fte"),
        ca_hours_per_fte_low=get("ca_hours_per_fte", "low"),
        ca_hours_per_fte_high=get("ca_hours_per_fte", "high"),
        unspecified_online_share=get("ca_unspecified_channel_online_share"),
        domain_min_score=get("domain_match_min_score"),
        domain_top_k=int(get("domain_match_top_k")),
        domain_share=get("domain_work_share"),
        domain_share_low=get("domain_work_share", "low"),
        domain_share_high=get("domain_work_share", "high"),
    )


# --------------------------------------------------------------------------------------------
# Volumes: reported, or modelled from attributes (A208)
# --------------------------------------------------------------------------------------------


def has_recorded_volume(inputs: pl.DataFrame) -> pl.Expr:
    """A service records a volume when it reports applications, phone enquiries or website visits."""
    del inputs
    return (
        (pl.col("applications_total").fill_null(0) > 0)
        | (pl.col("phone_enquiries").fill_null(0) > 0)
        | (pl.col("website_visits").fill_null(0) > 0)
    )


def _split_codes(column: str) -> pl.Expr:
    return pl.col(column).fill_null("").str.split(",").list.eval(pl.element().str.strip_chars())


def volume_features(services: pl.DataFrame) -> tuple[np.ndarray, list[str]]:
    """Design matrix of the volume model: an intercept and 0/1 indicators of country, each native
    service type, recipient type, target group, online stage, fee and identifier use, plus the log
    of the number of services the organisation lists (a proxy for its size)."""
    frame = services.with_columns(
        _split_codes("native_service_types").alias("_types"),
        _split_codes("client_target_groups").alias("_groups"),
        pl.len().over(["country_code", "organisation_code"]).alias("_org_services"),
    )
    names: list[str] = ["intercept"]
    columns: list[np.ndarray] = [np.ones(frame.height)]

    def add(name: str, values: pl.Series) -> None:
        names.append(name)
        columns.append(values.cast(pl.Float64).fill_null(0.0).to_numpy())

    for country in sorted(frame["country_code"].unique().to_list()):
        if country != "CA":
            add(f"country={country}", frame["country_code"] == country)
    for list_column, prefix in (("_types", "type"), ("_groups", "group")):
        values = sorted({v for vs in frame[list_column].to_list() for v in vs if v})
        for v in values:
            add(f"{prefix}={v}", frame[list_column].list.contains(v))
    for v in sorted(frame["recipient_type"].drop_nulls().unique().to_list()):
        add(f"recipient={v}", frame["recipient_type"] == v)
    for flag in ("is_online_application", "is_online_decision", "is_online_issuance",
                 "has_service_fee", "uses_sin", "uses_business_number"):
        add(f"{flag}=true", frame[flag].fill_null(False))
        add(f"{flag}=unknown", frame[flag].is_null())
    add("log_org_services", frame["_org_services"].cast(pl.Float64).log1p())
    return np.column_stack(columns), names


def _ridge(x: np.ndarray, y: np.ndarray, penalty: float) -> np.ndarray:
    eye = np.eye(x.shape[1])
    eye[0, 0] = 0.0  # the intercept is not shrunk
    return np.linalg.solve(x.T @ x + penalty * eye, x.T @ y)


VOLUME_RIDGE_PENALTY = 1.0
VOLUME_FOLDS = 5
Z90 = 1.6448536269514722


def model_volumes(services: pl.DataFrame) -> tuple[pl.DataFrame, dict[str, float]]:
    """Modelled annual applications for every service (A208): ridge regression of log volume on
    attributes, fitted on the services that report applications. Returns one row per service with
    volume_modelled and its 90% interval, and the fit's diagnostics (5-fold out-of-sample median
    absolute error of log volume, residual sd, services fitted). Folds are assigned by service key
    order, so the result does not depend on row order."""
    frame = services.sort(SERVICE_KEY)
    x, _ = volume_features(frame)
    volume = frame["applications_total"].cast(pl.Float64).to_numpy()
    known = np.isfinite(volume) & (np.nan_to_num(volume) > 0)
    y = np.log(np.where(known, volume, 1.0))
    xk, yk = x[known], y[known]
    diagnostics: dict[str, float] = {"volume_model_services_fitted": float(known.sum())}
    if known.sum() < 2 * VOLUME_FOLDS:
        raise ValueError(f"volume model: only {known.sum()} services report a volume; need {2 * VOLUME_FOLDS}")
    fold = np.arange(known.sum()) % VOLUME_FOLDS
    residuals = np.empty(known.sum())
    for k in range(VOLUME_FOLDS):
        beta = _ridge(xk[fold != k], yk[fold != k], VOLUME_RIDGE_PENALTY)
        residuals[fold == k] = yk[fold == k] - xk[fold == k] @ beta
    sd = float(np.sqrt(np.mean(residuals**2)))
    diagnostics["volume_model_oos_median_abs_log_error"] = float(np.median(np.abs(residuals)))
    diagnostics["volume_model_oos_residual_sd_log"] = sd
    beta = _ridge(xk, yk, VOLUME_RIDGE_PENALTY)
    fitted = x @ beta
    in_sample = yk - xk @ beta
    diagnostics["volume_model_in_sample_r_squared"] = float(1 - in_sample.var() / yk.var())
    out = frame.select(*SERVICE_KEY).with_columns(
        pl.Series("volume_modelled", np.exp(fitted)),
        pl.Series("volume_modelled_low", np.exp(fitted - Z90 * sd)),
        pl.Series("volume_modelled_high", np.exp(fitted + Z90 * sd)),
    )
    return out, diagnostics


# --------------------------------------------------------------------------------------------
# Activities and their units per service
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class UnitParts:
    """service_activity_units' rows before the split of unspecified channels (A206) and before an
    activity fed twice is summed: what no parameter changes, computed once per scoring's inputs.
    `before` and `after` are the rows that come before and after the split's in the sum (the order
    of the parts is kept, so the sums are those of one concatenation); `unspecified` the services
    whose applications have no channel, with `_unspecified` (their count) and `_split` (whether A206
    applies: Canadian online applications; otherwise all of it is mail)."""

    before: pl.DataFrame
    unspecified: pl.DataFrame
    after: pl.DataFrame


def unit_parts(services: pl.DataFrame, type_rules: pl.DataFrame, modelled: pl.DataFrame) -> UnitParts:
    """The parameter-free rows of service_activity_units (see UnitParts). `services`: dim_service
    joined to fct_service_process_input. `type_rules`: seeds.service_type_activity. `modelled`:
    model_volumes' output."""
    base = services.join(modelled, on=SERVICE_KEY, how="left").with_columns(
        has_recorded_volume(services).alias("_recorded")
    ).with_columns(
        pl.when(pl.col("applications_total").fill_null(0) > 0)
        .then(pl.col("applications_total").cast(pl.Float64))
        .when(~pl.col("_recorded"))
        .then(pl.col("volume_modelled"))
        .otherwise(None)
        .alias("_applications"),
        pl.when(pl.col("_recorded")).then(pl.lit("reported")).otherwise(pl.lit("modelled")).alias("volume_basis"),
    )
    before: list[pl.DataFrame] = []
    after: list[pl.DataFrame] = []
    keep = [*SERVICE_KEY, "volume_basis"]

    # intake from the channel counts the publisher reports
    for column, activity in INTAKE_CHANNELS.items():
        before.append(
            base.filter(pl.col(column).fill_null(0) > 0).select(
                *keep, pl.lit(activity).alias("activity_id"),
                pl.col(column).cast(pl.Float64).alias("units"),
                pl.lit(f"reported {column}").alias("units_source"),
            )
        )
    # applications whose channel is not given (Canada: total above the channels, or a modelled
    # volume; UK: transactions not completed digitally): split by A206 in units_from_parts
    source = (
        pl.when(pl.col("volume_basis") == "modelled").then(pl.lit("modelled applications (A208), channel split A206"))
        .when(pl.col("country_code") == "UK").then(pl.lit("transactions not completed digitally, handled as paper (A206)"))
        .otherwise(pl.lit("applications_total above the channels, split A206"))
    )
    unspecified = base.with_columns(
        pl.when(pl.col("volume_basis") == "modelled")
        .then(pl.col("_applications"))
        .otherwise(pl.col("applications_unspecified").cast(pl.Float64))
        .alias("_unspecified"),
    ).filter(pl.col("_unspecified").fill_null(0) > 0).select(
        *keep, "_unspecified",
        ((pl.col("country_code") == "CA") & pl.col("is_online_application").fill_null(False)).alias("_split"),
        source.alias("units_source"),
    )
    for column, activity in ENQUIRY_CHANNELS.items():
        after.append(
            base.filter(pl.col(column).fill_null(0) > 0).select(
                *keep, pl.lit(activity).alias("activity_id"),
                pl.col(column).cast(pl.Float64).alias("units"),
                pl.lit(f"reported {column}").alias("units_source"),
            )
        )

    # processing activities from every native type the service carries (A201)
    typed = base.filter(pl.col("_applications").is_not_null()).with_columns(
        _split_codes("native_service_types").alias("native_service_type")
    ).explode("native_service_type").filter(pl.col("native_service_type") != "")
    rules = type_rules.select(
        "country_code", "native_service_type", "activity_id",
        pl.col("units_per_application").cast(pl.Float64),
    )
    by_type = (
        typed.join(rules, on=["country_code", "native_service_type"], how="inner")
        .group_by([*keep, "activity_id"])
        .agg(
            (pl.col("units_per_application").max() * pl.col("_applications").first()).alias("units"),
            pl.col("native_service_type").sort().unique(maintain_order=True).str.join(",").alias("_types"),
        )
        .select(*keep, "activity_id", "units",
                pl.concat_str(pl.lit("service type "), pl.col("_types"), pl.lit(" x applications (A201)")).alias("units_source"))
    )
    after.append(by_type)
    typed_services = by_type.select(SERVICE_KEY).unique()
    with_apps = base.filter(pl.col("_applications").is_not_null())
    # no mapped type: a labelled fallback of record keeping per application
    after.append(
        with_apps.join(typed_services, on=SERVICE_KEY, how="anti").select(
            *keep, pl.lit(FALLBACK_ACTIVITY).alias("activity_id"), pl.col("_applications").alias("units"),
            pl.lit("no service type mapped: record keeping per application (fallback, A201)").alias("units_source"),
        )
    )
    have = by_type.select(*SERVICE_KEY, "activity_id")
    for flag_expr, activity, why in (
        (pl.col("uses_sin").fill_null(False) | pl.col("uses_business_number").fill_null(False),
         IDENTITY_ACTIVITY, "uses the SIN or a business number: identity check per application (A201)"),
        (pl.col("has_service_fee").fill_null(False), PAYMENT_ACTIVITY,
         "charges a fee: payment per application (A201)"),
    ):
        after.append(with_apps.filter(flag_expr).select(
            *keep, pl.lit(activity).alias("activity_id"), pl.col("_applications").alias("units"),
            pl.lit(why).alias("units_source"),
        ).join(have, on=[*SERVICE_KEY, "activity_id"], how="anti"))
    return UnitParts(
        before=pl.concat(before, how="vertical_relaxed"),
        unspecified=unspecified,
        after=pl.concat(after, how="vertical_relaxed"),
    )


def units_from_parts(parts: UnitParts, params: ProductionParameters, *, group_all: bool = False) -> pl.DataFrame:
    """service_activity_units' rows from its parameter-free parts and the online share of the
    unspecified channels (A206). An activity fed twice (online intake reported and from the split)
    sums its units and joins its sources; only those keys are grouped (of a million rows at 100x
    few or none are fed twice, and grouping all of them took most of the time), the others are
    kept as they are. `group_all=True` groups every row (the path this replaced, the tests' reference)."""
    keep = [*SERVICE_KEY, "volume_basis"]
    share = pl.when(pl.col("_split")).then(pl.lit(params.unspecified_online_share)).otherwise(0.0)
    split = parts.unspecified.with_columns(share.alias("_online_share"))
    rows = pl.concat([
        parts.before,
        split.filter(pl.col("_online_share") > 0).select(
            *keep, pl.lit("intake_online").alias("activity_id"),
            (pl.col("_unspecified") * pl.col("_online_share")).alias("units"), "units_source",
        ),
        split.filter(pl.col("_online_share") < 1).select(
            *keep, pl.lit("intake_mail").alias("activity_id"),
            (pl.col("_unspecified") * (1 - pl.col("_online_share"))).alias("units"), "units_source",
        ),
        parts.after,
    ], how="vertical_relaxed").filter(pl.col("units") > 0)
    key = [*keep, "activity_id"]

    def grouped(frame: pl.DataFrame) -> pl.DataFrame:
        return frame.group_by(key).agg(pl.col("units").sum(), pl.col("units_source").sort().str.join("; "))

    if group_all:
        out = grouped(rows)
    else:
        twice = pl.struct(key).is_duplicated()
        out = pl.concat([rows.filter(~twice), grouped(rows.filter(twice))], how="vertical_relaxed")
    return out.sort([*SERVICE_KEY, "activity_id"])


def service_activity_units(
    services: pl.DataFrame,
    type_rules: pl.DataFrame,
    modelled: pl.DataFrame,
    params: ProductionParameters,
) -> pl.DataFrame:
    """Units of each activity a service performs in a year: one row per service, fiscal year and
    activity, with where the units come from (units_source) and whether the volume behind them is
    reported or modelled (volume_basis).

    `services`: dim_service joined to fct_service_process_input. `type_rules`:
    seeds.service_type_activity. `modelled`: model_volumes' output. The same as
    units_from_parts(unit_parts(...), params), which the scoring memoises apart (A206 reaches only
    the split)."""
    return units_from_parts(unit_parts(services, type_rules, modelled), params)


# --------------------------------------------------------------------------------------------
# Domain work: the service's own text matched to O*NET DWAs (A210-A212)
# --------------------------------------------------------------------------------------------


def dwa_documents(dwa_tasks: pl.DataFrame) -> pl.DataFrame:
    """One text per DWA: its title (three times, so that it weighs more than any one task) and the
    statements of the tasks that perform it."""
    return (
        dwa_tasks.group_by("dwa_id")
        .agg(
            pl.col("dwa_title").first(),
            pl.col("task_statement").drop_nulls().unique().sort().str.join(" ").alias("_tasks"),
        )
        .with_columns(
            pl.concat_str([pl.col("dwa_title")] * 3 + [pl.col("_tasks")], separator=" ").alias("document")
        )
        .select("dwa_id", "dwa_title", "document")
        .sort("dwa_id")
    )


def public_sector_dwas(dwa_tasks: pl.DataFrame) -> pl.DataFrame:
    """The rows of DWAs that public administrations do (A218): those whose occupations, weighted by
    task, have at least the share of their employment in government that all occupations have.
    DWAs none of whose occupations OEWS details are kept (unknown is not evidence against them).
    Without the government columns (a hand-made frame) every DWA is kept."""
    if "occupation_government_share" not in dwa_tasks.columns:
        return dwa_tasks
    known = pl.col("occupation_government_share").is_not_null()
    weight = pl.col("task_weight_in_dwa")
    relevance = dwa_tasks.group_by("dwa_id").agg(
        (pl.when(known).then(weight * pl.col("occupation_government_share")).otherwise(0.0).sum()
         / pl.when(known).then(weight).otherwise(0.0).sum()).alias("_relevance"),
        pl.col("all_occupations_government_share").first().alias("_benchmark"),
    )
    keep = relevance.filter(
        pl.col("_relevance").is_nan() | pl.col("_relevance").is_null() | pl.col("_benchmark").is_null()
        | (pl.col("_relevance") >= pl.col("_benchmark"))
    ).select("dwa_id")
    return dwa_tasks.join(keep, on="dwa_id", how="semi")


# Words every service description uses about itself, which say nothing of its domain work: without
# them "Other service areas" matches "Clean food service areas".
GENERIC_SERVICE_WORDS = frozenset({
    "application", "applications", "apply", "area", "areas", "canada", "canadian", "client", "clients",
    "government", "information", "online", "program", "programme", "programmes", "programs", "provide",
    "provided", "provides", "public", "request", "requests", "service", "services", "support", "uk",
})


# Services x DWAs scores held at once by match_domain_work (64 MB of float64).
MATCH_BLOCK_CELLS = 1 << 23


@dataclass(frozen=True)
class DomainVectors:
    """The services' and the DWAs' TF-IDF vectors (match_domain_work's first half, which reads no
    parameter): `services` holds SERVICE_KEY sorted, row i of `service_matrix` is its row i."""

    services: pl.DataFrame
    documents: pl.DataFrame
    service_matrix: object  # scipy.sparse CSR, rows L2-normalised
    dwa_matrix: object


def count_terms(counter, texts: list[str]):
    """The term counts of `texts` over a fitted scikit-learn CountVectorizer's vocabulary: the matrix
    `counter.transform(texts)` returns, the same to the bit (tests/unit/test_production_model.py),
    for a lower-casing word analyzer with n-grams from 1 and its default preprocessor and tokenizer
    (its token_pattern). Dropping stop words, making the n-grams of the remaining tokens and
    looking them up in the vocabulary run as columns in polars rather than per document in Python
    (issue 18: domain_vectors at 100x, 241,400 texts, 6.4 s -> 4.1 s). ASCII texts are lower-cased and
    tokenised by polars (Rust's regular expressions read an ASCII text as Python's do); any other
    text by the vectorizer's own preprocessor and tokenizer, as scikit-learn does, since the two
    engines' Unicode word characters differ (combining marks, superscript digits)."""
    import scipy.sparse as sp

    low, high = counter.ngram_range
    if (counter.analyzer != "word" or low != 1 or counter.binary or counter.strip_accents is not None
            or not counter.lowercase or counter.preprocessor is not None or counter.tokenizer is not None):
        raise ValueError("count_terms needs a lower-casing word analyzer with n-grams from 1, not binary, "
                         "with the default preprocessor and tokenizer")
    preprocess, tokenize = counter.build_preprocessor(), counter.build_tokenizer()
    text = pl.Series("text", texts, dtype=pl.String)
    ascii_only = text.str.contains(r"^[\x00-\x7F]*$").fill_null(True)
    others = pl.Series([None if plain else tokenize(preprocess(t))
                        for t, plain in zip(texts, ascii_only.to_list(), strict=True)], dtype=pl.List(pl.String))
    words = (
        pl.DataFrame({"text": text, "ascii": ascii_only, "others": others})
        .select(
            pl.int_range(pl.len(), dtype=pl.Int64).alias("doc"),
            pl.when(pl.col("ascii"))
            .then(pl.col("text").str.to_lowercase().str.extract_all(counter.token_pattern))
            .otherwise(pl.col("others")).alias("term"),
        )
        .explode("term")
        .drop_nulls("term")
    )
    stop_words = counter.get_stop_words()
    if stop_words:
        words = words.filter(~pl.col("term").is_in(sorted(stop_words)))
    # an n-gram is n consecutive tokens of one document once its stop words are gone (sklearn's
    # _word_ngrams), joined by a space
    grams = [words]
    for n in range(2, high + 1):
        same_doc = pl.all_horizontal(pl.col("doc").shift(-k) == pl.col("doc") for k in range(1, n))
        grams.append(words.select(
            "doc", pl.concat_str([pl.col("term").shift(-k) for k in range(n)], separator=" ").alias("term"),
            same_doc.alias("_whole"),
        ).filter(pl.col("_whole")).drop("_whole"))
    vocabulary = pl.DataFrame(
        {"term": list(counter.vocabulary_), "index": list(counter.vocabulary_.values())},
        schema={"term": pl.String, "index": pl.Int64},
    )
    counts = (
        pl.concat(grams).join(vocabulary, on="term", how="inner")
        .group_by("doc", "index").len()
        .sort("doc", "index")
    )
    indptr = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum(np.bincount(counts["doc"].to_numpy(), minlength=len(texts)), out=indptr[1:])
    index_type = np.int32 if indptr[-1] <= np.iinfo(np.int32).max else np.int64
    matrix = sp.csr_array(
        (counts["len"].to_numpy().astype(counter.dtype), counts["index"].to_numpy().astype(index_type),
         indptr.astype(index_type)),
        shape=(len(texts), len(counter.vocabulary_)), dtype=counter.dtype,
    )
    matrix.sort_indices()  # sorted already: this marks it so, as scikit-learn's matrix is marked
    return matrix


# The columns domain_vectors reads (scoring.step_store keeps its result under these columns' values).
DOMAIN_SERVICE_COLUMNS = (*SERVICE_KEY, "service_name", "service_description")
DOMAIN_DWA_COLUMNS = ("dwa_id", "dwa_title", "task_statement", "task_weight_in_dwa",
                      "occupation_government_share", "all_occupations_government_share")


def domain_inputs(services: pl.DataFrame, dwa_tasks: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """What domain_vectors reads of its inputs: the services' keys, names and descriptions (sorted by
    key) and the DWA task rows' DOMAIN_DWA_COLUMNS (those present: a hand-made frame may lack the
    government shares), sorted by all of them. Sorted, the vectors do not depend on the order in
    which the warehouse returns the rows (a rebuilt mart may return them in another), to the bit,
    and neither does the step store's digest of these frames."""
    columns = [c for c in DOMAIN_DWA_COLUMNS if c in dwa_tasks.columns]
    return (services.select(DOMAIN_SERVICE_COLUMNS).sort(SERVICE_KEY),
            dwa_tasks.select(columns).sort(columns, nulls_last=True))


def domain_vectors(services: pl.DataFrame, dwa_tasks: pl.DataFrame) -> DomainVectors:
    """TF-IDF vectors of the services' name and description and of the DWAs public administrations do
    (A218) (scikit-learn; English stop words, unigrams and bigrams, sublinear term frequency, fitted
    on the DWA texts; words every service uses of itself, GENERIC_SERVICE_WORDS, left out). The
    DWAs go through scikit-learn's CountVectorizer and TfidfTransformer (what its TfidfVectorizer
    is); the services' counts through count_terms, the same matrix, made faster."""
    from sklearn.feature_extraction.text import (  # 1 s at import
        ENGLISH_STOP_WORDS,
        CountVectorizer,
        TfidfTransformer,
    )

    services, dwa_tasks = domain_inputs(services, dwa_tasks)
    documents = dwa_documents(public_sector_dwas(dwa_tasks))
    stop_words = sorted(ENGLISH_STOP_WORDS | GENERIC_SERVICE_WORDS)
    counter = CountVectorizer(stop_words=stop_words, ngram_range=(1, 2), min_df=1, dtype=np.float64)
    weights = TfidfTransformer(sublinear_tf=True)
    dwa_matrix = weights.fit_transform(counter.fit_transform(documents["document"].to_list()))
    frame = services.select(
        *SERVICE_KEY,
        pl.concat_str(
            [pl.col("service_name").fill_null(""), pl.col("service_description").fill_null("")],
            separator=". ",
        ).alias("_text"),
    ).sort(SERVICE_KEY)
    service_matrix = weights.transform(count_terms(counter, frame["_text"].to_list()), copy=False)
    return DomainVectors(frame.select(SERVICE_KEY), documents, service_matrix, dwa_matrix)


def _distinct_rows(matrix) -> tuple[np.ndarray, np.ndarray]:
    """(first row of each distinct row, for every row the index of its distinct row) of a CSR
    matrix: rows with the same stored indices and values are one row."""
    seen: dict[bytes, int] = {}
    first: list[int] = []
    inverse = np.empty(matrix.shape[0], dtype=np.int64)
    indptr, indices, data = matrix.indptr, matrix.indices, matrix.data
    for row in range(matrix.shape[0]):
        a, b = indptr[row], indptr[row + 1]
        signature = indices[a:b].tobytes() + b"|" + data[a:b].tobytes()
        index = seen.setdefault(signature, len(first))
        if index == len(first):
            first.append(row)
        inverse[row] = index
    return np.asarray(first, dtype=np.int64), inverse


def rank_domain_work(vectors: DomainVectors, params: ProductionParameters) -> pl.DataFrame:
    """Each service's top A211 DWAs by cosine similarity (match_domain_work's second half).

    Services whose vectors are the same (the same words of the DWAs' vocabulary, e.g. one service in
    several fiscal years, or names that differ only in words no DWA uses) are scored once: equal
    vectors give equal scores and the same order, so the result is that of scoring every row."""
    documents, frame = vectors.documents, vectors.services
    k = max(1, min(int(params.domain_top_k), documents.height))
    distinct, inverse = _distinct_rows(vectors.service_matrix)
    matrix = vectors.service_matrix[distinct]
    # a block of services at a time: the dense scores of all services against all DWAs would take
    # gigabytes at 100x the services (issue 18); each row's top k does not depend on the others
    block = max(1, MATCH_BLOCK_CELLS // max(documents.height, 1))
    picked_parts, score_parts = [], []
    for start in range(0, matrix.shape[0], block):
        scores = (matrix[start:start + block] @ vectors.dwa_matrix.T).toarray()  # rows L2-normalised: cosine
        # ties broken by DWA id order (documents are sorted), so the result is deterministic
        order = np.argsort(-scores, axis=1, kind="stable")[:, :k]
        picked_parts.append(order)
        score_parts.append(np.take_along_axis(scores, order, axis=1))
    picked = (np.concatenate(picked_parts) if picked_parts else np.zeros((0, k), dtype=np.int64))[inverse].ravel()
    picked_scores = (np.concatenate(score_parts) if score_parts else np.zeros((0, k)))[inverse].ravel()
    rows_service, rows_rank = np.meshgrid(np.arange(frame.height), np.arange(k), indexing="ij")
    out = pl.DataFrame(
        {
            "service_key": frame["service_key"].gather(rows_service.ravel()),
            "fiscal_year": frame["fiscal_year"].gather(rows_service.ravel()),
            "match_rank": (rows_rank.ravel() + 1).astype(np.int64),
            "dwa_id": documents["dwa_id"].gather(picked),
            "dwa_title": documents["dwa_title"].gather(picked),
            "match_score": picked_scores,
        }
    )
    return out.filter(pl.col("match_score") > 0).with_columns(
        (pl.col("match_score") >= params.domain_min_score).alias("is_used")
    ).sort([*SERVICE_KEY, "match_rank"])


def match_domain_work(
    services: pl.DataFrame, dwa_tasks: pl.DataFrame, params: ProductionParameters
) -> pl.DataFrame:
    """The O*NET DWAs closest to each service's name and description by TF-IDF cosine similarity,
    among the DWAs public administrations do (A218) (domain_vectors). One row per service and
    matched DWA among its top A211, with the score, the rank and whether it is used (score at least
    A210) (rank_domain_work)."""
    return rank_domain_work(domain_vectors(services, dwa_tasks), params)


# --------------------------------------------------------------------------------------------
# Hours, calibration, Canadian FTE ceiling, labour cost
# --------------------------------------------------------------------------------------------


def activity_minutes(activities: pl.DataFrame, params: ProductionParameters) -> pl.DataFrame:
    """Prior staff minutes per unit and range per activity (A230-A249), with its office side."""
    missing = [a for a in activities["activity_id"].to_list()
               if a != DOMAIN_ACTIVITY and a not in params.unit_minutes]
    if missing:
        raise ValueError(f"assumptions seed lacks unit_minutes__<activity> for {missing}")
    return activities.select(
        "activity_id",
        pl.col("stage").is_in(FRONT_OFFICE_STAGES).alias("is_front_office"),
        pl.col("activity_id").replace_strict(
            {a: v[0] for a, v in params.unit_minutes.items()}, default=None, return_dtype=pl.Float64
        ).alias("prior_minutes"),
        pl.col("activity_id").replace_strict(
            {a: v[1] for a, v in params.unit_minutes.items()}, default=None, return_dtype=pl.Float64
        ).alias("minutes_low"),
        pl.col("activity_id").replace_strict(
            {a: v[2] for a, v in params.unit_minutes.items()}, default=None, return_dtype=pl.Float64
        ).alias("minutes_high"),
    )


def minutes_per_transaction(units: pl.DataFrame, minutes: pl.DataFrame, volume: pl.DataFrame) -> pl.DataFrame:
    """Front- and back-office prior minutes per transaction of each service (units x minutes / volume)."""
    return (
        units.join(minutes, on="activity_id", how="inner")
        .group_by(SERVICE_KEY)
        .agg(
            (pl.col("units") * pl.col("prior_minutes")).filter(pl.col("is_front_office")).sum().alias("_front"),
            (pl.col("units") * pl.col("prior_minutes")).filter(~pl.col("is_front_office")).sum().alias("_back"),
        )
        .join(volume, on=SERVICE_KEY, how="inner")
        .select(
            *SERVICE_KEY,
            (pl.col("_front") / pl.col("volume")).alias("front_minutes_per_transaction"),
            (pl.col("_back") / pl.col("volume")).alias("back_minutes_per_transaction"),
        )
    )


SCALE_BOUNDS = (0.1, 10.0)


def fit_scales(front: np.ndarray, back: np.ndarray, target_minutes: np.ndarray) -> tuple[float, float]:
    """Front- and back-office multipliers minimising the squared log ratio of predicted
    (front x a + back x b) to target minutes, each within SCALE_BOUNDS (A207)."""
    from scipy.optimize import least_squares

    def residuals(theta: np.ndarray) -> np.ndarray:
        a, b = np.exp(theta)
        return np.log(front * a + back * b) - np.log(target_minutes)

    lo, hi = np.log(SCALE_BOUNDS[0]), np.log(SCALE_BOUNDS[1])
    fit = least_squares(residuals, x0=np.zeros(2), bounds=([lo, lo], [hi, hi]), method="trf")
    a, b = np.exp(fit.x)
    return float(a), float(b)


def _leave_one_out_part(front: np.ndarray, back: np.ndarray, target: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """The minutes each service in `indices` gets from the scales fitted on every other service."""
    out = np.empty(len(indices))
    everyone = np.arange(len(front))
    for k, i in enumerate(indices):
        mask = everyone != i
        ai, bi = fit_scales(front[mask], back[mask], target[mask])
        out[k] = front[i] * ai + back[i] * bi
    return out


# Calibration services from which the leave-one-out fits are shared with a second process (one
# fit per service over all the others: the work grows with the square of the services, 73 on the
# real data, 7,300 at 100x).
LEAVE_ONE_OUT_PARALLEL_FROM = 1000


class LeaveOneOut:
    """Per calibration service, the minutes per transaction predicted by the scales fitted on every
    other service, computed when made (`result()` returns them) or, from LEAVE_ONE_OUT_PARALLEL_FROM
    services, shared among `processes` (default: the CPUs, at most 2): workers started as
    `python -m scoring.production`, each running the same fit on the same numbers, so the result is
    the same to the bit as in one process. Without `background` this process takes one share of the
    fits before it returns; with it, the workers take them all and this process goes on with other
    work until `result()` (scoring.pipeline starts them before the text vectors, which use one
    core, and collects them before the Monte Carlo). `close()` stops any worker still running."""

    def __init__(self, front: np.ndarray, back: np.ndarray, target: np.ndarray,
                 processes: int | None = None, background: bool = False) -> None:
        n = len(front)
        processes = processes if processes is not None else min(os.cpu_count() or 1, 2)
        self._out = np.empty(n)
        self._workers: list[tuple[np.ndarray, subprocess.Popen]] = []
        if processes < 2 or n < LEAVE_ONE_OUT_PARALLEL_FROM:
            self._out[:] = _leave_one_out_part(front, back, target, np.arange(n))
            return
        parts = [np.arange(start, n, processes) for start in range(processes)]  # interleaved: fits cost alike
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[1]), *filter(None, [os.environ.get("PYTHONPATH")])])}
        try:
            for part in parts if background else parts[1:]:
                worker = subprocess.Popen([sys.executable, "-m", "scoring.production"], stdin=subprocess.PIPE,
                                          stdout=subprocess.PIPE, env=env)
                self._workers.append((part, worker))
            for part, worker in self._workers:
                message = io.BytesIO()
                np.savez(message, front=front, back=back, target=target, indices=part)
                with contextlib.suppress(BrokenPipeError):  # a worker that died early: its exit code says so
                    worker.stdin.write(message.getvalue())  # type: ignore[union-attr]
                    worker.stdin.close()  # type: ignore[union-attr]
            if not background:
                self._out[parts[0]] = _leave_one_out_part(front, back, target, parts[0])
        except BaseException:
            self.close()
            raise

    def result(self) -> np.ndarray:
        try:
            for part, worker in self._workers:
                answer = worker.stdout.read()  # type: ignore[union-attr]
                if worker.wait() != 0:
                    raise RuntimeError(f"calibration: a leave-one-out worker (python -m scoring.production) exited "
                                       f"with {worker.returncode}; its error is above")
                self._out[part] = np.load(io.BytesIO(answer))
            self._workers = []
            return self._out
        finally:
            self.close()

    def close(self) -> None:
        for _part, worker in self._workers:  # none is left running, whatever failed
            if worker.poll() is None:
                worker.kill()
            worker.wait()
            for pipe in (worker.stdin, worker.stdout):
                if pipe is not None:
                    with contextlib.suppress(OSError):
                        pipe.close()
        self._workers = []


def leave_one_out_minutes(
    front: np.ndarray, back: np.ndarray, target: np.ndarray, processes: int | None = None
) -> np.ndarray:
    """LeaveOneOut's minutes, computed now (this process taking its share of the fits)."""
    return LeaveOneOut(front, back, target, processes).result()


class Calibration:
    """The unit-cost calibration (calibrate): `scales` at once; `finish()` the scales, one row per
    calibration service and the diagnostics, once the leave-one-out fits are done (they may run in
    worker processes meanwhile: `background`). A context manager: leaving it stops the workers."""

    def __init__(self, frame: pl.DataFrame, front: np.ndarray, back: np.ndarray, target: np.ndarray,
                 scales: tuple[float, float], params: ProductionParameters, fits: LeaveOneOut | None) -> None:
        self.scales = scales
        self._frame, self._front, self._back, self._target = frame, front, back, target
        self._params, self._fits = params, fits

    def finish(self) -> tuple[float, float, pl.DataFrame, dict[str, float]]:
        a, b = self.scales
        front, back, target = self._front, self._back, self._target
        loo = self._fits.result() if self._fits is not None else np.full(self._frame.height, np.nan)
        per_minute = self._params.uk_cost_per_hour / 60.0
        to_cost = per_minute / self._params.uk_labour_share
        out = self._frame.with_columns(
            pl.Series("predicted_cost_per_transaction_gbp", (front * a + back * b) * to_cost),
            pl.Series("loo_predicted_cost_per_transaction_gbp", loo * to_cost).fill_nan(None),
        ).with_columns(
            (pl.col("loo_predicted_cost_per_transaction_gbp") / pl.col("cost_per_transaction_gbp")).log()
            .alias("loo_log_ratio")
        )
        in_sample = np.abs(np.log((front * a + back * b) / target))
        diagnostics = {
            "calibration_services": float(self._frame.height),
            "calibration_front_office_scale": a,
            "calibration_back_office_scale": b,
            "calibration_in_sample_median_abs_log_ratio": float(np.median(in_sample)),
        }
        if self._fits is not None:
            ratios = np.abs(out["loo_log_ratio"].to_numpy())
            diagnostics["calibration_loo_median_abs_log_ratio"] = float(np.median(ratios))
            diagnostics["calibration_loo_share_within_factor_2"] = float(np.mean(ratios <= math.log(2)))
        return a, b, out, diagnostics

    def close(self) -> None:
        if self._fits is not None:
            self._fits.close()

    def __enter__(self) -> Calibration:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def start_calibration(
    per_transaction: pl.DataFrame,
    reported: pl.DataFrame,
    params: ProductionParameters,
    leave_one_out: bool = True,
    background: bool = False,
    fits: Callable[..., LeaveOneOut] = LeaveOneOut,
) -> Calibration:
    """calibrate's fit now, its leave-one-out fits started (in worker processes, with `background`,
    from LEAVE_ONE_OUT_PARALLEL_FROM services): Calibration.finish() gives calibrate's result.
    `fits(front, back, target, background=...)` makes the leave-one-out fits (anything with
    LeaveOneOut's `result()` and `close()`: scoring.step_store.StepStore.leave_one_out gives the
    minutes an earlier run stored for the same three arrays)."""
    per_minute = params.uk_cost_per_hour / 60.0
    frame = (
        reported.join(per_transaction, on=SERVICE_KEY, how="inner")
        .filter(
            (pl.col("cost_per_transaction_gbp") > 0)
            & ((pl.col("front_minutes_per_transaction") + pl.col("back_minutes_per_transaction")) > 0)
        )
        .sort(SERVICE_KEY)
        .with_columns(
            (pl.col("cost_per_transaction_gbp") * params.uk_labour_share / per_minute).alias("target_minutes")
        )
    )
    if frame.height < 3:
        raise ValueError(f"calibration: only {frame.height} UK services with a cost per transaction and a process")
    front = frame["front_minutes_per_transaction"].to_numpy()
    back = frame["back_minutes_per_transaction"].to_numpy()
    target = frame["target_minutes"].to_numpy()
    scales = fit_scales(front, back, target)
    started = fits(front, back, target, background=background) if leave_one_out else None
    return Calibration(frame, front, back, target, scales, params, started)


def calibrate(
    per_transaction: pl.DataFrame,
    reported: pl.DataFrame,
    params: ProductionParameters,
    leave_one_out: bool = True,
) -> tuple[float, float, pl.DataFrame, dict[str, float]]:
    """Fit the two scales on the UK services that report a cost per transaction and judge them by
    leave-one-out. `reported`: service_key, fiscal_year, service_name, cost_per_transaction_gbp,
    cost_round. Target minutes = cost x labour share (A040) / GBP a minute (A202, A203, A057).
    Returns the scales, one row per calibration service, and the diagnostics.

    The scales come from the one fit on every service; the leave-one-out fits (one per service)
    only judge it. `leave_one_out=False` skips them (the sensitivity analysis, which reads only
    central figures, scores many times): the leave-one-out columns are then null and the
    leave-one-out diagnostics absent."""
    with start_calibration(per_transaction, reported, params, leave_one_out) as calibration:
        return calibration.finish()


def service_hours(
    units: pl.DataFrame,
    minutes: pl.DataFrame,
    matches: pl.DataFrame,
    scales: tuple[float, float],
    params: ProductionParameters,
) -> pl.DataFrame:
    """Hours per service and activity before the Canadian ceiling: units x calibrated minutes / 60;
    where the service has used domain matches, domain_work takes A212 of its back-office hours."""
    front_scale, back_scale = scales
    rows = units.join(minutes, on="activity_id", how="left").with_columns(
        (pl.col("prior_minutes") * pl.when(pl.col("is_front_office")).then(front_scale).otherwise(back_scale))
        .alias("minutes_per_unit")
    ).with_columns((pl.col("units") * pl.col("minutes_per_unit") / 60.0).alias("hours"))
    matched = matches.filter(pl.col("is_used")).select(SERVICE_KEY).unique().with_columns(
        pl.lit(True).alias("_has_domain")
    )
    rows = rows.join(matched, on=SERVICE_KEY, how="left").with_columns(pl.col("_has_domain").fill_null(False))
    back = (~pl.col("is_front_office")) & pl.col("_has_domain")
    domain = (
        rows.filter(back)
        .group_by([*SERVICE_KEY, "volume_basis"])
        .agg((pl.col("hours").sum() * params.domain_share).alias("hours"))
        .filter(pl.col("hours") > 0)
        .with_columns(
            pl.lit(DOMAIN_ACTIVITY).alias("activity_id"),
            pl.lit(None, dtype=pl.Float64).alias("units"),
            pl.lit(f"{params.domain_share:g} of back-office hours (A212), matched DWAs (A210)").alias("units_source"),
            pl.lit(False).alias("is_front_office"),
            pl.lit(None, dtype=pl.Float64).alias("minutes_per_unit"),
        )
    )
    rows = rows.with_columns(
        pl.when(back).then(pl.col("hours") * (1 - params.domain_share)).otherwise(pl.col("hours")).alias("hours")
    )
    columns = [*SERVICE_KEY, "activity_id", "volume_basis", "units", "units_source", "is_front_office",
               "minutes_per_unit", "hours"]
    return pl.concat([rows.select(columns), domain.select(columns)], how="vertical_relaxed").sort(
        [*SERVICE_KEY, "activity_id"]
    )


def programme_ceiling(
    hours: pl.DataFrame, links: pl.DataFrame, params: ProductionParameters
) -> pl.DataFrame:
    """The Canadian programme FTE ceiling (A209): one row per Canadian service with its delivery FTE
    before and after the ceiling and the factor applied to its hours.

    `links`: fct_ca_service_programme (service_key, fiscal_year, organisation_id, programme_id,
    is_programme_matched, programme_actual_fte). A service in k programmes counts 1/k of its FTE in
    each. A programme whose services add up to more than its actual FTE scales them down to it; a
    service in several programmes takes the smallest of their factors, so that it still counts
    equally in each and no programme is exceeded. A programme reporting zero FTE holds no delivery
    staff: it is left out of k, and a service whose every programme reports zero keeps no FTE (its
    staff are counted in another programme). Unmatched programmes and those without an FTE figure
    set no ceiling (flagged).

    The scoring computes it with ProgrammeLinks.ceiling (the links worked out once); this is the
    reference that path is tested against."""
    fte = hours.group_by(SERVICE_KEY).agg((pl.col("hours").sum() / params.ca_hours_per_fte).alias("fte_bottom_up"))
    programme_key = ["fiscal_year", "organisation_id", "programme_id"]
    service_links = links.select(
        *SERVICE_KEY, "organisation_id", "programme_id", "is_programme_matched", "programme_actual_fte"
    ).with_columns(
        (pl.col("is_programme_matched") & (pl.col("programme_actual_fte") == 0)).fill_null(False).alias("_zero"),
        (pl.col("is_programme_matched") & pl.col("programme_actual_fte").is_not_null()).alias("_capped"),
    ).with_columns((~pl.col("_zero")).sum().over(SERVICE_KEY).alias("_k"))
    parts = service_links.filter(~pl.col("_zero")).join(fte, on=SERVICE_KEY, how="inner").with_columns(
        (pl.col("fte_bottom_up") / pl.col("_k")).alias("_part")
    )
    demand = parts.filter(pl.col("_capped")).group_by(programme_key).agg(
        pl.col("_part").sum().alias("_demand"), pl.col("programme_actual_fte").first().alias("_ceiling")
    ).with_columns(
        pl.when(pl.col("_demand") > pl.col("_ceiling")).then(pl.col("_ceiling") / pl.col("_demand"))
        .otherwise(1.0).alias("_factor")
    )
    factors = parts.join(demand.select(*programme_key, "_factor"), on=programme_key, how="left").group_by(
        SERVICE_KEY
    ).agg(
        pl.col("_factor").fill_null(1.0).min().alias("_factor"),
        pl.col("_capped").all().alias("is_every_programme_ceiling_known"),
        pl.col("programme_actual_fte").filter(pl.col("_capped")).sum().alias("programme_fte_total"),
    )
    all_zero = service_links.group_by(SERVICE_KEY).agg((pl.col("_k").first() == 0).alias("_all_zero"))
    return (
        fte.join(factors, on=SERVICE_KEY, how="left")
        .join(all_zero, on=SERVICE_KEY, how="left")
        .with_columns(
            pl.when(pl.col("_all_zero").fill_null(False)).then(0.0)
            .otherwise(pl.col("_factor").fill_null(1.0)).alias("ceiling_factor"),
            pl.col("is_every_programme_ceiling_known").fill_null(False),
        )
        .with_columns(
            (pl.col("fte_bottom_up") * pl.col("ceiling_factor")).alias("fte_delivery"),
            (pl.col("ceiling_factor") < 1).alias("is_capped_by_programme_fte"),
        )
        .select(*SERVICE_KEY, "fte_bottom_up", "fte_delivery", "ceiling_factor", "is_capped_by_programme_fte",
                "is_every_programme_ceiling_known", "programme_fte_total")
    )


class ProgrammeLinks:
    """fct_ca_service_programme as arrays, made once for a scoring's inputs: `ceiling(hours, params)`
    is programme_ceiling(hours, links, params), the same frame (rows in another order, sums to the
    last bit or so: tests/unit/test_production_model.py), with the link structure (which service
    is in which programme, the zero and unknown ceilings, each service's k) worked out once instead
    of joined and grouped again by text keys in every scoring (issue 18: 0.15 s -> 0.05 s a scoring
    at 100x, where the sensitivity scores 71 times)."""

    def __init__(self, links: pl.DataFrame) -> None:
        programme_key = ["fiscal_year", "organisation_id", "programme_id"]
        frame = links.select(
            *SERVICE_KEY, "organisation_id", "programme_id", "is_programme_matched",
            pl.col("programme_actual_fte").cast(pl.Float64),
        )
        self.services = frame.select(SERVICE_KEY).unique().sort(SERVICE_KEY).with_row_index("_service")
        # a programme key with a null part matches no programme in programme_ceiling's join: none here
        programmes = frame.select(programme_key).drop_nulls().unique().with_row_index("_programme")
        frame = frame.join(self.services, on=SERVICE_KEY, how="left").join(
            programmes, on=programme_key, how="left")
        matched = frame["is_programme_matched"]
        fte = frame["programme_actual_fte"]
        self.service = frame["_service"].to_numpy().astype(np.int64)
        self.programme = frame["_programme"].fill_null(-1).to_numpy().astype(np.int64)
        self.fte = fte.fill_null(np.nan).to_numpy()
        # programme_ceiling's three-valued logic: _zero is true only for a matched programme reporting
        # 0; _capped is true, false or null (matched unknown, FTE known), a null counting as false
        # where it filters and left out where `all` reads it
        self.zero = ((matched.fill_null(False)) & fte.is_not_null() & (fte == 0).fill_null(False)).to_numpy()
        self.capped = (matched.fill_null(False) & fte.is_not_null()).to_numpy()
        self.capped_unknown = (matched.is_null() & fte.is_not_null()).to_numpy()
        self.k = np.bincount(self.service, weights=(~self.zero).astype(np.float64), minlength=self.services.height)
        self.programmes = programmes.height

    def ceiling(self, hours: pl.DataFrame, params: ProductionParameters) -> pl.DataFrame:
        per_service = hours.group_by(SERVICE_KEY).agg(
            (pl.col("hours").sum() / params.ca_hours_per_fte).alias("fte_bottom_up")
        ).join(self.services, on=SERVICE_KEY, how="left")  # _service null: a service in no programme
        position = per_service["_service"].fill_null(-1).to_numpy().astype(np.int64)
        factor, known, total = self.ceiling_at(position, per_service["fte_bottom_up"].to_numpy())
        return ceiling_frame(per_service.select(SERVICE_KEY), per_service["fte_bottom_up"], factor, known, total)

    def positions(self, services: pl.DataFrame) -> np.ndarray:
        """Each row's service (SERVICE_KEY) as its index in `self.services`, -1 for a service in no
        programme: what `ceiling_at` takes, worked out once for a set of services."""
        found = services.select(SERVICE_KEY).join(self.services, on=SERVICE_KEY, how="left", maintain_order="left")
        return found["_service"].fill_null(-1).to_numpy().astype(np.int64)

    def ceiling_at(self, position: np.ndarray, fte_bottom_up: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The ceiling of services given as `position` (`positions`; each service once) with their
        bottom-up FTE: per service its ceiling_factor, is_every_programme_ceiling_known and
        programme_fte_total (NaN where unknown). `ceiling` and the sensitivity's array path
        (scoring.figure_rows.Factors) both compute it here."""
        n = self.services.height
        linked = position >= 0
        index = np.where(linked, position, 0)
        fte = np.zeros(n)
        fte[index[linked]] = fte_bottom_up[linked]
        has_hours = np.zeros(n, dtype=bool)
        has_hours[index[linked]] = True
        # the parts: every link not to a zero programme, of a service with hours, 1/k of its FTE
        part = ~self.zero & has_hours[self.service]
        share = np.zeros(len(self.service))
        share[part] = fte[self.service[part]] / self.k[self.service[part]]
        demanding = part & self.capped & (self.programme >= 0)
        demand = np.bincount(self.programme[demanding], weights=share[demanding], minlength=self.programmes)
        ceiling = np.full(self.programmes, np.nan)
        ceiling[self.programme[demanding]] = self.fte[demanding]
        has_demand = np.zeros(self.programmes, dtype=bool)
        has_demand[self.programme[demanding]] = True
        factor_of = np.ones(self.programmes)
        over = has_demand & (demand > ceiling)
        factor_of[over] = ceiling[over] / demand[over]
        link_factor = np.where(self.programme >= 0, factor_of[np.maximum(self.programme, 0)], 1.0)
        factor = np.full(n, np.inf)
        np.minimum.at(factor, self.service[part], link_factor[part])
        has_part = np.bincount(self.service[part], minlength=n) > 0
        unknown = np.bincount(self.service[part & ~self.capped & ~self.capped_unknown], minlength=n) > 0
        total = np.bincount(self.service[part & self.capped], weights=self.fte[part & self.capped], minlength=n)
        # a service in no programme, 1; in only zero programmes, 0
        ceiling_factor = np.where(self.k == 0, 0.0, np.where(has_part, factor, 1.0))
        return (np.where(linked, ceiling_factor[index], 1.0), linked & (has_part & ~unknown)[index],
                np.where(linked & has_part[index], total[index], np.nan))


def ceiling_frame(services: pl.DataFrame, fte_bottom_up: pl.Series, factor: np.ndarray, known: np.ndarray,
                  total: np.ndarray) -> pl.DataFrame:
    """programme_ceiling's frame from ProgrammeLinks.ceiling_at's arrays, one row per service of
    `services` (SERVICE_KEY) in its order."""
    return services.select(SERVICE_KEY).with_columns(
        fte_bottom_up.alias("fte_bottom_up"),
        pl.Series("ceiling_factor", factor),
        pl.Series("is_every_programme_ceiling_known", known),
        pl.Series("programme_fte_total", total).fill_nan(None),
    ).with_columns(
        (pl.col("fte_bottom_up") * pl.col("ceiling_factor")).alias("fte_delivery"),
        (pl.col("ceiling_factor") < 1).alias("is_capped_by_programme_fte"),
    ).select(*SERVICE_KEY, "fte_bottom_up", "fte_delivery", "ceiling_factor", "is_capped_by_programme_fte",
             "is_every_programme_ceiling_known", "programme_fte_total")


def reported_cost_factor(hours: pl.DataFrame, reported: pl.DataFrame, params: ProductionParameters) -> pl.DataFrame:
    """The factor that scales a UK service's modelled hours to its reported cost: cost per
    transaction x applications x labour share (A040) / (its hours x loaded GBP an hour). One row
    per service of `reported` (UK services with a cost per transaction and applications) with
    hours whose factor is finite. `hours`: SERVICE_KEY and hours (one row per activity, or one per
    service with its total)."""
    return (
        hours.join(reported.select(*SERVICE_KEY, "applications_total", "cost_per_transaction_gbp"), on=SERVICE_KEY,
                   how="inner")
        .group_by(SERVICE_KEY)
        .agg(
            (pl.col("cost_per_transaction_gbp").first() * pl.col("applications_total").first() * params.uk_labour_share
             / (pl.col("hours").sum() * params.uk_cost_per_hour)).alias("reported_factor")
        )
        .filter(pl.col("reported_factor").is_finite())
    )


def _task_weights(dwa_tasks: pl.DataFrame) -> pl.DataFrame:
    return dwa_tasks.select("dwa_id", "onet_soc_code", pl.col("task_weight_in_dwa").cast(pl.Float64))


def activity_occupation_mix(activity_dwa: pl.DataFrame, dwa_tasks: pl.DataFrame) -> pl.DataFrame:
    """activity_id, onet_soc_code, _share: a general activity's hours spread over the occupations of
    its DWAs' tasks (the activity's DWAs in equal weights, tasks by their weight in the DWA); the
    shares of an activity sum to 1. Activities without a DWA task have no row."""
    return (
        activity_dwa.select("activity_id", "dwa_id")
        .with_columns((1.0 / pl.len().over("activity_id")).alias("_u"))
        .join(_task_weights(dwa_tasks), on="dwa_id", how="inner")
        .group_by(["activity_id", "onet_soc_code"])
        .agg((pl.col("_u") * pl.col("task_weight_in_dwa")).sum().alias("_share"))
        .with_columns(pl.col("_share") / pl.col("_share").sum().over("activity_id"))
    )


def domain_occupation_mix(domain_matches: pl.DataFrame, dwa_tasks: pl.DataFrame) -> pl.DataFrame:
    """service_key, fiscal_year, onet_soc_code, _share, activity_id (domain_work): a service's domain
    work spread over the occupations of its used DWA matches' tasks, weighted by match score."""
    return (
        domain_matches.filter(pl.col("is_used"))
        .select(*SERVICE_KEY, "dwa_id", pl.col("match_score").alias("_u"))
        .join(_task_weights(dwa_tasks), on="dwa_id", how="inner")
        .group_by([*SERVICE_KEY, "onet_soc_code"])
        .agg((pl.col("_u") * pl.col("task_weight_in_dwa")).sum().alias("_share"))
        .with_columns(pl.col("_share") / pl.col("_share").sum().over(SERVICE_KEY))
        .with_columns(pl.lit(DOMAIN_ACTIVITY).alias("activity_id"))
    )


def service_occupation_mix(
    activity_rows: pl.DataFrame,
    activity_dwa: pl.DataFrame,
    domain_matches: pl.DataFrame,
    dwa_tasks: pl.DataFrame,
) -> pl.DataFrame:
    """Each service's occupation mix implied by its activities: one row per service and O*NET-SOC
    occupation with the occupation's share of the service's hours (shares sum to 1 per service).
    An activity's hours spread over the occupations of its DWAs' tasks (DWAs in equal weights, tasks
    by their weight in the DWA); domain work over its matched DWAs, weighted by score.

    `activity_rows`: service_key, fiscal_year, activity_id, hours (scoring.fct_service_activity)."""
    activity_mix = activity_occupation_mix(activity_dwa, dwa_tasks)
    domain_mix = domain_occupation_mix(domain_matches, dwa_tasks)
    rows = activity_rows.filter(pl.col("hours") > 0).select(*SERVICE_KEY, "activity_id", "hours")
    standard = rows.filter(pl.col("activity_id") != DOMAIN_ACTIVITY).join(activity_mix, on="activity_id", how="inner")
    domain = rows.filter(pl.col("activity_id") == DOMAIN_ACTIVITY).join(
        domain_mix, on=[*SERVICE_KEY, "activity_id"], how="inner"
    )
    columns = [*SERVICE_KEY, "onet_soc_code", "hours", "_share"]
    return (
        pl.concat([standard.select(columns), domain.select(columns)])
        .group_by([*SERVICE_KEY, "onet_soc_code"])
        .agg((pl.col("hours") * pl.col("_share")).sum().alias("_hours"))
        .with_columns((pl.col("_hours") / pl.col("_hours").sum().over(SERVICE_KEY)).alias("occupation_share"))
        .select(*SERVICE_KEY, "onet_soc_code", "occupation_share")
        .sort([*SERVICE_KEY, "onet_soc_code"])
    )


if __name__ == "__main__":  # a leave-one-out worker: arrays in on stdin, its fits out on stdout
    _message = np.load(io.BytesIO(sys.stdin.buffer.read()))
    _out = io.BytesIO()
    np.save(_out, _leave_one_out_part(_message["front"], _message["back"], _message["target"], _message["indices"]))
    sys.stdout.buffer.write(_out.getvalue())
