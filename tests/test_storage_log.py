"""The Delta logs stay short without losing anything readers, writers or `--as-of` need.

Issue 19 (flat commit cost): profiled at 1,000 commits, a commit's cost had grown mostly by
listing `_delta_log/` folders (delta-rs lists a local table's whole log on every load, update
and commit, and its post-commit log cleanup lists it again at every commit). `_commits`, never
read at an old version, keeps its log for seconds; data tables keep Delta's 30 days, cleaned by
`compact` instead of at every commit. Log entries are aged here by their modification time,
which is what Delta's cleanup judges (no sleeps).
"""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from deltalake import DeltaTable
from hypothesis import given
from hypothesis import strategies as st

from schemas.tables import QUARANTINE
from transforms import storage
from transforms.query import run_query
from transforms.storage import commits as storage_commits
from transforms.storage.history import markers as history_markers
from transforms.storage.maintenance import clean_logs


def _rows(number: int) -> pa.Table:
    rows = [{"source_uri": f"f{number}.txt", "reason": "empty_file", "detail": "d",
             "run_id": f"r{number}", "detected_at": datetime(2026, 1, 16, tzinfo=UTC)}]
    return pa.Table.from_pylist(rows, schema=QUARANTINE.schema)


def _commit(warehouse: Path, number: int) -> None:
    storage.commit_rows(warehouse, {"quarantine": _rows(number)}, f"c{number}")


def _log(warehouse: Path, name: str) -> list[Path]:
    return sorted(p for p in (warehouse / name / "_delta_log").iterdir() if p.name[:20].isdigit())


def _age(warehouse: Path, name: str, seconds: float) -> None:
    then = time.time() - seconds
    for entry in _log(warehouse, name):
        os.utime(entry, (then, then))


def _count(warehouse: Path, as_of: int | None = None) -> int:
    return run_query(warehouse, "SELECT count(*) FROM quarantine", as_of=as_of).rows[0][0]


def test_the_commit_log_forgets_old_versions_and_no_reader_notices(tmp_path: Path) -> None:
    """`_commits` entries older than its short log retention are deleted by the next commit;
    the head, every marker of `history` and `--as-of` an early marker are unchanged."""
    for number in range(1, 13):
        _commit(tmp_path, number)
    before = storage.read_snapshot(tmp_path)
    listed = [(m.marker, m.commit_id, m.state) for m in history_markers(tmp_path)]
    grown = len(_log(tmp_path, storage.MARKER_TABLE))
    assert grown > 20
    _age(tmp_path, storage.MARKER_TABLE, 120)
    _commit(tmp_path, 13)
    after = storage.read_snapshot(tmp_path)
    # what is left: the segment from the checkpoint before the newest entries (Delta's cleanup
    # keeps every version younger than the retention loadable)
    assert len(_log(tmp_path, storage.MARKER_TABLE)) <= 12 < grown
    assert after.marker == before.marker + 2
    assert after.versions["quarantine"] == before.versions["quarantine"] + 1
    assert [(m.marker, m.commit_id, m.state) for m in history_markers(tmp_path)][:len(listed)] == listed
    assert _count(tmp_path) == 13
    first = storage.read_snapshot(tmp_path, 2)
    assert first.commit_id == "c1"
    assert _count(tmp_path, as_of=2) == 1


def test_a_claim_on_a_commit_log_cleaned_since_it_was_loaded_is_a_lost_race(tmp_path: Path) -> None:
    """A writer whose `_commits` fell so far behind that the versions after it were cleaned
    up gets Delta's "Invalid table version" for its append: that is a lost compare-and-swap
    (re-read and try again), never a failed commit, and nothing is appended."""
    _commit(tmp_path, 1)
    current = storage_commits.head(storage.location(tmp_path))
    stale = storage_commits.Head(DeltaTable(str(tmp_path / storage.MARKER_TABLE)), current.number,
                                 current.row, current.snapshot)
    for number in range(2, 14):
        _commit(tmp_path, number)
    _age(tmp_path, storage.MARKER_TABLE, 120)
    _commit(tmp_path, 14)
    newest = storage.read_snapshot(tmp_path)
    with pytest.raises(storage_commits._MarkerTaken):
        storage_commits.append_marker(storage.location(tmp_path), stale, "late-writer",
                                      storage.COMMITTED)
    assert storage.read_snapshot(tmp_path) == newest
    _commit(tmp_path, 15)  # and a writer goes on from there
    assert _count(tmp_path) == 15


def test_data_commits_leave_log_cleanup_to_compact(tmp_path: Path) -> None:
    """A data table's commits do not clean its log (that listing of the whole log at every
    commit grew with it); `compact` does (`clean_logs`; its OPTIMIZE commits clean the tables
    they compact anyway), with the table's own retention (Delta's 30 days, so `--as-of`
    reaches as far as before)."""
    for number in range(1, 13):
        _commit(tmp_path, number)
    entries = len(_log(tmp_path, "quarantine"))
    _age(tmp_path, "quarantine", 31 * 24 * 3600)
    _commit(tmp_path, 13)
    assert len(_log(tmp_path, "quarantine")) == entries + 1
    young = [p.name for p in _log(tmp_path, "quarantine")][-1]
    clean_logs(tmp_path)
    left = [p.name for p in _log(tmp_path, "quarantine")]
    assert len(left) < entries and young in left
    assert _count(tmp_path) == 13


