"""Tagging bodies: mention and quote spans for each text, long bodies in pieces."""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import replace
from itertools import islice
from weakref import WeakKeyDictionary

from spacy.language import Language
from spacy.tokens import Doc

from transforms.entities.cleanup import CLEANUP
from transforms.entities.gazetteer import GAZETTEER, GAZETTEER_SPANS_KEY
from transforms.entities.headline_mentions import body_name_keys, may_keep_a_mention
from transforms.entities.labels import DOMAIN_LABELS
from transforms.entities.quotes import find_quotes
from transforms.records import MentionSpan, QuoteSpan

_NO_ZONE_CHUNK = 10_000

# Inside `nlp.memory_zone()` the tokenizer's cache of the words it has split keeps only what
# it held before the zone: every zone splits the run's common words ("said.", "(Reuters)")
# again. Tokenizing a process's first bodies once outside any zone makes their words the
# cache's permanent part, at a bounded cost in memory (4 MB per 10,000 bodies, measured).
# Measured over 4,000 distinct bodies in zones of 256: the configured pipeline cost 1.125x the
# bare model without this, 1.064x with it (1.07x with no zones at all). The cache only
# remembers how a word splits, so the tokens, and every mention, are the same either way.
PERMANENT_CACHE_BODIES = 10_000
_permanently_cached: WeakKeyDictionary[Language, int] = WeakKeyDictionary()


def _cache_words_permanently(nlp: Language, bodies: list[str]) -> None:
    """Tokenize, outside any memory zone, the bodies needed to reach `PERMANENT_CACHE_BODIES`
    for this pipeline in this process (results are discarded; the tokenizer's cache stays)."""
    done = _permanently_cached.get(nlp, 0)
    wanted = [b for b in bodies[: max(PERMANENT_CACHE_BODIES - done, 0)] if len(b) <= nlp.max_length]
    if not wanted:
        return
    for _ in nlp.tokenizer.pipe(wanted):
        pass
    _permanently_cached[nlp] = done + len(wanted)


def _sentence_starts(doc: Doc) -> list[int]:
    return [sent.start_char for sent in doc.sents] if doc.has_annotation("SENT_START") else [0]


def mentions_of(doc: Doc) -> list[MentionSpan]:
    starts = _sentence_starts(doc)
    return [
        MentionSpan(
            text=ent.text,
            label=ent.label_,
            start_char=ent.start_char,
            end_char=ent.end_char,
            sentence_index=max(bisect.bisect_right(starts, ent.start_char) - 1, 0),
            canonical=ent.kb_id_ or ent.text,
        )
        for ent in doc.ents
    ]


def tag_bodies(
    nlp: Language,
    bodies: Iterable[str],
    batch_size: int = 64,
    n_process: int = 1,
    *,
    zone_size: int | None = 2000,
) -> Iterator[tuple[list[MentionSpan], list[QuoteSpan]]]:
    """Mentions and quotes for each body, in input order.

    Bodies are processed in zones of `zone_size` documents inside `nlp.memory_zone()`, so the
    string store does not grow over a long run; only plain records leave a zone. The words of
    a process's first `PERMANENT_CACHE_BODIES` bodies are cached outside the zones, which then
    cost next to nothing (see there for the figures).
    `zone_size=None` turns zones off for short runs.
    """
    iterator = iter(bodies)
    while chunk := list(islice(iterator, zone_size or _NO_ZONE_CHUNK)):
        if zone_size:
            _cache_words_permanently(nlp, chunk)
        with nlp.memory_zone() if zone_size else nullcontext():
            # Bodies over nlp.max_length would make spaCy raise (E088): they go through
            # `long_body_mentions` instead, in order (see "long bodies" below).
            fits = [body for body in chunk if len(body) <= nlp.max_length]
            # A body whose every word is on a results table's lines skips the model: the cleanup
            # drops whatever the model would find there (`drops_every_model_entity`).
            skip = _model_skipper(nlp)
            without_model = [skip(body) for body in fits] if skip is not None else [False] * len(fits)
            docs = iter(nlp.pipe([b for b, bare in zip(fits, without_model, strict=True) if not bare],
                                 batch_size=batch_size, n_process=n_process))
            bare_docs = iter(nlp.pipe([b for b, bare in zip(fits, without_model, strict=True) if bare],
                                      batch_size=batch_size, disable=["ner"]))
            skips = iter(without_model)
            for body in chunk:
                if len(body) > nlp.max_length:
                    mentions = long_body_mentions(nlp, body)
                else:
                    mentions = mentions_of(next(bare_docs) if next(skips) else next(docs))
                yield mentions, find_quotes(body, mentions)


def _model_skipper(nlp: Language) -> Callable[[str], bool] | None:
    """The test for texts whose mentions are the same without the model, for a pipeline built
    by `add_components` (NER before our cleanup); None for any other pipeline."""
    names = nlp.pipe_names
    if "ner" not in names or CLEANUP not in names or names.index("ner") > names.index(CLEANUP):
        return None
    return nlp.get_pipe(CLEANUP).drops_every_model_entity


