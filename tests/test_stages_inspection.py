"""`wirehouse inspect` shows how each item parses and writes nothing (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

STORY = (
    "Council approves budget\n\nThe city council approved a budget of two billion dollars late "
    "on Tuesday after a long debate.\n"
)


@pytest.fixture
def feed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("WIREHOUSE_SEEDS_DIR", raising=False)
    (tmp_path / "story.txt").write_text(STORY, encoding="utf-8")
    (tmp_path / "list.txt").write_text("eggs, milk, bread\n", encoding="utf-8")
    return tmp_path


def test_inspect_prints_fields_warnings_and_quarantine_reasons(feed: Path) -> None:
    before = sorted(p.name for p in feed.iterdir())
    result = CliRunner().invoke(app, ["inspect", "story.txt", "list.txt"])
    assert result.exit_code == 0, result.output
    assert "headline          Council approves budget" in result.output
    assert "warnings          no_dateline, date_from_file_time, language_detected" in result.output
    assert "QUARANTINED no_prose" in result.output
    assert result.output.rstrip().endswith("1 dispatches, 1 quarantined")
    assert sorted(p.name for p in feed.iterdir()) == before, "inspect wrote something"


def test_inspect_json_is_one_object_per_item(feed: Path) -> None:
    result = CliRunner().invoke(app, ["inspect", "story.txt", "list.txt", "--json"])
    assert result.exit_code == 0, result.output
    story, refused = (json.loads(line) for line in result.output.splitlines() if line.strip())
    assert (story["status"], story["language"], story["dateline_place"]) == ("dispatch", "en", None)
    assert story["parse_warnings"] == ["no_dateline", "date_from_file_time", "language_detected"]
    assert (refused["status"], refused["reason"]) == ("quarantined", "no_prose")


def test_inspect_a_missing_file_fails_clearly(feed: Path) -> None:
    result = CliRunner().invoke(app, ["inspect", "nope.txt"])
    assert result.exit_code == 1 and "not found: nope.txt" in result.output
