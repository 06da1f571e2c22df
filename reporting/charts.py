"""Static charts (PNG, matplotlib): the probability x value matrix and value by organisation.

The matrix has one panel per country: headline probability on x, gross value on a log y axis,
each service a point coloured by archetype, the quadrant thresholds (P >= A050; the country's top
quartile of value, A051) drawn and the number of services of each quadrant in its corner. The
first services of the priority list are labelled beside their points, in rank order, with their
Monte Carlo 5th-95th percentile interval on both axes (A052-A054); the labels are placed by
reporting/labels.py so that none covers another, a labelled point or a threshold. Services without
a value are shown apart, in a strip under the panel at their probability, with the reasons.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from reporting.labels import Box, place_labels  # noqa: E402
from reporting.matrix import (  # noqa: E402
    COUNTRY_NAMES,
    Panel,
    label_text,
    money,
    money_tick,
    no_value_reasons,
    no_value_services,
    panels,
    short,
    top_services,
    value_by_organisation,
)

LABELLED = 6
TOP_ORGANISATIONS = 15
SMALLEST_BAR = 0.01  # share of the largest bar under which a bar is named, not drawn
LABEL_FONT = 7.5
LABEL_PAD = 0.35  # padding of a label's box, in font sizes
NO_VALUE_COLOUR = "#777777"


def _money(value: float, _position: object = None) -> str:
    return money_tick(value)


@dataclass
class MatrixLayout:
    """What the matrix chart drew, for tests and callers: per country, the labelled services'
    keys (rank order) and the label boxes in display pixels (None: no free spot, not drawn)."""

    labels: dict[str, list[tuple[str, Box | None]]] = field(default_factory=dict)
    thresholds: dict[str, tuple[float, float | None]] = field(default_factory=dict)
    corners: dict[str, dict[str, str]] = field(default_factory=dict)


def _draw_panel(ax, rows: pl.DataFrame, panel: Panel, labelled: int, points: pl.DataFrame,
                layout: MatrixLayout) -> list:
    """Draw one country's matrix; return the labels still to place: (key, anchor, text)."""
    placed = rows.filter(pl.col("is_placed"))
    ax.set_title(panel.title, fontsize=11, loc="left")
    if placed.is_empty():
        ax.text(0.5, 0.5, "no service has both a probability and a value", ha="center",
                va="center", transform=ax.transAxes)
        return []
    top = top_services(points, panel.country_code, labelled)
    keys = set(top["service_key"].to_list())
    others = placed.filter(~pl.col("service_key").is_in(list(keys)))
    ax.scatter(others["headline_probability"].to_numpy(), others["value_gross"].to_numpy(),
               c=others["colour"].to_list(), s=11, alpha=0.75, linewidths=0.25, edgecolors="white", zorder=2)
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    v = placed["value_gross"].to_numpy()
    v05 = top["value_gross_p05"].fill_null(top["value_gross"]).to_numpy()
    v95 = top["value_gross_p95"].fill_null(top["value_gross"]).to_numpy()
    low = min(v.min(), v05.min() if len(v05) else v.min())
    high = max(v.max(), v95.max() if len(v95) else v.max())
    # a decade of room above the highest point: the labels of the first services go there
    ax.set_ylim(10 ** math.floor(math.log10(max(low, 1e-3))), 10 ** (math.ceil(math.log10(high)) + 1))
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.axvline(panel.probability_threshold, color="#444444", linestyle="--", linewidth=1, zorder=3)
    if panel.value_threshold:
        ax.axhline(panel.value_threshold, color="#444444", linestyle="--", linewidth=1, zorder=3)
    layout.thresholds[panel.country_code] = (panel.probability_threshold, panel.value_threshold)
    corners = {}
    for (x, y, ha, va), quadrant in zip(
        ((0.99, 0.99, "right", "top"), (0.99, 0.01, "right", "bottom"),
         (0.01, 0.99, "left", "top"), (0.01, 0.01, "left", "bottom")),
        ("automate_first", "quick_win", "augment", "monitor"), strict=True,
    ):
        corners[quadrant] = panel.corner(quadrant)
        ax.text(x, y, corners[quadrant], transform=ax.transAxes, ha=ha, va=va, fontsize=9,
                color="#333333", style="italic", zorder=6,
                bbox={"boxstyle": "round,pad=0.2", "fc": "white", "ec": "none", "alpha": 0.85})
    layout.corners[panel.country_code] = corners
    # the labelled services: their interval on both axes, then the point itself, outlined
    p = top["headline_probability"].to_numpy()
    tv = top["value_gross"].to_numpy()
    p05 = top["probability_p05"].fill_null(top["headline_probability"]).to_numpy()
    p95 = top["probability_p95"].fill_null(top["headline_probability"]).to_numpy()
    ax.hlines(tv, p05, p95, colors="#222222", linewidth=0.9, alpha=0.8, zorder=4)
    ax.vlines(p, np.maximum(v05, tv * 1e-3), v95, colors="#222222", linewidth=0.9, alpha=0.8, zorder=4)
    ax.scatter(p, tv, c=top["colour"].to_list(), s=42, linewidths=1.2, edgecolors="black", zorder=5)
    ax.set_ylabel(panel.value_label)
    ax.grid(True, which="major", color="#e3e3e3", linewidth=0.6)
    ax.tick_params(axis="x", labelbottom=False)
    return [(r["service_key"], (r["headline_probability"], r["value_gross"]),
             (r["priority_rank"], r["service_name"]))
            for r in top.iter_rows(named=True)]


