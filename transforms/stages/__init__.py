"""The batch stages of a run: discover, parse, tag, commit.

Each stage reads its input from paths and writes its output as staged Parquet under the run's
staging folder, so orchestration passes only paths between them. No Prefect here: the flows
wrap these functions in tasks, and tests call them directly.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from spacy.language import Language

from schemas.tables import RUNS, TABLES
from transforms import storage
from transforms.entities.entity_aliases import (
    FACT_COLUMNS,
    aliases_from_table,
    aliases_to_rows,
    entity_alias_rows,
    facts_from_mentions,
)
from transforms.entities.headline_mentions import confirmed_headline_mentions
from transforms.entities.labels import ours
from transforms.entities.not_names import company_suffixes, read_not_name_rows
from transforms.entities.taggers import NO_MODEL_STATUS, TAGGED, Taggers, as_taggers, tagging_language
from transforms.entities.tagging import tag_bodies
from transforms.landing import Arrival, FileState, archive_file, arrival_of
from transforms.languages import with_language
from transforms.readers import read_path
from transforms.records import ParsedDispatch, Rejection
from transforms.reference import Reference, default_seeds_dir
from transforms.rows import dispatch_row, mention_rows, quarantine_row, quote_rows, tagging_row

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    path: str
    sha256: str
    size: int
    # Where discovery found it (a symlink stays a symlink here, while `path` is resolved).
    found_at: str = ""
    # A reason to refuse it without reading it (a link out of the landing folder).
    refusal: str = ""


@dataclass(frozen=True)
class Discovery:
    """What a run found under its landing folders."""

    files_seen: int
    fresh: list[SourceFile]  # to read (refused links included, to be quarantined)
    deferred: int = 0  # still arriving: left for a later run
    ingested_before: list[SourceFile] = field(default_factory=list)  # hash already in the ledger


@dataclass(frozen=True)
class BatchCounts:
    files: int = 0
    dispatches: int = 0
    mentions: int = 0
    quotes: int = 0
    quarantined: int = 0
    deferred: int = 0

    def __add__(self, other: BatchCounts) -> BatchCounts:
        return BatchCounts(
            files=self.files + other.files,
            dispatches=self.dispatches + other.dispatches,
            mentions=self.mentions + other.mentions,
            quotes=self.quotes + other.quotes,
            quarantined=self.quarantined + other.quarantined,
            deferred=self.deferred + other.deferred,
        )


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def landing_files(source: Path) -> Iterator[Path]:
    """Every regular file under source, subfolders included, in a stable order.

    Hidden files and folders (editor swap files, .DS_Store) are not dispatches; symlinked
    folders are not followed, so a link loop cannot trap the walk.
    """
    if source.is_file():
        yield source
        return
    for root, dirs, files in os.walk(source, followlinks=False):
        dirs[:] = sorted(d for d in dirs if not d.startswith("."))
        for name in sorted(files):
            if not name.startswith("."):
                path = Path(root) / name
                if path.is_file():
                    yield path


def read_source_file(path: Path) -> SourceFile:
    """A file's resolved path, content hash and size; an unreadable file gets no hash (the
    reader then turns it into a rejection, and there is nothing to put in the ledger)."""
    resolved = path.resolve()
    try:
        return SourceFile(str(resolved), file_sha256(resolved), resolved.stat().st_size)
    except OSError:
        return SourceFile(str(resolved), "", 0)


def ingested_hashes(warehouse: storage.Warehouse) -> set[str]:
    ledger = storage.read_table(warehouse, "ingested_files", ["file_sha256"])
    return set(ledger.column("file_sha256").to_pylist())


def ingested_file_dispatches(warehouse: storage.Warehouse) -> dict[str, int]:
    """Content hash → dispatches read from it, for every file in the ledger."""
    ledger = storage.read_table(warehouse, "ingested_files", ["file_sha256", "dispatches"])
    return dict(zip(ledger.column("file_sha256").to_pylist(), ledger.column("dispatches").to_pylist(),
                    strict=True))


def refused_links(warehouse: storage.Warehouse) -> set[str]:
    """Links already quarantined as `outside_landing`: refused once, not every night."""
    rows = storage.read_table(warehouse, "quarantine", ["source_uri", "reason"])
    return {
        uri for uri, reason in zip(rows.column("source_uri").to_pylist(),
                                   rows.column("reason").to_pylist(), strict=True)
        if reason == Arrival.OUTSIDE_LANDING.value
    }


def discover(
    sources: Iterable[Path],
    warehouse: storage.Warehouse,
    settle_seconds: float = 0.0,
    follow_links: bool = False,
    now: float | None = None,
) -> Discovery:
    """Files under the sources not ingested before (by content hash), with what was left.

    Files still arriving (partial-upload names, modified within `settle_seconds`, or changed
    while being hashed) are deferred; symlinks out of a landing folder are refused unless
    `follow_links`.
    """
    clock = time.time() if now is None else now
    seen = deferred = 0
    known = ingested_hashes(warehouse)
    refused = refused_links(warehouse)
    fresh: list[SourceFile] = []
    before: list[SourceFile] = []
    for source in sources:
        for path in landing_files(source):
            seen += 1
            found_at = os.path.abspath(path)
            arrival = arrival_of(path, source, clock, settle_seconds, follow_links)
            if arrival.deferred:
                deferred += 1
                continue
            if arrival is Arrival.OUTSIDE_LANDING:
                if found_at not in refused:
                    fresh.append(SourceFile(found_at, "", 0, found_at, arrival.value))
                continue
            state = FileState.of(path)
            source_file = replace(read_source_file(path), found_at=found_at)
            if state != FileState.of(path):
                deferred += 1
                continue
            if source_file.sha256 and source_file.sha256 in known:
                before.append(source_file)
                continue
            known.add(source_file.sha256)
            fresh.append(source_file)
    return Discovery(seen, fresh, deferred, before)


def write_file_list(files: list[SourceFile], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps([item.__dict__ for item in files]), encoding="utf-8")
    return path


def read_file_list(path: Path) -> list[SourceFile]:
    return [SourceFile(**item) for item in json.loads(path.read_text("utf-8"))]


@dataclass(frozen=True)
class ArchiveResult:
    moved: int = 0
    failed: tuple[str, ...] = ()  # "path: error", left in the landing folder for the next run


def archive_ingested(
    files: list[SourceFile], warehouse: Path, landing_root: Path, archive_root: Path
) -> ArchiveResult:
    """Move to the archive the files whose hash the committed ledger holds with at least one
    dispatch read; call it only after the commit that wrote their ledger rows returned. Files
    that gave no dispatch (all refused) stay in the landing folder for a person to look at.
    A file that cannot be moved (permissions, disk full) stays too: its rows are committed, so
    that is no reason to fail the run, and the next run tries again."""
    ledger = ingested_file_dispatches(warehouse)
    moved = 0
    failed: list[str] = []
    for item in files:
        if not item.sha256 or not item.found_at or ledger.get(item.sha256, 0) <= 0:
            continue
        try:
            placed = archive_file(Path(item.found_at), item.sha256, landing_root, archive_root)
        except OSError as exc:
            failed.append(f"{item.found_at}: {exc}")
            continue
        moved += placed is not None
    return ArchiveResult(moved, tuple(failed))


def plan_batches(
    files: list[SourceFile], staging: Path, max_files: int = 256, max_bytes: int = 64 << 20
) -> list[Path]:
    """Group files into batches and write each batch's file list; returns the batch folders."""
    batches: list[list[SourceFile]] = []
    current: list[SourceFile] = []
    size = 0
    for item in files:
        if current and (len(current) >= max_files or size + item.size > max_bytes):
            batches.append(current)
            current, size = [], 0
        current.append(item)
        size += item.size
    if current:
        batches.append(current)
    folders = []
    for number, batch in enumerate(batches, start=1):
        folder = staging / f"batch-{number:05d}"
        write_file_list(batch, folder / "files.json")
        folders.append(folder)
    return folders


