"""Turn an existing Keras model into a readable spec.

Every layer becomes an entry with only the arguments that differ from the
constructor's defaults, so ``to_spec(build(spec)) == spec`` for a spec in
normal form, and ``build(to_spec(model))`` has the same layers, shapes and
parameter counts as ``model``.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from kerasguide import _catalog as cat
from kerasguide import _entries, _graph, _masks, _roundtrip, _wiring
from kerasguide._activations import layer_config
from kerasguide._call_options import CALL_OPTIONS
from kerasguide._convert_ops import op_entry
from kerasguide._keras import is_model, keras, weightless
from kerasguide._roundtrip import DATA_FORMAT, FLOATX
from kerasguide.errors import KerasGuideError, OptionError, SpecError
from kerasguide.specs import Spec

__all__ = ["to_spec"]

# Arguments that Keras stores as tuples but a person writes as one number.
_UNIFORM = {"kernel_size", "strides", "pool_size", "dilation_rate", "size", "padding"}
_SKIP = {"name", "trainable", "dtype"}
_BASE_ONLY = {"input_shape", "input_dim", "batch_size"}


def to_spec(model: Any, *, verify: bool = True) -> Spec:
    """A spec that describes an existing Sequential or functional Keras model.

    The spec is exact or refused: ``to_spec`` builds the spec it wrote and
    compares the result with ``model`` (every layer's class and
    ``get_config()``, weight shapes, trainable flags, dtypes, input shapes and
    batch sizes, and the wiring). Anything a spec cannot express raises a
    :class:`SpecError` naming the layer and the argument.

    Args:
        model: A built ``keras.Sequential`` or functional ``keras.Model``.
        verify: Build the spec and compare it with ``model`` (the default).
            Turn it off only to save the time of one build on a model you know
            round-trips.

    Returns:
        A :class:`Spec` in normal form.

    Raises:
        OptionError: ``model`` is not a Keras model, or is a subclassed model
            (whose structure lives in Python code, not in a graph).
        SpecError: The model uses a layer, an operation or an argument that a
            spec cannot describe exactly (e.g. Lambda, a slice ``x[:, 0]``).

    Example:
        >>> import keras
        >>> layers = [keras.Input((1,), name="input"), keras.layers.Dense(2, name="dense")]
        >>> print(to_spec(keras.Sequential(layers, name="tiny")).to_yaml().strip())
        kind: sequential
        name: tiny
        input_shape: [1]
        layers:
        - {type: Dense, name: dense, units: 2}
    """
    if not is_model(model):
        raise OptionError(
            "to_spec needs a Keras model",
            where="to_spec(model)",
            expected="a keras.Sequential or functional keras.Model",
            received=type(model).__name__,
        )
    spec = Spec(_model_spec(model))
    if verify:
        _verify(model, spec)
    return spec


def _verify(model: Any, spec: Spec) -> None:
    """Build ``spec`` with weights that have shapes but no memory, and compare it with ``model``."""
    from kerasguide.build import build

    with weightless(), _roundtrip.default_settings():
        try:
            rebuilt = build(spec, ignore_hints="all")  # a check of exactness, not a lint
        except KerasGuideError as err:
            raise SpecError(
                f"the spec written for {model.name!r} does not build",
                where=err.where,
                expected="a spec that rebuilds the model",
                received=str(err).splitlines()[0],
                hint="a spec cannot describe this model exactly; keep it as a .keras file",
            ) from err
        _roundtrip.verify(model, rebuilt)


def _model_spec(model: Any) -> dict[str, Any]:
    k = keras()
    if isinstance(model, k.Sequential):
        return _sequential(model)
    if not hasattr(model, "_nodes_by_depth") or not getattr(model, "inputs", None):
        raise OptionError(
            "to_spec can only describe Sequential and functional models",
            where=f"model {model.name!r}",
            expected="a keras.Sequential or a keras.Model(inputs, outputs)",
            received=f"a subclassed model ({type(model).__name__})",
            hint="subclassed models keep their wiring in Python code; rewrite it functionally",
        )
    return _functional(model)


def _sequential(model: Any) -> dict[str, Any]:
    if not model.built or not model.inputs:
        raise OptionError(
            "the Sequential model has no input shape yet",
            where=f"model {model.name!r}",
            expected="a built model, starting with keras.Input(shape)",
            received="an unbuilt Sequential",
            hint="add keras.Input(shape=...) as its first layer, or call model.build(shape)",
        )
    head = _graph.all_layers(model)[0]
    tensor = model.inputs[0]
    spec: dict[str, Any] = {"kind": "sequential", "name": model.name}
    spec["input_shape"] = list(tensor.shape[1:])
    if head.name != "input":
        spec["input_name"] = head.name
    if tensor.dtype != FLOATX:
        spec["input_dtype"] = str(tensor.dtype)
    if tensor.shape[0] is not None:
        spec["batch_size"] = int(tensor.shape[0])
    spec["layers"] = [_layer_entry(layer, model.trainable) for layer in model.layers]
    return spec


def _functional(model: Any) -> dict[str, Any]:
    produced: dict[tuple[str, int], str] = {}  # (layer, node index) → tensor name
    multi: set[str] = set()
    inputs = []
    for tensor in model.inputs:
        layer = tensor._keras_history.operation
        produced[(layer.name, 0)] = layer.name
        item: dict[str, Any] = {"name": layer.name, "shape": list(tensor.shape[1:])}
        if tensor.dtype != FLOATX:
            item["dtype"] = str(tensor.dtype)
        if tensor.shape[0] is not None:
            item["batch_size"] = int(tensor.shape[0])
        inputs.append(item)
    entries: list[dict[str, Any]] = []
    uses: dict[str, int] = {}
    masks = _masks.mask_operations(model)  # Keras makes them again from the layers
    for call in _graph.summary_calls(model):
        if isinstance(call.layer, keras().layers.InputLayer) or id(call.layer) in masks:
            continue
        uses[call.layer.name] = uses.get(call.layer.name, 0) + 1
        node = call.layer._inbound_nodes[call.node_index]
        wires = call.inputs if _graph.is_operation(call.layer) else _graph.first_argument(node)
        refs = [_ref(c, produced, multi) for c in wires]
        if _graph.is_operation(call.layer):
            entry = op_entry(call.layer, node, refs)
        elif uses[call.layer.name] == 1:
            entry = _layer_entry(call.layer, model.trainable)
        else:
            entry = {"reuse": call.layer.name, "name": f"{call.layer.name}@{uses[call.layer.name]}"}
        entry.update(_call_options(call.layer, node, lambda c: _ref(c, produced, multi)))
        name = _wiring.entry_name(entry)
        produced[(call.layer.name, call.node_index)] = name
        if len(node.outputs) > 1:
            multi.add(name)
        if "op" not in entry:
            entry["inputs"] = refs[0] if len(refs) == 1 else refs
        entries.append(entry)
    outputs = _outputs(model, produced, multi)
    spec: dict[str, Any] = {"kind": "functional", "name": model.name, "inputs": inputs}
    struct = getattr(model, "_inputs_struct", None)
    if isinstance(struct, dict):
        spec["dict_inputs"] = True  # keys other than the inputs' names are refused by the check
        order = {key: i for i, key in enumerate(struct)}  # the dict's own order of keys
        inputs.sort(key=lambda item: order.get(item["name"], len(order)))
    return {**spec, "layers": _wiring.compact(entries, inputs), "outputs": outputs}


def _call_options(layer: Any, node: Any, ref: Callable[[_graph.Connection], str]) -> dict[str, Any]:
    """``{"call": {...}}``: how ``node`` calls ``layer``, beyond its inputs; empty by default.

    Flags (``training=False``) are written where they differ from the call's default;
    tensors (MultiHeadAttention's ``value``, an ``initial_state``, a ``mask``) by the
    names of the layers making them, except the mask Keras passes on by itself.
    Anything else is left for the check in :func:`_verify` to refuse by name.
    """
    if _graph.is_operation(layer):
        return {}
    given = _graph.bound_arguments(layer, node.arguments.args, node.arguments.kwargs)
    signature = inspect.signature(layer.call).parameters
    first = next(iter(given), None)  # the inputs: a spec's `inputs:` gives them
    options: dict[str, Any] = {}
    for key, value in given.items():
        if key == first or (key == "mask" and _masks.is_implicit(node)):
            continue
        tensors = _graph.tensor_connections(value)
        if tensors is not None:
            options[key] = (
                [ref(c) for c in tensors] if isinstance(value, (list, tuple)) else ref(tensors[0])
            )
        elif (
            key in CALL_OPTIONS
            and isinstance(value, bool)
            and value is not _default(signature, key)
        ):
            options[key] = value
    return {"call": options} if options else {}


def _default(parameters: Any, key: str) -> object:
    """The default of ``key`` in a call's signature (``training=None``: the caller's mode)."""
    return parameters[key].default if key in parameters else None


def _ref(conn: _graph.Connection, produced: dict[tuple[str, int], str], multi: set[str]) -> str:
    name = produced[(conn.layer, conn.node_index)]
    return f"{name}[{conn.tensor_index}]" if name in multi else name


def _outputs(model: Any, produced: dict[tuple[str, int], str], multi: set[str]) -> Any:
    def ref(tensor: Any) -> str:
        history = tensor._keras_history
        conn = _graph.Connection(history.operation.name, history.node_index, history.tensor_index)
        # node_index counts all of a layer's calls; produced uses the model's own.
        own = [i for (layer, i) in produced if layer == conn.layer]
        node = conn.node_index if (conn.layer, conn.node_index) in produced else own[-1]
        return _ref(conn._replace(node_index=node), produced, multi)

    struct = getattr(model, "_outputs_struct", model.outputs)
    if isinstance(struct, dict):
        return {key: ref(t) for key, t in struct.items()}
    if isinstance(struct, (list, tuple)):
        return [ref(t) for t in struct]
    return ref(struct)


def layer_spec(layer: Any) -> dict[str, Any]:
    """One layer as an entry of a spec's ``layers:`` (its arguments that are not defaults).

    Raises SpecError for a layer a spec cannot write (see :func:`to_spec`).
    """
    return _layer_entry(layer)


def _layer_entry(layer: Any, parent_trainable: bool = True) -> dict[str, Any]:
    if is_model(layer):
        entry: dict[str, Any] = {"model": _model_spec(layer)}
        if not layer.trainable and parent_trainable:
            entry["trainable"] = False
        return entry
    return _config_entry(type(layer), layer.name, layer_config(layer), parent_trainable)


def _config_entry(
    cls: type, name: str, config: dict[str, Any], parent_trainable: bool = True
) -> dict[str, Any]:
    """A layer entry from a layer's class and config (wrapped layers come as configs)."""
    type_ = cat.type_name(cls)
    if type_ not in cat.layer_classes():
        raise SpecError(
            f"the layer {name!r} ({cls.__name__}) cannot be written in a spec",
            where=f"layer {name!r}",
            expected="a layer class from keras.layers or one registered with register_layer",
            received=f"{cls.__module__}.{cls.__name__}",
            hint=f"{cls.__name__} is not allowed because {cat.BLOCKED[cls.__name__]}"
            if cls.__name__ in cat.BLOCKED
            else "register it with kerasguide.register_layer",
        )
    entry: dict[str, Any] = {"type": type_, "name": name}
    entry.update(_arguments(cls, config))
    if config.get("trainable") is False and parent_trainable:
        entry["trainable"] = False
    _drop_implied_backward(entry)
    return entry


