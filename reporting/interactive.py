"""The interactive matrix: one self-contained HTML page (inline SVG, CSS and JavaScript, no CDN,
no external file) that works offline, e.g. opened from disk or attached to an e-mail.

The SVG is drawn here, in Python, so the page shows every service even with scripts off: the
points, each quadrant's number of services in its corner, the first services of each priority list
labelled beside their points in rank order (reporting/labels.py, on estimated text widths) with
their Monte Carlo whiskers, and the services without a value in a strip under the x axis. The
script only adds the tooltip (with the hovered point's own interval), the archetype legend toggles,
the search box, the interval switch and the estimate switch (top-down, or combined with published
pilots: docs/evidence.md). The services without a value have their own table, "no value: <reason>",
unranked; every service is a row of the table under the chart. Beyond PAGE_SERVICES rows the page
lists each country's first services by priority instead, and says so (page_points).
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import polars as pl

from reporting.labels import Box, place_labels
from reporting.matrix import (
    NO_VALUE,
    QUADRANT_LABELS,
    QUADRANTS,
    Panel,
    label_text,
    money,
    money_tick,
    no_value_services,
    panels,
    top_services,
)

WIDTH, HEIGHT = 640, 540
MARGIN = {"left": 78, "right": 16, "top": 34, "bottom": 92}  # the bottom holds the no-value strip
STRIP = 34  # height of the strip of services without a value, under the x axis
LABELLED = 6
LABEL_SIZE = 10.5  # px
CHAR_WIDTH = 0.6 * LABEL_SIZE  # a generous average for the sans-serif fonts of the page
LINE_HEIGHT = 13.0
LABEL_PAD = 3.0
WRAPS = (30, 22, 16)
# Rows of the summary (services x fiscal years) the page lists at most. Each listed service costs the
# page about 1.6 kB (its point, its table row and its tooltip's data): at 100x services the page
# listing all 265,540 rows was 412 MB, took 17 s and 2.8 GB to write, and no browser opens it
# usably (issue 18). Beyond the limit the page lists each country's first services by priority,
# the country's share of the page following its share of the services; the titles, corner counts
# and legend still count every service, and matrix.png, the workbook and the tables hold them all.
PAGE_SERVICES = 30_000


def _fmt_money(value: float | None) -> str:
    return money(value)


def _fmt_p(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _key(row: dict) -> str:
    """A service's identity on the page: service_key and fiscal year (the summary's grain)."""
    return f"{row['service_key']}|{row['fiscal_year']}"


def _attr(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


class _Scale:
    """x linear on [0, 1]; y log10 between two powers of ten."""

    def __init__(self, low: float, high: float) -> None:
        self.y0 = math.floor(math.log10(low))
        self.y1 = max(self.y0 + 1, math.ceil(math.log10(high)))
        self.plot_w = WIDTH - MARGIN["left"] - MARGIN["right"]
        self.plot_h = HEIGHT - MARGIN["top"] - MARGIN["bottom"]

    def x(self, p: float) -> float:
        return round(MARGIN["left"] + min(max(p, 0.0), 1.0) * self.plot_w, 2)

    def y(self, v: float) -> float:
        v = max(v, 10.0**self.y0)
        share = (math.log10(v) - self.y0) / (self.y1 - self.y0)
        return round(MARGIN["top"] + (1 - min(share, 1.0)) * self.plot_h, 2)


def label_size(text: str) -> tuple[float, float]:
    """The box a label's text needs on the page (estimated: the page cannot be measured here)."""
    lines = text.split("\n")
    return (max(len(line) for line in lines) * CHAR_WIDTH + 2 * LABEL_PAD,
            len(lines) * LINE_HEIGHT + 2 * LABEL_PAD)


