"""The warehouse on storage: one Delta Lake table per table, commit markers, the writer lock.

A batch of rows of several tables is staged under `_pending/`, claimed by a `claimed` marker
row appended to `_commits` by compare-and-swap, applied to each table as one Delta commit tagged
with its commit id (children before parents), and made visible by a `committed` marker naming
every table's version. Markers are found by their own `marker` number, never by `_commits`
Delta versions, and a pinned version is read through later OPTIMIZE/VACUUM commits, so Delta
maintenance by anyone changes nothing readers or writers see. A claim whose staged rows are
gone before any table has it is `aborted` (its files are read again by the next run); see
`claims`. The full protocol is the docstring of `transforms/storage/commits.py`; each concern
lives in its own module, and this face re-exports the names flows, benchmarks and the README use.
"""

from transforms.storage.commits import APPLY_ORDER, claims, commit_rows, finish_open_commit, write_marker
from transforms.storage.existing import COMMIT_LOG, require_warehouse
from transforms.storage.legacy import LEGACY_MANIFEST, refuse_legacy_layout, upgrade_legacy_layout
from transforms.storage.location import (
    Location,
    Warehouse,
    WarehouseError,
    check_reachable,
    location,
    writable_warehouse,
)
from transforms.storage.lock import LOCK_NAME, WarehouseLock, exclusive_writer, refuse_if_busy, writer_lock
from transforms.storage.maintenance import (
    AUTO_COMPACT_MARKER_FILES,
    VACUUM_RETENTION_HOURS,
    CompactionReport,
    compact,
    compaction_due,
    vacuum,
)
from transforms.storage.recovery import collect_garbage, pending_commits, recover
from transforms.storage.snapshot import (
    ABORTED,
    CLAIMED,
    COMMITTED,
    MARKER_TABLE,
    VIEWS_NAME,
    Claim,
    Snapshot,
    committed_files,
    conform,
    open_delta,
    pinned_dataset,
    read_snapshot,
    read_table,
    write_views_file,
)
from transforms.storage.staging import (
    PENDING_DIR,
    STAGING_DIR,
    is_remote_path,
    read_staged,
    remove_staged,
    shared_staging,
    staging_dir,
    write_parquet_durably,
)

__all__ = [
    "ABORTED", "APPLY_ORDER", "AUTO_COMPACT_MARKER_FILES", "CLAIMED", "COMMITTED", "COMMIT_LOG",
    "LEGACY_MANIFEST", "LOCK_NAME",
    "MARKER_TABLE", "PENDING_DIR", "STAGING_DIR",
    "VACUUM_RETENTION_HOURS", "VIEWS_NAME",
    "Claim", "CompactionReport", "Location", "Snapshot", "Warehouse", "WarehouseError", "WarehouseLock",
    "check_reachable", "claims", "collect_garbage", "commit_rows", "committed_files", "compact",
    "compaction_due", "conform",
    "exclusive_writer", "finish_open_commit", "is_remote_path", "location", "open_delta", "pending_commits",
    "pinned_dataset", "read_snapshot", "read_staged", "read_table", "recover", "refuse_if_busy",
    "refuse_legacy_layout", "remove_staged", "require_warehouse", "shared_staging", "staging_dir",
    "upgrade_legacy_layout",
    "vacuum", "writable_warehouse", "write_marker", "write_parquet_durably", "write_views_file",
    "writer_lock",
]
