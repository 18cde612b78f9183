"""Delta maintenance and hand repairs change nothing readers or writers see.

Issue 19: the newest marker used to be found by `_commits` version arithmetic, so the two
commits of a vacuum (VACUUM START/END, no marker row) or an optimize made readers see an empty
warehouse and the next writer commit every file again; an operator's OPTIMIZE + VACUUM of a data
table removed the files of the version a marker pins; deleting `_pending/` under an open claim
wedged every later write; and a direct Delta reader saw dispatches without their mentions after a
kill between two table commits.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from deltalake import CommitProperties, DeltaTable, write_deltalake
from deltalake.exceptions import CommitFailedError

from schemas.tables import TABLES
from tests.direct_ingest import ingest
from tests.kills import Killed, kill_on
from tests.test_cli_warehouse import write_landing
from transforms import storage
from transforms.query import run_query

CONTENT = {
    "dispatches": "SELECT version_id FROM dispatches ORDER BY 1",
    "mentions": "SELECT mention_id FROM mentions ORDER BY 1",
    "taggings": "SELECT version_id FROM taggings ORDER BY 1",
    "ingested_files": "SELECT file_sha256 FROM ingested_files ORDER BY 1",
    "entity_aliases": "SELECT count(*) FROM entity_aliases",
}


def _seen(warehouse: Path) -> dict[str, list[tuple]]:
    return {name: run_query(warehouse, sql).rows for name, sql in CONTENT.items()}


def _warehouse(tmp_path: Path) -> tuple[Path, Path]:
    """Three commits of two files each (so every table has several files to compact)."""
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    write_landing(landing, range(6))
    ingest(landing, warehouse, batch_files=2)
    return landing, warehouse


def _lose_a_claim(warehouse: Path) -> str:
    """A writer loads `_commits`, another appends first: the loser's compare-and-swap fails
    after its Parquet file is written, which no version ever names."""
    stale = DeltaTable(str(warehouse / storage.MARKER_TABLE))
    before = set(os.listdir(warehouse / storage.MARKER_TABLE))
    storage.write_marker(warehouse, "a-competing-writer")
    row = stale.to_pyarrow_dataset().head(1)
    with pytest.raises(CommitFailedError):
        write_deltalake(stale, row, mode="append",
                        commit_properties=CommitProperties(max_commit_retries=0))
    lost = set(os.listdir(warehouse / storage.MARKER_TABLE)) - before - {"_delta_log"}
    referenced = {p for p in pa.table(DeltaTable(str(warehouse / storage.MARKER_TABLE))
                                      .get_add_actions(flatten=True)).column("path").to_pylist()}
    (unreferenced,) = lost - referenced
    return unreferenced


def _every_table(warehouse: Path) -> list[Path]:
    return [warehouse / name for name in [*TABLES, storage.MARKER_TABLE]
            if (warehouse / name / "_delta_log").is_dir()]


def _vacuum_everything(warehouse: Path) -> int:
    return sum(len(DeltaTable(str(t)).vacuum(retention_hours=0, enforce_retention_duration=False,
                                            full=True, dry_run=False))
               for t in _every_table(warehouse))


def _check_unchanged(landing: Path, warehouse: Path, marker: int, seen: dict) -> None:
    assert storage.read_snapshot(warehouse).marker == marker
    assert _seen(warehouse) == seen
    assert ingest(landing, warehouse).dispatches == 0  # the rerun finds every file in the ledger
    assert _seen(warehouse) == seen


def test_a_vacuum_of_every_table_changes_nothing_readers_or_writers_see(tmp_path: Path) -> None:
    landing, warehouse = _warehouse(tmp_path)
    lost = _lose_a_claim(warehouse)
    marker, seen = storage.read_snapshot(warehouse).marker, _seen(warehouse)
    assert _vacuum_everything(warehouse) >= 1
    assert not (warehouse / storage.MARKER_TABLE / lost).exists()
    _check_unchanged(landing, warehouse, marker, seen)


def test_an_operators_optimize_and_vacuum_of_every_table_changes_nothing(tmp_path: Path) -> None:
    landing, warehouse = _warehouse(tmp_path)
    _lose_a_claim(warehouse)
    marker, seen = storage.read_snapshot(warehouse).marker, _seen(warehouse)
    for table in _every_table(warehouse):
        DeltaTable(str(table)).optimize.compact()
    assert _vacuum_everything(warehouse) >= 3
    # The files of the versions the marker pins are gone: only compacted ones are left.
    assert len(list((warehouse / "ingested_files").glob("*.parquet"))) == 1
    _check_unchanged(landing, warehouse, marker, seen)
    for table in _every_table(warehouse):  # a second round, on top of the first
        DeltaTable(str(table)).optimize.compact()
    _vacuum_everything(warehouse)
    _check_unchanged(landing, warehouse, marker, seen)



def test_a_compact_killed_between_its_vacuum_and_its_runs_row_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from flows import maintenance

    landing, warehouse = _warehouse(tmp_path)
    lost = _lose_a_claim(warehouse)
    past = time.time() - 3 * 3600  # older than the retention: compact's vacuum deletes it
    os.utime(warehouse / storage.MARKER_TABLE / lost, (past, past))
    seen = _seen(warehouse)

    def killed(*_args, **_kwargs):
        raise Killed()

    monkeypatch.setattr(maintenance, "record_run_task", killed)
    with pytest.raises(Killed):
        maintenance.compact(warehouse=str(warehouse), max_files=1)
    monkeypatch.undo()
    assert not (warehouse / storage.MARKER_TABLE / lost).exists()
    marker = storage.read_snapshot(warehouse).marker
    assert marker >= 1 and storage.read_snapshot(warehouse).commit_id.startswith("compact")
    _check_unchanged(landing, warehouse, marker, seen)




def test_a_claim_whose_staged_rows_were_deleted_is_aborted_and_its_files_read_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    write_landing(landing, range(3))
    ingest(landing, warehouse)
    write_landing(landing, range(3, 6))
    with monkeypatch.context() as patched:
        kill_on(patched, "write_deltalake", 1)  # the claim, then killed before any table
        with pytest.raises(Killed):
            ingest(landing, warehouse)
    shutil.rmtree(warehouse / storage.PENDING_DIR)  # by hand, as the README used to invite
    assert run_query(warehouse, "SELECT count(*) FROM dispatches").rows == [(3,)]
    write_landing(tmp_path / "other", range(10, 12))
    with caplog.at_level(logging.WARNING, logger="transforms.storage"):
        assert ingest(tmp_path / "other", warehouse).dispatches == 2  # the next commit goes on
    assert any("aborted" in r.getMessage() and "read again" in r.getMessage() for r in caplog.records)
    (aborted,) = storage.claims(warehouse)
    assert aborted.state == storage.ABORTED and aborted.commit_id.endswith("-00001")
    # The killed batch's files are not in the ledger: re-ingesting gives their rows once.
    assert run_query(warehouse, "SELECT count(*) FROM dispatches").rows == [(5,)]
    assert ingest(landing, warehouse).dispatches == 3
    assert run_query(warehouse, "SELECT count(*), count(DISTINCT version_id), "
                                "(SELECT count(*) FROM ingested_files) FROM dispatches").rows == [(8, 8, 8)]
    assert ingest(landing, warehouse).dispatches == 0


def test_a_claim_applied_in_part_whose_staged_rows_were_deleted_is_refused_in_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    write_landing(landing, range(3))
    with monkeypatch.context() as patched:
        kill_on(patched, "write_deltalake", 2)  # the claim and one table
        with pytest.raises(Killed):
            ingest(landing, warehouse)
    (commit_id,) = storage.pending_commits(warehouse)
    shutil.rmtree(warehouse / storage.PENDING_DIR)
    with pytest.raises(storage.WarehouseError) as refused:
        storage.commit_rows(warehouse, {"quarantine": _quarantine_row()}, "next")
    message = str(refused.value)
    assert commit_id in message and "wirehouse doctor" in message and "\n" not in message
    assert [(c.commit_id, c.state) for c in storage.claims(warehouse)] == [(commit_id, "claimed")]


def _quarantine_row() -> pa.Table:
    from datetime import UTC, datetime

    return pa.Table.from_pylist(
        [{"source_uri": "f", "reason": "empty_file", "detail": "d", "run_id": "r",
          "detected_at": datetime(2026, 1, 16, tzinfo=UTC)}], schema=TABLES["quarantine"].schema)


def _latest(warehouse: Path, name: str) -> pa.Table:
    """What a direct Delta reader (DuckDB delta_scan, Polars, Spark) reads: the latest version."""
    path = warehouse / name
    if not (path / "_delta_log").is_dir():
        return TABLES[name].schema.empty_table()
    return DeltaTable(str(path)).to_pyarrow_table()


@pytest.mark.parametrize("tables_applied", range(0, 7))
def test_a_direct_reader_never_sees_a_dispatch_without_its_mentions_after_a_kill(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tables_applied: int
) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "wh"
    write_landing(landing, range(4))
    with monkeypatch.context() as patched:
        kill_on(patched, "write_deltalake", 1 + tables_applied)  # the claim, then n tables
        with contextlib.suppress(Killed):
            ingest(landing, warehouse)
    dispatches = set(_latest(warehouse, "dispatches").column("version_id").to_pylist())
    for child in ("mentions", "taggings"):
        have = set(_latest(warehouse, child).column("version_id").to_pylist())
        assert dispatches <= have, f"{child} missing for visible dispatches"
    ledger = _latest(warehouse, "ingested_files")
    read = ledger.filter(pc.field("dispatches") > 0).column("source_uri").to_pylist()
    assert set(read) <= set(_latest(warehouse, "dispatches").column("source_uri").to_pylist())


def test_checkpoint_tombstones_are_kept_as_long_as_the_vacuum_keeps_the_files(tmp_path: Path) -> None:
    """Tables keep tombstones of replaced files in their checkpoints for exactly the vacuum's
    retention: shorter would let a full vacuum delete a file a reader pinned within the hour
    (its tombstone gone, its write time old); longer only makes every load read more."""
    from transforms.storage.commits import TABLE_PROPERTIES

    retention = TABLE_PROPERTIES["delta.deletedFileRetentionDuration"]
    assert retention == f"interval {storage.VACUUM_RETENTION_HOURS:g} hours"
    storage.commit_rows(tmp_path, {"quarantine": _quarantine_row()}, "c1")
    config = DeltaTable(str(tmp_path / "quarantine")).metadata().configuration
    assert config["delta.deletedFileRetentionDuration"] == retention
