"""IPTC ninjs 1.x, 2.x and 3.x objects to ParsedDispatch.

ninjs 1.x spells properties in lower case with `body_*` strings; 2.x keeps lower case but moves
to `headlines`/`bodies` lists; 3.x uses camelCase (`versionCreated`, `contentType`). Keys are
therefore compared case-insensitively, and the richer form is taken when both are present.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from transforms.readers.common import (
    first_agency,
    parse_iso_datetime,
    pub_status_from,
    signal_from,
    structural_warnings,
    version_number,
)
from transforms.readers.html_text import html_to_text
from transforms.readers.wiretext.datelines import (
    DatelineHint,
    body_without_dateline,
    country_for,
    dateline_at_start,
    parse_dateline_field,
    split_located,
)
from transforms.readers.wiretext.header import byline_name
from transforms.readers.wiretext.trailers import copyright_holder, split_closing_copyright
from transforms.records import ParsedDispatch, ParseError

if TYPE_CHECKING:
    from transforms.reference import Reference

# A top-level object with any of these keys is ninjs rather than a flat JSONL record.
NINJS_MARKERS = frozenset(
    {"uri", "bodies", "body_text", "body_html", "body_xhtml", "headlines", "versioncreated",
     "firstcreated", "pubstatus", "renditions", "standard", "$standard"}
)
_PLAIN_TYPES = ("text/plain", "")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "text/xhtml")
_NITF_BODY = re.compile(r"<body\.content\b[^>]*>(.*?)</body\.content>", re.DOTALL | re.IGNORECASE)


def is_ninjs(obj: Mapping[str, Any]) -> bool:
    return any(key.casefold() in NINJS_MARKERS for key in obj)


def dispatch_from_ninjs(
    obj: Mapping[str, Any],
    *,
    source_uri: str,
    raw_sha256: str,
    reference: Reference,
    source_format: str = "ninjs",
) -> ParsedDispatch:
    """Map one ninjs object; raises ParseError("no_text_body") for media without text."""
    fields = _casefolded(obj)
    body = _body_text(fields) or _description_text(fields)
    headline = _headline(fields)
    kind = _text(fields.get("type")) or "item"
    if not body and not (headline and kind.casefold() in ("text", "item")):
        raise ParseError("no_text_body", f"ninjs {kind} has no text body")
    body, closing_copyright = split_closing_copyright(body)
    hint = _dateline(fields, body, reference)
    body = body_without_dateline(body, reference)
    pub_status = pub_status_from(fields.get("pubstatus"))
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=source_format,
        raw_sha256=raw_sha256,
        body=body,
        headline=headline,
        byline=_byline(_text(fields.get("byline")) or _text(fields.get("by"))),
        agency=first_agency(reference, [*_agency_candidates(fields, hint),
                                        copyright_holder(closing_copyright)]),
        dateline_place=hint.place if hint else None,
        dateline_region=hint.region if hint else None,
        dateline_country=country_for(reference, hint),
        published_at=_published_at(fields),
        copyright=_text(fields.get("copyrightnotice")) or closing_copyright,
        language=_text(fields.get("language")),
        story_key=_text(fields.get("uri")),
        story_version=version_number(fields.get("version")),
        pub_status=pub_status,
        embargo_until=parse_iso_datetime(fields.get("embargoed")),
        signal=_signal(fields, pub_status),
        editor_note=_text(fields.get("ednote")) or None,
        parse_warnings=structural_warnings(hint, headline, body),
    )


def _byline(text: str | None) -> str | None:
    """The person: "By KIRSTEN HOLM" is stored as "Kirsten Holm"."""
    prefixed = re.match(r"^by\s+(.+)$", text or "", flags=re.IGNORECASE)
    if not prefixed:
        return text
    return byline_name(prefixed[1]) or prefixed[1]


def _description_text(fields: Mapping[str, Any]) -> str:
    """The text of a `descriptions` entry with role `text`: where NTB puts a story that has no
    body. Summaries and captions (other roles) are not the story."""
    for description in (_casefolded(d) for d in _dicts(fields.get("descriptions"))):
        if str(description.get("role", "")).casefold() != "text":
            continue
        kind = _content_kind(description)
        text = body_to_text(str(description.get("value") or ""), "plain" if kind == "other" else kind)
        if text:
            return text
    return ""


def _casefolded(obj: Mapping[str, Any]) -> dict[str, Any]:
    return {str(key).casefold(): value for key, value in obj.items()}


def _text(value: object) -> str | None:
    """A non-blank string with its whitespace collapsed, else None."""
    if not isinstance(value, str):
        return None
    collapsed = " ".join(value.split())
    return collapsed or None


def _headline(fields: Mapping[str, Any]) -> str | None:
    headlines = [_casefolded(h) for h in _dicts(fields.get("headlines"))]
    main = [h for h in headlines if str(h.get("role", "main")).casefold() == "main"]
    for candidate in (*main, *headlines):
        text = _text(candidate.get("value"))
        if text:
            return text
    return _text(fields.get("headline"))


def _body_text(fields: Mapping[str, Any]) -> str:
    """The text of the best body: plain text first, then HTML, then NITF."""
    bodies = [_casefolded(b) for b in _dicts(fields.get("bodies"))]
    for body in (*_bodies_of_kind(bodies, "plain"), *_bodies_of_kind(bodies, "html"),
                 *_bodies_of_kind(bodies, "nitf")):
        text = body_to_text(str(body.get("value") or ""), _content_kind(body))
        if text:
            return text
    for key, kind in (("body_text", "plain"), ("body_xhtml", "html"), ("body_html", "html")):
        value = fields.get(key)
        if isinstance(value, str) and (text := body_to_text(value, kind)):
            return text
    return nested_body_text(fields)


_NESTED_BODY_KEYS = (("body_text", "plain"), ("body_xhtml", "html"), ("body_html", "html"),
                     ("body_nitf", "nitf"))
# Other items (pictures of a package), never this item's text.
_NOT_THIS_ITEM = frozenset({"associations", "renditions"})


def nested_body_text(fields: Mapping[str, Any], depth: int = 0) -> str:
    """A body kept one or two levels down (`extended.body_html`, `x-ap.body_nitf`)."""
    if depth > 2:
        return ""
    for key, value in fields.items():
        if not isinstance(value, Mapping) or str(key).casefold() in _NOT_THIS_ITEM:
            continue
        inner = _casefolded(value)
        for body_key, kind in _NESTED_BODY_KEYS:
            text = inner.get(body_key)
            if isinstance(text, str) and (found := body_to_text(text, kind)):
                return found
        if found := nested_body_text(inner, depth + 1):
            return found
    return ""


def body_to_text(value: str, kind: str) -> str:
    """Plain text of a body given as plain text, HTML/XHTML or a NITF document."""
    if kind == "nitf":
        match = _NITF_BODY.search(value)
        return html_to_text(match[1] if match else value)
    if kind == "html":
        return html_to_text(value)
    return normalise_plain_text(value)


_BLOCK_MARKUP = re.compile(r"</?(?:p|br|div|h[1-6])\b[^<>]{0,200}>", re.IGNORECASE)


def normalise_plain_text(value: str) -> str:
    # Declared plain, yet some agencies (ANSA) send paragraphs as <p> markup: text it is.
    if _BLOCK_MARKUP.search(value):
        return html_to_text(value)
    lines = value.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    text = "\n".join(line.rstrip() for line in lines)
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _bodies_of_kind(bodies: list[dict[str, Any]], kind: str) -> Iterator[dict[str, Any]]:
    return (body for body in bodies if _content_kind(body) == kind)


def _content_kind(body: Mapping[str, Any]) -> str:
    content_type = str(body.get("contenttype") or "").casefold()
    if "nitf" in content_type or str(body.get("role", "")).casefold() == "nitf":
        return "nitf"
    if content_type in _HTML_TYPES:
        return "html"
    if content_type in _PLAIN_TYPES:
        return "plain"
    return "other"


def _dateline(
    fields: Mapping[str, Any], body: str, reference: Reference
) -> DatelineHint | None:
    """An explicit dateline, else the one the body opens with, else `located`.

    The body's own dateline beats `located` because it is what the reader sees, while
    `located` is free metadata (the IPTC AP examples spell it "Grossetto" against a body that
    says "GROSSETO, Italy").
    """
    explicit = _text(fields.get("dateline"))
    if explicit and (hint := parse_dateline_field(explicit, reference)):
        return hint
    if hint := dateline_at_start(body, reference):
        return hint
    located = _text(fields.get("located"))
    return split_located(located) if located else None


def _agency_candidates(fields: Mapping[str, Any], hint: DatelineHint | None) -> list[str | None]:
    names: list[str | None] = []
    for key in ("infosources", "infosource", "provider"):
        value = fields.get(key)
        if isinstance(value, str):
            names.append(value)
        names.extend(_casefolded(item).get("name") for item in _dicts(value))
    holder = fields.get("copyrightholder")
    names.append(holder if isinstance(holder, str) else _casefolded(holder or {}).get("name"))
    names.append(hint.credit if hint else None)
    names.append(_publisher_of_uri(fields.get("uri")))
    return [name if isinstance(name, str) else None for name in names]


def _publisher_of_uri(uri: object) -> str | None:
    """"businesswire" from http://www.businesswire.com/...: a last resort for who sent it."""
    if not isinstance(uri, str):
        return None
    host = urlparse(uri).hostname or ""
    labels = [label for label in host.split(".") if label not in ("www", "")]
    return labels[-2] if len(labels) >= 2 else None


def _published_at(fields: Mapping[str, Any]) -> datetime | None:
    for key in ("versioncreated", "firstcreated", "contentcreated"):
        moment = parse_iso_datetime(fields.get(key))
        if moment:
            return moment
    return None


def _signal(fields: Mapping[str, Any], pub_status: str) -> str | None:
    signals = fields.get("signals", fields.get("signal"))
    codes = [signals] if isinstance(signals, str) else [
        " ".join(str(v) for v in _casefolded(s).values()) for s in _dicts(signals)
    ]
    signal = signal_from(*codes, _text(fields.get("ednote")))
    if signal is None and pub_status == "canceled":
        return "kill"
    return signal


def _dicts(value: object) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):
        return [value]
    if isinstance(value, list):
        return [item for item in value if isinstance(item, Mapping)]
    return []
