"""Entity tagging: spaCy NER with the domain gazetteer and the cleanup component, one pipeline per
language, and the entity tables built from its mentions.

`pipeline` loads a tagger (its components are `gazetteer` and `cleanup`, its label set is
`labels`); `taggers` picks the pipeline for a dispatch's language; `tagging` runs one over bodies.
`canonical` (names within one dispatch, seeds/aliases.csv), `not_names` (seeds/not_names.csv),
`headline_mentions`, `quotes` and `entity_aliases` (names across the warehouse) are its rules;
`evaluation` scores it on a gold set.
"""

from transforms.entities.pipeline import TaggerInfo, load_baseline_tagger, load_tagger, tagger_info
from transforms.entities.taggers import Taggers, load_taggers
from transforms.entities.tagging import tag_bodies

__all__ = [
    "TaggerInfo",
    "Taggers",
    "load_baseline_tagger",
    "load_tagger",
    "load_taggers",
    "tag_bodies",
    "tagger_info",
]
