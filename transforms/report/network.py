"""Who is mentioned with whom: the network's layout (networkx ForceAtlas2, seeded, so the same
nodes and edges always give the same picture), its labels placed where they overlap neither
each other nor the circles, and its SVG."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from transforms.report.model import NetworkEdge, NetworkNode
from transforms.report.text import esc, plural, shorten

LAYOUT_SEED = 11
NETWORK_LABEL_CHARS = 24
LABEL_CHAR_WIDTH = 6.8
LABEL_HEIGHT = 12.0
LABEL_ASCENT = 9.0
LABEL_DESCENT = 3.0
LABEL_RINGS = 14
LABEL_COLOURS = {"PERSON": "#4269d0", "ORG": "#ff725c", "GOV_BODY": "#3ca951", "MILITARY": "#a463f2"}


def network_layout(nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge]
                   ) -> dict[tuple[str, str], tuple[float, float]]:
    """Positions in [0, 1]² from a seeded force-directed layout over sorted nodes and edges, rounded
    so that floating-point noise cannot change the page's bytes."""
    import networkx as nx

    graph = nx.Graph()
    graph.add_nodes_from(sorted(n.key for n in nodes))
    for edge in sorted(edges):
        graph.add_edge(edge.source, edge.target, weight=edge.shared_dispatches)
    if graph.number_of_nodes() == 0:
        return {}
    if graph.number_of_nodes() == 1:
        return {next(iter(graph.nodes)): (0.5, 0.5)}
    # ForceAtlas2 with strong gravity keeps small components near the middle instead of
    # flinging them to the edges as a plain spring layout does; node sizes keep big nodes apart.
    sizes = {n.key: 1.0 + 3.0 * n.dispatches / max(m.dispatches for m in nodes) for n in nodes}
    raw = nx.forceatlas2_layout(graph, seed=LAYOUT_SEED, max_iter=300, gravity=1.0,
                                strong_gravity=True, weight="weight", node_size=sizes)
    xs = [float(p[0]) for p in raw.values()]
    ys = [float(p[1]) for p in raw.values()]
    span_x, span_y = (max(xs) - min(xs)) or 1.0, (max(ys) - min(ys)) or 1.0
    return {
        key: (round((float(p[0]) - min(xs)) / span_x, 4), round((float(p[1]) - min(ys)) / span_y, 4))
        for key, p in raw.items()
    }


@dataclass(frozen=True)
class Label:
    """Where a node's name is written: the text's anchor point and alignment, its estimated box,
    and whether it sits far enough from its node to need a leader line (from the box's edge)."""

    x: float
    y: float
    anchor: str
    box: tuple[float, float, float, float]  # left, top, right, bottom
    leader: bool = False
    anchor_x: float = 0.0
    anchor_y: float = 0.0


def label_width(text: str) -> float:
    """A generous estimate of the 10-px sans-serif text's width, so boxes that do not overlap
    here do not overlap in the browser either."""
    return LABEL_CHAR_WIDTH * len(text) + 2


def _overlap(a: tuple[float, float, float, float], b: tuple[float, float, float, float]) -> float:
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    return width * height if width > 0 and height > 0 else 0.0


def _circle_box_overlap(box: tuple[float, float, float, float], x: float, y: float, r: float) -> bool:
    nearest_x, nearest_y = min(max(x, box[0]), box[2]), min(max(y, box[1]), box[3])
    return (nearest_x - x) ** 2 + (nearest_y - y) ** 2 < r * r


def _label_candidates(x: float, y: float, r: float, width: float):
    """Positions around a node, nearest first: above, below, right, left, the corners, then the
    same further out and shifted sideways (a leader line then ties the name to its node)."""
    for step in range(LABEL_RINGS):
        gap = 3 + step * (LABEL_HEIGHT + 2)
        far = step > 0
        shifts = (0.0,) if not far else (0.0, -width / 2 - r, width / 2 + r)
        for shift in shifts:
            yield x + shift, y - r - gap - LABEL_DESCENT, "middle", far
            yield x + shift, y + r + gap + LABEL_ASCENT, "middle", far
        yield x + r + gap, y + 4, "start", far
        yield x - r - gap, y + 4, "end", far
        for dx, dy in ((1, -1), (-1, -1), (1, 1), (-1, 1)):
            corner_x = x + dx * (r * 0.7 + gap)
            corner_y = y + dy * (r * 0.7 + gap) + (LABEL_ASCENT if dy > 0 else -LABEL_DESCENT)
            yield corner_x, corner_y, "start" if dx > 0 else "end", far


def _label_box(x: float, y: float, anchor: str, width: float) -> tuple[float, float, float, float]:
    left = x - width / 2 if anchor == "middle" else x if anchor == "start" else x - width
    return (left, y - LABEL_ASCENT, left + width, y + LABEL_DESCENT)


