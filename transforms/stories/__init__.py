"""Stories: near-duplicate clusters of dispatch versions (README: Stories)."""

from transforms.stories.clustering import (
    FLASH_MIN_CONTAINMENT,
    FLASH_WINDOW_AFTER,
    FLASH_WINDOW_BEFORE,
    NUM_PERM,
    SHINGLE_WORDS,
    STORY_WINDOW,
    TAKE_MIN_JACCARD,
    TAKE_MIN_SHARED,
    TAKE_WINDOW,
    THRESHOLD,
    Sketch,
    StoryInput,
    assign_stories,
    body_shingles,
    estimated_jaccard,
    key_terms,
)
from transforms.stories.evaluation import LabelledPair, PairScores, pair_scores, scores_by_kind
from transforms.stories.sketch_index import sketch_rows, sketches_from_table, story_rows_after

__all__ = [
    "FLASH_MIN_CONTAINMENT",
    "LabelledPair",
    "PairScores",
    "FLASH_WINDOW_AFTER",
    "FLASH_WINDOW_BEFORE",
    "NUM_PERM",
    "SHINGLE_WORDS",
    "STORY_WINDOW",
    "TAKE_MIN_JACCARD",
    "TAKE_MIN_SHARED",
    "TAKE_WINDOW",
    "THRESHOLD",
    "Sketch",
    "StoryInput",
    "assign_stories",
    "body_shingles",
    "estimated_jaccard",
    "key_terms",
    "pair_scores",
    "scores_by_kind",
    "sketch_rows",
    "sketches_from_table",
    "story_rows_after",
]
