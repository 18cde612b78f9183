"""Maintenance flows: compaction."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.common import new_run_id, record_run_task
from transforms import stages, storage


@task(name="compact", cache_policy=NO_CACHE)
def compact_task(warehouse: str, commit_id: str, max_files: int = 4) -> storage.CompactionReport:
    return storage.compact(Path(warehouse), commit_id, max_files=max_files)


@flow(name="compact")
def compact(warehouse: str = "warehouse", max_files: int = 4, wait: bool = False):
    """Merge small files so that each partition has at most `max_files` files."""
    warehouse_path = Path(warehouse)
    run_id = new_run_id("compact")
    started_at = datetime.now(UTC)
    with storage.exclusive_writer(warehouse_path, "wirehouse compact", wait):
        report = compact_task(warehouse, run_id, max_files)
        record_run_task(warehouse, run_id, "compact", started_at, 0, stages.BatchCounts(), "completed")
    return report
