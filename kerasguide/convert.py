"""Turn an existing Keras model into a readable spec.

Every layer becomes an entry with only the arguments that differ from the
constructor's defaults, so ``to_spec(build(spec)) == spec`` for a spec in
normal form, and ``build(to_spec(model))`` has the same layers, shapes and
parameter counts as ``model``.
"""

from __future__ import annotations

import functools
import inspect
from typing import Any

from kerasguide import _catalog as cat
from kerasguide import _graph, _wiring
from kerasguide._keras import is_model, keras
from kerasguide.errors import OptionError, SpecError
from kerasguide.specs import Spec

__all__ = ["to_spec"]

# Arguments that Keras stores as tuples but a person writes as one number.
_UNIFORM = {"kernel_size", "strides", "pool_size", "dilation_rate", "size", "padding"}
_SKIP = {"name", "trainable", "dtype", "input_shape", "input_dim", "batch_size"}


def to_spec(model: Any) -> Spec:
    """A spec that describes an existing Sequential or functional Keras model.

    Args:
        model: A built ``keras.Sequential`` or functional ``keras.Model``.

    Returns:
        A :class:`Spec` in normal form.

    Raises:
        OptionError: ``model`` is not a Keras model, or is a subclassed model
            (whose structure lives in Python code, not in a graph).
        SpecError: The model uses a layer a spec cannot describe (e.g. Lambda).

    Example:
        >>> spec = to_spec(keras.Sequential([keras.Input((1,)), keras.layers.Dense(2)]))
        >>> spec.kind  # doctest: +SKIP
        'sequential'
    """
    if not is_model(model):
        raise OptionError(
            "to_spec needs a Keras model",
            where="to_spec(model)",
            expected="a keras.Sequential or functional keras.Model",
            received=type(model).__name__,
        )
    return Spec(_model_spec(model))


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
    spec: dict[str, Any] = {"kind": "sequential", "name": model.name}
    spec["input_shape"] = list(model.inputs[0].shape[1:])
    if head.name != "input":
        spec["input_name"] = head.name
    if model.inputs[0].dtype != keras().config.floatx():
        spec["input_dtype"] = str(model.inputs[0].dtype)
    spec["layers"] = [_layer_entry(layer) for layer in model.layers]
    return spec


def _functional(model: Any) -> dict[str, Any]:
    produced: dict[tuple[str, int], str] = {}  # (layer, node index) → tensor name
    multi: set[str] = set()
    inputs = []
    for tensor in model.inputs:
        layer = tensor._keras_history.operation
        produced[(layer.name, 0)] = layer.name
        item: dict[str, Any] = {"name": layer.name, "shape": list(tensor.shape[1:])}
        if tensor.dtype != keras().config.floatx():
            item["dtype"] = str(tensor.dtype)
        inputs.append(item)
    entries: list[dict[str, Any]] = []
    uses: dict[str, int] = {}
    for call in _graph.layer_calls(model):
        if isinstance(call.layer, keras().layers.InputLayer):
            continue
        uses[call.layer.name] = uses.get(call.layer.name, 0) + 1
        if uses[call.layer.name] == 1:
            entry = _layer_entry(call.layer)
            name = _wiring.entry_name(entry)
        else:
            name = f"{call.layer.name}@{uses[call.layer.name]}"
            entry = {"reuse": call.layer.name, "name": name}
        produced[(call.layer.name, call.node_index)] = name
        if len(call.layer._inbound_nodes[call.node_index].outputs) > 1:
            multi.add(name)
        entry["inputs"] = [_ref(c, produced, multi) for c in call.inputs]
        if len(entry["inputs"]) == 1:
            entry["inputs"] = entry["inputs"][0]
        entries.append(entry)
    outputs = _outputs(model, produced, multi)
    return {"kind": "functional", "name": model.name, "inputs": inputs,
            "layers": _wiring.compact(entries, inputs), "outputs": outputs}  # fmt: skip


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


def _layer_entry(layer: Any) -> dict[str, Any]:
    if is_model(layer):
        return {"model": _model_spec(layer)}
    cls = type(layer)
    name = cat.type_name(cls)
    if name not in cat.layer_classes():
        raise SpecError(
            f"the layer {layer.name!r} ({cls.__name__}) cannot be written in a spec",
            where=f"layer {layer.name!r}",
            expected="a layer class from keras.layers or one registered with register_layer",
            received=f"{cls.__module__}.{cls.__name__}",
            hint=cat.BLOCKED.get(cls.__name__, "register it with kerasguide.register_layer")
            if cls.__name__ not in cat.BLOCKED
            else f"{cls.__name__} is not allowed because {cat.BLOCKED[cls.__name__]}",
        )
    entry: dict[str, Any] = {"type": name, "name": layer.name}
    entry.update(_arguments(cls, layer.get_config()))
    return entry


def _arguments(cls: type, config: dict[str, Any]) -> dict[str, Any]:
    accepted, required = cat.parameters(cls)
    args: dict[str, Any] = {}
    for key, value in config.items():
        if key in _SKIP or key not in accepted:
            continue
        mine = _canon(key, value)
        param = accepted[key]
        if _implied(key, mine, config, param.default):
            continue
        has_default = key not in required and param.default is not inspect.Parameter.empty
        if has_default and mine == _canon(key, param.default):
            continue
        args[key] = mine
    dtype = config.get("dtype")
    policy = dtype.get("config", {}).get("name") if isinstance(dtype, dict) else dtype
    if policy and policy != keras().config.floatx():
        args["dtype"] = policy
    return args


def _implied(key: str, value: Any, config: dict[str, Any], default: Any) -> bool:
    """True where Keras filled in a value that the spec left to its default (None)."""
    if default is not None:
        return False
    if key == "data_format":
        return bool(value == keras().config.image_data_format())
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
        if key in _UNIFORM and items and all(v == items[0] for v in items):
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
    return alias if alias in names else class_name


@functools.cache
def _default_config(kind: str, class_name: str) -> dict[str, Any]:
    _, classes = cat.object_names(kind)
    try:
        return dict(classes[class_name]().get_config())
    except Exception:  # a class without defaults for every argument
        return {}
