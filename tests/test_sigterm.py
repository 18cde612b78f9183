"""SIGTERM stops a nightly run within seconds, commits nothing more, and leaves nothing running.

One real `wirehouse run` child is told to stop (SIGTERM to its process, as `systemctl stop` or a
scheduler's cancel sends it) once its batch's dispatches are staged, mid-run. It must end with
exit code 143 and one line; its whole process group must be gone (Prefect's temporary API
server included: with the default SIGTERM action it stayed behind, orphaned); and the
warehouse must be exactly as it was before the run: the same newest commit marker, the same
rows, nothing for `wirehouse doctor` to clean. The next run then ingests every file once (done
in-process with the rule tagger, see tests/direct_ingest.py: the claim here is about what the
stopped run left, not about the model).
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from tests.direct_ingest import ingest
from tests.hostile.landing import child_env, start_wirehouse, warm_up_prefect, write_wire_corpus
from transforms import storage
from transforms.query import run_query
from transforms.storage.doctor import diagnose

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

# Far more than the few seconds a stop takes; reaching it means the run did not stop.
STOP_WAIT_SECONDS = 60


def _state(warehouse: Path) -> tuple[int, dict[str, int]]:
    snapshot = storage.read_snapshot(warehouse)
    counts = {name: run_query(warehouse, f"SELECT count(*) FROM {name}").rows[0][0]
              for name in ("dispatches", "mentions", "taggings", "ingested_files", "runs")}
    return snapshot.marker, counts


def test_sigterm_stops_a_run_within_seconds_without_a_partial_commit(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    write_wire_corpus(landing / "yesterday", files=5, seed=1, paragraphs=2)
    ingest(landing, warehouse)  # the state the stopped run must leave as it found it
    before = _state(warehouse)
    # Today's files, 40 records among them: the model takes seconds to load and tag them.
    write_wire_corpus(landing / "today", files=8, seed=2, bulk_records=40)

    env = child_env(tmp_path)
    started = time.monotonic()
    warm_up_prefect(env, tmp_path)
    print(f"warm-up {time.monotonic() - started:.1f} s")
    log = tmp_path / "run.log"
    child = start_wirehouse(["run", "--source", str(landing), "--warehouse", str(warehouse),
                             "--settle", "0"], env, log=log)
    try:
        # The batch's dispatches are staged: the run is finishing its parse stage or tagging.
        deadline = time.monotonic() + 300
        while not list(warehouse.glob("_staging/*/batch-00001/dispatches.parquet")):
            assert child.poll() is None, log.read_text(errors="replace")[-3000:]
            assert time.monotonic() < deadline, "the run never staged its batch"
            time.sleep(0.01)
        sent = time.monotonic()
        print(f"batch staged {sent - started:.1f} s")
        child.send_signal(signal.SIGTERM)
        try:
            child.wait(timeout=STOP_WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"the run was still running {STOP_WAIT_SECONDS} s after SIGTERM")
        took = time.monotonic() - sent
        print(f"stopped {took:.2f} s after SIGTERM")
        output = log.read_text(errors="replace")
        assert child.returncode == 143, output[-3000:]
        assert output.splitlines()[-1] == (
            "Error: wirehouse run stopped by SIGTERM: batches committed before it stay, nothing "
            "else was committed; the next run reads the rest")
        time.sleep(1)  # let the group's last member finish exiting
        with pytest.raises(ProcessLookupError):
            os.killpg(child.pid, 0)  # nothing of the run is left: no orphaned Prefect server
    finally:
        if child.poll() is None:
            os.killpg(child.pid, signal.SIGKILL)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(child.pid, signal.SIGKILL)

    assert _state(warehouse) == before  # not even a runs row
    diagnosis = diagnose(warehouse)
    assert (diagnosis.leftovers, diagnosis.claims) == ((), ())

    print(f"checked {time.monotonic() - started:.1f} s")
    # The next run reads every file of today once, and only those.
    reference = tmp_path / "reference"
    ingest(landing, reference)
    ingest(landing, warehouse)
    files = {name: run_query(warehouse, f"SELECT count(*), count(DISTINCT version_id) FROM {name}").rows[0]
             for name in ("dispatches", "taggings")}
    assert files["dispatches"][0] == files["dispatches"][1] == _state(reference)[1]["dispatches"]
    assert files["taggings"][0] == files["taggings"][1] == files["dispatches"][0]
    ledger = run_query(warehouse, "SELECT count(*), count(DISTINCT file_sha256) FROM ingested_files").rows[0]
    assert ledger[0] == ledger[1] == _state(reference)[1]["ingested_files"]
    print(f"done {time.monotonic() - started:.1f} s")
