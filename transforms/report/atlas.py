"""Country shapes for the report's world map: built once from Natural Earth TopoJSON, read often.

`build_atlas` turns the npm package `world-atlas` (Natural Earth 1:110m countries as TopoJSON)
into the compact seed `seeds/world/countries.json`: it decodes the quantized, delta-encoded arcs,
simplifies each shared arc once (so neighbours keep one common border), stitches the rings and
keys each country by its ISO 3166-1 alpha-2 code, the code `places.country_code` carries. The
report reads only the seed (`load_atlas`); nothing is fetched at run time.

    python -m transforms.report.atlas package/countries-110m.json seeds/world/countries.json

The projection is Equal Earth (Šavrič, Patterson and Jenny, 2018): equal-area, so a big country
is not inflated by its latitude, and a closed formula, so the same degrees give the same pixels.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from seeds import seed_path

ATLAS_SEED = "world/countries.json"
# Degrees: an arc's points closer than this to its simplified line are dropped. At the report's
# 960-pixel width a degree is about 2.7 pixels, so the map loses nothing a reader could see.
SIMPLIFY_DEGREES = 0.25
DECIMALS = 2
# Natural Earth shapes without an ISO numeric code, and the code GeoNames files them under.
UNNUMBERED = {"Kosovo": "XK", "N. Cyprus": "CY", "Somaliland": "SO"}

Point = tuple[float, float]


@dataclass(frozen=True)
class CountryShape:
    code: str
    name: str
    polygons: tuple[tuple[tuple[Point, ...], ...], ...]  # polygons of rings (outer ring first)
    centre: Point  # lon/lat of the largest polygon's centroid: where a country-wide dateline sits


# --- TopoJSON decoding ------------------------------------------------------------------------


def decode_arcs(topology: dict) -> list[list[Point]]:
    """Every arc in longitude/latitude: quantized arcs are delta-encoded integer positions."""
    transform = topology.get("transform")
    arcs: list[list[Point]] = []
    for arc in topology["arcs"]:
        if transform is None:
            arcs.append([(float(x), float(y)) for x, y, *_ in arc])
            continue
        (scale_x, scale_y), (shift_x, shift_y) = transform["scale"], transform["translate"]
        x = y = 0
        points = []
        for dx, dy, *_ in arc:
            x, y = x + dx, y + dy
            points.append((x * scale_x + shift_x, y * scale_y + shift_y))
        arcs.append(points)
    return arcs


def ring(indexes: Sequence[int], arcs: Sequence[Sequence[Point]]) -> list[Point]:
    """A closed ring from arc indexes; index ~i is arc i reversed, and each arc after the first
    starts on the point the previous one ended on, so that point is not repeated."""
    points: list[Point] = []
    for index in indexes:
        arc = list(arcs[index]) if index >= 0 else list(reversed(arcs[~index]))
        points.extend(arc if not points else arc[1:])
    return points


def simplify(points: Sequence[Point], tolerance: float) -> list[Point]:
    """Douglas–Peucker, iterative: the ends are always kept, so shared borders still meet."""
    if len(points) <= 2:
        return list(points)
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        (x1, y1), (x2, y2) = points[first], points[last]
        dx, dy = x2 - x1, y2 - y1
        length = math.hypot(dx, dy)
        farthest, distance = -1, tolerance
        for i in range(first + 1, last):
            px, py = points[i]
            d = (abs(dy * (px - x1) - dx * (py - y1)) / length if length
                 else math.hypot(px - x1, py - y1))
            if d > distance:
                farthest, distance = i, d
        if farthest >= 0:
            keep[farthest] = True
            stack += [(first, farthest), (farthest, last)]
    return [p for p, kept in zip(points, keep, strict=True) if kept]


def ring_area(points: Sequence[Point]) -> float:
    """Signed area in square degrees (shoelace)."""
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(points, points[1:] + points[:1],
                                                               strict=True)) / 2


def ring_centroid(points: Sequence[Point]) -> Point:
    area = ring_area(points)
    if not area:
        return points[0]
    pairs = zip(points, list(points[1:]) + list(points[:1]), strict=True)
    cx = cy = 0.0
    for (x1, y1), (x2, y2) in pairs:
        cross = x1 * y2 - x2 * y1
        cx, cy = cx + (x1 + x2) * cross, cy + (y1 + y2) * cross
    return cx / (6 * area), cy / (6 * area)


def unwrap(points: Sequence[Point]) -> list[Point]:
    """The ring with continuous longitudes (no step over 180 degrees). A ring around a pole
    (Antarctica) does not come back to its start: it is closed along the pole's parallel."""
    out = [points[0]]
    for lon, lat in points[1:]:
        previous = out[-1][0]
        while lon - previous > 180:
            lon -= 360
        while lon - previous < -180:
            lon += 360
        out.append((lon, lat))
    if abs(out[-1][0] - out[0][0]) >= 180:
        pole = -90.0 if sum(lat for _, lat in out) < 0 else 90.0
        out += [(out[-1][0], pole), (out[0][0], pole)]
    return out


