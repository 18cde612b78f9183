"""Story clustering: MinHash over word shingles of the body, with LSH to find candidates.

One rule, applied to dispatches in publication order (`published_at`, then `version_id`):

1. A body whose normalised text (`transforms.identity.body_key`) is already known joins that
   body's story: identical bodies always share a story.
2. Otherwise its MinHash is looked up in the LSH index; among earlier versions published within
   `STORY_WINDOW` whose estimated Jaccard is at least `THRESHOLD`, it joins the story of the most
   similar one (ties: earliest, then smallest version_id). Rewrites thus join through the
   latest version they copy paragraphs from (transitively), not through the first.
3. Otherwise, another agency's own take: among bodied versions of *other* agencies published
   within `TAKE_WINDOW`, it joins the story of the one whose key terms (names and figures:
   capitalised words inside sentences and numbers, the dateline left out) overlap most, with a
   Jaccard of at least `TAKE_MIN_JACCARD` and `TAKE_MIN_SHARED` terms in common.
4. Otherwise it starts a story of its own, named after its own version.
5. A flash (no body) joins the story of the bodied dispatch, published from
   `FLASH_WINDOW_BEFORE` before it to `FLASH_WINDOW_AFTER` after it, whose headline and lede
   contain the largest share of the flash's words (at least `FLASH_MIN_CONTAINMENT`).

Each decision depends only on versions assigned before it (and, for flashes, on the bodied
versions of the same run), so a nightly run that assigns a day's dispatches against the sketch
index gives the same stories as a backfill that clusters them all at once, as long as the runs
see the days in order. A late dispatch (older than versions already assigned) is matched
against those newer versions too: it joins their story rather than starting one its own
updates are not in. Existing stories are never merged or renamed: a dispatch that resembles
two stories joins the closer one.
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import numpy as np

from transforms.identity import body_key, normalised_headline

SHINGLE_WORDS = 5
NUM_PERM = 128
MINHASH_SEED = 26
# Named, not defaulted: stored signatures must be compared with signatures of the same scheme.
# It is datasketch 2's "affine32" MinHash (SHA-1 of each shingle, its first 4 bytes little-endian,
# pre-mixed with MurmurHash3's 32-bit finaliser, then a * h + b mod 2**32 per permutation, the
# parameters drawn from MINHASH_SEED as datasketch draws them), computed here with numpy over all
# of a body's shingles at once; tests/test_stories_minhash.py checks it against datasketch's own.
MINHASH_SCHEME = "affine32"
# LSH bands and rows per band for THRESHOLD and NUM_PERM, as datasketch's MinHashLSH works them out
# (minimising false positives and negatives; a test checks they still agree).
LSH_BANDS, LSH_ROWS = 42, 3
# MurmurHash3's fmix32: shifts and multipliers.
_FMIX32 = (16, 0x85EBCA6B, 13, 0xC2B2AE35, 16)
# Shingles per numpy block: a block's permuted hashes take 4 bytes x NUM_PERM each (2 MB here),
# however long the body.
_SHINGLES_PER_BLOCK = 4096
_EMPTY_SIGNATURE = np.full(NUM_PERM, 0xFFFFFFFF, dtype="<u4").tobytes()
# Estimated Jaccard of 5-word shingles at which two bodies are one story. Measured on our
# labelled set (tests/corpus/stories): refiles score 0.89+, correcteds 0.75+, versions down to
# 0.18 but chained through each other; the same-template negatives reach 0.27 (two Jiji
# earnings twins, apart at 0.25, merged at 0.2) and 0.53 (two JMA rain warnings, which no body
# threshold below 0.54 parts). 0.25 keeps rewrites (0.22 median against one version) joined
# through the versions they copy.
THRESHOLD = 0.25
STORY_WINDOW = timedelta(days=7)
FLASH_WINDOW_BEFORE = timedelta(minutes=10)
FLASH_WINDOW_AFTER = timedelta(minutes=60)
FLASH_MIN_CONTAINMENT = 0.5
LEDE_WORDS = 60
# Other agencies' takes (second signal). Measured on the labelled set: takes of one event by
# two agencies came within 9.3 hours of each other and shared 0.07-0.60 of their key terms
# (median 0.38); labelled same-topic stories of two agencies within 12 hours shared at most
# 0.05. Pairs of one agency are left to the body: its same-template stories share key terms
# up to 0.34 (two Reuters match reports of one evening). At 0.25 three more different-story
# pairs merge; 0.4 keeps away from that edge on the set it was chosen on.
TAKE_WINDOW = timedelta(hours=12)
TAKE_MIN_JACCARD = 0.4
TAKE_MIN_SHARED = 4

_TOKEN = re.compile(r"[a-z0-9]+(?:[.,'][a-z0-9]+)*")
# The dateline and credit that open a wire body ("LIMA, March 12 (Reuters) -", "Tokyo, Feb. 17
# (Jiji Press)--", "TOKYO (AP) —"): the agency's, not the story's, so not a key term.
_DATELINE = re.compile(r"^.{0,120}?(?:\)\s*[-\u2014\u2013]+|\)\.-|--|\s[-\u2014\u2013]\s)")
_SENTENCE_BREAK = re.compile(r"(?<=[.!?\"\u201d])\s+|\n+")
_DIGIT = re.compile(r"\d")
_TERM = re.compile(r"[^\W_][\w.,'\u2019:-]*[^\W_]|[^\W_]")
# Capitalised words every story has: calendar, weekdays, pronouns and the agencies' own names.
_NOT_KEY_TERMS = frozenset(
    [
        "january", "february", "march", "april", "may", "june", "july", "august", "september",
        "october", "november", "december", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep",
        "sept", "oct", "nov", "dec", "monday", "tuesday", "wednesday", "thursday", "friday",
        "saturday", "sunday", "the", "a", "an", "in", "on", "at", "of", "and", "but", "he", "she",
        "it", "they", "we", "i", "this", "that", "there", "his", "her", "its", "their", "reuters",
        "afp", "ap", "kyodo", "jiji", "press", "xinhua", "efe", "dpa", "pti", "aap", "bloomberg",
        "nhk", "cgtn", "upi", "ansa", "yonhap", "tass"
    ]
)
# Words a flash shares with any story on its beat; they do not say which story it is.
_FLASH_STOPWORDS = frozenset(
    [
        "a", "an", "the", "of", "in", "on", "at", "to", "for", "from", "by", "with", "and", "or",
        "as", "is", "are", "was", "be", "after", "over", "its", "it", "s", "says", "said", "say",
        "new",
    ]
)


@dataclass(frozen=True)
class StoryInput:
    """What clustering needs of one dispatch version."""

    version_id: str
    published_at: datetime
    headline: str | None
    body: str
    agency: str | None = None


@dataclass(frozen=True)
class Sketch:
    """One row of the sketch index: a version, its story, and what later versions match."""

    version_id: str
    story_id: str
    published_at: datetime
    body_key: str | None  # None for a flash
    signature: bytes  # MinHash values (uint32 little-endian, NUM_PERM of them); empty for a flash
    lede: str  # normalised headline and first words of the body, for flashes to match
    agency: str | None = None
    key_terms: tuple[str, ...] = ()  # names and figures of the body, for other agencies' takes


def words(text: str) -> list[str]:
    return _TOKEN.findall(unicodedata.normalize("NFKC", text).casefold())


def body_shingles(body: str) -> set[str]:
    return set(_shingles(words(body)))


def _shingles(tokens: list[str]) -> list[str]:
    """The 5-word shingles of `tokens` in order, repeats kept (a repeat cannot change a minimum)."""
    if len(tokens) < SHINGLE_WORDS:
        return [" ".join(tokens)] if tokens else []
    # zip stops at the shortest: the last shingle starts SHINGLE_WORDS - 1 tokens from the end.
    return list(map(" ".join, zip(*(tokens[i:] for i in range(SHINGLE_WORDS)), strict=False)))


@functools.cache
def _permutations() -> tuple[np.ndarray, np.ndarray]:
    """The scheme's permutations h -> a * h + b (mod 2**32), drawn once per process from the seed
    as datasketch draws them: odd multipliers `a`, so each permutation is a bijection."""
    draw = np.random.RandomState(MINHASH_SEED)
    multipliers = draw.randint(0, 1 << 31, NUM_PERM, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    offsets = draw.randint(0, 1 << 32, NUM_PERM, dtype=np.uint32)
    return multipliers, offsets


def _fmix32(hashes: np.ndarray) -> np.ndarray:
    shift1, multiply1, shift2, multiply2, shift3 = _FMIX32
    hashes = hashes ^ (hashes >> np.uint32(shift1))
    hashes = hashes * np.uint32(multiply1)
    hashes = hashes ^ (hashes >> np.uint32(shift2))
    hashes = hashes * np.uint32(multiply2)
    return hashes ^ (hashes >> np.uint32(shift3))


def signature(body: str) -> bytes:
    """The body's MinHash over its word 5-shingles, NUM_PERM uint32 values little-endian (all
    0xFFFFFFFF for a body without words). SHA-1 per shingle is the only per-shingle Python work;
    the mixing and the permutations run as numpy arrays over a block of shingles at once."""
    return _signature_of_words(words(body))


def _signature_of_words(body_words: list[str]) -> bytes:
    """`signature` of a body whose `words` are `body_words` (the clusterer reads them once per
    body, for the signature and the lede)."""
    shingles = _shingles(body_words)
    if not shingles:
        return _EMPTY_SIGNATURE
    multipliers, offsets = _permutations()
    sha1 = hashlib.sha1
    # Each numpy call costs microseconds whatever its size, and a wire body is one block: its
    # minimum is its block's, with no array of maxima to start from and no copy at the end.
    minimum: np.ndarray | None = None
    for start in range(0, len(shingles), _SHINGLES_PER_BLOCK):
        block = shingles[start:start + _SHINGLES_PER_BLOCK]
        # Whole 20-byte digests joined, then every fifth uint32: the first 4 bytes of each.
        digests = b"".join([sha1(s.encode("utf-8")).digest() for s in block])
        hashes = _fmix32(np.frombuffer(digests, dtype="<u4")[::5].astype(np.uint32))
        permuted = np.multiply.outer(hashes, multipliers)
        permuted += offsets
        block_minimum = permuted.min(axis=0)
        minimum = block_minimum if minimum is None else np.minimum(minimum, block_minimum)
    assert minimum is not None  # shingles is not empty
    return minimum.astype("<u4", copy=False).tobytes()


class BandIndex:
    """MinHash LSH: versions filed under each band (LSH_ROWS values) of their signature; the
    candidates of a signature are the versions sharing at least one band with it. The same
    candidates as datasketch's MinHashLSH with these bands, without a MinHash object per version:
    a band's key is its 12 bytes of the stored signature."""

    def __init__(self) -> None:
        self._buckets: list[dict[bytes, list[str]]] = [{} for _ in range(LSH_BANDS)]

    @staticmethod
    def _bands(signature: bytes) -> list[bytes]:
        # One numpy call: the signature cut into LSH_BANDS byte strings of LSH_ROWS values each.
        return np.frombuffer(signature, dtype=f"V{4 * LSH_ROWS}", count=LSH_BANDS).tolist()

    def insert(self, version_id: str, signature: bytes) -> None:
        for bucket, band in zip(self._buckets, self._bands(signature), strict=True):
            bucket.setdefault(band, []).append(version_id)

    def candidates(self, signature: bytes) -> set[str]:
        found: set[str] = set()
        for bucket, band in zip(self._buckets, self._bands(signature), strict=True):
            found.update(bucket.get(band, ()))
        return found


