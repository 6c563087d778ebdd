"""Build real tf.keras models from specs.

Everything is delegated to Keras: layers are Keras classes created with the
spec's arguments and wired with the call notation, so Keras stays the source
of truth for shapes and parameters. What we add is the spec path in every
error, and names that do not depend on how many models a notebook built.
"""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from contextlib import AbstractContextManager
from typing import Any, Protocol

from kerasguide import _call_options, _entries, _graph, _masks, _normalize, _ops, _stateful, _wiring
from kerasguide import _catalog as cat
from kerasguide._build_hints import layer_outputs, refuse_empty, shape_error_hint
from kerasguide._keras import deferred_weights, fresh_names, is_model, keras, recursion_room
from kerasguide._lint import warn_hints
from kerasguide._shapes import format_shapes
from kerasguide._training import compile_model
from kerasguide._types import KerasModel
from kerasguide.errors import BuildError, KerasGuideError, OptionError, SpecError, first_line
from kerasguide.limits import check_params, get_limits, weight_bytes
from kerasguide.specs import Spec, SpecSource, load_spec


class Strategy(Protocol):
    """A ``tf.distribute`` strategy: its ``scope()`` places the variables created in it."""

    def scope(self) -> AbstractContextManager[object]: ...


__all__ = ["as_model", "build", "functional", "mlp", "sequential"]


def build(
    spec: SpecSource,
    *,
    strategy: Strategy | None = None,
    ignore_hints: str | list[str] | tuple[str, ...] = (),
) -> KerasModel:
    """Build the Keras model that a spec describes.

    Args:
        spec: A :class:`Spec`, a dict, a path to a spec file, or YAML/JSON text.
        strategy: A ``tf.distribute`` strategy; the model's variables are then
            created inside its ``scope()``.
        ignore_hints: Hint codes not to warn about (see :func:`kerasguide.lint`), or
            ``"all"``. Every other hint is emitted as a ``KerasGuideWarning``.

    Returns:
        A ``keras.Model`` (``keras.Sequential`` for a sequential spec), compiled when the
        spec gives a ``loss:``.

    Raises:
        SpecError: The spec is not valid, or Keras refused a layer (``BuildError``,
            naming the layer's spec path and the shapes involved).

    Example:
        >>> model = build({"input_shape": [1], "layers": [{"Dense": 2}, {"Dense": 1}]})
        >>> model.count_params()
        7
    """
    checked = load_spec(spec)
    data = checked.to_dict()
    try:
        return warn_hints(_build_with(data, strategy), data, ignore_hints)
    except KerasGuideError as err:
        if checked.source is not None and not str(err.where).startswith(checked.source):
            err.where = f"{checked.source}: {err.where}" if err.where else checked.source
            err.args = (str(err),)
        raise


def _build_with(data: dict[str, Any], strategy: Strategy | None) -> KerasModel:
    if strategy is None:
        return compile_model(_bounded(data), data)
    if not hasattr(strategy, "scope"):
        raise OptionError(
            "strategy must be a tf.distribute strategy",
            where="build(strategy=...)",
            expected="e.g. tf.distribute.MirroredStrategy()",
            received=type(strategy).__name__,
        )
    with strategy.scope():
        return compile_model(_bounded(data), data)


def as_model(obj: KerasModel | SpecSource) -> KerasModel:
    """A Keras model for a model, a Spec, a dict spec or a spec file path (or text).

    Raises:
        OptionError: ``obj`` is none of those.

    Example:
        >>> as_model({"kind": "mlp", "inputs": 2, "hidden": [], "outputs": 1}).count_params()
        3
    """
    if isinstance(obj, (Spec, dict, str, os.PathLike)):
        return build(obj)
    if is_model(obj):
        return obj
    raise OptionError(
        "expected a Keras model or a spec",
        where="model",
        expected="a keras.Model, a kerasguide.Spec, a dict spec, or a path to a spec file",
        received=f"{type(obj).__module__}.{type(obj).__name__}",
    )


