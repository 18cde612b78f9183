"""The commit protocol: a batch becomes visible in every table at once, through the commit marker."""

from __future__ import annotations

import multiprocessing
import os
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from schemas.tables import DISPATCHES, QUARANTINE, TABLES
from tests.kills import Killed, kill_on
from tests.warehouse_files import commit_staged, live_files_per_partition, stage_table_files
from transforms import storage
from transforms.query import open_warehouse, run_query
from transforms.storage import commits as storage_commits


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
    snapshot = storage.commit_rows(tmp_path, {"dispatches": rows}, "c1")
    # Marker 1 claimed the commit, marker 2 committed it (markers are numbered by themselves,
    # not by `_commits` versions: its creation is version 0 and no marker).
    assert snapshot.marker == 2 and snapshot.versions == {"dispatches": 1}  # created, appended
    files = storage.committed_files(tmp_path, "dispatches")
    assert sorted({f.rsplit("/", 1)[0] for f in files}) == [
        "dispatches/published_date=2026-01-14",
        "dispatches/published_date=2026-01-15",
    ]
    assert (tmp_path / "dispatches" / "_delta_log").is_dir()
    con = open_warehouse(tmp_path)
    got = con.execute(
        "SELECT published_date, count(*) FROM dispatches GROUP BY 1 ORDER BY 1"
    ).fetchall()
    assert got == [(date(2026, 1, 14), 1), (date(2026, 1, 15), 2)]
    back = storage.read_table(tmp_path, "dispatches", ["version_id", "published_date"])
    assert sorted(back.to_pylist(), key=lambda r: r["version_id"])[0] == {
        "version_id": "v0", "published_date": date(2026, 1, 15)
    }





@pytest.mark.parametrize(("step", "after"),
                         [("write_deltalake", 1), ("write_deltalake", 2), ("append_marker", 1)],
                         ids=["claimed-no-table-yet", "between-two-tables", "before-the-marker"])
def test_a_half_applied_commit_is_invisible_then_rolled_forward_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, step: str, after: int
) -> None:
    storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(2)}, "c1")
    batch = {"dispatches": _dispatch_rows([date(2026, 1, 15)] * 3),
             "quarantine": _quarantine_rows(5, run_id="r2")}
    with monkeypatch.context() as patched:
        kill_on(patched, step, after)
        with pytest.raises(Killed):
            storage.commit_rows(tmp_path, batch, "c2")
    # The commit is claimed (its marker row says so), the tables may hold part of it: readers
    # still see the previous committed marker.
    assert (_count(tmp_path, "dispatches"), _count(tmp_path, "quarantine")) == (0, 2)
    assert storage.pending_commits(tmp_path) == ["c2"]
    assert storage.collect_garbage(tmp_path) == 1
    assert (_count(tmp_path, "dispatches"), _count(tmp_path, "quarantine")) == (3, 7)
    assert storage.collect_garbage(tmp_path) == 0
    assert (_count(tmp_path, "dispatches"), _count(tmp_path, "quarantine")) == (3, 7)
    assert not (tmp_path / storage.PENDING_DIR).exists() or not any(
        (tmp_path / storage.PENDING_DIR).iterdir())


