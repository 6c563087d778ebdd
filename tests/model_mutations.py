"""Mutation testing of ``check_model`` (issue 20): change one thing, the check must name it.

A model is serialized with Keras's own ``serialize_keras_object``; one value of that
config is changed; the model is rebuilt from it with ``deserialize_keras_object`` and
checked against the original. The check must fail, and one finding must name what was
changed. What is changed, one at a time:

- every value of the config of one layer of each class in the model (the first one),
  the layers a wrapper holds included: booleans flipped, numbers changed, strings
  swapped for another valid choice, initializers, regularizers and constraints swapped,
  added or removed, the dtype policy made float64;
- every layer's dtype at once, as ``keras.config.set_floatx("float64")`` would;
- the arguments of each call (one layer of each class): ``training`` set, flipped or
  cleared, ``use_causal_mask`` flipped, a ``mask`` or an ``initial_state`` dropped, the
  first two tensors of a list swapped (not for ``Add``-like layers, where the order does
  not matter);
- the model's inputs and outputs: two swapped, a dict key renamed, a dict made a list.

A mutation Keras refuses (the model cannot be rebuilt) or undoes (the rebuilt config is
the original one) is not counted. :func:`sweep` runs them all and returns the figures:
``caught / tried``. ``make conformance`` prints them for the whole zoo below (with
``keras.applications.MobileNetV2``); ``tests/test_check_mutations.py`` runs a sample.
"""

from __future__ import annotations

import copy
import dataclasses
import gc
import inspect
import re
import time
from collections.abc import Callable, Iterator
from typing import Any

import kerasguide as kg
import kerasguide._keras as _k
from tests import models

Config = dict[str, Any]
# (where the layer's entry is in the model's config, the entry) for one layer.
Entry = tuple[tuple[Any, ...], Config]


@dataclasses.dataclass(frozen=True)
class Mutation:
    """One change to a serialized model: on ``target``, ``attribute`` becomes ``value``."""

    target: str  # the layer's name, or "model"
    attribute: str  # what a finding must name: "momentum", "training", "outputs"
    detail: str  # the change, for the report
    change: Callable[[Config], None]  # changes the model's config in place


@dataclasses.dataclass
class Outcome:
    """The figures of a sweep, and what was missed."""

    tried: int = 0
    caught: int = 0
    refused: int = 0  # Keras could not rebuild the mutated model
    undone: int = 0  # Keras rebuilt the original value
    missed: list[str] = dataclasses.field(default_factory=list)
    noisy: list[str] = dataclasses.field(default_factory=list)  # unchanged models that fail
    refusals: list[str] = dataclasses.field(default_factory=list)  # why Keras refused each
    examples: list[str] | None = None  # each mutation caught, and the finding naming it
    seconds: float = 0.0

    def add(self, other: Outcome) -> None:
        for field in ("tried", "caught", "refused", "undone", "seconds"):
            setattr(self, field, getattr(self, field) + getattr(other, field))
        self.missed += other.missed
        self.noisy += other.noisy
        self.refusals += other.refusals

    def __str__(self) -> str:
        share = 100.0 * self.caught / self.tried if self.tried else 100.0
        return (
            f"mutations caught / tried: {self.caught} / {self.tried} ({share:.1f}%); "
            f"{self.refused} refused by Keras, {self.undone} undone by Keras, "
            f"{len(self.noisy)} unchanged models not passed, {self.seconds:.0f}s"
        )


# --- the zoo ---------------------------------------------------------------------------


def recurrent() -> Any:
    """LSTM and GRU, a Bidirectional LSTM, stacked cells, a mask and an initial state."""
    keras, layers = _k.keras(), _k.keras().layers
    tokens = keras.Input((7,), dtype="int32", name="tokens")
    x = layers.Embedding(20, 6, mask_zero=True, name="embedding")(tokens)
    seq, h, c = layers.LSTM(8, return_sequences=True, return_state=True, name="encoder")(x)
    x = layers.LSTM(8, return_sequences=True, name="decoder")(seq, initial_state=[h, c])
    x = layers.Bidirectional(layers.LSTM(4, return_sequences=True), name="both_ways")(x)
    x = layers.RNN([layers.GRUCell(4), layers.SimpleRNNCell(3)], name="stack")(x)
    gru = layers.GRU(5, name="gru")(seq)
    merged = layers.Concatenate(name="merged")([x, gru])
    return keras.Model(tokens, layers.Dense(1, name="score")(merged), name="recurrent")


