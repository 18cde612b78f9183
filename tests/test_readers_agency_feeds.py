"""Issue 24's fixture corpus: one or more fixtures per failure class (Ritzau RBNews, ninjs API
envelopes, NewsML 1.x carrying NITF, ANPA digests, headlines, timestamps as places, agency
sources, content hygiene), checked field by field against `expected.json`.

Each fixture is a test. The ones the readers do not yet get right are listed in `NOT_YET`
with the status they have now (`refused` or `wrong`); they run as strict xfails, so a fixture
that starts passing fails the suite until it is taken off the list. `test_corpus_counts`
prints and pins the corpus totals.
"""

from __future__ import annotations

import json
import os
import shutil
from datetime import datetime
from pathlib import Path

import pytest

from seeds import default_seeds_dir
from transforms.languages import with_language
from transforms.readers import read_path
from transforms.records import ParsedDispatch
from transforms.reference import Reference, load_reference

CORPUS = Path(__file__).resolve().parent / "fixtures" / "agency_feeds"
EXPECTED: dict[str, dict] = json.loads((CORPUS / "expected.json").read_text(encoding="utf-8"))
SCALARS = ("agency", "dateline_place", "dateline_country", "byline", "signal")

# Before issue 24 (main at 4a6ba97): 1 ok, 25 wrong, 10 refused of 36.
NOT_YET: dict[str, str] = {
}


@pytest.fixture(scope="module")
def reference() -> Reference:
    return load_reference(default_seeds_dir())


def squeeze(text: str | None) -> str:
    return " ".join((text or "").split())


def same_headline(got: str | None, want: str | None) -> bool:
    if want is None:
        return got is None
    return got is not None and squeeze(got).rstrip(".") == squeeze(want).rstrip(".")


def problems_of(d: ParsedDispatch, exp: dict) -> list[str]:
    """Every way `d` differs from the expectation `exp` (empty when it is right)."""
    bad = []
    body = squeeze(d.body)
    fmt = exp.get("format", "").split(" ")[0]
    if fmt and d.source_format != fmt:
        bad.append(f"format {d.source_format!r}")
    if "headline" in exp:
        options = [exp["headline"], *exp.get("headline_alternatives", [])]
        if not any(same_headline(d.headline, o) for o in options):
            bad.append(f"headline {d.headline!r}")
        if d.headline is None and "no_headline" not in d.parse_warnings:
            bad.append("headline null without no_headline warning")
    for word in exp.get("headline_must_not_be", []):
        if d.headline and squeeze(d.headline) == word:
            bad.append(f"headline is code word {word!r}")
    for word in exp.get("headline_must_not_contain", []):
        if d.headline and word in d.headline:
            bad.append(f"headline contains {word!r}")
    for warning in exp.get("parse_warnings_include", []):
        # A headline taken from the item's own fields needs no no_headline warning; one
        # guessed from the first sentence (or a nil headline) keeps it.
        from_item = (d.headline and exp.get("headline")
                     and same_headline(d.headline, exp["headline"])
                     and "first sentence" not in exp.get("class", "")
                     and "i:nil" not in exp.get("class", ""))
        if warning == "no_headline" and from_item:
            continue
        if warning not in d.parse_warnings:
            bad.append(f"warning {warning} missing {list(d.parse_warnings)}")
    for name in SCALARS:
        if name in exp and getattr(d, name) != exp[name]:
            bad.append(f"{name} {getattr(d, name)!r}")
    for word in exp.get("dateline_place_must_not_contain", []):
        if d.dateline_place and word in d.dateline_place:
            bad.append(f"dateline_place contains {word!r}")
            break
    if "version" in exp and d.story_version != exp["version"]:
        bad.append(f"version {d.story_version!r}")
    if "status" in exp and d.pub_status != exp["status"]:
        bad.append(f"status {d.pub_status!r}")
    if "language" in exp and not (d.language or "").casefold().startswith(
            exp["language"].casefold()[:2]):
        bad.append(f"language {d.language!r}")
    if "published_at" in exp and d.published_at != datetime.fromisoformat(exp["published_at"]):
        bad.append(f"published_at {d.published_at.isoformat() if d.published_at else None}")
    if "editor_note_contains" in exp and exp["editor_note_contains"] not in (d.editor_note or ""):
        bad.append(f"editor_note {d.editor_note!r}")
    if "copyright_contains" in exp and exp["copyright_contains"] not in (d.copyright or ""):
        bad.append(f"copyright {d.copyright!r}")
    if "body_starts_with" in exp:
        options = [exp["body_starts_with"], *exp.get("body_starts_with_alternatives", [])]
        if body[:40] not in options:
            bad.append(f"body starts {body[:40]!r}")
    if "body_ends_with" in exp and not body.endswith(exp["body_ends_with"]):
        bad.append(f"body ends {body[-50:]!r}")
    for text in exp.get("body_contains", []):
        if text not in d.body:
            bad.append(f"body lacks {text!r}")
    present = [t for t in exp.get("body_must_not_contain", []) if t in d.body]
    if present:
        bad.append(f"body contains {present}")
    if "body_lines" in exp:
        lines = [squeeze(line) for line in d.body.splitlines() if line.strip()]
        if lines != exp["body_lines"]:
            bad.append(f"body lines {lines!r}")
    return bad


