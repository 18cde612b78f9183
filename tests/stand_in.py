"""A stand-in for the trained model in entity tests: `spacy.blank("en")` whose `ner` is an
entity ruler that finds exactly the spans a test names, with the wirehouse components around
it, so a test of the components does not depend on what the model happens to find."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import spacy
from spacy.language import Language

from transforms.entities.pipeline import add_components


def stand_in_pipeline(spans: Iterable[tuple[str, str]], seeds_dir: Path | None = None) -> Language:
    """The pipeline whose `ner` finds each (label, text) of `spans` wherever the text occurs."""
    nlp = spacy.blank("en")
    ruler = nlp.add_pipe("entity_ruler", name="ner", config={"overwrite_ents": True})
    ruler.add_patterns(
        [{"label": label, "pattern": [{"ORTH": t.text} for t in nlp.make_doc(text)]}
         for label, text in spans]
    )
    return add_components(nlp, seeds_dir=seeds_dir)
