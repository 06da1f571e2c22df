"""The SQL formulation of the model's point estimates (scoring.sql) against the polars model, on a
tiny warehouse made by hand, and the comparison helper catching a difference."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest

from scoring.io import read_scoring_inputs
from scoring.parameters import Parameters
from scoring.sql import compare, score_polars, score_sql

P = Parameters()

TABLES = """
CREATE SCHEMA marts;
CREATE SCHEMA seeds;
CREATE TABLE marts.dim_service (
    service_key VARCHAR, country_code VARCHAR, service_id VARCHAR, fiscal_year VARCHAR,
    archetype_id VARCHAR, digital_share DOUBLE, is_online_application BOOLEAN,
    is_online_decision BOOLEAN, is_online_issuance BOOLEAN, is_automated_decision_system BOOLEAN
);
INSERT INTO marts.dim_service VALUES
    ('uk-1', 'UK', '1', '2012', 'licence', 0.25, NULL, NULL, NULL, NULL),
    ('ca-2', 'CA', '2', '2023-2024', 'benefit', NULL, true, false, NULL, true),
    ('ca-3', 'CA', '3', '2023-2024', 'benefit', NULL, false, false, true, false),
    ('ca-4', 'CA', '4', '2023-2024', 'unmapped', NULL, NULL, NULL, NULL, NULL);
CREATE TABLE marts.fct_service_cost (
    service_key VARCHAR, fiscal_year VARCHAR, total_cost DOUBLE, labour_cost DOUBLE,
    labour_cost_null_reason VARCHAR, fte DOUBLE, currency VARCHAR, price_year INTEGER
);
INSERT INTO marts.fct_service_cost VALUES
    ('uk-1', '2012', 1000.0, 700.0, NULL, 10.0, 'GBP', 2012),
    ('ca-2', '2023-2024', 5000.0, 3000.0, NULL, 30.0, 'CAD', 2024),
    ('ca-3', '2023-2024', NULL, NULL, 'no programme link', NULL, 'CAD', 2024),
    ('ca-4', '2023-2024', 100.0, 80.0, NULL, 1.0, 'CAD', 2024);
CREATE TABLE marts.fct_service_occupation (
    service_key VARCHAR, fiscal_year VARCHAR, archetype_id VARCHAR, onet_soc_code VARCHAR,
    occupation_share DOUBLE
);
-- ca-4 has no occupation mix; ca-3 only an occupation no method knows
INSERT INTO marts.fct_service_occupation VALUES
    ('uk-1', '2012', 'licence', 'A', 0.6),
    ('uk-1', '2012', 'licence', 'B', 0.4),
    ('ca-2', '2023-2024', 'benefit', 'A', 0.3),
    ('ca-2', '2023-2024', 'benefit', 'B', 0.7),
    ('ca-3', '2023-2024', 'benefit', 'Z', 1.0);
CREATE TABLE marts.fct_service_task (
    service_key VARCHAR, fiscal_year VARCHAR, onet_soc_code VARCHAR, task_id BIGINT,
    task_weight_in_occupation DOUBLE, gpt4_beta DOUBLE, human_beta DOUBLE,
    gpt4_automation_01 DOUBLE
);
-- every service using an occupation repeats its tasks
INSERT INTO marts.fct_service_task
SELECT mix.service_key, mix.fiscal_year, t.* FROM marts.fct_service_occupation AS mix
INNER JOIN (VALUES
    ('A', 1, 0.5, 1.0, 0.5, 0.75),
    ('A', 2, 0.25, 0.0, NULL, 0.25),
    ('A', 3, 0.25, NULL, NULL, NULL),
    ('B', 4, 0.6, 0.5, 1.0, 0.0),
    ('B', 5, 0.4, 0.3, 0.5, NULL)
) AS t(onet_soc_code, task_id, w, beta, human, automation)
    ON t.onet_soc_code = mix.onet_soc_code;
CREATE TABLE marts.fct_occupation_automation_measure (
    onet_soc_code VARCHAR, measure_id VARCHAR, value_01 DOUBLE, coverage_share DOUBLE
);
INSERT INTO marts.fct_occupation_automation_measure VALUES
    ('A', 'frey_osborne_probability', 0.9, NULL),
    ('B', 'frey_osborne_probability', 0.3, 1.0),
    ('A', 'rti_mihaylov_tijdens', 0.5, 0.8),
    ('B', 'rti_mihaylov_tijdens', 0.1, 0.25),
    ('A', 'ilo_genai_2025', 0.2, 0.0),
    ('B', 'ilo_genai_2025', 0.4, 1.0),
    ('B', 'nesta_automation_risk', NULL, 1.0),
    ('A', 'not_a_method', 0.99, 1.0);
