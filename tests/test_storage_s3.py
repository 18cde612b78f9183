"""The warehouse on S3-compatible storage (moto on 127.0.0.1): the same commit protocol, the
same reads, concurrent writers without a lock, and one clear line for storage failures."""

from __future__ import annotations

import multiprocessing
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pyarrow as pa
import pytest

from schemas.tables import DISPATCHES, INGESTED_FILES, MENTIONS, QUARANTINE
from tests.s3_server import S3Endpoint, s3_endpoint
from transforms import stages, storage
from transforms.query import run_query
from transforms.storage import commits as storage_commits


@pytest.fixture(scope="module")
def s3() -> Iterator[S3Endpoint]:
    with s3_endpoint() as endpoint:
        yield endpoint


def _quarantine(n: int, tag: str = "q") -> pa.Table:
    now = datetime(2026, 1, 16, tzinfo=UTC)
    return pa.Table.from_pylist(
        [{"source_uri": f"{tag}{i}", "reason": "empty_file", "detail": "d", "run_id": "r",
          "detected_at": now} for i in range(n)],
        schema=QUARANTINE.schema,
    )


def _count(warehouse: str, table: str, as_of: int | None = None) -> int:
    return run_query(warehouse, f"SELECT count(*) FROM {table}", as_of=as_of).rows[0][0]


def test_commit_read_time_travel_and_compact_on_s3(s3: S3Endpoint) -> None:
    bucket = s3.make_bucket("wh-roundtrip")
    warehouse = f"s3://{bucket}/news"
    assert _count(warehouse, "dispatches") == 0
    first = storage.commit_rows(warehouse, {"quarantine": _quarantine(3)}, "c1")
    for n in range(5):
        storage.commit_rows(warehouse, {"quarantine": _quarantine(2, f"b{n}-")}, f"c2-{n}")
    assert _count(warehouse, "quarantine") == 13
    assert _count(warehouse, "quarantine", as_of=first.marker) == 3
    assert any(k.startswith("news/quarantine/_delta_log/") for k in s3.keys(bucket))
    report = storage.compact(warehouse, "k1")
    assert (report.files_before, report.files_after) == (6, 1)
    assert storage.committed_files(warehouse, "quarantine") and len(
        storage.committed_files(warehouse, "quarantine")) == 1
    assert _count(warehouse, "quarantine") == 13
    # Nothing local: the warehouse is only in the bucket.
    assert not Path("s3:").exists()


def test_compact_trims_the_log_of_versions_its_vacuum_made_unreadable_on_s3(s3: S3Endpoint) -> None:
    """The log cleanup after a vacuum (`maintenance.trim_unreadable_log`) on S3: the entries
    only vacuumed versions needed go, the latest and the last commit before the compaction
    read as before, and an older marker gets the one line."""
    bucket = s3.make_bucket("wh-trim")
    warehouse = f"s3://{bucket}/news"
    for n in range(12):
        storage.commit_rows(warehouse, {"quarantine": _quarantine(1, f"t{n}-")}, f"c{n}")
    last = storage.read_snapshot(warehouse)

    def log() -> list[str]:
        return [k for k in s3.keys(bucket) if k.startswith("news/quarantine/_delta_log/0")]

    entries = len(log())
    storage.compact(warehouse, "k1", retention_hours=0)
    assert len(log()) < entries - 5
    assert _count(warehouse, "quarantine") == 12
    assert _count(warehouse, "quarantine", as_of=last.marker) == 12
    with pytest.raises(storage.WarehouseError, match="marker 2 is no longer readable"):
        _count(warehouse, "quarantine", as_of=2)


class _Killed(BaseException):
    pass


def test_a_claimed_commit_is_rolled_forward_on_s3(s3: S3Endpoint, monkeypatch) -> None:
    bucket = s3.make_bucket("wh-rollforward")
    warehouse = f"s3://{bucket}/wh"
    storage.commit_rows(warehouse, {"quarantine": _quarantine(2)}, "c1")
    real = storage_commits.write_deltalake
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > 2:  # the claim and one table; the other table and the marker never
            raise _Killed()
        return real(*args, **kwargs)

    rows = {"quarantine": _quarantine(4, "x"), "ingested_files": _ledger(["h1", "h2"])}
    with monkeypatch.context() as patched:
        patched.setattr(storage_commits, "write_deltalake", dying)
        with pytest.raises(_Killed):
            storage.commit_rows(warehouse, rows, "c2")
    assert (_count(warehouse, "quarantine"), _count(warehouse, "ingested_files")) == (2, 0)
    assert storage.collect_garbage(warehouse) == 1
    assert (_count(warehouse, "quarantine"), _count(warehouse, "ingested_files")) == (6, 2)
    assert not [k for k in s3.keys(bucket, "wh/_pending/") if not k.endswith("/")]


