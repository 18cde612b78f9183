"""Reuters-21578-style SGML collections, streamed record by record."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.registry import InputFormat
from transforms.readers.sgml import looks_like_sgml_collection, read_sgml
from transforms.readers.source import Context, Item, Source, head_text


def sniff(head: bytes) -> float:
    return 0.9 if looks_like_sgml_collection(head_text(head)[:4096]) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    with source.open() as stream:
        yield from read_sgml(stream, source_uri=source.uri, reference=context.reference,
                             limits=context.limits)


FORMAT = InputFormat("sgml-reuters", sniff, read)
