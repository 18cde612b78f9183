"""Identity of stories and of their versions."""

from __future__ import annotations

import hashlib
import re
import unicodedata

from transforms.records import ParsedDispatch

# Wire slugs that mark a re-send of the same story rather than a new one; they may be stacked
# ("REFILE-UPDATE 2-", "CORRECTED-UPDATE 1-"). A kill names the story it kills, so KILL is one
# too. The parser reads `signal` from the same prefix.
SLUG = re.compile(
    r"^\s*(?:(?:UPDATE|REFILE|CORRECTED|CORRECTION|CORRECTS|RPT|REPEAT|RECAST|WRAPUP|FOCUS|URGENT|"
    r"FLASH|BULLETIN|ADVISORY|EXCLUSIVE|INSIGHT|ANALYSIS|(?:MANDATORY\s+)?KILL)(?:\s*\d+)?"
    r"\s*[-:–—]+\s*)+",
    re.IGNORECASE,
)


def _digest(*parts: str) -> str:
    joined = "\x1f".join(parts)
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:32]


def normalised_headline(headline: str | None) -> str:
    """Headline without update slugs, case and punctuation noise, for story identity."""
    text = unicodedata.normalize("NFKC", headline or "")
    text = SLUG.sub("", text)
    text = re.sub(r"[^\w]+", " ", text.casefold())
    return " ".join(text.split())


def normalised_text(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).split())


def body_key(body: str) -> str:
    """The identity of a body's text, whitespace aside: identical bodies (re-sends, the same
    dispatch carried by several agencies) share it, so their entities are tagged once and they
    fall in one story."""
    return _digest("body", normalised_text(body))


def dispatch_id(dispatch: ParsedDispatch) -> str:
    """Stable across versions: the source's own story key, else agency + date + headline."""
    if dispatch.story_key:
        return _digest("key", dispatch.story_key)
    day = dispatch.published_at.date().isoformat() if dispatch.published_at else ""
    headline = normalised_headline(dispatch.headline)
    if not headline:
        headline = normalised_text(dispatch.body)[:200].casefold()
    return _digest("derived", dispatch.agency or "", day, headline)


def version_id(dispatch: ParsedDispatch, story: str | None = None) -> str:
    """Hash of the normalised content: the same text sent twice is the same version.

    `story` is the dispatch's `dispatch_id` when the caller has it already (a row needs both)."""
    return _digest(
        "version",
        story if story is not None else dispatch_id(dispatch),
        str(dispatch.story_version or ""),
        normalised_text(dispatch.headline or ""),
        normalised_text(dispatch.byline or ""),
        normalised_text(dispatch.body),
        dispatch.pub_status,
        dispatch.signal or "",
    )


def span_id(version: str, kind: str, start_char: int, end_char: int, label: str = "") -> str:
    return _digest(kind, version, str(start_char), str(end_char), label)
