"""Rules that keep non-names out of the entities: word lists as data, tests as small functions.

The lists are ``seeds/not_names.csv`` (``term,kind``), compared case-insensitively without a
trailing full stop. What each kind means for a span the model tagged:

* ``abbreviation`` (cts, dlrs, mln, shr, avg, revs, qtr, vs, ...): a span containing one is a
  figure or a table row label, never a name ("Avg shrs", "U.S. Dlrs");
* ``currency``, ``unit`` (dollar, yen, tonnes, ...): a span ending in one is an amount or a
  currency ("U.S. Dollar", "Swiss francs");
* ``row_label``, ``rating``, ``number_word``, ``function_word``, ``company_suffix``: a span made
  only of function words and words of one of these kinds is not a name ("Net", "BB", "the",
  "Co Inc", "the Co"); inside a longer name, or mixed ("Group of Seven"), they are fine
  ("Texaco Inc", "Bank of Japan");
* ``table_word`` (up, off, unch, month abbreviations): only helps to recognise a figures line
  ("Wheat May 2.88-1/4 up 1/2 cts"); "May" alone may still be a name.

Whatever the lists say, a span with no upper-case letter ("treasury") or with a single letter or
digit ("P") is not a name.

A *figures line* is a line of a results or statistics block: at least two figures, and either
at least 60% of its words figures or table words ("Shr 12 cts vs 10 cts", "Avg shrs 10.2 mln vs
9.8 mln", "Wheat May 2.88-1/4 up 1/2 cts"), or a label of at most four words followed only by
figures and table words ("Manufacturers Hanover  74.4  (4)", "Boston 45 20 .692 --"). (A wrapped
line of prose has more words than that and fewer figures.) When the block of such lines, or the
line before it, holds an amount, currency, unit or results-table word, the block is *financial*
and no entity is taken from its lines ("Shr 12 cts vs 10 cts"; a bank ranking "in billions of
dlrs"). In any other block (sports standings and results: "Stefanel Milan (Italy) 9 6 3 15") the
names stay; only spans with a digit and table labels are dropped.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

NOT_NAME_KINDS = (
    "abbreviation", "currency", "unit", "row_label", "rating", "number_word", "function_word",
    "company_suffix", "table_word",
)
# Words that are not names on their own but are ordinary parts of longer names.
_ALONE_KINDS = frozenset(NOT_NAME_KINDS) - {"abbreviation", "table_word"}
_AMOUNT_KINDS = frozenset({"currency", "unit"})
# What fills a results or statistics row besides the figures.
_TABLE_KINDS = frozenset(
    {"abbreviation", "currency", "unit", "row_label", "number_word", "table_word"}
)
_FIGURE = re.compile(r"\d")
_FIGURE_WORD = re.compile(r"\S*\d\S*")
_LETTER = re.compile(r"[^\W\d_]")
FIGURES_SHARE = 0.6
ROW_LABEL_WORDS = 4


@dataclass(frozen=True)
class NotNames:
    """`seeds/not_names.csv` as a lookup: normalised term -> kinds."""

    kinds: Mapping[str, frozenset[str]]

    def kinds_of(self, word: str) -> frozenset[str]:
        return self.kinds.get(term_key(word), frozenset())


def term_key(word: str) -> str:
    """ "Dlrs." -> "dlrs": case and a trailing full stop do not matter."""
    return word.casefold().rstrip(".")


def read_term_kind_rows(path: Path, kinds: Sequence[str]) -> list[list[str]]:
    """Rows of a ``term,kind`` word list of seeds/ (not_names.csv, name_cues.csv); a kind not in
    `kinds` is an error, not a skip."""
    with path.open(encoding="utf-8", newline="") as handle:
        rows = [
            [row["term"].strip(), row["kind"].strip()]
            for row in csv.DictReader(handle)
            if row.get("term") and row.get("kind")
        ]
    unknown = sorted({kind for _, kind in rows if kind not in kinds})
    if unknown:
        raise ValueError(f"{path}: unknown kind(s) {unknown}; known: {list(kinds)}")
    return rows


def read_not_name_rows(path: Path) -> list[list[str]]:
    """Rows of seeds/not_names.csv."""
    return read_term_kind_rows(path, NOT_NAME_KINDS)


def not_names(rows: Sequence[Sequence[str]]) -> NotNames:
    kinds: dict[str, set[str]] = {}
    for term, kind in rows:
        kinds.setdefault(term_key(term), set()).add(kind)
    return NotNames({term: frozenset(k) for term, k in kinds.items()})


def company_suffixes(rows: Sequence[Sequence[str]]) -> frozenset[str]:
    return frozenset(term_key(term) for term, kind in rows if kind == "company_suffix")


def is_not_a_name(words: Sequence[str], lists: NotNames) -> bool:
    """True for a span (its words, punctuation tokens included) that is not a name."""
    # C-level string tests first: this runs for every entity of every dispatch.
    text = "".join(words)
    if text.islower():  # cased letters, none upper case; a name in an uncased script stays
        return True
    if len(text) <= 3 and sum(ch.isalnum() for ch in text) <= 1:
        return True
    kinds = [lists.kinds_of(w) for w in words if not _is_punctuation(w)]
    if any("abbreviation" in k for k in kinds):
        return True
    if kinds and kinds[-1] & _AMOUNT_KINDS:
        return True
    if "/" in text and is_table_label(words, lists):  # "Aug/Sept", a contract-month pair
        return True
    return _only_list_words_of_one_kind(kinds)


def _is_punctuation(word: str) -> bool:
    return not any(ch.isalnum() for ch in word)


def _only_list_words_of_one_kind(kinds: Sequence[frozenset[str]]) -> bool:
    """ "the", "Co Inc", "the Co", "Net": function words and words of one other kind only.
    Words of different kinds together make a name ("Group of Seven", "Net Holdings Inc")."""
    rest = [k - {"function_word"} for k in kinds if k != {"function_word"}]
    if any(not k & _ALONE_KINDS for k in kinds):
        return False
    if not rest:
        return True
    shared = frozenset.intersection(*rest) & _ALONE_KINDS
    return bool(shared)


def is_figures_line(line: str, lists: NotNames) -> bool:
    """A row of a results or statistics block (see the module docstring)."""
    # A line of prose: many words, few figures. C-level passes reject it before any splitting.
    spaces = line.count(" ")
    if spaces > 2 * ROW_LABEL_WORDS:
        if _FIGURE.search(line) is None:
            return False
        if 5 * len(_FIGURE_WORD.findall(line)) < len(line.split()):
            return False
    words = line.split()
    if len(words) < 2:
        return False
    figures = [_is_figure(w, lists) for w in words]
    if sum(figures) < 2:
        return False
    table_like = [f or _is_table_word(w, lists) for w, f in zip(words, figures, strict=True)]
    if sum(table_like) >= FIGURES_SHARE * len(words):
        return True
    label_words = len(words)
    while label_words and table_like[label_words - 1]:
        label_words -= 1
    return label_words <= ROW_LABEL_WORDS and sum(figures[label_words:]) >= 2


def _is_figure(word: str, lists: NotNames) -> bool:
    return bool(_FIGURE.search(word)) or "number_word" in lists.kinds_of(word)


def _is_table_word(word: str, lists: NotNames) -> bool:
    # A lone letter is a grade or a footnote mark in a table ("Copper grade A").
    letters = _LETTER.findall(word)
    return len(letters) <= 1 or bool(lists.kinds_of(word) & _TABLE_KINDS)


def figures_line_ranges(text: str, lists: NotNames) -> list[tuple[int, int]]:
    """Character ranges of the figures lines of `text`, in order."""
    ranges: list[tuple[int, int]] = []
    start = 0
    for line in text.splitlines(keepends=True):
        end = start + len(line)
        if is_figures_line(line, lists):
            ranges.append((start, end))
        start = end
    return ranges


# Words that make a block of figures lines financial: amounts, their abbreviations and the
# row labels of a results statement ("Shr", "Net", "Revs", "cts", "dlrs", "tonnes").
_FINANCIAL_KINDS = frozenset({"abbreviation", "currency", "unit", "row_label"})


@dataclass(frozen=True)
class FiguresLine:
    start: int
    end: int
    financial: bool


def figures_lines(text: str, lists: NotNames) -> list[FiguresLine]:
    """The figures lines of `text` in order, each marked financial when its block (the run of
    figures lines it belongs to, blank lines aside) or the line before that block holds an amount,
    currency, unit or results-table word. A sports standings block ("Stefanel Milan (Italy) 9 6
    3 15" under "Group A") is not financial; "Shr 12 cts vs 10 cts" and a ranking "in billions
    of dlrs" are."""
    lines = text.splitlines(keepends=True)
    found: list[FiguresLine] = []
    block: list[tuple[int, int]] = []
    before = ""
    start = 0

    def close() -> None:
        if block:
            words = " ".join([before, *(text[a:b] for a, b in block)]).split()
            financial = any(lists.kinds_of(w.strip("()[],;:")) & _FINANCIAL_KINDS for w in words)
            found.extend(FiguresLine(a, b, financial) for a, b in block)
            block.clear()

    for line in lines:
        end = start + len(line)
        if is_figures_line(line, lists):
            block.append((start, end))
        elif line.strip():  # a blank line neither ends a block nor counts as the line before
            close()
            before = line
        start = end
    close()
    return found


def table_header_ranges(text: str, lists: NotNames) -> list[tuple[int, int]]:
    """Character ranges of upper-case header lines of a table ("PACIFIC DIVISION", "GROUP B"):
    at most four words, no lower-case letter, not the first line (a dateline), and the next
    non-blank line a figures line. Its words name a section of the table, not an organisation."""
    lines = text.splitlines(keepends=True)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line))
    ranges = []
    for index, line in enumerate(lines[1:], start=1):
        words = line.split()
        if not words or len(words) > ROW_LABEL_WORDS or not line.strip().isupper():
            continue
        following = next((later for later in lines[index + 1 :] if later.strip()), "")
        if following and is_figures_line(following, lists):
            ranges.append((starts[index], starts[index + 1]))
    return ranges


