"""Label placement for the matrix charts: pure geometry, no drawing library.

Each label is a box of a known size (pixels, or any unit equal on both axes) that must sit beside
its point: the labels are placed one after the other, in the order given (rank 1 first, so the
first priority gets the best spot), each at the candidate position that costs least among those
that break no rule. The rules: inside the plot, clear of every label already placed, clear of every
labelled point (a label never hides one it names) and, unless nothing else fits, not across a
threshold line. The cost: the distance from the point, plus a penalty for each other point the
box covers and for a leader line that crosses another label. A label for which no position is free
is left out (None): the caller lists it elsewhere. Both the PNG (matplotlib, y up) and the page
(SVG, y down) use it; the rules do not depend on the direction of y.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Box:
    x0: float
    y0: float
    x1: float
    y1: float

    @property
    def width(self) -> float:
        return self.x1 - self.x0

    @property
    def height(self) -> float:
        return self.y1 - self.y0

    def overlaps(self, other: Box, pad: float = 0.0) -> bool:
        return not (self.x1 + pad <= other.x0 or other.x1 + pad <= self.x0
                    or self.y1 + pad <= other.y0 or other.y1 + pad <= self.y0)

    def contains(self, x: float, y: float, pad: float = 0.0) -> bool:
        return self.x0 - pad <= x <= self.x1 + pad and self.y0 - pad <= y <= self.y1 + pad

    def inside(self, bounds: Box) -> bool:
        return (self.x0 >= bounds.x0 and self.x1 <= bounds.x1
                and self.y0 >= bounds.y0 and self.y1 <= bounds.y1)

    def crosses_vertical(self, x: float) -> bool:
        return self.x0 < x < self.x1

    def crosses_horizontal(self, y: float) -> bool:
        return self.y0 < y < self.y1

    def nearest(self, x: float, y: float) -> tuple[float, float]:
        """The point of the box nearest to (x, y): where a leader line from (x, y) meets it."""
        return min(max(x, self.x0), self.x1), min(max(y, self.y0), self.y1)


# Directions tried at each distance, right and left first (a label reads best beside its point).
ANGLES = (0, 180, 30, 330, 150, 210, 60, 300, 120, 240, 90, 270)
DISTANCES = (6, 12, 20, 32, 48, 70, 100, 140, 190, 250, 320)


def _segments_cross(a: tuple[float, float], b: tuple[float, float], box: Box) -> bool:
    """Does the segment a-b pass through `box` (Liang-Barsky clipping)?"""
    (x0, y0), (x1, y1) = a, b
    dx, dy = x1 - x0, y1 - y0
    t0, t1 = 0.0, 1.0
    for p, q in ((-dx, x0 - box.x0), (dx, box.x1 - x0), (-dy, y0 - box.y0), (dy, box.y1 - y0)):
        if p == 0:
            if q < 0:
                return False
            continue
        t = q / p
        if p < 0:
            t0 = max(t0, t)
        else:
            t1 = min(t1, t)
        if t0 > t1:
            return False
    return t1 - t0 > 1e-9


def candidates(x: float, y: float, width: float, height: float,
               distances: Sequence[float] = DISTANCES) -> list[tuple[float, Box]]:
    """Boxes of the given size around (x, y), nearest first: (distance, box)."""
    out = []
    for r in distances:
        for angle in ANGLES:
            c, s = math.cos(math.radians(angle)), math.sin(math.radians(angle))
            cx = x + c * (r + width / 2)
            cy = y + s * (r + height / 2)
            out.append((float(r), Box(cx - width / 2, cy - height / 2, cx + width / 2, cy + height / 2)))
    return out


def place_labels(
    anchors: Sequence[tuple[float, float]],
    sizes: Sequence[Sequence[tuple[float, float]]],
    bounds: Box,
    *,
    points: Sequence[tuple[float, float]] = (),
    vertical_lines: Sequence[float] = (),
    horizontal_lines: Sequence[float] = (),
    gap: float = 3.0,
    marker: float = 5.0,
) -> list[tuple[Box, int] | None]:
    """For each label, in the order of `anchors`: its box and which of its sizes it takes, or None
    when no spot is free.

    `anchors` are the labelled points; `sizes` gives for each label the (width, height) it may
    take, preferred first (e.g. its text wrapped wide, then narrower and taller); `points` are the
    other points (a label should cover few of them); the lines are the quadrant thresholds. No two
    returned boxes are closer than `gap`, none is within `marker` of a labelled point, and every
    one is inside `bounds`."""
    px = np.array([p[0] for p in points], dtype=float)
    py = np.array([p[1] for p in points], dtype=float)
    placed: list[tuple[Box, int] | None] = []
    boxes: list[Box] = []
    leaders: list[tuple[tuple[float, float], tuple[float, float]]] = []
    for (x, y), options in zip(anchors, sizes, strict=True):
        best: tuple[float, Box, int] | None = None
        for strict_lines in (True, False):
            for option, (w, h) in enumerate(options):
                for distance, box in candidates(x, y, w, h):
                    if not box.inside(bounds):
                        continue
                    if any(box.overlaps(b, gap) for b in boxes):
                        continue
                    if any(box.contains(ax, ay, marker) for ax, ay in anchors):
                        continue
                    on_line = (sum(box.crosses_vertical(v) for v in vertical_lines)
                               + sum(box.crosses_horizontal(v) for v in horizontal_lines))
                    if strict_lines and on_line:
                        continue
                    end = box.nearest(x, y)
                    crossings = sum(1 for b in boxes if _segments_cross((x, y), end, b))
                    crossings += sum(1 for a, e in leaders if _intersect(a, e, (x, y), end))
                    covered = int(((px >= box.x0) & (px <= box.x1) & (py >= box.y0) & (py <= box.y1)).sum())
                    # a leader across a threshold puts the label in another quadrant than its point
                    across = (sum(1 for v in vertical_lines if min(x, end[0]) < v < max(x, end[0]))
                              + sum(1 for v in horizontal_lines if min(y, end[1]) < v < max(y, end[1])))
                    cost = (distance + 1.5 * min(covered, 60) + 200.0 * crossings + 500.0 * on_line + 60.0 * across
                            + 15.0 * option)
                    if best is None or cost < best[0]:
                        best = (cost, box, option)
            if best is not None:
                break
        if best is None:
            placed.append(None)
            continue
        placed.append((best[1], best[2]))
        boxes.append(best[1])
        leaders.append(((x, y), best[1].nearest(x, y)))
    return placed


def _intersect(a: tuple[float, float], b: tuple[float, float],
               c: tuple[float, float], d: tuple[float, float]) -> bool:
    """Do segments a-b and c-d properly cross (leader lines that cross read badly)?"""
    def orient(p, q, r) -> float:
        return (q[0] - p[0]) * (r[1] - p[1]) - (q[1] - p[1]) * (r[0] - p[0])
    d1, d2 = orient(c, d, a), orient(c, d, b)
    d3, d4 = orient(a, b, c), orient(a, b, d)
    return d1 * d2 < 0 and d3 * d4 < 0


def overlapping_pairs(boxes: Sequence[Box | None], gap: float = 0.0) -> list[tuple[int, int]]:
    """Index pairs of boxes that overlap (the tests' check, also handy while drawing)."""
    present = [(i, b) for i, b in enumerate(boxes) if b is not None]
    return [(i, j) for n, (i, a) in enumerate(present) for j, b in present[n + 1:] if a.overlaps(b, gap)]
