"""Where a run's time goes: seconds per stage, summed, so a backfill can say what it spent on
parsing, the model, writing and committing (the benchmark prints the breakdown).

A worker writes the clock of each batch it tagged beside the batch's staged rows
(`timings.json`), since only paths travel between processes; the flow adds them up before the
batch folder is removed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

TIMINGS_FILE = "timings.json"


@dataclass
class StageClock:
    """Seconds spent per stage name; `with clock.stage("parse"): ...` adds to it.

    `cpu` holds the process's CPU seconds in each stage (all its threads: in the backfill's flow
    process that includes the Dask scheduler and Prefect's threads working meanwhile). Wall time
    alone cannot tell a stage's own work from its waiting for a core on a busy machine."""

    seconds: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started, cpu_started = time.perf_counter(), time.process_time()
        try:
            yield
        finally:
            self.add(name, time.perf_counter() - started)
            self.cpu[name] = self.cpu.get(name, 0.0) + time.process_time() - cpu_started

    def add(self, name: str, seconds: float) -> None:
        self.seconds[name] = self.seconds.get(name, 0.0) + seconds

    def merge(self, other: StageClock) -> None:
        for name, seconds in other.seconds.items():
            self.add(name, seconds)

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.seconds, sort_keys=True), encoding="utf-8")

    @classmethod
    def read(cls, path: Path) -> StageClock:
        """The clock written at `path`; an empty one when there is none (a batch with nothing
        to tag, or staged on a remote store)."""
        try:
            return cls(dict(json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            return cls()
