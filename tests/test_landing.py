"""Discovery in a landing folder that is still being written to, and moving files to an archive."""

from __future__ import annotations

import errno
import fnmatch
import os
import time
from pathlib import Path

import pytest

from transforms import landing, rows, stages
from transforms.landing import (
    PARTIAL_UPLOAD_PATTERNS,
    Arrival,
    archive_file,
    arrival_of,
    is_partial_upload_name,
)

OLD = time.time() - 3600
DISPATCH = "Talks resume\nTOKYO, Jan 5 (Reuters) - Officials met on Tuesday.\n"


def _file(path: Path, text: str = DISPATCH, mtime: float | None = OLD) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    if mtime is not None:
        os.utime(path, (mtime, mtime))
    return path


def _names(files: list[landing.SourceFile]) -> list[str]:
    return sorted(Path(f.found_at).name for f in files)


PARTIAL_SAMPLES = [
    "jiji.txt.part", "JIJI.TXT.PART", "feed.jsonl.partial", "x.xml.filepart", "a.zip.crdownload",
    "a.txt.opdownload", "a.txt.download", "a.txt.aria2", "a.txt.!ut", "a.txt.!qb", "a.txt.!sync",
    "upload.tmp", "upload.temp", "a.txt.swp", "a.txt.sb-5a1a3d3c-0ZfjPr", "a.txt~", "~$report.docx",
]


@pytest.mark.parametrize("name", PARTIAL_SAMPLES)
def test_partial_upload_names_are_recognised(name: str) -> None:
    assert is_partial_upload_name(name)


@pytest.mark.parametrize("name", [
    "jiji.txt", "parts.txt", "report.partly.txt", "bundle.zip", "feed.jsonl", "temperature.xml",
    "download-2026.txt", "tmp.txt", "a-tilde~b.txt",
])
def test_ordinary_names_are_not(name: str) -> None:
    assert not is_partial_upload_name(name)


def test_every_pattern_has_a_sample_above() -> None:
    # PARTIAL_UPLOAD_PATTERNS is the one place to add a pattern; each needs a sample name here.
    for pattern in PARTIAL_UPLOAD_PATTERNS:
        assert any(fnmatch.fnmatchcase(n.lower(), pattern) for n in PARTIAL_SAMPLES), pattern


