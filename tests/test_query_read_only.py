"""`wirehouse sql` cannot change anything: a hostile corpus against a real small warehouse.

Every hostile statement is refused with one line naming what was refused, and afterwards every
file under the warehouse is byte-identical and nothing appeared in the scratch folder. The
second layer, the hardened connection, is tested on its own with the parser check bypassed.
"""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime
from pathlib import Path

import duckdb
import pyarrow as pa
import pytest
from typer.testing import CliRunner

from flows.cli import app
from schemas.tables import DISPATCHES, QUARANTINE
from tests.warehouse_files import commit_staged, stage_table_files
from transforms import storage
from transforms.query import (
    NamedReads,
    QueryRefused,
    harden_connection,
    open_warehouse,
    read_only_query,
    run_query,
)

DAYS = (date(2026, 1, 10), date(2026, 1, 11), date(2026, 1, 11))


def _dispatches() -> pa.Table:
    ingested = datetime(2026, 1, 12, 6, 0, tzinfo=UTC)
    rows = [
        {
            "dispatch_id": f"wire-{n}", "version_id": f"wire-{n}-v1",
            "headline": f"Port strike enters day {n}", "body": "Dockers walked out at dawn.",
            "word_count": 5, "published_at": datetime(day.year, day.month, day.day, 9, tzinfo=UTC),
            "source_uri": f"landing/wire-{n}.txt", "source_format": "wire-text",
            "raw_sha256": f"{n:064x}", "pub_status": "usable", "ingested_at": ingested,
            "run_id": "run-1", "parser_version": "test", "published_date": day,
        }
        for n, day in enumerate(DAYS, start=1)
    ]
    return pa.Table.from_pylist(rows, schema=DISPATCHES.schema)


def _quarantine() -> pa.Table:
    return pa.Table.from_pylist(
        [{"source_uri": "landing/empty.txt", "reason": "empty_file", "detail": "0 bytes",
          "run_id": "run-1", "detected_at": datetime(2026, 1, 12, 6, 0, tzinfo=UTC)}],
        schema=QUARANTINE.schema,
    )


@pytest.fixture
def warehouse(tmp_path: Path) -> Path:
    root = tmp_path / "warehouse"
    staging = root / "_staging"
    commit_staged(root, {
        "dispatches": stage_table_files(DISPATCHES, _dispatches(), staging, "c1"),
        "quarantine": stage_table_files(QUARANTINE, _quarantine(), staging, "c1"),
    })
    return root


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    folder = tmp_path / "scratch"
    folder.mkdir()
    return folder


@pytest.fixture
def user_csv(tmp_path: Path) -> Path:
    path = tmp_path / "mine" / "desk.csv"
    path.parent.mkdir()
    path.write_text("dispatch_id,desk\nwire-1,economy\nwire-3,ports\n")
    return path


def _fingerprint(root: Path) -> dict[str, str]:
    return {
        str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(root.rglob("*")) if p.is_file()
    }


def _committed_parquet(warehouse: Path) -> Path:
    name = storage.committed_files(warehouse, "dispatches")[0]
    assert name.endswith(".parquet")
    return warehouse / name


