"""Hostile and awkward input, written into a folder at test time (nothing big is committed).

Each `Case` writes one file (or one folder) named after itself and says what must become of
it: how many dispatches it yields and which quarantine reasons, with counts. `write_cases`
writes them all; `BIG_CASES` (a 50 MB file, a million-line JSON Lines file) are kept apart
because they are slow and are also measured for memory.

Zip-slip and absolute-path members name targets under /tmp (see `ESCAPE_TARGETS`) so that a
test can check that nothing was ever written there.
"""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import tarfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

FILE_TIME = 1768899600.0  # 2026-01-20 09:00 UTC: plain wire text has no year in its dateline
ESCAPE_NAME = "wirehouse-hostile-escape"
ESCAPE_TARGETS = [Path("/tmp") / f"{ESCAPE_NAME}-{n}.txt" for n in ("zipslip", "abs", "link")]


def wire(place: str = "TOKYO", day: int = 14, credit: str = "Kyodo", body: str | None = None,
         headline: str = "Ministers meet in Tokyo") -> str:
    body = body or ("Foreign ministers from Japan and France met in Tokyo on Wednesday, officials "
                    "said. \"We agreed to work together,\" said Emmanuel Macron.")
    return f"{headline}\n{place}, Jan {day} ({credit}) -- {body}\n"


def ninjs(uri: str = "urn:wirehouse:test:1", body: str = "Officials met in Geneva on Monday.",
          **extra: object) -> dict:
    item = {"uri": uri, "type": "text", "versioncreated": "2026-01-12T10:00:00Z",
            "headline": "Talks in Geneva", "body_text": body, "language": "en"}
    item.update(extra)
    return item


G2_ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<newsItem xmlns="http://iptc.org/std/nar/2006-10-01/" guid="urn:wirehouse:g2:1" version="1"
  standard="NewsML-G2" standardversion="2.29">
 <itemMeta><itemClass qcode="ninat:text"/><provider literal="Reuters"/>
  <versionCreated>2026-01-13T08:00:00Z</versionCreated><pubStatus qcode="stat:usable"/></itemMeta>
 <contentMeta><headline>Summit ends</headline></contentMeta>
 <contentSet><inlineXML contenttype="application/nitf+xml">
  <nitf xmlns="http://iptc.org/std/NITF/2006-10-18/"><body><body.content>
   <p>Leaders from Germany and Brazil ended a summit in Berlin on Tuesday.</p>
  </body.content></body></nitf></inlineXML></contentSet>
</newsItem>
"""


@dataclass(frozen=True)
class Case:
    name: str
    what: str
    write: Callable[[Path], None]
    dispatches: int = 0
    quarantined: dict[str, int] = field(default_factory=dict)
    # Extra checks on the case's dispatch rows (dicts of the dispatches table).
    check: Callable[[list[dict]], None] | None = None
    # The same content as another case: not read again (ledger by content hash).
    duplicate_of: str | None = None

    @property
    def outcome(self) -> str:
        parts = []
        if self.duplicate_of:
            parts.append(f"skipped: same bytes as {self.duplicate_of}")
        if self.dispatches:
            parts.append(f"ingested: {self.dispatches} dispatch{'es' if self.dispatches > 1 else ''}")
        parts += [f"quarantined: {reason}" + (f" x{n}" if n > 1 else "")
                  for reason, n in sorted(self.quarantined.items())]
        return "; ".join(parts)


# --- writers -------------------------------------------------------------------------------


def _text(data: str | bytes, name: str) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / name).write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
    return write


def _zip(name: str, members: list[tuple[str, bytes]], *, mode: int | None = None,
         encrypted: bool = False) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        data = zip_bytes(members, mode=mode)
        if encrypted:
            data = _mark_encrypted(data)
        (folder / name).write_bytes(data)
    return write


def _mark_encrypted(data: bytes) -> bytes:
    """Set the 'encrypted' flag bit in every local and central header (zipfile clears it)."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        at = patched.find(signature)
        while at >= 0:
            patched[at + offset] |= 0x1
            at = patched.find(signature, at + 4)
    return bytes(patched)


