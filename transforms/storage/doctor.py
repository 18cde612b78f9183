"""`wirehouse doctor`: find (and, asked to, remove) what killed or lost writers leave behind.

Leftovers, none of which any reader or the commit protocol needs:

* `_pending/<commit_id>/` folders that no claim names as open: staged rows never claimed, or
  rows of a commit already committed (or aborted) whose removal a kill interrupted. The rows of
  an open claim are never touched: the next writer rolls that commit forward from them.
* `_staging/<run_id>/` folders and `.*.tmp` files: scratch of flows that did not finish.
* orphaned data files: Parquet files under a table folder that no Delta version of the table
  names (appends and lost claims a kill or a concurrent writer interrupted). Files an older
  version still names are Delta vacuum's business (`wirehouse compact`), not doctor's.

A local warehouse is examined and cleaned under the writer lock, so no writer is halfway. On S3
there is no lock: a leftover is only removed once it is older than the grace period, since a
concurrent writer may be about to claim what it just staged or commit what it just uploaded.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import unquote

import pyarrow.fs as pafs
import pyarrow.parquet as pq

from schemas.tables import TABLES
from transforms.storage.commits import claims
from transforms.storage.location import (
    LOG_DIR,
    Location,
    Warehouse,
    files_under,
    filesystem,
    location,
    storage_error,
    writable_warehouse,
)
from transforms.storage.snapshot import CLAIMED, MARKER_TABLE, Claim, log_actions, open_delta
from transforms.storage.staging import PENDING_DIR, STAGING_DIR

DEFAULT_GRACE_HOURS = 6.0


@dataclass(frozen=True)
class Leftover:
    kind: str  # "pending", "staging", "temporary" or "orphan"
    path: str  # relative to the warehouse; a folder ends with "/"
    files: int
    size: int
    modified: datetime
    removable: bool  # False: younger than the grace period (S3)

    def describe(self) -> str:
        what = {"pending": "unclaimed pending rows", "staging": "staging leftover",
                "temporary": "temporary file", "orphan": "orphaned data file"}[self.kind]
        line = f"{what:<22} {self.path} ({self.files} files, {_size(self.size)})"
        return line if self.removable else line + ", kept: younger than the grace period"


@dataclass(frozen=True)
class Diagnosis:
    leftovers: tuple[Leftover, ...]
    claims: tuple[Claim, ...]
    missing_staged: tuple[str, ...]  # commit ids of open claims whose staged rows are gone

    def claim_lines(self) -> list[str]:
        lines = []
        for claim in self.claims:
            if claim.state == CLAIMED and claim.commit_id in self.missing_staged:
                lines.append(f"open claim             marker {claim.marker}, commit {claim.commit_id}: "
                             "its staged rows are gone, so it cannot be finished")
            elif claim.state == CLAIMED:
                lines.append(f"open claim             marker {claim.marker}, commit {claim.commit_id}: "
                             "the next writer finishes it")
            else:
                lines.append(f"aborted claim          marker {claim.marker}, commit {claim.commit_id}: "
                             "its files are not in the ledger, so the next run reads them again")
        return lines


def _size(n: int) -> str:
    for unit in ("B", "KB", "MB", "GB"):
        if n < 1024 or unit == "GB":
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n} B"


def _mtime(info: pafs.FileInfo) -> datetime:
    if info.mtime is None:
        return datetime.now(UTC)
    return info.mtime if info.mtime.tzinfo else info.mtime.replace(tzinfo=UTC)


def _folder_leftovers(fs: pafs.FileSystem, root: str, top: str, kind: str, keep: set[str],
                      cutoff: datetime | None) -> list[Leftover]:
    """One leftover per folder under `top` (files grouped by their first path part)."""
    groups: dict[str, list[pafs.FileInfo]] = {}
    for info in files_under(fs, f"{root}/{top}"):
        name = info.path[len(root) + len(top) + 2:].split("/", 1)[0]
        groups.setdefault(name, []).append(info)
    found = []
    for name, infos in sorted(groups.items()):
        if name in keep:
            continue
        newest = max(_mtime(i) for i in infos)
        found.append(Leftover(kind, f"{top}/{name}/", len(infos), sum(i.size or 0 for i in infos),
                              newest, cutoff is None or newest <= cutoff))
    return found


def _logged_paths(fs: pafs.FileSystem, table_root: str) -> set[str]:
    """Every data file path any version of a Delta table names (adds and removes, in commit
    files and checkpoints), relative to the table, unquoted as on storage."""
    names: set[str] = set()
    for info in files_under(fs, f"{table_root}/{LOG_DIR}"):
        if info.base_name.endswith(".json") and info.base_name[:1].isdigit():
            for action in log_actions(fs, info.path):
                for key in ("add", "remove", "cdc"):
                    if isinstance(action.get(key), dict) and action[key].get("path"):
                        names.add(unquote(action[key]["path"]))
        elif ".checkpoint" in info.base_name and info.base_name.endswith(".parquet"):
            with fs.open_input_file(info.path) as handle:
                checkpoint = pq.read_table(handle)
            for key in ("add", "remove"):
                if key in checkpoint.column_names:
                    for item in checkpoint.column(key).to_pylist():
                        if item and item.get("path"):
                            names.add(unquote(item["path"]))
    return names


def _orphans(loc: Location, fs: pafs.FileSystem, root: str, name: str,
             cutoff: datetime | None) -> list[Leftover]:
    """Parquet files of a table that no version names and that Delta's own full vacuum would
    delete too (a dry run: vacuum's verdict, restricted to files no version references)."""
    delta = open_delta(loc, name)
    if delta is None:
        return []
    table_root = f"{root}/{name}"
    files = [i for i in files_under(fs, table_root)
             if i.base_name.endswith(".parquet")
             and not i.path[len(table_root) + 1:].startswith(("_", "."))]
    if not files:
        return []
    logged = _logged_paths(fs, table_root)
    unnamed = [i for i in files if i.path[len(table_root) + 1:] not in logged]
    if not unnamed:
        return []
    vacuumable = {unquote(p) for p in delta.vacuum(retention_hours=0, dry_run=True,
                                                   enforce_retention_duration=False, full=True)}
    found = []
    for info in unnamed:
        relative = info.path[len(table_root) + 1:]
        if relative not in vacuumable:
            continue
        modified = _mtime(info)
        found.append(Leftover("orphan", f"{name}/{relative}", 1, info.size or 0, modified,
                              cutoff is None or modified <= cutoff))
    return found


def _staged_rows_present(fs: pafs.FileSystem, root: str, commit_id: str) -> bool:
    return bool(files_under(fs, f"{root}/{PENDING_DIR}/{commit_id}"))


def diagnose(warehouse: Warehouse, grace_hours: float = DEFAULT_GRACE_HOURS) -> Diagnosis:
    """What doctor finds. On S3 leftovers younger than `grace_hours` are listed as kept; a local
    warehouse is meant to be examined under the writer lock, where nothing is in flight."""
    loc = location(warehouse)
    fs, root = filesystem(loc)
    cutoff = datetime.now(UTC) - timedelta(hours=grace_hours) if loc.remote else None
    try:
        with writable_warehouse(loc):
            found_claims = tuple(sorted(claims(loc), key=lambda c: c.marker))
            open_ids = {c.commit_id for c in found_claims if c.state == CLAIMED}
            leftovers = _folder_leftovers(fs, root, PENDING_DIR, "pending", open_ids, cutoff)
            leftovers += _folder_leftovers(fs, root, STAGING_DIR, "staging", set(), cutoff)
            if not loc.remote:
                for path in sorted(loc.path.glob(".*.tmp")):
                    stat = path.stat()
                    leftovers.append(Leftover("temporary", path.name, 1, stat.st_size,
                                              datetime.fromtimestamp(stat.st_mtime, UTC), True))
            for name in [*TABLES, MARKER_TABLE]:
                leftovers += _orphans(loc, fs, root, name, cutoff)
            missing = tuple(c for c in sorted(open_ids) if not _staged_rows_present(fs, root, c))
    except OSError as exc:
        raise storage_error(loc, exc) from exc
    return Diagnosis(tuple(leftovers), found_claims, missing)


def remove(warehouse: Warehouse, leftovers: tuple[Leftover, ...]) -> list[Leftover]:
    """Remove the removable leftovers; returns those removed. Local: hold the writer lock."""
    loc = location(warehouse)
    fs, root = filesystem(loc)
    removed = []
    with writable_warehouse(loc):
        for leftover in leftovers:
            if not leftover.removable:
                continue
            target = posixpath.join(root, leftover.path.rstrip("/"))
            try:
                if leftover.path.endswith("/"):
                    fs.delete_dir(target)
                else:
                    fs.delete_file(target)
            except FileNotFoundError:
                pass
            removed.append(leftover)
    return removed
