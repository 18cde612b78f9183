"""The header of a wire text: headline, byline, editor's note, and the update signal they give."""

from __future__ import annotations

import re
from dataclasses import dataclass

from transforms.identity import SLUG
from transforms.readers.wiretext.cleaning import squeeze
from transforms.readers.wiretext.datelines import display_place, shouts, without_connectors
from transforms.readers.wiretext.notes import split_editor_note
from transforms.reference import Reference

BYLINE = re.compile(r"^(?:By|BY|by)[:\s]\s*(?P<name>\S.*)$")
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
ROUTING_LINE = re.compile(
    r"^(?:(?:BC|AM|PM)-[\w-]*-|(?:URGENT|FLASH|BULLETIN|ADVISORY|ALERT|PRIORITY)\s*$)"
)
_CORRECTION_NOTE = re.compile(r"^\s*correct", re.IGNORECASE)


def byline_name(raw: str) -> str:
    """ "JANE DOE, Reuters" -> "Jane Doe"; "Jane Doe AP Business Writer" -> "Jane Doe"."""
    name = squeeze(_BYLINE_SUFFIX.sub("", squeeze(raw)))
    return display_place(name) if shouts(without_connectors(name)) else name


@dataclass(frozen=True)
class Header:
    headline: str | None
    byline: str | None
    editor_note: str | None


# A news service's credit line in the header: "c.1998 N.Y. Times News Service".
_CREDIT_LINE = re.compile(r"^(?:\(c\)|c\.|©|Copyright)\s*(?P<year>\d{4}),?\s+(?P<name>\S.*)$", re.I)


def header_credit(lines: list[str], reference: Reference) -> tuple[str | None, str | None]:
    """(agency, copyright) from a credit line in the header: how a file says who sent it when
    its dateline has no credit. The agency is None unless the reference knows the name."""
    for raw in lines:
        match = _CREDIT_LINE.match(squeeze(raw))
        if match:
            return reference.canonical_agency(match.group("name")), squeeze(raw)
    return None, None


def _is_furniture(line: str, after_byline: bool, reference: Reference) -> bool:
    """Routing slugs, a bare agency name, a credit line, or "AP Business Writer" under a byline."""
    if _CREDIT_LINE.match(line):
        return True
    if ROUTING_LINE.match(line) or reference.canonical_agency(line) is not None:
        return True
    return after_byline and bool(_STAFF_LINE.match(line))


def read_header(lines: list[str], reference: Reference) -> Header:
    headline: str | None = None
    byline: str | None = None
    note: str | None = None
    after_byline = False
    for raw in lines:
        line = squeeze(raw)
        if not line or _is_furniture(line, after_byline, reference):
            continue
        byline_match = BYLINE.match(line)
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
    slugs = SLUG.match(headline or "")
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
    slugs = SLUG.match(headline or "")
    found = _UPDATE_NUMBER.search(slugs.group(0)) if slugs else None
    return int(found.group(1)) if found else None
