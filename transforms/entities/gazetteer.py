"""The domain gazetteer: the patterns of `seeds/gazetteer/*.jsonl`, matched before NER."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span
from spacy.util import filter_spans

from transforms.entities.labels import STAND_IN_LABELS

GAZETTEER = "wirehouse_gazetteer_v1"
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

    def __init__(self, nlp: Language, spans_key: str) -> None:
        self.spans_key = spans_key
        self.make_doc = nlp.make_doc
        self.token_matcher = Matcher(nlp.vocab, validate=True)
        self.phrase_matcher = PhraseMatcher(nlp.vocab)
        self.patterns: list[dict[str, Any]] = []

    def add_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        for entry in patterns:
            label, pattern = entry["label"], entry["pattern"]
            if isinstance(pattern, str):
                self.phrase_matcher.add(label, [self.make_doc(pattern)])
            else:
                self.token_matcher.add(label, [pattern])
            self.patterns.append(entry)

    def __call__(self, doc: Doc) -> Doc:
        matches = self.token_matcher(doc, as_spans=True) + self.phrase_matcher(doc, as_spans=True)
        winners = filter_spans(matches)
        doc.spans[self.spans_key] = winners
        stand_ins = [
            Span(doc, s.start, s.end, label=STAND_IN_LABELS.get(s.label_, s.label_))
            for s in winners
        ]
        doc.ents = filter_spans(stand_ins + list(doc.ents))
        return doc


@Language.factory(GAZETTEER, default_config={"spans_key": GAZETTEER_SPANS_KEY})
def make_gazetteer(nlp: Language, name: str, spans_key: str) -> Gazetteer:
    return Gazetteer(nlp, spans_key)
