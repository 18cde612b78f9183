"""The cross-table commit: stage, claim a marker by compare-and-swap, apply each table once,
mark it committed.

Every table is a Delta table; `_commits` is one more, of marker rows numbered 1, 2, 3, ...
(`marker`, `commit_id`, `state`, `committed_at`, `versions`, `journal`). A commit of rows of
several tables (`commit_rows`) goes:

1. **Finish what is open.** Load `_commits` and find its newest marker *by its `marker` number*
   (`snapshot.scan_markers`, which reads only the newest files by their `max.marker`
   statistics). Delta versions of `_commits` are not markers: a vacuum (VACUUM START/END), an
   optimize, or a lost claim's unreferenced file change nothing. If the newest marker is a
   `claimed` one, roll it forward (step 4) or abort it (below) first.
2. **Stage.** Dedupe against the committed snapshot just found, then write each table's rows
   to `_pending/<commit_id>/<table>.parquet` (and `_replaced.parquet` for a re-tag). Nothing
   reads them yet; a kill here leaves files nobody claimed, which `recover` drops.
3. **Claim (the decision).** Append a `claimed` row numbered newest + 1, carrying the journal
   (which tables, which are replaced or overwritten), as a Delta append against the very
   `_commits` version loaded in step 1, with `max_commit_retries=0`: any commit in between
   (another writer's marker, a vacuum, an optimize) makes it fail, and the writer starts again
   at step 1. So marker numbers are unique and dense, and the claim is made on the snapshot its
   dedupe saw. From here the commit will happen: any writer may finish it.
4. **Apply.** Each table of the journal gets one Delta commit tagged with the app transaction
   (`APP_ID`, claim marker) (`txn` action), children before parents (`APPLY_ORDER`: mentions,
   quotes, taggings before dispatches, the ledger last); a table whose `APP_ID` version is at
   least the claim's marker already has it and is skipped, so applying twice, or by two writers
   at once, commits once (Delta refuses the second concurrent commit of the same app id). A
   table commit refused because of any *other* concurrent commit (the table created by a racing
   writer, a property or schema change, an OPTIMIZE: "Metadata changed since last commit") is
   retried against the table reloaded, after checking again that it lacks the claim.
5. **Commit.** Append a `committed` row numbered claim + 1 with every table's Delta version
   (CAS as in step 3; losing means someone else finished it). Readers pin those versions.
   Then `_pending/<commit_id>` is removed and, locally, `views.sql` rewritten.

**Aborted.** If a claim's staged rows are gone (someone deleted `_pending/` by hand) and no
table has its transaction, nothing of it was applied: the next writer appends an `aborted` row
for it (CAS as any marker) and goes on. Its source files never reached the ledger, so the next
run reads them again (logged as a warning). If some tables have it and others lack their
staged rows, the commit can neither finish nor be undone: every writer refuses with one line
naming the commit and `wirehouse doctor`.

**Loading.** A writer keeps the tables it loaded (`loaded`) and brings them up to date with
Delta's incremental update between its commits instead of loading them afresh; `_commits` is
taken from there once per attempt and is the compare-and-swap base of that attempt's marker.
The `committed` marker takes the tables of the claim as step 4 left them (each has the claim,
and only maintenance can follow it before the marker). `_commits` keeps its Delta log for
seconds (`MARKER_LOG_RETENTION`: nothing reads it at an old version; markers are found by
number in its latest version); a claim whose base fell behind a log cleanup fails like any
lost compare-and-swap. Data tables keep Delta's log retention (`--as-of` reads their old
versions) and are cleaned by `compact`, not at each commit (`DATA_COMMIT_HOOKS`); `compact` also
deletes the entries only versions with vacuumed files need (`maintenance.trim_unreadable_log`).

**Readers** take the newest `committed` marker and read each table at the version it pins, or,
if maintenance committed after it, at the newest version reached from it through
data-preserving commits only (`snapshot.readable_version`): the same rows, in files a routine
OPTIMIZE + VACUUM keeps. A direct Delta reader of a table's latest version sees, after a kill
mid-apply, the tables applied so far: by `APPLY_ORDER`, a visible dispatch has its mentions,
quotes and taggings, and a file in the ledger has its dispatches.
"""

from __future__ import annotations

import contextlib
import json
import logging
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, PostCommitHookProperties, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError

from schemas.tables import TABLES, Table
from transforms.storage import loaded
from transforms.storage.location import (
    Location,
    Warehouse,
    WarehouseError,
    location,
    remove_tree,
    writable_warehouse,
)
from transforms.storage.snapshot import (
    ABORTED,
    CLAIMED,
    COMMITTED,
    MARKER_SCHEMA,
    MARKER_TABLE,
    Claim,
    Snapshot,
    all_marker_rows,
    conform,
    open_delta,
    read_snapshot,
    scan_markers,
    snapshot_from_row,
    write_views_file,
)
from transforms.storage.staging import (
    REPLACED_NAME,
    pending,
    pending_path,
    read_parquet,
    staged_exists,
    write_parquet_durably,
)

MAX_CLAIM_ATTEMPTS = 200
# Concurrent commits to a table being applied that are not the commit itself (a table created
# by a racing writer, a property or schema change, an operator's OPTIMIZE): reload and retry.
MAX_APPLY_ATTEMPTS = 50
# Every table commit of a claim carries the app transaction (APP_ID, claim marker): one entry
# per table however many commits (Delta keeps the latest version of each app id in every
# checkpoint, so an id per commit made each load replay one more entry per commit forever).
# Claims are serial and numbered, so a table whose APP_ID version is >= the open claim's marker
# has that claim. Tables written before this also know the claim by its commit id.
APP_ID = "wirehouse"
# Children before parents, the ledger last: what a direct reader of the latest Delta versions
# needs after a kill between two tables (a dispatch it sees has its mentions, quotes and
# taggings; a file in the ledger has its dispatches). Tables not named go last.
APPLY_ORDER = ("places", "mentions", "quotes", "taggings", "entity_aliases", "dispatches", "quarantine",
               "runs", "ingested_files")

# A log checkpoint every 10 commits (Delta's default is 100): opening a table replays at most
# 10 JSON commits after the checkpoint, whatever the table's age. Tombstones of replaced files
# kept in checkpoints for as long as `compact`'s vacuum keeps the files (VACUUM_RETENTION_HOURS,
# 1 hour; Delta's default is 7 days): a checkpoint, which every load reads, then carries only
# the last hour's. The vacuum is unchanged: a file whose tombstone expired is as old as that.
# Set at creation; `compact` sets them on older tables.
TABLE_PROPERTIES = {"delta.checkpointInterval": "10",
                    "delta.deletedFileRetentionDuration": "interval 1 hours"}

# `_commits` keeps its Delta log for seconds, not Delta's 30 days: no one reads it at an old
# version (markers are found by their own numbers in its latest version, `--as-of` included,
# and `history` reads its latest version too), and every load and commit of a local table lists
# its whole `_delta_log/` folder, which gains two or three entries per commit (profiled at
# 1,000 commits: the listing of ~2,200 entries was most of what a commit's cost had grown by).
# Delta's post-commit cleanup deletes the entries older than this but keeps every version younger
# than it loadable (with the checkpoint before them): the folder holds some 10 seconds of it; a
# reader whose load raced a cleanup loads again (`snapshot.read_snapshot`); a writer whose
# loaded `_commits` fell behind a cleanup loads it afresh (`loaded`), and its claim on it
# fails as a lost compare-and-swap (`append_marker`).
MARKER_LOG_RETENTION = "interval 10 seconds"
# And the tombstones of its replaced files (`compact` merges marker files) leave its checkpoints
# as soon: every head lookup loads `_commits` afresh and so reads every tombstone of its
# checkpoint, and a backfill's burst of commits made them thousands within the hour the data
# tables keep theirs (2,019 in the checkpoint after 1,000 commits in 2 minutes: a load took
# 9 ms instead of 2, the head lookup's growth). What they are for is kept: `compact`'s vacuum
# still spares a replaced marker file for its hour (`maintenance.VACUUM_RETENTION_HOURS`),
# which it judges by the tombstone while the table has it and by the file's write time after,
# so a marker file written over an hour ago and replaced more than seconds ago can go at once;
# only a head lookup that loaded `_commits` before the replacement could want it, and it
# loads again (`snapshot.read_snapshot`, `head`).
MARKER_TOMBSTONE_RETENTION = "interval 10 seconds"
MARKER_TABLE_PROPERTIES = {**TABLE_PROPERTIES, "delta.logRetentionDuration": MARKER_LOG_RETENTION,
                           "delta.deletedFileRetentionDuration": MARKER_TOMBSTONE_RETENTION}

