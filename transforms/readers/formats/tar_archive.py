"""Tar archives, read member by member as they stream past."""

from __future__ import annotations

from collections.abc import Iterator

import transforms.readers.archives as archives
from transforms.readers.formats._members import read_members, too_deep
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source


def sniff(head: bytes) -> float:
    return 1.0 if archives.is_tar(head) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    if rejection := too_deep(source, context):
        yield rejection
        return
    with source.open() as stream:
        yield from read_members(archives.tar_members(stream, source.uri, context.limits),
                                source, context)


FORMAT = InputFormat("tar", sniff, read)
