"""The cross-table commit: stage, claim a marker by compare-and-swap, apply each table once,
mark it committed."""

from __future__ import annotations

import contextlib
import json
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime

import pyarrow as pa
import pyarrow.compute as pc
from deltalake import CommitProperties, DeltaTable, Transaction, write_deltalake
from deltalake.exceptions import CommitFailedError, DeltaError

from schemas.tables import TABLES, Table
from transforms.storage.location import (
    Location,
    Warehouse,
    WarehouseError,
    location,
    remove_tree,
    writable_warehouse,
)
from transforms.storage.snapshot import (
    CLAIMED,
    COMMITTED,
    MARKER_SCHEMA,
    MARKER_TABLE,
    Snapshot,
    conform,
    marker_rows,
    open_delta,
    read_snapshot,
    snapshot_from_row,
    write_views_file,
)
from transforms.storage.staging import (
    REPLACED_NAME,
    pending,
    pending_path,
    read_parquet,
    write_parquet_durably,
)

MAX_CLAIM_ATTEMPTS = 200


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


Dedupe = Callable[[Snapshot, Mapping[str, pa.Table]], Mapping[str, pa.Table]]


def commit_rows(
    warehouse: Warehouse,
    rows_by_table: Mapping[str, pa.Table],
    commit_id: str,
    replace: Mapping[str, pa.Array] | None = None,
    dedupe: Dedupe | None = None,
    overwrite: tuple[str, ...] = (),
) -> Snapshot:
    """Commit rows of several tables so that readers see all of them or none (see the module
    docstring). `replace` names tables whose rows with a `version_id` in the given array are
    replaced in the same commit (a re-tag). `overwrite` names tables whose rows, when the
    commit has any entry for them (even an empty one), replace the whole table (a derived
    table such as `entity_aliases`). `dedupe` drops rows the latest snapshot already holds,
    and may compute derived tables; it runs against the very snapshot the claim is made on,
    so that two concurrent writers never commit the same rows twice."""
    loc = location(warehouse)
    replace = replace or {}
    with writable_warehouse(loc):
        for attempt in range(MAX_CLAIM_ATTEMPTS):
            markers, snapshot = finish_open_commit(loc)
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
                              overwrite=tuple(n for n in tables if n in overwrite))
            try:
                append_marker(loc, markers, commit_id, CLAIMED, journal=journal)
            except _MarkerTaken:
                time.sleep(random.uniform(0.05, 0.3) * min(attempt + 1, 5))
                continue
            _apply_tables(loc, journal)
            finish_open_commit(loc)
            remove_tree(loc, pending(commit_id))
            return read_snapshot(loc)
    raise WarehouseError(f"could not commit to {loc}: {MAX_CLAIM_ATTEMPTS} attempts lost to "
                         "concurrent writers")


def head(loc: Location) -> tuple[DeltaTable | None, dict | None]:
    markers = open_delta(loc, MARKER_TABLE)
    if markers is None:
        return None, None
    rows = marker_rows(markers, pc.field("marker") == markers.version() + 1)
    return markers, (rows[0] if rows else None)


def finish_open_commit(warehouse: Warehouse) -> tuple[DeltaTable | None, Snapshot]:
    """If the newest marker is a claim, roll its commit forward and mark it committed (any
    writer may: every step is idempotent). Returns `_commits` as loaded, and the latest
    committed snapshot."""
    loc = location(warehouse)
    while True:
        markers, row = head(loc)
        if row is None:
            return markers, Snapshot()
        if row["state"] == COMMITTED:
            return markers, snapshot_from_row(row)
        journal = Journal.from_json(row["journal"])
        _apply_tables(loc, journal)
        with contextlib.suppress(_MarkerTaken):  # taken: someone else finished it; re-read
            append_marker(loc, markers, journal.commit_id, COMMITTED)


