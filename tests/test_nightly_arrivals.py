"""The nightly run in real life: files still arriving, partial uploads, links out, a kill before
the archive move, a busy machine. Real Prefect runs with the real model."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import PROJECT_ROOT
from tests.hostile.landing import child_env, kill_group, run_wirehouse
from transforms.query import run_query

pytestmark = pytest.mark.slow

OLD = time.time() - 86400


def _dispatch(headline: str, place: str = "TOKYO", paragraphs: int = 2) -> str:
    body = [f"{place}, Jan 20 (Reuters) - Officials from Japan and France met on Tuesday in {place}."]
    body += [f"Paragraph {i}: the talks with the United Nations went on into the night." for i in
             range(1, paragraphs)]
    return f"{headline}\n" + "\n\n".join(body) + "\n\n(Reporting by Desk Staff)\n"


def _settled_file(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    os.utime(path, (OLD, OLD))
    return path


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


class SlowWriter(threading.Thread):
    """Writes a dispatch a paragraph at a time, every `interval` seconds, until told to finish."""

    def __init__(self, path: Path, interval: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.path, self.interval = path, interval
        self.finish, self.started_writing = threading.Event(), threading.Event()
        self.paragraphs = 0

    def run(self) -> None:
        with open(self.path, "w", encoding="utf-8") as handle:
            handle.write("Growing story\nTOKYO, Jan 20 (Reuters) - A story still on the wire.\n")
            handle.flush()
            self.started_writing.set()
            while not self.finish.is_set():
                time.sleep(self.interval)
                self.paragraphs += 1
                handle.write(f"\nParagraph {self.paragraphs} of the growing story.\n")
                handle.flush()
            handle.write("\nLast paragraph: the story is complete.\n\n(Reporting by Desk Staff)\n")


def test_a_file_written_during_a_run_is_deferred_then_read_once_complete(tmp_path: Path) -> None:
    from flows.nightly import nightly

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _settled_file(landing / "ready.txt", _dispatch("Ready story"))
    writer = SlowWriter(landing / "growing.txt")
    writer.start()
    assert writer.started_writing.wait(30)
    try:
        first = nightly(source=str(landing), warehouse=str(warehouse), settle_seconds=3)
    finally:
        writer.finish.set()
        writer.join(30)
    assert (first.files_seen, first.files_ingested, first.files_deferred) == (2, 1, 1)
    assert "1 still arriving" in first.describe()
    assert _rows(warehouse, "SELECT headline FROM dispatches") == [("Ready story",)]

    time.sleep(3.5)  # the writer is done: let the file settle
    second = nightly(source=str(landing), warehouse=str(warehouse), settle_seconds=3)
    assert (second.files_ingested, second.files_deferred, second.dispatches_written) == (1, 0, 1)
    third = nightly(source=str(landing), warehouse=str(warehouse), settle_seconds=3)
    assert (third.files_ingested, third.dispatches_written) == (0, 0)

    grown = _rows(warehouse, "SELECT body FROM dispatches WHERE headline = 'Growing story'")
    assert len(grown) == 1
    body = grown[0][0]
    assert writer.paragraphs >= 1
    assert f"Paragraph {writer.paragraphs} of the growing story." in body
    assert "the story is complete" in body
    assert _rows(warehouse, "SELECT count(*) FROM ingested_files") == [(2,)]
    assert _rows(warehouse, "SELECT files_deferred FROM runs ORDER BY started_at") == [(1,), (0,), (0,)]


def test_a_part_file_renamed_between_runs_is_read_once_by_its_final_name(tmp_path: Path) -> None:
    from flows.nightly import nightly

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    partial = _settled_file(landing / "kyodo" / "talks.txt.part", _dispatch("Talks story", paragraphs=4))
    first = nightly(source=str(landing), warehouse=str(warehouse))
    assert (first.files_seen, first.files_ingested, first.files_deferred) == (1, 0, 1)
    assert _rows(warehouse, "SELECT count(*) FROM dispatches") == [(0,)]
    assert _rows(warehouse, "SELECT count(*) FROM quarantine") == [(0,)]

    partial.rename(landing / "kyodo" / "talks.txt")  # the upload finished: mtime stays old
    second = nightly(source=str(landing), warehouse=str(warehouse))
    assert (second.files_ingested, second.files_deferred, second.dispatches_written) == (1, 0, 1)
    rows = _rows(warehouse, "SELECT headline, source_uri, word_count FROM dispatches")
    assert len(rows) == 1 and rows[0][0] == "Talks story"
    assert rows[0][1].endswith("/kyodo/talks.txt") and rows[0][2] > 30


def test_symlinks_inside_are_read_and_links_out_are_quarantined_once(tmp_path: Path) -> None:
    from flows.nightly import nightly

    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    inside = _settled_file(landing / "feeds" / "inside.txt", _dispatch("Inside story"))
    outside = _settled_file(tmp_path / "etc" / "outside.txt", _dispatch("Outside story", "PARIS"))
    (landing / "link-in.txt").symlink_to(inside)
    (landing / "link-out.txt").symlink_to(outside)

    first = nightly(source=str(landing), warehouse=str(warehouse))
    assert (first.files_seen, first.dispatches_written, first.quarantined) == (3, 1, 1)
    assert _rows(warehouse, "SELECT headline FROM dispatches") == [("Inside story",)]
    refused = _rows(warehouse, "SELECT source_uri, reason, detail FROM quarantine")
    assert [(Path(uri).name, reason) for uri, reason, _ in refused] == [("link-out.txt", "outside_landing")]
    assert str(outside.resolve()) in refused[0][2]

    again = nightly(source=str(landing), warehouse=str(warehouse))
    assert (again.dispatches_written, again.quarantined) == (0, 0)
    assert _rows(warehouse, "SELECT count(*) FROM quarantine") == [(1,)]

    followed = nightly(source=str(landing), warehouse=str(warehouse), follow_links=True)
    assert (followed.files_ingested, followed.dispatches_written) == (1, 1)
    assert _rows(warehouse, "SELECT headline FROM dispatches ORDER BY headline") == [
        ("Inside story",), ("Outside story",)]


# A `wirehouse run` that is SIGKILLed at the first archive move: after the commit that wrote the
# batch returned, before any file left the landing folder.
KILLED_AT_FIRST_MOVE = """
import os, signal, sys
import transforms.landing as landing

