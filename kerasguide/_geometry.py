"""The geometry under the layered layout: boxes, rectangles, routes, and the
small pure functions that place them. No matplotlib here."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

Point = tuple[float, float]


@dataclass(frozen=True)
class Box:
    """A box to place: its size on screen and the nested models that hold it."""

    key: str
    width: float
    height: float
    groups: tuple[str, ...] = ()


@dataclass(frozen=True)
class Rect:
    """A rectangle on screen: top-left corner, width and height."""

    x: float
    y: float
    width: float
    height: float

    @property
    def right(self) -> float:
        return self.x + self.width

    @property
    def bottom(self) -> float:
        return self.y + self.height

    def overlaps(self, other: Rect) -> bool:
        """True when the two rectangles share more than an edge."""
        return (
            self.x < other.right
            and other.x < self.right
            and self.y < other.bottom
            and other.y < self.bottom
        )

    def contains(self, point: Point, *, inset: float = 0.0) -> bool:
        """True when ``point`` lies inside, at least ``inset`` from the border."""
        x, y = point
        return self.x + inset < x < self.right - inset and self.y + inset < y < self.bottom - inset


@dataclass(frozen=True)
class Route:
    """An edge's path: ``points[2i]→points[2i+1]`` run straight through a layer,
    ``points[2i+1]→points[2i+2]`` cross the gap to the next layer (drawn as a curve)."""

    source: str
    target: str
    points: tuple[Point, ...]


@dataclass(frozen=True)
class Layout:
    """Where everything goes; all in points, inside ``(0, 0, width, height)``."""

    boxes: dict[str, Rect]
    routes: list[Route]
    frames: dict[str, Rect]
    width: float
    height: float
    rankdir: str


@dataclass
class Node:
    key: str
    length: float  # along the layers' direction
    breadth: float  # across it
    groups: tuple[str, ...]
    dummy: bool
    layer: int = 0
    c: float = 0.0  # centre across


def new_node(box: Box, horizontal: bool) -> Node:
    length, breadth = (box.width, box.height) if horizontal else (box.height, box.width)
    return Node(box.key, length, breadth, box.groups, False)


def longest_path(keys: list[str], edges: list[tuple[str, str]]) -> dict[str, int]:
    """Layer of each node: one more than its deepest predecessor (inputs in layer 0)."""
    preds: dict[str, list[str]] = {key: [] for key in keys}
    waiting = dict.fromkeys(keys, 0)
    succs: dict[str, list[str]] = {key: [] for key in keys}
    for source, target in edges:
        preds[target].append(source)
        succs[source].append(target)
        waiting[target] += 1
    ready = [key for key in keys if not waiting[key]]
    layer: dict[str, int] = {}
    while ready:
        key = ready.pop(0)
        layer[key] = max((layer[p] + 1 for p in preds[key]), default=0)
        for nxt in succs[key]:
            waiting[nxt] -= 1
            if not waiting[nxt]:
                ready.append(nxt)
    if len(layer) != len(keys):
        raise ValueError("the layer graph has a cycle")
    return layer


def initial_order(nodes: dict[str, Node], succs: dict[str, list[str]]) -> list[list[str]]:
    """Layers in depth-first order from the inputs: a good start for the sweeps."""
    seen: dict[str, int] = {}
    for root in nodes:
        stack = [root]
        while stack:
            key = stack.pop()
            if key not in seen:
                seen[key] = len(seen)
                stack.extend(reversed(succs[key]))
    layers: list[list[str]] = [[] for _ in range(1 + max(n.layer for n in nodes.values()))]
    for key in sorted(nodes, key=seen.__getitem__):
        layers[nodes[key].layer].append(key)
    return layers


def group_key(
    centre: dict[str, float], nodes: dict[str, Node]
) -> Callable[[str], tuple[float | str, ...]]:
    """Sort by barycentre, keeping the members of a nested model together."""
    sums: dict[str, list[float]] = {}
    for key, value in centre.items():
        for group in nodes[key].groups:
            sums.setdefault(group, []).append(value)
    mean = {group: sum(values) / len(values) for group, values in sums.items()}

    def sort_key(name: str) -> tuple[float | str, ...]:
        parts: list[float | str] = []
        for group in nodes[name].groups:
            parts += [mean[group], group]
        return (*parts, centre[name])

    return sort_key


def isotonic(targets: list[float], weights: list[float]) -> list[float]:
    """Closest non-decreasing sequence (least squares): pool adjacent violators."""
    blocks: list[list[float]] = []  # [value, weight, count]
    for target, weight in zip(targets, weights, strict=True):
        blocks.append([target, weight, 1])
        while len(blocks) > 1 and blocks[-2][0] > blocks[-1][0]:
            value, w, n = blocks.pop()
            top = blocks[-1]
            top[0] = (top[0] * top[1] + value * w) / (top[1] + w)
            top[1] += w
            top[2] += n
    return [value for value, _, count in blocks for _ in range(int(count))]


def common(a: tuple[str, ...], b: tuple[str, ...]) -> tuple[str, ...]:
    """The nested models that hold both ``a`` and ``b``'s boxes."""
    shared = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        shared += 1
    return a[:shared]


def group_spans(nodes: Iterable[Node]) -> dict[str, tuple[int, int]]:
    spans: dict[str, tuple[int, int]] = {}
    for node in nodes:
        for group in node.groups:
            low, high = spans.get(group, (node.layer, node.layer))
            spans[group] = (min(low, node.layer), max(high, node.layer))
    return spans


def count(groups: tuple[str, ...], spans: dict[str, tuple[int, int]], end: int, layer: int) -> int:
    """How many of ``groups`` open (end=0) or close (end=1) at ``layer``."""
    return sum(1 for group in groups if spans[group][end] == layer)


