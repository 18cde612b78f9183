"""The backfill's own start of Prefect's temporary API server (flows/prefect_server.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest

from flows import prefect_server
from flows.prefect_server import (
    API_URL_VARIABLE,
    SERVER_ENVIRONMENT,
    server_command,
    start_temporary_prefect_server,
    stop_server,
)


def test_a_server_url_already_set_starts_nothing(monkeypatch) -> None:
    def refuse(*args, **kwargs):
        raise AssertionError("no process may be started")

    monkeypatch.setattr(prefect_server.subprocess, "Popen", refuse)
    monkeypatch.setenv(API_URL_VARIABLE, "http://127.0.0.1:4200/api")
    start_temporary_prefect_server()()
    assert os.environ[API_URL_VARIABLE] == "http://127.0.0.1:4200/api"


def test_the_command_and_variables_are_prefects_own(monkeypatch) -> None:
    """What Prefect's SubprocessASGIServer would run, captured instead of run: a Prefect upgrade
    that changes it fails here, not in a user's backfill."""
    from prefect.server.api import server

    seen: dict = {}

    def capture(args, env=None, **kwargs):
        seen.update(args=list(args), env=dict(env or {}))
        raise RuntimeError("captured")

    monkeypatch.setattr(server.subprocess, "Popen", capture)
    with pytest.raises(RuntimeError, match="captured"):
        server.SubprocessASGIServer(8765)._run_uvicorn_command()
    server.SubprocessASGIServer._instances.pop(8765, None)
    assert seen["args"] == server_command(8765)
    assert {k: seen["env"].get(k) for k in SERVER_ENVIRONMENT} == SERVER_ENVIRONMENT


def test_once_prefect_is_imported_it_is_left_to_start_its_own(monkeypatch) -> None:
    """Its settings were read without a URL: a server started now would be a second one."""
    import prefect  # noqa: F401 - imported is the point

    def refuse(*args, **kwargs):
        raise AssertionError("no process may be started")

    monkeypatch.setattr(prefect_server.subprocess, "Popen", refuse)
    monkeypatch.delenv(API_URL_VARIABLE, raising=False)
    start_temporary_prefect_server()()
    assert API_URL_VARIABLE not in os.environ


def _as_if_prefect_were_not_imported(monkeypatch, tmp_path: Path) -> None:
    """No Prefect imported, no URL in the environment, and no settings file that could set
    one: an empty working folder and home, no profiles file."""
    monkeypatch.delenv(API_URL_VARIABLE, raising=False)
    monkeypatch.delenv("PREFECT_PROFILES_PATH", raising=False)
    monkeypatch.delenv("PREFECT_PROFILE", raising=False)
    monkeypatch.delitem(sys.modules, "prefect", raising=False)
    for folder in ("cwd", "home", "prefect-home"):
        (tmp_path / folder).mkdir(exist_ok=True)
    monkeypatch.chdir(tmp_path / "cwd")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("PREFECT_HOME", str(tmp_path / "prefect-home"))


def _starts_a_server(monkeypatch) -> bool:
    started: list[list[str]] = []

    class Ended:  # what stop_server finds at exit: a process already gone
        def __init__(self, args, **kwargs) -> None:
            started.append(args)

        def poll(self) -> int:
            return 0

    monkeypatch.setattr(prefect_server.subprocess, "Popen", Ended)
    monkeypatch.setattr(prefect_server, "wait_for_server", lambda *args: None)
    start_temporary_prefect_server()()
    return bool(started)


PROFILES = """active = "{active}"

[profiles.ephemeral]
PREFECT_SERVER_ALLOW_EPHEMERAL_MODE = "true"

[profiles.work]
PREFECT_API_URL = "http://prefect.example:4200/api"
"""


@pytest.mark.parametrize(
    ("where", "text", "starts"),
    [
        ("prefect-home/profiles.toml", PROFILES.format(active="work"), False),
        ("prefect-home/profiles.toml", PROFILES.format(active="ephemeral"), True),
        ("home/.prefect/profiles.toml", PROFILES.format(active="work"), False),
        ("prefect-home/profiles.toml", "not [ toml", False),
        ("cwd/.env", "PREFECT_API_URL=http://prefect.example:4200/api\n", False),
        ("cwd/.env", "AWS_REGION=eu-west-1\n", True),
        ("cwd/prefect.toml", "[api]\nurl = 'http://prefect.example:4200/api'\n", False),
        ("cwd/pyproject.toml", "[tool.prefect.api]\nurl = 'http://prefect.example:4200/api'\n", False),
        ("cwd/pyproject.toml", "[project]\nname = 'mine'\n", True),
    ],
)
def test_a_server_named_in_prefects_settings_files_is_left_to_prefect(
    monkeypatch, tmp_path: Path, where: str, text: str, starts: bool
) -> None:
    """Else our URL in the environment would win over the user's server for the backfill."""
    _as_if_prefect_were_not_imported(monkeypatch, tmp_path)
    (tmp_path / where).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / where).write_text(text)
    assert _starts_a_server(monkeypatch) is starts
    assert (API_URL_VARIABLE in os.environ) is starts


