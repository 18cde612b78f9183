"""A full disk or a warehouse the run may not write: a clear error and no partial commit.

Mechanisms, real ones first:

* full disk: a 6 MiB tmpfs mounted inside tmp_path (we run as root, in CI too); if mounting
  tmpfs is forbidden, a loop-mounted ext2 image. Both are real filesystems that really fill up;
  where neither can be made the test fails, saying why: it is never replaced by a fake.
* may not write: (1) the warehouse made read-only by modes (0555 folders, 0444 files) and the
  CLI run as root *without* the capabilities that let root ignore modes (`setpriv
  --bounding-set -dac_override,...`), so the kernel answers EACCES; (2) a read-only bind
  mount of the warehouse, so the kernel answers EROFS.

Each time a first run commits a snapshot; the failing run must exit 1 with a message naming the
problem, leave the commit markers (`_commits`' Delta log) byte for byte as they were, and DuckDB
(`run_query` and a plain connection executing `views.sql`) must read exactly the previous
snapshot. None of these tests skips: one that cannot set up its mechanism fails, since CI must
run them all.
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from schemas.tables import TABLES
from tests.hostile.landing import (
    WIREHOUSE,
    child_env,
    run_wirehouse,
    warm_up_prefect,
    write_wire_corpus,
)
from transforms import storage
from transforms.query import run_query

pytestmark = [pytest.mark.slow, pytest.mark.timeout(600)]

NO_DAC = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search,-fowner", "--"]

def _counts(warehouse: Path) -> dict[str, int]:
    return {name: run_query(warehouse, f"SELECT count(*) FROM {name}").rows[0][0] for name in TABLES}


def _plain_duckdb_counts(warehouse: Path) -> dict[str, int]:
    con = duckdb.connect()
    try:
        con.execute((warehouse / storage.VIEWS_NAME).read_text(encoding="utf-8"))
        return {name: con.execute(f"SELECT count(*) FROM {name}").fetchone()[0] for name in TABLES}
    finally:
        con.close()


@pytest.fixture(scope="module")
def prepared(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Two landing folders, and a warehouse holding the first one, made once for the module."""
    tmp = tmp_path_factory.mktemp("resources")
    first = tmp / "landing-first"
    write_wire_corpus(first, files=6, paragraphs=3, seed=1)
    second = tmp / "landing-second"
    write_wire_corpus(second, files=30, paragraphs=8, seed=2)
    env = child_env(tmp)
    warm_up_prefect(env, tmp)
    warehouse = tmp / "warehouse"
    result = run_wirehouse(["run", "--source", str(first), "--warehouse", str(warehouse)], env,
                           cwd=tmp)
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]
    return {"second": second, "env": env, "warehouse": warehouse}


def _first_snapshot(prepared: dict, warehouse: Path) -> dict:
    """A copy of the prepared warehouse at `warehouse` (views.sql rewritten for its new place,
    as any run there would); returns what must survive the failing run."""
    shutil.copytree(prepared["warehouse"], warehouse)
    storage.write_views_file(warehouse)
    return {"markers": _marker_log(warehouse), "counts": _counts(warehouse)}


def _marker_log(warehouse: Path) -> dict[str, bytes]:
    log = warehouse / storage.MARKER_TABLE / "_delta_log"
    return {p.name: p.read_bytes() for p in sorted(log.iterdir()) if p.is_file()}


def _assert_previous_snapshot(warehouse: Path, snapshot: dict) -> None:
    assert _marker_log(warehouse) == snapshot["markers"]
    assert _counts(warehouse) == snapshot["counts"]
    assert _plain_duckdb_counts(warehouse) == snapshot["counts"]
    assert snapshot["counts"]["dispatches"] > 0


def _last_line(result: subprocess.CompletedProcess) -> str:
    lines = result.stderr.strip().splitlines()
    return lines[-1] if lines else ""


@contextlib.contextmanager
def _small_disk(where: Path, size_kib: int) -> Iterator[str]:
    """A real small filesystem at `where`: tmpfs, else a loop-mounted ext2 image."""
    where.mkdir()
    tmpfs = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size_kib}k", "tmpfs", str(where)],
                           capture_output=True)
    if tmpfs.returncode == 0:
        mechanism = "tmpfs"
    else:
        image = where.with_suffix(".img")
        with open(image, "wb") as handle:
            handle.truncate(size_kib * 1024)
        made = subprocess.run(["mkfs.ext2", "-q", "-F", "-m", "0", str(image)], capture_output=True)
        loop = subprocess.run(["mount", "-o", "loop", str(image), str(where)], capture_output=True)
        if made.returncode or loop.returncode:
            pytest.fail("no small real filesystem can be made here: tmpfs mount said "
                        f"{tmpfs.stderr.decode()[:200]!r}, loop mount said "
                        f"{(made.stderr or loop.stderr).decode()[:200]!r}")
        mechanism = "loop-mounted ext2"
    try:
        yield mechanism
    finally:
        subprocess.run(["umount", "-l", str(where)], check=False)


