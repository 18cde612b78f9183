"""Messages that once misled: each case by its exact first line."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.test_query_read_only import warehouse  # noqa: F401 - fixture
from transforms import storage


def test_as_of_before_the_first_commit_is_an_error_not_an_empty_answer(warehouse: Path) -> None:  # noqa: F811
    with pytest.raises(storage.WarehouseError) as early:
        storage.read_snapshot(warehouse, "1990-01-01T00:00:00+00:00")
    assert str(early.value).startswith(
        "no commit at or before 1990-01-01T00:00:00+00:00: the first commit of the warehouse was at ")
    result = CliRunner().invoke(app, ["sql", "--warehouse", str(warehouse), "--as-of", "1990-01-01",
                                      "SELECT count(*) FROM dispatches"])
    assert result.exit_code == 1
    assert result.output.splitlines()[0].startswith(
        "Error: no commit at or before 1990-01-01T00:00:00+00:00: the first commit of the warehouse was at ")



def test_commits_in_sql_says_where_the_markers_are(warehouse: Path) -> None:  # noqa: F811
    """The README names `_commits` for the markers; `wirehouse sql` cannot read it (it is not a
    view), and says so instead of DuckDB's "Did you mean pg_constraint?"."""
    runner = CliRunner()
    commits = runner.invoke(app, ["sql", "--warehouse", str(warehouse), "SELECT * FROM _commits"])
    assert commits.exit_code == 1
    assert commits.output.splitlines()[0] == (
        "Error: _commits is not a view: it is the commit log, storage bookkeeping that no query "
        "reads; `wirehouse history` lists its commit markers (--json for every field), and any "
        "Delta reader opens <warehouse>/_commits")
    unknown = runner.invoke(app, ["sql", "--warehouse", str(warehouse),
                                  "SELECT d.* FROM dispatches d JOIN dispatch_list l USING (version_id)"])
    assert unknown.exit_code == 1
    assert unknown.output.splitlines()[0] == (
        "Error: no table or view named dispatch_list; the views are: dispatches, dispatches_latest, "
        "entities, entity_aliases, ingested_files, mentions, mentions_latest, places, "
        "places_mentioned, quarantine, quotes, quotes_latest, runs, stories, story_sketches, taggings")
    # The markers are where the message says.
    history = runner.invoke(app, ["history", "--warehouse", str(warehouse), "--json"])
    assert history.exit_code == 0
    assert '"marker"' in history.output
