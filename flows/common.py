"""What every writing flow shares: run ids, the model cache, the writer session, the runs row."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path

from prefect import task
from prefect.cache_policies import NO_CACHE
from spacy.language import Language

from transforms import stages, storage
from transforms.entities import load_tagger


def new_run_id(flow_name: str) -> str:
    return f"{flow_name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@lru_cache(maxsize=4)
def cached_tagger(pipeline: str, seeds_dir: str) -> Language:
    """One model per process: loading it costs seconds, tagging a batch far less."""
    return load_tagger(pipeline, seeds_dir=Path(seeds_dir))


@contextmanager
def exclusive_writer(warehouse: Path | str, command: str, wait: bool) -> Iterator[None]:
    """Hold the warehouse for one writer: the lock (local warehouses), clear errors for disk,
    permission and storage failures, and commits of killed runs finished before and after."""
    loc = storage.location(warehouse)
    with storage.writable_warehouse(loc):
        storage.check_reachable(loc)
        storage.refuse_legacy_layout(loc)
        if loc.remote:
            lock = contextlib.nullcontext()
        else:
            loc.path.mkdir(parents=True, exist_ok=True)
            lock = storage.WarehouseLock(loc, command, wait=wait)
        with lock:
            storage.collect_garbage(loc)
            try:
                yield
            finally:
                storage.collect_garbage(loc)


@task(name="record-run", cache_policy=NO_CACHE)
def record_run_task(
    warehouse: str, run_id: str, flow_name: str, started_at: datetime, files_seen: int,
    counts: stages.BatchCounts, status: str,
) -> None:
    row = stages.run_row(run_id, flow_name, started_at, files_seen, counts, status)
    stages.commit_batches([], Path(warehouse), f"{run_id}-run", extra={"runs": row})
