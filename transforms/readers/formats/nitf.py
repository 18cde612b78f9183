"""NITF 3.x and 2.x documents (`<nitf>` root, with or without namespace or DOCTYPE)."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.nitf import looks_like_nitf, read_nitf
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole


def sniff(head: bytes) -> float:
    return 0.95 if looks_like_nitf(head_text(head)) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: read_nitf(
        data, source_uri=source.uri, reference=context.reference))


FORMAT = InputFormat("nitf", sniff, read)
