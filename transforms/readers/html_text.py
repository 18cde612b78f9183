"""HTML, XHTML and NITF markup to plain text with paragraphs separated by a blank line.

The tagger works on plain text, so markup becomes paragraphs ("\\n\\n" between them) and line
breaks; inline tags vanish, entities are unescaped and scripts, styles and heads are dropped.
Tag names are compared without a namespace prefix so that serialised NITF (`ns0:p`) works too.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# Elements that end one paragraph and start another (HTML, XHTML and NITF block elements).
_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "blockquote", "block", "body", "body.content", "body.end",
        "body.head", "caption", "dd", "div", "dl", "dt", "fieldset", "figcaption", "figure",
        "footer", "form", "h1", "h2", "h3", "h4", "h5", "h6", "header", "hedline", "hl1", "hl2",
        "hr", "li", "main", "nav", "ol", "p", "pre", "section", "table", "tbody", "td", "tfoot",
        "th", "thead", "tr", "ul", "nitf", "abstract", "byline", "dateline", "tagline",
        "distributor", "media", "note",
    }
)
# Elements whose text is never body text.
_DROPPED_TAGS = frozenset(
    {"script", "style", "head", "title", "noscript", "template", "media-caption", "object"}
)
# Source whitespace, newlines included, is one space in HTML; only <br> breaks a line. A
# non-breaking space is kept: it carries meaning ("25\xa0000").
_SOURCE_WHITESPACE = re.compile(r"[ \t\n\r\f\v]+")
_LINE_BREAK = "\u2028"


def html_to_text(markup: str) -> str:
    """Plain text of `markup`: paragraphs joined by "\\n\\n", whitespace collapsed, no markup."""
    parser = _ParagraphCollector()
    parser.feed(markup)
    parser.close()
    return parser.text()


def _local_name(tag: str) -> str:
    return tag.rpartition(":")[2].lower()


class _ParagraphCollector(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._paragraphs: list[str] = []
        self._current: list[str] = []
        self._dropped_depth = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        name = _local_name(tag)
        if name in _DROPPED_TAGS:
            self._dropped_depth += 1
        elif name == "br":
            self._current.append(_LINE_BREAK)
        elif name in _BLOCK_TAGS:
            self._flush()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        # A self-closing tag has no content: only its effect on line structure matters.
        name = _local_name(tag)
        if name == "br":
            self._current.append(_LINE_BREAK)
        elif name in _BLOCK_TAGS:
            self._flush()

    def handle_endtag(self, tag: str) -> None:
        name = _local_name(tag)
        if name in _DROPPED_TAGS:
            self._dropped_depth = max(0, self._dropped_depth - 1)
        elif name in _BLOCK_TAGS:
            self._flush()

    def handle_data(self, data: str) -> None:
        if not self._dropped_depth:
            self._current.append(data)

    def _flush(self) -> None:
        collapsed = _SOURCE_WHITESPACE.sub(" ", "".join(self._current))
        lines = (line.strip() for line in collapsed.split(_LINE_BREAK))
        paragraph = "\n".join(line for line in lines if line)
        if paragraph:
            self._paragraphs.append(paragraph)
        self._current = []

    def text(self) -> str:
        self._flush()
        return "\n\n".join(self._paragraphs)
