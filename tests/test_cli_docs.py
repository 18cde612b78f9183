"""Every CLI command documents itself with help and an example, and the README lists it."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.conftest import PROJECT_ROOT

COMMANDS = sorted(
    command.name or command.callback.__name__.replace("_", "-")
    for command in app.registered_commands
)


def test_the_cli_has_the_commands_the_readme_promises() -> None:
    assert {"run", "sql", "serve", "evaluate", "seed-landing"} <= set(COMMANDS)


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Example" in result.output, f"`wirehouse {command} --help` shows no example"
    assert f"wirehouse {command}" in result.output


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    assert f"wirehouse {command}" in readme, f"README does not mention `wirehouse {command}`"
