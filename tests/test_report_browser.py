"""A real warehouse through real Prefect runs: their artifacts, and the report in real Chromium.

The warehouse is the bundled sample dispatches plus two bad files, ingested by the nightly flow
(real model, ephemeral Prefect), then re-tagged (nothing to do) and compacted. The report is
written by the CLI command and opened from file:// in Debian's Chromium through Playwright;
every number checked on the page is checked against SQL over the same warehouse. Without
`chromium` these tests fail: `make test` installs it.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from seeds import default_seeds_dir
from tests.browser import open_report, watched_page
from transforms.query import run_query
from transforms.report import render_report
from transforms.report.run_artifacts import QUARANTINE_KEY, RUN_SUMMARY_KEY
from transforms.samples import copy_sample_dispatches

pytestmark = pytest.mark.slow


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


@pytest.fixture(scope="module")
def ran(tmp_path_factory: pytest.TempPathFactory) -> dict:
    from flows.backfill import backfill
    from flows.maintenance import compact
    from flows.nightly import nightly
    from flows.retag import retag

    root = tmp_path_factory.mktemp("report")
    landing = root / "landing"
    copy_sample_dispatches(default_seeds_dir() / "dispatches", landing)
    (landing / "empty.txt").write_bytes(b"")
    (landing / "garbage.bin").write_bytes(b"\x00\x01\x02\xff<script>alert(1)</script>" * 40)
    warehouse = root / "warehouse"
    summary = nightly(source=str(landing), warehouse=str(warehouse), settle_seconds=0)
    retag(warehouse=str(warehouse))
    # A backfill on the default task runner (no Dask: the model is already loaded here) over an
    # archive that is not one: it refuses it, so it publishes a quarantine artifact too.
    archive = root / "archive"
    archive.mkdir()
    (archive / "broken.zip").write_bytes(b"PK\x03\x04 truncated, not really a zip")
    backfilled = backfill(paths=[str(archive)], warehouse=str(warehouse), workers=1)
    compact(warehouse=str(warehouse))
    report = root / "report.html"
    result = CliRunner().invoke(app, ["report", "--warehouse", str(warehouse), "--out", str(report)])
    assert result.exit_code == 0, result.output
    return {"warehouse": warehouse, "report": report, "summary": summary, "root": root,
            "backfill": backfilled}


async def _artifacts(key: str) -> list:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterKey

    async with get_client() as client:
        return await client.read_artifacts(artifact_filter=ArtifactFilter(key=ArtifactFilterKey(any_=[key])))


def test_every_run_publishes_its_summary_and_the_nightly_its_quarantine(ran: dict) -> None:
    summaries = asyncio.run(_artifacts(RUN_SUMMARY_KEY))
    tables = [json.loads(a.data) for a in summaries if a.type == "table"]
    by_run = {table[0]["run_id"]: table[0] for table in tables}
    runs = _rows(ran["warehouse"], """
        SELECT run_id, flow, files_seen, files_ingested, dispatches_written, mentions_written,
               quarantined, status FROM runs""")
    assert {flow for _, flow, *_ in runs} == {"nightly", "retag", "backfill", "compact"}
    for run_id, flow, seen, ingested, dispatches, mentions, quarantined, status in runs:
        row = by_run[run_id]
        assert (row["flow"], row["files_seen"], row["files_ingested"], row["dispatches_written"],
                row["mentions_written"], row["quarantined"], row["status"]) == (
                flow, seen, ingested, dispatches, mentions, quarantined, status)
    nightly = by_run[ran["summary"].run_id]
    assert (nightly["dispatches_written"], nightly["quarantined"]) == (16, 2)

    assert by_run[ran["backfill"].run_id]["quarantined"] == ran["backfill"].quarantined == 1

    # The Prefect home is shared by the whole test session: keep this warehouse's runs only.
    ours = {run_id for run_id, *_ in runs}
    quarantines = [a.data for a in asyncio.run(_artifacts(QUARANTINE_KEY))
                   if a.type == "markdown" and any(run_id in a.data for run_id in ours)]
    assert len(quarantines) == 2, "one per run that refused something"
    (nightly_md,) = [md for md in quarantines if ran["summary"].run_id in md]
    (backfill_md,) = [md for md in quarantines if ran["backfill"].run_id in md]
    for run_id, markdown in ((ran["summary"].run_id, nightly_md), (ran["backfill"].run_id, backfill_md)):
        refused = _rows(ran["warehouse"], "SELECT reason, count(*) FROM quarantine "
                                          f"WHERE run_id = '{run_id}' GROUP BY ALL")
        assert refused
        for reason, count in refused:
            assert f"| {reason.replace('_', chr(92) + '_')} | {count} |" in markdown
    assert "<script>" not in nightly_md


def test_artifacts_outlive_the_process_in_prefect_home(ran: dict) -> None:
    """Another process, on the same PREFECT_HOME, lists them (as `prefect artifact ls` does)."""
    listed = subprocess.run(
        [str(Path(sys.executable).parent / "prefect"), "artifact", "ls", "--output", "json"],
        capture_output=True, text=True, timeout=180, check=True,
        # Not the session's live server: a temporary one of its own, reading only the home.
        env={k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"},
    )
    keys = {artifact["key"] for artifact in json.loads(listed.stdout)}
    assert {RUN_SUMMARY_KEY, QUARANTINE_KEY} <= keys


def test_report_is_byte_identical_for_the_same_warehouse(ran: dict) -> None:
    """Another process (another string-hash seed, so another set order) writes the same bytes."""
    again = ran["root"] / "again.html"
    subprocess.run(
        [sys.executable, "-m", "flows.cli", "report", "--warehouse", str(ran["warehouse"]),
         "--out", str(again)],
        check=True, capture_output=True, timeout=300, env={**os.environ, "PYTHONHASHSEED": "12345"},
    )
    assert again.read_bytes() == ran["report"].read_bytes()


def test_report_in_chromium_matches_sql_and_stays_offline(ran: dict) -> None:
    warehouse = ran["warehouse"]
    with watched_page() as (page, watch):
        open_report(page, ran["report"])
        bars = page.eval_on_selector_all(
            "svg.timeline rect.bar", "els => els.map(e => [e.dataset.agency, +e.dataset.count])")
        legend = dict(page.eval_on_selector_all(
            ".legend li[data-agency]", "els => els.map(e => [e.dataset.agency, +e.dataset.total])"))
        people = page.eval_on_selector_all(
            "tr.entity[data-label='PERSON']",
            "els => els.map(e => [e.querySelector('.name').textContent, +e.dataset.mentions])")
        nodes = page.eval_on_selector_all(
            "svg.network g.node", "els => els.map(e => [e.dataset.name, +e.dataset.dispatches])")
        edges = page.locator("svg.network line.edge").count()
        sparklines = page.locator("tr.entity svg.spark polyline").count()
        reasons = dict(page.eval_on_selector_all(
            "tr.reason", "els => els.map(e => [e.dataset.reason, +e.dataset.files])"))
        run_ids = page.eval_on_selector_all("tr.run", "els => els.map(e => e.dataset.runId)")
        bar_title = page.locator("svg.timeline rect.bar title").first.text_content()
        text = page.inner_text("body")
        total_shown = page.inner_text("#total-dispatches")
        countries = dict(page.eval_on_selector_all(
            "svg.world path.country", "els => els.map(e => [e.dataset.code, +e.dataset.mentions])"))
        dots = dict(page.eval_on_selector_all(
            "svg.world circle.dateline", "els => els.map(e => [e.dataset.placeId, +e.dataset.dispatches])"))
        dot_title = page.locator("svg.world circle.dateline title").first.text_content()
        unplaced = page.eval_on_selector_all("[data-unplaced]", "els => els.map(e => +e.dataset.unplaced)")
        undated_shown = page.eval_on_selector_all("[data-undated]", "els => els.map(e => +e.dataset.undated)")
        # Rendered boxes of every node's written name, as Chromium lays out the real font.
        label_boxes = page.eval_on_selector_all("svg.network text.node-label", """els => els.map(e => {
            const b = e.getBBox(); return [e.dataset.name, b.x, b.y, b.x + b.width, b.y + b.height]; })""")

    assert watch.page_errors == [] and watch.console_errors == []
    assert watch.blocked_requests == [], "the report asked for something outside itself"

    (dispatches,), = _rows(warehouse, "SELECT count(*) FROM dispatches_latest")
    assert dispatches > 10 and total_shown == f"{dispatches:,}"
    # Texts that give no date are dated from their file's time (today): off the timeline, counted.
    (undated,), = _rows(warehouse, "SELECT count(*) FROM dispatches_latest "
                                   "WHERE list_contains(parse_warnings, 'date_from_file_time')")
    assert undated > 0 and undated_shown == [undated]
    assert len(bars) > 5 and sum(count for _, count in bars) == dispatches - undated
    per_agency = dict(_rows(warehouse, """SELECT agency, count(*) FROM dispatches_latest
        WHERE NOT list_contains(coalesce(parse_warnings, []), 'date_from_file_time') GROUP BY ALL"""))
    for agency, total in legend.items():
        if agency != "other agencies":
            assert per_agency[agency] == total
    assert " · " in bar_title and "dispatch" in bar_title

    top_people = _rows(warehouse, """
        SELECT text, mentions FROM entities WHERE label = 'PERSON'
        ORDER BY mentions DESC, dispatches DESC, text LIMIT 5""")
    assert [tuple(p) for p in people] == top_people
    assert top_people[0][0] in text and sparklines >= len(people)

    network = dict(_rows(warehouse, """
        SELECT text, dispatches FROM entities WHERE label IN ('PERSON', 'ORG', 'GOV_BODY', 'MILITARY')"""))
    assert len(nodes) >= 10 and edges >= 5
    assert all(network[name] == count for name, count in nodes)
    # Every node's name is written, and no two written names overlap on the page.
    assert sorted(name for name, *_ in label_boxes) == sorted(name for name, _ in nodes)
    for i, (name, *a) in enumerate(label_boxes):
        for other, *b in label_boxes[i + 1:]:
            overlap = min(a[2], b[2]) - max(a[0], b[0]), min(a[3], b[3]) - max(a[1], b[1])
            assert not (overlap[0] > 0.5 and overlap[1] > 0.5), (name, other)

    # The map: every country drawn and shaded from the mentions of its places; a dot per
    # dateline place with a point, sized by its dispatches; the rest listed.
    assert len(countries) >= 170
    by_country = dict(_rows(warehouse, """SELECT p.country_code, count(*) FROM mentions_latest
        JOIN places AS p USING (place_id) GROUP BY 1"""))
    assert by_country and all(countries.get(code, n) == n for code, n in by_country.items())
    assert sum(countries.values()) > 0 and countries["US"] == by_country["US"]
    datelined = dict(_rows(warehouse, """SELECT p.place_id, count(*) FROM dispatches_latest AS d
        JOIN places AS p ON p.place_id = d.dateline_place_id GROUP BY 1"""))
    assert len(dots) >= 5 and all(datelined[place] == n for place, n in dots.items())
    assert sum(dots.values()) + sum(unplaced) == sum(datelined.values())
    assert "datelined here" in dot_title
    assert not re.search(r"(?<![\d,])1 (dispatches|mentions|shared dispatches)\b",
                         ran["report"].read_text(encoding="utf-8"))

    assert reasons == dict(_rows(warehouse, "SELECT reason, count(*) FROM quarantine GROUP BY ALL"))
    assert set(run_ids) == {r for (r,) in _rows(warehouse, "SELECT run_id FROM runs")}


def test_hostile_names_show_as_text_in_chromium(ran: dict, tmp_path: Path) -> None:
    from dataclasses import replace

    from transforms.report import gather_report_data

    data = gather_report_data(ran["warehouse"])
    evil = "<img src=x onerror=\"document.title='owned'\"><script>document.title='owned'</script>"
    first = data.nodes[0]
    data = replace(data, nodes=(replace(first, name=evil),) + data.nodes[1:],
                   edges=tuple(e for e in data.edges if first.key not in (e.source, e.target)))
    page_file = tmp_path / "hostile.html"
    page_file.write_text(render_report(data), encoding="utf-8")
    with watched_page() as (page, watch):
        open_report(page, page_file)
        assert page.locator("img").count() == 0 and page.locator("script").count() == 1
        names = page.eval_on_selector_all("g.node", "els => els.map(e => e.dataset.name)")
        titles = page.eval_on_selector_all("g.node title", "els => els.map(e => e.textContent)")
        assert page.title().startswith("wirehouse report")
        assert evil in names and any(t.startswith(evil) for t in titles)
    assert watch.blocked_requests == [] and watch.page_errors == []


def test_the_watch_catches_an_outside_request(tmp_path: Path) -> None:
    """The offline check can fail: a page that fetches from the network is caught."""
    leaky = tmp_path / "leaky.html"
    leaky.write_text('<!DOCTYPE html><html><body><img src="https://example.com/pixel.png">'
                     '<script>console.error("boom"); document.body.setAttribute("data-ready", "true")'
                     "</script></body></html>", encoding="utf-8")
    with watched_page() as (page, watch):
        open_report(page, leaky)
        page.wait_for_timeout(300)
    assert watch.blocked_requests == ["https://example.com/pixel.png"]
    assert "boom" in watch.console_errors


def test_from_and_to_limit_the_charts_to_their_window(ran: dict, tmp_path: Path) -> None:
    warehouse = ran["warehouse"]
    days = [d for (d,) in _rows(warehouse, "SELECT DISTINCT published_date FROM dispatches_latest ORDER BY 1")
            ]
    first, last = days[2], days[-3]
    out = tmp_path / "window.html"
    result = CliRunner().invoke(app, ["report", "--warehouse", str(warehouse), "--out", str(out),
                                      "--from", first.isoformat(), "--to", last.isoformat()])
    assert result.exit_code == 0, result.output
    (expected,), = _rows(warehouse, f"""SELECT count(*) FROM dispatches_latest
        WHERE published_date BETWEEN DATE '{first}' AND DATE '{last}'
          AND NOT list_contains(coalesce(parse_warnings, []), 'date_from_file_time')""")
    page = out.read_text(encoding="utf-8")
    bars = [(day, int(n)) for day, n in re.findall(r'data-day="([\d-]+)" data-count="(\d+)"', page)]
    (everything,), = _rows(warehouse, "SELECT count(*) FROM dispatches_latest")
    assert 0 < expected < everything and sum(n for _, n in bars) == expected
    assert first.isoformat() <= min(day for day, _ in bars) <= max(day for day, _ in bars) <= last.isoformat()
    assert f"from {first.isoformat()} to {last.isoformat()}" in page
