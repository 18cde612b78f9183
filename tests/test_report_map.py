"""The report's world map and its round-two fixes, without a warehouse: the atlas decoder, the
projection, the map's drawing, label placement, network choice, junk names, plurals, and the
report's queries over plain DuckDB tables named like the views they read."""

from __future__ import annotations

import re
from datetime import date

import duckdb
import pytest

from transforms.report.atlas import (
    EQUAL_EARTH_X,
    country_shapes,
    decode_arcs,
    equal_earth,
    load_atlas,
    ring,
    simplify,
    split_at_antimeridian,
)
from transforms.report.model import AgencyDay, CountryMentions, DatelinePlace, NetworkNode
from transforms.report.network import label_width, place_labels, render_network_svg
from transforms.report.queries import (
    agency_days,
    choose_network_nodes,
    country_mentions,
    dateline_places,
    entity_trends,
    is_junk_name,
    network,
    undated_dispatches,
)
from transforms.report.text import plural
from transforms.report.world_map import NO_MENTIONS, SHADES, projector, render_world_map, shade

# --- the atlas --------------------------------------------------------------------------------


def test_quantized_arcs_are_delta_decoded_and_reversed_by_negative_index() -> None:
    topology = {
        "transform": {"scale": [0.5, 0.25], "translate": [-10, 20]},
        "arcs": [[[0, 0], [4, 0], [0, 8]], [[4, 8], [-4, -8]]],
    }
    arcs = decode_arcs(topology)
    assert arcs == [[(-10.0, 20.0), (-8.0, 20.0), (-8.0, 22.0)], [(-8.0, 22.0), (-10.0, 20.0)]]
    # Arc 1 starts where arc 0 ends: the shared point is not repeated.
    assert ring([0, 1], arcs) == [(-10.0, 20.0), (-8.0, 20.0), (-8.0, 22.0), (-10.0, 20.0)]
    assert ring([~1], arcs) == [(-10.0, 20.0), (-8.0, 22.0)]


def test_simplify_keeps_the_ends_and_the_corners_only() -> None:
    line = [(0.0, 0.0), (1.0, 0.01), (2.0, 0.0), (3.0, 2.0), (4.0, 0.0)]
    assert simplify(line, 0.1) == [(0.0, 0.0), (2.0, 0.0), (3.0, 2.0), (4.0, 0.0)]
    assert simplify(line, 5.0) == [(0.0, 0.0), (4.0, 0.0)]


def test_a_ring_over_the_antimeridian_is_cut_into_one_piece_each_side() -> None:
    chukotka = [(170.0, 60.0), (-170.0, 60.0), (-170.0, 70.0), (170.0, 70.0)]
    pieces = split_at_antimeridian([chukotka])
    assert len(pieces) == 2
    for (outer,) in pieces:
        assert all(-180 <= lon <= 180 for lon, _ in outer)
        edges = zip(outer, outer[1:] + outer[:1], strict=True)
        assert all(abs(a[0] - b[0]) <= 180 for a, b in edges)
    assert {min(lon for lon, _ in p[0]) for p in pieces} == {-180.0, 170.0}


def test_shapes_are_keyed_by_alpha2_and_unnumbered_ones_merge_into_their_country() -> None:
    topology = {
        "arcs": [[[0, 0], [2, 0], [2, 2], [0, 0]], [[3, 3], [5, 3], [5, 5], [3, 3]]],
        "objects": {"countries": {"geometries": [
            {"type": "Polygon", "arcs": [[0]], "id": "196", "properties": {"name": "Cyprus"}},
            {"type": "Polygon", "arcs": [[1]], "properties": {"name": "N. Cyprus"}},
        ]}},
    }
    (cyprus,) = country_shapes(topology, tolerance=0.0)
    assert (cyprus.code, cyprus.name, len(cyprus.polygons)) == ("CY", "Cyprus", 2)
    bad = {"arcs": topology["arcs"], "objects": {"countries": {"geometries": [
        {"type": "Polygon", "arcs": [[0]], "properties": {"name": "Atlantis"}}]}}}
    with pytest.raises(ValueError, match="Atlantis"):
        country_shapes(bad)


