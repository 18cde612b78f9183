"""The quarantine as a waiting room: each refusal records the parser version that refused it,
and `requeue` makes refused files readable again, so that a file refused before a reader was
added is read by the next run, once (tests/direct_ingest.py: no Prefect)."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

import transforms.readers.read as read_module
from flows.cli import app
from tests.direct_ingest import ingest
from transforms import landing, stages, storage
from transforms.readers.common import sha256_hex
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source
from transforms.records import ParsedDispatch
from transforms.stages import plan_requeue, requeue_files

# A house format no reader of ours knows: refused as unknown_format until the test adds one.
HOUSE_ITEM = """<?xml version="1.0" encoding="utf-8"?>
<HouseWire>
  <Title>Harbour cranes idle as dockers walk out</Title>
  <Sent>2026-03-04T09:30:00Z</Sent>
  <Text>Dockers at the port of Aarhus stopped work on Wednesday over a pay offer they called an
insult, leaving container ships waiting in the bay.</Text>
</HouseWire>
"""

JSON_LINES = (
    '{"headline": "Ferry service resumes after storm", "body": "The ferry between Aarhus and '
    'Odden ran again on Thursday after two days of gales.", "published_at": '
    '"2026-03-05T07:00:00Z", "agency": "Ritzau"}\n'
    '{"headline": "No date here", "body": "A record without a time of publication."}\n'
)


def _read_house(source: Source, context: Context) -> Iterator[Item]:
    with source.open() as stream:
        data = stream.read()
    text = data.decode("utf-8")

    def field(name: str) -> str:
        return re.search(f"<{name}>(.*?)</{name}>", text, re.S).group(1).strip()

    yield ParsedDispatch(
        source_uri=source.uri, source_format="house-wire", raw_sha256=sha256_hex(data),
        body=" ".join(field("Text").split()), headline=field("Title"), agency="Ritzau",
        published_at=datetime.fromisoformat(field("Sent")),
    )


HOUSE_FORMAT = InputFormat("house-wire", lambda head: 0.96 if b"<HouseWire>" in head else 0.0, _read_house)


def _add_house_reader(monkeypatch: pytest.MonkeyPatch) -> None:
    """An upgrade that adds a reader: the registry every read (and the parser version) uses."""
    monkeypatch.setattr(read_module, "FORMATS", (HOUSE_FORMAT, *read_module.FORMATS))


def _rows(warehouse: Path, table: str) -> list[dict]:
    return storage.read_table(warehouse, table).to_pylist()


def _land(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (1_772_600_000, 1_772_600_000))
    return path


def test_a_refusal_records_the_parser_version_that_refused_it(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    landing_folder, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _land(landing_folder, "house.xml", HOUSE_ITEM)
    _land(landing_folder, "empty.txt", "")
    ingest(landing_folder, warehouse)
    versions = {row["reason"]: row["parser_version"] for row in _rows(warehouse, "quarantine")}
    before = read_module.current_parser_version()
    assert versions == {"unknown_format": f"{before}; xml/1", "empty_file": f"{before}; empty/1"}
    assert read_module.refused_by_this_parser(versions["unknown_format"])
    # A reader added: the registry is another, so every refusal above was by an older parser.
    _add_house_reader(monkeypatch)
    assert read_module.current_parser_version() != before
    assert not read_module.refused_by_this_parser(versions["unknown_format"])
    assert not read_module.refused_by_this_parser(None)  # a row from before versions were kept


def test_refused_then_reader_added_then_requeued_is_ingested_once(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    landing_folder, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    house = _land(landing_folder, "ritzau/house.xml", HOUSE_ITEM)
    _land(landing_folder, "feed.jsonl", JSON_LINES)
    first = ingest(landing_folder, warehouse)
    assert (first.dispatches, first.quarantined) == (1, 2)  # the JSON record; house.xml, no_date
    assert {r["reason"] for r in _rows(warehouse, "quarantine")} == {"unknown_format", "no_date"}

    # Refused by this very parser: not outdated.
    assert plan_requeue(warehouse, outdated=True).items == ()
    _add_house_reader(monkeypatch)
    # Nothing is read again by itself: the ledger holds the refused file.
    assert ingest(landing_folder, warehouse).dispatches == 0

    plan = plan_requeue(warehouse, reasons=["unknown_format"], outdated=True)
    assert [item.path for item in plan.items] == [str(house.resolve())]
    assert plan.items[0].describe(dry_run=True).startswith(
        f"would requeue {house.resolve()} (1 quarantine row: unknown_format; refused ")
    done = requeue_files(warehouse, plan, "requeue-test-1")
    assert [item.path for item in done.ready] == [str(house.resolve())]
    # The file's refusal left the quarantine with it; the other file's refusal stayed.
    assert [r["reason"] for r in _rows(warehouse, "quarantine")] == ["no_date"]
    assert str(house.resolve()) not in {r["source_uri"] for r in _rows(warehouse, "ingested_files")}

    second = ingest(landing_folder, warehouse)
    assert (second.files, second.dispatches, second.quarantined) == (1, 1, 0)
    headlines = [r["headline"] for r in _rows(warehouse, "dispatches")]
    assert sorted(headlines) == ["Ferry service resumes after storm",
                                 "Harbour cranes idle as dockers walk out"]
    ledger = [r for r in _rows(warehouse, "ingested_files") if r["source_uri"] == str(house.resolve())]
    assert [(r["dispatches"], r["rejected"]) for r in ledger] == [(1, 0)]
    # Once: neither another run nor another requeue of the same reason finds anything more.
    assert ingest(landing_folder, warehouse).dispatches == 0
    assert plan_requeue(warehouse, reasons=["unknown_format"]).items == ()
    assert len(_rows(warehouse, "dispatches")) == 2


def test_a_requeued_file_still_refused_is_quarantined_again_once_by_the_new_parser(
        tmp_path: Path) -> None:
    landing_folder, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _land(landing_folder, "house.xml", HOUSE_ITEM)
    ingest(landing_folder, warehouse)
    [before] = _rows(warehouse, "quarantine")
    requeue_files(warehouse, plan_requeue(warehouse, since=date(2000, 1, 1)), "requeue-test-2")
    assert _rows(warehouse, "quarantine") == []
    again = ingest(landing_folder, warehouse)
    assert (again.files, again.quarantined) == (1, 1)
    [after] = _rows(warehouse, "quarantine")
    assert (after["reason"], after["parser_version"]) == ("unknown_format", before["parser_version"])
    assert after["run_id"] != before["run_id"]
    assert len(_rows(warehouse, "ingested_files")) == 1


def test_every_refusal_of_a_requeued_file_leaves_with_it_and_comes_back_once(tmp_path: Path) -> None:
    landing_folder, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _land(landing_folder, "feed.jsonl", JSON_LINES + '{"headline": "cut off\n')
    ingest(landing_folder, warehouse)
    assert sorted(r["reason"] for r in _rows(warehouse, "quarantine")) == ["malformed_json", "no_date"]
    [item] = plan_requeue(warehouse, reasons=["malformed_json"]).items
    assert sorted(r.reason for r in item.refusals) == ["malformed_json", "no_date"]
    requeue_files(warehouse, plan_requeue(warehouse, reasons=["malformed_json"]), "requeue-test-4")
    assert _rows(warehouse, "quarantine") == []
    again = ingest(landing_folder, warehouse)
    assert (again.files, again.dispatches, again.quarantined) == (1, 0, 2)
    assert len({r["run_id"] for r in _rows(warehouse, "quarantine")}) == 1
    assert len(_rows(warehouse, "dispatches")) == 1


def test_a_partly_refused_file_is_put_back_from_the_archive_and_nothing_is_duplicated(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    landing_folder, archive, warehouse = tmp_path / "landing", tmp_path / "done", tmp_path / "warehouse"
    feed = _land(landing_folder, "day/feed.jsonl", JSON_LINES)
    ingest(landing_folder, warehouse)
    fresh = [landing.read_source_file(feed)]
    fresh = [landing.SourceFile(f.path, f.sha256, f.size, str(feed)) for f in fresh]
    assert stages.archive_ingested(fresh, warehouse, landing_folder, archive).moved == 1
    assert not feed.exists() and (archive / "day" / "feed.jsonl").is_file()

    # Refused on another day than asked for, or for another reason: nothing chosen.
    assert plan_requeue(warehouse, since=datetime.now(UTC).date().replace(year=2999)).items == ()
    assert plan_requeue(warehouse, reasons=["unknown_format"]).items == ()
    # Without the archive folder its bytes are nowhere: left in quarantine as it was.
    [lost] = plan_requeue(warehouse, reasons=["no_date"]).items
    assert lost.missing and lost.describe().startswith(f"not found {feed.resolve()}")
    assert requeue_files(warehouse, plan_requeue(warehouse, reasons=["no_date"]), "requeue-none").ready == ()
    assert len(_rows(warehouse, "quarantine")) == 1 and len(_rows(warehouse, "ingested_files")) == 1

    plan = plan_requeue(warehouse, reasons=["no_date"], archive_to=archive)
    [item] = plan.items
    assert item.archived_at == str(archive / "day" / "feed.jsonl")
    # A copy that cannot be put back (here: the disk is full) leaves everything as it was.
    with monkeypatch.context() as patched:
        def disk_full(*args: object) -> None:
            raise OSError(28, "No space left on device")

        patched.setattr(landing, "archive_file", disk_full)
        failed = requeue_files(warehouse, plan, "requeue-disk-full")
    assert failed.ready == () and "No space left on device" in failed.items[0].describe()
    assert failed.summary().startswith(
        "Requeued 0 files (removing 0 quarantine rows); 1 not found or not put back")
    assert len(_rows(warehouse, "quarantine")) == 1 and len(_rows(warehouse, "ingested_files")) == 1
    done = requeue_files(warehouse, plan, "requeue-test-3")
    assert done.items[0].restored_to == str(feed.resolve()) and feed.is_file()
    assert not (archive / "day" / "feed.jsonl").exists()

    again = ingest(landing_folder, warehouse)
    # Read again in full: its dispatch is in the warehouse already, its refusal comes back.
    assert (again.files, again.dispatches, again.quarantined) == (1, 0, 1)
    assert len(_rows(warehouse, "dispatches")) == 1
    assert [r["reason"] for r in _rows(warehouse, "quarantine")] == ["no_date"]
    assert [(r["dispatches"], r["rejected"]) for r in _rows(warehouse, "ingested_files")] == [(1, 1)]


def test_requeue_command_lists_each_outcome_and_dry_run_changes_nothing(tmp_path: Path) -> None:
    landing_folder, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    house = _land(landing_folder, "house.xml", HOUSE_ITEM)
    ingest(landing_folder, warehouse)
    runner = CliRunner()
    dry = runner.invoke(app, ["requeue", "--warehouse", str(warehouse), "--reason", "unknown_format",
                              "--dry-run"])
    assert dry.exit_code == 0, dry.output
    lines = dry.output.splitlines()
    assert lines[0].startswith(f"would requeue {house.resolve()} (1 quarantine row: unknown_format; ")
    assert lines[-1] == "Would requeue 1 file (removing 1 quarantine row). Nothing was changed (--dry-run)."
    assert len(_rows(warehouse, "quarantine")) == 1
    done = runner.invoke(app, ["requeue", "--warehouse", str(warehouse), "--reason", "unknown_format"])
    assert done.exit_code == 0, done.output
    assert done.output.splitlines()[-1] == ("Requeued 1 file (removing 1 quarantine row). "
                                            "The next run reads them again.")
    assert _rows(warehouse, "quarantine") == []
    nothing = runner.invoke(app, ["requeue", "--warehouse", str(warehouse)])
    assert nothing.output.strip() == "Nothing in quarantine matches: nothing to requeue."


def test_a_refusal_without_a_file_leaves_the_quarantine_and_the_next_run_looks_again(tmp_path: Path) -> None:
    landing_folder, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    outside = _land(tmp_path / "elsewhere", "story.xml", HOUSE_ITEM)
    landing_folder.mkdir()
    (landing_folder / "link.xml").symlink_to(outside)
    ingest(landing_folder, warehouse)
    assert ingest(landing_folder, warehouse).quarantined == 0  # refused once, not every run
    [item] = plan_requeue(warehouse, reasons=["outside_landing"]).items
    assert item.file_sha256 is None
    assert item.describe().endswith("the next run looks at it again")
    requeue_files(warehouse, plan_requeue(warehouse, reasons=["outside_landing"]), "requeue-test-5")
    assert _rows(warehouse, "quarantine") == []
    # Still a link out of the landing folder: refused again, once.
    assert ingest(landing_folder, warehouse).quarantined == 1
    assert [r["reason"] for r in _rows(warehouse, "quarantine")] == ["outside_landing"]


def test_refusals_committed_after_the_plan_was_made_are_kept(tmp_path: Path) -> None:
    landing_folder, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _land(landing_folder, "house.xml", HOUSE_ITEM)
    ingest(landing_folder, warehouse)
    plan = plan_requeue(warehouse, reasons=["unknown_format"])
    _land(landing_folder, "later/empty.txt", "")  # another run commits a refusal meanwhile
    ingest(landing_folder, warehouse)
    requeue_files(warehouse, plan, "requeue-test-6")
    assert [r["reason"] for r in _rows(warehouse, "quarantine")] == ["empty_file"]
