"""The one dateline grammar: what the line that opens a dispatch says about place, date and credit.

`PLACE[, Region][, Month Day[, Year]] (Credit) <dash>` is the line every agency sends
(`match_dateline`); the NYT News Service sends `PLACE[, Region] _ ` with no credit
(`match_creditless_dateline`). The structured formats carry a dateline at the start of a body or
in a field of its own, often without a credit ("SALVADOR, Feb 26 - ", "KANSAS CITY, Mo.--"):
`dateline_at_start` and `parse_dateline_field` read those as a `DatelineHint`.

Month and weekday names are read through one table (`parse_month`, `parse_weekday`): English,
then the French, German and Swedish spellings of European agencies' datelines. The credit-less
patterns in capitals know the English names only. Which calendar day a dateline means is
`transforms.readers.wiretext.dates`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from transforms.readers.wiretext.cleaning import squeeze
from transforms.readers.wiretext.notes import opens_with_editor_note

if TYPE_CHECKING:
    from transforms.reference import Reference

# --- month and weekday names --------------------------------------------------------------

# One row per month: its English spellings, then the French, German, Swedish and Italian ones
# ("PARIS, 12 mars (AFP) -", "BERLIN, 14. März (dpa) -", "STOCKHOLM, 3 maj (TT) -").
MONTH_NAMES: tuple[tuple[tuple[str, ...], tuple[str, ...]], ...] = (
    (("january", "jan"), ("janvier", "janv", "januar", "januari", "jänner", "gennaio", "gen")),
    (("february", "feb"), ("febr", "février", "fevrier", "févr", "februar", "februari", "febbraio")),
    (("march", "mar"), ("mars", "märz", "maerz", "mrz", "marzo")),
    (("april", "apr"), ("avril", "avr", "aprile")),
    (("may",), ("mai", "maj", "maggio", "mag")),
    (("june", "jun"), ("juin", "juni", "giugno", "giu")),
    (("july", "jul"), ("juillet", "juil", "juli", "luglio", "lug")),
    (("august", "aug"), ("août", "aout", "augusti", "agosto", "ago")),
    (("september", "sep", "sept"), ("septembre", "settembre", "set")),
    (("october", "oct"), ("octobre", "oktober", "okt", "ottobre", "ott")),
    (("november", "nov"), ("novembre",)),
    (("december", "dec"), ("décembre", "decembre", "déc", "dezember", "dez", "dicembre", "dic")),
)
# Monday first, as in `date.weekday`; the full name first in each row.
WEEKDAY_NAMES: tuple[tuple[str, ...], ...] = (
    ("monday", "mon"),
    ("tuesday", "tue", "tues"),
    ("wednesday", "wed"),
    ("thursday", "thu", "thur", "thurs"),
    ("friday", "fri"),
    ("saturday", "sat"),
    ("sunday", "sun"),
)
_MONTHS = {
    name: number
    for number, (english, other) in enumerate(MONTH_NAMES, start=1)
    for name in english + other
}
_ENGLISH_MONTHS = {
    name: number for number, (english, _) in enumerate(MONTH_NAMES, start=1) for name in english
}
_WEEKDAYS = {name: number for number, names in enumerate(WEEKDAY_NAMES) for name in names}
_FULL_WEEKDAYS = frozenset(names[0] for names in WEEKDAY_NAMES)


def _token_key(token: str) -> str:
    return token.strip().rstrip(".").casefold()


def parse_month(token: str) -> int | None:
    """Month number for "Jan.", "Jan", "January", "Sept.", "März" and the like; None otherwise."""
    return _MONTHS.get(_token_key(token))


def parse_english_month(token: str) -> int | None:
    """Month number for an English spelling only ("Feb", "sept."): dates in English layouts."""
    return _ENGLISH_MONTHS.get(_token_key(token))


def parse_weekday(token: str) -> int | None:
    """Weekday number (Monday is 0, as in `date.weekday`) for "Monday", "Tues." etc."""
    return _WEEKDAYS.get(_token_key(token))


# --- wire datelines: PLACE, Month Day (Credit) -- ----------------------------------------

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


def shouts(text: str) -> bool:
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
    credit = squeeze(match.group("credit"))
    agency = reference.canonical_agency(credit)
    if agency is None:
        # An unknown credit is only trusted when the rest looks unmistakably like a dateline,
        # so that a parenthesis in ordinary prose is not taken for one.
        looks_dated = found != DatelineDate() or (place is not None and shouts(place))
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
    if place is None or not shouts(without_connectors(place)) or len(place) < 3:
        return None
    if (
        match.group("dash") != "_"
        and region is None
        and found == DatelineDate()
        and reference.country_of(place) is None
    ):
        return None
    return Dateline(place, region, found, "", None, match.group("rest") or "")


def without_connectors(text: str) -> str:
    return " ".join(word for word in text.split() if word.casefold() not in _CONNECTORS)


def display_place(place: str) -> str:
    """Place as written, but "NEW YORK" becomes "New York" (datelines are often in capitals)."""
    if not shouts(without_connectors(place)):
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


# --- datelines of the structured formats: hints at the start of a body, or a field --------

_MONTH_PATTERN = "|".join(sorted(_ENGLISH_MONTHS, key=len, reverse=True))
_DASH = r"(?:--|—|–|-|:)"
# Datelines with a credit ("GROSSETO, Italy (AP) --") are left to the wire-text parser's
# `match_dateline`; this covers the credit-less ones ("SALVADOR, Feb 26 - " in Reuters-21578,
# "KANSAS CITY, Mo.--"). The place must be in capitals, as wire datelines are, so that an
# ordinary first sentence ("The trial of ...") is never taken for a dateline.
_CAPS_DATELINE = re.compile(
    r"^\s*(?P<place>[A-Z][A-Z.'’\- ]{1,40}?)"
    r"(?:,\s*(?P<region>(?!(?:" + _MONTH_PATTERN + r")\b)[A-Z][\w.'’ ]{0,30}?))?"
    r"(?:,?\s+(?P<month>" + _MONTH_PATTERN + r")\.?\s+(?P<day>\d{1,2}))?"
    # AAP writes its credit without parentheses: "ADELAIDE, Jan 5 AAP - ".
    r"\s*(?:\((?P<credit>[^()\n]{1,40})\)|(?P<bare_credit>AAP))?\s*" + _DASH + r"+\s*",
    re.IGNORECASE,
)
# "(New York, NY - October 21) Et, sent ..." - the dateline in parentheses.
_PAREN_DATELINE = re.compile(
    r"^\s*\((?P<place>[A-Z][\w.'’ ]{1,40}?)(?:,\s*(?P<region>[A-Z][\w.'’ ]{0,30}?))?"
    r"(?:\s*" + _DASH + r"\s*(?P<month>" + _MONTH_PATTERN + r")\.?\s+(?P<day>\d{1,2}))?\)\s*",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class DatelineHint:
    """What a dateline says: place, optional region (state or country), day and credit."""

    place: str
    region: str | None = None
    month: int | None = None
    day: int | None = None
    credit: str | None = None


def tidy_place(name: str) -> str:
    """Wire datelines shout ("GROSSETO"); store places as names are written ("Grosseto")."""
    return display_place(" ".join(name.split()).strip(" ,.-"))


def split_located(located: str) -> DatelineHint | None:
    """A free-text location ("Grossetto, Italy", "New York, NY") as place and region."""
    parts = [part.strip() for part in located.split(",") if part.strip()]
    if not parts or not plausible_place(parts[0]):
        return None
    region = parts[-1] if len(parts) > 1 else None
    return DatelineHint(place=tidy_place(parts[0]), region=region)


def dateline_at_start(text: str, reference: Reference) -> DatelineHint | None:
    """The wire-style dateline that opens a body, if it has one."""
    first_line = text.lstrip().split("\n", 1)[0][:300]
    found = match_dateline(first_line, reference)
    if found is not None and found.place:
        return DatelineHint(
            place=tidy_place(found.place),
            region=found.region,
            month=found.date.month,
            day=found.date.day,
            credit=found.credit,
        )
    for pattern in (_CAPS_DATELINE, _PAREN_DATELINE):
        match = pattern.match(first_line)
        if match and _plausible(match, pattern is _CAPS_DATELINE) and plausible_place(
            match["place"]
        ):
            return _hint_from(match)
    local = local_dateline(first_line, reference)
    return local[0] if local else None


def parse_dateline_field(text: str, reference: Reference) -> DatelineHint | None:
    """A dateline given as its own field: "MOSCOW, Monday (Reuters)", "KANSAS CITY, Mo."."""
    text = " ".join(text.split())
    if not text:
        return None
    hint = dateline_at_start(text + " - ", reference)
    if hint:
        return hint
    credit_match = re.search(r"\(([^()]{1,40})\)\s*$", text)
    credit = credit_match[1].strip() if credit_match else None
    located = split_located(text[: credit_match.start()] if credit_match else text)
    if located is None:
        return None
    return DatelineHint(located.place, _not_weekday(located.region), credit=credit)


def country_for(reference: Reference, hint: DatelineHint | None) -> str | None:
    if hint is None:
        return None
    return reference.country_of(hint.place, hint.region)


def _plausible(match: re.Match[str], capitals_required: bool) -> bool:
    groups = match.groupdict()
    if not capitals_required:
        # "(Sports Network) - ..." is a credit, not a dateline: a place needs a region or date.
        return bool(groups["region"] or groups["month"])
    place = groups["place"].strip()
    if not (place.isupper() and len(place.replace(" ", "")) >= 2):
        return False
    # Without a credit, a date or a region, a capitalised word and a dash is too weak a sign.
    return bool(groups.get("credit") or groups.get("bare_credit") or groups["month"]
                or groups["region"])


def _hint_from(match: re.Match[str]) -> DatelineHint:
    month = parse_english_month(match["month"]) if match["month"] else None
    day = int(match["day"]) if match["day"] else None
    region = match["region"].strip(" .") if match["region"] else None
    credit = match.groupdict().get("credit") or match.groupdict().get("bare_credit")
    return DatelineHint(
        place=tidy_place(match["place"]),
        region=_not_weekday(region),
        month=month,
        day=day,
        credit=credit.strip() if credit else None,
    )


def _not_weekday(region: str | None) -> str | None:
    if region and region.casefold() in _FULL_WEEKDAYS:
        return None
    return region


# A "place" made only of digits, dashes, colons and zone letters is a timestamp
# (`<dateline>2018-01-03 20:13:08</dateline>`), never a place.
_TIMESTAMP_LIKE = re.compile(r"^[\d\s:./,+TZ-]*$")
_ZONE_WORDS = re.compile(r"(?<![A-Za-z])(?:GMT|UTC|UT|CET|CEST|EST|EDT|BST|JST)(?![A-Za-z])",
                         re.IGNORECASE)
_BARE_DATE = re.compile(
    r"^(?:(?:" + _MONTH_PATTERN + r")\.?\s+\d{1,2}|\d{1,2}\.?\s+(?:" + _MONTH_PATTERN + r")\.?)"
    r"(?:,?\s+\d{2,4})?$",
    re.IGNORECASE,
)


def plausible_place(name: str | None) -> bool:
    """A dateline place has letters and is neither a timestamp, a date nor an editor's note."""
    if not name or not any(ch.isalpha() for ch in name):
        return False
    # Zone names do not make a timestamp a place: "2018-01-03 20:13:08 Gmt+00:00" (Reuters).
    numeric = _ZONE_WORDS.sub(" ", name.strip())
    if _TIMESTAMP_LIKE.match(numeric) or _BARE_DATE.match(name.strip()):
        return False
    return not opens_with_editor_note(f"({name})")