def killed_before_the_move(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)

landing.archive_file = killed_before_the_move
from flows.cli import main
sys.argv = ["wirehouse", *sys.argv[1:]]
main()
"""


def test_archive_to_with_a_kill_between_commit_and_move(tmp_path: Path) -> None:
    landing, warehouse, archive = tmp_path / "landing", tmp_path / "warehouse", tmp_path / "done"
    texts = {
        Path("kyodo/2026/a.txt"): _dispatch("Story A"),
        Path("reuters/b.txt"): _dispatch("Story B", "GENEVA"),
    }
    for relative, text in texts.items():
        _settled_file(landing / relative, text)
    _settled_file(landing / "empty.txt", "")
    env = child_env(tmp_path, PYTHONPATH=str(PROJECT_ROOT))
    args = ["run", "--source", str(landing), "--warehouse", str(warehouse), "--archive-to", str(archive)]

    log = tmp_path / "killed-run.log"
    # Output to a file, not a pipe: Prefect's server process outlives the child and would hold
    # a pipe open.
    with open(log, "wb") as out:
        child = subprocess.Popen([sys.executable, "-c", KILLED_AT_FIRST_MOVE, *args], env=env,
                                 cwd=PROJECT_ROOT, stdout=out, stderr=subprocess.STDOUT,
                                 start_new_session=True)
    try:
        child.wait(timeout=600)
    finally:
        kill_group(child)
    assert child.returncode == -signal.SIGKILL, log.read_text(errors="replace")[-3000:]
    assert _rows(warehouse, "SELECT count(*) FROM dispatches") == [(2,)]  # committed
    assert all((landing / relative).exists() for relative in texts)  # nothing lost
    assert not any(p.is_file() for p in archive.rglob("*")) if archive.exists() else True

    result = run_wirehouse(args, env, timeout=600, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]
    assert "2 moved to the archive" in result.stdout
    assert _rows(warehouse, "SELECT count(*), count(DISTINCT version_id) FROM dispatches") == [(2, 2)]
    assert _rows(warehouse, "SELECT count(*) FROM ingested_files") == [(3,)]
    assert _rows(warehouse, "SELECT files_ingested FROM runs") == [(0,)]  # the killed run wrote none
    for relative, text in texts.items():
        assert (archive / relative).read_text(encoding="utf-8") == text
        assert not (landing / relative).exists()
    # The empty file gave no dispatch: it stays in the landing folder, beside its quarantine row.
    assert sorted(p.name for p in landing.rglob("*") if p.is_file()) == ["empty.txt"]
    assert sorted(p.name for p in archive.rglob("*") if p.is_file()) == ["a.txt", "b.txt"]


BUSY_LOOP = "import time\nend = time.monotonic() + {seconds}\nwhile time.monotonic() < end:\n    pass\n"


def test_a_run_succeeds_while_other_processes_saturate_the_cpu(tmp_path: Path) -> None:
    landing, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _settled_file(landing / "a.txt", _dispatch("Busy machine story"))
    env = child_env(tmp_path)
    # Four per core: enough that Prefect's stock 20 s start-up wait fails here (seen on 2 cores).
    hogs = max(8, 4 * (os.cpu_count() or 1))
    # Each hog ends by itself after at most 5 minutes, whatever happens to this test.
    busy = [subprocess.Popen([sys.executable, "-c", BUSY_LOOP.format(seconds=300)]) for _ in range(hogs)]
    try:
        started = time.monotonic()
        result = run_wirehouse(["run", "--source", str(landing), "--warehouse", str(warehouse)], env,
                               timeout=600, cwd=tmp_path)
        elapsed = time.monotonic() - started
    finally:
        for process in busy:
            process.kill()
            process.wait()
    print(f"wirehouse run beside {hogs} busy processes: {elapsed:.1f} s")
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    assert "1 new: 1 dispatches" in result.stdout