def _interval(row: dict, scale: _Scale) -> str:
    """The Monte Carlo 5th-95th percentile whiskers of a service, as an SVG path."""
    x, y = scale.x(row["headline_probability"]), scale.y(row["value_gross"])
    p05 = row["probability_p05"] if row["probability_p05"] is not None else row["headline_probability"]
    p95 = row["probability_p95"] if row["probability_p95"] is not None else row["headline_probability"]
    v05 = row["value_gross_p05"] or row["value_gross"]
    v95 = row["value_gross_p95"] or row["value_gross"]
    return f"M{scale.x(p05)} {y}H{scale.x(p95)}M{x} {scale.y(v05)}V{scale.y(v95)}"


def _labels(panel: Panel, placed: pl.DataFrame, top: pl.DataFrame, scale: _Scale) -> list[str]:
    """The first services of the priority list, labelled beside their points (reporting/labels.py)."""
    if top.is_empty():
        return []
    left, top_y = MARGIN["left"], MARGIN["top"]
    right, bottom = WIDTH - MARGIN["right"], HEIGHT - MARGIN["bottom"]
    anchors = [(scale.x(r["headline_probability"]), scale.y(r["value_gross"])) for r in top.iter_rows(named=True)]
    texts = [[label_text(r["priority_rank"], r["service_name"], w) for w in WRAPS] for r in top.iter_rows(named=True)]
    others = [(scale.x(p), scale.y(v)) for p, v in placed.select("headline_probability", "value_gross").iter_rows()]
    corner = 20.0  # the quadrant names and counts stay readable
    chosen = place_labels(
        anchors, [[label_size(t) for t in options] for options in texts],
        Box(left + 3, top_y + corner, right - 3, bottom - corner), points=others,
        vertical_lines=[scale.x(panel.probability_threshold)],
        horizontal_lines=[scale.y(panel.value_threshold)] if panel.value_threshold else [],
        gap=3.0, marker=5.0,
    )
    parts = []
    for row, (x, y), options, spot in zip(top.iter_rows(named=True), anchors, texts, chosen, strict=True):
        if spot is None:
            continue
        box, option = spot
        ex, ey = box.nearest(x, y)
        lines = options[option].split("\n")
        tspans = "".join(
            f'<tspan x="{box.x0 + LABEL_PAD:.1f}" y="{box.y0 + LABEL_PAD + LINE_HEIGHT * (i + 1) - 3:.1f}">'
            f"{html.escape(line)}</tspan>"
            for i, line in enumerate(lines)
        )
        parts.append(
            f'<g class="callout" data-key="{_attr(_key(row))}" data-rank="{row["priority_rank"]}">'
            f'<line x1="{x}" y1="{y}" x2="{ex:.1f}" y2="{ey:.1f}"/>'
            f'<rect x="{box.x0:.1f}" y="{box.y0:.1f}" width="{box.width:.1f}" height="{box.height:.1f}"/>'
            f'<text class="label">{tspans}</text></g>'
        )
    return parts


