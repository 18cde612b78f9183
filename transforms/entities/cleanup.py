"""The cleanup component after NER: entities analysts can count, with canonical names."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from spacy.language import Language
from spacy.strings import hash_string
from spacy.tokens import Doc, Span, Token
from spacy.util import filter_spans

from transforms.entities.canonical import (
    Alias,
    MentionInput,
    alias_key,
    alias_table,
    resolve_mentions,
    strip_article,
    surface_form,
)
from transforms.entities.gazetteer import GAZETTEER_SPANS_KEY
from transforms.entities.labels import VALUE_LABELS
from transforms.entities.not_names import (
    dropped_table_ranges,
    every_word_in_dropped_table_ranges,
    figures_lines,
    is_defined_abbreviation,
    is_not_a_name,
    is_table_label,
    not_names,
)
from transforms.entities.place_names import fold_place, without_accents
from transforms.entities.sport import is_sport_text, sport_cues, with_teams
from transforms.entities.token_ids import TokenIds

CLEANUP = "wirehouse_entity_cleanup_v4"
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


class EntityCleanup:
    """After NER: entities analysts can count, with canonical names.

    1. gazetteer entities get their own label back;
    2. dropped: value labels, anything inside a copyright line or on a figures line of a
       financial block (`transforms.entities.not_names.figures_lines`); on other figures lines
       (sports standings) only spans with a digit or made of table labels; a PERSON containing
       a news-agency name, a portfolio tagged as ORG in front of a title ("Defense" in
       "Defense Minister");
    3. spans lose a leading article, titles, possessive and loose lowercase words at the edges,
       and take in "& Name" around them ("Poor's Corp" -> "Standard & Poor's Corp");
    4. spans that are not names are dropped (`transforms.entities.not_names`: "cts", "Avg", "Co");
    5. an upper-case dateline place becomes a GPE; untagged repeats of a surname become PERSON;
       an abbreviation defined in brackets after a name ("European Community (EC)") is an
       alias of that name in this dispatch;
    6. no span runs across a line break or a score ("Barcelona 2 Real Madrid 1"); in sport text
       clubs named by a place are ORG (`transforms.entities.sport`); an operation's name is an
       EVENT ("Operation Desert Shield"); a lone place's name read as a PERSON is the place
       ("Bahia"); cues in ``seeds/name_cues.csv``;
    7. canonical names and the voted label (`transforms.entities.canonical`); the canonical name is the
       entity's ``kb_id``, which survives the trip back from worker processes. A dateline keeps
       its GPE whatever the vote.

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
        sport: Mapping[str, Sequence[str]] | None = None,
        operations: Mapping[str, Sequence[str]] | None = None,
        place_names: Sequence[str] = (),
    ) -> None:
        self.gazetteer_key = gazetteer_key
        self.drop_labels = frozenset(drop_labels)
        self.aliases = alias_table(aliases)
        self.not_names = not_names(not_name_rows)
        self.places = {alias_key(place): place for place in places}
        sport = sport or {}
        self.sport = sport_cues(
            sport.get("result_verbs", ()), sport.get("sport_words", ()),
            sport.get("team_roles", ()), sport.get("nations", ()),
        )
        self.sport_word_ids = frozenset(hash_string(w) for w in self.sport.sport_words)
        operations = operations or {}
        self.operation_words = frozenset(operations.get("words", ()))
        self.operation_word_ids = frozenset(hash_string(w) for w in self.operation_words)
        self.operation_names = frozenset(operations.get("names", ()))
        self.operation_first_word_ids = frozenset(
            hash_string(name.split()[0]) for name in self.operation_names
        )
        # As written (accents aside), so "Ba" (a province of Fiji) is not "BA" (British Airways);
        # an upper-case place of four letters or more ("KANAGAWA") is compared without case.
        self.place_names = frozenset(without_accents(name) for name in place_names)
        self.upper_place_names = frozenset(fold_place(name) for name in place_names)
        alternatives = "|".join(re.escape(n) for n in sorted(agency_names, key=len, reverse=True))
        self.agency = re.compile(rf"\b(?:{alternatives})\b") if alternatives else None
        self._not_a_name: dict[tuple[str, ...], bool] = {}

    def __call__(self, doc: Doc) -> Doc:
        gazetteer = {(s.start, s.end): s.label_ for s in doc.spans.get(self.gazetteer_key, [])}
        dateline = _dateline_place(doc)
        tokens = TokenIds(doc)
        ents = _with_untagged_surnames(doc, self._cleaned(doc, gazetteer, dateline, tokens), tokens)
        sport = is_sport_text(doc, self.sport_word_ids, tokens.lower_set)
        ents, teams = with_teams(doc, ents, self.sport, tokens.text()) if sport else (ents, set())
        ents, operations = self._with_operations(doc, ents, tokens)
        ents = self._places_read_as_names(doc, ents, sport, gazetteer)
        fixed = teams | operations
        if fixed:  # a name added on a result or after "Operation" never overlaps another
            ents = sorted(filter_spans(ents), key=lambda span: span.start)
        ents, defined = _with_defined_abbreviations(doc, ents)
        inputs = [
            MentionInput(
                e.text, e.label_,
                gazetteer.get((e.start, e.end)) == e.label_ or (e.start, e.end) in fixed,
            )
            for e in ents
        ]
        # Curated aliases win over a definition in the text.
        aliases = {**defined, **self.aliases} if defined else self.aliases
        resolutions = resolve_mentions(inputs, aliases, self.places)
        # A dateline names the place of the dispatch, whatever the vote ("BALTIMORE" above
        # "Baltimore 5 Boston 3", where Baltimore is the club).
        at_dateline = (dateline.start, dateline.end) if dateline is not None else None
        doc.ents = [
            Span(
                doc, e.start, e.end, kb_id=r.canonical,
                label=e.label_ if (e.start, e.end) == at_dateline else r.label,
            )
            for e, r in zip(ents, resolutions, strict=True)
        ]
        return doc

    def _cleaned(
        self, doc: Doc, gazetteer: dict[tuple[int, int], str], dateline: Span | None,
        tokens: TokenIds,
    ) -> list[Span]:
        # Only bodies with several lines can hold a table; `doc.text` joins every token in
        # Python, so it is built only for those.
        text = tokens.text() if tokens.line_breaks() >= 2 else None
        figures = figures_lines(text, self.not_names) if text is not None else []
        blocked = _copyright_ranges(tokens)
        if text is not None:
            blocked += dropped_table_ranges(text, figures, self.not_names)
        table_rows = [(f.start, f.end) for f in figures if not f.financial]
        kept: list[Span] = [dateline] if dateline is not None else []
        for ent in doc.ents:
            label = gazetteer.get((ent.start, ent.end), ent.label_)
            if label != ent.label_:
                ent = Span(doc, ent.start, ent.end, label=label)
            if self._unwanted(ent) or (blocked and _overlaps(blocked, ent.start_char, ent.end_char)):
                continue
            if table_rows and _overlaps(table_rows, ent.start_char, ent.end_char) and (
                _has_digit(ent) or is_table_label([t.text for t in ent], self.not_names)
            ):
                continue
            if dateline is not None and ent.start < dateline.end:
                continue
            for piece in _split_at_scores_and_lines(ent):
                trimmed = _trimmed(_without_hyphen_affix(_before_free_dash(piece)))
                if trimmed is None:
                    continue
                if _lost_a_figure(ent, trimmed) and is_table_label(
                    [t.text for t in trimmed], self.not_names
                ):
                    continue  # "Mar 6.8": a month and its figure, not a person
                joined = _joined_across_ampersand(trimmed)
                if not self._is_not_a_name(tuple([t.text for t in joined])):
                    kept.append(joined)
        # Joining across "&" can reach a neighbouring entity ("Standard" + "Poor's Corp").
        return sorted(filter_spans(kept), key=lambda span: span.start) if kept else kept

    def drops_every_model_entity(self, text: str) -> bool:
        """Whether `_cleaned` drops whatever entity the model finds in `text`: the ranges it
        drops every entity in (`dropped_table_ranges`) hold every word of it. spaCy's NER starts
        no entity on a whitespace token, so each entity it adds holds a word and is dropped.
        Such a text's mentions are then the same with or without the model: the other
        components (the dateline, the gazetteer, the token rules) do not read what the model
        found, except through `_cleaned`. Copyright lines, which `_cleaned` also blocks, are
        left out, so this can only say False more often."""
        return every_word_in_dropped_table_ranges(text, self.not_names)

    def _is_not_a_name(self, words: tuple[str, ...]) -> bool:
        """`is_not_a_name`, remembered per span's words: the same names recur from dispatch to
        dispatch, and the answer depends on the words alone."""
        known = self._not_a_name.get(words)
        if known is None:
            if len(self._not_a_name) >= _WORDS_CACHE_SIZE:
                self._not_a_name.clear()
            known = self._not_a_name[words] = is_not_a_name(words, self.not_names)
        return known

    def _with_operations(
        self, doc: Doc, ents: list[Span], tokens: TokenIds
    ) -> tuple[list[Span], set[tuple[int, int]]]:
        """ "Operation Desert Shield", "Desert Storm": a military operation is an EVENT, never a
        PERSON. The name after an operation word (`seeds/name_cues.csv`, the word itself left
        out like a title, added when the model missed it) and a listed operation's name."""
        words = self.operation_words
        orths = tokens.orth_set
        has_word = not self.operation_word_ids.isdisjoint(orths)
        if not has_word and self.operation_first_word_ids.isdisjoint(orths):
            return ents, set()
        kept: list[Span] = []
        events: set[tuple[int, int]] = set()
        for ent in ents:
            start = ent.start + 1 if len(ent) > 1 and ent[0].text in words else ent.start
            after_word = start > 0 and doc[start - 1].text in words
            if after_word or doc[start : ent.end].text in self.operation_names:
                ent = Span(doc, start, ent.end, label="EVENT")
                events.add((ent.start, ent.end))
            kept.append(ent)
        if has_word:
            for token in doc:
                if token.text not in words:
                    continue
                start, end = token.i + 1, _end_of_capitalised_run(doc, token.i + 1)
                # The whole name wins over a part the model tagged ("Storm" of "Operation
                # Sandy Storm"); a span running out of the name stops it.
                inside = [e for e in kept if start <= e.start and e.end <= end]
                crossing = [e.start for e in kept if e.start < end and e.end > start
                            and not (start <= e.start and e.end <= end)]
                if crossing:
                    end = min(end, *crossing)
                    inside = [e for e in inside if e.end <= end]
                if end <= start or any((e.start, e.end) == (start, end) for e in inside):
                    continue
                kept = [e for e in kept if e not in inside]
                kept.append(Span(doc, start, end, label="EVENT"))
                events.add((start, end))
            kept.sort(key=lambda span: span.start)
        return kept, events

    def _places_read_as_names(
        self, doc: Doc, ents: list[Span], sport: bool, gazetteer: dict[tuple[int, int], str]
    ) -> list[Span]:
        """ "Bahia" as a PERSON or an ORG: a name that is only the name of a place
        (seeds/places.csv, the countries and first-level regions of ISO 3166) is the place (GPE),
        unless a longer person's name in the dispatch holds it ("Naomi Osaka" ... "Osaka"), a
        title stands before it ("Queen Victoria"), or, for an ORG, the text is about sport (a
        club: "Bahia 2 Santos 1") or the gazetteer said so."""
        if not self.place_names:
            return ents
        labels = ("PERSON",) if sport else ("PERSON", "ORG")
        places = [
            i for i, e in enumerate(ents)
            if e.label_ in labels and (e.start, e.end) not in gazetteer and self._is_place_name(e.text)
        ]
        if not places:
            return ents
        person_words = {t.text for e in ents if e.label_ == "PERSON" and len(e) > 1 for t in e}
        kept = list(ents)
        for i in places:
            ent = ents[i]
            if any(t.text in person_words for t in ent) or (
                ent.start > 0 and doc[ent.start - 1].text in _PERSON_TITLES
            ):
                continue
            kept[i] = Span(doc, ent.start, ent.end, label="GPE")
        return kept

    def _is_place_name(self, text: str) -> bool:
        if text.isupper():
            return len(text) > 3 and fold_place(text) in self.upper_place_names
        return without_accents(text) in self.place_names

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
        "sport": {},
        "operations": {},
        "place_names": [],
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
    sport: dict[str, list[str]],
    operations: dict[str, list[str]],
    place_names: list[str],
) -> EntityCleanup:
    return EntityCleanup(
        agency_names, drop_labels, aliases, gazetteer_key, not_names, places, sport,
        operations, place_names,
    )