@pytest.mark.parametrize("change", ["table-properties", "new-column"])
def test_a_commit_racing_another_change_to_a_table_is_retried_and_applied_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, change: str
) -> None:
    """Two handles of one table at the same version, deterministically: between the writer's
    load of `quarantine` and its commit, someone else commits a metadata change to it (as a
    `compact` setting table properties, or a newer writer adding a column, does). Delta refuses
    the writer's commit with "Metadata changed since last commit", the error two runs started
    at once on S3 failed with; it is not this commit, so the writer reloads and commits once."""
    from deltalake import DeltaTable

    storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(2)}, "c1")
    real = storage_commits.write_deltalake
    interfered: list[int] = []

    def interfering(table, data, *args, **kwargs):
        if not interfered and str(table.table_uri).rstrip("/").endswith("/quarantine"):
            other = DeltaTable(str(tmp_path / "quarantine"))  # loaded at the writer's version
            assert other.version() == table.version()
            if change == "table-properties":
                other.alter.set_table_properties({"delta.logRetentionDuration": "interval 30 days"})
            else:
                from deltalake.schema import Field, PrimitiveType
                other.alter.add_columns([Field("added_by_someone", PrimitiveType("string"))])
            interfered.append(other.version())
        return real(table, data, *args, **kwargs)

    monkeypatch.setattr(storage_commits, "write_deltalake", interfering)
    storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(3, run_id="r2")}, "c2")
    assert interfered, "the interfering commit never ran"
    assert _count(tmp_path, "quarantine") == 5
    rows = run_query(tmp_path, "SELECT run_id, count(*) FROM quarantine GROUP BY ALL ORDER BY 1").rows
    assert rows == [("r1", 2), ("r2", 3)]
    versions = storage.read_snapshot(tmp_path).versions
    assert versions["quarantine"] == interfered[0] + 1  # the commit landed after the change, once


def test_a_warehouse_made_again_where_one_was_deleted_is_loaded_afresh(tmp_path: Path) -> None:
    """A writer keeps its tables loaded between commits (storage.loaded); a warehouse deleted
    and made again at the same place in the same process must not be read or claimed on through
    the objects of the old one (its log entry at the remembered version is gone or another)."""
    import shutil

    warehouse = tmp_path / "wh"
    storage.commit_rows(warehouse, {"quarantine": _quarantine_rows(2)}, "c1")
    storage.commit_rows(warehouse, {"quarantine": _quarantine_rows(3, run_id="r2")}, "c2")
    shutil.rmtree(warehouse)
    storage.commit_rows(warehouse, {"quarantine": _quarantine_rows(1, run_id="r3")}, "c3")
    assert storage.read_snapshot(warehouse).marker == 2  # claimed 1, committed 2
    assert run_query(warehouse, "SELECT run_id, count(*) FROM quarantine GROUP BY ALL").rows == [("r3", 1)]
    storage.commit_rows(warehouse, {"quarantine": _quarantine_rows(2, run_id="r4")}, "c4")
    assert _count(warehouse, "quarantine") == 3


def test_an_undecided_commit_is_dropped(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(2)}, "c1")
    with monkeypatch.context() as patched:
        kill_on(patched, "append_marker", 0)  # rows staged, never claimed
        with pytest.raises(Killed):
            storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(5)}, "c2")
    assert (tmp_path / storage.PENDING_DIR / "c2" / "quarantine.parquet").exists()
    assert storage.collect_garbage(tmp_path) == 0
    assert not (tmp_path / storage.PENDING_DIR / "c2").exists()
    assert _count(tmp_path, "quarantine") == 2


def test_views_file_is_usable_from_a_plain_duckdb(tmp_path: Path) -> None:
    storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(3)}, "c1")
    storage.commit_rows(tmp_path, {"dispatches": _dispatch_rows([date(2026, 1, 15)])}, "c2")
    con = duckdb.connect()
    con.execute((tmp_path / "views.sql").read_text())
    assert con.execute("SELECT count(*) FROM quarantine").fetchone() == (3,)
    assert con.execute("SELECT published_date FROM dispatches").fetchall() == [(date(2026, 1, 15),)]


def test_as_of_reads_an_older_marker(tmp_path: Path) -> None:
    first = storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(3)}, "c1")
    storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(4)}, "c2")
    assert run_query(tmp_path, "SELECT count(*) FROM quarantine").rows == [(7,)]
    assert run_query(tmp_path, "SELECT count(*) FROM quarantine", as_of=first.marker).rows == [(3,)]
    # A claim's number reads the commit before it.
    assert run_query(tmp_path, "SELECT count(*) FROM quarantine", as_of=1).rows == [(0,)]
    assert run_query(tmp_path, "SELECT count(*) FROM quarantine", as_of="0").rows == [(0,)]
    moment = first.committed_at.isoformat()
    assert run_query(tmp_path, "SELECT count(*) FROM quarantine", as_of=moment).rows == [(3,)]
    with pytest.raises(storage.WarehouseError, match="no marker 9"):
        run_query(tmp_path, "SELECT 1", as_of=9)


