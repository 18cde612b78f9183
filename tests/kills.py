"""A kill inside the commit protocol, for tests: the named function of
`transforms.storage.commits` runs normally a few times, then the process "dies" there."""

from __future__ import annotations

import pytest

from transforms.storage import commits as storage_commits


class Killed(BaseException):
    """Stands for a SIGKILL: nothing after it runs (a BaseException, so no `except Exception`
    in the code under test can swallow it)."""


def kill_on(monkeypatch: pytest.MonkeyPatch, name: str, after_calls: int) -> None:
    """Let `storage.commits.<name>` run `after_calls` times, then raise Killed."""
    real = getattr(storage_commits, name)
    calls = {"n": 0}

    def dying(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] > after_calls:
            raise Killed()
        return real(*args, **kwargs)

    monkeypatch.setattr(storage_commits, name, dying)


def kill_before_table(monkeypatch: pytest.MonkeyPatch, table: str) -> None:
    """Let a commit apply its tables until it comes to `table`, then raise Killed there."""
    real = storage_commits.write_deltalake

    def dying(target, *args, **kwargs):
        if str(getattr(target, "table_uri", target)).rstrip("/").endswith(f"/{table}"):
            raise Killed()
        return real(target, *args, **kwargs)

    monkeypatch.setattr(storage_commits, "write_deltalake", dying)