# `is_not_a_name` answers remembered per worker; cleared when full, so memory stays bounded
# (10,000 word tuples: a few MB at most).
_WORDS_CACHE_SIZE = 10_000


def _copyright_ranges(tokens: TokenIds) -> list[tuple[int, int]]:
    # A token-id check (C level) first: almost no body has a copyright line, and `doc.text` is
    # a Python join over every token.
    markers = {tokens.doc.vocab.strings[m] for m in _COPYRIGHT_MARKERS}
    if markers.isdisjoint(tokens.orth_set):
        return []
    return [m.span() for m in _COPYRIGHT.finditer(tokens.text())]


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


def _has_digit(ent: Span) -> bool:
    return any(ch.isdigit() for ch in ent.text)


def _overlaps(ranges: Sequence[tuple[int, int]], start: int, end: int) -> bool:
    return any(lo < end and start < hi for lo, hi in ranges)


def _trimmed(ent: Span) -> Span | None:
    """The span without article, possessive, titles or lowercase words at its edges."""
    doc = ent.doc
    start, end = ent.start, ent.end
    while end - start > 1 and (
        _loose_at_end(doc[end - 1])
        or ent.label_ in _NO_FIGURE_LABELS and (doc[end - 1].like_num or doc[end - 1].is_punct)
    ):
        end -= 1
    while end - start > 1 and ent.label_ in _NO_FIGURE_LABELS and doc[start].like_num:
        start += 1
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