# Data tables keep Delta's log retention (30 days: `--as-of` reads their old versions), but
# their commits skip Delta's post-commit log cleanup, which lists the whole `_delta_log/`
# folder at every commit to delete what expired (10 ms a commit at 1,100 entries, growing with
# them); `compact` runs that cleanup once per table instead (`maintenance.compact`).
DATA_COMMIT_HOOKS = PostCommitHookProperties(cleanup_expired_logs=False)

log = logging.getLogger("transforms.storage")


@dataclass(frozen=True)
class Journal:
    """A claimed commit: which tables get which staged rows, and which rows a re-tag replaces."""

    commit_id: str
    tables: tuple[str, ...]
    replace: tuple[str, ...] = ()
    replace_column: str = "version_id"
    overwrite: tuple[str, ...] = ()

    def to_json(self) -> str:
        return json.dumps({"commit_id": self.commit_id, "tables": list(self.tables),
                           "replace": list(self.replace), "replace_column": self.replace_column,
                           "overwrite": list(self.overwrite)})

    @classmethod
    def from_json(cls, text: str) -> Journal:
        data = json.loads(text)
        return cls(data["commit_id"], tuple(data["tables"]), tuple(data.get("replace", ())),
                   data.get("replace_column", "version_id"), tuple(data.get("overwrite", ())))


class _MarkerTaken(Exception):
    """Another writer appended to `_commits` first: re-read and try again."""


class _StagedRowsGone(Exception):
    """A claimed commit's staged rows for a table that lacks the commit are not there."""


@dataclass(frozen=True)
class Head:
    """`_commits` as loaded, its newest marker number (0: none) and row, and the newest
    committed snapshot."""

    markers: DeltaTable | None
    number: int = 0
    row: dict | None = None
    snapshot: Snapshot = field(default_factory=Snapshot)


Dedupe = Callable[[Snapshot, Mapping[str, pa.Table]], Mapping[str, pa.Table]]


def commit_rows(
    warehouse: Warehouse,
    rows_by_table: Mapping[str, pa.Table],
    commit_id: str,
    replace: Mapping[str, pa.Array] | None = None,
    dedupe: Dedupe | None = None,
    overwrite: tuple[str, ...] = (),
    replace_column: str = "version_id",
) -> Snapshot:
    """Commit rows of several tables so that readers see all of them or none (see the module
    docstring). `replace` names tables whose rows with a `version_id` in the given array are
    replaced in the same commit (a re-tag; `replace_column` names another key column, such as
    the ledger's `file_sha256` for a requeue). `overwrite` names tables whose rows, when the
    commit has any entry for them (even an empty one), replace the whole table (a derived
    table such as `entity_aliases`). `dedupe` drops rows the latest snapshot already holds,
    and may compute derived tables; it runs against the very snapshot the claim is made on,
    so that two concurrent writers never commit the same rows twice."""
    loc = location(warehouse)
    replace = replace or {}
    with writable_warehouse(loc):
        for attempt in range(MAX_CLAIM_ATTEMPTS):
            current = finish_open(loc)
            snapshot = current.snapshot
            rows = dict(dedupe(snapshot, rows_by_table)) if dedupe else dict(rows_by_table)
            tables = tuple(
                name for name in TABLES
                if (name in rows and rows[name].num_rows) or name in replace
                or (name in overwrite and name in rows)
            )
            if not set(tables) - set(overwrite):
                return snapshot  # nothing new: a derived table alone makes no commit
            for name in tables:
                staged = conform(TABLES[name], rows.get(name, TABLES[name].schema.empty_table()))
                write_parquet_durably(staged, pending_path(loc, commit_id, f"{name}.parquet"))
            if replace:
                keys = pa.chunked_array([pa.array(v, pa.string()) for v in replace.values()]).unique()
                write_parquet_durably(pa.table({"key": keys}),
                                      pending_path(loc, commit_id, REPLACED_NAME))
            journal = Journal(commit_id, tables, tuple(n for n in tables if n in replace),
                              replace_column, overwrite=tuple(n for n in tables if n in overwrite))
            try:
                append_marker(loc, current, commit_id, CLAIMED, journal=journal)
            except _MarkerTaken:
                time.sleep(random.uniform(0.05, 0.3) * min(attempt + 1, 5))
                continue
            after = finish_open(loc)  # applies the tables, then marks it committed
            remove_tree(loc, pending(commit_id))
            return after.snapshot
    raise WarehouseError(f"could not commit to {loc}: {MAX_CLAIM_ATTEMPTS} attempts lost to "
                         "concurrent writers")


