"""Records passed between the stages of the pipeline.

Every reader turns its input into `ParsedDispatch` records or `Rejection`s; the tagger turns a
body into `MentionSpan`s and `QuoteSpan`s. They are frozen so that no stage can change what an
earlier stage produced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

PARSER_VERSION = "wirehouse-parse/1"

SIGNALS = ("update", "correction", "kill")

# Warnings a dispatch may carry in `parse_warnings`: it was kept, but something was missing or
# had to be guessed. Anything worse than these is a quarantine reason instead.
WARNINGS = {
    "no_dateline": "no dateline: place, country and dateline_date are NULL",
    "no_headline": "no headline found",
    "headline_only": "a headline with no body text (a flash or brief)",
    "date_from_file_time": "the item gives no date: published_at is the file's (or member's) time",
    "language_detected": "the item gives no language: it was detected from the text",
}


@dataclass(frozen=True)
class ParsedDispatch:
    """One dispatch as a reader understood it, before enrichment.

    `story_key` is the identity a source gives a story across versions (ninjs `uri`, NewsML
    `guid`); readers of formats without one leave it None and the identity is derived from
    agency, date and normalised headline.
    """

    source_uri: str
    source_format: str
    raw_sha256: str
    body: str
    headline: str | None = None
    byline: str | None = None
    editor_note: str | None = None
    agency: str | None = None
    dateline_place: str | None = None
    dateline_country: str | None = None
    published_at: datetime | None = None
    copyright: str | None = None
    language: str | None = None
    story_key: str | None = None
    story_version: int | None = None
    pub_status: str = "usable"
    embargo_until: datetime | None = None
    signal: str | None = None
    # The local day the dateline names (it may differ from published_at's UTC day).
    dateline_date: date | None = None
    # What was missing or guessed: see WARNINGS.
    parse_warnings: tuple[str, ...] = ()
    # The region written after the dateline's place ("PORTLAND, Maine"): the geocoder needs it.
    dateline_region: str | None = None


@dataclass(frozen=True)
class Rejection:
    """Input that could not be turned into a dispatch; it goes to quarantine."""

    source_uri: str
    reason: str
    detail: str
    raw_sha256: str | None = None
    # The parser that refused it (transforms.readers.registry.parser_version); None: the
    # registry as a whole, filled in when the row is made.
    parser_version: str | None = None


class ParseError(ValueError):
    """Raised by a parser for input it recognises as bad; carries a short machine reason."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


@dataclass(frozen=True)
class MentionSpan:
    """An entity mention; `body[start_char:end_char] == text` always holds."""

    text: str
    label: str
    start_char: int
    end_char: int
    sentence_index: int
    canonical: str


@dataclass(frozen=True)
class QuoteSpan:
    """A quotation; `body[start_char:end_char] == text`. Speaker is a canonical name or None."""

    text: str
    start_char: int
    end_char: int
    speaker: str | None


@dataclass(frozen=True)
class BatchCounts:
    files: int = 0
    dispatches: int = 0
    mentions: int = 0
    quotes: int = 0
    quarantined: int = 0
    deferred: int = 0

    def __add__(self, other: BatchCounts) -> BatchCounts:
        return BatchCounts(
            files=self.files + other.files,
            dispatches=self.dispatches + other.dispatches,
            mentions=self.mentions + other.mentions,
            quotes=self.quotes + other.quotes,
            quarantined=self.quarantined + other.quarantined,
            deferred=self.deferred + other.deferred,
        )