def _draw_strip(ax, panel: Panel, points: pl.DataFrame) -> None:
    """The services without a value, apart: at their probability when they have one."""
    missing = no_value_services(points, panel.country_code)
    with_p = missing.filter(pl.col("headline_probability").is_not_null())
    n = missing.height
    ax.set_xlim(0, 1)
    ax.set_ylim(-1, 1)
    ax.set_yticks([])
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.axvline(panel.probability_threshold, color="#444444", linestyle="--", linewidth=1)
    if with_p.height:
        jitter = np.linspace(-0.5, 0.5, with_p.height) if with_p.height > 1 else np.zeros(1)
        ax.scatter(with_p["headline_probability"].to_numpy(), jitter, s=16, facecolors="none",
                   edgecolors=NO_VALUE_COLOUR, linewidths=0.9)
    ax.set_ylabel(f"no value\n{n:,}", rotation=0, ha="right", va="center", fontsize=8, color="#333333")
    ax.set_xlabel("probability that the service's labour can be automated (headline)")
    reasons = no_value_reasons(points, panel.country_code)
    if reasons:
        text = [f"{n:,} service{'' if n == 1 else 's'} without a value, so not ranked (at their probability above):"]
        for reason, count in reasons[:3]:
            text.extend(textwrap.wrap(f"{reason} ({count:,})", 105, subsequent_indent="    "))
        if len(reasons) > 3:
            text.append(f"and {len(reasons) - 3} other reasons (see matrix.html)")
    else:
        text = ["every service has a value: none is shown apart"]
    ax.annotate("\n".join(text), xy=(0, 0), xycoords="axes fraction", xytext=(0, -34),
                textcoords="offset points", ha="left", va="top", fontsize=7.5, color="#333333")


WRAPS = (30, 22, 16)  # characters per line of a label: wide first, then narrower and taller


def _label_sizes(fig, texts: list[str], renderer) -> list[tuple[float, float]]:
    """Each text's size in display pixels, with the padding of its box."""
    sizes = []
    pad = LABEL_PAD * LABEL_FONT * fig.dpi / 72
    for text in texts:
        t = fig.text(0, 0, text, fontsize=LABEL_FONT, linespacing=1.15)
        box = t.get_window_extent(renderer)
        t.remove()
        sizes.append((box.width + 2 * pad, box.height + 2 * pad))
    return sizes