def estimated_jaccard(a: bytes, b: bytes) -> float:
    left, right = np.frombuffer(a, dtype="<u4"), np.frombuffer(b, dtype="<u4")
    return float(np.count_nonzero(left == right)) / NUM_PERM


def key_terms(body: str) -> tuple[str, ...]:
    """The names and figures of a body: words capitalised inside a sentence (not the first word
    of one) and tokens with a digit, casefolded, without the dateline; sorted."""
    text = unicodedata.normalize("NFKC", body).strip()
    opening = _DATELINE.match(text)
    if opening:
        text = text[opening.end():]
    found: set[str] = set()
    inside: list[str] = []
    for tokens in map(_TERM.findall, _SENTENCE_BREAK.split(text)):
        # A sentence's first word is capitalised whatever it is: there only a figure counts.
        if tokens and _DIGIT.search(tokens[0]):
            found.add(tokens[0].replace(",", "").casefold())
        inside += tokens[1:]
    # A _TERM match begins and ends with a letter or digit, so no token is empty or has
    # punctuation at its ends to strip.
    for token in inside:
        if _DIGIT.search(token):
            found.add(token.replace(",", "").casefold())
        elif token[0].isupper():
            found.add(token.casefold())
    # The common words are all letters: no figure is among them.
    return tuple(sorted(found - _NOT_KEY_TERMS))


