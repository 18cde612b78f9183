"""Format readers on the shared IPTC samples and on our own small fixtures."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
import zipfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from seeds import default_seeds_dir
from transforms.readers import ReaderLimits, read_path, sniff_format
from transforms.readers.html_text import html_to_text
from transforms.records import ParsedDispatch, Rejection
from transforms.reference import Reference, load_reference

PROJECT_ROOT = Path(__file__).resolve().parents[1]
SAMPLES = PROJECT_ROOT.parent / "shared" / "samples"
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "formats"
GROSSETO_HEADLINE = "Captain of wrecked cruise ship on trial in Italy"


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference(default_seeds_dir())


def sample(relative: str) -> Path:
    path = SAMPLES / relative
    if not path.exists():
        pytest.fail(f"shared sample missing: {path} (../shared must sit beside the project)")
    return path


def read_all(path: Path, reference: Reference, **kwargs: object) -> list:
    return list(read_path(path, reference=reference, **kwargs))


def only_dispatch(path: Path, reference: Reference) -> ParsedDispatch:
    items = read_all(path, reference)
    assert len(items) == 1, items
    assert isinstance(items[0], ParsedDispatch), items[0]
    return items[0]


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# --- shared IPTC samples -------------------------------------------------------------------

GROSSETO_VERSIONS = [
    "ninjs/1.4_ninjsExComplex1.json",
    "ninjs/1.4_ninjsExMediumText1.json",
    "ninjs/3.0_ninjsExSimpleText_3.json",
]


@pytest.mark.parametrize("relative", GROSSETO_VERSIONS)
def test_ap_grosseto_item_reads_the_same_in_each_ninjs_version(relative, reference):
    dispatch = only_dispatch(sample(relative), reference)
    assert dispatch.source_format == "ninjs"
    assert dispatch.headline == GROSSETO_HEADLINE
    # The body's own dateline wins over `located` ("Grossetto" in the 1.4 samples).
    assert (dispatch.dateline_place, dispatch.dateline_country) == ("Grosseto", "IT")
    assert dispatch.agency == "Associated Press"
    assert dispatch.published_at == utc(2013, 7, 9, 10, 37)
    assert dispatch.byline == "Paulo Santalucia and Frances d'Emilio"
    assert dispatch.body.startswith("The trial of the captain")
    assert dispatch.body.endswith("Schettino has denied wrongdoing.")
    assert dispatch.story_key.startswith("http://ninjs.example.com/newsitems/20130709")
    assert dispatch.pub_status == "usable" and dispatch.signal is None


def test_ninjs_3_nitf_sample_prefers_plain_body_and_uses_located(reference):
    path = sample(
        "ninjs/3.0_20231008-anti-doping-measures-at-the-tour-down-under-will-be-the-toughest-"
        "ever-addb-ninjs-nitf.json"
    )
    dispatch = only_dispatch(path, reference)
    assert dispatch.headline == (
        "Anti-doping measures at the 'Tour Down Under' will be the toughest ever"
    )
    assert dispatch.body.startswith("The initiatives are being implemented in close partnership")
    assert "\r" not in dispatch.body
    assert (dispatch.dateline_place, dispatch.dateline_country) == ("Oslo", "NO")
    assert dispatch.published_at == utc(2023, 10, 8, 0, 34, 3)
    assert dispatch.story_version == 2
    assert dispatch.byline == "Trond Husø, The Anti-Doping Database"
    assert dispatch.agency is None


def test_ninjs_3_dpa_html_body_becomes_paragraphs(reference):
    dispatch = only_dispatch(sample("ninjs/3.0_dpa_text.json"), reference)
    assert dispatch.headline == "Faktencheck Derby-Elfmeter: Hat Schiedsrichter Zwayer recht?"
    assert dispatch.agency == "dpa"
    assert dispatch.language == "de"
    assert dispatch.published_at == utc(2019, 5, 10, 14, 2, 28)
    assert dispatch.body.startswith("Für Lucien Favre war es «der größte Skandal")
    assert dispatch.body.count("\n\n") == 8
    assert "<p>" not in dispatch.body
    assert dispatch.dateline_place is None


def test_ninjs_3_tt_and_businesswire(reference):
    tt = only_dispatch(sample("ninjs/3.0_tt_text_image_3.json"), reference)
    assert tt.headline == "Militärövning i jätteformat hålls 2023"
    assert tt.agency == "TT"
    assert tt.published_at == utc(2021, 5, 26, 11, 40, 18)
    assert tt.body.startswith("Militärövning i jätteformat hålls 2023\nFörsvar TT\nPandemin")
    bw = only_dispatch(sample("ninjs/3.0_businesswire-newsml-20130731006140.json"), reference)
    assert bw.headline.startswith("Lunch Taking a Toll? Let Applebee’s®")
    assert bw.body.startswith("With more Applebee’s® Lunch Combos than ever")
    assert bw.published_at == utc(2013, 7, 31, 15, 32)


def test_ninjs_ntb_text_comes_from_its_text_description(reference):
    ntb = only_dispatch(sample("ninjs/3.0_ntb_text.json"), reference)
    assert ntb.headline == "Google har kjøpt giganttomt i Skien"
    assert ntb.body.startswith("IT-giganten Google har kjøpt en tomt på nærmere 2.000 mål i Skien")
    assert ntb.language == "nb-NO"
    assert ntb.published_at == utc(2019, 8, 9, 9, 46, 53)
    assert "headline_only" not in ntb.parse_warnings


def test_ninjs_text_item_with_only_a_headline_is_a_flash(tmp_path, reference):
    path = tmp_path / "flash.json"
    path.write_text(json.dumps({"uri": "urn:x:flash", "type": "text", "language": "en",
                                "versioncreated": "2026-01-05T03:00:00Z",
                                "headline": "Earthquake hits northern Japan"}))
    flash = only_dispatch(path, reference)
    assert (flash.body, flash.headline) == ("", "Earthquake hits northern Japan")
    assert flash.parse_warnings == ("no_dateline", "headline_only")


@pytest.mark.parametrize("relative", ["ninjs/3.0_ap_audio.json", "ninjs/3.0_ap_video.json"])
def test_ninjs_without_text_body_is_rejected(relative, reference):
    (item,) = read_all(sample(relative), reference)
    assert isinstance(item, Rejection)
    assert item.reason == "no_text_body"
    assert item.raw_sha256 is not None


def test_newsml_g2_text_document(reference):
    dispatch = only_dispatch(sample("newsml-g2/LISTING_2_NewsML-G2_Text_Document.xml"), reference)
    assert dispatch.source_format == "newsml-g2"
    assert dispatch.headline == 'Fed to halt QE to avert "bubble"'
    assert dispatch.byline == "By Meredith Jameson, Staff Reporter"
    assert dispatch.agency == "Associated Press"  # infoSource
    assert (dispatch.dateline_place, dispatch.dateline_country) == ("New York", "US")
    assert dispatch.published_at == utc(2018, 11, 21, 21, 25, 32)
    assert dispatch.story_key == "urn:newsml:acmenews.com:20161121:US-FINANCE-FED"
    assert dispatch.story_version == 11
    assert dispatch.language == "en-US"
    assert dispatch.copyright == "Copyright 2017-18 Acme News and Media LLC"
    assert dispatch.body.startswith("Et, sent luptat luptat")
    assert dispatch.body.count("\n\n") == 1


def test_newsml_g2_nitf_sports_story(reference):
    path = sample("newsml-g2/LISTING_22_Sports_story_in_NewsML-G2NITF.xml")
    dispatch = only_dispatch(path, reference)
    assert dispatch.headline == (
        "Preview: Arizona Diamondbacks (29-23) at Philadelphia Phillies (26-24), 7:05 p.m."
    )
    assert (dispatch.dateline_place, dispatch.dateline_country) == ("Philadelphia", "US")
    assert dispatch.published_at == utc(2018, 10, 19, 15, 45)
    assert dispatch.byline == "Sports Network"
    assert dispatch.body.startswith("(Sports Network) - A pair of teams coming off")
    assert dispatch.body.count("\n\n") == 5


@pytest.mark.parametrize(
    ("relative", "reasons"),
    [
        ("newsml-g2/LISTING_1_A_NewsML-G2_News_Item.xml", ["no_text_body"]),
        ("newsml-g2/ap_metadata_example.xml", ["no_text_body"]),
        ("newsml-g2/LISTING_6_Simple_NewsML-G2_Package.xml", ["no_text_body"]),
        (
            "newsml-g2/LISTING_24_News_Message_conveying_a_complete_News_Package.xml",
            ["no_text_body"] * 4,
        ),
        ("newsml-g2/LISTING_25_An_NITF_marked-up_article_conveyed_in_inlineXML.xml",
         ["unknown_format"]),
        ("newsml-g2/LISTING_28_Illustrating_Located_Subject_and_Dateline.xml",
         ["unknown_format"]),
    ],
)
def test_newsml_samples_without_text_are_rejected(relative, reasons, reference):
    items = read_all(sample(relative), reference)
    assert [getattr(item, "reason", None) for item in items] == reasons


def test_news_message_items_are_addressed_by_guid(reference):
    path = sample("newsml-g2/LISTING_24_News_Message_conveying_a_complete_News_Package.xml")
    uris = [item.source_uri for item in read_all(path, reference)]
    assert uris == [f"{path}#N{n}" for n in range(1, 5)]


# --- our fixtures ----------------------------------------------------------------------------


def test_ninjs_1x_fixture(reference):
    dispatch = only_dispatch(FIXTURES / "ninjs_v1.json", reference)
    assert dispatch.headline == "Nairobi opens new water reservoir ahead of dry season"
    assert dispatch.agency == "Reuters"
    assert (dispatch.dateline_place, dispatch.dateline_country) == ("Nairobi", "KE")
    assert dispatch.published_at == utc(2024, 3, 5, 5, 15)
    assert dispatch.story_version == 2
    assert dispatch.signal == "update"
    assert dispatch.copyright == "Copyright 2024 Example Wire Services"


def test_ninjs_2x_fixture(reference):
    dispatch = only_dispatch(FIXTURES / "ninjs_v2.json", reference)
    assert dispatch.headline == "Le musée des tissus de Lyon rouvre ses portes"  # role main
    assert dispatch.body == (
        "Le musée des tissus a rouvert mercredi après trois ans de travaux.\n\n"
        "Les visiteurs pourront voir & toucher des soieries anciennes."
    )
    assert dispatch.agency == "Agence France-Presse"
    assert (dispatch.dateline_place, dispatch.dateline_country) == ("Lyon", "FR")
    assert dispatch.pub_status == "withheld"
    assert dispatch.embargo_until == utc(2024, 4, 11, 6)
    assert dispatch.byline == "Claire Dubois"


def test_ninjs_3x_fixture(reference):
    dispatch = only_dispatch(FIXTURES / "ninjs_v3.json", reference)
    assert dispatch.body.startswith("Commuter trains")
    assert "\r" not in dispatch.body and "ignored" not in dispatch.body
    assert dispatch.agency == "Kyodo News"
    assert (dispatch.dateline_place, dispatch.dateline_country) == ("Tokyo", "JP")
    assert dispatch.published_at == utc(2024, 3, 4, 0, 5)
    assert dispatch.signal == "correction"
    assert dispatch.story_version == 3


def test_newsml_item_with_nitf_fixture(reference):
    dispatch = only_dispatch(FIXTURES / "newsml_item_nitf.xml", reference)
    assert dispatch.headline == "Berlin baut zehn neue Radwege"  # contentMeta beats hl1
    assert dispatch.byline == "Von Jonas Keller"
    assert dispatch.body == (
        "Der Senat will bis zum Herbst zehn neue Radwege fertigstellen & alte sanieren.\n\n"
        "Die Kosten liegen bei 12 Millionen Euro."
    )
    assert dispatch.agency == "dpa"
    assert (dispatch.dateline_place, dispatch.dateline_country) == ("Berlin", "DE")
    assert dispatch.published_at == utc(2024, 5, 2, 8, 20)
    assert dispatch.embargo_until == utc(2024, 5, 2, 12)
    assert dispatch.signal == "correction"
    assert (dispatch.story_key, dispatch.story_version) == ("urn:example:wirehouse:g2:berlin-bikes", 4)
    assert dispatch.language == "de"


def test_newsml_message_fixture_yields_each_item(reference):
    path = FIXTURES / "newsml_message.xml"
    ferry, quake = read_all(path, reference)
    assert ferry.source_uri == f"{path}#urn:example:wirehouse:g2:oslo-ferry"
    assert ferry.body == (
        "The city's first electric ferry carried 200 passengers.\n\nMore ferries follow next year."
    )
    assert (ferry.agency, ferry.dateline_place, ferry.dateline_country) == ("NTB", "Oslo", "NO")
    assert quake.agency == "Kyodo News"
    assert (quake.pub_status, quake.signal) == ("canceled", "kill")
    assert ferry.raw_sha256 != quake.raw_sha256
    raw = path.read_bytes()
    start = raw.index(b'<newsItem guid="urn:example:wirehouse:g2:tokyo-quake"')
    end = raw.index(b"</newsItem>", start) + len(b"</newsItem>")
    # Each item of a message is hashed over its own bytes, not the whole message.
    assert quake.raw_sha256 == hashlib.sha256(raw[start:end]).hexdigest()


def test_jsonl_fixture_reads_each_line(reference):
    path = FIXTURES / "records.jsonl"
    items = read_all(path, reference)
    assert [item.source_uri for item in items] == [f"{path}#L{n}" for n in (1, 2, 3)]
    assert all(item.source_format == "jsonl" for item in items)
    flat, ninjs, credited = items
    assert (flat.agency, flat.dateline_place, flat.dateline_country) == ("Reuters", "Salvador", "BR")
    assert flat.published_at == utc(2024, 2, 26, 15, 1)
    assert flat.byline == "Maria Souza"
    assert ninjs.story_key == "urn:example:wirehouse:jsonl:berlin-zoo"
    assert (ninjs.agency, ninjs.dateline_place) == ("dpa", "Berlin")
    assert (credited.agency, credited.dateline_place) == ("Kyodo News", "Tokyo")


def test_jsonl_bad_line_rejects_only_that_line(tmp_path, reference):
    good = (FIXTURES / "records.jsonl").read_bytes().splitlines()
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join([good[0], b"{not json", b"[1, 2]", b"", good[2]]) + b"\n")
    items = read_all(path, reference)
    assert [getattr(item, "reason", "ok") for item in items] == [
        "ok", "malformed_json", "malformed_json", "ok"
    ]
    assert items[1].source_uri == f"{path}#L2"
    assert items[3].source_uri == f"{path}#L5"


def test_jsonl_line_over_the_item_limit_is_skipped(tmp_path, reference):
    good = (FIXTURES / "records.jsonl").read_bytes().splitlines()
    path = tmp_path / "long.jsonl"
    long_line = b'{"headline": "x", "body": "' + b"y" * 5000 + b'"}'
    path.write_bytes(b"\n".join([good[0], long_line, good[2]]) + b"\n")
    items = read_all(path, reference, limits=ReaderLimits(max_item_bytes=4096))
    assert [getattr(item, "reason", "ok") for item in items] == ["ok", "too_large", "ok"]


def test_reuters_sgml_fixture(reference):
    path = FIXTURES / "reuters.sgm"
    first, second, third = read_all(path, reference)
    assert [d.source_uri for d in (first, second, third)] == [f"{path}#{n}" for n in (1, 2, 3)]
    assert first.source_format == "sgml-reuters"
    assert first.headline == "BAHIA COCOA REVIEW SHOWS <STEADY> CROP"
    assert first.body == (
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the "
        "drought since early January.\n\nGrowers said the crop & prices were steady."
    )
    assert (first.agency, first.dateline_place, first.dateline_country) == (
        "Reuters", "Salvador", "BR"
    )
    assert first.published_at == utc(2024, 2, 26, 15, 1, 1, 790000)
    assert first.story_key == "reuters-21578:1"
    assert first.dateline_date == date(2024, 2, 26)
    # The dateline says Feb 26 while DATE is Feb 27: published_at is the item's own time, the
    # dateline's local day is kept apart.
    assert second.published_at == utc(2024, 2, 27, 9, 12)
    assert second.dateline_date == date(2024, 2, 26)
    assert third.published_at == utc(2024, 2, 27, 11, 30)
    assert first.parse_warnings == ()
    assert not any("Reuter" in d.body or "\x03" in d.body for d in (first, second, third))


def test_json_array_of_ninjs(tmp_path, reference):
    objects = [json.loads((FIXTURES / name).read_text()) for name in ("ninjs_v1.json",
                                                                       "ninjs_v3.json")]
    path = tmp_path / "batch.json"
    path.write_text(json.dumps([*objects, 7]))
    items = read_all(path, reference)
    assert [item.source_uri for item in items] == [f"{path}#{n}" for n in (1, 2, 3)]
    assert [getattr(item, "reason", "ok") for item in items] == ["ok", "ok", "malformed_json"]


def test_format_is_sniffed_from_bytes_not_extension(tmp_path, reference):
    path = tmp_path / "misnamed.txt"
    path.write_bytes((FIXTURES / "newsml_item_nitf.xml").read_bytes())
    assert only_dispatch(path, reference).source_format == "newsml-g2"


@pytest.mark.parametrize(
    ("content", "reason"),
    [
        (b"", "empty_file"),
        (b'{"uri": "x", "headline": ', "malformed_json"),
        (b'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/"><unclosed>', "malformed_xml"),
        (b"<root><child/></root>", "unknown_format"),
        (b"\x00\x01\x02\x03binary\xff\xfe\x00\x00" * 20, "binary_file"),
        (b"just some words without any dateline at all\n", "no_prose"),
    ],
)
def test_bad_inputs_become_rejections(tmp_path, content, reason, reference):
    path = tmp_path / "input.dat"
    path.write_bytes(content)
    (item,) = read_all(path, reference)
    assert isinstance(item, Rejection)
    assert item.reason == reason
    assert item.source_uri == str(path)


def test_billion_laughs_is_refused_before_expansion(tmp_path, reference):
    entities = "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10)
    )
    document = (
        '<?xml version="1.0"?><!DOCTYPE newsItem [<!ENTITY lol0 "lol">' + entities + "]>"
        '<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="x">&lol9;</newsItem>'
    )
    path = tmp_path / "laughs.xml"
    path.write_text(document)
    (item,) = read_all(path, reference)
    assert (item.reason, item.source_uri) == ("unsafe_xml", str(path))


def test_an_internal_dtd_subset_without_entities_is_refused(tmp_path, reference):
    # An ATTLIST default alone can change what a document says: here it would mark an AP
    # story canceled (hidden) without the word appearing in the element.
    document = (FIXTURES / "nitf_ap_3x.xml").read_text(encoding="utf-8").replace(
        '<?xml version="1.0" encoding="UTF-8"?>\n',
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<!DOCTYPE nitf [<!ATTLIST docdata management-status CDATA "canceled">]>\n', 1,
    ).replace(' management-status="usable"', "", 1)
    assert "<!ATTLIST" in document and "<!ENTITY" not in document
    path = tmp_path / "attlist.xml"
    path.write_text(document, encoding="utf-8")
    (item,) = read_all(path, reference)
    assert isinstance(item, Rejection)
    assert (item.reason, item.source_uri) == ("unsafe_xml", str(path))


def test_source_uri_override(reference):
    dispatch = next(read_path(FIXTURES / "ninjs_v1.json", reference=reference,
                              source_uri="batch-7/ninjs_v1.json"))
    assert dispatch.source_uri == "batch-7/ninjs_v1.json"


def test_sniff_format_names():
    assert sniff_format(b"PK\x03\x04rest") == "zip"
    assert sniff_format(b"\x1f\x8b\x08") == "gzip"
    assert sniff_format(b'{"a": 1}\n{"b": 2}\n') == "jsonl"
    assert sniff_format(b'{\n  "a": 1\n}\n') == "json"
    assert sniff_format(b'<!DOCTYPE lewis SYSTEM "lewis.dtd">\n<REUTERS NEWID="1">') == (
        "sgml-reuters"
    )
    assert sniff_format(b"ROME (AP) -- Text") == "wire-text"


def test_html_to_text_paragraphs_entities_and_scripts():
    markup = (
        "<html><head><title>T</title><style>p {}</style></head><body><h1>Head</h1>"
        "<p>One &amp; <b>two</b>\n   three</p><script>alert(1)</script><p>a<br/>b</p></body></html>"
    )
    assert html_to_text(markup) == "Head\n\nOne & two three\n\na\nb"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=st.one_of(
    st.binary(max_size=2048),
    st.sampled_from([b"PK\x03\x04", b"\x1f\x8b\x08\x00", b"{", b"[", b"<REUTERS", b"<newsItem"])
    .flatmap(lambda prefix: st.binary(max_size=1024).map(lambda tail: prefix + tail)),
))
def test_read_path_never_raises_on_arbitrary_bytes(tmp_path, content, reference):
    path = tmp_path / "fuzz.bin"
    path.write_bytes(content)
    items = list(read_path(path, reference=reference))
    assert all(isinstance(item, ParsedDispatch | Rejection) for item in items)
    assert all(item.source_uri.startswith(str(path)) for item in items)


# Valid-looking documents of every format with arbitrary text in their fields: each may be
# read or refused for what it says, but a `reader_error` (the catch-all for a reader bug) or an
# exception fails the test.
_WORDS = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)
_SENTENCE = st.builds(lambda a, b: f"Officials said {a} on Monday, {b}.", _WORDS, _WORDS)


def _xml(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _ninjs(headline: str, body: str, n: int) -> bytes:
    return json.dumps({"uri": f"urn:test:{n}", "version": n % 4 + 1,
                       "versioncreated": "2026-01-05T03:00:00Z", "headline": headline,
                       "body_text": body, "pubstatus": ["usable", "withheld", "canceled"][n % 3]},
                      ensure_ascii=n % 2 == 0).encode()


def _jsonl(headline: str, body: str, n: int) -> bytes:
    record = {"headline": headline, "body": body, "agency": "AFP", "dateline": "PARIS",
              "published_at": "2026-01-05T09:00:00Z"}
    return (json.dumps(record) + "\n" + json.dumps({**record, "headline": f"{headline} {n}"})
            + "\n").encode()


def _newsml(headline: str, body: str, n: int) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:test:{n}" version="2">'
        '<itemMeta><itemClass qcode="ninat:text"/><versionCreated>2026-01-05T03:00:00Z'
        '</versionCreated><pubStatus qcode="stat:usable"/></itemMeta>'
        f"<contentMeta><headline>{_xml(headline)}</headline></contentMeta>"
        '<contentSet><inlineXML contenttype="application/nitf+xml">'
        '<nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><body><body.content>'
        f"<p>{_xml(body)}</p></body.content></body></nitf></inlineXML></contentSet></newsItem>"
    ).encode()


def _sgml(headline: str, body: str, n: int) -> bytes:
    return (
        f'<REUTERS NEWID="{n}"><DATE>26-FEB-1987 15:01:01.79</DATE><TEXT>'
        f"<TITLE>{_xml(headline)}</TITLE><DATELINE> SALVADOR, Feb 26 - </DATELINE>"
        f"<BODY>{_xml(body)}\n Reuter\n&#3;</BODY></TEXT></REUTERS>\n"
    ).encode("latin-1", errors="replace")


def _wire(headline: str, body: str, n: int) -> bytes:
    return f"{headline}\n\nLONDON, Jan 5 (Reuters) - {body}\n\n(Reporting by Desk Staff)\n".encode()


_MAKERS = {"ninjs": _ninjs, "jsonl": _jsonl, "newsml-g2": _newsml, "sgml-reuters": _sgml,
           "wire-text": _wire}


@settings(max_examples=120, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(kind=st.sampled_from(sorted(_MAKERS)), headline=_WORDS, body=_SENTENCE,
       n=st.integers(1, 99), wrap=st.sampled_from(["none", "zip", "tar.gz"]))
def test_valid_looking_input_never_reaches_the_reader_bug_catch_all(
        tmp_path, reference, kind, headline, body, n, wrap):
    data = _MAKERS[kind](headline, body, n)
    path = tmp_path / "valid.bin"
    if wrap == "zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("item", data)
        data = buffer.getvalue()
    elif wrap == "tar.gz":
        buffer = io.BytesIO()
        with tarfile.open(fileobj=buffer, mode="w:gz") as archive:
            info = tarfile.TarInfo("item")
            info.size, info.mtime = len(data), 1767600000
            archive.addfile(info, io.BytesIO(data))
        data = buffer.getvalue()
    path.write_bytes(data)
    items = read_all(path, reference)
    errors = [item for item in items if isinstance(item, Rejection) and item.reason == "reader_error"]
    assert not errors, errors
    dispatches = [item for item in items if isinstance(item, ParsedDispatch)]
    assert dispatches, [getattr(item, "reason", None) for item in items]
    assert {d.source_format for d in dispatches} == {"jsonl" if kind == "jsonl" else kind}


_SGML_FLASH = b"""<REUTERS NEWID="7">
<DATE>26-FEB-1987 15:52:15.00</DATE>
<TEXT TYPE="BRIEF">&#2;
******<TITLE>NEW ZEALAND CENTRAL BANK CUTS DISCOUNT RATE</TITLE>
&#3;</TEXT>
</REUTERS>
<REUTERS NEWID="8">
<DATE>26-FEB-1987 15:52:15.00</DATE>
<TEXT>&#2;
<TITLE>N.Z. DISCOUNT RATE CUT TO 20 PCT</TITLE>
<DATELINE>    WELLINGTON, Feb 27 - </DATELINE><BODY>The Reserve Bank of New Zealand cut its
discount rate to 20 pct from 22 pct, a spokesman said.
 Reuter