# (statement, what the refusal names). {part} is a committed Parquet file of the warehouse,
# {out} a scratch folder, {wh} the warehouse folder.
HOSTILE = [
    # The two statements, and their spellings.
    ("EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{part}' (FORMAT parquet)",
     "a COPY statement inside EXPLAIN ANALYZE"),
    ("EXPLAIN ANALYZE COPY (SELECT 1) TO '{out}/x.csv'", "a COPY statement inside EXPLAIN ANALYZE"),
    ("explain analyze copy (select 1) to '{out}/x.csv'", "a COPY statement inside EXPLAIN ANALYZE"),
    ("/* innocent */ EXPLAIN\n\t-- really\n  ANALYSE /* c */ COPY (SELECT 1) TO '{out}/x.csv'",
     "a COPY statement inside EXPLAIN ANALYZE"),
    ("EXPLAIN (ANALYZE) COPY (SELECT 1) TO '{part}'", "a COPY statement inside EXPLAIN ANALYZE"),
    ("EXPLAIN (ANALYZE, FORMAT json) COPY (SELECT 1) TO '{out}/x.csv'",
     "a COPY statement inside EXPLAIN ANALYZE"),
    ("EXPLAIN (FORMAT 'json', ANALYZE true) COPY (SELECT 1) TO '{out}/x.csv'",
     "a COPY statement inside EXPLAIN ANALYZE"),
    ("EXPLAIN COPY (SELECT 1) TO '{out}/x.csv'", "a COPY statement inside EXPLAIN"),
    # Several statements in one string: a harmless read first.
    ("SELECT count(*) FROM dispatches; COPY (SELECT 1) TO '{out}/second.csv'", "a COPY statement"),
    ("SELECT 1;\nEXPLAIN ANALYZE COPY (SELECT 1) TO '{part}'",
     "a COPY statement inside EXPLAIN ANALYZE"),
    # COPY and EXPORT in every direction.
    ("COPY (SELECT * FROM dispatches) TO '{out}/all.parquet' (FORMAT parquet)", "a COPY statement"),
    ("COPY dispatches FROM '{out}/in.csv'", "a COPY statement"),
    ("COPY FROM DATABASE memory TO other", "a PRAGMA statement"),
    ("EXPORT DATABASE '{out}/exported'", "a EXPORT statement"),
    ("IMPORT DATABASE '{out}'", "a PRAGMA statement"),
    # Other databases, extensions, settings.
    ("ATTACH '{out}/other.duckdb' AS other", "a ATTACH statement"),
    ("DETACH memory", "a DETACH statement"),
    ("USE memory", "a SET statement"),
    ("INSTALL httpfs", "a LOAD statement"),
    ("FORCE INSTALL httpfs FROM core_nightly", "a LOAD statement"),
    ("LOAD httpfs", "a LOAD statement"),
    ("EXPLAIN ANALYZE LOAD httpfs", "EXPLAIN"),
    ("UPDATE EXTENSIONS", "a statement of a kind"),
    ("SET enable_external_access = true", "a SET statement"),
    ("RESET lock_configuration", "a SET statement"),
    ("SET VARIABLE target = '{out}/v.csv'", "a SET statement"),
    ("PRAGMA enable_profiling", "a PRAGMA statement"),
    ("PRAGMA profiling_output = '{out}/profile.txt'", "a SET statement"),
    ("CALL enable_logging(storage = 'file', storage_path = '{out}/logs')", "a CALL statement"),
    ("EXPLAIN ANALYZE CALL enable_logging(storage = 'file', storage_path = '{out}/logs')",
     "a CALL statement inside EXPLAIN ANALYZE"),
    ("CHECKPOINT", "a CALL statement"),
    ("VACUUM", "a VACUUM statement"),
    ("BEGIN TRANSACTION", "a TRANSACTION statement"),
    # Statements run from inside other statements.
    ("PREPARE leak AS COPY (SELECT 1) TO '{out}/p.csv'", "a PREPARE statement"),
    ("EXECUTE leak", "a EXECUTE statement"),
    ("DEALLOCATE leak", "a DROP statement"),
    ("SELECT * FROM query('SELECT 1')", "the table function query()"),
    ('SELECT * FROM "QUERY"(\'SELECT 1\')', "the table function query()"),
    ("SELECT * FROM system.main.query_table('dispatches')", "the table function query_table()"),
    ("SELECT * FROM json_execute_serialized_sql(json_serialize_sql('SELECT 1'))",
     "the table function json_execute_serialized_sql()"),
    ("SELECT * FROM enable_logging(storage = 'file', storage_path = '{out}/logs')",
     "the table function enable_logging()"),
    ("EXPLAIN ANALYZE FROM enable_profiling()", "the table function enable_profiling()"),
    ("SELECT (SELECT count(*) FROM checkpoint()) AS n", "the table function checkpoint()"),
    ("SELECT headline FROM dispatches WHERE word_count > (FROM force_checkpoint())",
     "the table function force_checkpoint()"),
    ("SELECT write_log('hello')", "the function write_log()"),
    ("SELECT setseed(0.5)", "the function setseed()"),
    ("SELECT nextval('ids')", "the function nextval()"),
    ("SELECT setval('ids', 7)", "the function setval()"),
    ("WITH w AS (INSERT INTO t VALUES (1) RETURNING *) SELECT * FROM w", "an INSERT inside a SELECT"),
    # Plain writes and catalogue changes.
    ("CREATE TABLE t AS SELECT 1", "a CREATE statement"),
    ("CREATE OR REPLACE VIEW dispatches AS SELECT 1 AS x", "a CREATE statement"),
    ("CREATE MACRO f() AS 1", "a CREATE statement"),
    ("CREATE PERSISTENT SECRET s (TYPE s3, KEY_ID 'k', SECRET 'x')", "a CREATE statement"),
    ("INSERT INTO quarantine SELECT * FROM quarantine", "a INSERT statement"),
    ("UPDATE dispatches SET headline = NULL", "a UPDATE statement"),
    ("DELETE FROM dispatches", "a DELETE statement"),
    ("DROP VIEW dispatches", "a DROP statement"),
    ("ALTER VIEW dispatches RENAME TO gone", "a ALTER statement"),
    ("COMMENT ON VIEW dispatches IS 'x'", "a ALTER statement"),
    ("PIVOT dispatches ON published_date USING count(*)", "a MULTI statement"),
]


