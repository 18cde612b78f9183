"""Test-wide setup: an isolated Prefect home with telemetry off, and shared sample paths."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest

from flows.settings import apply_prefect_defaults

# Prefect reads its settings on first import, so they must be in place before any test module
# imports it; each test session gets a Prefect home of its own.
_PREFECT_HOME = tempfile.mkdtemp(prefix="wirehouse-prefect-home-")
os.environ["PREFECT_HOME"] = _PREFECT_HOME
os.environ["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "WARNING")
os.environ.pop("PREFECT_API_URL", None)
# The rest of what the CLI sets, among it a start-up wait for Prefect's temporary server that a
# busy machine does not exceed (this session's first start also builds its database).
apply_prefect_defaults()
for _name in [k for k in os.environ if k.startswith("WIREHOUSE_")]:
    os.environ.pop(_name)

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SHARED_SAMPLES = PROJECT_ROOT.parent / "shared" / "samples"
JIJI_SAMPLE = SHARED_SAMPLES / "wire-text" / "000_a8b5fb1ea8790ba7.txt"


@pytest.fixture
def jiji_sample() -> Path:
    if not JIJI_SAMPLE.exists():
        pytest.fail(f"shared sample missing: {JIJI_SAMPLE} (../shared must sit beside the project)")
    return JIJI_SAMPLE


@pytest.fixture(scope="session", autouse=True)
def shared_prefect_server(request: pytest.FixtureRequest):
    """One Prefect server for the session's runs and CLI children (tests/prefect_server.py),
    started only when slow tests (the ones that run flows) are in the session."""
    if not any(item.get_closest_marker("slow") for item in request.session.items):
        yield None
        return
    from tests.prefect_server import start_shared_server, stop_shared_server

    yield start_shared_server()
    stop_shared_server()


# The longest test files, longest first, as measured (`make test` prints the slowest tests):
# started first, they run beside the many short files instead of after them. A file missing
# from here only starts later; nothing else depends on this list.
LONGEST_FILES = (
    "test_cli_s3.py",
    "test_storage_recovery.py",
    "test_hostile.py",
    "test_backfill.py",
    "test_storage_s3.py",
    "test_retag.py",
    "test_backfill_dask.py",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The longest files first, then the other files with slow tests, each file's tests in
    their own order: `make test` hands whole files to two workers (pytest-xdist, --dist
    loadfile, --no-loadscope-reorder) in this order, and a long file started last would leave
    one worker idle while the other finishes it."""
    slow_files = {item.path for item in items if item.get_closest_marker("slow")}

    def rank(item: pytest.Item) -> tuple[int, int]:
        if item.path.name in LONGEST_FILES:
            return (0, LONGEST_FILES.index(item.path.name))
        return (1 if item.path in slow_files else 2, 0)

    items.sort(key=rank)  # a stable sort keeps each file's tests, and the rest, in order