&#3;</BODY></TEXT>
</REUTERS>
<REUTERS NEWID="9">
<DATE>26-FEB-1987 15:53:00.00</DATE>
<TEXT>&#2;
&#3;</TEXT>
</REUTERS>
"""


def test_sgml_title_only_record_is_a_headline_only_dispatch(tmp_path, reference):
    path = tmp_path / "flash.sgm"
    path.write_bytes(_SGML_FLASH)
    flash, story, empty = read_all(path, reference)
    assert flash.body == "" and flash.headline == "NEW ZEALAND CENTRAL BANK CUTS DISCOUNT RATE"
    assert flash.parse_warnings == ("no_dateline", "headline_only")
    assert flash.published_at == utc(1987, 2, 26, 15, 52, 15)
    # WELLINGTON, Feb 27 on an item filed 26-FEB-1987 15:52: the time is the item's, the
    # dateline's local day is Feb 27.
    assert story.published_at == utc(1987, 2, 26, 15, 52, 15)
    assert story.dateline_date == date(1987, 2, 27)
    assert (story.dateline_place, story.dateline_country) == ("Wellington", "NZ")
    assert empty.reason == "no_text_body"


def test_sgml_zone_less_date_is_read_in_the_configured_zone(tmp_path, reference):
    import dataclasses
    from types import MappingProxyType

    path = tmp_path / "flash.sgm"
    path.write_bytes(_SGML_FLASH)
    eastern = dataclasses.replace(
        reference, source_timezones=MappingProxyType({"sgml-reuters": "America/New_York"}))
    flash = read_all(path, eastern)[0]
    assert flash.published_at == utc(1987, 2, 26, 20, 52, 15)  # 15:52 EST is 20:52 UTC
