"""Zip archives, read member by member."""

from __future__ import annotations

import io
from collections.abc import Iterator

import transforms.readers.archives as archives
from transforms.readers.formats._members import read_members, too_deep
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source


def sniff(head: bytes) -> float:
    return 1.0 if archives.is_zip(head) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    if rejection := too_deep(source, context):
        yield rejection
        return
    with source.open() as stream:
        seekable = stream if stream.seekable() else io.BytesIO(
            archives.read_limited(stream, context.limits.max_item_bytes))
        yield from read_members(archives.zip_members(seekable, source.uri, context.limits),
                                source, context)


FORMAT = InputFormat("zip", sniff, read)