def test_the_active_profile_can_be_chosen_by_the_environment(monkeypatch, tmp_path: Path) -> None:
    _as_if_prefect_were_not_imported(monkeypatch, tmp_path)
    (tmp_path / "prefect-home" / "profiles.toml").write_text(PROFILES.format(active="ephemeral"))
    monkeypatch.setenv("PREFECT_PROFILE", "work")
    assert not _starts_a_server(monkeypatch)


def test_a_server_that_exits_gives_a_clear_error(monkeypatch, tmp_path: Path) -> None:
    _as_if_prefect_were_not_imported(monkeypatch, tmp_path)
    monkeypatch.setattr(prefect_server, "server_command",
                        lambda port: [sys.executable, "-c", "raise SystemExit(3)"])
    wait = start_temporary_prefect_server()
    assert os.environ[API_URL_VARIABLE].startswith("http://127.0.0.1:")
    with pytest.raises(RuntimeError, match="exited with code 3 before it was up"):
        wait()


@pytest.mark.slow
def test_the_server_answers_after_the_wait_and_stops(monkeypatch, tmp_path: Path) -> None:
    _as_if_prefect_were_not_imported(monkeypatch, tmp_path)
    started: list[subprocess.Popen] = []
    real_popen = subprocess.Popen

    def remember(*args, **kwargs):
        started.append(real_popen(*args, **kwargs))
        return started[-1]

    monkeypatch.setattr(prefect_server.subprocess, "Popen", remember)
    wait = start_temporary_prefect_server()
    try:
        wait()
        url = os.environ[API_URL_VARIABLE]
        with urllib.request.urlopen(f"{url}/health", timeout=10) as response:
            assert response.status == 200 and json.loads(response.read()) is True
        [process] = started
        environment = Path(f"/proc/{process.pid}/environ").read_bytes().split(b"\0")
        for name, value in SERVER_ENVIRONMENT.items():
            assert f"{name}={value}".encode() in environment
    finally:
        for process in started:
            stop_server(process)
    assert started[0].poll() is not None


def _processes_with(variable: bytes) -> list[int]:
    """The live processes whose environment holds `variable` (NAME=value)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if variable in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
            except OSError:
                continue  # ended meanwhile, or not ours to read
    return found


@pytest.mark.slow
def test_a_backfill_without_a_server_url_starts_its_own_and_leaves_none_running(tmp_path: Path) -> None:
    from seeds import default_seeds_dir
    from transforms.query import run_query

    home = tmp_path / "prefect-home"
    env = {k: v for k, v in os.environ.items() if k != API_URL_VARIABLE} | {"PREFECT_HOME": str(home)}
    warehouse = tmp_path / "warehouse"
    # Output to a file, not a pipe: a server left running would hold a pipe open, and the run
    # would seem to hang rather than fail the check below.
    output = tmp_path / "backfill.log"
    with output.open("w") as log:
        code = subprocess.run(
            [str(Path(sys.executable).parent / "wirehouse"), "backfill",
             str(default_seeds_dir() / "dispatches"), "--warehouse", str(warehouse), "--workers", "1"],
            env=env, stdout=log, stderr=subprocess.STDOUT, timeout=600, check=False,
        ).returncode
    left_running = _processes_with(f"PREFECT_HOME={home}".encode())
    for pid in left_running:
        os.kill(pid, signal.SIGKILL)
    assert code == 0, output.read_text()[-3000:]
    assert run_query(warehouse, "SELECT flow, status FROM runs").rows == [("backfill", "completed")]
    assert (home / "prefect.db").exists(), "the flow ran against a server on this Prefect home"
    assert left_running == [], "the server was stopped at exit"


def test_the_cli_imports_no_prefect_before_its_backfill_command_starts_the_server() -> None:
    """Else `wirehouse backfill` would leave the start to Prefect, ~4 s later (see the module)."""
    probe = "import sys, flows.cli; print(sorted(m for m in sys.modules if m.split('.')[0] == 'prefect'))"
    shown = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert shown.stdout.strip() == "[]"
