"""Every setting of a layer, as Keras writes it: private to :mod:`kerasguide._compare`.

``check_model`` compares the whole ``get_config()`` of two layers (their names aside),
not a chosen few keys, so that every setting that changes what a layer computes is
seen: ``momentum``, ``go_backwards``, ``recurrent_activation``, initializers,
regularizers, constraints, the dtype policy. An omitted default equals an explicit one,
because both configs come from Keras; a key that only one side writes (a model saved
by another Keras version) is read from an instance of the class made without it, else
from the constructor's default. Nested Keras objects compare by class and
configuration, and show as the call that makes them: ``keras.initializers.HeNormal()``.
The layers a wrapper holds (``Bidirectional``, ``TimeDistributed``, ``RNN``) are compared
too: the first one's settings by their own names, the others' as ``backward_layer.units``
or ``cells[1].units``.

Each change has a kind, so that a grader can weigh them apart: ``initializer``,
``regularizer``, ``constraint``, ``dtype``, ``seed``, else ``config``.

Example:
    >>> changes(reference.layers[2], student.layers[2])  # doctest: +SKIP
    [Change(key='momentum', expected=0.99, found=0.9, kind='config')]
"""

from __future__ import annotations

import inspect
from typing import NamedTuple

import kerasguide._keras as _k
from kerasguide._activations import layer_config
from kerasguide._graph import is_operation, wrapped_layers
from kerasguide._layer_text import CONFIG
from kerasguide._types import KerasOperation

__all__ = [
    "KINDS",
    "UNSET",
    "Change",
    "KerasObject",
    "changes",
    "fingerprint",
    "holder",
    "leaf",
    "value",
]

# The kinds of a setting's change, besides "config": what a grader may weigh apart.
KINDS = ("initializer", "regularizer", "constraint", "dtype", "seed")
# Keys that say nothing about the computation, or that other findings already cover:
# the name, and the input shape (compared row by row).
_SKIP = frozenset(("name", "batch_shape", "batch_input_shape", "input_shape"))
# Keys where a wrapper writes the layers it holds, compared through the layers themselves.
_INNER = frozenset(("layer", "backward_layer", "cell", "cells"))
_MODEL_KEYS = ("trainable",)  # a nested model's layers are rows of their own


class _Unset:
    """A setting that a layer does not write and whose default is unknown."""

    def __repr__(self) -> str:
        return "(not set)"


UNSET = _Unset()


class KerasObject(NamedTuple):
    """A Keras object held in a config: an initializer, a regularizer, a constraint, ….

    Two are equal when their class and configuration are; ``str()`` is the call that
    makes one, e.g. ``keras.regularizers.L2(l2=0.01)`` (arguments that are None left out).
    """

    class_name: str
    module: str
    config: tuple[tuple[str, object], ...]

    def __str__(self) -> str:
        args = ", ".join(f"{key}={_shown(item)}" for key, item in self.config if item is not None)
        prefix = f"{self.module}." if self.module.startswith("keras") else ""
        return f"{prefix}{self.class_name}({args})"

    def __repr__(self) -> str:
        return str(self)


class PythonFunction(NamedTuple):
    """A Python function held in a config (a ``Lambda`` layer's ``function``): compared by
    its name and the code Keras writes for it, shown by its name, never by that code."""

    name: str
    code: str

    def __str__(self) -> str:
        return "a Python function (lambda)" if self.name == "<lambda>" else self.name

    def __repr__(self) -> str:
        return str(self)


class Change(NamedTuple):
    """One setting that differs: its key, the expected and the found value, its kind."""

    key: str
    expected: object
    found: object
    kind: str


def _shown(item: object) -> str:
    if isinstance(item, float):
        return f"{item:.7g}"
    return repr(item) if isinstance(item, str) else str(item)


