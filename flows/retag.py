"""The retag flow: re-run only the tagging task over stored dispatches, no re-parsing."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from prefect import flow, task
from prefect.cache_policies import NO_CACHE

from flows.common import cached_tagger, new_run_id, record_run_task
from seeds import default_seeds_dir
from transforms import stages, storage
from transforms.languages import DEFAULT_PIPELINE
from transforms.stages.retag import plan_retag_batches, replace_enrichment


@task(name="select-for-retag", cache_policy=NO_CACHE)
def select_task(
    warehouse: str, pipeline: str, seeds_dir: str, where: str | None, force: bool, run_id: str
) -> list[str]:
    info = cached_tagger(pipeline, seeds_dir).infos
    staging = storage.staging_dir(Path(warehouse), run_id)
    return [str(b) for b in plan_retag_batches(Path(warehouse), info, where, force, staging)]


@task(name="tag", cache_policy=NO_CACHE)
def tag_task(batch: str, pipeline: str, seeds_dir: str, run_id: str) -> stages.BatchCounts:
    return stages.tag_batch(Path(batch), cached_tagger(pipeline, seeds_dir), run_id)


@task(name="replace-enrichment", cache_policy=NO_CACHE)
def replace_task(
    warehouse: str, batches: list[str], commit_id: str, seeds_dir: str
) -> dict[str, int]:
    return replace_enrichment(
        Path(warehouse), [Path(b) for b in batches], commit_id, seeds_dir=Path(seeds_dir)
    )


@flow(name="retag")
def retag(
    warehouse: str = "warehouse",
    pipeline: str = DEFAULT_PIPELINE,
    seeds_dir: str | None = None,
    where: str | None = None,
    force: bool = False,
    wait: bool = False,
) -> dict[str, int]:
    """Re-tag dispatches whose mentions came from another pipeline, model or pattern set."""
    warehouse_path = Path(warehouse)
    seeds = seeds_dir or str(default_seeds_dir())
    run_id = new_run_id("retag")
    started_at = datetime.now(UTC)
    with storage.exclusive_writer(warehouse_path, "wirehouse retag", wait):
        batches = select_task(warehouse, pipeline, seeds, where, force, run_id)
        for batch in batches:
            tag_task(batch, pipeline, seeds, run_id)
        written = replace_task(warehouse, batches, run_id, seeds) if batches else {}
        # For a retag, "dispatches written" counts the versions re-tagged.
        counts = stages.BatchCounts(
            dispatches=written.get("taggings", 0), mentions=written.get("mentions", 0)
        )
        record_run_task(warehouse, run_id, "retag", started_at, 0, counts, "completed")
    return written
