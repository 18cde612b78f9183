"""Telling an item's real headline from the code words agencies send in headline fields.

Agencies put transmission codes where a headline goes: Reuters' `REFILE` (and `UPDATE 1-` /
`REFILE-` in front of the real headline), dpa's `(Achtung)`, AP's bare slug `BC-US-ECON-JOBS`,
Ritzau's `NU/FLASH-U`. None of them is a headline: they are flags, kept for the editor's note
and the signal. `real_headline` takes the item's headline fields in order of preference and
returns the first that is a headline, with the flags it met on the way.
"""

from __future__ import annotations

import re

from transforms.readers.wiretext.cleaning import squeeze

# "UPDATE 1-", "REFILE-", "RPT-", "CORRECTED-" in front of a Reuters headline.
_FLAG_PREFIX = re.compile(
    r"^\s*(?P<flag>UPDATE\s*\d*|REFILE|RPT|REPEAT|CORRECTED|WRAPUP\s*\d*)\s*-\s*(?=\S)")
# A headline field holding only a flag word, in parentheses or not.
_CODE_WORD = re.compile(
    r"^\(?\s*(?:REFILE|RPT|REPEAT|UPDATE\s*\d*|CORRECTED|Achtung|Eil|Eilt|Vorrang|Korrektur|"
    r"Berichtigung|FLASH|URGENT|BULLETIN|NU)\s*\)?[.!]?$",
    re.IGNORECASE,
)
# A slug: capitals and digits joined by dashes or slashes, no spaces ("BC-US-ECON-JOBS").
_SLUG = re.compile(r"^(?=[^ ]*[-/])[A-Z0-9&.]+(?:[-/][A-Z0-9&.]+)+$")


def is_code_word(text: str | None) -> bool:
    """True for a flag or slug that is no headline (`REFILE`, `(Achtung)`, `BC-US-ECON-JOBS`)."""
    text = squeeze(text or "")
    return bool(text) and bool(_CODE_WORD.match(text) or _SLUG.match(text))


def real_headline(*candidates: str | None) -> tuple[str | None, tuple[str, ...]]:
    """(the first candidate that is a headline, without a flag prefix; the flags met)."""
    flags: list[str] = []
    for candidate in candidates:
        text = squeeze(candidate or "")
        if not text:
            continue
        prefix = _FLAG_PREFIX.match(text)
        if prefix:
            flags.append(squeeze(prefix["flag"]))
            text = text[prefix.end():]
        if is_code_word(text):
            flags.append(text)
            continue
        return text, tuple(flags)
    return None, tuple(flags)


def signal_of_flags(flags: tuple[str, ...]) -> str | None:
    """`update` for UPDATE/REFILE/RPT flags, `correction` for CORRECTED; else None."""
    words = " ".join(flags).casefold()
    if re.search(r"correct|korrektur|berichtigung", words):
        return "correction"
    if re.search(r"update|refile|rpt|repeat|wrapup", words):
        return "update"
    return None


def prose(text: str | None) -> str | None:
    """A slugline written as prose (ANP: "Brand in Rotterdamse haven onder controle") can stand
    in for a headline; a coded one ("DENMARK-WIND/JOBS (REFILE)") cannot."""
    text = squeeze(text or "")
    words = text.split()
    if len(words) >= 3 and any(ch.islower() for ch in text) and "/" not in text:
        return text
    return None
