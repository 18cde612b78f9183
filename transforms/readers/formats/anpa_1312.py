"""ANPA-1312 wire transmissions (SOH/STX/ETX framing, selector and keyword lines)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from transforms.readers.anpa import looks_like_anpa, read_anpa
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, read_whole


def sniff(head: bytes) -> float:
    return 0.98 if looks_like_anpa(head[:4096].decode("latin-1")) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: read_anpa(
        data, source_uri=source.uri, reference=context.reference,
        reference_time=source.mtime or datetime.now(UTC)))


FORMAT = InputFormat("anpa-1312", sniff, read)