def dropped_table_ranges(text: str, figures: Sequence[FiguresLine], lists: NotNames) -> list[tuple[int, int]]:
    """Character ranges of `text` where the cleanup drops every entity: its financial figures
    lines (`figures` are `figures_lines(text, lists)`) and, when it holds figures lines at all,
    its table header lines."""
    ranges = [(f.start, f.end) for f in figures if f.financial]
    if figures:
        ranges += table_header_ranges(text, lists)
    return ranges


# A text's first line as `str.splitlines(keepends=True)` cuts it.
_FIRST_LINE = re.compile("[^\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]*"
                         "(?:\r\n|[\n\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029])?")


def every_word_in_dropped_table_ranges(text: str, lists: NotNames) -> bool:
    """Whether `dropped_table_ranges` hold every word of `text` (a results table sent as a whole
    dispatch: "Shr 40 cts vs 37 cts / Net ... / Revs ..."). Tables are looked for, as the cleanup
    looks for them, only in a text of several lines."""
    if text.count("\n") < 2:
        return False
    # Most texts fail at their first line (a dateline, a lead sentence): no header line is
    # ever the first line, so a first line with a word must be a figures line.
    first_line = _FIRST_LINE.match(text).group()
    if first_line.strip() and not is_figures_line(first_line, lists):
        return False
    figures = figures_lines(text, lists)
    if not figures:
        return False
    reached = 0
    for start, end in sorted(dropped_table_ranges(text, figures, lists)):
        if start > reached and not text[reached:start].isspace():
            return False
        reached = max(reached, end)
    return reached >= len(text) or text[reached:].isspace()


