"""README claims about a warehouse as a whole: hidden files are ignored, `entity_id` is stable
across runs, and `wirehouse check`, `wirehouse sql` and `wirehouse compact` on a real warehouse
(one that has moved since it was written), checking what they print and what they do."""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from schemas.tables import DISPATCHES, TABLES
from tests.direct_ingest import ingest
from tests.hostile.landing import child_env, run_wirehouse, warm_up_prefect
from tests.warehouse_files import commit_staged, live_files_per_partition, stage_table_files
from transforms import storage
from transforms.query import run_query

PLACES = ["ROTTERDAM", "GENEVA", "NAIROBI", "LIMA"]


def dispatch(number: int, day: int) -> str:
    place = PLACES[number % len(PLACES)]
    return (f"Talks item {number}\n\n{place}, Jan {day}, 2026 (Reuters) - Officials of the Ministry "
            f"of Defense told Kyodo on Monday that round {number} of the talks on Tomahawk orders "
            f"would start soon. \u201cWe are ready,\u201d said one of them.\n")


def write_landing(folder: Path, numbers: range, days: tuple[int, ...] = (12, 13)) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for number in numbers:
        (folder / f"item-{number:03d}.txt").write_text(
            dispatch(number, days[number % len(days)]), encoding="utf-8")


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


def table_content(warehouse: Path) -> dict[str, list[tuple]]:
    return {name: sorted(map(repr, _rows(warehouse, f"SELECT * FROM {name}")))
            for name in TABLES if name != "runs"}


# --- fast, no Prefect -------------------------------------------------------------------------


def test_hidden_files_and_folders_are_ignored(tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    write_landing(landing, range(2))
    (landing / ".item-hidden.txt").write_text(dispatch(10, 12), encoding="utf-8")
    (landing / ".partial.swp").write_bytes(b"\x00\x01binary editor swap")
    for folder in (".git", "sub/.cache"):
        (landing / folder).mkdir(parents=True)
        (landing / folder / "item.txt").write_text(dispatch(11, 13), encoding="utf-8")
    (landing / "sub" / "item-visible.txt").write_text(dispatch(12, 13), encoding="utf-8")
    warehouse = tmp_path / "warehouse"
    counts = ingest(landing, warehouse)
    assert (counts.files, counts.dispatches, counts.quarantined) == (3, 3, 0)
    names = sorted(Path(uri).name for (uri,) in _rows(warehouse, "SELECT source_uri FROM ingested_files"))
    assert names == ["item-000.txt", "item-001.txt", "item-visible.txt"]


def test_entity_ids_are_stable_across_runs_and_warehouses(tmp_path: Path) -> None:
    one, two = tmp_path / "one", tmp_path / "two"
    write_landing(tmp_path / "first", range(3))
    write_landing(tmp_path / "second", range(3, 6))
    ingest(tmp_path / "first", one)
    before = dict(_rows(one, "SELECT label || '|' || text, entity_id FROM entities"))
    assert {"GOV_BODY|Ministry of Defense", "AGENCY|Kyodo News", "WEAPON|Tomahawk"} <= set(before)
    ingest(tmp_path / "second", one)  # a later run adds mentions of the same entities
    after = dict(_rows(one, "SELECT label || '|' || text, entity_id FROM entities"))
    assert {key: after[key] for key in before} == before
    # Another warehouse, other runs, the files in another order: the same ids.
    ingest(tmp_path / "second", two)
    ingest(tmp_path / "first", two)
    assert dict(_rows(two, "SELECT label || '|' || text, entity_id FROM entities")) == after
    assert len(set(after.values())) == len(after), "one id per (label, name)"
    counts = dict(_rows(one, "SELECT text, mentions FROM entities"))
    assert counts["Ministry of Defense"] == 6


# --- the CLI on a real, moved warehouse (one Prefect run: compact) ---------------------------


@pytest.mark.slow
def test_check_sql_and_compact_on_a_moved_warehouse(tmp_path: Path) -> None:
    env = child_env(tmp_path)
    written = tmp_path / "written-here"
    write_landing(tmp_path / "landing", range(8))
    ingest(tmp_path / "landing", written, batch_files=1)  # a commit per file: 4 per partition

    check = run_wirehouse(["check", "--warehouse", str(written)], env, cwd=tmp_path)
    assert (check.returncode, check.stdout) == (0, "All contracts hold.\n"), check.stderr[-2000:]

    warehouse = tmp_path / "moved" / "warehouse"
    warehouse.parent.mkdir()
    shutil.move(written, warehouse)
    content = table_content(warehouse)
    assert len(content["dispatches"]) == 8
    sql = run_wirehouse(["sql", "SELECT count(*) AS n FROM dispatches", "--format", "csv",
                         "--warehouse", str(warehouse)], env, cwd=tmp_path)
    assert (sql.returncode, sql.stdout) == (0, "n\n8\n"), sql.stderr[-2000:]
    views = warehouse / storage.VIEWS_NAME
    assert str(written) in views.read_text(encoding="utf-8"), "still names the old place"

    before = {table: live_files_per_partition(warehouse, table) for table in TABLES}
    merged = {(t, p): n for t, parts in before.items() for p, n in parts.items() if n > 1}
    assert before["dispatches"] == {"dispatches/published_date=2026-01-12": 4,
                                    "dispatches/published_date=2026-01-13": 4}
    warm_up_prefect(env, tmp_path)
    compact = run_wirehouse(["compact", "--warehouse", str(warehouse)], env, cwd=tmp_path)
    assert compact.returncode == 0, compact.stdout + compact.stderr[-3000:]
    assert compact.stdout.strip().splitlines()[-1] == (
        f"Compacted {len(merged)} partitions: {sum(merged.values())} files became {len(merged)}.")
    for table in TABLES:
        if table == "runs":  # the compaction's own run row is new
            continue
        after = live_files_per_partition(warehouse, table)
        assert set(after) == set(before[table]), table
        assert all(after[p] == 1 for (t, p) in merged if t == table), table
    assert table_content(warehouse) == content, "compaction changes no row"
    assert _rows(warehouse, "SELECT flow, status FROM runs") == [("compact", "completed")]

    # The writer rewrote views.sql for the new place: a plain DuckDB reads it there.
    text = views.read_text(encoding="utf-8")
    assert str(written) not in text and f"SET file_search_path = '{warehouse.resolve()}'" in text
    con = duckdb.connect()
    con.execute(text)
    assert con.execute("SELECT count(*) FROM dispatches").fetchone() == (8,)
    assert con.execute("SELECT count(*) FROM mentions").fetchone() == (len(content["mentions"]),)
    con.close()

    # A broken contract: two rows of one version. `check` names it and exits 1.
    doubled = storage.read_table(warehouse, "dispatches").slice(0, 3)
    commit_staged(warehouse, {"dispatches": stage_table_files(
        DISPATCHES, doubled, storage.staging_dir(warehouse, "dup"), "dup")})
    check = run_wirehouse(["check", "--warehouse", str(warehouse)], env, cwd=tmp_path)
    assert check.returncode == 1, check.stdout + check.stderr[-2000:]
    assert check.stdout.splitlines() == ["FAIL dispatches.version_id: unique (3 rows)"]


