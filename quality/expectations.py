"""Great Expectations suites on the published tables: find them, run them, write data docs.

One suite per table, as JSON in data_contracts/expectations/<schema>.<table>.json (GX 1.x suite
format: `name`, `expectations` of `{type, kwargs, meta}`, and `meta`). A suite whose `meta.optional`
is true is skipped while its table does not exist yet; any other suite fails when its table is
missing. The suites of a process share one ephemeral GX context with the pandas datasource (GX over
SQL on DuckDB fails on every metric with duckdb-engine), no network and no analytics, made when
the first suite runs (GX takes seconds to import); each suite removes what it added to it. A
suite runs through GX's validator, not a checkpoint (`_run_validator`), with BASIC results, and
again with SUMMARY only when it fails (for the offending rows' sample); while it validates, GX's
expectation configurations and row-condition filters are made once each (`configurations_kept`,
`row_filters_kept`). Data docs pages are
rendered with GX's views, their templates compiled once per process, and GX's static files linked
from one copy (quality/gx_views.py). The data docs work offline: every page's CDN stylesheets,
scripts and fonts point at local copies in <data docs>/_static/ (quality/web_assets.py).

No Dagster import here: the asset checks in orchestration/assets/expectations.py wrap these.
"""

from __future__ import annotations

import contextlib
import gc
import html
import json
import os
import re
import shutil
import sys
import tempfile
import threading
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ingestion.settings import EXPECTATIONS_DIR as EXPECTATIONS_DIR  # the default suites folder
from ingestion.settings import expectations_dir
from quality.web_assets import localise_site

SAMPLE_ROWS = 5
_SUITE_FILE = re.compile(r"^(?P<schema>[a-z][a-z0-9_]*)\.(?P<table>[a-z_][a-z0-9_]*)\.json$")


@dataclass(frozen=True)
class Suite:
    """One expectation suite file: the table it checks and whether that table may be absent."""

    schema: str
    table: str
    path: Path
    optional: bool
    description: str

    @property
    def name(self) -> str:
        return f"{self.schema}.{self.table}"

    def definition(self) -> dict[str, Any]:
        """The suite as GX reads it (read afresh, so an edited file counts on the next run)."""
        return json.loads(self.path.read_text(encoding="utf-8"))


def load_suite(path: Path) -> Suite:
    """Read a suite file; its file name must be <schema>.<table>.json and match its `name`."""
    match = _SUITE_FILE.match(path.name)
    if not match:
        raise ValueError(
            f"{path}: an expectation suite file is named <schema>.<table>.json in snake_case"
        )
    raw = json.loads(path.read_text(encoding="utf-8"))
    expected = f"{match['schema']}.{match['table']}"
    if raw.get("name") != expected:
        raise ValueError(f"{path.name}: suite name is {raw.get('name')!r}, expected {expected!r}")
    if not raw.get("expectations"):
        raise ValueError(f"{path.name}: the suite has no expectations")
    meta = raw.get("meta") or {}
    return Suite(
        schema=match["schema"],
        table=match["table"],
        path=path,
        optional=bool(meta.get("optional", False)),
        description=str(meta.get("description", "")),
    )


def discover_suites(directory: Path | None = None) -> list[Suite]:
    """Every suite in the folder, sorted by table name."""
    directory = directory or expectations_dir()
    if not directory.is_dir():
        return []
    return [load_suite(p) for p in sorted(directory.glob("*.json"))]


@dataclass(frozen=True)
class FailedExpectation:
    """One expectation that did not hold, with what was seen and a sample of offending rows."""

    expectation: str
    column: str | None
    kwargs: dict[str, Any]
    why: str
    unexpected_count: int | None
    unexpected_percent: float | None
    observed_value: Any
    sample_rows: list[dict[str, str]]

    def summary(self) -> str:
        args = ", ".join(f"{k}={v}" for k, v in self.kwargs.items() if k != "column")
        where = f" on column {self.column!r}" if self.column else ""
        seen = (
            f"{self.unexpected_count} offending rows"
            if self.unexpected_count is not None
            else f"observed {self.observed_value!r}"
        )
        return f"{self.expectation}{where} ({args}): {seen}"


