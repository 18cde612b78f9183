"""`wirehouse doctor` lists and removes leftovers without touching an open claim's rows, and
`wirehouse history` lists the commits with what each table gained."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.kills import Killed, kill_on
from tests.test_time_travel import commit, quarantine_rows
from transforms import storage
from transforms.query import run_query


def _doctor(warehouse: Path, *args: str) -> list[str]:
    result = CliRunner().invoke(app, ["doctor", "--warehouse", str(warehouse), *args])
    assert result.exit_code == 0, result.output
    return result.output.splitlines()


def _count(warehouse: Path, table: str) -> int:
    return run_query(warehouse, f"SELECT count(*) FROM {table}").rows[0][0]


@pytest.fixture()
def littered(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A committed batch, then: rows staged but never claimed (c2), a claim killed before any
    table (c3, open), a flow's staging folder, a temporary file, and an orphaned data file."""
    storage.commit_rows(tmp_path, {"quarantine": quarantine_rows(2, "a")}, "c1")
    with monkeypatch.context() as patched:
        kill_on(patched, "append_marker", 0)
        with pytest.raises(Killed):
            storage.commit_rows(tmp_path, {"quarantine": quarantine_rows(5, "b")}, "c2")
    with monkeypatch.context() as patched:
        kill_on(patched, "write_deltalake", 1)  # the claim lands, no table does
        with pytest.raises(Killed):
            storage.commit_rows(tmp_path, {"quarantine": quarantine_rows(3, "c")}, "c3")
    (tmp_path / storage.STAGING_DIR / "nightly-x").mkdir(parents=True)
    pq.write_table(quarantine_rows(1, "s"), tmp_path / storage.STAGING_DIR / "nightly-x" / "b.parquet")
    (tmp_path / ".views.sql.123.tmp").write_text("half")
    # An append a kill interrupted: its file is uploaded, no version names it.
    pq.write_table(quarantine_rows(4, "o"), tmp_path / "quarantine" / "part-00000-orphan.parquet")
    return tmp_path


def test_doctor_lists_leftovers_and_the_open_claim(littered: Path) -> None:
    lines = _doctor(littered)
    text = "\n".join(lines)
    assert any(line.startswith("unclaimed pending rows") and "_pending/c2/" in line for line in lines)
    assert "_pending/c3/" not in text  # the open claim's rows are not a leftover
    assert any(line.startswith("staging leftover") and "_staging/nightly-x/" in line for line in lines)
    assert any(line.startswith("temporary file") and ".views.sql.123.tmp" in line for line in lines)
    assert any(line.startswith("orphaned data file") and "quarantine/part-00000-orphan.parquet" in line
               for line in lines)
    assert any(line.startswith("open claim") and "commit c3: the next writer finishes it" in line
               for line in lines)
    assert lines[-1].startswith("4 leftovers") and "wirehouse doctor --fix" in lines[-1]
    # Listing removes nothing.
    assert (littered / "_pending" / "c2").is_dir()
    assert (littered / "quarantine" / "part-00000-orphan.parquet").exists()


def test_doctor_fix_removes_leftovers_and_keeps_the_open_claim(littered: Path) -> None:
    lines = _doctor(littered, "--fix")
    assert lines[-1].startswith("Removed 4 leftovers")
    assert not (littered / "_pending" / "c2").exists()
    assert not (littered / "_staging" / "nightly-x").exists()
    assert not (littered / ".views.sql.123.tmp").exists()
    assert not (littered / "quarantine" / "part-00000-orphan.parquet").exists()
    assert (littered / "_pending" / "c3" / "quarantine.parquet").exists()
    # The next writer finishes the open claim from its rows: c1 and c3, never c2 or the orphan.
    assert storage.collect_garbage(littered) == 1
    assert _count(littered, "quarantine") == 5
    after = _doctor(littered)
    assert after == [f"Nothing to clean up in {littered}."]


def test_doctor_reports_an_open_claim_whose_staged_rows_are_gone(littered: Path) -> None:
    for path in (littered / "_pending" / "c3").iterdir():
        path.unlink()
    lines = _doctor(littered)
    assert any(line.startswith("open claim") and
               "commit c3: its staged rows are gone, so it cannot be finished" in line
               for line in lines)


def test_doctor_refuses_while_a_run_holds_the_lock(littered: Path) -> None:
    with storage.WarehouseLock(littered, "wirehouse run landing/"):
        result = CliRunner().invoke(app, ["doctor", "--fix", "--warehouse", str(littered)])
    assert result.exit_code == 1
    assert "is in use by" in result.output
    assert (littered / "_pending" / "c2").is_dir()


def test_history_lists_commits_with_what_each_table_gained(tmp_path: Path) -> None:
    first = commit(tmp_path, "c0", date(2026, 1, 10), 3, 2)
    second = commit(tmp_path, "c1", date(2026, 1, 11), 1, 4)
    storage.compact(tmp_path, "compact-k1", max_files=1, retention_hours=24)
    compacted = storage.read_snapshot(tmp_path).marker
    result = CliRunner().invoke(app, ["history", "--warehouse", str(tmp_path), "--json"])
    assert result.exit_code == 0, result.output
    entries = json.loads(result.output)
    assert [(e["marker"], e["commit_id"], e["state"]) for e in entries] == [
        (compacted, "compact-k1", "committed"), (second, "c1", "committed"),
        (first, "c0", "committed")]
    assert {n: t["rows_gained"] for n, t in entries[0]["tables"].items()} == {"quarantine": 0}
    assert entries[0]["tables"]["quarantine"]["to_version"] == \
        entries[0]["tables"]["quarantine"]["from_version"] + 1
    assert {n: t["rows_gained"] for n, t in entries[1]["tables"].items()} == {
        "dispatches": 1, "quarantine": 4, "entity_aliases": 0}
    assert {n: t["rows_gained"] for n, t in entries[2]["tables"].items()} == {
        "dispatches": 3, "quarantine": 2, "entity_aliases": 1}
    assert entries[2]["tables"]["dispatches"]["from_version"] is None

    result = CliRunner().invoke(app, ["history", "--warehouse", str(tmp_path), "--limit", "2"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].split()[:2] == ["marker", "committed"] and len(lines) == 3
    assert lines[1].split()[0] == str(compacted) and "compact-k1" in lines[1]
    assert "quarantine +0 rows" in lines[1]
    assert lines[2].split()[0] == str(second) and "dispatches +1 rows" in lines[2]


def test_history_of_an_empty_warehouse(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["history", "--warehouse", str(tmp_path)])
    assert result.exit_code == 0 and result.output.startswith("No commits yet")