# A person, place or people never has a figure at its edge: "Lindqvist 82" in a results line is
# the name and a score. (Clubs and events may: "Schalke 04", "Super 12".)
_NO_FIGURE_LABELS = frozenset({"PERSON", "GPE", "NORP", "LOC"})

_FREE_DASHES = frozenset({"-", "--", "\u2013", "\u2014"})


def _before_free_dash(ent: Span) -> Span:
    """ "HONG KONG - Gold closed ...": a dash between spaces ends a name (a section dateline in
    a roundup); "U.S.-Japan" has no spaces and stays."""
    if len(ent) < 3:
        return ent
    for token in ent[:-1]:
        if token.text in _FREE_DASHES and token.i > ent.start and ent.doc[token.i - 1].whitespace_:
            return Span(ent.doc, ent.start, token.i, label=ent.label_)
    return ent


def _lost_a_figure(ent: Span, trimmed: Span) -> bool:
    if trimmed.start <= ent.start and ent.end <= trimmed.end:
        return False  # nothing was cut off
    return any(t.like_num for t in ent if not trimmed.start <= t.i < trimmed.end)


# Labels whose names never end in "-lowercase": "Syrian-backed" is the NORP "Syrian",
# "Washington-based" the GPE "Washington". (A person may: "Lee Jae-myung".)
_AFFIX_FREE_LABELS = frozenset({"GPE", "NORP", "LOC", "ORG", "GOV_BODY", "MILITARY"})


