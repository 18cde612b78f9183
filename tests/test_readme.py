"""The README's promises about the code: every `transforms` path or module it names exists."""

from __future__ import annotations

import importlib
import re

from tests.conftest import PROJECT_ROOT

README = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
SLASHED = sorted(set(re.findall(r"\btransforms/[\w/.\-]*[\w/]", README)))
DOTTED = sorted(set(re.findall(r"\btransforms(?:\.\w+)+", README)))


def test_the_readme_names_code_paths() -> None:
    assert "transforms/stages/" in SLASHED and len(SLASHED) > 5


def test_every_transforms_path_the_readme_names_exists() -> None:
    missing = [path for path in SLASHED if not (PROJECT_ROOT / path).exists()]
    assert not missing, f"the README names paths that do not exist: {missing}"


def test_every_dotted_transforms_name_the_readme_names_resolves() -> None:
    unresolved = []
    for name in DOTTED:
        parts = name.split(".")
        for cut in range(len(parts), 0, -1):
            try:
                found: object = importlib.import_module(".".join(parts[:cut]))
            except ModuleNotFoundError:
                continue
            try:
                for attribute in parts[cut:]:
                    found = getattr(found, attribute)
            except AttributeError:
                unresolved.append(name)
            break
    assert not unresolved, f"the README names modules or functions that do not exist: {unresolved}"


def test_the_readmes_prefect_artifact_commands_wait_as_long_as_wirehouse_does() -> None:
    """`prefect artifact ls` starts Prefect's ephemeral server itself: without the start-up wait
    the CLI sets, it times out on a busy machine."""
    from flows.settings import PREFECT_DEFAULTS

    block = README.split(".venv/bin/prefect artifact ls", 1)[0].rsplit("```sh", 1)[1]
    key = "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS"
    assert f"{key}={PREFECT_DEFAULTS[key]}" in block