def test_settle_time_defers_recent_files_only(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    now = time.time()
    fresh = _file(root / "fresh.txt", mtime=now - 5)
    settled = _file(root / "settled.txt", mtime=now - 120)
    clock_ahead = _file(root / "ahead.txt", mtime=now + 10)
    set_far_ahead = _file(root / "far-ahead.txt", mtime=now + 86400 * 30)
    assert arrival_of(fresh, root, now, 60, False) is Arrival.SETTLING
    assert arrival_of(clock_ahead, root, now, 60, False) is Arrival.SETTLING
    assert arrival_of(settled, root, now, 60, False) is Arrival.READY
    assert arrival_of(set_far_ahead, root, now, 60, False) is Arrival.READY
    assert arrival_of(fresh, root, now, 0, False) is Arrival.READY
    assert arrival_of(fresh, root, now, 4, False) is Arrival.READY


def test_discover_defers_partial_names_recent_files_and_archives(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    _file(root / "ready.txt")
    _file(root / "sub" / "old-but-partial.txt.part")
    _file(root / "fresh.txt", text="other", mtime=None)
    (root / "bundle.zip").write_bytes(b"PK\x03\x04 still being copied")
    found = stages.discover([root], tmp_path / "warehouse", settle_seconds=60)
    assert found.files_seen == 4
    assert found.deferred == 3
    assert _names(found.fresh) == ["ready.txt"]

    everything = stages.discover([root], tmp_path / "warehouse", settle_seconds=0)
    assert everything.deferred == 1  # the .part file is left whatever the settle time
    assert _names(everything.fresh) == ["bundle.zip", "fresh.txt", "ready.txt"]


def test_a_file_that_changes_while_hashed_is_deferred(tmp_path: Path, monkeypatch) -> None:
    root = tmp_path / "landing"
    growing = _file(root / "growing.txt")
    real_read = landing.read_source_file

    def read_while_a_writer_appends(path: Path) -> landing.SourceFile:
        result = real_read(path)
        with open(growing, "a", encoding="utf-8") as handle:
            handle.write("more text arriving\n")
        return result

    monkeypatch.setattr(landing, "read_source_file", read_while_a_writer_appends)
    found = stages.discover([root], tmp_path / "warehouse", settle_seconds=0)
    assert (found.deferred, found.fresh) == (1, [])


def test_symlinks_out_of_the_landing_folder_are_refused_unless_followed(tmp_path: Path) -> None:
    root = tmp_path / "landing"
    target_inside = _file(root / "inside" / "story.txt")
    outside = _file(tmp_path / "elsewhere" / "secret.txt", text="not for us")
    (root / "link-in.txt").symlink_to(target_inside)
    (root / "link-out.txt").symlink_to(outside)
    (root / "linked-dir").symlink_to(tmp_path / "elsewhere", target_is_directory=True)

    found = stages.discover([root], tmp_path / "warehouse")
    refused = [f for f in found.fresh if f.refusal]
    read = [f for f in found.fresh if not f.refusal]
    assert [(Path(f.found_at).name, f.refusal, f.sha256) for f in refused] == [
        ("link-out.txt", "outside_landing", "")
    ]
    # The inside link and its target are the same bytes: read once.
    assert len(read) == 1 and Path(read[0].path) == target_inside.resolve()
    assert landing.refusal_of(refused[0]).detail.startswith(f"symlink to {outside.resolve()}")

    followed = stages.discover([root], tmp_path / "warehouse", follow_links=True)
    assert sorted(Path(f.path).name for f in followed.fresh) == ["secret.txt", "story.txt"]
    assert not any(f.refusal for f in followed.fresh)


def test_archive_file_keeps_the_relative_path(tmp_path: Path) -> None:
    root, archive = tmp_path / "landing", tmp_path / "archive"
    found = _file(root / "kyodo" / "2026" / "a.txt")
    sha = landing.file_sha256(found)
    moved = archive_file(found, sha, root, archive)
    assert moved == archive / "kyodo" / "2026" / "a.txt"
    assert not found.exists() and moved.read_text(encoding="utf-8") == DISPATCH


def test_archive_leaves_a_file_replaced_since_it_was_read(tmp_path: Path) -> None:
    root, archive = tmp_path / "landing", tmp_path / "archive"
    found = _file(root / "a.txt")
    sha = landing.file_sha256(found)
    found.write_text(DISPATCH + "a second paragraph arrived\n", encoding="utf-8")
    assert archive_file(found, sha, root, archive) is None
    assert found.exists() and not (archive / "a.txt").exists()


def test_archive_finishes_an_interrupted_move(tmp_path: Path) -> None:
    root, archive = tmp_path / "landing", tmp_path / "archive"
    found = _file(root / "a.txt")
    sha = landing.file_sha256(found)
    _file(archive / "a.txt")  # a kill after the copy, before the landing copy was removed
    assert archive_file(found, sha, root, archive) == archive / "a.txt"
    assert not found.exists() and sorted(p.name for p in archive.iterdir()) == ["a.txt"]


def test_archive_never_overwrites_another_file(tmp_path: Path) -> None:
    root, archive = tmp_path / "landing", tmp_path / "archive"
    found = _file(root / "a.txt")
    sha = landing.file_sha256(found)
    _file(archive / "a.txt", text="yesterday's a.txt, other bytes")
    moved = archive_file(found, sha, root, archive)
    assert moved == archive / f"a.{sha[:12]}.txt"
    assert (archive / "a.txt").read_text(encoding="utf-8") == "yesterday's a.txt, other bytes"
    assert moved.read_text(encoding="utf-8") == DISPATCH and not found.exists()


def test_archive_across_file_systems_copies_then_removes(tmp_path: Path, monkeypatch) -> None:
    root, archive = tmp_path / "landing", tmp_path / "archive"
    found = _file(root / "a.txt")
    sha = landing.file_sha256(found)

    def cross_device(*_args, **_kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(landing.os, "link", cross_device)
    moved = archive_file(found, sha, root, archive)
    assert moved == archive / "a.txt" and moved.read_text(encoding="utf-8") == DISPATCH
    assert not found.exists()
    assert [p.name for p in archive.iterdir()] == ["a.txt"]  # no temporary left behind


class _Killed(BaseException):
    """A kill in the middle of a copy (not an Exception: nothing may catch it)."""


def test_a_copy_killed_across_file_systems_leaves_no_partial_file_at_the_archive_name(
    tmp_path: Path, monkeypatch
) -> None:
    root, archive = tmp_path / "landing", tmp_path / "archive"
    content = ("Talks resume\nTOKYO, Jan 5 (Reuters) - " + "Officials met. " * 13_400)[:200_000]
    found = _file(root / "a.txt", text=content)
    sha = landing.file_sha256(found)

    def cross_device(*_args, **_kwargs):
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    def killed_after_1000_bytes(source, destination, **_kwargs):
        with open(source, "rb") as src, open(destination, "wb") as dst:
            dst.write(src.read(1000))
        raise _Killed

    monkeypatch.setattr(landing.os, "link", cross_device)
    monkeypatch.setattr(landing.shutil, "copy2", killed_after_1000_bytes)
    with pytest.raises(_Killed):
        archive_file(found, sha, root, archive)
    assert not (archive / "a.txt").exists(), "a truncated file under the archive's name"
    assert landing.file_sha256(found) == sha
    monkeypatch.undo()
    monkeypatch.setattr(landing.os, "link", cross_device)
    # The next run finishes the move: the whole file, under its own name, nothing else.
    assert archive_file(found, sha, root, archive) == archive / "a.txt"
    assert (archive / "a.txt").read_text(encoding="utf-8") == content and not found.exists()
    assert [p.name for p in archive.iterdir()] == ["a.txt"]


def test_archive_with_a_landing_folder_named_relative_to_the_working_directory(
    tmp_path: Path, monkeypatch
) -> None:
    monkeypatch.chdir(tmp_path)
    found = _file(tmp_path / "landing" / "sub" / "a.txt")
    item = landing.SourceFile(str(found.resolve()), landing.file_sha256(found), found.stat().st_size,
                             found_at=os.path.abspath(found))
    moved = archive_file(Path(item.found_at), item.sha256, Path("landing"), Path("archive"))
    assert moved is not None and moved.resolve() == (tmp_path / "archive" / "sub" / "a.txt")


def test_backfill_stream_defers_and_refuses_like_the_nightly_run(tmp_path: Path) -> None:
    import pyarrow.parquet as pq

    from seeds import default_seeds_dir
    from transforms.reference import load_reference
    from transforms.stages.backfill import BatchStream

    archive = tmp_path / "archive"
    _file(archive / "1998" / "a.txt")
    _file(archive / "1998" / "b.txt.part")
    _file(archive / "1998" / "c.txt", text="still copying", mtime=None)
    (archive / "link-out.txt").symlink_to(_file(tmp_path / "elsewhere" / "x.txt", text="other"))
    reference = load_reference(default_seeds_dir())

    def stream(**options) -> tuple[BatchStream, list[dict]]:
        run = BatchStream(paths=[archive], warehouse=tmp_path / "wh", staging=tmp_path / "staging",
                          reference=reference, run_id="r", **options)
        refused = [row for batch in run.batches()
                   for row in pq.read_table(batch.folder / "quarantine.parquet").to_pylist()]
        return run, refused

    settled, refused = stream(settle_seconds=60)
    assert (settled.counts.files_seen, settled.counts.files_deferred, settled.counts.files_read) == (4, 2, 1)
    refusals = [(Path(r["source_uri"]).name, r["reason"]) for r in refused]
    assert refusals == [("link-out.txt", "outside_landing")]

    followed, refused = stream(follow_links=True)  # settle 0: the copying file is read too
    assert (followed.counts.files_deferred, followed.counts.files_read) == (1, 3)
    assert "outside_landing" not in [r["reason"] for r in refused]


def test_cli_refuses_an_archive_folder_inside_the_landing_folder(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from flows.cli import app

    (tmp_path / "landing").mkdir()
    landing = tmp_path / "landing"
    result = CliRunner().invoke(app, ["run", "--source", str(landing), "--warehouse",
                                      str(tmp_path / "wh"), "--archive-to", str(landing / "done")])
    assert result.exit_code == 2
    assert "must be outside the landing folder" in result.output
    assert not (tmp_path / "wh").exists()


def _cli_run_recording_the_flow(tmp_path: Path, monkeypatch, *options: str):
    """`wirehouse run` with the flow replaced by a recorder: what the CLI decides before it."""
    from typer.testing import CliRunner

    import flows.nightly
    from flows.cli import app

    calls: list[dict] = []

    def recording_nightly(**kwargs):
        calls.append(kwargs)
        return flows.nightly.RunSummary("r", 0, 0, 0, 0, 0, "succeeded")

    monkeypatch.setattr(flows.nightly, "nightly", recording_nightly)
    source = tmp_path / "landing"
    source.mkdir(exist_ok=True)
    result = CliRunner().invoke(app, ["run", "--source", str(source), "--warehouse",
                                      str(tmp_path / "wh"), *options])
    return result, calls


def test_cli_refuses_an_archive_folder_it_cannot_write(tmp_path: Path, monkeypatch) -> None:
    import flows.cli

    done = tmp_path / "done"
    done.mkdir()
    real_access = os.access

    def no_write_access_to_done(path, mode, *args, **kwargs):
        # The tests run as root here, which passes any permission check: say what a read-only
        # folder says to an ordinary user.
        if Path(path) == done.resolve() and mode & os.W_OK:
            return False
        return real_access(path, mode, *args, **kwargs)

    monkeypatch.setattr(flows.cli.os, "access", no_write_access_to_done)
    result, calls = _cli_run_recording_the_flow(tmp_path, monkeypatch, "--archive-to", str(done))
    assert result.exit_code != 0 and calls == []
    assert f"--archive-to {done} is not writable" in result.output
    monkeypatch.setattr(flows.cli.os, "access", real_access)
    result, calls = _cli_run_recording_the_flow(tmp_path, monkeypatch, "--archive-to", str(done))
    assert result.exit_code == 0, result.output
    assert [c["archive_to"] for c in calls] == [str(done.resolve())]


def test_a_failed_archive_move_is_a_warning_in_the_run_log(tmp_path: Path, monkeypatch) -> None:
    from datetime import UTC, datetime

    import pyarrow as pa

    import flows.nightly
    from schemas.tables import INGESTED_FILES

    root, archive, warehouse = tmp_path / "landing", tmp_path / "archive", tmp_path / "wh"
    found = _file(root / "stuck.txt")
    item = landing.SourceFile(str(found.resolve()), landing.file_sha256(found),
                              found.stat().st_size, found_at=os.path.abspath(found))
    ledger = [rows.ledger_row(item, 1, 0, "r1", datetime.now(UTC))]
    stages.commit_batches([], warehouse, "c1",
                          extra={"ingested_files": pa.Table.from_pylist(ledger, INGESTED_FILES.schema)})
    file_list = stages.write_file_list([item], tmp_path / "ingested-before.json")

    def disk_full(*_args):
        raise OSError(errno.ENOSPC, "No space left on device")

    class RecordingLogger:
        warnings: list[str] = []

        def warning(self, message: str, *args: object) -> None:
            self.warnings.append(message % args)

    logger = RecordingLogger()
    monkeypatch.setattr(landing, "archive_file", disk_full)
    monkeypatch.setattr(flows.nightly, "get_run_logger", lambda: logger)
    moved = flows.nightly.archive_task.fn(str(file_list), str(warehouse), str(root), str(archive))
    assert moved == 0 and found.exists()
    assert len(logger.warnings) == 1
    assert logger.warnings[0].startswith("not archived, left in the landing folder: ")
    assert "stuck.txt" in logger.warnings[0] and "No space left on device" in logger.warnings[0]


def test_source_uri_keeps_where_the_file_was_found_after_it_is_archived(tmp_path: Path) -> None:
    from tests.direct_ingest import ingest
    from transforms.query import run_query

    root, archive, warehouse = tmp_path / "landing", tmp_path / "archive", tmp_path / "wh"
    found = _file(root / "kyodo" / "a.txt")
    ingest(root, warehouse)
    items = stages.discover([root], warehouse).ingested_before
    result = stages.archive_ingested(items, warehouse, root, archive)
    assert (result.moved, result.failed) == (1, ())
    assert not found.exists() and (archive / "kyodo" / "a.txt").is_file()
    uris = run_query(warehouse, "SELECT DISTINCT source_uri FROM dispatches").rows
    assert uris == [(str(found.resolve()),)]
    assert stages.discover([root, archive], warehouse).fresh == [], "not read again from the archive"


def test_archive_ingested_moves_only_ledger_files_with_dispatches_and_survives_errors(
    tmp_path: Path, monkeypatch
) -> None:
    from datetime import UTC, datetime

    import pyarrow as pa

    from schemas.tables import INGESTED_FILES

    root, archive, warehouse = tmp_path / "landing", tmp_path / "archive", tmp_path / "wh"
    paths = {name: _file(root / name, text=f"{name} bytes") for name in
             ("good.txt", "refused.txt", "unknown.txt", "stuck.txt")}
    items = [landing.SourceFile(str(p.resolve()), landing.file_sha256(p), p.stat().st_size,
                               found_at=os.path.abspath(p)) for p in paths.values()]
    now = datetime.now(UTC)
    ledger = [rows.ledger_row(item, read, refused, "r1", now) for item, read, refused in
              ((items[0], 1, 0), (items[1], 0, 1), (items[3], 2, 0))]
    stages.commit_batches([], warehouse, "c1",
                          extra={"ingested_files": pa.Table.from_pylist(ledger, INGESTED_FILES.schema)})
    real_archive_file = landing.archive_file

    def disk_full_for_stuck(found: Path, *args):
        if found.name == "stuck.txt":
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_archive_file(found, *args)

    monkeypatch.setattr(landing, "archive_file", disk_full_for_stuck)
    result = stages.archive_ingested(items, warehouse, root, archive)
    assert result.moved == 1 and len(result.failed) == 1 and "stuck.txt" in result.failed[0]
    assert sorted(p.name for p in archive.iterdir()) == ["good.txt"]
    assert sorted(p.name for p in root.iterdir()) == ["refused.txt", "stuck.txt", "unknown.txt"]
