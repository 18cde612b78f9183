"""Story clustering (transforms.stories) on our labelled set, tests/corpus/stories."""

from __future__ import annotations

import csv
import json
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from transforms.stories import (
    FLASH_WINDOW_AFTER,
    THRESHOLD,
    LabelledPair,
    StoryInput,
    assign_stories,
    estimated_jaccard,
    pair_scores,
    scores_by_kind,
)
from transforms.stories.clustering import TAKE_WINDOW, key_terms, signature

CORPUS = Path(__file__).parent / "corpus" / "stories"

# Measured on the labelled pairs with this clusterer (see README: Stories); a change that lowers
# any of them fails here. Other agencies' takes share almost no 5-shingles (median Jaccard
# 0.00): they join by the second signal (key terms, another agency, within 12 hours), gated
# apart. Before it: precision 140/142, recall 140/257, other agencies 0/90, flashes 31/45.
BASELINE_PRECISION = 192 / 194
BASELINE_RECALL = 192 / 257
BASELINE_RECALL_SAME_AGENCY = 145 / 167
BASELINE_VERSION_RECALL = 40 / 46
BASELINE_REWRITE_RECALL = 20 / 27
BASELINE_FLASH_RECALL = 36 / 45
BASELINE_OTHER_AGENCY_RECALL = 47 / 90
KNOWN_FALSE_MERGES = {("wh26-0110", "wh26-0113"), ("wh26-0111", "wh26-0114")}


@lru_cache(maxsize=1)
def corpus() -> tuple[list[dict], list[LabelledPair]]:
    dispatches = [json.loads(line) for line in (CORPUS / "dispatches.jsonl").read_text().splitlines()]
    with (CORPUS / "pairs.csv").open() as handle:
        pairs = [LabelledPair(r["a"], r["b"], r["same_story"] == "1", r["kind"])
                 for r in csv.DictReader(handle)]
    return dispatches, pairs


def _input(d: dict) -> StoryInput:
    when = datetime.fromisoformat(d["published_at"].replace("Z", "+00:00"))
    return StoryInput(d["id"], when, d["headline"], d["body"], d["agency"])


@lru_cache(maxsize=1)
def bulk_stories() -> dict[str, str]:
    dispatches, _ = corpus()
    return {s.version_id: s.story_id for s in assign_stories([_input(d) for d in dispatches], [])}


def test_the_labelled_set_is_what_its_readme_says():
    dispatches, pairs = corpus()
    assert len(dispatches) == 165 and len({d["story"] for d in dispatches}) == 39
    assert len(pairs) == 398 and sum(p.same_story for p in pairs) == 257


def test_every_dispatch_gets_a_story():
    dispatches, _ = corpus()
    assert set(bulk_stories()) == {d["id"] for d in dispatches}


def _recall_of(kinds: set[str]) -> float:
    _, pairs = corpus()
    return pair_scores(bulk_stories(), [p for p in pairs if p.kind in kinds]).recall


def test_identical_bodies_share_a_story_whatever_their_whitespace():
    when = datetime(2024, 5, 1, 9, tzinfo=UTC)
    body = "TOKYO, May 1 Kyodo - The plant  resumed work on Wednesday.\r\n\r\nIt had been shut for a week."
    again = "  TOKYO, May 1 Kyodo - The plant resumed work on Wednesday.\nIt had been shut for a week.  "
    # Years apart, beyond the window: identical text is still one story.
    rows = assign_stories([StoryInput("a", when, "Plant resumes", body),
                           StoryInput("b", when + timedelta(days=900), "Other headline", again)], [])
    assert rows[0].story_id == rows[1].story_id


def test_exact_repeats_refiles_and_correcteds_are_always_one_story():
    _, pairs = corpus()
    kinds = {"exact_repeat", "refile", "corrected"}
    scores = pair_scores(bulk_stories(), [p for p in pairs if p.kind in kinds])
    assert scores.false_negatives == 0, scores


def test_versions_and_rewrites_join_through_each_other():
    # Rewrites score as low as 0.055 against the first version: they join through the latest
    # version they copy paragraphs from.
    assert _recall_of({"version"}) >= BASELINE_VERSION_RECALL
    assert _recall_of({"rewrite"}) >= BASELINE_REWRITE_RECALL


def test_same_topic_different_stories_stay_apart():
    _, pairs = corpus()
    stories = bulk_stories()
    merged = {(p.a, p.b) for p in pairs if not p.same_story and stories[p.a] == stories[p.b]}
    # The only merge left: the two JMA rain warnings of one Kyodo template (Jaccard 0.53), which
    # no body threshold that keeps versions together can part.
    assert merged <= KNOWN_FALSE_MERGES, sorted(merged - KNOWN_FALSE_MERGES)


