# ruff: noqa: E501 - word lists and sentence templates are kept one per line
"""A synthetic Reuters-21578-like SGML archive with a controlled repeat structure (issue 25).

    python synthetic_archive.py OUT_DIR [--docs 21578] [--files 22] [--seed 1987]
    python synthetic_archive.py --measure-only OUT_DIR

Writes OUT_DIR/reut2-000.sgm ... reut2-021.sgm (latin-1 SGML, `<REUTERS>` records with DATE,
TITLE, DATELINE, BODY, laid out as the real collection and as `transforms/readers/sgml.py`
reads it: first body line right after <BODY>, later paragraphs and every table line indented,
prose wrapped at ~70 columns, " Reuter" and &#3; at the end), deterministic from the seed.

Story kinds and their shares of records follow Reuters-21578 (earnings results ~19% with
Shr/Net/Revs/Avg shrs blocks, dividends ~5%, acquisitions, money markets, commodities with price
tables, trade and economy, corporate news, a few title-only briefs), with recurring companies,
executives, officials, institutions and places so NER has names to find.

Repeats are made on purpose by four mechanisms (exact re-sends of an earlier body, UPDATE
rewrites reusing most sentences of an earlier story, boilerplate sentences, standard company
paragraphs) on top of those that arise by themselves (figures lines such as "Year" or
"Pay April 15"). A controller steers the on-purpose ones from the running rates of the text
generated so far, towards the targets (1.9% of body tokens in exact repeats, 6.9% in repeated
sentences). The rates printed at the end are *measured* afterwards from the written files alone,
read back with the project's own SGML reader when the repository is importable (else a small
reader here), with `measure()`, which knows nothing of how the text was made.

Definitions (see corpus_design.md): a token is a whitespace-separated word of the body as the
reader returns it; bodies are taken in archive order (file name, then record order);
* exact-repeat share: tokens of bodies whose whitespace-normalised text equals an earlier body;
* repeated-sentence share: tokens of sentences (`split_sentences`) whose whitespace-normalised
  text occurred earlier in the archive (an earlier body or earlier in the same body), counted
  over all bodies (so it includes the exact repeats; the share outside them is printed too);
* figures-line share: tokens on body lines the project's `is_figures_line` rule accepts.
"""

from __future__ import annotations

import argparse
import hashlib
import html
import math
import random
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

# The repository this file lives in: its readers and figures rule measure the archive.
MAIN = Path(__file__).resolve().parent.parent
TARGET_EXACT = 0.019
TARGET_SENTENCE = 0.069

# --- sentences -------------------------------------------------------------------------------

_ABBREVIATIONS = frozenset(
    ["mr", "mrs", "ms", "dr", "st", "inc", "corp", "co", "ltd", "plc", "bros", "jr", "sr", "gov", "sen", "rep", "gen", "col", "lt", "no", "nos", "vs", "jan", "feb", "mar", "apr", "aug", "sep", "sept", "oct", "nov", "dec", "calif", "mass", "conn", "penn", "fla", "ill", "mich", "minn", "wis", "ore", "wash", "tex", "okla", "ariz", "colo", "del", "md", "va", "pa", "ky", "tenn", "ala", "miss", "ga", "la", "mo", "kan", "neb", "iowa", "nev", "u.s", "u.k", "u.n", "e.g", "i.e", "approx", "dept", "est", "fig"]
)
_CANDIDATE_END = re.compile(r"[.!?][\"')\]]*(?=\s+[\"'(\[]?[A-Z0-9])")


def split_sentences(body: str) -> list[tuple[int, int]]:
    """(start, end) character ranges of the sentences of `body`, deterministic and model-free.

    Every line is a unit of its own (in bodies read from SGML a line is a paragraph or a table
    line); within a line a sentence ends at . ! or ? (plus closing quotes or brackets) followed
    by whitespace and an upper-case letter, digit or opening quote, unless the word before is an
    abbreviation ("Inc.", "U.S.", "Jan.") or a single letter (an initial: "J.P. Morgan").
    """
    ranges: list[tuple[int, int]] = []
    position = 0
    for line in body.split("\n"):
        line_start = position
        position += len(line) + 1
        stripped = line.strip()
        if not stripped:
            continue
        offset = line_start + (len(line) - len(line.lstrip()))
        text = stripped
        start = 0
        for match in _CANDIDATE_END.finditer(text):
            end = match.end()
            word = text[:match.start() + 1].rsplit(None, 1)[-1].rstrip(".!?\"')]").lower()
            word = word.lstrip("\"'([")
            if match.group()[0] == "." and (word in _ABBREVIATIONS or len(word) <= 1
                                           or re.fullmatch(r"(?:[a-z]\.)+[a-z]", word)):
                continue
            ranges.append((offset + start, offset + end))
            rest = text[end:]
            start = end + (len(rest) - len(rest.lstrip()))
        if start < len(text):
            ranges.append((offset + start, offset + len(text)))
    return ranges


def normalised(text: str) -> str:
    return " ".join(text.split())


# --- measuring (knows nothing of the generator) -----------------------------------------------


@dataclass
class Rates:
    bodies: int = 0
    tokens: int = 0
    exact_tokens: int = 0
    exact_bodies: int = 0
    sentence_tokens: int = 0          # in repeated sentences, all bodies
    sentence_tokens_fresh: int = 0    # in repeated sentences, bodies not exact repeats
    sentences: int = 0
    repeated_sentences: int = 0
    figures_tokens: int = 0
    figures_lines: int = 0
    lines: int = 0
    bodies_with_block: int = 0        # >= 2 figures lines
    empty_bodies: int = 0
    top_repeats: Counter = field(default_factory=Counter)

    def report(self) -> str:
        t = max(self.tokens, 1)
        fresh = max(self.tokens - self.exact_tokens, 1)
        lines = [
            f"bodies {self.bodies} ({self.empty_bodies} empty), body tokens (whitespace words) "
            f"{self.tokens:,}, mean {self.tokens / max(self.bodies, 1):.0f} per body",
            f"exact-repeat token share:      {self.exact_tokens / t:.2%} "
            f"({self.exact_bodies} bodies identical to an earlier one; target {TARGET_EXACT:.1%})",
            f"repeated-sentence token share: {self.sentence_tokens / t:.2%} of all tokens "
            f"(target {TARGET_SENTENCE:.1%}); outside exact repeats "
            f"{(self.sentence_tokens - self.exact_tokens) / t:.2%} of all tokens, "
            f"{self.sentence_tokens_fresh / fresh:.2%} of non-repeat bodies' tokens",
            f"    sentences {self.sentences:,}, of which repeats {self.repeated_sentences:,} "
            f"({self.repeated_sentences / max(self.sentences, 1):.1%})",
            f"figures-line token share:      {self.figures_tokens / t:.2%} "
            f"({self.figures_lines:,} of {self.lines:,} body lines; {self.bodies_with_block} "
            f"bodies = {self.bodies_with_block / max(self.bodies, 1):.1%} hold a block of >= 2)",
        ]
        return "\n".join(lines)