def _without_hyphen_affix(ent: Span) -> Span:
    """ "Syrian-backed", "Washington-based", "NATO-led": the name before a glued hyphen and a
    lower-case word is the entity; the affix is not part of it."""
    if ent.label_ not in _AFFIX_FREE_LABELS or len(ent) < 3:
        return ent
    doc, end = ent.doc, ent.end
    hyphen, affix = doc[end - 2], doc[end - 1]
    if hyphen.text in ("-", "\u2010") and not hyphen.whitespace_ and not doc[end - 3].whitespace_ \
            and affix.is_lower and affix.is_alpha:
        return Span(doc, ent.start, end - 2, label=ent.label_)
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
        if not _ABBREVIATION_SHAPE.match(short) or not is_defined_abbreviation(short, ent.text):
            continue
        defined[alias_key(short)] = Alias(surface_form(ent.text, ent.label_), ent.label_)
        if end + 1 not in covered:
            extra.append(Span(doc, end + 1, end + 2, label=ent.label_))
    if extra:
        ents = sorted(ents + extra, key=lambda span: span.start)
    return ents, defined


def _with_untagged_surnames(doc: Doc, ents: list[Span], tokens: TokenIds) -> list[Span]:
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
    orths = tokens.orths
    extra = [
        Span(doc, i, i + 1, label="PERSON")
        for i, orth in enumerate(orths)
        if orth in ids and i not in covered and doc[i].is_title
    ]
    return sorted(ents + extra, key=lambda span: span.start) if extra else ents


