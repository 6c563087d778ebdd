"""Blocks in a layer graph, found from names and wiring. No Keras here.

A *level* is one model's own graph: its layers (and operations, and nested models)
as nodes, with their inputs in order. :func:`find` splits it into *blocks*, runs of
consecutive nodes that form one unit, and groups consecutive blocks of one kind into
*runs* (ResNet50's conv2_block1 … conv2_block3). How:

1. **Order.** The nodes are put in depth-first post-order from the outputs: a node
   comes right after the last of its inputs is finished, so the nodes of one block
   (everything that feeds its output and nothing after) come out next to each other,
   even where Keras's own order interleaves them (NASNet's cells).
2. **Labels from names**, in several ways ("families"), each tried in turn:
   ``prefix1``-``prefix3``: the name up to its first, second or third token that holds
   a digit (``conv2_block3_1_conv`` → ``conv2`` / ``conv2_block3`` / ``conv2_block3_1``);
   ``number``: the first number in the name (MobileNet's ``conv_dw_3`` and
   ``conv_pw_3``); ``suffix``: the last token, when it is a number (NASNet's
   ``…_stem_1``, ``…_0``). Consecutive names without a digit share a label when they
   share their first token (``stem_conv``, ``stem_bn``). Names Keras made up
   (``conv2d_7``, ``add_2``) and input layers get no label from their name: they take
   their neighbours' (a node between two nodes of one label takes it; a node joining
   several inputs takes its inputs' label; a node with one consumer takes its
   consumer's). A label's consecutive nodes in the order form one block.
3. **Labels from wiring** (family ``structure``): a block ends wherever a single
   node's output is all that the rest of the graph needs from what came before (a
   cut, such as a residual block's output); InceptionV3's modules, named ``mixed0``
   only at their end, are found so.
4. **Structure.** A block's structure is its layer classes in order and its wiring:
   for each input of each layer, which earlier layer of the block feeds it, or which
   of the block's outside inputs. Names, configs and shapes do not count.
5. **Runs.** Consecutive blocks (each feeding the next) of the same structure form a
   run; its first block may differ a little from the rest (a few layers more or
   fewer, such as ResNet's projection shortcut or MobileNetV2's first block of a
   stage without its residual add) when names put both in the same stage
   (``conv2_block…``, ``block2…``).
6. **The cheapest family wins**: the one whose folded picture has the fewest boxes,
   counting one box per run or loose layer and, once, every layer of each distinct
   structure (they are drawn in full).

Where it can be fooled: names are only hints, so a model whose names group layers that
do not belong together (a hand-made ``block1_dense`` far from ``block1_conv``) gets odd
blocks, but never wrong counts: blocks are always a partition of the nodes. Two blocks
with the same classes and wiring but different configs (filters, strides) count as the
same structure, and a run's first block may differ a little from the rest.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kerasguide._block_names import (
    block_ids,
    common_prefix,
    display_name,
    first_token,
    name_label,
    stage,
)

FAMILIES = ("prefix2", "prefix1", "prefix3", "number", "suffix", "structure")
INPUT_KIND = "InputLayer"
ROW_WEIGHT = 2  # a box of the main picture counts twice a box drawn beside it
TAIL_AT_MOST = 1  # single layers after a piece of the wiring that join it

Structure = tuple[object, ...]


@dataclass(frozen=True)
class Level:
    """One model's own graph: nodes in Keras's order, with their inputs in order."""

    keys: tuple[str, ...]
    kinds: Mapping[str, str]  # the class (or a nested model's structure) of each node
    preds: Mapping[str, tuple[str, ...]]
    auto: frozenset[str] = frozenset()  # names Keras made up
    atomic: frozenset[str] = frozenset()  # nested models: a block of their own each
    keeps_shape: frozenset[str] | None = None  # nodes whose output has their input's shape


@dataclass(frozen=True)
class Found:
    """One block: its display name, its nodes in order and its structure."""

    name: str
    members: tuple[str, ...]
    structure: Structure
    family: str


def find(level: Level) -> tuple[str, list[list[Found]]]:
    """The runs of blocks of ``level`` (a run of one for a loose node) and the family used.

    Example:
        >>> level = Level(("a", "b"), {"a": "InputLayer", "b": "Dense"}, {"a": (), "b": ("a",)})
        >>> find(level)[1][1][0].members
        ('b',)
    """
    graph = _Graph(level)
    best: tuple[int, int, str, list[list[Found]]] | None = None
    for rank, family in enumerate(FAMILIES):
        runs = graph.runs(family)
        cost = graph.cost(runs)
        if best is None or (cost, rank) < best[:2]:
            best = (cost, rank, family, runs)
    assert best is not None
    return best[2], best[3]


class _Graph:
    def __init__(self, level: Level) -> None:
        self.level = level
        self.preds = {key: tuple(dict.fromkeys(level.preds.get(key, ()))) for key in level.keys}
        self.succs: dict[str, list[str]] = {key: [] for key in level.keys}
        for key in level.keys:
            for pred in self.preds[key]:
                self.succs[pred].append(key)
        self.order = postorder(level.keys, self.preds, self.succs)
        self.position = {key: i for i, key in enumerate(self.order)}

    # --- blocks -------------------------------------------------------------------

    def runs(self, family: str) -> list[list[Found]]:
        labels = {} if family == "structure" else self._labels(family)
        groups = self._cuts() if family == "structure" else self._intervals(labels)
        blocks = [self._found(group, family, labels.get(group[0])) for group in groups]
        return self._runs(blocks, family)

    def _labels(self, family: str) -> dict[str, str | None]:
        level = self.level
        labels: dict[str, str | None] = {}
        plain: list[str] = []  # names without a digit, labelled by their neighbours
        for key in self.order:
            if key in level.auto or key in level.atomic or level.kinds[key] == INPUT_KIND:
                labels[key] = None
            elif not re.search(r"\d", key):
                labels[key] = None
                plain.append(key)
            else:
                labels[key] = name_label(key, family)
        if family == "suffix":
            block_ids(labels)
        self._label_plain(plain, labels)
        self._propagate(labels)
        self._fill_pieces(labels)
        return labels

    def _fill_pieces(self, labels: dict[str, str | None]) -> None:
        """A piece of the wiring between cuts whose named layers share one label lends it
        to its other layers (InceptionV3's ``mixed9``, named only at its two joins)."""
        for piece in self._cuts():
            found = {labels[key] for key in piece} - {None}
            if len(found) != 1:
                continue
            label = found.pop()
            for key in piece:
                if labels[key] is None and self._joinable(key):
                    labels[key] = label

    def _label_plain(self, plain: list[str], labels: dict[str, str | None]) -> None:
        """Consecutive names without digits share a label when their first tokens agree."""
        runs: list[list[str]] = []
        for key in plain:
            previous = runs[-1][-1] if runs else None
            near = previous is not None and self.position[key] == self.position[previous] + 1
            if near and previous is not None and first_token(previous) == first_token(key):
                runs[-1].append(key)
            else:
                runs.append([key])
        for run in runs:
            label = common_prefix(run).rstrip("_") if len(run) > 1 else run[0]
            for key in run:
                labels[key] = "plain:" + label

    def _propagate(self, labels: dict[str, str | None]) -> None:
        """Unlabelled nodes (names Keras made up) take their neighbours' labels.

        The strongest rule that labels anything is applied, then all are tried again:
        a node between two nodes of one label, a node joining labelled inputs, and a
        node feeding a single labelled consumer (swept backwards, so chains follow).
        """
        level = self.level
        waiting = [
            k
            for k in self.order
            if labels[k] is None and k not in level.atomic and level.kinds[k] != INPUT_KIND
        ]
        passes = (
            (self._between, False),
            (self._joining, False),
            (self._feeding, True),
        )
        while waiting:
            for rule, backwards in passes:
                changed = False
                for key in reversed(waiting) if backwards else waiting:
                    label = rule(key, labels)
                    if label is not None:
                        labels[key] = label
                        changed = True
                if changed:
                    break
            else:
                return
            waiting = [k for k in waiting if labels[k] is None]

    def _joinable(self, key: str) -> bool:
        """Not an input layer or a nested model: a node that may take a neighbour's label."""
        return self.level.kinds[key] != INPUT_KIND and key not in self.level.atomic

    def _between(self, key: str, labels: dict[str, str | None]) -> str | None:
        before = [labels[p] for p in self.preds[key] if labels[p] is not None]
        after = {labels[s] for s in self.succs[key] if labels[s] is not None}
        return next((label for label in before if label in after), None)

    def _joining(self, key: str, labels: dict[str, str | None]) -> str | None:
        if len(self.preds[key]) < 2:
            return None
        before = [labels[p] for p in self.preds[key] if labels[p] is not None]
        if not before:
            return None
        latest = max(
            (p for p in self.preds[key] if labels[p] is not None), key=self.position.__getitem__
        )
        return labels[latest]

    def _feeding(self, key: str, labels: dict[str, str | None]) -> str | None:
        succs = self.succs[key]
        return labels[succs[0]] if len(succs) == 1 else None

    def _intervals(self, labels: Mapping[str, str | None]) -> list[list[str]]:
        groups: list[list[str]] = []
        for key in self.order:
            label = labels[key]
            if groups and label is not None and labels[groups[-1][-1]] == label:
                groups[-1].append(key)
            else:
                groups.append([key])
        return groups

    def _cuts(self) -> list[list[str]]:
        """Split the order where a single node's output is all that is still needed."""
        groups: list[list[str]] = [[]]
        waiting: dict[str, int] = {}  # node → consumers not yet in the order
        for key in self.order:
            for pred in self.preds[key]:
                waiting[pred] -= 1
                if not waiting[pred]:
                    del waiting[pred]
            if self.succs[key]:
                waiting[key] = len(self.succs[key])
            groups[-1].append(key)
            if list(waiting) == [key] or not waiting:
                groups.append([])
        return self._with_tails([group for group in groups if group])

    def _with_tails(self, groups: list[list[str]]) -> list[list[str]]:
        """A piece's short tail joins it: the activation after a residual add."""
        joined: list[list[str]] = []
        tail = 0
        for group in groups:
            last = joined[-1] if joined else []
            follows = len(group) == 1 and bool(last) and self.preds[group[0]] == (last[-1],)
            keeps = self.level.keeps_shape
            follows = follows and (keeps is None or group[0] in keeps)  # an activation, not a pool
            if follows and len(last) > 1 + tail and tail < TAIL_AT_MOST:
                last.append(group[0])
                tail += 1
            else:
                joined.append(group)
                tail = 0
        return joined

    def _found(self, members: list[str], family: str, label: str | None) -> Found:
        name = display_name(members, family, label, self.level.auto)
        return Found(name, tuple(members), self._structure(members), family)

    def _structure(self, members: Sequence[str]) -> Structure:
        local = {key: i for i, key in enumerate(members)}
        outside: dict[str, int] = {}
        layers = []
        for key in members:
            refs = []
            for pred in self.preds[key]:
                if pred in local:
                    refs.append(local[pred])
                else:
                    refs.append(-1 - outside.setdefault(pred, len(outside)))
            layers.append((self.level.kinds[key], tuple(refs)))
        exported = tuple(
            i for i, key in enumerate(members) if any(s not in local for s in self.succs[key])
        )
        return (tuple(layers), exported)

    # --- runs ---------------------------------------------------------------------

    def _runs(self, blocks: list[Found], family: str) -> list[list[Found]]:
        runs: list[list[Found]] = []
        i = 0
        while i < len(blocks):
            end = self._run_end(blocks, i)
            runs.append(blocks[i:end])
            i = end
        return runs

    def _run_end(self, blocks: list[Found], i: int) -> int:
        first = blocks[i]
        if i + 1 >= len(blocks) or not self._follows(first, blocks[i + 1]):
            return i + 1
        second = blocks[i + 1]
        if second.structure != first.structure and not _alike(first, second):
            return i + 1
        end = i + 2
        while end < len(blocks) and self._follows(blocks[end - 1], blocks[end]):
            if blocks[end].structure != second.structure:
                # A last block that differs a little (ResNetV2's strided one), where the
                # names tell the stage (conv2_block…): the stage ends with it.
                closing = re.search(r"\d", stage(second.name, second.family) or "") and _alike(
                    blocks[end], second
                )
                return end + 1 if closing else end
            end += 1
        return end

    def _follows(self, a: Found, b: Found) -> bool:
        """``b`` is fed by ``a``, both are blocks (not loose nodes) of one stage."""
        if not (self._unit(a) and self._unit(b)) or stage(a.name, a.family) != stage(
            b.name, b.family
        ):
            return False
        mine = set(a.members)
        return any(p in mine for key in b.members for p in self.preds[key])

    def _unit(self, block: Found) -> bool:
        """A block of several nodes, or a nested model: what runs are made of."""
        return len(block.members) > 1 or block.members[0] in self.level.atomic

    def cost(self, runs: list[list[Found]]) -> int:
        """Boxes of the folded picture: one per run, and each distinct structure in full.

        A structure seen once costs as many boxes as its layers, folded or not, so
        only repeats make a family cheaper.
        """
        seen: dict[Structure, int] = {}
        for run in runs:
            for block in run:
                if len(block.members) > 1:
                    seen[block.structure] = seen.get(block.structure, 0) + 1
        sizes = {b.structure: len(b.members) for run in runs for b in run if len(b.members) > 1}
        once = sum(1 for run in runs if len(run) == 1 and seen.get(run[0].structure) == 1)
        return ROW_WEIGHT * (len(runs) - once) + sum(sizes.values())


def postorder(
    keys: Sequence[str], preds: Mapping[str, Sequence[str]], succs: Mapping[str, Sequence[str]]
) -> list[str]:
    """Depth-first post-order from the outputs (nodes nobody consumes).

    A node's deepest input (the one with the longest path from the model's inputs) is
    finished first, so a block's short side branches (a shortcut, NASNet's adjustment
    of an older cell's output) come after the long path into it, inside the block.
    """
    depth: dict[str, int] = {}
    for key in _topological(keys, preds, succs):
        depth[key] = 1 + max((depth[p] for p in preds[key]), default=-1)
    done: set[str] = set()
    order: list[str] = []
    roots = [key for key in keys if not succs[key]] + list(keys)
    for root in roots:
        if root in done:
            continue
        done.add(root)
        stack = [(root, iter(_deepestfirst_token(preds[root], depth)))]
        while stack:
            node, inputs = stack[-1]
            for pred in inputs:
                if pred not in done:
                    done.add(pred)
                    stack.append((pred, iter(_deepestfirst_token(preds[pred], depth))))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _deepestfirst_token(preds: Sequence[str], depth: Mapping[str, int]) -> list[str]:
    return sorted(preds, key=lambda p: -depth[p])


def _topological(
    keys: Sequence[str], preds: Mapping[str, Sequence[str]], succs: Mapping[str, Sequence[str]]
) -> list[str]:
    waiting = {key: len(preds[key]) for key in keys}
    ready = [key for key in keys if not waiting[key]]
    order = []
    while ready:
        key = ready.pop()
        order.append(key)
        for succ in succs[key]:
            waiting[succ] -= 1
            if not waiting[succ]:
                ready.append(succ)
    return order


def _alike(entry: Found, other: Found) -> bool:
    """``entry`` may open a run of ``other``'s: their layer classes differ by a few."""
    mine = [kind for kind, _ in entry.structure[0]]  # type: ignore[attr-defined]
    theirs = [kind for kind, _ in other.structure[0]]  # type: ignore[attr-defined]
    left, right = list(mine), list(theirs)
    for kind in mine:
        if kind in right:
            right.remove(kind)
            left.remove(kind)
    return len(left) + len(right) <= max(2, len(theirs) // 4)