def _place_panel_labels(fig, ax, pending: list, panel: Panel, rows: pl.DataFrame, layout: MatrixLayout,
                        renderer) -> None:
    if not pending:
        layout.labels[panel.country_code] = []
        return
    to_px = ax.transData.transform
    anchors = [tuple(to_px(xy)) for _, xy, _ in pending]
    placed = rows.filter(pl.col("is_placed"))
    pts = to_px(np.column_stack([placed["headline_probability"].to_numpy(), placed["value_gross"].to_numpy()]))
    bbox = ax.get_window_extent(renderer)
    inset = 4.0
    corner_h = 9 * fig.dpi / 72 * 1.9  # keep the corner texts readable
    bounds = Box(bbox.x0 + inset, bbox.y0 + corner_h, bbox.x1 - inset, bbox.y1 - corner_h)
    vx = to_px((panel.probability_threshold, 1.0))[0]
    hy = [to_px((0.5, panel.value_threshold))[1]] if panel.value_threshold else []
    texts = [[label_text(rank, name, width) for width in WRAPS] for _, _, (rank, name) in pending]
    sizes = [_label_sizes(fig, options, renderer) for options in texts]
    chosen = place_labels(anchors, sizes, bounds, points=[tuple(p) for p in pts],
                          vertical_lines=[vx], horizontal_lines=hy, gap=3.0, marker=6.0)
    to_data = ax.transData.inverted().transform
    pad = LABEL_PAD * LABEL_FONT * fig.dpi / 72
    boxes = []
    for (key, xy, _), options, spot in zip(pending, texts, chosen, strict=True):
        if spot is None:
            boxes.append((key, None))
            continue
        box, option = spot
        boxes.append((key, box))
        ex, ey = box.nearest(*to_px(xy))
        ax.annotate("", xy=xy, xytext=tuple(to_data((ex, ey))), textcoords="data", zorder=6,
                    arrowprops={"arrowstyle": "-", "color": "#333333", "linewidth": 0.6,
                                "shrinkA": 0, "shrinkB": 3})
        ax.text(*to_data((box.x0 + pad, box.y1 - pad)), options[option], fontsize=LABEL_FONT, linespacing=1.15,
                ha="left", va="top", zorder=7, gid=f"label-{key}",
                bbox={"boxstyle": f"square,pad={LABEL_PAD}", "fc": "white", "ec": "#888888", "alpha": 0.95,
                      "linewidth": 0.5})
    layout.labels[panel.country_code] = boxes


def draw_matrix(points: pl.DataFrame, *, title: str, dpi: int = 130, labelled: int = LABELLED):
    """The matrix figure and what it drew (MatrixLayout); matrix_png saves it."""
    country_panels = panels(points)
    width = max(1, len(country_panels))
    fig = plt.figure(figsize=(7.6 * width, 8.4), dpi=dpi)
    grid = fig.add_gridspec(2, width, height_ratios=(10, 1.0), hspace=0.04,
                            left=0.075, right=0.985, top=0.9, bottom=0.27, wspace=0.2)
    layout = MatrixLayout()
    pending = []
    for i, panel in enumerate(country_panels):
        ax = fig.add_subplot(grid[0, i])
        strip = fig.add_subplot(grid[1, i], sharex=ax)
        rows = points.filter(pl.col("country_code") == panel.country_code)
        pending.append((ax, _draw_panel(ax, rows, panel, labelled, points, layout), panel, rows))
        _draw_strip(strip, panel, points)
    legend = (
        points.filter(pl.col("is_placed")).select("archetype_name", "colour").unique().sort("archetype_name").iter_rows()
    )
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colour, markersize=6, label=name)
        for name, colour in legend
    ]
    handles.append(Line2D([], [], color="#444444", linestyle="--", label="quadrant thresholds"))
    handles.append(Line2D([], [], color="#222222", marker="o", markerfacecolor="white", markeredgecolor="black",
                          linewidth=0.9, label="labelled: first of the priority list, 5th-95th percentile"))
    handles.append(Line2D([], [], marker="o", linestyle="", markerfacecolor="none",
                          markeredgecolor=NO_VALUE_COLOUR, label="no value (strip under each panel)"))
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False,
               bbox_to_anchor=(0.5, 0.005))
    fig.suptitle(title, fontsize=13, x=0.01, ha="left")
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    for ax, labels, panel, rows in pending:
        _place_panel_labels(fig, ax, labels, panel, rows, layout, renderer)
    return fig, layout


