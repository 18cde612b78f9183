"""A synthetic news-wire archive for benchmarks, generated here (no external text).

Dispatches read like wire copy: each agency's dateline and trailer style (Kyodo, Reuters, AP,
AFP, Xinhua, Yonhap, Jiji with its headline last, dpa, AAP, ANSA), English sentences about
politics, economy, defence, disasters, sport and technology naming invented people,
organisations and real places, with numbers, quotes, 150-600 words, dated over three years.

They are packed as a real archive would be: a tar.gz per year for the older years, a zip, and
the most recent months as loose files in monthly folders. Files and members carry their
publication time as mtime, which is what year-less datelines are resolved against.

    build_corpus(Path("benchmarks/.corpus/docs-20000"), docs=20000)
"""

from __future__ import annotations

import io
import os
import random
import tarfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

GENERATOR_VERSION = 1
FIRST_DAY = date(2023, 1, 1)
DAYS = 3 * 365
COMPLETE_MARKER = ".complete"

FIRST_NAMES = [
    "Aiko", "Kenta", "Hiroshi", "Yui", "Min-seo", "Dong-hyun", "Wei", "Lihua", "Margaret",
    "Daniel", "Sarah", "Robert", "Emily", "Lucia", "Hugo", "Claire", "Etienne", "Katrin",
    "Jonas", "Paolo", "Giulia", "Olusegun", "Amara", "Priya", "Rahul", "Sofia", "Mateo",
    "Ingrid", "Lars", "Fatima", "Omar", "Chen", "Ana", "Tomasz", "Elena", "Javier", "Noor",
    "Kwame", "Mei", "Diego", "Anneliese", "Rafael", "Yasmin", "Thabo", "Camille", "Viktor",
]
LAST_NAMES = [
    "Morimoto", "Ishiyama", "Halvorsen", "Caldwell", "Ferrante", "Whitfield", "Marchal",
    "Dumoulin", "Vollmer", "Weidner", "Neri", "Hanamura", "Park", "Choi", "Zhao", "Ellison",
    "Oyelaran", "Brandt", "Mercier", "Novakova", "Okafor", "Raman", "Castillo", "Lindqvist",
    "Haddad", "Kowalski", "Petrova", "Moreno", "Mensah", "Tanaka", "Sato", "Kim", "Lin",
    "Delgado", "Van der Berg", "Nkosi", "Rousseau", "Sokolov", "Bianchi", "Ahmed", "Nakamura",
    "Fischer", "Alvarez", "Osei", "Larsen", "Kaur", "Reyes", "Dubois", "Yamada", "Santos",
]
TITLES = [
    "Prime Minister", "President", "Foreign Minister", "Defense Minister", "Finance Minister",
    "Economy Minister", "Trade Minister", "Health Minister", "central bank Governor",
    "Chief Executive", "opposition leader", "Mayor", "Senator", "Chief Cabinet Secretary",
]
ORGANISATIONS = [
    "the Foreign Ministry", "the Defense Ministry", "the Finance Ministry", "the central bank",
    "the European Commission", "the United Nations", "the World Health Organization",
    "the International Monetary Fund", "NATO", "the World Bank", "Toyota Motor Corp.",
    "Samsung Electronics", "Siemens", "Nordlicht Energy", "Pacific Rim Shipping",
    "Harbor Bank", "the Red Cross", "the Ministry of Economy", "the Bank of Japan",
    "the European Central Bank", "the Federal Reserve", "Meridian Airlines", "Atlas Mining",
    "the Chamber of Commerce", "the national weather agency", "the Olympic committee",
    "the transport workers' union", "Kestrel Semiconductor", "Greenfield Foods",
]
COUNTRIES = [
    "Japan", "South Korea", "China", "the United States", "Germany", "France", "Italy",
    "Australia", "India", "Brazil", "Canada", "Mexico", "Indonesia", "Nigeria", "Kenya",
    "Poland", "Norway", "Sweden", "Spain", "Egypt", "Turkey", "Vietnam", "the Philippines",
]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
AP_MONTHS = ["Jan.", "Feb.", "March", "April", "May", "June", "July", "Aug.", "Sept.", "Oct.",
             "Nov.", "Dec."]
