"""The commit stage: a batch's staged rows written to the warehouse in one atomic commit, with the
`entity_aliases` table brought up to date, and nothing the warehouse already holds."""

from __future__ import annotations

from pathlib import Path

import pyarrow as pa

from schemas.tables import TABLES
from seeds import seed_path
from transforms import storage
from transforms.entities.entity_aliases import FACT_COLUMNS, entity_alias_table, facts_from_mentions
from transforms.entities.not_names import company_suffixes, read_not_name_rows
from transforms.records import BatchCounts
from transforms.stages.batches import staged_table
from transforms.stages.dedupe import without_committed_rows
from transforms.stories.sketch_index import story_rows_after


def entity_aliases_after(
    warehouse: storage.Warehouse, mentions: pa.Table, seeds_dir: Path | None = None, *,
    rebuild: bool = False, snapshot: storage.Snapshot | None = None,
) -> pa.Table:
    """The whole `entity_aliases` table after adding `mentions` to `snapshot` (the latest if
    None). Reads only that small table (or nothing, with `rebuild`), never other mentions,
    except once: a warehouse with mentions from before the table existed is read in full."""
    suffixes = company_suffixes(read_not_name_rows(seed_path("not_names.csv", seeds_dir)))
    snapshot = snapshot or storage.read_snapshot(warehouse)
    existing = None
    facts = facts_from_mentions(mentions)
    if not rebuild and storage.committed_files(warehouse, "entity_aliases", snapshot):
        existing = storage.read_table(warehouse, "entity_aliases", snapshot=snapshot)
    elif not rebuild and storage.committed_files(warehouse, "mentions", snapshot):
        # Evidence only adds up, so the stored mentions' facts count with the new ones.
        stored = storage.read_table(warehouse, "mentions", columns=list(FACT_COLUMNS), snapshot=snapshot)
        facts = facts_from_mentions(stored) + facts
    return entity_alias_table(existing, facts, TABLES["entity_aliases"].schema,
                              company_suffixes=suffixes)


def sketch_index(warehouse: storage.Warehouse, snapshot: storage.Snapshot) -> pa.Table:
    """The committed `story_sketches` rows in `snapshot`."""
    if not storage.committed_files(warehouse, "story_sketches", snapshot):
        return TABLES["story_sketches"].schema.empty_table()
    return storage.read_table(warehouse, "story_sketches", snapshot=snapshot)


def places_after(
    warehouse: storage.Warehouse, places: pa.Table, snapshot: storage.Snapshot
) -> pa.Table:
    """The whole `places` table after adding `places` to `snapshot`: one row per place id,
    the stored row kept (the table is small: one row per place ever used)."""
    stored = []
    if storage.committed_files(warehouse, "places", snapshot):
        stored = storage.read_table(warehouse, "places", snapshot=snapshot).to_pylist()
    seen: set[str] = set()
    rows = []
    for row in stored + places.to_pylist():
        if row["place_id"] not in seen:
            seen.add(row["place_id"])
            rows.append(row)
    rows.sort(key=lambda row: row["place_id"])
    return pa.Table.from_pylist(rows, schema=TABLES["places"].schema)


def commit_batches(
    batches: list[Path],
    warehouse: storage.Warehouse,
    commit_id: str,
    extra: dict[str, pa.Table] | None = None,
    seeds_dir: Path | None = None,
) -> BatchCounts:
    """Commit the staged rows of tagged batches (and any extra rows) in one atomic step, with
    the `entity_aliases` table brought up to date with the new mentions, and every new version
    given its `story_id` and its row in the `story_sketches` index.

    Rows the warehouse already holds are dropped against the snapshot the commit is claimed
    on: a version already committed (with its mentions, quotes and taggings), a file already
    in the ledger, a refusal already quarantined. So a writer racing another on S3 never
    commits a file twice. `entity_aliases` is recomputed against that same snapshot and
    replaces the whole table in the same commit.
    """
    per_table: dict[str, list[pa.Table]] = {name: [] for name in TABLES}
    for batch in batches:
        for name in ("dispatches", "mentions", "quotes", "taggings", "quarantine", "ingested_files",
                     "places"):
            per_table[name].append(staged_table(batch, name))
    for name, rows in (extra or {}).items():
        per_table[name].append(rows)
    combined = {
        name: pa.concat_tables(parts) if parts else TABLES[name].schema.empty_table()
        for name, parts in per_table.items()
        if parts or name != "entity_aliases"  # given, it replaces the table: only when computed
    }
    new_places = combined.pop("places")
    committed: dict[str, pa.Table] = {}

    def dedupe(snapshot: storage.Snapshot, rows: dict[str, pa.Table]) -> dict[str, pa.Table]:
        fresh_rows = without_committed_rows(warehouse, snapshot, rows)
        # Stories against the very snapshot the commit is claimed on, written with the versions:
        # no committed version is ever without its story.
        if fresh_rows["dispatches"].num_rows:
            fresh_rows["dispatches"], fresh_rows["story_sketches"] = story_rows_after(
                fresh_rows["dispatches"], sketch_index(warehouse, snapshot))
        if fresh_rows["mentions"].num_rows:
            fresh_rows["entity_aliases"] = entity_aliases_after(
                warehouse, fresh_rows["mentions"], seeds_dir, snapshot=snapshot
            )
        if new_places.num_rows:
            fresh_rows["places"] = places_after(warehouse, new_places, snapshot)
        committed.clear()
        committed.update(fresh_rows)
        return fresh_rows

    storage.commit_rows(warehouse, combined, commit_id, dedupe=dedupe,
                        overwrite=("entity_aliases", "places"))
    return BatchCounts(
        files=committed["ingested_files"].num_rows,
        dispatches=committed["dispatches"].num_rows,
        mentions=committed["mentions"].num_rows,
        quotes=committed["quotes"].num_rows,
        quarantined=committed["quarantine"].num_rows,
    )
