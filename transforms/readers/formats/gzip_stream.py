"""Gzip: a .tgz/.tar.gz is one archive level (its members get `x.tar.gz!member`); any other .gz
holds one member, streamed through the inflation guard rather than held in memory."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePosixPath
from typing import IO

import transforms.readers.archives as archives
from transforms.readers.formats._members import read_members, too_deep
from transforms.readers.registry import InputFormat
from transforms.readers.source import SNIFF_BYTES, Context, Item, Source


def sniff(head: bytes) -> float:
    return 1.0 if archives.is_gzip(head) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    if rejection := too_deep(source, context):
        yield rejection
        return
    limits = context.limits
    with source.open() as stream:
        head = stream.read(SNIFF_BYTES)

    def inflated() -> IO[bytes]:
        return archives.gunzip(source.open(), limits)

    with inflated() as stream:
        inner_head = _tolerant_head(stream)
    if archives.is_tar(inner_head):
        with inflated() as stream:
            yield from read_members(archives.tar_members(stream, source.uri, limits), source,
                                    context)
        return
    member = Source(
        uri=f"{source.uri}!{_gunzipped_name(source.uri)}",
        mtime=archives.gzip_mtime(head) or source.mtime,
        open=inflated,
        depth=source.depth + 1,
    )
    yield from context.read_nested(member, context)


def _tolerant_head(stream: IO[bytes]) -> bytes:
    """Up to SNIFF_BYTES of a possibly truncated stream: a damaged tail must not hide the
    members before it."""
    head = bytearray()
    try:
        while len(head) < SNIFF_BYTES and (chunk := stream.read(4096)):
            head += chunk
    except archives.CORRUPTION_ERRORS:
        if not head:
            raise
    return bytes(head)


def _gunzipped_name(uri: str) -> str:
    name = PurePosixPath(uri.rpartition("!")[2].replace("\\", "/")).name
    for suffix in (".gz", ".gzip"):
        if name.lower().endswith(suffix) and len(name) > len(suffix):
            return name[: -len(suffix)]
    return name + ".gunzipped"


FORMAT = InputFormat("gzip", sniff, read)
