"""Great Expectations suites: every suite file is valid, a failure names the expectation, column
and offending rows, missing tables follow the suite's `optional` flag, and data docs are written
and load their stylesheets, scripts and fonts from the data docs folder, not from CDNs."""

from __future__ import annotations

import contextlib
import json
import re
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from quality.expectations import (
    _DATASOURCE,
    EXPECTATIONS_DIR,
    FAILURE_FORMAT,
    PASS_FORMAT,
    PASS_FORMAT_MOSTLY,
    _batch_definition,
    build_gx_suite,
    columns_to_read,
    configurations_kept,
    discover_suites,
    gx_context,
    load_suite,
    row_filters_kept,
    validate_frame,
    validate_table,
)

SUITE = {
    "name": "marts.fct_widget",
    "meta": {"optional": False, "description": "One row per widget."},
    "expectations": [
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "widget_id"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "widget_id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "online_share", "min_value": 0, "max_value": 1},
         "meta": {"why": "a share"}},
    ],
}


def write_suite(folder: Path, suite: dict, name: str | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name or suite['name']}.json"
    path.write_text(json.dumps(suite), encoding="utf-8")
    return path


def widgets(changes: dict | None = None) -> pd.DataFrame:
    frame = pd.DataFrame(
        {"widget_id": ["w1", "w2", "w3", "w4"], "online_share": [0.1, 0.5, 1.0, 0.0]}
    )
    for (row, column), value in (changes or {}).items():
        frame.loc[row, column] = value
    return frame


def test_every_suite_in_the_repository_is_named_after_its_table_and_accepted_by_gx():
    suites = discover_suites(EXPECTATIONS_DIR)
    names = {s.name for s in suites}
    assert {"marts.fct_ca_service", "marts.fct_ca_service_programme",
            "marts.fct_ca_service_cost_allocation"} <= names
    for suite in suites:
        definition = suite.definition()
        assert definition["name"] == suite.path.stem
        assert len(build_gx_suite(suite).expectations) == len(definition["expectations"])


def test_a_suite_file_must_be_named_schema_dot_table(tmp_path):
    with pytest.raises(ValueError, match="<schema>.<table>.json"):
        load_suite(write_suite(tmp_path, SUITE, name="fct_widget"))
    with pytest.raises(ValueError, match="expected 'marts.other'"):
        load_suite(write_suite(tmp_path, SUITE, name="marts.other"))


def test_an_expectation_gx_does_not_know_is_an_error_not_a_silent_skip(tmp_path):
    suite = dict(SUITE, expectations=[*SUITE["expectations"],
                                      {"type": "expect_column_values_to_be_lovely", "kwargs": {"column": "x"}}])
    with pytest.raises(ValueError, match="expect_column_values_to_be_lovely"):
        build_gx_suite(load_suite(write_suite(tmp_path, suite)))


