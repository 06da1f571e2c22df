"""The charts of one published version, and the command that draws them in a process of its own.

    python -m reporting.chart_set <inputs folder> <charts folder>

`draw_charts` draws them in the calling process. The exports (reporting.exports) run this module as
a child process instead, beside the workbook they write: the inputs folder holds the frames as
Arrow IPC files (points.arrow, and calibration.arrow and sensitivity.arrow when the version has
those tables) and the titles' labels (labels.json); the command writes the charts into the charts
folder and the names it drew into the inputs folder (drawn.json). An error goes to standard error
with its traceback and the exit code is 1.

matplotlib is imported when charts are drawn, not when this module is imported: the exporting
process needs only the input and output helpers.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import polars as pl

FRAMES = ("points", "calibration", "sensitivity")
LABELS = "labels.json"
DRAWN = "drawn.json"


def draw_charts(folder: Path, points: pl.DataFrame, calibration: pl.DataFrame | None,
                sensitivity: pl.DataFrame | None, *, publish_id: str, published_at: str,
                run_id: str) -> list[str]:
    """The charts of one published version in `folder`: the matrix (PNG and its offline page, from
    `points`, reporting.matrix.matrix_points), the value by organisation, the unit-cost calibration
    and the sensitivity's tornado charts (when their tables have rows). Returns the file names."""
    from reporting.charts import calibration_png, matrix_png, organisations_png, tornado_png
    from reporting.interactive import matrix_html

    org = organisations_png(points, folder / "value_by_organisation.png",
                            title=f"Value of automating by organisation, published {publish_id}")
    matrix_png(points, folder / "matrix.png",
               title=f"Public Service Automation Atlas: probability x value, published {publish_id}")
    matrix_html(points, folder / "matrix.html", title="Probability x value matrix",
                subtitle=f"Published version {publish_id} ({published_at[:19]} UTC, run "
                         f"{run_id[:8]}); {points.height:,} services.",
                organisations_png=org)
    names = ["matrix.png", "matrix.html", "value_by_organisation.png"]
    if calibration is not None and calibration.height:
        calibration_png(calibration, folder / "calibration.png",
                        title=f"Unit-cost calibration (A207), published {publish_id}")
        names.append("calibration.png")
    if sensitivity is not None and sensitivity.height:
        tornado_png(sensitivity, folder / "sensitivity.png",
                    title=f"One-at-a-time sensitivity of the headline figures, published {publish_id}")
        names.append("sensitivity.png")
    return names


def write_chart_inputs(inputs: Path, points: pl.DataFrame, calibration: pl.DataFrame | None,
                       sensitivity: pl.DataFrame | None, labels: dict[str, str]) -> None:
    """What `draw_charts` needs, as files in `inputs` (an existing folder), for the command."""
    for name, frame in zip(FRAMES, (points, calibration, sensitivity), strict=True):
        if frame is not None:
            frame.write_ipc(inputs / f"{name}.arrow")
    (inputs / LABELS).write_text(json.dumps(labels), encoding="utf-8")


def read_chart_names(inputs: Path) -> list[str]:
    """The names the command drew (its drawn.json in `inputs`)."""
    return [str(n) for n in json.loads((inputs / DRAWN).read_text(encoding="utf-8"))]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m reporting.chart_set <inputs folder> <charts folder>", file=sys.stderr)
        return 2
    inputs, folder = Path(argv[0]), Path(argv[1])
    frames = [pl.read_ipc(inputs / f"{name}.arrow") if (inputs / f"{name}.arrow").is_file() else None
              for name in FRAMES]
    if frames[0] is None:
        print(f"no points.arrow in {inputs}", file=sys.stderr)
        return 2
    labels = json.loads((inputs / LABELS).read_text(encoding="utf-8"))
    names = draw_charts(folder, frames[0], frames[1], frames[2], **labels)
    (inputs / DRAWN).write_text(json.dumps(names), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
