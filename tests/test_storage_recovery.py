"""Exactly once under SIGKILL: a nightly run killed at 22 points of its life, then finished.

One landing folder is ingested twice: once cleanly, into a reference warehouse, and once by a
chain of `wirehouse run` children on a second warehouse, each SIGKILLed (with its whole process
group) at its own point: at fractions of the clean run's duration (start-up: imports, Prefect's
ephemeral server, discover) and when on-disk events are seen (a batch's staged parse or tag
output, a commit's pending folder, its claim (the newest marker is a claim: the commit is decided,
its tables not yet applied), a table's Delta append not
yet named by a commit marker, a marker, the run record). Each child resumes the work the
previous ones left (rolling decided commits forward). After every kill:

* DuckDB reads the warehouse, through `run_query` and through `views.sql` in a plain
  `duckdb.connect()`, and every row is there exactly once (no duplicate version, mention,
  quote, tagging, ledger or quarantine row; no mention of a missing version);
* the lock left by the dead child (its pid still written in `.lock`) is taken at once.

Then a last run finishes and the warehouse equals the reference row for row, run ids and
write times aside. Where each kill landed is read back from the disk (see `_landing`) and
printed; `test_kill_points_cover_the_run` asserts the spread.
"""

from __future__ import annotations

import json
import os
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pytest

from schemas.tables import TABLES
from tests.hostile.landing import (
    child_env,
    kill_group,
    run_wirehouse,
    start_wirehouse,
    warm_up_prefect,
    write_wire_corpus,
)
from transforms import storage
from transforms.query import run_query

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

BULK = "wire-005-bulk.jsonl"
POLL_SECONDS = 0.002
# Columns that say when or by which run a row was written; everything else must match.
_NOT_CONTENT = {"run_id"}
_CONTENT_TIMESTAMPS = {"published_at", "embargo_until"}


@dataclass
class DiskState:
    """What a poll of the warehouse sees, relative to the child's start."""

    elapsed: float
    new: set[str]  # paths under _staging/ that did not exist when the child started
    bumps: int  # commit markers written since the child started
    orphans: set[str]  # tables whose Delta log is ahead of the latest marker (a commit in part)
    claimed: bool  # the newest marker is a claim: a commit decided, its tables not all applied
    runs_files: int  # runs-table commits since the child started
    pending: set[str] = field(default_factory=set)  # commit ids seen under _pending/
    batches: dict[int, list[str]] = field(default_factory=dict)  # batch number -> file names

    def batch_has(self, number: int, name: str) -> bool:
        return any(p.endswith(f"/batch-{number:05d}/{name}") for p in self.new)

    def commit_started(self, number: int) -> bool:
        return any(c.endswith(f"-{number:05d}") for c in self.pending)

    @property
    def recording_run(self) -> bool:
        return any(c.endswith("-run") for c in self.pending)

    @property
    def staging_started(self) -> bool:
        return bool(self.new)

    @property
    def bulk_batch(self) -> int | None:
        for number, names in self.batches.items():
            if BULK in names:
                return number
        return None


def _log_versions(table_dir: Path) -> int:
    try:
        return sum(1 for n in os.listdir(table_dir / "_delta_log") if n.endswith(".json"))
    except FileNotFoundError:
        return 0


