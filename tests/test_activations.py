"""Activations given as callables (tf.nn.softmax, keras.ops.relu) are read as Keras's names.

Each function kerasguide names is checked against the Keras activation it is named
as, on the same input: the same function, not a look-alike.
"""

from __future__ import annotations

import keras
import numpy as np
import pytest
import tensorflow as tf

import kerasguide as kg
from kerasguide._activations import _SAME, _lookup, keras_name
from kerasguide.errors import SpecError

ROOTS = {"tf": tf, "ops": keras.ops}
PAIRS = [(name, place) for name, places in _SAME.items() for place in places]


@pytest.mark.parametrize(("name", "place"), PAIRS)
def test_each_named_function_computes_the_keras_activation(name: str, place: str) -> None:
    function = _lookup(ROOTS, place)
    assert function is not None, place
    assert keras_name(function) == name  # type: ignore[arg-type]
    x = np.linspace(-4, 4, 24, dtype="float32").reshape(2, 12)
    expected = keras.ops.convert_to_numpy(getattr(keras.activations, name)(x))
    found = keras.ops.convert_to_numpy(function(x))  # type: ignore[operator]
    np.testing.assert_allclose(found, expected, rtol=1e-5, atol=1e-6)


def test_keras_ops_gelu_is_not_named_gelu() -> None:
    assert keras_name(keras.ops.gelu) is None  # its default is the tanh approximation


def _course_model(activation: object) -> keras.Model:
    return keras.Sequential(
        [
            keras.Input((28, 28)),
            keras.layers.Flatten(),
            keras.layers.Dense(128, activation=tf.nn.relu),
            keras.layers.Dense(10, activation=activation),
        ],
        name="course",
    )


def test_tf_nn_activations_are_checked_explained_and_converted() -> None:
    student = _course_model(tf.nn.softmax)
    reference = _course_model("softmax")
    assert kg.check_model(student, reference).passed
    wrong = _course_model(tf.nn.sigmoid)
    result = kg.check_model(wrong, reference)
    assert not result.passed
    assert "expected activation 'softmax', found 'sigmoid'" in str(result)
    assert "Dense" in str(kg.explain(student))
    spec = kg.to_spec(student)
    assert "activation: softmax" in spec.to_yaml()
    rebuilt = kg.build(spec)
    assert rebuilt.layers[-1].get_config()["activation"] == "softmax"


def test_a_function_of_ones_own_is_refused_with_the_layer_named() -> None:
    def my_softmax(x: object) -> object:
        return keras.activations.softmax(x)  # type: ignore[arg-type]

    model = _course_model(my_softmax)
    with pytest.raises(SpecError, match=r"(?s)layer 'dense_\d+'\.activation.*my_softmax.*'relu'"):
        kg.to_spec(model)
    with pytest.raises(SpecError, match=r"not one of Keras's"):
        kg.check_model(model, _course_model("softmax"))


LAMBDA_WARNING = "ignore:The object being serialized includes a `lambda`:UserWarning"


@pytest.mark.filterwarnings(LAMBDA_WARNING)
def test_a_lambda_activation_is_refused_by_name_never_by_its_bytes() -> None:
    model = _course_model(lambda x: x)
    for action in (lambda: kg.to_spec(model), lambda: kg.check_model(model, _course_model("relu"))):
        with pytest.raises(SpecError) as caught:
            action()
        text = str(caught.value)
        assert "activation function that is not one of Keras's" in text
        assert caught.value.received == "a Python function (lambda)"
        assert "4wE" not in text  # Keras's serialized code
        assert "'value'" not in text


@pytest.mark.filterwarnings(LAMBDA_WARNING)
def test_a_lambda_layer_is_compared_and_shown_by_its_functions_name() -> None:
    def double(x: object) -> object:
        return x

    def model(function: object) -> keras.Model:
        visible = keras.Input((3,))
        return keras.Model(visible, keras.layers.Lambda(function)(visible))

    assert kg.check_model(model(double), model(double)).passed  # not an activation: no refusal
    result = kg.check_model(model(double), model(lambda x: x))
    assert str(result.findings[0]) == (
        "layer 2 (Lambda): expected function=a Python function (lambda), found function=double"
    )


@pytest.mark.parametrize(
    ("key", "article"),
    [("activation", "an"), ("kernel_initializer", "an"), ("kernel_regularizer", "a")],
)
def test_a_setting_that_is_not_a_name_is_refused_with_the_right_article(
    key: str, article: str
) -> None:
    spec = {"kind": "sequential", "input_shape": [3], "layers": [{"Dense": 4, key: 3}]}
    kind = key.removeprefix("kernel_")
    with pytest.raises(kg.SpecTypeError, match=rf"^layers\[0\]\.{key}: {article} {kind} must be"):
        kg.build(spec)
