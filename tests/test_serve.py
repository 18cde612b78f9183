"""`wirehouse serve` registers the nightly deployment with its cron on a real Prefect server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import PROJECT_ROOT

pytestmark = pytest.mark.slow


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(url: str, proc: subprocess.Popen, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited early: {proc.stdout.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise AssertionError("prefect server did not become healthy")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def _read_deployment(api_url: str, name: str) -> dict | None:
    """The deployment as the server's REST API returns it; plain HTTP, because this process's
    own Prefect settings were fixed by earlier tests and point elsewhere."""
    response = httpx.get(f"{api_url}/deployments/name/{name}", timeout=5)
    return response.json() if response.status_code == 200 else None


def test_serve_registers_a_cron_deployment_on_a_real_server(tmp_path: Path) -> None:
    port = _free_port()
    api_url = f"http://127.0.0.1:{port}/api"
    env = dict(os.environ)
    env.update(
        PREFECT_HOME=str(tmp_path / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_SERVER_UI_ENABLED="false",
    )
    bin_dir = Path(sys.executable).parent
    server = subprocess.Popen(
        [str(bin_dir / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True,
    )
    served = None
    try:
        _wait_healthy(api_url, server)
        landing = tmp_path / "landing"
        landing.mkdir()
        serve_env = env | {"PREFECT_API_URL": api_url}
        served = subprocess.Popen(
            [str(bin_dir / "wirehouse"), "serve", "--source", str(landing),
             "--warehouse", str(tmp_path / "wh"), "--cron", "30 3 * * *",
             "--timezone", "Asia/Tokyo"],
            env=serve_env, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deployment = None
        deadline = time.monotonic() + 180
        while deployment is None and time.monotonic() < deadline:
            assert served.poll() is None, served.stdout.read().decode()[-3000:]
            deployment = _read_deployment(api_url, "nightly/wirehouse-nightly")
            if deployment is None:
                time.sleep(1)
        assert deployment is not None, "deployment never appeared"
        crons = [(s["schedule"]["cron"], s["schedule"]["timezone"]) for s in deployment["schedules"]]
        assert crons == [("30 3 * * *", "Asia/Tokyo")]
        assert deployment["parameters"]["source"] == str(landing.resolve())
    finally:
        if served is not None:
            _stop(served)
        _stop(server)


def test_serve_without_a_server_says_how_to_start_one(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "wirehouse"), "serve", "--source", str(tmp_path)],
        env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 1
    assert "prefect server start" in result.stderr