class Poller:
    """Cheap repeated looks at one warehouse while a child writes it (the child needs the CPU).

    Counts of Delta log entries stand for versions; batch lists are parsed once. A table is
    "ahead" when its log grew since the last marker appeared; `settle`, the full look after a
    kill, compares every table's latest version with the marker's instead.
    """

    def __init__(self, warehouse: Path) -> None:
        self.warehouse = warehouse
        self.staging = warehouse / storage.STAGING_DIR
        self.before = self._staged_files()
        self.markers0 = _log_versions(warehouse / storage.MARKER_TABLE)
        self.runs0 = _log_versions(warehouse / "runs")
        self._tables_at_marker = self._table_versions()
        self._markers_seen = self.markers0
        self._claimed = False
        self._pending: set[str] = set()
        self._batches: dict[int, list[str]] = {}
        self.started = time.monotonic()

    def _staged_files(self) -> set[str]:
        found = set()
        for root, _dirs, files in os.walk(self.staging):
            for name in files:
                found.add(os.path.relpath(os.path.join(root, name), self.staging))
        return found

    def _table_versions(self) -> dict[str, int]:
        return {t: _log_versions(self.warehouse / t) for t in TABLES}

    def poll(self, full: bool = False) -> DiskState:
        new = self._staged_files() - self.before
        markers = _log_versions(self.warehouse / storage.MARKER_TABLE)
        tables = self._table_versions()
        if markers != self._markers_seen:
            self._markers_seen = markers
            self._tables_at_marker = tables
            # Read through the storage package only when `_commits` changed (it costs a load).
            try:
                self._claimed = any(c.state == storage.CLAIMED for c in storage.claims(self.warehouse))
            except Exception:  # a log file being written: look again at the next change
                self._claimed = False
        try:
            pending = os.listdir(self.warehouse / storage.PENDING_DIR)
        except FileNotFoundError:
            pending = []
        self._pending.update(pending)
        for rel in new:
            if rel.endswith("/files.json") and "/batch-" in rel:
                number = int(rel.rsplit("/batch-", 1)[1].split("/", 1)[0])
                if number not in self._batches:
                    try:
                        items = json.loads((self.staging / rel).read_text(encoding="utf-8"))
                        self._batches[number] = [Path(item["path"]).name for item in items]
                    except (OSError, ValueError):
                        pass
        if full:
            snapshot = storage.read_snapshot(self.warehouse)
            ahead = set()
            for t in TABLES:
                delta = storage.open_delta(self.warehouse, t)
                if delta is not None and delta.version() != snapshot.versions.get(t):
                    ahead.add(t)
        else:
            ahead = {t for t, v in tables.items() if v > self._tables_at_marker.get(t, 0)}
        return DiskState(
            elapsed=time.monotonic() - self.started,
            new=new,
            bumps=markers - self.markers0,
            orphans=ahead,
            claimed=self._claimed,
            runs_files=tables["runs"] - self.runs0,
            pending=set(self._pending),
            batches=dict(self._batches),
        )


Trigger = Callable[[DiskState], bool]


@dataclass(frozen=True)
class KillPoint:
    intent: str
    trigger: Trigger
    delay: float = 0.0


def _at(seconds: float) -> Trigger:
    return lambda s: s.elapsed >= seconds


def _or_later(trigger: Trigger) -> Trigger:
    """A short-lived event can fall between two polls: then kill after the second commit, so
    that a missed event never lets the child finish all the remaining work."""
    return lambda s: trigger(s) or s.bumps >= 2


def _bulk(event: Callable[[DiskState, int], bool]) -> Trigger:
    """An event of the bulk batch; if it is missed, its commit; once the bulk file is
    committed (an earlier kill landed just after its commit), the next commit instead."""

    def trigger(s: DiskState) -> bool:
        if not s.batches:
            return False
        number = s.bulk_batch
        if number is None:
            return s.bumps >= 1
        return event(s, number) or s.bumps >= number

    trigger.bulk = True  # type: ignore[attr-defined]
    return trigger


def kill_points(clean_seconds: float) -> list[KillPoint]:
    timed = [
        KillPoint(f"{fraction:.0%} of a clean run ({clean_seconds * fraction:.1f}s)",
                  _or_later(_at(clean_seconds * fraction)))
        for fraction in (0.04, 0.15, 0.3, 0.45)
    ]
    evented = [
        KillPoint("discover done: batch 1 planned", lambda s: 1 in s.batches),
        KillPoint("tag: batch 1 parsed", lambda s: s.batch_has(1, "dispatches.parquet")),
        KillPoint("tag: batch 1 parsed, +0.3s", lambda s: s.batch_has(1, "dispatches.parquet"), 0.3),
        KillPoint("commit: batch 1 staging", lambda s: s.commit_started(1)),
        KillPoint("commit: a table appended, no marker yet", lambda s: bool(s.orphans)),
        KillPoint("commit: claimed (decided), tables not yet applied", lambda s: s.claimed),
        KillPoint("just after a marker", lambda s: s.bumps >= 1),
        KillPoint("marker +20ms", lambda s: s.bumps >= 1, 0.02),
        KillPoint("batch 2 tagged", lambda s: s.batch_has(2, "taggings.parquet")),
        KillPoint("commit of batch 2", lambda s: s.commit_started(2)),
        KillPoint("parse of the bulk batch", _bulk(lambda s, n: s.bumps >= n - 1), 0.05),
        KillPoint("tag of the bulk batch", _bulk(lambda s, n: s.batch_has(n, "dispatches.parquet")),
                  0.4),
        KillPoint("commit of the bulk batch", _bulk(lambda s, n: s.commit_started(n))),
        KillPoint("bulk batch appended in part, no marker",
                  _bulk(lambda s, n: s.commit_started(n) and bool(s.orphans))),
        KillPoint("second marker +50ms", lambda s: s.bumps >= 2, 0.05),
        KillPoint("a table appended, no marker yet", lambda s: bool(s.orphans)),
    ]
    last = [
        KillPoint("recording the run", lambda s: s.recording_run or s.runs_files >= 1),
        KillPoint("final garbage collection (runs row committed)", lambda s: s.runs_files >= 1),
    ]
    guarded = [p if getattr(p.trigger, "bulk", False) else KillPoint(p.intent, _or_later(p.trigger), p.delay)
               for p in evented]
    return timed + guarded + last


