"""JSON Lines: one ninjs object or flat record per line, streamed line by line."""

from __future__ import annotations

import json
from collections.abc import Iterator

from transforms.readers.jsonl import read_jsonl
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text


def sniff(head: bytes) -> float:
    if not head_text(head).startswith(("{", "[")):
        return 0.0
    return 0.6 if looks_like_json_lines(head) else 0.0


def looks_like_json_lines(head: bytes) -> bool:
    """The first line is a whole JSON object and another object line follows it."""
    lines = [line for line in head.lstrip(b"\xef\xbb\xbf \t\r\n").split(b"\n")]
    if len(lines) < 2:
        return False
    try:
        first = json.loads(lines[0])
    except (ValueError, RecursionError):
        return False
    following = next((line.strip() for line in lines[1:] if line.strip()), b"")
    return isinstance(first, dict) and following.startswith(b"{")


def read(source: Source, context: Context) -> Iterator[Item]:
    with source.open() as stream:
        yield from read_jsonl(stream, source_uri=source.uri, reference=context.reference,
                              limits=context.limits, reference_time=source.mtime)


FORMAT = InputFormat("jsonl", sniff, read)
