"""After a kill: finish a claimed commit, drop staged rows nobody claimed, regenerate views."""

from __future__ import annotations

import shutil

import pyarrow.compute as pc

from transforms.storage.commits import finish_open_commit
from transforms.storage.location import Location, Warehouse, list_dirs, location, remove_tree
from transforms.storage.snapshot import COMMITTED, MARKER_TABLE, open_delta, read_snapshot, write_views_file
from transforms.storage.staging import PENDING_DIR, STAGING_DIR, pending


def pending_commits(warehouse: Warehouse) -> list[str]:
    """Commit ids with rows under `_pending/` (claimed or not), by name."""
    return list_dirs(location(warehouse), PENDING_DIR)


def recover(warehouse: Warehouse) -> int:
    """Finish a claimed commit a killed writer left; drop pending rows never claimed (local
    warehouses only: on S3 another writer may be about to claim them). Returns commits finished.
    """
    loc = location(warehouse)
    before = read_snapshot(loc)
    _markers, after = finish_open_commit(loc)
    finished = int(after.marker != before.marker)
    if not loc.remote:
        for commit_id in pending_commits(loc):
            remove_tree(loc, pending(commit_id))
    else:
        committed = set(committed_ids(loc))
        for commit_id in pending_commits(loc):
            if commit_id in committed:
                remove_tree(loc, pending(commit_id))
    return finished


def committed_ids(loc: Location) -> list[str]:
    markers = open_delta(loc, MARKER_TABLE)
    if markers is None:
        return []
    rows = markers.to_pyarrow_dataset().to_table(columns=["commit_id"],
                                                 filter=pc.field("state") == COMMITTED)
    return rows.column("commit_id").to_pylist()


def collect_garbage(warehouse: Warehouse) -> int:
    """Finish decided commits, remove staging leftovers and regenerate views.sql.

    Writer-only. Files of Delta appends that a kill interrupted are not referenced by any
    version; `vacuum` removes them once older than the retention. Returns commits finished.
    """
    loc = location(warehouse)
    finished = recover(loc)
    if not loc.remote:
        shutil.rmtree(loc.path / STAGING_DIR, ignore_errors=True)
        for leftover in loc.path.glob(".*.tmp"):
            leftover.unlink(missing_ok=True)
        if open_delta(loc, MARKER_TABLE) is not None:
            write_views_file(loc.path)
    return finished
