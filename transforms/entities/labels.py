"""The entity labels: which the tagger emits, which it drops, and other models' names for ours."""

from __future__ import annotations

import dataclasses
from types import MappingProxyType

from transforms.records import MentionSpan

# Values, not entities: analysts count names; dates and amounts live elsewhere in the warehouse.
VALUE_LABELS = ("CARDINAL", "DATE", "MONEY", "ORDINAL", "PERCENT", "QUANTITY", "TIME")
DOMAIN_LABELS = ("AGENCY", "GOV_BODY", "MILITARY", "WEAPON")
KEPT_MODEL_LABELS = (
    "EVENT", "FAC", "GPE", "LANGUAGE", "LAW", "LOC", "NORP", "ORG", "PERSON", "PRODUCT",
    "WORK_OF_ART",
)
EMITTED_LABELS = tuple(sorted(KEPT_MODEL_LABELS + DOMAIN_LABELS))
# Labels the trained NER knows, given to gazetteer entities while it runs (see `Gazetteer`).
STAND_IN_LABELS = {"AGENCY": "ORG", "GOV_BODY": "ORG", "MILITARY": "ORG", "WEAPON": "PRODUCT"}
# Other models' names for labels we already have; the rest (LOC, ORG, MISC) are kept as named.
LABELS_TO_OURS = MappingProxyType({"PER": "PERSON"})


def ours(spans: list[MentionSpan]) -> list[MentionSpan]:
    """Mentions with other models' label names mapped to ours (fr "PER" is our "PERSON")."""
    return [
        dataclasses.replace(span, label=LABELS_TO_OURS[span.label])
        if span.label in LABELS_TO_OURS else span
        for span in spans
    ]
