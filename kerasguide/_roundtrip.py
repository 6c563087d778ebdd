"""Is a rebuilt model the same model? The check behind ``to_spec``.

``to_spec`` builds the spec it wrote and compares the result with the model it
was given, layer by layer and operation by operation: the class, every
argument of ``get_config()``, the weight shapes, the trainable flags, the
dtypes, the input shapes and batch sizes, and who feeds whom. The first
difference is raised as a :class:`SpecError` naming the layer and the argument,
so a spec is exact or refused, never a different model with the same count.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import overload

from kerasguide import _graph, _masks
from kerasguide._activations import layer_config
from kerasguide._keras import keras
from kerasguide._types import KerasModel, KerasOperation
from kerasguide._values import clip
from kerasguide.errors import SpecError

# Keras's own defaults of its global settings. A spec is read against these, not
# against whatever keras.config says in the process that wrote it, so a model made
# under set_floatx("float64") or set_image_data_format("channels_first") keeps its
# dtypes and data formats, written out layer by layer, and the check builds under them.
FLOATX = "float32"
DATA_FORMAT = "channels_last"


@contextlib.contextmanager
def default_settings() -> Iterator[None]:
    """Keras's default floatx, dtype policy and image data format, as in a fresh process."""
    config = keras().config
    saved = config.floatx(), config.image_data_format(), config.dtype_policy()
    config.set_floatx(FLOATX)
    config.set_image_data_format(DATA_FORMAT)
    config.set_dtype_policy(FLOATX)
    try:
        yield
    finally:
        config.set_floatx(saved[0])
        config.set_image_data_format(saved[1])
        config.set_dtype_policy(saved[2])


@overload
def plain(value: dict[str, object]) -> dict[str, object]: ...
@overload
def plain(value: object) -> object: ...
def plain(value: object) -> object:
    """A config value with tuples as lists and numpy scalars as Python numbers."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if hasattr(value, "item") and callable(value.item) and getattr(value, "ndim", 1) == 0:
        return value.item()
    return value


def verify(model: KerasModel, rebuilt: KerasModel) -> None:
    """Raise a SpecError at the first way ``rebuilt`` differs from ``model``."""
    _same_inputs(model, rebuilt)
    _same_operations(model, rebuilt, prefix="")
    _same_structure(model, rebuilt, name="")


def _differs(name: str, what: str, original: object, rebuilt: object) -> SpecError:
    return SpecError(
        f"a spec cannot describe {name!r} exactly: its {what} would change",
        where=f"layer {name!r}" if name else "model",
        expected=f"{what} = {clip(original, 120)}, as in the model",
        received=f"{what} = {clip(rebuilt, 120)} in the model the spec builds",
        hint="this is a limit of kerasguide's specs: keep the model in Python "
        "(model.save('m.keras')), or change that argument to one a spec can write",
    )


def _same_inputs(model: KerasModel, rebuilt: KerasModel) -> None:
    for a, b in zip(model.inputs, rebuilt.inputs, strict=False):
        name = a._keras_history.operation.name
        if tuple(a.shape) != tuple(b.shape):
            raise _differs(name, "input shape (with batch size)", tuple(a.shape), tuple(b.shape))
        if a.dtype != b.dtype:
            raise _differs(name, "input dtype", a.dtype, b.dtype)
    if len(model.inputs) != len(rebuilt.inputs):
        raise _differs("", "number of inputs", len(model.inputs), len(rebuilt.inputs))


def _same_structure(model: KerasModel, rebuilt: KerasModel, *, name: str) -> None:
    """The inputs and outputs as the model was made: a dict's keys, a list's order."""
    mine, theirs = _graph.io_structure(model), _graph.io_structure(rebuilt)
    if mine is None or theirs is None:
        return
    for index, side in enumerate(("inputs", "outputs")):
        a, b = _shown(mine[index]), _shown(theirs[index])
        if side == "inputs":  # keras.Model(x, ...) and keras.Model([x], ...) take the same data
            a, b = _single(a), _single(b)
        if a != b:
            raise SpecError(
                f"a spec cannot describe the {side} of {name or model.name!r} exactly",
                where=f"layer {name!r}" if name else f"model {model.name!r}",
                expected=f"{side} = {clip(a, 120)}, as in the model",
                received=f"{side} = {clip(b, 120)} in the model the spec builds",
                hint="to_spec cannot write dict inputs whose keys differ from the Input "
                "names: name each keras.Input after its key, or keep the model as a "
                ".keras file (model.save('m.keras'))",
            )


def _single(item: object) -> object:
    return item[0] if isinstance(item, list) and len(item) == 1 else item


def _same_operations(model: KerasModel, rebuilt: KerasModel, *, prefix: str) -> None:
    mine = _graph.summary_calls(model)
    theirs = _graph.summary_calls(rebuilt)
    # the operations Keras adds for implicit masks are compared, but not by name
    seen = (_mask_names(model, mine), _mask_names(rebuilt, theirs))
    names = [prefix + seen[0].get(c.layer.name, c.layer.name) for c in mine]
    theirs = _inputs_in_order(
        theirs, names, [prefix + seen[1].get(c.layer.name, c.layer.name) for c in theirs]
    )
    others = [prefix + seen[1].get(c.layer.name, c.layer.name) for c in theirs]
    if names != others:
        raise _differs(model.name, "layers and operations", names, others)
    checked: set[int] = set()
    for a, b in zip(mine, theirs, strict=True):
        name = prefix + a.layer.name
        wiring_a = [(seen[0].get(c.layer, c.layer), c.tensor_index) for c in a.inputs]
        wiring_b = [(seen[1].get(c.layer, c.layer), c.tensor_index) for c in b.inputs]
        if wiring_a != wiring_b:
            raise _differs(name, "inputs", wiring_a, wiring_b)
        if id(a.layer) not in checked:
            checked.add(id(a.layer))
            _same_operation(a.layer, b.layer, name, named=a.layer.name not in seen[0])
            _same_calls((model, rebuilt), a.layer, b.layer, name, seen)


def _inputs_in_order(
    theirs: list[_graph.Call], names: list[str], others: list[str]
) -> list[_graph.Call]:
    """``theirs`` with its InputLayers in the order of ``names``, if only they differ.

    Keras lists inputs in the order its graph walk meets them, and tensors given by
    keyword (``mha(q, key=k, value=v)``) are met sorted by name: the summary's rows of
    inputs may come in another order, though the inputs (compared apart) are the same.
    """
    inputs = [c for c in theirs if isinstance(c.layer, keras().layers.InputLayer)]
    if sorted(names) != sorted(others) or not inputs:
        return theirs
    by_name = dict(zip(others, theirs, strict=True))
    ordered = [by_name[name] for name in names]
    rest = [c for c in ordered if c not in inputs]
    return ordered if rest == [c for c in theirs if c not in inputs] else theirs


def _mask_names(model: KerasModel, calls: list[_graph.Call]) -> dict[str, str]:
    """``{"not_equal_3": "(mask 1)"}``: the implicit masks' operations, by their order."""
    masks = _masks.mask_operations(model)
    ops = dict.fromkeys(c.layer.name for c in calls if id(c.layer) in masks)
    return {name: f"(mask {i})" for i, name in enumerate(ops, start=1)}


