"""Prefect's temporary API server for one `wirehouse backfill`, started first thing.

Without `PREFECT_API_URL`, Prefect starts a temporary server (a uvicorn process) at a process's
first flow. The backfill used to ask it to start early, from a thread of the CLI's process
(`SubprocessASGIServer().start()`); measured on the 3,000-dispatch synthetic archive, that
thread first imported `prefect.server.api.server` (~3 CPU s, fighting the main thread's imports
for the GIL), so the server process began only ~4.5 s in, then took ~4 CPU s to come up while
the flow waited for it and the Dask workers, their model loaded, stood idle.

Here the same server process is spawned before anything imports Prefect, with the command and
variables Prefect 3's `SubprocessASGIServer` uses, on a free port, and `PREFECT_API_URL` is set
to it for this process (and its children): Prefect then only talks to it over HTTP and never
imports its server code in the CLI's process. The server is stopped when the process exits, as
Prefect stops its own.

Only when nothing names a server: not the environment, nor a settings file Prefect reads (a
profile, `.env`, `prefect.toml`, `pyproject.toml`), since the URL set here would win over it.
"""

from __future__ import annotations

import atexit
import importlib.util
import os
import socket
import subprocess
import sys
import time
import tomllib
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

API_URL_VARIABLE = "PREFECT_API_URL"
# How long to wait for the server: the variable Prefect reads for its own temporary server
# (`flows.settings.PREFECT_DEFAULTS` sets it), so one setting covers both starts.
STARTUP_TIMEOUT_VARIABLE = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
DEFAULT_STARTUP_TIMEOUT_SECONDS = 300.0
# What Prefect's SubprocessASGIServer adds to the server's environment: no UI, and the server
# knows it is a temporary one.
SERVER_ENVIRONMENT = {
    "PREFECT_UI_ENABLED": "0", "PREFECT__SERVER_EPHEMERAL": "1", "PREFECT__SERVER_FINAL": "1",
}
STOP_SECONDS = 5.0


def start_temporary_prefect_server() -> Callable[[], None]:
    """Spawn Prefect's temporary API server now, unless PREFECT_API_URL names a server, and point
    PREFECT_API_URL at it; returns the wait for it to answer. Call this before anything imports
    Prefect (its settings are read then; once imported, it is left to start its own server), and
    the wait before the first flow."""
    if os.environ.get(API_URL_VARIABLE):
        return lambda: None
    if "prefect" in sys.modules:
        # Prefect has read its settings without a URL: it would start a server of its own at
        # the first flow whatever this one did, so leave the start to it.
        return lambda: None
    if settings_files_may_name_a_server(Path.cwd()):
        # A URL set there must win, as it does for every other command: leave it to Prefect.
        return lambda: None
    port = _free_port()
    process = subprocess.Popen(server_command(port), env={**os.environ, **SERVER_ENVIRONMENT})
    atexit.register(stop_server, process)
    url = f"http://127.0.0.1:{port}/api"
    os.environ[API_URL_VARIABLE] = url
    timeout = float(os.environ.get(STARTUP_TIMEOUT_VARIABLE) or DEFAULT_STARTUP_TIMEOUT_SECONDS)
    return lambda: wait_for_server(process, url, timeout)


def settings_files_may_name_a_server(cwd: Path) -> bool:
    """Whether a file Prefect reads its settings from may set PREFECT_API_URL: the active
    profile of the user's profiles file, a `.env`, `prefect.toml` or `pyproject.toml`'s
    `[tool.prefect]` in `cwd`. Judged without importing Prefect, so anything unsure counts as
    yes (Prefect then starts its own temporary server, later, as for the other commands)."""
    dotenv = cwd / ".env"
    if dotenv.is_file() and "PREFECT_" in _text(dotenv):
        return True  # a URL, or a profiles file of its own
    if (cwd / "prefect.toml").exists():
        return True
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file() and "tool.prefect" in _text(pyproject):
        return True
    home = os.environ.get("PREFECT_HOME")
    for candidate in (os.environ.get("PREFECT_PROFILES_PATH"),
                      home and str(Path(home) / "profiles.toml"),
                      str(Path.home() / ".prefect" / "profiles.toml")):
        if candidate and Path(candidate).is_file():
            return _active_profile_may_name_a_server(Path(candidate))
    return False


def _active_profile_may_name_a_server(path: Path) -> bool:
    try:
        profiles = tomllib.loads(_text(path))
        active = os.environ.get("PREFECT_PROFILE") or profiles.get("active")
        settings = profiles.get("profiles", {}).get(active) if active else None
    except (tomllib.TOMLDecodeError, AttributeError, TypeError):
        return True
    if settings is None:
        return API_URL_VARIABLE in _text(path)  # Prefect falls back to a default profile
    return not isinstance(settings, dict) or API_URL_VARIABLE in settings


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return API_URL_VARIABLE  # unreadable: unsure


def server_command(port: int) -> list[str]:
    """The command Prefect 3 runs for its temporary server, on `port`."""
    spec = importlib.util.find_spec("prefect")  # found, not imported: importing it reads settings
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError("prefect is not installed")
    site = Path(next(iter(spec.submodule_search_locations))).parent
    return [
        sys.executable, "-m", "uvicorn", "--app-dir", str(site),
        "--factory", "prefect.server.api.server:create_app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "error", "--lifespan", "on",
    ]


def wait_for_server(process: subprocess.Popen, url: str, timeout: float) -> None:
    """Return once the server at `url` answers its health check; a clear error if its process
    ends first or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        code = process.poll()
        if code is not None:
            raise RuntimeError(
                f"Prefect's temporary API server exited with code {code} before it was up "
                f"({url}); run again, or set {API_URL_VARIABLE} to a running Prefect server"
            )
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=5) as response:
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass  # not listening yet
        if time.monotonic() > deadline:
            stop_server(process)
            raise RuntimeError(
                f"Prefect's temporary API server was not up after {timeout:.0f} s ({url}); "
                f"raise {STARTUP_TIMEOUT_VARIABLE} on a busy machine, or set {API_URL_VARIABLE}"
            )
        time.sleep(0.1)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    process.terminate()
    try:
        process.wait(timeout=STOP_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _free_port() -> int:
    # A port the kernel has just handed out and taken back is not handed out again soon; if
    # another process takes it all the same, the server exits and the wait says so.
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]