def test_a_head_lookup_that_lost_a_listed_log_entry_loads_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A reader's load of `_commits` that listed a log entry which the cleanup of a commit
    deleted before it was read fails once (as delta-rs says it); the lookup loads again."""
    from deltalake.exceptions import DeltaError

    from transforms.storage import snapshot

    _commit(tmp_path, 1)
    expected = storage.read_snapshot(tmp_path)
    real = snapshot.DeltaTable
    failures = []

    def cleaned_once(uri: str, *args, **kwargs):
        if uri.endswith(storage.MARKER_TABLE) and not failures:
            failures.append(uri)
            raise DeltaError("Generic LocalFileSystem error: Object at location "
                             "_commits/_delta_log/00000000000000000010.checkpoint.parquet not found")
        return real(uri, *args, **kwargs)

    monkeypatch.setattr(snapshot, "DeltaTable", cleaned_once)
    assert storage.read_snapshot(tmp_path) == expected
    assert failures


def test_a_loaded_table_is_brought_up_to_date_only_when_a_newer_log_entry_exists(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer's loaded table lists its log (`update_incremental`, a listing of the whole local
    log folder) only when the entry after its version exists: never after its own commits, but
    always after someone else's, which it must then see."""
    from deltalake import write_deltalake

    from transforms.storage import loaded
    from transforms.storage.location import location

    _commit(tmp_path, 1)
    updates: list[int] = []
    real_update = DeltaTable.update_incremental

    def counted(table: DeltaTable) -> None:
        updates.append(table.version())
        real_update(table)

    monkeypatch.setattr(DeltaTable, "update_incremental", counted)
    for number in range(2, 5):
        _commit(tmp_path, number)
    assert updates == []  # only its own commits: nothing to list
    loc = location(tmp_path)
    mine = loaded.latest(loc, "quarantine")
    assert mine is not None
    before = mine.version()
    write_deltalake(str(tmp_path / "quarantine"), _rows(99), mode="append")  # someone else's
    assert loaded.latest(loc, "quarantine").version() == before + 1
    assert updates == [before]
    _commit(tmp_path, 5)  # the next commit carries on from there, the other row included
    assert _count(tmp_path) == 6


def _outcome(warehouse: Path, marker: int) -> tuple[str, object]:
    try:
        return ("rows", _count(warehouse, as_of=marker))
    except storage.WarehouseError as exc:
        return ("error", str(exc))


def test_compact_trims_the_log_only_of_versions_a_vacuum_made_unreadable(tmp_path: Path) -> None:
    """Issue 19, flat commit cost: Delta keeps a data table's log 30 days, although the
    versions whose files a vacuum deleted cannot be read, and every append lists the whole
    local log folder. The cleanup after a vacuum deletes the entries only those versions need,
    and every marker reads as it did: those still readable (the last commit before the
    compactions included, read through the data-preserving OPTIMIZE commits after it, whose
    entries must stay) give the same rows, the others the same one-line error."""
    from transforms.storage.history import commit_history
    from transforms.storage.maintenance import vacuum

    number = 0
    while True:  # end the data commits 3 versions before a checkpoint (every 10, at 9, 19, ...)
        number += 1
        _commit(tmp_path, number)
        version = DeltaTable(str(tmp_path / "quarantine")).version()
        if version > 20 and version % 10 == 7:
            break
    # Two compactions: data-preserving commits at 28, 29 (a checkpoint) and 30, the second
    # removing the files the first wrote; a vacuum with no retention then deletes them all.
    storage.compact(tmp_path, "k1", max_files=4, target_rows=6)
    storage.compact(tmp_path, "k2", max_files=1)
    assert DeltaTable(str(tmp_path / "quarantine")).version() == version + 3
    assert vacuum(tmp_path, 0) > 0
    committed = [m.marker for m in history_markers(tmp_path) if m.state == storage.COMMITTED]
    before = {marker: _outcome(tmp_path, marker) for marker in committed}
    assert before[committed[-3]] == ("rows", number)  # the last data commit, read at version 30
    assert before[committed[0]][0] == "error"
    entries = len(_log(tmp_path, "quarantine"))

    assert clean_logs(tmp_path) > 0
    assert len(_log(tmp_path, "quarantine")) <= entries - 8
    assert {marker: _outcome(tmp_path, marker) for marker in committed} == before
    history = commit_history(tmp_path)
    gained = [c.rows_gained for entry in history for c in entry.changes if c.table == "quarantine"]
    assert gained[:3] == [0, 0, 1] and gained[-1] is None  # the oldest versions' entries are gone
    _commit(tmp_path, number + 1)  # and a writer goes on
    assert _count(tmp_path) == number + 1