@dataclass
class ValidationReport:
    """The outcome of one suite on one table."""

    suite: str
    passed: bool
    skipped: bool = False
    reason: str = ""
    rows: int | None = None
    evaluated: int = 0
    successful: int = 0
    failures: list[FailedExpectation] = field(default_factory=list)
    docs_index: Path | None = None

    def message(self) -> str:
        if self.skipped:
            return f"{self.suite}: skipped ({self.reason})"
        if self.passed:
            return f"{self.suite}: {self.successful}/{self.evaluated} expectations met on {self.rows} rows"
        if self.reason:
            return f"{self.suite}: FAILED, {self.reason}"
        return f"{self.suite}: FAILED {len(self.failures)} of {self.evaluated} expectations: " + "; ".join(
            f.summary() for f in self.failures
        )

    def as_dict(self) -> dict[str, Any]:
        return {
            "suite": self.suite,
            "passed": self.passed,
            "skipped": self.skipped,
            "reason": self.reason,
            "rows": self.rows,
            "evaluated": self.evaluated,
            "successful": self.successful,
            "failures": [f.__dict__ for f in self.failures],
        }


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "null" if text in ("nan", "NaT", "<NA>", "None") else text[:200]


def _sample(frame: Any, result: dict[str, Any]) -> list[dict[str, str]]:
    # GX reports pandas index labels of the offending rows (the frame keeps its RangeIndex).
    indices = result.get("partial_unexpected_index_list") or []
    labels = [i for i in indices if not isinstance(i, dict) and i in frame.index][:SAMPLE_ROWS]
    if not labels:
        return []
    return [
        {str(k): _cell(v) for k, v in row.items()}
        for row in frame.loc[labels].to_dict(orient="records")
    ]