def matrix_png(points: pl.DataFrame, path: Path, *, title: str, dpi: int = 130,
               labelled: int = LABELLED) -> Path:
    """Write the matrix chart (one panel per country) to `path` and return it."""
    fig, _layout = draw_matrix(points, title=title, dpi=dpi, labelled=labelled)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def organisation_label(name: str | None, width: int = 34) -> str:
    """An organisation's whole name, wrapped: a bilingual Canadian name (English | French) puts
    each language on its own lines, the English ending with a slash."""
    parts = [p.strip() for p in (name or "").split(" | ") if p.strip()] or [""]
    lines = []
    for i, part in enumerate(parts):
        wrapped = textwrap.wrap(part, width) or [""]
        if i < len(parts) - 1:
            wrapped[-1] += " /"  # English / French
        lines.extend(wrapped)
    return "\n".join(lines)


def organisations_png(points: pl.DataFrame, path: Path, *, title: str, top: int = TOP_ORGANISATIONS,
                      dpi: int = 130) -> Path:
    """Write the value-by-organisation chart: per country, the organisations with the largest
    gross value of automating, with the net value (what is not yet digital, A058) inside it. Each
    bar carries its figures, so that a bar too short to see still says what it is worth."""
    ranked = value_by_organisation(points, top)
    # a bar under 1% of the country's largest would be invisible: such organisations are named
    # under the panel with their figures instead
    ranked = ranked.with_columns(
        (pl.col("value_gross") >= pl.col("value_gross").max().over("country_code") * SMALLEST_BAR).alias("_drawn"))
    small = ranked.filter(~pl.col("_drawn"))
    ranked = ranked.filter(pl.col("_drawn"))
    countries = sorted(ranked["country_code"].unique().to_list())
    width = max(1, len(countries))
    labels = {c: [organisation_label(n, 27) for n in ranked.filter(pl.col("country_code") == c)["organisation_name"]]
              for c in countries}
    lines = max([sum(1 + lab.count("\n") for lab in v) for v in labels.values()] or [top])
    bars = max([len(v) for v in labels.values()] or [top])
    fig, axes = plt.subplots(1, width, figsize=(9.0 * width, 0.2 * lines + 0.3 * bars + 3.0), squeeze=False)
    for ax, country in zip(axes[0], countries, strict=False):
        rows = ranked.filter(pl.col("country_code") == country).reverse()
        names = list(reversed(labels[country]))
        y = np.arange(rows.height)
        gross = rows["value_gross"].to_numpy()
        net = rows["value_net"].to_numpy()
        ax.barh(y, gross, color="#88CCEE", edgecolor="#3a7ca5", linewidth=0.6, label="gross value")
        ax.barh(y, np.nan_to_num(net.astype(float), nan=0.0), color="#332288", height=0.45,
                label="net of what is already digital")
        high = float(np.nanmax(gross)) if rows.height else 1.0
        for yi, g, n in zip(y, gross, net, strict=True):
            net_text = "net n/a" if n is None or (isinstance(n, float) and math.isnan(n)) else f"net {money(n)}"
            ax.text(g + high * 0.01, yi, f"{money(g)} ({net_text})", va="center", ha="left", fontsize=7.5,
                    color="#222222")
        ax.set_yticks(y, names)
        ax.set_xlim(0, high * 1.32)  # room for the figures after the longest bar
        ax.set_ylim(-0.6, rows.height - 0.4)
        currency = rows["currency"][0] if rows.height else ""
        year = rows["price_year"][0] if rows.height else ""
        ax.set_xlabel(f"value of automating ({currency} a year, {year} prices)")
        ax.xaxis.set_major_formatter(FuncFormatter(_money))
        ax.tick_params(axis="y", labelsize=7.5)
        hidden = small.filter(pl.col("country_code") == country).height
        ax.set_title(f"{COUNTRY_NAMES.get(country, country)}: top {rows.height + hidden} organisations by value"
                     + (f" ({hidden} too small to draw, named below)" if hidden else ""),
                     fontsize=11, loc="left")
        ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
        ax.set_axisbelow(True)
        ax.legend(fontsize=8, loc="lower right", frameon=False)
        rest = small.filter(pl.col("country_code") == country)
        if rest.height:
            names = "; ".join(f"{organisation_label(r['organisation_name'], 200).splitlines()[0]} {money(r['value_gross'])}"
                              for r in rest.iter_rows(named=True))
            note = (f"Also in the top {top}, under 1% of the largest so not drawn: {names}.")
            ax.annotate("\n".join(textwrap.wrap(note, 95)), xy=(0, 0), xycoords="axes fraction", xytext=(0, -40),
                        textcoords="offset points", ha="left", va="top", fontsize=7.5, color="#333333")
    fig.suptitle(title, fontsize=13, x=0.01, ha="left")
    fig.tight_layout(rect=(0.01, 0.07 if small.height else 0.0, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def calibration_png(calibration: pl.DataFrame, path: Path, *, title: str, label: int = 8, dpi: int = 130) -> Path:
    """Write the unit-cost calibration chart (A207): reported against leave-one-out predicted cost
    per transaction of the UK services that report one, log-log, with the identity line and a
    factor-2 band; the services the model gets most wrong are named."""
    rows = calibration.filter(
        (pl.col("cost_per_transaction_gbp") > 0) & (pl.col("loo_predicted_cost_per_transaction_gbp") > 0)
    )
    fig, ax = plt.subplots(figsize=(7.5, 6.5))
    x = rows["cost_per_transaction_gbp"].to_list()
    y = rows["loo_predicted_cost_per_transaction_gbp"].to_list()
    ax.scatter(x, y, s=22, color="#08519c", alpha=0.8, label="UK service (leave-one-out prediction)")
    if x:
        low = min(min(x), min(y)) / 2
        high = max(max(x), max(y)) * 2
        ax.plot([low, high], [low, high], color="#444444", linewidth=0.8, label="prediction = reported")
        ax.fill_between([low, high], [low / 2, high / 2], [low * 2, high * 2], color="#dddddd", alpha=0.5,
                        label="within a factor 2")
        ax.set_xlim(low, high)
        ax.set_ylim(low, high)
    ax.set_xscale("log")
    ax.set_yscale("log")
    worst = rows.with_columns(pl.col("loo_log_ratio").abs().alias("_abs")).sort("_abs", descending=True).head(label)
    for i, r in enumerate(worst.sort("cost_per_transaction_gbp").iter_rows(named=True)):
        # alternate above and below the point so that neighbours' names do not overprint
        ax.annotate(short(r["service_name"], 34), (r["cost_per_transaction_gbp"], r["loo_predicted_cost_per_transaction_gbp"]),
                    fontsize=7, xytext=(4, 10 if i % 2 else -12), textcoords="offset points", color="#333333",
                    arrowprops={"arrowstyle": "-", "color": "#999999", "linewidth": 0.5})
    median = float(rows["loo_log_ratio"].abs().median()) if rows.height else float("nan")
    ax.set_xlabel("reported cost per transaction (GBP, 2012)")
    ax.set_ylabel("predicted cost per transaction, leave-one-out (GBP, 2012)")
    ax.set_title(f"{rows.height} services; median |log ratio| {median:.2f} (a factor {math.exp(median):.1f})",
                 fontsize=10, loc="left")
    ax.grid(True, which="major", color="#dddddd", linewidth=0.6)
    ax.legend(fontsize=8, loc="upper left", frameon=False)
    return _save(fig, path, title, dpi, fontsize=12)


# The headline figures the tornado chart shows, one panel each (scoring.fct_sensitivity figure_id).
TORNADO_FIGURES = (
    "ca_value_gross_total", "ca_value_net_total", "ca_share_highly_automatable",
    "uk_value_gross_total", "uk_value_net_total", "uk_share_highly_automatable",
    "uk_replication_share_highly_automatable_routine", "uk_replication_person_years_per_minute_saved",
)


def _change(value: float | None, base: float | None, share: bool) -> float:
    """A figure's change from its central value: percentage points for a share, else per cent."""
    if value is None or base is None:
        return 0.0
    if share:
        return 100.0 * (value - base)
    return 100.0 * (value - base) / abs(base) if base else 0.0


def tornado_png(sensitivity: pl.DataFrame, path: Path, *, title: str, top: int = 8, dpi: int = 130) -> Path:
    """Write the one-at-a-time sensitivity as tornado charts: one panel per headline figure, the
    `top` assumptions that move it most, each bar running from the figure at the assumption's low
    value to the figure at its high value, as a change from the central figure (per cent of it,
    or percentage points for shares); assumptions are labelled with their id and quality."""
    figures = [f for f in TORNADO_FIGURES if f in set(sensitivity["figure_id"].to_list())]
    cols = 2
    rows_n = max(1, math.ceil(len(figures) / cols))
    fig, axes = plt.subplots(rows_n, cols, figsize=(13, 3.1 * rows_n), squeeze=False)
    colours = {"green": "#1a9850", "amber": "#fdae61", "red": "#d73027"}
    for ax in axes.flat[len(figures):]:
        ax.axis("off")
    for ax, figure_id in zip(axes.flat, figures, strict=False):
        rows = (sensitivity.filter(pl.col("figure_id") == figure_id)
                .sort("swing_rank").head(top).reverse())
        share = rows["figure_unit"].head(1).to_list() == ["share"]
        central = rows["figure_central"].head(1).to_list()
        base = central[0] if central else None

        for y, r in enumerate(rows.iter_rows(named=True)):
            low, high = (_change(r[side], base, share) for side in ("figure_at_low", "figure_at_high"))
            # two half bars, so that neither hides the other when both move the same way
            ax.barh(y + 0.17, high, color="#08519c", height=0.34, label="at high" if y == 0 else None)
            ax.barh(y - 0.17, low, color="#9ecae1", height=0.34, label="at low" if y == 0 else None)
        labels = [f"{r['assumption_id']} {short(r['parameter'], 28)}" for r in rows.iter_rows(named=True)]
        ax.set_yticks(range(rows.height))
        ax.set_yticklabels(labels, fontsize=7)
        for tick, r in zip(ax.get_yticklabels(), rows.iter_rows(named=True), strict=True):
            tick.set_color(colours.get(r["quality"] or "", "#333333"))
        ax.axvline(0, color="#444444", linewidth=0.8)
        text = rows["figure"].head(1).to_list()
        centre = "" if base is None else (f"{100 * base:.2f}%" if share else _money(base))
        ax.set_title(f"{short(text[0] if text else figure_id, 62)} (central {centre})", fontsize=8, loc="left")
        ax.set_xlabel("change, percentage points" if share else "change, % of the central figure", fontsize=7)
        ax.tick_params(axis="x", labelsize=7)
        ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
        if figure_id == figures[0]:
            ax.legend(fontsize=7, loc="lower right", frameon=False)
    return _save(fig, path, title, dpi, fontsize=12)


def _save(fig, path: Path, title: str, dpi: int, fontsize: int = 13) -> Path:
    """Title the figure, lay it out under the title, write it to `path` and free it."""
    fig.suptitle(title, fontsize=fontsize, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path
