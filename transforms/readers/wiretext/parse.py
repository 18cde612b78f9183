"""Reader for plain wire text: one dispatch per text, in any of the common agency layouts.

A dispatch is found by its dateline, `PLACE[, Region][, Month Day[, Year]] (Credit) <dash>`, the
one line every agency sends, or the credit-less `PLACE[, Region] _ ` of the NYT News Service.
What comes before the dateline is the header (headline, editor note, byline); what comes after
it is the body, up to a trailer (END, copyright, reporting credits). Agencies that put the
headline last (Jiji) send it after the trailer.

Newspaper stories and broadcast transcripts often have no dateline at all. They are still
stories: a text without a dateline is a dispatch when it is *a news text* (`is_news_text`: at
least one sentence of `MIN_SENTENCE_WORDS` words ending in `.`, `!` or `?`), with its dateline
fields NULL and `no_dateline` in its parse warnings. Anything less (a list, a note, a stray
header) is refused as `no_prose`.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date, datetime

from transforms.identity import _SLUG
from transforms.readers.wiretext.dates import (
    parse_month,
    parse_weekday,
    published_at_for,
    resolve_month_day,
    resolve_weekday,
    utc_date,
)
from transforms.records import ParsedDispatch, ParseError
from transforms.reference import Reference

# Wire text says nothing about its language: it is detected later, from the text.
LANGUAGE = None
# The smallest sentence that makes a text without a dateline a story (see `is_news_text`).
MIN_SENTENCE_WORDS = 6

# --- cleaning ------------------------------------------------------------------------------

# Transmission control characters (SOH, STX, ETX, ...) and DEL; C1 controls only ever appear
# from mis-decoded bytes. Newlines and tabs are kept.
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
# Some feeds (Reuters' SGML era) write control characters as entities: "Reuter &#3;".
_NUMERIC_ENTITY = re.compile(r"&#(?:[xX]([0-9a-fA-F]{1,6})|([0-9]{1,7}));")
_NAMED_ENTITIES = {"&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&nbsp;": " "}
_NAMED_ENTITY = re.compile("|".join(re.escape(name) for name in _NAMED_ENTITIES))
_LINE_BREAKS = re.compile(r"\r\n?|[\u2028\u2029\x85]")
_BLANKS = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")


def _decode_numeric_entity(match: re.Match[str]) -> str:
    code = int(match.group(1), 16) if match.group(1) else int(match.group(2))
    if code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return ""
    return chr(code)


def clean_wire_text(text: str) -> str:
    """NFC text with unified line breaks, entities decoded and control characters removed."""
    text = _LINE_BREAKS.sub("\n", text)
    text = _NUMERIC_ENTITY.sub(_decode_numeric_entity, text)
    text = _NAMED_ENTITY.sub(lambda match: _NAMED_ENTITIES[match.group(0)], text)
    text = _CONTROL_CHARS.sub("", text)
    return unicodedata.normalize("NFC", text)


def _squeeze(text: str) -> str:
    return _BLANKS.sub(" ", text).strip()


# --- datelines -----------------------------------------------------------------------------

# Leading text, then the first parenthesised credit on the line, then the dash, then the body.
_DATELINE = re.compile(
    r"^(?P<lead>[^()\n]{0,90}?)[ \t]*\((?P<credit>[^()\n]{1,48})\)"
    r"(?P<dash>[ \t]*(?:--|[-–—_‒―:])?)[ \t]*(?P<rest>.*)$"
)
_CONNECTORS = frozenset(
    {
        "de",
        "da",
        "do",
        "dos",
        "das",
        "del",
        "della",
        "di",
        "du",
        "la",
        "le",
        "el",
        "es",
        "of",
        "the",
        "and",
        "upon",
        "on",
        "am",
        "an",
        "im",
        "sur",
        "y",
        "bin",
        "al",
    }
)
# A place or region: a few capitalised words ("St. Petersburg", "Rio de Janeiro", "N.Y.").
_LETTER = r"[^\W\d_]"
_NAME_WORD = re.compile(
    rf"^(?:{_LETTER}[^\W\d_'’.\-]*\.?|{_LETTER}['’]{_LETTER}+)(?:[-'’.]{_LETTER}+\.?)*$"
)
_MAX_PLACE_WORDS = 5
_MONTH = r"(?P<month>[^\W\d_]{3,9}\.?)"
_OPTIONAL_YEAR = r"(?:,?\s+(?P<year>\d{4}))?"
_MONTH_DAY = re.compile(rf"^{_MONTH}\s*(?P<day>\d{{1,2}}){_OPTIONAL_YEAR}$")  # Jan. 5, 2026
# 5 January; 14. März
_DAY_MONTH = re.compile(rf"^(?P<day>\d{{1,2}})\.?\s+{_MONTH}{_OPTIONAL_YEAR}$")
_YEAR = re.compile(r"^\d{4}$")


@dataclass(frozen=True)
class DatelineDate:
    """What the dateline says about the date; every part may be missing."""

    month: int | None = None
    day: int | None = None
    year: int | None = None
    weekday: int | None = None


@dataclass(frozen=True)
class Dateline:
    place: str | None
    region: str | None
    date: DatelineDate
    credit: str
    agency: str | None
    rest: str


def _is_name(text: str) -> bool:
    words = text.split()
    if not words or len(words) > _MAX_PLACE_WORDS or not words[0][:1].isupper():
        return False
    for word in words:
        if word.casefold() in _CONNECTORS:
            continue
        if not (_NAME_WORD.match(word) and word[:1].isupper()):
            return False
    return True


def _date_segment(segment: str, found: DatelineDate) -> DatelineDate | None:
    """`found` updated with what `segment` says, or None when it is not a date part."""
    match = _MONTH_DAY.match(segment) or _DAY_MONTH.match(segment)
    if match and parse_month(match.group("month")):
        year = int(match.group("year")) if match.group("year") else found.year
        return DatelineDate(
            parse_month(match.group("month")), int(match.group("day")), year, found.weekday
        )
    if _YEAR.match(segment) and found.month is not None and found.year is None:
        return DatelineDate(found.month, found.day, int(segment), found.weekday)
    weekday = parse_weekday(segment)
    if weekday is not None and found.weekday is None:
        return DatelineDate(found.month, found.day, found.year, weekday)
    return None


def _split_lead(lead: str) -> tuple[str | None, str | None, DatelineDate] | None:
    """(place, region, date) from the text before the credit, or None if it is no dateline."""
    segments = [segment.strip() for segment in lead.strip().rstrip(",").split(",")]
    if segments == [""]:
        return None, None, DatelineDate()
    place, region, found = segments[0], None, DatelineDate()
    if not _is_name(place):
        return None
    for segment in segments[1:]:
        dated = _date_segment(segment, found)
        if dated is not None:
            found = dated
        elif region is None and found == DatelineDate() and _is_name(segment):
            region = segment
        else:
            return None
    return place, region, found


def _shouts(text: str) -> bool:
    letters = [ch for ch in text if ch.isalpha()]
    return bool(letters) and all(ch.isupper() for ch in letters)


def match_dateline(line: str, reference: Reference) -> Dateline | None:
    """The dateline at the start of `line`, if the line opens with one."""
    match = _DATELINE.match(line.strip())
    if not match:
        return None
    parts = _split_lead(match.group("lead"))
    if parts is None:
        return None
    place, region, found = parts
    credit = _squeeze(match.group("credit"))
    agency = reference.canonical_agency(credit)
    if agency is None:
        # An unknown credit is only trusted when the rest looks unmistakably like a dateline,
        # so that a parenthesis in ordinary prose is not taken for one.
        looks_dated = found != DatelineDate() or (place is not None and _shouts(place))
        if place is None or not looks_dated or not match.group("dash").strip():
            return None
        if not _is_name(credit):
            return None
    return Dateline(place, region, found, credit, agency or credit, match.group("rest"))


# NYT News Service: "WASHINGTON _ The economy ...", "NEWARK, N.J. _ A new ...". Without a credit
# the place must shout, and a dash other than the NYT's underscore needs a region or a date too,
# so that a capitalised headline with a dash is not taken for a dateline.
_CREDITLESS_DATELINE = re.compile(
    r"^(?P<lead>[^()\n_]{1,90}?)[ \t]*(?P<dash>(?<=\s)_|--|—)(?:[ \t]+(?P<rest>.*))?$"
)


def match_creditless_dateline(line: str, reference: Reference) -> Dateline | None:
    """`PLACE[, Region][, Month Day] _ text` with no agency credit; the agency stays unknown.

    With `--` or `—` instead of the underscore the place also needs a region, a date, or to be
    a place the reference knows ("NEW YORK -- ..."), so a shouted headline is not a dateline."""
    match = _CREDITLESS_DATELINE.match(line.strip())
    if not match:
        return None
    parts = _split_lead(match.group("lead"))
    if parts is None:
        return None
    place, region, found = parts
    if place is None or not _shouts(_without_connectors(place)) or len(place) < 3:
        return None
    if (
        match.group("dash") != "_"
        and region is None
        and found == DatelineDate()
        and reference.country_of(place) is None
    ):
        return None
    return Dateline(place, region, found, "", None, match.group("rest") or "")


def _without_connectors(text: str) -> str:
    return " ".join(word for word in text.split() if word.casefold() not in _CONNECTORS)


def display_place(place: str) -> str:
    """Place as written, but "NEW YORK" becomes "New York" (datelines are often in capitals)."""
    if not _shouts(_without_connectors(place)):
        return place
    words = []
    for index, word in enumerate(place.split()):
        lowered = word.lower()
        if index and lowered in _CONNECTORS:
            words.append(lowered)
        else:
            words.append(
                re.sub(r"(^|[-.'’])(\w)", lambda m: m.group(1) + m.group(2).upper(), lowered)
            )
    return " ".join(words)


def dateline_day(found: DatelineDate, reference_time: datetime) -> date:
    """Calendar date the dateline means; an explicit year wins, no date means the reference's."""
    try:
        if found.month is not None and found.day is not None:
            if found.year is not None:
                return date(found.year, found.month, found.day)
            return resolve_month_day(found.month, found.day, reference_time)
        if found.weekday is not None:
            return resolve_weekday(found.weekday, reference_time)
    except (ValueError, OverflowError) as error:
        raise ParseError("bad_dateline", str(error)) from error
    return utc_date(reference_time)


