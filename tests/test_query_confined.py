"""`wirehouse sql` reads only the pinned warehouse and the folders a user allows: never /proc,
/sys or /dev (the process environment holds the storage credentials), never warehouse files
outside the views, and a missing allowed file says "not found"."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app
from tests.test_query_read_only import user_csv, warehouse  # noqa: F401 - fixtures
from transforms.query import QueryRefused, ReadNotFound, run_query

NOT_ALLOWED = ("`wirehouse sql` reads only the warehouse and allowed folders; allow its folder "
               "with --allow-read DIR (or WIREHOUSE_ALLOW_READ)")


@pytest.mark.parametrize(("sql", "path"), [
    ("SELECT * FROM read_text('/etc/passwd')", "/etc/passwd"),
    ("SELECT * FROM glob('/root/*')", "/root/*"),
    ("SELECT * FROM '/etc/hostname'", "/etc/hostname"),
])
def test_a_file_outside_the_allowed_folders_is_refused(warehouse: Path, sql: str, path: str) -> None:  # noqa: F811
    with pytest.raises(QueryRefused) as refused:
        run_query(warehouse, sql, allow_read=[])
    assert str(refused.value) == f"refused reading {path}: {NOT_ALLOWED}"


@pytest.mark.parametrize("path", ["/proc/self/environ", "/proc/*/environ", "/sys/kernel/hostname",
                                  "/dev/zero", "/*/self/environ"])
def test_proc_sys_and_dev_are_never_read_even_when_everything_is_allowed(
    warehouse: Path, path: str  # noqa: F811
) -> None:
    with pytest.raises(QueryRefused) as refused:
        run_query(warehouse, f"SELECT * FROM read_text('{path}')", allow_read=["/"])
    assert str(refused.value) == f"refused reading {path}: nothing under /proc, /sys or /dev is ever read"


def test_a_link_in_an_allowed_folder_to_proc_is_refused(warehouse: Path, tmp_path: Path) -> None:  # noqa: F811
    mine = tmp_path / "links"
    mine.mkdir()
    (mine / "env.txt").symlink_to("/proc/self/environ")
    with pytest.raises(QueryRefused, match="nothing under /proc, /sys or /dev is ever read"):
        run_query(warehouse, f"SELECT * FROM read_text('{mine}/env.txt')", allow_read=[str(mine)])


def test_warehouse_files_are_read_only_through_the_views(warehouse: Path) -> None:  # noqa: F811
    for path in (f"{warehouse}/dispatches/**/*.parquet", f"{warehouse}/_commits/_delta_log/*.json"):
        with pytest.raises(QueryRefused) as refused:
            run_query(warehouse, f"SELECT count(*) FROM read_parquet('{path}')",
                      allow_read=[str(warehouse.parent)])
        assert str(refused.value) == (
            f"refused reading {path}: warehouse files are read through the views "
            "(dispatches, mentions, …), which read the pinned commit")


def test_an_allowed_folder_is_read_and_a_missing_file_there_is_not_found(
    warehouse: Path, user_csv: Path  # noqa: F811
) -> None:
    allowed = [str(user_csv.parent)]
    rows = run_query(warehouse, f"SELECT count(*) FROM read_csv('{user_csv}')", allow_read=allowed).rows
    assert rows == [(2,)]
    globbed = run_query(warehouse, f"SELECT count(*) FROM '{user_csv.parent}/*.csv'", allow_read=allowed)
    assert globbed.rows == [(2,)]
    with pytest.raises(ReadNotFound) as missing:
        run_query(warehouse, f"SELECT * FROM read_text('{user_csv.parent}/nope.txt')", allow_read=allowed)
    assert str(missing.value) == f"not found: {user_csv.parent}/nope.txt"


def test_the_cli_allows_folders_by_flag_or_setting(
    warehouse: Path, user_csv: Path, monkeypatch: pytest.MonkeyPatch  # noqa: F811
) -> None:
    monkeypatch.chdir(user_csv.parent)
    monkeypatch.delenv("WIREHOUSE_ALLOW_READ", raising=False)
    runner = CliRunner()
    sql = ["sql", "--warehouse", str(warehouse), "--format", "csv"]
    refused = runner.invoke(app, [*sql, "SELECT count(*) AS n FROM 'desk.csv'"])
    assert refused.exit_code == 2
    assert refused.output.splitlines()[0] == f"Error: refused reading desk.csv: {NOT_ALLOWED}"
    allowed = runner.invoke(app, [*sql, "--allow-read", ".", "SELECT count(*) AS n FROM 'desk.csv'"])
    assert (allowed.exit_code, allowed.output) == (0, "n\n2\n")
    by_setting = runner.invoke(app, [*sql, "SELECT count(*) AS n FROM 'desk.csv'"],
                               env={"WIREHOUSE_ALLOW_READ": f"/nowhere{os.pathsep}{user_csv.parent}"})
    assert (by_setting.exit_code, by_setting.output) == (0, "n\n2\n")
    missing = runner.invoke(app, [*sql, "--allow-read", ".", "SELECT * FROM read_text('gone.txt')"])
    assert missing.exit_code == 1
    assert missing.output.splitlines()[0] == "Error: not found: gone.txt"
    secret = runner.invoke(app, [*sql, "--allow-read", "/", "SELECT * FROM read_text('/proc/self/environ')"])
    assert secret.exit_code == 2
    assert secret.output.splitlines()[0] == (
        "Error: refused reading /proc/self/environ: nothing under /proc, /sys or /dev is ever read")


@pytest.fixture
def linked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An allowed folder `mine/` holding a CSV, a link to it, and (in `mine/out/`, or named by
    `outside_link`) links to a CSV outside; the working folder is tmp_path."""
    mine, outside = tmp_path / "mine", tmp_path / "outside"
    (mine / "out").mkdir(parents=True)
    outside.mkdir()
    (mine / "desks.csv").write_text("agency,desk\nKyodo,Asia\n", encoding="utf-8")
    (outside / "secret.csv").write_text("key,value\nAWS_SECRET,x\n", encoding="utf-8")
    (mine / "same-desks.csv").symlink_to("desks.csv")
    (mine / "out" / "secret.csv").symlink_to(outside / "secret.csv")
    monkeypatch.chdir(tmp_path)
    return mine