def build_gx_suite(suite: Suite) -> Any:
    """The GX ExpectationSuite of a suite file; raises ValueError on an expectation GX does not
    know (GX itself only logs those and drops them, which would silently weaken the suite)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx

    definition = suite.definition()
    expectations = definition["expectations"]
    gx_suite = gx.ExpectationSuite(
        name=definition["name"], expectations=expectations, meta=definition.get("meta") or {}
    )
    if len(gx_suite.expectations) != len(expectations):
        built = {e.expectation_type for e in gx_suite.expectations}
        dropped = sorted({str(e.get("type")) for e in expectations} - built)
        raise ValueError(
            f"{suite.path.name}: Great Expectations rejected expectation(s) {dropped}; "
            "check the type names (lower case, e.g. expect_column_pair_values_a_to_be_greater_than_b) "
            "and their kwargs"
        )
    return gx_suite


# Data docs sites name these views and site builder (quality/gx_views.py): GX's own, with page
# templates compiled once and static files copied once.
_VIEWS = "quality.gx_views"
_DATASOURCE = "atlas"
_GX_LOCK = threading.Lock()
_GX_CONTEXT: Any = None


_PRELOAD: threading.Thread | None = None


def _import_great_expectations() -> None:
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    # A failed import or warm-up is raised where the module is used (gx_context), not in this thread.
    with contextlib.suppress(Exception):
        import great_expectations  # noqa: F401

        _warm_up()


_WARM_UP = "atlas.warm_up"


def _warm_up() -> None:
    """A one-row suite with its data docs, in a temporary folder, then removed from the context:
    the context made, GX's validator and renderers imported and the page templates compiled before
    the first real suite, which paid about 0.1 s for them (issue 18)."""
    import pandas as pd

    with tempfile.TemporaryDirectory(prefix="atlas-gx-") as tmp:
        path = Path(tmp) / f"{_WARM_UP}.json"
        path.write_text(json.dumps({"name": _WARM_UP, "expectations": [
            {"type": "expect_column_values_to_not_be_null", "kwargs": {"column": "x"}}]}), encoding="utf-8")
        validate_frame(pd.DataFrame({"x": [1]}), load_suite(path), Path(tmp) / "docs")
    with _GX_LOCK:
        context = gx_context()
        with contextlib.suppress(Exception):
            context.delete_data_docs_site(_WARM_UP)
        with contextlib.suppress(Exception):
            context.data_sources.get(_DATASOURCE).delete_asset(_WARM_UP)


def preload() -> threading.Thread | None:
    """Start importing Great Expectations in a background thread, once per process, and return
    the thread (None when something else imported it). Importing it takes about 3 s of one core; a run
    starts this while its dbt step waits for the dbt process, so that the first suite does not pay
    for it (issue 18); the thread then warms GX up on a one-row suite (`_warm_up`). The first
    suite's `import` waits for the thread if it is still importing (Python's import lock), and a
    failed import fails there."""
    global _PRELOAD
    if _PRELOAD is None:
        if "great_expectations" in sys.modules:
            return None
        _PRELOAD = threading.Thread(target=_import_great_expectations, name="import-great-expectations",
                                    daemon=True)
        _PRELOAD.start()
    return _PRELOAD


def gx_context() -> Any:
    """The process's Great Expectations context: ephemeral, no progress bars, with the pandas
    datasource. Made on first use and kept for every later suite of the process (a run's checks
    share it; issue 18). A suite leaves only its data asset and data docs site in it: its suite,
    validation, checkpoint and results are removed once it has run (_forget)."""
    global _GX_CONTEXT
    if _GX_CONTEXT is None:
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        # An ephemeral context keeps its configuration in memory, yet every datasource, asset,
        # batch definition and data docs site added to it makes GX write the whole configuration
        # out as YAML to an in-memory store that nothing reads back: 52 times for a run's 17
        # suites, a quarter of the checks' time, growing with each suite (issue 18). Skip that.
        context._save_project_config = lambda: None
        context.data_sources.add_pandas(_DATASOURCE)
        _GX_CONTEXT = context
    return _GX_CONTEXT


def _site_config(site: Path) -> dict[str, Any]:
    """One suite's data docs site in folder `site`, with the compiled-once page views and the site
    builder that copies GX's static files once (quality/gx_views.py)."""
    page = {"view": {"module_name": _VIEWS, "class_name": "PageView"}}
    return {
        "module_name": _VIEWS,
        "class_name": "SiteBuilder",
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site)},
        "site_index_builder": {
            "class_name": "DefaultSiteIndexBuilder",
            "view": {"module_name": _VIEWS, "class_name": "IndexPageView"},
        },
        "site_section_builders": {"expectations": page, "validations": page, "profiling": page},
    }


def _forget(context: Any, name: str) -> None:
    """Remove what a suite's run added to the shared context (whatever exists of it): its suite,
    validation, checkpoint and results, and the frame GX keeps of its batch. Its data asset and data
    docs site stay registered: they hold no data (the frame is passed at run time), and adding them
    again would make GX serialise its whole configuration each time."""
    for delete in (context.checkpoints.delete, context.validation_definitions.delete, context.suites.delete):
        with contextlib.suppress(Exception):
            delete(name)
    store = context.validation_results_store
    for key in store.list_keys():
        store.remove_key(key)
    # The pandas datasource's execution engine, kept for the process, keeps the data of every batch
    # it loaded: each suite's whole frame, 2 GB at 100x held through publish and the exports (issue
    # 18). Suites run one at a time (_GX_LOCK): none needs another's.
    manager = context.data_sources.get(_DATASOURCE).get_execution_engine().batch_manager
    manager.batch_data_cache.clear()
    manager.reset_batch_cache()


def _batch_definition(context: Any, name: str) -> Any:
    """The suite's whole-frame batch definition on the pandas datasource, added on first use."""
    datasource = context.data_sources.get(_DATASOURCE)
    try:
        asset = datasource.get_asset(name)
    except LookupError:
        asset = datasource.add_dataframe_asset(name)
    try:
        return asset.get_batch_definition("whole_table")
    except (KeyError, LookupError):
        return asset.add_batch_definition_whole_dataframe("whole_table")


