"""Folded diagrams: what to draw when a model's blocks are folded (see ``blocks.py``).

A folded diagram is made of *panels*, each laid out on its own:

- the main panel: one box per run of like blocks (marked ×N, with what goes in and
  comes out and the parameters of all its blocks), one per block seen once, and the
  loose layers as usual; edges between boxes wherever a layer of one feeds a layer of
  the other, so skip connections stay visible;
- one panel per distinct block structure, drawn in full from its first instance, with
  a stub for each tensor it takes from outside. A large block's own repeated parts
  are folded in turn (a NASNet cell's branches) and drawn once in panels of their own;
  a nested model's panel is its own folded diagram.

Structures are lettered in the order they are first drawn: A, B, C, …

``depth`` opens blocks: at depth 1 every block is a box; at depth 2 the model's blocks
are drawn open, in titled frames, and nested models are opened with their own blocks
folded; and so on.
"""

from __future__ import annotations

from collections.abc import Sequence

from kerasguide._boxes import (
    BLOCK_COLOR,
    STUB_COLOR,
    DiagramOptions,
    box_color,
    box_lines,
    flow_text,
    params_text,
)
from kerasguide._draw import Node
from kerasguide._graph import Diagram, DiagramNode, diagram_graph, is_graph_model
from kerasguide._rows import output_shapes
from kerasguide._shapes import format_shapes
from kerasguide._sheet import Panel
from kerasguide._types import KerasModel, KerasOperation
from kerasguide.blocks import Block, BlockFinder, BlockRun, Blocks, made_up_name

FOLD_ABOVE = 60  # fold="auto" folds a diagram of more boxes than this
PARTS_ABOVE = 20  # a block drawn in full has its own repeated parts folded above this
MAX_STACK = 3  # cards drawn behind a box for a run of blocks
INLINE_AT_MOST = 3  # a block of no more layers, seen once, is drawn open, not folded
OPEN = 10**6  # a depth that opens everything


def fold_depth(fold: str | int, boxes: int, *, expand_nested: bool) -> int | None:
    """How many levels of blocks to open; None to draw every layer (no folding)."""
    if fold == "none" or (fold == "auto" and boxes <= FOLD_ABOVE):
        return None
    if fold in ("auto", "blocks"):
        return 2 if expand_nested and fold == "auto" else 1
    return int(fold)


def folded_panels(model: KerasModel, depth: int, options: DiagramOptions) -> list[Panel]:
    """The main panel of ``model`` folded to ``depth``, then one per distinct block."""
    builder = _Builder(options)
    main = builder.main(model, depth)
    return [main, *builder.details()]