def test_the_vendored_atlas_has_the_world_and_no_edge_across_it() -> None:
    shapes = {s.code: s for s in load_atlas()}
    assert len(shapes) >= 170 and {"FR", "US", "RU", "CN", "BR", "AU", "XK", "FJ"} <= set(shapes)
    for shape in shapes.values():
        for polygon in shape.polygons:
            for points in polygon:
                for a, b in zip(points, points[1:] + points[:1], strict=True):
                    # The only long edge allowed runs along a pole line (Antarctica's bottom).
                    assert abs(a[0] - b[0]) <= 180 or abs(a[1]) == 90, shape.code
    assert 60 < shapes["RU"].centre[1] < 70 and 40 < shapes["FR"].centre[1] < 50
    assert 50 < shapes["RU"].centre[0] < 150


def test_equal_earth_is_symmetric_and_fills_its_frame() -> None:
    assert equal_earth(0, 0) == (0.0, 0.0)
    assert equal_earth(180, 0)[0] == pytest.approx(2.7064, abs=1e-3) == EQUAL_EARTH_X
    x, y = equal_earth(45, 30)
    assert equal_earth(-45, -30) == pytest.approx((-x, -y))
    project = projector(960)
    left, _ = project(-180, 0)
    right, _ = project(180, 0)
    assert (left, right) == (6.0, 954.0)


# --- the map ----------------------------------------------------------------------------------


def _places() -> list[DatelinePlace]:
    return [
        DatelinePlace("geonames:2988507", "Paris", "FR", "city", 48.85, 2.35, 9),
        DatelinePlace("geonames:1850147", "Tokyo", "JP", "city", 35.69, 139.69, 1),
        DatelinePlace("geonames:2635167", "United Kingdom", "GB", "country", None, None, 2),
        DatelinePlace("geonames:5332921", "California", "US", "region", None, None, 3),
    ]


def test_the_map_shades_countries_by_mentions_and_puts_dots_at_datelines() -> None:
    countries = [CountryMentions("FR", 40, 9), CountryMentions("JP", 1, 1), CountryMentions("SG", 5, 2)]
    svg = render_world_map(_places(), countries)
    fills = dict(re.findall(r'data-code="([A-Z]{2})" data-mentions="\d+" fill="(#[0-9a-f]+)"', svg))
    assert fills["FR"] == SHADES[-1] and fills["JP"] == SHADES[0] and fills["DE"] == NO_MENTIONS
    assert "<title>France: 40 mentions in 9 dispatches</title>" in svg
    assert "<title>Japan: 1 mention in 1 dispatch</title>" in svg
    dots = re.findall(r'<circle class="dateline" cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)" '
                      r'data-place-id="([^"]+)" data-dispatches="(\d+)"', svg)
    by_id = {place_id: (float(x), float(y), float(r)) for x, y, r, place_id, _ in dots}
    assert set(by_id) == {"geonames:2988507", "geonames:1850147", "geonames:2635167"}
    assert by_id["geonames:2988507"] == pytest.approx((*projector()(2.35, 48.85), 12.0), abs=0.06)
    assert by_id["geonames:2988507"][2] > by_id["geonames:1850147"][2]
    # Biggest first, so that a small dot is drawn over a big one.
    assert [place_id for *_, place_id, _ in dots][0] == "geonames:2988507"
    assert "Tokyo, JP: 1 dispatch datelined here" in svg and "Paris, FR: 9 dispatches" in svg
    # A region has no point: it is listed, not drawn; a country too small to draw is named.
    assert 'data-unplaced="3"' in svg and "California, US (3)" in svg
    assert 'data-small-countries="1"' in svg and "Singapore (5)" in svg


def test_the_map_is_the_same_bytes_for_the_same_records_and_says_when_empty() -> None:
    countries = [CountryMentions("FR", 40, 9)]
    assert render_world_map(_places(), countries) == render_world_map(list(reversed(_places())), countries)
    assert "No dateline or mention" in render_world_map([], [])