def batch_files(batch: Path) -> list[SourceFile]:
    return read_file_list(batch / "files.json")


class KnownVersions:
    """version_ids already committed, reloaded only when the pinned dispatches version moves."""

    def __init__(self) -> None:
        self._ids: dict[str, tuple[int | None, set[str]]] = {}

    def of(self, warehouse: storage.Warehouse, snapshot: storage.Snapshot | None = None) -> set[str]:
        key = storage.location(warehouse).uri
        snapshot = snapshot or storage.read_snapshot(warehouse)
        version = snapshot.versions.get("dispatches")
        cached = self._ids.get(key)
        if cached is None or cached[0] != version:
            ids = storage.read_table(warehouse, "dispatches", ["version_id"], snapshot)
            cached = (version, set(ids.column("version_id").to_pylist()))
            self._ids[key] = cached
        return cached[1]


KNOWN_VERSIONS = KnownVersions()


def _table_from_rows(table_name: str, rows: list[dict]) -> pa.Table:
    schema = TABLES[table_name].schema
    if not rows:
        return schema.empty_table()
    return pa.Table.from_pylist(rows, schema=schema)


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


def refusal_of(source: SourceFile) -> Rejection:
    target = os.path.realpath(source.found_at or source.path)
    return Rejection(source.found_at or source.path, source.refusal,
                     f"symlink to {target}, outside the landing folder; --follow-links reads it")