def test_a_conforming_table_passes_and_its_data_docs_are_written(tmp_path):
    suite = load_suite(write_suite(tmp_path / "suites", SUITE))
    report = validate_frame(widgets(), suite, tmp_path / "docs")
    assert report.passed, report.message()
    assert (report.evaluated, report.successful, report.rows) == (3, 3, 4)
    assert report.docs_index == tmp_path / "docs" / "marts.fct_widget" / "index.html"
    assert report.docs_index.is_file()
    landing = (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")
    assert 'href="marts.fct_widget/index.html"' in landing and "passed" in landing


def test_the_shared_context_follows_a_suite_to_another_docs_folder(tmp_path):
    # The process's context keeps its configuration in memory only (quality.expectations.gx_context
    # skips GX's writing it out): a site moved to another folder must still be written there.
    suite = load_suite(write_suite(tmp_path / "suites", SUITE))
    for folder in ("docs_a", "docs_b"):
        report = validate_frame(widgets(), suite, tmp_path / folder)
        assert report.passed and report.docs_index == tmp_path / folder / "marts.fct_widget" / "index.html"
        assert report.docs_index.is_file()
        assert list((tmp_path / folder / "marts.fct_widget" / "validations").rglob("*.html"))


def test_a_failure_names_the_expectation_column_and_offending_rows(tmp_path):
    suite = load_suite(write_suite(tmp_path / "suites", SUITE))
    report = validate_frame(widgets({(2, "online_share"): 1.7, (3, "widget_id"): "w1"}), suite,
                            tmp_path / "docs")
    assert not report.passed
    failed = {f.expectation: f for f in report.failures}
    assert set(failed) == {"expect_column_values_to_be_between", "expect_column_values_to_be_unique"}
    share = failed["expect_column_values_to_be_between"]
    assert share.column == "online_share"
    assert share.unexpected_count == 1
    assert share.why == "a share"
    assert share.sample_rows == [{"widget_id": "w3", "online_share": "1.7"}]
    assert {r["widget_id"] for r in failed["expect_column_values_to_be_unique"].sample_rows} == {"w1"}
    assert "online_share" in report.message() and "1 offending rows" in report.message()
    assert "FAILED" in (tmp_path / "docs" / "index.html").read_text(encoding="utf-8")


_LOADING_TAG = re.compile(r"<(?:link|script)\b[^>]*>", re.IGNORECASE)
_URL = re.compile(r"""\b(?:href|src)\s*=\s*["']([^"']*)["']""", re.IGNORECASE)


def test_the_data_docs_load_their_css_scripts_and_fonts_from_the_docs_folder(tmp_path):
    suite = load_suite(write_suite(tmp_path / "suites", SUITE))
    docs = tmp_path / "docs"
    validate_frame(widgets({(2, "online_share"): 1.7}), suite, docs)  # a page with a failure too
    pages = sorted((docs / "marts.fct_widget").rglob("*.html"))
    assert len(pages) >= 3  # the site index, the suite page and the validation page
    loaded: set[Path] = set()
    for page in pages:
        text = page.read_text(encoding="utf-8")
        tags = _LOADING_TAG.findall(text)
        assert any("bootstrap.min.css" in t for t in tags), page
        for tag in tags:
            for url in _URL.findall(tag):
                assert not re.match(r"(?i)(https?:)?//", url), f"{page.name}: {tag}"
                target = (page.parent / url).resolve()
                assert target.is_file(), f"{page.name}: {url} does not exist"
                loaded.add(target)
            assert "integrity=" not in tag and "crossorigin" not in tag, tag
        assert "great-expectations-web-assets" not in text  # GX's logo from its own static/
    static = (docs / "_static").resolve()
    assert {p.name for p in loaded if p.is_relative_to(static)} >= {
        "bootstrap.min.css", "bootstrap.min.js", "jquery.min.js", "all.min.css", "vega.min.js"}
    # Font Awesome's CSS finds its fonts relatively (../webfonts/)
    css = next(p for p in loaded if p.name == "all.min.css")
    fonts = set(re.findall(r"url\(([^)]+\.woff2)\)", css.read_text(encoding="utf-8")))
    assert fonts and all((css.parent / f).is_file() for f in fonts), fonts
    assert "bootstrap@4.3.1" in (docs / "_static" / "NOTICE.txt").read_text(encoding="utf-8")


def test_a_missing_table_is_skipped_only_when_the_suite_is_optional(tmp_path):
    con = duckdb.connect()
    required = load_suite(write_suite(tmp_path / "suites", SUITE))
    report = validate_table(con, required)
    assert not report.passed and not report.skipped
    assert "marts.fct_widget does not exist" in report.message()

    optional = load_suite(write_suite(tmp_path / "optional", dict(SUITE, meta={"optional": True})))
    report = validate_table(con, optional)
    assert report.passed and report.skipped


def test_a_table_in_duckdb_is_read_and_checked(tmp_path):
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute("CREATE TABLE marts.fct_widget AS SELECT * FROM (VALUES ('w1', 0.2), (NULL, 0.4)) "
                "t(widget_id, online_share)")
    report = validate_table(con, load_suite(write_suite(tmp_path, SUITE)))
    assert [f.expectation for f in report.failures] == ["expect_column_values_to_not_be_null"]
    assert report.failures[0].sample_rows == [{"widget_id": "null", "online_share": "0.4"}]


def test_a_check_reads_the_columns_it_needs_and_leaves_long_unreferenced_text(tmp_path):
    """Issue 18: the scoring tables repeat a 3,000-character parameter record on every row; read
    into pandas at 100x services it ran a check out of memory. A suite reads the columns its
    expectations name (also in a row condition), every other column that is short, and no long
    text it does not name; an expectation on the table's set of columns reads them all."""
    con = duckdb.connect()
    con.execute("CREATE SCHEMA marts")
    con.execute(
        "CREATE TABLE marts.fct_widget AS SELECT 'w' || i AS widget_id, i / 10 AS online_share, "
        "'short' AS label, repeat('x', 201) AS parameters, repeat('y', 300) AS note, i AS size "
        "FROM range(4) t(i)"
    )
    conditioned = dict(SUITE, expectations=[*SUITE["expectations"], {
        "type": "expect_column_values_to_not_be_null",
        "kwargs": {"column": "widget_id", "row_condition": "note.notnull()", "condition_parser": "pandas"},
    }])
    suite = load_suite(write_suite(tmp_path / "a", conditioned))
    assert columns_to_read(con, suite) == ["widget_id", "online_share", "label", "note", "size"]
    report = validate_table(con, suite)
    assert report.passed and report.evaluated == 4 and report.rows == 4

    whole = dict(SUITE, expectations=[*SUITE["expectations"], {
        "type": "expect_table_columns_to_match_set",
        "kwargs": {"column_set": ["widget_id", "online_share", "label", "parameters", "note", "size"]},
    }])
    suite = load_suite(write_suite(tmp_path / "b", whole))
    assert columns_to_read(con, suite) == ["widget_id", "online_share", "label", "parameters", "note", "size"]
    assert validate_table(con, suite).passed


# Expectations of the kinds the project's suites use, on a frame that breaks some of them.
MIXED = {
    "name": "marts.fct_widget",
    "meta": {"optional": False},
    "expectations": [
        {"type": "expect_table_row_count_to_be_between", "kwargs": {"min_value": 1, "max_value": 100}},
        {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "widget_id"}},
        {"type": "expect_column_values_to_be_unique", "kwargs": {"column": "widget_id"}},
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "online_share", "min_value": 0, "max_value": 1}, "meta": {"why": "a share"}},
        {"type": "expect_column_values_to_be_in_set", "kwargs": {"column": "country", "value_set": ["CA", "UK"]}},
        {"type": "expect_column_values_to_match_regex", "kwargs": {"column": "widget_id", "regex": "^w[0-9]+$"}},
        {"type": "expect_column_pair_values_a_to_be_greater_than_b",
         "kwargs": {"column_A": "high", "column_B": "low", "or_equal": True}},
        {"type": "expect_compound_columns_to_be_unique", "kwargs": {"column_list": ["country", "widget_id"]}},
        {"type": "expect_column_sum_to_be_between", "kwargs": {"column": "online_share", "min_value": 0}},
        {"type": "expect_column_values_to_not_be_null",
         "kwargs": {"column": "low", "row_condition": 'country=="CA"', "condition_parser": "pandas"}},
    ],
}


