"""Entity tagging: spaCy NER plus a domain gazetteer, turned into offset-exact mention spans.

The configured pipeline (`load_tagger`) is, in order:

1. ``sentencizer`` - sentence indexes for mentions (the trained parser is not loaded).
2. ``wirehouse_gazetteer_v2`` - the patterns in ``seeds/gazetteer/*.jsonl``. It runs *before*
   ``ner`` so the model respects its spans and predicts around them: on an overlap the
   gazetteer wins ("Standard Missile-3 Block 2A" stays one WEAPON, not ORG "Standard"). A match
   that starts a longer institution name grows into it ("U.S. Senate Banking Committee", not
   `U.S.` + `Senate`; head words in ``seeds/name_cues.csv``).
3. ``ner`` - the trained model, the only trained component kept (same entities, ~1.7x faster).
4. ``wirehouse_entity_cleanup_v4`` - drops value labels (dates, numbers), entities inside a
   copyright line, PERSON spans containing a news-agency name, spans that are not names and
   anything on a figures line of a results table (`transforms.entities.not_names`,
   seeds/not_names.csv); trims articles, titles and possessives from spans and joins names
   around "&" ("Standard & Poor's Corp"); sets canonical names from seeds/aliases.csv,
   seeds/place_abbreviations.csv, abbreviations defined in the text ("European Community
   (EC)") and within-dispatch resolution, one label per entity (`transforms.entities.canonical`);
   cuts spans at line breaks and scores, makes clubs named by a place ORG in sport text
   (`transforms.entities.sport`), operations EVENTs and a place read as a person the place
   (cues in ``seeds/name_cues.csv``).

The tokenizer also splits a dash glued to a closing bracket or an abbreviation
("(Jiji Press)–Japanese", "U.S.-Japan") so the model sees the words.

Components are registered factories with versioned names, so spaCy can rebuild the pipeline in
worker processes (`n_process > 1`). Bump the version in a name when its behaviour changes; the
pipeline hash covers names, configs (including the alias table), gazetteer patterns and the
tokenizer rule, so any change marks stored mentions for re-tagging."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import spacy
from spacy.language import Language

from seeds import seed_path
from transforms.entities.canonical import (
    read_alias_rows,
    read_place_abbreviation_rows,
    read_place_names,
)
from transforms.entities.cleanup import CLEANUP
from transforms.entities.gazetteer import GAZETTEER, agency_names, load_patterns
from transforms.entities.labels import EMITTED_LABELS, STAND_IN_LABELS
from transforms.entities.name_cues import read_name_cue_rows, terms_of
from transforms.entities.not_names import read_not_name_rows
from transforms.entities.place_names import country_names, region_names
from transforms.geocoding.step import geocoding_fingerprint
from transforms.languages import DEFAULT_PIPELINE

ENTITIES_VERSION = "wirehouse-entities/1"
# Geocoding runs after tagging (transforms.geocoding.step); its fingerprint is kept in the
# pipeline's meta so the pipeline hash covers it and `retag` re-geocodes when it changes.
GEOCODING_META = "wirehouse_geocoding"
SEEDS_DIR_META = "wirehouse_seeds_dir"
# Only NER is needed; the rest of the trained pipeline costs time without changing entities.
_NOT_NEEDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
# "(Jiji Press)–Japanese" and "U.S.-Japan" are single tokens for the stock tokenizer.
_GLUED_DASH_INFIXES = (
    r"[)\]](?=[\u2013\u2014-][A-Za-z])",
    r"(?<=[)\]])[\u2013\u2014-](?=[A-Za-z])",
    r"(?<=[A-Z]\.)[\u2013\u2014-](?=[A-Za-z])",
)


@dataclass(frozen=True)
class TaggerInfo:
    model: str
    pipeline_hash: str


def load_baseline_tagger(pipeline: str = DEFAULT_PIPELINE) -> Language:
    """The bare trained model with NER only: the yardstick for evaluation and benchmarks."""
    return spacy.load(pipeline, exclude=_NOT_NEEDED)


def load_tagger(pipeline: str = DEFAULT_PIPELINE, *, seeds_dir: Path | None = None) -> Language:
    """NER + sentencizer + the domain gazetteer, cleanup and canonical names from `seeds_dir`."""
    return add_components(spacy.load(pipeline, exclude=_NOT_NEEDED), seeds_dir=seeds_dir)


def add_components(nlp: Language, *, seeds_dir: Path | None = None) -> Language:
    """Adds the wirehouse tokenizer rule and components around `ner` (or, in a pipeline without
    one such as `spacy.blank("en")` in tests, after the sentencizer)."""
    patterns = load_patterns(seed_path("gazetteer", seeds_dir))
    _split_glued_dashes(nlp)
    if "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    where = {"before": "ner"} if "ner" in nlp.pipe_names else {"last": True}
    cues = read_name_cue_rows(seed_path("name_cues.csv", seeds_dir))
    places = read_place_names(seed_path("places.csv", seeds_dir))
    gazetteer_config = {
        "institution_heads": terms_of(cues, "institution_head"),
        "places": places,
    }
    gazetteer = nlp.add_pipe(GAZETTEER, name=GAZETTEER, config=gazetteer_config, **where)
    gazetteer.add_patterns(patterns)
    _intern_labels(nlp, {p["label"] for p in patterns} | set(EMITTED_LABELS))
    cleanup_config = {
        "agency_names": agency_names(patterns),
        # Place abbreviations first: a row of aliases.csv for the same key overrides them.
        "aliases": read_place_abbreviation_rows(seed_path("place_abbreviations.csv", seeds_dir))
        + read_alias_rows(seed_path("aliases.csv", seeds_dir)),
        "not_names": read_not_name_rows(seed_path("not_names.csv", seeds_dir)),
        "places": places,
        "sport": {
            "result_verbs": terms_of(cues, "result_verb"),
            "sport_words": terms_of(cues, "sport_word"),
            "team_roles": terms_of(cues, "team_role"),
            "nations": sorted({*country_names(), *terms_of(cues, "nation")}),
        },
        "operations": {
            "words": terms_of(cues, "operation_word"),
            "names": terms_of(cues, "operation_name"),
        },
        # A lone PERSON with one of these names is the place ("Bahia").
        "place_names": sorted(
            {*places, *country_names(), *region_names(), *terms_of(cues, "nation")}
        ),
    }
    nlp.add_pipe(CLEANUP, name=CLEANUP, last=True, config=cleanup_config)
    nlp.meta[GEOCODING_META] = geocoding_fingerprint(seeds_dir)
    nlp.meta[SEEDS_DIR_META] = str(seeds_dir) if seeds_dir else None
    return nlp


def _intern_labels(nlp: Language, labels: Iterable[str]) -> None:
    """Store label strings outside any memory zone: NER records the label of a gazetteer span
    it works around, and a string first seen inside `nlp.memory_zone()` is gone after it."""
    for label in sorted(labels):
        nlp.vocab.strings.add(label)


def _split_glued_dashes(nlp: Language) -> None:
    current = nlp.tokenizer.infix_finditer.__self__.pattern  # type: ignore[union-attr]
    combined = "|".join((current, *_GLUED_DASH_INFIXES))
    nlp.tokenizer.infix_finditer = re.compile(combined).finditer


def tagger_info(nlp: Language) -> TaggerInfo:
    """Model name-version and a hash of everything that decides the mentions it emits."""
    meta = nlp.meta
    model = f"{meta.get('lang', 'xx')}_{meta.get('name', 'pipeline')}-{meta.get('version', '0')}"
    state = {
        "version": ENTITIES_VERSION,
        "model": model,
        "pipes": nlp.pipe_names,
        "components": {name: nlp.config["components"].get(name) for name in nlp.pipe_names},
        "patterns": nlp.get_pipe(GAZETTEER).patterns if GAZETTEER in nlp.pipe_names else [],
        "stand_ins": STAND_IN_LABELS,
        "infixes": nlp.tokenizer.infix_finditer.__self__.pattern,  # type: ignore[union-attr]
        "geocoding": nlp.meta.get(GEOCODING_META),
    }
    digest = hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
    return TaggerInfo(model=model, pipeline_hash=digest[:16])