# A body longer than `nlp.max_length` (1,000,000 characters by default) is tagged in pieces cut
# at paragraph breaks, else sentence ends, else whitespace; offsets are shifted back so that
# every mention still slices the full body exactly, and sentence indexes run on across pieces.
# Within-dispatch canonical names are resolved per piece.
LONG_BODY_PIECE = 20_000


def split_for_model(text: str, limit: int) -> list[tuple[int, str]]:
    """Contiguous (offset, piece) slices of `text`, each at most `limit` characters long."""
    pieces: list[tuple[int, str]] = []
    start = 0
    while len(text) - start > limit:
        window = text[start : start + limit]
        cut = 0
        for separator in ("\n\n", "\n", ". ", " "):
            found = window.rfind(separator, limit // 2)
            if found > 0:
                cut = found + len(separator)
                break
        cut = cut or limit
        pieces.append((start, window[:cut]))
        start += cut
    pieces.append((start, text[start:]))
    return pieces


def long_body_mentions(nlp: Language, body: str) -> list[MentionSpan]:
    limit = min(nlp.max_length, LONG_BODY_PIECE)
    pieces = split_for_model(body, limit)
    mentions: list[MentionSpan] = []
    sentences = 0
    # One piece at a time: batching pieces would hold the whole body's activations at once
    # (3.5 GB for 1.2M characters; ~200 MB like this).
    docs = nlp.pipe((piece for _, piece in pieces), batch_size=1)
    for (offset, _piece), doc in zip(pieces, docs, strict=True):
        for mention in mentions_of(doc):
            mentions.append(
                replace(
                    mention,
                    start_char=mention.start_char + offset,
                    end_char=mention.end_char + offset,
                    sentence_index=mention.sentence_index + sentences,
                )
            )
        sentences += len(_sentence_starts(doc))
    return mentions


def tag_within(
    nlp: Language, body: str, seconds: float, piece_chars: int,
    timer: Callable[[], float] = time.monotonic,
) -> tuple[list[MentionSpan], list[QuoteSpan], int]:
    """Mentions and quotes of `body`, tagged a piece of at most `piece_chars` characters at a
    time (cut as `split_for_model` cuts) until `seconds` have passed; and how many characters
    from the start were tagged (`len(body)` when all were).

    The clock is read between pieces: spaCy cannot be interrupted inside a document, so a piece
    once started is finished, and the first piece is always tagged. Offsets are into `body`,
    quotes are looked for in the tagged part only.
    """
    deadline = timer() + seconds
    mentions: list[MentionSpan] = []
    sentences = 0
    tagged = 0
    with nlp.memory_zone():  # only plain records leave it, as in `tag_bodies`
        for offset, piece in split_for_model(body, min(nlp.max_length, piece_chars)):
            if tagged and timer() >= deadline:
                break
            doc = nlp(piece)
            mentions += [replace(mention, start_char=mention.start_char + offset,
                                 end_char=mention.end_char + offset,
                                 sentence_index=mention.sentence_index + sentences)
                         for mention in mentions_of(doc)]
            sentences += len(_sentence_starts(doc))
            tagged = offset + len(piece)
    return mentions, find_quotes(body[:tagged], mentions), tagged


def headlines_needing_model(
    nlp: Language, headlines: Sequence[str], bodies: Sequence[list[MentionSpan]]
) -> list[bool]:
    """For each headline, whether the model must tag it: False only where
    `confirmed_headline_mentions` would keep none of its mentions beside that body's, whatever
    the model found (the reasoning is in `transforms.entities.headline_mentions`). Measured on
    3,000 dispatches of our synthetic archive, about two headlines in three are not run (68%),
    and a headline costs ~0.6 ms of model time.

    Exact only for a pipeline built by `add_components`, whose NER knows none of our domain
    labels; any other pipeline has every headline tagged."""
    if GAZETTEER not in nlp.pipe_names or CLEANUP not in nlp.pipe_names:
        return [True] * len(headlines)
    if "ner" in nlp.pipe_names and set(nlp.get_pipe("ner").labels) & set(DOMAIN_LABELS):
        return [True] * len(headlines)
    aliases = nlp.get_pipe(CLEANUP).aliases
    domain_alias_keys = frozenset(key for key, alias in aliases.items() if alias.label in DOMAIN_LABELS)
    needed = [
        len(headline) > nlp.max_length
        or may_keep_a_mention(headline, body_name_keys(body), domain_alias_keys)
        for headline, body in zip(headlines, bodies, strict=True)
    ]
    # The rest keep a mention only if the gazetteer finds one: the pipeline up to it, not the
    # model, on those (tokenizing and matching cost ~1/30 of the model on a headline).
    rest = [i for i, need in enumerate(needed) if not need]
    after_gazetteer = nlp.pipe_names[nlp.pipe_names.index(GAZETTEER) + 1 :]
    with nlp.memory_zone():
        docs = nlp.pipe((headlines[i] for i in rest), disable=after_gazetteer, batch_size=256)
        for i, doc in zip(rest, docs, strict=True):
            if doc.spans.get(GAZETTEER_SPANS_KEY):
                needed[i] = True
    return needed
