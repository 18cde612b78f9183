"""zip, tar, tar.gz/tgz and single-member .gz read member by member, in memory, within limits.

Members are yielded lazily as (name, mtime, bytes); nothing is extracted to disk. Every size is
counted while inflating, because the sizes an archive declares can lie: a member that inflates
past the per-item limit, an archive past its total, or a stream whose inflated/compressed ratio
looks like a bomb is refused as soon as the bound is crossed.
"""

from __future__ import annotations

import gzip
import io
import stat
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import PurePosixPath
from typing import IO

from transforms.readers.limits import ReaderLimits
from transforms.records import ParseError, Rejection

ZIP_MAGICS = (b"PK\x03\x04", b"PK\x05\x06")
GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 1 << 16
# Errors by which zipfile, tarfile, gzip and zlib report damaged data.
CORRUPTION_ERRORS = (
    zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError, ValueError,
    NotImplementedError, RuntimeError,
)


@dataclass(frozen=True)
class ArchiveMember:
    name: str
    mtime: datetime | None
    data: bytes


def is_zip(head: bytes) -> bool:
    return head.startswith(ZIP_MAGICS)


def is_gzip(head: bytes) -> bool:
    return head.startswith(GZIP_MAGIC)


def is_tar(head: bytes) -> bool:
    """A valid first tar header (checksum included), as `tarfile.is_tarfile` checks."""
    if len(head) < tarfile.BLOCKSIZE:
        return False
    try:
        tarfile.TarInfo.frombuf(head[: tarfile.BLOCKSIZE], "utf-8", "surrogateescape")
    except tarfile.HeaderError:
        return False
    return True


def gzip_mtime(head: bytes) -> datetime | None:
    """MTIME from a gzip header (bytes 4-7, little-endian); 0 means none was recorded."""
    if len(head) < 8:
        return None
    seconds = int.from_bytes(head[4:8], "little")
    return datetime.fromtimestamp(seconds, UTC) if seconds else None


def unsafe_member_reason(name: str) -> str | None:
    """Why a member name could escape an extraction folder, or None when it is safe."""
    if not name or "\x00" in name:
        return "empty or NUL in member name"
    normalised = name.replace("\\", "/")
    if normalised.startswith("/") or (len(normalised) > 1 and normalised[1] == ":"):
        return f"absolute member path {name!r}"
    if ".." in PurePosixPath(normalised).parts:
        return f"'..' in member path {name!r}"
    return None


class _CountingReader(io.RawIOBase):
    """Counts the compressed bytes a decompressor pulls from the underlying stream."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self.consumed = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._raw.read(len(buffer))
        buffer[: len(data)] = data
        self.consumed += len(data)
        return len(data)


class _InflationGuard(io.RawIOBase):
    """Inflated bytes of a gzip stream, refused past the archive total or the ratio limit."""

    def __init__(self, raw: IO[bytes], limits: ReaderLimits) -> None:
        self._counter = _CountingReader(raw)
        self._inflater = gzip.GzipFile(fileobj=io.BufferedReader(self._counter, _CHUNK))
        self._limits = limits
        self._produced = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        data = self._inflater.read(min(len(buffer), _CHUNK))
        buffer[: len(data)] = data
        self._produced += len(data)
        if self._produced > self._limits.max_archive_total_bytes:
            raise ParseError("archive_too_large",
                             f"inflates past {self._limits.max_archive_total_bytes} B")
        if self._limits.ratio_exceeded(self._produced, self._counter.consumed):
            raise ParseError(
                "archive_too_large",
                f"compression ratio over {self._limits.max_compression_ratio:g}:1 "
                f"({self._produced} B from {self._counter.consumed} B)",
            )
        return len(data)

    def close(self) -> None:
        self._inflater.close()
        super().close()


def gunzip(raw: IO[bytes], limits: ReaderLimits) -> IO[bytes]:
    """A buffered, guarded stream of the inflated content of gzip data."""
    return io.BufferedReader(_InflationGuard(raw, limits), _CHUNK)


def read_limited(stream: IO[bytes], limit: int) -> bytes:
    """All of `stream`, or ParseError("too_large") once it passes `limit` bytes."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise ParseError("too_large", f"item larger than {limit} B")
    return data


