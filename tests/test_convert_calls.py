"""to_spec keeps how a model calls its layers, its settings and its input structure, or refuses.

Each model is written by hand in plain Keras. Either ``build(to_spec(model))`` has the
same per-layer ``get_config()``, weight shapes and dtypes, call arguments and input and
output structure (compared here, independently of ``to_spec``'s own check), or
``to_spec`` raises a :class:`SpecError` naming the layer and the argument it would drop.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import _graph
from kerasguide._roundtrip import plain
from tests import models

keras = _k.keras()
layers = keras.layers


# --- an independent comparison: what the model computes, call by call -------------


def _arguments(value: Any) -> Any:
    if isinstance(value, _graph.Source):
        return ("tensor", value.operation.name, value.call, value.tensor)
    if isinstance(value, dict):
        return {k: _arguments(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_arguments(v) for v in value]
    return plain(value)


def _mask_makers(model: Any) -> dict[str, str]:
    """Operations Keras added to compute masks (all they feed is ``mask=``), renamed:
    Keras names them itself (``not_equal_3``), so their names are not the model's."""
    ops = {op.name: op for op in _graph.summary_operations(model)}
    uses: dict[str, list[bool]] = {}  # op name → for each use: is it a mask=?
    for op in ops.values():
        for node in op._inbound_nodes:
            masks = {id(t) for t in keras.tree.flatten(node.arguments.kwargs.get("mask"))}
            for t in node.arguments.keras_tensors:
                uses.setdefault(t._keras_history.operation.name, []).append(id(t) in masks)
    makers: list[str] = []
    for name in reversed(list(ops)):  # consumers come after producers
        if (
            not isinstance(ops[name], layers.Layer)
            and uses.get(name)
            and all(
                used or user in makers
                for used, user in zip(uses[name], _users(ops, name), strict=True)
            )
        ):
            makers.append(name)
    return {name: f"(mask {i})" for i, name in enumerate(sorted(makers, key=list(ops).index))}


def _users(ops: dict[str, Any], name: str) -> list[str]:
    return [
        op.name
        for op in ops.values()
        for node in op._inbound_nodes
        for t in node.arguments.keras_tensors
        if t._keras_history.operation.name == name
    ]


def fingerprint(model: Any) -> list[Any]:
    """Every operation's config, weights and calls, and the inputs' and outputs' structure."""
    rows: list[Any] = [_arguments(_graph.io_structure(model))]
    renamed = _mask_makers(model)
    for op in _graph.summary_operations(model):
        weights = [(tuple(w.shape), str(w.dtype)) for w in getattr(op, "weights", [])]
        calls = [  # by parameter: mha(q, v) is mha(q, value=v)
            _arguments(_graph.bound_arguments(op, *call))
            for call in _graph.call_arguments(model, op)
        ]
        config = plain(op.get_config())
        if op.name in renamed:
            config.pop("name", None)
        name = renamed.get(op.name, op.name)
        rows.append((name, type(op).__name__, config, weights, _renamed(calls, renamed)))
        if _graph.is_graph_model(op):
            rows.append(fingerprint(op))
    return rows


def _renamed(value: Any, names: dict[str, str]) -> Any:
    if isinstance(value, tuple) and len(value) == 4 and value[0] == "tensor":
        return ("tensor", names.get(value[1], value[1]), *value[2:])
    if isinstance(value, dict):
        return {k: _renamed(v, names) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_renamed(v, names) for v in value]
    return value


def round_trip(model: Any) -> Any:
    """``model`` through a YAML spec and back, under Keras's default settings."""
    spec = kg.load_spec(kg.to_spec(model).to_yaml())
    with _settings("float32", "channels_last"):
        return kg.build(spec)


@pytest.fixture(autouse=True)
def _default_settings() -> Iterator[None]:
    with _settings("float32", "channels_last"):
        yield


@contextlib.contextmanager
def _settings(floatx: str, data_format: str) -> Iterator[None]:
    """Keras's global settings for the block, given back after it."""
    config = keras.config
    saved = config.floatx(), config.image_data_format(), config.dtype_policy()
    config.set_floatx(floatx)
    config.set_image_data_format(data_format)
    config.set_dtype_policy(floatx)
    try:
        yield
    finally:
        config.set_floatx(saved[0])
        config.set_image_data_format(saved[1])
        config.set_dtype_policy(saved[2])


