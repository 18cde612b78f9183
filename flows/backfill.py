"""The backfill flow: years of archive through the model, at the speed of the model.

The flow process streams and parses the input (`transforms.stages.backfill.BatchStream`) and
stages a batch of a few hundred dispatches at a time; each batch is tagged on a Dask worker
process (a local cluster of N processes, started at the first batch, or an existing cluster by
address) by `flows.backfill_worker.tag_staged_batch`, which loads the model once per process and
tags the batch inside `nlp.memory_zone()`. Tagging is submitted to Dask directly, not as Prefect
tasks: the workers import neither Prefect nor what committing needs, and send nothing to the
Prefect API, which keeps the flow, its commits and its runs row. Only paths travel between
processes: batches are staged under the warehouse's own `_staging/` (on S3 for an S3
warehouse), so workers of a remote cluster need no shared disk, only the warehouse's storage.
Parsing stays a bounded number of batches ahead of tagging; finished batches are committed in
input order (under the writer lock on a local warehouse). At the end the warehouse is compacted and a
`runs` row records the run.
"""

from __future__ import annotations

import logging
import sys
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.backfill_worker import tag_staged_batch, warm_worker
from flows.common import STOPPED, new_run_id, record_run_task, stop_status
from flows.maintenance import compact_task
from seeds import default_seeds_dir
from transforms import stages, storage
from transforms.arrow_memory import returnable_arrow_memory_env, use_returnable_arrow_memory
from transforms.languages import DEFAULT_PIPELINE
from transforms.reference import load_reference
from transforms.stages.backfill import (
    DEFAULT_BATCH_DISPATCHES,
    BatchStream,
    CommitSchedule,
    StagedBatch,
    return_freed_memory_to_os,
    total_input_bytes,
)
from transforms.stages.timings import TIMINGS_FILE, StageClock

if TYPE_CHECKING:
    from distributed import Future

# Local pools `run_backfill` started before calling the flow, by (workers, pipeline, seeds
# folder); the flow takes its own out and closes it.
_PREPARED_POOLS: dict[tuple[int, str, str], TaggingPool] = {}

# The Dask setting that puts MALLOC_TRIM_THRESHOLD_ in a local worker's environment (None: not set;
# see `TaggingPool._start`).
WORKER_MALLOC_TRIM_SETTING = "distributed.nanny.pre-spawn-environ.MALLOC_TRIM_THRESHOLD_"
WORKER_PROFILE_SETTING = "distributed.worker.profile.enabled"

# Batches staged but not committed, per worker: enough that a worker never waits for the
# parser, few enough that staging and memory stay small whatever the archive size.
BATCHES_IN_FLIGHT_PER_WORKER = 2


@dataclass(frozen=True)
class BackfillSummary:
    run_id: str
    files_seen: int
    files_skipped: int
    files_read: int
    dispatches_written: int
    mentions_written: int
    quarantined: int
    status: str
    files_deferred: int = 0
    # Seconds per stage: the flow process's own (parse, waiting for workers, commit, compact)
    # and the workers' (model, ...), summed over workers; see `describe_stages`.
    stage_seconds: dict[str, float] = field(default_factory=dict)
    # The flow process's CPU seconds per stage of its own, and in all (`cpu_seconds`, from its
    # start to the summary).
    stage_cpu_seconds: dict[str, float] = field(default_factory=dict)
    cpu_seconds: float = 0.0

    def describe(self) -> str:
        later = f" {self.files_deferred} still arriving, left." if self.files_deferred else ""
        return (
            f"{self.files_seen} files seen, {self.files_skipped} already ingested, "
            f"{self.files_read} read: {self.dispatches_written} dispatches and "
            f"{self.mentions_written} mentions written, {self.quarantined} quarantined "
            f"(run {self.run_id}).{later}"
        )

    def describe_stages(self) -> str:
        lines = ["time by stage: " + ", ".join(
            f"{name} {seconds:.1f} s" for name, seconds in self.stage_seconds.items()
        )]
        if self.stage_cpu_seconds:
            staged = sum(self.stage_cpu_seconds.values())
            lines.append(
                f"flow process CPU by stage: {self.cpu_seconds:.1f} s in all, "
                + ", ".join(f"{name} {cpu:.1f} s" for name, cpu in self.stage_cpu_seconds.items())
                + f", outside these {self.cpu_seconds - staged:.1f} s"
            )
        return "\n".join(lines)