def head(loc: Location) -> Head:
    markers = loaded.latest(loc, MARKER_TABLE)
    if markers is None:
        return Head(None)
    try:
        newest, committed = scan_markers(markers)
    except OSError:
        # A marker file it named was vacuumed (replaced by a compaction since it was loaded,
        # MARKER_TOMBSTONE_RETENTION): load `_commits` afresh.
        loaded.forget(loc, MARKER_TABLE)
        markers = loaded.latest(loc, MARKER_TABLE)
        if markers is None:
            return Head(None)
        newest, committed = scan_markers(markers)
    if newest is None:
        return Head(markers)
    return Head(markers, int(newest["marker"]), newest, snapshot_from_row(committed))


def finish_open(warehouse: Warehouse) -> Head:
    """If the newest marker is a claim, roll its commit forward and mark it committed (any
    writer may: every step is idempotent), or mark it aborted if its staged rows are gone and
    no table has it. Returns the head after that: its newest marker is never a claim."""
    loc = location(warehouse)
    while True:
        current = head(loc)
        if current.row is None or current.row["state"] != CLAIMED:
            return current
        journal = Journal.from_json(current.row["journal"])
        try:
            tables_applied = _apply_tables(loc, journal, current.number)
        except _StagedRowsGone as gone:
            applied = [n for n in journal.tables
                       if _has_commit(loc, n, journal.commit_id, current.number)]
            if applied:
                raise WarehouseError(
                    f"commit {journal.commit_id} (marker {current.number}) is applied to "
                    f"{', '.join(applied)} but the staged rows of {gone} are gone from "
                    f"{pending(journal.commit_id)}: it can be neither finished nor aborted; "
                    "see `wirehouse doctor`") from None
            with contextlib.suppress(_MarkerTaken):
                append_marker(loc, current, journal.commit_id, ABORTED, journal=journal)
                log.warning("commit %s (marker %d) aborted: its staged rows are gone and no table "
                            "has it; its source files are not in the ledger and will be read again "
                            "by the next run", journal.commit_id, current.number)
            continue
        with contextlib.suppress(_MarkerTaken):  # taken: someone else finished it; re-read
            append_marker(loc, current, journal.commit_id, COMMITTED, applied=tables_applied)


def finish_open_commit(warehouse: Warehouse) -> tuple[DeltaTable | None, Snapshot]:
    """`finish_open`, as `_commits` as loaded and the latest committed snapshot."""
    current = finish_open(warehouse)
    return current.markers, current.snapshot


def claims(warehouse: Warehouse) -> list[Claim]:
    """Claims that are not committed snapshots: the open one (the newest marker, if it is a
    claim: a killed writer's, finished by the next writer) and every aborted one (its marker is
    the `aborted` row's). Oldest first. Reads all of `_commits`: for doctor, not for commits."""
    loc = location(warehouse)
    markers = open_delta(loc, MARKER_TABLE)
    if markers is None:
        return []
    found = [Claim(r["commit_id"], int(r["marker"]), ABORTED)
             for r in all_marker_rows(markers, pc.field("state") == ABORTED,
                                      ["marker", "commit_id"]).to_pylist()]
    current = head(loc)
    if current.row is not None and current.row["state"] == CLAIMED:
        found.append(Claim(current.row["commit_id"], current.number, CLAIMED))
    return sorted(found, key=lambda c: c.marker)


