"""XML that no reader knows: rejected as `unknown_format`, saying what it looked like."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole
from transforms.records import ParseError


def sniff(head: bytes) -> float:
    return 0.3 if head_text(head).startswith("<") else 0.0


def _refuse(_data: bytes) -> Iterator[Item]:
    raise ParseError("unknown_format", "XML that is not NewsML-G2, NewsML 1.x, NITF or RBNews")
    yield  # pragma: no cover - makes this a generator


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, _refuse)


FORMAT = InputFormat("xml", sniff, read)