def _docs_site(context: Any, name: str, site: Path) -> None:
    """Register the suite's data docs site (site name: the suite) in folder `site`."""
    config = _site_config(site)
    sites = context.variables.data_docs_sites or {}
    if name not in sites:
        context.add_data_docs_site(site_name=name, site_config=config)
    elif sites[name] != config:
        context.update_data_docs_site(site_name=name, site_config=config)


# A suite is validated with GX's BASIC results (each expectation's observed value, unexpected count
# and percent: what the data docs pages show); only a suite that fails is validated again with
# SUMMARY, whose index list of offending rows gives the sample rows. SUMMARY on every suite cost
# about 60% more (issue 18), for lists that a passing suite leaves empty. A passing expectation has
# no unexpected values to list unless it allows some (`mostly`), so BASIC asks for none (another 15%)
# unless the suite has such an expectation.
PASS_FORMAT = {"result_format": "BASIC", "partial_unexpected_count": 0}
PASS_FORMAT_MOSTLY = {"result_format": "BASIC", "partial_unexpected_count": SAMPLE_ROWS}
FAILURE_FORMAT = {"result_format": "SUMMARY", "partial_unexpected_count": SAMPLE_ROWS}


def pass_format(definition: dict[str, Any]) -> dict[str, Any]:
    """The result format of a suite's first validation: PASS_FORMAT, or PASS_FORMAT_MOSTLY when an
    expectation lets some rows fail (`mostly` below 1), whose values the pages then list."""
    def allows(expectation: dict[str, Any]) -> bool:
        mostly = (expectation.get("kwargs") or {}).get("mostly")
        # a suite parameter ({"$PARAMETER": ...}) is known only at run time: assume it allows some
        return mostly is not None and not (isinstance(mostly, int | float) and mostly >= 1)

    return PASS_FORMAT_MOSTLY if any(allows(e) for e in definition.get("expectations", [])) else PASS_FORMAT


def _suite_site(context: Any, suite: Suite, docs_dir: Path | None) -> Path | None:
    """The suite's data docs site folder, emptied and registered (None without docs_dir)."""
    if docs_dir is None:
        return None
    site = docs_dir / suite.name
    if site.is_dir():  # this run's pages only; GX's static files stay (quality.gx_views.SiteBuilder)
        for child in site.iterdir():
            if child.is_dir() and child.name != "static":
                shutil.rmtree(child)
            elif not child.is_dir():
                child.unlink()
    _docs_site(context, suite.name, site)
    return site


