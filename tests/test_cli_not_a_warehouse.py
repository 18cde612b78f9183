"""A path that names no warehouse is an error for every command that reads or maintains one:
`sql`, `check`, `report`, `retag` and `compact` say so in one line and exit 1, locally and on
S3, instead of answering "0 rows" or "All contracts hold." about nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.hostile.landing import child_env, run_wirehouse
from tests.s3_server import s3_endpoint

COMMANDS = (["sql", "SELECT count(*) FROM dispatches"], ["check"], ["retag"], ["compact"])


def _first_lines(args: list[str], warehouse: str, env: dict, cwd: Path) -> list[str]:
    result = run_wirehouse([*args, "--warehouse", warehouse], env, cwd=cwd, timeout=300)
    assert result.returncode == 1, (args, result.stdout, result.stderr[-2000:])
    return result.stderr.strip().splitlines()


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda tmp: tmp / "no-such-wh", "Error: warehouse {path} does not exist"),
        (lambda tmp: (tmp / "empty").mkdir() or tmp / "empty",
         "Error: warehouse {path} is empty: no run has committed to it yet (run `wirehouse run` first)"),
        (lambda tmp: Path("/etc"), "Error: {path} is not a wirehouse warehouse: it has no commit log "
                                   "(_commits/_delta_log)"),
        (lambda tmp: (tmp / "plain.txt").write_text("x") and tmp / "plain.txt",
         "Error: warehouse {path} is a file, not a warehouse folder"),
    ],
    ids=["missing", "empty", "etc", "plain-file"],
)
def test_a_local_path_that_is_not_a_warehouse_is_one_line_and_exit_1(
    tmp_path: Path, make, message: str
) -> None:
    path = make(tmp_path)
    env = child_env(tmp_path)
    for args in (*COMMANDS, ["report", "--out", str(tmp_path / "r.html")]):
        assert _first_lines(args, str(path), env, tmp_path) == [message.format(path=path)], args
    assert not (tmp_path / "r.html").exists()
    assert not (tmp_path / "no-such-wh").exists()  # nothing was created by looking


@pytest.mark.slow
def test_an_s3_prefix_that_is_not_a_warehouse_is_one_line_and_exit_1(tmp_path: Path) -> None:
    with s3_endpoint() as s3:
        s3.make_bucket("wh-nothing")
        s3.client().put_object(Bucket="wh-nothing", Key="other/readme.txt", Body=b"not a warehouse")
        env = child_env(tmp_path, **s3.env)
        for prefix, message in (
            ("s3://wh-nothing/typo", "Error: warehouse s3://wh-nothing/typo is empty: nothing is "
                                     "stored under that prefix (check the address, or run "
                                     "`wirehouse run` first)"),
            ("s3://wh-nothing/other", "Error: s3://wh-nothing/other is not a wirehouse warehouse: "
                                      "it has no commit log (_commits/_delta_log)"),
        ):
            for args in (*COMMANDS, ["report", "--out", str(tmp_path / "r.html")]):
                assert _first_lines(args, prefix, env, tmp_path) == [message], (prefix, args)