def mixed(broken: bool) -> pd.DataFrame:
    frame = pd.DataFrame({
        "widget_id": [f"w{i}" for i in range(12)],
        "online_share": [i / 12 for i in range(12)],
        "country": ["CA", "UK"] * 6,
        "low": [float(i) for i in range(12)],
        "high": [float(i) + 1 for i in range(12)],
    })
    if broken:
        frame.loc[[3, 7], "online_share"] = [1.5, -0.2]
        frame.loc[5, "country"] = "FR"
        frame.loc[[1, 2], "widget_id"] = ["w9", "bad id"]
        frame.loc[8, "high"] = 0.0
        frame.loc[4, "low"] = None
    return frame


@pytest.mark.parametrize("broken", [False, True])
def test_the_validator_path_reports_what_the_checkpoint_path_reports(tmp_path, broken):
    """Issue 18: suites run through GX's validator with BASIC results, and a failing suite again
    with SUMMARY, instead of through a checkpoint with SUMMARY results for all. The report (pass,
    counts, every failed expectation with its kwargs, counts, observed value and sample rows) is
    the same, and both write the suite's three data docs pages."""
    suite = load_suite(write_suite(tmp_path / "suites", MIXED))
    frame = mixed(broken)
    fast = validate_frame(frame, suite, tmp_path / "fast")
    reference = validate_frame(frame, suite, tmp_path / "reference", checkpoint=True)
    assert fast.passed is reference.passed is (not broken)
    assert (fast.evaluated, fast.successful) == (reference.evaluated, reference.successful)
    assert fast.failures == reference.failures
    if broken:
        assert {f.expectation for f in fast.failures} == {
            "expect_column_values_to_be_unique", "expect_column_values_to_be_between",
            "expect_column_values_to_be_in_set", "expect_column_values_to_match_regex",
            "expect_column_pair_values_a_to_be_greater_than_b",
            "expect_compound_columns_to_be_unique", "expect_column_values_to_not_be_null"}
        assert all(f.sample_rows for f in fast.failures)
    for folder in ("fast", "reference"):
        site = tmp_path / folder / "marts.fct_widget"
        assert (site / "index.html").is_file()
        assert list((site / "expectations").rglob("*.html")) and list((site / "validations").rglob("*.html"))