def test_a_link_in_an_allowed_folder_is_read_only_if_it_stays_inside(warehouse: Path, linked: Path) -> None:  # noqa: F811
    allowed = [str(linked)]
    inside = run_query(warehouse, "SELECT desk FROM read_csv('mine/same-desks.csv')", allow_read=allowed)
    assert inside.rows == [("Asia",)]
    target = linked.parent / "outside" / "secret.csv"
    with pytest.raises(QueryRefused) as refused:
        run_query(warehouse, "SELECT * FROM read_csv('mine/out/secret.csv')", allow_read=allowed)
    assert str(refused.value) == (
        f"refused reading mine/out/secret.csv: a link to {target}, outside the allowed folders; "
        "allow its folder with --allow-read DIR (or WIREHOUSE_ALLOW_READ)")


def test_a_glob_in_an_allowed_folder_reads_links_inside_and_names_a_link_out(
        warehouse: Path, linked: Path) -> None:  # noqa: F811
    allowed = [str(linked)]
    # Relative, from the working folder: the file and the link to it (a glob once found nothing).
    both = run_query(warehouse, "SELECT filename, desk FROM read_csv('mine/*.csv') ORDER BY 1",
                     allow_read=allowed)
    assert both.rows == [(f"{linked}/desks.csv", "Asia"), (f"{linked}/same-desks.csv", "Asia")]
    target = linked.parent / "outside" / "secret.csv"
    for pattern in ("mine/**/*.csv", f"{linked}/*/*.csv"):
        with pytest.raises(QueryRefused) as refused:
            run_query(warehouse, f"SELECT * FROM read_csv('{pattern}')", allow_read=allowed)
        match = os.path.abspath(pattern.replace("**/*", "out/secret").replace("*/*", "out/secret"))
        assert str(refused.value) == (
            f"refused reading {pattern}: it matches {match}, a link to {target}, outside the allowed "
            "folders; allow its folder with --allow-read DIR (or WIREHOUSE_ALLOW_READ)")