def is_table_label(words: Sequence[str], lists: NotNames) -> bool:
    """A span made only of table words, row labels and amounts ("Net", "Avg shrs", "Mar"): on a
    figures line it labels a row or a column, it is not a name."""
    # "Aug/Sept": a word of parts joined by "/" is as much a table word as its parts.
    parts = [p for w in words if not _is_punctuation(w) for p in w.split("/") if p]
    kinds = [lists.kinds_of(p) for p in parts]
    return bool(kinds) and all(k & (_TABLE_KINDS | {"function_word"}) for k in kinds)


def abbreviates(short: str, name: str) -> bool:
    """The capitals of `short` appear, in order, among the initials of `name`'s words, and the
    first letters agree ("EC": European Community, "MITI": Ministry of International Trade and
    Industry)."""
    initials = [word[0] for word in re.split(r"[\s\-]+", name) if word and word[0].isupper()]
    capitals = [ch for ch in short if ch.isupper()]
    if not initials or not capitals or capitals[0] != initials[0]:
        return False
    position = 0
    for ch in capitals:
        while position < len(initials) and initials[position] != ch:
            position += 1
        if position == len(initials):
            return False
        position += 1
    return True


def is_defined_abbreviation(short: str, name: str) -> bool:
    """ "European Community (EC)", "Southern Common Market (Mercosur)": `short` in brackets after
    `name` defines an abbreviation of it. It needs at least two capitals that `abbreviates` the
    name, or (one capital) to be spelled from the starts (two letters or more) of at least two
    of the name's words ("Benelux": Belgium, Netherlands, Luxembourg). A bracketed country
    after a person, "Chen Gang (China)", is neither: one capital, and "China" is not spelled
    from "Chen" + "Gang"."""
    if sum(ch.isupper() for ch in short) >= 2:
        return abbreviates(short, name)
    return _spelled_from_word_starts(short.casefold(), [w.casefold() for w in name.split()])


def _spelled_from_word_starts(short: str, words: Sequence[str], used: int = 0) -> bool:
    if not short:
        return used >= 2
    if not words:
        return False
    head, rest = words[0], words[1:]
    # Each piece at least two letters: "Canada" is not "Canad" + "a" of Canadian Airlines.
    for length in range(min(len(head), len(short)), 1, -1):
        if short[:length] == head[:length] and _spelled_from_word_starts(
            short[length:], rest, used + 1
        ):
            return True
    # A word may be skipped ("of", "the") but only a lower-case one.
    return head.islower() and _spelled_from_word_starts(short, rest, used)
