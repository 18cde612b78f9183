"""NewsML-G2 newsItem and newsMessage documents to ParsedDispatch.

XML is parsed only after an expat pass has refused any DOCTYPE (and so any ENTITY declaration):
entity expansion is how "billion laughs" documents exhaust memory, and news feeds never need a
DTD. The same pass records where each newsItem of a newsMessage starts and ends, so that each
item's raw_sha256 is the hash of its own bytes.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING
from xml.parsers import expat

from transforms.readers.common import (
    first_agency,
    parse_iso_datetime,
    pub_status_from,
    sha256_hex,
    signal_from,
    structural_warnings,
    version_number,
)
from transforms.readers.html_text import html_to_text
from transforms.readers.ninjs import normalise_plain_text
from transforms.readers.wiretext.datelines import (
    DatelineHint,
    body_without_dateline,
    country_for,
    dateline_at_start,
    parse_dateline_field,
    split_located,
    tidy_place,
)
from transforms.readers.wiretext.headlines import prose, real_headline, signal_of_flags
from transforms.readers.wiretext.notes import split_leading_editor_note
from transforms.records import ParsedDispatch, ParseError, Rejection

if TYPE_CHECKING:
    from transforms.reference import Reference

G2_NAMESPACE = "http://iptc.org/std/nar/2006-10-01/"
_G2 = "{" + G2_NAMESPACE + "}"
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_MEDIA_CLASSES = frozenset({"picture", "video", "audio", "graphic"})


@dataclass(frozen=True)
class _ItemSpan:
    start: int
    end: int


def read_newsml(
    data: bytes, *, source_uri: str, reference: Reference
) -> Iterator[ParsedDispatch | Rejection]:
    """Dispatches of a newsItem, or of every newsItem in a newsMessage's itemSet."""
    spans = safe_item_spans(data)
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise ParseError("malformed_xml", str(exc)) from exc
    if root.tag == _G2 + "newsItem":
        yield _item_or_rejection(root, source_uri, sha256_hex(data), reference)
    elif root.tag == _G2 + "newsMessage":
        yield from _message_items(root, data, spans, source_uri, reference)
    else:
        local = root.tag.rpartition("}")[2]
        raise ParseError("no_text_body", f"NewsML-G2 {local} carries no news item text")


def safe_item_spans(data: bytes) -> list[_ItemSpan]:
    """Refuse DTDs; return byte spans of the newsItems directly inside a newsMessage itemSet."""
    parser = expat.ParserCreate(namespace_separator=" ")
    stack: list[str] = []
    starts: list[int] = []
    spans: list[_ItemSpan] = []

    def refuse_dtd(*_args: object) -> None:
        raise ParseError("unsafe_xml", "DOCTYPE/ENTITY declarations are not accepted")

    def start(name: str, _attrs: dict[str, str]) -> None:
        if name == G2_NAMESPACE + " newsItem" and stack[-1:] == [G2_NAMESPACE + " itemSet"]:
            starts.append(parser.CurrentByteIndex)
        stack.append(name)

    def end(name: str) -> None:
        stack.pop()
        if name == G2_NAMESPACE + " newsItem" and stack[-1:] == [G2_NAMESPACE + " itemSet"]:
            close = data.find(b">", parser.CurrentByteIndex)
            spans.append(_ItemSpan(starts.pop(), close + 1 if close >= 0 else len(data)))

    parser.StartDoctypeDeclHandler = refuse_dtd
    parser.EntityDeclHandler = refuse_dtd
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ParseError("malformed_xml", str(exc)) from exc
    return spans


def _message_items(
    root: ET.Element,
    data: bytes,
    spans: list[_ItemSpan],
    source_uri: str,
    reference: Reference,
) -> Iterator[ParsedDispatch | Rejection]:
    items = [item for item_set in root.iter(_G2 + "itemSet") for item in item_set
             if item.tag == _G2 + "newsItem"]
    if not items:
        raise ParseError("no_text_body", "newsMessage has no newsItem")
    for index, item in enumerate(items):
        span = spans[index] if index < len(spans) else _ItemSpan(0, len(data))
        item_uri = f"{source_uri}#{item.get('guid') or index + 1}"
        yield _item_or_rejection(item, item_uri, sha256_hex(data[span.start : span.end]),
                                 reference)