def test_two_earnings_reports_and_two_match_results_are_apart():
    dispatches, _ = corpus()
    stories = bulk_stories()
    by_story: dict[str, set[str]] = {}
    for d in dispatches:
        by_story.setdefault(d["story"], set()).add(stories[d["id"]])
    earnings = [k for k in by_story if k.startswith("earnings_")]
    football = [k for k in by_story if k.startswith("football_")]
    assert len(earnings) >= 2 and len(football) >= 2
    for group in (earnings, football):
        for i, left in enumerate(group):
            for right in group[i + 1:]:
                if {left, right} == {"earnings_hoshino_q4_2024_05_10", "earnings_takara_fy_2024_05_10"}:
                    continue  # the Jiji twins (0.27): apart at THRESHOLD 0.3, checked below
                assert not by_story[left] & by_story[right], (left, right)


def test_threshold_on_both_sides_of_the_jiji_earnings_twins():
    # The hardest same-template pair under the rain warnings: 0.27 exact Jaccard, 0.28 estimated,
    # just above THRESHOLD; each twin joins its own earlier version, which is closer.
    dispatches, _ = corpus()
    body = {d["id"]: d["body"] for d in dispatches}
    score = estimated_jaccard(signature(body["wh26-0053"]), signature(body["wh26-0055"]))
    assert THRESHOLD <= score < 0.35
    assert bulk_stories()["wh26-0053"] != bulk_stories()["wh26-0055"]
    # A refile (0.89 and up) is far above THRESHOLD, and the rewrite of the Peru quake joins
    # its story although it scores 0.076 against the first version.
    assert bulk_stories()["wh26-0015"] == bulk_stories()["wh26-0022"]


def test_precision_and_recall_against_the_committed_baseline():
    _, pairs = corpus()
    stories = bulk_stories()
    overall = pair_scores(stories, pairs)
    same_agency = pair_scores(stories, [p for p in pairs if p.kind != "other_agency"])
    assert overall.precision >= BASELINE_PRECISION
    assert overall.recall >= BASELINE_RECALL
    assert same_agency.recall >= BASELINE_RECALL_SAME_AGENCY
    assert scores_by_kind(stories, pairs)["exact_repeat"].recall == 1.0


def test_flashes_join_the_story_their_headline_belongs_to():
    assert _recall_of({"flash"}) >= BASELINE_FLASH_RECALL


def test_a_flash_with_nothing_in_its_window_is_a_story_of_its_own():
    when = datetime(2024, 5, 1, 9, tzinfo=UTC)
    body = "PARIS (AFP) - The Louvre reopened on Wednesday after a strike by its staff ended."
    rows = assign_stories([StoryInput("flash", when, "Louvre reopens after strike", ""),
                           StoryInput("late", when + timedelta(hours=3), "Louvre reopens", body)], [])
    stories = {r.version_id: r.story_id for r in rows}
    assert stories["flash"] != stories["late"]
    rows = assign_stories([StoryInput("flash", when, "Louvre reopens after strike", ""),
                           StoryInput("soon", when + timedelta(minutes=20), "Louvre reopens", body)], [])
    stories = {r.version_id: r.story_id for r in rows}
    assert stories["flash"] == stories["soon"]


def test_dispatches_at_the_ends_of_the_calendar_get_stories():
    # Feeds do send 9999-12-31 and 0001-01-01; the window around them must not overflow.
    body = "TOKYO (Kyodo) - The Bank of Japan kept its policy rate unchanged on Tuesday."
    far = datetime.max.replace(tzinfo=UTC)
    early = datetime.min.replace(tzinfo=UTC)
    first = assign_stories([StoryInput("far", far, "BOJ holds", body),
                            StoryInput("early", early, "BOJ holds", body + " More."),
                            StoryInput("flash", far, "BOJ holds rate", "")], [])
    again = assign_stories([StoryInput("far2", far, "BOJ holds", body)], first)
    stories = {r.version_id: r.story_id for r in first + again}
    assert stories["far2"] == stories["far"]
    assert stories["early"] != stories["far"]


def _same_partition(left: dict[str, str], right: dict[str, str]) -> bool:
    def groups(stories: dict[str, str]) -> set[frozenset[str]]:
        members: dict[str, set[str]] = {}
        for version, story in stories.items():
            members.setdefault(story, set()).add(version)
        return {frozenset(m) for m in members.values()}
    return left.keys() == right.keys() and groups(left) == groups(right)


@settings(max_examples=25, deadline=None)
@given(cuts=st.lists(st.integers(min_value=1, max_value=164), max_size=12, unique=True))
def test_nightly_runs_in_order_give_the_clusters_of_one_bulk_run(cuts):
    # The corpus in publication order, cut into nights anywhere; each night is assigned against
    # the sketch index of the nights before. Flashes are settled with the night they arrive in,
    # so a cut between a flash and the dispatch it announces is kept out (see README: Stories).
    dispatches, _ = corpus()
    ordered = sorted(dispatches, key=lambda d: (d["published_at"], d["id"]))
    def splits_a_flash_window(cut: int) -> bool:
        night_starts = _input(ordered[cut]).published_at
        return any(not d["body"] and _input(d).published_at + FLASH_WINDOW_AFTER >= night_starts
                   for d in ordered[:cut])

    bounds = [0, *sorted(c for c in cuts if not splits_a_flash_window(c)), len(ordered)]
    index: list = []
    for start, end in zip(bounds, bounds[1:], strict=False):
        index += assign_stories([_input(d) for d in ordered[start:end]], index)
    nightly = {s.version_id: s.story_id for s in index}
    assert nightly == bulk_stories()


