"""AP Media API JSON: a response whose `data.item` is the story, with its renditions."""

from __future__ import annotations

from collections.abc import Iterator

from transforms.readers.apmedia import looks_like_ap_media, read_ap_media
from transforms.readers.formats.json_lines import looks_like_json_lines
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole


def sniff(head: bytes) -> float:
    # JSON Lines of AP items stay JSON Lines: each line is read as its own object.
    if looks_like_json_lines(head):
        return 0.0
    return 0.8 if looks_like_ap_media(head_text(head)) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: read_ap_media(
        data, source_uri=source.uri, reference=context.reference))


FORMAT = InputFormat("ap-media-json", sniff, read)