def _run_validator(frame: Any, suite: Suite, docs_dir: Path | None) -> tuple[Any, Path | None]:
    """One suite on one frame through GX's validator, without a checkpoint or validation
    definition: the result, and its data docs site folder when docs_dir is given.

    A checkpoint's run checks that its validation definition, suite and batch definition are
    stored unchanged ("freshness"), serialises them to identify the run, and validates with one
    result format for all; none of that changes a result. Here the suite is validated with
    `pass_format` and, only when it fails, again with FAILURE_FORMAT; the result is stored, and the
    pages built, as the checkpoint's data docs action does. The same pass or failure, counts,
    failed expectations and sample rows as `_run_checkpoint` (tests/unit/test_expectations.py)."""
    from great_expectations.core.run_identifier import RunIdentifier
    from great_expectations.data_context.types.resource_identifiers import (
        ExpectationSuiteIdentifier,
        ValidationResultIdentifier,
    )
    from great_expectations.validator.v1_validator import Validator

    context = gx_context()
    _forget(context, suite.name)
    site = _suite_site(context, suite, docs_dir)
    try:
        batch = _batch_definition(context, suite.name)
        gx_suite = build_gx_suite(suite)
        parameters = {"dataframe": frame}
        validator = Validator(batch_definition=batch, batch_parameters=parameters,
                              result_format=pass_format(suite.definition()))
        with configurations_kept(), row_filters_kept():
            result = validator.validate_expectation_suite(gx_suite)
        if not result.success:
            validator = Validator(batch_definition=batch, batch_parameters=parameters,
                                  result_format=FAILURE_FORMAT)
            with configurations_kept(), row_filters_kept():
                result = validator.validate_expectation_suite(gx_suite)
        if site is not None:
            run_id = RunIdentifier(run_time=datetime.now(UTC))
            result.meta.update(run_id=run_id, validation_time=run_id.run_time,
                               batch_parameters={"dataframe": "<DATAFRAME>"})
            suite_id = ExpectationSuiteIdentifier(name=gx_suite.name)
            result_id = ValidationResultIdentifier(
                expectation_suite_identifier=suite_id, run_id=run_id,
                batch_identifier=validator.active_batch_id,
            )
            context.suites.add(gx_suite)  # the suite's own page reads it from the store
            context.validation_results_store.store_validation_results(
                suite_validation_result=result, suite_validation_result_identifier=result_id,
                expectation_suite_identifier=suite_id,
            )
            context.build_data_docs(site_names=[suite.name], resource_identifiers=[result_id, suite_id],
                                    build_index=True)
    finally:
        _forget(context, suite.name)
    if site is not None:  # GX's pages load their CSS, scripts and fonts from CDNs: use local copies
        localise_site(site, docs_dir)
    return result, site


def _run_checkpoint(frame: Any, suite: Suite, docs_dir: Path | None) -> tuple[Any, Path | None]:
    """One suite on one frame through a GX checkpoint (SUMMARY results, the data docs action):
    the path `_run_validator` replaced, kept as the reference its unit tests compare with."""
    import great_expectations as gx

    context = gx_context()
    _forget(context, suite.name)
    site = _suite_site(context, suite, docs_dir)
    try:
        batch = _batch_definition(context, suite.name)
        gx_suite = context.suites.add(build_gx_suite(suite))
        validation = context.validation_definitions.add(
            gx.ValidationDefinition(name=suite.name, data=batch, suite=gx_suite)
        )
        actions = [gx.checkpoint.UpdateDataDocsAction(name="data_docs", site_names=[suite.name])] if site else []
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=suite.name, validation_definitions=[validation], actions=actions,
                          result_format=FAILURE_FORMAT)
        )
        outcome = checkpoint.run(batch_parameters={"dataframe": frame})
    finally:
        _forget(context, suite.name)
    if site is not None:
        localise_site(site, docs_dir)
    (result,) = outcome.run_results.values()
    return result, site


@contextlib.contextmanager
def configurations_kept() -> Any:
    """GX's `Expectation.configuration` kept per expectation object while one suite validates.

    GX 1.x builds an expectation's configuration afresh on every access (a pydantic `dict()` of
    the expectation, a new ExpectationConfiguration), and its validator reads it once per keyword
    of each metric it plans: about 15,000 builds for a run's 17 suites, a tenth of the checks' time
    (issue 18). The objects it reads them from are the ones GX makes for one validation (from the
    suite's configurations) and does not change while validating, so within one validation the
    first build serves every later access; the kept builds are dropped, and GX's own property put
    back, when the block ends, whatever happens in it. One suite validates at a time (_GX_LOCK).
    `_run_checkpoint` (the reference path) runs without it; tests/unit/test_expectations.py
    compares the two, and the validator's full results with and without it."""
    from great_expectations.expectations.expectation import Expectation

    built = Expectation.__dict__["configuration"]
    kept: dict[int, tuple[Any, Any]] = {}

    def configuration(self: Any) -> Any:
        entry = kept.get(id(self))
        if entry is None or entry[0] is not self:  # the object itself is kept: its id is not reused
            entry = kept[id(self)] = (self, built.fget(self))
        return entry[1]

    Expectation.configuration = property(configuration, doc=built.__doc__)
    try:
        yield
    finally:
        Expectation.configuration = built
        kept.clear()