def test_an_old_manifest_warehouse_is_refused_naming_upgrade(tmp_path: Path) -> None:
    (tmp_path / "_manifest.json").write_text('{"version": 1, "tables": {}}')
    with pytest.raises(storage.WarehouseError, match="wirehouse upgrade"):
        run_query(tmp_path, "SELECT count(*) FROM dispatches")


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
    """One partition of 14 commits x 40,000 rows (with `target_rows=100_000` Delta's optimize,
    which merges files but never splits one, packs two per output file: 7 files), and one
    partition of 3 small commits."""
    busy, quiet = date(2026, 1, 14), date(2026, 1, 15)
    for commit in range(14):
        commit_staged(warehouse, {"dispatches": stage_table_files(
            DISPATCHES, _bulk_dispatches(commit, 40_000, busy), warehouse / "_staging", f"b{commit}")})
    for commit in range(3):
        commit_staged(warehouse, {"dispatches": stage_table_files(
            DISPATCHES, _bulk_dispatches(100 + commit, 12, quiet), warehouse / "_staging", f"q{commit}")})
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
    assert before == {busy: 14, quiet: 3}
    rows_before = _versions_per_day(capped)
    assert [count for _, count, *_ in rows_before] == [560_000, 36]
    report = storage.compact(capped, "k1", max_files=4, target_rows=100_000)
    after = live_files_per_partition(capped, "dispatches")
    assert 1 < after[busy] <= 4 and after[quiet] == 1
    assert (report.partitions_compacted, report.files_before) == (2, 17)
    assert report.files_after == after[busy] + after[quiet]
    # Every row once, none lost, none doubled, on the same day.
    assert _versions_per_day(capped) == rows_before
    assert _versions_per_day(capped) == [(d, n, n, *rest) for d, n, _, *rest in rows_before]


def test_replaced_files_outlive_the_retention_only(tmp_path: Path) -> None:
    days = [date(2026, 1, 14), date(2026, 1, 15)]
    for n in range(3):
        rows = _dispatch_rows(days * 2)
        rows = rows.set_column(1, "version_id", pa.array([f"v{n}-{i}" for i in range(4)]))
        commit_staged(tmp_path, {"dispatches": stage_table_files(
            DISPATCHES, rows, tmp_path / "_staging", f"c{n}")})
    old = storage.committed_files(tmp_path, "dispatches")
    storage.compact(tmp_path, "k1")
    assert live_files_per_partition(tmp_path, "dispatches") == {
        "dispatches/published_date=2026-01-14": 1, "dispatches/published_date=2026-01-15": 1}
    # A reader of the previous snapshot can finish: the replaced files stay for the retention.
    assert len(old) == 6 and all((tmp_path / f).exists() for f in old)
    assert storage.vacuum(tmp_path) == 0 and all((tmp_path / f).exists() for f in old)
    assert storage.vacuum(tmp_path, retention_hours=0) == 6
    assert not any((tmp_path / f).exists() for f in old)
    assert _count(tmp_path, "dispatches") == 12


def _files_per_partition(warehouse: Path, table: str) -> dict[str, int]:
    per_partition: dict[str, int] = {}
    for relative in storage.committed_files(warehouse, table):
        partition = relative.rsplit("/", 1)[0]
        per_partition[partition] = per_partition.get(partition, 0) + 1
    return per_partition


