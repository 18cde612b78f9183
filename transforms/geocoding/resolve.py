"""Resolve a dispatch's dateline and its GPE/LOC/NORP mentions to gazetteer places.

Pure: the gazetteer comes in as an argument, nothing is read or written. The README's
"Geocoding" section states the rules; in short, for each name the first rule that leaves a
single place decides, and the rule's name is kept (`Resolution.rule`):

1. `part_of_name`: a mention that is part of a longer name ("The Washington Post", "Bank of
   England", "Rep. Jim Jordan", "Florence Nightingale", "Paris Saint-Germain") is no place.
2. `demonym`: a NORP mention maps through `seeds/demonyms.csv` to a country, or to NULL
   with the table's reason (ambiguous, regional, ethnic or language group, movement).
3. `alias`: `seeds/place_aliases.csv` names the place ("U.S.", "Britain", "Bavaria") or says
   why the name is no place (seas, rivers, continents, macro-regions, disputed areas).
4. `unique`: one gazetteer entry of that name (primary or alternate name).
5. `qualifier`: "PORTLAND, Ore.", "TBILISI, Georgia", "Paris, Texas": the places inside the
   named state, region or country (AP abbreviations expanded by `place_abbreviations.csv`).
6. `same_as_dateline`: the name the dateline has ("Paris" under `PARIS, Texas`), or the name
   of a mention already resolved.
7. `dateline_region`, `dateline_country`: the places in the dateline's first-level region,
   then in its country.
8. `co_mentions`: the places in the countries and regions the dispatch's unambiguous
   mentions and demonyms name (Tbilisi + Russian -> Georgia the country).
9. `agency_country`: the places in the agency's home country (`seeds/agency_countries.csv`).
10. `feature`: a country before a region before a city (a dateline: a city first; and a short
    list of names used for the city: Washington, New York, Mexico City ...).
11. `population`: the most populous, the last resort.

A name with no candidate is NULL with a reason: `not_in_gazetteer` (a village below 15,000
people, an unknown name), the alias table's reason, or `part_of_name`.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from transforms.geocoding.gazetteer import CITY, COUNTRY, REGION, Gazetteer, Place, fold

PLACE_LABELS = frozenset({"GPE", "LOC"})
DEMONYM_LABEL = "NORP"

# Words that end an organisation's name: "The Washington Post", "Manchester United".
_NAME_TAILS = frozenset(
    [
        "post", "times", "herald", "tribune", "journal", "united", "city", "fc", "saint-germain",
        "motor", "motors", "bank", "university", "college", "airlines", "airways", "stock",
        "exchange", "times-picayune", "globe", "chronicle", "nightingale"
    ]
)
_TITLES = frozenset(
    [
        "rep", "sen", "gov", "mr", "mrs", "ms", "dr", "president", "minister", "senator",
        "representative", "governor", "mayor", "judge", "gen", "col", "lt", "sgt", "capt"
    ]
)
_NOT_NAME_WORDS = frozenset(
    [
        "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday", "january",
        "february", "march", "april", "may", "june", "july", "august", "september", "october",
        "november", "december"
    ]
)
# A dateline's or mention's bare name that means the city before the country or state.
_CITY_FIRST = frozenset(
    fold(name)
    for name in (
        "Washington", "New York", "Mexico City", "Quebec City", "Panama City", "Kuwait City",
        "Guatemala City", "Vatican City", "Singapore", "Djibouti",
    )
)
_REGION_SUFFIXES = (" state", " province", " prefecture", " region", " oblast")
_DATELINE_PREFIXES = ("in the ", "aboard the ", "aboard ", "near ", "off ")
_WORD = re.compile(r"[\w.'’-]+")


@dataclass(frozen=True)
class Resolution:
    """Where a name resolved to (or why not) and which rule decided."""

    place: Place | None
    rule: str
    reason: str | None = None

    @property
    def place_id(self) -> str | None:
        return self.place.place_id if self.place else None


@dataclass(frozen=True)
class MentionSpan:
    """A tagged mention as the resolver needs it: its text, label and where it is."""

    text: str
    label: str
    start: int
    end: int


@dataclass(frozen=True)
class DispatchPlaces:
    """The dateline's resolution and one per mention, in the order the mentions came."""

    dateline: Resolution
    mentions: tuple[Resolution, ...]


