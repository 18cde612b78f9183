"""IPTC NewsML-G2 newsItem or newsMessage (XML in the G2 namespace)."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.newsml import G2_NAMESPACE, read_newsml
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole


def sniff(head: bytes) -> float:
    text = head_text(head)
    return 0.9 if text.startswith("<") and G2_NAMESPACE in text else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: read_newsml(
        data, source_uri=source.uri, reference=context.reference))


FORMAT = InputFormat("newsml-g2", sniff, read)
