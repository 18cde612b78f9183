"""A landing folder of ordinary dispatches, and helpers to run the `wirehouse` CLI as a child.

The crash, locking and resource tests all need a run that lasts a while and commits many
times; `write_wire_corpus` makes one from templates (deterministic: fixed seed, fixed file
times), and `start_wirehouse` starts the CLI in a process group of its own so that a test can
kill it, and anything Prefect started, at once.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import random
import signal
import subprocess
import sys
import zipfile
from datetime import UTC, datetime
from pathlib import Path

from tests.prefect_server import shared_api_url

WIREHOUSE = Path(sys.executable).parent / "wirehouse"
FILE_TIME = datetime(2026, 1, 20, 9, 0, tzinfo=UTC).timestamp()

_PLACES = [("TOKYO", "Reuters"), ("GENEVA", "Reuters"), ("BERLIN", "Reuters"), ("PARIS", "AFP"),
           ("WASHINGTON", "AP"), ("SEOUL", "Reuters"), ("NAIROBI", "AFP"), ("LIMA", "Reuters")]
_PEOPLE = ["Emmanuel Macron", "Olaf Scholz", "Sanae Takaichi", "Pete Hegseth", "Lee Jae-myung",
           "William Ruto", "Antonio Guterres", "Ursula von der Leyen", "Shinjiro Koizumi"]
_ORGS = ["the United Nations", "the European Union", "NATO", "the World Bank", "Toyota",
         "the International Monetary Fund", "Siemens", "the Red Cross"]
_COUNTRIES = ["France", "Germany", "Japan", "Kenya", "Peru", "South Korea", "China", "Brazil"]
_MONTHS = ["Jan"]


def _sentence(rng: random.Random) -> str:
    person, org, country = rng.choice(_PEOPLE), rng.choice(_ORGS), rng.choice(_COUNTRIES)
    other = rng.choice(_COUNTRIES)
    return rng.choice([
        f"{person} met officials from {org} in {country} on Tuesday to discuss trade with {other}.",
        f'"We will not accept this," {person} told reporters after talks with {org}.',
        f"Officials in {country} said {org} would send a delegation to {other} next month.",
        f"{person} said the agreement with {country} was a first step, according to {org}.",
        f"Analysts at {org} expect growth in {country} to slow, while {other} recovers.",
    ])


def wire_dispatch(rng: random.Random, number: int, paragraphs: int = 12) -> str:
    place, credit = rng.choice(_PLACES)
    day = 5 + number % 12
    headline = f"{rng.choice(_COUNTRIES)} and {rng.choice(_COUNTRIES)} talks, item {number}"
    lead = f"{place}, Jan {day} ({credit}) - {_sentence(rng)}"
    body = [lead] + [" ".join(_sentence(rng) for _ in range(3)) for _ in range(paragraphs)]
    return f"{headline}\n" + "\n\n".join(body) + "\n\n(Reporting by Desk Staff)\n"


def write_wire_corpus(folder: Path, files: int = 20, seed: int = 5, paragraphs: int = 12,
                      bulk_records: int = 0) -> list[Path]:
    """`files` inputs: wire text, one JSONL file, one zip of wire text, one empty and one binary
    file (quarantined), with fixed file times; with `bulk_records`, also `wire-005-bulk.jsonl`
    (sorted among the wire files), that many records over 40 days: a batch that parses, tags
    and commits (many partitions) slowly enough to be killed in the middle. Returns the paths."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    plain = max(files - 4, 1)
    for number in range(plain):
        path = folder / f"wire-{number:03d}.txt"
        path.write_text(wire_dispatch(rng, number, paragraphs), encoding="utf-8")
        written.append(path)
    records = [
        {"headline": f"Record {i}", "body": wire_dispatch(rng, 100 + i, 3).split("\n", 1)[1],
         "published_at": f"2026-01-1{i}T08:00:00Z", "agency": "Reuters"}
        for i in range(4)
    ]
    jsonl = folder / "records.jsonl"
    jsonl.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for i in range(3):
            info = zipfile.ZipInfo(f"bundle/item-{i}.txt", date_time=(2026, 1, 19, 8, 0, 0))
            archive.writestr(info, wire_dispatch(rng, 200 + i, 4))
    bundle = folder / "bundle.zip"
    bundle.write_bytes(buffer.getvalue())
    empty = folder / "empty.txt"
    empty.write_bytes(b"")
    binary = folder / "image.bin"
    binary.write_bytes(bytes(range(256)) * 16)
    written += [jsonl, bundle, empty, binary]
    if bulk_records:
        bulk = folder / "wire-005-bulk.jsonl"
        lines = [
            json.dumps({"headline": f"Bulk {i}", "agency": "AFP",
                        "published_at": f"2025-12-{1 + i % 31:02d}T0{i % 10}:00:00Z" if i % 4
                        else f"2026-01-{1 + i % 9:02d}T10:00:00Z",
                        "body": wire_dispatch(rng, 300 + i, 2).split("\n", 1)[1]})
            for i in range(bulk_records)
        ]
        bulk.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(bulk)
    for path in written:
        os.utime(path, (FILE_TIME, FILE_TIME))
    return written


