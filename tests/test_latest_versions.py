"""`dispatches_latest` (and `mentions_latest`, `quotes_latest`, `entities`) against a warehouse
holding every publication status, every signal, and embargoes both pending and expired.

Each story is a pair of ninjs versions written here: version 1 is plain and usable, version 2
carries what is under test. The README's rule: the newest version of each story is shown,
unless that version is canceled, withheld, killed or still under embargo, in which case the
story is hidden (an older version does not come back).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.direct_ingest import ingest
from transforms.query import run_query

# story -> the fields of its second version, and whether the story shows in dispatches_latest
SECOND_VERSIONS: dict[str, tuple[dict, bool]] = {
    "plain-update": ({"signals": [{"code": "sig:update"}]}, True),
    "correction": ({"ednote": "Corrects the minister's title"}, True),
    "status-usable": ({"pubstatus": "stat:usable"}, True),
    "withheld": ({"pubstatus": "withheld"}, False),
    "embargoed-status": ({"pubstatus": "embargoed"}, False),
    "canceled": ({"pubstatus": "canceled"}, False),
    "kill-signal": ({"signals": [{"code": "sig:kill"}]}, False),
    "kill-ednote": ({"ednote": "Kill: legal problem, withdraw this story"}, False),
    "embargo-pending": ({"embargoed": "2999-01-01T00:00:00Z"}, False),
    "embargo-expired": ({"embargoed": "2026-01-05T12:00:00Z"}, True),
}
EXPECTED_SIGNAL = {"plain-update": "update", "correction": "correction", "kill-signal": "kill",
                   "kill-ednote": "kill", "canceled": "kill"}
EXPECTED_STATUS = {"withheld": "withheld", "embargoed-status": "withheld", "canceled": "canceled"}


def _version(story: str, number: int, extra: dict) -> dict:
    return {
        "uri": f"urn:wirehouse-test:{story}",
        "version": number,
        "versioncreated": f"2026-01-0{4 + number}T0{number}:00:00Z",
        "headline": f"Port talks in Rotterdam, {story}, take {number}",
        "byline": "Desk Staff",
        "language": "en",
        "body_text": (
            f"ROTTERDAM (Reuters) - Officials of the Ministry of Defense told Kyodo on "
            f"Tuesday that talks on the {story} story had reached round {number}. "
            f"\u201cWe are close,\u201d said one of them."
        ),
        **extra,
    }


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("latest")
    landing = root / "landing"
    landing.mkdir()
    for story, (extra, _shown) in SECOND_VERSIONS.items():
        for number, fields in ((1, {}), (2, extra)):
            path = landing / f"{story}-v{number}.json"
            path.write_text(json.dumps(_version(story, number, fields)), encoding="utf-8")
    counts = ingest(landing, root / "warehouse")
    assert (counts.dispatches, counts.quarantined) == (2 * len(SECOND_VERSIONS), 0)
    return root / "warehouse"


def _story(dispatch_id_or_uri: str) -> str:
    return dispatch_id_or_uri.rsplit(":", 1)[-1]


def test_the_fixture_reaches_the_warehouse_with_each_status_and_signal(warehouse: Path) -> None:
    rows = run_query(warehouse, """
        SELECT headline, pub_status, signal, embargo_until IS NOT NULL FROM dispatches
        WHERE story_version = 2""").rows
    got = {headline.split(", ")[1]: (status, signal, embargo) for headline, status, signal, embargo in rows}
    assert set(got) == set(SECOND_VERSIONS)
    for story in SECOND_VERSIONS:
        status, signal, embargo = got[story]
        assert status == EXPECTED_STATUS.get(story, "usable"), story
        assert signal == EXPECTED_SIGNAL.get(story), story
        assert embargo == story.startswith("embargo-"), story
    # Every status and every signal the contract knows is present.
    assert {s for s, _, _ in got.values()} == {"usable", "withheld", "canceled"}
    assert {g for _, g, _ in got.values()} == {None, "update", "correction", "kill"}


def test_latest_shows_the_newest_version_only_when_it_may_be_shown(warehouse: Path) -> None:
    rows = run_query(warehouse, "SELECT headline, story_version FROM dispatches_latest").rows
    shown = {headline.split(", ")[1]: version for headline, version in rows}
    assert shown == {story: 2 for story, (_, visible) in SECOND_VERSIONS.items() if visible}
    assert len(rows) == len(shown), "one row per story"


def test_mentions_quotes_and_entities_follow_the_shown_versions(warehouse: Path) -> None:
    latest = {v for (v,) in run_query(warehouse, "SELECT version_id FROM dispatches_latest").rows}
    for view, table in (("mentions_latest", "mentions"), ("quotes_latest", "quotes")):
        versions = {v for (v,) in run_query(warehouse, f"SELECT DISTINCT version_id FROM {view}").rows}
        everywhere = {v for (v,) in run_query(warehouse, f"SELECT DISTINCT version_id FROM {table}").rows}
        assert versions == latest, view
        assert len(everywhere) == 2 * len(SECOND_VERSIONS), f"every version has {table}"
    shown = sum(visible for _, visible in SECOND_VERSIONS.values())
    counts = dict(run_query(warehouse, "SELECT text, dispatches FROM entities").rows)
    assert counts["Ministry of Defense"] == shown
    assert counts["Kyodo News"] == shown