def test_compaction_keeps_every_row_once_and_at_most_four_files(tmp_path: Path) -> None:
    days = [date(2026, 1, 14), date(2026, 1, 15)]
    for n in range(12):
        rows = _dispatch_rows(days * 3)
        rows = rows.set_column(1, "version_id", pa.array([f"v{n}-{i}" for i in range(6)]))
        storage.commit_rows(tmp_path, {"dispatches": rows}, f"c{n}")
    before = _count(tmp_path, "dispatches")
    old = storage.committed_files(tmp_path, "dispatches")
    report = storage.compact(tmp_path, "k1", target_rows=10)
    assert (report.partitions_compacted, report.files_before) == (2, 24)
    per_partition = _files_per_partition(tmp_path, "dispatches")
    assert per_partition and max(per_partition.values()) <= 4
    assert report.files_after == sum(per_partition.values())
    assert _count(tmp_path, "dispatches") == before == 72
    con = open_warehouse(tmp_path)
    assert con.execute("SELECT count(DISTINCT version_id) FROM dispatches").fetchone() == (72,)
    # Replaced files outlive the retention only: a reader of the previous snapshot can finish.
    assert storage.vacuum(tmp_path) == 0 and (tmp_path / old[0]).exists()
    assert storage.vacuum(tmp_path, retention_hours=0) >= 24
    assert not (tmp_path / old[0]).exists()
    assert _count(tmp_path, "dispatches") == 72


def test_compaction_caps_a_partition_that_needs_several_files(tmp_path: Path) -> None:
    for n in range(10):
        rows = _dispatch_rows([date(2026, 1, 14)] * 50)
        rows = rows.set_column(1, "version_id", pa.array([f"v{n}-{i}" for i in range(50)]))
        rows = rows.set_column(rows.schema.get_field_index("body"), "body",
                               pa.array([os.urandom(1000).hex() for _ in range(50)]))
        storage.commit_rows(tmp_path, {"dispatches": rows}, f"c{n}")
    report = storage.compact(tmp_path, "k1", target_rows=60)
    per_partition = _files_per_partition(tmp_path, "dispatches")
    assert report.files_before == 10
    assert 1 < max(per_partition.values()) <= 4, per_partition
    assert _count(tmp_path, "dispatches") == 500


def test_files_written_before_a_column_existed_read_it_as_null(tmp_path: Path) -> None:
    from deltalake import write_deltalake

    rows = storage.conform(DISPATCHES, _dispatch_rows([date(2026, 1, 15)])).drop_columns(
        ["editor_note", "parse_warnings", "dateline_date"])
    write_deltalake(str(tmp_path / "dispatches"), rows, partition_by=["published_date"])
    storage.write_marker(tmp_path, "old")
    con = open_warehouse(tmp_path)
    assert con.execute("SELECT version_id, editor_note FROM dispatches").fetchall() == [("v0", None)]
    # Columns added later (issue 9) read as NULL too, with their declared types.
    assert con.execute(
        "SELECT parse_warnings, dateline_date, typeof(parse_warnings), typeof(dateline_date) "
        "FROM dispatches"
    ).fetchall() == [(None, None, "VARCHAR[]", "DATE")]
    newer = _dispatch_rows([date(2026, 1, 15)]).set_column(1, "version_id", pa.array(["v1"]))
    newer = newer.set_column(newer.schema.get_field_index("editor_note"), "editor_note", pa.array(["n"]))
    storage.commit_rows(tmp_path, {"dispatches": newer}, "new")
    con = open_warehouse(tmp_path)
    assert con.execute("SELECT version_id, editor_note FROM dispatches ORDER BY 1").fetchall() == [
        ("v0", None), ("v1", "n")]
    assert storage.read_table(tmp_path, "dispatches", ["editor_note"]).column(0).to_pylist() in (
        [None, "n"], ["n", None])


def _legacy_warehouse(root: Path) -> None:
    """A warehouse as the pre-Delta wirehouse left it: Parquet files without their partition
    column under hive folders, a manifest naming them, one retired file and a views.sql."""
    import json

    import pyarrow.parquet as pq

    rows = storage.conform(DISPATCHES, _dispatch_rows([date(2026, 1, 14), date(2026, 1, 15)]))
    live = []
    for day in (date(2026, 1, 14), date(2026, 1, 15)):
        part = rows.filter(pa.compute.equal(rows["published_date"], day)).drop_columns(["published_date"])
        relative = f"dispatches/published_date={day.isoformat()}/part-old.parquet"
        (root / relative).parent.mkdir(parents=True)
        pq.write_table(part, root / relative)
        live.append(relative)
    (root / "quarantine").mkdir()
    pq.write_table(_quarantine_rows(3), root / "quarantine/part-old.parquet")
    pq.write_table(_quarantine_rows(1), root / "quarantine/part-retired.parquet")
    manifest = {"version": 3, "tables": {"dispatches": live, "quarantine": ["quarantine/part-old.parquet"]},
                "retired": {"quarantine/part-retired.parquet": "2026-01-16T00:00:00+00:00"}}
    (root / "_manifest.json").write_text(json.dumps(manifest))
    (root / "views.sql").write_text("-- old")


