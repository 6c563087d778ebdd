"""Which row of one model goes with which row of the other: private to :mod:`kerasguide._compare`.

Rows are first paired by their order (:func:`kerasguide._compare._align`). But Keras
orders a model's rows by how its graph was written, so swapping two inputs of a
``Concatenate``, listing the outputs in another order or adding an ``initial_state``
can reorder the rows, and pairing by order then pairs the wrong layers, and reports
differences that are not there. So rows are also paired with their twins in the other
model: rows of the same type fed by twin rows (in any order), level by level less
strict; or by name, when both models have the same names. ``check_model`` keeps the
pairing with the fewest findings.
"""

from __future__ import annotations

import hashlib
from collections import Counter, deque

from kerasguide._graph import Source, call_arguments, io_structure
from kerasguide._settings import fingerprint
from kerasguide._types import KerasModel, KerasOperation
from kerasguide.summary import Summary

__all__ = ["Pair", "Rows", "leaves", "tensors"]

Pair = tuple[int | None, int | None]  # the expected and the found row, None when unpaired
_Owned = list[tuple[KerasOperation, KerasModel]]


class Rows:
    """Both models' rows, each with the model holding it, and which rows are paired.

    Side 0 is the student's model (``found``), side 1 the reference (``expected``).
    """

    def __init__(
        self,
        models: tuple[KerasModel, KerasModel],
        owners: tuple[_Owned, _Owned],
        summaries: tuple[Summary, Summary],
    ) -> None:
        self.models = models
        self.owners = owners
        self.summaries = summaries
        self.index = [
            {(id(owner), id(op)): i for i, (op, owner) in enumerate(side)} for side in owners
        ]
        self.e_to_f: dict[int, int] = {}
        self.f_to_e: dict[int, int] = {}
        self.exact = False

    def candidates(self, pairs: list[Pair]) -> list[list[Pair]]:
        """Ways to pair the rows: ``pairs`` (by the rows' order) first, then by the graph.

        Twins are looked for with their settings, shapes and sources (level 2), without
        the settings (1), without the shapes (0), without the sources (-1); then by name.
        """
        found: list[list[Pair]] = [pairs]
        for chosen in (*(self._pairs_by(level) for level in (2, 1, 0, -1)), self._by_name()):
            if chosen is not None and chosen not in found:
                found.append(chosen)
        return found

    def use(self, pairs: list[Pair]) -> None:
        """Compare the paired rows ``pairs`` from now on."""
        self.e_to_f = {e: f for e, f in pairs if e is not None and f is not None}
        self.f_to_e = {f: e for e, f in self.e_to_f.items()}
        self.exact = len(self.e_to_f) == len(pairs)  # every row paired: tensors can be compared

    def _by_name(self) -> list[Pair] | None:
        keys = [[f"{row.depth}/{row.name}" for row in summary.rows] for summary in self.summaries]
        return _paired(keys[0], keys[1])

    def _pairs_by(self, level: int) -> list[Pair] | None:
        return _paired(self._signatures(0, level), self._signatures(1, level))

    def _signatures(self, side: int, level: int) -> list[str]:
        """A digest of each row and, recursively, of the rows feeding it (in any order).

        Level -1: the type, shapes and parameters, not the sources; 0: the type and the
        sources, and an input's shape; 1: also every shape and the parameters; 2: also
        every setting.
        """
        rows, owned = self.summaries[side].rows, self.owners[side]
        memo: dict[int, str] = {}
        positions = self._positions(side)

        def signature(index: int) -> str:
            if index in memo:
                return memo[index]
            memo[index] = "cycle"
            op, owner = owned[index]
            row = rows[index]
            feeding = []
            for call in call_arguments(owner, op) if level >= 0 else []:
                for source in tensors(call):
                    at = self.index[side].get((id(owner), id(source.operation)))
                    name = type(source.operation).__name__ if at is None else signature(at)
                    feeding.append(f"{name}:{source.tensor}")
            parts: list[object] = [row.depth, row.type, sorted(feeding), positions.get(index)]
            if level != 0 or row.is_input:
                parts += [row.output_shapes, row.params]
            if level >= 2:
                parts.append(fingerprint(op))
            memo[index] = hashlib.sha1(repr(parts).encode()).hexdigest()[:16]
            return memo[index]

        return [signature(index) for index in range(len(rows))]

    def _positions(self, side: int) -> dict[int, str]:
        """Where each input row is in its model's inputs: ``[0]``, ``['image']``.

        Inputs have no sources, so this is what tells two inputs of one shape apart.
        """
        positions: dict[int, str] = {}
        holders = {id(owner): owner for _, owner in self.owners[side]}
        for owner in holders.values():
            structure = io_structure(owner)
            for path, source in leaves(structure[0] if structure else None, ""):
                at = self.index[side].get((id(owner), id(source.operation)))
                if at is not None:
                    positions[at] = path
        return positions


def leaves(item: object, path: str) -> list[tuple[str, Source]]:
    """Each tensor in a nest, with its path in it: ``[0]``, ``['label']``."""
    if isinstance(item, Source):
        return [(path, item)]
    if isinstance(item, dict):
        return [leaf for key in sorted(item) for leaf in leaves(item[key], f"{path}[{key!r}]")]
    if isinstance(item, (list, tuple)):
        return [leaf for i, x in enumerate(item) for leaf in leaves(x, f"{path}[{i}]")]
    return []


def _paired(found: list[str], expected: list[str]) -> list[Pair] | None:
    """Rows paired by equal keys (in order among equal ones); None unless all keys pair up."""
    if Counter(found) != Counter(expected):
        return None
    waiting: dict[str, deque[int]] = {}
    for f, key in enumerate(found):
        waiting.setdefault(key, deque()).append(f)
    pairs: list[Pair] = [(e, waiting[key].popleft()) for e, key in enumerate(expected)]
    return sorted(pairs, key=lambda pair: pair[1] or 0)


def tensors(item: object) -> list[Source]:
    """Every tensor (as its :class:`~kerasguide._graph.Source`) in a nest of arguments."""
    found: list[Source] = []
    _collect(item, found)
    return found


def _collect(item: object, found: list[Source]) -> None:
    if isinstance(item, Source):
        found.append(item)
    elif isinstance(item, dict):
        for value in item.values():
            _collect(value, found)
    elif isinstance(item, (list, tuple)):
        for value in item:
            _collect(value, found)