def _null(rule: str, reason: str) -> Resolution:
    return Resolution(None, rule, reason)


def _inside(place: Place, area: Place) -> bool:
    """Whether `place` lies in `area` (a country or a first-level region)."""
    if place.place_id == area.place_id or place.country_code != area.country_code:
        return False
    if area.feature == COUNTRY:
        return True
    if area.feature == REGION:
        if place.feature != CITY:
            return False
        admin1 = area.city_admin1
        return admin1 is None or place.admin1 == admin1
    return False


def _split_qualifier(text: str) -> tuple[str, str | None]:
    head, sep, qualifier = text.partition(",")
    return head.strip(), (qualifier.strip() or None) if sep else None


class _Resolver:
    def __init__(self, gazetteer: Gazetteer):
        self.gz = gazetteer

    # -- names -----------------------------------------------------------------------
    def expand(self, name: str) -> str:
        key = fold(name)
        return self.gz.abbreviations.get(key, name) if key else name

    def alias(self, name: str) -> Resolution | None:
        alias = self.gz.aliases.get(fold(name))
        if alias is None:
            return None
        if alias.place_id is None:
            return _null("alias", alias.reason_if_null or "not_a_place")
        return Resolution(self.gz.by_id[alias.place_id], "alias")

    def candidates(self, name: str) -> tuple[list[Place], str | None]:
        """Places of that name, and the feature a suffix asks for ("Washington state")."""
        key = fold(name)
        if key.startswith("the "):
            key = key[4:]
        key = key.removesuffix("'s")
        found = self.gz.by_name.get(key, [])
        if not found and key.endswith(")"):
            key = re.sub(r"\s*\([^)]*\)$", "", key)
            found = self.gz.by_name.get(key, [])
        if found:
            return list(found), None
        for suffix in _REGION_SUFFIXES:
            if key.endswith(suffix):
                found = self.gz.by_name.get(key.removesuffix(suffix), [])
                regions = [p for p in found if p.feature != CITY]
                if regions:
                    return regions, REGION
        if key.endswith(" city"):
            found = [p for p in self.gz.by_name.get(key.removesuffix(" city"), []) if p.feature == CITY]
            if found:
                return found, CITY
        return [], None

    def areas(self, qualifier: str) -> list[Place]:
        """The states, regions or countries a qualifier ("Ore.", "Georgia", "B.C.") names."""
        expanded = self.expand(qualifier)
        aliased = self.alias(expanded)
        if aliased is not None:
            return [aliased.place] if aliased.place else []
        found, _ = self.candidates(expanded)
        return [p for p in found if p.feature in (COUNTRY, REGION)]

    # -- evidence ----------------------------------------------------------------------
    @staticmethod
    def narrow(cands: list[Place], keep) -> list[Place]:
        kept = [p for p in cands if keep(p)]
        return kept or cands

    def decide(
        self,
        cands: list[Place],
        *,
        dateline: Place | None,
        context: Sequence[Place],
        agency_country: str | None,
        city_first: bool,
        name: str,
    ) -> Resolution:
        if len(cands) == 1:
            return Resolution(cands[0], "unique")
        has_area = any(p.feature != CITY for p in cands)
        if dateline is not None:
            if dateline.feature == CITY and dateline.admin1:
                same_region = [
                    p for p in cands
                    if p.country_code == dateline.country_code
                    and (p.admin1 == dateline.admin1 or p.city_admin1 == dateline.admin1)
                ]
                # A bare "Mexico" under MEXICO CITY is the country, not the capital's
                # alternate name: a same-region city does not outweigh an area of the name.
                if has_area and not any(p.feature != CITY for p in same_region):
                    same_region = []
                if len(same_region) == 1:
                    return Resolution(same_region[0], "dateline_region")
                if same_region:
                    cands = same_region
            in_country = [p for p in cands if p.country_code == dateline.country_code]
            # A bare "Lebanon" under a US dateline is the country, not a small US town:
            # the dateline's country alone does not outweigh a country or region candidate.
            trust = not has_area or any(p.feature != CITY for p in in_country)
            if trust and len(in_country) == 1:
                return Resolution(in_country[0], "dateline_country")
            if trust and in_country:
                cands = in_country
        if context:
            votes: Counter[str] = Counter()
            for p in cands:
                for area in context:
                    if area.place_id == p.place_id:
                        continue
                    if p.country_code == area.country_code:
                        votes[p.place_id] += 1
                        if area.admin1 and (
                            p.admin1 == area.admin1 or p.admin1 == area.city_admin1
                            or p.city_admin1 == area.admin1
                        ):
                            votes[p.place_id] += 2
            if votes:
                best = max(votes.values())
                top = [p for p in cands if votes[p.place_id] == best]
                if len(top) == 1:
                    return Resolution(top[0], "co_mentions")
                cands = top
        if agency_country:
            home = [p for p in cands if p.country_code == agency_country]
            if len(home) == 1 and not (has_area and home[0].feature == CITY):
                return Resolution(home[0], "agency_country")
            if len(home) == 1 and not any(p.feature != CITY for p in cands):
                return Resolution(home[0], "agency_country")
        order = (CITY, COUNTRY, REGION) if city_first else (COUNTRY, REGION, CITY)
        cities = {
            p.country_code for p in cands
            if p.feature == CITY and p.population >= 50_000 and p.country_code != "US"
        }
        if not city_first and any(p.feature == REGION and p.country_code in cities for p in cands):
            # "Tokyo", "Beijing", "Hamburg", "Salzburg": a region named after its city means
            # the city when the name alone is said (not a small town named after its state,
            # and never a US state: "Oregon" is the state, not Oregon, Ohio).
            order = (COUNTRY, CITY, REGION)
        for feature in order:
            of_kind = [p for p in cands if p.feature == feature]
            if len(of_kind) == 1:
                return Resolution(of_kind[0], "feature")
            if of_kind:
                if agency_country:
                    home = [p for p in of_kind if p.country_code == agency_country]
                    if len(home) == 1:
                        return Resolution(home[0], "agency_country")
                best = max(of_kind, key=lambda p: (match_quality(name, p), p.population))
                return Resolution(best, "population")
        return _null("none", "not_in_gazetteer")

    # -- dateline ----------------------------------------------------------------------
    def dateline(
        self, text: str | None, agency_country: str | None, country: str | None = None
    ) -> Resolution:
        if not text or not text.strip():
            return _null("none", "no_dateline")
        aliased = self.alias(text)
        if aliased is not None:
            return aliased
        head, qualifier = _split_qualifier(text)
        folded = fold(head)
        for prefix in _DATELINE_PREFIXES:
            if folded.startswith(prefix):
                aliased = self.alias(folded[len(prefix):])
                return aliased or _null("none", "not_a_place")
        aliased = self.alias(head)
        if aliased is not None and qualifier is None:
            return aliased
        cands, _ = self.candidates(head)
        if qualifier or (country and country in self.gz.countries):
            # The reader's country for the dateline (from its state or country) counts as a
            # qualifier when the printed one is not at hand.
            areas = self.areas(qualifier) if qualifier else [self.gz.countries[country]]
            inside = [p for p in cands if any(_inside(p, a) for a in areas)]
            if not inside:
                reason = "not_in_gazetteer" if areas else "unknown_qualifier"
                return _null("qualifier", reason)
            cities = [p for p in inside if p.feature == CITY]
            inside = cities or inside
            if len(inside) == 1:
                return Resolution(inside[0], "qualifier")
            best = max(inside, key=lambda p: (match_quality(head, p), p.population))
            return Resolution(best, "qualifier")
        if not cands:
            return _null("none", "not_in_gazetteer")
        cities = [p for p in cands if p.feature == CITY]
        if len(cities) == 1:
            return Resolution(cities[0], "unique")
        if not cities:
            return self.decide(
                cands, dateline=None, context=(), agency_country=None, city_first=False, name=head
            )
        # An unqualified dateline is the city the agency's readers know without a state:
        # the one spelled so (SAN JOSÉ, NEW DELHI: the name itself, not an alternate), then
        # the largest (AP's PARIS is France), unless the agency files from a home-country city
        # of the name at least a twentieth of its size (EFE's GUADALAJARA is Spain's).
        best_quality = max(match_quality(head, p) for p in cities)
        cities = [p for p in cities if match_quality(head, p) == best_quality]
        best = max(cities, key=lambda p: p.population)
        home = [p for p in cities if p.country_code == agency_country]
        if home and best.country_code != agency_country:
            local = max(home, key=lambda p: p.population)
            if local.population * 20 >= best.population:
                return Resolution(local, "agency_country")
        return Resolution(best, "population")

    # -- mentions ----------------------------------------------------------------------
    def demonym(self, text: str) -> Resolution:
        key = fold(text)
        entry = self.gz.demonyms.get(key)
        if entry is None and key.endswith("s"):
            entry = self.gz.demonyms.get(key[:-1])
        if entry is None:
            return _null("demonym", "unknown_demonym")
        code, reason = entry
        if code is None:
            return _null("demonym", reason or "ambiguous_demonym")
        return Resolution(self.gz.countries[code], "demonym")


