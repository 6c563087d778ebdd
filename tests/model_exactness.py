"""Is a rebuilt model the same model? Our own answer, independent of ``kg.check_model``.

:func:`round_trip` puts a model through ``to_spec → to_yaml → load_spec → build``
and sorts the result into one of:

- ``exact``: :func:`differences` finds nothing and ``check_model`` passes;
- ``refused``: kerasguide raised a ``KerasGuideError`` on the way;
- ``different``: the rebuilt model differs (kerasguide is silently wrong);
- ``false alarm``: nothing differs, but ``check_model`` reports findings;
- ``crash``: an exception outside kerasguide's error tree.

:func:`differences` compares, for the model and each of its layers in order: the
class, the name, the whole ``get_config()`` (nested models' configs include their
own layers and wiring), the weights' shapes, dtypes and trainable flags; then the
input and output structure (dict keys, list order, shapes, dtypes); then every call
of every operation in the graph, with its non-tensor arguments bound to the
signature of ``call`` (defaults filled in, so ``training`` left out equals
``training=None``) and its tensor arguments named by who made them; and last the
outputs on a fixed random input, in inference and in training mode, with every
variable copied over, seed-generator states included, so that dropout and random
augmentation draw the same numbers in both models (each layer's variables are
assigned, as ``set_weights`` would, and then ``finalize_state()`` is called where a
layer has it, as Keras's own loading does, so an adapted ``Normalization`` takes its
mean). ``model(x)`` is called twice in a row from fresh states, so a stateful RNN's
carried state is compared too, and MC dropout must draw anew in both models alike.

Nothing is excluded from these comparisons except the automatic names of
``keras.ops`` operations (``add``, ``add_1``, …): they name nothing a person wrote,
and are compared by their class, arguments and place in the graph instead.
"""

from __future__ import annotations

import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

import kerasguide as kg
import kerasguide._keras as _k

OUTCOMES = ("exact", "refused", "different", "false alarm", "crash")
TOLERANCE = 1e-6
_UNKNOWN_LENGTH = 6  # a sequence axis of length None in the input
_BATCH = 2


@dataclass
class Outcome:
    """How one model fared: which outcome, at which stage, and why."""

    outcome: str
    stage: str
    reason: str
    model_name: str = ""
    seconds: float = 0.0


def round_trip(builder: Callable[[], Any]) -> Outcome:
    """Build the model, round-trip it through a YAML spec, and compare the result."""
    start = time.perf_counter()
    original = builder()
    stage = "to_spec"
    try:
        spec = kg.to_spec(original)
        stage = "to_yaml"
        text = spec.to_yaml()
        stage = "load_spec"
        loaded = kg.load_spec(text)
        stage = "build"
        rebuilt = kg.build(loaded, ignore_hints="all")  # a lint hint is not a difference
    except kg.KerasGuideError as err:
        return Outcome("refused", stage, str(err), original.name, time.perf_counter() - start)
    except Exception as err:
        reason = f"{type(err).__name__}: {err}"
        return Outcome("crash", stage, reason, original.name, time.perf_counter() - start)
    found = differences(original, rebuilt)
    check = kg.check_model(original, rebuilt, compare_names=True)
    seconds = time.perf_counter() - start
    if found:
        caught = "check_model catches it" if not check.passed else "check_model PASSES"
        return Outcome("different", "compare", f"{found[0]} ({caught})", original.name, seconds)
    if not check.passed:
        return Outcome("false alarm", "check_model", str(check), original.name, seconds)
    return Outcome("exact", "compare", "", original.name, seconds)


def differences(original: Any, rebuilt: Any) -> list[str]:
    """Every way ``rebuilt`` differs from ``original``, most basic first; [] if none."""
    for compare in (_model_and_layers, _io_structure, _calls, _outputs):
        found = compare(original, rebuilt)
        if found:
            return found
    return []


# --- the model, its layers, their configs and weights ---------------------------------


def _model_and_layers(original: Any, rebuilt: Any) -> list[str]:
    found = _compare_layer(original, rebuilt, "model", config=False)
    a, b = original.layers, rebuilt.layers
    if [layer.name for layer in a] != [layer.name for layer in b]:
        found.append(f"layers: {[x.name for x in a]} != {[x.name for x in b]}")
        return found
    for left, right in zip(a, b, strict=True):
        found += _compare_layer(left, right, f"layer {left.name!r}", config=True)
    return found


def _compare_layer(left: Any, right: Any, where: str, *, config: bool) -> list[str]:
    found = []
    if type(left) is not type(right):
        found.append(f"{where}: class {type(left).__name__} != {type(right).__name__}")
    if left.name != right.name:
        found.append(f"{where}: name {left.name!r} != {right.name!r}")
    if config:
        found += [f"{where}: {d}" for d in _diff(left.get_config(), right.get_config(), "config")]
    if left.trainable != right.trainable:
        found.append(f"{where}: trainable {left.trainable} != {right.trainable}")
    weights = [_weight(w) for w in left.weights], [_weight(w) for w in right.weights]
    if weights[0] != weights[1]:
        found.append(f"{where}: weights {weights[0]} != {weights[1]}")
    return found