def _clip(points: Sequence[Point], inside, crossing) -> list[Point]:
    """One Sutherland–Hodgman pass against a half-plane."""
    out: list[Point] = []
    for current, following in zip(points, list(points[1:]) + list(points[:1]), strict=True):
        if inside(current):
            out.append(current)
            if not inside(following):
                out.append(crossing(current, following))
        elif inside(following):
            out.append(crossing(current, following))
    return out


def _at_lon(lon: float):
    def crossing(a: Point, b: Point) -> Point:
        return (lon, a[1] + (b[1] - a[1]) * (lon - a[0]) / (b[0] - a[0]))
    return crossing


def clip_to_world(points: Sequence[Point]) -> list[Point]:
    """The part of a ring between longitudes -180 and 180."""
    west = _clip(points, lambda p: p[0] >= -180, _at_lon(-180.0))
    return _clip(west, lambda p: p[0] <= 180, _at_lon(180.0)) if west else []


def split_at_antimeridian(rings: Sequence[Sequence[Point]]) -> list[list[list[Point]]]:
    """A polygon whose rings cross the 180th meridian as the polygons on either side of it, so
    that no edge is drawn across the whole map (Russia's Chukotka, Fiji, Antarctica)."""
    if not any(abs(a[0] - b[0]) > 180 for r in rings for a, b in zip(r, list(r[1:]) + list(r[:1]),
                                                                       strict=True)):
        return [[list(r) for r in rings]]
    unwrapped = [unwrap(r) for r in rings]
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        clipped = [clip_to_world([(lon + shift, lat) for lon, lat in r]) for r in unwrapped]
        if len(clipped[0]) >= 3:
            pieces.append([r for r in clipped if len(r) >= 3])
    return pieces


def _open(points: tuple[Point, ...]) -> tuple[Point, ...]:
    """A ring without its closing point (SVG's Z closes it)."""
    return points[:-1] if len(points) > 1 and points[0] == points[-1] else points


def alpha2(numeric: str | None, name: str) -> str | None:
    """ISO 3166-1 alpha-2 for a Natural Earth shape (its id is the ISO numeric code)."""
    if numeric is None:
        return UNNUMBERED.get(name)
    import pycountry

    country = pycountry.countries.get(numeric=numeric)
    return country.alpha_2 if country is not None else None


