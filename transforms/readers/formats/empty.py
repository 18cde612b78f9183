"""No bytes at all: rejected as `empty_file`."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, read_whole
from transforms.records import ParseError


def sniff(head: bytes) -> float:
    return 1.0 if not head else 0.0


def _refuse(_data: bytes) -> Iterator[Item]:
    raise ParseError("empty_file", "no bytes")
    yield  # pragma: no cover - makes this a generator


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, _refuse)


FORMAT = InputFormat("empty", sniff, read)
