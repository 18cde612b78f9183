"""A writer's Delta tables, kept loaded between its commits.

Loading a table replays its log from the newest checkpoint (every file, tombstone and app
transaction in it), so its cost grows with the table; a commit needs ~15 tables. A writer
instead keeps each table it loaded and brings it up to date with `update_incremental()`, which
reads only the log entries added since, and only when the log entry after its version exists:
usually it does not (the writer's own commits advance the object it wrote through), and one
stat is cheaper than the update, which lists a local table's whole log folder. An object that
has taken `REFRESH_AFTER` versions since its load is loaded afresh (from the newest
checkpoint): delta-rs keeps every incremental update's actions in memory unreconciled, so a
long-lived object's file listing and commits slow down with each one (measured: listing the
files of a 180-file table took 12 ms after 60 updates, 0.5 ms on a fresh load).

For writers only (`commits`): a loaded `_commits` is the compare-and-swap base of a claim, so
nothing else may advance it between the head lookup and the claim. Readers load afresh. The
cache is per thread and per process (a forked child never uses its parent's objects), and an
entry is trusted only while the log entry of its version is the very file it saw (a table
deleted and created again at the same place, or a log cleaned up past it, is loaded afresh).
"""

from __future__ import annotations

import os
import threading
from dataclasses import dataclass

import pyarrow.fs as pafs
from deltalake import DeltaTable
from deltalake.exceptions import DeltaError

from transforms.storage.location import LOG_DIR, Location, filesystem
from transforms.storage.snapshot import open_delta

# As often as tables write a log checkpoint (commits.TABLE_PROPERTIES): a fresh load then
# reads the checkpoint and fewer than 10 commits.
REFRESH_AFTER = 10


@dataclass
class _Entry:
    table: DeltaTable
    base: int  # the version it was loaded afresh at
    version: int
    stamp: tuple[int, int]  # size and mtime of the log entry of `version`


class _Cache(threading.local):
    def __init__(self) -> None:
        self.pid = os.getpid()
        self.entries: dict[tuple[str, str], _Entry] = {}


_cache = _Cache()


def _entries() -> dict[tuple[str, str], _Entry]:
    if _cache.pid != os.getpid():
        _cache.pid, _cache.entries = os.getpid(), {}
    return _cache.entries


def _stamp(loc: Location, name: str, version: int) -> tuple[int, int] | None:
    """Size and mtime of the log entry of `version` (None if there is none)."""
    fs, root = filesystem(loc)
    try:
        info = fs.get_file_info(f"{root}/{name}/{LOG_DIR}/{version:020d}.json")
    except OSError:
        return None
    if info.type != pafs.FileType.File:
        return None
    return (info.size or 0, info.mtime_ns or 0)


def latest(loc: Location, name: str) -> DeltaTable | None:
    """The table at its latest version (None if it was never written): the loaded one brought
    up to date, or a fresh load."""
    entries = _entries()
    key = (loc.uri, name)
    entry = entries.get(key)
    if entry is not None and entry.table.version() != entry.version:
        written(loc, name, entry.table)  # advanced by a write through it, unrecorded
        entry = entries.get(key)
    if entry is not None:
        if _stamp(loc, name, entry.version) == entry.stamp:
            fresh_enough = entry.table.version() - entry.base < REFRESH_AFTER
            if fresh_enough and _stamp(loc, name, entry.version + 1) is None:
                # Nobody committed since: versions are consecutive files, so without the next
                # one this is the latest. One stat instead of `update_incremental`, which lists
                # the whole log folder of a local table (a cost that grows with the log).
                return entry.table
            try:
                entry.table.update_incremental()
            except (DeltaError, OSError):
                pass
            else:
                if entry.table.version() - entry.base < REFRESH_AFTER:
                    written(loc, name, entry.table)
                    return entry.table
        entries.pop(key, None)
    table = open_delta(loc, name)
    if table is not None:
        written(loc, name, table)
    return table


def written(loc: Location, name: str, table: DeltaTable) -> None:
    """Remember `table` at the version it is loaded at now (after a write through it)."""
    key = (loc.uri, name)
    stamp = _stamp(loc, name, table.version())
    if stamp is None:
        _entries().pop(key, None)
        return
    known = _entries().get(key)
    base = known.base if known is not None and known.table is table else table.version()
    _entries()[key] = _Entry(table, base, table.version(), stamp)


def forget(loc: Location, name: str) -> None:
    """Drop the loaded table: the next `latest` loads it afresh."""
    _entries().pop((loc.uri, name), None)
