"""Plain wire-text reader: the real Jiji sample, an invented corpus of agency styles, edge cases."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seeds import default_seeds_dir
from transforms.readers.wiretext.cleaning import clean_wire_text
from transforms.readers.wiretext.datelines import display_place
from transforms.readers.wiretext.parse import parse_wire_text
from transforms.records import ParsedDispatch, ParseError
from transforms.reference import Reference, load_reference

PROJECT = Path(__file__).resolve().parents[1]
JIJI_SAMPLE = PROJECT.parent / "shared" / "samples" / "wire-text" / "000_a8b5fb1ea8790ba7.txt"
CORPUS = PROJECT / "tests" / "corpus" / "wire"
DISPATCHES = PROJECT / "seeds" / "dispatches"
REF = datetime(2026, 1, 16, 9, 30, tzinfo=UTC)
CORPUS_FIELDS = (
    "agency",
    "dateline_place",
    "dateline_country",
    "published_date",
    "headline",
    "byline",
    "signal",
    "body_startswith",
)


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference(default_seeds_dir())


def parse(text: str, reference: Reference, reference_time: datetime = REF) -> ParsedDispatch:
    return parse_wire_text(
        text,
        reference_time=reference_time,
        reference=reference,
        source_uri="test.txt",
        raw_sha256="0" * 64,
    )


def assert_clean_body(dispatch: ParsedDispatch, reference: Reference) -> None:
    body = dispatch.body
    assert body and body == body.strip()
    for leftover in (" END", "Copyright", "[", "(Reporting", "==Kyodo", "(END)", "Enditem"):
        assert leftover not in body, leftover
    if dispatch.headline:
        assert dispatch.headline not in body
    # No agency credit is left in the body: the dispatch's own, or any other agency's.
    credits = {f"({name})" for name in reference.agencies.values()} | {f"({dispatch.agency})"}
    assert not [credit for credit in credits if credit in body]


# --- the real Jiji sample ------------------------------------------------------------------


def test_jiji_sample(reference: Reference) -> None:
    text = JIJI_SAMPLE.read_text(encoding="utf-8")
    dispatch = parse(text, reference, datetime(2026, 1, 16, 3, 0, tzinfo=UTC))
    assert dispatch.agency == "Jiji Press"
    assert dispatch.dateline_place == "Washington"
    assert dispatch.dateline_country == "US"
    assert dispatch.published_at == datetime(2026, 1, 15, tzinfo=UTC)
    assert dispatch.headline == "Japan, U.S. Defense Chiefs Agree to Boost Deterrence"
    assert dispatch.body.startswith("Japanese Defense Minister Shinjiro Koizumi")
    assert dispatch.copyright == "Copyright The Jiji Press, Ltd."
    assert dispatch.language is None  # detected from the text later (transforms.languages)
    assert dispatch.source_format == "wire-text"
    assert "END" not in dispatch.body and "Jiji" not in dispatch.body
    assert_clean_body(dispatch, reference)


# --- the invented corpus -------------------------------------------------------------------


def _expected_rows() -> list[dict]:
    with (CORPUS / "expected.jsonl").open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def _observed(row: dict, reference: Reference) -> dict:
    text = (CORPUS / row["file"]).read_text(encoding="utf-8")
    reference_time = datetime.fromisoformat(row["reference_time"])
    dispatch = parse(text, reference, reference_time)
    assert_clean_body(dispatch, reference)
    assert dispatch.published_at is not None and dispatch.published_at.tzinfo is not None
    return {
        "agency": dispatch.agency,
        "dateline_place": dispatch.dateline_place,
        "dateline_country": dispatch.dateline_country,
        "published_date": dispatch.published_at.astimezone(UTC).date().isoformat(),
        "headline": dispatch.headline,
        "byline": dispatch.byline,
        "signal": dispatch.signal,
        "body_startswith": dispatch.body[: len(row["body_startswith"])],
        "copyright": dispatch.copyright,
    }


def test_corpus_is_large_and_varied() -> None:
    rows = _expected_rows()
    files = sorted(path.name for path in CORPUS.glob("*.txt"))
    assert files == sorted(row["file"] for row in rows)
    assert len(rows) >= 60
    assert len({row["agency"] for row in rows}) >= 9
    assert {row["signal"] for row in rows} >= {None, "update", "correction"}
    assert any(row["byline"] for row in rows) and any(row["headline"] is None for row in rows)


@pytest.mark.parametrize("row", _expected_rows(), ids=lambda row: row["file"])
def test_corpus_dispatch(row: dict, reference: Reference) -> None:
    observed = _observed(row, reference)
    expected = {field: row[field] for field in CORPUS_FIELDS}
    if "copyright" in row:
        expected["copyright"] = row["copyright"]
    assert {field: observed[field] for field in expected} == expected


def test_corpus_accuracy(reference: Reference) -> None:
    """Share of corpus files with each field right; the report quotes these numbers."""
    rows = _expected_rows()
    right = dict.fromkeys(CORPUS_FIELDS, 0)
    for row in rows:
        observed = _observed(row, reference)
        for field in CORPUS_FIELDS:
            right[field] += observed[field] == row[field]
    accuracy = {field: right[field] / len(rows) for field in CORPUS_FIELDS}
    assert accuracy == dict.fromkeys(CORPUS_FIELDS, 1.0)


# --- the sample dispatches of the demo -----------------------------------------------------


def _manifest() -> list[dict[str, str]]:
    with (DISPATCHES / "MANIFEST.csv").open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_sample_dispatches_all_parse(reference: Reference) -> None:
    manifest = _manifest()
    assert len(manifest) >= 14
    assert sorted(row["file"] for row in manifest) == sorted(
        path.name for path in DISPATCHES.glob("*.txt")
    )
    agencies, bodies = set(), []
    for row in manifest:
        reference_time = datetime.fromisoformat(row["reference_time"])
        dispatch = parse(
            (DISPATCHES / row["file"]).read_text(encoding="utf-8"), reference, reference_time
        )
        assert_clean_body(dispatch, reference)
        assert dispatch.agency and dispatch.headline
        assert dispatch.published_at is not None
        assert date(2026, 1, 1) <= dispatch.published_at.date() <= date(2026, 1, 31)
        agencies.add(dispatch.agency)
        bodies.append(dispatch.body)
    assert len(agencies) >= 9
    # People recur across dispatches so the entity views have something to show.
    for person in ("Aiko Morimoto", "Mark Halvorsen", "Katrin Vollmer", "Yui Hanamura"):
        assert sum(person in body for body in bodies) >= 2, person


# --- agency layouts and variants -----------------------------------------------------------

BODY = "The government said on Monday it would raise spending on coastal defences."


@pytest.mark.parametrize(
    ("dateline", "agency", "place", "country", "day"),
    [
        ("TOKYO, Jan. 15 (Kyodo) -- ", "Kyodo News", "Tokyo", "JP", date(2026, 1, 15)),
        ("WASHINGTON (AP) — ", "Associated Press", "Washington", "US", date(2026, 1, 16)),
        ("BUFFALO, N.Y. (AP) -- ", "Associated Press", "Buffalo", "US", date(2026, 1, 16)),
        ("LONDON, Jan 5 (Reuters) - ", "Reuters", "London", "GB", date(2026, 1, 5)),
        ("MOSCOW, Monday (Reuters) - ", "Reuters", "Moscow", "RU", date(2026, 1, 12)),
        ("BEIJING, Jan. 5 (Xinhua) -- ", "Xinhua", "Beijing", "CN", date(2026, 1, 5)),
        ("PARIS, Jan 5, 2025 (AFP) - ", "Agence France-Presse", "Paris", "FR", date(2025, 1, 5)),
        ("SEOUL, Jan. 5 (Yonhap) -- ", "Yonhap", "Seoul", "KR", date(2026, 1, 5)),
        ("Berlin (dpa) - ", "dpa", "Berlin", "DE", date(2026, 1, 16)),
        ("(Bloomberg) -- ", "Bloomberg", None, None, date(2026, 1, 16)),
        ("Tokyo, Jan. 15 (Jiji Press)–", "Jiji Press", "Tokyo", "JP", date(2026, 1, 15)),
        ("GROSSETO, Italy, Jan. 14 (ANSA) - ", "ANSA", "Grosseto", "IT", date(2026, 1, 14)),
        (
            "NEW DELHI, 14 January (PTI): ",
            "Press Trust of India",
            "New Delhi",
            "IN",
            date(2026, 1, 14),
        ),
        (
            "RIO DE JANEIRO, January 3 (Reuters) - ",
            "Reuters",
            "Rio de Janeiro",
            "BR",
            date(2026, 1, 3),
        ),
        ("TOKYO, Jan. 17 (Kyodo) -- ", "Kyodo News", "Tokyo", "JP", date(2026, 1, 17)),
        ("TOKYO, Dec. 31 (Kyodo) -- ", "Kyodo News", "Tokyo", "JP", date(2025, 12, 31)),
        ("OSLO, Jan. 15 (NTB) – ", "NTB", "Oslo", "NO", date(2026, 1, 15)),
        (
            "SYDNEY, Jan 15 (AAP) - ",
            "Australian Associated Press",
            "Sydney",
            "AU",
            date(2026, 1, 15),
        ),
    ],
)
def test_dateline_styles(
    reference: Reference,
    dateline: str,
    agency: str,
    place: str | None,
    country: str | None,
    day: date,
) -> None:
    dispatch = parse(f"Coastal defences to get more money\n\n{dateline}{BODY}", reference)
    assert dispatch.agency == agency
    assert dispatch.dateline_place == place
    assert dispatch.dateline_country == country
    assert dispatch.published_at is not None
    assert dispatch.published_at.date() == day
    assert dispatch.published_at == (
        REF if day == REF.date() else datetime(day.year, day.month, day.day, tzinfo=UTC)
    )
    assert dispatch.body == BODY
    assert dispatch.headline == "Coastal defences to get more money"


@pytest.mark.parametrize("dash", ["–", " – ", " — ", " -- ", " - ", " _ ", " ", ""])
def test_every_dash(reference: Reference, dash: str) -> None:
    dispatch = parse(f"SEOUL, Jan. 5 (Yonhap){dash}{BODY}", reference)
    assert dispatch.body == BODY
    assert dispatch.dateline_place == "Seoul"


def test_reference_time_is_published_at_when_it_falls_on_the_dateline_day(
    reference: Reference,
) -> None:
    dispatch = parse(f"TOKYO, Jan. 16 (Kyodo) -- {BODY}", reference)
    assert dispatch.published_at == REF


@pytest.mark.parametrize(
    ("headline", "signal"),
    [
        ("UPDATE 2-ECB holds rates", "update"),
        ("REFILE-ECB holds rates", None),
        ("CORRECTED-ECB holds rates", "correction"),
        ("CORRECTION-ECB holds rates", "correction"),
        ("REFILE-UPDATE 1-ECB holds rates", "update"),
        ("CORRECTED-UPDATE 1-ECB holds rates", "correction"),
        ("ECB holds rates", None),
    ],
)
def test_slugs_are_kept_and_mapped_to_signal(
    reference: Reference, headline: str, signal: str | None
) -> None:
    dispatch = parse(f"{headline}\n\nFRANKFURT, Jan 14 (Reuters) - {BODY}", reference)
    assert dispatch.headline == headline
    assert dispatch.signal == signal


def test_correction_note_sets_signal(reference: Reference) -> None:
    text = f"ECB holds rates\n(Corrects name in paragraph 2)\n\nFRANKFURT (Reuters) - {BODY}"
    assert parse(text, reference).signal == "correction"


@pytest.mark.parametrize(
    "header",
    [
        "UPDATE 2-ECB holds rates (Recasts, adds quotes)",
        "UPDATE 2-ECB holds rates\n(Recasts, adds quotes)",
    ],
)
def test_editor_notes_are_not_headline_or_body(reference: Reference, header: str) -> None:
    dispatch = parse(f"{header}\nBy Jane Doe\n\nFRANKFURT, Jan 14 (Reuters) - {BODY}", reference)
    assert dispatch.headline == "UPDATE 2-ECB holds rates"
    assert dispatch.body == BODY
    assert dispatch.signal == "update"


@pytest.mark.parametrize(
    "byline",
    [
        "By Jane Doe",
        "By Jane Doe, Reuters",
        "By Jane Doe - Reuters",
        "By JANE DOE",
        "BY JANE DOE",
        "By JANE DOE\nAssociated Press",
        "By JANE DOE AP Business Writer",
        "By JANE DOE\nAP Diplomatic Writer",
    ],
)
def test_bylines(reference: Reference, byline: str) -> None:
    dispatch = parse(f"Coastal defences\n{byline}\n\nWASHINGTON (AP) — {BODY}", reference)
    assert dispatch.byline == "Jane Doe"
    assert dispatch.headline == "Coastal defences"
    assert dispatch.body == BODY


def test_byline_with_two_names(reference: Reference) -> None:
    dispatch = parse(
        f"By JANE DOE and JOHN ROE\nAssociated Press\n\nWASHINGTON (AP) — {BODY}", reference
    )
    assert dispatch.byline == "Jane Doe and John Roe"
    assert dispatch.headline is None


@pytest.mark.parametrize(
    ("trailer", "copyright"),
    [
        ("\n\n(Reporting by Jane Doe; Editing by John Roe)", None),
        (" (Reporting by Jane Doe in Oslo (Norway); Editing by John Roe)", None),
        ("\n\n((jane.doe@example.com; +1 202 555 0100))", None),
        ("\n Reuter\n&#3;", None),
        (" Reuters &#3;", None),
        (" -- Kyodo", None),
        ("\n\n==Kyodo", None),
        ("\n\n(END)", None),
        (" END", None),
        ("\n\nEnditem", None),
        (" END [Copyright The Jiji Press, Ltd.]", "Copyright The Jiji Press, Ltd."),
        ("\n\n[Copyright 2026 Example News]", "Copyright 2026 Example News"),
        ("\n\n(c) 2026 Bloomberg L.P.", "(c) 2026 Bloomberg L.P."),
        ("\n\n© 2026 Example News", "© 2026 Example News"),
        (
            "\n\nCopyright 2026 The Associated Press. All rights reserved.",
            "Copyright 2026 The Associated Press. All rights reserved.",
        ),
        ("\n\n(Reporting by Jane Doe)\n\nCopyright 2026 Example", "Copyright 2026 Example"),
        ("\n\nkim@yna.co.kr\n(END)", None),
        ("\n\nbur-abc/jmr", None),
        ("\n\nTo contact the reporter on this story:\nJane Doe in London", None),
    ],
)
def test_trailers_leave_the_body(reference: Reference, trailer: str, copyright: str | None) -> None:
    dispatch = parse(f"Coastal defences\n\nTOKYO, Jan. 15 (Kyodo) -- {BODY}{trailer}", reference)
    assert dispatch.body == BODY
    assert dispatch.copyright == copyright
    assert dispatch.headline == "Coastal defences"


def test_headline_last_after_end(reference: Reference) -> None:
    text = f"Tokyo, Jan. 15 (Jiji Press)–{BODY} END [Copyright Jiji Press]\nCoastal Plan"
    dispatch = parse(text, reference)
    assert dispatch.headline == "Coastal Plan"
    assert dispatch.body == BODY
    assert dispatch.copyright == "Copyright Jiji Press"


def test_headline_last_without_end(reference: Reference) -> None:
    text = f"SEOUL, Jan. 15 (Yonhap) -- {BODY}\n\nIt was approved.\n\nCoastal Plan Approved"
    dispatch = parse(text, reference)
    assert dispatch.headline == "Coastal Plan Approved"
    assert dispatch.body == f"{BODY}\n\nIt was approved."


def test_single_paragraph_body_is_never_taken_for_a_headline(reference: Reference) -> None:
    dispatch = parse("SEOUL, Jan. 15 (Yonhap) -- Talks resumed", reference)
    assert dispatch.headline is None
    assert dispatch.body == "Talks resumed"


def test_paragraphs_and_wrapping(reference: Reference) -> None:
    text = "LONDON, Jan 5 (Reuters) - First line\nwraps here.\n\nSecond   paragraph.\n"
    assert parse(text, reference).body == "First line wraps here.\n\nSecond paragraph."
    indented = "LONDON, Jan 5 (Reuters) - First.\n   Second.\n   Third\nwraps."
    assert parse(indented, reference).body == "First.\n\nSecond.\n\nThird wraps."


def test_control_characters_crlf_and_nfc(reference: Reference) -> None:
    text = (
        "\x01\x16\x16Cafe\u0301 owners protest\r\n\x1f\r\n"
        "PARIS, Jan 5 \x7f(AFP) - Cafe\u0301s\x0b shut.\r\n\x03\x04"
    )
    dispatch = parse(text, reference)
    assert dispatch.headline == "Caf\u00e9 owners protest"
    assert dispatch.body == "Caf\u00e9s shut."
    assert dispatch.dateline_place == "Paris"


def test_clean_wire_text() -> None:
    assert clean_wire_text("a\x00b\x7fc\x1fd\te\nf\x85g&#3;h&amp;i") == "abcd\te\nf\ngh&i"


def test_unknown_credit_is_accepted_only_when_unmistakable(reference: Reference) -> None:
    dispatch = parse(f"NAIROBI, Jan. 5 (Daily Nation) - {BODY}", reference)
    assert dispatch.agency == "Daily Nation"
    assert dispatch.dateline_country == "KE"
    # A parenthesis in prose is not a dateline: the text is a story without one.
    undated = parse(f"He said (quietly) that {BODY}", reference)
    assert (undated.agency, undated.dateline_place) == (None, None)
    assert "no_dateline" in undated.parse_warnings


def test_parentheses_in_header_and_body_do_not_confuse_the_dateline(reference: Reference) -> None:
    text = f"Minister (left) resigns\n\nBERLIN (dpa) - {BODY} The party (SPD) agreed."
    dispatch = parse(text, reference)
    assert dispatch.headline == "Minister (left) resigns"
    assert dispatch.body.endswith("The party (SPD) agreed.")


@pytest.mark.parametrize(
    ("place", "shown"),
    [
        ("WASHINGTON", "Washington"),
        ("Washington", "Washington"),
        ("NEW YORK", "New York"),
        ("ST. PETERSBURG", "St. Petersburg"),
        ("RIO DE JANEIRO", "Rio de Janeiro"),
        ("N'DJAMENA", "N'Djamena"),
        ("BADEN-BADEN", "Baden-Baden"),
        ("McAllen", "McAllen"),
    ],
)
def test_display_place(place: str, shown: str) -> None:
    assert display_place(place) == shown


# --- failures ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "empty"),
        ("  \n\x01\x03\n ", "empty"),
        ("shopping list: eggs, milk, bread", "no_prose"),
        ("Just five words, no more.", "no_prose"),
        ("Headline only\n\nTOKYO, Jan. 5 (Kyodo) --", "no_body"),
        ("TOKYO, Jan. 5 (Kyodo) -- END [Copyright Kyodo]", "no_body"),
        ("TOKYO, Feb. 30 (Kyodo) -- Something happened.", "bad_dateline"),
    ],
)
def test_parse_errors(reference: Reference, text: str, reason: str) -> None:
    with pytest.raises(ParseError) as raised:
        parse(text, reference)
    assert raised.value.reason == reason


_wireish = st.lists(
    st.one_of(
        st.text(max_size=80),
        st.sampled_from(
            [
                "TOKYO, Jan. 5 (Kyodo) -- ",
                "(Bloomberg) -- ",
                "WASHINGTON (AP) — ",
                " END ",
                "[Copyright X]",
                "\n",
                "\n\n",
                "By JANE DOE",
                "UPDATE 2-",
                "(Recasts)",
                "(",
                ")",
                "PARIS, Jan 5, 0000 (AFP) - ",
                "SEOUL, Feb. 29 (Yonhap) -- ",
                "MOSCOW, Monday (Reuters)",
                "&#3;",
                "&#99999999;",
                "&#xD800;",
                "(c) 2026",
                "Reuter",
                "\x01",
                "\r",
                "==Kyodo",
            ]
        ),
    ),
    max_size=12,
).map("".join)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(text=st.one_of(st.text(max_size=400), _wireish))
def test_only_parse_error_is_raised(text: str) -> None:
    reference = load_reference(default_seeds_dir())
    try:
        dispatch = parse(text, reference)
    except ParseError:
        return
    assert dispatch.body.strip()
    assert dispatch.published_at is not None and dispatch.published_at.tzinfo is not None


@pytest.mark.parametrize(
    ("headline", "number"),
    [("UPDATE 2-ECB holds", 2), ("REFILE-UPDATE 3-ECB holds", 3), ("ECB holds", None),
     ("Update on talks", None)],
)
def test_update_slug_gives_the_story_version(headline: str, number: int | None) -> None:
    from transforms.readers.wiretext.header import update_number

    assert update_number(headline) == number


# --- stories without an agency dateline (issue 9) ------------------------------------------


def test_nyt_news_service_dateline_has_no_agency(reference: Reference) -> None:
    text = (
        "Jobs report beats forecasts\n\nBy MARGARET HOLLOWAY\n\n"
        "WASHINGTON _ The economy created far more jobs in May than forecasters had expected, "
        "the Labor Department said Friday.\n\nWages rose as well.\n"
    )
    dispatch = parse(text, reference)
    assert (dispatch.agency, dispatch.dateline_place, dispatch.dateline_country) == (
        None, "Washington", "US")
    assert dispatch.headline == "Jobs report beats forecasts"
    assert dispatch.byline == "Margaret Holloway"
    assert dispatch.body.startswith("The economy created far more jobs")
    assert dispatch.dateline_date is None
    assert dispatch.parse_warnings == ("date_from_file_time",)


def test_nyt_dateline_with_region_and_alone_on_its_line(reference: Reference) -> None:
    with_region = parse(
        "Port cranes idle\n\nNEWARK, N.J. _ A new contract for dock workers stalled on Tuesday, "
        "union leaders said.\n", reference)
    assert (with_region.dateline_place, with_region.dateline_country) == ("Newark", "US")
    assert with_region.body.startswith("A new contract")
    alone = parse(
        "Snow closes schools\n\nBUFFALO, N.Y. _\n\nHeavy snow closed every school in the county "
        "on Monday morning.\n", reference)
    assert (alone.dateline_place, alone.body) == (
        "Buffalo", "Heavy snow closed every school in the county on Monday morning.")


def test_capitalised_headline_with_a_dash_is_not_a_creditless_dateline(reference: Reference) -> None:
    dispatch = parse(
        "MARKETS -- Stocks fall\n\nShares fell sharply in early trading on Wall Street today "
        "as investors sold banks.\n", reference)
    assert dispatch.dateline_place is None
    assert dispatch.headline == "MARKETS -- Stocks fall"


def test_dateline_alone_on_its_line_and_spaced_credit(reference: Reference) -> None:
    alone = parse(
        "Cuba frees prisoners\n\nHAVANA (AP) --\n\nCuba freed 20 political prisoners on "
        "Tuesday, officials said.\n", reference)
    spaced = parse(
        "Cuba frees prisoners\n\nHAVANA (AP ) -- Cuba freed 20 political prisoners on "
        "Tuesday, officials said.\n", reference)
    for dispatch in (alone, spaced):
        assert (dispatch.agency, dispatch.dateline_place) == ("Associated Press", "Havana")
        assert dispatch.body == "Cuba freed 20 political prisoners on Tuesday, officials said."


def test_story_without_dateline_is_a_dispatch_with_warnings(reference: Reference) -> None:
    text = (
        "City council approves budget\n\nBy ANNA PRICE\nStaff Writer\n\n"
        "The city council approved a $2.1 billion budget late Tuesday after a long debate\n"
        "over police overtime and library hours.\n\n"
        "The vote was 7 to 2.\n"
    )
    dispatch = parse(text, reference)
    assert dispatch.headline == "City council approves budget"
    assert dispatch.byline == "Anna Price"
    assert dispatch.body.startswith("The city council approved a $2.1 billion budget late Tuesday")
    assert dispatch.body.endswith("The vote was 7 to 2.")
    assert (dispatch.agency, dispatch.dateline_place, dispatch.dateline_date) == (None, None, None)
    assert dispatch.parse_warnings == ("no_dateline", "date_from_file_time")
    assert dispatch.published_at == REF


def test_transcript_without_headline(reference: Reference) -> None:
    text = (
        "JUDY MARSH, ANCHOR: Good evening. Tonight, floods across the Midwest have forced\n"
        "thousands of families from their homes.\n\n"
        "TOM REYES, CORRESPONDENT: The river crested this afternoon, two feet above the levee.\n"
    )
    dispatch = parse(text, reference)
    assert dispatch.headline is None
    assert dispatch.body.startswith("JUDY MARSH, ANCHOR: Good evening.")
    assert dispatch.parse_warnings == ("no_dateline", "no_headline", "date_from_file_time")


def test_hard_wrapped_first_paragraph_is_not_a_headline(reference: Reference) -> None:
    text = (
        "The state legislature voted on Thursday to extend the\n"
        "school year by ten days, ending a months-long dispute.\n\nGovernor Lee signed it.\n"
    )
    dispatch = parse(text, reference)
    assert dispatch.headline is None
    assert dispatch.body.startswith("The state legislature voted on Thursday to extend the school")


@pytest.mark.parametrize(
    ("text", "story"),
    [
        # The rule's boundary: one sentence of six words with letters, ending in . ! or ?
        ("Officials met in the capital today.", True),
        ("Officials met in the capital.", False),
        ("Did the minister resign after all?", True),
        ("Did the minister resign today?", False),
        ("Rain fell on 12 towns and 4 villages!", True),
        ("Stocks, bonds, gold, oil, copper, wheat, corn", False),
        ("HEADLINE ONLY WITH MANY WORDS BUT NO STOP AT ALL", False),
    ],
)
def test_news_text_rule_boundary(reference: Reference, text: str, story: bool) -> None:
    from transforms.readers.wiretext.parse import is_news_text

    assert is_news_text(text) is story
    if story:
        assert parse(text, reference).body == text
    else:
        with pytest.raises(ParseError) as raised:
            parse(text, reference)
        assert raised.value.reason == "no_prose"


def test_known_place_with_double_dash_and_no_credit(reference: Reference) -> None:
    dispatch = parse(
        "Bank shares slide\n\nBy OWEN PARK\nStaff Reporter\n\nNEW YORK -- Bank shares slid on "
        "Wednesday after two lenders warned of weaker profits.\n", reference)
    assert (dispatch.agency, dispatch.dateline_place, dispatch.dateline_country) == (
        None, "New York", "US")
    assert dispatch.body.startswith("Bank shares slid on Wednesday")


@pytest.mark.parametrize(
    ("text", "place", "day"),
    [
        ("PARIS, 12 mars 2024 (AFP) - Le gouvernement a présenté mardi une réforme.", "Paris",
         date(2024, 3, 12)),
        ("BERLIN, 14. März (dpa) - Ein Streik hat am Donnerstag den Verkehr lahmgelegt.", "Berlin",
         date(2025, 3, 14)),
        ("STOCKHOLM, 3 maj (TT) - Regeringen vill bygga fler järnvägar i norr.", "Stockholm",
         date(2025, 5, 3)),
    ],
)
def test_french_german_swedish_month_names(reference: Reference, text: str, place: str, day: date) -> None:
    dispatch = parse(text, reference)
    assert (dispatch.dateline_place, dispatch.dateline_date) == (place, day)
