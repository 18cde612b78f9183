"""Tag each identical body once: an exact cache of `tag_bodies` results.

An archive holds the same text many times (re-sends, corrections that only change the header,
one story carried by several agencies). The same text through the same pipeline gives the same
doc, so the same mentions, canonical names (resolved within the text) and quotes: a repeat can
take the first occurrence's results instead of running the model again, and nothing changes.

Exact by construction: the cache is keyed on the SHA-256 of the pipeline's hash and the exact
text, not on `identity.body_key` (the key stories share), since `body_key` ignores whitespace
and whitespace is seen by the model and moves offsets (two such variants get an entry each).
The oldest entries go first once `max_bodies` is reached, so memory stays bounded over any
archive.

An entry is kept packed: that 32-byte digest as its key, and its records' fields as one
`marshal` string, unpacked into new records at each use. Kept as records (a frozen dataclass
per mention, a tuple of the pipeline hash, `body_key` and a hex digest per key) an entry
measured 6.5 KB on our synthetic archive (13 mentions a body), so a worker's full cache held
~130 MB; packed, ~0.8 KB.
"""

from __future__ import annotations

import hashlib
import marshal
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, fields
from operator import attrgetter

from spacy.language import Language

from transforms.entities.tagging import tag_bodies
from transforms.records import MentionSpan, QuoteSpan

TagResult = tuple[list[MentionSpan], list[QuoteSpan]]

# About 0.8 KB per cached body, packed (13 mentions); 20,000 bodies stay under ~20 MB.
DEFAULT_MAX_BODIES = 20_000


@dataclass
class CacheCounts:
    tagged: int = 0
    copied: int = 0


class BodyCache:
    """`tag_bodies` results per (pipeline hash, body key, exact text digest), least recently used
    dropped first."""

    def __init__(self, max_bodies: int = DEFAULT_MAX_BODIES) -> None:
        self.max_bodies = max_bodies
        self.counts = CacheCounts()
        self._entries: OrderedDict[bytes, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def tag(
        self, nlp: Language, pipeline_hash: str, bodies: Sequence[str], **options: object
    ) -> list[TagResult]:
        """Mentions and quotes for each body, in input order, as `tag_bodies` gives them; each
        distinct text is tagged at most once (within this call, and since it was cached)."""
        results: list[TagResult | None] = [None] * len(bodies)
        waiting: dict[str, list[int]] = {}  # exact text -> positions that need its result
        for position, body in enumerate(bodies):
            key = _key(pipeline_hash, body)
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
                results[position] = unpack(entry)
                self.counts.copied += 1
            elif body in waiting:
                waiting[body].append(position)
                self.counts.copied += 1
            else:
                waiting[body] = [position]
        texts = list(waiting)
        for body, result in zip(texts, tag_bodies(nlp, texts, **options), strict=True):
            self.counts.tagged += 1
            for position in waiting[body]:
                results[position] = result
            self._remember(_key(pipeline_hash, body), result)
        return results  # type: ignore[return-value] - every position is filled above

    def _remember(self, key: bytes, result: TagResult) -> None:
        if self.max_bodies <= 0:
            return
        self._entries[key] = pack(result)
        self._entries.move_to_end(key)
        while len(self._entries) > self.max_bodies:
            self._entries.popitem(last=False)


def _key(pipeline_hash: str, body: str) -> bytes:
    digest = hashlib.sha256(pipeline_hash.encode())
    digest.update(b"\0")
    digest.update(body.encode("utf-8", "surrogatepass"))
    return digest.digest()


# Every field of each record, in declaration order (a field added later is packed too).
_mention_fields = attrgetter(*(f.name for f in fields(MentionSpan)))
_quote_fields = attrgetter(*(f.name for f in fields(QuoteSpan)))


def pack(result: TagResult) -> bytes:
    """A result's records as one compact string (fields only: strings, ints and None)."""
    mentions, quotes = result
    return marshal.dumps((tuple(map(_mention_fields, mentions)), tuple(map(_quote_fields, quotes))))


def unpack(packed: bytes) -> TagResult:
    """New records equal to the ones `pack` was given."""
    mentions, quotes = marshal.loads(packed)
    return [MentionSpan(*fields) for fields in mentions], [QuoteSpan(*fields) for fields in quotes]