def zip_members(
    stream: IO[bytes], outer_uri: str, limits: ReaderLimits
) -> Iterator[ArchiveMember | Rejection]:
    """Members of a zip, one at a time; a bad member is rejected and the rest still read."""
    try:
        archive = zipfile.ZipFile(stream)
        infos = archive.infolist()
    except CORRUPTION_ERRORS as exc:
        yield Rejection(outer_uri, "corrupt_archive", f"{type(exc).__name__}: {exc}")
        return
    if len(infos) > limits.max_members:
        yield Rejection(outer_uri, "archive_too_large", f"{len(infos)} members")
        return
    total = 0
    with archive:
        for info in infos:
            if info.is_dir():
                continue
            member_uri = f"{outer_uri}!{info.filename}"
            try:
                data = _zip_member_bytes(archive, info, limits)
            except ParseError as exc:
                yield Rejection(member_uri, exc.reason, exc.detail)
                continue
            except CORRUPTION_ERRORS as exc:
                yield Rejection(member_uri, "corrupt_archive", f"{type(exc).__name__}: {exc}")
                continue
            total += len(data)
            if total > limits.max_archive_total_bytes:
                yield Rejection(outer_uri, "archive_too_large",
                                f"members inflate past {limits.max_archive_total_bytes} B")
                return
            yield ArchiveMember(info.filename, _zip_mtime(info), data)


def _zip_member_bytes(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limits: ReaderLimits
) -> bytes:
    unsafe = unsafe_member_reason(info.filename)
    if unsafe:
        raise ParseError("archive_member_unsafe", unsafe)
    if stat.S_ISLNK(info.external_attr >> 16):
        raise ParseError("archive_member_unsafe", f"symlink member {info.filename!r}")
    if info.flag_bits & 0x1:
        raise ParseError("archive_member_encrypted", f"encrypted member {info.filename!r}")
    # Declared sizes are checked first so an honest bomb is refused without inflating it ...
    _check_member_size(info.file_size, info.compress_size, limits)
    # ... and the real sizes while inflating, because declared ones can lie.
    chunks: list[bytes] = []
    inflated = 0
    with archive.open(info) as member:
        while chunk := member.read(_CHUNK):
            inflated += len(chunk)
            _check_member_size(inflated, info.compress_size, limits)
            chunks.append(chunk)
    return b"".join(chunks)


def _check_member_size(inflated: int, compressed: int, limits: ReaderLimits) -> None:
    if inflated > limits.max_item_bytes:
        raise ParseError("too_large", f"member larger than {limits.max_item_bytes} B")
    if limits.ratio_exceeded(inflated, compressed):
        raise ParseError(
            "archive_too_large",
            f"compression ratio over {limits.max_compression_ratio:g}:1 "
            f"({inflated} B from {compressed} B)",
        )


def _zip_mtime(info: zipfile.ZipInfo) -> datetime | None:
    # Zip stores local time without a zone; it is taken as UTC, as everywhere else here.
    try:
        return datetime(*info.date_time, tzinfo=UTC)
    except ValueError:
        return None


def tar_members(
    stream: IO[bytes], outer_uri: str, limits: ReaderLimits
) -> Iterator[ArchiveMember | Rejection]:
    """Members of a tar read as a stream (no seeking); links and devices are refused."""
    count = total = 0
    try:
        with tarfile.open(fileobj=stream, mode="r|") as archive:
            for info in archive:
                count += 1
                if count > limits.max_members:
                    yield Rejection(outer_uri, "archive_too_large", f"over {limits.max_members}"
                                    " members")
                    return
                if info.isdir():
                    continue
                member_uri = f"{outer_uri}!{info.name}"
                problem = _tar_member_problem(info, limits)
                if problem:
                    yield Rejection(member_uri, problem.reason, problem.detail)
                    continue
                total += info.size
                if total > limits.max_archive_total_bytes:
                    yield Rejection(outer_uri, "archive_too_large",
                                    f"members inflate past {limits.max_archive_total_bytes} B")
                    return
                yield _tar_member(archive, info)
    except ParseError as exc:
        yield Rejection(outer_uri, exc.reason, exc.detail)
    except CORRUPTION_ERRORS as exc:
        yield Rejection(outer_uri, "corrupt_archive", f"{type(exc).__name__}: {exc}")


def _tar_member_problem(info: tarfile.TarInfo, limits: ReaderLimits) -> ParseError | None:
    unsafe = unsafe_member_reason(info.name)
    if unsafe:
        return ParseError("archive_member_unsafe", unsafe)
    if info.issym() or info.islnk():
        return ParseError("archive_member_unsafe", f"link member {info.name!r}")
    if not info.isfile():
        return ParseError("archive_member_unsafe", f"device or special member {info.name!r}")
    if info.size > limits.max_item_bytes:
        return ParseError("too_large", f"member larger than {limits.max_item_bytes} B")
    return None


def _tar_member(archive: tarfile.TarFile, info: tarfile.TarInfo) -> ArchiveMember:
    extracted = archive.extractfile(info)
    data = extracted.read(info.size) if extracted is not None else b""
    if len(data) != info.size:
        raise tarfile.ReadError(f"member {info.name!r} is truncated")
    try:
        mtime: datetime | None = datetime.fromtimestamp(info.mtime, UTC)
    except (OverflowError, OSError, ValueError):
        mtime = None
    return ArchiveMember(info.name, mtime, data)
