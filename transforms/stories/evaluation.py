"""Precision and recall of story clusters on labelled pairs of dispatches."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass


@dataclass(frozen=True)
class LabelledPair:
    a: str
    b: str
    same_story: bool
    kind: str


@dataclass(frozen=True)
class PairScores:
    true_positives: int
    false_positives: int
    false_negatives: int
    true_negatives: int

    @property
    def precision(self) -> float:
        called = self.true_positives + self.false_positives
        return self.true_positives / called if called else 1.0

    @property
    def recall(self) -> float:
        wanted = self.true_positives + self.false_negatives
        return self.true_positives / wanted if wanted else 1.0


def pair_scores(story_of: dict[str, str], pairs: list[LabelledPair]) -> PairScores:
    tp = fp = fn = tn = 0
    for pair in pairs:
        together = story_of[pair.a] == story_of[pair.b]
        if pair.same_story:
            tp, fn = (tp + 1, fn) if together else (tp, fn + 1)
        else:
            fp, tn = (fp + 1, tn) if together else (fp, tn + 1)
    return PairScores(tp, fp, fn, tn)


def scores_by_kind(story_of: dict[str, str], pairs: list[LabelledPair]) -> dict[str, PairScores]:
    grouped: dict[str, list[LabelledPair]] = defaultdict(list)
    for pair in pairs:
        grouped[pair.kind].append(pair)
    return {kind: pair_scores(story_of, group) for kind, group in sorted(grouped.items())}
