"""The HTML report: typed records in, one self-contained HTML page (inline SVG) out.

Everything here is pure: no warehouse, no Prefect, no clock. The same records give the same
bytes, so the page carries no generation time and the network layout is seeded and fed sorted
nodes and edges. Every piece of text from the warehouse (agencies, entity names, quarantine
details) is untrusted and is escaped where it is written. The page asks for nothing outside
itself: its Content-Security-Policy allows no fetch at all, only its own inline style and the
one inline script (by hash) that marks the page ready.
"""

from __future__ import annotations

import base64
import hashlib
import html
import math
import os
import re
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from transforms.report.model import (
    AgencyDay,
    EntityTrend,
    NetworkEdge,
    NetworkNode,
    QuarantineReason,
    ReportData,
    RunLine,
    TopStory,
)

LAYOUT_SEED = 11
NETWORK_CAPTIONS = 24
TIMELINE_AGENCIES = 8
OTHER_AGENCIES = "other agencies"
DAY_BINS_UP_TO = 400
WEEK_BINS_UP_TO = 7 * 260
PALETTE = (
    "#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951",
    "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e",
)
LABEL_COLOURS = {"PERSON": "#4269d0", "ORG": "#ff725c", "GOV_BODY": "#3ca951", "MILITARY": "#a463f2"}
READY_SCRIPT = 'document.body.setAttribute("data-ready", "true");'

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Bins:
    """Time buckets for the charts: days for up to ~a year, else weeks, else months."""

    unit: str
    starts: tuple[date, ...]

    def index_of(self, day: date) -> int:
        start, first = bin_start(day, self.unit), self.starts[0]
        if self.unit == "month":
            return (start.year - first.year) * 12 + start.month - first.month
        return (start - first).days // (7 if self.unit == "week" else 1)


# --- small helpers --------------------------------------------------------------------------


def esc(value: object) -> str:
    """Text safe inside HTML/SVG content and quoted attributes; control characters dropped."""
    return html.escape(_CONTROL.sub("", str(value)), quote=True)


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def number(value: int) -> str:
    return f"{value:,}"


def bin_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def time_bins(first: date, last: date) -> Bins:
    span = (last - first).days + 1
    unit = "day" if span <= DAY_BINS_UP_TO else "week" if span <= WEEK_BINS_UP_TO else "month"
    starts, current = [], bin_start(first, unit)
    while current <= last:
        starts.append(current)
        if unit == "day":
            current += timedelta(days=1)
        elif unit == "week":
            current += timedelta(days=7)
        else:
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Bins(unit=unit, starts=tuple(starts))


def report_window(data: ReportData) -> tuple[date, date] | None:
    """First and last day the charts cover: the asked window, else the data's own span."""
    days = [d.day for d in data.agency_days]
    days += [day for e in data.entities for day, _ in e.mentions_by_day]
    if not days:
        return (data.date_from, data.date_to) if data.date_from and data.date_to else None
    return (data.date_from or min(days), data.date_to or max(days))


def report_bins(data: ReportData) -> Bins | None:
    window = report_window(data)
    return time_bins(*window) if window else None


def timeline_series(agency_days: Iterable[AgencyDay], keep: int = TIMELINE_AGENCIES) -> list[str]:
    """Agencies in stacking order: the busiest first (ties by name), the rest as one series."""
    totals: dict[str, int] = {}
    for row in agency_days:
        totals[row.agency] = totals.get(row.agency, 0) + row.dispatches
    ranked = sorted(totals, key=lambda a: (-totals[a], a))
    return ranked if len(ranked) <= keep else ranked[: keep - 1] + [OTHER_AGENCIES]


def series_of(agency: str, series: Sequence[str]) -> str:
    return agency if agency in series else OTHER_AGENCIES


# --- charts ---------------------------------------------------------------------------------