# --- header: headline, byline, editor notes ------------------------------------------------

_BYLINE = re.compile(r"^(?:By|BY|by)[:\s]\s*(?P<name>\S.*)$")
# What follows a byline's name: ", Reuters", " - AP", " AP Diplomatic Writer", "Associated Press".
_BYLINE_SUFFIX = re.compile(
    r"(?:\s*[,|]\s*.*|\s+[-–—]\s+.*"
    r"|\s+(?:The\s+)?(?:AP|Associated\s+Press|Reuters|Bloomberg(?:\s+News)?|AFP|Kyodo(?:\s+News)?"
    r"|Xinhua|Yonhap|dpa|Jiji(?:\s+Press)?)\b.*)$",
    re.IGNORECASE,
)
_STAFF_LINE = re.compile(
    r"^(?:(?:The\s+)?(?:AP|Associated\s+Press|Reuters|Bloomberg(?:\s+News)?|AFP)\b.*"
    r"|[\w ]*\bWriters?)$",
    re.IGNORECASE,
)
# Wire routing lines that are not headlines: "BC-US--Budget,1st Ld-Writethru", "URGENT".
_ROUTING_LINE = re.compile(
    r"^(?:(?:BC|AM|PM)-[\w-]*-|(?:URGENT|FLASH|BULLETIN|ADVISORY|ALERT|PRIORITY)\s*$)"
)
_EDITOR_NOTE_VERBS = (
    "adds",
    "add",
    "recasts",
    "updates",
    "updated",
    "corrects",
    "corrected",
    "refiles",
    "refiled",
    "repeats",
    "repeated",
    "removes",
    "changes",
    "inserts",
    "fixes",
    "rewrites",
    "writes through",
    "moves",
    "edits",
    "clarifies",
    "deletes",
    "expands",
    "tops",
    "retops",
    "amplifies",
    "wraps",
    "previously",
    "combines",
    "reslugs",
    "new",
    "releases",
    "changing",
    "adding",
    "updating",
    "correcting",
    "with",
    "for",
    "rptd",
    "outlook",
)
_EDITOR_NOTE = re.compile(
    r"\s*\((?P<note>(?:" + "|".join(_EDITOR_NOTE_VERBS) + r")\b[^()]*)\)\s*$", re.IGNORECASE
)
_CORRECTION_NOTE = re.compile(r"^\s*correct", re.IGNORECASE)


