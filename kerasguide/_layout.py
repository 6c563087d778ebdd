"""A layered (Sugiyama-style) layout of a layer graph, in points. No matplotlib here.

1. Layers by longest path: inputs in the first layer, every edge points forward.
2. Dummy nodes on edges that skip layers, so an edge crosses a layer in its own
   slot and never runs through a box.
3. Barycentric ordering sweeps that reduce crossings and keep the boxes of an
   expanded nested model next to each other.
4. Cross-axis positions by isotonic regression: each box as close as it can be
   to its neighbours, never closer to the next box than their separation.
5. Routes that bend only in the gaps between layers; frames around nested models.

Coordinates on screen: x to the right, y downwards. ``rankdir="TB"`` puts the
layers from top to bottom, ``"LR"`` from left to right.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable

from kerasguide._geometry import (
    Box,
    Layout,
    Node,
    Rect,
    Route,
    across,
    along,
    common,
    count,
    group_key,
    group_spans,
    grow,
    initial_order,
    isotonic,
    longest_path,
    new_node,
    normalized,
    screen,
    union,
)

NODE_GAP = 20.0  # between two boxes of one layer
EDGE_GAP = 8.0  # beside an edge that passes through a layer
LAYER_GAP = 34.0  # between two layers, for the curves of the edges
PAD = 8.0  # between a nested model's frame and its boxes
PORT_STEP = 14.0  # between the ends of edges that share a side of a box
SWEEPS = 12  # ordering sweeps (each down and up)
ROUNDS = 6  # positioning rounds (each down and up)


def layered_layout(
    boxes: list[Box],
    edges: list[tuple[str, str]],
    *,
    rankdir: str = "TB",
    label: float = 14.0,
    layer_gap: float = LAYER_GAP,
    node_gap: float = NODE_GAP,
) -> Layout:
    """Place ``boxes`` in layers along ``edges`` (a DAG); ``label``: room for frame titles.

    Example:
        >>> layout = layered_layout([Box("a", 60, 30), Box("b", 60, 30)], [("a", "b")])
        >>> layout.boxes["a"].y < layout.boxes["b"].y
        True
    """
    graph = _Graph(boxes, edges, horizontal=rankdir == "LR", label=label)
    graph.layer_gap, graph.node_gap = layer_gap, node_gap
    graph.order()
    graph.place()
    return graph.layout(rankdir)


class _Graph:
    def __init__(
        self, boxes: list[Box], edges: list[tuple[str, str]], *, horizontal: bool, label: float
    ) -> None:
        self.horizontal = horizontal
        self.label = label
        self.layer_gap, self.node_gap = LAYER_GAP, NODE_GAP
        self.nodes = {b.key: new_node(b, horizontal) for b in boxes}
        self.succs: dict[str, list[str]] = {key: [] for key in self.nodes}
        self.preds: dict[str, list[str]] = {key: [] for key in self.nodes}
        for key, layer in longest_path(list(self.nodes), edges).items():
            self.nodes[key].layer = layer
        self.chains = [self._chain(source, target) for source, target in edges]
        self.layers = initial_order(self.nodes, self.succs)

    def _chain(self, source: str, target: str) -> list[str]:
        """The path of an edge through dummy nodes, one per layer it skips."""
        first, last = self.nodes[source], self.nodes[target]
        groups = common(first.groups, last.groups)
        chain = [source]
        for layer in range(first.layer + 1, last.layer):
            key = f"\0{source}\0{target}\0{layer}"
            self.nodes[key] = Node(key, 0.0, EDGE_GAP, groups, True, layer)
            self.succs[key], self.preds[key] = [], []
            chain.append(key)
        chain.append(target)
        for a, b in itertools.pairwise(chain):
            self.succs[a].append(b)
            self.preds[b].append(a)
        return chain

    # --- ordering -------------------------------------------------------------

    def order(self) -> None:
        best, fewest = [list(layer) for layer in self.layers], self.crossings()
        for _ in range(SWEEPS):
            if fewest == 0:
                break
            for index in range(1, len(self.layers)):
                self._sort(index, self.preds, index - 1)
            for index in range(len(self.layers) - 2, -1, -1):
                self._sort(index, self.succs, index + 1)
            count = self.crossings()
            if count < fewest:
                best, fewest = [list(layer) for layer in self.layers], count
        self.layers = best

    def _sort(self, index: int, neighbours: dict[str, list[str]], other: int) -> None:
        where = {key: i for i, key in enumerate(self.layers[other])}
        layer = self.layers[index]
        centre = {}
        for i, key in enumerate(layer):
            near = [where[n] for n in neighbours[key] if n in where]
            centre[key] = sum(near) / len(near) if near else float(i)
        self.layers[index] = sorted(layer, key=group_key(centre, self.nodes))

    def crossings(self) -> int:
        """Number of edge crossings between neighbouring layers."""
        total = 0
        for upper, lower in itertools.pairwise(self.layers):
            where = {key: i for i, key in enumerate(lower)}
            ends = [(i, where[s]) for i, key in enumerate(upper) for s in self.succs[key]]
            total += sum(
                1 for (a, b), (c, d) in itertools.combinations(ends, 2) if (a - c) * (b - d) < 0
            )
        return total

    # --- positions ------------------------------------------------------------

    def place(self) -> None:
        for layer in self.layers:
            self._align(layer, lambda key: [])
        for _ in range(ROUNDS):
            for layer in self.layers[1:]:
                self._align(layer, self.preds.__getitem__)
            for layer in reversed(self.layers[:-1]):
                self._align(layer, self.succs.__getitem__)
        for layer in self.layers:
            self._align(layer, lambda key: self.preds[key] + self.succs[key])
        for _ in range(10):
            if not self._separate_frames():
                break

    def _align(self, layer: list[str], neighbours: Callable[[str], list[str]]) -> None:
        targets, weights = [], []
        for key in layer:
            near = neighbours(key)
            pull = [self._weight(key, n) for n in near]
            total = sum(pull)
            if total:
                targets.append(
                    sum(w * self.nodes[n].c for w, n in zip(pull, near, strict=True)) / total
                )
            else:
                targets.append(self.nodes[key].c)
            weights.append(2.0 if self.nodes[key].dummy else 1.0)
        offsets = list(itertools.accumulate(self._gaps(layer), initial=0.0))
        fitted = isotonic([t - o for t, o in zip(targets, offsets, strict=True)], weights)
        for key, value, offset in zip(layer, fitted, offsets, strict=True):
            self.nodes[key].c = value + offset

    def _weight(self, a: str, b: str) -> float:
        dummies = self.nodes[a].dummy + self.nodes[b].dummy
        return (1.0, 2.0, 8.0)[dummies]

    def _gaps(self, layer: list[str]) -> list[float]:
        return [self._gap(self.nodes[a], self.nodes[b]) for a, b in itertools.pairwise(layer)]

    def _gap(self, a: Node, b: Node) -> float:
        """Centre-to-centre distance that keeps ``a`` and ``b`` (and their frames) apart."""
        shared = len(common(a.groups, b.groups))
        left, right = len(a.groups) - shared, len(b.groups) - shared
        room = EDGE_GAP if a.dummy or b.dummy else self.node_gap
        return (a.breadth + b.breadth) / 2 + room + PAD * (left + right) + self._side_label(right)

    def _side_label(self, frames: int) -> float:
        """Room for frame labels across the layers: only when labels sit there (LR)."""
        return self.label * frames if self.horizontal else 0.0

    def _separate_frames(self) -> bool:
        """Move boxes out of the frames of nested models they don't belong to."""
        bands = self._bands()
        moved = False
        for group, frame in self._frames(bands).items():
            low, high = across(frame, self.horizontal)
            first, last = along(frame, self.horizontal)
            for layer in self.layers:
                band = bands[self.nodes[layer[0]].layer]
                if band[0] + band[1] <= first or band[0] >= last:
                    continue
                moved |= self._push_out(layer, group, low, high)
        return moved

    def _push_out(self, layer: list[str], group: str, low: float, high: float) -> bool:
        members = [i for i, key in enumerate(layer) if group in self.nodes[key].groups]
        middle = (low + high) / 2
        for i, key in enumerate(layer):
            node = self.nodes[key]
            if group in node.groups:
                continue
            before = i < members[0] if members else node.c < middle
            # Room for the node's own frames too (an upper bound: all its levels).
            levels = len(node.groups)
            extent = node.breadth / 2 + PAD * levels + self._side_label(levels) + EDGE_GAP
            if before and node.c + extent > low:
                self._shift(layer, i, low - extent - node.c, -1)
                return True
            if not before and node.c - extent < high:
                self._shift(layer, i, high + extent - node.c, +1)
                return True
        return False

    def _shift(self, layer: list[str], index: int, delta: float, step: int) -> None:
        """Move ``layer[index]`` by ``delta`` and push its neighbours on that side along."""
        self.nodes[layer[index]].c += delta
        stop = -1 if step < 0 else len(layer)
        for i in range(index + step, stop, step):
            near, node = self.nodes[layer[i - step]], self.nodes[layer[i]]
            gap = self._gap(node, near) if step < 0 else self._gap(near, node)
            if step > 0:
                node.c = max(node.c, near.c + gap)
            else:
                node.c = min(node.c, near.c - gap)

    # --- geometry -------------------------------------------------------------

    def _bands(self) -> list[tuple[float, float]]:
        """Start and thickness of each layer along the layers' direction."""
        spans = group_spans(self.nodes.values())
        bands, start = [], 0.0
        for index, layer in enumerate(self.layers):
            thickness = max(self.nodes[key].length for key in layer)
            if index:
                start += self._layer_gap(spans, index)
            bands.append((start, thickness))
            start += thickness
        return bands

    def _layer_gap(self, spans: dict[str, tuple[int, int]], index: int) -> float:
        closing = max(
            count(self.nodes[k].groups, spans, 1, index - 1) for k in self.layers[index - 1]
        )
        opening = max(count(self.nodes[k].groups, spans, 0, index) for k in self.layers[index])
        label = 0.0 if self.horizontal else self.label
        return self.layer_gap + PAD * closing + (PAD + label) * opening

    def _rect(self, node: Node, bands: list[tuple[float, float]]) -> Rect:
        start, thickness = bands[node.layer]
        length = thickness if node.dummy else node.length
        along = start + (thickness - length) / 2
        return screen(along, node.c - node.breadth / 2, length, node.breadth, self.horizontal)

    def _frames(self, bands: list[tuple[float, float]]) -> dict[str, Rect]:
        """A frame around each nested model's boxes (and inner frames), deepest first."""
        members: dict[str, list[Rect]] = {}
        for node in self.nodes.values():
            for group in node.groups:
                members.setdefault(group, []).append(self._rect(node, bands))
        frames: dict[str, Rect] = {}
        for group in sorted(members, key=lambda g: -g.count("/")):
            inner = [frames[g] for g in frames if g.startswith(group + "/")]
            frames[group] = grow(union(members[group] + inner), PAD, self.label)
        return frames

    def _ports(self, key: str, side: str) -> dict[tuple[str, str, str], float]:
        """Where the edges of one side of a box meet it, spread in the order of their ends."""
        node = self.nodes[key]
        ends = self.succs[key] if side == "out" else self.preds[key]
        ordered = sorted(ends, key=lambda end: self.nodes[end].c)
        count = len(ordered)
        step = min(PORT_STEP, 0.7 * node.breadth / (count - 1)) if count > 1 else 0.0
        return {
            (key, side, end): node.c + (i - (count - 1) / 2) * step for i, end in enumerate(ordered)
        }

    def _route(
        self,
        chain: list[str],
        bands: list[tuple[float, float]],
        ports: dict[tuple[str, str, str], float],
    ) -> Route:
        first, last = self.nodes[chain[0]], self.nodes[chain[-1]]
        out, into = ports[chain[0], "out", chain[1]], ports[chain[-1], "in", chain[-2]]
        start, thickness = bands[first.layer]
        along: list[tuple[float, float]] = [
            (start + (thickness + first.length) / 2, out),
            (start + thickness, out),
        ]
        for key in chain[1:-1]:
            node = self.nodes[key]
            begin, size = bands[node.layer]
            along += [(begin, node.c), (begin + size, node.c)]
        begin, size = bands[last.layer]
        along += [(begin, into), (begin + (size - last.length) / 2, into)]
        points = tuple((r, c) if self.horizontal else (c, r) for r, c in along)
        return Route(chain[0], chain[-1], points)

    def layout(self, rankdir: str) -> Layout:
        bands = self._bands()
        ports: dict[tuple[str, str, str], float] = {}
        for key, node in self.nodes.items():
            if not node.dummy:
                ports.update(self._ports(key, "out"))
                ports.update(self._ports(key, "in"))
        boxes = {k: self._rect(n, bands) for k, n in self.nodes.items() if not n.dummy}
        routes = [self._route(chain, bands, ports) for chain in self.chains]
        return normalized(boxes, routes, self._frames(bands), rankdir)
