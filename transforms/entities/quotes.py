"""Quotations in a dispatch body and who said them.

A quote is the text between a pair of “curly” or "straight" double quotation marks; its span
covers the quoted words without the marks and without a trailing comma that belongs to the
attribution (`“…,” Koizumi said.` gives `…`). A closing full stop, question or exclamation mark
stays, as in the source.

The speaker is the canonical name of an entity mention (person or organisation) in a wire
attribution next to the quote, else None:

* before the quote in the same sentence: `Koizumi said, “…”`, `said Koizumi: “…”`,
  `according to Koizumi, “…”`, `Koizumi said the alliance is “firm.”`,
  `quoted Trump as saying, “…”`;
* after it: `“…,” Koizumi told reporters.`, `“…,” said Defense Minister Shinjiro Koizumi.`;
* a quote with no attribution of its own that opens a sentence right after an attributed one
  (`“A,” X said. “B.”`) continues the previous speaker, as wire style intends.

Regexes are compiled once and every search is bounded to a short window, so cost is linear in the
body length.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence

from transforms.records import MentionSpan, QuoteSpan

SPEAKER_LABELS = frozenset({"PERSON", "ORG", "GOV_BODY", "MILITARY", "AGENCY"})

_QUOTE = re.compile(r"“([^“”]+)”|\"([^\"\n]+)\"")
_VERBS = (
    "said|says|say|told|tells|added|adds|stressed|noted|asked|insisted|explained|warned|declared|"
    "stated|wrote|posted|tweeted|remarked|emphasized|emphasised|replied|responded|urged|"
    "announced|argued|acknowledged|admitted|claimed|conceded|continued|cautioned|recalled|vowed|"
    "pledged|predicted|suggested|commented|observed|saying"
)
_VERB = re.compile(rf"\b(?:{_VERBS})\b|\baccording to\b", re.IGNORECASE)
_VERB_FIRST = re.compile(rf"^[\s,]*(?:(?:{_VERBS})|according to)\s+(?:\S+\s+){{0,6}}$", re.I)
# Titles and descriptors between a verb and a name, or between the quote and a name.
_TITLE_GAP = re.compile(r"^[\s,:]*(?:\S+\s+){0,6}$")
_VERB_AFTER_NAME = re.compile(rf"^\s*(?:[a-z]+\s+){{0,2}}(?:{_VERBS})\b")
# Between a name and its verb: nothing, an adverb or two, or an appositive in commas.
# What may stand between a speaker named after the verb and the quote: `said Koizumi, “`.
_INTRO = re.compile(r"^\s*[,:]?\s*$")
_NAME_TO_VERB = re.compile(r"^\s*(?:,[^,“”\"]{1,80},\s*)?(?:[a-z]+\s+){0,2}$")
_SENTENCE_END = re.compile(r"[.!?][”\"’)]*\s+(?=[A-Z“\"‘(])")
_ABBREVIATION = re.compile(
    r"(?:\b[A-Z]\.|\b(?:Mr|Mrs|Ms|Dr|Gen|Lt|Col|Sgt|Adm|Sen|Rep|Gov|Prof|St|Jr|Sr|No|Jan|Feb|"
    r"Aug|Sept|Sep|Oct|Nov|Dec|Corp|Inc|Co|Ltd|Capt|Maj|Cmdr|Brig|Pres|vs)\.)$"
)
_WINDOW = 250
_CONTINUATION_GAP = 80


def find_quotes(body: str, mentions: Sequence[MentionSpan]) -> list[QuoteSpan]:
    """Every quotation in `body`, in order, with its speaker where attributable."""
    speakers = sorted((m for m in mentions if m.label in SPEAKER_LABELS), key=_start)
    starts = [m.start_char for m in speakers]
    matches = list(_QUOTE.finditer(body))
    quotes: list[QuoteSpan] = []
    previous: tuple[int, str | None] = (0, None)
    for n, match in enumerate(matches):
        group = 1 if match.group(1) is not None else 2
        start, end = _trim_quote(body, match.start(group), match.end(group))
        if start >= end:
            continue
        next_open = matches[n + 1].start() if n + 1 < len(matches) else len(body)
        window = _Window(body, speakers, starts, previous[0], match.start(), match.end(), next_open)
        speaker = window.before() or window.after() or window.continued(previous)
        quotes.append(QuoteSpan(body[start:end], start, end, speaker))
        previous = (match.end(), speaker)
    return quotes


def _start(mention: MentionSpan) -> int:
    return mention.start_char


def _trim_quote(body: str, start: int, end: int) -> tuple[int, int]:
    while start < end and body[start].isspace():
        start += 1
    while end > start and (body[end - 1].isspace() or body[end - 1] == ","):
        end -= 1
    return start, end


def _last_sentence_start(text: str) -> int:
    """Offset in `text` after its last real sentence end (abbreviations like U.S. do not count)."""
    last = 0
    for match in _SENTENCE_END.finditer(text):
        if not _ABBREVIATION.search(text, max(0, match.start() - 8), match.start() + 1):
            last = match.end()
    return last


def _has_sentence_end(text: str) -> bool:
    return _last_sentence_start(text) > 0


class _Window:
    """The text around one quote, and the speaker mentions near it."""

    def __init__(
        self,
        body: str,
        speakers: Sequence[MentionSpan],
        starts: Sequence[int],
        previous_close: int,
        open_at: int,
        close_at: int,
        next_open: int,
    ) -> None:
        self.body, self.speakers, self.starts = body, speakers, starts
        head_from = max(previous_close, open_at - _WINDOW)
        self.head_from = head_from + _last_sentence_start(body[head_from:open_at])
        self.open_at, self.close_at = open_at, close_at
        self.tail_to = min(next_open, close_at + _WINDOW)

    def _between(self, lo: int, hi: int) -> Sequence[MentionSpan]:
        first = bisect.bisect_left(self.starts, lo)
        last = bisect.bisect_left(self.starts, hi)
        return [m for m in self.speakers[first:last] if m.end_char <= hi]

    def before(self) -> str | None:
        head = self.body[self.head_from : self.open_at]
        verbs = list(_VERB.finditer(head))
        if not verbs:
            return None
        verb = verbs[-1]
        verb_start, verb_end = self.head_from + verb.start(), self.head_from + verb.end()
        named = self._between(self.head_from, self.open_at)
        if verb.group(0).lower() == "saying":
            earlier = [m for m in named if m.end_char <= verb_start]
            return earlier[-1].canonical if earlier else None
        for mention in named:
            gap = self.body[verb_end : mention.start_char]
            rest = self.body[mention.end_char : self.open_at]
            if mention.start_char >= verb_end and _TITLE_GAP.match(gap) and _INTRO.match(rest):
                return mention.canonical
        for mention in reversed(named):
            gap = self.body[mention.end_char : verb_start]
            if mention.end_char <= verb_start and _NAME_TO_VERB.match(gap):
                return mention.canonical
        return None

    def after(self) -> str | None:
        named = self._between(self.close_at, self.tail_to)
        if not named:
            return None
        mention = named[0]
        gap = self.body[self.close_at : mention.start_char]
        if _has_sentence_end(gap) or not _TITLE_GAP.match(gap):
            return None
        if _VERB_FIRST.match(gap):
            return mention.canonical
        following = self.body[mention.end_char : mention.end_char + 40]
        return mention.canonical if _VERB_AFTER_NAME.match(following) else None

    def continued(self, previous: tuple[int, str | None]) -> str | None:
        previous_close, previous_speaker = previous
        if previous_speaker is None or self.open_at - previous_close > _CONTINUATION_GAP:
            return None
        if self.body[self.head_from : self.open_at].strip():
            return None  # the quote is inside a sentence of its own ("A banner read “…”")
        others = [
            m for m in self._between(previous_close, self.open_at)
            if m.canonical != previous_speaker
        ]
        return None if others else previous_speaker