def _statement(template: str, warehouse: Path, out: Path) -> str:
    return template.format(part=_committed_parquet(warehouse), out=out, wh=warehouse)


def test_the_corpus_is_large_enough() -> None:
    assert len(HOSTILE) >= 25


@pytest.mark.parametrize(("template", "named"), HOSTILE, ids=[h[0][:40] for h in HOSTILE])
def test_hostile_statement_is_refused_and_changes_nothing(
    warehouse: Path, scratch: Path, template: str, named: str
) -> None:
    before = _fingerprint(warehouse)
    try:
        outcome: object = run_query(warehouse, _statement(template, warehouse, scratch))
    except Exception as exc:  # noqa: BLE001 - the damage is checked first, whatever happened
        outcome = exc
    assert _fingerprint(warehouse) == before
    assert list(scratch.iterdir()) == []
    assert isinstance(outcome, QueryRefused), f"not refused by the check: {outcome!r}"
    message = str(outcome)
    assert "\n" not in message
    assert message.startswith("refused") and "read-only" in message
    assert named in message


def test_explain_analyze_copy_leaves_the_committed_file_and_creates_none(
    warehouse: Path, scratch: Path
) -> None:
    """The issue's report, through the CLI: it exits non-zero with one line and writes nothing."""
    part = _committed_parquet(warehouse)
    before, part_bytes = _fingerprint(warehouse), part.read_bytes()
    elsewhere = scratch / "x.csv"
    for sql in (
        f"EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{part}' (FORMAT parquet)",
        f"EXPLAIN ANALYZE COPY (SELECT 1) TO '{elsewhere}'",
    ):
        result = CliRunner().invoke(app, ["sql", sql, "--warehouse", str(warehouse)])
        assert result.exit_code == 2, "a refusal is a usage error (README)"
        lines = result.output.strip().splitlines()
        assert len(lines) == 1 and "refused a COPY statement inside EXPLAIN ANALYZE" in lines[0]
    assert part.read_bytes() == part_bytes and _fingerprint(warehouse) == before
    assert not elsewhere.exists()
    rows = run_query(warehouse, "SELECT count(*), count(headline) FROM dispatches").rows
    assert rows == [(3, 3)]


READS = [
    ("SELECT headline FROM dispatches ORDER BY published_at, dispatch_id",
     [("Port strike enters day 1",), ("Port strike enters day 2",), ("Port strike enters day 3",)]),
    ("from dispatches_latest select count(*)", [(3,)]),
    ("WITH per_day AS (SELECT published_date, count(*) AS n FROM dispatches GROUP BY 1) "
     "SELECT n FROM per_day ORDER BY published_date", [(1,), (2,)]),
    ("SELECT 1; /* a COPY in a comment is harmless */ SELECT reason FROM quarantine",
     [("empty_file",)]),
    ("SELECT count(*) FROM (DESCRIBE dispatches) WHERE column_name = 'headline'", [(1,)]),
    ("SELECT count(*) FROM range(4) UNION ALL SELECT count(*) FROM generate_series(1, 2)",
     [(4,), (2,)]),
]


@pytest.mark.parametrize(("sql", "rows"), READS, ids=[r[0][:30] for r in READS])
def test_reads_still_run(warehouse: Path, sql: str, rows: list[tuple]) -> None:
    before = _fingerprint(warehouse)
    assert sorted(run_query(warehouse, sql).rows) == sorted(rows)
    assert _fingerprint(warehouse) == before


@pytest.mark.parametrize("sql", [
    "EXPLAIN SELECT * FROM dispatches",
    "EXPLAIN ANALYZE SELECT count(*) FROM entities",
    "explain /* plan */ (analyze, format json) select count(*) from dispatches",
    "EXPLAIN (SELECT 1)",
])
def test_explain_of_a_select_runs(warehouse: Path, sql: str) -> None:
    result = run_query(warehouse, sql)
    assert result.columns == ["explain_key", "explain_value"] and result.rows


def test_a_users_csv_joins_the_views(warehouse: Path, user_csv: Path) -> None:
    joined = run_query(warehouse, f"""
        SELECT desk.desk, d.published_date
        FROM read_csv('{user_csv}') AS desk JOIN dispatches AS d USING (dispatch_id)
        ORDER BY desk.desk""").rows
    assert joined == [("economy", date(2026, 1, 10)), ("ports", date(2026, 1, 11))]
    replacement_scan = run_query(warehouse, f"SELECT count(*) FROM '{user_csv}'").rows
    assert replacement_scan == [(2,)]
    globbed = run_query(warehouse, f"SELECT count(*) FROM read_csv('{user_csv.parent}/*.csv')")
    assert globbed.rows == [(2,)]