def append_marker(
    loc: Location, current: Head, commit_id: str, state: str, journal: Journal | None = None,
    applied: Mapping[str, DeltaTable] | None = None,
) -> None:
    """Append a marker row numbered `current.number + 1` as the very next `_commits` version
    after `current.markers` (compare and swap: any concurrent commit to `_commits`, a marker
    or maintenance, makes it fail with _MarkerTaken rather than land elsewhere). A `committed`
    row names every table's latest version; `applied` holds tables already known to have the
    claim being committed (as `_apply_tables` left them), taken as they are: after the claim's
    own commit a table can gain only maintenance commits (the next claim waits for this
    marker), and a pin before those reads the same rows (`snapshot.readable_version`)."""
    versions: dict[str, int] = {}
    opened: dict[str, DeltaTable] = {}
    applied = applied or {}
    if state == COMMITTED:
        for name in TABLES:
            delta = applied[name] if name in applied else loaded.latest(loc, name)
            if delta is not None:
                opened[name] = delta
                versions[name] = delta.version()
    number = current.number + 1
    row = {"marker": number, "commit_id": commit_id, "state": state,
           "committed_at": datetime.now(UTC), "versions": json.dumps(versions, sort_keys=True),
           "journal": journal.to_json() if journal else ""}
    properties = CommitProperties(app_transactions=[Transaction(APP_ID, number)],
                                  max_commit_retries=0)
    data = pa.Table.from_pylist([row], schema=MARKER_SCHEMA)
    if current.markers is None:
        _create_marker_table(loc)
        raise _MarkerTaken()  # created empty: re-read, then claim its next version
    base = current.markers.version()
    try:
        write_deltalake(current.markers, data, mode="append", commit_properties=properties)
    except CommitFailedError as exc:
        raise _MarkerTaken() from exc
    except DeltaError as exc:
        # A base so far behind that Delta's log cleanup removed the commits after it fails
        # with another error ("Invalid table version"): a lost compare-and-swap all the same.
        latest = open_delta(loc, MARKER_TABLE)
        if latest is not None and latest.version() > base:
            raise _MarkerTaken() from exc
        raise
    loaded.written(loc, MARKER_TABLE, current.markers)
    if state == COMMITTED and not loc.remote:
        write_views_file(loc.path, Snapshot(number, commit_id, row["committed_at"], versions), opened)


def _create_table(loc: Location, table: Table) -> DeltaTable:
    """Create a table empty (racing creators: one wins, the others find it), so that every
    data commit is a compare-and-swap on a loaded version."""
    try:
        DeltaTable.create(loc.child(table.name), table.schema, mode="ignore",
                          partition_by=[table.partition_by] if table.partition_by else None,
                          configuration=TABLE_PROPERTIES, storage_options=loc.storage_options)
    except DeltaError:
        if open_delta(loc, table.name) is None:
            raise
    created = loaded.latest(loc, table.name)
    if created is None:
        raise WarehouseError(f"could not create table {table.name} at {loc}")
    return created


def _create_marker_table(loc: Location) -> None:
    """Create `_commits` empty. Creation is not a compare-and-swap on every store, so it
    carries no marker: two writers racing here both go on to claim version 1 by CAS."""
    try:
        DeltaTable.create(loc.child(MARKER_TABLE), MARKER_SCHEMA, mode="ignore",
                          configuration=MARKER_TABLE_PROPERTIES, storage_options=loc.storage_options)
    except DeltaError:
        if open_delta(loc, MARKER_TABLE) is None:
            raise


def _commit_properties(commit_id: str, marker: int) -> CommitProperties:
    return CommitProperties(
        app_transactions=[Transaction(APP_ID, marker)],
        custom_metadata={"wirehouse.commit": commit_id},
    )