def _item_or_rejection(
    item: ET.Element, source_uri: str, raw_sha256: str, reference: Reference
) -> ParsedDispatch | Rejection:
    try:
        return dispatch_from_news_item(
            item, source_uri=source_uri, raw_sha256=raw_sha256, reference=reference
        )
    except ParseError as exc:
        return Rejection(source_uri, exc.reason, exc.detail, raw_sha256)


def dispatch_from_news_item(
    item: ET.Element, *, source_uri: str, raw_sha256: str, reference: Reference
) -> ParsedDispatch:
    item_meta = _child(item, "itemMeta")
    content_meta = _child(item, "contentMeta")
    nitf = _nitf_or_html(item)
    # "(Adds comments, detail)" opening a Reuters body is an editor's note, not a dateline.
    body, leading_note = split_leading_editor_note(_body_text(item, nitf))
    if not body:
        item_class = _code(_child(item_meta, "itemClass"))
        kind = item_class if item_class in _MEDIA_CLASSES else "item"
        raise ParseError("no_text_body", f"NewsML-G2 {kind} has no text content")
    hint = _dateline(content_meta, nitf, body, reference)
    body = body_without_dateline(body, reference)
    # The real headline: code words (REFILE, bare slugs) are flags; itemMeta/title and a
    # prose slugline stand in for an empty or coded headline.
    headline, flags = real_headline(
        _text(_child(content_meta, "headline")), _nitf_text(nitf, "hl1"),
        _text(_child(item_meta, "title")), prose(_text(_child(content_meta, "slugline"))))
    pub_status = pub_status_from(_attr(_child(item_meta, "pubStatus"), "qcode"))
    return ParsedDispatch(
        source_uri=source_uri,
        source_format="newsml-g2",
        raw_sha256=raw_sha256,
        body=body,
        headline=headline,
        byline=_text(_child(content_meta, "by")) or _nitf_text(nitf, "byline"),
        agency=first_agency(reference, _agency_candidates(item, hint)),
        dateline_place=hint.place if hint else None,
        dateline_region=hint.region if hint else None,
        dateline_country=_country(reference, content_meta, hint),
        published_at=_published_at(item_meta, content_meta),
        copyright=_text(_child(_child(item, "rightsInfo"), "copyrightNotice")),
        language=_language(item, content_meta),
        story_key=item.get("guid") or None,
        story_version=version_number(item.get("version")),
        pub_status=pub_status,
        embargo_until=parse_iso_datetime(_text(_child(item_meta, "embargoed"))),
        signal=_signal(item_meta, pub_status) or signal_of_flags(flags),
        editor_note=_text(_child(item_meta, "edNote")) or leading_note or (
            " ".join(flags) or None),
        parse_warnings=structural_warnings(hint, headline, body),
    )


def _child(parent: ET.Element | None, name: str) -> ET.Element | None:
    return parent.find(_G2 + name) if parent is not None else None


def _children(parent: ET.Element | None, name: str) -> list[ET.Element]:
    return parent.findall(_G2 + name) if parent is not None else []


def _attr(element: ET.Element | None, name: str) -> str | None:
    return element.get(name) if element is not None else None


def _code(element: ET.Element | None) -> str | None:
    """The code part of a qcode ("ninat:text" -> "text")."""
    qcode = _attr(element, "qcode")
    return qcode.rpartition(":")[2] if qcode else None


