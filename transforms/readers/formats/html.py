"""An HTML page holding one wire story: its text is read as wire text."""

from __future__ import annotations

import re
from collections.abc import Iterator

from transforms.readers.formats.wire_text import wire_text_dispatch
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole

_HTML_START = re.compile(r"<(?:!doctype\s+html|html)\b", re.IGNORECASE)


def sniff(head: bytes) -> float:
    return 0.7 if _HTML_START.match(head_text(head)) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: iter(
        [wire_text_dispatch(data, source, context, html=True)]))


FORMAT = InputFormat("html", sniff, read)