def _landing(s: DiskState | None) -> str:
    """Where a kill landed, judged from the disk right after it."""
    if s is None:
        return "start-up (before discover)"
    if s.recording_run or s.runs_files:
        return "run record / final clean-up"
    if not s.staging_started:
        return "start-up (before discover)"
    if not s.batches:
        return "discover"
    current = s.bumps + 1
    if current > max(s.batches):
        return "after the last batch commit"
    where = "bulk batch" if s.bulk_batch == current else f"batch {current}"
    if s.orphans:
        return f"commit ({where}): tables appended in part, marker not yet written"
    if s.claimed:
        return f"commit ({where}): claimed, tables not yet appended"
    if s.commit_started(current):
        return f"commit ({where}): writing pending rows"
    if s.batch_has(current, "dispatches.parquet"):
        return f"tag ({where})"
    if current > 1:
        return f"between commits / parse ({where})"
    return f"parse ({where})"


def _exactly_once_counts(warehouse: Path) -> dict[str, int]:
    checks = {
        "dispatches": "SELECT count(*) - count(DISTINCT version_id) FROM dispatches",
        "mentions": "SELECT count(*) - count(DISTINCT mention_id) FROM mentions",
        "quotes": "SELECT count(*) - count(DISTINCT quote_id) FROM quotes",
        "ingested_files": "SELECT count(*) - count(DISTINCT file_sha256) FROM ingested_files",
        "quarantine": "SELECT count(*) - count(DISTINCT (source_uri, reason, detail)) FROM quarantine",
        "orphan mentions": "SELECT count(*) FROM mentions WHERE version_id NOT IN "
                           "(SELECT version_id FROM dispatches)",
    }
    if "taggings" in TABLES:
        checks["taggings"] = "SELECT count(*) - count(DISTINCT version_id) FROM taggings"
    return {name: run_query(warehouse, sql).rows[0][0] for name, sql in checks.items()}


def _check_readable(warehouse: Path) -> dict[str, int]:
    """Every view through run_query, and views.sql in a plain DuckDB; returns table counts."""
    counts = {}
    for name in [*TABLES, "dispatches_latest", "mentions_latest", "entities"]:
        counts[name] = run_query(warehouse, f"SELECT count(*) FROM {name}").rows[0][0]
    views = warehouse / storage.VIEWS_NAME
    if views.exists():
        con = duckdb.connect()
        try:
            con.execute(views.read_text(encoding="utf-8"))
            for name in TABLES:
                plain = con.execute(f"SELECT count(*) FROM {name}").fetchone()[0]
                # views.sql is rewritten just after the marker: a kill between the two
                # leaves it one commit behind, never ahead and never broken.
                assert plain <= counts[name], (name, plain, counts[name])
            con.execute("SELECT count(*) FROM entities").fetchone()
        finally:
            con.close()
    bad = {k: v for k, v in _exactly_once_counts(warehouse).items() if v}
    assert not bad, f"rows not exactly once after a kill: {bad}"
    return counts


def _check_lock_taken_over(warehouse: Path, dead_pid: int) -> None:
    lock = storage.WarehouseLock(warehouse, "test: take over", wait=False)
    holder = lock.holder()
    assert holder is None or holder.pid == dead_pid, holder
    lock.acquire()  # raises WarehouseError if the dead child's lock were still held
    lock.release()


def _content(warehouse: Path, table: str) -> list[tuple]:
    columns = [
        f.name for f in TABLES[table].schema
        if f.name not in _NOT_CONTENT
        and (not f.name.endswith("_at") or f.name in _CONTENT_TIMESTAMPS)
    ]
    sql = f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL"
    return run_query(warehouse, sql).rows