def figures_rule():
    """The project's figures-line rule (transforms.entities.not_names), else a rough stand-in."""
    try:
        sys.path.insert(0, str(MAIN))
        from transforms.entities.not_names import is_figures_line, not_names, read_not_name_rows

        lists = not_names(read_not_name_rows(MAIN / "seeds" / "not_names.csv"))
        return lambda line: is_figures_line(line, lists)
    except ImportError:
        figure = re.compile(r"\S*\d\S*")
        return lambda line: (len(line.split()) >= 2 and
                             len(figure.findall(line)) >= max(2, 0.5 * len(line.split())))


def measure(bodies, top: int = 0) -> Rates:
    """Rates of an iterable of bodies in archive order."""
    is_figures = figures_rule()
    rates = Rates()
    seen_bodies: set[bytes] = set()
    seen_sentences: set[bytes] = set()
    for body in bodies:
        rates.bodies += 1
        words = len(body.split())
        rates.tokens += words
        if not words:
            rates.empty_bodies += 1
            continue
        key = hashlib.blake2b(normalised(body).encode(), digest_size=16).digest()
        exact = key in seen_bodies
        seen_bodies.add(key)
        if exact:
            rates.exact_tokens += words
            rates.exact_bodies += 1
        for start, end in split_sentences(body):
            sentence = normalised(body[start:end])
            n = len(sentence.split())
            rates.sentences += 1
            skey = hashlib.blake2b(sentence.encode(), digest_size=16).digest()
            if skey in seen_sentences:
                rates.repeated_sentences += 1
                rates.sentence_tokens += n
                if not exact:
                    rates.sentence_tokens_fresh += n
                    if top:
                        rates.top_repeats[sentence] += 1
            else:
                seen_sentences.add(skey)
        block = 0
        for line in body.split("\n"):
            if not line.strip():
                continue
            rates.lines += 1
            if is_figures(line):
                rates.figures_lines += 1
                rates.figures_tokens += len(line.split())
                block += 1
        rates.bodies_with_block += block >= 2
    return rates


def read_bodies(folder: Path, reader: str = "project") -> list[str]:
    """Bodies of every dated record under `folder`, in archive order."""
    files = sorted(folder.glob("*.sgm"))
    if reader == "project":
        try:
            sys.path.insert(0, str(MAIN))
            from seeds import default_seeds_dir
            from transforms.readers import read_path
            from transforms.records import ParsedDispatch
            from transforms.reference import load_reference
        except ImportError:
            reader = "own"
        else:
            reference = load_reference(default_seeds_dir())
            return [item.body for path in files
                    for item in read_path(path.resolve(), reference=reference)
                    if isinstance(item, ParsedDispatch) and item.published_at is not None]
    bodies = []
    for path in files:
        text = path.read_bytes().decode("latin-1")
        for record in re.findall(r"<REUTERS\b.*?</REUTERS>", text, re.DOTALL):
            match = re.search(r"<BODY>(.*?)</BODY>", record, re.DOTALL)
            raw = html.unescape(match[1]) if match else ""
            raw = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", raw)
            raw = re.sub(r"\s*\bReuter\s*$", "", raw)
            paragraphs = re.split(r"\n(?=[ \t]{3,}\S)", raw.strip("\n"))
            bodies.append("\n\n".join(p for p in (" ".join(x.split()) for x in paragraphs) if p))
    return bodies


# --- vocabulary --------------------------------------------------------------------------------