@dataclass
class CommittedTotals:
    """What the run's commits wrote so far; kept outside the loop so a failed run reports it."""

    counts: stages.BatchCounts = field(default_factory=stages.BatchCounts)

    def for_runs_row(self, files_read: int, files_deferred: int = 0) -> stages.BatchCounts:
        # files_ingested counts the files read, many of which may hold no new dispatch.
        return replace(self.counts, files=files_read, deferred=files_deferred)


# --- tasks ----------------------------------------------------------------------------------


@task(name="commit", cache_policy=NO_CACHE)
def commit_task(
    batches: list[str], warehouse: str, commit_id: str, seeds_dir: str
) -> stages.BatchCounts:
    folders = [Path(b) for b in batches]
    counts = stages.commit_batches(folders, Path(warehouse), commit_id, seeds_dir=Path(seeds_dir))
    for folder in folders:
        storage.remove_staged(folder)
    return counts


# --- progress -------------------------------------------------------------------------------


class ProgressDisplay:
    """A rich progress bar: input bytes read (for the ETA) and documents tagged per second."""

    def __init__(self, total_bytes: int, enabled: bool) -> None:
        self._progress = None
        self._started = datetime.now(UTC)
        if not enabled:
            return
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeRemainingColumn

        self._progress = Progress(
            TextColumn("backfill"),
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[docs]:,} docs, {task.fields[rate]:,.0f} docs/s"),
            TextColumn("ETA"),
            TimeRemainingColumn(),
        )
        self._task = self._progress.add_task("backfill", total=max(total_bytes, 1), docs=0, rate=0.0)
        self._progress.start()

    def update(self, bytes_read: int, docs_tagged: int) -> None:
        if self._progress is None:
            return
        seconds = max((datetime.now(UTC) - self._started).total_seconds(), 1e-3)
        self._progress.update(self._task, completed=bytes_read, docs=docs_tagged,
                              rate=docs_tagged / seconds)

    def close(self) -> None:
        if self._progress is not None:
            self._progress.stop()


# --- the flow -------------------------------------------------------------------------------


class TaggingPool:
    """Where batches are tagged: the Dask cluster at `dask_address`, else a local cluster of
    `workers` processes. Nothing starts until the first batch is submitted (a backfill with
    nothing new to tag starts no worker); `close` stops what was started here."""

    def __init__(self, workers: int, dask_address: str | None = None,
                 clock: StageClock | None = None) -> None:
        self.workers = max(1, workers)
        self.dask_address = dask_address
        self.clock = clock if clock is not None else StageClock()
        self._cluster = None
        self._client = None
        self._warming: list[Future] = []

    def start(self) -> None:
        """Start the local cluster, or connect to the given one (once; later calls do nothing)."""
        if self._client is None:
            with self.clock.stage("start workers"):
                self._start()

    def warm_up(self, pipeline: str, seeds_dir: str) -> None:
        """Start the workers now and have each load the model at once, in the background: done
        before the flow (see `run_backfill`), both overlap the start of Prefect's temporary
        server, during which one of two cores was idle (measured: ~7 s before the first batch).
        A batch submitted meanwhile waits behind its worker's warm-up."""
        self.start()
        self._warming = [
            self._client.submit(warm_worker, pipeline, seeds_dir, workers=[address],
                                allow_other_workers=False, pure=False)
            for address in self._client.scheduler_info()["workers"]
        ]

    def submit(self, batch: str, pipeline: str, seeds_dir: str, run_id: str) -> Future:
        self.start()
        # pure=False: a batch folder's content changes once tagged; never reuse a result.
        return self._client.submit(tag_staged_batch, batch, pipeline, seeds_dir, run_id, pure=False)

    def _start(self) -> None:
        from distributed import Client, LocalCluster

        # Importing distributed sets its loggers to INFO (its logging config); a backfill's
        # output is its progress, not every worker start and stop.
        logging.getLogger("distributed").setLevel(logging.WARNING)
        if self.dask_address:
            self._client = Client(self.dask_address)
            return
        import dask

        # Dask starts its workers with MALLOC_TRIM_THRESHOLD_=65536, which also fixes glibc's
        # mmap threshold at 128 KB: every larger array the model allocates per batch is mapped,
        # faulted in page by page and unmapped again. Measured over our 21,578-dispatch archive:
        # 18.6 million page faults and 34.6 CPU s of system time in the two workers, against
        # 3.6 million and 14.3 s without it (wall time 179.5 -> 167.5 s). Each worker hands
        # freed memory back to the OS after every batch instead (`return_freed_memory_to_os`).
        # Nor do local workers run Dask's statistical profiler: it samples the tagging thread's
        # stack every 10 ms for a dashboard a local backfill does not serve. Measured beside
        # the tagging in one process: ~1% of its CPU.
        with dask.config.set({WORKER_MALLOC_TRIM_SETTING: None, WORKER_PROFILE_SETTING: False}):
            self._cluster = LocalCluster(
                n_workers=self.workers, threads_per_worker=1, processes=True,
                # ":0": any free port for Dask's HTTP server (None means :8787, which another
                # cluster on the machine may hold: a warning on every run).
                dashboard_address=":0", silence_logs=logging.ERROR,
                # Set in each worker before it allocates: freed Arrow memory goes back to the OS.
                env=returnable_arrow_memory_env(),
            )
        self._client = Client(self._cluster)

    def close(self) -> None:
        if self._client is None:
            return
        with self.clock.stage("stop workers"):
            for future in self._warming:
                future.cancel()
            self._warming = []
            self._client.close()
            if self._cluster is not None:
                self._cluster.close()
        self._client = self._cluster = None