def _inner_entry(value: Any) -> Any:
    """A serialised inner layer (a wrapper's ``layer``, an RNN's ``cell``) as an entry."""
    if isinstance(value, list):
        return [_inner_entry(v) for v in value]
    if not isinstance(value, dict) or "class_name" not in value:
        return value
    class_name = value["class_name"]
    known = {c.__name__: c for c in cat.layer_classes().values()}
    cls = cat.layer_classes().get(class_name) or known.get(class_name)
    config = value.get("config") or {}
    if cls is None:
        raise SpecError(
            f"the wrapped layer {config.get('name')!r} ({class_name}) cannot be written in a spec",
            where=f"layer {config.get('name')!r}",
            expected="a layer class from keras.layers or one registered with register_layer",
            received=f"{value.get('module')}.{class_name}",
            hint="register it with kerasguide.register_layer",
        )
    return _config_entry(cls, config.get("name", ""), config)


def _drop_implied_backward(entry: dict[str, Any]) -> None:
    """Leave out a Bidirectional's backward layer where Keras would make that one itself."""
    forward, backward = entry.get("layer"), entry.get("backward_layer")
    if entry["type"] != "Bidirectional" or not isinstance(forward, dict) or backward is None:
        return
    for inner in (forward, backward):  # Bidirectional sets it to return_sequences itself
        if inner.get("zero_output_for_mask") == inner.get("return_sequences", False):
            inner.pop("zero_output_for_mask", None)
    base = forward["name"].removeprefix("forward_")
    implied = {**forward, "name": f"backward_{base}", "go_backwards": True}
    if not forward.get("go_backwards") and backward == implied:
        del entry["backward_layer"]
        forward["name"] = base  # Keras names the copies forward_<base> and backward_<base>


