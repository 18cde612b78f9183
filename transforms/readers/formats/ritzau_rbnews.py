"""Ritzau RBNews XML (`<RBNews>` root): the reader lives in transforms.readers.rbnews."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.rbnews import looks_like_rbnews, read_rbnews
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole


def sniff(head: bytes) -> float:
    return 0.95 if looks_like_rbnews(head_text(head)) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: read_rbnews(
        data, source_uri=source.uri, reference=context.reference))


FORMAT = InputFormat("ritzau-rbnews", sniff, read)