@contextlib.contextmanager
def row_filters_kept() -> Any:
    """GX's pandas row-condition filter applied once per frame and condition while one suite
    validates.

    An expectation with a `row_condition` filters the frame with pandas' `DataFrame.query` for
    every metric it computes (its null count, its unexpected rows, its row count ...), each time
    parsing the condition again: 48 queries for the 13 conditioned expectations of a run's suites,
    about 3 ms each, most of them repeats (issue 18). Within one validation the frame does not
    change, and GX's metrics only read the records they are given (without a condition every
    metric is handed the same batch frame), so the first filtered frame serves every later request
    for the same frame and condition. The kept frames are dropped, and GX's method put back, when
    the block ends, whatever happens in it. Conditions GX passes as objects other than text or a
    dict are filtered as before. One suite validates at a time (_GX_LOCK); tests/unit/
    test_expectations.py compares the validator's full results with and without it."""
    from great_expectations.execution_engine.pandas_execution_engine import PandasExecutionEngine

    original = PandasExecutionEngine.__dict__["_apply_row_condition_filter"]
    kept: dict[tuple[Any, ...], tuple[Any, Any]] = {}

    def apply(self: Any, data: Any, row_condition: Any, domain_kwargs: dict[str, Any]) -> Any:
        if isinstance(row_condition, str):
            condition: tuple[Any, ...] = ("text", row_condition, domain_kwargs.get("condition_parser"))
        elif isinstance(row_condition, dict):
            condition = ("dict", json.dumps(row_condition, sort_keys=True, default=repr))
        else:
            return original(self, data, row_condition, domain_kwargs)
        key = (id(data), *condition)
        entry = kept.get(key)
        if entry is None or entry[0] is not data:  # the frame itself is kept: its id is not reused
            entry = kept[key] = (data, original(self, data, row_condition, domain_kwargs))
        return entry[1]

    PandasExecutionEngine._apply_row_condition_filter = apply
    try:
        yield
    finally:
        PandasExecutionEngine._apply_row_condition_filter = original
        kept.clear()