def _arguments(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    accepted, required = cat.parameters(cls)
    args: dict[str, Any] = {}
    for key, value in config.items():
        if key in _SKIP or key not in accepted:
            continue
        if key in _BASE_ONLY and not _entries.own_argument(cls, key):
            continue
        if _entries.layer_valued(cls, key):
            args[key] = _inner_entry(value)
            continue
        mine = _canon(key, value)
        param = accepted[key]
        if _implied(key, mine, config, param.default):
            continue
        has_default = key not in required and param.default is not inspect.Parameter.empty
        if has_default and _is_default(mine, _canon_default(key, param.default)):
            continue
        args[key] = mine
    dtype = config.get("dtype")
    policy = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    if policy and policy != FLOATX:
        args["dtype"] = policy
    return args


def _canon_default(key: str, default: Any) -> Any:
    """A constructor default as a config holds it (Embedding's 'uniform' is RandomUniform)."""
    kind = cat.object_kind(key)
    if kind in ("initializer", "regularizer", "constraint") and isinstance(default, str):
        return _canon(key, _serialised(kind, default))
    return _canon(key, default)


@functools.cache
def _serialised(kind: str, name: str) -> Any:
    module = getattr(keras(), kind + "s")
    try:
        return module.serialize(module.get(name))
    except Exception:  # not a name Keras resolves: compare as written
        return name


def _is_default(value: Any, default: Any) -> bool:
    """Equal to the default, counting Keras's ``(-1,)`` for a default axis ``-1``."""
    if isinstance(value, list) and len(value) == 1 and not isinstance(default, list):
        return bool(value[0] == default)
    return bool(value == default)


def _implied(key: str, value: Any, config: dict[str, Any], default: Any) -> bool:
    """True where Keras filled in a value that the spec left to its default (None)."""
    if default is not None:
        return False
    if key == "data_format":
        return bool(value == DATA_FORMAT)
    if key == "strides" and "pool_size" in config:
        return bool(value == _canon("pool_size", config["pool_size"]))
    return False


def _canon(key: str, value: Any) -> Any:
    """A config value as a spec writes it."""
    kind = cat.object_kind(key)
    if kind == "activation" and value in (None, "linear"):
        return "linear"
    if kind is not None and isinstance(value, dict) and "class_name" in value:
        return _canon_object(kind, value["class_name"], value.get("config") or {})
    if isinstance(value, (tuple, list)):
        items = [_canon("", v) for v in value]
        scalars = all(not isinstance(v, (list, dict)) for v in items)
        if key in _UNIFORM and items and scalars and all(v == items[0] for v in items):
            return items[0]
        return items
    if isinstance(value, dict):
        return {k: _canon(k, v) for k, v in value.items()}
    return value


def _canon_object(kind: str, class_name: str, config: dict[str, Any]) -> Any:
    names, classes = cat.object_names(kind)
    if class_name not in classes:
        return {"type": class_name, **config}
    changed = {k: v for k, v in config.items() if _default_config(kind, class_name).get(k) != v}
    if changed:
        return {"type": class_name, **changed}
    alias = cat.snake_case(class_name)
    if alias in names and cat.buildable(kind, alias):
        return alias
    if cat.buildable(kind, class_name):
        return class_name
    return {"type": class_name, **config}


@functools.cache
def _default_config(kind: str, class_name: str) -> dict[str, Any]:
    _, classes = cat.object_names(kind)
    try:
        return dict(classes[class_name]().get_config())
    except Exception:  # a class without defaults for every argument
        return {}
