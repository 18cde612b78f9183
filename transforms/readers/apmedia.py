"""AP Media API JSON (`{"api_version": …, "data": {"item": {…}}}`) to ParsedDispatch.

The item is ninjs-shaped, so it is mapped by the ninjs reader after AP's own spellings are
brought to ninjs: `bylines[].by` -> `byline`, `datelinelocation` -> `located`, the text from
`body_nitf`/`body_html`/`body_text` (on the item, inside a nested structure, or inline in a
rendition). AP's items name AP in `infosource`/`provider`; the API is AP's, so an item naming
no one is credited to AP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

from transforms.readers.common import sha256_hex
from transforms.readers.decoding import decode_bytes
from transforms.readers.ninjs import dispatch_from_ninjs
from transforms.readers.wiretext.header import byline_name
from transforms.records import ParsedDispatch, ParseError

if TYPE_CHECKING:
    from transforms.reference import Reference

SOURCE_FORMAT = "ap-media-json"
_INLINE_KEYS = ("body", "value", "content", "text", "data")


_BODY_KEYS = ("body_text", "body_html", "body_xhtml", "bodies")


def looks_like_ap_media(text: str) -> bool:
    head = text[:4096]
    return text.startswith("{") and '"data"' in head and '"item"' in head and any(
        marker in head for marker in ('"api_version"', '"altids"', '"renditions"'))


def read_ap_media(
    data: bytes, *, source_uri: str, reference: Reference
) -> Iterator[ParsedDispatch]:
    try:
        document = json.loads(decode_bytes(data).text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ParseError("malformed_json", str(exc)[:200]) from exc
    item = _item(document)
    if item is None:
        raise ParseError("no_text_body", "AP Media API response without data.item")
    ninjs = _as_ninjs(item)
    linked = sorted(str(name) for name in (item.get("renditions") or {}))
    if linked and not any(key in ninjs for key in _BODY_KEYS):
        # The story's text exists but only behind a link we cannot fetch: refusing it says so,
        # where a headline-only dispatch would pass it off as a flash.
        raise ParseError("no_text_body", f"AP {item.get('type') or 'item'} without inline text"
                         f" (renditions only link to it: {', '.join(linked)})")
    try:
        dispatch = dispatch_from_ninjs(ninjs, source_uri=source_uri,
                                       raw_sha256=sha256_hex(data), reference=reference,
                                       source_format=SOURCE_FORMAT)
    except ParseError as exc:
        if exc.reason != "no_text_body":
            raise
        raise ParseError("no_text_body", f"AP {item.get('type') or 'item'} without inline text") from exc
    yield dispatch


def _item(document: object) -> Mapping[str, Any] | None:
    if not isinstance(document, Mapping):
        return None
    data = document.get("data")
    if isinstance(data, Mapping):
        item = data.get("item", data)
        return item if isinstance(item, Mapping) else None
    item = document.get("item")
    return item if isinstance(item, Mapping) else None


def _as_ninjs(item: Mapping[str, Any]) -> dict[str, Any]:
    ninjs = dict(item)
    bylines = [b for b in item.get("bylines") or [] if isinstance(b, Mapping)]
    if "byline" not in ninjs and bylines:
        by = str(bylines[0].get("by") or "")
        ninjs["byline"] = byline_name(by[3:] if by[:3].casefold() == "by " else by)
    location = item.get("datelinelocation")
    if "located" not in ninjs and isinstance(location, Mapping):
        parts = [location.get("city"), location.get("countryareaname") or
                 location.get("countryname")]
        ninjs["located"] = ", ".join(str(p) for p in parts if p)
    if not any(key in ninjs for key in _BODY_KEYS):
        inline = _rendition_text(item.get("renditions"))
        if inline:
            ninjs["bodies"] = [inline]
    if not any(key in ninjs for key in ("infosource", "provider", "copyrightholder")):
        ninjs["provider"] = {"name": "AP"}
    return ninjs


def _rendition_text(renditions: object) -> dict[str, str] | None:
    """A rendition that carries its text inline (a downloaded NITF or HTML story)."""
    if not isinstance(renditions, Mapping):
        return None
    for rendition in renditions.values():
        if not isinstance(rendition, Mapping):
            continue
        mime = str(rendition.get("mimetype") or rendition.get("contentType") or "")
        for key in _INLINE_KEYS:
            value = rendition.get(key)
            if isinstance(value, str) and value.strip():
                kind = "application/nitf+xml" if "<nitf" in value or "xml" in mime else (
                    "text/html" if "<" in value else "text/plain")
                return {"contenttype": kind, "value": value}
    return None
