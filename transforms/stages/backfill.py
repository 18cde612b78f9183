"""Backfill input as a stream of staged batches: read item by item, cut every few hundred dispatches.

A backfill reads decades of archive, so nothing here holds more than one batch of rows in memory:
`BatchStream` walks the input files in a stable order, streams each file's items through
`read_path` (archives member by member), drops what the warehouse already holds, and writes each
batch as staged Parquet (dispatches, quarantine, ledger) under the run's staging folder. Later
stages receive only the batch folder's path.

What makes a killed backfill resumable without duplicates:

* versions already committed (or seen earlier in this run) are dropped before tagging;
* a file whose content hash is in the `ingested_files` ledger is skipped whole; its ledger row
  travels in the batch that holds its last item, so it is committed together with that item;
  with a date window no ledger row is written at all, since another window may need the file;
* quarantine rows already committed (same source_uri, reason and raw_sha256) are not written
  again.

No Prefect here: the backfill flow orchestrates, tests call this directly.
"""

from __future__ import annotations

import ctypes
import functools
import os
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from transforms import storage
from transforms.landing import (
    Arrival,
    SourceFile,
    WalkProblem,
    arrival_of,
    landing_entries,
    landing_files,
    problem_source,
    read_source_file,
    refusal_of,
)
from transforms.reference import Reference
from transforms.rows import ledger_row, quarantine_row
from transforms.stages.batches import stage_rows
from transforms.stages.dedupe import (
    KNOWN_VERSIONS,
    committed_quarantine_keys,
    ingested_hashes,
    quarantine_key,
)
from transforms.stages.parse import in_date_window, item_rows, read_items

DEFAULT_BATCH_DISPATCHES = 256
# A run of rejections with no dispatch between them (a folder of junk) still cuts a batch, so
# memory stays bounded whatever the input holds.
QUARANTINE_ROWS_PER_BATCH = 4096

def input_files(paths: Iterable[Path]) -> Iterator[Path]:
    """Every file under the paths (subfolders too, hidden files skipped), in a stable order."""
    for path in paths:
        yield from landing_files(path)


def total_input_bytes(paths: Iterable[Path]) -> int:
    """Bytes under the paths; a stat per file, so a progress bar can show an ETA up front."""
    total = 0
    for path in input_files(paths):
        try:
            total += path.stat().st_size
        except OSError:
            continue
    return total


def open_file_position(path: Path) -> int | None:
    """How far this process has read into `path`, from /proc (Linux); None when unknown.

    `read_path` opens files itself, so this is how the progress of a multi-gigabyte archive is
    seen while it is being read rather than only once it is done.
    """
    target = str(path)
    try:
        for fd in os.listdir("/proc/self/fd"):
            try:
                if os.readlink(f"/proc/self/fd/{fd}") != target:
                    continue
                with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as info:
                    for line in info:
                        if line.startswith("pos:"):
                            return int(line.split()[1])
            except (OSError, ValueError):
                continue
    except OSError:
        return None
    return None


@dataclass(frozen=True)
class StagedBatch:
    """A batch written under staging: its folder and what it holds."""

    folder: Path
    number: int
    dispatches: int
    quarantined: int
    files_completed: int
    # Input bytes read when the batch was cut: once it is tagged, that much input is done.
    input_bytes: int = 0


@dataclass
class _BatchRows:
    dispatches: list[dict] = field(default_factory=list)
    quarantine: list[dict] = field(default_factory=list)
    ledger: list[dict] = field(default_factory=list)

    def is_empty(self) -> bool:
        return not (self.dispatches or self.quarantine or self.ledger)

    def is_full(self, batch_dispatches: int) -> bool:
        return (
            len(self.dispatches) >= batch_dispatches
            or len(self.quarantine) >= QUARANTINE_ROWS_PER_BATCH
        )


@dataclass
class StreamCounts:
    """Running totals of a stream, for the progress display and the runs row."""

    files_seen: int = 0
    files_skipped: int = 0
    files_read: int = 0
    files_deferred: int = 0
    dispatches: int = 0
    quarantined: int = 0
    bytes_done: int = 0


