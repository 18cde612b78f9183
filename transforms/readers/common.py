"""Small helpers shared by the structured-format readers (ninjs, NewsML-G2, JSONL, SGML, NITF, ...).

Datelines, in a body or in a field of their own, are read by the one dateline grammar in
`transforms.readers.wiretext.datelines`; editors' notes by `transforms.readers.wiretext.notes`.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from transforms.readers.wiretext.datelines import DatelineHint
    from transforms.reference import Reference


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