def test_upgrade_converts_an_old_warehouse_in_place(tmp_path: Path) -> None:
    _legacy_warehouse(tmp_path)
    with pytest.raises(storage.WarehouseError, match="wirehouse upgrade"):
        storage.refuse_legacy_layout(tmp_path)
    assert storage.upgrade_legacy_layout(tmp_path) == {"dispatches": 2, "quarantine": 3}
    assert not (tmp_path / "_manifest.json").exists()
    assert not list(tmp_path.rglob("part-old.parquet")) and not list(tmp_path.rglob("part-retired*"))
    got = run_query(tmp_path, "SELECT version_id, published_date FROM dispatches ORDER BY 1").rows
    assert got == [("v0", date(2026, 1, 14)), ("v1", date(2026, 1, 15))]
    assert _count(tmp_path, "quarantine") == 3
    assert storage.upgrade_legacy_layout(tmp_path) == {}  # nothing left to do


def test_an_upgrade_killed_before_removing_the_manifest_is_finished_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _legacy_warehouse(tmp_path)
    with monkeypatch.context() as patched:
        # Killed after the commit and the old files' removal, before the manifest's.
        patched.setattr(Path, "unlink", _dying_unlink(Path.unlink, "_manifest.json"))
        with pytest.raises(Killed):
            storage.upgrade_legacy_layout(tmp_path)
    assert (tmp_path / "_manifest.json").exists()
    assert storage.upgrade_legacy_layout(tmp_path) == {}  # committed already: only the clean-up
    assert _count(tmp_path, "dispatches") == 2 and _count(tmp_path, "quarantine") == 3


def _dying_unlink(real, name: str):
    def unlink(self: Path, missing_ok: bool = False) -> None:
        if self.name == name:
            raise Killed()
        return real(self, missing_ok=missing_ok)

    return unlink


# Columns added after tables existed on Delta (issues 9, 16): a table written before one of
# them must still read, and take the column in its next append, re-tag replace or overwrite.
LATER_COLUMNS = {"dispatches": ["parse_warnings", "dateline_date"], "mentions": ["field"],
                 "taggings": ["status"], "runs": ["files_deferred"]}
LATER_VALUES = {"parse_warnings": ["late"], "dateline_date": date(2026, 1, 14), "field": "headline",
                "status": "tagged", "files_deferred": 3}


def _one_row(name: str, key: str, with_later: bool) -> pa.Table:
    """A row of table `name` with every column set (key columns from `key`)."""
    table = TABLES[name]
    defaults = {pa.types.is_string: key, pa.types.is_integer: 1, pa.types.is_date: date(2026, 1, 15),
                pa.types.is_timestamp: datetime(2026, 1, 15, tzinfo=UTC)}
    row = {}
    for fld in table.schema:
        if fld.name in LATER_COLUMNS[name]:
            row[fld.name] = LATER_VALUES[fld.name] if with_later else None
        else:
            row[fld.name] = next(v for test, v in defaults.items() if test(fld.type))
    return pa.Table.from_pylist([row], schema=table.schema)