SHORT_MONTHS = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct",
                "Nov", "Dec"]


@dataclass(frozen=True)
class Agency:
    credit: str
    places: tuple[str, ...]
    style: str


AGENCIES = [
    Agency("Kyodo", ("TOKYO", "OSAKA", "SEOUL", "BEIJING", "WASHINGTON", "NAGOYA"), "kyodo"),
    Agency("Reuters", ("LONDON", "FRANKFURT", "NEW YORK", "SINGAPORE", "PARIS", "BRUSSELS"),
           "reuters"),
    Agency("AP", ("WASHINGTON", "NEW YORK", "CHICAGO", "LOS ANGELES", "BUFFALO, N.Y.", "MIAMI"),
           "ap"),
    Agency("AFP", ("PARIS", "GENEVA", "NAIROBI", "CAIRO", "BRUSSELS", "MADRID"), "afp"),
    Agency("Xinhua", ("BEIJING", "SHANGHAI", "GUANGZHOU", "HONG KONG"), "xinhua"),
    Agency("Yonhap", ("SEOUL", "BUSAN", "INCHEON"), "yonhap"),
    Agency("Jiji Press", ("Tokyo", "Osaka", "Washington", "Fukuoka"), "jiji"),
    Agency("dpa", ("Berlin", "Hamburg", "Munich", "Frankfurt"), "dpa"),
    Agency("AAP", ("SYDNEY", "MELBOURNE", "CANBERRA", "BRISBANE"), "aap"),
    Agency("ANSA", ("ROME, Italy", "MILAN, Italy", "NAPLES, Italy", "GROSSETO, Italy"), "ansa"),
]

HEADLINE_TEMPLATES = [
    "{last} pledges {topic} reform as pressure mounts",
    "{org_cap} warns of slower growth in {country}",
    "{last}, {last2} agree to deepen {topic} cooperation",
    "{country_cap} to boost {topic} spending by {pct} percent",
    "Floods force thousands from homes in {city}",
    "{org_cap} posts record {topic} results",
    "{last} wins {city} title in straight sets",
    "Talks on {topic} stall as {last} digs in",
]
TOPICS = ["defense", "trade", "energy", "tax", "pension", "climate", "chip", "farm", "housing",
          "health", "transport", "security", "tariff", "budget"]
SENTENCES = [
    "{title} {person} said on {weekday} that {org} would raise {topic} spending by {pct} percent "
    "next year, the largest increase in more than {n} years.",
    "{person} told reporters in {city} that the two sides had agreed to meet again before the "
    "end of {month}.",
    "\"We will not stand by while {country} loses ground,\" {person} said at a news conference.",
    "{org_cap} said {n} people had been evacuated from their homes after heavy rain flooded "
    "parts of {city} on {weekday}.",
    "The announcement came after {org} reported that exports rose {pct} percent in {month} from "
    "a year earlier, beating forecasts.",
    "{person}, who took office in {year}, has promised to cut red tape for small businesses and "
    "to attract investment from {country}.",
    "Shares of {company} fell {pct} percent in early trading in {city}, while the benchmark index "
    "edged up {small} percent.",
    "Officials in {city} said the new line would carry about {thousands} passengers a day when it "
    "opens in {year}.",
    "\"This is a decisive moment for our {topic} policy,\" said {title} {person}.",
    "{person} is scheduled to visit {city} next week for talks with {title2} {person2}.",
    "The {topic} package, worth {bn} billion dollars, still needs the approval of parliament, "
    "where the governing coalition lacks a majority.",
    "Critics, including {title2} {person2}, said the plan did too little for households hit by "
    "higher prices.",
    "According to {org}, unemployment stood at {small} percent in {month}, unchanged from the "
    "previous month.",
    "{person2} scored twice in the second half as {city} beat the visitors {score} in front of "
    "{thousands} fans.",
    "Rescue teams from {org} used boats to reach isolated farms, and schools across the province "
    "remained closed on {weekday}.",
    "{company} said it would build a new plant near {city} and hire {n} hundred workers by "
    "{year}.",
    "The {title2} said {country} and {country2} should \"look to the future together\" while "
    "dealing honestly with the past.",
    "Analysts at {company} expect {org} to keep interest rates on hold until at least {month}.",
    "Police said {n} people were injured when a bus overturned on a highway outside {city} late "
    "on {weekday}.",
    "{person} declined to comment on reports that {company} was in talks to buy a stake in a "
    "rival from {country}.",
]


