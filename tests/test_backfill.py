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
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pyarrow as pa
import pytest

from schemas.tables import DISPATCHES, TABLES
from seeds import default_seeds_dir
from tests.warehouse_files import live_files_per_partition
from transforms import storage
from transforms.arrow_memory import returnable_arrow_memory_env, use_returnable_arrow_memory
from transforms.query import run_query
from transforms.reference import load_reference
from transforms.stages.backfill import BatchStream
from transforms.stages.dedupe import without_committed_rows

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


def dispatch_text(number: int, per_day: int = 1) -> tuple[str, date]:
    """An invented AFP-style dispatch; its dateline carries the year, so no file time is needed.
    `per_day` dispatches in a row share a date."""
    day = FIRST_DAY + timedelta(days=3 * (number // per_day))
    person = PEOPLE[number % len(PEOPLE)]
    body = BODIES[number % len(BODIES)].format(p=person, n=10 + number, k=2 + number % 7)
    second = f"{person.split()[-1]} gave no timetable for talks with the unions, dispatch {number}."
    months = ["Jan", "Feb", "March", "April", "May", "June"]
    dateline = f"PARIS, {months[day.month - 1]} {day.day}, {day.year} (AFP) -"
    text = f"Headline number {number} on port and budget news\n\n{dateline} {body}\n\n{second}\n\nab/cd\n"
    return text, day


def write_corpus(folder: Path, count: int = 30, per_day: int = 1) -> dict[int, date]:
    """Loose files, a tar.gz and a zip whose third member is corrupt (bad deflate data), a third
    of the dispatches each; `per_day` dispatches share each date."""
    folder.mkdir(parents=True, exist_ok=True)
    days = {}
    texts = {}
    for number in range(count):
        texts[number], days[number] = dispatch_text(number, per_day)
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


def _fresh_python(code: str) -> str:
    """What `code` prints in a new interpreter (nothing imported before it)."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=120, check=True)
    return result.stdout.strip()


def test_a_tagging_worker_imports_neither_prefect_nor_what_committing_needs() -> None:
    # What a backfill's Dask worker process loads to tag a batch: each module left out here is
    # memory and start-up time in every worker (Prefect, stories' MinHash with scipy, DuckDB).
    probe = (
        "import sys, flows.backfill_worker\n"
        "heavy = ('prefect', 'prefect_dask', 'datasketch', 'scipy', 'duckdb', 'transforms.stages.commit')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert _fresh_python(probe) == "[]"


def test_the_backfill_flow_process_imports_no_model() -> None:
    # The flow process parses and commits; tagging is the workers'. spaCy and the geocoding
    # gazetteer in it were ~40 MB and ~2 CPU s of a backfill's tree for nothing.
    probe = (
        "import sys, flows.backfill, transforms.stages.commit\n"
        "heavy = ('spacy', 'thinc', 'transforms.stages.tag', 'transforms.geocoding.gazetteer',\n"
        "         'transforms.entities.pipeline')\n"
        "print(sorted(m for m in heavy if m in sys.modules))"
    )
    assert _fresh_python(probe) == "[]"


def test_a_backfills_processes_allocate_arrow_memory_through_malloc_unless_the_user_chose() -> None:
    # Arrow's default pool keeps what a commit freed: the flow process stayed ~110 MB larger.
    previous = pa.default_memory_pool()
    try:
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        assert use_returnable_arrow_memory({}) is True
        assert pa.default_memory_pool().backend_name == "system"
        pa.set_memory_pool(pa.jemalloc_memory_pool())
        assert use_returnable_arrow_memory({"ARROW_DEFAULT_MEMORY_POOL": "mimalloc"}) is False
        assert pa.default_memory_pool().backend_name == "jemalloc"
    finally:
        pa.set_memory_pool(previous)
    assert returnable_arrow_memory_env({}) == {"ARROW_DEFAULT_MEMORY_POOL": "system"}
    assert returnable_arrow_memory_env({"ARROW_DEFAULT_MEMORY_POOL": "jemalloc"}) == {}


def test_wirehouse_backfill_chooses_arrow_pool_before_anything_loads_arrow() -> None:
    # Arrow picks a process's pool once; set later, the flow's C++ allocations stay in the
    # default pool. A missing path stops the command early, after that choice.
    probe = (
        "import os, sys\n"
        "os.environ.pop('ARROW_DEFAULT_MEMORY_POOL', None)\n"
        "from typer.testing import CliRunner\n"
        "from flows.cli import app\n"
        "result = CliRunner().invoke(app, ['backfill', '/no/such/archive'])\n"
        "import pyarrow as pa\n"
        "print(result.exit_code != 0, os.environ.get('ARROW_DEFAULT_MEMORY_POOL'),\n"
        "      pa.default_memory_pool().backend_name)"
    )
    assert _fresh_python(probe) == "True system system"


def test_local_tagging_workers_start_with_arrow_allocating_through_malloc(monkeypatch) -> None:
    import distributed

    from flows.backfill import TaggingPool

    started: dict = {}

    class FakeCluster:
        def __init__(self, **options: object) -> None:
            started.update(options)

        def close(self) -> None:
            pass

    class FakeClient:
        def __init__(self, cluster: object) -> None:
            pass

        def close(self) -> None:
            pass

    monkeypatch.setattr(distributed, "LocalCluster", FakeCluster)
    monkeypatch.setattr(distributed, "Client", FakeClient)
    monkeypatch.delenv("ARROW_DEFAULT_MEMORY_POOL", raising=False)
    pool = TaggingPool(workers=2)
    pool.start()
    pool.close()
    assert started["n_workers"] == 2
    assert started["env"] == {"ARROW_DEFAULT_MEMORY_POOL": "system"}


@pytest.mark.slow
def test_local_tagging_workers_keep_glibcs_own_malloc_thresholds_and_run_no_profiler() -> None:
    # Dask's default MALLOC_TRIM_THRESHOLD_ doubled the workers' CPU in page faults, and its
    # profiler sampled the tagging thread every 10 ms (issue 25).
    from flows.backfill import TaggingPool

    pool = TaggingPool(workers=1)
    pool.start()
    try:
        seen = pool._client.run(lambda: os.environ.get("MALLOC_TRIM_THRESHOLD_"))
        profiling = pool._client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
    finally:
        pool.close()
    assert list(seen.values()) == [None]
    assert list(profiling.values()) == [False]


def test_a_commit_keeps_its_tables_uncopied_when_every_row_is_new(tmp_path: Path) -> None:
    # A filter keeping every row would copy the commit's tables, held until it is applied.
    rows = {name: TABLES[name].schema.empty_table()
            for name in ("quotes", "taggings", "quarantine", "ingested_files")}
    rows["dispatches"] = pa.Table.from_pylist([{"version_id": "v1"}, {"version_id": "v2"}],
                                              schema=DISPATCHES.schema)
    rows["mentions"] = pa.Table.from_pylist([{"version_id": "v1"}, {"version_id": "v2"}],
                                            schema=TABLES["mentions"].schema)
    fresh = without_committed_rows(tmp_path, storage.read_snapshot(tmp_path), rows)
    assert fresh["dispatches"] is rows["dispatches"]
    assert fresh["mentions"] is rows["mentions"]
    # A mention of a version the batch does not write is still dropped.
    rows["mentions"] = pa.Table.from_pylist([{"version_id": "v1"}, {"version_id": "v3"}],
                                            schema=TABLES["mentions"].schema)
    fresh = without_committed_rows(tmp_path, storage.read_snapshot(tmp_path), rows)
    assert fresh["mentions"].column("version_id").to_pylist() == ["v1"]


def test_every_public_stage_name_is_what_it_names_whatever_was_imported_first() -> None:
    # Importing a submodule binds the package's attribute of that name to the module: a public
    # name loaded on first use must never be a module's name, or it turns into the module.
    probe = (
        "import pkgutil, importlib, transforms.stages as s\n"
        "for m in pkgutil.iter_modules(s.__path__): importlib.import_module('transforms.stages.' + m.name)\n"
        "import types\n"
        "print(sorted(n for n in s.__all__ if isinstance(getattr(s, n), types.ModuleType)))"
    )
    assert _fresh_python(probe) == "[]"


# --- end to end, real model and Prefect ------------------------------------------------------------


def _state(warehouse: Path) -> dict[str, int]:
    """What a reader sees of a backfill's progress, through DuckDB."""
    if not (warehouse / storage.MARKER_TABLE).exists():
        return {"dispatches": 0, "from_zip": 0, "quarantine": 0, "ledger": 0, "ledger_zip": 0}
    [row] = _sql(warehouse, """
        SELECT (SELECT count(*) FROM dispatches),
               (SELECT count(*) FROM dispatches WHERE source_uri LIKE '%batch-b.zip!%'),
               (SELECT count(*) FROM quarantine),
               (SELECT count(*) FROM ingested_files),
               (SELECT count(*) FROM ingested_files WHERE source_uri LIKE '%batch-b.zip')""")
    return dict(zip(("dispatches", "from_zip", "quarantine", "ledger", "ledger_zip"), row, strict=True))


def _assert_each_row_once(warehouse: Path) -> None:
    assert _sql(warehouse, "SELECT count(*) - count(DISTINCT version_id) FROM dispatches") == [(0,)]
    assert _sql(warehouse, "SELECT count(*) - count(DISTINCT mention_id) FROM mentions") == [(0,)]
    assert _sql(warehouse, "SELECT count(*) - count(DISTINCT file_sha256) FROM ingested_files") == [(0,)]
    assert _sql(warehouse, """
        SELECT count(*) FROM mentions WHERE version_id NOT IN (SELECT version_id FROM dispatches)
        """) == [(0,)]
    assert _sql(warehouse, """SELECT count(*) FROM (SELECT source_uri, reason, raw_sha256
        FROM quarantine GROUP BY ALL HAVING count(*) > 1)""") == [(0,)]


def _files_per_partition_at_most_four(warehouse: Path, days: dict[int, date]) -> None:
    per_partition = live_files_per_partition(warehouse, "dispatches")
    busiest = max(Counter(days.values()).values())
    # 20 dispatches of a day in batches of 3: at least 7 commits into that partition.
    assert busiest >= 5 * 3, "a partition must receive more than four batches"
    assert per_partition and max(per_partition.values()) <= 4, per_partition


# (name, condition on the warehouse seen by a reader): each kill waits for its condition.
KILL_POINTS = [
    ("inside the first archive, after its first commit", lambda s: s["dispatches"] >= 1),
    ("inside the second archive, after the corrupt member's quarantine row",
     lambda s: s["quarantine"] >= 1),
    ("after both archives, inside the loose files", lambda s: s["ledger_zip"] >= 1),
]


@pytest.mark.slow
def test_killed_backfill_resumes_without_duplicates(tmp_path: Path) -> None:
    corpus = tmp_path / "in"
    days = write_corpus(corpus, count=60, per_day=20)
    args = ("--batch-size", "3", "--commit-seconds", "0")
    clean = tmp_path / "clean"
    out = run_backfill([corpus], clean, *args)
    assert f"{len(days)} dispatches" in out and "1 quarantined" in out

    # The corrupt member is quarantined; every other dispatch is in, once.
    assert _sql(clean, "SELECT count(*), count(DISTINCT version_id) FROM dispatches") == [
        (len(days), len(days))]
    assert _sql(clean, "SELECT reason, count(*) FROM quarantine GROUP BY ALL") == [
        ("corrupt_archive", 1)]
    assert _sql(clean, "SELECT count(*) FROM ingested_files") == [(22,)]
    assert _sql(clean, "SELECT flow, status FROM runs") == [("backfill", "completed")]
    assert _sql(clean, "SELECT count(*) FROM mentions") != [(0,)]
    _files_per_partition_at_most_four(clean, days)

    killed = tmp_path / "killed"
    landed = []
    for name, reached in KILL_POINTS:
        process = subprocess.Popen(
            backfill_command([corpus], killed, *args),
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
        )
        try:
            state = _wait_for(killed, process, reached, name)
        finally:
            # The whole session: the CLI, its Dask workers and its Prefect server.
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        after = _state(killed)
        landed.append((name, state, after))
        assert 0 < after["dispatches"] < len(days), f"{name}: the kill should land part-way"
        assert _sql(killed, "SELECT count(*) FROM runs") == [(0,)]
        _assert_each_row_once(killed)
    print("kills landed:", *landed, sep="\n  ")
    # Where the kills landed, as read back from the warehouse.
    _first, second, third = (after for _name, _state, after in landed)
    assert second["quarantine"] == 1 and second["ledger_zip"] == 0 and second["from_zip"] < 19
    assert third["ledger_zip"] == 1 and third["ledger"] < 22

    run_backfill([corpus], killed, *args)
    assert_same_warehouse(clean, killed)
    _files_per_partition_at_most_four(killed, days)
    again = run_backfill([corpus], killed)
    assert "22 already ingested" in again and "0 dispatches" in again
    assert_same_warehouse(clean, killed)


def _wait_for(warehouse: Path, process: subprocess.Popen, reached, name: str) -> dict[str, int]:
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the backfill finished before it could be killed {name}")
        state = _state(warehouse)
        if reached(state):
            return state
        time.sleep(0.02)
    pytest.fail(f"not {name} within 300 s")


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
            # Pace the writer so that the reader really reads between rounds, however fast either is.
            wanted = len(seen) + 1
            while len(seen) < wanted and not errors and reader.is_alive():
                time.sleep(0.01)
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
