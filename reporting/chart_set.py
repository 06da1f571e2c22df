"""The charts of one published version, and the command that draws them in a process of its own.

    python -m reporting.chart_set <inputs folder> <charts folder> [<part>]

`draw_charts` draws them in the calling process. The exports (reporting.exports) run this module as
a child process instead, beside the workbook they write: the inputs folder holds the frames as
Arrow IPC files (points.arrow, and calibration.arrow and sensitivity.arrow when the version has
those tables) and the titles' labels (labels.json); the command writes the charts into the charts
folder and the names it drew into the inputs folder (drawn.json). With a part (a key of PARTS) it
draws only that part's charts and names them in drawn-<part>.json: the exports run one process per
part when the services are few (reporting.exports.SPLIT_CHARTS_UP_TO). An error goes to standard
error with its traceback and the exit code is 1.

matplotlib is imported when charts are drawn, not when this module is imported: the exporting
process needs only the input and output helpers.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path

import polars as pl

FRAMES = ("points", "calibration", "sensitivity")
LABELS = "labels.json"
DRAWN = "drawn.json"
# Every chart file, in the order draw_charts names them.
CHARTS = ("matrix.png", "matrix.html", "value_by_organisation.png", "calibration.png", "sensitivity.png")
# The charts split between two processes, about equal in time at 1x and 10x (the page embeds the
# organisations' chart, so the two go together).
PARTS = {
    "page": ("value_by_organisation.png", "matrix.html", "calibration.png"),
    "figures": ("matrix.png", "sensitivity.png"),
}


def draw_charts(folder: Path, points: pl.DataFrame, calibration: pl.DataFrame | None,
                sensitivity: pl.DataFrame | None, *, publish_id: str, published_at: str,
                run_id: str, part: str | None = None) -> list[str]:
    """The charts of one published version in `folder`: the matrix (PNG and its offline page, from
    `points`, reporting.matrix.matrix_points), the value by organisation, the unit-cost calibration
    and the sensitivity's tornado charts (when their tables have rows); with `part` (a key of
    PARTS) only that part's. Returns the file names, in the order of CHARTS."""
    from reporting.charts import calibration_png, matrix_png, organisations_png, tornado_png
    from reporting.interactive import matrix_html

    if part is not None and part not in PARTS:
        raise ValueError(f"no chart part {part!r}: the parts are {', '.join(PARTS)}")
    wanted = set(CHARTS if part is None else PARTS[part])
    names = []
    if "value_by_organisation.png" in wanted:
        organisations_png(points, folder / "value_by_organisation.png",
                          title=f"Value of automating by organisation, published {publish_id}")
        names.append("value_by_organisation.png")
    if "matrix.png" in wanted:
        matrix_png(points, folder / "matrix.png",
                   title=f"Public Service Automation Atlas: probability x value, published {publish_id}")
        names.append("matrix.png")
    if "matrix.html" in wanted:
        matrix_html(points, folder / "matrix.html", title="Probability x value matrix",
                    subtitle=f"Published version {publish_id} ({published_at[:19]} UTC, run "
                             f"{run_id[:8]}); {points.height:,} services.",
                    organisations_png=folder / "value_by_organisation.png")
        names.append("matrix.html")
    if "calibration.png" in wanted and calibration is not None and calibration.height:
        calibration_png(calibration, folder / "calibration.png",
                        title=f"Unit-cost calibration (A207), published {publish_id}")
        names.append("calibration.png")
    if "sensitivity.png" in wanted and sensitivity is not None and sensitivity.height:
        tornado_png(sensitivity, folder / "sensitivity.png",
                    title=f"One-at-a-time sensitivity of the headline figures, published {publish_id}")
        names.append("sensitivity.png")
    return in_chart_order(names)


def in_chart_order(names: Iterable[str]) -> list[str]:
    """`names` (chart files) in the order of CHARTS."""
    drawn = set(names)
    return [name for name in CHARTS if name in drawn]


def write_chart_inputs(inputs: Path, points: pl.DataFrame, calibration: pl.DataFrame | None,
                       sensitivity: pl.DataFrame | None, labels: dict[str, str]) -> None:
    """What `draw_charts` needs, as files in `inputs` (an existing folder), for the command."""
    for name, frame in zip(FRAMES, (points, calibration, sensitivity), strict=True):
        if frame is not None:
            frame.write_ipc(inputs / f"{name}.arrow")
    (inputs / LABELS).write_text(json.dumps(labels), encoding="utf-8")


def _drawn_file(part: str | None) -> str:
    return DRAWN if part is None else f"drawn-{part}.json"


def read_chart_names(inputs: Path, part: str | None = None) -> list[str]:
    """The names the command drew (its drawn.json, or drawn-<part>.json, in `inputs`)."""
    return [str(n) for n in json.loads((inputs / _drawn_file(part)).read_text(encoding="utf-8"))]


def main(argv: list[str]) -> int:
    if len(argv) not in (2, 3) or (len(argv) == 3 and argv[2] not in PARTS):
        print(f"usage: python -m reporting.chart_set <inputs folder> <charts folder> [{'|'.join(PARTS)}]",
              file=sys.stderr)
        return 2
    inputs, folder = Path(argv[0]), Path(argv[1])
    part = argv[2] if len(argv) == 3 else None
    frames = [pl.read_ipc(inputs / f"{name}.arrow") if (inputs / f"{name}.arrow").is_file() else None
              for name in FRAMES]
    if frames[0] is None:
        print(f"no points.arrow in {inputs}", file=sys.stderr)
        return 2
    labels = json.loads((inputs / LABELS).read_text(encoding="utf-8"))
    names = draw_charts(folder, frames[0], frames[1], frames[2], part=part, **labels)
    (inputs / _drawn_file(part)).write_text(json.dumps(names), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
