"""What the commit log says: every marker with its state, and what each commit gave each table.

Read-only: nothing here writes. `wirehouse history` prints `commit_history`, and
`wirehouse doctor` reports open or aborted claims through `transforms.storage.commits.claims`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

import pyarrow as pa

from transforms.storage.location import Location, Warehouse, WarehouseError, location
from transforms.storage.snapshot import CLAIMED, COMMITTED, MARKER_TABLE, open_delta


@dataclass(frozen=True)
class Marker:
    """One row of `_commits`."""

    marker: int
    commit_id: str
    state: str
    committed_at: datetime
    versions: dict[str, int] = field(default_factory=dict)


def markers(warehouse: Warehouse) -> list[Marker]:
    """Every marker row, oldest first (an empty list for a warehouse with no commit)."""
    table = open_delta(warehouse, MARKER_TABLE)
    if table is None:
        return []
    rows = table.to_pyarrow_dataset().to_table(
        columns=["marker", "commit_id", "state", "committed_at", "versions"]).to_pylist()
    found = [Marker(int(r["marker"]), r["commit_id"], r["state"], r["committed_at"],
                    {k: int(v) for k, v in json.loads(r["versions"] or "{}").items()})
             for r in rows]
    return sorted(found, key=lambda m: m.marker)


@dataclass(frozen=True)
class TableChange:
    table: str
    from_version: int | None
    to_version: int
    rows_before: int | None  # None: that version's log entries were cleaned up
    rows_after: int | None

    @property
    def rows_gained(self) -> int | None:
        if self.rows_before is None or self.rows_after is None:
            return None
        return self.rows_after - self.rows_before

    def describe(self) -> str:
        start = "new" if self.from_version is None else f"v{self.from_version}"
        gained = self.rows_gained
        rows = "rows no longer in the log" if gained is None else f"{gained:+d} rows"
        return f"{self.table} {rows} ({start}→v{self.to_version})"


@dataclass(frozen=True)
class HistoryEntry:
    marker: int
    committed_at: datetime
    commit_id: str
    state: str
    changes: tuple[TableChange, ...] = ()

    def to_json(self) -> dict:
        return {
            "marker": self.marker, "committed_at": self.committed_at.isoformat(),
            "commit_id": self.commit_id, "state": self.state,
            "tables": {c.table: {"from_version": c.from_version, "to_version": c.to_version,
                                 "rows_before": c.rows_before, "rows_after": c.rows_after,
                                 "rows_gained": c.rows_gained} for c in self.changes},
        }


class _RowCounts:
    """Rows of a table at a Delta version, from the log's add actions (no data file is read, so
    versions whose files were vacuumed still count, until their log entries are cleaned up:
    Delta's 30-day log retention, or `maintenance.trim_unreadable_log`; then None)."""

    def __init__(self, loc: Location):
        self.loc = loc
        self._cache: dict[tuple[str, int], int | None] = {}

    def __call__(self, name: str, version: int) -> int | None:
        key = (name, version)
        if key not in self._cache:
            try:
                table = open_delta(self.loc, name, version)
            except WarehouseError:
                self._cache[key] = None
                return None
            if table is None:
                self._cache[key] = 0
            else:
                actions = pa.table(table.get_add_actions(flatten=True))
                column = "num_records" if "num_records" in actions.column_names else None
                self._cache[key] = (int(pa.compute.sum(actions.column(column)).as_py() or 0)
                                    if column else 0)
        return self._cache[key]


def commit_history(warehouse: Warehouse, limit: int | None = None) -> list[HistoryEntry]:
    """Committed markers (and claims with no commit), newest first, each with what every table
    gained against the previous committed marker: its Delta versions and its rows."""
    loc = location(warehouse)
    every = markers(loc)
    committed_ids = {m.commit_id for m in every if m.state == COMMITTED}
    previous: dict[str, int] = {}
    entries: list[tuple[Marker, dict[str, int]]] = []
    for marker in every:
        if marker.state == COMMITTED:
            entries.append((marker, previous))
            previous = marker.versions
        elif marker.commit_id not in committed_ids:
            entries.append((marker, {}))
    entries.reverse()
    if limit is not None:
        entries = entries[:limit]
    rows = _RowCounts(loc)
    history = []
    for marker, before in entries:
        changes = []
        if marker.state == COMMITTED:
            for name, version in sorted(marker.versions.items()):
                old = before.get(name)
                if old == version:
                    continue
                changes.append(TableChange(name, old, version,
                                           rows(name, old) if old is not None else 0,
                                           rows(name, version)))
        state = marker.state if marker.state != CLAIMED else "claimed (open)"
        history.append(HistoryEntry(marker.marker, marker.committed_at, marker.commit_id, state,
                                    tuple(changes)))
    return history


def describe_history(entries: Iterable[HistoryEntry]) -> list[str]:
    """Lines for a terminal: marker, time, commit (run), what each table gained."""
    lines = [f"{'marker':>6}  {'committed at (UTC)':<19}  {'commit (run)':<40}  gained"]
    for entry in entries:
        when = entry.committed_at.strftime("%Y-%m-%d %H:%M:%S")
        if entry.state != COMMITTED:
            gained = entry.state
        elif entry.changes:
            gained = ", ".join(c.describe() for c in entry.changes)
        else:
            gained = "no table changed"
        lines.append(f"{entry.marker:>6}  {when:<19}  {entry.commit_id:<40}  {gained}")
    return lines