def _weight(variable: Any) -> tuple[Any, ...]:
    return tuple(variable.shape), str(variable.dtype), bool(variable.trainable)


def _diff(a: Any, b: Any, path: str) -> list[str]:
    """Where two config values differ (numpy arrays by value, tuples equal to lists)."""
    if isinstance(a, dict) and isinstance(b, dict):
        found = [f"{path}.{k}: only in one" for k in sorted(set(a) ^ set(b), key=str)]
        for key in (k for k in a if k in b):
            found += _diff(a[key], b[key], f"{path}.{key}")
        return found
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        if len(a) != len(b):
            return [f"{path}: {_short(a)} != {_short(b)}"]
        return [
            d
            for i, (x, y) in enumerate(zip(a, b, strict=True))
            for d in _diff(x, y, f"{path}[{i}]")
        ]
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        same = np.shape(a) == np.shape(b) and np.array_equal(a, b, equal_nan=True)
        return [] if same else [f"{path}: {_short(a)} != {_short(b)}"]
    if type(a) is not type(b) and not (_number(a) and _number(b)):
        return [f"{path}: {_short(a)} ({type(a).__name__}) != {_short(b)} ({type(b).__name__})"]
    return [] if a == b or (a != a and b != b) else [f"{path}: {_short(a)} != {_short(b)}"]


def _number(value: Any) -> bool:
    return isinstance(value, (int, float, np.number)) and not isinstance(value, bool)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


# --- inputs and outputs -----------------------------------------------------------------


def _io_structure(original: Any, rebuilt: Any) -> list[str]:
    found = []
    for side in ("input", "output"):
        a = _describe(getattr(_graph(original), side))
        b = _describe(getattr(_graph(rebuilt), side))
        found += [f"{side} structure: {d}" for d in _diff(a, b, side)]
    return found


def _graph(model: Any) -> Any:
    """The functional graph of ``model``: a Sequential model keeps one inside."""
    return getattr(model, "_functional", None) or model


def _describe(struct: Any) -> Any:
    """The structure with each tensor as (its maker's name, shape, dtype)."""
    if isinstance(struct, dict):
        return {"dict keys in order": list(struct), **{k: _describe(v) for k, v in struct.items()}}
    if isinstance(struct, (list, tuple)):
        return [type(struct).__name__, *[_describe(t) for t in struct]]
    maker = struct._keras_history.operation
    name = maker.name if _is_layer(maker) else type(maker).__name__
    return name, tuple(struct.shape), str(struct.dtype)


def _is_layer(operation: Any) -> bool:
    return isinstance(operation, _k.keras().layers.Layer)


# --- every call in the graph, with its arguments ----------------------------------------


def _calls(original: Any, rebuilt: Any) -> list[str]:
    a, b = _graph_calls(original), _graph_calls(rebuilt)
    if len(a) != len(b):
        return [f"calls: {len(a)} != {len(b)}: {[c[0] for c in a]} != {[c[0] for c in b]}"]
    found = []
    for left, right in zip(a, b, strict=True):
        found += [f"call of {left[0]}: {d}" for d in _diff(left, right, "call")]
    return found


def _graph_calls(model: Any) -> list[tuple[Any, ...]]:
    """(who, class, bound arguments) of each call in the model's own graph, in order."""
    graph = _graph(model)
    own = {id(n) for nodes in graph._nodes_by_depth.values() for n in nodes}
    calls = []
    for op in graph.operations:
        for index, node in enumerate(n for n in op._inbound_nodes if id(n) in own):
            if not node.arguments.keras_tensors:
                continue  # an Input
            args = _bound(op, node.arguments.args, node.arguments.kwargs, own)
            calls.append((f"{_who(op)}#{index}", type(op).__name__, args))
    return calls


def _who(op: Any) -> str:
    return repr(op.name) if _is_layer(op) else type(op).__name__


def _bound(op: Any, args: Any, kwargs: Any, own: set[int]) -> dict[str, Any]:
    args = _tensors_named(args, own)
    kwargs = _tensors_named(kwargs, own)
    try:
        bound = inspect.signature(op.call).bind(*args, **kwargs)
    except TypeError:
        return {"args": args, "kwargs": kwargs}
    bound.apply_defaults()
    return dict(bound.arguments)


