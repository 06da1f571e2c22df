"""What `python -m orchestration run` shows while a run executes: one line per stage with its time
and counts, and everything else (Dagster's event log, dbt's output, library warnings) in a log file
whose path the summary prints.

Runs launched from the Dagster UI keep Dagster's own loggers; only the command line passes the
loggers below in its run config.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import dagster as dg

# steps whose lines are folded into one per stage (dozens of small steps)
FOLDED = {"raw": "landing", "expectations": "expectation suites"}
LABELS = {
    "atlas_dbt_models": "dbt build (models and tests)",
    "automation_model": "scoring: production model",
    "sensitivity_analysis": "scoring: sensitivity",
    "bottom_up_evidence": "scoring: pilot evidence",
    "service_access_risk": "scoring: access risk",
    "workforce_transitions": "scoring: workforce",
    "scoring__table_lineage": "lineage",
    "published__atlas": "publish",
    "exports__atlas": "exports",
}


def _stage(step_key: str) -> str:
    if step_key.startswith("raw__"):
        return "raw"
    if "expectation" in step_key:
        return "expectations"
    return step_key


@dataclass
class _Stage:
    label: str
    started: float
    steps: int = 0
    materialised: int = 0
    checks_passed: int = 0
    checks_failed: int = 0
    failed: list[str] = field(default_factory=list)


class StageLines(logging.Handler):
    """Folds Dagster's events into one line per stage, written to `out` when the stage ends."""

    def __init__(self, out: TextIO) -> None:
        super().__init__(level=logging.DEBUG)
        self.out = out
        self.current: _Stage | None = None
        self.current_key: str | None = None
        self.run_started = time.monotonic()

    def emit(self, record: logging.LogRecord) -> None:
        try:
            meta = getattr(record, "dagster_meta", None) or {}
            event = meta.get("dagster_event")
            if event is None or not event.step_key:
                return
            key, kind = _stage(event.step_key), event.event_type_value
            if kind == "STEP_START" and key != self.current_key:
                self.flush_stage()
                label = FOLDED.get(key) or LABELS.get(key) or event.step_key.replace("__", "/")
                self.current, self.current_key = _Stage(label, time.monotonic()), key
            stage = self.current
            if stage is None or key != self.current_key:
                return
            if kind == "STEP_START":
                stage.steps += 1
            elif kind == "ASSET_MATERIALIZATION":
                stage.materialised += 1
            elif kind == "ASSET_CHECK_EVALUATION":
                if event.event_specific_data.passed:
                    stage.checks_passed += 1
                else:
                    stage.checks_failed += 1
            elif kind == "STEP_FAILURE":
                error = event.event_specific_data.error
                while error is not None and error.cause is not None and "Failure" not in error.cls_name:
                    error = error.cause
                first = (error.message.strip().splitlines() or [""])[0] if error else ""
                stage.failed.append(f"{event.step_key}: {first[:300]}")
        except Exception:  # the display must never break the run
            self.handleError(record)

    def flush_stage(self) -> None:
        stage, self.current, self.current_key = self.current, None, None
        if stage is None:
            return
        seconds = time.monotonic() - stage.started
        parts = []
        if stage.steps > 1:
            parts.append(f"{stage.steps} steps")
        if stage.materialised:
            parts.append(f"{stage.materialised} tables")
        if stage.checks_passed or stage.checks_failed:
            parts.append(f"{stage.checks_passed}/{stage.checks_passed + stage.checks_failed} checks passed")
        mark = "FAILED" if stage.failed else "ok"
        self.out.write(f"  {stage.label:<34} {seconds:>5.0f} s  {mark:<6} {', '.join(parts)}\n")
        for failure in stage.failed[:3]:
            self.out.write(f"      {failure[:200]}{' ...' if len(failure) > 200 else ''}\n")
        if len(stage.failed) > 3:
            self.out.write(f"      ... and {len(stage.failed) - 3} more\n")
        self.out.flush()


def run_loggers(log_file: Path, out: TextIO) -> tuple[dict[str, dg.LoggerDefinition], dict, StageLines]:
    """The loggers of a command-line run and their run config: every record to `log_file`, one
    line per stage to `out`."""
    lines = StageLines(out)
    log_file.parent.mkdir(parents=True, exist_ok=True)

    @dg.logger(description="every Dagster record of the run, as text, to the run's log file")
    def atlas_file(init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.Logger("atlas.run.file", level=logging.DEBUG)
        handler = logging.FileHandler(log_file, encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        logger.addHandler(handler)
        return logger

    @dg.logger(description="one line per stage of the run, to the terminal")
    def atlas_stages(init_context: dg.InitLoggerContext) -> logging.Logger:
        logger = logging.Logger("atlas.run.stages", level=logging.DEBUG)
        logger.addHandler(lines)
        return logger

    loggers = {"atlas_file": atlas_file, "atlas_stages": atlas_stages}
    return loggers, {"loggers": {"atlas_file": {}, "atlas_stages": {}}}, lines


@contextlib.contextmanager
def quiet(log_file: Path) -> Iterator[TextIO]:
    """Within the block, what is printed (dbt's output) and Python warnings go to `log_file`; yields
    the real standard output for the lines the user should see."""
    terminal = sys.stdout
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as handle, contextlib.redirect_stdout(handle), \
            warnings.catch_warnings():
        warnings.simplefilter("default")

        def to_log(message, category, filename, lineno, file=None, line=None):
            handle.write(warnings.formatwarning(message, category, filename, lineno, line))

        warnings.showwarning = to_log
        yield terminal
