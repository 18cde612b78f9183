"""One writer at a time: a second run is refused, `--wait` waits, a killed run's lock is taken.

The first run is frozen (SIGSTOP to its process group) once it holds the lock, so the test does
not race it: the second run meets a held lock for certain, and the waiting run is seen waiting.
"""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import pytest

from tests.hostile.landing import (
    child_env,
    kill_group,
    run_wirehouse,
    start_wirehouse,
    warm_up_prefect,
    write_wire_corpus,
)
from transforms import storage
from transforms.query import run_query

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]


def _lock_holder_pid(warehouse: Path) -> int | None:
    try:
        data = json.loads((warehouse / storage.LOCK_NAME).read_text(encoding="utf-8") or "null")
    except (OSError, ValueError):
        return None
    return data.get("pid") if isinstance(data, dict) else None


def _wait_until_locked_by(warehouse: Path, pid: int, child, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while _lock_holder_pid(warehouse) != pid:
        assert child.poll() is None, "the first run ended before taking the lock"
        assert time.monotonic() < deadline, "the first run never took the lock"
        time.sleep(0.01)


@pytest.fixture
def setup(tmp_path: Path) -> tuple[Path, Path, dict[str, str]]:
    landing = tmp_path / "landing"
    write_wire_corpus(landing, files=12, paragraphs=4)
    env = child_env(tmp_path, WIREHOUSE_BATCH_FILES="1")
    warm_up_prefect(env, tmp_path)
    return landing, tmp_path / "warehouse", env


def test_second_run_is_refused_and_wait_waits(setup, tmp_path: Path) -> None:
    landing, warehouse, env = setup
    args = ["run", "--source", str(landing), "--warehouse", str(warehouse)]
    first = start_wirehouse(args, env, log=tmp_path / "first.log", cwd=tmp_path)
    waiting = None
    try:
        _wait_until_locked_by(warehouse, first.pid, first)
        os.killpg(first.pid, signal.SIGSTOP)  # frozen while holding the lock

        before = storage.read_snapshot(warehouse)
        started = time.monotonic()
        second = run_wirehouse(args, env, cwd=tmp_path)
        time_to_lock = time.monotonic() - started
        assert second.returncode == 1, second.stdout + second.stderr
        message = " ".join(second.stderr.split())
        assert f"warehouse {warehouse} is in use by pid {first.pid}" in message
        assert f"`wirehouse run {landing}`" in message
        assert "--wait" in message
        # Prefect logs the flow's failure above it; the CLI's own last word is the reason.
        assert second.stderr.strip().splitlines()[-1].startswith(f"Error: warehouse {warehouse} is in use")
        assert storage.read_snapshot(warehouse) == before

        waiting = start_wirehouse([*args, "--wait"], env, log=tmp_path / "waiting.log", cwd=tmp_path)
        # The refused run needed `time_to_lock` to reach the lock; give the waiting one that
        # and more, and it must still be there, waiting.
        time.sleep(time_to_lock + 4)
        assert waiting.poll() is None, (tmp_path / "waiting.log").read_text()
        assert _lock_holder_pid(warehouse) == first.pid

        os.killpg(first.pid, signal.SIGCONT)
        assert first.wait(timeout=300) == 0, (tmp_path / "first.log").read_text()[-3000:]
        assert waiting.wait(timeout=300) == 0, (tmp_path / "waiting.log").read_text()[-3000:]
    finally:
        for child in (first, waiting):
            if child is not None and child.poll() is None:
                os.killpg(child.pid, signal.SIGCONT)
                kill_group(child)
    assert "Nothing new" in (tmp_path / "waiting.log").read_text()
    runs = run_query(warehouse, """
        SELECT files_ingested, status, finished_at FROM runs ORDER BY finished_at""").rows
    assert [(r[0], r[1]) for r in runs] == [(12, "completed"), (0, "completed")]
    assert _lock_holder_pid(warehouse) is None  # released, not left naming a live process


def test_lock_of_a_killed_run_is_taken_over(setup, tmp_path: Path) -> None:
    landing, warehouse, env = setup
    args = ["run", "--source", str(landing), "--warehouse", str(warehouse)]
    first = start_wirehouse(args, env, log=tmp_path / "killed.log", cwd=tmp_path)
    try:
        _wait_until_locked_by(warehouse, first.pid, first)
    finally:
        kill_group(first)
    assert _lock_holder_pid(warehouse) == first.pid  # the dead run is still named in the file

    rerun = run_wirehouse(args, env, cwd=tmp_path)
    assert rerun.returncode == 0, rerun.stdout + rerun.stderr[-3000:]
    assert "12 new" in rerun.stdout
    assert run_query(warehouse, "SELECT count(*) FROM ingested_files").rows == [(12,)]
    assert run_query(warehouse, "SELECT count(*) FROM runs WHERE status = 'completed'").rows == [(1,)]
