"""Small helpers shared by the structured-format readers (ninjs, NewsML-G2, JSONL, SGML)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from transforms.readers.wiretext.parse import display_place, match_dateline

if TYPE_CHECKING:
    from transforms.reference import Reference

MONTHS = {
    name: number
    for number, names in enumerate(
        (
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
            ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
            ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for name in names
}
_MONTH_PATTERN = "|".join(sorted(MONTHS, key=len, reverse=True))
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


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def parse_iso_datetime(value: object) -> datetime | None:
    """ISO 8601 timestamp as an aware UTC datetime; a naive one is taken as UTC; junk is None."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    # NewsML/NITF compact forms such as 20130731T153200+0000.
    compact = re.fullmatch(r"(\d{8})T(\d{6})([+-]\d{4}|Z)?", text)
    if compact:
        text = f"{compact[1]}T{compact[2]}{compact[3] or ''}"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


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
    return None


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


def structural_warnings(
    hint: DatelineHint | None, headline: str | None, body: str
) -> tuple[str, ...]:
    """Parse warnings for what a structured item lacks: a dateline, a headline, a body."""
    return tuple(
        warning
        for warning, applies in (
            ("no_dateline", hint is None),
            ("no_headline", not headline),
            ("headline_only", not body),
        )
        if applies
    )


def first_agency(reference: Reference, candidates: Iterable[str | None]) -> str | None:
    """The first candidate credit that the reference knows as an agency."""
    for candidate in candidates:
        if candidate and candidate.strip():
            agency = reference.canonical_agency(candidate.strip())
            if agency:
                return agency
    return None


def country_for(reference: Reference, hint: DatelineHint | None) -> str | None:
    if hint is None:
        return None
    return reference.country_of(hint.place, hint.region)


def signal_from(*notes: str | None) -> str | None:
    """Update/correction/kill when an editorial note or signal code says so."""
    text = " ".join(note for note in notes if note).casefold()
    if re.search(r"\b(kill|killed|withdraw\w*|eliminat\w*|cancel\w*)\b", text):
        return "kill"
    if re.search(r"\b(correct\w*|corrects|correcting)\b", text):
        return "correction"
    if re.search(r"\b(update\w*|updating|refile\w*)\b", text):
        return "update"
    return None


def pub_status_from(value: object) -> str:
    """Map ninjs/NewsML status words and codes (`stat:canceled`) to the contract's statuses."""
    text = str(value or "").rpartition(":")[2].strip().casefold()
    if text in ("withheld", "embargoed"):
        return "withheld"
    if text in ("canceled", "cancelled"):
        return "canceled"
    return "usable"


def version_number(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return None


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
    month = MONTHS.get(match["month"].casefold()) if match["month"] else None
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


_WEEKDAYS = frozenset(
    ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
)


def _not_weekday(region: str | None) -> str | None:
    if region and region.casefold() in _WEEKDAYS:
        return None
    return region


# --- shared by the agency-format readers (NITF, ANPA-1312, IPTC 7901, NewsML 1.x, AP JSON) --

# A "place" made only of digits, dashes, colons and zone letters is a timestamp
# (`<dateline>2018-01-03 20:13:08</dateline>`), never a place.
_TIMESTAMP_LIKE = re.compile(r"^[\d\s:./,+TZ-]*$")
_NOTE_VERBS = (
    r"adds?|adding|updates?|updated|updating|recasts?|corrects?|corrected|correcting|refiles?|"
    r"refiled|repeats?|repeated|removes?|changes?|changing|inserts?|fixes|rewrites?|"
    r"writes\s+through|moves?|edits?|clarifies|deletes?|expands?|tops|retops|amplifies|wraps|"
    r"combines|reslugs|releases|rptd|for\s+editors|editors?\s+note|eds?:"
)
# An editor's note opening a body: "(Adds comments, detail)", "(Eds: UPDATES with ...)".
_LEADING_NOTE = re.compile(
    r"^\s*\((?P<note>(?:" + _NOTE_VERBS + r")\b[^()]{0,200}|(?:eds?|editors?)\s*:[^()]{0,200})\)"
    r"[ \t]*\n?",
    re.IGNORECASE,
)


_BARE_DATE = re.compile(
    r"^(?:(?:" + _MONTH_PATTERN + r")\.?\s+\d{1,2}|\d{1,2}\.?\s+(?:" + _MONTH_PATTERN + r")\.?)"
    r"(?:,?\s+\d{2,4})?$",
    re.IGNORECASE,
)


def plausible_place(name: str | None) -> bool:
    """A dateline place has letters and is neither a timestamp, a date nor an editor's note."""
    if not name or not any(ch.isalpha() for ch in name):
        return False
    if _TIMESTAMP_LIKE.match(name.strip()) or _BARE_DATE.match(name.strip()):
        return False
    return _LEADING_NOTE.match(f"({name})") is None


def split_leading_editor_note(body: str) -> tuple[str, str | None]:
    """(body without it, note) when the body opens with a parenthesised editor's note."""
    match = _LEADING_NOTE.match(body)
    if not match:
        return body, None
    return body[match.end():].lstrip(), " ".join(match["note"].split())


_COMPACT_MOMENT = re.compile(
    r"^(?P<date>\d{8})(?:T(?P<time>\d{4}(?:\d{2})?)(?:[.,]\d+)?)?\s*(?P<zone>Z|[+-]\d{2}:?\d{2})?$"
)


def parse_compact_datetime(value: object) -> datetime | None:
    """ISO 8601 in either form news formats use (`20260105T093000+0100`, `20260105T0930Z`,
    `2026-01-05T09:30:00+01:00`) as aware UTC; a time without a zone is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    text = value.strip()
    match = _COMPACT_MOMENT.match(text)
    if not match:
        return parse_iso_datetime(text)
    time = (match["time"] or "0000").ljust(6, "0")
    zone = (match["zone"] or "").replace(":", "")
    if zone and zone != "Z":
        zone = f"{zone[:3]}:{zone[3:]}"
    day = match["date"]
    iso = f"{day[:4]}-{day[4:6]}-{day[6:]}T{time[:2]}:{time[2:4]}:{time[4:]}{zone}"
    return parse_iso_datetime(iso)
