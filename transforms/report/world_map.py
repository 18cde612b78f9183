"""The report's world map: countries shaded by mentions, dots where dispatches are datelined.

Pure drawing from records and the vendored atlas (`report.atlas`): the same records give the
same bytes. Coordinates are rounded to a tenth of a pixel, countries drawn in code order and dots
biggest first (so a small dot is never hidden under a big one), ties by place id.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from functools import lru_cache

from transforms.report.atlas import EQUAL_EARTH_X, EQUAL_EARTH_Y, CountryShape, equal_earth, load_atlas
from transforms.report.model import CountryMentions, DatelinePlace
from transforms.report.text import esc, number, plural

MAP_WIDTH = 960
MAP_PADDING = 6
# Light to dark: a country's shade is its mentions on a log scale against the most mentioned.
SHADES = ("#c6dbef", "#9ecae1", "#6baed6", "#3182bd", "#08519c")
NO_MENTIONS = "#e9e9e9"
DOT_COLOUR = "#e8590c"
REGIONS_LISTED = 8


def map_height(width: int = MAP_WIDTH) -> int:
    inner = width - 2 * MAP_PADDING
    return round(inner * EQUAL_EARTH_Y / EQUAL_EARTH_X) + 2 * MAP_PADDING


def projector(width: int = MAP_WIDTH):
    scale = (width - 2 * MAP_PADDING) / (2 * EQUAL_EARTH_X)
    height = map_height(width)

    def project(lon: float, lat: float) -> tuple[float, float]:
        x, y = equal_earth(lon, lat)
        return round(width / 2 + x * scale, 1), round(height / 2 - y * scale, 1)

    return project


def _path(polygons, project) -> str:
    parts = []
    for polygon in polygons:
        for ring in polygon:
            points = [project(lon, lat) for lon, lat in ring]
            parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in points) + "Z")
    return "".join(parts)


@lru_cache(maxsize=2)
def _outline(width: int) -> str:
    """The edge of the projected globe: the 180th meridian down one side and up the other."""
    project = projector(width)
    east = [project(180.0, lat) for lat in range(-90, 91, 5)]
    west = [project(-180.0, lat) for lat in range(90, -91, -5)]
    return "M" + "L".join(f"{x:g},{y:g}" for x, y in east + west) + "Z"


def shade(mentions: int, most: int) -> str:
    if mentions <= 0 or most <= 0:
        return NO_MENTIONS
    level = math.ceil(math.log1p(mentions) / math.log1p(most) * len(SHADES)) - 1
    return SHADES[min(max(level, 0), len(SHADES) - 1)]


def shade_bounds(most: int) -> list[tuple[int, int]]:
    """The mentions each shade stands for (lowest, highest), for the legend."""
    bounds, low = [], 1
    for level in range(1, len(SHADES) + 1):
        high = math.floor(math.expm1(math.log1p(most) * level / len(SHADES)) + 1e-9)
        bounds.append((low, max(high, low) if level < len(SHADES) else most))
        low = max(high, low) + 1
    return bounds


def country_name(code: str, shapes: dict[str, CountryShape]) -> str:
    if code in shapes:
        return shapes[code].name
    import pycountry

    country = pycountry.countries.get(alpha_2=code)
    return country.name if country is not None else code


def dot_position(place: DatelinePlace, shapes: dict[str, CountryShape]) -> tuple[float, float] | None:
    """A city at its coordinates, a country at the middle of its largest land; a region has no
    point in the gazetteer, so it is listed instead."""
    if place.latitude is not None and place.longitude is not None:
        return place.longitude, place.latitude
    if place.feature == "country" and place.country_code in shapes:
        return shapes[place.country_code].centre
    return None


def render_world_map(places: Sequence[DatelinePlace], countries: Sequence[CountryMentions],
                     width: int = MAP_WIDTH) -> str:
    if not places and not countries:
        return '<p class="empty">No dateline or mention in this window resolved to a place.</p>'
    shapes = {shape.code: shape for shape in load_atlas()}
    project = projector(width)
    height = map_height(width)
    by_code = {c.country_code: c for c in countries}
    most = max((c.mentions for c in countries), default=0)
    parts = [f'<svg class="world" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             'role="img" aria-label="world map: mentions by country, dispatches by dateline">',
             f'<path class="sphere" d="{_outline(width)}"/>']
    for code in sorted(shapes):
        shape = shapes[code]
        seen = by_code.get(code)
        mentions = seen.mentions if seen else 0
        title = (f"{shape.name}: {plural(seen.mentions, 'mention')} in {plural(seen.dispatches, 'dispatch')}"
                 if seen else f"{shape.name}: no mentions")
        parts.append(
            f'<path class="country" data-code="{esc(code)}" data-mentions="{mentions}" '
            f'fill="{shade(mentions, most)}" d="{_path(shape.polygons, project)}">'
            f"<title>{esc(title)}</title></path>"
        )
    drawn, unplaced = [], []
    for place in places:
        position = dot_position(place, shapes)
        (drawn if position is not None else unplaced).append((place, position))
    largest = max((p.dispatches for p, _ in drawn), default=1)
    for place, (lon, lat) in sorted(drawn, key=lambda d: (-d[0].dispatches, d[0].place_id)):
        x, y = project(lon, lat)
        radius = 2.5 + 9.5 * math.sqrt(place.dispatches / largest)
        where = place.name if place.feature == "country" else f"{place.name}, {place.country_code}"
        parts.append(
            f'<circle class="dateline" cx="{x:g}" cy="{y:g}" r="{radius:.1f}" '
            f'data-place-id="{esc(place.place_id)}" data-dispatches="{place.dispatches}">'
            f"<title>{esc(where)}: {plural(place.dispatches, 'dispatch')} datelined here</title></circle>"
        )
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>'
        f"{number(low)}{'' if low == high else '–' + number(high)}</li>"
        for colour, (low, high) in zip(SHADES, shade_bounds(most), strict=True) if most and low <= high
    )
    notes = []
    small = sorted((c for c in countries if c.country_code not in shapes),
                   key=lambda c: (-c.mentions, c.country_code))
    if small:
        listed = ", ".join(f"{esc(country_name(c.country_code, shapes))} ({number(c.mentions)})"
                           for c in small[:REGIONS_LISTED])
        more = f" and {number(len(small) - REGIONS_LISTED)} more" if len(small) > REGIONS_LISTED else ""
        notes.append(f'<p class="sub map-note" data-small-countries="{len(small)}">Mentioned, too small '
                     f"to shade at this scale: {listed}{more}.</p>")
    if unplaced:
        total = sum(p.dispatches for p, _ in unplaced)
        listed = ", ".join(f"{esc(p.name)}, {esc(p.country_code)} ({number(p.dispatches)})"
                           for p, _ in unplaced[:REGIONS_LISTED])
        more = f" and {number(len(unplaced) - REGIONS_LISTED)} more" if len(unplaced) > REGIONS_LISTED else ""
        notes.append(f'<p class="sub map-note" data-unplaced="{total}">Datelined from a region with no '
                     f"point of its own, not on the map: {plural(total, 'dispatch')} ({listed}{more}).</p>")
    key = (f'<ul class="legend"><li>mentions by country:</li>{legend}'
           f'<li><span class="swatch" style="background:{NO_MENTIONS}"></span>none</li>'
           f'<li><span class="swatch dot" style="background:{DOT_COLOUR}"></span>dateline, '
           "sized by dispatches</li></ul>")
    return "".join(parts) + key + "".join(notes)
