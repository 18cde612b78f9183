"""Stories for versions a warehouse held before stories existed (`wirehouse stories`), and kills
during the stories step of a commit: no committed version is ever without its story."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from flows.cli import app
from schemas.tables import TABLES
from tests.direct_ingest import ingest
from tests.kills import Killed, kill_before_table, kill_on
from tests.test_stories import corpus
from tests.test_stories_warehouse import _land, _partition, _rows
from transforms import storage
from transforms.stages import commit as commit_stage
from transforms.stages.stories import assign_missing_stories
from transforms.stories import sketch_index

# Three story families across two days (versions, other agencies' takes, a flash, a rewrite the
# next day): small enough to ingest in a second, with a story that crosses the night.
FAMILIES = {"quake_peru_2024_03_12", "launch_japan_h3_2024_02_17"}


def _dispatches() -> list[dict]:
    dispatches, _ = corpus()
    return sorted((d for d in dispatches if d["story"] in FAMILIES), key=lambda d: d["published_at"])


def _as_before_stories(dispatches: pa.Table, _index: pa.Table) -> tuple[pa.Table, pa.Table]:
    """The commit of a release before stories: no `story_id`, no sketch."""
    return dispatches, TABLES["story_sketches"].schema.empty_table()


def _no_version_without_its_story(warehouse: Path) -> None:
    assert _rows(warehouse, "SELECT count(*) FROM dispatches WHERE story_id IS NULL") == [(0,)]
    assert _rows(warehouse, """
        SELECT count(*) FROM dispatches AS d FULL JOIN story_sketches AS s USING (version_id)
        WHERE s.story_id IS DISTINCT FROM d.story_id""") == [(0,)]


def _old_warehouse(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, dispatches: list[dict]) -> Path:
    warehouse = tmp_path / "old"
    with monkeypatch.context() as patched:
        patched.setattr(commit_stage, "story_rows_after", _as_before_stories)
        ingest(_land(tmp_path / "old-landing", dispatches), warehouse)
    assert _rows(warehouse, "SELECT count(*) = count(*) FILTER (story_id IS NULL) FROM dispatches") \
        == [(True,)]
    return warehouse


_UNCHANGED = ("SELECT version_id, dispatch_id, headline, body, agency, published_at, source_uri, "
              "raw_sha256, run_id FROM dispatches ORDER BY version_id")


def test_wirehouse_stories_gives_an_older_warehouse_the_stories_of_one_bulk_run(tmp_path, monkeypatch):
    dispatches = _dispatches()
    warehouse = _old_warehouse(tmp_path, monkeypatch, dispatches)
    before = _rows(warehouse, _UNCHANGED)
    # Eight versions per commit, as a decades-old warehouse gets (20,000 per commit).
    assert assign_missing_stories(warehouse, per_commit=8) == len(before)
    _no_version_without_its_story(warehouse)
    assert _rows(warehouse, _UNCHANGED) == before  # only story_id changed
    bulk = tmp_path / "bulk"
    ingest(_land(tmp_path / "bulk-landing", dispatches), bulk)
    assert _partition(warehouse) == _partition(bulk)
    # Again: nothing to do, through the command.
    result = CliRunner().invoke(app, ["stories", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert "Nothing to do" in result.output
    assert _rows(warehouse, _UNCHANGED) == before


def test_versions_from_before_stories_join_the_stories_of_later_runs(tmp_path, monkeypatch):
    # The old warehouse holds the quake's first versions; a run with stories added UPDATE 3 and
    # the next day's rewrite (which found no sketch of them); then `wirehouse stories`: the
    # older versions are late arrivals and join the story of the newer ones they match.
    dispatches = _dispatches()
    old = [d for d in dispatches if d["published_at"] < "2024-03-12T15"]
    new = [d for d in dispatches if d["published_at"] >= "2024-03-12T15"]
    assert [d["headline"][:22] for d in new] == ["UPDATE 3-Peru declares", "Peru quake survivors s"]
    warehouse = _old_warehouse(tmp_path, monkeypatch, old)
    ingest(_land(tmp_path / "next-night", new), warehouse)
    ((without,),) = _rows(warehouse, "SELECT count(*) FROM dispatches WHERE story_id IS NULL")
    assert without >= len(old) - 2  # exact re-sends of a version are one row
    result = CliRunner().invoke(app, ["stories", "--warehouse", str(warehouse)])
    assert result.exit_code == 0, result.output
    assert f"Gave {without} versions their story" in result.output
    _no_version_without_its_story(warehouse)
    # UPDATE 3 and the next-day rewrite were committed first, as a story of their own; the
    # quake's earlier versions join it, late: one story, as in a bulk run.
    stories = _rows(warehouse, """
        SELECT count(DISTINCT story_id) FROM dispatches
        WHERE agency = 'Reuters' AND published_date BETWEEN DATE '2024-03-12' AND DATE '2024-03-13'""")
    bulk = tmp_path / "bulk"
    ingest(_land(tmp_path / "bulk-landing", dispatches), bulk)
    assert _partition(warehouse) == _partition(bulk)
    assert stories == [(1,)], "the Reuters quake versions and their next-day rewrite are one story"


def _night_two(tmp_path: Path) -> tuple[Path, list[dict], list[dict]]:
    dispatches = _dispatches()
    half = len(dispatches) // 2
    while not dispatches[half - 1]["body"]:
        half += 1  # no flash cut off from its dispatch
    warehouse = tmp_path / "wh"
    ingest(_land(tmp_path / "night-1", dispatches[:half]), warehouse)
    return warehouse, dispatches[:half], dispatches[half:]


def _latest_delta_rows(warehouse: Path, table: str) -> int:
    delta = storage.open_delta(warehouse, table)
    return 0 if delta is None else delta.to_pyarrow_table(columns=["version_id"]).num_rows


@pytest.fixture(scope="module")
def never_killed(tmp_path_factory) -> set[frozenset[str]]:
    """The stories of the two nights, committed without a kill."""
    warehouse, _first, second = _night_two(tmp_path_factory.mktemp("never-killed"))
    ingest(_land(warehouse.parent / "night-2", second), warehouse)
    return _partition(warehouse)


@pytest.mark.parametrize("where", ["assigning", "claimed", "dispatches-without-sketches"])
def test_a_kill_in_the_stories_step_leaves_no_version_without_its_story(
    tmp_path, monkeypatch, where, never_killed
):
    warehouse, _first, second = _night_two(tmp_path)
    landing = _land(tmp_path / "night-2", second)
    committed = _rows(warehouse, "SELECT count(*) FROM dispatches")[0][0]
    with monkeypatch.context() as patched:
        if where == "assigning":
            def dying(*_args, **_kwargs):
                raise Killed()
            patched.setattr(sketch_index, "assign_stories", dying)
        elif where == "claimed":
            kill_on(patched, "write_deltalake", 1)  # the claim, no table yet
        else:
            kill_before_table(patched, "story_sketches")  # applied last, after `dispatches`
        with pytest.raises(Killed):
            ingest(landing, warehouse)
    if where == "dispatches-without-sketches":
        # The kill fell where a direct Delta reader sees the night's versions without sketches.
        assert _latest_delta_rows(warehouse, "dispatches") > committed
        assert _latest_delta_rows(warehouse, "story_sketches") == committed
    # Readers see the last committed snapshot: every version in it has its story and sketch.
    assert _rows(warehouse, "SELECT count(*) FROM dispatches")[0][0] == committed
    _no_version_without_its_story(warehouse)
    # The next run finishes or redoes the commit: the same stories as a run never killed.
    ingest(landing, warehouse)
    _no_version_without_its_story(warehouse)
    assert _partition(warehouse) == never_killed


def test_a_commit_of_wirehouse_stories_is_not_cut_within_the_hour_after_its_last_version():
    from datetime import UTC, datetime, timedelta

    from transforms.stages.stories import _chunk

    start = datetime(2024, 3, 12, 7, tzinfo=UTC)
    times = [start, start + timedelta(minutes=5), start + timedelta(minutes=50),
             start + timedelta(minutes=100), start + timedelta(hours=5)]
    missing = pa.table({"version_id": [f"v{i}" for i in range(5)], "published_at": times,
                        "published_date": [t.date() for t in times]})
    # v2 comes 45 minutes after v1 (a flash and its dispatch), v3 50 after v2: one commit.
    assert _chunk(missing, 2).column("version_id").to_pylist() == ["v0", "v1", "v2", "v3"]
    assert _chunk(missing, 4).column("version_id").to_pylist() == ["v0", "v1", "v2", "v3"]
    # At most twice as many: a steady stream is still cut somewhere.
    assert _chunk(missing, 1).column("version_id").to_pylist() == ["v0", "v1"]
    assert _chunk(missing, 5).num_rows == 5