def _text(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    collapsed = " ".join("".join(element.itertext()).split())
    return collapsed or None


def _name(element: ET.Element | None) -> str | None:
    return _text(_child(element, "name"))


def _local(element: ET.Element) -> str:
    return element.tag.rpartition("}")[2]


def _nitf_or_html(item: ET.Element) -> ET.Element | None:
    """The NITF or XHTML document inside the first inlineXML that has one."""
    for inline in _children(_child(item, "contentSet"), "inlineXML"):
        for element in inline:
            if _local(element) in ("nitf", "html", "body"):
                return element
    return None


def _body_text(item: ET.Element, document: ET.Element | None) -> str:
    if document is not None:
        content = _find_local(document, "body.content")
        if content is None:
            content = _find_local(document, "body") if _local(document) == "html" else document
        if content is not None:
            return html_to_text(ET.tostring(content, encoding="unicode"))
    for inline in _children(_child(item, "contentSet"), "inlineData"):
        content_type = (inline.get("contenttype") or "text/plain").casefold()
        value = inline.text or ""
        text = html_to_text(value) if "html" in content_type else normalise_plain_text(value)
        if text:
            return text
    return ""


def _find_local(root: ET.Element, local_name: str) -> ET.Element | None:
    return next((el for el in root.iter() if _local(el) == local_name), None)


def _nitf_text(document: ET.Element | None, local_name: str) -> str | None:
    if document is None:
        return None
    return _text(_find_local(document, local_name))


def _dateline(
    content_meta: ET.Element | None, document: ET.Element | None, body: str, reference: Reference
) -> DatelineHint | None:
    """contentMeta dateline, NITF dateline, the body's opening dateline, then `located`."""
    for written in (_text(_child(content_meta, "dateline")), _nitf_text(document, "dateline")):
        if written and (hint := parse_dateline_field(written, reference)):
            return hint
    if hint := dateline_at_start(body, reference):
        return hint
    return _located(_child(content_meta, "located"))


def _located(located: ET.Element | None) -> DatelineHint | None:
    if located is None:
        return None
    name = _name(located) or _code(located)
    if not name:
        return None
    hint = split_located(name)
    broader = _children(located, "broader")
    countries = [b for b in broader if "country" in (b.get("type") or "") or
                 (b.get("qcode") or "").startswith(("cntry:", "iso3166"))]
    region_element = (countries or broader or [None])[0]
    region = _name(region_element) or _code(region_element)
    place = hint.place if hint else tidy_place(name)
    return DatelineHint(place=place, region=region or (hint.region if hint else None))


def _country(
    reference: Reference, content_meta: ET.Element | None, hint: DatelineHint | None
) -> str | None:
    """An ISO qcode on located's broader country is authoritative; else ask the reference."""
    for broader in _children(_child(content_meta, "located"), "broader"):
        qcode = broader.get("qcode") or ""
        if qcode.startswith("iso3166-1a2:") and hint is not None:
            return qcode.rpartition(":")[2].upper()
    return country_for(reference, hint)


def _agency_candidates(item: ET.Element, hint: DatelineHint | None) -> list[str | None]:
    item_meta = _child(item, "itemMeta")
    content_meta = _child(item, "contentMeta")
    candidates: list[str | None] = [_text(c) for c in _children(content_meta, "creditline")]
    for source in (*_children(content_meta, "infoSource"), *_children(item_meta, "provider"),
                   *_children(content_meta, "creator")):
        candidates.extend((_name(source), _code(source), source.get("literal"),
                           _domain(source.get("uri")), _domain(_code(source))))
    holder = _child(_child(item, "rightsInfo"), "copyrightHolder")
    candidates.append(_name(holder))
    candidates.append(hint.credit if hint else None)
    return candidates


def _domain(value: str | None) -> str | None:
    """"ap.org" from "http://www.ap.org/" or "nprov:ap.org": agencies.csv knows the domains."""
    if not value:
        return None
    host = value.split("//", 1)[-1].split("/", 1)[0].rpartition(":")[2]
    return host.removeprefix("www.") if "." in host else None


def _published_at(
    item_meta: ET.Element | None, content_meta: ET.Element | None
) -> datetime | None:
    for parent, name in ((item_meta, "versionCreated"), (item_meta, "firstCreated"),
                         (content_meta, "contentCreated")):
        moment = parse_iso_datetime(_text(_child(parent, name)))
        if moment:
            return moment
    return None


def _language(item: ET.Element, content_meta: ET.Element | None) -> str | None:
    tag = _attr(_child(content_meta, "language"), "tag")
    return tag or item.get(_XML_LANG) or None


def _signal(item_meta: ET.Element | None, pub_status: str) -> str | None:
    codes = [_attr(signal, "qcode") for signal in _children(item_meta, "signal")]
    signal = signal_from(*codes, _text(_child(item_meta, "edNote")))
    if signal is None and pub_status == "canceled":
        return "kill"
    return signal