def append_marker(
    loc: Location, markers: DeltaTable | None, commit_id: str, state: str,
    journal: Journal | None = None,
) -> None:
    """Append a marker row as the very next `_commits` version after `markers` (compare and
    swap: a concurrent append makes it fail with _MarkerTaken rather than land elsewhere)."""
    versions: dict[str, int] = {}
    if state == COMMITTED:
        for name in TABLES:
            delta = open_delta(loc, name)
            if delta is not None:
                versions[name] = delta.version()
    number = 1 if markers is None else markers.version() + 2
    row = {"marker": number, "commit_id": commit_id, "state": state,
           "committed_at": datetime.now(UTC), "versions": json.dumps(versions, sort_keys=True),
           "journal": journal.to_json() if journal else ""}
    properties = CommitProperties(
        app_transactions=[Transaction(commit_id, 1 if state == CLAIMED else 2)],
        max_commit_retries=0,
    )
    data = pa.Table.from_pylist([row], schema=MARKER_SCHEMA)
    if markers is None:
        _create_marker_table(loc)
        raise _MarkerTaken()  # created empty: re-read, then claim its next version
    try:
        write_deltalake(markers, data, mode="append", commit_properties=properties)
    except CommitFailedError as exc:
        raise _MarkerTaken() from exc
    if state == COMMITTED and not loc.remote:
        write_views_file(loc.path, Snapshot(number, commit_id, row["committed_at"], versions))


def _create_table(loc: Location, table: Table) -> DeltaTable:
    """Create a table empty (racing creators: one wins, the others find it), so that every
    data commit is a compare-and-swap on a loaded version."""
    try:
        DeltaTable.create(loc.child(table.name), table.schema, mode="ignore",
                          partition_by=[table.partition_by] if table.partition_by else None,
                          storage_options=loc.storage_options)
    except DeltaError:
        if open_delta(loc, table.name) is None:
            raise
    created = open_delta(loc, table.name)
    if created is None:
        raise WarehouseError(f"could not create table {table.name} at {loc}")
    return created


def _create_marker_table(loc: Location) -> None:
    """Create `_commits` empty. Creation is not a compare-and-swap on every store, so it
    carries no marker: two writers racing here both go on to claim version 1 by CAS."""
    try:
        DeltaTable.create(loc.child(MARKER_TABLE), MARKER_SCHEMA, mode="ignore",
                          storage_options=loc.storage_options)
    except DeltaError:
        if open_delta(loc, MARKER_TABLE) is None:
            raise


def _commit_properties(commit_id: str) -> CommitProperties:
    return CommitProperties(
        app_transactions=[Transaction(commit_id, 1)],
        custom_metadata={"wirehouse.commit": commit_id},
    )


def _quoted(values: list[str]) -> str:
    return ", ".join("'" + v.replace("'", "''") + "'" for v in values)


def _has_commit(loc: Location, name: str, commit_id: str) -> bool:
    current = open_delta(loc, name)
    return current is not None and current.transaction_version(commit_id) is not None


def _apply_tables(loc: Location, journal: Journal) -> None:
    """Give every table of a claimed commit its one Delta commit, tagged with the app
    transaction `commit_id`; tables that have it already are skipped. Idempotent, and safe when
    two writers do it at once: each writes against the very version it checked, so Delta's
    conflict check refuses the second commit of the same transaction."""
    for name in journal.tables:
        table = TABLES[name]
        current = open_delta(loc, name) or _create_table(loc, table)
        if current.transaction_version(journal.commit_id) is not None:
            continue
        try:
            rows = conform(table, read_parquet(loc.child(pending(journal.commit_id, f"{name}.parquet"))))
            replaced = (
                read_parquet(loc.child(pending(journal.commit_id, REPLACED_NAME))).column("key").to_pylist()
                if name in journal.replace else []
            )
        except (FileNotFoundError, OSError):
            if _has_commit(loc, name, journal.commit_id):
                continue  # another writer finished this commit and removed its pending rows
            raise
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
                commit_properties=_commit_properties(journal.commit_id),
                **options,
            )
        except (CommitFailedError, DeltaError):
            if not _has_commit(loc, name, journal.commit_id):
                raise


def write_marker(warehouse: Warehouse, commit_id: str) -> Snapshot:
    """A committed marker pinning every table's latest version, with no table commit of its
    own: after maintenance (compaction) that changed files but not rows. Writer-only."""
    loc = location(warehouse)
    while True:
        markers, _snapshot_before = finish_open_commit(loc)
        try:
            append_marker(loc, markers, commit_id, COMMITTED)
        except _MarkerTaken:
            continue
        return read_snapshot(loc)
