"""The domain gazetteer: the patterns of `seeds/gazetteer/*.jsonl`, matched before NER.

A match is the start of a longer name more often than a list can say: "Senate" in "U.S. Senate
Banking Committee", "Fair Trade Commission" in "Korea Fair Trade Commission". Because NER
predicts around the gazetteer's spans, a short match would split such a name into pieces
(`U.S.` GPE + `Senate` GOV_BODY). So the longest name wins: an institution's match (GOV_BODY,
MILITARY, ORG) followed by capitalised words that end in an institution head word
(`seeds/name_cues.csv`, kind `institution_head`: Committee, Commission, Council, ...) is
extended over them; a name that so ends in a head word also takes in a place name written right
before it (seeds/places.csv: "U.S.", "Korea"). Without a head word nothing is extended:
"Senate Majority Leader John Thune" keeps `Senate`, "U.S. Defense Department" keeps `U.S.`
apart."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from spacy.attrs import ORTH
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.strings import hash_string
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from transforms.entities.labels import STAND_IN_LABELS

GAZETTEER = "wirehouse_gazetteer_v2"
# Labels of institutions whose match may grow into a longer name (see the module docstring).
EXTENDED_LABELS = frozenset({"GOV_BODY", "MILITARY", "ORG"})
# Lower-case words that may join the words of a longer name ("Ways and Means Committee").
_NAME_JOINERS = frozenset({"of", "and", "on", "for", "&"})
# A committee's name is a few words; a longer run of capitals is a headline or a list.
_MAX_EXTENSION_TOKENS = 6
_MAX_PLACE_TOKENS = 3
GAZETTEER_SPANS_KEY = "wirehouse_gazetteer"


def load_patterns(gazetteer_dir: Path) -> list[dict[str, Any]]:
    """All spaCy patterns in `gazetteer_dir/*.jsonl`, files in name order, lines in file order."""
    patterns: list[dict[str, Any]] = []
    for path in sorted(gazetteer_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                patterns.append(json.loads(line))
    return patterns


def agency_names(patterns: Iterable[dict[str, Any]]) -> list[str]:
    """Phrase patterns labelled AGENCY (token patterns are acronyms such as AP)."""
    names: set[str] = set()
    for p in patterns:
        if p["label"] != "AGENCY":
            continue
        pattern = p["pattern"]
        if isinstance(pattern, str):
            names.add(pattern)
        elif len(pattern) == 1 and isinstance(pattern[0].get("ORTH"), str):
            names.add(pattern[0]["ORTH"])
    return sorted(names)


class Gazetteer:
    """Domain patterns matched before NER, so the model predicts around them.

    The trained NER adds a transition (and grows its output layer with untrained weights) for
    every preset entity label it does not know. So the preset entities carry a stand-in label it
    knows (`STAND_IN_LABELS`: MILITARY -> ORG, WEAPON -> PRODUCT, …); the real label stays in
    ``doc.spans[spans_key]`` and the cleanup component puts it back after NER. On overlapping
    matches the longest wins.
    """

    def __init__(
        self,
        nlp: Language,
        spans_key: str,
        institution_heads: Sequence[str] = (),
        places: Sequence[str] = (),
    ) -> None:
        self.spans_key = spans_key
        self.heads = frozenset(nlp.make_doc(head)[-1].lower_ for head in institution_heads)
        self.places = frozenset(" ".join(place.split()) for place in places)
        self.make_doc = nlp.make_doc
        self.token_matcher = Matcher(nlp.vocab, validate=True)
        self.phrase_matcher = PhraseMatcher(nlp.vocab)
        self.patterns: list[dict[str, Any]] = []
        # The token matcher steps through every token in Python; each of our token patterns
        # needs one of a few exact words ("District", "Ministry", "AP"), so it runs only on a
        # text holding one of them (a C-level check on token ids). A pattern without such a
        # word makes it run on every text.
        self.anchor_ids: set[int] = set()
        self.unanchored = False

    def add_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        for entry in patterns:
            label, pattern = entry["label"], entry["pattern"]
            if isinstance(pattern, str):
                self.phrase_matcher.add(label, [self.make_doc(pattern)])
            else:
                self.token_matcher.add(label, [pattern])
                anchor = required_words(pattern)
                if anchor is None:
                    self.unanchored = True
                else:
                    self.anchor_ids.update(hash_string(word) for word in anchor)
            self.patterns.append(entry)

    def _token_matches(self, doc: Doc) -> list[Span]:
        if not self.unanchored and (
            not self.anchor_ids or self.anchor_ids.isdisjoint(doc.to_array(ORTH).tolist())
        ):
            return []
        return self.token_matcher(doc, as_spans=True)

    def __call__(self, doc: Doc) -> Doc:
        matches = self._token_matches(doc) + self.phrase_matcher(doc, as_spans=True)
        winners = filter_spans(matches)
        if self.heads and winners:
            winners = filter_spans([self._longest_name(doc, span) for span in winners])
        doc.spans[self.spans_key] = winners
        stand_ins = [
            Span(doc, s.start, s.end, label=STAND_IN_LABELS.get(s.label_, s.label_))
            for s in winners
        ]
        doc.ents = filter_spans(stand_ins + list(doc.ents))
        return doc


    def _longest_name(self, doc: Doc, span: Span) -> Span:
        """The match, or the longer name it starts (see the module docstring)."""
        if span.label_ not in EXTENDED_LABELS:
            return span
        end = _end_of_head(doc, span.end, self.heads)
        if end is None:
            if span[-1].lower_ not in self.heads:
                return span
            end = span.end  # "Fair Trade Commission": a place before it is still its own
        start = span.start
        for size in range(min(_MAX_PLACE_TOKENS, start), 0, -1):
            if doc[start - size : start].text in self.places:
                start -= size
                break
        return Span(doc, start, end, label=span.label_)


# Token-pattern operators under which the token must be there: none ("1"), or "+".
_REQUIRED_OPS = frozenset({"1", "+"})


def required_words(pattern: Sequence[dict[str, Any]]) -> frozenset[str] | None:
    """Words of which a text must hold one for the token pattern to match: the exact ORTH (or
    TEXT) values of its first token that is always there and is matched by its exact text
    ({"ORTH": "Ministry"}, {"ORTH": {"IN": ["Fleet", "Army"]}}); None when it has no such token."""
    for token in pattern:
        if token.get("OP", "1") not in _REQUIRED_OPS:
            continue
        for key in ("ORTH", "TEXT"):
            value = token.get(key)
            if isinstance(value, str):
                return frozenset({value})
            if isinstance(value, dict) and set(value) == {"IN"} and all(
                isinstance(word, str) for word in value["IN"]
            ):
                return frozenset(value["IN"])
    return None


def _end_of_head(doc: Doc, start: int, heads: frozenset[str]) -> int | None:
    """The end of the last head word in the run of capitalised words (and joiners between them)
    from `start`, or None when the run holds no head word."""
    found = None
    limit = min(len(doc), start + _MAX_EXTENSION_TOKENS)
    for i in range(start, limit):
        token = doc[i]
        if not doc[i - 1].whitespace_:
            break  # "Senate-backed", "Senate's": not a longer name
        if token.is_title and token.is_alpha:
            if token.lower_ in heads:
                found = i + 1
        elif not (token.lower_ in _NAME_JOINERS and i + 1 < limit and doc[i + 1].is_title):
            break
    return found


@Language.factory(
    GAZETTEER,
    default_config={"spans_key": GAZETTEER_SPANS_KEY, "institution_heads": [], "places": []},
)
def make_gazetteer(
    nlp: Language, name: str, spans_key: str, institution_heads: list[str], places: list[str]
) -> Gazetteer:
    return Gazetteer(nlp, spans_key, institution_heads, places)
