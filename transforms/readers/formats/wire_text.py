"""Plain wire text: the catch-all for anything textual no other format claims."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from transforms.readers.common import sha256_hex
from transforms.readers.decoding import decode_bytes
from transforms.readers.html_text import html_to_text
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, read_whole
from transforms.readers.wiretext.parse import parse_wire_text


def sniff(head: bytes) -> float:
    return 0.01 if head else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: iter(
        [wire_text_dispatch(data, source, context, html=False)]))


def wire_text_dispatch(data: bytes, source: Source, context: Context, *, html: bool) -> Item:
    text = decode_bytes(data).text
    if html:
        text = html_to_text(text)
    return parse_wire_text(
        text,
        # The wire text's own date wins inside the parser; this is the fallback it resolves
        # a bare "Feb 26" against: the member's mtime, else the file's.
        reference_time=source.mtime or datetime.now(UTC),
        reference=context.reference,
        source_uri=source.uri,
        raw_sha256=sha256_hex(data),
    )


FORMAT = InputFormat("wire-text", sniff, read)
