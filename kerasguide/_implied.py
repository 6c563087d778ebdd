"""Settings read from a summary's numbers, for ``check_summary`` against summary text.

A printed summary has no configuration, but its numbers often determine one: a Dense
layer's units are its output's last axis, and with the input's width its parameter count
says whether it has a bias; an Embedding's parameters divided by its vector size are its
vocabulary; a convolution's parameters give its kernel size and bias, and its output's
size, its padding; a pooling's output size, its pool size. Each setting is named only when
the numbers leave one answer, so a finding never guesses.

Private to :mod:`kerasguide._compare`.
"""

from __future__ import annotations

import math

from kerasguide._rows import Row
from kerasguide._shapes import Shape

__all__ = ["implied_changes", "size_of"]

Change = tuple[str, object, object]  # a setting: its key, the expected and the found value

_SIZE_KEYS = dict.fromkeys(("Dense", "SimpleRNN", "LSTM", "GRU"), "units")
_SIZE_KEYS |= dict.fromkeys(("Conv1D", "Conv2D", "Conv3D"), "filters")
_SIZE_KEYS["Embedding"] = "output_dim"
_CONV_RANK = {"Conv1D": 1, "Conv2D": 2, "Conv3D": 3}
_POOL_RANK = {f"{k}Pooling{n}D": n for k in ("Max", "Average") for n in (1, 2, 3)}


def implied_changes(
    want: Row, got: Row, inputs: tuple[Shape | None, Shape | None] = (None, None)
) -> list[Change]:
    """The settings in which ``got`` differs from ``want``, as far as the numbers tell.

    ``inputs`` are the shapes feeding each row (expected, found); the settings beyond the
    size (units, filters, output_dim) are read only when they are the same, or one is
    unknown (the first layer of a Sequential model's summary). Each formula must explain
    both parameter counts exactly, so an unknown input cannot make a wrong guess pass.
    """
    sized = size_of(want), size_of(got)
    changes: list[Change] = []
    if sized[0] is not None and sized[1] is not None and sized[0] != sized[1]:
        changes.append((sized[0][0], sized[0][1], sized[1][1]))
    given = inputs[0] or inputs[1]  # a Sequential summary shows no input above layer 1
    if changes or given is None or (None not in inputs and inputs[0] != inputs[1]):
        return changes
    if want.type != got.type:
        return changes
    for reader in (_dense_bias, _vocabulary, _convolution, _pooling):
        found = reader(want, got, given)
        if found:
            return found
    return []


def size_of(row: Row) -> tuple[str, int] | None:
    """Units, filters or an Embedding's output_dim, read from the output shape."""
    key = _SIZE_KEYS.get(row.type)
    shape = _shape(row)
    if key is None or not shape or shape[-1] is None:
        return None
    return key, shape[-1]


def _shape(row: Row) -> Shape | None:
    shapes = row.output_shapes
    return shapes[0] if shapes and len(shapes) == 1 else None


def _dense_bias(want: Row, got: Row, given: Shape) -> list[Change]:
    size, width = size_of(want), given[-1] if given else None
    if want.type != "Dense" or size is None or width is None:
        return []
    weights = width * size[1]
    biases = {weights + size[1]: True, weights: False}
    if want.params in biases and got.params in biases and want.params != got.params:
        return [("use_bias", biases[want.params], biases[got.params])]
    return []


def _vocabulary(want: Row, got: Row, given: Shape) -> list[Change]:
    size = size_of(want)
    if want.type != "Embedding" or size is None or not size[1]:
        return []
    vector = size[1]
    if want.params % vector or got.params % vector or want.params == got.params:
        return []
    return [("input_dim", want.params // vector, got.params // vector)]


def _kernel(row: Row, channels: int, rank: int) -> tuple[tuple[int, ...], bool] | None:
    """(the square kernel, use_bias) that give the row's parameters, when only one does."""
    shape, size = _shape(row), size_of(row)
    if shape is None or size is None:
        return None
    filters = size[1]
    found = []
    for bias in (True, False):
        weights = row.params - (filters if bias else 0)
        if weights > 0 and weights % (channels * filters) == 0:
            side = round((weights // (channels * filters)) ** (1 / rank))
            if side**rank == weights // (channels * filters):
                found.append(((side,) * rank, bias))
    return found[0] if len(found) == 1 else None


def _convolution(want: Row, got: Row, given: Shape) -> list[Change]:
    rank = _CONV_RANK.get(want.type)
    channels = given[-1] if given else None
    if rank is None or channels is None or len(given) != rank + 2:
        return []
    kernels = _kernel(want, channels, rank), _kernel(got, channels, rank)
    if kernels[0] is None or kernels[1] is None:
        return []
    changes: list[Change] = []
    if kernels[0][0] != kernels[1][0]:
        changes.append(("kernel_size", kernels[0][0], kernels[1][0]))
    if kernels[0][1] != kernels[1][1]:
        changes.append(("use_bias", kernels[0][1], kernels[1][1]))
    if not changes:
        changes = _padding(want, got, given, kernels[0][0])
    return changes


def _padding(want: Row, got: Row, given: Shape, kernel: tuple[int, ...]) -> list[Change]:
    """padding='same' or 'valid' (stride 1), when the output sizes tell them apart."""
    sides = given[1:-1]
    shapes = _shape(want), _shape(got)
    if shapes[0] is None or shapes[1] is None or None in sides:
        return []
    known = tuple(int(d or 0) for d in sides)
    valid = tuple(d - k + 1 for d, k in zip(known, kernel, strict=True))
    guesses = {known: "same", valid: "valid"} if valid != known else {}
    found = [guesses.get(tuple(d or 0 for d in shape[1:-1])) if shape else None for shape in shapes]
    if found[0] and found[1] and found[0] != found[1]:
        return [("padding", found[0], found[1])]
    return []


def _pooling(want: Row, got: Row, given: Shape) -> list[Change]:
    """The pool size (strides equal to it, padding 'valid') when the output sizes tell it."""
    rank = _POOL_RANK.get(want.type)
    shapes = _shape(want), _shape(got)
    if rank is None or shapes[0] is None or shapes[1] is None or len(given) != rank + 2:
        return []
    sides = [int(d) for d in given[1:-1] if d is not None]
    if len(sides) != rank:
        return []
    pools = [_pool(sides, shape[1:-1]) if shape else None for shape in shapes]
    if pools[0] and pools[1] and pools[0] != pools[1]:
        return [("pool_size", pools[0], pools[1])]
    return []


def _pool(sides: list[int], out: Shape) -> tuple[int, ...] | None:
    """The one square pool size p (strides p, padding 'valid') that makes ``out``."""
    found = [
        (p,) * len(sides)
        for p in range(1, max(sides) + 1)
        if tuple(math.floor((d - p) / p) + 1 for d in sides) == tuple(out)
    ]
    return found[0] if len(found) == 1 else None