@contextlib.contextmanager
def _cycle_collector_paused() -> Any:
    """Python's cycle collector off while one suite runs. GX makes some hundred thousand
    short-lived objects a suite (pydantic models, metric configurations, page content), which set
    off collections that walk every tracked object of the process: in a run, also Dagster's
    definitions and the dbt manifest's (half a million objects). Reference counting still frees
    what the suite drops; the cycles it leaves are collected after it (issue 18: 0.1-0.3 s of the
    checks at 1x, measured in a process with the definitions loaded)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def validate_frame(frame: Any, suite: Suite, docs_dir: Path | None = None, *,
                   checkpoint: bool = False) -> ValidationReport:
    """Run a suite on a pandas DataFrame; write its data docs under docs_dir/<suite>/ when given.
    `checkpoint=True` runs it through a GX checkpoint instead (the reference path, slower)."""
    with _GX_LOCK, _cycle_collector_paused():
        outcome, site = (_run_checkpoint if checkpoint else _run_validator)(frame, suite, docs_dir)
    failures: list[FailedExpectation] = []
    stats = outcome.statistics
    evaluated = int(stats.get("evaluated_expectations", 0))
    successful = int(stats.get("successful_expectations", 0))
    for result in outcome.results:
        if result.success:
            continue
        config = result.expectation_config
        kwargs = {k: v for k, v in dict(config.kwargs).items() if k != "batch_id"}
        details = dict(result.result or {})
        if result.exception_info and result.exception_info.get("raised_exception"):
            details.setdefault("observed_value", result.exception_info.get("exception_message"))
        failures.append(
            FailedExpectation(
                expectation=config.type,
                column=kwargs.get("column"),
                kwargs=kwargs,
                why=str((config.meta or {}).get("why", "")),
                unexpected_count=details.get("unexpected_count"),
                unexpected_percent=details.get("unexpected_percent"),
                observed_value=details.get("observed_value"),
                sample_rows=_sample(frame, details),
            )
        )
    report = ValidationReport(
        suite=suite.name,
        passed=bool(outcome.success),
        rows=len(frame),
        evaluated=evaluated,
        successful=successful,
        failures=failures,
        docs_index=(site / "index.html") if site else None,
    )
    if docs_dir is not None:
        _record(docs_dir, report)
    return report


def validate_table(con: Any, suite: Suite, docs_dir: Path | None = None) -> ValidationReport:
    """Run a suite on its table in the DuckDB connection `con` (read into pandas)."""
    exists = con.execute(
        """SELECT count(*) FROM information_schema.tables
           WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?""",
        [suite.schema, suite.table],
    ).fetchone()[0]
    if not exists:
        report = ValidationReport(
            suite=suite.name,
            passed=suite.optional,
            skipped=suite.optional,
            reason=(
                "the table does not exist yet and the suite is optional"
                if suite.optional
                else f"table {suite.name} does not exist in the warehouse (suite {suite.path.name} is "
                "not optional: build the table, or set meta.optional in the suite)"
            ),
        )
        if docs_dir is not None:
            _record(docs_dir, report)
        return report
    quoted = f'"{suite.schema}"."{suite.table}"'  # both match _SUITE_FILE: letters, digits, _
    columns = columns_to_read(con, suite)
    listed = ", ".join(f'"{c}"' for c in columns)
    return validate_frame(read_frame(con, f"SELECT {listed} FROM {quoted}"), suite, docs_dir)


def read_frame(con: Any, query: str) -> Any:
    """A query's result as the pandas DataFrame DuckDB's `.df()` gives, its text columns converted
    through Arrow. `.df()` makes a Python string of every text value, which pandas then stores as
    Arrow-backed text again: the 7 text columns of fct_service_automation at 100x (2.6 million rows)
    took 4.2 s that way and 0.3 s through Arrow, the same frame (issue 18). The other columns are
    converted by DuckDB from the same Arrow table, keeping its pandas types (nullable integers and
    booleans); tests/unit/test_expectations.py compares the two on every type a suite reads."""
    import pandas as pd
    import pyarrow as pa

    # a cursor of its own: the caller's connection may hold a result it has not fetched to the end
    with con.cursor() as cursor:
        table = cursor.sql(query).to_arrow_table()
        names = table.schema.names
        # a text column without a value is an object column of None in `.df()`: DuckDB converts it
        text = [f.name for f in table.schema
                if (pa.types.is_string(f.type) or pa.types.is_large_string(f.type)
                    or pa.types.is_string_view(f.type))
                and table.column(f.name).null_count < table.num_rows]
        if not text:
            return cursor.from_arrow(table).df()
        rest = [name for name in names if name not in text]
        parts = [table.select(text).to_pandas()]
        if rest:
            parts.append(cursor.from_arrow(table.select(rest)).df())
    return pd.concat(parts, axis=1)[names]


# Expectations on the table's set of columns need every column; the others name theirs.
_TABLE_COLUMN_EXPECTATIONS = {
    "expect_table_columns_to_match_set", "expect_table_columns_to_match_ordered_list",
    "expect_table_column_count_to_equal", "expect_table_column_count_to_be_between",
    "expect_column_to_exist",
}
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
LONG_TEXT = 200  # characters: a sample row shows no more of a cell (_cell)


def referenced_columns(definition: dict[str, Any]) -> set[str] | None:
    """The columns a suite's expectations read (column, column_list, column_A/B and every name in
    a row_condition), or None when one of them needs the whole table's columns."""
    names: set[str] = set()
    for expectation in definition.get("expectations", []):
        if expectation.get("type") in _TABLE_COLUMN_EXPECTATIONS:
            return None
        kwargs = expectation.get("kwargs") or {}
        for key in ("column", "column_A", "column_B"):
            if isinstance(kwargs.get(key), str):
                names.add(kwargs[key])
        names.update(c for c in kwargs.get("column_list") or [] if isinstance(c, str))
        if isinstance(kwargs.get("row_condition"), str):
            names.update(_IDENTIFIER.findall(kwargs["row_condition"]))
    return names