FIRST = ["James", "John", "Robert", "Michael", "William", "David", "Richard", "Charles", "Joseph", "Thomas", "Christopher", "Daniel", "Paul", "Mark", "Donald", "George", "Kenneth", "Steven", "Edward", "Brian", "Ronald", "Anthony", "Kevin", "Jason", "Gary", "Timothy", "Jose", "Larry", "Jeffrey", "Frank", "Scott", "Eric", "Stephen", "Andrew", "Raymond", "Gregory", "Joshua", "Jerry", "Dennis", "Walter", "Patrick", "Peter", "Harold", "Douglas", "Henry", "Carl", "Arthur", "Ryan", "Roger", "Mary", "Patricia", "Linda", "Barbara", "Elizabeth", "Jennifer", "Maria", "Susan", "Margaret", "Dorothy", "Lisa", "Nancy", "Karen", "Betty", "Helen", "Sandra", "Donna", "Carol", "Ruth", "Sharon", "Michelle", "Laura", "Sarah", "Kimberly", "Deborah", "Jessica", "Shirley", "Cynthia", "Angela", "Melissa", "Brenda", "Amy", "Anna", "Rebecca", "Virginia", "Kathleen", "Pamela", "Martha", "Debra", "Amanda", "Stephanie", "Carolyn", "Christine", "Marie", "Janet", "Catherine", "Hans", "Klaus", "Gerhard", "Wolfgang", "Helmut", "Karl", "Otto", "Jacques", "Pierre", "Jean", "Michel", "Alain", "Francois", "Giovanni", "Carlo", "Giuseppe", "Luigi", "Takashi", "Hiroshi", "Kenji", "Yasuhiro", "Satoshi", "Akio", "Shigeru", "Nigel", "Geoffrey", "Ian", "Colin", "Alastair", "Rupert", "Juan", "Carlos", "Miguel", "Luis", "Rafael", "Sheikh", "Ali", "Ahmed", "Hisham", "Subroto", "Rilwanu", "Alan", "Paul", "Lars", "Sven", "Nils", "Bjorn", "Willem", "Pieter", "Dirk", "Hugo", "Brian", "Malcolm", "Keith", "Graham", "Neil", "Derek"]
LAST = ["Smith", "Johnson", "Williams", "Brown", "Jones", "Miller", "Davis", "Wilson", "Anderson", "Taylor", "Thomas", "Moore", "Martin", "Jackson", "Thompson", "White", "Harris", "Clark", "Lewis", "Robinson", "Walker", "Young", "Allen", "King", "Wright", "Scott", "Green", "Baker", "Adams", "Nelson", "Hill", "Campbell", "Mitchell", "Roberts", "Carter", "Phillips", "Evans", "Turner", "Torres", "Parker", "Collins", "Edwards", "Stewart", "Morris", "Murphy", "Cook", "Rogers", "Morgan", "Peterson", "Cooper", "Reed", "Bailey", "Bell", "Kelly", "Howard", "Ward", "Cox", "Richardson", "Wood", "Watson", "Brooks", "Bennett", "Gray", "James", "Hughes", "Price", "Sanders", "Myers", "Long", "Ross", "Foster", "Powell", "Jenkins", "Perry", "Russell", "Sullivan", "Fisher", "Henderson", "Coleman", "Simmons", "Patterson", "Jordan", "Reynolds", "Hamilton", "Graham", "Wallace", "Woods", "Cole", "West", "Owens", "Marshall", "Ellis", "Stevens", "Murray", "Ford", "Wells", "Schmidt", "Schneider", "Mueller", "Weber", "Becker", "Hoffmann", "Schulz", "Koch", "Richter", "Klein", "Wolf", "Schroeder", "Neumann", "Dupont", "Moreau", "Lefebvre", "Bernard", "Durand", "Laurent", "Rossi", "Russo", "Ferrari", "Esposito", "Romano", "Colombo", "Tanaka", "Suzuki", "Takahashi", "Watanabe", "Ito", "Yamamoto", "Nakamura", "Kobayashi", "Kato", "Yoshida", "Yamada", "Sasaki", "Matsumoto", "Inoue", "Kimura", "Shimizu", "Hayashi", "Saito", "Okada", "Fujita", "Ogawa", "Goto", "Hasegawa", "Murakami", "Fernandez", "Gonzalez", "Rodriguez", "Lopez", "Martinez", "Sanchez", "Perez", "Gomez", "Diaz", "Alvarez", "Romero", "Ruiz", "Lindqvist", "Andersson", "Nilsson", "Larsson", "Jansen", "Visser", "Bakker", "Dekker", "Kowalski", "Novak", "Horvath", "Papadopoulos", "Yamani", "Nazer", "Lukman", "Notosusanto", "Qureshi", "Rahman", "Hussein", "Khalil", "Haddad", "Mansour", "Volcker", "Stoltenberg", "Lawson", "Poehl", "Balladur", "Miyazawa", "Sumita", "Yeutter", "Lyng", "Darman", "Mulford", "Heller", "Corrigan", "Greenspan", "Angell", "Kaufman", "Wojnilower", "Sinai", "Jordan", "Berry", "Hale", "Kerr", "Dwyer", "Boone", "Crane", "Flynn", "Doyle", "Healy", "Keane", "Brennan"]
ROOTS = ["Allegheny", "Pacific", "Continental", "Atlantic", "Brunswick", "Consolidated", "American", "National", "General", "United", "Standard", "Federal", "Western", "Southern", "Northern", "Eastern", "Central", "Midland", "Union", "First", "Security", "Citizens", "Commonwealth", "Dominion", "Empire", "Frontier", "Gulf", "Harbor", "Heritage", "Imperial", "Keystone", "Liberty", "Lincoln", "Madison", "Mercury", "Meridian", "Monarch", "Northwest", "Olympic", "Paramount", "Patriot", "Pioneer", "Premier", "Republic", "Sterling", "Summit", "Texas", "Ohio", "Carolina", "Florida", "Michigan", "Jersey", "Hudson", "Potomac", "Delta", "Apex", "Crown", "Diamond", "Eagle", "Falcon", "Granite", "Horizon", "Interstate", "Jefferson", "Kingston", "Lakeland", "Marathon", "Newport", "Oakwood", "Piedmont", "Quaker", "Ridgewood", "Sherwood", "Tidewater", "Valley", "Vanguard", "Walden", "Windsor", "Zenith", "Alcan", "Amerada", "Beckman", "Bendix", "Carlisle", "Chesapeake", "Crawford", "Dexter", "Emhart", "Fairchild", "Foster", "Gerber", "Halsey", "Hartmarx", "Hercules", "Ingersoll", "Kellwood", "Lubrizol", "Mapco", "Morrison", "Nashua", "Norton", "Owens", "Parker", "Pittston", "Raymond", "Rexnord", "Rollins", "Scovill", "Stanhope", "Teledyne", "Thiokol", "Tyler", "Wheeling", "Whitman", "Avondale", "Bancroft", "Cabot", "Danaher", "Ennis", "Ferro", "Galveston", "Hillenbrand", "Intermark", "Jostens", "Kaman", "Lancaster", "Manor", "Noble", "Orion", "Pennwalt", "Quanex", "Redman", "Savin", "Talley", "Unitrode", "Vulcan", "Wyman", "Zurn", "Anacomp", "Barton", "Chemfix", "Datapoint", "Elgin", "Flightsafety", "Genrad", "Hadson", "Imatron", "Kollmorgen", "Loral", "Moog", "Nortek", "Oneok", "Pentron", "Ranco", "Sealectro", "Tosco", "Uslico", "Valspar", "Wetterau", "Xylogics"]
INDUSTRIES = ["Gas", "Electric", "Industries", "Financial", "Resources", "Petroleum", "Bancorp", "Savings", "Technologies", "Mining", "Foods", "Steel", "Chemical", "Communications", "Energy", "Airlines", "Motors", "Holdings", "Systems", "Instruments", "Realty", "Insurance", "Properties", "Pharmaceuticals", "Minerals", "Oil", "Paper", "Products", "Stores", "Trust", "Capital", "Data", "Computer", "Medical", "Utilities", "Shipping", "Textiles", "Brands", "Laboratories", "Bankshares", "Cable", "Semiconductor", "Telephone", "Pipeline", "Exploration", "Manufacturing"]
SUFFIXES = ["Inc", "Inc", "Inc", "Corp", "Corp", "Corp", "Co", "Co", "Ltd", "PLC", "Group",
            "Holdings Inc", "Co Inc", "Corp of America", "International Inc"]