# --- models that round-trip exactly ---------------------------------------------------


def dropout_default() -> Any:
    x = keras.Input((4,), name="x")
    return keras.Model(x, layers.Dense(2, name="out")(layers.Dropout(0.5, name="drop")(x)))


def scalar_constant() -> Any:
    x = keras.Input((3,), name="x")
    return keras.Model(x, layers.Dense(2, name="out")(x + 2.0))


def float64_model() -> Any:
    with _settings("float64", "channels_last"):
        x = keras.Input((3,), name="x")
        return keras.Model(x, layers.Dense(2, name="out")(layers.Dense(4, name="hidden")(x)))


def channels_first_model() -> Any:
    with _settings("float32", "channels_first"):
        x = keras.Input((3, 8, 8), name="image")
        y = layers.Conv2D(2, 3, name="conv")(x)
        y = layers.MaxPooling2D(name="pool")(y)
        return keras.Model(x, layers.Flatten(name="flat")(y))


def mc_dropout() -> Any:
    x = keras.Input((4,), name="x")
    y = layers.Dropout(0.5, name="drop")(x, training=True)  # Monte Carlo dropout
    return keras.Model(x, layers.Dense(2, name="out")(y))


def frozen_batchnorm() -> Any:
    x = keras.Input((4,), name="x")
    return keras.Model(x, layers.BatchNormalization(name="bn")(x, training=False))


def frozen_base() -> Any:
    inner = keras.Input((4,), name="inner")
    base = keras.Model(inner, layers.Dense(3, name="base_dense")(inner), name="base")
    base.trainable = False
    x = keras.Input((4,), name="x")
    return keras.Model(x, layers.Dense(1, name="head")(base(x, training=False)))


def causal_attention() -> Any:
    q = keras.Input((5, 4), name="q")
    v = keras.Input((5, 4), name="v")
    return keras.Model([q, v], layers.Attention(name="att")([q, v], use_causal_mask=True))


def shared_dropout_once_in_training() -> Any:
    x = keras.Input((4,), name="x")
    drop = layers.Dropout(0.5, name="drop")
    return keras.Model(x, layers.Add(name="add")([drop(x), drop(x, training=True)]))


def softmax_with_mask() -> Any:
    x = keras.Input((4,), name="x")
    mask = keras.Input((4,), name="m", dtype="bool")
    return keras.Model([x, mask], layers.Softmax(name="soft")(x, mask=mask))


def lstm_initial_state() -> Any:  # the encoder-decoder of keras.io's seq2seq example, cut down
    x = keras.Input((5, 2), name="x")
    h, c = keras.Input((3,), name="h"), keras.Input((3,), name="c")
    return keras.Model([x, h, c], layers.LSTM(3, name="lstm")(x, initial_state=[h, c]))


def self_attention() -> Any:  # keras.io's Transformer block calls mha(x, x)
    x = keras.Input((6, 8), name="x")
    return keras.Model(x, layers.MultiHeadAttention(2, 4, name="mha")(x, x))


def mha_query_value_key() -> Any:  # cross-attention: mha(query, value, key)
    q = keras.Input((4, 8), name="q")
    v, k = keras.Input((6, 8), name="v"), keras.Input((6, 8), name="k")
    return keras.Model([q, v, k], layers.MultiHeadAttention(2, 4, name="mha")(q, v, k))


def masked_embedding_lstm() -> Any:  # the mask Keras passes on by itself, made by not_equal
    x = keras.Input((None,), name="tokens", dtype="int32")
    e = layers.Embedding(50, 4, mask_zero=True, name="embed")(x)
    return keras.Model(x, layers.LSTM(3, name="lstm")(e))


def masking_lstm() -> Any:  # Masking's mask is made by two operations (not_equal, any)
    x = keras.Input((5, 2), name="x")
    return keras.Model(x, layers.LSTM(3, name="lstm")(layers.Masking(0.0, name="masking")(x)))