def byline_name(raw: str) -> str:
    """ "JANE DOE, Reuters" -> "Jane Doe"; "Jane Doe AP Business Writer" -> "Jane Doe"."""
    name = _squeeze(_BYLINE_SUFFIX.sub("", _squeeze(raw)))
    return display_place(name) if _shouts(_without_connectors(name)) else name


@dataclass(frozen=True)
class Header:
    headline: str | None
    byline: str | None
    editor_note: str | None


def split_editor_note(headline: str) -> tuple[str, str | None]:
    """("UPDATE 2-Foo", "Recasts") from "UPDATE 2-Foo (Recasts)"; notes are not headline."""
    match = _EDITOR_NOTE.search(headline)
    if not match or not headline[: match.start()].strip():
        return headline, None
    return headline[: match.start()].strip(), match.group("note").strip()


# A news service's credit line in the header: "c.1998 N.Y. Times News Service".
_CREDIT_LINE = re.compile(r"^(?:\(c\)|c\.|©|Copyright)\s*(?P<year>\d{4}),?\s+(?P<name>\S.*)$", re.I)


def header_credit(lines: list[str], reference: Reference) -> tuple[str | None, str | None]:
    """(agency, copyright) from a credit line in the header: how a file says who sent it when
    its dateline has no credit. The agency is None unless the reference knows the name."""
    for raw in lines:
        match = _CREDIT_LINE.match(_squeeze(raw))
        if match:
            return reference.canonical_agency(match.group("name")), _squeeze(raw)
    return None, None