# MIXED and the other kinds the project's suites use, one of them allowing some rows to fail.
EVERY_KIND = {**MIXED, "expectations": [
    *MIXED["expectations"],
    {"type": "expect_table_columns_to_match_set",
     "kwargs": {"column_set": ["widget_id", "online_share", "country", "low", "high"], "exact_match": True}},
    {"type": "expect_column_values_to_be_null",
     "kwargs": {"column": "low", "row_condition": 'country=="FR"', "condition_parser": "pandas"}},
    {"type": "expect_table_row_count_to_equal", "kwargs": {"value": 12}},
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "high", "min_value": 1, "max_value": 12, "mostly": 0.9}},
]}


def without_and_with(manager, definition: dict, tmp_path: Path, broken: bool, result_format: dict,
                     after_each) -> list[dict]:
    """GX's validator's full results for suite `definition` on mixed(broken), without and then
    with `manager()` around the validation; `after_each()` runs after each. The one field that
    differs between any two validations (when GX loaded the batch) is removed."""
    from great_expectations.validator.v1_validator import Validator

    suite = build_gx_suite(load_suite(write_suite(tmp_path / "suites", definition)))
    context = gx_context()
    batch = _batch_definition(context, "atlas.test_without_and_with")
    results = []
    try:
        for kept in (False, True):
            validator = Validator(batch_definition=batch, batch_parameters={"dataframe": mixed(broken)},
                                  result_format=result_format)
            with manager() if kept else contextlib.nullcontext():
                results.append(validator.validate_expectation_suite(suite).to_json_dict())
            after_each()
    finally:
        context.data_sources.get(_DATASOURCE).delete_asset("atlas.test_without_and_with")
    for result in results:
        assert result["meta"]["batch_markers"].pop("ge_load_time")
    return results


@pytest.mark.parametrize("broken", [False, True])
@pytest.mark.parametrize("result_format", [PASS_FORMAT, PASS_FORMAT_MOSTLY, FAILURE_FORMAT])
def test_keeping_gx_configurations_for_a_validation_changes_no_result(tmp_path, broken, result_format):
    """Issue 18: while a suite validates, each expectation object's configuration is built once
    (`configurations_kept`) instead of on every access. GX's validator gives the same results, to
    the last field, as without it; GX's own property is back afterwards, also when the block
    raises."""
    from great_expectations.expectations.expectation import Expectation

    built = Expectation.__dict__["configuration"]

    def restored() -> None:
        assert Expectation.__dict__["configuration"] is built

    plain, kept = without_and_with(configurations_kept, EVERY_KIND, tmp_path, broken, result_format, restored)
    assert plain["success"] is (not broken)
    assert len(plain["results"]) == len(EVERY_KIND["expectations"])
    assert kept == plain
    with pytest.raises(RuntimeError), configurations_kept():
        assert Expectation.__dict__["configuration"] is not built
        raise RuntimeError("a suite stopped half way")
    assert Expectation.__dict__["configuration"] is built


# EVERY_KIND with a second expectation on each of its two row conditions.
REPEATED_CONDITIONS = {**EVERY_KIND, "expectations": [
    *EVERY_KIND["expectations"],
    {"type": "expect_column_values_to_be_between",
     "kwargs": {"column": "low", "min_value": 0, "max_value": 11, "row_condition": 'country=="CA"',
                "condition_parser": "pandas"}},
    {"type": "expect_column_values_to_not_be_null",
     "kwargs": {"column": "high", "row_condition": 'country=="FR"', "condition_parser": "pandas"}},
]}


