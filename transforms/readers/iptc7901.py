"""IPTC 7901 text transmissions (dpa's classic format, also used by other European agencies).

A message is `SOH header [keyword lines] STX text ETX trailer [EOT]`:
- header `eca062 4 i 211 ccccb dpa 061`: service and message number (`eca062`), priority
  (`1` flash to `5`), category (`i`, `pl`), word count (`211`), optional selector codes
  (`ccccb`), the source agency (`dpa`) and a reference (`061`, `170123-89-00065#2`, whose `#n`
  we read as the version);
- keyword (slug) lines such as `Wirtschaft/Tarife/Metall` before STX (some feeds send them as
  the first text line);
- text: the headline line (often closed by `=`), then the body opening with its dateline
  (`Berlin (dpa) - ...`, or without dash `Berlin (KNA) Die ...`) and ending with desk initials
  (`dpa xy yz`);
- trailer `061530 Jan 96` after ETX: day, hour and minute, month and year of the item. The
  standard gives no zone; we take UTC.
Header and trailer are metadata and never become headline, place or body text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from transforms.readers.transmission import (
    SOH,
    Message,
    paragraphs,
    read_messages,
    table_safe,
)
from transforms.readers.wiretext.datelines import (
    DatelineDate,
    body_without_dateline,
    display_place,
    match_dateline,
    parse_english_month,
)
from transforms.readers.wiretext.dates import dateline_day, published_at_for
from transforms.readers.wiretext.headlines import is_code_word
from transforms.readers.wiretext.notes import split_editor_note, split_leading_editor_note
from transforms.records import ParsedDispatch, ParseError, Rejection

if TYPE_CHECKING:
    from transforms.reference import Reference

SOURCE_FORMAT = "iptc-7901"
_HEADER = re.compile(
    r"^[\x16\s]*(?P<service>[a-z]{1,4})(?P<number>\d{3,4})\s+(?P<priority>[1-6])\s+"
    r"(?P<category>[a-z]{1,3})\s+(?P<words>\d{1,5})"
    r"(?:\s+(?P<optional>[a-z]{1,8}))?(?:\s+(?P<source>[A-Za-z][\w-]{1,11}))?"
    r"(?:\s+(?P<reference>[\w#./-]{1,40}))?\s*$"
)
_TRAILER = re.compile(
    r"^\s*(?P<day>\d{2})(?P<hour>\d{2})(?P<minute>\d{2})\s+(?P<month>[A-Za-z]{3})\s+"
    r"(?P<year>\d{2}|\d{4})\s*$",
    re.MULTILINE,
)
# Desk initials closing a dpa item: "dpa xy yz", "dpa-AFX ab".
# Desk sign-offs closing the text: "dpa mk yy", "dpa lb yyzz", "apa ks/wr".
_SIGNOFF = re.compile(
    r"^\s*(?:[a-z]{2,4}(?:-[A-Za-z]{2,4})?)(?:\s+[a-z]{2,4}(?:/[a-z]{2,4})*){1,3}\s*$")
# dpa's block of notes to editors closing a text (planning, places, and contacts "nicht zur
# Veröffentlichung bestimmt"): for the editor's note, never the body.
_NOTES_BLOCK = re.compile(
    r"^\s*(?:dpa-Notizblock|Die folgenden Informationen sind nicht zur Veröffentlichung "
    r"bestimmt)\s*$", re.IGNORECASE)
_SLUG = re.compile(r"^[^\s]+(?:\s*/\s*[^\s]+)*$|^\S+(?:/\S+)+")


def looks_like_7901(head: str) -> bool:
    stripped = head.lstrip("\x16 \r\n")
    first_line = stripped.lstrip(SOH).split("\n", 1)[0].rstrip("\r")
    if not _HEADER.match(first_line):
        return False
    return stripped.startswith(SOH) or bool(_TRAILER.search(head))


def read_7901(
    data: bytes, *, source_uri: str, reference: Reference, reference_time: datetime
) -> Iterator[ParsedDispatch | Rejection]:
    return read_messages(data, format_name="IPTC 7901", dispatch_from=dispatch_from_7901,
                         source_uri=source_uri, reference=reference, reference_time=reference_time)


def dispatch_from_7901(
    message: Message,
    *,
    source_uri: str,
    raw_sha256: str,
    reference: Reference,
    reference_time: datetime,
) -> ParsedDispatch:
    header_lines = [line.strip() for line in message.header.split("\n") if line.strip()]
    header = _HEADER.match(header_lines[0]) if header_lines else None
    keyword_sent = len(header_lines) > 1
    text_lines = [table_safe(line) for line in message.text.split("\n")]
    trailer = _TRAILER.search(message.after) or _last_trailer(text_lines)
    lines = [line for line in text_lines if not _TRAILER.match(line)]
    while lines and (not lines[-1].strip() or _SIGNOFF.match(lines[-1])):
        lines.pop()
    notes_at = next((i for i, line in enumerate(lines) if _NOTES_BLOCK.match(line)), None)
    notes_block = None
    if notes_at is not None:
        notes_block = "\n".join(line.strip() for line in lines[notes_at:] if line.strip())
        lines = lines[:notes_at]
        while lines and not lines[-1].strip():
            lines.pop()
    filled = [index for index, line in enumerate(lines) if line.strip()]
    if len(filled) < 2:
        raise ParseError("no_body", "IPTC 7901 message without headline and body")
    first, second = lines[filled[0]].strip(), lines[filled[1]].strip()
    # Without keyword lines before STX, a slug ("Wirtschaft/Tarife/Metall") may open the text.
    if not keyword_sent and _SLUG.match(first) and len(filled) > 2:
        headline, body_start = second, filled[1] + 1
    else:
        headline, body_start = first, filled[0] + 1
    # A code word where the headline goes ("(Achtung)") is a flag for the editor's note.
    flags = []
    while is_code_word(headline) and body_start < len(lines):
        flags.append(headline)
        rest = [i for i in filled if i >= body_start]
        if not rest:
            break
        headline, body_start = lines[rest[0]].strip(), rest[0] + 1
    headline, note = split_editor_note(headline.rstrip("= ").strip())
    body, leading_note = split_leading_editor_note("\n\n".join(paragraphs(lines[body_start:])))
    if not body:
        raise ParseError("no_body", "IPTC 7901 message without body text")
    dateline = match_dateline(body.split("\n", 1)[0], reference)
    body = body_without_dateline(body, reference)
    source = header["source"] if header else None
    agency = (dateline.agency if dateline else None) or (
        reference.canonical_agency(source) if source else None)
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=SOURCE_FORMAT,
        raw_sha256=raw_sha256,
        body=body,
        headline=headline or None,
        editor_note="\n".join(n for n in (" ".join(flags), note or leading_note, notes_block)
                               if n) or None,
        agency=agency,
        dateline_place=display_place(dateline.place) if dateline and dateline.place else None,
        dateline_region=dateline.region if dateline and dateline.place else None,
        dateline_country=(reference.country_of(dateline.place, dateline.region)
                          if dateline and dateline.place else None),
        # Without a trailer, the dateline's day (else the file's time), as for wire text.
        published_at=_trailer_time(trailer) or published_at_for(
            dateline_day(dateline.date if dateline else DatelineDate(), reference_time),
            reference_time),
        story_key=_story_key(header),
        story_version=_version(header),
        parse_warnings=("date_from_file_time",) if trailer is None and not (
            dateline and dateline.date.day) else (),
    )


def _story_key(header: re.Match[str] | None) -> str | None:
    if header is None or not header["source"]:
        return None
    reference = (header["reference"] or "").partition("#")[0]
    # A dated reference ("170123-89-00065") names the story; a bare sequence number does not.
    if "-" in reference:
        return f"{header['source']}:{reference}"
    return f"{header['source']}:{header['service']}{header['number']}"


def _version(header: re.Match[str] | None) -> int | None:
    suffix = (header["reference"] or "").partition("#")[2] if header else ""
    return int(suffix) if suffix.isdigit() else None


def _last_trailer(lines: list[str]) -> re.Match[str] | None:
    for line in reversed(lines):
        if match := _TRAILER.match(line):
            return match
    return None


def _trailer_time(trailer: re.Match[str] | None) -> datetime | None:
    if trailer is None:
        return None
    month = parse_english_month(trailer["month"])
    if month is None:
        return None
    year = int(trailer["year"])
    year = year if year > 99 else (1900 + year if year >= 70 else 2000 + year)
    try:
        return datetime(year, month, int(trailer["day"]), int(trailer["hour"]),
                        int(trailer["minute"]), tzinfo=UTC)
    except ValueError as exc:
        raise ParseError("bad_dateline", f"IPTC 7901 trailer: {exc}") from exc
