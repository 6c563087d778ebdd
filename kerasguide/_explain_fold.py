"""Folded explanations: ``explain(model, fold=...)`` block by block (see ``blocks.py``).

The blocks are those of :func:`kerasguide.find_blocks`, the same grouping as
``summarize(fold=...)`` and ``plot_model(fold=...)``. Each block's count is the sum of
its layers' explained counts (their arithmetic is :class:`LayerArithmetic`'s), so the
runs add up to ``model.count_params()`` with every layer counted once, as the
unfolded explanation does. Like blocks with the same counts are written once, with
how many there are (``2 × 71,552``).
"""

from __future__ import annotations

import html
import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from kerasguide import _table
from kerasguide._types import JSONDict

if TYPE_CHECKING:
    from kerasguide.blocks import Block, BlockRun, Blocks


class LayerArithmetic(Protocol):
    """What is read of :class:`kerasguide.explain.LayerArithmetic` (explain.py imports this)."""

    @property
    def name(self) -> str: ...
    @property
    def type(self) -> str: ...
    @property
    def depth(self) -> int: ...
    @property
    def params(self) -> int: ...
    @property
    def arithmetic(self) -> str: ...
    def lines(self) -> list[str]: ...
    def to_dict(self) -> JSONDict: ...


INDENT = "    "


def total_line(counts: Sequence[int], total: int, trainable: int, non_trainable: int) -> str:
    """``Total: a + b + c = N parameters (...) = model.count_params()``."""
    shown = " + ".join(f"{count:,}" for count in counts) if 1 < len(counts) <= 12 else ""
    figure = f"{shown} = {total:,}" if shown else f"{total:,}"
    return (
        f"Total: {figure} parameters ({trainable:,} trainable, "
        f"{non_trainable:,} non-trainable) = model.count_params()"
    )


@dataclass(frozen=True)
class BlockArithmetic:
    """One block's parameters: the explained counts of its layers, summed.

    ``layers`` are the block's own layers (a nested model is one, its own layers
    follow in ``inner``, already counted in it).
    """

    name: str
    structure: str
    layers: tuple[LayerArithmetic, ...]
    inner: tuple[LayerArithmetic, ...] = ()

    @property
    def params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def sum_text(self) -> str:
        """``"1_conv 4,160 + 1_bn 256 = 4,416"``: its layers with weights, named within it."""
        parts = [
            f"{self.short(layer.name)} {layer.params:,}" for layer in self.layers if layer.params
        ]
        if not parts:
            return "no weights = 0"
        return f"{' + '.join(parts)} = {self.params:,}" if len(parts) > 1 else parts[0]

    def short(self, name: str) -> str:
        """A layer's name without the block's (``conv2_block1_1_conv`` → ``1_conv``)."""
        rest = name.removeprefix(f"{self.name}_")
        return rest if rest and rest != name else name

    def same_counts(self) -> object:
        """What two like blocks share when their counts are the same, layer by layer."""
        return self.structure, tuple((self.short(lay.name), lay.params) for lay in self.layers)

    def to_dict(self) -> JSONDict:
        return {
            "name": self.name,
            "structure": self.structure,
            "params": self.params,
            "layers": [layer.to_dict() for layer in self.layers],
        }


@dataclass(frozen=True)
class RunArithmetic:
    """A run of like blocks (:class:`kerasguide.BlockRun`) with its blocks' arithmetic."""

    run: BlockRun
    blocks: tuple[BlockArithmetic, ...]

    @property
    def name(self) -> str:
        """``block_13 … block_15``, as the run's (or its one block's or layer's) name."""
        return self.run.name

    @property
    def count(self) -> int:
        """How many blocks the run has (×N)."""
        return self.run.count

    @property
    def params(self) -> int:
        return sum(block.params for block in self.blocks)

    @property
    def single(self) -> LayerArithmetic | None:
        """The layer (or nested model) when the run is one layer, else None."""
        first = self.run.blocks[0]
        one = self.run.count == 1 and first.kind != "block"
        return self.blocks[0].layers[0] if one else None

    def groups(self) -> list[list[BlockArithmetic]]:
        """Consecutive blocks whose counts are the same, layer by layer."""
        return [list(g) for _, g in itertools.groupby(self.blocks, BlockArithmetic.same_counts)]

    def title(self) -> str:
        """The run's line: a loose layer's arithmetic, one block's sum, or a run's total."""
        single = self.single
        if single is not None:
            return str(single).strip()
        if self.run.count == 1:
            block = self.blocks[0]
            return f"{block.name} (block {block.structure}): {block.sum_text}"
        return f"{self.run.name} ×{self.run.count} ({self.run.structures}): {self.params:,}"