def sequential(
    layers: list[Any],
    *,
    input_shape: int | Sequence[int | None],
    name: str = "sequential",
    strategy: Strategy | None = None,
) -> KerasModel:
    """Build a Sequential model from a list of layer entries.

    Args:
        layers: Layer entries as in a spec's ``layers:`` (``{"Dense": 2}``, ``"Flatten"``).
        input_shape: The input's shape without the batch size, e.g. ``[28, 28, 1]``.
        name: The model's name.
        strategy: A ``tf.distribute`` strategy whose scope creates the variables.

    Returns:
        A ``keras.Sequential`` model.

    Raises:
        SpecError: An entry is not valid, or Keras refused a layer (``BuildError``).

    Example:
        >>> sequential([{"Dense": 2}, {"Dense": 1}], input_shape=[1]).count_params()
        7
    """
    spec = {"kind": "sequential", "name": name, "input_shape": input_shape, "layers": layers}
    return build(spec, strategy=strategy)


def functional(
    *,
    inputs: Any,
    layers: list[Any],
    outputs: str | list[str] | dict[str, str] | None = None,
    name: str = "functional",
    strategy: Strategy | None = None,
) -> KerasModel:
    """Build a functional model from named inputs, layer entries and outputs.

    Args:
        inputs: The inputs by name, e.g. ``{"image": [32], "meta": [4]}``.
        layers: Layer entries as in a functional spec (``inputs:`` wires them).
        outputs: A name, a list of names or a mapping; the last entry by default.
        name: The model's name.
        strategy: A ``tf.distribute`` strategy whose scope creates the variables.

    Returns:
        A ``keras.Model``.

    Raises:
        SpecError: An entry or the wiring is not valid, or Keras refused a layer.

    Example:
        >>> functional(inputs={"visible": [2]}, layers=[{"Dense": 2}]).count_params()
        6
    """
    spec: dict[str, Any] = {"kind": "functional", "name": name, "inputs": inputs, "layers": layers}
    if outputs is not None:
        spec["outputs"] = outputs
    return build(spec, strategy=strategy)


def mlp(
    inputs: int | list[int],
    hidden: list[int],
    outputs: int,
    *,
    activation: str = "relu",
    output_activation: str | None = None,
    dropout: float | list[float] = 0.0,
    batch_norm: bool = False,
    name: str = "mlp",
) -> KerasModel:
    """Build a multilayer perceptron: Dense layers of the given widths.

    Layers are named ``input``, ``hidden_1`` … ``hidden_n`` and ``output``
    (with ``batch_norm_i`` and ``dropout_i`` after each hidden layer when asked).

    Args:
        inputs: The number of input features, or an input shape.
        hidden: The width of each hidden layer, in order.
        outputs: The width of the output layer.
        activation: The hidden layers' activation.
        output_activation: The output layer's activation (none by default).
        dropout: A dropout rate after every hidden layer, or one rate per layer.
        batch_norm: A BatchNormalization after every hidden layer.
        name: The model's name.

    Returns:
        A functional ``keras.Model``.

    Raises:
        SpecError: A width, rate or activation is not valid.

    Example:
        >>> model = mlp(inputs=10, hidden=[10, 20, 10], outputs=1,
        ...             activation="relu", output_activation="sigmoid")
        >>> model.count_params()
        551
    """
    spec: dict[str, Any] = {
        "kind": "mlp",
        "name": name,
        "inputs": inputs,
        "hidden": hidden,
        "outputs": outputs,
        "activation": activation,
        "output_activation": output_activation,
        "dropout": dropout,
        "batch_norm": batch_norm,
    }
    return build(spec)


# --- building ----------------------------------------------------------------------


