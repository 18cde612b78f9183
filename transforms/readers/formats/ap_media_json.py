"""AP Media API JSON: a response whose `data.item` is the story, with its renditions."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.apmedia import looks_like_ap_media, read_ap_media
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole


def sniff(head: bytes) -> float:
    return 0.8 if looks_like_ap_media(head_text(head)) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: read_ap_media(
        data, source_uri=source.uri, reference=context.reference))


FORMAT = InputFormat("ap-media-json", sniff, read)
