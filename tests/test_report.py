"""The report's rendering (pure, fast) and the run artifacts' text: escaping, determinism, sums."""

from __future__ import annotations

import random
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_query_read_only import warehouse  # noqa: F401 - fixture
from transforms.report.model import (
    AgencyDay,
    EntityTrend,
    NetworkEdge,
    NetworkNode,
    QuarantineReason,
    ReportData,
    RunLine,
)
from transforms.report.render import (
    MOST_BINS,
    OTHER_AGENCIES,
    render_report,
    render_timeline_svg,
    time_bins,
)
from transforms.report.run_artifacts import (
    QUARANTINE_KEY,
    RUN_SUMMARY_KEY,
    RunCounts,
    checked_key,
    markdown_text,
    quarantine_markdown,
    run_summary_table,
)

HOSTILE = [
    "<script>alert('x')</script>",
    '"><img src=x onerror=alert(1)>',
    "</svg></body><h1>owned</h1>",
    "Ko\x00izumi\x1b & Sons",
    "O'Brien & <b>Co</b>",
]


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[str] = []
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.urls += [v or "" for k, v in attrs if k in ("src", "href", "action", "xlink:href")]


def parsed(page: str) -> _Tags:
    tags = _Tags()
    tags.feed(page)
    return tags


def sample_data(names: list[str] | None = None, days: int = 20) -> ReportData:
    names = names or ["Aiko Morimoto", "Mark Halvorsen", "NATO", "Pentagon", "Zhao Lihua"]
    labels = ["PERSON", "PERSON", "ORG", "GOV_BODY", "PERSON"]
    first = date(2026, 1, 1)
    agencies = ["Reuters", "Kyodo News", "Associated Press"] + [f"Agency {i}" for i in range(8)]
    agency_days = tuple(
        AgencyDay(first + timedelta(days=d), agency, (1 + (d + i) % 3) * (5 if agency == "Reuters" else 1))
        for d in range(days) for i, agency in enumerate(agencies) if (d + i) % 4
    )
    entities = tuple(
        EntityTrend(label, name, 10 - i, 5 - i // 2,
                    tuple((first + timedelta(days=d), 1 + (d % 2)) for d in range(i, days, 3)))
        for i, (label, name) in enumerate(zip(labels, names, strict=True))
    )
    nodes = tuple(NetworkNode(label, name, 6 - i) for i, (label, name) in enumerate(zip(labels, names,
                                                                                         strict=True)))
    edges = tuple(
        NetworkEdge(a.key, b.key, 1 + (i + j) % 3)
        for i, a in enumerate(nodes) for j, b in enumerate(nodes) if a.key < b.key and (i + j) % 2
    )
    started = datetime(2026, 1, 21, 2, 0, tzinfo=UTC)
    runs = (RunLine("nightly-x", "nightly", started, started + timedelta(seconds=12.5), 18, 18, 16, 107,
                    2, "completed"),)
    quarantine = (QuarantineReason("binary_file", 3, f"/landing/{names[0]}.bin", names[1]),)
    return ReportData("warehouse", None, None, sum(a.dispatches for a in agency_days), 107,
                      started + timedelta(seconds=12.5), agency_days, entities, nodes, edges, runs,
                      quarantine)


def test_untrusted_text_is_escaped_everywhere() -> None:
    page = render_report(sample_data(HOSTILE))
    tags = parsed(page)
    assert tags.tags.count("script") == 1, "only the page's own ready script"
    assert "img" not in tags.tags and "h1" in tags.tags and tags.tags.count("h1") == 1
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "\x00" not in page and "\x1b" not in page
    assert "O&#x27;Brien &amp; &lt;b&gt;Co&lt;/b&gt;" in page


def test_the_page_asks_for_nothing_outside_itself() -> None:
    page = render_report(sample_data())
    assert all(url.startswith("data:") for url in parsed(page).urls), parsed(page).urls
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "'unsafe-inline'" not in csp.split("script-src")[1]
    assert 'data-ready' in page