def stateful_lstm() -> Any:  # a fixed batch size, as a stateful RNN needs
    x = keras.Input((5, 2), batch_size=4, name="x")
    return keras.Model(x, layers.LSTM(3, stateful=True, name="lstm")(x))


def dict_inputs() -> Any:  # keys as the inputs' names, in an order of their own
    b, a = keras.Input((3,), name="b"), keras.Input((2,), name="a")
    return keras.Model({"b": b, "a": a}, layers.Concatenate(name="join")([a, b]))


EXACT: dict[str, Callable[[], Any]] = {
    **models.ZOO,
    "dropout_default": dropout_default,
    "scalar_constant": scalar_constant,
    "float64_model": float64_model,
    "channels_first_model": channels_first_model,
    "mc_dropout": mc_dropout,
    "frozen_batchnorm": frozen_batchnorm,
    "frozen_base": frozen_base,
    "causal_attention": causal_attention,
    "shared_dropout_once_in_training": shared_dropout_once_in_training,
    "softmax_mask": softmax_with_mask,
    "lstm_initial_state": lstm_initial_state,
    "self_attention": self_attention,
    "mha_query_value_key": mha_query_value_key,
    "masked_embedding_lstm": masked_embedding_lstm,
    "masking_lstm": masking_lstm,
    "stateful_lstm": stateful_lstm,
    "dict_inputs": dict_inputs,
}


@pytest.mark.parametrize("make", EXACT.values(), ids=list(EXACT))
def test_round_trip_keeps_configs_weights_calls_and_structure(make: Callable[[], Any]) -> None:
    model = make()
    assert fingerprint(round_trip(model)) == fingerprint(model)


def test_training_none_is_the_default_call() -> None:
    x = keras.Input((4,), name="x")
    y = layers.Dropout(0.5, name="drop")(x, training=None)  # Keras's own choice, as left out
    model = keras.Model(x, layers.Dense(2, name="out")(y))
    rebuilt = round_trip(model)
    assert fingerprint(rebuilt) == fingerprint(model)  # bound: None is Dropout's default, False
    assert "call" not in kg.to_spec(model).to_dict()["layers"][0]


def test_dict_inputs_keyed_by_their_names_take_the_same_feed() -> None:
    b = keras.Input((3,), name="b")
    a = keras.Input((2,), name="a")
    model = keras.Model({"b": b, "a": a}, layers.Dense(1, name="out")(layers.Concatenate()([a, b])))
    rebuilt = round_trip(model)
    rebuilt.set_weights(model.get_weights())
    feed = {"a": np.ones((2, 2)), "b": np.arange(6.0).reshape(2, 3)}
    np.testing.assert_allclose(rebuilt.predict(feed, verbose=0), model.predict(feed, verbose=0))
    assert fingerprint(rebuilt) == fingerprint(model)  # a dict in, as the model was made
    assert isinstance(rebuilt.input, dict)


def test_float64_is_written_even_while_floatx_is_float64() -> None:
    with _settings("float64", "channels_last"):
        x = keras.Input((3,), name="x")
        model = keras.Model(x, layers.Dense(2, name="out")(x))
        spec = kg.to_spec(model).to_dict()
        assert keras.config.floatx() == "float64"  # to_spec gave the setting back
    assert spec["inputs"] == [{"name": "x", "shape": [3], "dtype": "float64"}]
    assert spec["layers"] == [{"type": "Dense", "name": "out", "units": 2, "dtype": "float64"}]
    assert fingerprint(round_trip(model)) == fingerprint(model)


def test_a_mixed_precision_model_keeps_its_policy() -> None:
    keras.config.set_dtype_policy("mixed_float16")  # the fixture gives float32 back
    x = keras.Input((3,), name="x")
    model = keras.Model(x, layers.Dense(2, name="out")(layers.Dense(4, name="hidden")(x)))
    if x.dtype == "float16":  # Keras 3.3: a float16 tensor from an input layer set to float32
        with pytest.raises(kg.SpecError, match=r"layer 'x'.*argument 'dtype' would change"):
            kg.to_spec(model)  # no spec rebuilds that: refused, not approximated
        return
    spec = kg.to_spec(model).to_dict()
    assert keras.config.dtype_policy().name == "mixed_float16"
    assert [entry["dtype"] for entry in spec["layers"]] == ["mixed_float16"] * 2
    keras.config.set_dtype_policy("float32")
    assert fingerprint(round_trip(model)) == fingerprint(model)