def _panel_svg(panel: Panel, rows: pl.DataFrame, points: pl.DataFrame, missing_total: int | None = None) -> str:
    """One country's panel: `rows` its listed services, `points` every listed service;
    `missing_total` the country's services without a value (default: those listed)."""
    placed = rows.filter(pl.col("is_placed"))
    parts = [
        f'<svg class="panel" data-country="{_attr(panel.country_code)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{_attr(panel.title)}">',
        f'<text class="title" x="{MARGIN["left"]}" y="20">{html.escape(panel.title)}</text>',
    ]
    if placed.is_empty():
        parts.append('<text x="200" y="200">no service has both a probability and a value</text></svg>')
        return "".join(parts)
    top = top_services(points, panel.country_code, LABELLED)
    lows = top["value_gross_p05"].fill_null(top["value_gross"]).to_list()
    highs = top["value_gross_p95"].fill_null(top["value_gross"]).to_list()
    values = placed["value_gross"].to_list()
    low = min([*values, *[v for v in lows if v and v > 0]])
    # a decade of room above the highest point: the labels of the first services go there
    scale = _Scale(low, max([*values, *highs]) * 10)
    left, top_y = MARGIN["left"], MARGIN["top"]
    right, bottom = WIDTH - MARGIN["right"], HEIGHT - MARGIN["bottom"]
    # axes and grid
    parts.append(f'<rect class="frame" x="{left}" y="{top_y}" width="{scale.plot_w}" height="{scale.plot_h}"/>')
    for tick in [i / 10 for i in range(0, 11, 2)]:
        x = scale.x(tick)
        parts.append(f'<line class="grid" x1="{x}" y1="{top_y}" x2="{x}" y2="{bottom}"/>')
        parts.append(f'<text class="tick" x="{x}" y="{bottom + STRIP + 16}" text-anchor="middle">{tick:.1f}</text>')
    for power in range(scale.y0, scale.y1 + 1):
        y = scale.y(10.0**power)
        parts.append(f'<line class="grid" x1="{left}" y1="{y}" x2="{right}" y2="{y}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 4}" text-anchor="end">{money_tick(10.0 ** power)}</text>')
    parts.append(f'<text class="axis" x="{(left + right) / 2}" y="{bottom + STRIP + 36}" text-anchor="middle">'
                 "probability that the service's labour can be automated</text>")
    parts.append(f'<text class="axis" transform="translate(16 {(top_y + bottom) / 2}) rotate(-90)" '
                 f'text-anchor="middle">{html.escape(panel.value_label)}</text>')
    # quadrant thresholds, and each quadrant's name and number of services in its corner
    tx = scale.x(panel.probability_threshold)
    parts.append(f'<line class="threshold" x1="{tx}" y1="{top_y}" x2="{tx}" y2="{bottom + STRIP}">'
                 f"<title>probability threshold {panel.probability_threshold:g} (A050)</title></line>")
    if panel.value_threshold:
        ty = scale.y(panel.value_threshold)
        parts.append(f'<line class="threshold" x1="{left}" y1="{ty}" x2="{right}" y2="{ty}">'
                     f"<title>value threshold {_fmt_money(panel.value_threshold)} {html.escape(panel.currency)}: "
                     f"top quartile of the country (A051)</title></line>")
    for (x, y, anchor), quadrant in zip(
        ((right - 6, top_y + 14, "end"), (right - 6, bottom - 6, "end"),
         (left + 6, top_y + 14, "start"), (left + 6, bottom - 6, "start")),
        QUADRANTS, strict=True,
    ):
        parts.append(f'<text class="quadrant" data-quadrant="{quadrant}" '
                     f'data-count="{panel.quadrant_counts.get(quadrant, 0)}" x="{x}" y="{y}" '
                     f'text-anchor="{anchor}">{html.escape(panel.corner(quadrant))}</text>')
    # every point; the labelled ones last (on top), with their intervals
    labelled = set(top["service_key"].to_list())
    parts.append('<g class="points">')
    for row in placed.sort(pl.col("service_key").is_in(list(labelled))).iter_rows(named=True):
        combined = row.get("combined_probability")
        combined = row["headline_probability"] if combined is None else combined
        classes = "svc" + (" evidence" if row.get("evidence_ids") else "") + (
            " top" if row["service_key"] in labelled else "")
        parts.append(
            f'<circle class="{classes}" data-key="{_attr(_key(row))}" '
            f'data-archetype="{_attr(row["archetype_id"])}" cx="{scale.x(row["headline_probability"])}" '
            f'data-cx-top-down="{scale.x(row["headline_probability"])}" data-cx-combined="{scale.x(combined)}" '
            f'data-interval="{_interval(row, scale)}" '
            f'cy="{scale.y(row["value_gross"])}" r="{4.5 if row["service_key"] in labelled else 3.2}" '
            f'fill="{row["colour"]}"/>'
        )
    parts.append('</g><g class="intervals">')
    for row in top.iter_rows(named=True):
        parts.append(f'<path data-key="{_attr(_key(row))}" d="{_interval(row, scale)}"/>')
    parts.append('</g><path class="hover-interval" d=""/>')
    parts.extend(_labels(panel, placed, top, scale))
    # the services without a value, apart: at their probability in a strip under the x axis
    missing = no_value_services(points, panel.country_code)
    count = missing.height if missing_total is None else missing_total
    sy = bottom + 4
    parts.append(f'<g class="no-value-strip" data-count="{count}">'
                 f'<rect class="strip" x="{left}" y="{sy}" width="{scale.plot_w}" height="{STRIP - 8}"/>'
                 f'<text class="strip-label" x="{left - 6}" y="{sy + 16}" text-anchor="end">no value: {count}</text>')
    with_p = missing.filter(pl.col("headline_probability").is_not_null())
    for i, row in enumerate(with_p.iter_rows(named=True)):
        jitter = (i % 5) * 4 - 8
        parts.append(f'<circle class="novalue" data-key="{_attr(_key(row))}" data-archetype="{_attr(row["archetype_id"])}" '
                     f'cx="{scale.x(row["headline_probability"])}" cy="{sy + (STRIP - 8) / 2 + jitter}" r="3"/>')
    parts.append("</g></svg>")
    return "".join(parts)


