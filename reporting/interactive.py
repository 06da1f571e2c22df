"""The interactive matrix: one self-contained HTML page (inline SVG, CSS and JavaScript, no CDN,
no external file) that works offline, e.g. opened from disk or attached to an e-mail.

The SVG is drawn here, in Python, so the page shows every service even with scripts off; the
script only adds the tooltip, the archetype legend toggles, the search box, the interval switch and
the estimate switch (top-down, or combined with published pilots: docs/evidence.md).
Every service is a row of the table under the chart (those without a probability or a positive
value are listed there with the reason, since a log axis cannot place them).
"""

from __future__ import annotations

import base64
import html
import json
import math
from pathlib import Path

import polars as pl

from reporting.matrix import QUADRANT_LABELS, Panel, panels, short, top_services

WIDTH, HEIGHT = 620, 460
MARGIN = {"left": 78, "right": 16, "top": 34, "bottom": 48}
LABELLED = 6


def _fmt_money(value: float | None) -> str:
    if value is None:
        return ""
    for size, suffix in ((1e9, "bn"), (1e6, "m"), (1e3, "k")):
        if abs(value) >= size:
            return f"{value / size:,.3g}{suffix}"
    return f"{value:,.3g}"


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


def _panel_svg(panel: Panel, rows: pl.DataFrame, points: pl.DataFrame) -> str:
    placed = rows.filter(pl.col("is_placed"))
    parts = [
        f'<svg class="panel" data-country="{_attr(panel.country_code)}" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" aria-label="{_attr(panel.title)}">',
        f'<text class="title" x="{MARGIN["left"]}" y="20">{html.escape(panel.title)}</text>',
    ]
    if placed.is_empty():
        parts.append('<text x="200" y="200">no service has both a probability and a value</text></svg>')
        return "".join(parts)
    lows = placed["value_gross_p05"].fill_null(placed["value_gross"]).to_list()
    highs = placed["value_gross_p95"].fill_null(placed["value_gross"]).to_list()
    values = placed["value_gross"].to_list()
    scale = _Scale(min(min(values), min(v for v in lows if v and v > 0) if any(v and v > 0 for v in lows) else min(values)),
                   max(max(values), max(highs)))
    left, top = MARGIN["left"], MARGIN["top"]
    right, bottom = WIDTH - MARGIN["right"], HEIGHT - MARGIN["bottom"]
    # axes and grid
    parts.append(f'<rect class="frame" x="{left}" y="{top}" width="{scale.plot_w}" height="{scale.plot_h}"/>')
    for tick in [i / 10 for i in range(0, 11, 2)]:
        x = scale.x(tick)
        parts.append(f'<line class="grid" x1="{x}" y1="{top}" x2="{x}" y2="{bottom}"/>')
        parts.append(f'<text class="tick" x="{x}" y="{bottom + 16}" text-anchor="middle">{tick:.1f}</text>')
    for power in range(scale.y0, scale.y1 + 1):
        y = scale.y(10.0**power)
        parts.append(f'<line class="grid" x1="{left}" y1="{y}" x2="{right}" y2="{y}"/>')
        parts.append(f'<text class="tick" x="{left - 6}" y="{y + 4}" text-anchor="end">{_fmt_money(10.0 ** power)}</text>')
    parts.append(f'<text class="axis" x="{(left + right) / 2}" y="{HEIGHT - 10}" text-anchor="middle">'
                 "probability that the service's labour can be automated</text>")
    parts.append(f'<text class="axis" transform="translate(16 {(top + bottom) / 2}) rotate(-90)" '
                 f'text-anchor="middle">{html.escape(panel.value_label)}</text>')
    # quadrant thresholds and names
    tx = scale.x(panel.probability_threshold)
    parts.append(f'<line class="threshold" x1="{tx}" y1="{top}" x2="{tx}" y2="{bottom}">'
                 f"<title>probability threshold {panel.probability_threshold:g} (A050)</title></line>")
    if panel.value_threshold:
        ty = scale.y(panel.value_threshold)
        parts.append(f'<line class="threshold" x1="{left}" y1="{ty}" x2="{right}" y2="{ty}">'
                     f"<title>value threshold {_fmt_money(panel.value_threshold)} {html.escape(panel.currency)}: "
                     f"top quartile of the country (A051)</title></line>")
    for (x, y, anchor), quadrant in zip(
        ((right - 6, top + 14, "end"), (right - 6, bottom - 6, "end"),
         (left + 6, top + 14, "start"), (left + 6, bottom - 6, "start")),
        ("automate_first", "quick_win", "augment", "monitor"), strict=True,
    ):
        parts.append(f'<text class="quadrant" x="{x}" y="{y}" text-anchor="{anchor}">{QUADRANT_LABELS[quadrant]}</text>')
    # intervals, then points
    faint = min(0.35, max(0.06, 25.0 / max(placed.height, 1)))  # fainter the more services
    parts.append(f'<g class="intervals" opacity="{faint:.2f}">')
    for row in placed.iter_rows(named=True):
        x, y = scale.x(row["headline_probability"]), scale.y(row["value_gross"])
        p05 = row["probability_p05"] if row["probability_p05"] is not None else row["headline_probability"]
        p95 = row["probability_p95"] if row["probability_p95"] is not None else row["headline_probability"]
        v05 = row["value_gross_p05"] or row["value_gross"]
        v95 = row["value_gross_p95"] or row["value_gross"]
        parts.append(
            f'<path data-key="{_attr(_key(row))}" data-archetype="{_attr(row["archetype_id"])}" '
            f'stroke="{row["colour"]}" d="M{scale.x(p05)} {y}H{scale.x(p95)}M{x} {scale.y(v05)}V{scale.y(v95)}"/>'
        )
    parts.append('</g><g class="points">')
    for row in placed.iter_rows(named=True):
        combined = row.get("combined_probability")
        combined = row["headline_probability"] if combined is None else combined
        evidence = " evidence" if row.get("evidence_ids") else ""
        parts.append(
            f'<circle class="svc{evidence}" data-key="{_attr(_key(row))}" '
            f'data-archetype="{_attr(row["archetype_id"])}" cx="{scale.x(row["headline_probability"])}" '
            f'data-cx-top-down="{scale.x(row["headline_probability"])}" data-cx-combined="{scale.x(combined)}" '
            f'cy="{scale.y(row["value_gross"])}" r="3.4" fill="{row["colour"]}"/>'
        )
    parts.append("</g>")
    # labels in a column in the upper left (the augment quadrant holds few services), highest
    # value first, each joined to its point by a thin line: no label covers another
    labelled = top_services(points, panel.country_code, LABELLED).sort("value_gross", descending=True)
    for i, row in enumerate(labelled.iter_rows(named=True)):
        x, y = scale.x(row["headline_probability"]), scale.y(row["value_gross"])
        lx, ly = left + 8, top + 36 + 17 * i
        text = f'{row["priority_rank"]}. {short(row["service_name"], 34)}'
        end = lx + 5.3 * len(text)  # about the width of the 10.5 px label
        parts.append(
            f'<g class="callout" data-key="{_attr(_key(row))}">'
            f'<line x1="{end + 3:.1f}" y1="{ly - 4}" x2="{x}" y2="{y}"/>'
            f'<text class="label" x="{lx}" y="{ly}">{html.escape(text)}</text></g>'
        )
    parts.append("</svg>")
    return "".join(parts)


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
        placed = "" if r["is_placed"] else ' class="unplaced" title="not on the chart: no probability or no positive value"'
        rows.append(
            f'<tr data-key="{_attr(_key(r))}" data-archetype="{_attr(r["archetype_id"])}"{placed}>'
            f"<td>{_attr(r['country_code'])}</td><td>{_attr(r['priority_rank'])}</td>"
            f"<td>{_attr(r['service_name'])}</td><td>{_attr(r['organisation_name'])}</td>"
            f'<td><span class="swatch" style="background:{r["colour"]}"></span>{_attr(r["archetype_name"])}</td>'
            f"<td>{_attr(QUADRANT_LABELS.get(r['quadrant'], r['quadrant']))}</td>"
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
svg .quadrant{font-size:12px;font-style:italic;fill:#777} svg .label{font-size:10.5px;fill:#111;paint-order:stroke;stroke:#fff;stroke-width:3px}
svg .intervals path{fill:none;stroke-width:.7} svg .callout line{stroke:#666;stroke-width:.6} svg.no-intervals .intervals{display:none}
svg circle.svc{stroke:#fff;stroke-width:.5;cursor:pointer} body.combined svg circle.svc.evidence{stroke:#000;stroke-width:1} svg circle.svc:hover,svg circle.svc.hit{stroke:#000;stroke-width:1.5;r:6}
.hidden{display:none} .dim{opacity:.12}
#tooltip{position:fixed;pointer-events:none;background:rgba(20,20,20,.92);color:#fff;padding:6px 9px;border-radius:4px;font-size:12px;max-width:340px;display:none;z-index:10}
table{border-collapse:collapse;font-size:12px;margin-top:14px;width:100%}
th,td{border-bottom:1px solid #eee;padding:3px 6px;text-align:left;vertical-align:top}
th{position:sticky;top:0;background:#f7f7f7} tr.unplaced td{color:#888} tr.hit td{background:#fff3c4}
img.org{max-width:100%;border:1px solid #e5e5e5;margin-top:12px}
"""

SCRIPT = """
(function(){
  const data = JSON.parse(document.getElementById('atlas-data').textContent);
  const byKey = new Map(data.map(d => [d.key, d]));
  const tip = document.getElementById('tooltip');
  const fmt = v => v === null || v === undefined ? 'n/a' : (Math.abs(v) >= 1e9 ? (v/1e9).toPrecision(3)+'bn' : Math.abs(v) >= 1e6 ? (v/1e6).toPrecision(3)+'m' : Math.abs(v) >= 1e3 ? (v/1e3).toPrecision(3)+'k' : v.toPrecision(3));
  const p = v => v === null || v === undefined ? 'n/a' : v.toFixed(2);
  function show(ev, d){
    tip.innerHTML = '';
    const lines = [[d.service_name, true], [d.organisation_name || d.organisation_code || ''],
      ['archetype: ' + d.archetype_name], ['quadrant: ' + d.quadrant + ', rank ' + d.priority_rank + ' in ' + d.country_code],
      ['probability ' + p(d.headline_probability) + ' (5th-95th: ' + p(d.probability_p05) + '-' + p(d.probability_p95) + ')'],
      [d.evidence_ids ? 'pilots ' + d.evidence_ids + ': bottom-up ' + p(d.bottom_up_share) + ', combined ' + p(d.combined_probability) : 'no published pilot informs it'],
      ['gross value ' + fmt(d.value_gross) + ' ' + (d.currency||'') + ' (5th-95th: ' + fmt(d.value_gross_p05) + '-' + fmt(d.value_gross_p95) + ')'],
      ['net value ' + fmt(d.value_net) + ' ' + (d.currency||'')]];
    for (const [text, bold] of lines){ const div = document.createElement('div'); div.textContent = text; if (bold) div.style.fontWeight = '600'; tip.appendChild(div); }
    tip.style.display = 'block';
    tip.style.left = Math.min(ev.clientX + 14, window.innerWidth - 350) + 'px';
    tip.style.top = (ev.clientY + 14) + 'px';
  }
  document.querySelectorAll('circle.svc').forEach(c => {
    c.addEventListener('mousemove', ev => show(ev, byKey.get(c.dataset.key)));
    c.addEventListener('mouseleave', () => { tip.style.display = 'none'; });
    c.addEventListener('click', () => { const row = document.querySelector('tr[data-key="' + CSS.escape(c.dataset.key) + '"]'); if (row){ row.classList.add('hit'); row.scrollIntoView({block:'center'}); } });
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
      if (el.tagName.toLowerCase() === 'tr'){ el.classList.toggle('hidden', off || !match); if (!off && match) shown++; }
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
    // the whiskers and labels belong to the top-down estimate
    document.querySelectorAll('svg.panel').forEach(s => s.classList.toggle('no-intervals', combined || !document.getElementById('intervals').checked));
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
               "organisation_name", "archetype_id", "archetype_name", "quadrant", "priority_rank",
               "headline_probability", "probability_p05", "probability_p95", "value_gross",
               "value_gross_p05", "value_gross_p95", "value_net", "currency", "bottom_up_share",
               "combined_probability", "evidence_ids"]
    frame = points.with_columns(pl.concat_str("service_key", pl.lit("|"), "fiscal_year").alias("key"))
    for name, dtype in (("bottom_up_share", pl.Float64), ("combined_probability", pl.Float64), ("evidence_ids", pl.String)):
        if name not in frame.columns:
            frame = frame.with_columns(pl.lit(None, dtype).alias(name))
    text = json.dumps(frame.select(columns).to_dicts(), ensure_ascii=False, separators=(",", ":"))
    # inside <script>: never let the data close the element
    return text.replace("</", "<\\/").replace("<!--", "<\\!--")


def matrix_html(points: pl.DataFrame, path: Path, *, title: str, subtitle: str,
                organisations_png: Path | None = None) -> Path:
    """Write the interactive matrix page to `path` and return it."""
    body = []
    for panel in panels(points):
        rows = points.filter(pl.col("country_code") == panel.country_code)
        body.append(_panel_svg(panel, rows, points))
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
<label><input id="intervals" type="checkbox" checked> show 5th-95th percentile intervals</label>
<label>Probability <select id="estimate"><option value="top-down" selected>top-down (the model)</option>
<option value="combined">combined with published pilots ({n_evidence} services informed)</option></select></label>
<span><span id="shown">{points.height}</span> of {points.height} services listed</span>
</div>
<div class="legend">{_legend(points)}</div>
<div class="panels">{''.join(body)}</div>
<p class="meta">Dashed lines: the quadrant thresholds (probability, assumption A050; the country's top quartile of
gross value, A051). Whiskers: Monte Carlo 5th-95th percentiles (A052-A054). Services without a probability
or a positive value cannot sit on a log axis: they are in the table, greyed. "Combined" moves each service to
the Beta posterior that adds published pilots to the top-down prior (outlined points; docs/evidence.md); the
quadrants and ranks stay those of the top-down estimate.</p>
{org}
<h2>Every service</h2>
{_table(points)}
<div id="tooltip" role="tooltip"></div>
<script type="application/json" id="atlas-data">{_data_json(points)}</script>
<script>{SCRIPT}</script>
</body></html>
"""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(document, encoding="utf-8")
    return path