def country_shapes(topology: dict, tolerance: float = SIMPLIFY_DEGREES) -> list[CountryShape]:
    """The `countries` object as shapes keyed by alpha-2 (shapes of one code merged), sorted."""
    arcs = [simplify(arc, tolerance) for arc in decode_arcs(topology)]
    merged: dict[str, tuple[str, list]] = {}
    for geometry in topology["objects"]["countries"]["geometries"]:
        name = geometry.get("properties", {}).get("name", "")
        code = alpha2(geometry.get("id"), name)
        if code is None:
            raise ValueError(f"no ISO alpha-2 code for the shape {name!r} ({geometry.get('id')})")
        parts = {"Polygon": [geometry["arcs"]], "MultiPolygon": geometry["arcs"]}.get(geometry["type"], [])
        polygons = merged.setdefault(code, (name, []))[1]
        for polygon in parts:
            for piece in split_at_antimeridian([ring(r, arcs) for r in polygon]):
                rings = [_open(tuple((round(x, DECIMALS), round(y, DECIMALS)) for x, y in r))
                         for r in piece]
                # A ring simplified to fewer than three distinct points is a speck at this scale.
                rings = [r for r in rings if len(set(r)) >= 3]
                if rings:
                    polygons.append(tuple(rings))
        if code in UNNUMBERED.values() and geometry.get("id") is not None:
            merged[code] = (name, polygons)  # the numbered shape names the country
    shapes = []
    for code, (name, polygons) in sorted(merged.items()):
        if not polygons:
            continue
        largest = max(polygons, key=lambda p: abs(ring_area(list(p[0]))))
        lon, lat = ring_centroid(list(largest[0]))
        shapes.append(CountryShape(code, name, tuple(polygons),
                                   (round(lon, DECIMALS), round(lat, DECIMALS))))
    return shapes


def atlas_json(shapes: Sequence[CountryShape], source: str) -> str:
    """The seed's text: one country per line, so a diff of a rebuild reads country by country."""
    lines = [json.dumps({"code": s.code, "name": s.name, "centre": list(s.centre),
                         "polygons": [[[list(p) for p in r] for r in poly] for poly in s.polygons]},
                        separators=(",", ":"), ensure_ascii=False)
             for s in shapes]
    return ('{"source":' + json.dumps(source) + ',"countries":[\n' + ",\n".join(lines) + "\n]}\n")


def build_atlas(source: Path, target: Path, tolerance: float = SIMPLIFY_DEGREES) -> int:
    topology = json.loads(source.read_text(encoding="utf-8"))
    shapes = country_shapes(topology, tolerance)
    label = f"world-atlas {source.name}, simplified at {tolerance} degrees"
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(atlas_json(shapes, label), encoding="utf-8")
    return len(shapes)


# --- reading and projecting -------------------------------------------------------------------


@lru_cache(maxsize=4)
def load_atlas(seeds_dir: str | None = None) -> tuple[CountryShape, ...]:
    """The vendored country shapes, read once per process."""
    document = json.loads(seed_path(ATLAS_SEED, seeds_dir).read_text(encoding="utf-8"))
    return tuple(
        CountryShape(c["code"], c["name"],
                     tuple(tuple(tuple((x, y) for x, y in r) for r in poly) for poly in c["polygons"]),
                     tuple(c["centre"]))
        for c in document["countries"]
    )


_A1, _A2, _A3, _A4 = 1.340264, -0.081106, 0.000893, 0.003796
_M = math.sqrt(3) / 2


def equal_earth(lon: float, lat: float) -> Point:
    """Equal Earth projection of degrees to a plane where x is in ±2.7064 and y in ±1.3173."""
    lam, phi = math.radians(lon), math.radians(lat)
    theta = math.asin(_M * math.sin(phi))
    t2 = theta * theta
    t6 = t2 * t2 * t2
    x = lam * math.cos(theta) / (_M * (_A1 + 3 * _A2 * t2 + t6 * (7 * _A3 + 9 * _A4 * t2)))
    y = theta * (_A1 + _A2 * t2 + t6 * (_A3 + _A4 * t2))
    return x, y


EQUAL_EARTH_X = equal_earth(180.0, 0.0)[0]
EQUAL_EARTH_Y = equal_earth(0.0, 90.0)[1]


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: python -m transforms.report.atlas countries-110m.json seeds/world/countries.json",
              file=sys.stderr)
        return 2
    count = build_atlas(Path(argv[0]), Path(argv[1]))
    print(f"wrote {count} countries to {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