# Datelines of agencies writing in other languages: "VENEZIA, 14 GEN - " (ANSA), "BRUXELLES
# 14/01 (BELGA) = " (Belga), "PARIS, 14 janv 2026 (AFP) - ". The place must shout and be
# followed by a day; or a credit the reference knows as an agency must follow it.
_LOCAL_DATELINE = re.compile(
    r"^\s*(?P<place>[^\W\d_][\w'’.\- ]{1,40}?)"
    r"(?:,?\s+(?P<day>\d{1,2})(?:\s+(?P<month>[^\W\d_]{3,9})\.?(?:\s+\d{4})?|/\d{1,2}(?:/\d{2,4})?))?"
    r"\s*(?:\((?P<credit>[^()\n]{1,40})\))?\s*(?:--|[-–—_=:])\s+",
)


def local_dateline(line: str, reference: Reference) -> tuple[DatelineHint, str] | None:
    """(hint, text after it) for a dateline in the local agency styles above."""
    match = _LOCAL_DATELINE.match(line)
    if not match or not plausible_place(match["place"]):
        return None
    place = match["place"].strip()
    credit = (match["credit"] or "").strip() or None
    known_credit = credit is not None and reference.canonical_agency(credit) is not None
    dated = match["day"] is not None and (match["month"] is None or parse_month(match["month"]))
    if not (known_credit or (dated and shouts(without_connectors(place)))):
        return None
    hint = DatelineHint(place=tidy_place(place), day=int(match["day"]) if match["day"] else None,
                        month=parse_month(match["month"]) if match["month"] else None,
                        credit=credit)
    return hint, line[match.end():]