def lede_text(headline: str | None, body_words: list[str]) -> str:
    """The normalised headline and the first LEDE_WORDS of the body's `words`."""
    return " ".join([normalised_headline(headline), *body_words[:LEDE_WORDS]])


def new_story_id(version_id: str) -> str:
    return hashlib.sha256(f"story\x1f{version_id}".encode()).hexdigest()[:32]


def flash_words(headline: str | None) -> set[str]:
    return {w for w in normalised_headline(headline).split() if w not in _FLASH_STOPWORDS}


def _shifted(moment: datetime, by: timedelta) -> datetime:
    """`moment + by`, held at the calendar's ends: a dispatch dated 9999-12-31 (a typo feeds
    do send) must not stop the run with an OverflowError."""
    try:
        return moment + by
    except OverflowError:
        end = datetime.max if by > timedelta(0) else datetime.min
        return end.replace(tzinfo=moment.tzinfo)


def story_window(times: list[datetime]) -> tuple[datetime, datetime]:
    """The publication times an index sketch must fall within to be matched by new versions
    published at `times` (non-empty): STORY_WINDOW either side of them."""
    return _shifted(min(times), -STORY_WINDOW), _shifted(max(times), STORY_WINDOW)


def _order(item: StoryInput | Sketch) -> tuple[datetime, str]:
    return (item.published_at, item.version_id)


