"""Static charts (PNG, matplotlib): the probability x value matrix and value by organisation.

The matrix has one panel per country: headline probability on x, gross value on a log y axis,
each service coloured by archetype with its Monte Carlo 5th-95th percentile interval on both axes
(A052-A054), the quadrant thresholds (P >= A050; the country's top quartile of value, A051)
drawn, and the first services of the priority list labelled.
"""

from __future__ import annotations

import math
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # no display on servers and in CI

import matplotlib.pyplot as plt  # noqa: E402
import polars as pl  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter  # noqa: E402

from reporting.matrix import (  # noqa: E402
    COUNTRY_NAMES,
    QUADRANT_LABELS,
    Panel,
    panels,
    short,
    top_services,
    value_by_organisation,
)

LABELLED = 6
TOP_ORGANISATIONS = 15


def _money(value: float, _position: object = None) -> str:
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.3g}{suffix}"
    return f"{value:,.3g}"


def _draw_panel(ax, rows: pl.DataFrame, panel: Panel, labelled: int, points: pl.DataFrame) -> None:
    placed = rows.filter(pl.col("is_placed"))
    if placed.is_empty():
        ax.text(0.5, 0.5, "no service has both a probability and a value", ha="center",
                va="center", transform=ax.transAxes)
        ax.set_title(panel.title, fontsize=11, loc="left")
        return
    p = placed["headline_probability"].to_numpy()
    v = placed["value_gross"].to_numpy()
    p05 = placed["probability_p05"].fill_null(placed["headline_probability"]).to_numpy()
    p95 = placed["probability_p95"].fill_null(placed["headline_probability"]).to_numpy()
    v05 = placed["value_gross_p05"].fill_null(placed["value_gross"]).to_numpy()
    v95 = placed["value_gross_p95"].fill_null(placed["value_gross"]).to_numpy()
    colours = placed["colour"].to_list()
    # Intervals first, faint, so that the points stay readable on top of them.
    faint = min(0.35, max(0.06, 25.0 / max(len(p), 1)))  # fainter the more services there are
    ax.hlines(v, p05, p95, colors=colours, linewidth=0.4, alpha=faint, zorder=1)
    v05 = [max(a, b * 1e-3) for a, b in zip(v05, v, strict=True)]  # keep the log axis finite
    ax.vlines(p, v05, v95, colors=colours, linewidth=0.4, alpha=min(1.0, faint * 2), zorder=1)
    ax.scatter(p, v, c=colours, s=12, alpha=0.85, linewidths=0.3, edgecolors="white", zorder=2)
    ax.set_yscale("log")
    ax.set_xlim(0, 1)
    low = min(min(v05), min(v))
    high = max(max(v95), max(v))
    ax.set_ylim(10 ** math.floor(math.log10(low)), 10 ** math.ceil(math.log10(high)))
    ax.yaxis.set_major_formatter(FuncFormatter(_money))
    ax.axvline(panel.probability_threshold, color="#444444", linestyle="--", linewidth=1, zorder=3)
    if panel.value_threshold:
        ax.axhline(panel.value_threshold, color="#444444", linestyle="--", linewidth=1, zorder=3)
    for (x, y, ha, va), quadrant in zip(
        ((0.99, 0.99, "right", "top"), (0.99, 0.01, "right", "bottom"),
         (0.01, 0.99, "left", "top"), (0.01, 0.01, "left", "bottom")),
        ("automate_first", "quick_win", "augment", "monitor"), strict=True,
    ):
        ax.text(x, y, QUADRANT_LABELS[quadrant], transform=ax.transAxes, ha=ha, va=va,
                fontsize=9, color="#555555", style="italic")
    # The labelled services sit in a column in the upper left (the augment quadrant, which holds
    # few services), highest value first, each joined to its point: no label covers another.
    top = top_services(points, panel.country_code, labelled).sort("value_gross", descending=True)
    for i, row in enumerate(top.iter_rows(named=True)):
        ax.annotate(
            f"{row['priority_rank']}. {short(row['service_name'], 36)}",
            xy=(row["headline_probability"], row["value_gross"]), xycoords="data",
            xytext=(0.02, 0.91 - 0.052 * i), textcoords="axes fraction", fontsize=7.5,
            ha="left", va="center",
            arrowprops={"arrowstyle": "-", "color": "#555555", "linewidth": 0.5,
                        "shrinkA": 0, "shrinkB": 2},
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "#cccccc", "alpha": 0.9,
                  "linewidth": 0.4},
            zorder=5,
        )
    ax.set_title(panel.title, fontsize=11, loc="left")
    ax.set_xlabel("probability that the service's labour can be automated (headline)")
    ax.set_ylabel(panel.value_label)
    ax.grid(True, which="major", color="#dddddd", linewidth=0.6)