class _Builder:
    def __init__(self, options: DiagramOptions) -> None:
        self.options = options
        self.finders: dict[int, BlockFinder] = {}
        self.found: dict[int, Blocks] = {}
        self.letters: dict[tuple[int, object], str] = {}
        self.wanted: dict[str, tuple[KerasModel, Block, int]] = {}  # letter → first, count
        self.suffix = ""  # a block id that names end with, left out inside that block
        self.scale = 1.0  # of the text of the boxes being made

    def _short(self, name: str) -> str:
        return name.removesuffix(self.suffix) if self.suffix else name

    def finder(self, model: KerasModel) -> BlockFinder:
        if id(model) not in self.finders:
            self.finders[id(model)] = BlockFinder(model)
        return self.finders[id(model)]

    def graph(self, model: KerasModel) -> Diagram:
        return self.finder(model).graph

    def blocks(self, model: KerasModel) -> Blocks:
        if id(model) not in self.found:
            self.found[id(model)] = self.finder(model).blocks()
        return self.found[id(model)]

    def letter(self, model: KerasModel, block: Block, count: int, *, draw: bool = True) -> str:
        """The letter of ``block``'s structure, registering it to be drawn in full.

        The main model's structures keep the letters :func:`find_blocks` gives them;
        the others (nested models', a block's parts) take the next free ones.
        """
        key = (id(model), block.signature)
        if key not in self.letters:
            taken = set(self.letters.values())
            self.letters[key] = next(
                _letter(i) for i in range(len(taken) + 1) if _letter(i) not in taken
            )
        letter = self.letters[key]
        if draw:
            self.wanted.setdefault(letter, (model, block, count))
        return letter

    # --- the main panel -----------------------------------------------------------

    def main(self, model: KerasModel, depth: int, title: str = "") -> Panel:
        blocks = self.blocks(model)
        if not self.letters:
            for letter, block in blocks.structures.items():
                self.letters[(id(model), block.signature)] = letter
        panel = Panel(title or f"{model.name}: {len(blocks.layers)} layers, folded")
        owner: dict[str, str] = {}
        self._add(panel, owner, model, blocks.runs, ("", ()), depth)
        for source, target in diagram_graph(model, expand_nested=True).edges:
            edge = (_owner(owner, source), _owner(owner, target))
            if edge[0] != edge[1] and edge not in panel.edges:
                panel.edges.append(edge)
        return panel

    def _add(
        self,
        panel: Panel,
        owner: dict[str, str],
        model: KerasModel,
        runs: Sequence[BlockRun],
        place: tuple[str, tuple[str, ...]],
        depth: int,
    ) -> None:
        """The boxes of ``runs`` under ``place``: a key prefix and the frames around them."""
        prefix, groups = place
        nodes = {node.key: node for node in self.graph(model).nodes}
        counts = _counts(runs)
        for run in runs:
            if depth <= 1 and not self._inline(run, counts):
                key = _unique(f"{prefix}[{run.name}]", owner)
                for name in run.layers:
                    owner[prefix + name] = key
                panel.layers[key] = tuple(prefix + name for name in run.layers)
                panel.shows[key] = (model, run)
                letters = [self.letter(model, b, counts[b.signature]) for b in run.blocks]
                panel.nodes.append(self._run_box(key, run, letters, nodes, groups))
                continue
            for block in run.blocks:
                if block.kind == "layer" or (depth <= 1 and len(block.layers) <= INLINE_AT_MOST):
                    for name in block.layers:
                        self._layer_box(panel, owner, nodes[name], prefix, groups)
                elif is_graph_model(inner := nodes[block.layers[0]].layer):
                    group = prefix + block.name
                    panel.frames[group] = f"{block.name} ({type(inner).__name__})"
                    inner_runs = self.blocks(inner).runs
                    place = (group + "/", (*groups, group))
                    self._add(panel, owner, inner, inner_runs, place, depth - 1)
                elif depth >= OPEN:  # everything open: no frames
                    for name in block.layers:
                        self._layer_box(panel, owner, nodes[name], prefix, groups)
                else:
                    group = _unique(prefix + f"[{block.name}]", panel.frames)
                    letter = self.letter(model, block, counts[block.signature], draw=False)
                    panel.frames[group] = f"{block.name} (block {letter})"
                    parts = self._parts(model, block)
                    self._add(panel, owner, model, parts, (prefix, (*groups, group)), 1)

    def _inline(self, run: BlockRun, counts: dict[object, int]) -> bool:
        """A loose layer, or (inside a block drawn in full) a small block seen once."""
        first = run.blocks[0]
        if run.count > 1 or first.kind == "nested model":
            return False
        small = len(first.layers) <= INLINE_AT_MOST and counts[first.signature] == 1
        return first.kind == "layer" or small

    def _layer_box(
        self,
        panel: Panel,
        owner: dict[str, str],
        node: DiagramNode,
        prefix: str,
        groups: tuple[str, ...],
    ) -> None:
        key = prefix + node.key
        owner[key] = key
        panel.layers[key] = (key,)
        panel.shows[key] = node
        lines = box_lines(node, self.options, compact=True, name=self._short(node.key))
        panel.nodes.append(Node(key, lines, box_color(node.layer), groups, scale=self.scale))

    def _run_box(
        self,
        key: str,
        run: BlockRun,
        letters: list[str],
        nodes: dict[str, DiagramNode],
        groups: tuple[str, ...],
    ) -> Node:
        first = run.blocks[0]
        if run.count > 1:
            title, what = f"{self._short(run.name)}  ×{run.count}", f"blocks {_sequence(letters)}"
        elif first.kind == "nested model":
            kind = type(nodes[first.layers[0]].layer).__name__
            title, what = f"{first.name} ({kind})", f"model {letters[0]}"
        else:
            title = self._short(first.name)
            what = f"block {letters[0]}, {len(first.layers)} layers"
        lines = [title if self.options.show_layer_names else what]
        details = [what] if self.options.show_layer_names else []
        if self.options.show_params:
            details.append(params_text(run.params))
        lines.append(" · ".join(details))
        if self.options.show_shapes:
            lines.append(flow_text(run.input_shapes, run.output_shapes))
        lines = [line for line in lines if line]
        stack = min(run.count, MAX_STACK)
        return Node(key, tuple(lines), BLOCK_COLOR, groups, stack=stack, scale=self.scale)

    # --- the blocks drawn in full -------------------------------------------------

    def details(self) -> list[Panel]:
        """One panel per distinct structure, in the order they were first drawn folded."""
        panels: list[Panel] = []
        done: set[str] = set()
        while len(done) < len(self.wanted):  # a panel may fold parts of its own
            for letter, (model, block, count) in list(self.wanted.items()):
                if letter not in done:
                    done.add(letter)
                    panels.append(self._detail(letter, model, block, count))
        return panels

    def _detail(self, letter: str, model: KerasModel, block: Block, count: int) -> Panel:
        alike = f" ({count} blocks alike)" if count > 1 else ""
        nodes = {node.key: node for node in self.graph(model).nodes}
        if block.kind == "nested model" and is_graph_model(inner := nodes[block.layers[0]].layer):
            title = f"{letter}: {block.name} ({type(inner).__name__}){alike}"
            boxes = len(diagram_graph(inner).nodes)
            return self.main(inner, 1 if boxes > FOLD_ABOVE // 2 else OPEN, title)
        panel = Panel(f"{letter}: {block.name}{alike}")
        owner: dict[str, str] = {}
        parts = self._parts(model, block)
        self.suffix = _id_suffix(block, nodes)
        self._add(panel, owner, model, parts, (f"{letter}:", ()), 1)
        self.suffix = ""
        self._wire(panel, owner, model, block.layers, f"{letter}:")
        return panel

    def opened(self, model: KerasModel, run: BlockRun, prefix: str) -> Panel:
        """A run of blocks drawn open (keys under ``prefix``): each block in a titled frame."""
        panel = Panel(f"{run.name}: {run.count} block" + ("s" if run.count > 1 else ""))
        owner: dict[str, str] = {}
        self._add(panel, owner, model, [run], (prefix, ()), 2)
        self._wire(panel, owner, model, run.layers, prefix)
        return panel

    def _wire(
        self,
        panel: Panel,
        owner: dict[str, str],
        model: KerasModel,
        layers: Sequence[str],
        prefix: str,
    ) -> None:
        """Edges among ``layers``' boxes, and a stub for each tensor they take from outside."""
        nodes = {node.key: node for node in self.graph(model).nodes}
        stubs: dict[str, str] = {}
        mine = set(layers)
        for source, target in self.graph(model).edges:
            if target not in mine:
                continue
            if source not in mine and source not in stubs:
                stubs[source] = f"{prefix}<{len(stubs)}>"
                lines = (f"from {source}", format_shapes(_shapes(nodes[source])))
                panel.nodes.append(Node(stubs[source], lines, STUB_COLOR, scale=self.scale))
            edge = (stubs.get(source) or owner[prefix + source], owner[prefix + target])
            if edge[0] != edge[1] and edge not in panel.edges:
                panel.edges.append(edge)

    def _parts(self, model: KerasModel, block: Block) -> Sequence[BlockRun]:
        """A large block's own blocks, when folding them draws fewer boxes; else its layers."""
        layers = [
            BlockRun((Block(name, (name,), "", 0, (), (), "layer"),)) for name in block.layers
        ]
        if len(block.layers) <= PARTS_ABOVE:
            return layers
        parts = self.finder(model).blocks(within=block.layers)
        distinct = {b.signature: len(b.layers) for run in parts.runs for b in run.blocks}
        boxes = len(parts.runs) + sum(n for n in distinct.values() if n > 1)
        return parts.runs if boxes < 0.8 * len(block.layers) else layers


def _id_suffix(block: Block, nodes: dict[str, DiagramNode]) -> str:
    """What the names of a block's layers all end with (NASNet's ``_stem_1``): left out
    inside the block's own panel, whose title names it."""
    named = [n.split("_") for n in block.layers if not made_up_name(nodes[n].layer)]
    if len(named) < 2:
        return ""
    shared: list[str] = []
    for column in zip(*(reversed(tokens) for tokens in named), strict=False):
        if len(set(column)) > 1:
            break
        shared.insert(0, column[0])
    if not shared or any(len(tokens) <= len(shared) for tokens in named):
        return ""
    return "_" + "_".join(shared)


def _counts(runs: Sequence[BlockRun]) -> dict[object, int]:
    counts: dict[object, int] = {}
    for run in runs:
        for block in run.blocks:
            counts[block.signature] = counts.get(block.signature, 0) + 1
    return counts


def _sequence(letters: list[str]) -> str:
    """``"A + 2×B"``: the letters of a run's blocks, repeats counted."""
    parts: list[tuple[str, int]] = []
    for letter in letters:
        if parts and parts[-1][0] == letter:
            parts[-1] = (letter, parts[-1][1] + 1)
        else:
            parts.append((letter, 1))
    return " + ".join(letter if n == 1 else f"{n}×{letter}" for letter, n in parts)


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"[rest] + letters
    return letters


def _shapes(node: DiagramNode) -> tuple[tuple[int | None, ...], ...]:
    layer: KerasOperation = node.layer
    return output_shapes(layer, node.calls[-1] if node.calls else None) or ()


def _owner(owner: dict[str, str], key: str) -> str:
    """The box that shows ``key``: its own, a folded block's, or a folded nested model's."""
    while key not in owner and "/" in key:
        key = key.rsplit("/", 1)[0]
    return owner.get(key, key)


def _unique(key: str, taken: dict[str, str]) -> str:
    if key not in taken and key not in taken.values():
        return key
    number = 2
    while f"{key} ({number})" in taken or f"{key} ({number})" in taken.values():
        number += 1
    return f"{key} ({number})"


def folded_and_opened(
    model: KerasModel, depth: int, options: DiagramOptions
) -> tuple[list[Panel], dict[str, Panel]]:
    """The panels of a folded diagram, and each folded box of its main panel drawn open."""
    builder = _Builder(options)
    main = builder.main(model, depth)
    panels = [main, *builder.details()]
    opened: dict[str, Panel] = {}
    for key, shown in main.shows.items():
        if isinstance(shown, tuple) and not isinstance(shown, DiagramNode):
            owner_model, run = shown
            opened[key] = builder.opened(owner_model, run, f"~{len(opened)}:")
    return panels, opened
