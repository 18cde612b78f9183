"""Ritzau's RBNews XML (`<RBNews>`, one item per document) to ParsedDispatch.

Where RBNews keeps what we store:
- identity `NewsID`, version `version`; agency `origin` (`/ritzau/`), else `byLine`'s desk
- time `PublishDate`: Copenhagen wall-clock time without a zone (optional milliseconds), so it
  is placed in Europe/Copenhagen, summer time included
- headline `headline` without the flag words `KORREKTION:` / `ANNULLERET:`; a nil headline
  (flashes) stores none and warns `no_headline`; the `strapline` of a flash (`NU/FLASH-U`) is a
  flag, kept in the editor's note
- body `content` and editor's note `TilRedaktionen`: escaped HTML, turned into text
- dateline place `town`; signal/status from the flags `Annuleret`, `Korrektion`, `NyVersion`

Nil elements carry `i:nil="true"`; feeds misspell the XML Schema namespace, so only the local
attribute name is looked at.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from transforms.readers.common import first_agency, sha256_hex, version_number
from transforms.readers.html_text import html_to_text
from transforms.readers.xml_safety import local_root_name, parse_safe_xml
from transforms.records import ParsedDispatch, ParseError

if TYPE_CHECKING:
    from transforms.reference import Reference

COPENHAGEN = ZoneInfo("Europe/Copenhagen")
_FLAG_PREFIX = re.compile(r"^\s*(KORREKTION|ANNULL?ERET|RETTELSE)\s*:\s*", re.IGNORECASE)


def looks_like_rbnews(text: str) -> bool:
    return local_root_name(text[:8192]) == "RBNews"


def read_rbnews(data: bytes, *, source_uri: str, reference: Reference) -> Iterator[ParsedDispatch]:
    root = parse_safe_xml(data)
    if root.tag != "RBNews":
        raise ParseError("unknown_format", f"<{root.tag}> is not an RBNews document")
    body = _html(root, "content")
    if not body:
        raise ParseError("no_text_body", "RBNews item has no content text")
    cancelled = _flag(root, "Annuleret")
    corrected = _flag(root, "Korrektion")
    headline = _FLAG_PREFIX.sub("", _text(root, "headline") or "") or None
    strapline = _text(root, "strapline")
    flash = (_text(root, "format") or "").casefold() == "flash"
    notes = [_html(root, "TilRedaktionen"), strapline if flash else None]
    town = _text(root, "town")
    origin = (_text(root, "origin") or "").strip("/ ")
    return iter([ParsedDispatch(
        source_uri=source_uri,
        source_format="ritzau-rbnews",
        raw_sha256=sha256_hex(data),
        body=body,
        headline=headline,
        byline=_text(root, "byLine"),
        editor_note=" | ".join(n for n in notes if n) or None,
        agency=first_agency(reference, [origin, "Ritzau" if origin else None]),
        dateline_place=town,
        dateline_country=reference.country_of(town) if town else None,
        published_at=copenhagen_time(_text(root, "PublishDate")),
        language=None,
        story_key=_text(root, "NewsID"),
        story_version=version_number(_text(root, "version")),
        pub_status="canceled" if cancelled else "usable",
        signal="kill" if cancelled else "correction" if corrected else (
            "update" if _flag(root, "NyVersion") else None),
        parse_warnings=tuple(w for w, applies in (
            ("no_headline", not headline), ("no_dateline", not town)) if applies),
    )])


def copenhagen_time(value: str | None) -> datetime | None:
    """`2025-10-26T14:55:12.480` read as Copenhagen local time, in UTC. On the hour repeated
    when summer time ends the earlier (summer) reading is taken (fold=0)."""
    if not value:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=COPENHAGEN)
    return moment.astimezone(UTC)


def _element(root: ET.Element, name: str) -> ET.Element | None:
    element = root.find(name)
    if element is None:
        return None
    for attribute, value in element.attrib.items():
        if attribute.rpartition("}")[2] == "nil" and value.strip().casefold() == "true":
            return None
    return element


def _text(root: ET.Element, name: str) -> str | None:
    element = _element(root, name)
    if element is None:
        return None
    return " ".join("".join(element.itertext()).split()) or None


def _html(root: ET.Element, name: str) -> str | None:
    element = _element(root, name)
    if element is None or not (element.text or "").strip():
        return None
    return html_to_text(element.text).strip() or None


def _flag(root: ET.Element, name: str) -> bool:
    return (_text(root, name) or "").casefold() in ("true", "1")
