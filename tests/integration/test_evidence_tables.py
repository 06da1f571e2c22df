"""Issue 9 tables on the real pipeline: bottom-up evidence, access risk, workforce transitions and
the Italian case, checked against figures the tests compute themselves from the mirror files and
from the layers below."""

from __future__ import annotations

import csv

import polars as pl
import pytest

from scoring.evidence import evidence_links, pilot_shares, posterior
from scoring.evidence_parameters import evidence_parameters_from_assumptions


def test_every_service_has_one_posterior_row_and_without_a_link_it_is_the_prior(con):
    services, rows, keys, unlinked_moved, linked = con.execute(
        """select (select count(*) from marts.dim_service),
                  count(*), count(distinct (service_key, fiscal_year)),
                  count(*) filter (where abs(posterior_mean - prior_mean) > 1e-12
                                     and evidence_observations = 0),
                  count(*) filter (where evidence_observations > 0)
           from scoring.fct_service_evidence_posterior"""
    ).fetchall()[0]
    assert rows == keys == services
    assert unlinked_moved == 0
    assert linked > 0


def test_the_cited_pilots_are_used_and_traceable_to_their_publication(con):
    pilots, used, untraceable = con.execute(
        """select count(*), count(*) filter (where is_usable),
                  count(*) filter (where source_url is null or publication_year is null
                                     or published_unit is null or design is null)
           from scoring.fct_pilot_evidence_used"""
    ).fetchall()[0]
    assert pilots == con.execute("select count(*) from seeds.pilot_evidence").fetchall()[0][0] >= 12
    assert used >= 12 and untraceable == 0
    # every pilot used informs at least one service, except a lower bound (A138) that no service's
    # top-down probability falls below
    silent = con.execute(
        """select evidence_id, is_lower_bound from scoring.fct_pilot_evidence_used u
           where u.is_usable and not exists (
               select 1 from scoring.fct_service_evidence_link l where l.evidence_id = u.evidence_id)"""
    ).fetchall()
    assert [e for e, lower in silent if not lower] == []


def test_an_activity_link_is_the_pilots_share_in_place_of_the_top_down_one_for_those_hours(con):
    """Recompute every activity-level link from fct_service_activity in SQL (A136)."""
    bad = con.execute(
        """with named as (
               select evidence_id, trim(unnest(string_split(activity_ids, ';'))) as activity_id
               from scoring.fct_pilot_evidence_used where is_usable and activity_ids is not null),
           hours as (
               select a.service_key, a.fiscal_year, n.evidence_id,
                      sum(a.share_of_service_hours) as h,
                      sum(a.share_of_service_hours * a.probability)
                        / sum(a.share_of_service_hours) filter (where a.probability is not null) as p
               from scoring.fct_service_activity a join named n using (activity_id)
               group by all)
           select count(*) filter (where abs(l.activity_hours_share - h.h) > 1e-9
                                      or abs(l.observed_share - greatest(0, least(1,
                                             s.headline_probability + h.h * (u.observed_share - h.p)))) > 1e-9
                                      or abs(l.weighted_observations
                                             - l.similarity_weight * u.effective_observations * h.h) > 1e-9),
                  count(*)
           from scoring.fct_service_evidence_link l
           join hours h using (service_key, fiscal_year, evidence_id)
           join scoring.fct_pilot_evidence_used u using (evidence_id)
           join scoring.fct_service_automation_summary s using (service_key, fiscal_year)"""
    ).fetchall()[0]
    assert bad[0] == 0 and bad[1] > 0
    # IRCC's triage pilot names the Temporary Resident Visa service: its own link has weight 1
    own = con.execute(
        """select link_type, similarity_weight from scoring.fct_service_evidence_link
           where evidence_id = 'P0010' and service_key = 'CA-1423'"""
    ).fetchall()
    assert own and all(r == ("own_service", 1.0) for r in own)


def test_a_hand_made_pilot_on_a_real_service_moves_it_by_the_beta_update(con):
    summary = con.sql("select * from scoring.fct_service_automation_summary").pl()
    params = evidence_parameters_from_assumptions(con.sql("select * from seeds.assumptions").pl())
    target = summary.filter(
        (pl.col("country_code") == "CA") & pl.col("labour_cost").is_not_null()
        & pl.col("headline_probability").is_not_null()
    ).sort("service_key").row(0, named=True)
    pilots = pl.DataFrame([{
        "evidence_id": "T1", "service_key": target["service_key"],
        "archetype_id": target["archetype_id"], "country_code": "CA",
        "organisation_code": target["organisation_code"], "measure": "labour_time_share_saved",
        "measured_value": 0.3, "baseline_minutes_per_transaction": None, "sample_size": 50,
        "quality_rating": "high",
    }])
    result = posterior(summary, evidence_links(summary, pilot_shares(pilots, params), params), params)
    row = result.filter(pl.col("service_key") == target["service_key"]).row(0, named=True)
    # own service: weight 1, 50 observations of 0.3
    expected = (row["prior_alpha"] + 15.0) / (row["prior_alpha"] + row["prior_beta"] + 50.0)
    assert row["posterior_mean"] == pytest.approx(expected)
    other = result.filter(pl.col("archetype_id") != target["archetype_id"])
    assert (other["posterior_mean"] - other["prior_mean"]).abs().max() < 1e-12