PRODUCTS = ["industrial valves", "oilfield equipment", "computer terminals", "frozen foods",
            "specialty chemicals", "steel tubing", "medical devices", "auto parts", "paper products",
            "semiconductors", "household appliances", "aircraft components", "textiles",
            "electronic instruments", "packaging materials", "building products", "pharmaceuticals",
            "natural gas", "crude oil", "telephone equipment", "insurance services", "software"]
INSTITUTIONS = [
    ("the Federal Reserve", "Fed"), ("the Bank of England", "Bank"), ("the Bank of Japan", "Bank"),
    ("the Bundesbank", "Bundesbank"), ("the Bank of France", "Bank"), ("the Treasury", "Treasury"),
    ("the Securities and Exchange Commission", "SEC"), ("the European Community", "EC"),
    ("the Organization of Petroleum Exporting Countries", "OPEC"), ("the World Bank", "Bank"),
    ("the International Monetary Fund", "IMF"), ("the U.S. Agriculture Department", "USDA"),
    ("the Commerce Department", "department"), ("the Labor Department", "department"),
    ("the Ministry of International Trade and Industry", "MITI"), ("the Finance Ministry", "ministry"),
    ("the General Agreement on Tariffs and Trade", "GATT"), ("the Chicago Board of Trade", "CBT"),
    ("the New York Stock Exchange", "exchange"), ("the London Metal Exchange", "LME"),
    ("the International Coffee Organization", "ICO"), ("the Interstate Commerce Commission", "ICC"),
    ("the Federal Deposit Insurance Corp", "FDIC"), ("the Commodity Credit Corporation", "CCC"),
    ("the International Cocoa Organization", "ICCO"), ("the Senate Finance Committee", "committee"),
    ("the House Ways and Means Committee", "committee"), ("Moody's Investors Service", "Moody's"),
    ("Standard and Poor's Corp", "S and P"), ("the Federal Home Loan Bank Board", "board"),
]
US_PLACES = ["NEW YORK", "CHICAGO", "WASHINGTON", "HOUSTON", "DALLAS", "LOS ANGELES",
             "SAN FRANCISCO", "BOSTON", "PITTSBURGH", "DETROIT", "ATLANTA", "MINNEAPOLIS",
             "CLEVELAND", "PHILADELPHIA", "ST. LOUIS", "DENVER", "MIAMI", "SEATTLE",
             "PALO ALTO, Calif.", "STAMFORD, Conn.", "GREENWICH, Conn.", "WHITE PLAINS, N.Y.",
             "HARTFORD, Conn.", "TULSA, Okla.", "RICHMOND, Va.", "CINCINNATI", "MILWAUKEE",
             "KANSAS CITY", "OMAHA, Neb.", "PHOENIX, Ariz.", "BALTIMORE", "NEWARK, N.J."]
WORLD_PLACES = ["LONDON", "TOKYO", "FRANKFURT", "PARIS", "BRUSSELS", "ZURICH", "GENEVA",
                "HONG KONG", "SINGAPORE", "SYDNEY", "TORONTO", "OTTAWA", "BONN", "ROME", "MADRID",
                "AMSTERDAM", "STOCKHOLM", "MEXICO CITY", "BUENOS AIRES", "RIO DE JANEIRO",
                "KUALA LUMPUR", "JAKARTA", "MANILA", "SEOUL", "BEIJING", "NEW DELHI", "CAIRO",
                "RIYADH", "KUWAIT", "VIENNA", "LAGOS", "NAIROBI", "WELLINGTON", "BANGKOK"]
COUNTRIES = ["Japan", "West Germany", "France", "Britain", "Italy", "Canada", "Brazil", "Mexico",
             "Argentina", "Saudi Arabia", "Kuwait", "Iran", "Iraq", "Nigeria", "Indonesia",
             "Malaysia", "Australia", "New Zealand", "South Korea", "Taiwan", "China", "India",
             "the Soviet Union", "the Netherlands", "Belgium", "Spain", "Sweden", "Switzerland",
             "Egypt", "Venezuela", "Ecuador", "the Philippines", "Thailand", "Pakistan"]
NATIONALITIES = ["Japanese", "West German", "French", "British", "Italian", "Canadian",
                 "Brazilian", "Mexican", "Saudi", "Kuwaiti", "Iranian", "Nigerian", "Indonesian",
                 "Australian", "South Korean", "Taiwanese", "Chinese", "Soviet", "Dutch",
                 "Swiss", "Egyptian", "American"]
EXEC_TITLES = ["chairman", "president", "chief executive officer", "chief financial officer",
               "vice president", "treasurer", "executive vice president", "spokesman"]
OFFICIAL_TITLES = ["Treasury Secretary", "Agriculture Secretary", "Commerce Secretary",
                   "Trade Representative", "Finance Minister", "Trade Minister", "Oil Minister",
                   "Prime Minister", "central bank governor", "Senator", "Representative",
                   "Economics Minister", "Energy Secretary", "Fed Chairman", "Fed Governor"]
COMMODITIES = ["wheat", "corn", "soybeans", "sugar", "coffee", "cocoa", "cotton", "rice",
               "crude oil", "gold", "silver", "copper", "tin", "rubber", "palm oil", "barley",
               "sorghum", "oats", "zinc", "aluminium"]
MONTHS = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
SHORT = ["Jan", "Feb", "March", "April", "May", "June", "July", "Aug", "Sept", "Oct", "Nov", "Dec"]
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"]

