"""The commit protocol: staged files become visible only through the manifest."""

from __future__ import annotations

import multiprocessing
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from schemas.tables import DISPATCHES, QUARANTINE
from tests.warehouse_files import live_files_per_partition
from transforms import storage
from transforms.query import open_warehouse


def _quarantine_rows(n: int, run_id: str = "r1") -> pa.Table:
    now = datetime(2026, 1, 16, tzinfo=UTC)
    return pa.Table.from_pylist(
        [
            {"source_uri": f"f{i}", "reason": "empty_file", "detail": "d", "run_id": run_id,
             "detected_at": now}
            for i in range(n)
        ],
        schema=QUARANTINE.schema,
    )


def _dispatch_rows(days: list[date]) -> pa.Table:
    now = datetime(2026, 1, 16, tzinfo=UTC)
    rows = [
        {
            "dispatch_id": f"d{i}", "version_id": f"v{i}", "body": "b", "word_count": 1,
            "published_at": datetime(day.year, day.month, day.day, tzinfo=UTC),
            "source_uri": "s", "source_format": "wire-text", "raw_sha256": "h",
            "pub_status": "usable", "ingested_at": now, "run_id": "r", "parser_version": "p",
            "published_date": day,
        }
        for i, day in enumerate(days)
    ]
    return pa.Table.from_pylist(rows, schema=DISPATCHES.schema)


def _count(warehouse: Path, view: str) -> int:
    con = open_warehouse(warehouse)
    try:
        return con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
    finally:
        con.close()


def test_empty_warehouse_has_every_view_with_no_rows(tmp_path: Path) -> None:
    for view in ("dispatches", "mentions", "quotes", "quarantine", "runs", "entities",
                 "dispatches_latest", "mentions_latest"):
        assert _count(tmp_path, view) == 0


