"""One writer at a time: the lock of a local warehouse, and what every writer does around it.

`exclusive_writer` holds a warehouse for one writing flow; `refuse_if_busy` is its pre-check,
the same checks without taking the warehouse, so a command can say at once (before Prefect
starts) that it cannot write. Both are free of Prefect.
"""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from transforms.storage.legacy import refuse_legacy_layout
from transforms.storage.location import (
    Location,
    Warehouse,
    WarehouseError,
    check_reachable,
    location,
    writable_warehouse,
)
from transforms.storage.recovery import collect_garbage
from transforms.storage.s3_check import check_conditional_writes

LOCK_NAME = ".lock"


@dataclass(frozen=True)
class LockHolder:
    pid: int
    host: str
    started_at: str
    command: str


class WarehouseLock:
    """One writer at a time on a local warehouse. `flock` is dropped by the kernel when its
    holder dies, so a lock left by a killed run is never stale: the next writer gets it."""

    def __init__(self, warehouse: Warehouse, command: str, wait: bool = False, timeout: float = 0.0):
        self.path = location(warehouse).path / LOCK_NAME
        self.command = command
        self.wait = wait
        self.timeout = timeout
        self._fd: int | None = None

    def holder(self) -> LockHolder | None:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8") or "null")
        except (OSError, ValueError):
            return None
        return LockHolder(**data) if isinstance(data, dict) else None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError as exc:
                if exc.errno not in (errno.EAGAIN, errno.EACCES):
                    os.close(fd)
                    raise
                if not self.wait or (self.timeout and time.monotonic() > deadline):
                    holder = self.holder()
                    os.close(fd)
                    raise WarehouseError(_busy_message(self.path.parent, holder)) from None
                time.sleep(0.2)
        holder = LockHolder(
            pid=os.getpid(),
            host=socket.gethostname(),
            started_at=datetime.now(UTC).isoformat(timespec="seconds"),
            command=self.command,
        )
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(holder.__dict__).encode(), 0)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            os.ftruncate(self._fd, 0)
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> WarehouseLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def _busy_message(warehouse: Path, holder: LockHolder | None) -> str:
    who = (
        f"pid {holder.pid} on {holder.host}, `{holder.command}` since {holder.started_at}"
        if holder
        else "another process"
    )
    return (
        f"warehouse {warehouse} is in use by {who}. "
        "Only one run writes at a time: wait for it, or pass --wait."
    )


def writer_lock(loc: Location, command: str, wait: bool = False) -> AbstractContextManager[object]:
    """The lock one writer holds: the lock file of a local warehouse; none on S3, where every
    commit is claimed by a conditional write instead."""
    return nullcontext() if loc.remote else WarehouseLock(loc, command, wait=wait)


def _check_writable(loc: Location) -> None:
    """What every writer checks first: the storage answers, and the layout is not the old one."""
    check_reachable(loc)
    refuse_legacy_layout(loc)


@contextmanager
def exclusive_writer(warehouse: Warehouse, command: str, wait: bool) -> Iterator[None]:
    """Hold the warehouse for one writer: the lock (local warehouses), clear errors for disk,
    permission and storage failures, and commits of killed runs finished before and after."""
    loc = location(warehouse)
    with writable_warehouse(loc):
        _check_writable(loc)
        check_conditional_writes(loc)  # S3: once per warehouse, before its first write
        if not loc.remote:
            loc.path.mkdir(parents=True, exist_ok=True)
        with writer_lock(loc, command, wait):
            collect_garbage(loc)
            try:
                yield
            finally:
                collect_garbage(loc)


def refuse_if_busy(warehouse: Warehouse, command: str, wait: bool) -> None:
    """Raise at once what `exclusive_writer` would raise before its first write: an unreachable
    or unwritable warehouse, the old layout, another writer holding the lock (unless `wait`).

    Takes nothing and writes nothing, not even a missing warehouse folder: the flow holds the
    warehouse itself. This early probe only spares the user a start-up and a traceback.
    """
    loc = location(warehouse)
    with writable_warehouse(loc):
        if loc.remote or not loc.path.exists():
            check_reachable(loc)
            return
        _check_writable(loc)
        if not wait:
            with writer_lock(loc, command):
                pass