def test_channels_first_is_written_even_while_it_is_the_setting() -> None:
    with _settings("float32", "channels_first"):
        model = channels_first_model()
        spec = kg.to_spec(model).to_dict()
        assert keras.config.image_data_format() == "channels_first"
    assert spec["layers"][0]["data_format"] == "channels_first"
    assert fingerprint(round_trip(model)) == fingerprint(model)
    assert round_trip(model).count_params() == model.count_params() == 56


# --- models that are refused, naming the layer and the argument -----------------------


def dict_inputs_other_keys() -> Any:
    a = keras.Input((2,), name="a")
    b = keras.Input((3,), name="b")
    with pytest.warns(UserWarning, match="keys in the dict must match"):
        return keras.Model({"first": a, "second": b}, layers.Concatenate(name="join")([a, b]))


def ops_constant() -> Any:
    x = keras.Input((3,), name="x")
    return keras.Model(x, layers.Dense(2, name="out")(x + keras.ops.ones((3,))))


def numpy_constant() -> Any:
    x = keras.Input((3,), name="x")
    return keras.Model(x, layers.Dense(2, name="out")(x + np.ones((3,))))


REFUSED: dict[str, tuple[Callable[[], Any], str]] = {
    "dict_inputs_other_keys": (
        dict_inputs_other_keys,
        r"cannot describe the inputs[\s\S]*expected: inputs = \{'first': [\s\S]*"
        r"received: inputs = \{'a': [\s\S]*name each keras\.Input after its key",
    ),
    "ops_constant": (
        ops_constant,
        r"operation 'add'\.x2: [\s\S]*constant operand[\s\S]*of shape \(3,\)"
        r"[\s\S]*keep the model as a \.keras file",
    ),
    "numpy_constant": (
        numpy_constant,
        r"operation 'add'\.x2: [\s\S]*constant operand[\s\S]*ndarray of shape \(3,\)",
    ),
}


@pytest.mark.parametrize("case", REFUSED.values(), ids=list(REFUSED))
def test_what_a_spec_would_drop_is_refused(case: tuple[Callable[[], Any], str]) -> None:
    make, message = case
    model = make()
    with pytest.raises(kg.SpecError, match=message):
        kg.to_spec(model)


# --- call options in a spec -----------------------------------------------------------


def test_call_options_are_written_on_the_entry_and_in_code() -> None:
    spec = kg.to_spec(mc_dropout())
    assert spec.to_dict()["layers"][0] == {
        "type": "Dropout", "name": "drop", "rate": 0.5, "call": {"training": True},
    }  # fmt: skip
    assert "(x, training=True)" in kg.to_code(spec)
    assert kg.to_spec(frozen_base()).to_dict()["layers"][0]["call"] == {"training": False}
    assert kg.to_spec(frozen_batchnorm()).to_dict()["layers"][0]["call"] == {"training": False}
    causal = kg.to_spec(causal_attention()).to_dict()["layers"][0]
    assert causal["call"] == {"use_causal_mask": True}


def test_a_call_option_left_at_its_default_is_not_written() -> None:
    assert "call" not in kg.to_spec(dropout_default()).to_dict()["layers"][0]
    x = keras.Input((4,), name="x")
    model = keras.Model(x, layers.Dropout(0.5, name="drop")(x, training=False))
    assert "call" not in kg.to_spec(model).to_dict()["layers"][0]


def _functional(entry: dict[str, Any]) -> dict[str, Any]:
    layers_ = [entry, {"type": "Dense", "name": "out", "units": 1}]
    return {"inputs": [{"name": "x", "shape": [4]}], "layers": layers_, "outputs": "out"}


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"trainig": True}, r"layers\[0\]\.call\.trainig[\s\S]*did you mean 'training'"),
        ({"training": 1}, r"layers\[0\]\.call\.training: `training` must be true or false"),
        ("training", r"layers\[0\]\.call: `call` must be a mapping"),
    ],
)
def test_malformed_call_options_are_refused(call: object, message: str) -> None:
    with pytest.raises(kg.SpecError, match=message):
        kg.load_spec(_functional({"type": "Dropout", "rate": 0.5, "call": call}))