def assign_stories(new: list[StoryInput], index: list[Sketch]) -> list[Sketch]:
    """The sketch rows of `new` versions, each with its story, given the sketch `index` of the
    versions already committed. Pure: the same inputs always give the same rows."""
    if not new:
        return []
    bodied = sorted((d for d in new if d.body.strip()), key=_order)
    flashes = sorted((d for d in new if not d.body.strip()), key=_order)
    earliest, latest = story_window([d.published_at for d in new])
    nearby = [s for s in index if earliest <= s.published_at <= latest]
    lsh = BandIndex()
    by_version: dict[str, Sketch] = {}
    story_of_body: dict[str, Sketch] = {}
    for sketch in sorted(index, key=_order):
        if sketch.body_key is not None:
            story_of_body.setdefault(sketch.body_key, sketch)
    for sketch in nearby:
        by_version[sketch.version_id] = sketch
        if sketch.signature:
            lsh.insert(sketch.version_id, sketch.signature)
    takes = _TermIndex()
    for sketch in nearby:
        takes.add(sketch)
    out: list[Sketch] = []
    for item in bodied:
        key = body_key(item.body)
        body_words = words(item.body)
        sketch_values = _signature_of_words(body_words)
        terms = key_terms(item.body)
        story = story_of_body[key].story_id if key in story_of_body else None
        if story is None:
            story = _closest_story(item, sketch_values, lsh.candidates(sketch_values), by_version)
        if story is None:
            story = takes.closest_story(item, terms, by_version)
        sketch = Sketch(item.version_id, story or new_story_id(item.version_id), item.published_at,
                        key, sketch_values, lede_text(item.headline, body_words), item.agency,
                        terms)
        out.append(sketch)
        story_of_body.setdefault(key, sketch)
        if item.version_id not in by_version:
            by_version[item.version_id] = sketch
            lsh.insert(item.version_id, sketch_values)
            takes.add(sketch)
    bodied_sketches = sorted((s for s in by_version.values() if s.signature), key=_order)
    bodied_times = [s.published_at for s in bodied_sketches]
    for item in flashes:
        # Only the bodied versions in the flash's window (bodied_sketches is in time order).
        first = bisect.bisect_left(bodied_times, _shifted(item.published_at, -FLASH_WINDOW_BEFORE))
        last = bisect.bisect_right(bodied_times, _shifted(item.published_at, FLASH_WINDOW_AFTER))
        story = _flash_story(item, bodied_sketches[first:last])
        out.append(Sketch(item.version_id, story or new_story_id(item.version_id), item.published_at,
                          None, b"", normalised_headline(item.headline), item.agency))
    return out