@pytest.mark.parametrize("broken", [False, True])
@pytest.mark.parametrize("result_format", [PASS_FORMAT, PASS_FORMAT_MOSTLY, FAILURE_FORMAT])
def test_keeping_row_filters_for_a_validation_changes_no_result(tmp_path, monkeypatch, broken, result_format):
    """Issue 18: while a suite validates, each row condition filters the frame once
    (`row_filters_kept`) instead of once for every metric of every expectation that names it. GX's
    validator gives the same results, to the last field, as without it; pandas' query runs once per
    distinct condition instead of many times; GX's own method is back afterwards, also when the
    block raises."""
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

    original = PandasExecutionEngine.__dict__["_apply_row_condition_filter"]
    queries: list[str] = []
    counts: list[list[str]] = []
    query = pd.DataFrame.query

    def counted(self, expr, *args, **kwargs):
        queries.append(expr)
        return query(self, expr, *args, **kwargs)

    def counted_and_restored() -> None:
        counts.append(sorted(queries))
        queries.clear()
        assert PandasExecutionEngine.__dict__["_apply_row_condition_filter"] is original

    monkeypatch.setattr(pd.DataFrame, "query", counted)
    plain, kept = without_and_with(row_filters_kept, REPEATED_CONDITIONS, tmp_path, broken, result_format,
                                   counted_and_restored)
    assert plain["success"] is (not broken)
    assert len(plain["results"]) == len(REPEATED_CONDITIONS["expectations"])
    assert kept == plain
    assert counts[1] == ['country=="CA"', 'country=="FR"']
    assert len(counts[0]) > 2 * len(counts[1])
    with pytest.raises(RuntimeError), row_filters_kept():
        assert PandasExecutionEngine.__dict__["_apply_row_condition_filter"] is not original
        raise RuntimeError("a suite stopped half way")
    assert PandasExecutionEngine.__dict__["_apply_row_condition_filter"] is original


def test_page_views_share_one_jinja_environment_and_render_what_gx_renders(tmp_path):
    """Issue 18: the data docs page views of a process share one Jinja environment per view class
    (templates read once), and a page they render is GX's own view's page, but for the time stamps
    and random element ids that differ between any two renderings."""
    from great_expectations.render.renderer import ValidationResultsPageRenderer
    from great_expectations.render.view import DefaultJinjaIndexPageView, DefaultJinjaPageView
    from great_expectations.validator.v1_validator import Validator

    from quality.gx_views import IndexPageView, PageView

    suite = build_gx_suite(load_suite(write_suite(tmp_path / "suites", MIXED)))
    context = gx_context()
    batch = _batch_definition(context, "atlas.test_shared_views")
    try:
        result = Validator(batch_definition=batch, batch_parameters={"dataframe": mixed(True)},
                           result_format=FAILURE_FORMAT).validate_expectation_suite(suite)
    finally:
        context.data_sources.get(_DATASOURCE).delete_asset("atlas.test_shared_views")

    def page(view) -> str:  # rendering changes its document in place: a new document for each view
        html = view.render(ValidationResultsPageRenderer().render(result))
        html = re.sub(r"\d{8}T\d{6}\.\d{6}Z", "<time>", html)
        return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "<uuid>", html)

    first, second = PageView(), PageView()
    assert first.env is second.env
    assert IndexPageView().env is IndexPageView().env is not first.env
    assert not first.env.auto_reload
    stock = page(DefaultJinjaPageView())
    assert "expect_column_values_to_be_in_set" in stock or "values must belong to this set" in stock
    assert page(first) == page(second) == stock
    assert DefaultJinjaIndexPageView().env is not DefaultJinjaIndexPageView().env  # GX itself unchanged


def test_gx_static_files_are_linked_once_per_docs_folder_and_localising_does_not_write_through(tmp_path):
    """Issue 18: GX copied its 4 MB of static files into every suite's site on every build. A site
    now gets hard links to one copy per data docs folder, once; the style sheet that localising
    rewrites is replaced in its site, so the shared copy and GX's package keep the original."""
    import os

    import great_expectations.render.view

    from quality.gx_views import SHARED_STATIC, STATIC_STAMP

    docs = tmp_path / "docs"
    for name in ("marts.fct_widget", "marts.fct_gadget"):
        suite = load_suite(write_suite(tmp_path / "suites", dict(SUITE, name=name)))
        assert validate_frame(widgets(), suite, docs).passed
    package = Path(great_expectations.render.view.__file__).parent / "static"
    (shared,) = (docs / SHARED_STATIC).glob("*/static")
    logo, css = Path("images") / "logo-long.png", Path("styles") / "data_docs_default_styles.css"
    for name in ("marts.fct_widget", "marts.fct_gadget"):
        static = docs / name / "static"
        assert os.path.samefile(static / logo, shared / logo)
        assert (static / css).read_bytes() != (package / css).read_bytes()  # localised in its site
        assert (static / STATIC_STAMP).is_file()
    assert (shared / css).read_bytes() == (package / css).read_bytes()

    # a second run keeps the site's static files and writes only this run's pages
    site = docs / "marts.fct_widget"
    before = (site / "static" / logo).stat().st_ino
    suite = load_suite(write_suite(tmp_path / "suites", dict(SUITE, name="marts.fct_widget")))
    validate_frame(widgets(), suite, docs)
    assert (site / "static" / logo).stat().st_ino == before
    assert len(list((site / "validations").rglob("*.html"))) == 1