def zip_bytes(members: list[tuple[str, bytes]], *, mode: int | None = None,
              compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression) as archive:
        for member, data in members:
            info = zipfile.ZipInfo(member, date_time=(2026, 1, 19, 8, 0, 0))
            info.compress_type = compression
            if mode is not None:
                info.external_attr = mode << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def tar_bytes(entries: list[tarfile.TarInfo | tuple[str, bytes]], gz: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz" if gz else "w", format=tarfile.PAX_FORMAT) as tar:
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                tar.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size, info.mtime = len(entry[1]), int(FILE_TIME)
                tar.addfile(info, io.BytesIO(entry[1]))
    return buffer.getvalue()


def _link(name: str, target: str, kind: bytes) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname, info.mtime = kind, target, int(FILE_TIME)
    return info


def _tar(name: str, entries: list, gz: bool = False) -> Callable[[Path], None]:
    def write(folder: Path) -> None:
        (folder / name).write_bytes(tar_bytes(entries, gz=gz))
    return write


def _write_gzip_bomb(folder: Path) -> None:
    # 400 MiB of zeros in ~400 KiB: past the 200:1 ratio limit as soon as 1 MiB is inflated.
    with gzip.open(folder / "gzip-bomb.txt.gz", "wb", compresslevel=9) as out:
        block = b"\0" * (1 << 20)
        for _ in range(400):
            out.write(block)


def _zip_bomb(name: str, mebibytes: int) -> Callable[[Path], None]:
    """A member of `mebibytes` MiB of one letter (~1000:1) beside an ordinary dispatch."""

    def write(folder: Path) -> None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
            info = zipfile.ZipInfo("bomb.txt", date_time=(2026, 1, 19, 8, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            with archive.open(info, "w", force_zip64=True) as member:
                block = b"A" * (1 << 20)
                for _ in range(mebibytes):
                    member.write(block)
            archive.writestr(zipfile.ZipInfo("ok.txt", date_time=(2026, 1, 19, 8, 0, 0)),
                             wire(place="SEOUL", credit="Yonhap", headline=f"Seoul item in {name}"))
        (folder / name).write_bytes(buffer.getvalue())

    return write


def _nested(depth: int) -> bytes:
    data = wire(place="NAIROBI", credit="AFP", headline=f"Nested {depth} deep").encode()
    for level in range(depth):
        data = zip_bytes([(f"level-{level}.{'zip' if level else 'txt'}", data)])
    return data


def _write_duplicate_versions(folder: Path) -> None:
    target = folder / "same-uri-two-bodies"
    target.mkdir()
    first = ninjs(uri="urn:wirehouse:story:7", body="First version: talks began in Geneva.")
    second = ninjs(uri="urn:wirehouse:story:7", body="Second version: talks ended in Geneva.",
                   versioncreated="2026-01-12T12:00:00Z", version="2")
    (target / "v1.json").write_text(json.dumps(first), encoding="utf-8")
    (target / "v2.json").write_text(json.dumps(second), encoding="utf-8")


def _write_exact_copy(folder: Path) -> None:
    (folder / "x-copy-of-plain-ok.txt").write_bytes((folder / "plain-ok.txt").read_bytes())


def _one_dispatch(check: Callable[[dict], None]) -> Callable[[list[dict]], None]:
    def run(rows: list[dict]) -> None:
        assert len(rows) == 1, rows
        check(rows[0])
    return run


def _body_has(*needles: str, absent: tuple[str, ...] = ()) -> Callable[[list[dict]], None]:
    def check(row: dict) -> None:
        for needle in needles:
            assert needle in row["body"], (needle, row["body"][:300])
        for needle in absent:
            assert needle not in row["body"], (needle, row["body"][:300])
    return _one_dispatch(check)


def _published(year: int) -> Callable[[list[dict]], None]:
    return _one_dispatch(lambda row: _equal(row["published_at"].year, year))


def _equal(got: object, expected: object) -> None:
    assert got == expected, (got, expected)


def _two_versions(rows: list[dict]) -> None:
    assert len(rows) == 2
    assert len({r["dispatch_id"] for r in rows}) == 1
    assert len({r["version_id"] for r in rows}) == 2


LONG_BODY_CHARS = 1_200_000


def _long_body() -> str:
    rng = random.Random(11)
    people = ["Emmanuel Macron", "Olaf Scholz", "Antonio Guterres", "Sanae Takaichi"]
    places = ["Paris", "Berlin", "Geneva", "Tokyo"]
    filler = ("the talks went on late into the night and the delegates said that more work was "
              "needed before any agreement could be reached on the remaining points. ")
    paragraphs, size = [], 0
    while size < LONG_BODY_CHARS:
        paragraph = (f"{rng.choice(people)} spoke in {rng.choice(places)} on Monday. "
                     + filler * 8).strip()
        paragraphs.append(paragraph)
        size += len(paragraph) + 2
    return "\n\n".join(paragraphs)


def _long_body_check(rows: list[dict]) -> None:
    assert len(rows) == 1 and len(rows[0]["body"]) > 1_000_000


# --- the corpus ------------------------------------------------------------------------------

_OK = wire()
_UTF16 = wire(place="PARIS", credit="AFP", headline="Paris item in UTF-16",
              body="Le président Emmanuel Macron a parlé à Paris, « nous avancerons ».")

CASES: list[Case] = [
    Case("plain-ok", "an ordinary wire dispatch (control)", _text(_OK, "plain-ok.txt"), 1),
    Case("empty", "a file of zero bytes", _text(b"", "empty.txt"), quarantined={"empty_file": 1}),
    Case("binary", "random bytes with NULs", _text(random.Random(1).randbytes(4096) + b"\0",
                                                    "binary.dat"), quarantined={"binary_file": 1}),
    Case("nul-in-text", "wire text with NUL bytes inside",
         _text(_OK.encode().replace(b"met", b"m\0et"), "nul-in-text.txt"),
         quarantined={"binary_file": 1}),
    Case("truncated-xml", "a NewsML-G2 item cut off half-way",
         _text(G2_ITEM[: len(G2_ITEM) // 2], "truncated.xml"), quarantined={"malformed_xml": 1}),
    Case("newsml-ok", "the same NewsML-G2 item whole (control)", _text(G2_ITEM, "newsml-ok.xml"), 1),
    Case("truncated-json", "a ninjs object cut off half-way",
         _text(json.dumps(ninjs())[:70], "truncated.json"), quarantined={"malformed_json": 1}),
    Case("deep-json", "JSON nested 200,000 arrays deep",
         _text("[" * 200_000 + "]" * 200_000, "deep.json"), quarantined={"malformed_json": 1}),
    Case("json-not-objects", "a JSON array of a number and a string, not objects",
         _text(json.dumps([42, "two"]), "scalar.json"), quarantined={"malformed_json": 2}),
    Case("invalid-utf8", "wire text in latin-1 (invalid UTF-8 bytes)",
         _text(wire(body="Les élèves ont défilé à Genève mardi, a dit la police.",
                    place="GENEVA", credit="AFP", headline="Geneva march").encode("latin-1"),
               "latin1.txt"), 1, check=_body_has("élèves", "Genève")),
    Case("invalid-utf8-line", "JSON Lines: a good line, an invalid UTF-8 line, a good line",
         _text(b"\n".join([
             json.dumps({"headline": "Line one", "body": "Ministers met in Oslo.",
                         "published_at": "2026-01-10T08:00:00Z"}).encode(),
             b'{"headline": "bad \xff\xfe bytes", "body": "x", "published_at": "2026-01-10"}',
             json.dumps({"headline": "Line three", "body": "Ministers met in Rome.",
                         "published_at": "2026-01-11T08:00:00Z"}).encode(),
         ]) + b"\n", "mixed.jsonl"), 2, quarantined={"undecodable_text": 1}),
    Case("utf16le-no-bom", "wire text in UTF-16-LE without a BOM",
         _text(_UTF16.encode("utf-16-le"), "utf16le.txt"), 1, check=_body_has("président", "« nous")),
    Case("utf16be-no-bom", "wire text in UTF-16-BE without a BOM",
         _text(_UTF16.replace("Paris item", "Paris item BE").encode("utf-16-be"), "utf16be.txt"), 1,
         check=_body_has("président")),
    Case("utf8-bom-crlf", "wire text with a UTF-8 BOM and CRLF line ends",
         _text(b"\xef\xbb\xbf" + wire(place="LIMA", credit="EFE", headline="Lima item")
               .replace("\n", "\r\n").encode(), "bom-crlf.txt"), 1,
         check=_body_has("Foreign ministers", absent=("\r", "\ufeff"))),
    Case("wire-control-chars", "SOH/STX/ETX transmission characters around a dispatch",
         _text("\x01ZCZC\x02" + wire(place="BERLIN", credit="dpa", headline="Berlin item")
               + "\x03", "control.txt"), 1, check=_body_has("Foreign ministers",
                                                           absent=("\x01", "\x02", "\x03"))),
    Case("no-dateline", "text with no recognisable dispatch",
         _text("shopping list: eggs, milk, bread\n", "notes.txt"), quarantined={"no_prose": 1}),
    Case("dateline-only", "a dateline and nothing after it",
         _text("TOKYO, Jan 14 (Kyodo) --\n", "dateline-only.txt"), quarantined={"no_body": 1}),
    Case("far-future", "ninjs dated in the year 9999",
         _text(json.dumps(ninjs(uri="urn:wirehouse:future", versioncreated="9999-12-31T23:00:00Z")),
               "future.json"), 1, check=_published(9999)),
    Case("far-past", "ninjs dated in the year 1066",
         _text(json.dumps(ninjs(uri="urn:wirehouse:past", versioncreated="1066-10-14T09:00:00Z")),
               "past.json"), 1, check=_published(1066)),
    Case("no-date", "ninjs with no date at all",
         _text(json.dumps({"uri": "urn:wirehouse:nodate", "type": "text", "headline": "Undated",
                           "body_text": "Officials met somewhere."}), "nodate.json"),
         quarantined={"no_date": 1}),
    Case("ninjs-html", "ninjs whose HTML body carries markup and a script",
         _text(json.dumps(ninjs(uri="urn:wirehouse:html", body_text=None, body_html=(
             "<p>Officials met in <b>Geneva</b> &amp; Bern.</p><script>alert('x')</script>"
             "<p>Talks <i>continue</i>.</p>"))), "html.json"), 1,
         check=_body_has("Officials met in Geneva & Bern.", "Talks continue.",
                         absent=("<", "alert"))),
    Case("ninjs-audio", "a ninjs audio item with no text body",
         _text(json.dumps({"uri": "urn:wirehouse:audio", "type": "audio",
                           "versioncreated": "2026-01-12T10:00:00Z", "headline": "Audio"}),
               "audio.json"), quarantined={"no_text_body": 1}),
    Case("same-uri-two-bodies", "two ninjs files, same uri, different bodies: two versions",
         _write_duplicate_versions, 2, check=_two_versions),
    Case("exact-copy", "the same bytes as plain-ok under another name", _write_exact_copy,
         duplicate_of="plain-ok"),
    Case("long-body", f"a dispatch body of {LONG_BODY_CHARS:,} characters, over spaCy's max_length",
         _text(wire(place="PARIS", credit="AFP", headline="A very long dispatch", body=_long_body()),
               "long-body.txt"), 1, check=_long_body_check),
    Case("xml-entities", "NewsML-G2 with a DOCTYPE defining entities (billion laughs)",
         _text(G2_ITEM.replace('<?xml version="1.0" encoding="UTF-8"?>',
                               '<?xml version="1.0"?>\n<!DOCTYPE newsItem [<!ENTITY a "aaaaaaaaaa">'
                               '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>')
               .replace("Summit ends", "&b;"), "laughs.xml"), quarantined={"unsafe_xml": 1}),
    Case("xml-unknown", "XML in no namespace we read", _text("<?xml version='1.0'?><rss><item/></rss>",
                                                            "feed.xml"),
         quarantined={"unknown_format": 1}),
    Case("zip-slip", "zip with a '../../' member next to a good one",
         _zip("zip-slip.zip", [(f"../../tmp/{ESCAPE_TARGETS[0].name}", _OK.encode()),
                               ("good/item.txt", wire(place="OSLO", credit="NTB",
                                                      headline="Oslo item").encode())]),
         1, quarantined={"archive_member_unsafe": 1}),
    Case("zip-absolute", "zip with an absolute member path",
         _zip("zip-absolute.zip", [(str(ESCAPE_TARGETS[1]), _OK.encode())]),
         quarantined={"archive_member_unsafe": 1}),
    Case("zip-symlink", "zip whose member is a symlink",
         _zip("zip-symlink.zip", [("link", str(ESCAPE_TARGETS[2]).encode())], mode=0o120777),
         quarantined={"archive_member_unsafe": 1}),
    Case("zip-encrypted", "zip with an encrypted member",
         _zip("zip-encrypted.zip", [("secret.txt", _OK.encode())], encrypted=True),
         quarantined={"archive_member_encrypted": 1}),
    Case("tar-escapes", "tar with '../' and absolute members, a symlink, a hard link, a device and "
                        "one good member",
         _tar("escapes.tar", [
             (f"../../{ESCAPE_TARGETS[0].name}", _OK.encode()),
             (str(ESCAPE_TARGETS[1]), _OK.encode()),
             _link("sym", str(ESCAPE_TARGETS[2]), tarfile.SYMTYPE),
             _link("hard", "/etc/passwd", tarfile.LNKTYPE),
             _link("fifo", "", tarfile.FIFOTYPE),
             ("good.txt", wire(place="SEOUL", credit="Yonhap", headline="Seoul tar item").encode()),
         ]), 1, quarantined={"archive_member_unsafe": 5}),
    Case("tgz-ok", "a tar.gz of two dispatches (control)",
         _tar("bundle.tgz", [
             ("a.txt", wire(place="ROME", credit="ANSA", headline="Rome item").encode()),
             ("b.txt", wire(place="MADRID", credit="EFE", headline="Madrid item").encode()),
         ], gz=True), 2),
    Case("zip-bomb-ratio", "zip member of 60 MiB from ~60 KiB: under the 64 MiB item limit, over the "
                           "200:1 ratio limit; beside a good member",
         _zip_bomb("zip-bomb-ratio.zip", 60), 1, quarantined={"archive_too_large": 1}),
    Case("zip-bomb-size", "zip member declaring 300 MiB: over the 64 MiB item limit; beside a good "
                          "member", _zip_bomb("zip-bomb-size.zip", 300), 1, quarantined={"too_large": 1}),
    Case("gzip-bomb", "gzip of 400 MiB of zeros", _write_gzip_bomb,
         quarantined={"archive_too_large": 1}),
    Case("nested-3", "a dispatch inside zip inside zip inside zip (3 levels, the limit)",
         _text(_nested(3), "nested-3.zip"), 1),
    Case("nested-4", "a dispatch inside four nested zips, past the limit",
         _text(_nested(4), "nested-4.zip"), quarantined={"archive_nesting_too_deep": 1}),
    Case("truncated-gzip", "a gzip cut off half-way",
         _text(gzip.compress(_OK.encode() * 50, mtime=0)[:200], "truncated.txt.gz"),
         quarantined={"corrupt_archive": 1}),
    Case("corrupt-zip", "a zip signature followed by garbage",
         _text(b"PK\x03\x04" + random.Random(2).randbytes(2000), "corrupt.zip"),
         quarantined={"corrupt_archive": 1}),
]


def _write_50mb(folder: Path) -> None:
    # One 50 MB JSON document: an array of ninjs items, 50 distinct stories repeated.
    with open(folder / "big-50mb.json", "w", encoding="utf-8") as out:
        out.write("[")
        written, number = 1, 0
        while written < 50_000_000:
            story = number % 50
            item = ninjs(uri=f"urn:wirehouse:big:{story}", headline=f"Big story {story}",
                         body=f"Officials met in Geneva about item {story}. " * 20)
            text = ("," if number else "") + json.dumps(item)
            out.write(text)
            written += len(text)
            number += 1
        out.write("]")


MILLION = 1_000_000


def _write_million_lines(folder: Path) -> None:
    # A million lines: 1,000 distinct records, each repeated, and every 100,000th line broken.
    with open(folder / "million.jsonl", "w", encoding="utf-8") as out:
        for number in range(MILLION):
            if number % 100_000 == 99_999:
                out.write('{"headline": "broken\n')
                continue
            i = number % 1000
            out.write(json.dumps({"headline": f"Item {i}", "body": f"Ministers met in Oslo, item {i}.",
                                  "published_at": f"2026-01-{1 + i % 28:02d}T08:00:00Z"}) + "\n")


BIG_CASES: list[Case] = [
    Case("big-50mb", "one 50 MB JSON document: ninjs items, 50 stories repeated", _write_50mb, 50),
    Case("million-lines", "JSON Lines, 1,000,000 lines: 1,000 distinct records repeated, 10 broken",
         _write_million_lines, 1000, quarantined={"malformed_json": 10}),
]


def write_cases(folder: Path, cases: list[Case]) -> dict[str, str]:
    """Write the cases into folder; returns each top-level entry written -> its case's name."""
    folder.mkdir(parents=True, exist_ok=True)
    owner: dict[str, str] = {}
    for case in cases:
        before = set(os.listdir(folder))
        case.write(folder)
        created = set(os.listdir(folder)) - before
        assert created, f"case {case.name} wrote nothing"
        owner.update(dict.fromkeys(created, case.name))
    for path in folder.rglob("*"):
        os.utime(path, (FILE_TIME, FILE_TIME))
    return owner


def case_of(uri: str, folder: Path, owner: dict[str, str]) -> str | None:
    """The case a source_uri belongs to (file, archive!member, file#line or folder/file)."""
    base = uri.split("!", 1)[0].split("#", 1)[0]
    relative = os.path.relpath(base, folder)
    return owner.get(relative.split(os.sep, 1)[0])
