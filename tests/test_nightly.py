"""The spine end to end: a real Prefect run with the real model, read back through DuckDB."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from deltalake import DeltaTable

from transforms.query import run_query

pytestmark = pytest.mark.slow

JIJI_FILE_TIME = datetime(2026, 1, 16, 9, 0, tzinfo=UTC).timestamp()


def _landing_with_jiji(tmp_path: Path, jiji_sample: Path) -> Path:
    landing = tmp_path / "landing" / "jiji"
    landing.mkdir(parents=True)
    target = landing / jiji_sample.name
    shutil.copyfile(jiji_sample, target)
    os.utime(target, (JIJI_FILE_TIME, JIJI_FILE_TIME))
    return landing.parent


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


async def _task_names(flow_run_id) -> list[str]:
    from prefect.client.orchestration import get_client
    from prefect.client.schemas.filters import FlowRunFilter, FlowRunFilterId

    async with get_client() as client:
        runs = await client.read_task_runs(
            flow_run_filter=FlowRunFilter(id=FlowRunFilterId(any_=[flow_run_id]))
        )
    return sorted(run.name for run in runs)


def test_jiji_sample_through_a_real_prefect_run(tmp_path: Path, jiji_sample: Path, monkeypatch) -> None:
    from flows.nightly import nightly

    landing = _landing_with_jiji(tmp_path, jiji_sample)
    warehouse = tmp_path / "warehouse"
    state = nightly(source=str(landing), warehouse=str(warehouse), return_state=True)
    summary = state.result()
    assert (summary.files_seen, summary.files_ingested, summary.dispatches_written) == (1, 1, 1)

    row = _rows(warehouse, """
        SELECT agency, dateline_place, published_date, headline, body, source_format
        FROM dispatches""")
    assert len(row) == 1
    agency, place, day, headline, body, source_format = row[0]
    assert (agency, place, day) == ("Jiji Press", "Washington", date(2026, 1, 15))
    assert headline == "Japan, U.S. Defense Chiefs Agree to Boost Deterrence"
    assert body.startswith("Japanese Defense Minister Shinjiro Koizumi")
    assert "END" not in body and "Copyright" not in body and headline not in body
    assert source_format == "wire-text"

    koizumi = _rows(warehouse, """
        SELECT m.text, substr(d.body, m.start_char + 1, m.end_char - m.start_char)
        FROM mentions m JOIN dispatches d USING (version_id)
        WHERE m.label = 'PERSON' AND m.text = 'Shinjiro Koizumi'""")
    assert koizumi and all(text == sliced for text, sliced in koizumi)
    mismatched = _rows(warehouse, """
        SELECT count(*) FROM mentions m JOIN dispatches d USING (version_id)
        WHERE substr(d.body, m.start_char + 1, m.end_char - m.start_char) <> m.text""")
    assert mismatched == [(0,)]

    tasks = asyncio.run(_task_names(state.state_details.flow_run_id))
    assert _task_counts(tasks) == {"discover": 1, "parse": 1, "tag": 1, "commit": 1, "record-run": 1}

    again = nightly(source=str(landing), warehouse=str(warehouse))
    assert (again.files_seen, again.files_ingested, again.dispatches_written) == (1, 0, 0)
    assert "Nothing new" in again.describe()
    runs = _rows(warehouse, "SELECT dispatches_written, status FROM runs ORDER BY started_at")
    assert runs == [(1, "completed"), (0, "completed")]
    assert _rows(warehouse, "SELECT count(*) FROM dispatches") == [(1,)]

    # One task per batch, never per dispatch: five dispatches in three files, two files a batch.
    more = tmp_path / "more"
    more.mkdir()
    for number in range(3):
        records = [{"headline": f"Record {number}-{i}", "agency": "Reuters",
                    "body": f"GENEVA (Reuters) - Officials met on Monday for round {number}-{i}.",
                    "published_at": "2026-01-14T08:00:00Z"} for i in range(1 + number % 2 * 2)]
        (more / f"records-{number}.jsonl").write_text(
            "\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    # settle_seconds=0: the files were written a moment ago. The two runs before left 6
    # `_commits` files and this one's commits add 4: at 8 a compaction is due (the default, 200,
    # did not compact the runs above), and it merges the two batches' files of 2026-01-14.
    state = nightly(source=str(more), warehouse=str(warehouse), batch_files=2, settle_seconds=0,
                    compact_at_marker_files=8, return_state=True)
    assert state.result().dispatches_written == 5
    tasks = asyncio.run(_task_names(state.state_details.flow_run_id))
    assert _task_counts(tasks) == {"discover": 1, "parse": 2, "tag": 2, "commit": 2, "compact": 1,
                                   "record-run": 1}
    assert _rows(warehouse, "SELECT count(*) FROM dispatches") == [(6,)]
    files = DeltaTable(str(warehouse / "dispatches")).file_uris()
    assert len([f for f in files if "published_date=2026-01-14" in f]) == 1
    assert len(DeltaTable(str(warehouse / "_commits")).file_uris()) < 8

    # A compaction that fails (another S3 writer's won the race, a full disk) leaves the run's
    # committed batches and its completed status alone: it is maintenance, left for next time.
    def failing_compaction(*args, **kwargs):
        raise OSError("simulated: another writer's OPTIMIZE came first")

    monkeypatch.setattr("flows.nightly.compact_task", failing_compaction)
    (more / "records-late.jsonl").write_text(json.dumps(
        {"headline": "Record late", "agency": "Reuters", "published_at": "2026-01-14T09:00:00Z",
         "body": "GENEVA (Reuters) - Officials met again on Tuesday."}) + "\n", encoding="utf-8")
    late = nightly(source=str(more), warehouse=str(warehouse), settle_seconds=0,
                   compact_at_marker_files=1)
    assert (late.status, late.dispatches_written) == ("completed", 1)
    assert _rows(warehouse, "SELECT status FROM runs ORDER BY started_at DESC LIMIT 1") == [("completed",)]
    assert _rows(warehouse, "SELECT count(*) FROM dispatches") == [(7,)]


def _task_counts(names: list[str]) -> dict[str, int]:
    """Task runs per task: a run's name is the task's name and a random suffix."""
    return dict(Counter(name.rsplit("-", 1)[0] for name in names))


def test_cli_quarantines_bad_files_and_keeps_the_good(tmp_path: Path, jiji_sample: Path) -> None:
    landing = _landing_with_jiji(tmp_path, jiji_sample)
    (landing / "empty.txt").write_bytes(b"")
    (landing / "image.bin").write_bytes(bytes(range(256)) * 40)
    (landing / "notes.txt").write_text("shopping list: eggs, milk\n", encoding="utf-8")
    warehouse = tmp_path / "warehouse"
    wirehouse = Path(sys.executable).parent / "wirehouse"
    result = subprocess.run(
        # --settle 0: the bad files were written a moment ago.
        [str(wirehouse), "run", "--source", str(landing), "--warehouse", str(warehouse),
         "--settle", "0"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert "3 quarantined" in result.stdout
    reasons = _rows(warehouse, "SELECT source_uri, reason FROM quarantine ORDER BY source_uri")
    assert [(Path(uri).name, reason) for uri, reason in reasons] == [
        ("empty.txt", "empty_file"), ("image.bin", "binary_file"), ("notes.txt", "no_prose")]
    assert _rows(warehouse, "SELECT count(*) FROM dispatches") == [(1,)]