def _is_furniture(line: str, after_byline: bool, reference: Reference) -> bool:
    """Routing slugs, a bare agency name, a credit line, or "AP Business Writer" under a byline."""
    if _CREDIT_LINE.match(line):
        return True
    if _ROUTING_LINE.match(line) or reference.canonical_agency(line) is not None:
        return True
    return after_byline and bool(_STAFF_LINE.match(line))


def read_header(lines: list[str], reference: Reference) -> Header:
    headline: str | None = None
    byline: str | None = None
    note: str | None = None
    after_byline = False
    for raw in lines:
        line = _squeeze(raw)
        if not line or _is_furniture(line, after_byline, reference):
            continue
        byline_match = _BYLINE.match(line)
        after_byline = bool(byline_match)
        if byline_match and byline is None:
            byline = byline_name(byline_match.group("name")) or None
        elif line.startswith("(") and line.endswith(")"):
            note = note or line[1:-1].strip()
        elif headline is None:
            headline, inline_note = split_editor_note(line)
            note = note or inline_note
    return Header(headline, byline, note)


def signal_of(headline: str | None, editor_note: str | None) -> str | None:
    """update / correction / kill from the headline's slugs (or a "Corrects ..." note)."""
    slugs = _SLUG.match(headline or "")
    words = set(re.findall(r"[A-Za-z]+", slugs.group(0).upper())) if slugs else set()
    if "KILL" in words:
        return "kill"
    if words & {"CORRECTED", "CORRECTION", "CORRECTS"}:
        return "correction"
    if editor_note and _CORRECTION_NOTE.match(editor_note):
        return "correction"
    if "UPDATE" in words:
        return "update"
    return None


_UPDATE_NUMBER = re.compile(r"\bUPDATE\s*(\d+)", re.IGNORECASE)


def update_number(headline: str | None) -> int | None:
    """2 from "UPDATE 2-…": wire text's only version number, so the latest update sorts last."""
    slugs = _SLUG.match(headline or "")
    found = _UPDATE_NUMBER.search(slugs.group(0)) if slugs else None
    return int(found.group(1)) if found else None


# --- body and trailers ---------------------------------------------------------------------