def test_tables_that_predate_a_column_read_it_as_null_and_take_it_in_the_next_commit(
    tmp_path: Path,
) -> None:
    from deltalake import write_deltalake

    for name, columns in LATER_COLUMNS.items():
        old = _one_row(name, "old", with_later=False).drop_columns(columns)
        partition = TABLES[name].partition_by
        write_deltalake(str(tmp_path / name), old, partition_by=[partition] if partition else None)
        assert not set(columns) & set(storage.open_delta(tmp_path, name).to_pyarrow_dataset().schema.names)
    storage.write_marker(tmp_path, "old")
    for name, columns in LATER_COLUMNS.items():
        nulls = " AND ".join(f"{c} IS NULL" for c in columns)
        assert run_query(tmp_path, f"SELECT count(*) FROM {name} WHERE {nulls}").rows == [(1,)], name
        assert storage.read_table(tmp_path, name, columns).to_pylist() == [dict.fromkeys(columns)]

    # An append into every old table at once.
    storage.commit_rows(tmp_path, {n: _one_row(n, "new", True) for n in LATER_COLUMNS}, "new")
    for name, columns in LATER_COLUMNS.items():
        got = storage.read_table(tmp_path, name, [TABLES[name].column_names[0], *columns])
        key = TABLES[name].column_names[0]
        expected = [{key: "new", **{c: LATER_VALUES[c] for c in columns}},
                    {key: "old", **dict.fromkeys(columns)}]
        assert sorted(got.to_pylist(), key=lambda r: r[key]) == expected, name
        assert run_query(tmp_path, f"SELECT count(*) FROM {name}").rows == [(2,)], name

    # A re-tag's replace-where, and an overwrite of a whole table, into tables that predate
    # the column: the replaced rows go, the new ones carry it.
    fresh = tmp_path / "fresh"
    for name in ("mentions", "taggings"):
        old = _one_row(name, "old", with_later=False).drop_columns(LATER_COLUMNS[name])
        write_deltalake(str(fresh / name), old, partition_by=["published_date"])
    storage.write_marker(fresh, "old")
    retagged = {n: _one_row(n, "old", True) for n in ("mentions", "taggings")}
    storage.commit_rows(fresh, retagged, "retag",
                        replace={n: pa.array(["old"]) for n in retagged})
    for name in ("mentions", "taggings"):
        rows = storage.read_table(fresh, name, ["version_id", *LATER_COLUMNS[name]]).to_pylist()
        assert rows == [{"version_id": "old", **{c: LATER_VALUES[c] for c in LATER_COLUMNS[name]}}]
    runs_old = _one_row("runs", "old", with_later=False).drop_columns(["files_deferred"])
    write_deltalake(str(fresh / "runs"), runs_old)
    storage.write_marker(fresh, "old-runs")
    storage.commit_rows(fresh, {"mentions": _one_row("mentions", "m2", True),
                                "runs": _one_row("runs", "replaced", True)},
                        "overwrite", overwrite=("runs",))
    assert storage.read_table(fresh, "runs", ["run_id", "files_deferred"]).to_pylist() == [
        {"run_id": "replaced", "files_deferred": 3}]


def test_a_failed_table_write_fails_the_commit_and_keeps_its_rows_for_recovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A table write that fails for a reason other than a concurrent commit (a full disk, a
    refused request) must not pass for done: the commit stays open with its staged rows, and
    the next writer (here `recover`) applies it. Swallowing the error would publish the commit
    with none of the table's rows and drop them from `_pending/`."""
    from deltalake.exceptions import DeltaError

    storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(2)}, "c1")
    real = storage_commits.write_deltalake

    def disk_full(table, data, *args, **kwargs):
        if str(table.table_uri).rstrip("/").endswith("/quarantine"):
            raise DeltaError("Generic error: No space left on device (os error 28)")
        return real(table, data, *args, **kwargs)

    monkeypatch.setattr(storage_commits, "write_deltalake", disk_full)
    with pytest.raises(storage.WarehouseError, match="no space left"):
        storage.commit_rows(tmp_path, {"quarantine": _quarantine_rows(3, run_id="r2")}, "c2")
    monkeypatch.setattr(storage_commits, "write_deltalake", real)
    assert _count(tmp_path, "quarantine") == 2
    assert storage.pending_commits(tmp_path) == ["c2"]
    assert storage.recover(tmp_path) == 1
    assert _count(tmp_path, "quarantine") == 5
    assert storage.pending_commits(tmp_path) == []