def _tensors_named(value: Any, own: set[int]) -> Any:
    keras = _k.keras()
    if isinstance(value, keras.KerasTensor):
        op, node_index, tensor_index = value._keras_history
        node = op._inbound_nodes[node_index]
        calls = [n for n in op._inbound_nodes if id(n) in own]
        call = next((i for i, n in enumerate(calls) if n is node), -1)  # -1: made outside
        return ("tensor", _who(op), call, tensor_index)
    if isinstance(value, dict):
        return {k: _tensors_named(v, own) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(_tensors_named(v, own) for v in value)
    if hasattr(value, "numpy") and not isinstance(value, np.ndarray):
        return np.asarray(value)  # a constant tensor
    return value


# --- outputs ------------------------------------------------------------------------------


def sample_inputs(model: Any, seed: int = 0) -> Any:
    """A fixed random input for ``model``, shaped as its ``model.input``.

    Integer inputs are tokens 1–9 ending in two 0s of padding; float sequences
    (batch, time, features) end in two all-zero steps, which ``Masking`` masks.
    """
    rng = np.random.default_rng(seed)
    keras = _k.keras()
    return keras.tree.map_structure(lambda t: _sample(t, rng), _graph(model).input)


def _sample(tensor: Any, rng: np.random.Generator) -> np.ndarray:
    dims = list(tensor.shape)
    shape = [_BATCH if dims[0] is None else dims[0]]
    shape += [_UNKNOWN_LENGTH if d is None else d for d in dims[1:]]
    dtype = str(tensor.dtype)
    if dtype == "bool":
        mask = rng.random(shape) < 0.6
        mask[:, 0] = True
        return mask
    if "int" in dtype:
        tokens = rng.integers(1, 10, shape).astype(dtype)
        if len(shape) == 2:
            tokens[:, -2:] = 0
        return tokens
    values = rng.normal(size=shape).astype(dtype)
    if len(shape) == 3:
        values[:, -2:, :] = 0.0
    return values


def _outputs(original: Any, rebuilt: Any) -> list[str]:
    snapshot = snapshot_of(original)
    found = _load(rebuilt, snapshot)
    if found:
        return found
    feed = sample_inputs(original)
    expected = run_calls(original, snapshot, feed)
    received = run_calls(rebuilt, snapshot, feed)
    for where, a, b in zip(_CALLS, expected, received, strict=True):
        for leaf, (x, y) in enumerate(zip(a, b, strict=True)):
            found += _close(x, y, f"output {leaf} ({where})")
    return found


# Two calls in a row as ``model(x)`` (training=None), then one with training=True from
# the same starting point. Keras 3 gives a call's explicit ``training`` to every layer,
# over the flags the graph recorded, so only ``model(x)`` shows them: MC dropout's
# ``Dropout(...)(x, training=True)`` draws anew on each such call (and not under
# ``predict`` or ``training=False``). The second call also shows a carried RNN state.
_CALLS = ("model(x), call 1", "model(x), call 2", "training=True")


def run_calls(model: Any, snapshot: list[list[np.ndarray]], feed: Any) -> list[list[np.ndarray]]:
    """The output leaves of the calls in ``_CALLS``, from the same variables and fresh states."""
    flatten = _k.keras().tree.flatten
    results = []
    for training in (None, None, True):
        if not results or training:
            _reset(model, snapshot)
        results.append([np.asarray(x) for x in flatten(model(feed, training=training))])
    return results


def _reset(model: Any, snapshot: list[list[np.ndarray]]) -> None:
    _load(model, snapshot)
    for layer in model._flatten_layers():
        if getattr(layer, "stateful", False) and hasattr(layer, "reset_state"):
            layer.reset_state()


def snapshot_of(model: Any) -> list[list[np.ndarray]]:
    """The values of every layer's variables (weights and seed-generator states)."""
    return [[v.numpy() for v in layer.variables] for layer in model.layers]


def _load(model: Any, snapshot: list[list[np.ndarray]]) -> list[str]:
    found = []
    for layer, values in zip(model.layers, snapshot, strict=True):
        shapes = [tuple(v.shape) for v in layer.variables]
        if shapes != [tuple(v.shape) for v in values]:
            found.append(f"layer {layer.name!r}: variables {shapes} != {[v.shape for v in values]}")
            continue
        for variable, value in zip(layer.variables, values, strict=True):
            variable.assign(value)
    for layer in model._flatten_layers():
        if hasattr(layer, "finalize_state") and layer.built:
            layer.finalize_state()  # as Keras's own loading does: Normalization's mean
    return found


def _close(a: np.ndarray, b: np.ndarray, where: str) -> list[str]:
    if a.shape != b.shape or a.dtype != b.dtype:
        return [f"{where}: {a.shape} {a.dtype} != {b.shape} {b.dtype}"]
    if np.allclose(a, b, rtol=TOLERANCE, atol=TOLERANCE, equal_nan=True):
        return []
    return [f"{where}: differ by up to {float(np.nanmax(np.abs(a - b))):.3g}"]