def _ledger(hashes: list[str]) -> pa.Table:
    now = datetime(2026, 1, 16, tzinfo=UTC)
    return pa.Table.from_pylist(
        [{"file_sha256": h, "source_uri": f"/in/{h}", "dispatches": 1, "rejected": 0,
          "run_id": "r", "ingested_at": now} for h in hashes],
        schema=INGESTED_FILES.schema,
    )


def _stage_batch(folder: Path, numbers: list[int], run_id: str) -> None:
    """A tagged batch of one dispatch, one mention and one ledger row per source file number."""
    now = datetime(2026, 1, 16, tzinfo=UTC)
    day = date(2026, 1, 10)
    dispatches = [{
        "dispatch_id": f"d{n}", "version_id": f"v{n}", "body": f"body {n}", "word_count": 2,
        "published_at": datetime(2026, 1, 10, tzinfo=UTC), "source_uri": f"/in/f{n}",
        "source_format": "wire-text", "raw_sha256": f"h{n}", "pub_status": "usable",
        "ingested_at": now, "run_id": run_id, "parser_version": "p", "published_date": day,
    } for n in numbers]
    mentions = [{
        "dispatch_id": f"d{n}", "version_id": f"v{n}", "mention_id": f"m{n}", "text": "body",
        "label": "ORG", "start_char": 0, "end_char": 4, "sentence_index": 0, "canonical": "body",
        "model": "m", "pipeline_hash": "p", "run_id": run_id, "published_date": day,
    } for n in numbers]
    folder.mkdir(parents=True)
    storage.write_parquet_durably(pa.Table.from_pylist(dispatches, schema=DISPATCHES.schema),
                                         folder / "dispatches.parquet")
    storage.write_parquet_durably(pa.Table.from_pylist(mentions, schema=MENTIONS.schema),
                                         folder / "mentions.parquet")
    storage.write_parquet_durably(_ledger([f"f{n}" for n in numbers]),
                                         folder / "ingested_files.parquet")


def _commit_many(warehouse: str, root: str, run_id: str, env: dict[str, str], start, out) -> None:
    import os

    os.environ.update(env)
    folders = sorted(Path(root).iterdir())
    start.wait()
    written = 0
    for number, folder in enumerate(folders):
        written += stages.commit_batches([folder], warehouse, f"{run_id}-{number:03d}").dispatches
    out.put(written)


def test_two_writers_at_once_neither_duplicate_nor_lose_a_commit(s3: S3Endpoint, tmp_path: Path) -> None:
    """Two processes commit overlapping batches (the same source files in both) with no lock:
    every file is ingested once, every dispatch once with its mention, and nothing is lost."""
    bucket = s3.make_bucket("wh-concurrent")
    warehouse = f"s3://{bucket}/wh"
    files = list(range(60))
    for writer in ("a", "b"):
        mine = files[:40] if writer == "a" else files[20:]
        for start in range(0, len(mine), 5):
            _stage_batch(tmp_path / writer / f"batch-{start:03d}", mine[start:start + 5], writer)
    ctx = multiprocessing.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_commit_many,
                         args=(warehouse, str(tmp_path / w), w, s3.env, start, out))
             for w in ("a", "b")]
    for proc in procs:
        proc.start()
    start.set()
    for proc in procs:
        proc.join(300)
        assert proc.exitcode == 0
    written = [out.get(timeout=5) for _ in procs]
    assert sum(written) == 60, written
    rows = run_query(warehouse, """
        SELECT count(*), count(DISTINCT version_id),
               (SELECT count(DISTINCT file_sha256) FROM ingested_files),
               (SELECT count(*) FROM ingested_files),
               (SELECT count(*) FROM mentions),
               (SELECT count(*) FROM mentions WHERE version_id NOT IN (SELECT version_id FROM dispatches))
        FROM dispatches""").rows
    assert rows == [(60, 60, 60, 60, 60, 0)]
    # Both writers committed (neither was starved out of the overlap) and every claim finished.
    assert all(w > 0 for w in written)
    # Every claim finished: marker numbers are dense and the newest is a committed snapshot.
    head = storage.read_snapshot(warehouse)
    numbers = sorted(storage.open_delta(warehouse, storage.MARKER_TABLE).to_pyarrow_table()
                     .column("marker").to_pylist())
    assert numbers == list(range(1, len(numbers) + 1)) and head.marker == numbers[-1]
    assert storage.claims(warehouse) == []


