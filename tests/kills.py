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
