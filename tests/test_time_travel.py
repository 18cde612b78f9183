"""Time travel after a vacuum: a query reads only the tables it names, and a marker whose files
are gone gets one line naming the oldest marker still readable."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest
from typer.testing import CliRunner

from flows.cli import app
from schemas.tables import DISPATCHES, ENTITY_ALIASES, QUARANTINE, TABLES
from transforms import storage
from transforms.query import read_only, referenced_names, run_query


def quarantine_rows(n: int, tag: str) -> pa.Table:
    now = datetime(2026, 1, 16, tzinfo=UTC)
    return pa.Table.from_pylist(
        [{"source_uri": f"{tag}{i}", "reason": "empty_file", "detail": "d", "run_id": tag,
          "detected_at": now} for i in range(n)], schema=QUARANTINE.schema)


def dispatch_rows(n: int, day: date, tag: str) -> pa.Table:
    now = datetime(2026, 1, 16, tzinfo=UTC)
    return pa.Table.from_pylist([{
        "dispatch_id": f"{tag}{i}", "version_id": f"{tag}v{i}", "body": "b", "word_count": 1,
        "published_at": datetime(day.year, day.month, day.day, tzinfo=UTC), "source_uri": "s",
        "source_format": "wire-text", "raw_sha256": "h", "pub_status": "usable",
        "ingested_at": now, "run_id": tag, "parser_version": "p", "published_date": day,
    } for i in range(n)], schema=DISPATCHES.schema)


def alias_rows(name: str) -> pa.Table:
    return pa.Table.from_pylist([{"rule": "form", "label": "ORG", "name": name, "seen_on": None,
                                  "canonical": name, "canonical_label": "ORG", "mentions": 1}],
                                schema=ENTITY_ALIASES.schema)


def commit(warehouse: Path, tag: str, day: date, dispatches: int, quarantined: int) -> int:
    """One run's commit: dispatches in a partition of their own (never compacted), quarantine
    rows (compacted with the other commits'), and entity_aliases replaced whole."""
    rows = {"dispatches": dispatch_rows(dispatches, day, tag),
            "quarantine": quarantine_rows(quarantined, tag),
            "entity_aliases": alias_rows(tag)}
    return storage.commit_rows(warehouse, rows, tag, overwrite=("entity_aliases",)).marker


def vacuum_data_tables(warehouse: Path) -> int:
    """A routine Delta VACUUM with retention 0 of the data tables (not `_commits`)."""
    removed = 0
    for name in TABLES:
        delta = storage.open_delta(warehouse, name)
        if delta is not None:
            removed += len(delta.vacuum(retention_hours=0, dry_run=False,
                                        enforce_retention_duration=False, full=True))
    return removed


@pytest.fixture()
def vacuumed(tmp_path: Path) -> tuple[Path, list[int], int]:
    """Three commits, a compaction of quarantine into one file, a vacuum with retention 0:
    dispatches keeps every file, quarantine and entity_aliases only their newest."""
    markers = [commit(tmp_path, f"c{n}", date(2026, 1, 10 + n), 3, 2) for n in range(3)]
    storage.compact(tmp_path, "k1", max_files=1, retention_hours=24)
    compacted = storage.read_snapshot(tmp_path).marker
    assert vacuum_data_tables(tmp_path) > 0
    return tmp_path, markers, compacted


def test_a_query_names_only_what_it_reads_and_what_its_views_read() -> None:
    assert referenced_names(["SELECT count(*) FROM dispatches"]) == {"dispatches"}
    assert referenced_names(["SELECT * FROM Mentions_Latest"]) == {
        "mentions_latest", "mentions", "dispatches_latest", "dispatches"}
    assert referenced_names(["SELECT 1", "FROM runs"]) == {"runs"}
    assert "entity_aliases" in referenced_names(["SELECT * FROM entities"])
    # The catalogue lists every view: SHOW TABLES and friends get them all.
    assert referenced_names(["SHOW TABLES"]) is None
    assert referenced_names(["SELECT * FROM duckdb_views()"]) is None
    assert referenced_names(["SELECT * FROM information_schema.tables"]) is None
    assert {r[0] for r in run_query_empty("SHOW TABLES")} >= {"dispatches", "entities"}


def run_query_empty(sql: str) -> list[tuple]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        return run_query(folder, sql).rows


def test_as_of_an_older_marker_reads_a_table_whose_files_are_intact(vacuumed) -> None:
    warehouse, markers, _compacted = vacuumed
    # entity_aliases and quarantine of marker 1 were vacuumed; dispatches' files are all there.
    assert run_query(warehouse, "SELECT count(*) FROM dispatches", as_of=markers[0]).rows == [(3,)]
    assert run_query(warehouse, "SELECT count(*) FROM dispatches", as_of=markers[1]).rows == [(6,)]
    assert run_query(warehouse, "SELECT count(*) FROM dispatches").rows == [(9,)]
    assert run_query(warehouse, "SELECT count(*) FROM quarantine").rows == [(6,)]


def _reads(warehouse: Path, marker: int) -> bool:
    try:
        run_query(warehouse, "SELECT count(*) FROM quarantine", as_of=marker)
    except storage.WarehouseError:
        return False
    return True


def test_as_of_a_vacuumed_marker_names_the_oldest_readable_one(vacuumed) -> None:
    warehouse, markers, compacted = vacuumed
    # The oldest readable marker is the first one whose quarantine files survived: a marker
    # pinned just before the compaction reads through it (OPTIMIZE changes no rows).
    oldest = next(m for m in range(markers[0] + 1, compacted + 1) if _reads(warehouse, m))
    assert not _reads(warehouse, oldest - 1)
    expected = (f"marker {markers[0]} is no longer readable: its files were vacuumed; "
                f"the oldest readable marker is {oldest}")
    with pytest.raises(storage.WarehouseError) as caught:
        run_query(warehouse, "SELECT count(*) FROM quarantine", as_of=markers[0])
    assert str(caught.value) == expected
    result = CliRunner().invoke(app, ["sql", "SELECT count(*) FROM quarantine", "--as-of",
                                      str(markers[0]), "--warehouse", str(warehouse)])
    assert result.exit_code == 1
    assert result.output.splitlines()[0] == f"Error: {expected}"


def test_a_reader_pinned_before_a_compaction_and_vacuum_reads_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    for n in range(2):
        commit(tmp_path, f"c{n}", date(2026, 1, 10 + n), 1, 2)
    before = run_query(tmp_path, "SELECT count(*) FROM quarantine").rows
    real = read_only.harden_connection
    calls = {"n": 0}

    def then_maintenance(con, reads):
        # The views are created over the pinned files; a compaction and vacuum land meanwhile.
        real(con, reads)
        calls["n"] += 1
        if calls["n"] == 1:
            storage.compact(tmp_path, "k1", max_files=1, retention_hours=24)
            assert vacuum_data_tables(tmp_path) > 0

    monkeypatch.setattr(read_only, "harden_connection", then_maintenance)
    # The pinned marker still reads (through the data-preserving OPTIMIZE): the query is
    # answered from the files that hold the same rows now.
    assert run_query(tmp_path, "SELECT count(*) FROM quarantine").rows == before
    assert calls["n"] == 2