def screen(along: float, across: float, length: float, breadth: float, horizontal: bool) -> Rect:
    if horizontal:
        return Rect(along, across, length, breadth)
    return Rect(across, along, breadth, length)


def across(rect: Rect, horizontal: bool) -> tuple[float, float]:
    return (rect.y, rect.bottom) if horizontal else (rect.x, rect.right)


def along(rect: Rect, horizontal: bool) -> tuple[float, float]:
    return (rect.x, rect.right) if horizontal else (rect.y, rect.bottom)


def union(rects: list[Rect]) -> Rect:
    left, top = min(r.x for r in rects), min(r.y for r in rects)
    right, bottom = max(r.right for r in rects), max(r.bottom for r in rects)
    return Rect(left, top, right - left, bottom - top)


def grow(rect: Rect, pad: float, label: float) -> Rect:
    """``rect`` with ``pad`` around it and room for a label at the top."""
    return Rect(
        rect.x - pad, rect.y - pad - label, rect.width + 2 * pad, rect.height + 2 * pad + label
    )


def normalized(
    boxes: dict[str, Rect], routes: list[Route], frames: dict[str, Rect], rankdir: str
) -> Layout:
    """Everything moved so that the top-left corner is at (0, 0)."""
    rects = list(boxes.values()) + list(frames.values())
    points = [p for route in routes for p in route.points]
    left = min([r.x for r in rects] + [x for x, _ in points])
    top = min([r.y for r in rects] + [y for _, y in points])
    right = max([r.right for r in rects] + [x for x, _ in points])
    bottom = max([r.bottom for r in rects] + [y for _, y in points])

    def move(rect: Rect) -> Rect:
        return Rect(rect.x - left, rect.y - top, rect.width, rect.height)

    moved = [
        Route(r.source, r.target, tuple((x - left, y - top) for x, y in r.points)) for r in routes
    ]
    return Layout(
        {k: move(r) for k, r in boxes.items()},
        moved,
        {k: move(r) for k, r in frames.items()},
        right - left,
        bottom - top,
        rankdir,
    )


def shifted(layout: Layout, dx: float, dy: float) -> Layout:
    """``layout`` moved by ``(dx, dy)``: a panel placed on a larger sheet."""

    def move(rect: Rect) -> Rect:
        return Rect(rect.x + dx, rect.y + dy, rect.width, rect.height)

    routes = [
        Route(r.source, r.target, tuple((x + dx, y + dy) for x, y in r.points))
        for r in layout.routes
    ]
    return Layout(
        {k: move(r) for k, r in layout.boxes.items()},
        routes,
        {k: move(r) for k, r in layout.frames.items()},
        layout.width,
        layout.height,
        layout.rankdir,
    )


def pack(
    sizes: list[tuple[float, float]], *, screen: Point, gap: float, by_height: bool = True
) -> tuple[float, list[Point]]:
    """Top-left corners of panels: the first at the top left, the others packed around it.

    Panels are packed on a skyline (each as high up as it fits, then as far left), tallest
    first (or widest first), ``gap`` apart, within several widths; the packing that needs
    the fewest screens (``screen`` is one's width and height) wins, then the smallest.
    Returns that number of screens and the corners.

    Example:
        >>> pack([(100, 50), (100, 50)], screen=(150, 200), gap=0)
        (1.0, [(0.0, 0.0), (0.0, 50.0)])
    """
    widest = max(w for w, _ in sizes)
    widths = {widest} | {screen[0] * k / 4 for k in range(4, 17) if screen[0] * k / 4 > widest}
    best: tuple[float, float, list[Point]] | None = None
    for width in sorted(widths):
        places = _skyline(sizes, width, gap, by_height=by_height)
        right = max(x + w for (x, _), (w, _) in zip(places, sizes, strict=True))
        bottom = max(y + h for (_, y), (_, h) in zip(places, sizes, strict=True))
        screens = max(right / screen[0], 1.0) * max(bottom / screen[1], 1.0)
        if best is None or (screens, right * bottom) < best[:2]:
            best = (screens, right * bottom, places)
    assert best is not None
    return best[0], best[2]


def _skyline(
    sizes: list[tuple[float, float]], limit: float, gap: float, *, by_height: bool
) -> list[Point]:
    """Bottom-left packing within ``limit`` points of width; the first panel at (0, 0)."""
    sky: list[tuple[float, float, float]] = [(0.0, limit, 0.0)]  # (x, width, top) segments
    places: dict[int, Point] = {}
    rest = sorted(range(1, len(sizes)), key=lambda i: -sizes[i][1 if by_height else 0])
    for index in [0, *rest]:
        width, height = sizes[index][0] + gap, sizes[index][1] + gap
        spots = []
        for start in range(len(sky)):
            x = sky[start][0]
            if x + width > max(limit, width) and x > 0:
                break
            covered, top, end = 0.0, 0.0, start
            while covered < width and end < len(sky):
                top = max(top, sky[end][2])
                covered += sky[end][1]
                end += 1
            spots.append((top, x))
        top, x = min(spots)
        places[index] = (x, top)
        sky = _raise(sky, x, width, top + height)
    return [places[i] for i in range(len(sizes))]


def _raise(
    sky: list[tuple[float, float, float]], x: float, width: float, top: float
) -> list[tuple[float, float, float]]:
    """The skyline with ``[x, x + width)`` raised to ``top``."""
    result: list[tuple[float, float, float]] = []
    for start, size, height in sky:
        end = start + size
        if end <= x or start >= x + width:
            result.append((start, size, height))
            continue
        if start < x:
            result.append((start, x - start, height))
        if end > x + width:
            result.append((x + width, end - x - width, height))
    result.append((x, width, top))
    result.sort()
    return result