BOILERPLATE = [
    "Terms were not disclosed.", "Details of the transaction were not disclosed.",
    "The company did not elaborate.", "Company officials were not immediately available for comment.",
    "The acquisition is subject to approval by regulatory agencies.",
    "The transaction is subject to approval by shareholders and regulatory agencies.",
    "The offer is conditional on financing.", "It gave no further details.",
    "No other details were available.", "A company spokesman declined to comment.",
    "The statement gave no reason for the move.",
    "The announcement was made after the close of trading.",
    "Analysts said the results were in line with expectations.",
    "The company said the figures were unaudited.",
    "Shareholders will be asked to approve the plan at the annual meeting.",
    "The company said it would make a further announcement in due course.",
    "Dealers said the market was quiet ahead of the weekend.",
    "Market sources said trading was thin.", "Dealers said the Fed's action was widely expected.",
    "The Bank of England did not operate in the money market during the morning.",
    "The dollar was little changed in quiet trading.",
    "Traders said the market was waiting for the U.S. trade figures.",
    "The ministry official declined to be identified.", "The report did not give a reason.",
    "The company said the dividend is payable to shareholders of record.",
    "Further details were not immediately available.",
    "The sale is expected to close by the end of the year.",
    "The proceeds will be used to reduce debt.",
    "The company said it had no plans to sell the unit.",
    "Prices were quoted in U.S. dlrs per tonne.", "The figures are provisional.",
    "The previous year's figures were restated.",
    "The meeting ended without agreement, delegates said.",
    "Trade sources said the cargo was for delivery in April.",
    "The agreement still needs the approval of the European Community.",
    "A spokesman for OPEC in Vienna declined to comment.",
    "Oil traders said the market remained nervous.",
    "The company is a unit of General Electric Co.",
    "The debentures are rated A-2 by Moody's and A by Standard and Poor's.",
    "The notes are non-callable for five years.",
    "Merrill Lynch Capital Markets is lead manager.",
    "Salomon Brothers Inc is lead manager of the offering.",
    "Interest will be paid semi-annually.",
    "The issue was priced at par.", "Dealers said the intervention was modest.",
    "The market is closed on Monday for a public holiday.",
    "The Fed said it had no comment.", "Treasury officials declined to comment.",
    "Exporters said they expected more sales in coming weeks.",
    "The stock was unchanged on the New York Stock Exchange.",
    "Wall Street analysts said they expected the bid to be raised.",
]
NOTES = ["NOTE: Per share figures adjusted for three-for-two stock split.",
         "NOTE: Year-ago results restated.", "NOTE: Results include extraordinary items.",
         "NOTE: Prior year results restated for discontinued operations.",
         "NOTE: Latest quarter includes tax loss carryforward.",
         "NOTE: Figures in Canadian dlrs.", "NOTE: Net includes gain on sale of assets."]


def zipf_pick(rng: random.Random, items: list, skew: float = 2.0):
    """An item of `items`, the front of the list preferred (index = n * u**skew)."""
    return items[int(len(items) * rng.random() ** skew)]


@dataclass
class Company:
    name: str
    ticker: str
    city: str
    executives: list[str]
    product: str
    profile: str  # a standard paragraph that recurs in this company's stories


@dataclass
class World:
    companies: list[Company]
    officials: list[tuple[str, str]]  # (title, name)


def person(rng: random.Random) -> str:
    first = rng.choice(FIRST)
    middle = f" {rng.choice('ABCDEFGHJKLMNPRSTW')}." if rng.random() < 0.2 else ""
    return f"{first}{middle} {rng.choice(LAST)}"


def make_world(rng: random.Random, companies: int = 2400, officials: int = 160) -> World:
    names: set[str] = set()
    tickers: set[str] = set()
    result: list[Company] = []
    while len(result) < companies:
        root = rng.choice(ROOTS)
        name = f"{root} {rng.choice(INDUSTRIES)} {rng.choice(SUFFIXES)}" if rng.random() < 0.75 \
            else f"{root} {rng.choice(SUFFIXES)}"
        if name in names:
            continue
        ticker = (root[:rng.randint(2, 3)] + rng.choice("ABCDEFGHKLMNPRSTX")).upper()
        if ticker in tickers:
            continue
        names.add(name)
        tickers.add(ticker)
        city = rng.choice(US_PLACES) if rng.random() < 0.8 else rng.choice(WORLD_PLACES)
        product = rng.choice(PRODUCTS)
        short = name.split()[0]
        profile = (f"{short}, based in {city.split(',')[0].title()}, makes {product} and had "
                   f"sales of {rng.randint(20, 4000)} mln dlrs in 1986.")
        result.append(Company(name, ticker, city, [person(rng) for _ in range(3)], product,
                              profile))
    officials_list = [(rng.choice(OFFICIAL_TITLES), person(rng)) for _ in range(officials)]
    return World(result, officials_list)


# --- text pieces -------------------------------------------------------------------------------


def money(rng: random.Random) -> str:
    value = math.exp(rng.uniform(math.log(0.3), math.log(9000)))
    if value >= 1000:
        return f"{value / 1000:.2f} bln"
    return f"{value:.1f} mln" if value < 100 else f"{value:.0f} mln" if rng.random() < 0.3 \
        else f"{value:.1f} mln"


def cents(rng: random.Random) -> str:
    value = rng.randint(1, 450)
    if value >= 100:
        return f"{value / 100:.2f} dlrs"
    return f"{value} cts" if value > 1 else "one ct"


def pct(rng: random.Random) -> str:
    return f"{rng.uniform(0.1, 30):.1f}"


def day_of(rng: random.Random, when: datetime, ahead: int = 60) -> str:
    day = when + timedelta(days=rng.randint(5, ahead))
    return f"{MONTHS[day.month - 1]} {day.day}"


@dataclass
class Story:
    title: str
    place: str
    lines: list[tuple[str, bool]]  # (text, is_table_line) paragraphs in order
    prose_sentences: list[str] = field(default_factory=list)


def earnings(rng: random.Random, co: Company, when: datetime) -> Story:
    period = rng.choice(["4TH QTR", "1ST QTR", "2ND QTR", "3RD QTR", "YEAR", "1ST QTR",
                         "4TH QTR"])
    loss = rng.random() < 0.2
    title = f"{co.name.upper()} <{co.ticker}> {period} {'LOSS' if loss else 'NET'}"
    lines: list[tuple[str, bool]] = []
    if rng.random() < 0.35:
        lines.append((rng.choice(["Qtr ended Dec 31", "Qtr ended March 31", "Period ended Dec 31",
                                  "Qtr ended Jan 31", "Oper shr"]), True))
    blocks = 2 if period != "YEAR" and rng.random() < 0.5 else 1
    for block in range(blocks):
        if block:
            lines.append((rng.choice(["Year", "Year", "Nine mths", "Six mths"]), True))
        prefix = "loss " if loss else ""
        lines.append((f"Shr {prefix}{cents(rng)} vs {cents(rng)}", True))
        lines.append((f"Net {prefix}{money(rng)} vs {money(rng)}", True))
        lines.append((f"{rng.choice(['Revs', 'Revs', 'Sales'])} {money(rng)} vs {money(rng)}",
                      True))
        if rng.random() < 0.5:
            lines.append((f"Avg shrs {money(rng)} vs {money(rng)}", True))
    if rng.random() < 0.15:
        lines.append((rng.choice(NOTES), False))
    elif rng.random() < 0.2:
        exec_name = rng.choice(co.executives)
        lines.append((f"NOTE: {co.name} said results were hurt by lower {co.product} prices, "
                      f"according to {rng.choice(EXEC_TITLES)} {exec_name}.", False))
    return Story(title, co.city, lines)


