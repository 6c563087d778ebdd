"""The blocks of a model: repeated units such as ResNet's residual blocks, found for you.

:func:`find_blocks` splits a model's layers into blocks (nested models; layers that
Keras's names put together, ``conv2_block3_…``, ``block_5_…``; or pieces of the graph
between single tensors) and groups consecutive blocks of one structure into runs
(ResNet50's stages: 3, 4, 6 and 3 residual blocks). How blocks are found, and where it
can be fooled, is told in ``kerasguide/_blocks.py`` and in the guide's page on diagrams
(``docs/guide-diagrams.md``). Folded diagrams (``plot_model(fold=...)``) draw what this
finds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from kerasguide import _blocks
from kerasguide._graph import (
    Diagram,
    DiagramNode,
    diagram_graph,
    is_graph_model,
    is_layer,
    node_shapes,
    wrapper_type,
)
from kerasguide._rows import count_weights, output_shapes
from kerasguide._shapes import Shape, format_shapes
from kerasguide._types import KerasModel, KerasOperation

__all__ = ["Block", "BlockFinder", "BlockRun", "Blocks", "find_blocks", "made_up_name"]

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
FAMILIES = {
    "prefix1": "blocks named by their layers' names up to a first number",
    "prefix2": "blocks named by their layers' names up to a second number",
    "prefix3": "blocks named by their layers' names up to a third number",
    "number": "blocks named by the first number in their layers' names",
    "suffix": "blocks named by the number that ends their layers' names",
    "structure": "blocks found from the wiring alone",
    "layers": "one block per layer",
}


@dataclass(frozen=True)
class Block:
    """Consecutive layers of a model that form one unit.

    ``layers`` are the names of the model's own layers (and operations, and nested
    models) in the block, in order. ``structure`` is a letter shared by the blocks of
    the same layer classes and wiring (``""`` for a single layer). ``inner`` holds a
    nested model's own blocks.
    """

    name: str
    layers: tuple[str, ...]
    structure: str
    params: int
    input_shapes: tuple[Shape, ...]
    output_shapes: tuple[Shape, ...]
    kind: str = "block"  # "block", "layer" or "nested model"
    kinds: tuple[str, ...] = ()  # the classes of its layers, in order
    inner: Blocks | None = None
    signature: object = field(default=None, compare=False, repr=False)  # the structure itself


@dataclass(frozen=True)
class BlockRun:
    """Consecutive blocks of one kind: drawn as one box marked ×N when there are several."""

    blocks: tuple[Block, ...]
    label: str = ""  # what all its layers' names end with, when they do (NASNet's branches)

    @property
    def name(self) -> str:
        """``conv2_block1 … conv2_block3``; for one block, its own name."""
        first, last = self.blocks[0].name, self.blocks[-1].name
        if len(self.blocks) == 1:
            return first
        return self.label or f"{first} … {last}"

    @property
    def count(self) -> int:
        return len(self.blocks)

    @property
    def params(self) -> int:
        return sum(block.params for block in self.blocks)

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(name for block in self.blocks for name in block.layers)

    @property
    def input_shapes(self) -> tuple[Shape, ...]:
        return self.blocks[0].input_shapes

    @property
    def output_shapes(self) -> tuple[Shape, ...]:
        return self.blocks[-1].output_shapes

    @property
    def structures(self) -> str:
        """``"A + 2×B"``: the structures of its blocks, in order."""
        parts: list[tuple[str, int]] = []
        for block in self.blocks:
            if parts and parts[-1][0] == block.structure:
                parts[-1] = (block.structure, parts[-1][1] + 1)
            else:
                parts.append((block.structure, 1))
        return " + ".join(letter if n == 1 else f"{n}×{letter}" for letter, n in parts)


@dataclass(frozen=True)
class Blocks:
    """What :func:`find_blocks` found: runs of blocks that cover every layer once.

    ``str()`` lists them, one run a line; ``structures`` maps each structure's letter
    to its first block; ``family`` says how they were found (``"prefix2"``: names up to
    their second numbered token, ``"structure"``: from the wiring alone, ...).
    """

    model: str
    runs: tuple[BlockRun, ...]
    family: str
    structures: dict[str, Block] = field(default_factory=dict)

    @property
    def layers(self) -> tuple[str, ...]:
        return tuple(name for run in self.runs for name in run.layers)

    @property
    def params(self) -> int:
        return sum(run.params for run in self.runs)

    def __str__(self) -> str:
        head = ("run or layer", "×N", "blocks", "in → out", "params")
        rows = [
            (run.name, f"×{run.count}" if run.count > 1 else "", run.structures, _shapes(run))
            for run in self.runs
        ]
        cells = [(*row, f"{run.params:,}") for row, run in zip(rows, self.runs, strict=True)]
        widths = [max(len(row[i]) for row in [head, *cells]) for i in range(5)]
        how = FAMILIES.get(self.family, self.family)
        lines = [f"{self.model}: {len(self.layers)} layers in {len(self.runs)} rows ({how})"]
        for row in [head, *cells]:
            texts = [cell.ljust(width) for cell, width in zip(row[:4], widths, strict=False)]
            lines.append("  " + "  ".join(texts) + "  " + row[4].rjust(widths[4]))
        for letter, block in self.structures.items():
            kinds = sorted(set(block.kinds))
            lines.append(
                f"  {letter}: {len(block.layers)} layers as in {block.name} ({', '.join(kinds)})"
            )
        return "\n".join(lines)

    def __repr__(self) -> str:
        return str(self)

    def to_dict(self) -> dict[str, object]:
        """The runs and their blocks as plain data."""
        return {
            "model": self.model,
            "family": self.family,
            "runs": [
                {
                    "name": run.name,
                    "count": run.count,
                    "params": run.params,
                    "blocks": [
                        {"name": b.name, "structure": b.structure, "layers": list(b.layers)}
                        for b in run.blocks
                    ],
                }
                for run in self.runs
            ],
        }


def find_blocks(model: KerasModel, *, within: Sequence[str] | None = None) -> Blocks:
    """The blocks of a built model, and the runs of like blocks among them.

    Args:
        model: A built Keras model (a Functional or Sequential one; a subclassed model
            is one block per layer).
        within: Names of some of the model's own layers (a block's): the smaller
            blocks among them, such as the repeated branches of a NASNet cell.

    Returns:
        A :class:`Blocks`: every layer of the model in exactly one block, each block in
        exactly one run; nested models are blocks of their own with their ``inner``
        blocks.

    Example:
        >>> blocks = find_blocks(keras.applications.ResNet50(weights=None))  # doctest: +SKIP
        >>> [run.count for run in blocks.runs if run.count > 1]  # doctest: +SKIP
        [3, 4, 6, 3]
    """
    return BlockFinder(model).blocks(within=within)


class BlockFinder:
    """:func:`find_blocks` for one model, its graph read once (folded diagrams ask often).

    Example:
        >>> finder = BlockFinder(model)  # doctest: +SKIP
        >>> finder.blocks().runs == find_blocks(model).runs  # doctest: +SKIP
        True
    """

    def __init__(self, model: KerasModel) -> None:
        self.model = model
        self.graph = diagram_graph(model)

    def blocks(self, *, within: Sequence[str] | None = None) -> Blocks:
        return _Finder(self.model, self.graph, within).blocks()


class _Finder:
    def __init__(
        self, model: KerasModel, graph: Diagram, within: Sequence[str] | None = None
    ) -> None:
        self.model = model
        self.graph = graph
        self.all_nodes = {node.key: node for node in self.graph.nodes}
        nodes = self.all_nodes
        self.nodes = nodes if within is None else {key: nodes[key] for key in within}
        self.preds: dict[str, list[str]] = {key: [] for key in self.nodes}
        self.succs: dict[str, list[str]] = {key: [] for key in self.nodes}
        self.outside: dict[str, list[str]] = {key: [] for key in self.nodes}
        for source, target in self.graph.edges:
            if source in self.nodes and target in self.nodes:
                self.preds[target].append(source)
                self.succs[source].append(target)
            elif target in self.nodes:
                self.outside[target].append(source)
            elif source in self.nodes:
                self.succs[source].append(target)
        self.inner = {
            key: BlockFinder(node.layer).blocks()
            for key, node in self.nodes.items()
            if is_graph_model(node.layer) and node.layer is not model
        }

    def level(self) -> _blocks.Level:
        kinds = {key: self._kind(node) for key, node in self.nodes.items()}
        auto = frozenset(key for key, node in self.nodes.items() if made_up_name(node.layer))
        keeps = frozenset(
            key
            for key, node in self.nodes.items()
            if any(ins == outs for ins, outs in node_shapes(node.calls))
        )
        return _blocks.Level(
            tuple(self.nodes),
            kinds,
            {key: tuple(preds) for key, preds in self.preds.items()},
            auto,
            frozenset(self.inner),
            keeps,
        )

    def _kind(self, node: DiagramNode) -> str:
        kind = wrapper_type(node.layer)
        inner = self.inner.get(node.key)
        if inner is None:
            return kind
        text = repr([(run.structures, run.count) for run in inner.runs])
        shape = " ".join(block.structure for block in inner.structures.values())
        digest = hashlib.sha1((text + shape).encode()).hexdigest()[:10]
        return f"{kind}<{digest}>"

    def blocks(self) -> Blocks:
        if not self.nodes or not is_graph_model(self.model):
            return Blocks(self.model.name, (), "layers")
        family, found = _blocks.find(self.level())
        letters: dict[_blocks.Structure, str] = {}
        structures: dict[str, Block] = {}
        runs = []
        for run in found:
            blocks = []
            for item in run:
                block = self._block(item, letters)
                if block.structure and block.structure not in structures:
                    structures[block.structure] = block
                blocks.append(block)
            runs.append(BlockRun(tuple(blocks), self._label(blocks)))
        return Blocks(self.model.name, tuple(runs), family, structures)

    def _label(self, blocks: list[Block]) -> str:
        """The name ending that all the layers of a run share (two tokens at least)."""
        names = [n for b in blocks for n in b.layers if not made_up_name(self.nodes[n].layer)]
        if len(blocks) < 2 or not names:
            return ""
        tokens = [name.split("_") for name in names]
        shared: list[str] = []
        for column in zip(*(reversed(t) for t in tokens), strict=False):
            if len(set(column)) > 1:
                break
            shared.insert(0, column[0])
        return "_".join(shared) if len(shared) >= 2 and len(shared) < len(tokens[0]) else ""

    def _block(self, found: _blocks.Found, letters: dict[_blocks.Structure, str]) -> Block:
        members = found.members
        nested = self.inner.get(members[0]) if len(members) == 1 else None
        kind = "nested model" if nested is not None else "layer" if len(members) == 1 else "block"
        letter = ""
        if kind != "layer":
            letter = letters.setdefault(found.structure, _letter(len(letters)))
        inside = set(members)
        sources = [
            p for key in members for p in self.preds[key] + self.outside[key] if p not in inside
        ]
        exported = [k for k in members if any(s not in inside for s in self.succs[k])]
        return Block(
            found.name,
            members,
            letter,
            sum(_params(self.nodes[key].layer) for key in members),
            self._shapes(dict.fromkeys(sources)),
            self._shapes(exported or members[-1:]),
            kind,
            tuple(wrapper_type(self.nodes[key].layer) for key in members),
            nested,
            found.structure,
        )

    def _shapes(self, keys: object) -> tuple[Shape, ...]:
        shapes: list[Shape] = []
        for key in keys:  # type: ignore[attr-defined]
            node = self.all_nodes[key]
            for call in node.calls or (None,):
                shapes += output_shapes(node.layer, call) or ()
        return tuple(dict.fromkeys(shapes))


def _letter(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = LETTERS[rest] + letters
    return letters


def _params(layer: KerasOperation) -> int:
    return count_weights(layer.weights) if is_layer(layer) and layer.weights else 0


def _shapes(run: BlockRun) -> str:
    inputs, outputs = run.input_shapes, run.output_shapes
    if not inputs:
        return format_shapes(outputs)
    return f"{format_shapes(inputs)} → {format_shapes(outputs)}"


def made_up_name(op: KerasOperation) -> bool:
    """True for a name Keras made up from the class (``conv2d_7``, ``add``, ``input_layer``).

    Example:
        >>> made_up_name(keras.layers.Dense(2))  # doctest: +SKIP
        True
    """
    kind = type(op).__name__
    stem = re.sub(r"([a-z])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", kind))
    names = {stem.lower()}
    if kind == "InputLayer":
        names |= {"input", "keras_tensor"}
    return re.fullmatch(rf"({'|'.join(map(re.escape, names))})(_\d+)?", str(op.name)) is not None