def attention() -> Any:
    """A Transformer encoder block (self-attention, causal mask) and a plain Attention."""
    keras, layers = _k.keras(), _k.keras().layers
    queries = keras.Input((5, 8), name="queries")
    values = keras.Input((6, 8), name="values")
    mha = layers.MultiHeadAttention(num_heads=2, key_dim=4, name="mha")
    x = mha(queries, queries, use_causal_mask=True)
    x = layers.LayerNormalization(name="norm")(layers.Add(name="residual")([queries, x]))
    y = layers.Attention(name="attention")([x, values], use_causal_mask=True)
    y = layers.Dropout(0.1, name="mc_dropout")(y, training=True)
    out = layers.Dense(2, name="head")(layers.GlobalAveragePooling1D(name="pool")(y))
    return keras.Model({"queries": queries, "values": values}, out, name="attention")


def small_cnn() -> Any:
    """Conv2D, BatchNormalization (one called with training=False), pooling, a frozen base."""
    keras, layers = _k.keras(), _k.keras().layers
    base_in = keras.Input((8, 8, 3), name="base_input")
    y = layers.Conv2D(4, 3, padding="same", name="base_conv")(base_in)
    base = keras.Model(base_in, layers.BatchNormalization(name="base_norm")(y), name="base")
    base.trainable = False
    inputs = keras.Input((8, 8, 3), name="image")
    x = base(inputs, training=False)
    x = layers.Conv2D(8, 3, strides=1, activation="relu", name="conv")(x)
    x = layers.BatchNormalization(name="norm")(x, training=False)
    x = layers.MaxPooling2D(2, name="pool")(x)
    x = layers.Dropout(0.25, name="dropout")(x)
    x = layers.GlobalAveragePooling2D(name="gap")(x)
    label = layers.Dense(3, activation="softmax", name="label")(x)
    box = layers.Dense(4, name="box")(x)
    return keras.Model(inputs, {"label": label, "box": box}, name="small_cnn")


def mobilenet_v2() -> Any:
    """``keras.applications.MobileNetV2`` without weights, at a small input."""
    applications = _k.keras().applications
    return applications.MobileNetV2(weights=None, input_shape=(32, 32, 3), classes=10)


ZOO: dict[str, Callable[[], Any]] = {
    **models.ZOO,
    **models.MORE,
    "recurrent": recurrent,
    "attention": attention,
    "small_cnn": small_cnn,
}
FULL_ZOO: dict[str, Callable[[], Any]] = {**ZOO, "MobileNetV2": mobilenet_v2}


# --- the configs: where each layer's entry is ------------------------------------------


def serialized(model: Any) -> Config:
    """The model's whole config, as ``model.save`` writes it."""
    config: Config = _k.keras().saving.serialize_keras_object(model)
    return config


def rebuilt(config: Config) -> Any:
    """The model made again from a config (a copy: the config is left as it is)."""
    return _k.keras().saving.deserialize_keras_object(copy.deepcopy(config))


def _get(config: Config, path: tuple[Any, ...]) -> Any:
    for key in path:
        config = config[key]
    return config


def _is_layer(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("config"), dict)
        and (
            "class_name" in value
            and str(value.get("module", "")).startswith("keras")
            and (
                "layers" in str(value.get("module"))
                or value.get("class_name") in ("Functional", "Sequential")
            )
        )
    )


def layer_entries(config: Config, path: tuple[Any, ...] = ()) -> Iterator[Entry]:
    """Every layer's entry in a model's config, nested models' and wrapped layers' too."""
    for index, entry in enumerate(config["config"].get("layers", [])):
        where = (*path, "config", "layers", index)
        yield where, entry
        if entry.get("class_name") in ("Functional", "Sequential"):
            yield from layer_entries(entry, where)
        else:
            yield from _held(entry, where)


def _held(entry: Config, path: tuple[Any, ...]) -> Iterator[Entry]:
    """The layers a wrapper holds: ``layer``, ``backward_layer``, ``cell``, ``cells[i]``."""
    for key, value in entry["config"].items():
        items = [(key, value)] if not isinstance(value, list) else list(enumerate(value))
        for index, item in items:
            if _is_layer(item):
                where = (*path, "config", key) if index == key else (*path, "config", key, index)
                yield where, item
                yield from _held(item, where)