def _fill(directory: Path, leave: int) -> Path:
    """Fill the filesystem, then give back `leave` bytes."""
    filler = directory / "filler.bin"
    block = b"\0" * 65536
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT, 0o644)
    try:
        while True:
            os.write(fd, block)
    except OSError as exc:
        assert exc.errno == errno.ENOSPC
    finally:
        os.close(fd)
    os.truncate(filler, max(filler.stat().st_size - leave, 0))
    return filler


@pytest.mark.parametrize("leave", [0, 32 * 1024], ids=["full", "nearly-full"])
def test_full_disk_fails_clearly_without_a_partial_commit(tmp_path: Path, prepared: dict,
                                                          leave: int) -> None:
    second, env = prepared["second"], prepared["env"]
    with _small_disk(tmp_path / "disk", 6 * 1024) as mechanism:
        print(f"full-disk mechanism: {mechanism}")
        warehouse = tmp_path / "disk" / "warehouse"
        snapshot = _first_snapshot(prepared, warehouse)
        args = ["run", "--source", str(second), "--warehouse", str(warehouse)]
        filler = _fill(tmp_path / "disk", leave)
        result = run_wirehouse(args, env, cwd=tmp_path)
        assert result.returncode == 1, result.stdout + result.stderr[-3000:]
        assert _last_line(result) == f"Error: no space left to write the warehouse at {warehouse}"
        assert "files seen" not in result.stdout
        _assert_previous_snapshot(warehouse, snapshot)

        if leave:
            # Space back: the same run now goes through (the empty and binary files are the
            # same bytes in both folders, so already in the ledger).
            filler.unlink()
            again = run_wirehouse(args, env, cwd=tmp_path)
            assert again.returncode == 0, again.stdout + again.stderr[-3000:]
            # A batch whose commit was decided before the disk filled is finished first (see
            # transforms.storage), so this run may find fewer than 28 new: none is lost or twice.
            assert "30 files seen" in again.stdout
            assert _counts(warehouse)["ingested_files"] == snapshot["counts"]["ingested_files"] + 28
            assert run_query(warehouse, "SELECT count(*) - count(DISTINCT version_id) FROM dispatches"
                             ).rows == [(0,)]


def _make_read_only(warehouse: Path) -> None:
    for root, dirs, files in os.walk(warehouse):
        for name in files:
            os.chmod(Path(root, name), 0o444)
        for name in dirs:
            os.chmod(Path(root, name), 0o555)
    os.chmod(warehouse, 0o555)


def _make_writable(warehouse: Path) -> None:
    os.chmod(warehouse, 0o755)
    for root, dirs, files in os.walk(warehouse):
        for name in dirs:
            os.chmod(Path(root, name), 0o755)
        for name in files:
            os.chmod(Path(root, name), 0o644)


def test_warehouse_without_write_permission(tmp_path: Path, prepared: dict) -> None:
    if not shutil.which("setpriv"):
        pytest.fail("setpriv (util-linux) is needed to drop root's override of file modes")
    second, env = prepared["second"], prepared["env"]
    warehouse = tmp_path / "warehouse"
    snapshot = _first_snapshot(prepared, warehouse)
    _make_read_only(warehouse)
    try:
        result = subprocess.run(
            [*NO_DAC, str(WIREHOUSE), "run", "--source", str(second), "--warehouse", str(warehouse)],
            capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300)
    finally:
        _make_writable(warehouse)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert _last_line(result).startswith(
        f"Error: cannot write the warehouse at {warehouse}: Permission denied"), result.stderr[-2000:]
    _assert_previous_snapshot(warehouse, snapshot)


def test_warehouse_on_a_read_only_mount(tmp_path: Path, prepared: dict) -> None:
    second, env = prepared["second"], prepared["env"]
    writable = tmp_path / "warehouse"
    snapshot = _first_snapshot(prepared, writable)
    mounted = tmp_path / "read-only"
    mounted.mkdir()
    bind = subprocess.run(["mount", "--bind", str(writable), str(mounted)], capture_output=True)
    if bind.returncode:
        pytest.fail(f"bind mounts are not allowed here: {bind.stderr.decode()[:200]}")
    try:
        remount = subprocess.run(["mount", "-o", "remount,bind,ro", str(mounted)], capture_output=True)
        assert remount.returncode == 0, remount.stderr
        result = run_wirehouse(["run", "--source", str(second), "--warehouse", str(mounted)], env,
                               cwd=tmp_path)
    finally:
        subprocess.run(["umount", "-l", str(mounted)], check=False)
    assert result.returncode == 1, result.stdout + result.stderr[-3000:]
    assert _last_line(result).startswith(
        f"Error: cannot write the warehouse at {mounted}: Read-only file system"), result.stderr[-2000:]
    _assert_previous_snapshot(writable, snapshot)
