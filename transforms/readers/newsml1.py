"""NewsML 1.x (1.0 to 1.2) documents to ParsedDispatch: AFP's and Business Wire's format.

`NewsML/NewsItem/NewsComponent` trees; one dispatch per NewsItem. Where NewsML 1.x keeps what
we store:
- identity `Identification/NewsIdentifier` `urn:newsml:ProviderId:DateId:NewsItemId` (the
  PublicIdentifier without its revision), version `RevisionId`
- time `NewsManagement/ThisRevisionCreated`, else `FirstCreated`, else the envelope's
  `DateAndTime` (compact ISO 8601 with its zone); status `NewsManagement/Status@FormalName`
- the first `NewsLines` `HeadLine`, `ByLine`, `DateLine`, `CopyrightLine`, `CreditLine`
- agency `AdministrativeMetadata` `Provider`/`Creator`/`Source` `Party@FormalName`, `CreditLine`,
  `NewsEnvelope/SentFrom/Party`, `ProviderId`
- body: the text ContentItem of the Body/Main component (else the first text one), as NITF
  `body.content`, XHTML `body` or plain text; language `DescriptiveMetadata/Language`
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import TYPE_CHECKING

from transforms.readers.common import (
    first_agency,
    parse_compact_datetime,
    pub_status_from,
    sha256_hex,
    signal_from,
    version_number,
)
from transforms.readers.html_text import html_to_text
from transforms.readers.ninjs import normalise_plain_text
from transforms.readers.nitf import nitf_news_lines
from transforms.readers.wiretext.datelines import (
    body_without_dateline,
    country_for,
    dateline_at_start,
    parse_dateline_field,
)
from transforms.readers.wiretext.header import byline_name
from transforms.readers.wiretext.notes import split_leading_editor_note
from transforms.readers.wiretext.trailers import strip_soft_trailers
from transforms.readers.xml_safety import local_root_name, parse_safe_xml
from transforms.records import ParsedDispatch, ParseError, Rejection

if TYPE_CHECKING:
    from transforms.reference import Reference

_NOT_BODY_ROLES = frozenset(
    {"headline", "subheadline", "contact", "stylesheet", "logo", "caption", "video", "photo",
     "picture", "graphic", "audio", "summary", "abstract"}
)
_BODY_ROLES = frozenset({"body", "main", "text"})


def looks_like_newsml1(text: str) -> bool:
    return local_root_name(text[:8192]) in ("NewsML", "NewsItem") and (
        "iptc.org/std/nar/2006-10-01" not in text[:8192])


def read_newsml1(
    data: bytes, *, source_uri: str, reference: Reference
) -> Iterator[ParsedDispatch | Rejection]:
    root = parse_safe_xml(data)
    items = [root] if root.tag == "NewsItem" else root.findall(".//NewsItem")
    if not items:
        raise ParseError("no_text_body", "NewsML 1.x document has no NewsItem")
    envelope = root.find("NewsEnvelope")
    for index, item in enumerate(items, start=1):
        item_id = item.findtext("Identification/NewsIdentifier/NewsItemId")
        uri = source_uri if len(items) == 1 else f"{source_uri}#{item_id or index}"
        raw = sha256_hex(data) if len(items) == 1 else sha256_hex(ET.tostring(item))
        try:
            yield dispatch_from_news_item(item, envelope, source_uri=uri, raw_sha256=raw,
                                          reference=reference)
        except ParseError as exc:
            yield Rejection(uri, exc.reason, exc.detail, raw)


def dispatch_from_news_item(
    item: ET.Element,
    envelope: ET.Element | None,
    *,
    source_uri: str,
    raw_sha256: str,
    reference: Reference,
) -> ParsedDispatch:
    body = _body_text(item)
    body, leading_note = split_leading_editor_note(strip_soft_trailers(body))
    if not body:
        raise ParseError("no_text_body", "NewsML 1.x item has no text ContentItem")
    written = _text(_first(item, ".//NewsLines/DateLine"))
    # A whole NITF document in DataContent has its own headline, byline and dateline, which
    # stand in for NewsLines that lack them.
    nitf = item.find(".//DataContent/nitf")
    nitf_headline, nitf_byline, nitf_hint = (
        nitf_news_lines(nitf, body, reference) if nitf is not None else (None, None, None))
    hint = ((parse_dateline_field(written, reference) if written else None) or nitf_hint
            or dateline_at_start(body, reference))
    headline = _text(_first(item, ".//NewsLines/HeadLine")) or nitf_headline
    body = body_without_dateline(body, reference)
    management = item.find("NewsManagement")
    identifier = item.find("Identification/NewsIdentifier")
    status = pub_status_from(_formal(_first(management, "Status")))
    note = _editorial_note(item) or leading_note
    return ParsedDispatch(
        source_uri=source_uri,
        source_format="newsml-1",
        raw_sha256=raw_sha256,
        body=body,
        headline=headline,
        byline=_byline(_text(_first(item, ".//NewsLines/ByLine"))) or nitf_byline,
        editor_note=note,
        agency=first_agency(reference, [
            *(_formal(party) for party in item.findall(
                ".//AdministrativeMetadata/Provider/Party")),
            *(_formal(party) for party in item.findall(
                ".//AdministrativeMetadata/Creator/Party")),
            *(_formal(party) for party in item.findall(
                ".//AdministrativeMetadata/Source/Party")),
            _text(_first(item, ".//NewsLines/CreditLine")),
            _formal(_first(envelope, "SentFrom/Party")),
            _text(_first(identifier, "ProviderId")),
            hint.credit if hint else None,
        ]),
        dateline_place=hint.place if hint else None,
        dateline_region=hint.region if hint else None,
        dateline_country=country_for(reference, hint),
        published_at=(parse_compact_datetime(_text(_first(management, "ThisRevisionCreated")))
                      or parse_compact_datetime(_text(_first(management, "FirstCreated")))
                      or parse_compact_datetime(_text(_first(envelope, "DateAndTime")))),
        copyright=_text(_first(item, ".//NewsLines/CopyrightLine")),
        language=_formal(_first(item, ".//DescriptiveMetadata/Language")),
        story_key=_story_key(identifier),
        story_version=version_number(_text(_first(identifier, "RevisionId"))),
        pub_status=status,
        signal=signal_from(note) or ("kill" if status == "canceled" else None),
        parse_warnings=("no_headline",) if not headline else (),
    )


def _first(parent: ET.Element | None, path: str) -> ET.Element | None:
    return parent.find(path) if parent is not None else None


def _text(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split()) or None


def _formal(element: ET.Element | None) -> str | None:
    return element.get("FormalName") if element is not None else None


def _byline(text: str | None) -> str | None:
    if not text:
        return None
    return byline_name(text[3:] if text[:3].casefold() == "by " else text) or None


def _story_key(identifier: ET.Element | None) -> str | None:
    parts = [_text(_first(identifier, name)) for name in ("ProviderId", "DateId", "NewsItemId")]
    if all(parts):
        return "urn:newsml:" + ":".join(parts)  # type: ignore[arg-type]
    return _text(_first(identifier, "PublicIdentifier"))


def _editorial_note(item: ET.Element) -> str | None:
    for line in item.iter("NewsLine"):
        kind = (_formal(line.find("NewsLineType")) or "").casefold()
        if "editor" in kind or "ednote" in kind:
            return _text(line.find("NewsLineText"))
    return None


def _body_text(item: ET.Element) -> str:
    """The text of the body component's ContentItem, else of the first textual one."""
    candidates: list[tuple[int, ET.Element]] = []
    for component in item.iter("NewsComponent"):
        role = (_formal(component.find("Role")) or "").casefold()
        if role in _NOT_BODY_ROLES:
            continue
        for content in component.findall("ContentItem"):
            candidates.append((0 if role in _BODY_ROLES else 1, content))
    for _rank, content in sorted(candidates, key=lambda pair: pair[0]):
        if text := _content_text(content):
            return text
    return ""


def _content_text(content: ET.Element) -> str:
    media = (_formal(content.find("MediaType")) or "").casefold()
    mime = (_formal(content.find("MimeType")) or "").casefold()
    if media and media != "text" or mime and not (mime.startswith("text/") or "xml" in mime):
        return ""
    if "css" in mime:
        return ""
    data = content.find("DataContent")
    if data is None:
        return ""
    for element in data:
        if element.tag == "nitf":
            body = element.find("body/body.content")
            return html_to_text(ET.tostring(body if body is not None else element,
                                            encoding="unicode"))
        if element.tag in ("html", "body"):
            body = element.find("body") if element.tag == "html" else element
            return html_to_text(ET.tostring(body if body is not None else element,
                                            encoding="unicode"))
    if len(data):
        # bcNITF: the NITF body.content's paragraphs straight in DataContent, no <nitf> around.
        return html_to_text(ET.tostring(data, encoding="unicode"))
    return normalise_plain_text(data.text or "")
