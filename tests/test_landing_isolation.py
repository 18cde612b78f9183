"""One bad entry under a landing folder never stops a run: a name that is not valid UTF-8, a
folder the run cannot enter, a FIFO, a device, a symlink loop. Each becomes a quarantine row with
a reason (refused once, not every night), and the good files beside it arrive."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.direct_ingest import ingest
from transforms import landing
from transforms.query import run_query

OLD = time.time() - 86400
GOOD = ("Good story {n}\nTOKYO, Jan 20 (Reuters) - Officials from Japan met on Tuesday.\n\n"
        "(Reporting by Desk Staff)\n")


def _good(folder: Path, n: int) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"good-{n}.txt"
    path.write_text(GOOD.format(n=n), encoding="utf-8")
    os.utime(path, (OLD, OLD))
    return path


def _rows(warehouse: Path, sql: str) -> list[tuple]:
    return run_query(warehouse, sql).rows


def _headlines(warehouse: Path) -> list[str]:
    return [row[0] for row in _rows(warehouse, "SELECT headline FROM dispatches ORDER BY headline")]


def _quarantine(warehouse: Path) -> list[tuple]:
    return _rows(warehouse, "SELECT source_uri, reason, detail FROM quarantine ORDER BY source_uri")


def test_a_name_that_is_not_utf8_is_read_and_stored_with_its_bytes_escaped(tmp_path: Path) -> None:
    landing_dir, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _good(landing_dir, 1)
    raw_name = os.fsdecode(b"caf\xe9-story.txt")
    bad = landing_dir / raw_name
    bad.write_text(GOOD.format(n=2), encoding="utf-8")
    os.utime(bad, (OLD, OLD))
    ingest(landing_dir, warehouse)
    assert _headlines(warehouse) == ["Good story 1", "Good story 2"]
    uris = [row[0] for row in _rows(warehouse, "SELECT source_uri FROM dispatches ORDER BY headline")]
    assert uris[1] == f"{os.path.abspath(landing_dir)}/caf\\xe9-story.txt"
    ledger = [row[0] for row in _rows(warehouse, "SELECT source_uri FROM ingested_files")]
    assert f"{os.path.abspath(landing_dir)}/caf\\xe9-story.txt" in ledger


def test_printable_path_escapes_only_bytes_that_are_not_utf8() -> None:
    assert landing.printable_path("/in/Zürich.txt") == "/in/Zürich.txt"
    assert landing.printable_path(os.fsdecode(b"/in/\xff\xfe.txt")) == "/in/\\xff\\xfe.txt"


def test_a_folder_that_cannot_be_listed_is_quarantined_and_the_rest_arrives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    landing_dir, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _good(landing_dir, 1)
    _good(landing_dir / "locked", 2)
    _good(landing_dir / "zz-after", 3)
    real_scandir = os.scandir

    def scandir(path="."):
        if isinstance(path, str | os.PathLike) and Path(path).name == "locked":
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    ingest(landing_dir, warehouse)
    assert _headlines(warehouse) == ["Good story 1", "Good story 3"]
    locked = os.path.abspath(landing_dir / "locked")
    assert _quarantine(warehouse) == [
        (locked, "unreadable_folder",
         "cannot list this folder: Permission denied; nothing under it was read"),
    ]
    ingest(landing_dir, warehouse)  # the next night: refused once, not again
    assert len(_quarantine(warehouse)) == 1


def test_fifo_device_and_symlink_loop_are_quarantined_with_reasons(tmp_path: Path) -> None:
    landing_dir, warehouse = tmp_path / "landing", tmp_path / "warehouse"
    _good(landing_dir, 1)
    os.mkfifo(landing_dir / "pipe.xml")
    (landing_dir / "loop.xml").symlink_to("loop.xml")
    (landing_dir / "gone.xml").symlink_to("nowhere.xml")
    (landing_dir / "null.xml").symlink_to("/dev/null")
    _good(landing_dir / "sub", 2)
    ingest(landing_dir, warehouse)
    assert _headlines(warehouse) == ["Good story 1", "Good story 2"]
    root = os.path.abspath(landing_dir)
    assert _quarantine(warehouse) == [
        (f"{root}/gone.xml", "broken_symlink", "symlink to nowhere.xml, which does not exist"),
        (f"{root}/loop.xml", "symlink_loop", "symlink loop: the link never reaches a file"),
        (f"{root}/null.xml", "not_a_regular_file", "a character device, not a file; not read"),
        (f"{root}/pipe.xml", "not_a_regular_file", "a FIFO (named pipe), not a file; not read"),
    ]


NOBODY_SCRIPT = """
import os, sys
from pathlib import Path
from transforms import landing
found = list(landing.landing_entries(Path(sys.argv[1])))
for entry in found:
    if isinstance(entry, landing.WalkProblem):
        print("problem", entry.path.name, entry.reason)
    else:
        print("file", entry.name)
"""


def test_a_folder_without_permission_is_a_problem_for_an_unprivileged_user() -> None:
    """Root ignores mode bits, so as root the walk runs as `nobody` (setpriv, util-linux) over a
    folder it may not enter (in a folder of its own under /tmp: pytest's tmp_path is private to
    root); any other user is unprivileged already and runs it as itself."""
    outer = Path(tempfile.mkdtemp(prefix="wirehouse-nobody-"))
    try:
        _walk_as_nobody(outer)
    finally:
        for folder in outer.rglob("*"):
            if folder.is_dir():
                folder.chmod(0o755)
        shutil.rmtree(outer)


def _walk_as_nobody(outer: Path) -> None:
    outer.chmod(0o755)
    landing_dir = outer / "landing"
    _good(landing_dir, 1)
    _good(landing_dir / "no-x", 2)
    _good(landing_dir / "no-r", 3)
    landing_dir.chmod(0o755)
    (landing_dir / "no-x").chmod(0o644)
    (landing_dir / "no-r").chmod(0o311)
    # The walk's code, copied where `nobody` may read it: the checkout may sit in a folder only
    # root can enter (a clone under `mktemp -d` is mode 700).
    code = outer / "code"
    shutil.copytree(Path(__file__).resolve().parent.parent / "transforms", code / "transforms",
                    ignore=shutil.ignore_patterns("__pycache__"))
    as_nobody = (["setpriv", "--reuid=nobody", "--regid=nogroup", "--clear-groups"]
                 if os.geteuid() == 0 else [])
    result = subprocess.run(
        [*as_nobody, sys.executable, "-c", NOBODY_SCRIPT, str(landing_dir)],
        capture_output=True, text=True, cwd=outer, timeout=120,
        env={**os.environ, "PYTHONPATH": str(code)},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == [
        "file good-1.txt",
        "problem no-r unreadable_folder",
        "problem good-2.txt unreadable_entry",
    ]
