"""The formats agencies transmit: NITF, ANPA-1312, IPTC 7901, NewsML 1.x, AP Media API JSON,
and NewsML-G2 dialects (AP, ANSA, Reuters). Fixtures are ours, written from the public specs."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seeds import default_seeds_dir
from transforms.readers import read_path, sniff_format
from transforms.readers.transmission import paragraphs
from transforms.readers.wiretext.datelines import plausible_place
from transforms.readers.wiretext.notes import split_leading_editor_note
from transforms.records import ParsedDispatch, Rejection
from transforms.reference import Reference, load_reference

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
SAMPLES = Path(__file__).resolve().parents[1].parent / "shared" / "samples"

# Every fixture and the format its bytes must be sniffed as; the first block are the fixtures
# that existed before the registry and must not change format.
FIXTURE_FORMATS = {
    "newsml_item_nitf.xml": "newsml-g2",
    "newsml_message.xml": "newsml-g2",
    "ninjs_v1.json": "json",
    "ninjs_v2.json": "json",
    "ninjs_v3.json": "json",
    "records.jsonl": "jsonl",
    "reuters.sgm": "sgml-reuters",
    "wire_ap.txt": "wire-text",
    "nitf_ap_3x.xml": "nitf",
    "nitf_afp_3x.xml": "nitf",
    "nitf_efe_2x.xml": "nitf",
    "nitf_ntb_3x.xml": "nitf",
    "nitf_aap_3x.xml": "nitf",
    "nitf_ritzau_cp1252.xml": "nitf",
    "nitf_pa_3x.xml": "nitf",
    "anpa_ap_writethru.txt": "anpa-1312",
    "anpa_ap_agate.txt": "anpa-1312",
    "anpa_ap_no_soh_cp1252.txt": "anpa-1312",
    "iptc7901_dpa.txt": "iptc-7901",
    "iptc7901_kna_two_messages.txt": "iptc-7901",
    "newsml1_afp.xml": "newsml-1",
    "apmedia_item.json": "ap-media-json",
    "ninjs_extended_body_html.json": "json",
    "g2_reuters_leading_ednote.xml": "newsml-g2",
    "g2_ansa_timestamp_dateline.xml": "newsml-g2",
    "g2_ap_provider_literal.xml": "newsml-g2",
}


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference(default_seeds_dir())


def only(path: Path, reference: Reference) -> ParsedDispatch:
    items = list(read_path(path, reference=reference))
    assert len(items) == 1 and isinstance(items[0], ParsedDispatch), items
    return items[0]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


def test_every_fixture_is_listed():
    assert sorted(p.name for p in FIXTURES.iterdir()) == sorted(FIXTURE_FORMATS)


@pytest.mark.parametrize(("name", "expected"), sorted(FIXTURE_FORMATS.items()))
def test_each_fixture_is_sniffed_as_its_own_format(name, expected):
    assert sniff_format((FIXTURES / name).read_bytes()[:65536]) == expected


def test_sniffing_ignores_the_file_name(tmp_path, reference):
    for name in ("nitf_ap_3x.xml", "anpa_ap_writethru.txt", "newsml1_afp.xml"):
        misnamed = tmp_path / f"{name}.json"
        misnamed.write_bytes((FIXTURES / name).read_bytes())
        assert only(misnamed, reference).source_format == FIXTURE_FORMATS[name]


# --- NITF ------------------------------------------------------------------------------------


def test_nitf_3x_ap(reference):
    d = only(FIXTURES / "nitf_ap_3x.xml", reference)
    assert (d.source_format, d.agency, d.story_key, d.story_version) == (
        "nitf", "Associated Press", "AP:7f3c2a91e0b84d55", 2)
    assert d.headline == "Lake-effect snow buries Buffalo suburbs, closes Thruway stretch"
    assert d.byline == "Margaret Kowalski"
    assert (d.dateline_place, d.dateline_country) == ("Buffalo", "US")
    # date.issue 07:15 at -05:00
    assert d.published_at == utc(2026, 1, 5, 12, 15)
    assert d.editor_note == "Updates with closures, quotes from county executive"
    assert d.copyright == "Copyright 2026 The Associated Press"
    assert d.body.startswith("A band of lake-effect snow")
    assert d.body.endswith("Forecasters expect another foot by Tuesday morning.")
    assert "\r" not in d.body and d.language == "en"


def test_nitf_afp_doctype_embargo_and_desk_initials(reference):
    d = only(FIXTURES / "nitf_afp_3x.xml", reference)
    assert (d.agency, d.dateline_place, d.byline) == ("Agence France-Presse", "Paris",
                                                      "Claire Dubois")
    assert d.published_at == utc(2026, 1, 5, 8, 32)
    assert d.embargo_until == utc(2026, 1, 5, 9, 0)
    assert d.body.endswith("near the Porte de la Chapelle.")  # "cd/jmr" is not text


def test_nitf_2x_efe_latin1_with_html_entities(reference):
    d = only(FIXTURES / "nitf_efe_2x.xml", reference)
    assert d.headline == "España registra el enero más cálido desde que hay datos"
    assert (d.agency, d.dateline_place, d.dateline_country) == ("EFE", "Madrid", "ES")
    assert "«la tendencia se mantendrá»" in d.body
    assert d.story_key == "EFE:EFE20260105-1142"


def test_nitf_timestamp_dateline_and_leading_note(reference):
    d = only(FIXTURES / "nitf_ntb_3x.xml", reference)
    assert d.dateline_place == "Bodø"  # the body's dateline, not "2026-01-05 08:45:00"
    assert d.editor_note == "Adds comments, detail"
    assert d.body.startswith("Statens vegvesen stengte mandag morgen")  # no dateline
    assert (d.agency, d.language, d.published_at) == ("NTB", "no", utc(2026, 1, 5, 7, 45))


def test_nitf_agency_from_pubdata_and_copyright_holder(reference):
    aap = only(FIXTURES / "nitf_aap_3x.xml", reference)
    assert (aap.agency, aap.byline) == ("Australian Associated Press", "Tim Ellery")
    # AAP's credit has no parentheses: "ADELAIDE, Jan 5 AAP - "
    assert (aap.dateline_place, aap.dateline_country) == ("Adelaide", "AU")
    assert aap.published_at == utc(2026, 1, 4, 19, 30)
    ritzau = only(FIXTURES / "nitf_ritzau_cp1252.xml", reference)
    assert (ritzau.agency, ritzau.dateline_place, ritzau.pub_status) == (
        "Ritzau", "København", "withheld")
    assert ritzau.headline == "Rådhuspladsen får ny metrostation i 2027"
    assert ritzau.embargo_until == utc(2026, 1, 6, 5, 0)


def test_nitf_agency_from_distributor(reference):
    pa = only(FIXTURES / "nitf_pa_3x.xml", reference)
    assert (pa.agency, pa.byline, pa.language) == ("PA Media", "Alan Ridley", "en-GB")
    assert pa.dateline_place is None  # PA sends no dateline; nothing is made up
    assert pa.published_at == utc(2026, 1, 5, 11, 34)


def test_nitf_dateline_holding_only_a_story_date_is_no_place(tmp_path, reference):
    path = tmp_path / "dated.xml"
    path.write_text(
        '<nitf><head><docdata><date.issue norm="20260105T1200Z"/></docdata></head><body>'
        '<body.head><dateline><story.date norm="20260105">Jan. 5</story.date></dateline>'
        "</body.head><body.content><p>Markets were calm on Monday as traders waited.</p>"
        "</body.content></body></nitf>"
    )
    d = only(path, reference)
    assert d.dateline_place is None
    assert d.published_at == utc(2026, 1, 5, 12, 0)


def test_nitf_with_internal_dtd_subset_is_refused(tmp_path, reference):
    path = tmp_path / "evil.xml"
    path.write_text('<!DOCTYPE nitf [<!ENTITY a "aaaa">]><nitf><body><body.content>'
                    "<p>&a;</p></body.content></body></nitf>")
    (item,) = read_path(path, reference=reference)
    assert item.reason == "unsafe_xml"


# --- ANPA-1312 ---------------------------------------------------------------------------------


def test_anpa_writethru(reference):
    d = only(FIXTURES / "anpa_ap_writethru.txt", reference)
    assert d.source_format == "anpa-1312"
    assert d.headline == "Hawks rally past Heat in overtime"
    assert (d.byline, d.agency) == ("Charles Odum", "Associated Press")
    assert (d.dateline_place, d.dateline_country) == ("Atlanta", "US")
    assert (d.story_version, d.signal) == (2, "update")
    assert d.editor_note == "Updates with late scoring, quotes"
    # Trailer AP-NY-02-20-96 0512EST
    assert d.published_at == utc(1996, 2, 20, 10, 12)
    assert d.body.startswith("Stacey Augmon scored")
    assert d.body.endswith("``We just kept grinding,'' Augmon said.")
    assert not any(code in d.body for code in ("z6715", "BC-BKN", "AP-NY", "\x02", "<"))


def test_anpa_agate_stays_readable(reference):
    d = only(FIXTURES / "anpa_ap_agate.txt", reference)
    assert d.headline == "American League Standings"
    assert "New York  88  58  .603  _\nBaltimore  81  65  .555  7" in d.body
    assert "Boston  79  67  .541  9" in d.body
    assert "Monday's Games\nNew York 5, Boston 3\nBaltimore 7, Toronto 2" in d.body
    assert not any(ord(ch) < 32 and ch != "\n" for ch in d.body)
    assert d.published_at == utc(1996, 9, 14, 5, 4)  # 0104EDT


def test_anpa_without_soh_dates_from_keyword_line(tmp_path, reference):
    path = tmp_path / "capture.txt"
    path.write_bytes((FIXTURES / "anpa_ap_no_soh_cp1252.txt").read_bytes())
    stamp = utc(2026, 3, 20).timestamp()
    os.utime(path, (stamp, stamp))
    d = only(path, reference)
    assert d.headline == "Asian shares slide as yen strengthens"
    assert (d.byline, d.dateline_place, d.agency) == ("Yuri Kageyama", "Tokyo",
                                                      "Associated Press")
    # 03-14 0640 New York time (EDT) resolved against the file's year
    assert d.published_at == utc(2026, 3, 14, 10, 40)
    assert "exporters’ outlook" in d.body


def test_anpa_without_dateline_or_blank_line(tmp_path, reference):
    path = tmp_path / "markets.txt"
    path.write_bytes(
        b"\x01W2870asian r f AM-Asia-Markets 03-14 0640\r\n\x02^AM-Asia-Markets,0410<\r\n"
        b"^Asian markets mixed<\r\n\tShares were mixed in Asia on Thursday as investors "
        b"awaited U.S. inflation figures.<\r\n\x03\r\nAP-NY-03-14-26 0655EDT<\r\n\x04"
    )
    d = only(path, reference)
    assert d.headline == "Asian markets mixed"
    assert d.body == ("Shares were mixed in Asia on Thursday as investors awaited U.S. "
                      "inflation figures.")
    assert (d.agency, d.dateline_place) == ("Associated Press", None)
    assert d.published_at == utc(2026, 3, 14, 10, 55)


def test_transmissions_without_any_date_take_the_dateline_or_file_time(tmp_path, reference):
    stamp = utc(2026, 3, 20, 9, 30).timestamp()
    anpa = tmp_path / "undated.anpa"
    anpa.write_bytes(b"\x01a0412 r a BC-Storm\r\n\x02^Storm nears coast<\r\n"
                     b"\tMIAMI (AP) _ A storm moved toward the coast on Friday.<\r\n\x03\x04")
    dpa = tmp_path / "undated.7901"
    dpa.write_bytes("\x01eca100 3 vm 40 ccccb dpa 0100\r\n\x02Sturm erreicht die Küste=\r\n"
                    "Hamburg (dpa) - Ein Sturm hat am Freitag die Küste erreicht.\r\n\x03\x04"
                    .encode("latin-1"))
    for path in (anpa, dpa):
        os.utime(path, (stamp, stamp))
    assert only(anpa, reference).published_at == utc(2026, 3, 20, 9, 30)
    undated_dpa = only(dpa, reference)
    assert undated_dpa.dateline_place == "Hamburg"
    assert undated_dpa.published_at == utc(2026, 3, 20, 9, 30)


def test_anpa_dense_agate_is_not_binary(tmp_path, reference):
    from transforms.readers.decoding import looks_binary

    rows = [("Player", "AB", "R", "H", "BI", "Avg")] + [
        (f"Batter{n}", "4", str(n % 3), str(n % 2), "1", f".{250 + n}") for n in range(12)
    ]
    table = b"".join(b"\x1f".join(cell.encode() for cell in row) + b"\x1e\r\n" for row in rows)
    data = (b"\x01a0512 r s BC-BBN--Box-Score 09-14 0010\r\n\x02^Cubs 4, Reds 2<\r\n\r\n"
            + table + b"\x03\r\nAP-NY-09-14-96 0012EDT<\r\n\x04")
    assert looks_binary(data)  # as the old detection saw it: a binary_file
    path = tmp_path / "box.txt"
    path.write_bytes(data)
    d = only(path, reference)
    assert d.headline == "Cubs 4, Reds 2"
    assert d.body.splitlines()[:2] == ["Player  AB  R  H  BI  Avg", "Batter0  4  0  0  1  .250"]
    assert len(d.body.splitlines()) == 13


def test_anpa_keyword_slug_never_becomes_the_headline(tmp_path, reference):
    path = tmp_path / "slug_only.txt"
    path.write_bytes(b"\x01a0413 r a BC-Budget-Vote 02-20 0500\r\n\x02"
                     b"\tWASHINGTON (AP) _ The House voted on the budget on Tuesday.<\r\n\x03")
    d = only(path, reference)
    assert d.headline is None
    assert d.body == "The House voted on the budget on Tuesday."


def test_transmission_paragraphs_keep_table_rows():
    lines = ["\tThe game went on well past the scheduled closing time", "and ended late on Monday.",
             "Team\x1f1\x1f2", "Other\t3\t4", ""]
    assert paragraphs(lines) == [
        "The game went on well past the scheduled closing time and ended late on Monday.",
        "Team  1  2\nOther  3  4",
    ]


# --- IPTC 7901 ---------------------------------------------------------------------------------


def test_iptc7901_dpa(reference):
    d = only(FIXTURES / "iptc7901_dpa.txt", reference)
    assert d.source_format == "iptc-7901"
    assert d.headline == "IG Metall droht mit Warnstreiks in der Metallindustrie"
    assert (d.agency, d.dateline_place, d.dateline_country) == ("dpa", "Berlin", "DE")
    assert d.published_at == utc(1996, 1, 6, 15, 30)  # trailer 061530 Jan 96
    assert d.body.startswith("Die IG Metall hat")
    assert d.body.endswith("in Stuttgart angesetzt.")
    assert "eca062" not in d.body and "dpa ks yy" not in d.body


def test_a_7901_header_with_a_one_letter_service_code_is_read_as_7901(tmp_path, reference):
    # It fits ANPA's selector too: both formats score alike and the first listed (7901) wins.
    data = (FIXTURES / "iptc7901_dpa.txt").read_bytes().replace(b"\x01eca062 ", b"\x01e0620 ", 1)
    assert data.startswith(b"\x01e0620 4 i 211 ")
    path = tmp_path / "dpa-e0620.txt"
    path.write_bytes(data)
    assert sniff_format(data) == "iptc-7901"
    d = only(path, reference)
    assert (d.source_format, d.agency) == ("iptc-7901", "dpa")
    assert d.headline == only(FIXTURES / "iptc7901_dpa.txt", reference).headline


def test_a_tie_goes_to_the_first_listed_format():
    from transforms.readers.registry import InputFormat, best_format

    def reader(_source, _context):
        return iter(())

    first = InputFormat("first", lambda head: 0.5, reader)
    second = InputFormat("second", lambda head: 0.5, reader)
    fallback = InputFormat("fallback", lambda head: 0.01, reader)
    assert best_format(b"x", (first, second, fallback)).name == "first"
    assert best_format(b"x", (second, first, fallback)).name == "second"


def test_iptc7901_two_messages_keyword_in_text_and_dashless_dateline(reference):
    path = FIXTURES / "iptc7901_kna_two_messages.txt"
    first, second = read_path(path, reference=reference)
    assert [first.source_uri, second.source_uri] == [f"{path}#1", f"{path}#2"]
    assert first.headline == "Bischöfe fordern mehr Hilfe für Obdachlose im Winter"
    assert (first.agency, first.dateline_place) == ("KNA", "Köln")
    assert first.body.endswith("Niemand dürfe auf der Straße erfrieren.")
    assert (first.story_key, first.story_version) == ("KNA:260105-89-00112", 2)
    assert first.published_at == utc(2026, 1, 5, 10, 12)
    assert (second.headline, second.dateline_place) == ("Papst empfängt Delegation aus Kiew",
                                                         "Rom")
    assert second.published_at == utc(2026, 1, 5, 11, 30)
    assert first.raw_sha256 != second.raw_sha256


# --- NewsML 1.x ----------------------------------------------------------------------------------


def test_newsml1_afp(reference):
    d = only(FIXTURES / "newsml1_afp.xml", reference)
    assert d.source_format == "newsml-1"
    assert d.headline == "British MPs back housing bill after late-night debate"
    assert (d.agency, d.byline) == ("Agence France-Presse", "Helen Marsh")
    assert (d.dateline_place, d.dateline_country) == ("London", "GB")
    assert d.published_at == utc(2026, 1, 5, 10, 15)
    assert (d.story_key, d.story_version) == ("urn:newsml:afp.com:20260105:TX-PAR-QWE42", 2)
    assert d.editor_note == "Adds minister quote in para 3"
    assert d.body.endswith("the housing minister said.")


def test_newsml1_several_items_plain_text_and_a_picture(tmp_path, reference):
    path = tmp_path / "two.xml"
    path.write_text(
        '<?xml version="1.0" encoding="ISO-8859-1"?><NewsML Version="1.0"><NewsEnvelope>'
        "<DateAndTime>20260105T080000+0100</DateAndTime></NewsEnvelope>"
        "<NewsItem><Identification><NewsIdentifier><ProviderId>efe.com</ProviderId>"
        "<DateId>20260105</DateId><NewsItemId>T1</NewsItemId><RevisionId>1</RevisionId>"
        "</NewsIdentifier></Identification><NewsComponent><NewsLines><HeadLine>Año nuevo, "
        "trenes nuevos</HeadLine></NewsLines><ContentItem><MediaType FormalName='Text'/>"
        "<MimeType FormalName='text/plain'/><DataContent>Madrid, 5 ene (EFE).- Renfe estrena "
        "trenes.</DataContent></ContentItem></NewsComponent></NewsItem>"
        "<NewsItem><Identification><NewsIdentifier><ProviderId>efe.com</ProviderId>"
        "<DateId>20260105</DateId><NewsItemId>P2</NewsItemId></NewsIdentifier></Identification>"
        "<NewsComponent><ContentItem Href='x.jpg'><MediaType FormalName='Photo'/>"
        "</ContentItem></NewsComponent></NewsItem></NewsML>",
        encoding="latin-1",
    )
    text, picture = read_path(path, reference=reference)
    assert text.source_uri == f"{path}#T1" and picture.source_uri == f"{path}#P2"
    assert (text.headline, text.agency) == ("Año nuevo, trenes nuevos", "EFE")
    assert text.body == "Madrid, 5 ene (EFE).- Renfe estrena trenes."
    assert text.published_at == utc(2026, 1, 5, 7, 0)  # the envelope's time, +01:00
    assert picture.reason == "no_text_body"


def test_newsml1_business_wire_sample_parses(reference):
    d = only(SAMPLES / "newsml-g2" / "NewsML_businesswire-newsml-20130731006140.xml", reference)
    assert d.headline.startswith("Lunch Taking a Toll? Let Applebee’s")
    assert (d.agency, d.dateline_place, d.dateline_country) == ("Business Wire", "Kansas City",
                                                                "US")
    assert d.published_at == utc(2013, 7, 31, 15, 32)
    assert d.body.startswith("With more Applebee’s")
    assert ".bwuline" not in d.body and "Chase Wagner" not in d.body


# --- AP Media API JSON and nested ninjs ------------------------------------------------------


def test_ap_media_api_item_with_inline_rendition(reference):
    d = only(FIXTURES / "apmedia_item.json", reference)
    assert d.source_format == "ap-media-json"
    assert d.headline == "Wildfire forces evacuations north of Los Angeles"
    assert (d.agency, d.byline) == ("Associated Press", "Christopher Weber")
    assert (d.dateline_place, d.dateline_country) == ("Los Angeles", "US")
    assert d.published_at == utc(2026, 1, 5, 18, 42, 11)
    assert (d.story_version, d.editor_note) == (3, "Updates with evacuation numbers")
    assert d.body.startswith("A fast-moving wildfire")


def test_ap_media_item_whose_renditions_only_link_is_refused_clearly(tmp_path, reference):
    path = tmp_path / "linked.json"
    path.write_text('{"api_version": "2", "data": {"item": {"type": "text", "headline": "H", '
                    '"renditions": {"nitf": {"href": "https://example.invalid/x"}}}}}')
    (item,) = read_path(path, reference=reference)
    assert isinstance(item, Rejection) and item.reason == "no_text_body"
    assert "renditions only link to it: nitf" in item.detail


def test_ninjs_body_html_inside_extended_structure(reference):
    d = only(FIXTURES / "ninjs_extended_body_html.json", reference)
    assert (d.source_format, d.agency, d.dateline_place) == ("ninjs", "ANSA", "Bolzano")
    assert d.body.endswith("Queues stretched for 15 kilometres.")


# --- NewsML-G2 dialects ------------------------------------------------------------------------


def test_g2_reuters_leading_editor_note_is_not_the_place(reference):
    d = only(FIXTURES / "g2_reuters_leading_ednote.xml", reference)
    assert (d.dateline_place, d.editor_note) == ("London", "Adds comments, detail")
    assert d.body.startswith("Euro zone")
    assert d.agency == "Reuters"


def test_g2_timestamp_dateline_is_no_place_and_creator_names_agency(reference):
    d = only(FIXTURES / "g2_ansa_timestamp_dateline.xml", reference)
    # The body's own dateline ("BOLZANO, 5 GEN -"), never the timestamp in contentMeta.
    assert d.dateline_place == "Bolzano"
    assert not d.body.startswith("BOLZANO")
    assert d.agency == "ANSA"


def test_g2_ap_provider_literal(reference):
    assert only(FIXTURES / "g2_ap_provider_literal.xml", reference).agency == "Associated Press"


@pytest.mark.parametrize(
    ("item_meta", "content_meta", "agency"),
    [
        ('<provider literal="AP"/>', "", "Associated Press"),
        ('<provider uri="http://www.ap.org/"/>', "", "Associated Press"),
        ("", '<creator qcode="nprov:ansa.it"/>', "ANSA"),
        ("", '<creator literal="Agenzia ANSA"/>', "ANSA"),
        ("", "<creator><name>Thomson Reuters</name></creator>", "Reuters"),
        ('<provider literal="Nobody In Particular"/>', "", None),
    ],
)
def test_g2_agency_from_provider_or_creator(tmp_path, reference, item_meta, content_meta, agency):
    path = tmp_path / "item.xml"
    path.write_text(
        '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="g1" version="1">'
        f"<itemMeta>{item_meta}</itemMeta><contentMeta>{content_meta}"
        "<headline>Hello</headline></contentMeta><contentSet><inlineData>Some body text here."
        "</inlineData></contentSet></newsItem>"
    )
    assert only(path, reference).agency == agency


@pytest.mark.parametrize(
    "text", ["2018-01-03 20:13:08", "20180103T201308Z", "Adds comments", "Jan. 5", "5 January 2026"]
)
def test_no_timestamp_or_note_is_a_place(text):
    assert not plausible_place(text)


def test_leading_editor_note_split():
    assert split_leading_editor_note("(Adds comments, detail)\n\nLONDON - x") == (
        "LONDON - x", "Adds comments, detail")
    assert split_leading_editor_note("(Reuters) - text") == ("(Reuters) - text", None)


# --- the registry keeps the old formats' detection ----------------------------------------

SHARED_SAMPLE_FORMATS = {
    "newsml-g2/LISTING_1_A_NewsML-G2_News_Item.xml": "newsml-g2",
    "newsml-g2/LISTING_22_Sports_story_in_NewsML-G2NITF.xml": "newsml-g2",
    "newsml-g2/LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.xml": "xml",
    "newsml-g2/LISTING_28_Illustrating_Located_Subject_and_Dateline.xml": "xml",
    "newsml-g2/NewsML_businesswire-newsml-20130731006140.xml": "newsml-1",
    "ninjs/3.0_ap_video.json": "json",
    "ninjs/3.0_dpa_text.json": "json",
    "wire-text/000_a8b5fb1ea8790ba7.txt": "wire-text",
}


@pytest.mark.parametrize(("relative", "expected"), sorted(SHARED_SAMPLE_FORMATS.items()))
def test_shared_samples_keep_their_format(relative, expected):
    path = SAMPLES / relative
    if not path.exists():
        pytest.fail(f"shared sample missing: {path}")
    assert sniff_format(path.read_bytes()[:65536]) == expected


def _if_chain_sniff(head: bytes) -> str:
    """The detection the registry replaced (an if-chain), for inputs no new format claims."""
    import re

    from transforms.readers import archives
    from transforms.readers.decoding import looks_binary, sniff_encoding
    from transforms.readers.formats.json_lines import looks_like_json_lines
    from transforms.readers.newsml import G2_NAMESPACE
    from transforms.readers.sgml import looks_like_sgml_collection

    if not head:
        return "empty"
    for name, test in (("zip", archives.is_zip), ("gzip", archives.is_gzip),
                       ("tar", archives.is_tar), ("binary", looks_binary)):
        if test(head):
            return name
    text = head.decode(sniff_encoding(head), errors="replace").lstrip("\ufeff \t\r\n")
    if text.startswith(("{", "[")):
        return "jsonl" if looks_like_json_lines(head) else "json"
    if looks_like_sgml_collection(text[:4096]):
        return "sgml-reuters"
    if text.startswith("<"):
        if G2_NAMESPACE in text:
            return "newsml-g2"
        return "html" if re.match(r"<(?:!doctype\s+html|html)\b", text, re.IGNORECASE) else "xml"
    return "wire-text"


NEW_FORMATS = {"nitf", "anpa-1312", "iptc-7901", "newsml-1", "ap-media-json"}
# What the old detection called each new format's files.
SUPERSEDED = {"nitf": {"xml"}, "newsml-1": {"xml"}, "ap-media-json": {"json"},
              "anpa-1312": {"wire-text", "binary"}, "iptc-7901": {"wire-text", "binary"}}
assert set(SUPERSEDED) == NEW_FORMATS


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([
    b"", b"PK\x03\x04", b"\x1f\x8b\x08", b"{", b"[", b'{"a": 1}\n{"b": 2}\n', b"<REUTERS",
    b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/">', b"<html>", b"<!DOCTYPE html>",
    b"<root>", b"ROME (AP) -- ", b"\x00\x01", b"\x01", b"\x01z6715 ", b"\x01eca062 4 i 211 ",
    b"<nitf>", b"<NewsML>", b'{"data": {"item": {"altids": {}}}}',
]).flatmap(lambda prefix: st.binary(max_size=300).map(lambda tail: prefix + tail)))
def test_registry_agrees_with_the_old_detection_outside_new_formats(head):
    chosen, old = sniff_format(head), _if_chain_sniff(head)
    # Where they differ, a new format took over from the catch-all that read it before.
    assert chosen == old or old in SUPERSEDED.get(chosen, ()), (chosen, old)


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.sampled_from([
    b"\x01z6715 r s BC-X 02-20 0500\r\n\x02", b"\x01eca062 4 i 211 ccccb dpa 061\r\n\x02",
    b"<nitf><body><body.content>", b'<NewsML Version="1.2"><NewsItem>',
    b'{"api_version": "2", "data": {"item": {"renditions": ',
]).flatmap(lambda prefix: st.binary(max_size=400).map(lambda tail: prefix + tail)))
def test_new_readers_never_raise(tmp_path, reference, content):
    path = tmp_path / "fuzz.bin"
    path.write_bytes(content)
    items = list(read_path(path, reference=reference))
    assert items and all(isinstance(i, ParsedDispatch | Rejection) for i in items)
    assert all(i.reason != "reader_error" for i in items if isinstance(i, Rejection)), items
