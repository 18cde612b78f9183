"""The backfill: streamed batches, date window, resume after SIGKILL, a corrupt archive member,
and compaction under a concurrent reader. Fixtures are invented dispatches written here."""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import tarfile
import threading
import time
import zipfile
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from schemas.tables import DISPATCHES, TABLES
from transforms import storage
from transforms.backfill_batching import BatchStream
from transforms.query import run_query
from transforms.reference import default_seeds_dir, load_reference

WIREHOUSE = Path(sys.executable).parent / "wirehouse"
FIRST_DAY = date(2024, 1, 8)
# Columns that name a run or a moment, not content: they differ between two equal backfills.
VOLATILE = {"run_id", "ingested_at", "detected_at"}

PEOPLE = ["Mara Lindqvist", "Tomas Okonkwo", "Ines Varga", "Kenji Arata", "Leona Brisk",
          "Pavel Dorn", "Sunita Rao", "Odile Ferrand"]
BODIES = [
    "{p} said on Tuesday that the Harbor Authority would spend {n} million euros on new cranes "
    "at the port of Rotterdam, after traffic rose {k} percent last year.",
    "Finance Minister {p} told lawmakers in Madrid that the budget deficit would narrow to {k} "
    "percent of output, helped by stronger tax receipts from Northwind Energy.",
    "Rescue teams from the Red Cross reached {n} villages cut off by floods near Nairobi, and "
    "{p} said more help was on the way.",
    "{p}, chief executive of Glasswing Airlines, said the carrier would add {n} flights a week "
    "between Tokyo and Sydney from the spring.",
]


def dispatch_text(number: int) -> tuple[str, date]:
    """An invented AFP-style dispatch; its dateline carries the year, so no file time is needed."""
    day = FIRST_DAY + timedelta(days=3 * number)
    person = PEOPLE[number % len(PEOPLE)]
    body = BODIES[number % len(BODIES)].format(p=person, n=10 + number, k=2 + number % 7)
    second = f"{person.split()[-1]} gave no timetable for talks with the unions, dispatch {number}."
    months = ["Jan", "Feb", "March", "April", "May", "June"]
    dateline = f"PARIS, {months[day.month - 1]} {day.day}, {day.year} (AFP) -"
    text = f"Headline number {number} on port and budget news\n\n{dateline} {body}\n\n{second}\n\nab/cd\n"
    return text, day


def write_corpus(folder: Path, count: int = 30) -> dict[int, date]:
    """Loose files, a tar.gz and a zip whose third member is corrupt (bad deflate data)."""
    folder.mkdir(parents=True, exist_ok=True)
    days = {}
    texts = {}
    for number in range(count):
        texts[number], days[number] = dispatch_text(number)
    loose = folder / "loose"
    loose.mkdir()
    third = count // 3
    for number in range(third):
        (loose / f"d{number:03d}.txt").write_text(texts[number], encoding="utf-8")
    with tarfile.open(folder / "batch-a.tar.gz", "w:gz") as archive:
        for number in range(third, 2 * third):
            data = texts[number].encode()
            info = tarfile.TarInfo(f"wire/d{number:03d}.txt")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for number in range(2 * third, count):
            archive.writestr(f"wire/d{number:03d}.txt", texts[number])
    (folder / "batch-b.zip").write_bytes(_corrupt_member(buffer.getvalue(), index=2))
    days.pop(2 * third + 2)
    return days


def _corrupt_member(data: bytes, index: int) -> bytes:
    """The zip with the deflated bytes of member `index` overwritten; the others stay intact."""
    info = zipfile.ZipFile(io.BytesIO(data)).infolist()[index]
    header = info.header_offset
    name_len = int.from_bytes(data[header + 26:header + 28], "little")
    extra_len = int.from_bytes(data[header + 28:header + 30], "little")
    start = header + 30 + name_len + extra_len
    damaged = bytearray(data)
    damaged[start:start + info.compress_size] = b"\xff" * info.compress_size
    return bytes(damaged)


def backfill_command(paths: list[Path], warehouse: Path, *extra: str) -> list[str]:
    return [str(WIREHOUSE), "backfill", *map(str, paths), "--warehouse", str(warehouse),
            "--workers", "1", *extra]


def run_backfill(paths: list[Path], warehouse: Path, *extra: str) -> str:
    result = subprocess.run(backfill_command(paths, warehouse, *extra), capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-3000:]
    return result.stdout