def shuffled(items: tuple, rng: random.Random) -> tuple:
    mixed = list(items)
    rng.shuffle(mixed)
    return tuple(mixed)


def test_same_records_in_any_order_give_the_same_bytes() -> None:
    data = sample_data()
    page = render_report(data)
    for seed in range(3):
        rng = random.Random(seed)
        mixed = replace(data, agency_days=shuffled(data.agency_days, rng),
                        entities=shuffled(data.entities, rng), nodes=shuffled(data.nodes, rng),
                        edges=shuffled(data.edges, rng))
        assert render_report(mixed) == page


def test_timeline_bars_add_up_and_small_agencies_merge() -> None:
    data = sample_data()
    svg = render_timeline_svg(data.agency_days, time_bins(date(2026, 1, 1), date(2026, 1, 20)))
    counts = [int(n) for n in re.findall(r'class="bar"[^>]*data-count="(\d+)"', svg)]
    assert sum(counts) == sum(a.dispatches for a in data.agency_days)
    agencies = set(re.findall(r'class="bar"[^>]*data-agency="([^"]+)"', svg))
    assert len(agencies) == 8 and OTHER_AGENCIES in agencies and "Reuters" in agencies
    assert svg.count("<title>") == len(counts), "every bar has a hover title"


@pytest.mark.parametrize(("first", "last", "unit", "bins"), [
    (date(2026, 1, 1), date(2026, 1, 1), "day", 1),
    (date(2026, 1, 1), date(2026, 6, 30), "day", 181),
    (date(2026, 1, 1), date(2026, 12, 31), "week", 53),
    (date(2025, 1, 1), date(2026, 12, 31), "week", 105),
    (date(2020, 1, 15), date(2026, 12, 31), "month", 84),
    # The real archive of 1987-2026: 480 months were 2-pixel slivers; 40 years are 40 bars.
    (date(1987, 3, 2), date(2026, 11, 30), "year", 40),
])
def test_time_bins_cover_the_window(first: date, last: date, unit: str, bins: int) -> None:
    got = time_bins(first, last)
    assert (got.unit, len(got.starts)) == (unit, bins)
    assert got.index_of(first) == 0 and got.index_of(last) == bins - 1


@settings(max_examples=200, deadline=None)
@given(st.dates(date(1900, 1, 1), date(2100, 1, 1)), st.integers(0, 80 * 366))
def test_time_bins_never_draw_slivers(first: date, days: int) -> None:
    """Whatever the span, at most MOST_BINS bars (each >= 4.5 px wide), every day in one bin."""
    last = min(first + timedelta(days=days), date(2100, 12, 31))
    got = time_bins(first, last)
    assert 1 <= len(got.starts) <= MOST_BINS
    assert got.index_of(first) == 0 and got.index_of(last) == len(got.starts) - 1
    middle = first + (last - first) / 2
    assert got.starts[got.index_of(middle)] <= middle


def test_an_empty_warehouse_still_renders() -> None:
    empty = ReportData("w", None, None, 0, 0, None, (), (), (), (), (), ())
    page = render_report(empty)
    assert "No dispatches in this window." in page and "Nothing quarantined." in page
    for window in ((date(2026, 1, 1), None), (None, date(2026, 1, 1)), (date(2026, 1, 1), date(2026, 2, 1))):
        assert "No dispatches in this window." in render_report(replace(empty, date_from=window[0],
                                                                        date_to=window[1]))


def test_run_summary_artifact_has_the_counts() -> None:
    counts = RunCounts("nightly-1", "nightly", "completed", 18, 18, 16, 107, 3, 2, 12.34567)
    (row,) = run_summary_table(counts)
    assert row["dispatches_written"] == 16 and row["quarantined"] == 2 and row["duration_seconds"] == 12.346
    assert checked_key(RUN_SUMMARY_KEY) and checked_key(QUARANTINE_KEY)
    for bad in ("Wirehouse-Run", "run_summary", "run summary", ""):
        with pytest.raises(ValueError):
            checked_key(bad)


