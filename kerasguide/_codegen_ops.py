"""Keras operations as code: the arguments of one ``keras.ops`` call, in order.

An operation entry of a functional spec is ``{op, name, inputs, **constants}``.
Its tensors fill the function's parameters that the entry does not name, in
signature order; functions whose first parameter takes a list of tensors
(``concatenate``, ``stack``) take the whole ``inputs`` list there. The call is
written the way a person writes it: tensors and required values positionally,
optional values by keyword (``keras.ops.mean(x, axis=1)``,
``keras.ops.subtract(1.0, d)``), and the four arithmetic operations that Keras
tensors overload as operators (``a + b``, ``x * 0.5``).
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass
from typing import Any

from kerasguide import _ops

__all__ = ["INFIX", "Tensor", "Tensors", "arguments"]

# Operations that a Keras tensor's operators call (`x / y` is true_divide, not divide).
INFIX = {"add": "+", "subtract": "-", "multiply": "*", "true_divide": "/"}
ENTRY_KEYS = ("op", "name", "inputs")


@dataclass(frozen=True)
class Tensor:
    """A tensor argument: the code of the variable that holds it."""

    code: str


@dataclass(frozen=True)
class Tensors:
    """A list of tensors passed as one argument (``concatenate([a, b])``)."""

    codes: tuple[str, ...]


def parameters(name: str, where: str) -> tuple[inspect.Parameter, ...]:
    """The parameters of an allowed ``keras.ops`` function, in order (from ``_ops``)."""
    _ops.resolve(name, f"{where}.op")
    return _ops.parameters(name)


def arguments(entry: dict[str, Any], tensors: list[str]) -> list[tuple[str, bool, Any]]:
    """The call's arguments in signature order: (parameter, by keyword?, value).

    Tensors are :class:`Tensor` or :class:`Tensors` values, constants are plain data.

    Example:
        >>> arguments({"op": "subtract", "name": "s", "x1": 1.0}, ["d"])  # doctest: +SKIP
        [('x1', False, 1.0), ('x2', False, Tensor(code='d'))]
    """
    name = entry["op"]
    params = parameters(name, entry["name"])
    values = _values(entry, params, tensors)
    needed = [i for i, p in enumerate(params) if p.name in values and _positional(p, values)]
    end = needed[-1] + 1 if needed else 0
    result: list[tuple[str, bool, Any]] = []
    gap = False
    for i, param in enumerate(params):
        if param.name not in values:
            gap = gap or i < end
            continue
        keyword = gap or i >= end or param.kind is param.KEYWORD_ONLY
        result.append((param.name, keyword, values[param.name]))
    return result


def _positional(param: inspect.Parameter, values: dict[str, Any]) -> bool:
    """True for what a person writes positionally: a tensor, or a required value."""
    return isinstance(values[param.name], (Tensor, Tensors)) or param.default is param.empty


def _values(
    entry: dict[str, Any], params: tuple[inspect.Parameter, ...], tensors: list[str]
) -> dict[str, Any]:
    """Each filled parameter's value: the entry's constants, then the tensors."""
    name, where = entry["op"], entry["name"]
    values = {k: v for k, v in entry.items() if k not in ENTRY_KEYS}
    for key in values:
        _ops.check_argument(name, key, where)
    slots = _ops.tensor_slots(name, set(values), len(tensors), where)
    if name in _ops.LIST_FIRST:
        return {slots[0]: Tensors(tuple(tensors)), **values}
    values.update({slot: Tensor(code) for slot, code in zip(slots, tensors, strict=True)})
    return values