def place_labels(circles: Sequence[tuple[float, float, float, str]], width: float, height: float
                 ) -> list[Label]:
    """A place for every node's name, biggest node first: the nearest position around it whose
    box stays on the canvas and covers no other name and no circle; if none is free, the one
    that overlaps least. Deterministic: the same circles give the same places."""
    placed: list[tuple[float, float, float, float]] = []
    labels = []
    for own, (x, y, r, text) in enumerate(circles):
        text_width = label_width(text)
        best, best_cost = None, math.inf
        for cx, cy, anchor, far in _label_candidates(x, y, r, text_width):
            box = _label_box(cx, cy, anchor, text_width)
            if box[0] < 1 or box[1] < 1 or box[2] > width - 1 or box[3] > height - 1:
                continue
            cost = sum(_overlap(box, other) for other in placed)
            cost += sum(LABEL_HEIGHT * 4 for i, (ox, oy, orad, _) in enumerate(circles)
                        if i != own and _circle_box_overlap(box, ox, oy, orad))
            if cost < best_cost:
                best, best_cost = (cx, cy, anchor, far, box), cost
            if cost == 0:
                break
        if best is None:  # no candidate on the canvas at all: write it over the node
            box = _label_box(x, y + 4, "middle", text_width)
            best = (x, y + 4, "middle", False, box)
        cx, cy, anchor, far, box = best
        placed.append(box)
        labels.append(Label(round(cx, 1), round(cy, 1), anchor, box, far,
                            round(min(max(x, box[0]), box[2]), 1), round(min(max(y, box[1]), box[3]), 1)))
    return labels


def render_network_svg(nodes: Sequence[NetworkNode], edges: Sequence[NetworkEdge],
                       width: int = 960, height: int = 560) -> str:
    if not nodes:
        return '<p class="empty">No people or organisations in this window.</p>'
    positions = network_layout(nodes, edges)
    margin = 70
    def place(key: tuple[str, str]) -> tuple[float, float]:
        x, y = positions[key]
        return margin + x * (width - 2 * margin), 34 + y * (height - 58)

    names = {n.key: n.name for n in nodes}
    widest = max((e.shared_dispatches for e in edges), default=1)
    largest = max(n.dispatches for n in nodes)
    parts = [f'<svg class="network" viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
             f'role="img" aria-label="co-mention network">']
    for edge in sorted(edges, key=lambda e: (e.shared_dispatches, e.source, e.target)):
        (x1, y1), (x2, y2) = place(edge.source), place(edge.target)
        stroke = 0.6 + 5.4 * edge.shared_dispatches / widest
        parts.append(
            f'<line class="edge" x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke-width="{stroke:.2f}" data-shared="{edge.shared_dispatches}">'
            f"<title>{esc(names[edge.source])} — {esc(names[edge.target])}: "
            f"{plural(edge.shared_dispatches, 'shared dispatch')}</title></line>"
        )
    circles = []
    for node in sorted(nodes, key=lambda n: (-n.dispatches, n.label, n.name)):
        x, y = place(node.key)
        radius = round(4 + 18 * math.sqrt(node.dispatches / largest), 1)
        circles.append((node, round(x, 1), round(y, 1), radius))
    labels = place_labels([(x, y, r, shorten(n.name, NETWORK_LABEL_CHARS)) for n, x, y, r in circles],
                          width, height)
    for node, x, y, radius in circles:
        colour = LABEL_COLOURS.get(node.label, "#888")
        parts.append(
            f'<g class="node" data-label="{esc(node.label)}" data-name="{esc(node.name)}" '
            f'data-dispatches="{node.dispatches}" data-mentions="{node.mentions}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius:.1f}" fill="{colour}">'
            f"<title>{esc(node.name)} ({esc(node.label)}): {plural(node.mentions, 'mention')} in "
            f"{plural(node.dispatches, 'dispatch')}</title></circle></g>"
        )
    # Every name is written, after every circle so that no circle covers a name.
    parts.append('<g class="labels">')
    for (node, x, y, _), label in zip(circles, labels, strict=True):
        if label.leader:
            parts.append(f'<line class="leader" x1="{x:.1f}" y1="{y:.1f}" x2="{label.anchor_x:.1f}" '
                         f'y2="{label.anchor_y:.1f}"/>')
        parts.append(f'<text class="node-label" x="{label.x:.1f}" y="{label.y:.1f}" '
                     f'text-anchor="{label.anchor}" data-name="{esc(node.name)}">'
                     f"{esc(shorten(node.name, NETWORK_LABEL_CHARS))}</text>")
    parts.append("</g>")
    parts.append("</svg>")
    legend = "".join(
        f'<li><span class="swatch" style="background:{colour}"></span>{esc(label)}</li>'
        for label, colour in LABEL_COLOURS.items()
    )
    return "".join(parts) + f'<ul class="legend">{legend}</ul>'


# --- tables ---------------------------------------------------------------------------------