def test_other_agencies_takes_join_by_their_names_and_figures():
    # Body MinHash alone joined none of the 90 (see README: Stories); precision is gated above.
    assert _recall_of({"other_agency"}) >= BASELINE_OTHER_AGENCY_RECALL


def test_key_terms_are_names_and_figures_without_the_dateline():
    body = ("PERTH, June 3 (Reuters) - Orvalla Mining said on Monday it would close its Kalgoorlie "
            "mill for 14 days.\n\nThe company blamed a shortage of Water Corporation supplies, "
            "Chief Executive Dana Whitcombe said. Shares fell 4.2% to A$1,150.")
    terms = key_terms(body)
    assert {"mining", "kalgoorlie", "14", "water", "corporation", "executive", "dana",
            "whitcombe", "4.2", "1150"} <= set(terms)
    # The dateline and credit are the agency's; the first word of a sentence may be any word;
    # calendar words are in every story.
    assert not {"perth", "reuters", "orvalla", "the", "shares", "june", "monday"} & set(terms)
    assert terms == tuple(sorted(terms))


_MINE = "Orvalla Mining's Kalgoorlie mill"
_TAKE_A = ("PERTH, June 3 (Reuters) - Orvalla Mining will shut its Kalgoorlie gold mill for 14 days "
           "after the Water Corporation cut supplies, Chief Executive Dana Whitcombe said on "
           "Monday.\n\nThe mill processes 2.6 million tonnes of ore a year. Orvalla shares fell 4.2% "
           "to A$11.50 on the ASX.")
_TAKE_B = ("Perth (AFP) - A drought-hit water utility has forced a 14-day halt at one of Western "
           "Australia's biggest gold plants.\n\nOrvalla Mining's boss, Dana Whitcombe, told "
           "reporters the Kalgoorlie site could not run without Water Corporation deliveries. "
           "Its stock slid 4.2% to A$11.50, and the 2.6 million tonne-a-year plant sat idle.")
_OTHER_EVENT = ("Perth (AFP) - Brenmoor Resources will idle its Leonora nickel smelter for three "
                "weeks for repairs, Managing Director Sione Kauhalalalo said.\n\nBrenmoor stock "
                "rose 1.1% to A$3.05, while the smelter's 90,000 tonnes of output were sold "
                "forward to Tianjin Steel.")


def test_another_agencys_take_joins_within_the_window_and_only_then():
    when = datetime(2024, 6, 3, 2, tzinfo=UTC)
    first = StoryInput("reuters", when, "Orvalla shuts Kalgoorlie mill", _TAKE_A, "Reuters")

    def story_of_take(agency: str, after: timedelta, body: str = _TAKE_B) -> bool:
        rows = assign_stories([first, StoryInput("take", when + after, _MINE, body, agency)], [])
        return rows[0].story_id == rows[1].story_id

    assert estimated_jaccard(signature(_TAKE_A), signature(_TAKE_B)) < THRESHOLD, \
        "the two takes must not share a body"
    assert story_of_take("AFP", timedelta(hours=2))
    assert story_of_take("AFP", TAKE_WINDOW)
    assert not story_of_take("AFP", TAKE_WINDOW + timedelta(minutes=1))
    # One agency's two texts are left to the body: its same-template stories share key terms.
    assert not story_of_take("Reuters", timedelta(hours=2))
    assert not story_of_take("AFP", timedelta(hours=2), _OTHER_EVENT)
    # No agency known (an old sketch row, a feed without one): no second signal.
    rows = assign_stories([first, StoryInput("take", when, _MINE, _TAKE_B, None)], [])
    assert rows[0].story_id != rows[1].story_id


def test_a_late_dispatch_joins_the_story_of_the_newer_versions_already_assigned():
    # UPDATE 1 arrives in a run after UPDATE 2 (whose story it belongs to) was committed: it is
    # matched against newer versions too, and joins their story (named after UPDATE 2, the
    # first assigned); stories already assigned are not renamed.
    dispatches, _ = corpus()
    peru = sorted((d for d in dispatches if d["story"] == "quake_peru_2024_03_12"
                   and d["agency"] == "Reuters" and d["body"]), key=lambda d: d["published_at"])
    first, later = _input(peru[0]), [_input(d) for d in peru[1:]]
    committed = assign_stories(later, [])
    late = assign_stories([first], committed)
    assert late[0].story_id == committed[0].story_id
    assert {s.story_id for s in committed} == {committed[0].story_id}
    # The same partition as a bulk run that saw them in order.
    bulk = {s.version_id: s.story_id for s in assign_stories([first, *later], [])}
    assert _same_partition(bulk, {s.version_id: s.story_id for s in committed + late})