def _person(rng: random.Random) -> str:
    return f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"


def _slots(rng: random.Random, day: date, city: str) -> dict[str, str]:
    person, person2 = _person(rng), _person(rng)
    org = rng.choice(ORGANISATIONS)
    country, country2 = rng.sample(COUNTRIES, 2)
    return {
        "person": person,
        "person2": person2,
        "last": person.split()[-1],
        "last2": person2.split()[-1],
        "title": rng.choice(TITLES),
        "title2": rng.choice(TITLES),
        "org": org,
        "org_cap": org[0].upper() + org[1:],
        "company": rng.choice([o for o in ORGANISATIONS if not o.startswith("the ")]),
        "country": country,
        "country2": country2,
        "country_cap": country[0].upper() + country[1:],
        "city": city.split(",")[0].title(),
        "topic": rng.choice(TOPICS),
        "weekday": WEEKDAYS[day.weekday()],
        "month": day.strftime("%B"),
        "year": str(day.year + rng.choice([-3, -1, 1, 2])),
        "pct": f"{rng.randint(1, 25)}.{rng.randint(0, 9)}",
        "small": f"{rng.randint(0, 9)}.{rng.randint(0, 9)}",
        "n": str(rng.randint(2, 90)),
        "bn": str(rng.randint(2, 400)),
        "thousands": f"{rng.randint(2, 95)},{rng.randint(0, 999):03d}",
        "score": f"{rng.randint(1, 5)}-{rng.randint(0, 3)}",
    }


def _body_paragraphs(rng: random.Random, day: date, city: str, words: int) -> list[str]:
    slots = _slots(rng, day, city)
    paragraphs: list[str] = []
    count = 0
    while count < words:
        if rng.random() < 0.25:
            slots = _slots(rng, day, city)
        sentences = [rng.choice(SENTENCES).format(**slots) for _ in range(rng.choice((1, 1, 2)))]
        paragraph = " ".join(sentences)
        paragraphs.append(paragraph)
        count += len(paragraph.split())
    return paragraphs


def _dateline(agency: Agency, place: str, day: date) -> str:
    month = AP_MONTHS[day.month - 1]
    short = SHORT_MONTHS[day.month - 1]
    credit = f"({agency.credit})"
    match agency.style:
        case "kyodo" | "xinhua" | "yonhap":
            return f"{place}, {month} {day.day} {credit} --"
        case "reuters" | "aap":
            return f"{place}, {short} {day.day} {credit} -"
        case "afp":
            return f"{place}, {short} {day.day}, {day.year} {credit} -"
        case "ansa":
            return f"{place}, {month} {day.day} {credit} -"
        case "jiji":
            return f"{place}, {month} {day.day} {credit}–"
        case _:  # AP and dpa send no date; the filing time gives it.
            return f"{place} {credit} —" if agency.style == "ap" else f"{place} {credit} -"


def _trailer(agency: Agency, rng: random.Random, day: date) -> str:
    reporter = _person(rng)
    match agency.style:
        case "kyodo":
            return "==Kyodo"
        case "reuters":
            return f"(Reporting by {reporter}; Editing by {_person(rng)})"
        case "ap":
            return f"Copyright {day.year} The Associated Press. All rights reserved."
        case "afp":
            return "/".join("".join(rng.sample("abcdefghjkmnprst", 2)) for _ in range(3))
        case "xinhua":
            return "Enditem"
        case "yonhap":
            return f"{reporter.split()[0].lower()}@yna.co.kr\n(END)"
        case "aap":
            return "AAP"
        case _:
            return ""


