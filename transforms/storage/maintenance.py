"""Delta maintenance of every table: optimize (compaction) and vacuum."""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from urllib.parse import unquote

import pyarrow as pa
import pyarrow.fs as pafs
from deltalake import CommitProperties, DeltaTable

from schemas.tables import TABLES
from transforms.storage.commits import MARKER_TABLE_PROPERTIES, TABLE_PROPERTIES, write_marker
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
from transforms.storage.snapshot import MARKER_TABLE, log_actions, open_delta, preserves_data

# `_commits` files beyond which `compact` merges them (one small file per marker otherwise).
MARKER_FILES = 8

# `_commits` files at which a nightly run ends with a compaction (`compaction_due`). A commit
# adds two (its claim and its committed row), so this is about 100 commits since the last one.
# Past the last compaction a commit, a head lookup and a query pay for every file written since
# (`make bench-commits --compact-every 0`, side by side at 1,000 commits: 1.8x, 2.6x, 7.5x);
# compacted every 100 commits they stay within 1.2x of the first commit's.
AUTO_COMPACT_MARKER_FILES = 200

# Files replaced by a compaction or a re-tag stay this long: a reader who pinned the previous
# snapshot just before can finish its query. Older snapshots are gone for --as-of after it.
VACUUM_RETENTION_HOURS = 1.0

# A Delta log folder's own files: commits, checkpoints (single or multi-part), checksums.
_LOG_FILE = re.compile(r"^(\d{20})\.(json|crc|checkpoint(?:\.\d+\.\d+)?\.parquet)$")


@dataclass(frozen=True)
class CompactionReport:
    partitions_compacted: int
    files_before: int
    files_after: int


def _files_per_partition(delta: DeltaTable) -> dict[str, list[int]]:
    actions = pa.table(delta.get_add_actions(flatten=False))
    groups: dict[str, list[int]] = {}
    for path, size in zip(actions.column("path").to_pylist(), actions.column("size_bytes").to_pylist(),
                          strict=True):
        groups.setdefault(path.rsplit("/", 1)[0] if "/" in path else "", []).append(int(size))
    return groups


