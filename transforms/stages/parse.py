"""The parse stage: a batch's files read into staged dispatch, quarantine and ledger rows."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

from transforms import storage
from transforms.landing import SourceFile, refusal_of
from transforms.languages import with_language
from transforms.readers import read_path
from transforms.records import BatchCounts, ParsedDispatch, Rejection
from transforms.reference import Reference
from transforms.rows import dispatch_row, ledger_row, quarantine_row
from transforms.stages.batches import batch_files, stage_rows
from transforms.stages.dedupe import KNOWN_VERSIONS


def read_items(source: SourceFile, reference: Reference) -> Iterator[ParsedDispatch | Rejection]:
    """Every item of one source file, each dispatch with its language; a reader bug becomes a
    rejection, never an exception."""
    try:
        for item in read_path(Path(source.path), reference=reference):
            yield with_language(item) if isinstance(item, ParsedDispatch) else item
    except Exception as exc:  # noqa: BLE001 - a reader bug must not sink the whole batch
        yield Rejection(source.path, "reader_error", f"{type(exc).__name__}: {exc}", source.sha256)


def item_rows(
    item: ParsedDispatch | Rejection, run_id: str, now: datetime
) -> tuple[dict | None, dict | None]:
    """(dispatch row, None) for a dated dispatch, (None, quarantine row) for anything refused.

    Shared by the nightly and backfill flows so that both turn an item into rows the same way.
    """
    if isinstance(item, Rejection):
        return None, quarantine_row(item, run_id, now)
    if item.published_at is None:
        rejection = Rejection(item.source_uri, "no_date", "no publication date found")
        return None, quarantine_row(rejection, run_id, now)
    return dispatch_row(item, run_id, now), None


def in_date_window(day: date, published_from: str | None, published_to: str | None) -> bool:
    """Whether a publication day (ISO strings compare as dates) is inside an inclusive window."""
    text = day.isoformat()
    return not ((published_from and text < published_from) or (published_to and text > published_to))


def parse_batch(
    batch: Path,
    warehouse: storage.Warehouse,
    reference: Reference,
    run_id: str,
    published_from: str | None = None,
    published_to: str | None = None,
) -> BatchCounts:
    """Read and parse a batch's files into staged dispatch, quarantine and ledger rows.

    Versions already in the warehouse, or seen earlier in the batch, are dropped here so that
    the expensive tagging stage never sees them. Dispatches outside the date window, when one
    is given, are skipped but their file still counts as ingested.
    """
    now = datetime.now(UTC)
    known = KNOWN_VERSIONS.of(warehouse)
    dispatches: list[dict] = []
    rejected: list[dict] = []
    ledger: list[dict] = []
    batch_versions: set[str] = set()
    for source in batch_files(batch):
        if source.refusal:
            # Refused unread: no content, so nothing for the ledger either.
            rejected.append(quarantine_row(refusal_of(source), run_id, now))
            continue
        read = refused = 0
        for item in read_items(source, reference):
            row, refusal = item_rows(item, run_id, now)
            if row is None:
                rejected.append(refusal)
                refused += 1
                continue
            read += 1
            if not in_date_window(row["published_date"], published_from, published_to):
                continue
            if row["version_id"] in known or row["version_id"] in batch_versions:
                continue
            batch_versions.add(row["version_id"])
            dispatches.append(row)
        if source.sha256:  # an unreadable file has no hash: it is tried again next run
            ledger.append(ledger_row(source, read, refused, run_id, now))
    stage_rows("dispatches", dispatches, batch / "dispatches.parquet")
    stage_rows("quarantine", rejected, batch / "quarantine.parquet")
    stage_rows("ingested_files", ledger, batch / "ingested_files.parquet")
    return BatchCounts(files=len(ledger), dispatches=len(dispatches), quarantined=len(rejected))
