"""Reuters-21578 style SGML collections, streamed one <REUTERS> record at a time.

The files are latin-1 with SGML entities (`&lt;`, `&#3;`), and each body ends with the
"Reuter" signature and an end-of-text control character that are not part of the story.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Iterator
from datetime import UTC, date, datetime, tzinfo
from typing import IO, TYPE_CHECKING

from transforms.readers.common import first_agency, sha256_hex, structural_warnings
from transforms.readers.limits import ReaderLimits
from transforms.readers.wiretext.datelines import (
    DatelineHint,
    country_for,
    dateline_at_start,
    parse_english_month,
    tidy_place,
)
from transforms.readers.wiretext.dates import resolve_month_day
from transforms.records import ParsedDispatch, ParseError, Rejection

if TYPE_CHECKING:
    from transforms.reference import Reference

_RECORD_START = b"<REUTERS"
_RECORD_END = b"</REUTERS>"
_NEWID = re.compile(r'\bNEWID="(\d+)"')
_OLDID = re.compile(r'\bOLDID="(\d+)"')
_DATE = re.compile(
    r"(\d{1,2})-([A-Za-z]{3})-(\d{4})\s+(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,6}))?"
)
_SIGNATURE = re.compile(r"\s*\bReuter\s*$", re.IGNORECASE)
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_TAGS = re.compile(r"<[^>]+>")
# A body line indented by three or more spaces starts a new paragraph.
_PARAGRAPH_START = re.compile(r"\n(?=[ \t]{3,}\S)")
_REUTERS = "Reuters"
_FORMAT = "sgml-reuters"


def looks_like_sgml_collection(head: str) -> bool:
    return re.match(r"\s*(?:<!DOCTYPE[^>]*>\s*)?<REUTERS\b", head) is not None


def read_sgml(
    stream: IO[bytes], *, source_uri: str, reference: Reference, limits: ReaderLimits
) -> Iterator[ParsedDispatch | Rejection]:
    for index, record in enumerate(_records(stream, limits.max_item_bytes), start=1):
        if record is None:
            yield Rejection(f"{source_uri}#{index}", "too_large",
                            f"record longer than {limits.max_item_bytes} B")
            continue
        raw_sha256 = sha256_hex(record)
        text = _decode(record)
        record_uri = f"{source_uri}#{_record_id(text) or index}"
        try:
            yield dispatch_from_record(text, source_uri=record_uri, raw_sha256=raw_sha256,
                                       reference=reference)
        except ParseError as exc:
            yield Rejection(record_uri, exc.reason, exc.detail, raw_sha256)


def dispatch_from_record(
    text: str, *, source_uri: str, raw_sha256: str, reference: Reference
) -> ParsedDispatch:
    """One record; a record with a TITLE but no BODY (a flash or brief) has an empty body."""
    body = _body(text)
    headline = _single_line(_element(text, "TITLE"))
    if not body and not headline:
        raise ParseError("no_text_body", "REUTERS record has neither TITLE nor BODY text")
    sent_at = _date(_element(text, "DATE") or "", reference.timezone_of(_FORMAT))
    dateline = _element(text, "DATELINE")
    hint = dateline_at_start(_clean(dateline), reference) if dateline else None
    if hint is None and dateline and dateline.strip(" \t\n-"):
        hint = _loose_dateline(_clean(dateline))
    record_id = _record_id(text)
    dateline_date = _dateline_date(sent_at, hint)
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=_FORMAT,
        raw_sha256=raw_sha256,
        body=body,
        headline=headline,
        agency=first_agency(reference, [_REUTERS]) or _REUTERS,
        dateline_place=hint.place if hint else None,
        dateline_region=hint.region if hint else None,
        dateline_country=country_for(reference, hint),
        # DATE is when the item was filed, with its time of day: that is published_at. The
        # dateline's day is the local date at the place, kept apart in dateline_date.
        published_at=sent_at.astimezone(UTC) if sent_at else None,
        dateline_date=dateline_date,
        story_key=f"reuters-21578:{record_id}" if record_id else None,
        parse_warnings=structural_warnings(hint, headline, body),
    )


def _records(stream: IO[bytes], max_bytes: int) -> Iterator[bytes | None]:
    """Raw bytes of each <REUTERS>...</REUTERS> record; None for one over the size limit."""
    buffer = bytearray()
    collecting = oversized = False
    while line := stream.readline(1 << 20):
        while line:
            if not collecting:
                start = line.find(_RECORD_START)
                if start < 0:
                    break
                line, collecting, oversized = line[start:], True, False
                buffer.clear()
            end = line.find(_RECORD_END)
            piece = line if end < 0 else line[: end + len(_RECORD_END)]
            line = b"" if end < 0 else line[end + len(_RECORD_END):]
            if not oversized:
                buffer += piece
                oversized = len(buffer) > max_bytes
                if oversized:
                    buffer.clear()
            if end >= 0:
                collecting = False
                yield None if oversized else bytes(buffer)
                buffer.clear()


def _decode(record: bytes) -> str:
    try:
        return record.decode("utf-8")
    except UnicodeDecodeError:
        return record.decode("latin-1")


def _record_id(text: str) -> str | None:
    match = _NEWID.search(text[:300]) or _OLDID.search(text[:300])
    return match[1] if match else None


def _element(text: str, name: str) -> str | None:
    """What is between the first <name ...> and the first </name> after it (a regex with a lazy
    `(.*?)</name>` gives the same, trying the closing tag at every character)."""
    opening = _opening_tag(name).search(text)
    if opening is None:
        return None
    end = text.find(f"</{name}>", opening.end())
    return None if end < 0 else text[opening.end() : end]


@functools.cache
def _opening_tag(name: str) -> re.Pattern[str]:
    return re.compile(rf"<{name}\b[^>]*>")


def _without_signature(text: str) -> str:
    """`text` without a final "Reuter" signature (and the whitespace around it).

    `_SIGNATURE` alone would be tried at every character of the body; a match can only start
    where the whitespace before the last six non-space characters starts, so it is tried on
    the text from the character before that (kept so that its `\\b` sees what it saw)."""
    core_end = len(text.rstrip())
    if core_end < 6:
        return _SIGNATURE.sub("", text)
    from_here = max(len(text[: core_end - 6].rstrip()) - 1, 0)
    return text[:from_here] + _SIGNATURE.sub("", text[from_here:])


def _clean(fragment: str) -> str:
    """Entities unescaped (`&#3;` too), then control characters dropped."""
    return _CONTROLS.sub("", html.unescape(fragment))


def _single_line(fragment: str | None) -> str | None:
    if fragment is None:
        return None
    return " ".join(_clean(fragment).split()) or None


def _body(text: str) -> str:
    fragment = _element(text, "BODY")
    if fragment is None:
        # TYPE="UNPROC" records carry bare text inside TEXT.
        inner = _element(text, "TEXT") or ""
        fragment = "" if "<TITLE>" in inner else _TAGS.sub("", inner)
    unescaped = _CONTROLS.sub("", html.unescape(fragment).replace("\r\n", "\n"))
    without_signature = _without_signature(unescaped)
    paragraphs = _PARAGRAPH_START.split(without_signature.strip("\n"))
    cleaned = (" ".join(paragraph.split()) for paragraph in paragraphs)
    return "\n\n".join(p for p in cleaned if p)


def _date(value: str, zone: tzinfo) -> datetime | None:
    """DATE (`26-FEB-1987 15:01:01.79`) as an aware time; it has no zone, so `zone` says which."""
    match = _DATE.search(value)
    month = parse_english_month(match[2]) if match else None
    if month is None:
        return None
    day, year = int(match[1]), int(match[3])
    fraction = int((match[7] or "0").ljust(6, "0"))
    try:
        return datetime(year, month, day, int(match[4]), int(match[5]), int(match[6]),
                        fraction, tzinfo=zone)
    except ValueError:
        return None


def _loose_dateline(text: str) -> DatelineHint | None:
    """A dateline the wire pattern missed ("  Tokyo, March 3 -"): the place before the comma."""
    place = text.split(",")[0].strip(" -")
    return DatelineHint(place=tidy_place(place)) if place and len(place) <= 40 else None


def _dateline_date(sent_at: datetime | None, hint: DatelineHint | None) -> date | None:
    """The dateline's day (it names no year) resolved against DATE; None if it names none."""
    if sent_at is None or hint is None or hint.month is None or hint.day is None:
        return None
    try:
        return resolve_month_day(hint.month, hint.day, sent_at.replace(tzinfo=None))
    except ValueError:
        return None
