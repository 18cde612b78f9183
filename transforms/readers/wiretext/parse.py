"""Reader for plain wire text: one dispatch per text, in any of the common agency layouts.

A dispatch is found by its dateline, `PLACE[, Region][, Month Day[, Year]] (Credit) <dash>`, the
one line every agency sends, or the credit-less `PLACE[, Region] _ ` of the NYT News Service.
What comes before the dateline is the header (headline, editor note, byline); what comes after
it is the body, up to a trailer (END, copyright, reporting credits). Agencies that put the
headline last (Jiji) send it after the trailer.

Newspaper stories and broadcast transcripts often have no dateline at all. They are still
stories: a text without a dateline is a dispatch when it is *a news text* (`is_news_text`: at
least one sentence of `MIN_SENTENCE_WORDS` words ending in `.`, `!` or `?`), with its dateline
fields NULL and `no_dateline` in its parse warnings. Anything less (a list, a note, a stray
header) is refused as `no_prose`.
"""

from __future__ import annotations

import re
from datetime import datetime

from transforms.readers.wiretext.cleaning import clean_wire_text, squeeze
from transforms.readers.wiretext.datelines import (
    Dateline,
    DatelineDate,
    display_place,
    match_creditless_dateline,
    match_dateline,
)
from transforms.readers.wiretext.dates import dateline_day, published_at_for, utc_date
from transforms.readers.wiretext.header import (
    BYLINE,
    ROUTING_LINE,
    header_credit,
    read_header,
    signal_of,
    update_number,
)
from transforms.readers.wiretext.notes import split_editor_note
from transforms.readers.wiretext.trailers import (
    MAX_TRAILING_HEADLINE_WORDS,
    SENTENCE_END,
    read_body,
)
from transforms.records import ParsedDispatch, ParseError
from transforms.reference import Reference

# Wire text says nothing about its language: it is detected later, from the text.
LANGUAGE = None
# The smallest sentence that makes a text without a dateline a story (see `is_news_text`).
MIN_SENTENCE_WORDS = 6


def _find_dateline(lines: list[str], reference: Reference) -> tuple[int, Dateline] | None:
    """The first credited dateline; else the first credit-less one (a credit is the stronger
    sign, so it wins even on a later line); None when there is neither."""
    for index, line in enumerate(lines):
        dateline = match_dateline(line, reference)
        if dateline is not None:
            return index, dateline
    for index, line in enumerate(lines):
        dateline = match_creditless_dateline(line, reference)
        if dateline is not None:
            return index, dateline
    return None


_SENTENCE = re.compile(r"[^.!?\n]+[.!?]+(?=[\"”’)\]]*(?:\s|$))")
_WORD = re.compile(r"\b[^\W\d_][\w'’-]*")


def is_news_text(text: str) -> bool:
    """Whether text holds prose: one sentence of MIN_SENTENCE_WORDS words (with letters) ending
    in `.`, `!` or `?`. Lists, notes, headers and furniture have none; every story has one."""
    joined = " ".join(text.split())
    return any(
        len(_WORD.findall(sentence)) >= MIN_SENTENCE_WORDS for sentence in _SENTENCE.findall(joined)
    )


_MAX_HEADER_LINES = 6


def _is_header_line(line: str) -> bool:
    words = line.split()
    if BYLINE.match(line) or ROUTING_LINE.match(line):
        return True
    if line.startswith("(") and line.endswith(")"):
        return True
    return 0 < len(words) <= MAX_TRAILING_HEADLINE_WORDS and not line.endswith(SENTENCE_END)