def check_fixture(name: str, reference: Reference, tmp_path: Path) -> tuple[str, list[str]]:
    """(`ok` | `wrong` | `refused`, what is wrong) for one fixture file."""
    exp = EXPECTED[name]
    path = CORPUS / name
    if "file_mtime" in exp:
        # A checkout does not keep file times: give the copy the time the item is dated from.
        path = tmp_path / name
        shutil.copyfile(CORPUS / name, path)
        stamp = datetime.fromisoformat(exp["file_mtime"]).timestamp()
        os.utime(path, (stamp, stamp))
    items = list(read_path(path, reference=reference))
    refused = [i for i in items if not isinstance(i, ParsedDispatch)]
    dispatches = [with_language(i) for i in items if isinstance(i, ParsedDispatch)]
    if refused and not dispatches:
        return "refused", [f"{r.reason}: {r.detail}" for r in refused]
    wanted = exp.get("items", [exp])
    problems = [f"refused item {r.reason}: {r.detail}" for r in refused]
    if len(dispatches) != len(wanted):
        problems.append(f"{len(dispatches)} dispatches, expected {len(wanted)}")
    for index, (dispatch, want) in enumerate(zip(dispatches, wanted, strict=False), start=1):
        merged = {k: v for k, v in exp.items() if k != "items"} | want
        prefix = f"#{index} " if len(wanted) > 1 else ""
        problems += [prefix + p for p in problems_of(dispatch, merged)]
    return ("wrong" if problems else "ok"), problems


def test_every_fixture_has_an_expectation():
    on_disk = {p.name for p in CORPUS.iterdir() if p.name != "expected.json"}
    assert on_disk == set(EXPECTED)
    assert set(NOT_YET) <= set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_fixture_reads_as_expected(name, reference, tmp_path, request):
    if name in NOT_YET:
        request.applymarker(pytest.mark.xfail(
            strict=True, reason=f"issue 24: still {NOT_YET[name]}"))
    status, problems = check_fixture(name, reference, tmp_path)
    assert (status, problems) == ("ok", [])


def test_corpus_counts(reference, tmp_path):
    counts = {"ok": 0, "wrong": 0, "refused": 0}
    for name in EXPECTED:
        status, _ = check_fixture(name, reference, tmp_path)
        counts[status] += 1
    print(f"\nagency feed corpus: {counts['ok']} ok, {counts['wrong']} wrong fields, "
          f"{counts['refused']} refused (of {len(EXPECTED)})")
    still = {"wrong": 0, "refused": 0}
    for status in NOT_YET.values():
        still[status] += 1
    assert counts == {"ok": len(EXPECTED) - len(NOT_YET), **still}