def dividend(rng: random.Random, co: Company, when: datetime) -> Story:
    amount = rng.choice([5, 8, 10, 12, 15, 18, 20, 22, 25, 30, 35, 40, 45, 50, 60, 75])
    prior = amount if rng.random() < 0.7 else max(amount - 5, 2)
    lines = []
    if rng.random() < 0.3:
        lines.append((f"{co.name} said its board declared a regular quarterly dividend of "
                      f"{amount} cts a share, payable {day_of(rng, when)} to holders of record "
                      f"{day_of(rng, when, 20)}.", False))
    lines += [(f"Qtly div {amount} cts vs {prior} cts prior", True),
              (f"Pay {day_of(rng, when)}", True), (f"Record {day_of(rng, when, 20)}", True)]
    return Story(f"{co.name.upper()} <{co.ticker}> SETS QUARTERLY DIVIDEND", co.city, lines)


def sentence_for(kind: str, rng: random.Random, world: World, co: Company, when: datetime) -> str:
    other = zipf_pick(rng, world.companies)
    exec_name = rng.choice(co.executives)
    title, official = zipf_pick(rng, world.officials, 1.5)
    country, country2 = rng.sample(COUNTRIES, 2)
    inst, short = rng.choice(INSTITUTIONS)
    nat = rng.choice(NATIONALITIES)
    commodity = rng.choice(COMMODITIES)
    weekday = rng.choice(WEEKDAYS)
    month = MONTHS[(when.month - 1 + rng.choice([-1, 0, 1])) % 12]
    place = rng.choice(WORLD_PLACES + US_PLACES).split(",")[0].title()
    common = [
        f"{official}, {title}, told reporters in {place} on {weekday} that {inst} would act "
        f"if the dollar fell further.",
        f"{exec_name}, {rng.choice(EXEC_TITLES)} of {co.name}, said the company expected "
        f"earnings to rise about {pct(rng)} pct in {rng.choice(['1987', 'the second half', 'fiscal 1988'])}.",
        f"Analysts at {other.name} said {co.name.split()[0]} would probably report higher "
        f"profits from its {co.product} business.",
        f"{inst[0].upper() + inst[1:]} said {country} and {country2} had agreed to hold further "
        f"talks in {place} in {month}.",
        f"{nat} officials said {country} would seek a bigger share of the {commodity} market.",
    ]
    by_kind = {
        "acq": [
            f"{co.name} said it agreed to acquire {other.name} for about {money(rng)} dlrs in cash "
            f"and stock.",
            f"{co.name} said it had raised its stake in {other.name} to {pct(rng)} pct and might "
            f"seek control of the {other.product} maker.",
            f"In a filing with the Securities and Exchange Commission, {co.name} said it bought "
            f"{rng.randint(50, 900)},{rng.randint(0, 999):03d} shares of {other.name} between "
            f"{month} {rng.randint(1, 28)} and {month} {rng.randint(1, 28)}.",
            f"{other.name} {rng.choice(EXEC_TITLES)} {rng.choice(other.executives)} said the "
            f"board would review the offer of {rng.randint(10, 95)} dlrs a share.",
            f"The merged company would have annual sales of about {money(rng)} dlrs and "
            f"{rng.randint(2, 90)},{rng.randint(0, 999):03d} employees.",
        ],
        "money": [
            f"{inst[0].upper() + inst[1:]} provided the market with {money(rng)} dlrs of "
            f"assistance through {rng.randint(2, 14)}-day repurchase agreements, dealers said.",
            f"Fed funds were trading at {rng.randint(5, 7)}-{rng.choice(['1/8', '1/4', '3/8', '1/2', '5/8', '3/4'])} "
            f"pct when the Fed {rng.choice(['added', 'drained', 'arranged'])} {money(rng)} dlrs "
            f"of {rng.choice(['customer', 'system', 'overnight', 'four-day'])} repurchase agreements.",
            f"The dollar opened at {rng.uniform(138, 160):.2f} yen in {place}, against "
            f"{rng.uniform(138, 160):.2f} at the close in New York.",
            f"{title} {official} said on {weekday} the Group of Five would keep the dollar near "
            f"{rng.uniform(138, 160):.1f} yen under the Louvre accord.",
            f"{nat} money market rates rose {pct(rng)} basis points after {inst} drained "
            f"{money(rng)} dlrs from the system.",
        ],
        "commodity": [
            f"{country} bought {rng.randint(20, 900)},000 tonnes of {commodity} from "
            f"{country2} for shipment in {month}, trade sources said.",
            f"{inst[0].upper() + inst[1:]} said {commodity} stocks stood at {money(rng)} tonnes "
            f"on {month} {rng.randint(1, 28)}, against {money(rng)} a year earlier.",
            f"Delegates at the {rng.choice(['International Coffee Organization', 'International Cocoa Organization', 'International Sugar Organization', 'International Tin Council'])} "
            f"meeting in {place} said on {weekday} that {nat} producers opposed new {commodity} "
            f"export quotas of {rng.randint(2, 60)} mln bags.",
            f"{title} {official} said {country} would cut {commodity} output by {pct(rng)} pct "
            f"to support prices.",
            f"{commodity.capitalize()} futures on {rng.choice(['the Chicago Board of Trade', 'the New York Mercantile Exchange', 'the London Metal Exchange', 'the Kansas City Board of Trade'])} "
            f"closed {rng.choice(['higher', 'lower', 'mixed', 'steady'])} on {weekday}, "
            f"{rng.choice(['up', 'down', 'off', 'up'])} {rng.randint(1, 30)} to {rng.randint(30, 900)} "
            f"points, traders said.",
        ],
        "trade": [
            f"{title} {official} said {country} would retaliate if the U.S. Congress passed "
            f"protectionist legislation aimed at {nat} goods.",
            f"{country}'s trade surplus widened to {money(rng)} dlrs in {month} from "
            f"{money(rng)} a year earlier, {inst} said.",
            f"President Ronald Reagan told {rng.choice(['business leaders', 'reporters', 'a House panel', 'exporters', 'farmers', 'Republican senators'])} "
            f"in {place} on {weekday} that he would veto any bill setting quotas on {nat} "
            f"{rng.choice(['goods', 'steel', 'textiles', 'cars', 'chips', 'shoes'])}.",
            f"{nat} and U.S. negotiators will meet in {place} on {weekday} to discuss "
            f"{rng.choice(['semiconductor', 'farm', 'textile', 'steel', 'auto'])} trade, {official} said.",
            f"{country}'s gross national product grew {pct(rng)} pct in the {rng.choice(['first', 'second', 'third', 'fourth'])} "
            f"quarter, {inst} said.",
        ],
        "corp": [
            f"{co.name} said it would close its {place} plant and lay off {rng.randint(50, 3000)} "
            f"workers by {month}.",
            f"{co.name} named {person(rng)} {rng.choice(EXEC_TITLES)}, succeeding {exec_name}, "
            f"who is retiring.",
            f"{co.name} said it would offer {money(rng)} dlrs of convertible debentures through "
            f"{other.name}.",
            f"{co.name} said it expected to report a {rng.choice(['first', 'second', 'third', 'fourth'])} "
            f"quarter {rng.choice(['loss', 'profit drop', 'charge'])} of about {money(rng)} dlrs "
            f"because of weak {co.product} demand in {place}.",
            f"{exec_name} told shareholders at the annual meeting in {place} that {co.name.split()[0]} "
            f"would spend {money(rng)} dlrs on new {co.product} capacity.",
        ],
    }
    pool = by_kind[kind]
    return rng.choice(pool) if rng.random() < 0.8 else rng.choice(common)