def compact(
    warehouse: Warehouse,
    commit_id: str,
    max_files: int = 4,
    target_rows: int = 2_000_000,
    retention_hours: float = VACUUM_RETENTION_HOURS,
) -> CompactionReport:
    """Delta optimize: each partition's files merged into at most `max_files` (files of about
    `target_rows` rows when there is that much), then a marker and a vacuum of what was
    replaced more than `retention_hours` ago. Writer-only. A retention longer than
    VACUUM_RETENTION_HOURS protects nothing more unless the tables' tombstones are kept as long
    (`delta.deletedFileRetentionDuration`, commits.TABLE_PROPERTIES): a full vacuum judges a
    file whose tombstone expired by its write time."""
    loc = location(warehouse)
    partitions = before = after = 0
    with writable_warehouse(loc):
        # A property change is a Delta commit after the pinned version: the marker below pins it.
        changed = _set_table_properties(loc)
        for name in TABLES:
            delta = open_delta(loc, name)
            if delta is None:
                continue
            groups = _files_per_partition(delta)
            crowded = {p: sizes for p, sizes in groups.items() if len(sizes) > 1}
            if not crowded:
                continue
            rows = max(delta.count(), 1)
            bytes_per_row = max(1, sum(sum(s) for s in groups.values()) // rows)
            target = max(bytes_per_row * target_rows,
                         max(-(-sum(s) // max_files) for s in crowded.values()) + 1)
            for _attempt in range(6):
                delta.optimize.compact(target_size=int(target),
                                       commit_properties=CommitProperties(
                                           custom_metadata={"wirehouse.commit": commit_id}))
                delta = open_delta(loc, name)
                now = _files_per_partition(delta)
                if all(len(now.get(p, ())) <= max_files for p in crowded):
                    break
                # Too many files still: merged files compress better than their inputs, so
                # size the next bins from the files as they are now, two files' worth at least.
                target = 2 * max(-(-sum(now[p]) // max_files) for p in crowded
                                 if len(now.get(p, ())) > max_files)
            changed = True
            partitions += len(crowded)
            before += sum(len(s) for s in crowded.values())
            after += sum(len(now.get(p, ())) for p in crowded)
        if changed:
            write_marker(loc, commit_id)
        _compact_markers(loc, commit_id)
        vacuum(loc, retention_hours)
        clean_logs(loc)
    return CompactionReport(partitions, before, after)


def compaction_due(warehouse: Warehouse, marker_files: int = AUTO_COMPACT_MARKER_FILES) -> bool:
    """Whether `_commits` holds `marker_files` files or more: enough commits since the last
    compaction that a writer which never runs `wirehouse compact` (a nightly schedule alone)
    should compact before its costs grow with them. Reads `_commits`'s log only."""
    markers = open_delta(location(warehouse), MARKER_TABLE)
    return markers is not None and len(markers.file_uris()) >= marker_files


def clean_logs(warehouse: Warehouse) -> int:
    """The log cleanup of every table, after a vacuum. Returns the log files deleted by the
    second step.

    1. Delta's own: log entries older than the table's `delta.logRetentionDuration` (30 days,
       Delta's default, for data tables; seconds for `_commits`, never read at an old version)
       that precede a checkpoint. Our data commits skip it (`commits.DATA_COMMIT_HOOKS`), as it
       lists the whole log folder at every commit; `compact` runs it here instead.
    2. Ours, data tables only (`trim_unreadable_log`): the entries that only versions whose
       files a vacuum deleted still need. Delta keeps them for 30 days although nothing can
       read those versions, and every append lists them all (a local log folder is listed
       whole, twice per append: what a commit's cost grew by, issue 19)."""
    loc = location(warehouse)
    trimmed = 0
    for name in [*TABLES, MARKER_TABLE]:
        delta = open_delta(loc, name)
        if delta is None:
            continue
        delta.cleanup_metadata()
        if name != MARKER_TABLE:
            trimmed += trim_unreadable_log(loc, name)
    return trimmed


def trim_unreadable_log(warehouse: Warehouse, name: str) -> int:
    """Delete the log entries of a table that only versions no one can read need; returns how
    many files went. `--as-of` reaches back from the latest version as far as before:

    * a version is unreadable once a file it names is gone: a file removed (by an OPTIMIZE or
      a re-tag) at version r, which a vacuum deleted, leaves the versions before r that named
      it without it. Every version from the newest such r on is readable;
    * a version whose later commits up to there all preserve data (OPTIMIZE, VACUUM
      START/END) is read at the newest of them, which holds the same rows (the `--as-of`
      reader's `snapshot.readable_version`): it stays readable, and so must the log entries of
      those commits;
    * Delta loads a version from the newest checkpoint at or before it, then the commits
      after that checkpoint: the entries older than the newest checkpoint at or before the
      oldest version so reached are what goes, as Delta's own cleanup does with older ones.

    One reach is given up: an old version older than every vacuumed file, whose own files all
    survive (a table's first commit, in partitions no compaction touched), was readable on its
    own; its entries go too. What stays readable is the run of newest versions, as the
    one-line error's search for the oldest readable marker already assumes.

    Readers and writers at the latest version never read what goes (they start from
    `_last_checkpoint`), and a writer's loaded table whose own version's entry went loads
    afresh (`loaded`). Reads every log entry still there (`compact` runs it, not commits)."""
    loc = location(warehouse)
    fs, root = filesystem(loc)
    table_root = f"{root}/{name}"
    try:
        listed = fs.get_file_info(pafs.FileSelector(f"{table_root}/{LOG_DIR}", allow_not_found=True))
    except OSError as exc:
        raise storage_error(loc, exc) from exc
    files: dict[int, list[str]] = {}
    commits: dict[int, str] = {}
    checkpoints: list[int] = []
    for info in listed:
        match = _LOG_FILE.match(info.base_name)
        if match is None:
            continue
        version = int(match.group(1))
        files.setdefault(version, []).append(info.path)
        if match.group(2) == "json":
            commits[version] = info.path
        elif match.group(2) != "crc":
            checkpoints.append(version)
    if not checkpoints:
        return 0
    removed_at: dict[str, int] = {}
    preserving: dict[int, bool] = {}
    for version in sorted(commits):
        try:
            actions = log_actions(fs, commits[version])
        except OSError:  # gone since the listing (a concurrent cleanup), or unreadable: skipped
            continue
        preserving[version] = preserves_data(actions)
        for action in actions:
            removed = action.get("remove")
            # An absolute path names a file outside the table (a shallow clone's): not ours to judge.
            if isinstance(removed, dict) and removed.get("path") and "://" not in removed["path"]:
                removed_at[unquote(removed["path"])] = version
    if not removed_at:
        return 0
    present = {info.path[len(table_root) + 1:] for info in files_under(fs, table_root)}
    gone = [version for path, version in removed_at.items() if path not in present]
    if not gone:
        return 0
    oldest_readable = max(gone)
    while preserving.get(oldest_readable) and oldest_readable - 1 in preserving:
        oldest_readable -= 1
    keep_from = max((c for c in checkpoints if c <= oldest_readable), default=None)
    if keep_from is None:
        return 0
    doomed = [path for version in sorted(files) if version < keep_from for path in files[version]]
    for path in doomed:
        with contextlib.suppress(FileNotFoundError):
            fs.delete_file(path)
    return len(doomed)


def _set_table_properties(loc: Location) -> bool:
    """Tables created before `TABLE_PROPERTIES` (frequent log checkpoints) take them here,
    `_commits` its `MARKER_TABLE_PROPERTIES` (a short log retention). Returns whether any table
    changed."""
    changed = False
    for name in [*TABLES, MARKER_TABLE]:
        delta = open_delta(loc, name)
        if delta is None:
            continue
        wanted = MARKER_TABLE_PROPERTIES if name == MARKER_TABLE else TABLE_PROPERTIES
        config = delta.metadata().configuration
        if any(config.get(k) != v for k, v in wanted.items()):
            delta.alter.set_table_properties(dict(wanted), raise_if_not_exists=False)
            changed = True
    return changed


def _compact_markers(loc: Location, commit_id: str, max_files: int = MARKER_FILES) -> None:
    """`_commits` gains one small file per marker: merge them. Readers find markers by their
    numbers (file statistics), so this changes nothing they see; a claim racing it loses its
    compare-and-swap and retries."""
    markers = open_delta(loc, MARKER_TABLE)
    if markers is None or len(markers.file_uris()) <= max_files:
        return
    markers.optimize.compact(commit_properties=CommitProperties(
        custom_metadata={"wirehouse.commit": commit_id}))


def vacuum(warehouse: Warehouse, retention_hours: float = VACUUM_RETENTION_HOURS) -> int:
    """Delete files no version newer than `retention_hours` needs, and files of interrupted
    appends older than that. Returns the number of files deleted."""
    loc = location(warehouse)
    removed = 0
    for name in [*TABLES, MARKER_TABLE]:
        delta = open_delta(loc, name)
        if delta is None:
            continue
        # full: also files no version ever named (appends a kill interrupted), not only the
        # files removed by compaction or re-tag.
        removed += len(delta.vacuum(retention_hours=int(retention_hours) if retention_hours >= 1 else 0,
                                    dry_run=False, enforce_retention_duration=False, full=True))
    return removed