def _quoted(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _has_commit(loc: Location, name: str, commit_id: str, marker: int) -> bool:
    current = loaded.latest(loc, name)
    return current is not None and _applied(current, commit_id, marker)


def _applied(table: DeltaTable, commit_id: str, marker: int) -> bool:
    """Whether `table` has the claim numbered `marker`: its APP_ID transaction is at least the
    claim's marker (no later claim exists while it is open), or, for a claim made before
    APP_ID, its commit id is an app transaction."""
    applied = table.transaction_version(APP_ID)
    return (applied is not None and applied >= marker) or table.transaction_version(commit_id) is not None


def _apply_tables(loc: Location, journal: Journal, marker: int) -> dict[str, DeltaTable]:
    """Give every table of the claim numbered `marker` its one Delta commit, tagged with the
    app transaction (APP_ID, marker); tables that have it are skipped. Idempotent, and safe
    when two writers do it at once: each writes against the very version it checked, and
    Delta's conflict check refuses a second commit of the same app transaction. Any other
    concurrent commit to the table (its creation by a racing writer, a property or schema
    change, an OPTIMIZE) is no reason to fail the commit: the table is reloaded, checked again
    and written against its new version. Returns each table as loaded with the claim in it
    (but for one whose staged rows another writer removed after finishing it)."""
    applied: dict[str, DeltaTable] = {}
    for name in sorted(journal.tables, key=_apply_rank):
        delta = _apply_table(loc, journal, marker, TABLES[name])
        if delta is not None:
            applied[name] = delta
    return applied


def _apply_table(loc: Location, journal: Journal, marker: int, table: Table) -> DeltaTable | None:
    name = table.name
    staged: tuple[pa.Table, list[str]] | None = None
    for attempt in range(MAX_APPLY_ATTEMPTS):
        current = loaded.latest(loc, name) or _create_table(loc, table)
        if _applied(current, journal.commit_id, marker):
            return current
        if staged is None:
            staged = _read_staged(loc, journal, marker, table)
            if staged is None:
                return None  # another writer finished this commit and removed its pending rows
        rows, replaced = staged
        options: dict[str, object] = {"mode": "append", "schema_mode": "merge"}
        if name in journal.overwrite:
            # The whole table in one Delta commit; its earlier files go at the next vacuum.
            options = {"mode": "overwrite", "schema_mode": "merge"}
        elif name in journal.replace:
            # Delete the replaced versions' rows and add the new ones in one Delta commit.
            predicate = f"{journal.replace_column} IN ({_quoted(replaced)})" if replaced else "FALSE"
            # merge: a table that predates a column takes it here as in an append.
            options = {"mode": "overwrite", "predicate": predicate, "schema_mode": "merge"}
        try:
            write_deltalake(
                current, rows,
                partition_by=[table.partition_by] if table.partition_by else None,
                commit_properties=_commit_properties(journal.commit_id, marker),
                post_commithook_properties=DATA_COMMIT_HOOKS,
                **options,
            )
        except CommitFailedError as exc:
            # Someone committed to the table since it was loaded. This very commit (the other
            # writer finishing the same claim): the check above skips it. Anything else: retry.
            log.info("table %s changed while commit %s was applied to it (%s); retrying",
                     name, journal.commit_id, str(exc).splitlines()[0] if str(exc) else exc)
            time.sleep(random.uniform(0.0, 0.05) * min(attempt, 10))
            continue
        except DeltaError:
            if not _has_commit(loc, name, journal.commit_id, marker):
                raise
            return None
        loaded.written(loc, name, current)
        return current
    raise WarehouseError(f"could not apply commit {journal.commit_id} to table {name} at {loc}: "
                         f"{MAX_APPLY_ATTEMPTS} attempts lost to concurrent commits")


def _read_staged(loc: Location, journal: Journal, marker: int,
                 table: Table) -> tuple[pa.Table, list[str]] | None:
    """A claimed commit's staged rows for `table` (and the keys a re-tag replaces); None if
    they are gone because another writer applied the commit to the table (and went on)."""
    name = table.name
    staged = [pending(journal.commit_id, f"{name}.parquet")]
    if name in journal.replace:
        staged.append(pending(journal.commit_id, REPLACED_NAME))
    try:
        rows = conform(table, read_parquet(loc.child(staged[0])))
        replaced = (read_parquet(loc.child(staged[1])).column("key").to_pylist()
                    if name in journal.replace else [])
    except (FileNotFoundError, OSError):
        if _has_commit(loc, name, journal.commit_id, marker):
            return None
        if not all(staged_exists(loc, path) for path in staged):
            raise _StagedRowsGone(name) from None
        raise
    return rows, replaced


def _apply_rank(name: str) -> int:
    return APPLY_ORDER.index(name) if name in APPLY_ORDER else len(APPLY_ORDER)


def write_marker(warehouse: Warehouse, commit_id: str) -> Snapshot:
    """A committed marker pinning every table's latest version, with no table commit of its
    own: after maintenance (compaction) that changed files but not rows. Writer-only."""
    loc = location(warehouse)
    while True:
        current = finish_open(loc)
        try:
            append_marker(loc, current, commit_id, COMMITTED)
        except _MarkerTaken:
            continue
        return read_snapshot(loc)