def match_quality(name: str, place: Place) -> int:
    """2: the place's own name as written; 1: the same but for case and accents; 0: an alternate."""
    if name.casefold() == place.name.casefold():
        return 2
    return 1 if fold(name) == fold(place.name) else 0


def _part_of_name(body: str, span: MentionSpan, name_spans: Iterable[tuple[int, int]]) -> bool:
    """Whether the mention sits inside a longer name rather than naming a place."""
    for start, end in name_spans:
        if start < span.end and span.start < end and (start, end) != (span.start, span.end):
            return True
    if not body:
        return False
    after = body[span.end:span.end + 40]
    before = body[max(0, span.start - 40):span.start]
    next_word = _WORD.match(after[1:]) if after.startswith(" ") else None
    if after.startswith("-") and after[1:2].isupper():
        return True  # "Pretoria-Mokoena": a hyphenated surname
    if next_word and not span.text.endswith("."):
        word = next_word.group(0)
        if word.lower() in _NAME_TAILS:
            return True
        capitalised = word[:1].isupper() and word.lower().strip(".") not in _NOT_NAME_WORDS
        if capitalised and not after.startswith(" ("):
            return True  # "Florence Nightingale", "Israel Ortiz"
    words = before.rstrip().split(" ")
    if before.endswith(" ") and words:
        prev = words[-1]
        prev_clean = prev.strip(".,").lower()
        if prev_clean in _TITLES:
            return True
        if prev[:1].isupper() and not prev.endswith((".", ",", ";", ":")) and len(words) >= 2:
            before_prev = words[-2]
            sentence_start = (
                before_prev.endswith((".", "!", "?", '"'))
                and before_prev.strip(".").lower() not in _TITLES
            ) or not before_prev
            if not sentence_start and prev_clean not in ("the", "in", "of", "and", "from", "to", "at"):
                return True  # "Jim Jordan", "Brian Henderson"
        if prev_clean in ("of", "de", "du", "des") and len(words) >= 2:
            owner = words[-2]
            owner_starts = len(words) < 3 or words[-3].endswith((".", "!", "?")) or not words[-3]
            generic = ("city", "province", "state", "republic", "kingdom", "gulf", "port")
            if owner[:1].isupper() and not owner_starts and owner.lower() not in generic:
                return True  # "Bank of England", "Olympique de Marseille"
    return False