@dataclass(frozen=True)
class FoldedExplanation:
    """The parameter arithmetic of a model, block by block: ``explain(model, fold=...)``.

    Attributes:
        name: The model's name.
        runs: One entry per run of like blocks (or loose layer), covering every layer once.
        total: ``model.count_params()``: the sum of the runs' counts.
        trainable: Trainable parameters.
        non_trainable: Non-trainable parameters.
        depth: 1 sums each block's layers on one line; 2 or more writes every
            layer's arithmetic out.
        structures: Each structure's letter and the first block of it.
    """

    name: str
    runs: tuple[RunArithmetic, ...]
    total: int
    trainable: int
    non_trainable: int
    depth: int = 1
    structures: tuple[tuple[str, Block], ...] = ()

    def share(self, params: int) -> str:
        """``"8.0% of all"``: a part's share of the model's parameters ("" for none)."""
        if not params or not self.total:
            return ""
        share = params / self.total
        return "<0.1% of all" if share < 0.0005 else f"{share:.1%} of all"

    def _title(self) -> str:
        return (
            f'Parameters of "{self.name}", block by block: one entry per block or run of like '
            "blocks (×N), grouped as summarize(fold=...) and plot_model(fold=...) group them"
        )

    def __str__(self) -> str:
        lines = [self._title()]
        for run in self.runs:
            share = self.share(run.params)
            lines.append(f"{run.title()} ({share})" if share else run.title())
            lines += self._run_lines(run)
        lines.append(self._total_line())
        lines += [
            f"{letter}: {len(b.layers)} layers as in {b.name}" for letter, b in self.structures
        ]
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return str(self)

    def _total_line(self) -> str:
        counts = [run.params for run in self.runs if run.params]
        return total_line(counts, self.total, self.trainable, self.non_trainable)

    def _run_lines(self, run: RunArithmetic) -> list[str]:
        if run.single is not None:
            inner = run.blocks[0].inner if self.depth > 1 else ()
            return [f"{INDENT}{line.strip()}" for layer in inner for line in layer.lines()]
        if run.count == 1:
            layers = run.blocks[0].layers if self.depth > 1 else ()
            return [f"{INDENT}{line}" for layer in layers for line in layer.lines()]
        lines = []
        for group in run.groups():
            first, count = group[0], len(group)
            if self.depth <= 1:
                lines.append(
                    f"{INDENT}{_names(group)}{_each(group)}: {first.sum_text}{_times(group)}"
                )
                continue
            lines.append(f"{INDENT}{_names(group)}{_each(group)}, {len(first.layers)} layers:")
            lines += [f"{INDENT * 2}{line}" for layer in first.layers for line in layer.lines()]
            each = " each" if count > 1 else ""
            lines.append(f"{INDENT * 2}= {first.params:,}{each}{_times(group)}")
        return lines

    def _repr_html_(self) -> str:
        rows = "".join(self._run_html(run) for run in self.runs)
        return (
            f"<div class='kg-folded-explanation'><p><b>{html.escape(self._title())}</b></p>"
            "<table><thead><tr><th style='text-align:left'>Blocks (or layer)</th>"
            "<th style='text-align:right'>Param #</th><th style='text-align:right'>Share</th>"
            f"</tr></thead><tbody>{rows}</tbody></table>"
            f"<div>{html.escape(self._total_line())}</div></div>"
        )

    def _run_html(self, run: RunArithmetic) -> str:
        opened = " open" if self.depth > 1 else ""
        layers = run.blocks[0].inner if run.single is not None else ()
        if run.single is None and run.count == 1:
            layers = run.blocks[0].layers
        if run.single is not None and not layers:
            first = html.escape(run.title())
        else:
            groups = [] if run.single is not None or run.count == 1 else run.groups()
            inner = "".join(self._group_html(group, opened) for group in groups)
            inner += _layers_html(layers)
            first = (
                f"<details{opened}><summary>{html.escape(run.title())}</summary>{inner}</details>"
            )
        top = "vertical-align:top"
        share = self.share(run.params).removesuffix(" of all")
        return (
            f"<tr><td style='{top}'>{first}</td>"
            f"<td style='text-align:right;{top}'>{run.params:,}</td>"
            f"<td style='text-align:right;{top}'>{html.escape(share)}</td></tr>"
        )

    def _group_html(self, group: list[BlockArithmetic], opened: str) -> str:
        first = group[0]
        label = f"{_names(group)}{_each(group)}: {first.sum_text}{_times(group)}"
        return (
            f"<details style='margin-left:1.2em'{opened}><summary>{html.escape(label)}</summary>"
            f"{_layers_html(first.layers)}</details>"
        )

    def to_dict(self) -> JSONDict:
        """The runs, their blocks' arithmetic and the totals as plain data."""
        runs: list[JSONDict] = [
            {
                "name": run.name,
                "count": run.count,
                "structures": run.run.structures,
                "params": run.params,
                "blocks": [block.to_dict() for block in run.blocks],
            }
            for run in self.runs
        ]
        return {
            "name": self.name,
            "folded": True,
            "runs": runs,
            "total": self.total,
            "trainable": self.trainable,
            "non_trainable": self.non_trainable,
        }