# --- what to change ----------------------------------------------------------------------

_STRINGS = {
    "activation": {"linear": "relu", "relu": "tanh"},
    "recurrent_activation": {"sigmoid": "hard_sigmoid"},
    "padding": {"valid": "same", "same": "valid", "causal": "valid"},
    "data_format": {"channels_last": "channels_first", "channels_first": "channels_last"},
    "merge_mode": {"concat": "sum"},
    "score_mode": {"dot": "concat"},
    "interpolation": {"nearest": "bilinear", "bilinear": "nearest"},
    "dtype": {"float32": "float64", "int32": "float32"},
}
_INITIALIZERS = {"GlorotUniform": "HeNormal", "Zeros": "Ones", "Ones": "Zeros"}
_NO_MUTATION = {"name", "batch_shape", "build_input_shape", "quantization_config"}


def _object(module: str, class_name: str, config: Config | None = None) -> Config:
    return {
        "module": module,
        "class_name": class_name,
        "config": config or {},
        "registered_name": None,
    }


def alternatives(key: str, value: Any) -> list[Any]:
    """Other valid values for a setting, as a config holds them (at most one or two)."""
    if key in _NO_MUTATION:
        return []
    if isinstance(value, bool):
        return [not value]
    if isinstance(value, dict):
        return _other_objects(key, value)
    if value is None:
        return _instead_of_none(key)
    if isinstance(value, str):
        other = _STRINGS.get(key, {}).get(value)
        if other is None and key.endswith("activation"):
            other = "relu"
        return [] if other is None else [other]
    if isinstance(value, int):
        return [value - 1 if key == "axis" and value > 0 else value + 1]
    if isinstance(value, float):
        return [value * 0.5 if value else 0.25]
    if isinstance(value, (list, tuple)) and value:
        first = alternatives(key, value[0])
        return [type(value)([first[0], *value[1:]])] if first else []
    return []


def _other_objects(key: str, value: Config) -> list[Any]:
    name, module = str(value.get("class_name")), str(value.get("module", ""))
    if name.endswith("DTypePolicy"):
        return [_object("keras", "DTypePolicy", {"name": "float64"})]
    if module.endswith("initializers"):
        return [_object(module, _INITIALIZERS.get(name, "GlorotUniform"))]
    if module.endswith("regularizers"):
        return [_object(module, "L1", {"l1": 0.02}) if name != "L1" else None]
    if module.endswith("constraints"):
        return [None]
    return []


def _instead_of_none(key: str) -> list[Any]:
    if key.endswith("_regularizer"):
        return [_object("keras.regularizers", "L2", {"l2": 0.01})]
    if key.endswith("_constraint"):
        return [_object("keras.constraints", "NonNeg")]
    return [42] if key == "seed" else []


def _set(path: tuple[Any, ...], key: str, value: Any) -> Callable[[Config], None]:
    def change(config: Config) -> None:
        _get(config, path)["config"][key] = copy.deepcopy(value)

    return change


def setting_mutations(config: Config) -> Iterator[Mutation]:
    """One layer of each class: every value of its config changed, one at a time."""
    seen: set[str] = set()
    for path, entry in layer_entries(config):
        kind = f"{entry.get('class_name')}@{len(path)}"
        if kind in seen:
            continue
        seen.add(kind)
        name = str(entry["config"].get("name"))
        for key, value in entry["config"].items():
            if _is_layer(value) or key == "layers":
                continue
            for other in alternatives(key, value):
                detail = f"{entry.get('class_name')}.{key}: {value!r:.40} -> {other!r:.40}"
                yield Mutation(name, key, detail, _set(path, key, other))


def floatx_mutation() -> Mutation:
    """Every layer and input made float64, as ``keras.config.set_floatx("float64")`` does."""
    policy = _object("keras", "DTypePolicy", {"name": "float64"})

    def change(config: Config) -> None:
        for path, entry in layer_entries(config):
            dtype = entry["config"].get("dtype")
            if isinstance(dtype, dict) or dtype == "float32":
                new = policy if isinstance(dtype, dict) else "float64"
                _get(config, path)["config"]["dtype"] = copy.deepcopy(new)

    return Mutation("model", "dtype", "every dtype float64", change)