def _split_at_scores_and_lines(ent: Span) -> list[Span]:
    """ "Barcelona 2 Real Madrid 1", "Chelsea 2 Arsenal 1\nLiverpool": a span never runs across
    a line break or a score between two names; each name is its own span, without the figures
    at its edges (a club's own figure stays when nothing follows it: "Schalke 04")."""
    if len(ent) < 3 and not (ent[0].is_space or ent[-1].is_space):
        return [ent]  # a cut at a score needs a name on both sides
    doc = ent.doc
    cuts = [
        t.i for t in ent
        if t.is_space
        or t.is_digit and _name_follows(doc, t.i + 1, ent.end)
    ]
    if not cuts:
        return [ent]
    spans = []
    for lo, hi in zip([ent.start] + [c + 1 for c in cuts], cuts + [ent.end], strict=True):
        while lo < hi and not _has_letter(doc[lo]):
            lo += 1
        while hi > lo and not _has_letter(doc[hi - 1]):
            hi -= 1
        if lo < hi:
            spans.append(Span(doc, lo, hi, label=ent.label_))
    return spans


def _name_follows(doc: Doc, i: int, end: int) -> bool:
    """A capitalised word at `i`, or after a comma or semicolon there ("Hartford 3, Buffalo")."""
    if i < end and doc[i].text in (",", ";"):
        i += 1
    return i < end and doc[i].is_alpha and doc[i].is_title


_OPERATION_JOINERS = frozenset({"of", "for"})
_OPERATION_WORDS = 4


def _end_of_capitalised_run(doc: Doc, start: int) -> int:
    """The end of the run of capitalised words from `start` ("Desert Shield", "Peace for
    Galilee"), at most a few words; `start` itself when there is none."""
    end = start
    limit = min(len(doc), start + _OPERATION_WORDS)
    i = start
    while i < limit:
        token = doc[i]
        if token.is_alpha and token.is_title:
            end = i + 1
        elif not (token.lower_ in _OPERATION_JOINERS and end == i and i > start):
            break
        if not token.whitespace_:
            break
        i += 1
    return end


def _has_letter(token: Token) -> bool:
    return any(ch.isalpha() for ch in token.text)
