"""Files derived once per machine from installed packages' data, then only read.

Some reference data ships in a form that is cheap to store but dear to load: GeoNames' places
as JSON (~100 MB of Python objects once built), py3langid's model compressed (~75 MB once
unpacked). Each tagging or parsing process of a backfill would hold its own copy. Instead the
data is derived once into files that a process maps or queries, paying only for what it reads.

* **Where:** `$XDG_CACHE_HOME/wirehouse` or `~/.cache/wirehouse`; the temporary folder when
  there is no home or it cannot be written. A derived file's name carries a key of everything
  it depends on (package versions, a format number), so a new version is a new file and nothing
  is ever changed in place; deleting the folder is always safe.
* **How:** by a child process (`python -m MODULE PATH`), so the memory the derivation touches
  never stays in a long-lived process; written under a temporary name and renamed into place,
  under a lock, so that processes starting together derive it once.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

BUILD_TIMEOUT_SECONDS = 300


def cache_folders(environ: Mapping[str, str] | None = None) -> list[Path]:
    """Where derived files may go, best first: the user's cache folder (XDG's convention), then
    the temporary folder."""
    env = os.environ if environ is None else environ
    folders = []
    if env.get("XDG_CACHE_HOME"):
        folders.append(Path(env["XDG_CACHE_HOME"]) / "wirehouse")
    elif env.get("HOME"):
        folders.append(Path(env["HOME"]) / ".cache" / "wirehouse")
    folders.append(Path(tempfile.gettempdir()) / f"wirehouse-{os.getuid()}")
    return folders


def ensure_built(path: Path, module: str) -> Path:
    """`path`, derived first by `python -m module path` if it does not exist yet. The module
    writes it whole or not at all (`partial_path`, then `os.replace`)."""
    if path.exists():
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(f".{path.name}.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # a second process waits here for the first's build
        if not path.exists():
            _build_in_child(path, module)
    return path


def partial_path(path: Path) -> Path:
    """Where a builder writes before renaming into `path` (its own, so never half-read)."""
    return path.with_name(f".{path.name}.{os.getpid()}.partial")


def _build_in_child(path: Path, module: str) -> None:
    # The child must import this package wherever it was loaded from (a checkout or an install).
    root = str(Path(__file__).resolve().parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH")) if p)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", module, str(path)],
            env=env, capture_output=True, text=True, timeout=BUILD_TIMEOUT_SECONDS, check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise RuntimeError(f"deriving {path} took over {BUILD_TIMEOUT_SECONDS} s") from error
    if done.returncode != 0 or not path.exists():
        raise RuntimeError(f"deriving {path} failed: {done.stderr.strip()[-2000:]}")