TITLE_WORDS = {"acq": ["TO ACQUIRE", "RAISES STAKE IN", "BIDS FOR", "AGREES TO BUY"],
               "money": ["MONEY MARKET", "DOLLAR", "RATES"], "commodity": ["BUYS", "OUTPUT", "FUTURES"],
               "trade": ["TRADE", "SURPLUS", "TALKS"], "corp": ["NAMES", "TO CLOSE PLANT", "SEES"]}


def prose(rng: random.Random, world: World, co: Company, when: datetime, kind: str,
          boilerplate_rate: float, profile_rate: float) -> Story:
    count = max(1, min(40, int(rng.lognormvariate(1.8, 0.65))))
    sentences = [sentence_for(kind, rng, world, co, when) for _ in range(count)]
    if rng.random() < profile_rate:
        sentences.insert(min(len(sentences), rng.randint(1, 3)), co.profile)
    b = boilerplate_rate
    while b > 0 and rng.random() < b:
        sentences.insert(rng.randint(1, len(sentences)), zipf_pick(rng, BOILERPLATE, 1.5))
        b -= 0.5
    lines: list[tuple[str, bool]] = []
    i = 0
    while i < len(sentences):
        take = rng.choice((1, 1, 2, 2, 3))
        lines.append((" ".join(sentences[i:i + take]), False))
        i += take
    if kind == "commodity" and rng.random() < 0.25:
        for month in rng.sample(SHORT, rng.randint(3, 5)):
            lines.insert(1, (f"{month} {rng.uniform(1, 900):.2f} vs {rng.uniform(1, 900):.2f}",
                             True))
    place = co.city if kind in ("acq", "corp") else rng.choice(WORLD_PLACES + US_PLACES[:6])
    subject = co.name.split()[0].upper() if kind in ("acq", "corp") else rng.choice(
        COUNTRIES).upper()
    title = f"{subject} {rng.choice(TITLE_WORDS[kind])}" + (f" <{co.ticker}>" if kind in ("acq", "corp") else "")
    return Story(title, place, lines, sentences)


# --- SGML ------------------------------------------------------------------------------------


def wrap(text: str, width: int) -> list[str]:
    lines, current = [], ""
    for word in text.split():
        if current and len(current) + 1 + len(word) > width:
            lines.append(current)
            current = word
        else:
            current = f"{current} {word}" if current else word
    if current:
        lines.append(current)
    return lines


def escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


def body_sgml(story: Story, rng: random.Random) -> str:
    width = rng.randint(64, 72)
    out: list[str] = []
    for index, (text, table) in enumerate(story.lines):
        lead = "" if index == 0 else "    "
        if table:
            out.append(lead + text)
        else:
            wrapped = wrap(text, width)
            out.append(lead + wrapped[0])
            out.extend(wrapped[1:])
    return escape("\n".join(out))


def body_text(story: Story) -> str:
    """The body as the reader returns it (paragraphs on one line, joined by blank lines)."""
    return "\n\n".join(normalised(text) for text, _ in story.lines)


def record_sgml(newid: int, when: datetime, story: Story | None, title: str, place: str,
                body: str | None) -> str:
    stamp = f"{when.day:02d}-{when.strftime('%b').upper()}-{when.year} " \
            f"{when:%H:%M:%S}.{when.microsecond // 10000:02d}"
    dateline = f"    {place}, {SHORT[when.month - 1]} {when.day} - "
    parts = [
        f'<REUTERS TOPICS="NO" LEWISSPLIT="TRAIN" CGISPLIT="TRAINING-SET" OLDID="{newid + 5000}" '
        f'NEWID="{newid}">',
        f"<DATE>{stamp}</DATE>",
        "<TEXT>&#2;",
        f"<TITLE>{escape(title)}</TITLE>",
    ]
    if body is None:
        parts[-1] = f"<TITLE>{escape(title)}</TITLE></TEXT>"
        return "\n".join(parts) + "\n</REUTERS>\n"
    parts.append(f"<DATELINE>{dateline}</DATELINE><BODY>{body}\n Reuter\n&#3;</BODY></TEXT>")
    return "\n".join(parts) + "\n</REUTERS>\n"


# --- the generator ---------------------------------------------------------------------------


class Steering:
    """Running rates of the text generated so far, in the same terms as `measure`."""

    def __init__(self) -> None:
        self.tokens = self.exact = self.repeated = 0
        self.bodies: set[int] = set()
        self.sentences: set[int] = set()

    def add(self, body: str) -> None:
        words = len(body.split())
        self.tokens += words
        key = hash(normalised(body))
        exact = key in self.bodies
        self.bodies.add(key)
        self.exact += words if exact else 0
        for start, end in split_sentences(body):
            sentence = normalised(body[start:end])
            skey = hash(sentence)
            if skey in self.sentences:
                self.repeated += len(sentence.split())
            else:
                self.sentences.add(skey)

    def gain(self, target: float, actual: int) -> float:
        """>1 when behind the target, <1 when ahead (clipped to [0, 4])."""
        if self.tokens < 2000:
            return 1.0
        share = actual / self.tokens
        return min(4.0, max(0.0, 1.0 + 6.0 * (target - share) / target))