def _split_undated(cleaned: str) -> tuple[list[str], str]:
    """(header lines, body text) of a text with no dateline.

    Leading blocks (blank-line separated) whose every line is short and unpunctuated, a byline
    or a routing slug are the header; a hard-wrapped first paragraph always has a line ending
    a sentence, so it is never mistaken for one.
    """
    blocks = re.split(r"\n[ \t]*\n", cleaned.strip())
    header: list[str] = []
    taken = 0
    for block in blocks[:-1]:
        lines = [squeeze(line) for line in block.split("\n") if line.strip()]
        if not lines or len(header) + len(lines) > _MAX_HEADER_LINES:
            break
        if not all(_is_header_line(line) for line in lines):
            break
        header += lines
        taken += 1
    return header, "\n\n".join(blocks[taken:])


def _undated_dispatch(
    cleaned: str,
    *,
    reference_time: datetime,
    reference: Reference,
    source_uri: str,
    raw_sha256: str,
    source_format: str,
) -> ParsedDispatch:
    """A story with no dateline: header and body split by layout alone, dateline fields NULL."""
    header_lines, rest = _split_undated(cleaned)
    body = read_body(rest, want_headline=False)
    if not is_news_text(body.text):
        raise ParseError(
            "no_prose",
            f"no dateline and no sentence of {MIN_SENTENCE_WORDS}+ words: not a news text",
        )
    header = read_header(header_lines, reference)
    agency, credit_copyright = header_credit(header_lines, reference)
    warnings = ["no_dateline"]
    if header.headline is None:
        warnings.append("no_headline")
    warnings.append("date_from_file_time")
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=source_format,
        raw_sha256=raw_sha256,
        body=body.text,
        headline=header.headline,
        byline=header.byline,
        editor_note=header.editor_note,
        agency=agency,
        published_at=published_at_for(utc_date(reference_time), reference_time),
        copyright=body.copyright or credit_copyright,
        language=LANGUAGE,
        signal=signal_of(header.headline, header.editor_note),
        story_version=update_number(header.headline),
        parse_warnings=tuple(warnings),
    )


def parse_wire_text(
    text: str,
    *,
    reference_time: datetime,
    reference: Reference,
    source_uri: str,
    raw_sha256: str,
    source_format: str = "wire-text",
) -> ParsedDispatch:
    """One dispatch from plain wire text; ParseError when the text holds none."""
    cleaned = clean_wire_text(text)
    if not cleaned.strip():
        raise ParseError("empty", "no text after removing control characters")
    lines = cleaned.split("\n")
    found = _find_dateline(lines, reference)
    if found is None:
        return _undated_dispatch(
            cleaned, reference_time=reference_time, reference=reference, source_uri=source_uri,
            raw_sha256=raw_sha256, source_format=source_format,
        )
    index, dateline = found
    header = read_header(lines[:index], reference)
    body = read_body(
        "\n".join([dateline.rest, *lines[index + 1 :]]), want_headline=header.headline is None
    )
    if not body.text:
        raise ParseError("no_body", "dateline found but nothing follows it")
    headline = header.headline or body.trailing_headline
    note = header.editor_note
    if headline and header.headline is None:
        headline, note = split_editor_note(headline)
    day = dateline_day(dateline.date, reference_time)
    dated = dateline.date != DatelineDate()
    credit_agency, credit_copyright = header_credit(lines[:index], reference)
    warnings = [] if headline else ["no_headline"]
    if not dated:
        warnings.append("date_from_file_time")
    return ParsedDispatch(
        source_uri=source_uri,
        source_format=source_format,
        raw_sha256=raw_sha256,
        body=body.text,
        headline=headline or None,
        byline=header.byline,
        editor_note=note,
        agency=dateline.agency or credit_agency,
        dateline_place=display_place(dateline.place) if dateline.place else None,
        dateline_region=dateline.region if dateline.place else None,
        dateline_country=(
            reference.country_of(dateline.place, dateline.region) if dateline.place else None
        ),
        published_at=published_at_for(day, reference_time),
        copyright=body.copyright or credit_copyright,
        language=LANGUAGE,
        signal=signal_of(headline, note),
        story_version=update_number(headline),
        dateline_date=day if dated else None,
        parse_warnings=tuple(warnings),
    )
