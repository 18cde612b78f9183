"""The requeue stage: quarantined files made readable again by the next run.

A file that was read is in the `ingested_files` ledger, refused wholly or in part, so no run
reads it again: after an upgrade that adds a reader, what was refused as `unknown_format` would
stay refused for good. `plan_requeue` picks quarantine rows (by reason, by the day they were
refused, or refused by another parser version than this one), finds each row's file through
its ledger row, and that file's bytes: at the path where it was found, or, moved there by
`--archive-to`, under the archive folder (checked by content hash). `requeue` puts archived
bytes back where they were found, and only then, in one commit, removes the file's ledger row
and its quarantine rows: the rows leave the waiting room with the file.

The next run (or backfill over the same paths) reads the file like a new one. What now parses
gives its dispatches once (a version the warehouse already holds is never written again, see
`dedupe`); what is still refused goes back to quarantine, with the parser version that refused
it this time. A file whose bytes are nowhere to be found is left as it is (ledger and
quarantine rows kept): removing them would lose the record and gain nothing.

A refusal without a ledger row (what the landing walk could not take, a link out of the
landing folder, a file that could not be opened) has no file to look for: its quarantine row is
removed, so the next run looks at that path again instead of skipping it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa

from schemas.tables import TABLES
from transforms import landing, storage
from transforms.readers import refused_by_this_parser

RefusalKey = tuple[str, str, str, str, datetime]


@dataclass(frozen=True)
class Refusal:
    """One quarantine row."""

    source_uri: str
    reason: str
    detail: str
    raw_sha256: str | None
    run_id: str
    detected_at: datetime
    parser_version: str | None

    @property
    def key(self) -> RefusalKey:
        """The row's identity (a refusal repeated by a later run has another run and time)."""
        return (self.source_uri, self.reason, self.raw_sha256 or "", self.run_id, self.detected_at)


def refusal_key(row: dict) -> RefusalKey:
    return (row["source_uri"], row["reason"], row["raw_sha256"] or "", row["run_id"], row["detected_at"])


@dataclass(frozen=True)
class RequeueItem:
    """One file (or, without a ledger row, one refused path) to be read again."""

    path: str  # where it was found, as recorded
    refusals: tuple[Refusal, ...]  # the quarantine rows that leave with it
    file_sha256: str | None = None  # its ledger row; None: a refusal the ledger never had
    archived_at: str | None = None  # its bytes under the archive folder, to be put back
    missing: bool = False  # its bytes are neither at `path` nor under the archive folder
    restored_to: str | None = None  # where `requeue` put the archived bytes back
    problem: str | None = None  # why its archived bytes could not be put back

    def describe(self, dry_run: bool = False) -> str:
        """One line: what happened (or, with dry_run, would happen) to this file."""
        reasons = ", ".join(sorted({r.reason for r in self.refusals}))
        first = min(self.refusals, key=lambda r: r.detected_at)
        versions = sorted({r.parser_version or "an unrecorded parser" for r in self.refusals})
        why = (f"{_count(len(self.refusals), 'quarantine row')}: "
               f"{reasons}; refused {first.detected_at:%Y-%m-%d} by {' and '.join(versions)}")
        if self.problem:
            return (f"not requeued {self.path} ({why}): could not put it back from "
                    f"{self.archived_at}: {self.problem}; left in quarantine")
        if self.missing:
            where = "there nor under --archive-to" if self.archived_at is None else "there"
            return (f"not found {self.path} ({why}): its bytes are neither {where}; "
                    "left in quarantine")
        verb = "would requeue" if dry_run else "requeued"
        if self.archived_at and dry_run:
            return f"{verb} {self.path} ({why}), putting it back from {self.archived_at}"
        if self.restored_to:
            return f"{verb} {self.restored_to} ({why}), put back from {self.archived_at}"
        if self.file_sha256 is None:
            return f"{verb} {self.path} ({why}): the next run looks at it again"
        return f"{verb} {self.path} ({why})"