def child_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment of a CLI child: no inherited WIREHOUSE_/PREFECT_ settings, and the test
    session's Prefect home (tests/conftest.py makes one per session) or else one in tmp_path.

    Sharing the session's home matters for time: Prefect's first start in a fresh home builds
    its database (~10 s on two cores), and these tests start the CLI dozens of times.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIREHOUSE_", "PREFECT_"))}
    home = Path(os.environ.get("PREFECT_HOME") or tmp_path / "prefect-home")
    home.mkdir(parents=True, exist_ok=True)
    env.update({
        "PREFECT_HOME": str(home),
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
        "PREFECT_LOGGING_LEVEL": "WARNING",
        "PREFECT_SERVER_LOGGING_LEVEL": "WARNING",
        "PYTHONUNBUFFERED": "1",
        "COLUMNS": "200",
    })
    # A loaded machine may need longer for Prefect's temporary server to answer: the caller's
    # choice is kept.
    timeout = os.environ.get("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS")
    if timeout:
        env["PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"] = timeout
    api_url = shared_api_url()  # the session's server (tests/prefect_server.py), if started
    if api_url:
        env["PREFECT_API_URL"] = api_url
    env.update(extra)
    return env


def warm_up_prefect(env: dict[str, str], tmp_path: Path) -> None:
    """Run the CLI once on an empty folder if the Prefect home has no database yet, so that the
    first timed or killed run does not pay for building it."""
    if any(Path(env["PREFECT_HOME"]).glob("*.db")):
        return
    empty = tmp_path / "warm-up-landing"
    empty.mkdir(exist_ok=True)
    result = run_wirehouse(["run", "--source", str(empty), "--warehouse", str(tmp_path / "warm-up")],
                           env, cwd=tmp_path)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-2000:]


def start_wirehouse(args: list[str], env: dict[str, str], log: Path | None = None,
                    **popen: object) -> subprocess.Popen:
    """`wirehouse ARGS` in a new session (its own process group), output to `log` or pipes."""
    out = open(log, "ab") if log else subprocess.PIPE  # noqa: SIM115 - child owns it
    try:
        return subprocess.Popen([str(WIREHOUSE), *args], env=env, stdout=out, stderr=subprocess.STDOUT
                                if log else subprocess.PIPE, start_new_session=True, **popen)
    finally:
        if log:
            out.close()


def run_wirehouse(args: list[str], env: dict[str, str], timeout: float = 300,
                  **popen: object) -> subprocess.CompletedProcess:
    return subprocess.run([str(WIREHOUSE), *args], env=env, capture_output=True, text=True,
                          timeout=timeout, start_new_session=True, **popen)


def kill_group(process: subprocess.Popen) -> None:
    """SIGKILL the child's whole process group (Prefect may have started a server in it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=60)
    # Reap stragglers that left the group's leader behind.
    try:
        os.killpg(process.pid, 0)
    except ProcessLookupError:
        return
    os.killpg(process.pid, signal.SIGKILL)
