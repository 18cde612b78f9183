"""Editors' notes: "(Recasts)" after a headline, "(Adds comments, detail)" opening a body."""

from __future__ import annotations

import re

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


def split_editor_note(headline: str) -> tuple[str, str | None]:
    """("UPDATE 2-Foo", "Recasts") from "UPDATE 2-Foo (Recasts)"; notes are not headline."""
    match = _EDITOR_NOTE.search(headline)
    if not match or not headline[: match.start()].strip():
        return headline, None
    return headline[: match.start()].strip(), match.group("note").strip()


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


def split_leading_editor_note(body: str) -> tuple[str, str | None]:
    """(body without it, note) when the body opens with a parenthesised editor's note."""
    match = _LEADING_NOTE.match(body)
    if not match:
        return body, None
    return body[match.end():].lstrip(), " ".join(match["note"].split())


def opens_with_editor_note(text: str) -> bool:
    """Whether `text` opens with a parenthesised editor's note."""
    return _LEADING_NOTE.match(text) is not None