def test_the_warm_up_leaves_no_site_or_data_asset_in_the_shared_context(tmp_path):
    """Issue 18: a run warms GX up on a one-row suite while dbt runs (quality.expectations.preload);
    the shared context must not keep that suite's data docs site or data asset."""
    from quality import expectations

    context = expectations.gx_context()
    sites = set(context.variables.data_docs_sites or {})
    assets = {a.name for a in context.data_sources.get("atlas").assets}
    expectations._warm_up()
    assert set(context.variables.data_docs_sites or {}) == sites
    assert {a.name for a in context.data_sources.get("atlas").assets} == assets
    suite = load_suite(write_suite(tmp_path / "suites", SUITE))
    assert validate_frame(widgets(), suite, tmp_path / "docs").passed


def test_a_passing_expectation_that_allows_some_rows_still_lists_them_in_its_page(tmp_path):
    """A suite is first validated without unexpected values (a passing expectation has none),
    except where an expectation allows some (`mostly`): its page must still list them."""
    from quality.expectations import PASS_FORMAT, PASS_FORMAT_MOSTLY, pass_format

    lenient = dict(SUITE, expectations=[
        {"type": "expect_column_values_to_be_between",
         "kwargs": {"column": "online_share", "min_value": 0, "max_value": 1, "mostly": 0.7}}])
    assert pass_format(SUITE) is PASS_FORMAT and pass_format(lenient) is PASS_FORMAT_MOSTLY
    parameter = {"expectations": [{"type": "x", "kwargs": {"mostly": {"$PARAMETER": "share"}}}]}
    assert pass_format(parameter) is PASS_FORMAT_MOSTLY
    report = validate_frame(widgets({(2, "online_share"): 1.7}), load_suite(write_suite(tmp_path / "s", lenient)),
                            tmp_path / "docs")
    assert report.passed
    (page,) = (tmp_path / "docs" / "marts.fct_widget" / "validations").rglob("*.html")
    assert "1.7" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("where", ["", "WHERE false"])
def test_a_table_read_through_arrow_is_the_frame_duckdb_gives(where):
    """Issue 18: a suite's table is read with its text columns converted through Arrow (DuckDB's
    `.df()` made a Python string of every text value: 4.2 s of 4.6 s for fct_service_automation at
    100x). The frame must be `.df()`'s exactly: values, nulls, column order and pandas types, also
    for a text column without a value and for a table without rows."""
    from quality.expectations import read_frame

    con = duckdb.connect()
    con.execute("""
        CREATE TABLE t AS SELECT
            'k' || i AS key, CASE WHEN i % 3 = 0 THEN NULL ELSE 'v' || i END AS some_null,
            CAST(NULL AS VARCHAR) AS all_null, i AS n, CASE WHEN i % 2 = 0 THEN NULL ELSE i END AS n_null,
            CAST(i AS INTEGER) AS n32, i / 7 AS x, CASE WHEN i = 4 THEN NULL ELSE i / 3 END AS x_null,
            i % 2 = 0 AS flag, CASE WHEN i = 1 THEN NULL ELSE i > 2 END AS flag_null,
            DATE '2025-04-01' + CAST(i AS INTEGER) AS day, CAST(i AS DECIMAL(10, 2)) AS amount,
            'é ' || i || ' ✓' AS unicode
        FROM range(9) r(i)""")
    query = f"SELECT * FROM t {where}"
    expected = con.execute(query).df()
    con.execute("SELECT * FROM range(3)").fetchone()  # a result the caller left unfinished
    got = read_frame(con, query)
    pd.testing.assert_frame_equal(got, expected, check_exact=True)
    assert list(got.dtypes) == list(expected.dtypes)


def test_no_frame_is_kept_after_its_suite_has_run(tmp_path):
    """Issue 18: GX's pandas execution engine, shared by the suites of a process, kept the data of
    every batch it loaded; at 100x that was 2 GB of frames held by the run's process through publish
    and the exports. Once a suite has run, its frame must be free, pass or fail."""
    import gc
    import weakref

    suite = load_suite(write_suite(tmp_path / "suites", SUITE))
    for changes in (None, {(2, "online_share"): 1.7}):
        frame = widgets(changes)
        kept = weakref.ref(frame)
        validate_frame(frame, suite, tmp_path / "docs")
        del frame
        gc.collect()
        assert kept() is None