def fold_explanation(
    name: str,
    layers: Sequence[LayerArithmetic],
    blocks: Blocks,
    totals: tuple[int, int, int],
    depth: int,
) -> FoldedExplanation:
    """The explanation of ``layers`` (top-level entries, nested ones after theirs) by block."""
    top: dict[str, LayerArithmetic] = {}
    inner: dict[str, list[LayerArithmetic]] = {}
    for layer in layers:
        if layer.depth == 0:
            top[layer.name] = layer
            inner[layer.name] = []
        else:
            inner[next(reversed(top))].append(layer)
    if not blocks.runs:  # a subclassed model: no graph to find blocks in, one per layer
        blocks = _one_per_layer(name, top)
    if sorted(blocks.layers) != sorted(top):  # every layer in exactly one block
        raise RuntimeError(f"the blocks of {name} do not cover its layers once each")
    runs = tuple(
        RunArithmetic(run, tuple(_block(block, top, inner) for block in run.blocks))
        for run in blocks.runs
    )
    total, trainable, non_trainable = totals
    return FoldedExplanation(
        name, runs, total, trainable, non_trainable, depth, tuple(blocks.structures.items())
    )


def _one_per_layer(name: str, top: dict[str, LayerArithmetic]) -> Blocks:
    from kerasguide.blocks import Block, BlockRun, Blocks

    runs = tuple(
        BlockRun((Block(key, (key,), "", layer.params, (), (), "layer"),))
        for key, layer in top.items()
    )
    return Blocks(name, runs, "layers")


def _block(
    block: Block, top: dict[str, LayerArithmetic], inner: dict[str, list[LayerArithmetic]]
) -> BlockArithmetic:
    layers = tuple(top[name] for name in block.layers)
    nested = tuple(inner[block.layers[0]]) if block.kind == "nested model" else ()
    return BlockArithmetic(block.name, block.structure, layers, nested)


def _names(group: list[BlockArithmetic]) -> str:
    letter = group[0].structure
    what = f" ({len(group)}×{letter})" if len(group) > 1 else f" ({letter})" if letter else ""
    if len(group) <= 2:
        return ", ".join(block.name for block in group) + what
    return f"{group[0].name} … {group[-1].name}{what}"


def _each(group: list[BlockArithmetic]) -> str:
    return ", each" if len(group) > 1 else ""


def _times(group: list[BlockArithmetic]) -> str:
    if len(group) == 1:
        return ""
    params = group[0].params
    return f"; {len(group)} × {params:,} = {len(group) * params:,}"


def _layers_html(layers: Sequence[LayerArithmetic]) -> str:
    if not layers:
        return ""
    rows = [
        [f"{'   ' * layer.depth}{layer.name} ({layer.type})", layer.arithmetic, f"{layer.params:,}"]
        for layer in layers
    ]
    return _table.render_html(
        ["Layer (type)", "Arithmetic", "Param #"], rows, align=["left", "left", "right"]
    )
