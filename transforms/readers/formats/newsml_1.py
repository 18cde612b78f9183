"""NewsML 1.x documents (`<NewsML Version="1.2">`, no NewsML-G2 namespace)."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.newsml1 import looks_like_newsml1, read_newsml1
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole


def sniff(head: bytes) -> float:
    return 0.95 if looks_like_newsml1(head_text(head)) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: read_newsml1(
        data, source_uri=source.uri, reference=context.reference))


FORMAT = InputFormat("newsml-1", sniff, read)
