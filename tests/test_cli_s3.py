"""Every command against `s3://bucket/prefix` (moto on 127.0.0.1), as a user runs them: the
same rows as a local warehouse, two runs at once, SIGKILLs, and one-line storage errors."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from schemas.tables import TABLES
from tests.hostile.landing import (
    child_env,
    kill_group,
    run_wirehouse,
    start_wirehouse,
    warm_up_prefect,
    write_wire_corpus,
)
from tests.s3_server import S3Endpoint, s3_endpoint
from transforms.query import run_query

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1200)]

_NOT_CONTENT = {"run_id"}
_CONTENT_TIMESTAMPS = {"published_at", "embargo_until"}


def _content(warehouse: str, table: str) -> list[tuple]:
    columns = [f.name for f in TABLES[table].schema if f.name not in _NOT_CONTENT
               and (not f.name.endswith("_at") or f.name in _CONTENT_TIMESTAMPS)]
    return run_query(warehouse, f"SELECT {', '.join(columns)} FROM {table} ORDER BY ALL").rows


def _same_rows(left: str, right: str) -> None:
    for table in TABLES:
        if table != "runs":
            assert _content(left, table) == _content(right, table), table


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """An S3 endpoint, a landing folder, and a clean local run of it to compare with."""
    tmp = tmp_path_factory.mktemp("s3cli")
    landing = tmp / "landing"
    write_wire_corpus(landing, files=10, paragraphs=3, bulk_records=12)
    with s3_endpoint() as s3:
        env = child_env(tmp, WIREHOUSE_BATCH_FILES="2",
                        PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS="120", **s3.env)
        warm_up_prefect(env, tmp)
        local = tmp / "local"
        result = run_wirehouse(["run", "--source", str(landing), "--warehouse", str(local)], env, cwd=tmp)
        assert result.returncode == 0, result.stderr[-3000:]
        yield {"s3": s3, "env": env, "landing": landing, "local": str(local), "tmp": tmp}


def _cli(world: dict, *args: str) -> str:
    result = run_wirehouse(list(args), world["env"], cwd=world["tmp"])
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    return result.stdout


def test_every_command_works_on_s3(world: dict) -> None:
    s3: S3Endpoint = world["s3"]
    warehouse = f"s3://{s3.make_bucket('wh-cli')}/news/wh"
    out = _cli(world, "run", "--source", str(world["landing"]), "--warehouse", warehouse)
    assert "new" in out
    _same_rows(world["local"], warehouse)
    again = _cli(world, "run", "--source", str(world["landing"]), "--warehouse", warehouse)
    assert "Nothing new" in again
    counted = _cli(world, "sql", "SELECT count(*) AS n FROM dispatches", "--warehouse", warehouse,
                   "--format", "csv")
    dispatches = int(counted.splitlines()[1])
    assert dispatches == run_query(world["local"], "SELECT count(*) FROM dispatches").rows[0][0]
    assert "All contracts hold." in _cli(world, "check", "--warehouse", warehouse)
    report = world["tmp"] / "s3-report.html"
    latest = run_query(world["local"], "SELECT count(*) FROM dispatches_latest").rows[0][0]
    assert f"({latest} dispatches)" in _cli(world, "report", "--warehouse", warehouse,
                                            "--out", str(report))
    assert report.stat().st_size > 0
    assert "Compacted" in _cli(world, "compact", "--warehouse", warehouse)
    assert "Nothing to re-tag" in _cli(world, "retag", "--warehouse", warehouse)
    _same_rows(world["local"], warehouse)
    # Marker 3 is the first run's first commit (1 created the marker table, 2 claimed it):
    # it holds some of the dispatches, not all of them.
    early = _cli(world, "sql", "SELECT count(*) FROM dispatches", "--warehouse", warehouse,
                 "--as-of", "3", "--format", "csv").splitlines()[1]
    assert 0 < int(early) < dispatches
    keys = s3.keys(warehouse.split("/")[2])
    assert any(k.startswith("news/wh/dispatches/_delta_log/") for k in keys)
    assert not [k for k in keys if "/_pending/" in k and not k.endswith("/")]


def test_two_runs_started_at_once_on_s3(world: dict) -> None:
    s3: S3Endpoint = world["s3"]
    warehouse = f"s3://{s3.make_bucket('wh-twice')}/wh"
    args = ["run", "--source", str(world["landing"]), "--warehouse", warehouse]
    logs = [world["tmp"] / f"twice-{n}.log" for n in (1, 2)]
    children = [start_wirehouse(args, world["env"], log=log, cwd=world["tmp"]) for log in logs]
    try:
        for child, log in zip(children, logs, strict=True):
            assert child.wait(timeout=600) == 0, log.read_text()[-3000:]
    finally:
        for child in children:
            if child.poll() is None:
                kill_group(child)
    _same_rows(world["local"], warehouse)
    ingested = run_query(warehouse, "SELECT sum(files_ingested), count(*) FROM runs").rows
    local = run_query(world["local"], "SELECT count(*) FROM ingested_files").rows[0][0]
    assert ingested == [(local, 2)], ingested


@pytest.mark.parametrize(
    ("warehouse", "env", "message"),
    [
        ("s3://no-such-bucket/wh", {}, "Error: the bucket of s3://no-such-bucket/wh does not exist"),
        ("s3://wh-errors/wh", {"AWS_ENDPOINT_URL": "http://127.0.0.1:9"},
         "Error: cannot reach the storage of s3://wh-errors/wh at http://127.0.0.1:9"),
    ],
    ids=["missing-bucket", "unreachable-endpoint"],
)
def test_storage_failures_are_one_clear_line(world: dict, warehouse: str, env: dict, message: str) -> None:
    s3: S3Endpoint = world["s3"]
    if "wh-errors" in warehouse and "wh-errors" not in [
            b["Name"] for b in s3.client().list_buckets()["Buckets"]]:
        s3.make_bucket("wh-errors")
    for args in (["run", "--source", str(world["landing"])], ["sql", "SELECT 1"], ["check"],
                 ["compact"], ["report", "--out", str(world["tmp"] / "never.html")]):
        result = run_wirehouse([*args, "--warehouse", warehouse], world["env"] | env, cwd=world["tmp"],
                               timeout=120)
        assert result.returncode == 1, (args, result.stdout, result.stderr[-2000:])
        lines = result.stderr.strip().splitlines()
        assert lines == [message], (args, lines[-5:])
    buckets = [b["Name"] for b in s3.client().list_buckets()["Buckets"]]
    assert "no-such-bucket" not in buckets  # nothing created, nothing half-written
    if "wh-errors" in buckets:
        assert s3.keys("wh-errors") == []


def _marker_keys(s3: S3Endpoint, bucket: str) -> int:
    return sum(1 for k in s3.keys(bucket, "wh/_commits/_delta_log/") if k.endswith(".json"))


def test_killed_runs_on_s3_then_a_rerun_equal_a_clean_run(world: dict) -> None:
    """Runs against the S3 endpoint SIGKILLed at six points (start-up, rows staged under
    _pending/ before the claim, just after a claim, between commits), then one run to finish."""
    s3: S3Endpoint = world["s3"]
    bucket = s3.make_bucket("wh-killed")
    warehouse = f"s3://{bucket}/wh"
    args = ["run", "--source", str(world["landing"]), "--warehouse", warehouse]

    def pending(_start: int) -> bool:
        return any(not k.endswith("/") for k in s3.keys(bucket, "wh/_pending/"))

    def markers_after(count: int):
        return lambda start: _marker_keys(s3, bucket) >= start + count

    triggers = [
        ("start-up (3 s)", None, 3.0),
        ("rows staged, not claimed", pending, 0.0),
        ("just after a claim", markers_after(1), 0.0),
        ("after a commit", markers_after(2), 0.0),
        ("claimed, +0.2 s", markers_after(1), 0.2),
        ("second commit +0.1 s", markers_after(4), 0.1),
    ]
    kills = []
    for number, (intent, trigger, delay) in enumerate(triggers, start=1):
        start = _marker_keys(s3, bucket)
        log = world["tmp"] / f"s3-kill-{number}.log"
        child = start_wirehouse(args, world["env"], log=log, cwd=world["tmp"])
        began = time.monotonic()
        fired = False
        while child.poll() is None and time.monotonic() - began < 300:
            if trigger is None or trigger(start):
                time.sleep(delay)
                fired = child.poll() is None
                break
            time.sleep(0.05)
        if fired:
            kill_group(child)
            kills.append(intent)
            # Readers see whole commits only, after every kill.
            bad = run_query(warehouse, """
                SELECT (SELECT count(*) - count(DISTINCT version_id) FROM dispatches)
                     + (SELECT count(*) - count(DISTINCT file_sha256) FROM ingested_files)
                     + (SELECT count(*) FROM mentions
                        WHERE version_id NOT IN (SELECT version_id FROM dispatches))""").rows
            assert bad == [(0,)], intent
        else:
            assert child.wait(timeout=300) == 0, log.read_text()[-3000:]
    print(f"\nS3 kills: {kills}")
    assert len(kills) >= 5, kills
    _cli(world, *args)
    _same_rows(world["local"], warehouse)


def test_backfill_on_a_dask_cluster_into_s3_needs_no_shared_disk(
    world: dict, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Workers of a Dask cluster read their batches from, and stage their output to, the
    warehouse's S3 storage; the result equals a local backfill row for row."""

    from distributed import Client, LocalCluster
    from prefect.server.api.server import SubprocessASGIServer

    from tests.test_backfill import run_backfill, write_corpus

    corpus = tmp_path / "in"
    days = write_corpus(corpus)
    local = tmp_path / "local"
    run_backfill([corpus], local, "--batch-size", "4")
    server = SubprocessASGIServer()
    server.start()
    monkeypatch.setenv("PREFECT_API_URL", server.api_url)
    warehouse = f"s3://{world['s3'].make_bucket('wh-dask')}/wh"
    # A temporary folder of this test's own for the CLI and the workers it starts, so that
    # another test's run (make test runs two files at once) cannot stage into the one watched.
    private_tmp = tmp_path / "tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    scratch = private_tmp / "wirehouse-staging"
    before = set(scratch.iterdir()) if scratch.exists() else set()
    with (
        LocalCluster(n_workers=2, processes=True, threads_per_worker=1,
                     dashboard_address=None) as cluster,
        Client(cluster),
    ):
        out = run_backfill([corpus], warehouse, "--batch-size", "4",
                           "--dask-address", cluster.scheduler_address)
    assert f"{len(days)} dispatches" in out
    after = set(scratch.iterdir()) if scratch.exists() else set()
    assert not {p for p in after - before if p.name.startswith("backfill-")}, "staged on local disk"
    for table in ("dispatches", "mentions", "quotes", "quarantine", "ingested_files"):
        assert _content(warehouse, table) == _content(str(local), table), table
    assert not [k for k in world["s3"].keys("wh-dask", "wh/_staging/") if not k.endswith("/")]