def render_timeline_svg(agency_days: Sequence[AgencyDay], bins: Bins, width: int = 960,
                        height: int = 240) -> str:
    series = timeline_series(agency_days)
    counts: dict[tuple[int, str], int] = {}
    for row in agency_days:
        key = (bins.index_of(row.day), series_of(row.agency, series))
        counts[key] = counts.get(key, 0) + row.dispatches
    stack_totals = [0] * len(bins.starts)
    for (index, _), value in counts.items():
        stack_totals[index] += value
    top = max(stack_totals, default=0) or 1
    left, bottom, plot_h = 44, 22, height - 32
    step = (width - left - 4) / max(len(bins.starts), 1)
    parts = [
        f'<svg class="timeline" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'role="img" aria-label="dispatches per {bins.unit} per agency">',
        f'<line x1="{left}" y1="{height - bottom}" x2="{width - 4}" y2="{height - bottom}" class="axis"/>',
        f'<text x="{left - 6}" y="{height - bottom - plot_h + 10}" class="tick" text-anchor="end">'
        f"{number(top)}</text>",
        f'<text x="{left - 6}" y="{height - bottom}" class="tick" text-anchor="end">0</text>',
    ]
    for index, start in enumerate(bins.starts):
        y = height - bottom
        for position, agency in enumerate(series):
            value = counts.get((index, agency), 0)
            if not value:
                continue
            bar_h = value / top * plot_h
            y -= bar_h
            parts.append(
                f'<rect class="bar" x="{left + index * step:.1f}" y="{y:.1f}" '
                f'width="{max(step - 0.6, 0.6):.1f}" height="{bar_h:.1f}" fill="{PALETTE[position]}" '
                f'data-agency="{esc(agency)}" data-day="{start.isoformat()}" data-count="{value}">'
                f"<title>{esc(_bin_label(start, bins.unit))} · {esc(agency)}: "
                f"{number(value)} dispatch{'es' if value != 1 else ''}</title></rect>"
            )
    for index in _tick_positions(len(bins.starts)):
        x = left + index * step
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" class="tick">'
                     f"{esc(bins.starts[index].isoformat())}</text>")
    parts.append("</svg>")
    totals = {agency: 0 for agency in series}
    for row in agency_days:
        totals[series_of(row.agency, series)] += row.dispatches
    legend = "".join(
        f'<li data-agency="{esc(agency)}" data-total="{totals[agency]}">'
        f'<span class="swatch" style="background:{PALETTE[position]}"></span>'
        f"{esc(agency)} <b>{number(totals[agency])}</b></li>"
        for position, agency in enumerate(series)
    )
    return "".join(parts) + f'<ul class="legend">{legend}</ul>'


def _bin_label(start: date, unit: str) -> str:
    if unit == "week":
        return f"week of {start.isoformat()}"
    if unit == "month":
        return start.strftime("%Y-%m")
    return start.isoformat()


def _tick_positions(count: int, most: int = 6) -> list[int]:
    if count == 0:
        return []
    stride = max(1, math.ceil(count / most))
    return list(range(0, count, stride))


def render_sparkline_svg(trend: EntityTrend, bins: Bins, width: int = 180, height: int = 28) -> str:
    per_bin = [0] * len(bins.starts)
    for day, value in trend.mentions_by_day:
        if bins.starts[0] <= bin_start(day, bins.unit) <= bins.starts[-1]:
            per_bin[bins.index_of(day)] += value
    top = max(per_bin, default=0) or 1
    step = (width - 4) / max(len(per_bin) - 1, 1)
    points = " ".join(
        f"{2 + i * step:.1f},{height - 2 - v / top * (height - 4):.1f}" for i, v in enumerate(per_bin)
    )
    peak = max(range(len(per_bin)), key=lambda i: (per_bin[i], -i))
    peak_x, peak_y = 2 + peak * step, height - 2 - per_bin[peak] / top * (height - 4)
    title = (
        f"{trend.name}: {number(trend.mentions)} mentions in {number(trend.dispatches)} dispatches; "
        f"most in {_bin_label(bins.starts[peak], bins.unit)} ({number(per_bin[peak])})"
    )
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{esc(title)}</title>"
        f'<polyline points="{points}"/>'
        f'<circle cx="{peak_x:.1f}" cy="{peak_y:.1f}" r="2.2"><title>{esc(title)}</title></circle>'
        "</svg>"
    )