def _bounded(data: dict[str, Any]) -> KerasModel:
    """Build with every weight's size known before any memory is allocated.

    Keras's automatic names start afresh for each build (:func:`fresh_names`), so a
    model is the same, names and weights' paths included, whatever the process
    built or failed to build before it.
    """
    limits = get_limits()
    levels = _normalize.layer_count(data, stop=limits.layers, depth=limits.depth)[0]
    with fresh_names(), recursion_room(levels), deferred_weights():
        model = _build(data, "")
        _stateful.check_batch(model)
        states = _stateful.state_bytes(model)
        sizes = []
        for layer in _graph.all_layers(model):
            counted = [weight_bytes(tuple(w.shape), str(w.dtype)) for w in layer.weights]
            sizes.append(
                (
                    layer.name,
                    type(layer).__name__,
                    sum(c for c, _ in counted),
                    sum(b for _, b in counted) + states.get(layer.name, 0),
                )
            )
        check_params(sizes, data["name"])
    _stateful.release(model)
    return model


def _build(data: dict[str, Any], path: str) -> KerasModel:
    if data["kind"] == "mlp":
        data = _normalize.expand_mlp(data)
    if data["kind"] == "sequential":
        return _build_sequential(data, path)
    return _build_functional(data, path)


def _at(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _top_layer(entry: dict[str, Any], where: str) -> Any:
    """A layer of the model itself (not one a wrapper holds), stateful RNNs held."""
    layer = _make_layer(entry, where)
    _stateful.hold(layer)
    return layer


def _make_layer(entry: dict[str, Any], where: str) -> Any:
    if "model" in entry:
        model = _build(entry["model"], _at(where, "model"))
        if entry.get("trainable") is False:
            model.trainable = False
        return model
    cls = cat.layer_classes()[entry["type"]]
    kwargs = {}
    for key, value in entry.items():
        if key in ("type", "inputs", "call"):
            continue
        kind = cat.object_kind(key)
        if _entries.layer_valued(cls, key):
            kwargs[key] = _inner_layers(value, _at(where, key))
        else:
            kwargs[key] = cat.make_object(kind, value) if kind else _ops.tuples(key, value)
    try:
        return cls(**kwargs)
    except Exception as err:  # Keras validates its own arguments
        raise _argument_error(entry, where, err) from err


def _inner_layers(value: Any, where: str) -> Any:
    if isinstance(value, list):
        return [_make_layer(item, f"{where}[{i}]") for i, item in enumerate(value)]
    return _make_layer(value, where)


def _argument_error(entry: dict[str, Any], where: str, err: Exception) -> SpecError:
    message = first_line(err)
    arg = next((k for k in entry if re.search(rf"\b{re.escape(k)}\b", message)), None)
    at = f"{where}.{arg}" if arg and arg not in ("type", "name") else where
    received = f"{arg}={entry[arg]!r}" if arg and arg not in ("type", "name") else repr(entry)
    return SpecError(
        f"Keras refused the arguments of {entry['type']} {entry['name']!r}",
        where=at,
        expected="arguments that keras.layers." + entry["type"] + " accepts",
        received=received,
        hint=f"Keras says: {message}",
    )


def _build_sequential(data: dict[str, Any], path: str) -> KerasModel:
    k = keras()
    layers_at = _at(path, "layers")
    layers = [_top_layer(e, f"{layers_at}[{i}]") for i, e in enumerate(data["layers"])]
    head = k.Input(
        tuple(data["input_shape"]),
        name=data.get("input_name", "input"),
        dtype=data.get("input_dtype"),
        batch_size=data.get("batch_size"),
    )
    try:
        model: KerasModel = k.Sequential([head, *layers], name=data["name"])
        refuse_empty(layer_outputs(model.layers))  # an empty map, which Keras 3.3 allows
        return model
    except Exception as err:
        # Find the layer that failed, by applying fresh copies one by one.
        tensor = head
        for i, entry in enumerate(data["layers"]):
            where = f"{layers_at}[{i}]"
            tensor = _apply(_top_layer(entry, where), tensor, entry, where, [], {})
        raise BuildError(
            f"Keras could not build the model {data['name']!r}",
            where=layers_at,
            expected="layers that Keras can chain",
            received=f"input shape {format_shapes(((None, *data['input_shape']),))}",
            hint=f"Keras says: {first_line(err).rstrip('.')}",
        ) from err


def _build_functional(data: dict[str, Any], path: str) -> KerasModel:
    k = keras()
    entries = data["layers"]
    tensors: dict[str, Any] = {}
    inputs = []
    for item in data["inputs"]:
        tensor = k.Input(
            tuple(item["shape"]),
            name=item["name"],
            dtype=item.get("dtype"),
            batch_size=item.get("batch_size"),
        )
        tensors[item["name"]] = tensor
        inputs.append(tensor)
    order = _wiring.check_graph(data["inputs"], entries, data["outputs"], path)
    sources = _wiring.wired(entries, data["inputs"], path)
    layers: dict[str, Any] = {}
    layers_at = _at(path, "layers")
    named: set[int] = set()  # the operations named so far (the spec's, and masks')
    for i in order:
        entry, where = entries[i], f"{layers_at}[{i}]"
        name = _wiring.entry_name(entry)
        refs = _wiring.as_list(sources[i])
        if "op" in entry:
            tensors[name] = _ops.apply(entry, [_lookup(tensors, r) for r in refs], where, refs)
            named.add(id(tensors[name]._keras_history.operation))
            continue
        if "reuse" in entry:
            layer = layers[entry["reuse"]]
        else:
            layer = layers[name] = _top_layer(entry, where)
        args = [_lookup(tensors, ref) for ref in refs]
        arg = args if isinstance(sources[i], list) and len(args) > 1 else args[0]
        options = _call_options.checked_call(layer, entry.get("call", {}), where)
        given = {key: _given(tensors, value) for key, value in options.items()}
        tensors[name] = _apply(layer, arg, entry, where, refs, given)
        _masks.name_masks(tensors[name], name, named)
    outputs = _structure(data["outputs"], tensors)
    feed: Any = inputs[0] if len(inputs) == 1 else inputs
    if data.get("dict_inputs"):
        feed = {item["name"]: tensor for item, tensor in zip(data["inputs"], inputs, strict=True)}
    model: KerasModel = k.Model(feed, outputs, name=data["name"])
    return model


def _given(tensors: dict[str, Any], value: Any) -> Any:
    """A ``call:`` value: a flag as it is, a reference (or a list of them) as tensors."""
    if isinstance(value, bool):
        return value
    return (
        [_lookup(tensors, r) for r in value] if isinstance(value, list) else _lookup(tensors, value)
    )


def _lookup(tensors: dict[str, Any], ref: str) -> Any:
    name, index = _wiring.split_ref(ref)
    value = tensors[name]
    return value[index] if index is not None else value


def _structure(outputs: Any, tensors: dict[str, Any]) -> Any:
    if isinstance(outputs, dict):
        return {key: _lookup(tensors, ref) for key, ref in outputs.items()}
    if isinstance(outputs, list):
        return [_lookup(tensors, ref) for ref in outputs]
    return _lookup(tensors, outputs)


def _apply(
    layer: Any, arg: Any, entry: dict[str, Any], where: str, refs: list[str], given: dict[str, Any]
) -> Any:
    by_place, by_name = _call_options.arranged(layer.call, given)
    try:
        out = layer(arg, *[given[k] for k in by_place], **{k: given[k] for k in by_name})
        return refuse_empty(out)
    except Exception as err:
        tensors = arg if isinstance(arg, list) else [arg]
        if refs:
            names = [repr(ref) for ref in refs]
        else:
            names = [f"{t._keras_history.operation.name!r} (the previous layer)" for t in tensors]
        received = ", ".join(
            f"{format_shapes((tuple(t.shape),))} from {n}"
            for t, n in zip(tensors, names * len(tensors), strict=False)
        )
        label = entry.get("type") or entry.get("reuse") or "model"
        raise BuildError(
            f"Keras could not apply {label} {_wiring.entry_name(entry)!r} to its input",
            where=where,
            expected=f"input shapes that {label} accepts",
            received="inputs of shape " + received,
            hint=f"Keras says: {first_line(err).rstrip('.')}. "
            + shape_error_hint(err, tensors, layer, label, sequential=not refs),
        ) from err