def test_call_options_need_a_functional_spec_and_code() -> None:
    sequential = {"input_shape": [4], "layers": [{"type": "Dropout", "rate": 0.5, "call": {}}]}
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.call: `call` needs a functional spec"):
        kg.load_spec(sequential)
    spec = kg.load_spec(_functional({"type": "Dropout", "rate": 0.5, "call": {"training": True}}))
    with pytest.raises(kg.OptionError, match=r"layers\[0\]\.call[\s\S]*called with"):
        kg.to_code(spec, style="sequential")


def test_a_spec_with_call_options_builds_the_hand_written_model() -> None:
    entry = {"type": "Dropout", "name": "drop", "rate": 0.5, "call": {"training": True}}
    spec = kg.load_spec(_functional(entry))
    x = keras.Input((4,), name="x")
    y = layers.Dropout(0.5, name="drop")(x, training=True)
    by_hand = keras.Model(x, layers.Dense(1, name="out")(y))
    assert fingerprint(kg.build(spec))[1:] == fingerprint(by_hand)[1:]


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"type": "Dense", "units": 2, "call": {"use_causal_mask": True}},
         r"layers\[0\]\.call\.use_causal_mask: Dense 'first' has no call option "
         r"'use_causal_mask'[\s\S]*expected: options of Dense's call: (training|none)"),
        # (Dense's call takes `training` in newer Keras; in Keras 3.3, nothing)
        ({"type": "Flatten", "call": {"training": True}},  # Keras would ignore it
         r"Flatten 'first' has no call option 'training'[\s\S]*expected: options of "
         r"Flatten's call: none[\s\S]*remove `training`"),
        ({"type": "Dropout", "rate": 0.5, "call": {"use_causal_mask": False}},
         r"expected: options of Dropout's call: training"),
    ],
)  # fmt: skip
def test_a_call_option_the_layer_does_not_take_is_refused(entry: Any, message: str) -> None:
    with pytest.raises(kg.SpecError, match=message):
        kg.build(_functional({**entry, "name": "first"}))


# --- the check itself, by mutation: one attribute changed, and it is named -----------


def _pair(change: str) -> tuple[Any, Any]:
    """The same small model twice, the second with one thing changed."""

    def make(changed: bool) -> Any:
        keras.backend.clear_session(free_memory=False)  # the operation is 'add' each time
        x = keras.Input((5, 4), name="x")
        dtype = "float64" if changed and change == "dtype" else None
        y = layers.Dense(4, name="dense", dtype=dtype)(x)
        flag = {"training": True} if changed and change == "training" else {}
        y = layers.Dropout(0.5, name="drop")(y, **flag)
        mask = {"use_causal_mask": True} if changed and change == "mask" else {}
        y = layers.Attention(name="att")([y, x], **mask)
        y = y + (3.0 if changed and change == "constant" else 2.0)
        keys = ("b", "a") if changed and change == "keys" else ("a", "b")
        return keras.Model(x, dict(zip(keys, [y, x], strict=True)), name="m")

    return make(False), make(True)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ("dtype", r"layer 'dense'[\s\S]*argument 'dtype'[\s\S]*float32[\s\S]*float64"),
        ("training", r"layer 'drop'[\s\S]*'training'[\s\S]*expected: training=False[\s\S]*"
         r"received: training=True"),
        ("mask", r"layer 'att'[\s\S]*expected: use_causal_mask=False[\s\S]*use_causal_mask=True"),
        ("constant", r"operation 'add'[\s\S]*expected: x2=2\.0[\s\S]*received: x2=3\.0"),
        ("keys", r"model 'm'[\s\S]*cannot describe the outputs[\s\S]*expected: outputs = "
         r"\{'a': \"<output of 'add'>\""),
    ],
)  # fmt: skip
def test_the_check_names_each_single_change(change: str, message: str) -> None:
    from kerasguide import _roundtrip

    model, changed = _pair(change)
    _roundtrip.verify(model, _pair(change)[0])  # the same model passes
    with pytest.raises(kg.SpecError, match=message):
        _roundtrip.verify(model, changed)
