"""`KNOWN_VERSIONS` reading only a table's new files against reading the whole table."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa

from schemas.tables import TABLES
from transforms import storage
from transforms.stages.dedupe import KnownVersions
from transforms.storage.snapshot import read_table

DAY = date(1987, 3, 11)


def _dispatches(first: int, days: list[date]) -> pa.Table:
    now = datetime(2026, 1, 16, tzinfo=UTC)
    return pa.Table.from_pylist([
        {"dispatch_id": f"d{first + i}", "version_id": f"v{first + i}", "body": "b",
         "word_count": 1, "published_at": datetime(day.year, day.month, day.day, tzinfo=UTC),
         "source_uri": "s", "source_format": "wire-text", "raw_sha256": "h",
         "pub_status": "usable", "ingested_at": now, "run_id": "r", "parser_version": "p",
         "published_date": day}
        for i, day in enumerate(days)
    ], schema=TABLES["dispatches"].schema)


def _the_long_way(warehouse: Path) -> set[str]:
    # Not through `storage.read_table`, which the test below counts.
    return set(read_table(warehouse, "dispatches", ["version_id"]).column("version_id").to_pylist())


def test_known_versions_read_only_new_files_and_stay_the_tables(tmp_path: Path, monkeypatch) -> None:
    """Commit after commit (a file a day each), one cache gives the table's version_ids and
    reads the whole table only once; after a compaction replaced files, it reads it again."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    known = KnownVersions()
    whole_reads = []

    def counted(warehouse, name, *args, **kwargs):
        if name == "dispatches":
            whole_reads.append(name)
        return read_table(warehouse, name, *args, **kwargs)

    monkeypatch.setattr(storage, "read_table", counted)
    assert known.of(warehouse) == set()
    first = 0
    for commit, days in enumerate([[DAY], [DAY, DAY + timedelta(days=1)],
                                   [DAY + timedelta(days=2)] * 3, [DAY]]):
        storage.commit_rows(warehouse, {"dispatches": _dispatches(first, days)}, f"c{commit}")
        first += len(days)
        reads = len(whole_reads)
        ids = known.of(warehouse)
        assert len(whole_reads) == reads, "only the new files are read"
        assert ids == _the_long_way(warehouse) == {f"v{i}" for i in range(first)}
    held, reads = known.of(warehouse), len(whole_reads)
    storage.compact(warehouse, "compact", max_files=1)
    assert known.of(warehouse) == _the_long_way(warehouse) == held
    assert len(whole_reads) == reads + 1, "files were replaced: the table is read again"
    # A version can leave the table (rows replaced by others): a cache that only ever adds
    # would still hold it.
    storage.commit_rows(warehouse, {"dispatches": _dispatches(first, [DAY])}, "replace",
                        replace={"dispatches": pa.array(["v0", f"v{first}"])})
    assert known.of(warehouse) == _the_long_way(warehouse) == (held - {"v0"}) | {f"v{first}"}


def test_known_versions_follow_the_snapshot_asked_about(tmp_path: Path) -> None:
    """An older snapshot has fewer files: its own version_ids, not the newest table's."""
    warehouse = tmp_path / "warehouse"
    warehouse.mkdir()
    storage.commit_rows(warehouse, {"dispatches": _dispatches(0, [DAY])}, "c1")
    older = storage.read_snapshot(warehouse)
    storage.commit_rows(warehouse, {"dispatches": _dispatches(1, [DAY])}, "c2")
    known = KnownVersions()
    assert known.of(warehouse) == {"v0", "v1"}
    assert known.of(warehouse, older) == {"v0"}
    assert known.of(warehouse) == {"v0", "v1"}