def _collect_finished(
    in_flight: deque[tuple[StagedBatch, Future | None]],
    ready: list[StagedBatch],
    block: bool,
) -> list[StagedBatch]:
    """Move batches whose tagging is done, oldest first, from in_flight to ready (in order).

    With `block`, waits for the oldest. Returns the batches moved; a failed tag task raises
    here and fails the run.
    """
    moved = []
    while in_flight:
        batch, future = in_flight[0]
        if future is not None and not block and not future.done():
            break
        if future is not None:
            future.result()
        in_flight.popleft()
        moved.append(batch)
        block = False
    ready.extend(moved)
    return moved


@flow(name="backfill", log_prints=False)
def backfill(
    paths: list[str],
    warehouse: str = "warehouse",
    pipeline: str = DEFAULT_PIPELINE,
    seeds_dir: str | None = None,
    published_from: str | None = None,
    published_to: str | None = None,
    workers: int = 2,
    batch_dispatches: int = DEFAULT_BATCH_DISPATCHES,
    commit_seconds: float = 30.0,
    wait: bool = False,
    show_progress: bool = False,
    settle_seconds: float = 0.0,
    follow_links: bool = False,
    dask_address: str | None = None,
) -> BackfillSummary:
    """Ingest every item under `paths` (dates from/to inclusive, ISO) not in the warehouse yet.

    Batches are tagged on `workers` local processes, or on the Dask cluster at `dask_address`.
    Call it under `if __name__ == "__main__":` (or through `run_backfill`): local workers are
    spawned processes.
    """
    warehouse_path = Path(warehouse)
    seeds = seeds_dir or str(default_seeds_dir())
    # A backfill's flow process lives for hours and commits again and again: memory Arrow
    # frees must go back to the OS after each commit, not stay in Arrow's pool (the CLI has
    # chosen Arrow's pool at start; this covers a flow called from Python).
    use_returnable_arrow_memory()
    run_id = new_run_id("backfill")
    started_at = datetime.now(UTC)
    with storage.exclusive_writer(warehouse_path, f"wirehouse backfill {' '.join(paths)}", wait):
        stream = BatchStream(
            paths=[Path(p) for p in paths],
            warehouse=warehouse_path,
            staging=storage.shared_staging(warehouse_path, run_id),
            reference=load_reference(Path(seeds)),
            run_id=run_id,
            published_from=published_from,
            published_to=published_to,
            batch_dispatches=batch_dispatches,
            settle_seconds=settle_seconds,
            follow_links=follow_links,
        )
        display = ProgressDisplay(total_input_bytes(stream.paths), show_progress)
        totals = CommittedTotals()
        clock = StageClock()
        status = "failed"
        pool = _PREPARED_POOLS.pop((workers, pipeline, seeds), None) if not dask_address else None
        if pool is None:
            pool = TaggingPool(workers, dask_address, clock)
        pool.clock = clock
        try:
            try:
                _tag_and_commit(stream, warehouse, pipeline, seeds, run_id, pool,
                                CommitSchedule(interval_seconds=commit_seconds), display, totals,
                                clock)
            finally:
                # Before compaction: the workers' memory is not needed beside compaction's.
                pool.close()
            with clock.stage("compaction"):
                compact_task(warehouse, f"{run_id}-compact")
            status = "completed"
        except BaseException as exc:
            status = stop_status(exc, status)
            raise
        finally:
            display.close()
            if status != STOPPED:
                record_run_task(warehouse, run_id, "backfill", started_at, stream.counts.files_seen,
                                totals.for_runs_row(stream.counts.files_read,
                                                    stream.counts.files_deferred),
                                status)
    summary = BackfillSummary(
        run_id=run_id,
        files_seen=stream.counts.files_seen,
        files_skipped=stream.counts.files_skipped,
        files_read=stream.counts.files_read,
        dispatches_written=totals.counts.dispatches,
        mentions_written=totals.counts.mentions,
        quarantined=totals.counts.quarantined,
        status=status,
        files_deferred=stream.counts.files_deferred,
        stage_seconds=dict(clock.seconds),
        stage_cpu_seconds=dict(clock.cpu),
        cpu_seconds=time.process_time(),
    )
    get_run_logger().info(summary.describe())
    return summary