def render_entities(entities: Sequence[EntityTrend], bins: Bins | None) -> str:
    if not entities or bins is None:
        return '<p class="empty">No entities in this window.</p>'
    by_label: dict[str, list[EntityTrend]] = {}
    for trend in entities:
        by_label.setdefault(trend.label, []).append(trend)
    order = sorted(by_label, key=lambda label: (-sum(t.mentions for t in by_label[label]), label))
    cards = []
    for label in order:
        rows = "".join(
            f'<tr class="entity" data-label="{esc(t.label)}" data-mentions="{t.mentions}">'
            f'<td class="name" title="{esc(t.name)}">{esc(shorten(t.name, 40))}</td>'
            f'<td class="num">{number(t.mentions)}</td><td class="num">{number(t.dispatches)}</td>'
            f"<td>{render_sparkline_svg(t, bins)}</td></tr>"
            for t in sorted(by_label[label], key=lambda t: (-t.mentions, -t.dispatches, t.name))
        )
        cards.append(
            f'<div class="card"><h3>{esc(label)}</h3><table class="entities">'
            f"<tr><th>name</th><th>mentions</th><th>dispatches</th><th>per {bins.unit}</th></tr>"
            f"{rows}</table></div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def network_layout(nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge]
                   ) -> dict[tuple[str, str], tuple[float, float]]:
    """Positions in [0, 1]² from a seeded force-directed layout over sorted nodes and edges, rounded
    so that floating-point noise cannot change the page's bytes."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(n.key for n in nodes))
    for edge in sorted(edges):
        graph.add_edge(edge.source, edge.target, weight=edge.shared_dispatches)
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() == 1:
        return {next(iter(graph.nodes)): (0.5, 0.5)}
    # ForceAtlas2 with strong gravity keeps small components near the middle instead of
    # flinging them to the edges as a plain spring layout does; node sizes keep big nodes apart.
    sizes = {n.key: 1.0 + 3.0 * n.dispatches / max(m.dispatches for m in nodes) for n in nodes}
    raw = nx.forceatlas2_layout(graph, seed=LAYOUT_SEED, max_iter=300, gravity=1.0,
                                strong_gravity=True, weight="weight", node_size=sizes)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return {
        key: (round((float(p[0]) - min(xs)) / span_x, 4), round((float(p[1]) - min(ys)) / span_y, 4))
        for key, p in raw.items()
    }


def render_network_svg(nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge],
                       width: int = 960, height: int = 560) -> str:
    if not nodes:
        return '<p class="empty">No people or organisations in this window.</p>'
    positions = network_layout(nodes, edges)
    margin = 70
    def place(key: tuple[str, str]) -> tuple[float, float]:
        x, y = positions[key]
        return margin + x * (width - 2 * margin), 34 + y * (height - 58)

    names = {n.key: n.name for n in nodes}
    widest = max((e.shared_dispatches for e in edges), default=1)
    largest = max(n.dispatches for n in nodes)
    parts = [f'<svg class="network" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="co-mention network">']
    for edge in sorted(edges, key=lambda e: (e.shared_dispatches, e.source, e.target)):
        (x1, y1), (x2, y2) = place(edge.source), place(edge.target)
        stroke = 0.6 + 5.4 * edge.shared_dispatches / widest
        parts.append(
            f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke-width="{stroke:.2f}" data-shared="{edge.shared_dispatches}">'
            f"<title>{esc(names[edge.source])} — {esc(names[edge.target])}: "
            f"{number(edge.shared_dispatches)} shared dispatch"
            f"{'es' if edge.shared_dispatches != 1 else ''}</title></line>"
        )
    for rank, node in enumerate(sorted(nodes, key=lambda n: (-n.dispatches, n.label, n.name))):
        x, y = place(node.key)
        radius = 4 + 18 * math.sqrt(node.dispatches / largest)
        # Names of the smaller nodes stay in their hover titles: forty labels would be a blur.
        caption = (
            f'<text x="{x:.1f}" y="{y - radius - 3:.1f}" text-anchor="middle">'
            f"{esc(shorten(node.name, 28))}</text>" if rank < NETWORK_CAPTIONS else ""
        )
        colour = LABEL_COLOURS.get(node.label, "#888")
        parts.append(
            f'<g class="node" data-label="{esc(node.label)}" data-name="{esc(node.name)}" '
            f'data-dispatches="{node.dispatches}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}">'
            f"<title>{esc(node.name)} ({esc(node.label)}): {number(node.dispatches)} dispatch"
            f"{'es' if node.dispatches != 1 else ''}</title></circle>{caption}</g>"
        )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{esc(label)}</li>'
        for label, colour in LABEL_COLOURS.items()
    )
    return "".join(parts) + f'<ul class="legend">{legend}</ul>'


# --- tables ---------------------------------------------------------------------------------


def duration_text(seconds: float | None) -> str:
    if seconds is None:
        return "–"
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def render_runs_table(runs: Sequence[RunLine]) -> str:
    if not runs:
        return '<p class="empty">No runs recorded.</p>'
    rows = "".join(
        f'<tr class="run" data-run-id="{esc(r.run_id)}" data-status="{esc(r.status)}">'
        f"<td>{esc(r.started_at.strftime('%Y-%m-%d %H:%M:%S'))}</td><td>{esc(r.flow)}</td>"
        f'<td class="num">{number(r.files_seen)}</td><td class="num">{number(r.files_ingested)}</td>'
        f'<td class="num">{number(r.dispatches)}</td><td class="num">{number(r.mentions)}</td>'
        f'<td class="num">{number(r.quarantined)}</td>'
        f'<td class="num">{esc(duration_text(r.duration_seconds))}</td>'
        f'<td class="status-{esc(r.status)}">{esc(r.status)}</td>'
        f'<td class="mono" title="{esc(r.run_id)}">{esc(shorten(r.run_id, 40))}</td></tr>'
        for r in runs
    )
    return (
        '<table class="runs"><tr><th>started (UTC)</th><th>flow</th><th>files seen</th>'
        "<th>files read</th><th>dispatches</th><th>mentions</th><th>quarantined</th>"
        f"<th>duration</th><th>status</th><th>run</th></tr>{rows}</table>"
    )


def render_stories_table(stories: Sequence[TopStory]) -> str:
    if not stories:
        return '<p class="empty">No stories in this window.</p>'
    rows = "".join(
        f'<tr class="story" data-story-id="{esc(s.story_id)}">'
        f"<td>{esc(s.first_seen.strftime('%Y-%m-%d %H:%M'))}</td>"
        f'<td title="{esc(s.first_headline)}">{esc(shorten(s.first_headline, 90))}</td>'
        f'<td class="num">{number(len(s.agencies))}</td>'
        f"<td>{esc(shorten(', '.join(s.agencies), 80))}</td>"
        f'<td class="num">{number(s.dispatches)}</td><td class="num">{number(s.versions)}</td></tr>'
        for s in stories
    )
    return (
        '<table class="stories"><tr><th>first seen (UTC)</th><th>first headline</th>'
        "<th>agencies</th><th>which</th><th>dispatches</th><th>versions</th></tr>"
        f"{rows}</table>"
    )


def render_quarantine_table(reasons: Sequence[QuarantineReason]) -> str:
    if not reasons:
        return '<p class="empty">Nothing quarantined.</p>'
    rows = "".join(
        f'<tr class="reason" data-reason="{esc(q.reason)}" data-files="{q.files}">'
        f"<td>{esc(q.reason)}</td><td class=\"num\">{number(q.files)}</td>"
        f'<td class="mono" title="{esc(q.example_uri)}">{esc(shorten(q.example_uri, 70))}</td>'
        f"<td>{esc(shorten(q.example_detail, 160))}</td></tr>"
        for q in reasons
    )
    return (
        '<table class="quarantine"><tr><th>reason</th><th>files</th><th>example</th>'
        f"<th>detail</th></tr>{rows}</table>"
    )


# --- the page -------------------------------------------------------------------------------

STYLE = """
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}h3{font-size:14px;margin:0 0 6px}
.sub{color:#666;margin:0 0 16px}.kpi{display:flex;gap:28px;margin:12px 0}
.kpi div{font-size:12px;color:#666}.kpi b{display:block;font-size:20px;color:#222}
svg text{font-size:11px;fill:#333}.tick{fill:#777}.axis{stroke:#bbb}
.bar:hover,.node:hover circle{opacity:.75}
.legend{list-style:none;padding:0;display:flex;flex-wrap:wrap;gap:14px;font-size:12px}
.swatch{display:inline-block;width:10px;height:10px;margin-right:5px;border-radius:2px}
.cards{display:flex;flex-wrap:wrap;gap:14px}.card{border:1px solid #ddd;border-radius:6px;padding:8px 10px}
table{border-collapse:collapse;font-size:12px}th{text-align:left;color:#666;font-weight:600}
td,th{padding:2px 8px 2px 0;vertical-align:middle}.num{text-align:right}.mono{font-family:monospace}
.spark polyline{fill:none;stroke:#4269d0;stroke-width:1.3}.spark circle{fill:#ff725c}
.edge{stroke:#9aa7bd;stroke-opacity:.55}.node circle{stroke:#fff;stroke-width:1.2;fill-opacity:.9}
.node text{font-size:10px;pointer-events:none}.status-failed{color:#c0392b;font-weight:600}
.empty{color:#888}
""".strip()


def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def window_text(data: ReportData) -> str:
    window = report_window(data)
    if window is None:
        return "at no date (no dispatches)"
    return f"from {window[0].isoformat()} to {window[1].isoformat()}"


def render_report(data: ReportData) -> str:
    """The whole report as one HTML document."""
    bins = report_bins(data)
    csp = (
        "default-src 'none'; style-src 'unsafe-inline'; img-src data:; "
        f"script-src '{script_hash(READY_SCRIPT)}'"
    )
    timeline = (
        render_timeline_svg(data.agency_days, bins) if data.agency_days and bins
        else '<p class="empty">No dispatches in this window.</p>'
    )
    as_of = data.as_of.strftime("%Y-%m-%d %H:%M UTC") if data.as_of else "no runs yet"
    unit = bins.unit if bins else "day"
    return "".join([
        "<!DOCTYPE html>\n",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<link rel="icon" href="data:,">',
        f"<title>wirehouse report: {esc(data.warehouse_name)}</title>",
        f"<style>{STYLE}</style></head><body>",
        f"<h1>wirehouse report: {esc(data.warehouse_name)}</h1>",
        f'<p class="sub">Dispatches published {esc(window_text(data))} · '
        f"warehouse as of its last run, {esc(as_of)}</p>",
        '<div class="kpi">',
        f'<div>dispatches<b id="total-dispatches">{number(data.dispatches)}</b></div>',
        f'<div>mentions<b id="total-mentions">{number(data.mentions)}</b></div>',
        f'<div>agencies<b>{number(len({d.agency for d in data.agency_days}))}</b></div>',
        f'<div>runs shown<b>{number(len(data.runs))}</b></div></div>',
        f'<section id="timeline"><h2>Dispatches per {unit} per agency</h2>{timeline}</section>',
        f'<section id="entities"><h2>Top entities per label, mentions per {unit}</h2>'
        f"{render_entities(data.entities, bins)}</section>",
        '<section id="network"><h2>Who is mentioned with whom</h2>'
        '<p class="sub">People and organisations; a node\'s size is its dispatches, a line\'s '
        "width the dispatches two names share.</p>"
        f"{render_network_svg(data.nodes, data.edges)}</section>",
        '<section id="stories"><h2>Top stories</h2>'
        '<p class="sub">First seen in this window; by how many agencies carried them, then '
        "versions.</p>"
        f"{render_stories_table(data.stories)}</section>",
        f'<section id="runs"><h2>Latest runs</h2>{render_runs_table(data.runs)}</section>',
        '<section id="quarantine"><h2>Quarantine reasons</h2>'
        f"{render_quarantine_table(data.quarantine)}</section>",
        f"<script>{READY_SCRIPT}</script></body></html>\n",
    ])


def write_report(target: Path, page: str) -> None:
    """Replace `target` in one rename, so a reader never opens half a report."""
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(page)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