def _no_value_table(points: pl.DataFrame, total: int | None = None) -> str:
    """Every listed service without a value, with the reason: listed apart, not ranked. `total`: the
    services without a value in all (when the page does not list every service)."""
    missing = no_value_services(points)
    total = missing.height if total is None else total
    if total == 0:
        return '<p class="meta" id="no-value-none">Every service has a value: none is listed apart.</p>'
    rows = []
    if total > missing.height:
        rows.append(f'<p class="meta" id="no-value-more">{total:,} services have no value; this page lists '
                    f"{missing.height:,} of them (see the note at the top).</p>")
    if missing.is_empty():
        return "".join(rows)
    rows += ['<table id="no-value"><thead><tr><th>country</th><th>service</th><th>organisation</th>'
            "<th>probability</th><th>why it has no value</th></tr></thead><tbody>"]
    for r in missing.iter_rows(named=True):
        rows.append(
            f'<tr data-key="{_attr(_key(r))}" data-archetype="{_attr(r["archetype_id"])}">'
            f"<td>{_attr(r['country_code'])}</td><td>{_attr(r['service_name'])}</td>"
            f"<td>{_attr(r['organisation_name'])}</td><td>{_fmt_p(r['headline_probability'])}</td>"
            f'<td class="reason">{_attr(r["no_value_reason"])}</td></tr>'
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _table(points: pl.DataFrame) -> str:
    head = ("country", "rank", "service", "organisation", "archetype", "quadrant", "probability",
            "P 5th-95th", "bottom-up (pilots)", "combined", "pilots", "gross value", "value 5th-95th", "currency")
    rows = ["<table id=\"services\"><thead><tr>"
            + "".join(f"<th>{h}</th>" for h in head) + "</tr></thead><tbody>"]
    for r in points.iter_rows(named=True):
        interval_p = (f"{_fmt_p(r['probability_p05'])}-{_fmt_p(r['probability_p95'])}"
                      if r["probability_p05"] is not None else "")
        interval_v = (f"{_fmt_money(r['value_gross_p05'])}-{_fmt_money(r['value_gross_p95'])}"
                      if r["value_gross_p05"] is not None else "")
        placed = "" if r["is_placed"] else ' class="unplaced" title="not on the chart: no value, or a value of zero"'
        quadrant = r["no_value_reason"] if r["quadrant"] == NO_VALUE and r["no_value_reason"] else \
            QUADRANT_LABELS.get(r["quadrant"], r["quadrant"])
        rows.append(
            f'<tr data-key="{_attr(_key(r))}" data-archetype="{_attr(r["archetype_id"])}"{placed}>'
            f"<td>{_attr(r['country_code'])}</td><td>{_attr(r['priority_rank'])}</td>"
            f"<td>{_attr(r['service_name'])}</td><td>{_attr(r['organisation_name'])}</td>"
            f'<td><span class="swatch" style="background:{r["colour"]}"></span>{_attr(r["archetype_name"])}</td>'
            f"<td>{_attr(quadrant)}</td>"
            f"<td>{_fmt_p(r['headline_probability'])}</td><td>{interval_p}</td>"
            f"<td>{_fmt_p(r.get('bottom_up_share'))}</td>"
            f"<td>{_fmt_p(r.get('combined_probability')) if r.get('evidence_ids') else ''}</td>"
            f"<td>{_attr(r.get('evidence_ids'))}</td>"
            f"<td>{_fmt_money(r['value_gross'])}</td><td>{interval_v}</td><td>{_attr(r['currency'])}</td></tr>"
        )
    rows.append("</tbody></table>")
    return "".join(rows)


def _legend(points: pl.DataFrame) -> str:
    items = points.group_by("archetype_id", "archetype_name", "colour").agg(pl.len().alias("n")).sort("archetype_name")
    return "".join(
        f'<button type="button" class="legend-item" data-archetype="{_attr(r["archetype_id"])}" aria-pressed="true">'
        f'<span class="swatch" style="background:{r["colour"]}"></span>{_attr(r["archetype_name"])} ({r["n"]})</button>'
        for r in items.iter_rows(named=True)
    )


STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:16px 24px;color:#222}
h1{font-size:20px;margin:0 0 4px} p.meta{color:#555;margin:0 0 12px;font-size:13px}
.controls{display:flex;flex-wrap:wrap;gap:12px;align-items:center;margin:8px 0}
.legend{display:flex;flex-wrap:wrap;gap:6px;margin:6px 0 10px}
.legend-item{border:1px solid #ccc;background:#fff;border-radius:12px;padding:2px 9px;font-size:12px;cursor:pointer}
.legend-item[aria-pressed=false]{opacity:.35}
.swatch{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:5px;vertical-align:middle}
.panels{display:flex;flex-wrap:wrap;gap:12px}
svg.panel{background:#fff;border:1px solid #e5e5e5;max-width:100%;height:auto}
svg .title{font-size:14px;font-weight:600} svg .tick{font-size:11px;fill:#555} svg .axis{font-size:12px;fill:#333}
svg .frame{fill:none;stroke:#bbb} svg .grid{stroke:#eee} svg .threshold{stroke:#444;stroke-dasharray:5 4;stroke-width:1.2}
svg .quadrant{font-size:12px;font-style:italic;fill:#333;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .label{font-size:10.5px;fill:#111} svg .callout rect{fill:#fff;fill-opacity:.95;stroke:#999;stroke-width:.6}
svg .intervals path,svg .hover-interval{fill:none;stroke:#222;stroke-width:1.1;opacity:.8} svg .callout line{stroke:#333;stroke-width:.7}
svg.no-intervals .intervals{display:none} svg .callout,svg .intervals,svg .hover-interval{pointer-events:none} body.combined .callout,body.combined .intervals{display:none}
svg circle.svc{stroke:#fff;stroke-width:.4;opacity:.85;cursor:pointer} svg circle.svc.top{stroke:#000;stroke-width:1.3;opacity:1}
body.combined svg circle.svc.evidence{stroke:#000;stroke-width:1} svg circle.svc:hover,svg circle.svc.hit{stroke:#000;stroke-width:1.5;r:6}
svg .strip{fill:#f6f6f6;stroke:#ddd} svg .strip-label{font-size:11px;fill:#333}
svg circle.novalue{fill:#fff;stroke:#666;stroke-width:1.2;cursor:pointer} svg circle.novalue:hover{stroke:#000;stroke-width:2}
.hidden{display:none} .dim{opacity:.12}
#tooltip{position:fixed;pointer-events:none;background:rgba(20,20,20,.92);color:#fff;padding:6px 9px;border-radius:4px;font-size:12px;max-width:360px;display:none;z-index:10}
table{border-collapse:collapse;font-size:12px;margin-top:14px;width:100%}
th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:#f7f7f7} tr.unplaced td{color:#888} tr.hit td{background:#fff3c4}
img.org{max-width:100%;border:1px solid #e5e5e5;margin-top:12px}
"""

# The same money format as reporting.matrix.money (tests/browser checks that they agree).
MONEY_JS = """
function money(v){
  if (v === null || v === undefined || Number.isNaN(v)) return 'n/a';
  if (v === 0) return '0';
  const sign = v < 0 ? '-' : ''; v = Math.abs(v);
  if (v < 1) return sign + '<1';
  const units = [[1, ''], [1e3, 'k'], [1e6, 'm'], [1e9, 'bn']];
  let i = 0; for (let k = 0; k < units.length; k++) if (v >= units[k][0]) i = k;
  let s = Number((v / units[i][0]).toPrecision(3));
  if (s >= 1000 && i < units.length - 1){ i++; s = Number((v / units[i][0]).toPrecision(3)); }
  const text = s >= 1000 ? Math.round(s).toLocaleString('en-US') : String(s);
  return sign + text + units[i][1];
}
"""

SCRIPT = MONEY_JS + """
(function(){
  const data = JSON.parse(document.getElementById('atlas-data').textContent);
  const byKey = new Map(data.map(d => [d.key, d]));
  const tip = document.getElementById('tooltip');
  const p = v => v === null || v === undefined ? 'n/a' : v.toFixed(2);
  const cur = d => d.currency ? ' ' + d.currency : '';
  function netLine(d){
    if (d.value_net === null || d.value_net === undefined) return 'net value unknown' + (d.value_net_null_reason ? ': ' + d.value_net_null_reason : '');
    if (d.value_net === 0 && d.already_digital_share === 1) return 'net value 0' + cur(d) + ' (already fully digital)';
    return 'net value ' + money(d.value_net) + cur(d);
  }
  function lines(d){
    const out = [[d.service_name, true], [d.organisation_name || d.organisation_code || ''], ['archetype: ' + d.archetype_name]];
    if (d.quadrant === 'no_value'){
      out.push([d.no_value_reason || 'no value'], ['not ranked'],
               ['probability ' + p(d.headline_probability)]);
      return out;
    }
    out.push(['quadrant: ' + d.quadrant_label + ', rank ' + d.priority_rank + ' in ' + d.country_code],
      ['probability ' + p(d.headline_probability) + ' (5th-95th: ' + p(d.probability_p05) + '-' + p(d.probability_p95) + ')'],
      [d.evidence_ids ? 'pilots ' + d.evidence_ids + ': bottom-up ' + p(d.bottom_up_share) + ', combined ' + p(d.combined_probability) : 'no published pilot informs it'],
      ['gross value ' + money(d.value_gross) + cur(d) + ' a year (5th-95th: ' + money(d.value_gross_p05) + '-' + money(d.value_gross_p95) + ')'],
      [netLine(d)]);
    return out;
  }
  function show(ev, d){
    tip.innerHTML = '';
    for (const [text, bold] of lines(d)){ const div = document.createElement('div'); div.textContent = text; if (bold) div.style.fontWeight = '600'; tip.appendChild(div); }
    tip.style.display = 'block';
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 370) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  }
  function hide(){ tip.style.display = 'none'; }
  document.querySelectorAll('circle.svc, circle.novalue').forEach(c => {
    const hover = c.closest('svg').querySelector('path.hover-interval');
    c.addEventListener('mousemove', ev => { show(ev, byKey.get(c.dataset.key)); if (hover && c.dataset.interval && !document.body.classList.contains('combined')) hover.setAttribute('d', c.dataset.interval); });
    c.addEventListener('mouseleave', () => { hide(); if (hover) hover.setAttribute('d', ''); });
    c.addEventListener('click', () => { const row = document.querySelector('#services tr[data-key="' + CSS.escape(c.dataset.key) + '"]'); if (row){ row.classList.add('hit'); row.scrollIntoView({block:'center'}); } });
  });
  const hiddenArchetypes = new Set();
  const search = document.getElementById('search');
  function apply(){
    const q = search.value.trim().toLowerCase();
    let shown = 0;
    document.querySelectorAll('[data-key]').forEach(el => {
      const d = byKey.get(el.dataset.key);
      const off = hiddenArchetypes.has(el.dataset.archetype);
      const match = !q || (d.service_name + ' ' + (d.organisation_name||'') + ' ' + d.organisation_code).toLowerCase().includes(q);
      if (el.tagName.toLowerCase() === 'tr'){
        el.classList.toggle('hidden', off || !match);
        if (!off && match && el.closest('#services')) shown++;
      }
      else { el.classList.toggle('hidden', off); el.classList.toggle('dim', !off && !match); el.classList.toggle('hit', !!q && match && !off); }
    });
    document.getElementById('shown').textContent = shown;
  }
  search.addEventListener('input', apply);
  document.querySelectorAll('.legend-item').forEach(b => b.addEventListener('click', () => {
    const a = b.dataset.archetype;
    if (hiddenArchetypes.has(a)) hiddenArchetypes.delete(a); else hiddenArchetypes.add(a);
    b.setAttribute('aria-pressed', hiddenArchetypes.has(a) ? 'false' : 'true');
    apply();
  }));
  const estimate = document.getElementById('estimate');
  estimate.addEventListener('change', () => {
    const combined = estimate.value === 'combined';
    document.body.classList.toggle('combined', combined);
    document.querySelectorAll('circle.svc').forEach(c => c.setAttribute('cx', combined ? c.dataset.cxCombined : c.dataset.cxTopDown));
  });
  document.getElementById('intervals').addEventListener('change', ev => {
    document.querySelectorAll('svg.panel').forEach(s => s.classList.toggle('no-intervals', !ev.target.checked));
  });
  apply();
  document.body.dataset.ready = 'true';
})();
"""


def _data_json(points: pl.DataFrame) -> str:
    columns = ["key", "service_key", "fiscal_year", "country_code", "service_name", "organisation_code",
               "organisation_name", "archetype_id", "archetype_name", "quadrant", "quadrant_label", "priority_rank",
               "headline_probability", "probability_p05", "probability_p95", "value_gross",
               "value_gross_p05", "value_gross_p95", "value_net", "value_net_null_reason", "already_digital_share",
               "no_value_reason", "currency", "bottom_up_share", "combined_probability", "evidence_ids"]
    frame = points.with_columns(
        pl.concat_str("service_key", pl.lit("|"), "fiscal_year").alias("key"),
        pl.col("quadrant").replace(QUADRANT_LABELS).alias("quadrant_label"),
    )
    for name, dtype in (("bottom_up_share", pl.Float64), ("combined_probability", pl.Float64), ("evidence_ids", pl.String),
                        ("value_net_null_reason", pl.String), ("already_digital_share", pl.Float64),
                        ("no_value_reason", pl.String)):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    text = json.dumps(frame.select(columns).to_dicts(), ensure_ascii=False, separators=(",", ":"))
    # inside <script>: never let the data close the element
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def page_points(points: pl.DataFrame, limit: int = PAGE_SERVICES) -> pl.DataFrame:
    """The services the page lists: all of them when they are no more than `limit`, else each
    country's first services by priority rank (the services without a rank after the ranked ones,
    by name), a country keeping floor(limit x its share of the services) of them (at least its
    labelled services)."""
    if points.height <= limit:
        return points
    total = points.height
    kept = []
    for country in sorted(points["country_code"].unique().to_list()):
        rows = points.filter(pl.col("country_code") == country)
        quota = max(LABELLED, limit * rows.height // total)
        kept.append(
            rows.sort(pl.col("priority_rank"), "service_name", "service_key", "fiscal_year", nulls_last=True)
            .head(quota)
        )
    return pl.concat(kept, how="vertical_relaxed")


def _page_note(listed: pl.DataFrame, points: pl.DataFrame) -> str:
    if listed.height == points.height:
        return ""
    return (f'\n<p class="meta" id="page-limit"><strong>This page lists {listed.height:,} of the {points.height:,} '
            "services</strong> (services x fiscal years): each country's first services by priority, in "
            "proportion to its number of services, so that the page stays small enough to open. The points, "
            "the tables and the search cover those services; the panel titles, the corner counts and the legend "
            "count every service. Every service is in charts/matrix.png, in the workbook and in "
            "tables/scoring.fct_service_automation_summary.csv.</p>")


def matrix_html(points: pl.DataFrame, path: Path, *, title: str, subtitle: str,
                organisations_png: Path | None = None, limit: int = PAGE_SERVICES) -> Path:
    """Write the interactive matrix page to `path` and return it: every service up to `limit`
    (rows of the summary), else the first `limit` by priority (page_points)."""
    listed = page_points(points, limit)
    body = []
    for panel in panels(points):
        rows = listed.filter(pl.col("country_code") == panel.country_code)
        body.append(_panel_svg(panel, rows, listed, no_value_services(points, panel.country_code).height))
    org = ""
    if organisations_png is not None and organisations_png.is_file():
        encoded = base64.b64encode(organisations_png.read_bytes()).decode("ascii")
        org = (f'<h2>Value by organisation</h2><img class="org" alt="value of automating by organisation" '
               f'src="data:image/png;base64,{encoded}">')
    n_evidence = int(points["evidence_ids"].is_not_null().sum()) if "evidence_ids" in points.columns else 0
    document = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{html.escape(title)}</title>
<style>{STYLE}</style></head>
<body>
<h1>{html.escape(title)}</h1>
<p class="meta">{html.escape(subtitle)}</p>
<div class="controls">
<label>Find a service or organisation <input id="search" type="search" placeholder="e.g. passport"></label>
<label><input id="intervals" type="checkbox" checked> show the labelled services' 5th-95th percentile intervals</label>
<label>Probability <select id="estimate"><option value="top-down" selected>top-down (the model)</option>
<option value="combined">combined with published pilots ({n_evidence} services informed)</option></select></label>
<span><span id="shown">{listed.height}</span> of {points.height} services listed</span>
</div>{_page_note(listed, points)}
<div class="legend">{_legend(points)}</div>
<div class="panels">{''.join(body)}</div>
<p class="meta">Dashed lines: the quadrant thresholds (probability, assumption A050; the country's top quartile of
gross value, A051); each corner gives its quadrant's number of services. The first {LABELLED} services of each
country's priority list are labelled with their rank, beside their points, with their Monte Carlo 5th-95th
percentiles (A052-A054) as whiskers; hover any point for its own. Services without a value (no probability, or no
labour cost) cannot sit on the value axis and are not ranked: they are in the grey strip under each panel, at their
probability, and in the table "Services without a value". "Combined" moves each service to the Beta posterior that
adds published pilots to the top-down prior (outlined points; docs/evidence.md); the quadrants, ranks and labels stay
those of the top-down estimate.</p>
<h2>Services without a value (not ranked)</h2>
{_no_value_table(listed, no_value_services(points).height)}
{org}
<h2>{"Every service" if listed.height == points.height else f"The first {listed.height:,} services by priority"}</h2>
{_table(listed)}
<div id="tooltip" role="tooltip"></div>
<script type="application/json" id="atlas-data">{_data_json(listed)}</script>
<script>{SCRIPT}</script>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path