def test_canadian_assisted_volume_is_the_non_internet_channels_of_the_inventory(con, mirror):
    path = mirror / "tbs_canada__service_inventory" / "si_2024.csv"
    expected = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for r in csv.DictReader(handle):
            channels = ["num_applications_in_person", "num_applications_by_phone",
                        "num_applications_by_mail", "num_applications_by_fax", "num_applications_by_other"]
            total = r.get("num_applications_total", "")
            if total and total.replace(",", "").isdigit() and int(total.replace(",", "")) > 0:
                expected[(f"CA-{r['service_id']}", r["fiscal_yr"])] = sum(
                    int(r[c].replace(",", "")) for c in channels if r[c] and r[c].replace(",", "").isdigit()
                )
    got = {(k, y): v for k, y, v in con.execute(
        "select service_key, fiscal_year, assisted_volume from marts.fct_service_access_channel where country_code = 'CA' and assisted_volume is not null"
    ).fetchall()}
    common = sorted(set(expected) & set(got))
    assert len(common) > 500
    assert all(got[k] == expected[k] for k in common)


def test_uk_challenged_services_match_the_transactions_explorer_and_are_all_classified(con, mirror):
    with (mirror / "gds__transactions_explorer" / "transaction-volumes.csv").open(encoding="utf-8") as handle:
        text = handle.read()
    published = text.count('"Citizen (challenged)"')
    challenged, flagged_or_explained = con.execute(
        """select count(*) filter (where is_customer_challenged),
                  count(*) filter (where is_customer_challenged and (is_access_risk is not null or access_risk_null_reason is not null))
           from scoring.fct_service_access_risk where country_code = 'UK'"""
    ).fetchall()[0]
    raw = con.execute(
        "select count(distinct name_of_service) from staging.stg_gds__transactions_explorer where customer_type = 'Citizen (challenged)'"
    ).fetchall()[0][0]
    assert challenged == raw == flagged_or_explained == published


def test_the_access_flag_follows_its_rule_on_every_row(con):
    bad = con.execute(
        """select count(*) from scoring.fct_service_access_risk
           where is_access_risk and not (
                 headline_probability >= access_probability_threshold
             and (is_customer_challenged or assisted_share >= assisted_share_threshold))"""
    ).fetchall()[0][0]
    assert bad == 0


def test_organisation_fte_by_occupation_adds_up_to_the_delivery_fte_of_the_services(con):
    workforce, services = con.execute(
        """select (select sum(fte) from scoring.fct_organisation_occupation_workforce),
                  (select sum(fte) from scoring.fct_service_automation_summary where fte is not null)"""
    ).fetchall()[0]
    assert workforce == pytest.approx(services, rel=1e-9)


def test_redeployment_options_obey_their_rules(con):
    violations = con.execute(
        """select count(*) from scoring.fct_occupation_redeployment_option o
           join marts.fct_occupation_projection p on p.onet_soc_code = o.target_onet_soc_code
           where not p.is_non_declining or o.target_probability >= o.source_probability
              or o.target_probability >= o.high_automation_threshold
              or o.source_probability < o.high_automation_threshold
              or o.option_rank > 5"""
    ).fetchall()[0][0]
    assert violations == 0
    assert con.execute("select count(*) from scoring.fct_occupation_redeployment_option").fetchall()[0][0] > 0


def test_mangled_manager_codes_are_repaired_by_title(con, mirror):
    with (mirror / "bls__employment_projections" / "source_employment_projections.csv").open(encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    title_col = next(c for c in rows[0] if "title" in c.lower())
    change_col = next(c for c in rows[0] if c.lower().endswith("change_24to34_thousands") or c == "employment_change_24to34_thousands")
    financial = next(r for r in rows if r[title_col].strip() == "Financial managers")
    repaired, change = con.execute(
        "select count(*) filter (where is_code_repaired), max(case when nem_code = '11-3031' then employment_change_24to34_thousands end) from intermediate.int_bls_projections__repaired"
    ).fetchall()[0]
    assert repaired == 35
    assert change == pytest.approx(float(financial[change_col]))


def test_country_exposure_equals_a_weighted_mean_recomputed_from_staging(con):
    recomputed = con.execute(
        """with unit as (select isco08_code, (rti + 1) / 2 as v from staging.stg_mihaylov_tijdens__rti),
                minor as (select substring(isco08_code, 1, 3) as g, avg(v) as v from unit group by 1)
           select sum(e.employment_thousands * m.v) / sum(e.employment_thousands)
           from staging.stg_nesta__ita_employment_by_isco e join minor m on m.g = e.isco_code
           where e.year = 2018 and e.employment_thousands is not null"""
    ).fetchall()[0][0]
    published = con.execute(
        """select employment_weighted_value_01 from marts.agg_isco_exposure_by_country
           where country_code = 'IT' and year = 2018 and measure_id = 'rti_mihaylov_tijdens'"""
    ).fetchall()[0][0]
    assert published == pytest.approx(recomputed)


def test_every_conto_annuale_grade_is_in_the_map_and_judges_are_judges(con):
    missing, judges = con.execute(
        """select count(*) filter (where unmapped_reason like 'not in the map%'),
                  count(*) filter (where codi_contratto = 'MGOR' and isco08_code = '2612')
           from marts.dim_conto_annuale_qualifica"""
    ).fetchall()[0]
    assert missing == 0
    assert judges == con.execute(
        "select count(*) from staging.stg_rgs_italy__contratto_qualifica where codi_contratto = 'MGOR' and codi_qualifica is not null"
    ).fetchall()[0][0]