@dataclass(frozen=True)
class RequeuePlan:
    items: tuple[RequeueItem, ...]

    @property
    def ready(self) -> tuple[RequeueItem, ...]:
        return tuple(item for item in self.items if not (item.missing or item.problem))

    @property
    def left(self) -> tuple[RequeueItem, ...]:
        """Not found, or not put back: left in quarantine as they were."""
        return tuple(item for item in self.items if item.missing or item.problem)

    def summary(self, dry_run: bool = False) -> str:
        if not self.items:
            return "Nothing in quarantine matches: nothing to requeue."
        rows = sum(len(item.refusals) for item in self.ready)
        head = "Would requeue" if dry_run else "Requeued"
        tail = (" Nothing was changed (--dry-run)." if dry_run
                else " The next run reads them again." if self.ready else "")
        lost = f"; {len(self.left)} not found or not put back, left in quarantine" if self.left else ""
        return (f"{head} {_count(len(self.ready), 'file')} (removing {_count(rows, 'quarantine row')})"
                f"{lost}.{tail}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _selected(row: dict, reasons: frozenset[str], since: date | None, outdated: bool) -> bool:
    if reasons and row["reason"] not in reasons:
        return False
    if since is not None and row["detected_at"] < datetime(since.year, since.month, since.day, tzinfo=UTC):
        return False
    return not (outdated and refused_by_this_parser(row["parser_version"]))


def _file_paths(uri: str) -> Iterable[str]:
    """The paths a refusal's `source_uri` may belong to: itself, and each prefix of it that
    ends before an `!` (an archive member) or a `#` (an item of a file)."""
    yield uri
    for index in range(len(uri) - 1, 0, -1):
        if uri[index] in "!#":
            yield uri[:index]


def _archived_copy(path: Path, sha256: str, archive_root: Path) -> Path | None:
    """The archived copy of the file found at `path`: the archive keeps the path relative to
    the landing folder (whichever ancestor of `path` that was), or that name with the first 12
    hex of the hash in it when another file held the place. Taken only if its bytes match."""
    parts = path.parts
    for start in range(1, len(parts)):
        relative = Path(*parts[start:])
        renamed = relative.with_name(f"{relative.stem}.{sha256[:12]}{relative.suffix}")
        for candidate in (archive_root / relative, archive_root / renamed):
            if candidate.is_file() and landing.file_sha256(candidate) == sha256:
                return candidate
    return None


def _bytes_at(path: Path, sha256: str) -> bool:
    try:
        return path.is_file() and landing.file_sha256(path) == sha256
    except OSError:
        return False


def plan_requeue(
    warehouse: storage.Warehouse,
    reasons: Iterable[str] = (),
    since: date | None = None,
    outdated: bool = False,
    archive_to: Path | None = None,
) -> RequeuePlan:
    """The quarantined files to read again: quarantine rows with one of `reasons` (any if
    none), refused on or after `since`, and with `outdated` only those refused by another
    parser version than this one (or before versions were recorded); each with its file's
    ledger row and where its bytes are. Reads the warehouse and the files; writes nothing."""
    snapshot = storage.read_snapshot(warehouse)
    quarantine = storage.read_table(warehouse, "quarantine", snapshot=snapshot).to_pylist()
    ledger = storage.read_table(warehouse, "ingested_files",
                                ["file_sha256", "source_uri", "run_id", "ingested_at"], snapshot).to_pylist()
    ledger_by_path: dict[str, list[dict]] = defaultdict(list)
    for row in ledger:
        ledger_by_path[row["source_uri"]].append(row)
    wanted = frozenset(reasons)
    files: dict[str, tuple[dict, list[dict]]] = {}  # file_sha256 -> (ledger row, its refusals)
    unfiled: dict[str, list[dict]] = defaultdict(list)  # source_uri -> refusals without a file
    by_file: dict[tuple[str, str], list[dict]] = defaultdict(list)  # (run, file) -> its refusals
    for row in quarantine:
        path = _file_path(row["source_uri"], ledger_by_path)
        if path is not None:
            by_file[(row["run_id"], path)].append(row)
        if not _selected(row, wanted, since, outdated):
            continue
        entry = None if path is None else _ledger_row_of(row, ledger_by_path[path])
        if entry is None:
            unfiled[row["source_uri"]].append(row)
        else:
            files.setdefault(entry["file_sha256"], (entry, []))[1].append(row)
    items: list[RequeueItem] = []
    for sha256, (entry, chosen) in files.items():
        # Every refusal of the file by the run that read it leaves with it: reading the file
        # again makes them afresh (a refusal kept would hide its repeat, see dedupe).
        keys = {refusal_key(row) for row in chosen}
        siblings = [row for row in by_file.get((entry["run_id"], entry["source_uri"]), ())
                    if refusal_key(row) not in keys]
        refusals = tuple(_refusal(row) for row in chosen + siblings)
        path = Path(entry["source_uri"])
        item = RequeueItem(entry["source_uri"], refusals, sha256)
        if not _bytes_at(path, sha256):
            archived = _archived_copy(path, sha256, archive_to) if archive_to else None
            item = replace(item, archived_at=str(archived) if archived else None, missing=archived is None)
        items.append(item)
    for uri, chosen in unfiled.items():
        items.append(RequeueItem(uri, tuple(_refusal(row) for row in chosen)))
    items.sort(key=lambda item: item.path)
    return RequeuePlan(tuple(items))


def _file_path(uri: str, ledger_by_path: dict[str, list[dict]]) -> str | None:
    """The path of the file in the ledger a refusal's `source_uri` came from: the uri itself,
    or the part before an archive member's `!` or an item's `#`; None if the ledger has none."""
    return next((path for path in _file_paths(uri) if path in ledger_by_path), None)


def _ledger_row_of(refusal: dict, rows: list[dict]) -> dict:
    """The ledger row, among those of one path, of the file a refusal came from: the file read
    by the run that refused it, else (bytes read earlier at that path were refused the same
    way, so the run kept that older refusal) the last one read there."""
    same_run = [row for row in rows if row["run_id"] == refusal["run_id"]]
    return same_run[0] if same_run else max(rows, key=lambda row: row["ingested_at"])


def _refusal(row: dict) -> Refusal:
    return Refusal(row["source_uri"], row["reason"], row["detail"], row["raw_sha256"], row["run_id"],
                   row["detected_at"], row["parser_version"])


def requeue(warehouse: storage.Warehouse, plan: RequeuePlan, commit_id: str) -> RequeuePlan:
    """Carry out a plan: archived bytes back where they were found first (a failure to put one
    back leaves that file as it was), then, in one commit, the files' ledger rows and the
    chosen quarantine rows removed. Returns the plan as done. Call it holding the writer lock.

    The order keeps every file somewhere a run will find it: bytes put back whose commit then
    fails are in the ledger still, so the next run leaves them for the archive stage."""
    done: list[RequeueItem] = []
    for item in plan.items:
        if item.missing or item.archived_at is None or item.file_sha256 is None:
            done.append(item)
            continue
        archived, found = Path(item.archived_at), Path(item.path)
        archive_root, landing_root = _common_roots(archived, found)
        try:
            placed = landing.archive_file(archived, item.file_sha256, archive_root, landing_root)
        except OSError as exc:
            done.append(replace(item, problem=f"{type(exc).__name__}: {exc}"))
            continue
        done.append(replace(item, restored_to=str(placed)) if placed
                    else replace(item, problem="its bytes there changed since they were found"))
    result = RequeuePlan(tuple(done))
    if not result.ready:
        return result
    hashes = sorted({item.file_sha256 for item in result.ready if item.file_sha256})
    leaving = {refusal.key for item in result.ready for refusal in item.refusals}

    def without_requeued(snapshot: storage.Snapshot, rows: dict[str, pa.Table]) -> dict[str, pa.Table]:
        # Against the very snapshot the commit is claimed on: refusals another writer added
        # since the plan was made are kept.
        stored = storage.read_table(warehouse, "quarantine", snapshot=snapshot)
        keys = stored.select(["source_uri", "reason", "raw_sha256", "run_id", "detected_at"]).to_pylist()
        keep = pa.array([refusal_key(row) not in leaving for row in keys], pa.bool_())
        return {**rows, "quarantine": stored.filter(keep)}

    empty = {name: TABLES[name].schema.empty_table() for name in ("quarantine", "ingested_files")}
    storage.commit_rows(warehouse, empty, commit_id,
                        replace={"ingested_files": pa.array(hashes, pa.string())},
                        dedupe=without_requeued, overwrite=("quarantine",), replace_column="file_sha256")
    return result


def _common_roots(archived: Path, found: Path) -> tuple[Path, Path]:
    """The archive folder and the landing folder of an archived copy: each path without the
    folders the two share at their ends and the file name (the same, or the archived copy's
    with its hash in it), so that moving the copy back lands at `found` (or, when another file
    took that place since, beside it with the hash in its name)."""
    a, f = archived.parts, found.parts
    shared = 1
    while shared < min(len(a), len(f)) - 1 and a[-1 - shared] == f[-1 - shared]:
        shared += 1
    return Path(*a[:len(a) - shared]), Path(*f[:len(f) - shared])