def test_shades_rise_with_mentions() -> None:
    levels = [SHADES.index(shade(n, 1000)) for n in (1, 5, 30, 200, 1000)]
    assert levels == sorted(levels) and levels[0] == 0 and levels[-1] == len(SHADES) - 1
    assert shade(0, 1000) == NO_MENTIONS


# --- round two: words, labels, network -----------------------------------------------------


def test_plural_agrees_with_the_count() -> None:
    assert [plural(n, "dispatch") for n in (0, 1, 2, 1204)] == [
        "0 dispatches", "1 dispatch", "2 dispatches", "1,204 dispatches"]
    assert plural(1, "mention") == "1 mention" and plural(3, "mention") == "3 mentions"


def _boxes_overlap(a, b) -> bool:
    return min(a[2], b[2]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[1], b[1])


def test_every_label_is_placed_and_none_overlap_even_in_a_crowd() -> None:
    # Forty nodes, half of them packed together in the middle, with long names.
    circles = [(480 + (i % 5) * 9.0, 280 + (i // 5) * 7.0, 4.0 + i % 3, f"Someone Called Number {i}")
               for i in range(20)]
    circles += [(60 + i * 45.0, 80 + (i % 4) * 120.0, 6.0, f"Org {i}") for i in range(20)]
    labels = place_labels(circles, 960, 560)
    assert len(labels) == len(circles)
    for i, a in enumerate(labels):
        assert a.box[0] >= 0 and a.box[2] <= 960 and a.box[1] >= 0 and a.box[3] <= 560
        assert a.box[2] - a.box[0] == pytest.approx(label_width(circles[i][3]))
        for b in labels[i + 1:]:
            assert not _boxes_overlap(a.box, b.box), (a, b)


def test_every_network_node_gets_a_written_name() -> None:
    nodes = [NetworkNode("PERSON", f"Person {i}", 1 + i % 7, 2 + i % 5) for i in range(40)]
    svg = render_network_svg(nodes, [])
    assert svg.count('class="node-label"') == svg.count('<g class="node"') == 40
    assert "1 dispatch</title>" in svg and "1 dispatches" not in svg


def test_the_network_ranks_by_mentions_and_keeps_each_label() -> None:
    # The top person of the real archive: 13 mentions in only 3 dispatches.
    ranked = [("PERSON", "Aiko Morimoto", 13, 3)]
    ranked += [("PERSON", f"Person {i}", 5, 5) for i in range(10)]
    ranked += [("ORG", f"Org {i}", 10, 8) for i in range(50)]
    ranked += [("GOV_BODY", "Pentagon", 2, 2), ("MILITARY", "Navy", 1, 1)]
    chosen = choose_network_nodes(ranked, nodes=40, floor=4)
    names = {n.name for n in chosen}
    assert len(chosen) == 40 and {"Aiko Morimoto", "Pentagon", "Navy"} <= names
    assert next(n for n in chosen if n.name == "Aiko Morimoto").mentions == 13
    # With one place per label guaranteed, mentions still rank her above busier-spread names.
    few = choose_network_nodes([r for r in ranked if r[0] == "PERSON"], nodes=6, floor=1)
    assert "Aiko Morimoto" in {n.name for n in few} and len(few) == 6


@pytest.mark.parametrize(("name", "junk"), [
    ("cts", True), ("Avg shrs", True), ("treasury", True), ("P", True), ("Net", True),
    ("Aiko Morimoto", False), ("NATO", False), ("Group of Seven", False),
])
def test_junk_names_are_those_the_tagger_cleanup_drops(name: str, junk: bool) -> None:
    assert is_junk_name(name) is junk


# --- the queries, over plain tables named like the views ------------------------------------


@pytest.fixture
def con() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("""
        CREATE TABLE dispatches_latest AS SELECT * FROM (VALUES
            ('d1', 'v1', DATE '2026-01-05', ['no_headline'], 'geonames:2988507', 'Reuters'),
            ('d2', 'v2', DATE '2026-01-06', NULL, 'geonames:2988507', 'Reuters'),
            ('d3', 'v3', DATE '2026-11-30', ['date_from_file_time'], 'geonames:1850147', 'Kyodo News'),
            ('d4', 'v4', DATE '2026-01-07', [], NULL, NULL)
        ) AS t(dispatch_id, version_id, published_date, parse_warnings, dateline_place_id, agency);
        CREATE TABLE places AS SELECT * FROM (VALUES
            ('geonames:2988507', 'Paris', 'FR', 'city', 48.85::DOUBLE, 2.35::DOUBLE),
            ('geonames:1850147', 'Tokyo', 'JP', 'city', 35.69::DOUBLE, 139.69::DOUBLE),
            ('geonames:3017382', 'France', 'FR', 'country', NULL::DOUBLE, NULL::DOUBLE)
        ) AS t(place_id, name, country_code, feature, latitude, longitude);
        CREATE TABLE entity_aliases (rule VARCHAR, label VARCHAR, name VARCHAR, seen_on DATE,
                                     canonical VARCHAR, canonical_label VARCHAR);
        INSERT INTO entity_aliases VALUES
            ('surname', 'PERSON', 'Morimoto', DATE '2026-01-06', 'Aiko Morimoto', 'PERSON');
    """)
    rows = []
    for i in range(13):  # the top person: 13 mentions in two dispatches, one as her surname
        rows.append(("d1" if i < 7 else "d2", "v1" if i < 7 else "v2", "PERSON",
                     "Aiko Morimoto" if i < 9 else "Morimoto", None, "2026-01-05" if i < 7 else "2026-01-06"))
    for d in ("d1", "d2", "d3", "d4"):  # junk in every dispatch
        rows.append((d, "v" + d[1], "ORG", "cts", None, "2026-01-05"))
    rows += [("d4", "v4", "ORG", "NATO", None, "2026-01-07"),
             ("d3", "v3", "PERSON", "Aiko Morimoto", None, "2026-11-30"),
             ("d1", "v1", "GPE", "France", "geonames:3017382", "2026-01-05"),
             ("d2", "v2", "GPE", "Paris", "geonames:2988507", "2026-01-06"),
             ("d3", "v3", "GPE", "Tokyo", "geonames:1850147", "2026-11-30")]
    con.execute("CREATE TABLE mentions_latest (dispatch_id VARCHAR, version_id VARCHAR, label VARCHAR, "
                "canonical VARCHAR, place_id VARCHAR, published_date DATE, text VARCHAR)")
    con.executemany("INSERT INTO mentions_latest VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [(d, v, label, name, place, day, name) for d, v, label, name, place, day in rows])
    return con


def test_network_query_ranks_by_mentions_through_aliases_and_drops_junk(con) -> None:
    nodes, edges = network(con, "TRUE", nodes=2)
    assert [(n.label, n.name, n.mentions, n.dispatches) for n in nodes] == [
        ("ORG", "NATO", 1, 1), ("PERSON", "Aiko Morimoto", 14, 3)]
    assert edges == ()


def test_entity_trends_leave_undated_texts_off_the_days(con) -> None:
    trends = {t.name: t for t in entity_trends(con, "TRUE", top=5)}
    assert "cts" not in trends
    morimoto = trends["Aiko Morimoto"]
    assert (morimoto.mentions, morimoto.dispatches) == (14, 3)
    assert morimoto.mentions_by_day == ((date(2026, 1, 5), 7), (date(2026, 1, 6), 6))
    assert undated_dispatches(con, "TRUE") == 1
    # The timeline's days: the undated text (its file's day, 2026-11-30) is not one of them.
    assert agency_days(con, "TRUE") == (
        AgencyDay(date(2026, 1, 5), "Reuters", 1), AgencyDay(date(2026, 1, 6), "Reuters", 1),
        AgencyDay(date(2026, 1, 7), "unknown agency", 1))


def test_map_queries_count_datelines_and_mentions_by_country(con) -> None:
    assert dateline_places(con, "TRUE") == (
        DatelinePlace("geonames:2988507", "Paris", "FR", "city", 48.85, 2.35, 2),
        DatelinePlace("geonames:1850147", "Tokyo", "JP", "city", 35.69, 139.69, 1))
    assert country_mentions(con, "TRUE") == (CountryMentions("FR", 2, 2), CountryMentions("JP", 1, 1))