# Where the dispatch proper ends: an END mark, or a copyright notice opening its own part.
_HARD_END = re.compile(
    r"(?:(?<=\s)|^)(?:\(?(?:END|ENDS|ENDIT|ENDITEM|Enditem)\)?)"
    r"(?=[ \t]*(?:\[|\(c\)|©|Copyright\b|$))"
    r"|(?:(?<=\s)|^)\[[ \t]*(?:Copyright\b|©|\(c\))"
    r"|^[ \t]*(?:Copyright\b|©|\(c\)[ \t]*\d{4})"
    r"|^[ \t]*To contact the (?:reporters?|editors?)\b"
    r"|(?<=[.!?\"”’)])[ \t]+(?:©|\(c\)[ \t]*\d{4}|Copyright[ \t]+(?:\d{4}|©|\(c\)))",
    re.MULTILINE,
)
_BRACKETED_COPYRIGHT = re.compile(r"\[\s*((?:Copyright\b|©|\(c\))[^\]]*)\]", re.IGNORECASE)
_LINE_COPYRIGHT = re.compile(r"(?:^|(?<=\s))((?:Copyright\b|©|\(c\)\s*\d{4}).*)$", re.MULTILINE)
_END_MARK = re.compile(r"(?:^|(?<=\s))\(?(?:END|ENDS|ENDIT|ENDITEM|Enditem)\)?(?=\s|$)")
_AGENCY_SIGNOFF = (
    r"(?:Kyodo(?:\s+News)?|Xinhua|Yonhap|AFP|dpa|AP|Reuters?|Bloomberg|Jiji(?:\s+Press)?|AAP|"
    r"Bernama|PTI|IANS|ANI|ANSA|EFE|UPI|NTB|TT|PA|NHK)"
)
# Trailers that may close the body, each anchored at its end; removed repeatedly.
_SOFT_TRAILERS = (
    re.compile(r"\(\((?:[^()]|\([^()]*\))*\)\)\s*$"),  # ((Reporting by ...; e-mail ...))
    re.compile(
        r"\((?:Reporting|Additional\s+reporting|Writing|Written|Editing|Edited|Compiled|"
        r"Translated|Research|Graphics?|Production|Sub-edited|Reported)\b"
        r"(?:[^()]|\([^()]*\))*\)\s*$",
        re.IGNORECASE,
    ),
    re.compile(r"(?:^|\s)(?:--|==|=|—|–)\s*" + _AGENCY_SIGNOFF + r"\s*$", re.IGNORECASE),
    re.compile(r"(?:^|\s)\(?(?:END|ENDS|ENDIT)\)?\s*$"),
    re.compile(r"(?:^|\n)[ \t]*-0-\s*$"),
    # Reporter's e-mail (Yonhap) and desk initials (AFP: "bur-abc/jmr") on their own line.
    re.compile(r"(?:^|\n)[ \t]*[\w.+-]+@[\w-]+(?:\.[\w-]+)+[ \t]*$"),
    re.compile(r"(?:^|\n)[ \t]*[a-z]{2,5}(?:-[a-z]{2,5})*(?:/[a-z]{2,5}(?:-[a-z]{2,5})*)+[ \t]*$"),
    # Reuters' old sign-off, alone on its line or right after the last sentence.
    re.compile(r"(?:(?:^|\n)[ \t]*|(?<=[.!?\"”’])[ \t]+)" + _AGENCY_SIGNOFF + r"\s*$"),
)
_SENTENCE_END = tuple('.!?:;"”’)]…')
_MAX_TRAILING_HEADLINE_WORDS = 20


def split_at_hard_end(text: str) -> tuple[str, str]:
    match = _HARD_END.search(text)
    if not match:
        return text, ""
    return text[: match.start()], text[match.start() :]


def copyright_in(tail: str) -> str | None:
    bracketed = _BRACKETED_COPYRIGHT.search(tail)
    if bracketed:
        return _squeeze(bracketed.group(1)) or None
    line = _LINE_COPYRIGHT.search(tail)
    return _squeeze(line.group(1)) if line else None


