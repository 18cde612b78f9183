"""NITF (News Industry Text Format) 3.x and 2.x documents to ParsedDispatch.

Where NITF keeps what we store:
- identity: `head/docdata/doc-id@regsrc` + `@id-string` (`AP:a1b2c3`); version: `du-key@version`
- agency: `doc-id@regsrc`, else `pubdata@name`, `body.head/distributor`, `doc.copyright@holder`,
  the body's dateline credit
- time: `docdata/date.issue@norm` (its own zone), else `pubdata@date.publication`;
  embargo: `date.release@norm` when later than the issue time
- headline `body.head/hedline/hl1`, else `head/title`; byline `body.head/byline` (without
  `byttl`); dateline `body.head/dateline` (`location/city`, `country`), else the body's own
- status `docdata@management-status`, editor's note `docdata/ed-msg@info`, a leading
  "(Adds ...)" of the body; `docdata/correction` makes the signal a correction
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import datetime
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
from transforms.readers.wiretext.datelines import (
    DatelineHint,
    body_without_dateline,
    country_for,
    dateline_at_start,
    parse_dateline_field,
    plausible_place,
    tidy_place,
)
from transforms.readers.wiretext.header import byline_name
from transforms.readers.wiretext.headlines import real_headline, signal_of_flags
from transforms.readers.wiretext.notes import split_leading_editor_note
from transforms.readers.wiretext.trailers import (
    copyright_holder,
    split_closing_copyright,
    strip_soft_trailers,
)
from transforms.readers.xml_safety import local_root_name, parse_safe_xml
from transforms.records import ParsedDispatch, ParseError

if TYPE_CHECKING:
    from transforms.reference import Reference

_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def looks_like_nitf(text: str) -> bool:
    return local_root_name(text[:8192]) == "nitf"


def read_nitf(
    data: bytes, *, source_uri: str, reference: Reference
) -> Iterator[ParsedDispatch]:
    root = parse_safe_xml(data)
    if root.tag != "nitf":
        raise ParseError("unknown_format", f"<{root.tag}> is not an NITF document")
    yield dispatch_from_nitf(root, source_uri=source_uri, raw_sha256=sha256_hex(data),
                             reference=reference, source_format="nitf")


def dispatch_from_nitf(
    nitf: ET.Element,
    *,
    source_uri: str,
    raw_sha256: str,
    reference: Reference,
    source_format: str,
    fallback_agency: str | None = None,
) -> ParsedDispatch:
    """Map one `<nitf>` element (also used for NITF inside NewsML 1.x)."""
    head = nitf.find("head")
    docdata = head.find("docdata") if head is not None else None
    body_head = nitf.find("body/body.head")
    content = nitf.find("body/body.content")
    text = html_to_text(ET.tostring(content, encoding="unicode")) if content is not None else ""
    # Desk initials ("cd/jmr") and sign-offs close NITF bodies as they close wire text.
    text, leading_note = split_leading_editor_note(strip_soft_trailers(text))
    text, closing_copyright = split_closing_copyright(text)
    if not text:
        raise ParseError("no_text_body", "NITF document has no body.content text")
    hint = _dateline(body_head, text, reference)
    text = body_without_dateline(text, reference)
    doc_id = docdata.find("doc-id") if docdata is not None else None
    regsrc = _attr(doc_id, "regsrc")
    id_string = _attr(doc_id, "id-string")
    issued = _moment(docdata, "date.issue") or parse_compact_datetime(
        _attr(head.find("pubdata") if head is not None else None, "date.publication"))
    released = _moment(docdata, "date.release")
    status = pub_status_from(_attr(docdata, "management-status"))
    note = _attr(_find(docdata, "ed-msg"), "info") or leading_note
    corrected = _find(docdata, "correction") is not None
    # hl1 unless it is a code word (a bare slug such as BC-US-ECON-JOBS); then the strapline
    # (hl2) and head/title.
    headline, flags = real_headline(_text(_find(body_head, "hedline/hl1")),
                                    _text(_find(body_head, "hedline/hl2")), _text(_find(head, "title")))
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=source_format,
        raw_sha256=raw_sha256,
        body=text,
        headline=headline,
        byline=_byline(_find(body_head, "byline")),
        editor_note=note,
        agency=first_agency(reference, [
            regsrc,
            _attr(_find(head, "pubdata"), "name"),
            _text(_find(body_head, "distributor")),
            _attr(_find(docdata, "doc.copyright"), "holder"),
            hint.credit if hint else None,
            fallback_agency,
            copyright_holder(closing_copyright),
        ]),
        dateline_place=hint.place if hint else None,
        dateline_region=hint.region if hint else None,
        dateline_country=country_for(reference, hint),
        published_at=issued or released,
        copyright=_copyright(docdata) or closing_copyright,
        language=nitf.get(_XML_LANG) or _attr(_find(nitf, "body"), _XML_LANG) or None,
        story_key=f"{regsrc}:{id_string}" if regsrc and id_string else id_string,
        story_version=version_number(_attr(_find(docdata, "du-key"), "version")),
        pub_status=status,
        embargo_until=released if released and issued and released > issued else None,
        signal="correction" if corrected else signal_from(note) or (
            "kill" if status == "canceled" else None) or signal_of_flags(flags),
        parse_warnings=("no_headline",) if not headline else (),
    )


def nitf_news_lines(
    nitf: ET.Element, text: str, reference: Reference
) -> tuple[str | None, str | None, DatelineHint | None]:
    """Headline (`hl1`), byline and dateline of an NITF document's `body.head`, for formats
    that carry a whole NITF document (NewsML 1.x `DataContent`)."""
    body_head = nitf.find("body/body.head")
    return (_text(_find(body_head, "hedline/hl1")), _byline(_find(body_head, "byline")),
            _dateline(body_head, text, reference) if body_head is not None else None)


def _find(parent: ET.Element | None, path: str) -> ET.Element | None:
    return parent.find(path) if parent is not None else None


def _attr(element: ET.Element | None, name: str) -> str | None:
    value = element.get(name) if element is not None else None
    return " ".join(value.split()) or None if value else None


def _text(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split()) or None


def _text_without(element: ET.Element, skipped: str) -> str | None:
    """Text of an element leaving out its `skipped` children (but keeping their tails)."""
    pieces = [element.text or ""]
    for child in element:
        if child.tag != skipped:
            pieces.append("".join(child.itertext()))
        pieces.append(child.tail or "")
    return " ".join("".join(pieces).split()) or None


def _moment(docdata: ET.Element | None, name: str) -> datetime | None:
    return parse_compact_datetime(_attr(_find(docdata, name), "norm"))


def _byline(byline: ET.Element | None) -> str | None:
    """The person in `<byline>By Jane Doe<byttl>AP Writer</byttl></byline>`, not the title."""
    if byline is None:
        return None
    person = _text(byline.find("person"))
    if person:
        return person
    pieces = [byline.text or ""]
    for child in byline:
        if child.tag != "byttl":
            pieces.append("".join(child.itertext()))
        pieces.append(child.tail or "")
    raw = " ".join(" ".join(pieces).split())
    raw = raw[3:] if raw[:3].casefold() == "by " else raw
    return byline_name(raw) or None


def _dateline(
    body_head: ET.Element | None, text: str, reference: Reference
) -> DatelineHint | None:
    """`<dateline>` (its `location/city` when marked up), else the body's opening dateline."""
    dateline = _find(body_head, "dateline")
    if dateline is not None:
        city = _text(dateline.find(".//city")) or _text(dateline.find("location"))
        country = _text(dateline.find(".//country")) or _text(dateline.find(".//state"))
        opening = dateline_at_start(text, reference)
        credit = opening.credit if opening else None
        if city and plausible_place(city):
            return DatelineHint(tidy_place(city), country, credit=credit)
        written = _text_without(dateline, "story.date")
        if written and (hint := parse_dateline_field(written, reference)):
            return hint
    return dateline_at_start(text, reference)


def _copyright(docdata: ET.Element | None) -> str | None:
    element = _find(docdata, "doc.copyright")
    holder, year = _attr(element, "holder"), _attr(element, "year")
    if not holder:
        return None
    return f"Copyright {year} {holder}" if year else f"Copyright {holder}"
