"""Folded diagrams: what to draw when a model's blocks are folded (see ``blocks.py``).

A folded diagram is made of *panels*, each laid out on its own:

- the main panel: one box per run of like blocks (marked ×N, with what goes in and
  comes out and the parameters of all its blocks), one per block seen once, and the
  loose layers as usual; edges between boxes wherever a layer of one feeds a layer of
  the other, so skip connections stay visible;
- one panel per distinct block structure, drawn in full from its first instance, with
  a stub for each tensor it takes from outside; a nested model's panel is its own
  folded diagram.

``depth`` opens blocks: at depth 1 every block is a box; at depth 2 the model's blocks
are drawn open, in titled frames, and nested models are opened with their own blocks
folded; and so on.
"""

from __future__ import annotations

from kerasguide._boxes import (
    BLOCK_COLOR,
    STUB_COLOR,
    DiagramOptions,
    box_color,
    box_lines,
    flow_text,
    params_text,
)
from kerasguide._draw import Node, Panel
from kerasguide._graph import Diagram, diagram_graph, is_graph_model
from kerasguide._shapes import format_shapes
from kerasguide._types import KerasModel, KerasOperation
from kerasguide.blocks import Block, BlockRun, Blocks, find_blocks

FOLD_ABOVE = 60  # fold="auto" folds a diagram of more boxes than this
MAX_STACK = 3  # cards drawn behind a box for a run of blocks


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
        self.graphs: dict[int, Diagram] = {}
        self.found: dict[int, Blocks] = {}
        self.wanted: dict[tuple[int, str], tuple[KerasModel, Block]] = {}

    def graph(self, model: KerasModel) -> Diagram:
        if id(model) not in self.graphs:
            self.graphs[id(model)] = diagram_graph(model)
        return self.graphs[id(model)]

    def blocks(self, model: KerasModel) -> Blocks:
        if id(model) not in self.found:
            self.found[id(model)] = find_blocks(model)
        return self.found[id(model)]

    # --- the main panel -----------------------------------------------------------

    def main(self, model: KerasModel, depth: int, title: str = "") -> Panel:
        blocks = self.blocks(model)
        count = sum(1 for run in blocks.runs for _ in run.layers)
        panel = Panel(title or f"{model.name}: {count} layers, folded")
        owner: dict[str, str] = {}
        self._add(panel, owner, model, "", (), depth)
        full = diagram_graph(model, expand_nested=True)
        for source, target in full.edges:
            edge = (_owner(owner, source), _owner(owner, target))
            if edge[0] != edge[1] and edge not in panel.edges:
                panel.edges.append(edge)
        return panel

    def _add(
        self,
        panel: Panel,
        owner: dict[str, str],
        model: KerasModel,
        prefix: str,
        groups: tuple[str, ...],
        depth: int,
    ) -> None:
        """The boxes of ``model``'s blocks, under ``prefix`` (an opened nested model's)."""
        nodes = {node.key: node for node in self.graph(model).nodes}
        for run in self.blocks(model).runs:
            loose = run.count == 1 and run.blocks[0].kind == "layer"
            if depth <= 1 and not loose:
                key = _unique(prefix + run.name, owner)
                for name in run.layers:
                    owner[prefix + name] = key
                panel.nodes.append(self._run_box(key, run, model, groups))
                continue
            for block in run.blocks:
                if block.kind == "layer":
                    node = nodes[block.layers[0]]
                    lines = box_lines(node, self.options, compact=True)
                    owner[prefix + node.key] = prefix + node.key
                    panel.nodes.append(
                        Node(prefix + node.key, lines, box_color(node.layer), groups)
                    )
                elif is_graph_model(inner := nodes[block.layers[0]].layer):
                    group = prefix + block.name
                    panel.frames[group] = f"{block.name} ({type(inner).__name__})"
                    self._add(panel, owner, inner, group + "/", (*groups, group), depth - 1)
                else:
                    group = _unique(prefix + f"[{block.name}]", panel.frames)
                    panel.frames[group] = f"{block.name} (block {block.structure})"
                    for name in block.layers:
                        node = nodes[name]
                        lines = box_lines(node, self.options, compact=True)
                        owner[prefix + name] = prefix + name
                        panel.nodes.append(
                            Node(prefix + name, lines, box_color(node.layer), (*groups, group))
                        )

    def _run_box(self, key: str, run: BlockRun, model: KerasModel, groups: tuple[str, ...]) -> Node:
        for block in run.blocks:
            self.wanted.setdefault((id(model), block.structure), (model, block))
        first = run.blocks[0]
        if run.count > 1:
            title, what = f"{run.name}  ×{run.count}", f"blocks {run.structures}"
        elif first.kind == "nested model":
            kind = type(self._layer(model, first.layers[0])).__name__
            title, what = f"{first.name} ({kind})", f"model {first.structure}"
        else:
            title, what = first.name, f"block {first.structure}, {len(first.layers)} layers"
        lines = [title if self.options.show_layer_names else what]
        details = [what] if self.options.show_layer_names else []
        if self.options.show_params:
            details.append(params_text(run.params))
        lines.append(" · ".join(details))
        if self.options.show_shapes:
            lines.append(flow_text(run.input_shapes, run.output_shapes))
        lines = [line for line in lines if line]
        return Node(key, tuple(lines), BLOCK_COLOR, groups, stack=min(run.count, MAX_STACK))

    def _layer(self, model: KerasModel, name: str) -> KerasOperation:
        return next(node.layer for node in self.graph(model).nodes if node.key == name)

    # --- the blocks drawn in full -------------------------------------------------

    def details(self) -> list[Panel]:
        """One panel per distinct structure, in the order they were first drawn folded."""
        panels: list[Panel] = []
        done: set[tuple[int, str]] = set()
        while len(done) < len(self.wanted):  # a nested model's panel may want more
            for key, (model, block) in list(self.wanted.items()):
                if key not in done:
                    done.add(key)
                    panels.append(self._detail(model, block))
        return panels

    def _detail(self, model: KerasModel, block: Block) -> Panel:
        structures = [b.structure for run in self.blocks(model).runs for b in run.blocks]
        count = structures.count(block.structure)
        alike = f" ({count} blocks alike)" if count > 1 else ""
        if block.kind == "nested model":
            inner = self._layer(model, block.layers[0])
            title = f"{block.structure}: {block.name} ({type(inner).__name__}){alike}"
            if is_graph_model(inner):
                boxes = len(diagram_graph(inner).nodes)
                return self.main(inner, 1 if boxes > FOLD_ABOVE // 2 else 10**6, title)
        letter = block.structure
        panel = Panel(f"{letter}: {block.name}{alike}")
        graph = self.graph(model)
        nodes = {node.key: node for node in graph.nodes}
        mine = set(block.layers)
        stubs: dict[str, str] = {}
        for source, target in graph.edges:
            if target not in mine:
                continue
            if source not in mine and source not in stubs:
                stubs[source] = f"{letter}:<{len(stubs)}>"
                shape = format_shapes(_shapes(nodes[source]))
                panel.nodes.append(Node(stubs[source], (f"from {source}", shape), STUB_COLOR))
            panel.edges.append((stubs.get(source, f"{letter}:{source}"), f"{letter}:{target}"))
        for name in block.layers:
            node = nodes[name]
            lines = box_lines(node, self.options, compact=True)
            panel.nodes.append(Node(f"{letter}:{name}", lines, box_color(node.layer)))
        return panel


def _shapes(node: object) -> tuple[tuple[int | None, ...], ...]:
    from kerasguide._rows import output_shapes

    layer, calls = node.layer, node.calls  # type: ignore[attr-defined]
    return output_shapes(layer, calls[-1] if calls else None) or ()


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