def _is_tensor(value: object) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _call_parameters(entry: Config, classes: dict[str, Any]) -> set[str]:
    """The parameters of the ``call`` of the entry's class (read from the built model)."""
    layer = classes.get(str(entry.get("class_name")))
    if layer is None:
        return set()
    try:
        return set(inspect.signature(layer.call).parameters)
    except (TypeError, ValueError):
        return set()


def _node(
    path: tuple[Any, ...], node: int, change: Callable[[Config], None]
) -> Callable[[Config], None]:
    def apply(config: Config) -> None:
        change(_get(config, path)["inbound_nodes"][node])

    return apply


def call_mutations(config: Config, classes: dict[str, Any]) -> Iterator[Mutation]:
    """One layer of each class: each argument of its calls changed, one at a time."""
    seen: set[str] = set()
    for path, entry in layer_entries(config):
        nodes = entry.get("inbound_nodes") or []
        kind = str(entry.get("class_name"))
        if not nodes or kind in seen:
            continue
        seen.add(kind)
        name = str(entry["config"].get("name"))
        parameters = _call_parameters(entry, classes)
        for index, node in enumerate(nodes):
            for attribute, detail, change in _node_changes(kind, node, parameters):
                yield Mutation(
                    name, attribute, f"{kind} call {index}: {detail}", _node(path, index, change)
                )


_COMMUTATIVE = ("Add", "Multiply", "Average", "Maximum", "Minimum")


def _node_changes(
    kind: str, node: Config, parameters: set[str]
) -> Iterator[tuple[str, str, Callable[[Config], None]]]:
    kwargs = node.get("kwargs", {})
    if "training" in parameters:
        value = not kwargs.get("training")
        yield "training", f"training={value}", lambda n, v=value: n["kwargs"].update(training=v)
    if "use_causal_mask" in parameters:
        value = not kwargs.get("use_causal_mask")
        yield (
            "use_causal_mask",
            f"use_causal_mask={value}",
            lambda n, v=value: n["kwargs"].update(use_causal_mask=v),
        )
    for key in ("mask", "initial_state"):
        if kwargs.get(key) is not None:
            yield key, f"{key} dropped", lambda n, k=key: n["kwargs"].pop(k)
    args = node.get("args", [])
    first = args[0] if args else None
    tensors = isinstance(first, list) and len(first) > 1 and all(map(_is_tensor, first[:2]))
    if tensors and kind not in _COMMUTATIVE:
        yield "inputs", "first two inputs swapped", _swap_inputs


def _swap_inputs(node: Config) -> None:
    first = node["args"][0]
    first[0], first[1] = first[1], first[0]


def structure_mutations(config: Config) -> Iterator[Mutation]:
    """The model's inputs and outputs: reordered, a dict key renamed, a dict made a list."""
    inner = config["config"]
    for side, key in (("inputs", "input_layers"), ("outputs", "output_layers")):
        value = inner.get(key)
        if isinstance(value, dict) and value:
            renamed = f"{key} key {next(iter(value))!r} renamed"
            yield Mutation("model", side, renamed, _structure(key, _rename_first))
            listed = f"{key} dict made a list"
            yield Mutation("model", side, listed, _structure(key, lambda v: list(v.values())))
        elif isinstance(value, list) and len(value) > 1 and isinstance(value[0], list):
            swapped = f"{key} first two swapped"
            yield Mutation("model", side, swapped, _structure(key, lambda v: [v[1], v[0], *v[2:]]))


def _rename_first(value: dict[str, Any]) -> dict[str, Any]:
    first = next(iter(value))
    return {(f"{k}_renamed" if k == first else k): item for k, item in value.items()}


def _structure(key: str, change: Callable[[Any], Any]) -> Callable[[Config], None]:
    def apply(config: Config) -> None:
        config["config"][key] = change(config["config"][key])

    return apply


def mutations(config: Config, model: Any) -> list[Mutation]:
    """Every mutation of a model's config that this module makes."""
    classes = _classes(model)
    return [
        *setting_mutations(config),
        floatx_mutation(),
        *call_mutations(config, classes),
        *structure_mutations(config),
    ]


def _classes(model: Any) -> dict[str, Any]:
    """The first layer or operation of each class in ``model``, nested models' included."""
    keras = _k.keras()
    found: dict[str, Any] = {}
    stack = [model]
    while stack:
        item = stack.pop()
        found.setdefault(type(item).__name__, item)
        if isinstance(item, keras.Model):
            owner = getattr(item, "_functional", None) or item
            stack.extend(getattr(owner, "_operations", None) or owner.layers)
    found.setdefault("Functional", model)
    return found