@dataclass
class BatchStream:
    """Staged batches of every item under `paths` that the warehouse does not hold yet.

    `batch_dispatches` dispatches per batch (the last may hold fewer). `published_from` and
    `published_to` (ISO dates, inclusive) restrict the publication dates taken in.
    """

    paths: list[Path]
    warehouse: Path
    staging: Path
    reference: Reference
    run_id: str
    published_from: str | None = None
    published_to: str | None = None
    batch_dispatches: int = DEFAULT_BATCH_DISPATCHES
    # Archives are usually at rest, so nothing is left for settling unless asked.
    settle_seconds: float = 0.0
    follow_links: bool = False
    counts: StreamCounts = field(default_factory=StreamCounts)
    current_file: Path | None = None

    def __post_init__(self) -> None:
        # Copies, not the process-wide cache: versions staged here are not committed yet, and
        # commit_batches must not mistake them for committed ones.
        self._versions = set(KNOWN_VERSIONS.of(self.warehouse))
        self._files = ingested_hashes(self.warehouse)
        self._refusals = committed_quarantine_keys(self.warehouse)
        self._rows = _BatchRows()
        self._batches = 0

    @property
    def windowed(self) -> bool:
        return bool(self.published_from or self.published_to)

    def bytes_read(self) -> int:
        """Bytes of input read so far: finished files, plus the position in the current one."""
        position = open_file_position(self.current_file) if self.current_file else None
        return self.counts.bytes_done + (position or 0)

    def batches(self) -> Iterator[StagedBatch]:
        now = time.time()
        for root in self.paths:
            for path in landing_entries(root):
                self.counts.files_seen += 1
                if isinstance(path, WalkProblem):
                    self._take_refusal(quarantine_row(refusal_of(problem_source(path)), self.run_id,
                                                      datetime.now(UTC)))
                    continue
                arrival = arrival_of(path, root, now, self.settle_seconds, self.follow_links)
                if arrival.deferred:
                    self.counts.files_deferred += 1
                elif arrival is Arrival.OUTSIDE_LANDING:
                    found_at = os.path.abspath(path)
                    link = SourceFile(found_at, "", 0, found_at, arrival.value)
                    self._take_refusal(quarantine_row(refusal_of(link), self.run_id,
                                                      datetime.now(UTC)))
                else:
                    yield from self._read_file(path)
        if not self._rows.is_empty():
            yield self._stage()

    def _read_file(self, path: Path) -> Iterator[StagedBatch]:
        source = read_source_file(path)
        if source.sha256 and source.sha256 in self._files:
            self.counts.files_skipped += 1
            self.counts.bytes_done += source.size
            return
        if source.sha256:
            self._files.add(source.sha256)
        self.counts.files_read += 1
        self.current_file = Path(source.path)
        now = datetime.now(UTC)
        read = refused = 0
        for item in read_items(source, self.reference):
            row, refusal = item_rows(item, self.run_id, now)
            if row is None:
                refused += 1
                self._take_refusal(refusal)
            else:
                read += 1
                self._take_dispatch(row)
            if self._rows.is_full(self.batch_dispatches):
                yield self._stage()
        self.current_file = None
        self.counts.bytes_done += source.size
        if not self.windowed and source.sha256:
            self._rows.ledger.append(ledger_row(source, read, refused, self.run_id, now))

    def _take_dispatch(self, row: dict) -> None:
        if not in_date_window(row["published_date"], self.published_from, self.published_to):
            return
        if row["version_id"] in self._versions:
            return
        self._versions.add(row["version_id"])
        self._rows.dispatches.append(row)
        self.counts.dispatches += 1

    def _take_refusal(self, row: dict) -> None:
        key = quarantine_key(row)
        if key in self._refusals:
            return
        self._refusals.add(key)
        self._rows.quarantine.append(row)
        self.counts.quarantined += 1

    def _stage(self) -> StagedBatch:
        self._batches += 1
        folder = self.staging / f"batch-{self._batches:05d}"
        if not storage.is_remote_path(folder):
            folder.mkdir(parents=True, exist_ok=True)
        rows, self._rows = self._rows, _BatchRows()
        stage_rows("dispatches", rows.dispatches, folder / "dispatches.parquet")
        stage_rows("quarantine", rows.quarantine, folder / "quarantine.parquet")
        stage_rows("ingested_files", rows.ledger, folder / "ingested_files.parquet")
        return StagedBatch(
            folder=folder,
            number=self._batches,
            dispatches=len(rows.dispatches),
            quarantined=len(rows.quarantine),
            files_completed=len(rows.ledger),
            input_bytes=self.bytes_read(),
        )


@dataclass
class CommitSchedule:
    """When to commit tagged batches: often enough that a kill loses little work, rarely enough
    that each partition does not collect a file per batch (compaction merges them at the end).
    """

    interval_seconds: float = 30.0
    max_batches: int = 16
    _last: float = field(default_factory=time.monotonic)

    def due(self, ready: int) -> bool:
        if ready == 0:
            return False
        return ready >= self.max_batches or time.monotonic() - self._last >= self.interval_seconds

    def committed(self) -> None:
        self._last = time.monotonic()


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    # dlopen(NULL): the libraries already loaded, glibc among them. Not ctypes.util.find_library,
    # which runs `ldconfig -p` in a forked child on every call: from a 700 MB process that is a
    # second 700 MB process for a moment (it showed in the benchmark's summed RSS) and CPU lost.
    try:
        return ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError):
        return None


def return_freed_memory_to_os() -> None:
    """Give memory freed by a finished batch back to the OS (glibc only; elsewhere a no-op).

    Dask runs tasks in a worker thread, and glibc keeps what a thread's malloc arena freed
    instead of returning it: measured, a tagging worker grew by 130 MB after its first batch and
    kept growing, while `malloc_trim` brings it back to what the model needs.
    """
    trim = _malloc_trim()
    if trim is not None:
        trim(0)