def test_a_relative_path_is_read_from_the_working_folder(
    warehouse: Path, user_csv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(user_csv.parent)
    assert run_query(warehouse, "SELECT count(*) FROM read_csv('desk.csv')").rows == [(2,)]
    assert run_query(warehouse, "SELECT count(*) FROM 'desk.csv'").rows == [(2,)]


def test_the_check_reports_the_files_a_query_reads() -> None:
    query = read_only_query(
        "SELECT * FROM read_csv(['a.csv', 'b.csv'], delim = ';') JOIN 'c.parquet' USING (k)")
    assert query.named_paths == ("a.csv", "b.csv", "c.parquet")


# The second layer on its own: no parser check, the connection itself refuses.
def _refused_by_connection(con: duckdb.DuckDBPyConnection, sql: str) -> str:
    with pytest.raises(duckdb.Error) as refused:
        con.execute(sql)
    return str(refused.value)


def test_hardened_connection_refuses_writes_into_the_warehouse_and_elsewhere(
    warehouse: Path, scratch: Path
) -> None:
    before = _fingerprint(warehouse)
    part = _committed_parquet(warehouse)
    con = open_warehouse(warehouse)
    try:
        for sql in (
            f"COPY (SELECT 1 AS x) TO '{part}' (FORMAT parquet)",
            f"EXPLAIN ANALYZE COPY (SELECT 1 AS x) TO '{part}' (FORMAT parquet)",
            f"COPY (SELECT 1 AS x) TO '{part.parent}/part-new.parquet' (FORMAT parquet)",
            f"COPY (SELECT 1 AS x) TO '{warehouse}/_manifest.json' (FORMAT csv)",
            f"COPY (SELECT 1 AS x) TO '{scratch}/x.csv'",
            f"EXPORT DATABASE '{scratch}/exported'",
            f"ATTACH '{scratch}/other.duckdb'",
        ):
            assert "disabled by configuration" in _refused_by_connection(con, sql)
        for sql in ("SET enable_external_access = true", "RESET lock_configuration",
                    "SET allowed_directories = ['/']",
                    f"SELECT * FROM enable_logging(storage = 'file', storage_path = '{scratch}')",
                    "SELECT * FROM enable_profiling()"):
            assert "configuration has been locked" in _refused_by_connection(con, sql)
        for sql in ("INSTALL httpfs", "LOAD httpfs"):
            assert "disabled" in _refused_by_connection(con, sql)
        assert con.execute("SELECT count(*) FROM dispatches").fetchone() == (3,)
    finally:
        con.close()
    assert _fingerprint(warehouse) == before
    assert list(scratch.iterdir()) == []


def test_harden_connection_reads_only_what_it_is_given(user_csv: Path, scratch: Path) -> None:
    """What the Delta/S3 warehouse calls on its own connection: named files read, nothing written."""
    con = duckdb.connect(":memory:")
    try:
        harden_connection(con, NamedReads(files=(str(user_csv),)))
        assert con.execute(f"SELECT count(*) FROM read_csv('{user_csv}')").fetchone() == (2,)
        assert "disabled by configuration" in _refused_by_connection(
            con, f"COPY (SELECT 1) TO '{scratch}/x.csv'")
        assert "disabled by configuration" in _refused_by_connection(
            con, f"COPY (SELECT 1) TO '{user_csv}'")  # replaced through a tmp_ file, refused
        assert "configuration has been locked" in _refused_by_connection(con, "SET threads = 1")
    finally:
        con.close()
    assert user_csv.read_text().startswith("dispatch_id,desk\n")
    assert list(scratch.iterdir()) == []


def test_a_glob_opens_only_its_own_folder_at_the_connection(user_csv: Path, scratch: Path) -> None:
    """The connection holds by itself, whatever the statement check let through: a glob's
    reads open the folder before its first wildcard, never "/" (which would let COPY … TO
    write anywhere)."""
    from transforms.query.read_only import named_reads

    pattern = str(user_csv.parent / "*.csv")
    reads = named_reads([pattern], base=scratch)
    assert reads == NamedReads(files=(), directories=(str(user_csv.parent) + "/",))
    con = duckdb.connect(":memory:")
    try:
        harden_connection(con, reads)
        assert con.execute(f"SELECT count(*) FROM read_csv('{pattern}')").fetchone() == (2,)
        assert "disabled by configuration" in _refused_by_connection(
            con, f"COPY (SELECT 1) TO '{scratch}/x.csv'")
    finally:
        con.close()
    assert list(scratch.iterdir()) == []