def _tag_and_commit(
    stream: BatchStream,
    warehouse: str,
    pipeline: str,
    seeds: str,
    run_id: str,
    pool: TaggingPool,
    schedule: CommitSchedule,
    display: ProgressDisplay,
    totals: CommittedTotals,
    clock: StageClock,
) -> None:
    """Parse ahead while workers tag; commit finished batches in input order into `totals`."""
    in_flight: deque[tuple[StagedBatch, Future | None]] = deque()
    ready: list[StagedBatch] = []
    tagged = commits = 0
    limit = pool.workers * BATCHES_IN_FLIGHT_PER_WORKER

    def collect(block: bool) -> None:
        nonlocal tagged
        with clock.stage("waiting for workers"):
            moved = _collect_finished(in_flight, ready, block)
        for batch in moved:
            workers_clock.merge(StageClock.read(batch.folder / TIMINGS_FILE))
        tagged += sum(b.dispatches for b in moved)
        if moved:
            # The ETA follows input whose batches are tagged, not input merely parsed ahead.
            display.update(moved[-1].input_bytes, tagged)

    def commit_ready() -> None:
        nonlocal commits
        commits += 1
        with clock.stage("write and commit"):
            written = commit_task([str(b.folder) for b in ready], warehouse,
                                  f"{run_id}-{commits:05d}", seeds)
        totals.counts = totals.counts + written
        ready.clear()
        schedule.committed()
        # A commit's tables are freed once written; give that memory back, or the flow process
        # keeps its peak (measured: +50 MB a commit, never returned).
        return_freed_memory_to_os()

    workers_clock = StageClock()
    batches = iter(stream.batches())
    while True:
        with clock.stage("parse and stage"):
            batch = next(batches, None)
        if batch is None:
            break
        if batch.dispatches:
            pool.start()
        with clock.stage("submit"):
            future = (
                pool.submit(str(batch.folder), pipeline, seeds, run_id)
                if batch.dispatches else None
            )
        in_flight.append((batch, future))
        collect(block=len(in_flight) >= limit)
        if schedule.due(len(ready)):
            commit_ready()
    # The input is read: what is ready is committed at once, while the workers tag the last
    # batches, so that only the last batches' commit is left once the workers are done. Waiting
    # for the schedule left a whole interval's commit (~2.5 s over 13 batches) to run alone.
    while in_flight:
        collect(block=True)
        commit_ready()
    if ready:
        commit_ready()
    for name, seconds in workers_clock.seconds.items():
        clock.add(f"workers: {name}", seconds)


# --- running it -----------------------------------------------------------------------------


def run_backfill(
    paths: list[str],
    warehouse: str,
    *,
    workers: int,
    dask_address: str | None = None,
    prefect_ready: Callable[[], None] | None = None,
    **options: object,
) -> BackfillSummary:
    """Run the backfill flow, tagging on `workers` local processes or on the Dask cluster at
    `dask_address` (call under `if __name__ == "__main__"`: local workers are spawned processes)."""
    # Dask logs every worker start and stop at INFO; a backfill's output is its progress.
    logging.getLogger("distributed").setLevel(logging.WARNING)
    prepared = key = None
    try:
        if not dask_address:
            # Local workers start, and load the model, while the flow starts Prefect's server.
            key = (workers, str(options.get("pipeline") or DEFAULT_PIPELINE),
                   str(options.get("seeds_dir") or default_seeds_dir()))
            prepared = _PREPARED_POOLS[key] = TaggingPool(workers)
            prepared.warm_up(key[1], key[2])
        if prefect_ready is not None:
            prefect_ready()  # a server started early (`start_temporary_prefect_server`) is up
        return backfill(paths=paths, warehouse=warehouse, workers=workers,
                        dask_address=dask_address, **options)
    finally:
        if prepared is not None and _PREPARED_POOLS.pop(key, None) is prepared:
            prepared.close()  # the flow stopped before taking it


if __name__ == "__main__":  # pragma: no cover - `wirehouse backfill` is the entry point
    sys.exit("use `wirehouse backfill PATH...`")