CREATE TABLE seeds.turing_replication_reference (
    figure_id VARCHAR, reference_value DOUBLE, reference_data_year VARCHAR, reference_source VARCHAR
);
"""


@pytest.fixture
def con():
    connection = duckdb.connect()
    connection.execute(TABLES)
    yield connection
    connection.close()


def test_sql_and_polars_agree_on_a_hand_made_warehouse(con):
    polars_frames = score_polars(read_scoring_inputs(con), P)
    sql_frames = score_sql(con, P)
    assert compare(polars_frames, sql_frames) == []
    methods = sql_frames["service_method_probability"]
    assert methods.height == 3 * 9
    # uk-1, Frey-Osborne: 0.6 x 0.9 + 0.4 x 0.3, coverage 1
    fo = methods.filter((pl.col("service_key") == "uk-1") & (pl.col("method_id") == "frey_osborne_probability"))
    assert fo["probability"].item() == pytest.approx(0.66)
    # uk-1, RTI: coverage 0.6 x 0.8 + 0.4 x 0.25 = 0.58
    rti = methods.filter((pl.col("service_key") == "uk-1") & (pl.col("method_id") == "rti_mihaylov_tijdens"))
    assert rti["coverage"].item() == pytest.approx(0.58)
    assert rti["probability"].item() == pytest.approx((0.48 * 0.5 + 0.1 * 0.1) / 0.58)
    value = sql_frames["service_value"].sort("service_key")
    assert value["service_key"].to_list() == ["ca-2", "ca-3", "ca-4", "uk-1"]
    ca2 = value.row(0, named=True)
    assert ca2["already_digital_share"] == pytest.approx(1.0)  # 2 of 2 applicable stages
    assert ca2["value_net"] == pytest.approx(0.0)
    uk1 = value.row(3, named=True)
    assert uk1["value_net"] == pytest.approx(uk1["value_gross"] * 0.75)
    assert uk1["hours_automatable"] == pytest.approx(10.0 * 1650.0 * uk1["headline_probability"])
    # ca-3: no method reaches its occupation; ca-4 has no occupation mix at all
    assert value.row(1, named=True)["value_null_reason"].endswith("(A055)")
    assert value.row(2, named=True)["headline_probability"] is None
    assert value.row(2, named=True)["methods_used"] is None


def test_the_coverage_threshold_is_a_parameter_of_both_engines(con):
    strict = Parameters(method_coverage_threshold=0.9, hours_per_person_year=1500.0)
    polars_frames = score_polars(read_scoring_inputs(con), strict)
    sql_frames = score_sql(con, strict)
    assert compare(polars_frames, sql_frames) == []
    loose = score_sql(con, P)["headline_probability"]
    assert not sql_frames["headline_probability"]["methods_used"].equals(loose["methods_used"])
    # the engines run with different parameters disagree, and compare says where
    problems = compare(polars_frames, score_sql(con, P))
    assert any(p.startswith("headline_probability.methods_used:") for p in problems)
    assert any(p.startswith("service_value.hours_automatable:") for p in problems)


def test_compare_reports_the_table_column_and_key_of_a_difference(con):
    polars_frames = score_polars(read_scoring_inputs(con), P)
    sql_frames = score_sql(con, P)
    value = sql_frames["service_value"]
    sql_frames["service_value"] = value.with_columns(
        pl.when(pl.col("service_key") == "uk-1")
        .then(pl.col("value_net") * (1 + 1e-6))
        .otherwise(pl.col("value_net"))
        .alias("value_net")
    )
    sql_frames["headline_probability"] = sql_frames["headline_probability"].filter(
        pl.col("service_key") != "ca-2"
    )
    problems = compare(polars_frames, sql_frames)
    assert len(problems) == 2, problems
    assert problems[0].startswith("headline_probability: 1 rows only in polars")
    assert "service_key='ca-2'" in problems[0]
    assert problems[1].startswith("service_value.value_net: 1 rows differ")
    assert "service_key='uk-1', fiscal_year='2012'" in problems[1]
    # a difference within the tolerance is no difference
    assert compare(polars_frames, sql_frames, rel_tol=1e-5)[1:] == []


def test_compare_reports_a_null_on_one_side_and_a_missing_column(con):
    polars_frames = score_polars(read_scoring_inputs(con), P)
    sql_frames = score_sql(con, P)
    methods = sql_frames["service_method_probability"]
    sql_frames["service_method_probability"] = methods.with_columns(
        pl.when((pl.col("service_key") == "ca-2") & (pl.col("method_id") == "gpt4_beta"))
        .then(None)
        .otherwise(pl.col("probability"))
        .alias("probability"),
        pl.lit(1).alias("extra"),
    )
    problems = compare(polars_frames, sql_frames)
    assert problems == [
        "service_method_probability: columns missing from the polars frame: ['extra']"
    ]
    sql_frames["service_method_probability"] = sql_frames["service_method_probability"].drop("extra")
    (problem,) = compare(polars_frames, sql_frames)
    assert problem.startswith("service_method_probability.probability: 1 rows differ")
    assert "method_id='gpt4_beta'" in problem and "sql=None" in problem


def test_score_sql_runs_on_a_read_only_connection_and_leaves_nothing_behind(tmp_path: Path, con):
    path = tmp_path / "tiny.duckdb"
    con.execute(f"ATTACH '{path}' AS tiny")
    con.execute("COPY FROM DATABASE memory TO tiny")
    con.execute("DETACH tiny")
    with duckdb.connect(str(path), read_only=True) as read_only:
        frames = score_sql(read_only, P)
        assert compare(score_polars(read_scoring_inputs(read_only), P), frames) == []
        left = read_only.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE table_name LIKE 'score_sql_%'"
        ).fetchall()[0][0]
        assert left == 0
