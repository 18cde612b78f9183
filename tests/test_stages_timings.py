"""The stage clock: wall seconds and the process's CPU seconds per stage."""

from __future__ import annotations

import time

from transforms.stages.timings import StageClock


def test_a_stage_that_waits_takes_wall_time_and_no_cpu() -> None:
    clock = StageClock()
    with clock.stage("waiting"):
        time.sleep(0.2)
    with clock.stage("working"):
        deadline = time.process_time() + 0.2
        while time.process_time() < deadline:
            pass
    with clock.stage("working"):
        pass
    assert clock.seconds["waiting"] >= 0.2 and clock.cpu["waiting"] < 0.05
    assert clock.cpu["working"] >= 0.2
    assert set(clock.cpu) == set(clock.seconds) == {"waiting", "working"}