def ledger_row(source: SourceFile, read: int, refused: int, run_id: str, now: datetime) -> dict:
    """The `ingested_files` row of a file read in full."""
    return {
        "file_sha256": source.sha256,
        "source_uri": source.path,
        "dispatches": read,
        "rejected": refused,
        "run_id": run_id,
        "ingested_at": now,
    }


def stage_rows(table_name: str, rows: list[dict], path: Path) -> None:
    """Write rows of one table as a durable staged Parquet file."""
    storage.write_parquet_durably(_table_from_rows(table_name, rows), path)


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


def tag_batch(
    batch: Path, nlp: Language | Taggers, run_id: str, n_process: int = 1
) -> BatchCounts:
    """Tag the staged dispatches of a batch, each by the pipeline for its language only, body
    and headline; writes staged mention, quote and tagging rows. A dispatch in a language with
    no pipeline gets no mentions and a `no_model_for_language` tagging."""
    taggers = as_taggers(nlp)
    parsed = _rows_to_tag(batch / "dispatches.parquet")
    tagged_at = datetime.now(UTC)
    mentions: list[dict] = []
    quotes: list[dict] = []
    taggings: list[dict] = []
    by_language: dict[str, list[dict]] = {}
    for row in parsed:
        by_language.setdefault(tagging_language(row.get("language")), []).append(row)
    for language, rows in sorted(by_language.items()):
        model = taggers.nlp_for(language)
        info = taggers.info_for(language)
        if model is None:
            taggings += [tagging_row(row, info, 0, 0, run_id, tagged_at, NO_MODEL_STATUS) for row in rows]
            continue
        in_body = tag_bodies(model, (row["body"] for row in rows), n_process=n_process)
        titled = [row for row in rows if row.get("headline")]
        in_headline = {
            row["version_id"]: spans
            for row, (spans, _) in zip(
                titled, tag_bodies(model, (row["headline"] for row in titled)), strict=True
            )
        }
        for row, (spans, quoted) in zip(rows, in_body, strict=True):
            spans = ours(spans)
            headline_spans = confirmed_headline_mentions(
                ours(in_headline.get(row["version_id"], [])), spans
            )
            mentions += mention_rows(row, spans, info.model, info.pipeline_hash, run_id)
            mentions += mention_rows(
                row, headline_spans, info.model, info.pipeline_hash, run_id, field="headline"
            )
            quotes += quote_rows(row, quoted, info.model, info.pipeline_hash, run_id)
            taggings.append(tagging_row(
                row, info, len(spans) + len(headline_spans), len(quoted), run_id, tagged_at, TAGGED
            ))
    stage_rows("mentions", mentions, batch / "mentions.parquet")
    stage_rows("quotes", quotes, batch / "quotes.parquet")
    stage_rows("taggings", taggings, batch / "taggings.parquet")
    return BatchCounts(mentions=len(mentions), quotes=len(quotes))


def _rows_to_tag(path: Path) -> list[dict]:
    """What tagging needs of each staged dispatch; batches staged before headlines and
    languages were tagged lack those columns, and read as None."""
    wanted = ["dispatch_id", "version_id", "body", "headline", "language", "published_date"]
    staged = storage.read_staged(path)
    if staged is None:
        raise FileNotFoundError(path)
    rows = staged.select([c for c in wanted if c in staged.column_names]).to_pylist()
    return [{name: row.get(name) for name in wanted} for row in rows]


def _staged(batch: Path, name: str) -> pa.Table:
    rows = storage.read_staged(batch / f"{name}.parquet")
    return TABLES[name].schema.empty_table() if rows is None else rows


def entity_aliases_after(
    warehouse: storage.Warehouse, mentions: pa.Table, seeds_dir: Path | None = None, *,
    rebuild: bool = False, snapshot: storage.Snapshot | None = None,
) -> pa.Table:
    """The whole `entity_aliases` table after adding `mentions` to `snapshot` (the latest if
    None). Reads only that small table (or nothing, with `rebuild`), never other mentions,
    except once: a warehouse with mentions from before the table existed is read in full."""
    suffixes = company_suffixes(read_not_name_rows((seeds_dir or default_seeds_dir()) / "not_names.csv"))
    snapshot = snapshot or storage.read_snapshot(warehouse)
    existing: list = []
    if not rebuild and storage.committed_files(warehouse, "entity_aliases", snapshot):
        existing = aliases_from_table(storage.read_table(warehouse, "entity_aliases", snapshot=snapshot))
    elif not rebuild and storage.committed_files(warehouse, "mentions", snapshot):
        stored = storage.read_table(warehouse, "mentions", columns=list(FACT_COLUMNS), snapshot=snapshot)
        existing = entity_alias_rows([], facts_from_mentions(stored), company_suffixes=suffixes)
    rows = entity_alias_rows(existing, facts_from_mentions(mentions), company_suffixes=suffixes)
    return pa.Table.from_pylist(aliases_to_rows(rows), schema=TABLES["entity_aliases"].schema)


