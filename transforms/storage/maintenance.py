"""Delta maintenance of every table: optimize (compaction) and vacuum."""

from __future__ import annotations

from dataclasses import dataclass

import pyarrow as pa
from deltalake import CommitProperties, DeltaTable

from schemas.tables import TABLES
from transforms.storage.commits import MARKER_TABLE_PROPERTIES, TABLE_PROPERTIES, write_marker
from transforms.storage.location import Location, Warehouse, location, writable_warehouse
from transforms.storage.snapshot import MARKER_TABLE, open_delta

# `_commits` files beyond which `compact` merges them (one small file per marker otherwise).
MARKER_FILES = 8

# Files replaced by a compaction or a re-tag stay this long: a reader who pinned the previous
# snapshot just before can finish its query. Older snapshots are gone for --as-of after it.
VACUUM_RETENTION_HOURS = 1.0


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


def clean_logs(warehouse: Warehouse) -> None:
    """Delta's log cleanup of every table: log entries older than the table's
    `delta.logRetentionDuration` (30 days, Delta's default, for data tables: `--as-of` reads
    their old versions; seconds for `_commits`, never read at an old version) that precede a
    checkpoint. Our data commits skip it (`commits.DATA_COMMIT_HOOKS`), as it lists the whole
    log folder at every commit; `compact` runs it here instead."""
    loc = location(warehouse)
    for name in [*TABLES, MARKER_TABLE]:
        delta = open_delta(loc, name)
        if delta is not None:
            delta.cleanup_metadata()


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
