"""to_spec: existing Keras models as readable specs, and back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import models
from tests.compare import assert_same_model

keras = _k.keras()


@pytest.mark.parametrize("make", models.ZOO.values(), ids=list(models.ZOO))
def test_zoo_models_round_trip_through_a_spec(make: Callable[[], Any]) -> None:
    model = make()
    spec = kg.to_spec(model)
    rebuilt = kg.build(spec)
    assert_same_model(rebuilt, model)
    assert kg.to_spec(rebuilt) == spec


@pytest.mark.parametrize("name", kg.list_examples())
def test_to_spec_of_a_built_example_is_the_example(name: str) -> None:
    spec = kg.load_example(name)
    assert kg.to_spec(kg.build(spec)) == spec.expanded()


def test_only_non_default_arguments_are_written() -> None:
    model = keras.Sequential([
        keras.Input((8, 8, 1), name="input"),
        keras.layers.Conv2D(4, (3, 3), padding="same", name="conv"),
        keras.layers.MaxPooling2D((2, 2), name="pool"),
        keras.layers.Dense(2, kernel_regularizer=keras.regularizers.L2(0.1), name="out"),
    ], name="small")  # fmt: skip
    assert kg.to_spec(model).to_dict()["layers"] == [
        {"type": "Conv2D", "name": "conv", "filters": 4, "kernel_size": 3, "padding": "same"},
        {"type": "MaxPooling2D", "name": "pool"},
        {"type": "Dense", "name": "out", "units": 2,
         "kernel_regularizer": {"type": "L2", "l2": pytest.approx(0.1)}},
    ]  # fmt: skip


def test_shared_layer_becomes_a_reuse_entry() -> None:
    spec = kg.to_spec(models.shared_layer()).to_dict()
    assert spec["layers"][1] == {"reuse": "encoder", "name": "encoder@2", "inputs": "right"}


def test_nested_model_becomes_a_model_entry() -> None:
    spec = kg.to_spec(models.nested()).to_dict()
    assert spec["layers"][0]["model"]["name"] == "encoder"
    assert spec["layers"][0]["model"]["layers"][0]["name"] == "inner_dense"


def test_subclassed_models_are_refused() -> None:
    class Custom(keras.Model):
        def __init__(self) -> None:
            super().__init__(name="custom")
            self.dense = keras.layers.Dense(1)

        def call(self, x: Any) -> Any:
            return self.dense(x)

    with pytest.raises(kg.OptionError, match=r"model 'custom': to_spec can only describe "
                       r"Sequential and functional models[\s\S]*subclassed"):  # fmt: skip
        kg.to_spec(Custom())


def test_lambda_layers_cannot_be_written() -> None:
    inputs = keras.Input((2,), name="x")
    model = keras.Model(inputs, keras.layers.Lambda(lambda t: t * 2, name="double")(inputs))
    with pytest.raises(kg.SpecError, match=r"layer 'double'[\s\S]*Lambda is not allowed because "
                       r"it runs Python code"):  # fmt: skip
        kg.to_spec(model)


def test_unbuilt_sequential_and_non_models() -> None:
    with pytest.raises(kg.OptionError, match="has no input shape yet"):
        kg.to_spec(keras.Sequential([keras.layers.Dense(1)]))
    with pytest.raises(kg.OptionError, match=r"to_spec needs a Keras model[\s\S]*received: dict"):
        kg.to_spec({"layers": []})
