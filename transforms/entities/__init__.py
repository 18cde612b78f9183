"""Entity tagging: spaCy NER with the domain gazetteer and the cleanup component, one pipeline per
language, and the entity tables built from its mentions.

`pipeline` loads a tagger (its components are `gazetteer` and `cleanup`, its label set is
`labels`); `taggers` picks the pipeline for a dispatch's language; `tagging` runs one over bodies.
`canonical` (names within one dispatch, seeds/aliases.csv), `not_names` (seeds/not_names.csv),
`headline_mentions`, `quotes` and `entity_aliases` (names across the warehouse) are its rules;
`evaluation` scores it on a gold set.

The names are imported on first use, not with the package: the commit side imports
`transforms.entities.entity_aliases` (plain Python and Arrow), and importing a submodule runs
this file first; the pipeline's modules would load spaCy (~40 MB, ~2 CPU s) into every process
that only commits, such as a backfill's flow process.
"""

from importlib import import_module

# public name -> its module
_LAZY = {
    "TaggerInfo": "transforms.entities.pipeline",
    "Taggers": "transforms.entities.taggers",
    "load_baseline_tagger": "transforms.entities.pipeline",
    "load_tagger": "transforms.entities.pipeline",
    "load_taggers": "transforms.entities.taggers",
    "tag_bodies": "transforms.entities.tagging",
    "tagger_info": "transforms.entities.pipeline",
}

__all__ = [
    "TaggerInfo",
    "Taggers",
    "load_baseline_tagger",
    "load_tagger",
    "load_taggers",
    "tag_bodies",
    "tagger_info",
]


def __getattr__(name: str) -> object:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(_LAZY[name]), name)
    globals()[name] = value  # once found, an ordinary attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
