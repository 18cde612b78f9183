"""IPTC 7901 text transmissions (header `eca062 4 i 211 ccccb dpa 061`, trailer `061530 Jan 96`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from transforms.readers.iptc7901 import looks_like_7901, read_7901
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, read_whole


def sniff(head: bytes) -> float:
    return 0.98 if looks_like_7901(head[:4096].decode("latin-1")) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: read_7901(
        data, source_uri=source.uri, reference=context.reference,
        reference_time=source.mtime or datetime.now(UTC)))


FORMAT = InputFormat("iptc-7901", sniff, read)
