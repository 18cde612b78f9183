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


# Every command the README's command table promises, by name: removing one fails here. (New
# commands are welcome; the tests below make sure they are documented too.)
PROMISED = {"run", "sql", "check", "serve", "evaluate", "backfill", "compact", "retag",
            "seed-landing", "report", "inspect"}


def test_the_cli_has_the_commands_the_readme_promises() -> None:
    missing = PROMISED - set(COMMANDS)
    assert not missing, f"commands gone from the CLI: {sorted(missing)}"


def test_the_readme_command_table_lists_every_promised_command() -> None:
    readme = (PROJECT_ROOT / "README.md").read_text(encoding="utf-8")
    in_table = {line.split("`wirehouse ", 1)[1].split()[0].rstrip("`")
                for line in readme.splitlines() if line.startswith("| `wirehouse ")}
    assert in_table >= PROMISED, sorted(PROMISED - in_table)


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


def test_run_gives_the_flow_the_settle_default_the_environment_or_the_option(
    tmp_path, monkeypatch
) -> None:
    """What users get without saying anything is a 60 s settle time; $WIREHOUSE_SETTLE_SECONDS
    and --settle change it. Checked on the value the flow receives (no run, no waiting)."""
    import flows.nightly

    received: list[float] = []

    def recording_nightly(**kwargs):
        received.append(kwargs["settle_seconds"])
        return flows.nightly.RunSummary("r", 0, 0, 0, 0, 0, "succeeded")

    monkeypatch.setattr(flows.nightly, "nightly", recording_nightly)
    landing = tmp_path / "landing"
    landing.mkdir()
    args = ["run", "--source", str(landing), "--warehouse", str(tmp_path / "wh")]
    runner = CliRunner()
    for extra, env in (([], {}), ([], {"WIREHOUSE_SETTLE_SECONDS": "300"}),
                       (["--settle", "5"], {"WIREHOUSE_SETTLE_SECONDS": "300"})):
        result = runner.invoke(app, args + extra, env=env)
        assert result.exit_code == 0, result.output
    assert received == [60.0, 300.0, 5.0]
