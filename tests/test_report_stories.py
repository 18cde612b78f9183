"""The report's top stories: read from the `stories` view, escaped, the same bytes on rerun."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime

from tests.direct_ingest import ingest
from tests.test_report import sample_data
from tests.test_stories import corpus
from tests.test_stories_warehouse import _land
from transforms.report.model import TopStory
from transforms.report.queries import gather_report_data
from transforms.report.render import render_report


def test_top_stories_render_escaped_in_their_order() -> None:
    first = datetime(2026, 1, 3, 6, 30, tzinfo=UTC)
    stories = (TopStory("s1", "<b>Quake</b> & aftershocks", first, ("AFP", "Reuters"), 3, 5),
               TopStory("s2", "Rates held", first, ("Kyodo",), 1, 2))
    page = render_report(replace(sample_data(), stories=stories))
    assert "&lt;b&gt;Quake&lt;/b&gt; &amp; aftershocks" in page and "<b>Quake" not in page
    assert page.index('data-story-id="s1"') < page.index('data-story-id="s2"')
    assert "AFP, Reuters" in page
    assert "No stories in this window." in render_report(sample_data())


def test_the_report_lists_the_stories_most_agencies_carried(tmp_path) -> None:
    dispatches, _ = corpus()
    # Business Wire's release carried by Bloomberg and Reuters, and the Reuters Peru quake
    # with its updates.
    chosen = [d for d in dispatches if d["story"].startswith(("earnings_meridian", "quake_peru"))]
    assert chosen
    warehouse = tmp_path / "wh"
    ingest(_land(tmp_path / "landing", chosen), warehouse)
    data = gather_report_data(warehouse)
    assert data.stories, "the stories view feeds the report"
    top = data.stories[0]
    assert len(top.agencies) >= 2
    assert [len(s.agencies) for s in data.stories] == sorted((len(s.agencies) for s in data.stories),
                                                             reverse=True)
    assert render_report(data) == render_report(gather_report_data(warehouse))
    # A window after everything: no story first seen in it.
    assert gather_report_data(warehouse, date_from=date(2030, 1, 1)).stories == ()
