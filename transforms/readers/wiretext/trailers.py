"""The body of a wire text and the trailers that close it: END marks, copyright, reporting
credits, sign-offs; and the headline that some agencies (Jiji) send after them."""

from __future__ import annotations

import re
from dataclasses import dataclass

from transforms.readers.wiretext.cleaning import squeeze

# Where the dispatch proper ends: an END mark, or a copyright notice opening its own part.
_HARD_END = re.compile(
    r"(?:(?<=\s)|^)(?:\(?(?:END|ENDS|ENDIT|ENDITEM|Enditem)\)?)"
    r"(?=[ \t]*(?:\[|\(c\)|©|Copyright\b|$))"
    r"|(?:(?<=\s)|^)\[[ \t]*(?:Copyright\b|©|\(c\))"
    r"|^[ \t]*(?:Copyright\b|©|\(c\)[ \t]*\d{4})"
    r"|^[ \t]*To contact the (?:reporters?|editors?)\b"
    r"|(?<=[.!?\"”’)])[ \t]+(?:©|\(c\)[ \t]*\d{4}|Copyright[ \t]+(?:\d{4}|©|\(c\)))",
    re.MULTILINE,
)
_BRACKETED_COPYRIGHT = re.compile(r"\[\s*((?:Copyright\b|©|\(c\))[^\]]*)\]", re.IGNORECASE)
_LINE_COPYRIGHT = re.compile(r"(?:^|(?<=\s))((?:Copyright\b|©|\(c\)\s*\d{4}).*)$", re.MULTILINE)
_END_MARK = re.compile(r"(?:^|(?<=\s))\(?(?:END|ENDS|ENDIT|ENDITEM|Enditem)\)?(?=\s|$)")
_AGENCY_SIGNOFF = (
    r"(?:Kyodo(?:\s+News)?|Xinhua|Yonhap|AFP|dpa|AP|Reuters?|Bloomberg|Jiji(?:\s+Press)?|AAP|"
    r"Bernama|PTI|IANS|ANI|ANSA|EFE|UPI|NTB|TT|PA|NHK)"
)
# Trailers that may close the body, each anchored at its end; removed repeatedly.
_SOFT_TRAILERS = (
    re.compile(r"\(\((?:[^()]|\([^()]*\))*\)\)\s*$"),  # ((Reporting by ...; e-mail ...))
    re.compile(
        r"\((?:Reporting|Additional\s+reporting|Writing|Written|Editing|Edited|Compiled|"
        r"Translated|Research|Graphics?|Production|Sub-edited|Reported)\b"
        r"(?:[^()]|\([^()]*\))*\)\s*$",
        re.IGNORECASE,
    ),
    re.compile(r"(?:^|\s)(?:--|==|=|—|–)\s*" + _AGENCY_SIGNOFF + r"\s*$", re.IGNORECASE),
    re.compile(r"(?:^|\s)\(?(?:END|ENDS|ENDIT)\)?\s*$"),
    re.compile(r"(?:^|\n)[ \t]*-0-\s*$"),
    # Reporter's e-mail (Yonhap) and desk initials (AFP: "bur-abc/jmr") on their own line.
    re.compile(r"(?:^|\n)[ \t]*[\w.+-]+@[\w-]+(?:\.[\w-]+)+[ \t]*$"),
    re.compile(r"(?:^|\n)[ \t]*[a-z]{2,5}(?:-[a-z]{2,5})*(?:/[a-z]{2,5}(?:-[a-z]{2,5})*)+[ \t]*$"),
    # Reuters' old sign-off, alone on its line or right after the last sentence.
    re.compile(r"(?:(?:^|\n)[ \t]*|(?<=[.!?\"”’])[ \t]+)" + _AGENCY_SIGNOFF + r"\s*$"),
)
SENTENCE_END = tuple('.!?:;"”’)]…')
MAX_TRAILING_HEADLINE_WORDS = 20


def split_at_hard_end(text: str) -> tuple[str, str]:
    match = _HARD_END.search(text)
    if not match:
        return text, ""
    return text[: match.start()], text[match.start() :]


