"""Binary data that no reader understands: rejected as `binary_file`."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.decoding import looks_binary
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, read_whole
from transforms.records import ParseError


def sniff(head: bytes) -> float:
    # Above every text format, as binary data is never text; only the transmission formats
    # whose control characters are framing and column separators (ANPA, IPTC 7901) outrank it.
    return 0.96 if looks_binary(head) else 0.0


def _refuse(_data: bytes) -> Iterator[Item]:
    raise ParseError("binary_file", "binary data, not text")
    yield  # pragma: no cover - makes this a generator


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, _refuse)


FORMAT = InputFormat("binary", sniff, read)
