"""The stories' MinHash and LSH, computed with numpy, against datasketch's own "affine32" scheme:
signatures stored by earlier runs (made with datasketch) must equal the ones made now, and the
LSH must find the same candidates, or a nightly run would cluster differently from a backfill."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from datasketch import MinHash, MinHashLSH
from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.stories.clustering import (
    LSH_BANDS,
    LSH_ROWS,
    MINHASH_SCHEME,
    MINHASH_SEED,
    NUM_PERM,
    THRESHOLD,
    BandIndex,
    body_shingles,
    signature,
)

STORIES_CORPUS = Path(__file__).parent / "corpus" / "stories"


def datasketch_signature(body: str) -> bytes:
    """The signature as the clusterer made it before: datasketch's MinHash over the sorted set
    of shingles, its permutations drawn from the seed."""
    reference = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
    reference.update_batch([s.encode("utf-8") for s in sorted(body_shingles(body))])
    return reference.hashvalues.astype("<u4").tobytes()


def _invented_bodies(count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    vocabulary = ["the", "port", "minister", "said", "1,250.5", "Rotterdam", "Müller", "naïve",
                  "ÉTÉ", "ﬁnance", "don't", "U.S.", "—", "\u00a0", "3.4%", "東京", "percent", "\n"]
    return [" ".join(rng.choice(vocabulary) for _ in range(rng.randint(0, 400)))
            for _ in range(count)]


def test_signatures_equal_datasketch_s_on_many_bodies():
    bodies = _invented_bodies(300, seed=25)
    bodies += ["", "   ", "—", "one", "one two three four", "one two three four five",
               "repeat " * 40]
    # Longer than one numpy block of shingles (4,096), so the blocks' minima are combined.
    bodies.append(" ".join(f"word{i}" for i in range(9_000)))
    labelled = (STORIES_CORPUS / "dispatches.jsonl").read_text(encoding="utf-8").splitlines()
    bodies += [json.loads(line)["body"] or "" for line in labelled if line.strip()]
    assert len(bodies) > 400
    for body in bodies:
        assert signature(body) == datasketch_signature(body), body[:80]


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=600))
def test_signature_equals_datasketch_s_on_any_text(body):
    assert signature(body) == datasketch_signature(body)


def test_bands_are_datasketch_s_for_the_threshold():
    worked_out = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    assert (worked_out.b, worked_out.r) == (LSH_BANDS, LSH_ROWS)


@pytest.mark.parametrize("seed", [1, 2])
def test_band_index_finds_datasketch_s_candidates(seed):
    # Bodies that share paragraphs with each other in varying amounts, so candidates are many.
    rng = random.Random(seed)
    paragraphs = [" ".join(rng.choice(["port", "said", "cranes", "budget", "floods", "Tokyo",
                                       "2024", "rose", "fell", "Lindqvist"]) for _ in range(30))
                  for _ in range(12)]
    bodies = [" ".join(rng.sample(paragraphs, rng.randint(1, 4))) for _ in range(150)]
    ours, theirs = BandIndex(), MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    for number, body in enumerate(bodies):
        values = signature(body)
        ours.insert(f"v{number}", values)
        reference = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
        reference.update_batch([s.encode("utf-8") for s in body_shingles(body)])
        theirs.insert(f"v{number}", reference)
    found = 0
    for body in bodies + paragraphs:
        reference = MinHash(num_perm=NUM_PERM, seed=MINHASH_SEED, scheme=MINHASH_SCHEME)
        reference.update_batch([s.encode("utf-8") for s in body_shingles(body)])
        expected = set(theirs.query(reference))
        assert ours.candidates(signature(body)) == expected
        found += len(expected)
    assert found > len(bodies) + len(paragraphs)  # not only each body itself
