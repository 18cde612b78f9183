"""The nightly flow: discover → parse → tag → commit, one Prefect task per batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.common import STOPPED, cached_tagger, new_run_id, record_run_task, stop_status
from flows.maintenance import compact_task
from seeds import default_seeds_dir
from transforms import stages, storage
from transforms.landing import SETTLE_SECONDS_DEFAULT
from transforms.languages import DEFAULT_PIPELINE
from transforms.reference import load_reference


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    files_seen: int
    files_ingested: int
    dispatches_written: int
    mentions_written: int
    quarantined: int
    status: str
    files_deferred: int = 0
    files_archived: int = 0

    def describe(self) -> str:
        later = (
            f" {self.files_deferred} still arriving, left for the next run."
            if self.files_deferred else ""
        )
        archived = f" {self.files_archived} moved to the archive." if self.files_archived else ""
        if self.files_ingested == 0 and not self.quarantined:
            return (
                f"Nothing new: {self.files_seen} files seen, none new ready to read; "
                f"wrote nothing.{later}{archived}"
            )
        return (
            f"{self.files_seen} files seen, {self.files_ingested} new: "
            f"{self.dispatches_written} dispatches and {self.mentions_written} mentions written, "
            f"{self.quarantined} quarantined (run {self.run_id}).{later}{archived}"
        )


@task(name="discover", cache_policy=NO_CACHE)
def discover_task(sources: list[str], warehouse: str, run_id: str, batch_files: int,
                  settle_seconds: float = 0.0, follow_links: bool = False,
                  archiving: bool = False) -> dict:
    found = stages.discover([Path(s) for s in sources], Path(warehouse), settle_seconds, follow_links)
    staging = storage.staging_dir(Path(warehouse), run_id)
    batches = stages.plan_batches(found.fresh, staging, max_files=batch_files)
    # Only an archiving run needs the list of files found again (to move them).
    before = stages.write_file_list(found.ingested_before if archiving else [],
                                    staging / "ingested-before.json")
    return {"files_seen": found.files_seen, "files_deferred": found.deferred,
            "batches": [str(b) for b in batches], "ingested_before": str(before)}


@task(name="archive", cache_policy=NO_CACHE)
def archive_task(file_list: str, warehouse: str, source: str, archive_to: str) -> int:
    files = stages.read_file_list(Path(file_list))
    result = stages.archive_ingested(files, Path(warehouse), Path(source), Path(archive_to))
    for failure in result.failed:
        get_run_logger().warning("not archived, left in the landing folder: %s", failure)
    return result.moved


@task(name="parse", cache_policy=NO_CACHE)
def parse_task(batch: str, warehouse: str, seeds_dir: str, run_id: str) -> stages.BatchCounts:
    reference = load_reference(Path(seeds_dir))
    return stages.parse_batch(Path(batch), Path(warehouse), reference, run_id)


@task(name="tag", cache_policy=NO_CACHE)
def tag_task(batch: str, pipeline: str, seeds_dir: str, run_id: str) -> stages.BatchCounts:
    return stages.tag_batch(Path(batch), cached_tagger(pipeline, seeds_dir), run_id)


@task(name="commit", cache_policy=NO_CACHE)
def commit_task(batch: str, warehouse: str, commit_id: str, seeds_dir: str) -> stages.BatchCounts:
    return stages.commit_batches([Path(batch)], Path(warehouse), commit_id, seeds_dir=Path(seeds_dir))


@flow(name="nightly", log_prints=False)
def nightly(
    source: str,
    warehouse: str = "warehouse",
    pipeline: str = DEFAULT_PIPELINE,
    seeds_dir: str | None = None,
    batch_files: int = 256,
    wait: bool = False,
    settle_seconds: float = SETTLE_SECONDS_DEFAULT,
    follow_links: bool = False,
    archive_to: str | None = None,
    compact_at_marker_files: int = storage.AUTO_COMPACT_MARKER_FILES,
) -> RunSummary:
    """Ingest every file under `source` not ingested before into the warehouse.

    Files still arriving are left for a later run; with `archive_to`, each ingested file is
    moved there once its commit has returned (see `stages.archive_ingested`). The run ends with
    a compaction once `_commits` holds `compact_at_marker_files` files (`storage.compaction_due`:
    about 100 commits since the last compaction).
    """
    warehouse_path = Path(warehouse)
    seeds = seeds_dir or str(default_seeds_dir())
    run_id = new_run_id("nightly")
    started_at = datetime.now(UTC)
    logger = get_run_logger()
    with storage.exclusive_writer(warehouse_path, f"wirehouse run {source}", wait):
        found = discover_task(sources=[source], warehouse=warehouse, run_id=run_id,
                              batch_files=batch_files, settle_seconds=settle_seconds,
                              follow_links=follow_links, archiving=bool(archive_to))
        totals = stages.BatchCounts(deferred=found["files_deferred"])
        archived = 0
        status = "failed"
        try:
            for number, batch in enumerate(found["batches"], start=1):
                parse_task(batch, warehouse, seeds, run_id)
                tag_task(batch, pipeline, seeds, run_id)
                written = commit_task(batch, warehouse, f"{run_id}-{number:05d}", seeds)
                if archive_to:
                    archived += archive_task(f"{batch}/files.json", warehouse, source, archive_to)
                totals = totals + stages.BatchCounts(
                    # Ledger rows committed: a file another run committed first is not counted.
                    files=written.files,
                    dispatches=written.dispatches,
                    mentions=written.mentions,
                    quotes=written.quotes,
                    quarantined=written.quarantined,
                )
            if archive_to:
                # Files ingested by an earlier run (killed before it moved them) or twice here.
                archived += archive_task(found["ingested_before"], warehouse, source, archive_to)
            if storage.compaction_due(warehouse, compact_at_marker_files):
                # A nightly schedule alone never runs `wirehouse compact`, and every commit, head
                # lookup and query pays for each file written since the last compaction.
                try:
                    compact_task(warehouse, f"{run_id}-compact")
                except Exception as exc:
                    # Maintenance, not the run's work: its batches are committed, and a compaction
                    # that lost a race (another S3 writer's) or failed is left to the next run.
                    logger.warning("compaction left for the next run or `wirehouse compact`: %s",
                                   " ".join(str(exc).split())[:300] or type(exc).__name__)
            status = "completed"
        except BaseException as exc:
            status = stop_status(exc, status)
            raise
        finally:
            if status != STOPPED:
                record_run_task(warehouse, run_id, "nightly", started_at, found["files_seen"], totals,
                                status)
    summary = RunSummary(
        run_id=run_id,
        files_seen=found["files_seen"],
        files_ingested=totals.files,
        dispatches_written=totals.dispatches,
        mentions_written=totals.mentions,
        quarantined=totals.quarantined,
        status=status,
        files_deferred=totals.deferred,
        files_archived=archived,
    )
    logger.info(summary.describe())
    return summary