def matrix_png(points: pl.DataFrame, path: Path, *, title: str, dpi: int = 130,
               labelled: int = LABELLED) -> Path:
    """Write the matrix chart (one panel per country) to `path` and return it."""
    country_panels = panels(points)
    width = max(1, len(country_panels))
    fig, axes = plt.subplots(1, width, figsize=(7.2 * width, 6.6), squeeze=False)
    for ax, panel in zip(axes[0], country_panels, strict=False):
        rows = points.filter(pl.col("country_code") == panel.country_code)
        _draw_panel(ax, rows, panel, labelled, points)
    legend = (
        points.select("archetype_name", "colour").unique().sort("archetype_name").iter_rows()
    )
    handles = [
        Line2D([], [], marker="o", linestyle="", color=colour, markersize=6, label=name)
        for name, colour in legend
    ]
    handles.append(Line2D([], [], color="#444444", linestyle="--", label="quadrant thresholds"))
    handles.append(Line2D([], [], color="#999999", linewidth=0.8,
                          label="5th-95th percentile (Monte Carlo)"))
    fig.legend(handles=handles, loc="lower center", ncol=4, fontsize=8, frameon=False)
    fig.suptitle(title, fontsize=13, x=0.01, ha="left")
    fig.tight_layout(rect=(0, 0.14, 1, 0.95))
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=dpi)
    plt.close(fig)
    return path


def organisations_png(points: pl.DataFrame, path: Path, *, title: str, top: int = TOP_ORGANISATIONS,
                      dpi: int = 130) -> Path:
    """Write the value-by-organisation chart: per country, the organisations with the largest
    gross value of automating, with the net value (what is not yet digital, A058) inside it."""
    ranked = value_by_organisation(points, top)
    countries = sorted(ranked["country_code"].unique().to_list())
    width = max(1, len(countries))
    fig, axes = plt.subplots(1, width, figsize=(7.2 * width, 0.34 * top + 2.2), squeeze=False)
    for ax, country in zip(axes[0], countries, strict=False):
        rows = ranked.filter(pl.col("country_code") == country).reverse()
        names = [short(n, 38) for n in rows["organisation_name"].to_list()]
        ax.barh(names, rows["value_gross"].to_list(), color="#9ecae1", label="gross value")
        ax.barh(names, rows["value_net"].fill_null(0).to_list(), color="#08519c", height=0.45,
                label="net of what is already digital")
        currency = rows["currency"][0] if rows.height else ""
        year = rows["price_year"][0] if rows.height else ""
        ax.set_xlabel(f"value of automating ({currency} a year, {year} prices)")
        ax.xaxis.set_major_formatter(FuncFormatter(_money))
        ax.tick_params(axis="y", labelsize=8)
        ax.set_title(f"{COUNTRY_NAMES.get(country, country)}: top {rows.height} organisations by value",
                     fontsize=11, loc="left")
        ax.grid(True, axis="x", color="#dddddd", linewidth=0.6)
        ax.legend(fontsize=8, loc="lower right", frameon=False)
    return _save(fig, path, title, dpi)


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
