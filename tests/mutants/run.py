"""Apply each named break of `breaks.toml` to a scratch copy of the project, one at a time, run
the test files that should catch it, and print which breaks the tests catch and which survive.

    python -m tests.mutants.run                 # every break
    python -m tests.mutants.run NAME [NAME …]   # only these
    python -m tests.mutants.run --list          # the breaks, with the tests each one runs

A break is an exact text replacement in one file. If its old text is not found exactly once in
the project, the run stops before anything is copied: the code moved, and the break must be
written again (a break that no longer applies would otherwise "survive" or be "caught" for no
reason). The scratch copy leaves out .git, .venv and the warehouse; the tests run with this
Python (`sys.executable`) and the copy first on PYTHONPATH, so the installed package is not what
is tested. Before the breaks, the named tests run once on the unbroken copy and must pass
(`--no-baseline` skips that). Exit status: 0 when every break was caught, 1 when one survived,
2 when the check itself could not run.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
BREAKS_FILE = Path(__file__).with_name("breaks.toml")
# Left out of the scratch copy: history, environments, data, caches.
NOT_COPIED = (".git", ".venv", "warehouse", "demo", ".prefect-home", "__pycache__",
              ".pytest_cache", ".ruff_cache", "*.egg-info")
# A break's tests stop at the first failure (-x): one failing test is enough to call it caught.
PYTEST_ARGS = ("-q", "-x", "-rfE", "-p", "no:cacheprovider", "--no-header")
# "FAILED tests/x.py::test[a b] - AssertionError: …": a test id may hold spaces (parameters).
FAILED_LINE = re.compile(r"^(?:FAILED|ERROR) (.+?)(?: - .*)?$", re.MULTILINE)


class BreakError(Exception):
    """A break that cannot be applied as written."""


@dataclass(frozen=True)
class Break:
    name: str
    survivor: str  # the issue 23 item it stands for ("item" in the table), "" for our own
    file: str
    old: str
    new: str
    tests: tuple[str, ...]
    why: str = ""


@dataclass(frozen=True)
class Outcome:
    name: str
    survivor: str
    result: str  # caught, survived, error
    by: str
    seconds: float


def load_breaks(path: Path = BREAKS_FILE) -> list[Break]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    breaks = [Break(name=b["name"], survivor=str(b.get("survivor", "")), file=b["file"],
                    old=b["old"], new=b["new"], tests=tuple(b["tests"]), why=b.get("why", ""))
              for b in data["break"]]
    names = [b.name for b in breaks]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise BreakError(f"{path}: break names used twice: {', '.join(duplicates)}")
    return breaks


def check_applies(item: Break, root: Path) -> None:
    """Refuse a break whose old text is not in its file exactly once, or whose tests are missing."""
    target = root / item.file
    if not target.is_file():
        raise BreakError(f"{item.name}: {item.file} does not exist")
    found = target.read_text(encoding="utf-8").count(item.old)
    if found != 1:
        raise BreakError(f"{item.name}: the old text occurs {found} times in {item.file} "
                         "(expected exactly once); the code moved, write the break again")
    if item.old == item.new:
        raise BreakError(f"{item.name}: the new text is the old text")
    for test in item.tests:
        test_file = test.split("::", 1)[0]
        if not (root / test_file).is_file():
            raise BreakError(f"{item.name}: test file {test_file} does not exist")


def scratch_copy(root: Path) -> Path:
    """A copy of the project in a new temporary folder; `../shared` (the shared samples some
    tests read beside the project) is linked next to it."""
    scratch = Path(tempfile.mkdtemp(prefix="wirehouse-mutants-"))
    copy = scratch / root.name
    shutil.copytree(root, copy, symlinks=True, ignore=shutil.ignore_patterns(*NOT_COPIED))
    (copy / "warehouse").mkdir(exist_ok=True)
    shared = root.parent / "shared"
    if shared.exists():
        (scratch / "shared").symlink_to(shared.resolve())
    return copy


def test_env(copy: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("WIREHOUSE_")}
    env.pop("PREFECT_API_URL", None)
    env["PYTHONPATH"] = str(copy)
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    return env


def run_tests(copy: Path, tests: tuple[str, ...], timeout: float) -> tuple[int, str]:
    command = [sys.executable, "-m", "pytest", *PYTEST_ARGS, *tests]
    try:
        done = subprocess.run(command, cwd=copy, env=test_env(copy), capture_output=True,
                              text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return -1, f"timed out after {timeout:.0f} s"
    return done.returncode, done.stdout + done.stderr


def first_failure(output: str) -> str:
    match = FAILED_LINE.search(output)
    if match:
        return match[1]
    return "collection error" if "error" in output.lower() else "?"


def run_break(item: Break, copy: Path, timeout: float) -> Outcome:
    target = copy / item.file
    original = target.read_text(encoding="utf-8")
    started = time.monotonic()
    try:
        target.write_text(original.replace(item.old, item.new, 1), encoding="utf-8")
        code, output = run_tests(copy, item.tests, timeout)
    finally:
        target.write_text(original, encoding="utf-8")
    seconds = time.monotonic() - started
    if code == 0:
        return Outcome(item.name, item.survivor, "survived", "-", seconds)
    if code in (1, 2):  # tests failed, or collection failed on the broken code
        return Outcome(item.name, item.survivor, "caught", first_failure(output), seconds)
    return Outcome(item.name, item.survivor, "error", f"pytest exit {code}: {output.strip()[-200:]}",
                   seconds)


def print_table(outcomes: list[Outcome]) -> None:
    width = max([len("break")] + [len(o.name) for o in outcomes])
    print(f"{'break':<{width}}  {'item':<4}  {'result':<8}  {'seconds':>7}  caught by")
    for o in outcomes:
        print(f"{o.name:<{width}}  {o.survivor or '-':<4}  {o.result:<8}  {o.seconds:7.1f}  {o.by}")
    counts = {r: sum(o.result == r for o in outcomes) for r in ("caught", "survived", "error")}
    print(f"{len(outcomes)} breaks: {counts['caught']} caught, {counts['survived']} survived, "
          f"{counts['error']} could not run")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.mutants.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", help="run only these breaks (default: all)")
    parser.add_argument("--list", action="store_true", help="list the breaks and exit")
    parser.add_argument("--no-baseline", action="store_true",
                        help="skip running the tests once on the unbroken copy")
    parser.add_argument("--timeout", type=float, default=900.0,
                        help="seconds one break's tests may take (default 900)")
    args = parser.parse_args(argv)
    try:
        breaks = load_breaks()
        unknown = sorted(set(args.names) - {b.name for b in breaks})
        if unknown:
            raise BreakError(f"no such break: {', '.join(unknown)} (see --list)")
        chosen = [b for b in breaks if not args.names or b.name in args.names]
        for item in chosen:
            check_applies(item, PROJECT_ROOT)
    except BreakError as exc:
        print(f"mutants: {exc}", file=sys.stderr)
        return 2
    if args.list:
        for item in chosen:
            label = f" (issue 23 item {item.survivor})" if item.survivor else ""
            print(f"{item.name}{label}: {item.file}\n    {' '.join(item.tests)}")
        return 0
    copy = scratch_copy(PROJECT_ROOT)
    try:
        print(f"scratch copy: {copy}; {len(chosen)} breaks", flush=True)
        if not args.no_baseline:
            tests = tuple(dict.fromkeys(t for item in chosen for t in item.tests))
            started = time.monotonic()
            code, output = run_tests(copy, tests, args.timeout * 2)
            if code != 0:
                print(f"mutants: the tests fail on the unbroken copy (exit {code}), so no break "
                      f"can be judged:\n{output[-3000:]}", file=sys.stderr)
                return 2
            print(f"baseline: the named tests pass unbroken ({time.monotonic() - started:.1f} s)",
                  flush=True)
        outcomes = []
        for item in chosen:
            outcome = run_break(item, copy, args.timeout)
            print(f"  {outcome.name}: {outcome.result} ({outcome.seconds:.1f} s)", flush=True)
            outcomes.append(outcome)
    finally:
        shutil.rmtree(copy.parent, ignore_errors=True)
    print()
    print_table(outcomes)
    return 1 if any(o.result != "caught" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