def dispatch_text(rng: random.Random, agency: Agency, day: date) -> str:
    """One dispatch of `agency` dated `day`, in that agency's layout."""
    place = rng.choice(agency.places)
    slots = _slots(rng, day, place)
    headline = rng.choice(HEADLINE_TEMPLATES).format(**slots)
    words = int(rng.triangular(150, 600, 320))
    paragraphs = _body_paragraphs(rng, day, place, words)
    dateline = _dateline(agency, place, day)
    if agency.style == "jiji":
        body = " ".join(paragraphs)
        return f"{dateline}{body} END [Copyright The Jiji Press, Ltd.]\n{headline}\n"
    header = [headline]
    if agency.style in ("reuters", "ap", "yonhap") and rng.random() < 0.6:
        header.append(f"By {_person(rng)}" + (", Reuters" if agency.style == "reuters" else ""))
    first = f"{dateline} {paragraphs[0]}"
    separator = "\n" if agency.style == "dpa" else "\n\n"
    text = "\n".join(header) + "\n\n" + separator.join([first, *paragraphs[1:]])
    trailer = _trailer(agency, rng, day)
    return text + ("\n\n" + trailer if trailer else "") + "\n"


@dataclass(frozen=True)
class CorpusItem:
    name: str
    published: datetime
    text: str


def corpus_items(docs: int, seed: int = 20260101) -> list[CorpusItem]:
    """`docs` dispatches in publication order, spread evenly over three years."""
    rng = random.Random(seed)
    items = []
    for number in range(docs):
        day = FIRST_DAY + timedelta(days=number * DAYS // docs)
        agency = rng.choice(AGENCIES)
        published = datetime(day.year, day.month, day.day, rng.randint(0, 23), rng.randint(0, 59),
                             tzinfo=UTC)
        slug = agency.credit.split()[0].lower()
        name = f"{day:%Y-%m}/{slug}-{number:06d}.txt"
        items.append(CorpusItem(name, published, dispatch_text(rng, agency, day)))
    return items


def _write_tar_gz(path: Path, items: list[CorpusItem]) -> None:
    with tarfile.open(path, "w:gz") as archive:
        for item in items:
            data = item.text.encode("utf-8")
            info = tarfile.TarInfo(item.name)
            info.size = len(data)
            info.mtime = int(item.published.timestamp())
            archive.addfile(info, io.BytesIO(data))


def _write_zip(path: Path, items: list[CorpusItem]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for item in items:
            info = zipfile.ZipInfo(item.name, date_time=item.published.timetuple()[:6])
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, item.text.encode("utf-8"))


def _write_loose(folder: Path, items: list[CorpusItem]) -> None:
    for item in items:
        target = folder / item.name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(item.text, encoding="utf-8")
        stamp = item.published.timestamp()
        os.utime(target, (stamp, stamp))


def build_corpus(folder: Path, docs: int) -> Path:
    """Write the corpus under `folder` once; later calls reuse it. Returns the folder."""
    if (folder / COMPLETE_MARKER).exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    items = corpus_items(docs)
    by_year: dict[int, list[CorpusItem]] = {}
    for item in items:
        by_year.setdefault(item.published.year, []).append(item)
    years = sorted(by_year)
    _write_tar_gz(folder / f"wire-{years[0]}.tar.gz", by_year[years[0]])
    _write_zip(folder / f"wire-{years[1]}.zip", by_year[years[1]])
    latest = by_year[years[2]]
    first_half = [i for i in latest if i.published.month <= 6]
    _write_tar_gz(folder / f"wire-{years[2]}-h1.tar.gz", first_half)
    _write_loose(folder / "loose", [i for i in latest if i.published.month > 6])
    (folder / COMPLETE_MARKER).write_text(f"{docs} dispatches, generator {GENERATOR_VERSION}\n")
    return folder


if __name__ == "__main__":
    import sys

    count = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    sample = corpus_items(count)
    print(sample[0].text)
    print(sample[len(sample) // 2].text)
