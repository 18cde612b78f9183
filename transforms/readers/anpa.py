"""ANPA-1312 wire transmissions (AP's classic format) to ParsedDispatch.

A message is `SOH header STX text ETX [EOT]`:
- header: service level and selector (`z6715`), priority and category codes, then the keyword
  (slug) line `BC-BKN--Heat-Hawks 1stLd-Writethru 02-20 0500`: cycle, slug, version
  (`1stLd-Writethru` = version 2, `Writethru` = 2, `2ndLd` = 3 ...), month-day and time;
- text: a repeat of the keyword line (`^BC-...<`), the headline (`^...<`), the byline
  (`^By NAME=`, `^AP Sports Writer=`), indented paragraphs opening with the wire dateline;
- trailer: `AP-NY-02-20-96 0512EST<`, the item's date and time with its zone.
Header and trailer are metadata and never become headline, place or body text.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

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
)
from transforms.readers.wiretext.dates import dateline_day, published_at_for, resolve_month_day
from transforms.readers.wiretext.header import byline_name
from transforms.readers.wiretext.notes import split_editor_note, split_leading_editor_note
from transforms.records import ParsedDispatch, ParseError, Rejection

if TYPE_CHECKING:
    from transforms.reference import Reference

SOURCE_FORMAT = "anpa-1312"
# Service level letter and four-digit selector/sequence: "z6715", "a0412", "W2870".
# The selector may run into what follows ("W2870asian" from a feed without spaces).
_SELECTOR = re.compile(r"^[\x16\s]*(?P<service>[A-Za-z])(?P<selector>\d{4})(?!\d)")
_KEYWORD = re.compile(
    r"(?P<cycle>\b(?:BC|AM|PM|AP|a[mp])-)(?P<slug>[\w&'.-]+)"
    r"(?:[ ,]+(?P<version>(?:\d+(?:st|nd|rd|th)[ -]?Ld(?:-(?:Writethru|Writhru))?|Writethru|"
    r"Correction|Corrective|Kill|Adv\d*|Sub|Insert|Add|Urgent|Bulletin)\b[\w-]*))?"
    r"(?:[ ,]+(?P<month>\d{2})-(?P<day>\d{2})(?:[ ,]+(?P<time>\d{4}))?)?",
)
_TRAILER = re.compile(
    r"\b(?P<agency>AP|UPI|CP)-(?P<desk>[A-Z]{2,3})-(?P<month>\d{2})-(?P<day>\d{2})-"
    r"(?P<year>\d{2}|\d{4})\s+(?P<time>\d{4})\s*(?P<zone>[A-Z]{3})\b"
)
_ZONES = {
    "EST": -5, "EDT": -4, "CST": -6, "CDT": -5, "MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
    "GMT": 0, "UTC": 0, "BST": 1, "CET": 1, "CEST": 2,
}
# AP stamps the keyword line in New York time; used only when no trailer gives a zone.
_KEYWORD_ZONE = ZoneInfo("America/New_York")
_ORDINAL = re.compile(r"(\d+)(?:st|nd|rd|th)[ -]?Ld", re.IGNORECASE)
_BYLINE = re.compile(r"^By\s+(?P<name>.+)$", re.IGNORECASE)
_STAFF = re.compile(r"^(?:The\s+)?(?:AP|Associated Press|UPI)\b.*(?:Writer|Editor|Correspondent)"
                    r"|^[\w ]*\b(?:Writer|Correspondent)s?$", re.IGNORECASE)
_END = re.compile(r"^\s*(?:END|ENDIT|ENDADV|MORE)\s*$|^\s*\(?[a-z]{2,4}(?:-[a-z]{2,4})*\)?\s*$")


def looks_like_anpa(head: str) -> bool:
    """SOH then a service letter and selector, or (SOH lost) that line with a keyword line."""
    stripped = head.lstrip("\x16 \r\n")
    first_line = stripped.lstrip(SOH).split("\n", 1)[0]
    if not _SELECTOR.match(first_line):
        return False
    if stripped.startswith(SOH):
        return True
    keyword = _KEYWORD.search(head[:600])
    return bool(keyword and keyword["month"])


def read_anpa(
    data: bytes, *, source_uri: str, reference: Reference, reference_time: datetime
) -> Iterator[ParsedDispatch | Rejection]:
    return read_messages(data, format_name="ANPA", dispatch_from=dispatch_from_anpa, source_uri=source_uri,
                         reference=reference, reference_time=reference_time)


def dispatch_from_anpa(
    message: Message,
    *,
    source_uri: str,
    raw_sha256: str,
    reference: Reference,
    reference_time: datetime,
) -> ParsedDispatch:
    keyword = _KEYWORD.search(message.header)
    lines = message.text.split("\n")
    header_lines, body_lines, trailer = _split_text(lines, reference)
    digest = _digest_lines(lines) if not any(line.strip() for line in body_lines) else None
    if digest:
        # A digest ("AP Top Sports News at 5:08 a.m. EST" and ten `^headline<` lines): the
        # title is the headline, the list, one headline a line, is the body.
        header_lines, body_lines, trailer = [digest[0]], digest[1:], ""
    if not body_lines:
        raise ParseError("no_body", "ANPA message without body text")
    headline, byline = _headline_and_byline(header_lines)
    headline, note = split_editor_note(headline) if headline else (None, None)
    note = note or _note_line(header_lines)
    paras = body_lines if digest else paragraphs(body_lines)
    body, leading_note = split_leading_editor_note(("\n" if digest else "\n\n").join(paras))
    note = note or leading_note
    dateline = match_dateline(body.split("\n", 1)[0], reference)
    body = body_without_dateline(body, reference)
    trailer_match = _TRAILER.search(trailer + "\n" + message.after)
    agency_word = trailer_match["agency"] if trailer_match else None
    agency = (dateline.agency if dateline else None) or (
        reference.canonical_agency(agency_word) if agency_word else None)
    version = _version(keyword["version"] if keyword else None)
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=SOURCE_FORMAT,
        raw_sha256=raw_sha256,
        body=body,
        # Never the keyword slug ("BKN--Heat-Hawks"): a transmission code is no headline.
        headline=headline,
        byline=byline,
        editor_note=note,
        agency=agency,
        dateline_place=display_place(dateline.place) if dateline and dateline.place else None,
        dateline_region=dateline.region if dateline and dateline.place else None,
        dateline_country=(reference.country_of(dateline.place, dateline.region)
                          if dateline and dateline.place else None),
        published_at=_item_time(trailer_match, keyword, reference_time) or published_at_for(
            dateline_day(dateline.date if dateline else DatelineDate(), reference_time),
            reference_time),
        language="en",
        story_version=version,
        signal=_signal(keyword["version"] if keyword else None, note),
    )


def _digest_lines(lines: list[str]) -> list[str] | None:
    """The `^...<` lines of a digest (title first) without the keyword repeat, or None when
    the message is not one: at least a title and two items, and nothing else but blanks."""
    found = []
    for raw in lines:
        line = table_safe(raw).strip()
        if not line:
            continue
        if not (line.startswith("^") and line.endswith("<")):
            return None
        text = " ".join(line[1:-1].split())
        if text and not _KEYWORD.match(text):
            found.append(text)
    return found if len(found) >= 3 else None


def _split_text(
    lines: list[str], reference: Reference
) -> tuple[list[str], list[str], str]:
    """(lines before the dateline, body lines, trailer text)."""
    cleaned = [table_safe(line) for line in lines]
    start = next((i for i, line in enumerate(cleaned)
                  if match_dateline(line.lstrip("^\t ").rstrip("<="), reference)), None)
    if start is None:
        # No dateline (sports agate, advisories): the body starts at the first indented
        # paragraph or after the first blank line, below the `^…<` header lines.
        start = next((i for i, line in enumerate(cleaned) if i > 0 and (
            not line.strip() or line.startswith(("\t", "   ")))), 0)
    end = len(cleaned)
    while end > start and (not cleaned[end - 1].strip() or _TRAILER.search(cleaned[end - 1])
                           or _END.match(cleaned[end - 1].strip("^<= "))):
        end -= 1
    body = [line.lstrip("^").rstrip("<=") if not line.startswith("\t") else line
            for line in lines[start:end]]
    return cleaned[:start], body, "\n".join(cleaned[end:])


def _headline_and_byline(lines: list[str]) -> tuple[str | None, str | None]:
    headline = byline = None
    for raw in lines:
        line = " ".join(raw.lstrip("^").rstrip("<=").split())
        if not line or _KEYWORD.match(line) or _SELECTOR.match(line) or _STAFF.match(line):
            continue
        if match := _BYLINE.match(line):
            byline = byline or byline_name(match["name"])
        elif line.startswith("(") and line.endswith(")") or line.casefold().startswith("eds:"):
            continue  # an editor's note line; split_editor_note/_note_lines keep it
        elif headline is None:
            headline = line
    return headline, byline


def _note_line(lines: list[str]) -> str | None:
    """ "(Eds: Updates with quotes)" or "Eds: ..." on its own line in the header."""
    for raw in lines:
        line = " ".join(raw.lstrip("^").rstrip("<=").split())
        if line.startswith("(") and line.endswith(")"):
            line = line[1:-1].strip()
        elif not line.casefold().startswith("eds:"):
            continue
        return re.sub(r"^eds?:\s*", "", line, flags=re.IGNORECASE) or None
    return None


def _version(code: str | None) -> int | None:
    """1stLd-Writethru and Writethru are the second version of a story; 2ndLd the third."""
    if not code:
        return None
    if ordinal := _ORDINAL.match(code):
        return int(ordinal[1]) + 1
    if code.casefold().startswith("writethru"):
        return 2
    return None


def _signal(code: str | None, note: str | None) -> str | None:
    code = (code or "").casefold()
    if code.startswith("kill"):
        return "kill"
    if code.startswith("correct") or (note or "").casefold().startswith("correct"):
        return "correction"
    if "ld" in code or "writethru" in code:
        return "update"
    return None


def _item_time(
    trailer: re.Match[str] | None, keyword: re.Match[str] | None, reference_time: datetime
) -> datetime | None:
    """The trailer's date, time and zone; else the keyword line's (New York time)."""
    try:
        if trailer and trailer["zone"] in _ZONES:
            year = int(trailer["year"])
            year = year if year > 99 else (1900 + year if year >= 70 else 2000 + year)
            zone = timezone(timedelta(hours=_ZONES[trailer["zone"]]))
            hhmm = trailer["time"]
            local = datetime(year, int(trailer["month"]), int(trailer["day"]),
                             int(hhmm[:2]), int(hhmm[2:]), tzinfo=zone)
            return local.astimezone(UTC)
        if keyword and keyword["month"]:
            day = resolve_month_day(int(keyword["month"]), int(keyword["day"]), reference_time)
            hhmm = keyword["time"] or "0000"
            local = datetime(day.year, day.month, day.day, int(hhmm[:2]), int(hhmm[2:]),
                             tzinfo=_KEYWORD_ZONE)
            return local.astimezone(UTC)
    except ValueError as exc:
        raise ParseError("bad_dateline", f"ANPA date: {exc}") from exc
    return None
