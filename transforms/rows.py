"""Pure conversions from records to table rows: dicts keyed by the columns in `schemas` (the
`runs` row comes as the one-row table a commit takes)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pyarrow as pa

from schemas.tables import RUNS
from transforms.identity import dispatch_id, span_id, version_id
from transforms.landing import printable_path
from transforms.readers import current_parser_version
from transforms.records import (
    PARSER_VERSION,
    BatchCounts,
    MentionSpan,
    ParsedDispatch,
    QuoteSpan,
    Rejection,
)

if TYPE_CHECKING:
    from transforms.landing import SourceFile


def dispatch_row(dispatch: ParsedDispatch, run_id: str, ingested_at: datetime) -> dict:
    if dispatch.published_at is None:
        raise ValueError("a dispatch row needs published_at; readers must resolve it")
    published_at = dispatch.published_at
    story = dispatch_id(dispatch)
    return {
        "dispatch_id": story,
        "version_id": version_id(dispatch, story),
        "agency": dispatch.agency,
        "dateline_place": dispatch.dateline_place,
        "dateline_country": dispatch.dateline_country,
        "published_at": published_at,
        "headline": dispatch.headline,
        "byline": dispatch.byline,
        "editor_note": dispatch.editor_note,
        "body": dispatch.body,
        "copyright": dispatch.copyright,
        "language": dispatch.language,
        "word_count": len(dispatch.body.split()),
        "source_uri": printable_path(dispatch.source_uri),
        "source_format": dispatch.source_format,
        "raw_sha256": dispatch.raw_sha256,
        "story_version": dispatch.story_version,
        "pub_status": dispatch.pub_status,
        "embargo_until": dispatch.embargo_until,
        "signal": dispatch.signal,
        "ingested_at": ingested_at,
        "run_id": run_id,
        "parser_version": PARSER_VERSION,
        "published_date": published_at.date(),
        "dateline_date": dispatch.dateline_date,
        "parse_warnings": list(dispatch.parse_warnings),
        "dateline_region": dispatch.dateline_region,
    }


def quarantine_row(rejection: Rejection, run_id: str, detected_at: datetime) -> dict:
    return {
        "source_uri": printable_path(rejection.source_uri),
        "reason": rejection.reason,
        "detail": rejection.detail,
        "raw_sha256": rejection.raw_sha256,
        "run_id": run_id,
        "detected_at": detected_at,
        # Refused outside any one reader (the walk, a dispatch with no date): the registry's.
        "parser_version": rejection.parser_version or current_parser_version(),
    }


def mention_rows(
    dispatch: dict,
    mentions: list[MentionSpan],
    model: str,
    pipeline_hash: str,
    run_id: str,
    field: str = "body",
) -> list[dict]:
    """Mention rows of one field (body or headline); offsets point into that field."""
    version = dispatch["version_id"]
    # Body mention ids are what they were before headlines were tagged, so nothing re-keys.
    kind = "mention" if field == "body" else f"mention:{field}"
    return [
        {
            "dispatch_id": dispatch["dispatch_id"],
            "version_id": version,
            "mention_id": span_id(version, kind, m.start_char, m.end_char, m.label),
            "text": m.text,
            "label": m.label,
            "start_char": m.start_char,
            "end_char": m.end_char,
            "sentence_index": m.sentence_index,
            "canonical": m.canonical,
            "model": model,
            "pipeline_hash": pipeline_hash,
            "run_id": run_id,
            "published_date": dispatch["published_date"],
            "field": field,
        }
        for m in mentions
    ]


def quote_rows(
    dispatch: dict, quotes: list[QuoteSpan], model: str, pipeline_hash: str, run_id: str
) -> list[dict]:
    version = dispatch["version_id"]
    return [
        {
            "dispatch_id": dispatch["dispatch_id"],
            "version_id": version,
            "quote_id": span_id(version, "quote", q.start_char, q.end_char),
            "text": q.text,
            "speaker": q.speaker,
            "start_char": q.start_char,
            "end_char": q.end_char,
            "model": model,
            "pipeline_hash": pipeline_hash,
            "run_id": run_id,
            "published_date": dispatch["published_date"],
        }
        for q in quotes
    ]


def tagging_row(
    dispatch: dict,
    info,
    mentions: int,
    quotes: int,
    run_id: str,
    tagged_at: datetime,
    status: str = "tagged",
) -> dict:
    """Provenance of one tagging: lets `retag` find versions tagged by another pipeline."""
    return {
        "dispatch_id": dispatch["dispatch_id"],
        "version_id": dispatch["version_id"],
        "model": info.model,
        "pipeline_hash": info.pipeline_hash,
        "mentions": mentions,
        "quotes": quotes,
        "run_id": run_id,
        "tagged_at": tagged_at,
        "published_date": dispatch["published_date"],
        "status": status,
    }


def ledger_row(source: SourceFile, read: int, refused: int, run_id: str, now: datetime) -> dict:
    """The `ingested_files` row of a file read in full."""
    return {
        "file_sha256": source.sha256,
        "source_uri": printable_path(source.path),
        "dispatches": read,
        "rejected": refused,
        "run_id": run_id,
        "ingested_at": now,
    }


def run_row(
    run_id: str,
    flow: str,
    started_at: datetime,
    files_seen: int,
    counts: BatchCounts,
    status: str,
) -> pa.Table:
    row = {
        "run_id": run_id,
        "flow": flow,
        "started_at": started_at,
        "finished_at": datetime.now(UTC),
        "files_seen": files_seen,
        "files_ingested": counts.files,
        "dispatches_written": counts.dispatches,
        "mentions_written": counts.mentions,
        "quarantined": counts.quarantined,
        "files_deferred": counts.deferred,
        "status": status,
    }
    return pa.Table.from_pylist([row], schema=RUNS.schema)