def test_quarantine_markdown_keeps_untrusted_text_literal() -> None:
    reasons = [QuarantineReason("malformed_json", 2, "/in/a|b.json", "line 1\n| x | <img src=x> [link](http://e)"),
               QuarantineReason("empty_file", 1, "/in/e.txt", "no bytes")]
    text = quarantine_markdown("nightly-1", reasons)
    table_rows = [line for line in text.splitlines() if line.startswith("| ")]
    assert len(table_rows) == 3, text  # header + one per reason, no row broken by a newline or pipe
    assert all(line.count("|") - line.count("\\|") == 5 for line in table_rows[1:]), "4 cells a row"
    assert not re.search(r"(?<!\\)[<\[(]", text), "no raw HTML, link or image markup"
    assert r"\<img src=x\>" in text
    assert markdown_text("a" * 300, 10) == "a" * 9 + "…"


class _NodeNames(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.names: list[str] = []
        self.tags: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        if tag == "g" and ("class", "node") in attrs:
            self.names.append(dict(attrs)["data-name"] or "")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=30), min_size=5, max_size=5, unique=True))
def test_any_name_round_trips_through_the_page_as_text(names: list[str]) -> None:
    parser = _NodeNames()
    parser.feed(render_report(sample_data(names)))
    visible = {re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", "", n) for n in names}
    assert set(parser.names) == visible
    assert parser.tags.count("script") == 1 and "img" not in parser.tags


def test_decades_of_archive_are_drawn_as_yearly_bars_of_a_readable_width() -> None:
    """The real archive of 1987-2026 was 480 monthly bars of under 2 pixels each."""
    days = [AgencyDay(date(1987 + year, 1 + year % 12, 1 + year % 28), "Reuters", 1 + year % 3)
            for year in range(40)]
    bins = time_bins(days[0].day, days[-1].day)
    svg = render_timeline_svg(days, bins)
    widths = [float(w) for w in re.findall(r'class="bar"[^>]*width="([\d.]+)"', svg)]
    assert bins.unit == "year" and len(widths) == 40 and min(widths) >= 4.5
    assert "<title>1987 · Reuters: 1 dispatch</title>" in svg
    assert "<title>1988 · Reuters: 2 dispatches</title>" in svg
    ticks = re.findall(r'class="tick">(\d{4})</text>', svg)
    assert ticks[0] == "1987" and len(ticks) >= 5


def test_the_network_keeps_the_most_mentioned_names() -> None:
    """45 people, the n-th named in n dispatches: the 40 kept are the 40 most mentioned (the
    sample warehouse has fewer than 40 names, so it cannot tell most from least)."""
    import duckdb

    from transforms.report.queries import NETWORK_NODES, network

    assert NETWORK_NODES == 40
    con = duckdb.connect()
    con.execute("CREATE TABLE mentions_latest (dispatch_id VARCHAR, label VARCHAR, "
                "canonical VARCHAR, text VARCHAR, published_date DATE)")
    con.execute("CREATE TABLE entity_aliases (rule VARCHAR, label VARCHAR, name VARCHAR, "
                "seen_on DATE, canonical VARCHAR, canonical_label VARCHAR)")
    rows = [(f"d{d}", "PERSON", f"Person {n:02d}", f"Person {n:02d}", "2026-01-05")
            for n in range(1, 46) for d in range(n)]
    rows += [(f"d{d}", "GPE", "Tokyo", "Tokyo", "2026-01-05") for d in range(100)]  # not a network label
    con.executemany("INSERT INTO mentions_latest VALUES (?, ?, ?, ?, ?)", rows)
    nodes, edges = network(con, "TRUE")
    assert sorted((n.name, n.mentions) for n in nodes) == [
        (f"Person {n:02d}", n) for n in range(6, 46)]
    assert edges, "people named in the same dispatches are linked"


def test_the_report_is_written_into_the_warehouse_folder_by_default(warehouse: Path) -> None:  # noqa: F811
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["report", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert (warehouse / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert f"Wrote the report to {warehouse / 'report.html'}" in result.output
