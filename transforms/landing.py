"""What a landing folder holds right now: files ready to read, files still arriving, links out.

A nightly run meets uploads in progress. A file is left for a later run when its name is one
that upload tools give a file while writing it (`PARTIAL_UPLOAD_PATTERNS`, the one list of them)
or when it was modified within the settle time; a symlink whose target lies outside the landing
folder is refused (`outside_landing`) unless links are to be followed. Hidden files (rsync's
`.name.XXXXXX`, LibreOffice's `.~lock.name#`, ProFTPD's `.in.name.`) are never listed at all
(`landing_files`, the walk every run and backfill makes).

Also here: each file found as a `SourceFile` (its content hash and size), and moving an ingested
file to an archive folder without ever losing it.
"""

from __future__ import annotations

import errno
import fnmatch
import hashlib
import os
import shutil
import stat
from collections.abc import Iterator
from dataclasses import dataclass
from enum import Enum
from pathlib import Path

from transforms.records import Rejection

# Names a file carries while a tool is still writing it, matched case-insensitively against the
# file name. The finished file is renamed to its real name, which a later run then reads.
PARTIAL_UPLOAD_PATTERNS: tuple[str, ...] = (
    "*.part",  # Firefox, wget2, KDE, many FTP/SFTP clients
    "*.partial",  # older Firefox, Internet Explorer, Edge
    "*.filepart",  # WinSCP
    "*.crdownload",  # Chrome, Chromium, Edge
    "*.opdownload",  # Opera
    "*.download",  # Safari, some FTP clients
    "*.aria2",  # aria2's control file beside a download
    "*.!ut",  # uTorrent
    "*.!qb",  # qBittorrent
    "*.!sync",  # Resilio Sync
    "*.tmp",  # generic temporary file (Windows tools, many scripts)
    "*.temp",
    "*.swp",  # vim swap file when not hidden
    "*.sb-*",  # macOS safe-save temporary (name.sb-1234abcd-XyZ)
    "*~",  # editor backups and temporaries
    "~$*",  # Microsoft Office owner/lock file
)

SETTLE_SECONDS_DEFAULT = 60.0


class Arrival(Enum):
    """How a file found under a landing folder is to be treated by this run."""

    READY = "ready"
    PARTIAL_NAME = "partial_name"
    SETTLING = "settling"
    OUTSIDE_LANDING = "outside_landing"

    @property
    def deferred(self) -> bool:
        return self in (Arrival.PARTIAL_NAME, Arrival.SETTLING)


def is_partial_upload_name(name: str) -> bool:
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in PARTIAL_UPLOAD_PATTERNS)


def points_outside(path: Path, root: Path) -> bool:
    """Whether `path` (a symlink, or a file under one) resolves to a place outside `root`."""
    if root.is_file():
        return False  # a single file named on the command line is the landing itself
    target = Path(os.path.realpath(path))
    return not target.is_relative_to(Path(os.path.realpath(root)))


def modified_recently(mtime: float, now: float, settle_seconds: float) -> bool:
    """Modified within `settle_seconds` of now; a time a little in the future (a writer on
    another machine with a fast clock) counts as recent too. A time set far in the past or
    future by a tool (`touch -d`, `cp -p`) is taken as it is."""
    return settle_seconds > 0 and abs(now - mtime) < settle_seconds


def arrival_of(path: Path, root: Path, now: float, settle_seconds: float, follow_links: bool) -> Arrival:
    """What this run should do with `path`, found under the landing folder `root`."""
    if is_partial_upload_name(path.name):
        return Arrival.PARTIAL_NAME
    if not follow_links and points_outside(path, root):
        return Arrival.OUTSIDE_LANDING
    try:
        mtime = path.stat().st_mtime
    except OSError:
        return Arrival.READY  # the reader turns an unreadable file into a clear refusal
    if modified_recently(mtime, now, settle_seconds):
        return Arrival.SETTLING
    return Arrival.READY


@dataclass(frozen=True)
class FileState:
    """Size and modification time: if either changes while a file is hashed, it is still being
    written and the hash describes no complete file."""

    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: Path) -> FileState | None:
        try:
            info = path.stat()
        except OSError:
            return None
        return cls(info.st_size, info.st_mtime_ns)


