"""Precision and recall of place resolution against a labelled set.

The set (tests/geocoding/: `dispatches.jsonl` and `labels.jsonl`) labels each dispatch's dateline
and every GPE/LOC/NORP span of its body with the place it means, or NULL with a reason. A
place is identified by its GeoNames id, or for a region without one by its ISO 3166-2 code.

* precision: of the items the resolver gave a place, the share given the right one;
* recall: of the items that have a place, the share given the right one;
* accuracy: the share of all items answered right, a NULL for a NULL counting as right.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from transforms.geocoding.gazetteer import Gazetteer, Place
from transforms.geocoding.resolve import MentionSpan, resolve_dispatch


@dataclass
class Score:
    """Counts for one slice of the labelled set."""

    items: int = 0
    gold_places: int = 0
    predicted_places: int = 0
    correct_places: int = 0
    correct_nulls: int = 0

    @property
    def precision(self) -> float:
        return self.correct_places / self.predicted_places if self.predicted_places else 0.0

    @property
    def recall(self) -> float:
        return self.correct_places / self.gold_places if self.gold_places else 0.0

    @property
    def accuracy(self) -> float:
        return (self.correct_places + self.correct_nulls) / self.items if self.items else 0.0


@dataclass
class Evaluation:
    overall: Score
    by_slice: dict[str, Score]
    by_rule: dict[str, Counter]
    misses: list[str] = field(default_factory=list)


def place_key(place: Place | None) -> str | None:
    """The id a label uses: the GeoNames id, or the ISO 3166-2 code of a region without one."""
    if place is None:
        return None
    return str(place.geonameid) if place.geonameid is not None else place.admin1


def gold_key(expected: dict | None) -> str | None:
    if expected is None:
        return None
    return str(expected["geonameid"]) if expected.get("geonameid") is not None else expected["iso3166_2"]


def read_jsonl(path: Path) -> list[dict]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def evaluate(gazetteer: Gazetteer, dispatches: list[dict], labels: list[dict]) -> Evaluation:
    """Resolve every labelled dispatch and score it item by item."""
    by_dispatch: dict[str, list[dict]] = defaultdict(list)
    for label in labels:
        by_dispatch[label["dispatch_id"]].append(label)
    overall = Score()
    slices: dict[str, Score] = defaultdict(Score)
    rules: dict[str, Counter] = defaultdict(Counter)
    misses: list[str] = []
    for dispatch in dispatches:
        items = by_dispatch.get(dispatch["id"], [])
        mention_labels = sorted((i for i in items if i["kind"] == "mention"), key=lambda i: i["start"])
        spans = [MentionSpan(i["text"], i["label"], i["start"], i["end"]) for i in mention_labels]
        result = resolve_dispatch(
            gazetteer, dateline=dispatch["dateline"], agency=dispatch["agency"],
            body=dispatch["body"], mentions=spans,
        )
        answered = [(i, result.dateline) for i in items if i["kind"] == "dateline"]
        answered += list(zip(mention_labels, result.mentions, strict=True))
        for item, res in answered:
            gold, got = gold_key(item["expected"]), place_key(res.place)
            right = gold == got
            for score in (overall, slices[f"{item['kind']}/{item['trap']}"]):
                score.items += 1
                score.gold_places += gold is not None
                score.predicted_places += got is not None
                score.correct_places += right and got is not None
                score.correct_nulls += right and got is None
            rules[res.rule]["right" if right else "wrong"] += 1
            if not right:
                misses.append(
                    f"{item['id']} {item['text']!r}: gold {gold} got {got} "
                    f"({res.rule}{', ' + res.reason if res.reason else ''})"
                )
    return Evaluation(overall, dict(slices), dict(rules), misses)