def value(raw: object) -> object:
    """A config value made comparable: tuples for lists, :class:`KerasObject` for objects.

    A dtype policy is its name (``"float32"``, ``"mixed_float16"``), as an ``Input``'s
    dtype is written.
    """
    if isinstance(raw, dict):
        inner = raw.get("config")
        if raw.get("class_name") == "__lambda__" and isinstance(inner, dict):
            return PythonFunction("<lambda>", repr(value(inner)))
        if raw.get("module") == "builtins" and raw.get("class_name") == "function":
            return PythonFunction(str(inner), "")
        if "class_name" in raw and isinstance(inner, dict):
            name = str(raw["class_name"])
            if name.endswith("DTypePolicy") and "name" in inner:
                return value(inner["name"])
            items = tuple((str(key), value(item)) for key, item in inner.items())
            return KerasObject(name, str(raw.get("module") or ""), items)
        return {str(key): value(item) for key, item in raw.items()}
    if isinstance(raw, (list, tuple)):
        return tuple(value(item) for item in raw)
    tolist = getattr(raw, "tolist", None)
    if callable(tolist) and hasattr(raw, "dtype"):  # numpy arrays and scalars
        return value(tolist())
    return raw


def kind(key: str) -> str:
    """The kind of a change of ``key``: ``kernel_initializer`` is an ``initializer``."""
    name = leaf(key)
    for suffix in ("initializer", "regularizer", "constraint"):
        if name.endswith(f"_{suffix}"):
            return suffix
    if name in ("dtype", "autocast"):
        return "dtype"
    return "seed" if name == "seed" else "config"


def leaf(key: str) -> str:
    """The setting's own name: ``units`` for ``backward_layer.units``."""
    return key.rsplit(".", 1)[-1]


def _config(layer: KerasOperation) -> dict[str, object]:
    try:
        return layer_config(layer)  # activation callables by their Keras names
    except (NotImplementedError, TypeError):
        return {}


def _is_model(layer: KerasOperation) -> bool:
    return isinstance(layer, _k.keras().Model)


def changes(expected: KerasOperation | None, found: KerasOperation | None) -> list[Change]:
    """Every setting of ``found`` that differs from ``expected``, :data:`CONFIG`'s keys first.

    Nothing for an unknown side, or for a layer compared with an operation
    (``layers.Add()`` and ``x + y`` compute the same).
    """
    if expected is None or found is None or is_operation(expected) != is_operation(found):
        return []
    found_changes = _changes(expected, found)
    order = {key: index for index, key in enumerate(CONFIG)}
    return sorted(found_changes, key=lambda change: order.get(change.key, len(order)))


def fingerprint(layer: KerasOperation) -> str:
    """Every setting of ``layer`` (and of the layers it holds) as one text; names left out."""
    config = _config(layer)
    if _is_model(layer):
        own = {key: value(config.get(key)) for key in _MODEL_KEYS}
    else:
        own = {k: value(v) for k, v in config.items() if k not in _SKIP and k not in _INNER}
    inner = [fingerprint(item) for item in wrapped_layers(layer)]
    return repr((type(layer).__name__, sorted(own.items(), key=lambda item: item[0]), inner))


def _changes(expected: KerasOperation, found: KerasOperation) -> list[Change]:
    wanted, got = _config(expected), _config(found)
    inner = bool(wrapped_layers(expected))
    if _is_model(expected) or _is_model(found):
        keys = [key for key in _MODEL_KEYS if key in wanted or key in got]
    else:
        skip = _SKIP | (_INNER if inner else frozenset())
        keys = [key for key in dict.fromkeys([*wanted, *got]) if key not in skip]
    result = []
    for key in keys:
        want = value(wanted[key]) if key in wanted else _default(expected, key, got)
        have = value(got[key]) if key in got else _default(found, key, wanted)
        if want != have or (type(want) is not type(have) and not _numbers(want, have)):
            result.append(Change(key, want, have, kind(key)))
    holders = _holder_changes(wanted.get("cell"), got.get("cell")) if inner else []
    return result + holders + _inner_changes(expected, found, set(wanted) | set(got))