def lines_after_trailer(tail: str) -> list[str]:
    """What follows END and copyright: in headline-last layouts, the headline."""
    without = _BRACKETED_COPYRIGHT.sub(" ", tail)
    without = _LINE_COPYRIGHT.sub(" ", without)
    without = _END_MARK.sub(" ", without)
    return [_squeeze(line) for line in without.split("\n") if _squeeze(line)]


def strip_soft_trailers(text: str) -> str:
    text = text.rstrip()
    changed = True
    while changed and text:
        changed = False
        for trailer in _SOFT_TRAILERS:
            match = trailer.search(text)
            if match:
                text = text[: match.start()].rstrip()
                changed = True
    return text


def paragraphs_of(text: str) -> list[str]:
    """Paragraphs: blank-line separated blocks, else indented lines, else one per line.

    Hard-wrapped lines inside a paragraph are joined with a space.
    """
    lines = text.split("\n")
    if any(not line.strip() for line in lines):
        blocks = re.split(r"\n[ \t]*\n", text)
        return [_squeeze(" ".join(block.split("\n"))) for block in blocks if block.strip()]
    indented = [index for index, line in enumerate(lines[1:], 1) if line[:1] in (" ", "\t")]
    if indented and len(indented) < len(lines) - 1:
        starts = [0, *indented, len(lines)]
        return [
            _squeeze(" ".join(lines[start:end]))
            for start, end in zip(starts, starts[1:], strict=False)
            if _squeeze(" ".join(lines[start:end]))
        ]
    return [_squeeze(line) for line in lines if line.strip()]


def _looks_like_headline(paragraph: str) -> bool:
    words = paragraph.split()
    return 0 < len(words) <= _MAX_TRAILING_HEADLINE_WORDS and not paragraph.endswith(_SENTENCE_END)


@dataclass(frozen=True)
class Body:
    text: str
    copyright: str | None
    trailing_headline: str | None


def read_body(text: str, *, want_headline: bool) -> Body:
    """Body paragraphs without trailers; the headline too when it is sent after the body."""
    main, tail = split_at_hard_end(text)
    copyright_notice = copyright_in(tail)
    # Bloomberg's contact block is the only hard end that is never followed by a headline.
    after = [] if tail.lstrip().startswith("To contact") else lines_after_trailer(tail)
    paragraphs = paragraphs_of(strip_soft_trailers(main))
    trailing: str | None = None
    if want_headline:
        if after:
            trailing = after[0]
        elif len(paragraphs) > 1 and _looks_like_headline(paragraphs[-1]):
            trailing = paragraphs.pop()
            paragraphs = paragraphs_of(strip_soft_trailers("\n\n".join(paragraphs)))
    return Body("\n\n".join(paragraphs), copyright_notice, trailing)


# --- the reader ----------------------------------------------------------------------------