def _checkpoint_tombstones(warehouse: Path, name: str) -> int:
    import pyarrow.parquet as pq

    newest = [p for p in _log(warehouse, name) if ".checkpoint" in p.name][-1]
    removes = pq.read_table(newest, columns=["remove"]).column("remove")
    return len(removes) - removes.null_count


def test_the_commit_log_drops_the_tombstones_of_merged_marker_files_within_seconds(tmp_path: Path) -> None:
    """Every head lookup loads `_commits` afresh, so reads every tombstone of its checkpoint:
    those of the marker files `compact` merged leave it seconds later, not after the hour the
    data tables keep theirs (a burst of commits made them thousands)."""
    for number in range(1, 12):
        _commit(tmp_path, number)
    storage.compact(tmp_path, "k1")
    for number in range(12, 18):
        _commit(tmp_path, number)
    assert _checkpoint_tombstones(tmp_path, storage.MARKER_TABLE) >= 20  # young: still there
    time.sleep(11)
    for number in range(18, 24):
        _commit(tmp_path, number)
    assert _checkpoint_tombstones(tmp_path, storage.MARKER_TABLE) == 0
    assert _count(tmp_path) == 23


def test_a_head_lookup_whose_marker_files_were_vacuumed_since_its_load_loads_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A head lookup that loaded `_commits` just before a compaction merged its marker files
    and a vacuum deleted them (possible within seconds, as its tombstones go that soon) fails
    to read them once, and loads again."""
    from transforms.storage import snapshot
    from transforms.storage.maintenance import vacuum

    for number in range(1, 12):
        _commit(tmp_path, number)
    stale = DeltaTable(str(tmp_path / storage.MARKER_TABLE))
    storage.compact(tmp_path, "k1")
    assert vacuum(tmp_path, 0) > 0
    expected = storage.read_snapshot(tmp_path)
    loads = [stale]
    real = snapshot._latest_markers
    monkeypatch.setattr(snapshot, "_latest_markers",
                        lambda warehouse: loads.pop() if loads else real(warehouse))
    assert storage.read_snapshot(tmp_path) == expected
    assert not loads


def test_a_writer_whose_loaded_commit_log_names_a_vacuumed_marker_file_loads_it_again(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The writer's side of the same race (its loaded `_commits` brought up to date just before
    another writer's compaction and vacuum): the head is read from a fresh load and the commit
    goes on."""
    _commit(tmp_path, 1)
    real = storage_commits.scan_markers
    failures = [FileNotFoundError("part-00000-merged.parquet")]

    def scan_once_failing(markers, at_most=None):
        if failures:
            raise failures.pop()
        return real(markers, at_most)

    monkeypatch.setattr(storage_commits, "scan_markers", scan_once_failing)
    _commit(tmp_path, 2)
    assert not failures
    assert _count(tmp_path) == 2


@given(st.lists(st.tuples(st.integers(1, 10_000), st.sampled_from(["claimed", "committed", "aborted"])),
                max_size=40, unique_by=lambda pair: pair[0]))
def test_newest_rows_are_those_a_walk_over_every_row_finds(markers: list[tuple[int, str]]) -> None:
    """The head lookup takes a marker file's newest and newest committed rows with Arrow, not
    a dict per row (`snapshot.newest_rows`): the same rows as the walk over every row."""
    from transforms.storage.snapshot import newest_rows

    rows = pa.table({"marker": pa.array([m for m, _ in markers], pa.int64()),
                     "state": [s for _, s in markers], "commit_id": [f"c{m}" for m, _ in markers]})
    newest = max(rows.to_pylist(), key=lambda r: r["marker"], default=None)
    committed = max((r for r in rows.to_pylist() if r["state"] == storage.COMMITTED),
                    key=lambda r: r["marker"], default=None)
    expected = sorted({r["marker"]: r for r in (newest, committed) if r is not None}.values(),
                      key=lambda r: r["marker"])
    assert newest_rows(rows) == expected


def test_a_compaction_is_due_once_the_commit_log_holds_enough_files_since_the_last(tmp_path: Path) -> None:
    """Each commit adds two `_commits` files (its claim and its committed row) until a
    compaction merges them; `compaction_due` counts them, so a nightly schedule alone compacts
    about every `AUTO_COMPACT_MARKER_FILES / 2` commits and never before."""
    due_at = 12  # above what `compact` leaves unmerged (maintenance.MARKER_FILES)
    assert not storage.compaction_due(tmp_path, marker_files=due_at)  # no warehouse yet
    for number in range(1, 6):
        _commit(tmp_path, number)
    assert not storage.compaction_due(tmp_path, marker_files=due_at)  # 10 files
    _commit(tmp_path, 6)
    assert storage.compaction_due(tmp_path, marker_files=due_at)  # 12 files
    storage.compact(tmp_path, "compact-1")
    assert not storage.compaction_due(tmp_path, marker_files=due_at)
    assert _count(tmp_path) == 6
    assert storage.AUTO_COMPACT_MARKER_FILES == 200  # the default the nightly flow takes
