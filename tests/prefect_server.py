"""One Prefect API server for the whole test session, shared by every CLI child.

Without it, each `wirehouse run` a test starts launches Prefect's temporary server of its own:
about 7-12 s of wall time and half of the child's CPU on two cores, paid by well over a hundred
children in the suite. The server here is the very instance Prefect's ephemeral mode uses in
this process (`SubprocessASGIServer()` is one object per port, and None is the ephemeral one),
so flows run in-process and in children report to one place, the session's PREFECT_HOME.

Tests about the temporary server itself (its start-up wait, artifacts that outlive a process)
build their child's environment without PREFECT_API_URL.
"""

from __future__ import annotations

import os

import httpx

API_URL = "PREFECT_API_URL"


def start_shared_server() -> str:
    """Start (once) the session's server and return its API URL; children that inherit the
    environment, or get it from `child_env`, use it instead of starting their own."""
    from prefect.server.api.server import SubprocessASGIServer

    server = SubprocessASGIServer()
    server.start()  # a no-op when this process already started it
    os.environ[API_URL] = server.api_url
    return server.api_url


def shared_api_url() -> str | None:
    """The session server's URL if it was started and still answers, else None (the child
    then starts a temporary server of its own, as a user's run would)."""
    url = os.environ.get(API_URL)
    if not url:
        return None
    try:
        healthy = httpx.get(f"{url}/health", timeout=10).status_code == 200
    except httpx.HTTPError:
        healthy = False
    if healthy:
        return url
    from prefect.server.api.server import SubprocessASGIServer

    SubprocessASGIServer().stop()  # it stopped answering: forget it and start another
    return start_shared_server()


def stop_shared_server() -> None:
    from prefect.server.api.server import SubprocessASGIServer

    SubprocessASGIServer().stop()
    os.environ.pop(API_URL, None)