def copyright_in(tail: str) -> str | None:
    bracketed = _BRACKETED_COPYRIGHT.search(tail)
    if bracketed:
        return squeeze(bracketed.group(1)) or None
    line = _LINE_COPYRIGHT.search(tail)
    return squeeze(line.group(1)) if line else None


def lines_after_trailer(tail: str) -> list[str]:
    """What follows END and copyright: in headline-last layouts, the headline."""
    without = _BRACKETED_COPYRIGHT.sub(" ", tail)
    without = _LINE_COPYRIGHT.sub(" ", without)
    without = _END_MARK.sub(" ", without)
    return [squeeze(line) for line in without.split("\n") if squeeze(line)]


def strip_soft_trailers(text: str) -> str:
    text = text.rstrip()
    changed = True
    while changed and text:
        changed = False
        for trailer in _SOFT_TRAILERS:
            match = trailer.search(text)
            if match:
                text = text[: match.start()].rstrip()
                changed = True
    return text


def paragraphs_of(text: str) -> list[str]:
    """Paragraphs: blank-line separated blocks, else indented lines, else one per line.

    Hard-wrapped lines inside a paragraph are joined with a space.
    """
    lines = text.split("\n")
    if any(not line.strip() for line in lines):
        blocks = re.split(r"\n[ \t]*\n", text)
        return [squeeze(" ".join(block.split("\n"))) for block in blocks if block.strip()]
    indented = [index for index, line in enumerate(lines[1:], 1) if line[:1] in (" ", "\t")]
    if indented and len(indented) < len(lines) - 1:
        starts = [0, *indented, len(lines)]
        return [
            squeeze(" ".join(lines[start:end]))
            for start, end in zip(starts, starts[1:], strict=False)
            if squeeze(" ".join(lines[start:end]))
        ]
    return [squeeze(line) for line in lines if line.strip()]


def _looks_like_headline(paragraph: str) -> bool:
    words = paragraph.split()
    return 0 < len(words) <= MAX_TRAILING_HEADLINE_WORDS and not paragraph.endswith(SENTENCE_END)


@dataclass(frozen=True)
class Body:
    text: str
    copyright: str | None
    trailing_headline: str | None


def read_body(text: str, *, want_headline: bool) -> Body:
    """Body paragraphs without trailers; the headline too when it is sent after the body."""
    main, tail = split_at_hard_end(text)
    copyright_notice = copyright_in(tail)
    # Bloomberg's contact block is the only hard end that is never followed by a headline.
    after = [] if tail.lstrip().startswith("To contact") else lines_after_trailer(tail)
    paragraphs = paragraphs_of(strip_soft_trailers(main))
    trailing: str | None = None
    if want_headline:
        if after:
            trailing = after[0]
        elif len(paragraphs) > 1 and _looks_like_headline(paragraphs[-1]):
            trailing = paragraphs.pop()
            paragraphs = paragraphs_of(strip_soft_trailers("\n\n".join(paragraphs)))
    return Body("\n\n".join(paragraphs), copyright_notice, trailing)


_CLOSING_COPYRIGHT = re.compile(
    r"(?:^|\n)[ \t]*((?:Copyright\b|©|\(c\))[^\n]*)\s*$", re.IGNORECASE)
_COPYRIGHT_HOLDER = re.compile(
    r"^(?:Copyright\b|©|\(c\))\s*(?:©|\(c\))?\s*(?:\d{4}(?:\s*[-–]\s*\d{4})?,?\s*)?"
    r"(?:by\s+)?(?:the\s+)?(?P<holder>[^.,;:\n]{2,60})", re.IGNORECASE)


def split_closing_copyright(text: str) -> tuple[str, str | None]:
    """(body, copyright line) when the body's last paragraph is a copyright notice
    ("Copyright 2026 The Associated Press. All rights reserved. ..."): boilerplate for the
    copyright column, never body text."""
    match = _CLOSING_COPYRIGHT.search(text.rstrip())
    if not match:
        return text, None
    return text[: match.start()].rstrip(), squeeze(match.group(1))


def copyright_holder(notice: str | None) -> str | None:
    """Who a copyright notice names: "Kyodo News" in "(c) 2026 Kyodo News. All rights ..."."""
    match = _COPYRIGHT_HOLDER.match(notice.strip()) if notice else None
    return match["holder"].strip() if match else None