def test_commit_makes_partitioned_rows_visible(tmp_path: Path) -> None:
    rows = _dispatch_rows([date(2026, 1, 15), date(2026, 1, 15), date(2026, 1, 14)])
    staged = storage.stage_table_files(DISPATCHES, rows, tmp_path / "_staging", "c1")
    assert sorted(staged) == [
        "dispatches/published_date=2026-01-14/part-c1.parquet",
        "dispatches/published_date=2026-01-15/part-c1.parquet",
    ]
    manifest = storage.commit(tmp_path, {"dispatches": staged})
    assert manifest.version == 1
    con = open_warehouse(tmp_path)
    got = con.execute(
        "SELECT published_date, count(*) FROM dispatches GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert got == [(date(2026, 1, 14), 1), (date(2026, 1, 15), 2)]
    back = storage.read_table(tmp_path, "dispatches", ["version_id", "published_date"])
    assert sorted(back.to_pylist(), key=lambda r: r["version_id"])[0] == {
        "version_id": "v0", "published_date": date(2026, 1, 15)
    }


def test_published_but_uncommitted_files_are_invisible_and_collected(tmp_path: Path) -> None:
    storage.commit(tmp_path, {"quarantine": storage.stage_table_files(
        QUARANTINE, _quarantine_rows(2), tmp_path / "_staging", "c1")})
    orphan = storage.stage_table_files(QUARANTINE, _quarantine_rows(5), tmp_path / "_staging", "c2")
    storage.publish(tmp_path, orphan)  # a kill here: renamed into place, manifest not written
    assert (tmp_path / "quarantine/part-c2.parquet").exists()
    assert _count(tmp_path, "quarantine") == 2
    assert storage.collect_garbage(tmp_path) == 1
    assert not (tmp_path / "quarantine/part-c2.parquet").exists()
    assert _count(tmp_path, "quarantine") == 2


def test_views_file_is_usable_from_a_plain_duckdb(tmp_path: Path) -> None:
    storage.commit(tmp_path, {"quarantine": storage.stage_table_files(
        QUARANTINE, _quarantine_rows(3), tmp_path / "_staging", "c1")})
    con = duckdb.connect()
    con.execute((tmp_path / "views.sql").read_text())
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (3,)


def _try_lock(path: str, queue) -> None:
    try:
        storage.WarehouseLock(Path(path), "second").acquire()
        queue.put("acquired")
    except storage.WarehouseError as exc:
        queue.put(str(exc))


def test_second_writer_is_refused_with_who_holds_the_lock(tmp_path: Path) -> None:
    with storage.WarehouseLock(tmp_path, "wirehouse run first"):
        queue = multiprocessing.get_context("spawn").Queue()
        proc = multiprocessing.get_context("spawn").Process(
            target=_try_lock, args=(str(tmp_path), queue))
        proc.start()
        proc.join(60)
        message = queue.get(timeout=5)
    assert "in use by pid" in message and "wirehouse run first" in message
    assert "--wait" in message


def test_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("spawn")
    proc = ctx.Process(target=_hold_lock_forever, args=(str(tmp_path),))
    proc.start()
    lock = storage.WarehouseLock(tmp_path, "next", wait=True, timeout=30)
    _wait_for_holder(lock)
    proc.kill()
    proc.join()
    lock.acquire()
    assert lock.holder().command == "next"
    lock.release()


def _hold_lock_forever(path: str) -> None:
    import time

    storage.WarehouseLock(Path(path), "doomed").acquire()
    time.sleep(600)


def _wait_for_holder(lock: storage.WarehouseLock) -> None:
    import time

    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        holder = lock.holder()
        if holder and holder.command == "doomed":
            return
        time.sleep(0.1)
    pytest.fail("the child never took the lock")


def _bulk_dispatches(commit: int, rows: int, day: date) -> pa.Table:
    """`rows` tiny dispatch rows of one day, built column-wise with Arrow (fast for many rows)."""
    now = datetime(2026, 1, 16, tzinfo=UTC)
    moment = datetime(day.year, day.month, day.day, tzinfo=UTC)
    numbers = pc.cast(pa.array(range(rows), type=pa.int64()), pa.string())
    columns = {
        "dispatch_id": pc.binary_join_element_wise(f"d{commit}-", numbers, ""),
        "version_id": pc.binary_join_element_wise(f"v{commit}-", numbers, ""),
        "body": "b", "word_count": 1, "published_at": moment, "source_uri": "s",
        "source_format": "wire-text", "raw_sha256": "h", "pub_status": "usable",
        "ingested_at": now, "run_id": "r", "parser_version": "p", "published_date": day,
    }
    schema = DISPATCHES.schema
    return storage.conform(DISPATCHES, pa.table({
        name: value if isinstance(value, pa.Array)
        else pa.repeat(pa.scalar(value, type=schema.field(name).type), rows)
        for name, value in columns.items()}))


def _warehouse_needing_many_files(warehouse: Path) -> dict[str, int]:
    """One partition of 4 commits x 140,000 rows (with `target_rows=100_000` it needs 6 output
    files, and 5 even when written in whole row groups), and one partition of 3 small commits."""
    busy, quiet = date(2026, 1, 14), date(2026, 1, 15)
    for commit in range(4):
        storage.commit(warehouse, {"dispatches": storage.stage_table_files(
            DISPATCHES, _bulk_dispatches(commit, 140_000, busy), warehouse / "_staging", f"b{commit}")})
    for commit in range(3):
        storage.commit(warehouse, {"dispatches": storage.stage_table_files(
            DISPATCHES, _bulk_dispatches(10 + commit, 12, quiet), warehouse / "_staging", f"q{commit}")})
    return live_files_per_partition(warehouse, "dispatches")


def _versions_per_day(warehouse: Path) -> list[tuple]:
    con = open_warehouse(warehouse)
    try:
        return con.execute("""
            SELECT published_date, count(*), count(DISTINCT version_id), min(version_id),
                   max(version_id), sum(hash(version_id)) FROM dispatches GROUP BY 1 ORDER BY 1
            """).fetchall()
    finally:
        con.close()


def test_compaction_caps_a_partition_that_needs_more_files_at_four(tmp_path: Path) -> None:
    busy, quiet = "dispatches/published_date=2026-01-14", "dispatches/published_date=2026-01-15"
    uncapped = tmp_path / "uncapped"
    _warehouse_needing_many_files(uncapped)
    storage.compact(uncapped, "k1", max_files=1000, target_rows=100_000)
    # Without the cap the busy partition really does take more than four files.
    assert live_files_per_partition(uncapped, "dispatches")[busy] > 4

    capped = tmp_path / "capped"
    before = _warehouse_needing_many_files(capped)
    assert before == {busy: 4, quiet: 3}
    rows_before = _versions_per_day(capped)
    assert [count for _, count, *_ in rows_before] == [560_000, 36]
    report = storage.compact(capped, "k1", max_files=4, target_rows=100_000)
    after = live_files_per_partition(capped, "dispatches")
    assert 1 < after[busy] <= 4 and after[quiet] == 1
    assert (report.partitions_compacted, report.files_before) == (2, 7)
    assert report.files_after == after[busy] + after[quiet]
    # Every row once, none lost, none doubled, on the same day.
    assert _versions_per_day(capped) == rows_before
    assert _versions_per_day(capped) == [(d, n, n, *rest) for d, n, _, *rest in rows_before]


def test_retired_files_outlive_the_grace_period_only(tmp_path: Path) -> None:
    days = [date(2026, 1, 14), date(2026, 1, 15)]
    for n in range(3):
        rows = _dispatch_rows(days * 2)
        rows = rows.set_column(1, "version_id", pa.array([f"v{n}-{i}" for i in range(4)]))
        storage.commit(tmp_path, {"dispatches": storage.stage_table_files(
            DISPATCHES, rows, tmp_path / "_staging", f"c{n}")})
    storage.compact(tmp_path, "k1")
    manifest = storage.read_manifest(tmp_path)
    assert live_files_per_partition(tmp_path, "dispatches") == {
        "dispatches/published_date=2026-01-14": 1, "dispatches/published_date=2026-01-15": 1}
    # A reader of the old views can finish: the replaced files stay for the grace period.
    old = next(iter(manifest.retired))
    assert storage.collect_garbage(tmp_path) == 0 and (tmp_path / old).exists()
    assert storage.collect_garbage(tmp_path, retired_grace_seconds=0) == 6
    assert not (tmp_path / old).exists() and not storage.read_manifest(tmp_path).retired
    assert _count(tmp_path, "dispatches") == 12


def test_files_written_before_a_column_existed_read_it_as_null(tmp_path: Path) -> None:
    rows = storage.conform(DISPATCHES, _dispatch_rows([date(2026, 1, 15)])).drop_columns(
        ["editor_note", "published_date", "parse_warnings", "dateline_date"])
    relative = "dispatches/published_date=2026-01-15/part-old.parquet"
    storage.write_parquet_durably(rows, tmp_path / relative)
    storage.write_manifest(tmp_path, storage.Manifest().with_changes({"dispatches": [relative]}))
    con = open_warehouse(tmp_path)
    assert con.execute("SELECT version_id, editor_note FROM dispatches").fetchall() == [("v0", None)]
    # Columns added later (issue 9) read as NULL too, with their declared types.
    assert con.execute(
        "SELECT parse_warnings, dateline_date, typeof(parse_warnings), typeof(dateline_date) "
        "FROM dispatches"
    ).fetchall() == [(None, None, "VARCHAR[]", "DATE")]