KIND_SHARES = [("earn", 0.19), ("dividend", 0.05), ("acq", 0.12), ("money", 0.12),
               ("commodity", 0.16), ("trade", 0.17), ("corp", 0.18), ("brief", 0.01)]


def generate(out: Path, docs: int, files: int, seed: int, exact_target: float = TARGET_EXACT,
             sentence_target: float = TARGET_SENTENCE) -> dict[str, int]:
    rng = random.Random(seed)
    world = make_world(rng)
    steering = Steering()
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("reut2-*.sgm"):
        old.unlink()
    start = datetime(1987, 2, 26, 7, 0)
    span = timedelta(days=235)
    per_file = math.ceil(docs / files)
    history: list[tuple[str, str, str, str]] = []      # (title, place, sgml body, text body)
    prose_history: list[tuple[Story, Company, str]] = []
    made = Counter()
    kinds, weights = zip(*KIND_SHARES, strict=True)
    handle = None
    for n in range(docs):
        if n % per_file == 0:
            if handle:
                handle.close()
            # One file per `per_file` records, closed when the next starts or at the end.
            handle = open(out / f"reut2-{n // per_file:03d}.sgm", "w", encoding="latin-1")  # noqa: SIM115
            handle.write('<!DOCTYPE lewis SYSTEM "lewis.dtd">\n')
        when = start + span * (n / docs) + timedelta(seconds=rng.randint(0, 600),
                                                     microseconds=rng.randint(0, 99) * 10000)
        newid = n + 1
        g_exact = steering.gain(exact_target, steering.exact)
        g_sent = steering.gain(sentence_target, steering.repeated)
        # 1. an exact re-send of an earlier body (new record, same text, maybe wrapped anew)
        if history and rng.random() < 0.02 * g_exact:
            candidates = [h for h in history[-3000:] if h[3]]
            title, place, body, text = rng.choice(candidates)
            if rng.random() < 0.5:
                body = escape("\n    ".join(  # re-wrapped: same text after normalisation
                    "\n".join(wrap(p, rng.randint(60, 75))) for p in text.split("\n\n")))
            handle.write(record_sgml(newid, when, None, title, place, body))
            steering.add(text)
            history.append((title, place, body, text))
            made["exact_resend"] += 1
            continue
        # 2. an UPDATE rewrite of an earlier prose story
        if prose_history and rng.random() < 0.02 * g_sent:
            old, co, kind = rng.choice(prose_history[-400:])
            keep = [s for s in old.prose_sentences if rng.random() < 0.7] or old.prose_sentences[:1]
            new = [sentence_for(kind, rng, world, co, when) for _ in range(rng.randint(1, 3))]
            sentences = new[:1] + keep + new[1:]
            lines = []
            i = 0
            while i < len(sentences):
                take = rng.choice((1, 2, 2, 3))
                lines.append((" ".join(sentences[i:i + take]), False))
                i += take
            story = Story(f"UPDATE 1-{old.title}", old.place, lines, sentences)
            made["update"] += 1
        else:
            kind = rng.choices(kinds, weights)[0]
            co = zipf_pick(rng, world.companies, 1.8)
            if kind == "earn":
                story = earnings(rng, co, when)
            elif kind == "dividend":
                story = dividend(rng, co, when)
            elif kind == "brief":
                title = f"{co.name.split()[0].upper()} {rng.choice(['SEES', 'SETS', 'TO SELL'])} " \
                        f"{rng.choice(PRODUCTS).upper()}"
                handle.write(record_sgml(newid, when, None, title, co.city, None))
                made["brief"] += 1
                continue
            else:
                story = prose(rng, world, co, when, kind, boilerplate_rate=0.30 * g_sent,
                              profile_rate=0.10 * g_sent)
            made[kind] += 1
            if story.prose_sentences:
                prose_history.append((story, co, kind))
        body = body_sgml(story, rng)
        text = body_text(story)
        handle.write(record_sgml(newid, when, story, story.title, story.place, body))
        steering.add(text)
        history.append((story.title, story.place, body, text))
    if handle:
        handle.close()
    made["steer_exact_per_mille"] = round(1000 * steering.exact / max(steering.tokens, 1))
    made["steer_sentence_per_mille"] = round(1000 * steering.repeated / max(steering.tokens, 1))
    return dict(made)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--docs", type=int, default=21_578)
    parser.add_argument("--files", type=int, default=22)
    parser.add_argument("--seed", type=int, default=1987)
    parser.add_argument("--exact-target", type=float, default=TARGET_EXACT)
    parser.add_argument("--sentence-target", type=float, default=TARGET_SENTENCE)
    parser.add_argument("--measure-only", action="store_true")
    parser.add_argument("--reader", choices=["project", "own"], default="project")
    parser.add_argument("--top", type=int, default=0, help="print the N most repeated sentences")
    args = parser.parse_args()
    started = time.perf_counter()
    if not args.measure_only:
        made = generate(args.out, args.docs, args.files, args.seed, args.exact_target,
                        args.sentence_target)
        size = sum(p.stat().st_size for p in args.out.glob("*.sgm"))
        print(f"generated {args.docs} records in {len(list(args.out.glob('*.sgm')))} files, "
              f"{size / 1e6:.1f} MB, seed {args.seed}, {time.perf_counter() - started:.1f} s")
        print("  by kind: " + ", ".join(f"{k} {v}" for k, v in sorted(made.items())))
    measured = time.perf_counter()
    bodies = read_bodies(args.out, args.reader)
    rates = measure(bodies, top=args.top)
    digest = hashlib.sha256(b"".join(p.read_bytes() for p in sorted(args.out.glob("*.sgm"))))
    print(f"measured from the files ({args.reader} reader, {time.perf_counter() - measured:.1f} s), "
          f"sha256 {digest.hexdigest()[:16]}:")
    print(rates.report())
    for sentence, count in rates.top_repeats.most_common(args.top):
        print(f"  {count:5d}  {sentence[:100]}")


if __name__ == "__main__":
    main()
