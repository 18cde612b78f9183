"""One JSON document: a ninjs object (or flat record), an array of them, or an API envelope
(`{"total": 2, "limit": 2, "offset": 0, "item": [...]}`, as ninjs APIs page their results)
whose item list holds them."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

from transforms.readers.common import sha256_hex
from transforms.readers.decoding import decode_bytes
from transforms.readers.jsonl import dispatch_from_object, read_jsonl
from transforms.readers.ninjs import is_ninjs
from transforms.readers.registry import InputFormat
from transforms.readers.source import Context, Item, Source, head_text, read_whole
from transforms.records import ParseError, Rejection


def sniff(head: bytes) -> float:
    return 0.5 if head_text(head).startswith(("{", "[")) else 0.0


def read(source: Source, context: Context) -> Iterator[Item]:
    yield from read_whole(source, context, lambda data: _read_json(data, source, context))


def _read_json(data: bytes, source: Source, context: Context) -> Iterator[Item]:
    text = decode_bytes(data).text
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        if exc.msg == "Extra data":
            # Several objects one after another: JSON Lines whose first line is too long to
            # have been recognised from the sniffed head.
            yield from read_jsonl(io.BytesIO(data), source_uri=source.uri,
                                  reference=context.reference, limits=context.limits,
                                  reference_time=source.mtime)
            return
        raise ParseError("malformed_json", str(exc)[:200]) from exc
    except RecursionError as exc:
        raise ParseError("malformed_json", "nested too deeply") from exc
    if isinstance(document, dict) and (items := envelope_items(document)) is not None:
        document = items
    if isinstance(document, dict):
        yield _json_object(document, source.uri, sha256_hex(data), source, context)
    elif isinstance(document, list):
        for index, element in enumerate(document, start=1):
            element_uri = f"{source.uri}#{index}"
            element_sha = sha256_hex(json.dumps(element, sort_keys=True).encode("utf-8"))
            if isinstance(element, dict):
                yield _json_object(element, element_uri, element_sha, source, context)
            else:
                yield Rejection(element_uri, "malformed_json", "array element is not an object",
                                element_sha)
    else:
        raise ParseError("unknown_format", f"JSON {type(document).__name__}, not an object")


_ENVELOPE_LISTS = ("item", "items", "data", "results")
_ITEM_FIELDS = {"headline", "body_text", "body_html", "body", "text", "bodies"}


def envelope_items(document: dict) -> list | None:
    """The item list of an API envelope, or None when `document` is an item itself: the
    envelope holds a list of objects under one of the usual names and no text of its own."""
    if _ITEM_FIELDS & {key.casefold() for key in document}:
        return None
    for key, value in document.items():
        if key.casefold() in _ENVELOPE_LISTS and isinstance(value, list) and value and all(
                isinstance(element, dict) for element in value):
            return value
    return None


def _json_object(
    obj: dict, uri: str, raw_sha256: str, source: Source, context: Context
) -> Item:
    try:
        return dispatch_from_object(
            obj, source_uri=uri, raw_sha256=raw_sha256, reference=context.reference,
            reference_time=source.mtime, source_format="ninjs" if is_ninjs(obj) else "jsonl",
        )
    except ParseError as exc:
        return Rejection(uri, exc.reason, exc.detail, raw_sha256)


FORMAT = InputFormat("json", sniff, read)
