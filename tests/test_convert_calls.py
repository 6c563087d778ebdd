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


def fingerprint(model: Any) -> list[Any]:
    """Every operation's config, weights and calls, and the inputs' and outputs' structure."""
    rows: list[Any] = [_arguments(_graph.io_structure(model))]
    for op in _graph.summary_operations(model):
        weights = [(tuple(w.shape), str(w.dtype)) for w in getattr(op, "weights", [])]
        calls = _arguments(_graph.call_arguments(model, op))
        rows.append((op.name, type(op).__name__, plain(op.get_config()), weights, calls))
        if _graph.is_graph_model(op):
            rows.append(fingerprint(op))
    return rows


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


EXACT: dict[str, Callable[[], Any]] = {
    **models.ZOO,
    "dropout_default": dropout_default,
    "scalar_constant": scalar_constant,
    "float64_model": float64_model,
    "channels_first_model": channels_first_model,
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
    expected = fingerprint(model)
    expected[2] = (*expected[2][:4], [[[("tensor", "x", 0, 0)], {"training": False}]])
    assert fingerprint(rebuilt) == expected  # Keras records a call without training= as False


def test_dict_inputs_keyed_by_their_names_take_the_same_feed() -> None:
    b = keras.Input((3,), name="b")
    a = keras.Input((2,), name="a")
    model = keras.Model({"b": b, "a": a}, layers.Dense(1, name="out")(layers.Concatenate()([a, b])))
    rebuilt = round_trip(model)
    rebuilt.set_weights(model.get_weights())
    feed = {"a": np.ones((2, 2)), "b": np.arange(6.0).reshape(2, 3)}
    np.testing.assert_allclose(rebuilt.predict(feed, verbose=0), model.predict(feed, verbose=0))
    assert fingerprint(rebuilt)[1:] == fingerprint(model)[1:]


def test_float64_is_written_even_while_floatx_is_float64() -> None:
    with _settings("float64", "channels_last"):
        x = keras.Input((3,), name="x")
        model = keras.Model(x, layers.Dense(2, name="out")(x))
        spec = kg.to_spec(model).to_dict()
        assert keras.config.floatx() == "float64"  # to_spec gave the setting back
    assert spec["inputs"] == [{"name": "x", "shape": [3], "dtype": "float64"}]
    assert spec["layers"] == [{"type": "Dense", "name": "out", "units": 2, "dtype": "float64"}]
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
    "mc_dropout": (
        mc_dropout,
        r"layer 'drop'[\s\S]*call argument 'training'[\s\S]*expected: training=True"
        r"[\s\S]*received: training=False[\s\S]*keep the model as a \.keras file",
    ),
    "frozen_batchnorm": (
        frozen_batchnorm,
        r"layer 'bn'[\s\S]*call argument 'training'[\s\S]*expected: training=False",
    ),
    "frozen_base": (
        frozen_base,
        r"layer 'base'[\s\S]*call argument 'training'[\s\S]*expected: training=False",
    ),
    "causal_attention": (
        causal_attention,
        r"layer 'att'[\s\S]*call argument 'use_causal_mask'[\s\S]*"
        r"expected: use_causal_mask=True[\s\S]*received: use_causal_mask=False",
    ),
    "dict_inputs_other_keys": (
        dict_inputs_other_keys,
        r"cannot describe the inputs[\s\S]*expected: inputs = \{'first': [\s\S]*"
        r"received: inputs = \[[\s\S]*name each keras\.Input after its key",
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