def test_the_store_is_checked_once_for_refusing_a_second_conditional_write(
    s3: S3Endpoint, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from transforms.storage import exclusive_writer, s3_check

    bucket = s3.make_bucket("wh-conditional")
    warehouse = f"s3://{bucket}/wh"
    probes = {"n": 0}
    real = s3_check.second_write_refused

    def counted(loc):
        probes["n"] += 1
        return real(loc)

    monkeypatch.setattr(s3_check, "second_write_refused", counted)
    with exclusive_writer(warehouse, "test", wait=False):
        storage.commit_rows(warehouse, {"quarantine": _quarantine(1)}, "c1")
    with exclusive_writer(warehouse, "test", wait=False):
        pass
    assert probes["n"] == 1  # moto refuses the second write; the verdict is remembered
    assert [k for k in s3.keys(bucket, "wh/_probe/") if not k.endswith("/")] == [
        "wh/_probe/conditional-writes.json"]  # the probe table itself is removed


def test_a_store_that_ignores_if_none_match_is_refused_with_one_line(
    s3: S3Endpoint, monkeypatch: pytest.MonkeyPatch,
) -> None:
    from transforms.storage import exclusive_writer, s3_check

    bucket = s3.make_bucket("wh-overwrites")
    warehouse = f"s3://{bucket}/wh"
    real = s3_check._commit
    calls = {"n": 0}

    def overwriting(table, text):
        # A store ignoring If-None-Match: * lets the second commit of version 1 through.
        calls["n"] += 1
        if calls["n"] == 2:
            return None
        return real(table, text)

    monkeypatch.setattr(s3_check, "_commit", overwriting)
    with pytest.raises(storage.WarehouseError) as caught, exclusive_writer(warehouse, "t", False):
        storage.commit_rows(warehouse, {"quarantine": _quarantine(1)}, "c1")
    message = str(caught.value)
    assert message.startswith(f"refusing to write to {warehouse}: its store accepted a second "
                              "conditional write (If-None-Match: *)")
    assert "\n" not in message
    assert not [k for k in s3.keys(bucket) if not k.startswith("wh/_probe/")]  # nothing written
    assert "wh/_probe/conditional-writes.json" not in s3.keys(bucket)  # asked again next time


def test_doctor_on_s3_keeps_young_leftovers_and_removes_old_ones(s3: S3Endpoint) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    bucket = s3.make_bucket("wh-doctor")
    warehouse = f"s3://{bucket}/wh"
    storage.commit_rows(warehouse, {"quarantine": _quarantine(2)}, "c1")
    storage.write_parquet_durably(_quarantine(3), f"{warehouse}/_pending/c9/quarantine.parquet")
    storage.write_parquet_durably(_quarantine(1), f"{warehouse}/_staging/backfill-x/b1.parquet")
    storage.write_parquet_durably(_quarantine(4), f"{warehouse}/quarantine/part-9-orphan.parquet")

    def doctor(*args: str) -> list[str]:
        result = CliRunner().invoke(app, ["doctor", "--warehouse", warehouse, *args])
        assert result.exit_code == 0, result.output
        return result.output.splitlines()

    # Just written: a concurrent writer may be about to claim them. Listed, kept.
    lines = doctor("--fix")
    assert len([line for line in lines if line.endswith("kept: younger than the grace period")]) == 3
    assert lines[-1] == "Removed 0 leftovers (0 bytes)."
    assert s3.keys(bucket, "wh/_pending/c9/")
    lines = doctor("--fix", "--grace-hours", "0")
    assert lines[-1].startswith("Removed 3 leftovers")
    assert not [k for k in s3.keys(bucket) if k.startswith(("wh/_pending/", "wh/_staging/"))
                and not k.endswith("/")]
    assert "wh/quarantine/part-9-orphan.parquet" not in s3.keys(bucket)
    assert _count(warehouse, "quarantine") == 2


def test_recovery_on_s3_keeps_rows_staged_by_a_writer_about_to_claim_them(
    s3: S3Endpoint, monkeypatch
) -> None:
    """On S3 there is no lock: another process may run recovery between this writer's staging
    of its rows and its claim. Recovery must leave unclaimed pending rows alone there (it drops
    only those of committed commits), or the claim would find its rows gone."""
    bucket = s3.make_bucket("wh-recover-race")
    warehouse = f"s3://{bucket}/wh"
    storage.commit_rows(warehouse, {"quarantine": _quarantine(2)}, "c1")
    real = storage_commits.append_marker
    raced: list[int] = []

    def recovery_before_the_claim(loc, current, commit_id, state, **kwargs):
        if commit_id == "c2" and not raced:
            assert storage.pending_commits(warehouse) == ["c2"]
            raced.append(storage.recover(warehouse))
            assert storage.pending_commits(warehouse) == ["c2"], "unclaimed rows were dropped"
        return real(loc, current, commit_id, state, **kwargs)

    monkeypatch.setattr(storage_commits, "append_marker", recovery_before_the_claim)
    storage.commit_rows(warehouse, {"quarantine": _quarantine(3, "x")}, "c2")
    assert raced == [0]
    assert _count(warehouse, "quarantine") == 5
    assert storage.pending_commits(warehouse) == []
    storage.commit_rows(warehouse, {"quarantine": _quarantine(1, "y")}, "c3")
    assert _count(warehouse, "quarantine") == 6
