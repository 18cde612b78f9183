"""One writer at a time on a local warehouse."""

from __future__ import annotations

import errno
import fcntl
import json
import os
import socket
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from transforms.storage.location import Warehouse, WarehouseError, location

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
