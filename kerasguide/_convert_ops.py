"""``to_spec``'s entries for Keras operations: ``x + 3.0`` as ``{op: add, x2: 3.0}``.

An operation is written with its constants when they are plain values a spec can
hold (a Python number, a string, a short list of them); a constant array or tensor
(``x + np.ones(...)``) and an operation outside the allow-list are refused.
"""

from __future__ import annotations

import inspect
from typing import Any

from kerasguide import _catalog as cat
from kerasguide import _ops, _roundtrip
from kerasguide.errors import SpecError

__all__ = ["op_entry"]


def op_entry(op: Any, node: Any, refs: list[str]) -> dict[str, Any]:
    """An operation node as ``{op, name, inputs, **constants}``, or a SpecError."""
    function = cat.snake_case(type(op).__name__)
    if function not in _ops.available():
        raise SpecError(
            f"the operation {op.name!r} ({type(op).__name__}) cannot be written in a spec",
            where=f"operation {op.name!r}",
            expected="a keras.ops function from kerasguide's allow-list, e.g. add, mean, "
            "reshape, concatenate",
            received=f"{type(op).__module__}.{type(op).__name__}",
            hint="slices (x[:, 0]) and other operations are not in specs: use a layer "
            "(e.g. Cropping1D, Reshape, Add), or keep the model as a .keras file",
        )
    params = [p.name for p in _ops.parameters(function)]
    call_names = list(inspect.signature(type(op).call).parameters)[1:]
    values = dict(zip(call_names, node.arguments.args, strict=False))
    values.update(node.arguments.kwargs)
    config = {k: v for k, v in op.get_config().items() if k != "name"}
    entry: dict[str, Any] = {"op": function, "name": op.name}
    for key, value in {**config, **values}.items():
        if _has_tensor(value):
            continue
        if not _writable(value):
            raise _constant_refused(op, key, value)
        if key not in params:
            raise _op_refused(op, key, value)
        default = next(p.default for p in _ops.parameters(function) if p.name == key)
        mine = _roundtrip.plain(value)
        if mine == _roundtrip.plain(default) and not _before_tensor(key, values, params):
            continue
        entry[key] = mine
    entry["inputs"] = refs[0] if len(refs) == 1 else refs
    return entry


def _has_tensor(value: Any) -> bool:
    if isinstance(value, (list, tuple)):
        return any(_has_tensor(v) for v in value)
    return hasattr(value, "_keras_history")


def _writable(value: Any, depth: int = 0) -> bool:
    """A constant a spec can hold: a Python number, string or None, or a short list of them."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return True
    if type(value).__module__ == "numpy" and getattr(value, "ndim", None) == 0:
        return True  # a numpy scalar, written as the Python number it holds
    if isinstance(value, (list, tuple)) and len(value) <= 64 and depth < 4:
        return all(_writable(v, depth + 1) for v in value)
    return False


def _constant_refused(op: Any, key: str, value: Any) -> SpecError:
    shape = getattr(value, "shape", None)
    shown = f"{type(value).__name__} of shape {tuple(shape)}" if shape is not None else None
    return SpecError(
        f"the operation {op.name!r} has a constant operand a spec cannot write",
        where=f"operation {op.name!r}.{key}",
        expected="a tensor from another layer, a Python number, or a short list of numbers",
        received=shown or f"{key}={type(value).__name__}",
        hint="to_spec cannot write constant arrays or tensors (x + ops.ones(...), "
        "x + np.ones(...)): keep the model as a .keras file (model.save('m.keras')), "
        "or make the constant a layer's weight",
    )


def _before_tensor(key: str, values: dict[str, Any], params: list[str]) -> bool:
    """True when a constant comes before a tensor (``3.0 - x``): it must stay named."""
    later = params[params.index(key) + 1 :]
    return any(_has_tensor(values.get(p)) for p in later)


def _op_refused(op: Any, key: str, value: Any) -> SpecError:
    return SpecError(
        f"the operation {op.name!r} has an argument a spec cannot write",
        where=f"operation {op.name!r}.{key}",
        expected=f"arguments of keras.ops.{cat.snake_case(type(op).__name__)}",
        received=f"{key}={value!r}",
        hint="keep the model as a .keras file, or use a layer for this step",
    )