def _holder_changes(wanted: object, got: object) -> list[Change]:
    """The settings of the ``StackedRNNCells`` an ``RNN`` of several cells holds (``cell.*``)."""
    if not (isinstance(wanted, dict) and isinstance(got, dict)):
        return []
    first, second = value(wanted.get("config")), value(got.get("config"))
    if not (isinstance(first, dict) and isinstance(second, dict)):
        return []
    if "cells" not in first or "cells" not in second:
        return []
    keys = [k for k in dict.fromkeys([*first, *second]) if k not in _SKIP and k != "cells"]
    return [
        Change(f"cell.{key}", first.get(key, UNSET), second.get(key, UNSET), kind(key))
        for key in keys
        if first.get(key, UNSET) != second.get(key, UNSET)
    ]


def _numbers(first: object, second: object) -> bool:
    """1 and 1.0 are the same setting; True and 1 are not."""
    kinds = (int, float)
    return all(isinstance(x, kinds) and not isinstance(x, bool) for x in (first, second))


def _default(layer: KerasOperation, key: str, other: dict[str, object]) -> object:
    """The value ``layer``'s class takes for ``key`` when it is not given."""
    try:
        made = type(layer).from_config({k: v for k, v in other.items() if k != key})  # type: ignore[attr-defined]
        fresh = dict(made.get_config())
    except Exception:  # a class that cannot be made this way: fall back on its signature
        fresh = {}
    if key in fresh:
        return value(fresh[key])
    try:
        parameter = inspect.signature(type(layer).__init__).parameters.get(key)
    except (TypeError, ValueError):
        parameter = None
    if parameter is None or parameter.default is parameter.empty:
        return UNSET
    return value(parameter.default)


def _inner_changes(expected: KerasOperation, found: KerasOperation, own: set[str]) -> list[Change]:
    """The changes of the layers a wrapper holds, named as :func:`holder` explains."""
    wanted, got = wrapped_layers(expected), wrapped_layers(found)
    if len(wanted) != len(got):
        return []
    result: list[Change] = []
    for index, (want, have) in enumerate(zip(wanted, got, strict=True)):
        if type(want) is not type(have):
            continue  # the row's type, with what it wraps, already differs
        prefix = _prefix(expected, index, len(wanted))
        for change in _changes(want, have):
            key = change.key
            if prefix or key in own:
                key = f"{prefix or _first_prefix(expected)}{key}"
            moved = change._replace(key=key)
            if index and type(expected).__name__ == "Bidirectional" and _mirrors(moved, result):
                continue  # a Bidirectional's backward layer is a copy of its forward one
            result.append(moved)
    return result


def _prefix(wrapper: KerasOperation, index: int, count: int) -> str:
    if index == 0:
        return ""
    if type(wrapper).__name__ == "Bidirectional":
        return "backward_layer."
    return f"cells[{index}]." if count > 1 else ""


def _first_prefix(wrapper: KerasOperation) -> str:
    if type(wrapper).__name__ == "RNN":
        return "cells[0]." if len(wrapped_layers(wrapper)) > 1 else "cell."
    return "layer."


def _mirrors(change: Change, forward: list[Change]) -> bool:
    own = change._replace(key=leaf(change.key))
    return any(c._replace(key=leaf(c.key)) == own for c in forward)


def holder(layer: KerasOperation | None, keys: list[str]) -> str:
    """``this layer``, or the layer inside this wrapper that holds the settings ``keys``.

    ``the LSTM that this Bidirectional wraps``, ``the backward layer of this
    Bidirectional``, ``cell 2 of this RNN``.
    """
    inner = wrapped_layers(layer) if layer is not None else []
    if layer is None or not inner:
        return "this layer"
    own = set(_config(layer))
    first = keys[0] if keys else ""
    kind_name = type(layer).__name__
    if first.startswith("backward_layer."):
        return f"the backward layer of this {kind_name}"
    if first.startswith("cell.") and len(inner) > 1:
        return f"the StackedRNNCells that this {kind_name} holds"
    if first.startswith("cells["):
        number = int(first[len("cells[") : first.index("]")]) + 1
        return f"cell {number} of this {kind_name}"
    if all(key in own and "." not in key for key in keys):
        return "this layer"
    return f"the {type(inner[0]).__name__} that this {kind_name} wraps"
