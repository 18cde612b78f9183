"""What a backfill's tagging workers run: one staged batch tagged, nothing else.

No Prefect here, and nothing that committing needs: a worker process (a local one the backfill
starts, or one of an existing Dask cluster) imports only this module, the model and the tag
stage. The backfill flow submits `tag_staged_batch` to Dask directly rather than as a Prefect
task, so a worker neither loads Prefect (~50 MB and a second per process) nor talks to its API:
the flow reports progress, and each batch's seconds per stage come back beside its rows.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from transforms.records import BatchCounts
from transforms.stages.backfill import return_freed_memory_to_os
from transforms.stages.timings import StageClock

# The model's modules (spaCy, the tag stage, the gazetteer) are imported in the worker, on its
# first batch: the flow process imports this module only to name `tag_staged_batch` to Dask,
# and never tags.
if TYPE_CHECKING:
    from transforms.entities.body_cache import BodyCache
    from transforms.entities.taggers import Taggers


@lru_cache(maxsize=4)
def worker_tagger(pipeline: str, seeds_dir: str) -> Taggers:
    """One set of models per worker process, loaded by its first batch."""
    from transforms.entities.taggers import load_taggers

    return load_taggers(pipeline, seeds_dir=Path(seeds_dir))


@lru_cache(maxsize=1)
def worker_body_cache() -> BodyCache:
    """One per worker process, kept across its batches: a text this worker tagged before is
    copied, not tagged again (exact; see transforms.entities.body_cache)."""
    from transforms.entities.body_cache import BodyCache

    return BodyCache()


def warm_worker(pipeline: str, seeds_dir: str) -> None:
    """Load this worker's models before its first batch arrives."""
    worker_tagger(pipeline, seeds_dir)
    from transforms.stages.tag import tag_batch  # noqa: F401 - imported now, not on the first batch


def tag_staged_batch(batch: str, pipeline: str, seeds_dir: str, run_id: str) -> BatchCounts:
    """Tag the batch staged at `batch` (mentions, quotes, taggings and places staged beside
    its dispatches, with the batch's seconds per stage in `timings.json`)."""
    clock = StageClock()
    with clock.stage("model load"):
        nlp = worker_tagger(pipeline, seeds_dir)
    # tag_batch runs the batch inside nlp.memory_zone(), which frees the strings spaCy interns
    # for this batch's text, so a worker's memory stays flat over millions of documents.
    from transforms.stages.tag import tag_batch

    try:
        return tag_batch(Path(batch), nlp, run_id, cache=worker_body_cache(), clock=clock)
    finally:
        return_freed_memory_to_os()