def body_without_dateline(body: str, reference: Reference) -> str:
    """The body without the dateline that opens it (`body` is documented "without dateline"):
    "CHICAGO (AP) _ The Chicago ..." becomes "The Chicago ...". A body that opens with no
    dateline is returned as it is."""
    text = body.lstrip()
    first, newline, remainder = text.partition("\n")
    rest = _rest_after_dateline(first, reference)
    if rest is None:
        return body
    rest = rest.strip()
    return (rest + newline + remainder) if rest else remainder.lstrip()


def _rest_after_dateline(line: str, reference: Reference) -> str | None:
    found = match_dateline(line, reference)
    if found is not None and found.place and found.rest.strip():
        return found.rest
    for pattern in (_CAPS_DATELINE, _PAREN_DATELINE):
        match = pattern.match(line)
        if match and _plausible(match, pattern is _CAPS_DATELINE) and plausible_place(
                match["place"]):
            return line[match.end():]
    local = local_dateline(line, reference)
    if local:
        return local[1]
    # No place, only a day and the credit: "Jan 3 (Reuters) - Results of ..."
    dated = _PLACELESS_DATELINE.match(line)
    if dated and parse_month(dated["month"]) and reference.canonical_agency(dated["credit"]):
        return line[dated.end():]
    return None


_PLACELESS_DATELINE = re.compile(
    r"^\s*(?P<month>[^\W\d_]{3,9})\.?\s+\d{1,2}\s*\((?P<credit>[^()\n]{1,40})\)\s*"
    r"(?:--|[-–—_=:])\s+")