# --- running them ------------------------------------------------------------------------


def names(message: str, attribute: str) -> bool:
    """Whether ``message`` names ``attribute`` as a word (``backward_layer.units`` names units)."""
    return re.search(rf"(?<!\w){re.escape(attribute)}(?!\w)", message) is not None


def _unbuilt(config: Any) -> None:
    """Drop every ``build_config``: a layer after a changed one is built for its new input."""
    if isinstance(config, dict):
        config.pop("build_config", None)
        for item in config.values():
            _unbuilt(item)
    elif isinstance(config, list):
        for item in config:
            _unbuilt(item)


def _canonical(config: Config) -> str:
    import json

    return json.dumps(config, sort_keys=True, default=str)


def _quietly(run: Callable[[], Any]) -> Any:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return run()


def run_model(
    name: str,
    make: Callable[[], Any],
    *,
    only: Callable[[Mutation], bool] | None = None,
    examples: bool = False,
) -> Outcome:
    """Every mutation of one model (or those ``only`` keeps), checked against the model.

    With ``examples``, the outcome keeps each mutation caught with the finding naming it.
    """
    start = time.perf_counter()
    outcome = Outcome(examples=[] if examples else None)
    model = make()
    config = serialized(model)
    for label, again in (("itself", model), ("rebuilt", _quietly(lambda: rebuilt(config)))):
        result = kg.check_model(again, model)
        if not result:
            outcome.noisy.append(f"{name} against {label}: {result.findings[0]}")
    original = _canonical(config)
    for mutation in mutations(config, model):
        if only is not None and not only(mutation):
            continue
        _one(name, model, config, original, mutation, outcome)
    outcome.seconds = time.perf_counter() - start
    return outcome


def _one(
    name: str, model: Any, config: Config, original: str, mutation: Mutation, outcome: Outcome
) -> None:
    changed = copy.deepcopy(config)
    try:
        mutation.change(changed)
        _unbuilt(changed)
        student = _quietly(lambda: rebuilt(changed))
    except Exception as err:  # Keras refuses the value: not a model to check
        outcome.refused += 1
        reason = str(err).strip().splitlines()[0][:100] if str(err).strip() else type(err).__name__
        outcome.refusals.append(f"{name}: {mutation.detail}: {reason}")
        return
    if _canonical(_quietly(lambda: serialized(student))) == original:
        outcome.undone += 1
        return
    outcome.tried += 1
    result = kg.check_model(student, model)
    if not result.passed and any(names(f.message, mutation.attribute) for f in result.findings):
        outcome.caught += 1
        if outcome.examples is not None:
            named = next(f for f in result.findings if names(f.message, mutation.attribute))
            outcome.examples.append(f"{name}: {mutation.detail}\n    {named!r}")
        return
    said = str(result.findings[0]) if result.findings else "PASS"
    outcome.missed.append(f"{name}: {mutation.target}: {mutation.detail}: {said[:160]}")


def sweep(names: list[str] | None = None, *, log: Callable[[str], None] | None = None) -> Outcome:
    """Every mutation of every model of :data:`FULL_ZOO` (or of ``names``)."""
    total = Outcome()
    for name, make in FULL_ZOO.items():
        if names and name not in names:
            continue
        _k.keras().backend.clear_session()
        gc.collect()
        outcome = run_model(name, make)
        total.add(outcome)
        if log is not None:
            log(f"{name}: {outcome}")
    return total


def report(outcome: Outcome, *, refusals: bool = False) -> str:
    """The figure, then every mutation missed and every unchanged model not passed."""
    lines = [str(outcome)]
    lines += [f"  refused: {line}" for line in outcome.refusals] if refusals else []
    lines += [f"  missed: {line}" for line in outcome.missed]
    lines += [f"  noisy: {line}" for line in outcome.noisy]
    return "\n".join(lines)


if __name__ == "__main__":
    import sys

    result = sweep(sys.argv[1:] or None, log=lambda text: print(text, file=sys.stderr, flush=True))
    print(report(result, refusals=True))
    sys.exit(0 if result.caught == result.tried and not result.noisy else 1)
