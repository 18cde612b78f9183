"""Stories through the warehouse: every committed version has its story and its sketch, written
in the same commit; later nights join the stories of earlier ones, as one bulk run would; the
`stories` view."""

from __future__ import annotations

import json
from pathlib import Path

from tests.direct_ingest import ingest
from tests.test_stories import corpus
from transforms.query.run import run_query


def _land(folder: Path, dispatches: list[dict]) -> Path:
    folder.mkdir(parents=True)
    records = [{"headline": d["headline"], "agency": d["agency"], "body": d["body"],
                "published_at": d["published_at"]} for d in dispatches]
    (folder / "dispatches.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    return folder


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


def _partition(warehouse: Path) -> set[frozenset[str]]:
    rows = _rows(warehouse, "SELECT story_id, list(headline || '|' || published_at::VARCHAR || '|' "
                            "|| coalesce(agency, '') ORDER BY 1) FROM dispatches GROUP BY story_id")
    return {frozenset(members) for _story, members in rows}


def test_nightly_and_bulk_give_the_same_stories_and_no_version_lacks_one(tmp_path):
    dispatches, _ = corpus()
    ordered = sorted(dispatches, key=lambda d: d["published_at"])
    bulk = tmp_path / "bulk"
    ingest(_land(tmp_path / "all", ordered), bulk)
    nightly = tmp_path / "nightly"
    # One night per calendar day (UTC), as the wires sent them: rewrites and updates of the
    # next day meet the stories of the day before only through the sketch index.
    days = sorted({d["published_at"][:10] for d in ordered})
    assert not [d for d in ordered if not d["body"] and d["published_at"][11:13] == "23"], \
        "a flash late in a day would wait for its dispatch in the next night"
    for day in days:
        night = [d for d in ordered if d["published_at"].startswith(day)]
        ingest(_land(tmp_path / f"night-{day}", night), nightly)
    assert len(days) > 30

    for warehouse in (bulk, nightly):
        assert _rows(warehouse, "SELECT count(*) FROM dispatches WHERE story_id IS NULL") == [(0,)]
        # One sketch per version, with the story the version was given.
        assert _rows(warehouse, """
            SELECT count(*) FROM dispatches AS d FULL JOIN story_sketches AS s USING (version_id)
            WHERE s.story_id IS DISTINCT FROM d.story_id""") == [(0,)]
    committed = _rows(bulk, "SELECT count(*) FROM dispatches")[0][0]
    assert committed >= 140  # of 165: exact re-sends of one version are one row
    assert _partition(bulk) == _partition(nightly)
    assert len(_partition(bulk)) < committed * 0.6  # versions and repeats did cluster


def test_the_stories_view(tmp_path):
    dispatches, _ = corpus()
    peru = [d for d in dispatches if d["story"] == "quake_peru_2024_03_12"]
    warehouse = tmp_path / "wh"
    ingest(_land(tmp_path / "landing", peru), warehouse)
    rows = _rows(warehouse, """
        SELECT story_id, first_seen, last_seen, agencies, dispatches, versions, first_headline,
               top_entities
        FROM stories ORDER BY versions DESC""")
    by_story = _rows(warehouse, "SELECT story_id, count(*) FROM dispatches GROUP BY ALL")
    assert sorted(r[5] for r in rows) == sorted(n for _s, n in by_story)
    biggest = rows[0]
    members = _rows(warehouse, f"""
        SELECT min(published_at), max(published_at), list_sort(list_distinct(list(agency))),
               count(DISTINCT dispatch_id), arg_min(headline, published_at)
        FROM dispatches WHERE story_id = '{biggest[0]}'""")[0]
    assert biggest[1:5] == members[0:4]
    assert biggest[6] == members[4]
    assert biggest[7], "a quake story names places and agencies"