# --- the walk ----------------------------------------------------------------------------------

HASH_CHUNK = 1 << 20


@dataclass(frozen=True)
class SourceFile:
    path: str
    sha256: str
    size: int
    # Where discovery found it (a symlink stays a symlink here, while `path` is resolved).
    found_at: str = ""
    # A reason to refuse it without reading it (a link out of the landing folder).
    refusal: str = ""
    # What the refusal says, when it is not a link out (a FIFO, an unreadable folder).
    refusal_detail: str = ""


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(HASH_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


# Why a walk left something unread: each becomes a quarantine row (refused once, not every
# night), so a user can see why a file never arrived, and the run goes on beside it.
UNREADABLE_FOLDER = "unreadable_folder"
UNREADABLE_ENTRY = "unreadable_entry"
NOT_A_REGULAR_FILE = "not_a_regular_file"
SYMLINK_LOOP = "symlink_loop"
BROKEN_SYMLINK = "broken_symlink"
WALK_REFUSALS: frozenset[str] = frozenset({
    UNREADABLE_FOLDER, UNREADABLE_ENTRY, NOT_A_REGULAR_FILE, SYMLINK_LOOP, BROKEN_SYMLINK,
})


@dataclass(frozen=True)
class WalkProblem:
    """Something under a landing folder that the walk could not take as a file to read."""

    path: Path
    reason: str
    detail: str


def printable_path(text: str) -> str:
    """A path as it is stored (`source_uri`): valid UTF-8 as it is; each byte of a name that is
    not valid UTF-8 (which Python carries as a lone surrogate) as `\\xNN`, so the raw bytes can
    be recovered and a table, which holds only valid text, can store it."""
    return os.fsencode(text).decode("utf-8", "backslashreplace")


def _kind_of(mode: int) -> str:
    if stat.S_ISFIFO(mode):
        return "a FIFO (named pipe)"
    if stat.S_ISCHR(mode):
        return "a character device"
    if stat.S_ISBLK(mode):
        return "a block device"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISDIR(mode):
        return "a folder"
    return "not a regular file"


def _entry_problem(path: Path) -> WalkProblem | None:
    """None for a regular file (or a link to one) to read; else why it is not read."""
    try:
        mode = os.stat(path).st_mode
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            return WalkProblem(path, SYMLINK_LOOP, "symlink loop: the link never reaches a file")
        if exc.errno == errno.ENOENT and os.path.islink(path):
            return WalkProblem(path, BROKEN_SYMLINK,
                               f"symlink to {os.readlink(path)}, which does not exist")
        return WalkProblem(path, UNREADABLE_ENTRY, f"cannot read: {exc.strerror or exc}")
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISDIR(mode):
        return None  # a symlinked folder: not followed (a link loop cannot trap the walk)
    return WalkProblem(path, NOT_A_REGULAR_FILE, f"{_kind_of(mode)}, not a file; not read")


def _walk_folder(folder: Path) -> Iterator[Path | WalkProblem]:
    try:
        with os.scandir(folder) as listing:
            entries = sorted(listing, key=lambda entry: entry.name)
    except OSError as exc:
        yield WalkProblem(folder, UNREADABLE_FOLDER,
                          f"cannot list this folder: {exc.strerror or exc}; nothing under it was read")
        return
    subfolders: list[Path] = []
    for entry in entries:
        if entry.name.startswith("."):
            continue
        path = Path(entry.path)
        try:
            is_folder = entry.is_dir(follow_symlinks=False)
        except OSError:
            is_folder = False
        if is_folder:
            subfolders.append(path)
            continue
        problem = _entry_problem(path)
        if problem is not None:
            yield problem
        elif not os.path.isdir(path):
            yield path
    for subfolder in subfolders:
        yield from _walk_folder(subfolder)


def landing_entries(source: Path) -> Iterator[Path | WalkProblem]:
    """Every regular file under source, subfolders included, in a stable order, and every thing
    the walk could not take (an unreadable folder, a FIFO or device, a link loop) as a
    `WalkProblem`, in its place: one bad entry never stops the walk.

    Hidden files and folders (editor swap files, .DS_Store) are not dispatches; symlinked
    folders are not followed, so a link loop cannot trap the walk.
    """
    if source.is_file():
        yield source
        return
    if not source.is_dir():
        return
    yield from _walk_folder(source)


def landing_files(source: Path) -> Iterator[Path]:
    """The regular files of `landing_entries`, problems left out."""
    for entry in landing_entries(source):
        if isinstance(entry, Path):
            yield entry


def read_source_file(path: Path) -> SourceFile:
    """A file's resolved path, content hash and size; an unreadable file gets no hash (the
    reader then turns it into a rejection, and there is nothing to put in the ledger)."""
    resolved = path.resolve()
    try:
        return SourceFile(str(resolved), file_sha256(resolved), resolved.stat().st_size)
    except OSError:
        return SourceFile(str(resolved), "", 0)


def problem_source(problem: WalkProblem) -> SourceFile:
    """A walk problem as a file refused unread, for the quarantine."""
    found_at = os.path.abspath(problem.path)
    return SourceFile(found_at, "", 0, found_at, problem.reason, problem.detail)


def refusal_of(source: SourceFile) -> Rejection:
    if source.refusal_detail:
        return Rejection(source.found_at or source.path, source.refusal, source.refusal_detail)
    target = os.path.realpath(source.found_at or source.path)
    return Rejection(source.found_at or source.path, source.refusal,
                     f"symlink to {target}, outside the landing folder; --follow-links reads it")


# --- archiving --------------------------------------------------------------------------------


def archive_path(found: Path, landing_root: Path, archive_root: Path) -> Path:
    """Where an ingested file goes: the same path relative to the landing folder."""
    if landing_root.is_file():
        return archive_root / found.name
    # Absolute but unresolved on both sides: a landing folder reached through a symlink, or
    # named relative to the working directory, still contains what was found under it.
    return archive_root / Path(os.path.abspath(found)).relative_to(os.path.abspath(landing_root))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _place_copy(found: Path, target: Path) -> None:
    """Put `found`'s bytes at `target` without ever exposing a partial file there: a hard link
    where possible (same file system), else a copy to a hidden name that is then renamed."""
    try:
        os.link(found, target, follow_symlinks=False)
        return
    except OSError as exc:
        if exc.errno == errno.EEXIST:
            raise
        if exc.errno not in (errno.EXDEV, errno.EPERM, errno.ENOTSUP, errno.EMLINK):
            raise
    partial = target.with_name(f".{target.name}.wirehouse-archiving")
    shutil.copy2(found, partial, follow_symlinks=False)
    with open(partial, "rb") as handle:
        os.fsync(handle.fileno())
    if target.exists() or target.is_symlink():
        partial.unlink()
        raise FileExistsError(errno.EEXIST, "archive target exists", str(target))
    os.replace(partial, target)


def archive_file(found: Path, sha256: str, landing_root: Path, archive_root: Path) -> Path | None:
    """Move an ingested file from the landing folder to the archive, keeping its relative path.

    Only the bytes that were ingested are moved: when the file at `found` no longer hashes to
    `sha256` (replaced since), it is left for the next run. The file is in the archive before
    it leaves the landing folder, so a kill at any point leaves at least one complete copy;
    the next run finds the landing copy in the ledger and finishes the move. A different file
    already at the archive path is kept, and this one goes beside it with its hash in the name.
    Returns where the file now is, or None when it was left in place.
    """
    if not found.is_file() or file_sha256(found) != sha256:
        return None
    target = archive_path(found, landing_root, archive_root)
    target.parent.mkdir(parents=True, exist_ok=True)
    for candidate in (target, target.with_name(f"{target.stem}.{sha256[:12]}{target.suffix}")):
        if candidate.is_file() and file_sha256(candidate) == sha256:
            break  # an earlier, interrupted move got this far
        if candidate.exists() or candidate.is_symlink():
            continue
        try:
            _place_copy(found, candidate)
        except FileExistsError:
            continue
        break
    else:
        return None
    _fsync_dir(candidate.parent)
    found.unlink()
    _fsync_dir(found.parent)
    return candidate