def table_content(warehouse: Path, name: str, ignore: set[str] = frozenset()) -> list[tuple]:
    """A table's rows without run ids and timestamps (and `ignore`d columns), sorted."""
    columns = [c for c in TABLES[name].column_names if c not in VOLATILE | set(ignore)]
    rows = storage.read_table(warehouse, name, columns).to_pylist()
    return sorted((tuple(row[c] for c in columns) for row in rows), key=repr)


def assert_same_warehouse(left: Path, right: Path, ignore: set[str] = frozenset()) -> None:
    for name in ("dispatches", "mentions", "quotes", "quarantine", "ingested_files"):
        assert table_content(left, name, ignore) == table_content(right, name, ignore), name


def _sql(warehouse: Path, query: str) -> list[tuple]:
    return run_query(warehouse, query).rows


# --- batching, no model --------------------------------------------------------------------------


def test_batches_cut_by_dispatch_count_and_ledger_rides_with_the_last_item(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    days = write_corpus(tmp_path / "in")
    stream = BatchStream(
        paths=[tmp_path / "in"], warehouse=tmp_path / "wh", staging=tmp_path / "staging",
        reference=load_reference(default_seeds_dir()), run_id="r", batch_dispatches=4,
    )
    batches = list(stream.batches())
    assert [b.dispatches for b in batches[:-1]] == [4] * (len(batches) - 1)
    assert sum(b.dispatches for b in batches) == len(days)
    assert sum(b.files_completed for b in batches) == stream.counts.files_read == 12

    def staged(batch, table: str) -> list[dict]:
        return pq.read_table(batch.folder / f"{table}.parquet").to_pylist()

    quarantined = [row for b in batches for row in staged(b, "quarantine")]
    assert [row["reason"] for row in quarantined] == ["corrupt_archive"]
    assert quarantined[0]["source_uri"].endswith("batch-b.zip!wire/d022.txt")
    # The zip's ledger row is staged in the batch of its last member, not before.
    holding_last = next(
        i for i, b in enumerate(batches)
        if any(r["source_uri"].endswith("batch-b.zip!wire/d029.txt") for r in staged(b, "dispatches"))
    )
    with_ledger = [
        i for i, b in enumerate(batches)
        if any(r["source_uri"].endswith("batch-b.zip") for r in staged(b, "ingested_files"))
    ]
    assert with_ledger == [holding_last]


def test_a_date_window_writes_no_ledger_rows(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    write_corpus(tmp_path / "in")
    stream = BatchStream(
        paths=[tmp_path / "in"], warehouse=tmp_path / "wh", staging=tmp_path / "staging",
        reference=load_reference(default_seeds_dir()), run_id="r",
        published_from="2024-02-01", published_to="2024-02-29",
    )
    batches = list(stream.batches())
    rows = [r for b in batches for r in pq.read_table(b.folder / "dispatches.parquet").to_pylist()]
    assert rows and all(date(2024, 2, 1) <= r["published_date"] <= date(2024, 2, 29) for r in rows)
    assert sum(b.files_completed for b in batches) == 0


# --- end to end, real model and Prefect ------------------------------------------------------------


@pytest.mark.slow
def test_killed_backfill_resumes_without_duplicates(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    days = write_corpus(corpus)
    clean = tmp_path / "clean"
    out = run_backfill([corpus], clean, "--batch-size", "3", "--commit-seconds", "0")
    assert f"{len(days)} dispatches" in out and "1 quarantined" in out

    # The corrupt member is quarantined; every other dispatch is in, once.
    assert _sql(clean, "SELECT count(*), count(DISTINCT version_id) FROM dispatches") == [
        (len(days), len(days))]
    assert _sql(clean, "SELECT reason, count(*) FROM quarantine GROUP BY ALL") == [
        ("corrupt_archive", 1)]
    assert _sql(clean, "SELECT count(*) FROM ingested_files") == [(12,)]
    assert _sql(clean, "SELECT flow, status FROM runs") == [("backfill", "completed")]
    assert _sql(clean, "SELECT count(*) FROM mentions") != [(0,)]

    killed = tmp_path / "killed"
    process = subprocess.Popen(
        backfill_command([corpus], killed, "--batch-size", "3", "--commit-seconds", "0"),
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )
    try:
        _wait_for_committed_dispatches(killed, process)
    finally:
        # The whole session: the CLI, its Dask workers and its Prefect server.
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
    committed = _sql(killed, "SELECT count(*) FROM dispatches")[0][0]
    assert 0 < committed < len(days), "the kill should land part-way through the run"
    assert _sql(killed, "SELECT count(*) FROM runs") == [(0,)]

    run_backfill([corpus], killed, "--batch-size", "3", "--commit-seconds", "0")
    assert_same_warehouse(clean, killed)
    again = run_backfill([corpus], killed)
    assert "12 already ingested" in again and "0 dispatches" in again
    assert_same_warehouse(clean, killed)


def _wait_for_committed_dispatches(warehouse: Path, process: subprocess.Popen) -> None:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail("the backfill finished before it could be killed")
        if storage.committed_files(warehouse, "dispatches"):
            return
        time.sleep(0.02)
    pytest.fail("no commit within 300 s")


@pytest.mark.slow
def test_date_window_then_full_run_equals_one_full_run(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    days = write_corpus(corpus)
    windowed = tmp_path / "windowed"
    run_backfill([corpus], windowed, "--from", "2024-02-01", "--to", "2024-02-29")
    in_february = sorted(d for d in days.values() if d.month == 2)
    assert [r[0] for r in _sql(windowed, "SELECT published_date FROM dispatches ORDER BY 1")] == (
        in_february)
    # Another window may need these files: none is marked as ingested.
    assert _sql(windowed, "SELECT count(*) FROM ingested_files") == [(0,)]
    assert _sql(windowed, "SELECT count(*) FROM quarantine") == [(1,)]

    out = run_backfill([corpus], windowed)
    assert f"{len(days) - len(in_february)} dispatches" in out
    assert "0 quarantined" in out
    assert _sql(windowed, "SELECT count(*), count(DISTINCT version_id) FROM dispatches") == [
        (len(days), len(days))]
    assert _sql(windowed, "SELECT count(*) FROM ingested_files") == [(12,)]
    assert _sql(windowed, "SELECT count(*) FROM quarantine") == [(1,)]
    files = storage.committed_files(windowed, "dispatches")
    per_partition: dict[str, int] = {}
    for relative in files:
        per_partition[str(Path(relative).parent)] = per_partition.get(str(Path(relative).parent), 0) + 1
    assert max(per_partition.values()) <= 4


# --- compaction under a concurrent reader ----------------------------------------------------------


def _rows(start: int, count: int) -> pa.Table:
    now = datetime(2026, 1, 16, tzinfo=UTC)
    rows = []
    for i in range(start, start + count):
        day = date(2026, 1, 1) + timedelta(days=i % 3)
        rows.append({
            "dispatch_id": f"d{i}", "version_id": f"v{i}", "body": "b", "word_count": 1,
            "published_at": datetime(day.year, day.month, day.day, tzinfo=UTC),
            "source_uri": "s", "source_format": "wire-text", "raw_sha256": "h",
            "pub_status": "usable", "ingested_at": now, "run_id": "r", "parser_version": "p",
            "published_date": day,
        })
    return pa.Table.from_pylist(rows, schema=DISPATCHES.schema)


def test_a_reader_never_sees_a_row_twice_or_misses_one_during_compaction(tmp_path: Path) -> None:
    warehouse = tmp_path / "wh"
    per_commit = 7
    commits = 0

    def add_commit() -> None:
        nonlocal commits
        commit_id = f"c{commits:03d}"
        rows = _rows(commits * per_commit, per_commit)
        storage.commit_rows(warehouse, {"dispatches": rows}, commit_id)
        commits += 1

    for _ in range(6):
        add_commit()
    seen: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    stop = threading.Event()

    def read_continuously() -> None:
        try:
            while not stop.is_set():
                seen.append(_sql(warehouse, "SELECT count(*), count(DISTINCT version_id) FROM dispatches")[0])
        except BaseException as exc:  # noqa: BLE001 - reported by the main thread
            errors.append(exc)

    reader = threading.Thread(target=read_continuously)
    reader.start()
    try:
        for round_number in range(12):
            storage.compact(warehouse, f"compact-{round_number:03d}", max_files=1)
            add_commit()
            add_commit()
    finally:
        stop.set()
        reader.join()
    assert not errors, errors
    assert len(seen) > 10
    counts = [count for count, _ in seen]
    # Every snapshot holds whole commits, no row twice, and none goes missing later on.
    assert all(count == distinct for count, distinct in seen)
    assert all(count % per_commit == 0 for count in counts)
    assert counts == sorted(counts)
    assert _sql(warehouse, "SELECT count(*) FROM dispatches") == [(commits * per_commit,)]