def resolve_dispatch(
    gazetteer: Gazetteer,
    *,
    dateline: str | None,
    agency: str | None,
    body: str,
    mentions: Sequence[MentionSpan],
    name_spans: Iterable[tuple[int, int]] = (),
    dateline_country: str | None = None,
) -> DispatchPlaces:
    """Resolve the dateline, then every GPE/LOC/NORP mention (others get no place).

    `dateline` is the dateline's place as printed, with its qualifier if any ("PORTLAND,
    Ore."); `dateline_country`, the country the reader found for it, narrows an unqualified
    one. `name_spans` are the (start, end) of the tagger's ORG/PERSON/... spans in `body`:
    a place mention overlapping one is part of that name.
    """
    resolver = _Resolver(gazetteer)
    agency_country = gazetteer.agency_countries.get(agency or "")
    dateline_res = resolver.dateline(dateline, agency_country, dateline_country or None)
    dateline_place = dateline_res.place
    name_spans = tuple(name_spans)
    dateline_head = fold(_split_qualifier(dateline or "")[0])

    first: list[Resolution | None] = []
    pending: list[tuple[int, list[Place], str | None]] = []
    context: list[Place] = [dateline_place] if dateline_place else []
    for index, span in enumerate(mentions):
        if span.label == DEMONYM_LABEL:
            res = resolver.demonym(span.text)
        elif span.label not in PLACE_LABELS:
            res = _null("none", "not_a_place_label")
        elif _part_of_name(body, span, name_spans):
            res = _null("part_of_name", "part_of_name")
        else:
            res = None
            head, qualifier = _split_qualifier(span.text)
            aliased = resolver.alias(span.text)
            if aliased is not None and aliased.place is None:
                res = aliased
            elif qualifier:
                res = resolver.dateline(span.text, agency_country)
            else:
                cands, wanted = resolver.candidates(span.text)
                if aliased is not None:
                    # "Holland" is the Netherlands unless the dateline says Holland, Mich.
                    cands = [aliased.place, *(p for p in cands if p != aliased.place)]
                if not cands:
                    res = _null("none", "not_in_gazetteer")
                elif len(cands) == 1:
                    res = Resolution(cands[0], "alias" if aliased is not None else "unique")
                elif dateline_place is not None and fold(head) == dateline_head and dateline_place in cands:
                    res = Resolution(dateline_place, "same_as_dateline")
                else:
                    pending.append((index, cands, wanted))
        if res is not None and res.place is not None:
            context.append(res.place)
        first.append(res)

    resolved_by_name: dict[str, Place] = {}
    for span, res in zip(mentions, first, strict=True):
        if res is not None and res.place is not None:
            resolved_by_name.setdefault(fold(span.text), res.place)
    for index, cands, wanted in pending:
        span = mentions[index]
        earlier = resolved_by_name.get(fold(span.text))
        if earlier is not None and earlier in cands:
            first[index] = Resolution(earlier, "same_as_dateline")
            continue
        if wanted:
            cands = [p for p in cands if p.feature == wanted] or cands
        res = resolver.decide(
            cands,
            dateline=dateline_place,
            context=[p for p in context if p not in cands],
            agency_country=agency_country,
            city_first=fold(span.text) in _CITY_FIRST,
            name=span.text,
        )
        first[index] = res
        if res.place is not None:
            resolved_by_name.setdefault(fold(span.text), res.place)
    return DispatchPlaces(dateline_res, tuple(r for r in first if r is not None))