@pytest.fixture(scope="module")
def crash_chain(tmp_path_factory: pytest.TempPathFactory) -> dict:
    tmp = tmp_path_factory.mktemp("crash")
    landing = tmp / "landing"
    write_wire_corpus(landing, files=20, paragraphs=10, bulk_records=60)
    env = child_env(tmp, WIREHOUSE_BATCH_FILES="1", PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120")
    clean = tmp / "clean"
    args = ["run", "--source", str(landing), "--warehouse"]
    warm_up_prefect(env, tmp)
    started = time.monotonic()
    reference = run_wirehouse([*args, str(clean)], env, cwd=tmp)
    clean_seconds = time.monotonic() - started
    assert reference.returncode == 0, reference.stdout[-3000:] + reference.stderr[-3000:]

    warehouse = tmp / "killed"
    warehouse.mkdir()
    kills: list[tuple[str, str, float]] = []
    missed: list[str] = []
    for number, point in enumerate(kill_points(clean_seconds), start=1):
        poller = Poller(warehouse)
        log = tmp / f"child-{number:02d}.log"
        child = start_wirehouse([*args, str(warehouse)], env, log=log, cwd=tmp)
        poller.started = time.monotonic()
        fired = False
        while child.poll() is None:
            if point.trigger(poller.poll()):
                if point.delay:
                    time.sleep(point.delay)
                fired = child.poll() is None
                break
            time.sleep(POLL_SECONDS)
        if not fired:
            child.wait(timeout=300)
            assert child.returncode == 0, log.read_text(errors="replace")[-3000:]
            missed.append(point.intent)
            continue
        kill_group(child)
        after = poller.poll(full=True)
        kills.append((point.intent, _landing(after), after.elapsed))
        _check_readable(warehouse)
        _check_lock_taken_over(warehouse, child.pid)

    final = run_wirehouse([*args, str(warehouse)], env, cwd=tmp)
    assert final.returncode == 0, final.stdout[-3000:] + final.stderr[-3000:]
    report = "\n".join(f"{i:2d}. {intent:<55} -> {landed} @ {t:.2f}s"
                       for i, (intent, landed, t) in enumerate(kills, start=1))
    print(f"\nclean run {clean_seconds:.1f}s; {len(kills)} kills, missed {missed}\n{report}")
    return {"clean": clean, "killed": warehouse, "kills": kills, "missed": missed,
            "final": final.stdout}


def test_at_least_twenty_kills(crash_chain: dict) -> None:
    assert len(crash_chain["kills"]) >= 20, crash_chain["missed"]


def test_kill_points_cover_the_run(crash_chain: dict) -> None:
    landed = Counter(where.split(" (")[0].split(":")[0] for _, where, _ in crash_chain["kills"])
    for stage in ("start-up", "tag", "commit", "run record / final clean-up"):
        assert landed[stage] >= 1, landed
    assert landed["parse"] + landed["between commits / parse"] >= 2, landed
    assert landed["commit"] >= 4, landed


@pytest.mark.parametrize("table", [t for t in TABLES if t != "runs"])
def test_killed_warehouse_equals_a_clean_run(crash_chain: dict, table: str) -> None:
    clean = _content(crash_chain["clean"], table)
    killed = _content(crash_chain["killed"], table)
    assert clean, f"the clean run wrote no {table}: the corpus does not exercise it"
    assert len(killed) == len(clean)
    assert killed == clean


def test_runs_record_completed_runs_only(crash_chain: dict) -> None:
    rows = run_query(crash_chain["killed"], "SELECT status, count(*) FROM runs GROUP BY 1").rows
    counts = dict(rows)
    assert counts.get("completed", 0) >= 1
    assert set(counts) <= {"completed"}, counts


def test_killed_warehouse_is_left_clean(crash_chain: dict) -> None:
    warehouse = crash_chain["killed"]
    assert not (warehouse / storage.STAGING_DIR).exists() or not any(
        (warehouse / storage.STAGING_DIR).iterdir())
    assert not storage.pending_commits(warehouse)
    assert not (warehouse / storage.PENDING_DIR).exists() or not any(
        (warehouse / storage.PENDING_DIR).iterdir())
    snapshot = storage.read_snapshot(warehouse)
    for t in TABLES:  # the last marker names every table's latest version: nothing half-done
        delta = storage.open_delta(warehouse, t)
        assert (delta.version() if delta else None) == snapshot.versions.get(t), t
    # What is left on disk besides the live files is what Delta's vacuum owns: files of
    # earlier versions and of appends a kill interrupted. Vacuumed, only the live ones stay.
    storage.vacuum(warehouse, retention_hours=0)
    live = {f for t in TABLES for f in storage.committed_files(warehouse, t)}
    on_disk = {p.relative_to(warehouse).as_posix() for t in TABLES
               for p in (warehouse / t).rglob("*.parquet") if "_delta_log" not in p.parts}
    # No orphans: each commit replaces the entity_aliases table, and the files it replaced
    # are Delta's to vacuum like any other earlier version's; vacuumed, none is left.
    assert on_disk == live
    assert _check_readable(warehouse)["dispatches"] > 0