def commit_batches(
    batches: list[Path],
    warehouse: storage.Warehouse,
    commit_id: str,
    extra: dict[str, pa.Table] | None = None,
    seeds_dir: Path | None = None,
) -> BatchCounts:
    """Commit the staged rows of tagged batches (and any extra rows) in one atomic step, with
    the `entity_aliases` table brought up to date with the new mentions.

    Rows the warehouse already holds are dropped against the snapshot the commit is claimed
    on: a version already committed (with its mentions, quotes and taggings), a file already
    in the ledger, a refusal already quarantined. So a writer racing another on S3 never
    commits a file twice. `entity_aliases` is recomputed against that same snapshot and
    replaces the whole table in the same commit.
    """
    per_table: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    for batch in batches:
        for name in ("dispatches", "mentions", "quotes", "taggings", "quarantine", "ingested_files"):
            per_table[name].append(_staged(batch, name))
    for name, rows in (extra or {}).items():
        per_table[name].append(rows)
    combined = {
        name: pa.concat_tables(parts) if parts else TABLES[name].schema.empty_table()
        for name, parts in per_table.items()
        if parts or name != "entity_aliases"  # given, it replaces the table: only when computed
    }
    committed: dict[str, pa.Table] = {}

    def dedupe(snapshot: storage.Snapshot, rows: dict[str, pa.Table]) -> dict[str, pa.Table]:
        fresh_rows = without_committed_rows(warehouse, snapshot, rows)
        if fresh_rows["mentions"].num_rows:
            fresh_rows["entity_aliases"] = entity_aliases_after(
                warehouse, fresh_rows["mentions"], seeds_dir, snapshot=snapshot
            )
        committed.clear()
        committed.update(fresh_rows)
        return fresh_rows

    storage.commit_rows(warehouse, combined, commit_id, dedupe=dedupe,
                        overwrite=("entity_aliases",))
    return BatchCounts(
        files=committed["ingested_files"].num_rows,
        dispatches=committed["dispatches"].num_rows,
        mentions=committed["mentions"].num_rows,
        quotes=committed["quotes"].num_rows,
        quarantined=committed["quarantine"].num_rows,
    )


def _not_in(column: pa.ChunkedArray, values: set) -> pa.ChunkedArray:
    return pc.invert(pc.is_in(column, pa.array(sorted(values), type=column.type)))


# A file the run could not open has no ledger row, so every run tries it again, and each
# attempt is a refusal of its own (not a duplicate of the last run's).
RETRIED_REFUSALS = frozenset({"unreadable_file"})


def without_committed_rows(
    warehouse: storage.Warehouse, snapshot: storage.Snapshot, rows: dict[str, pa.Table]
) -> dict[str, pa.Table]:
    """The rows of a batch that `snapshot` does not hold yet (see commit_batches)."""
    rows = dict(rows)
    known = KNOWN_VERSIONS.of(warehouse, snapshot)
    rows["dispatches"] = rows["dispatches"].filter(_not_in(rows["dispatches"]["version_id"], known))
    keep = rows["dispatches"]["version_id"]
    for name in ("mentions", "quotes", "taggings"):
        rows[name] = rows[name].filter(pc.is_in(rows[name]["version_id"], keep))
    if rows["ingested_files"].num_rows:
        ledger = storage.read_table(warehouse, "ingested_files", ["file_sha256"], snapshot)
        seen = set(ledger.column("file_sha256").to_pylist())
        rows["ingested_files"] = rows["ingested_files"].filter(
            _not_in(rows["ingested_files"]["file_sha256"], seen))
    if rows["quarantine"].num_rows:
        columns = ["source_uri", "reason", "raw_sha256"]
        refused = storage.read_table(warehouse, "quarantine", columns, snapshot).to_pylist()
        if refused:
            keys = {(r["source_uri"], r["reason"], r["raw_sha256"] or "") for r in refused}
            mask = [
                r["reason"] in RETRIED_REFUSALS
                or (r["source_uri"], r["reason"], r["raw_sha256"] or "") not in keys
                for r in rows["quarantine"].select(columns).to_pylist()
            ]
            rows["quarantine"] = rows["quarantine"].filter(pa.array(mask, pa.bool_()))
    return rows


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