def _closest_story(
    item: StoryInput, signature: bytes, candidates: set[str], by_version: dict[str, Sketch]
) -> str | None:
    best: tuple[float, datetime, str] | None = None
    chosen: str | None = None
    for version in candidates:
        other = by_version[version]
        if abs(other.published_at - item.published_at) > STORY_WINDOW:
            continue
        score = estimated_jaccard(signature, other.signature)
        if score < THRESHOLD:
            continue
        rank = (-score, other.published_at, other.version_id)
        if best is None or rank < best:
            best, chosen = rank, other.story_id
    return chosen


class _TermIndex:
    """Bodied versions by key term and by `TAKE_WINDOW`-long span of time, to find another
    agency's take on the same event: a lookup reads the postings of its own span and the two
    next to it, never the whole batch (a common term such as "2024" is in every story).

    A take is only ever another agency's, so while every version added is of the looking-up
    version's own agency (a backfill of one wire's archive, always) the answer is known to be
    None without counting a term. Versions are therefore posted at the first lookup that could
    match one of them, not when added: a one-agency run never builds the postings."""

    def __init__(self) -> None:
        self._versions: dict[tuple[str, int], list[str]] = {}
        self._unposted: list[Sketch] = []
        self._agencies: set[str] = set()

    @staticmethod
    def _span(moment: datetime) -> int:
        return int(moment.timestamp() // TAKE_WINDOW.total_seconds())

    def add(self, sketch: Sketch) -> None:
        if sketch.signature and sketch.agency:
            self._unposted.append(sketch)
            self._agencies.add(sketch.agency)

    def _post(self) -> None:
        for sketch in self._unposted:
            span = self._span(sketch.published_at)
            for term in sketch.key_terms:
                self._versions.setdefault((term, span), []).append(sketch.version_id)
        self._unposted.clear()

    def closest_story(
        self, item: StoryInput, terms: tuple[str, ...], by_version: dict[str, Sketch]
    ) -> str | None:
        if not item.agency or len(terms) < TAKE_MIN_SHARED or self._agencies <= {item.agency}:
            return None
        self._post()
        span = self._span(item.published_at)
        shared: dict[str, int] = {}
        for term in terms:
            for near in (span - 1, span, span + 1):
                for version in self._versions.get((term, near), ()):
                    shared[version] = shared.get(version, 0) + 1
        best: tuple[float, datetime, str] | None = None
        chosen: str | None = None
        for version, count in shared.items():
            other = by_version[version]
            if count < TAKE_MIN_SHARED or other.agency == item.agency:
                continue
            if abs(other.published_at - item.published_at) > TAKE_WINDOW:
                continue
            score = count / (len(terms) + len(other.key_terms) - count)
            if score < TAKE_MIN_JACCARD:
                continue
            rank = (-score, other.published_at, other.version_id)
            if best is None or rank < best:
                best, chosen = rank, other.story_id
        return chosen


def _flash_story(item: StoryInput, bodied: list[Sketch]) -> str | None:
    wanted = flash_words(item.headline)
    if not wanted:
        return None
    best: tuple[float, timedelta, str] | None = None
    chosen: str | None = None
    for other in bodied:
        lead = other.published_at - item.published_at
        if not -FLASH_WINDOW_BEFORE <= lead <= FLASH_WINDOW_AFTER:
            continue
        share = len(wanted & set(other.lede.split())) / len(wanted)
        if share < FLASH_MIN_CONTAINMENT:
            continue
        rank = (-share, abs(lead), other.version_id)
        if best is None or rank < best:
            best, chosen = rank, other.story_id
    return chosen