def columns_to_read(con: Any, suite: Suite) -> list[str]:
    """The table's columns a suite's run reads: those its expectations reference, and every other
    column except long text (a value over LONG_TEXT characters), which no expectation reads and no
    sample row shows in full. The scoring tables repeat their parameter record (about 3,000
    characters) on every row: at 100x services, 2.6 million copies would take 8 GB in pandas, more
    in Great Expectations' copies of it, and the check would run out of memory (issue 18)."""
    schema = con.execute(
        """SELECT column_name, data_type FROM information_schema.columns
           WHERE table_catalog = current_database() AND table_schema = ? AND table_name = ?
           ORDER BY ordinal_position""",
        [suite.schema, suite.table],
    ).fetchall()
    referenced = referenced_columns(suite.definition())
    if referenced is None:
        return [name for name, _ in schema]
    text = [name for name, kind in schema if kind == "VARCHAR" and name not in referenced]
    long_text: set[str] = set()
    if text:
        lengths = ", ".join(f'max(length("{c}"))' for c in text)
        found = con.execute(f'SELECT {lengths} FROM "{suite.schema}"."{suite.table}"').fetchone()
        long_text = {c for c, n in zip(text, found, strict=True) if n is not None and n > LONG_TEXT}
    return [name for name, _ in schema if name not in long_text]


# --- the data docs landing page ----------------------------------------------------------------


def _record(docs_dir: Path, report: ValidationReport) -> None:
    docs_dir.mkdir(parents=True, exist_ok=True)
    status = report.as_dict() | {"validated_at": datetime.now(UTC).isoformat()}
    (docs_dir / f"{report.suite}.status.json").write_text(
        json.dumps(status, indent=2, default=str), encoding="utf-8"
    )
    write_docs_index(docs_dir)


def write_docs_index(docs_dir: Path) -> Path:
    """docs_dir/index.html: the latest result of every suite, linking to its GX data docs."""
    rows = []
    for path in sorted(docs_dir.glob("*.status.json")):
        status = json.loads(path.read_text(encoding="utf-8"))
        name = status["suite"]
        verdict = "skipped" if status["skipped"] else "passed" if status["passed"] else "FAILED"
        link = (
            f'<a href="{html.escape(name)}/index.html">{html.escape(name)}</a>'
            if (docs_dir / name / "index.html").is_file()
            else html.escape(name)
        )
        detail = status["reason"] or "; ".join(
            f"{f['expectation']} {f['column'] or ''}".strip() for f in status["failures"]
        )
        rows.append(
            f"<tr><td>{link}</td><td class='{verdict.lower()}'>{verdict}</td>"
            f"<td>{status['successful']}/{status['evaluated']}</td><td>{status['rows'] or ''}</td>"
            f"<td>{html.escape(status['validated_at'][:19])}</td><td>{html.escape(detail)}</td></tr>"
        )
    page = f"""<!doctype html>
<html><head><meta charset="utf-8"><title>Atlas data docs</title>
<style>body{{font-family:sans-serif;margin:2em}}td,th{{padding:4px 10px;text-align:left}}
.passed{{color:#176f2c}}.failed{{color:#b00020;font-weight:bold}}.skipped{{color:#777}}</style></head>
<body><h1>Public Service Automation Atlas: expectation suites</h1>
<p>Latest result of each Great Expectations suite (data_contracts/expectations/) on the build
warehouse. A failed suite stops the publish step.</p>
<table><tr><th>table</th><th>result</th><th>expectations met</th><th>rows</th><th>validated (UTC)</th>
<th>failed expectations</th></tr>
{chr(10).join(rows)}
</table></body></html>
"""
    index = docs_dir / "index.html"
    index.write_text(page, encoding="utf-8")
    return index