def _same_operation(a: KerasOperation, b: KerasOperation, name: str, *, named: bool) -> None:
    if type(a) is not type(b):
        raise _differs(name, "class", type(a).__name__, type(b).__name__)
    if _graph.is_graph_model(a) and _graph.is_graph_model(b):  # b is of a's class
        if a.trainable != b.trainable:
            raise _differs(name, "trainable flag", a.trainable, b.trainable)
        _same_inputs(a, b)
        _same_operations(a, b, prefix=name + "/")
        _same_structure(a, b, name=name)
        return
    config_a, config_b = plain(layer_config(a)), plain(layer_config(b))
    if not named:  # an implicit mask's operation: Keras named it, not the model's author
        config_a.pop("name", None), config_b.pop("name", None)
    for key in sorted(set(config_a) | set(config_b)):
        if config_a.get(key) != config_b.get(key):
            raise _differs(name, f"argument {key!r}", config_a.get(key), config_b.get(key))
    weights_a, weights_b = _weights(a), _weights(b)
    if weights_a != weights_b:
        raise _differs(name, "weights (shape, trainable)", weights_a, weights_b)
    trainable_a, trainable_b = getattr(a, "trainable", True), getattr(b, "trainable", True)
    if trainable_a != trainable_b:
        raise _differs(name, "trainable flag", trainable_a, trainable_b)


def _weights(layer: KerasOperation) -> list[tuple[tuple[int, ...], bool, str]]:
    return [(tuple(w.shape), w.trainable, str(w.dtype)) for w in getattr(layer, "weights", [])]


def _same_calls(
    owners: tuple[KerasModel, KerasModel],
    a: KerasOperation,
    b: KerasOperation,
    name: str,
    seen: tuple[dict[str, str], dict[str, str]],
) -> None:
    """The arguments of every call: ``training=True``, ``use_causal_mask``, ``x + 3.0``'s 3.0."""
    wanted, got = _graph.call_arguments(owners[0], a), _graph.call_arguments(owners[1], b)
    if len(wanted) != len(got):
        raise _differs(name, "number of calls", len(wanted), len(got))
    for want, have in zip(wanted, got, strict=True):
        bound_a = _graph.bound_arguments(a, *want)
        bound_b = _graph.bound_arguments(b, *have)
        for key in dict.fromkeys([*bound_a, *bound_b]):
            first, second = _shown(bound_a.get(key), seen[0]), _shown(bound_b.get(key), seen[1])
            if first != second or _kinds(first) != _kinds(second):
                raise _call_differs(name, key, first, second, operation=_graph.is_operation(a))


def _call_differs(name: str, key: str, want: object, got: object, *, operation: bool) -> SpecError:
    noun = "operation" if operation else "layer"
    return SpecError(
        f"a spec cannot describe how the model calls {name!r}: its call argument "
        f"{key!r} would change",
        where=f"{noun} {name!r}",
        expected=f"{key}={clip(want, 120)}, as the model calls it",
        received=f"{key}={clip(got, 120)} in the model the spec builds",
        hint=f"to_spec cannot write the call argument {key!r} yet: keep the model as a "
        f".keras file (model.save('m.keras')), or call the {noun} without it",
    )


def _shown(value: object, seen: dict[str, str] | None = None) -> object:
    """A call argument to compare and show: a tensor as the output it is, arrays as lists.

    ``seen`` renames operations (those of implicit masks) before they are shown.
    """
    seen = seen or {}
    if isinstance(value, _graph.Source):
        index = f"[{value.tensor}]" if value.tensor else ""
        call = f" (call {value.call + 1})" if value.call > 0 else ""
        name = value.operation.name
        return f"<output{index} of {seen.get(name, name)!r}{call}>"
    if isinstance(value, dict):
        return {k: _shown(v, seen) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_shown(v, seen) for v in value]
    if hasattr(value, "tolist") and callable(value.tolist):  # a numpy array or scalar
        return _shown(value.tolist(), seen)
    return plain(value)


def _kinds(value: object) -> object:
    """The types of booleans inside ``value``: ``training=1`` is not ``training=True``."""
    if isinstance(value, dict):
        return {k: _kinds(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_kinds(v) for v in value]
    return isinstance(value, bool)