def _find_dateline(lines: list[str], reference: Reference) -> tuple[int, Dateline] | None:
    """The first credited dateline; else the first credit-less one (a credit is the stronger
    sign, so it wins even on a later line); None when there is neither."""
    for index, line in enumerate(lines):
        dateline = match_dateline(line, reference)
        if dateline is not None:
            return index, dateline
    for index, line in enumerate(lines):
        dateline = match_creditless_dateline(line, reference)
        if dateline is not None:
            return index, dateline
    return None


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]+(?=[\"”’)\]]*(?:\s|$))")
_WORD = re.compile(r"\b[^\W\d_][\w'’-]*")


def is_news_text(text: str) -> bool:
    """Whether text holds prose: one sentence of MIN_SENTENCE_WORDS words (with letters) ending
    in `.`, `!` or `?`. Lists, notes, headers and furniture have none; every story has one."""
    joined = " ".join(text.split())
    return any(
        len(_WORD.findall(sentence)) >= MIN_SENTENCE_WORDS for sentence in _SENTENCE.findall(joined)
    )


_MAX_HEADER_LINES = 6


def _is_header_line(line: str) -> bool:
    words = line.split()
    if _BYLINE.match(line) or _ROUTING_LINE.match(line):
        return True
    if line.startswith("(") and line.endswith(")"):
        return True
    return 0 < len(words) <= _MAX_TRAILING_HEADLINE_WORDS and not line.endswith(_SENTENCE_END)


def _split_undated(cleaned: str) -> tuple[list[str], str]:
    """(header lines, body text) of a text with no dateline.

    Leading blocks (blank-line separated) whose every line is short and unpunctuated, a byline
    or a routing slug are the header; a hard-wrapped first paragraph always has a line ending
    a sentence, so it is never mistaken for one.
    """
    blocks = re.split(r"\n[ \t]*\n", cleaned.strip())
    header: list[str] = []
    taken = 0
    for block in blocks[:-1]:
        lines = [_squeeze(line) for line in block.split("\n") if line.strip()]
        if not lines or len(header) + len(lines) > _MAX_HEADER_LINES:
            break
        if not all(_is_header_line(line) for line in lines):
            break
        header += lines
        taken += 1
    return header, "\n\n".join(blocks[taken:])


def _undated_dispatch(
    cleaned: str,
    *,
    reference_time: datetime,
    reference: Reference,
    source_uri: str,
    raw_sha256: str,
    source_format: str,
) -> ParsedDispatch:
    """A story with no dateline: header and body split by layout alone, dateline fields NULL."""
    header_lines, rest = _split_undated(cleaned)
    body = read_body(rest, want_headline=False)
    if not is_news_text(body.text):
        raise ParseError(
            "no_prose",
            f"no dateline and no sentence of {MIN_SENTENCE_WORDS}+ words: not a news text",
        )
    header = read_header(header_lines, reference)
    agency, credit_copyright = header_credit(header_lines, reference)
    warnings = ["no_dateline"]
    if header.headline is None:
        warnings.append("no_headline")
    warnings.append("date_from_file_time")
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=source_format,
        raw_sha256=raw_sha256,
        body=body.text,
        headline=header.headline,
        byline=header.byline,
        editor_note=header.editor_note,
        agency=agency,
        published_at=published_at_for(utc_date(reference_time), reference_time),
        copyright=body.copyright or credit_copyright,
        language=LANGUAGE,
        signal=signal_of(header.headline, header.editor_note),
        story_version=update_number(header.headline),
        parse_warnings=tuple(warnings),
    )


def parse_wire_text(
    text: str,
    *,
    reference_time: datetime,
    reference: Reference,
    source_uri: str,
    raw_sha256: str,
    source_format: str = "wire-text",
) -> ParsedDispatch:
    """One dispatch from plain wire text; ParseError when the text holds none."""
    cleaned = clean_wire_text(text)
    if not cleaned.strip():
        raise ParseError("empty", "no text after removing control characters")
    lines = cleaned.split("\n")
    found = _find_dateline(lines, reference)
    if found is None:
        return _undated_dispatch(
            cleaned, reference_time=reference_time, reference=reference, source_uri=source_uri,
            raw_sha256=raw_sha256, source_format=source_format,
        )
    index, dateline = found
    header = read_header(lines[:index], reference)
    body = read_body(
        "\n".join([dateline.rest, *lines[index + 1 :]]), want_headline=header.headline is None
    )
    if not body.text:
        raise ParseError("no_body", "dateline found but nothing follows it")
    headline = header.headline or body.trailing_headline
    note = header.editor_note
    if headline and header.headline is None:
        headline, note = split_editor_note(headline)
    day = dateline_day(dateline.date, reference_time)
    dated = dateline.date != DatelineDate()
    credit_agency, credit_copyright = header_credit(lines[:index], reference)
    warnings = [] if headline else ["no_headline"]
    if not dated:
        warnings.append("date_from_file_time")
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=source_format,
        raw_sha256=raw_sha256,
        body=body.text,
        headline=headline or None,
        byline=header.byline,
        editor_note=note,
        agency=dateline.agency or credit_agency,
        dateline_place=display_place(dateline.place) if dateline.place else None,
        dateline_country=(
            reference.country_of(dateline.place, dateline.region) if dateline.place else None
        ),
        published_at=published_at_for(day, reference_time),
        copyright=body.copyright or credit_copyright,
        language=LANGUAGE,
        signal=signal_of(headline, note),
        story_version=update_number(headline),
        dateline_date=day if dated else None,
        parse_warnings=tuple(warnings),
    )
