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
import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from transforms.report.model import (
    AgencyDay,
    EntityTrend,
    QuarantineReason,
    ReportData,
    RunLine,
    TopStory,
)
from transforms.report.network import render_network_svg
from transforms.report.text import esc, number, plural, shorten
from transforms.report.world_map import render_world_map

TIMELINE_AGENCIES = 8
OTHER_AGENCIES = "other agencies"
# The most bars the timeline draws: at 916 pixels a bar is then at least 4.5 pixels wide. The
# finest of day, week, month and year that stays within it is the unit.
MOST_BINS = 200
BIN_UNITS = ("day", "week", "month", "year")
PALETTE = (
    "#4269d0", "#efb118", "#ff725c", "#6cc5b0", "#3ca951",
    "#ff8ab7", "#a463f2", "#97bbf5", "#9c6b4e",
)
READY_SCRIPT = 'document.body.setAttribute("data-ready", "true");'


@dataclass(frozen=True)
class Bins:
    """Time buckets for the charts: the finest of days, weeks, months or years that gives at
    most `MOST_BINS` of them over the span."""

    unit: str
    starts: tuple[date, ...]

    def index_of(self, day: date) -> int:
        start, first = bin_start(day, self.unit), self.starts[0]
        if self.unit == "month":
            return (start.year - first.year) * 12 + start.month - first.month
        if self.unit == "year":
            return start.year - first.year
        return (start - first).days // (7 if self.unit == "week" else 1)


# --- small helpers --------------------------------------------------------------------------


def bin_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    if unit == "year":
        return day.replace(month=1, day=1)
    return day


def bin_count(first: date, last: date, unit: str) -> int:
    start, end = bin_start(first, unit), bin_start(last, unit)
    if unit == "year":
        return end.year - start.year + 1
    if unit == "month":
        return (end.year - start.year) * 12 + end.month - start.month + 1
    return (end - start).days // (7 if unit == "week" else 1) + 1


def time_bins(first: date, last: date, most: int = MOST_BINS) -> Bins:
    unit = next((u for u in BIN_UNITS if bin_count(first, last, u) <= most), "year")
    starts, current = [], bin_start(first, unit)
    while current <= last:
        starts.append(current)
        if unit == "day":
            current += timedelta(days=1)
        elif unit == "week":
            current += timedelta(days=7)
        elif unit == "month":
            current = (current.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            current = current.replace(year=current.year + 1)
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
                f"{plural(value, 'dispatch')}</title></rect>"
            )
    for index in _tick_positions(len(bins.starts)):
        x = left + index * step
        tick = bins.starts[index].isoformat() if bins.unit in ("day", "week") else _bin_label(
            bins.starts[index], bins.unit)
        parts.append(f'<text x="{x:.1f}" y="{height - 6}" class="tick">{esc(tick)}</text>')
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
    if unit == "year":
        return f"{start.year:04d}"
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
    counted = f"{trend.name}: {plural(trend.mentions, 'mention')} in {plural(trend.dispatches, 'dispatch')}"
    title = (f"{counted}; most in {_bin_label(bins.starts[peak], bins.unit)} ({number(per_bin[peak])})"
             if per_bin[peak] else f"{counted}; none in a dated dispatch")
    return (
        f'<svg class="spark" viewBox="0 0 {width} {height}" width="{width}" height="{height}">'
        f"<title>{esc(title)}</title>"
        f'<polyline points="{points}"/>'
        + (f'<circle cx="{peak_x:.1f}" cy="{peak_y:.1f}" r="2.2"><title>{esc(title)}</title></circle>'
           if per_bin[peak] else "")
        + "</svg>"
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
.node-label{font-size:10px;pointer-events:none;paint-order:stroke;stroke:#fff;stroke-width:2.5px}
.leader{stroke:#999;stroke-width:.6}
.world .sphere{fill:#f3f7fb;stroke:#cfd8e3}.world .country{stroke:#fff;stroke-width:.4}
.world .country:hover{stroke:#333;stroke-width:1}
.world .dateline{fill:#e8590c;fill-opacity:.7;stroke:#fff;stroke-width:.8}
.swatch.dot{border-radius:50%}.status-failed{color:#c0392b;font-weight:600}
.empty{color:#888}
""".strip()


def script_hash(script: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


def window_text(data: ReportData) -> str:
    window = report_window(data)
    if window is None:
        return "at no date (no dispatches)"
    return f"from {window[0].isoformat()} to {window[1].isoformat()}"


def undated_note(undated: int) -> str:
    if not undated:
        return ""
    return (f'<p class="sub undated" data-undated="{undated}">Not on the timeline: '
            f"{plural(undated, 'undated dispatch')}, whose text gives no date (its file's time "
            "is no day of the news).</p>")


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
        f'<section id="timeline"><h2>Dispatches per {unit} per agency</h2>{timeline}'
        f"{undated_note(data.undated)}</section>",
        '<section id="map"><h2>Where the news is</h2>'
        '<p class="sub">Countries shaded by mentions of their places; dots where dispatches are '
        "datelined, sized by dispatches.</p>"
        f"{render_world_map(data.dateline_places, data.countries)}</section>",
        f'<section id="entities"><h2>Top entities per label, mentions per {unit}</h2>'
        f"{render_entities(data.entities, bins)}</section>",
        '<section id="network"><h2>Who is mentioned with whom</h2>'
        '<p class="sub">The most-mentioned people and organisations (at least a few of each '
        "kind); a node\'s size is its dispatches, a line\'s width the dispatches two names "
        "share.</p>"
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
