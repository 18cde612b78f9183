"""Stories for versions committed before stories existed (a warehouse older than the
`story_id` column): `wirehouse stories` assigns them, oldest first, a bounded number of versions
per atomic commit, so it can be stopped and rerun at any point."""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Mapping
from datetime import date

import pyarrow as pa
import pyarrow.compute as pc

from schemas.tables import TABLES
from transforms import storage
from transforms.stages.commit import sketch_index
from transforms.stories.clustering import FLASH_WINDOW_AFTER
from transforms.stories.sketch_index import story_rows_after

# Versions per commit: enough to keep the commit log short over a decades-old warehouse,
# few enough that their bodies and the index they are assigned against fit in memory.
VERSIONS_PER_COMMIT = 20_000


def versions_without_story(warehouse: storage.Warehouse, snapshot: storage.Snapshot) -> pa.Table:
    """`version_id`, `published_at`, `published_date` of the committed versions whose
    `story_id` is NULL, in publication order (the order the clusterer assigns them in)."""
    if not storage.committed_files(warehouse, "dispatches", snapshot):
        return TABLES["dispatches"].schema.empty_table().select(
            ["version_id", "published_at", "published_date"])
    stored = storage.read_table(
        warehouse, "dispatches", ["version_id", "published_at", "published_date", "story_id"], snapshot)
    missing = stored.filter(pc.is_null(stored.column("story_id")))
    missing = missing.sort_by([("published_at", "ascending"), ("version_id", "ascending")])
    return missing.select(["version_id", "published_at", "published_date"])


def _dispatch_rows(
    warehouse: storage.Warehouse, snapshot: storage.Snapshot, versions: pa.Array,
    first_day: date, last_day: date,
) -> pa.Table:
    """The full stored rows of `versions` (reading their partitions only)."""
    dataset = storage.pinned_dataset(warehouse, "dispatches", snapshot)
    schema = TABLES["dispatches"].schema
    if dataset is None:
        return schema.empty_table()
    day = pc.field("published_date")
    rows = dataset.to_table(filter=(day >= first_day) & (day <= last_day)
                            & pc.field("version_id").isin(versions))
    # Files written before a column existed: the column reads as NULL.
    columns = [rows.column(f.name).cast(f.type) if f.name in rows.column_names
               else pa.nulls(rows.num_rows, f.type) for f in schema]
    return pa.Table.from_arrays(columns, schema=schema)


def assign_missing_stories(
    warehouse: storage.Warehouse, per_commit: int = VERSIONS_PER_COMMIT, commit_prefix: str | None = None,
) -> int:
    """Give every committed version without a `story_id` its story and its `story_sketches` row,
    about `per_commit` versions (oldest first) per atomic commit in which their `dispatches`
    rows are replaced by the same rows with `story_id` set. Returns how many versions got a story.

    Versions older than others already given stories (newer ones committed since the upgrade)
    are late arrivals to the clusterer: they join those newer versions' stories where they
    match (README: Stories)."""
    prefix = commit_prefix or f"stories-{uuid.uuid4().hex[:12]}"
    assigned = 0
    for number in itertools.count(1):
        missing = versions_without_story(warehouse, storage.read_snapshot(warehouse))
        if not missing.num_rows:
            break
        given = _commit_chunk(warehouse, _chunk(missing, per_commit), f"{prefix}-{number:05d}")
        if not given:
            break  # another writer gave them stories first
        assigned += given
    return assigned


def _chunk(missing: pa.Table, per_commit: int) -> pa.Table:
    """The first `per_commit` rows of `missing`, and those published within the flash window
    after the last of them (up to twice as many): a flash is settled in the commit it is
    assigned in, so it is not cut off from the dispatch it announces."""
    end = min(per_commit, missing.num_rows)
    times = missing.column("published_at")
    while end < min(2 * per_commit, missing.num_rows) and \
            times[end].as_py() <= times[end - 1].as_py() + FLASH_WINDOW_AFTER:
        end += 1
    return missing.slice(0, end)


def _commit_chunk(warehouse: storage.Warehouse, chunk: pa.Table, commit_id: str) -> int:
    versions = chunk.column("version_id").combine_chunks()
    days = chunk.column("published_date")
    first_day, last_day = pc.min(days).as_py(), pc.max(days).as_py()
    written = {"versions": 0}

    def with_stories(snapshot: storage.Snapshot, _rows: Mapping[str, pa.Table]) -> dict[str, pa.Table]:
        # Against the very snapshot the commit is claimed on, like a nightly commit. Every
        # replaced row is written back: one that got its story meanwhile keeps it.
        stored = _dispatch_rows(warehouse, snapshot, versions, first_day, last_day)
        dispatches, sketches = story_rows_after(stored, sketch_index(warehouse, snapshot))
        written["versions"] = sketches.num_rows
        return {"dispatches": dispatches, "story_sketches": sketches}

    storage.commit_rows(warehouse, {}, commit_id, replace={"dispatches": versions.to_pylist()},
                        dedupe=with_stories)
    return written["versions"]
