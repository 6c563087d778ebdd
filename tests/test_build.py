"""Models built from specs and helpers, compared with the same models written in Keras."""

from __future__ import annotations

from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import models
from tests.compare import assert_same_model, signature

keras = _k.keras()

EXAMPLES_VS_ZOO = {
    "seed_sequential": "seed_sequential",
    "seed_functional": "seed_functional",
    "mlp": "seed_mlp",
    "cnn": "cnn",
    "rnn": "rnn",
    "multi_input": "multi_input",
    "multi_output": "multi_output",
    "shared_layers": "shared_layer",
    "nested": "nested",
}


@pytest.mark.parametrize(("example", "zoo"), EXAMPLES_VS_ZOO.items())
def test_example_specs_equal_the_models_written_in_keras(example: str, zoo: str) -> None:
    assert_same_model(kg.build(kg.load_example(example)), models.ZOO[zoo]())


def test_seed_sequential_has_seven_parameters() -> None:
    model = kg.build(kg.load_example("seed_sequential"))
    assert isinstance(model, keras.Sequential)
    assert [layer.count_params() for layer in model.layers] == [4, 3]
    assert model.count_params() == 7


def test_seed_list_and_add_forms_match_the_spec_with_input_dim() -> None:
    with pytest.warns(UserWarning, match="input_shape"):  # Keras 3 prefers keras.Input
        listed = keras.Sequential([keras.layers.Dense(2, input_dim=1), keras.layers.Dense(1)])
    added = keras.Sequential()
    added.add(keras.Input((1,)))
    added.add(keras.layers.Dense(2))
    added.add(keras.layers.Dense(1))
    spec = kg.build({"layers": [{"Dense": 2, "input_dim": 1}, {"Dense": 1}]})
    for reference in (listed, added):
        assert [(r[1], r[2], r[3]) for r in signature(spec)[1:]] == [
            (r[1], r[2], r[3]) for r in signature(reference)[-2:]
        ]
        assert spec.count_params() == reference.count_params() == 7


def test_seed_functional_has_six_parameters() -> None:
    model = kg.build(kg.load_example("seed_functional"))
    assert [layer.name for layer in model.layers] == ["visible", "hidden"]
    assert model.count_params() == 6


def test_mlp_helper_matches_the_seed_mlp() -> None:
    model = kg.mlp(inputs=10, hidden=[10, 20, 10], outputs=1, activation="relu",
                   output_activation="sigmoid")  # fmt: skip
    assert_same_model(model, models.seed_mlp())
    assert [layer.count_params() for layer in model.layers] == [0, 110, 220, 210, 11]
    assert model.count_params() == 551


def test_mlp_with_dropout_and_batch_norm_matches_keras() -> None:
    model = kg.mlp(inputs=4, hidden=[8, 6], outputs=2, dropout=0.25, batch_norm=True,
                   output_activation="softmax", name="deep")  # fmt: skip
    x = inputs = keras.Input((4,), name="input")
    for i, units in enumerate([8, 6], start=1):
        x = keras.layers.Dense(units, activation="relu", name=f"hidden_{i}")(x)
        x = keras.layers.BatchNormalization(name=f"batch_norm_{i}")(x)
        x = keras.layers.Dropout(0.25, name=f"dropout_{i}")(x)
    out = keras.layers.Dense(2, activation="softmax", name="output")(x)
    assert_same_model(model, keras.Model(inputs, out, name="deep"))
    assert model.name == "deep"


def test_sequential_and_functional_helpers() -> None:
    seq = kg.sequential([{"Dense": 2}, {"Dense": 1}], input_shape=[1], name="seed_sequential")
    assert_same_model(seq, models.seed_sequential())
    fun = kg.functional(inputs={"visible": [2]}, layers=[{"Dense": 2, "name": "hidden"}],
                        name="seed_functional")  # fmt: skip
    assert_same_model(fun, models.seed_functional())


def test_multi_output_as_a_dict() -> None:
    model = kg.functional(
        inputs={"x": [3]},
        layers=[{"Dense": 2, "name": "a"}, {"Dense": 1, "name": "b", "inputs": "x"}],
        outputs={"first": "a", "second": "b"},
    )
    result = model(keras.ops.ones((1, 3)))
    assert set(result) == {"first", "second"}
    assert tuple(result["first"].shape) == (1, 2)


def test_layer_with_several_outputs_is_indexed() -> None:
    model = kg.functional(
        inputs={"seq": [5, 2]},
        layers=[{"LSTM": 3, "return_state": True, "name": "lstm"},
                {"Dense": 1, "name": "from_state", "inputs": "lstm[1]"}],
        outputs="from_state",
    )  # fmt: skip
    seq = keras.Input((5, 2), name="seq")
    _, state, _ = keras.layers.LSTM(3, return_state=True, name="lstm")(seq)
    ref = keras.Model(seq, keras.layers.Dense(1, name="from_state")(state), name="functional")
    assert_same_model(model, ref)


def test_merge_layers() -> None:
    for merge in ("Add", "Subtract", "Multiply", "Average", "Maximum", "Concatenate"):
        model = kg.functional(
            inputs={"a": [4], "b": [4]},
            layers=[{"type": merge, "name": "m", "inputs": ["a", "b"]}, {"Dense": 1}],
        )
        a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
        merged = getattr(keras.layers, merge)(name="m")([a, b])
        ref = keras.Model([a, b], keras.layers.Dense(1, name="dense_1")(merged))
        assert_same_model(model, ref)


def test_same_spec_built_twice_has_the_same_names() -> None:
    spec = kg.load_example("cnn")
    first = [layer.name for layer in kg.build(spec).layers]
    keras.layers.Dense(3)  # bump Keras's global name counters in between
    second = [layer.name for layer in kg.build(spec).layers]
    assert first == second == ["conv2d_1", "max_pooling2d_1", "flatten_1", "dense_1"]


def test_derived_names_count_per_type_and_keep_explicit_names() -> None:
    model = kg.build({"input_shape": [4], "layers": [
        {"Dense": 3}, {"Dense": 3, "name": "middle"}, {"Dropout": 0.1},
        {"Dense": 2}, {"type": "BatchNormalization"},
    ]})  # fmt: skip
    assert [layer.name for layer in model.layers] == [
        "dense_1",
        "middle",
        "dropout_1",
        "dense_3",
        "batch_normalization_1",
    ]


def test_activations_initializers_regularizers_and_constraints() -> None:
    model = kg.build({"input_shape": [3], "layers": [{
        "Dense": 4, "activation": "tanh", "kernel_initializer": "he_normal",
        "bias_initializer": {"type": "Constant", "value": 0.5},
        "kernel_regularizer": {"type": "L2", "l2": 0.1},
        "kernel_constraint": {"class_name": "MaxNorm", "config": {"max_value": 2.0}},
    }]})  # fmt: skip
    dense = model.layers[0]
    assert dense.activation is keras.activations.tanh
    assert isinstance(dense.kernel_initializer, keras.initializers.HeNormal)
    assert float(dense.bias.numpy()[0]) == 0.5
    assert dense.kernel_regularizer.l2 == pytest.approx(0.1)
    assert dense.kernel_constraint.max_value == 2.0


def test_registered_custom_layer() -> None:
    @kg.register_layer
    class Scale(keras.layers.Layer):
        def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.factor = factor

        def call(self, x: Any) -> Any:
            return x * self.factor

    model = kg.build({"input_shape": [2], "layers": [{"Scale": 3.0}]})
    assert float(model(keras.ops.ones((1, 2)))[0, 0]) == 3.0
    with pytest.raises(kg.SpecError, match=r"Scale has no argument 'facter'[\s\S]*'factor'"):
        kg.build({"input_shape": [2], "layers": [{"type": "Scale", "facter": 3.0}]})


def test_register_layer_rejects_non_layers_and_builtin_names() -> None:
    with pytest.raises(kg.OptionError, match="needs a Keras layer class"):
        kg.register_layer(int)
    with pytest.raises(kg.OptionError, match="already a built-in Keras layer"):
        kg.register_layer(type("Dense", (keras.layers.Layer,), {}))


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="tf.distribute is TF's")
def test_build_inside_a_distribution_strategy() -> None:
    tf = _k.tf()
    devices = [d.name for d in tf.config.list_logical_devices("CPU")]
    assert len(devices) >= 2, "conftest configures two logical CPUs"
    strategy = tf.distribute.MirroredStrategy(devices[:2])
    model = kg.build(kg.load_example("mlp"), strategy=strategy)
    assert model.count_params() == 551
    for variable in model.trainable_variables:  # Keras variables wrap tf.Variables
        assert strategy.extended.variable_created_in_scope(variable.value)
        assert type(variable.value).__name__ == "MirroredVariable"


def test_strategy_must_be_a_strategy() -> None:
    with pytest.raises(kg.OptionError, match=r"build\(strategy=...\)[\s\S]*received: str"):
        kg.build(kg.load_example("mlp"), strategy="mirrored")


def test_as_model_accepts_models_and_specs() -> None:
    from kerasguide.build import as_model

    model = models.seed_mlp()
    assert as_model(model) is model
    assert as_model({"kind": "mlp", "inputs": 2, "hidden": [], "outputs": 1}).count_params() == 3
    with pytest.raises(kg.OptionError, match="expected a Keras model or a spec"):
        as_model(42)


@pytest.mark.skipif(keras.backend.backend() != "tensorflow", reason="TensorFlow's error text")
def test_a_tensorflow_error_is_quoted_without_tensorflows_op_names() -> None:
    spec = {"input_shape": [3], "layers": [{"type": "Normalization", "mean": [1, 2],
                                            "variance": [1, 1]}]}  # fmt: skip
    # TensorFlow words it by version: 2.16 reshapes the mean, later ones broadcast it.
    says = (r"(Incompatible shapes: \[1,2\] vs\. \[1,3\]|Input to reshape is a tensor with 2 "
            r"values, but the requested shape has 3)")  # fmt: skip
    with pytest.raises(kg.BuildError, match=r"layers\[0\]: Keras could not apply Normalization"
                       r"[\s\S]*hint: Keras says: " + says + r"\. Check") as info:  # fmt: skip
        kg.build(spec)
    assert "{{function_node" not in str(info.value)
    assert "[Op:" not in str(info.value)


# --- a failed build never affects a later one ---------------------------------------

# Every kind of layer whose sublayers Keras names itself: the LSTM cells of a
# Bidirectional, the StackedRNNCells of an RNN of several cells, a nested model, an op.
WELL_MADE: dict[str, Any] = {
    "kind": "functional", "name": "well_made", "inputs": {"x": [6, 3], "y": [4]},
    "layers": [
        {"Bidirectional": {"LSTM": 2, "return_sequences": True}, "inputs": "x"},
        {"TimeDistributed": {"Dense": 2}},
        {"type": "RNN", "cell": [{"LSTMCell": 2}, {"GRUCell": 3}]},
        {"op": "add", "x2": 1.0},
        {"Dense": 3, "inputs": "y", "name": "side"},
        {"Dropout": 0.3},
        {"model": {"input_shape": [3], "layers": [{"Dense": 2}, "BatchNormalization"]}},
        {"type": "Concatenate", "inputs": ["add_1", "sequential_1"]},
        {"Dense": 1},
    ],
}  # fmt: skip
FAILING: dict[str, tuple[dict[str, Any], str]] = {
    "shapes at layer 5": (
        {"inputs": {"x": [8]}, "layers": [{"Dense": 4}, {"Dense": 4}, {"Dense": 4},
         {"Dense": 4}, {"Reshape": [3, 3]}, {"Dense": 2}]},
        r"layers\[4\]: Keras could not apply Reshape 'reshape_1' to its input",
    ),
    "a bad Reshape": (
        {"input_shape": [10], "layers": [{"Dense": 4}, {"Reshape": [5, 2]}]},
        r"layers\[1\]: Keras could not apply Reshape 'reshape_1'",
    ),
    "an op": (
        {"inputs": {"x": [4, 3], "y": [5, 2]}, "layers": [{"op": "matmul", "inputs": ["x", "y"]}]},
        r"layers\[0\]: Keras could not apply keras.ops.matmul 'matmul_1'",
    ),
    "after stacked cells": (
        {"input_shape": [4, 3], "layers": [
            {"type": "RNN", "cell": [{"LSTMCell": 2}, {"GRUCell": 3}], "return_sequences": True},
            {"Bidirectional": {"LSTM": 2}}, {"Conv2D": 2, "kernel_size": 3}]},
        r"layers\[2\]: Keras could not apply Conv2D 'conv2d_1'",
    ),
    "a weight Keras cannot make": (
        {"input_shape": [3], "layers": [{"Dense": 2}, {"Dense": 2, "dtype": "string"}]},
        r"layer 'sequential/dense_2': Keras could not create a weight of this layer[\s\S]*"
        r"received: the weight 'sequential/dense_2/kernel' of shape \(2, 2\) and dtype string"
        r"[\s\S]*Keras says: (Cast float to string is not supported|data type 'string' not)",
    ),
    "the params limit": (
        {"input_shape": [1000], "layers": [{"Dense": 100}, {"Dense": 10**9}]},
        r"layer 'dense_2': the model 'sequential' would have 101,000,100,100 parameters",
    ),
}  # fmt: skip


def _layer_names(layer: Any, prefix: str = "") -> list[str]:
    """Every layer's name and class, the layers that wrappers and cells hold included."""
    names = [f"{prefix}{layer.name}:{type(layer).__name__}"]
    held = [getattr(layer, key, None) for key in ("forward_layer", "backward_layer", "layer")]
    cell = getattr(layer, "cell", None)
    held += [cell, *getattr(cell, "cells", [])] if cell is not None else []
    held += list(getattr(layer, "layers", []))
    for inner in held:
        if inner is not None and inner is not layer:
            names += _layer_names(inner, f"{prefix}{layer.name}/")
    return names


def _keras_state() -> dict[str, Any]:
    from keras.src.backend.common import global_state

    config = keras.config
    return {
        "uids": dict(global_state.get_global_attribute("object_name_uids") or {}),
        "pending weights": list(global_state.get_global_attribute("uninitialized_variables") or []),
        "settings": (config.floatx(), config.image_data_format(), config.dtype_policy().name),
    }


def _built(spec: dict[str, Any]) -> dict[str, Any]:
    keras.utils.set_random_seed(7)
    model = kg.build(spec)
    return {
        "names": _layer_names(model),
        "weights": [(w.path, w.dtype, tuple(w.shape)) for w in model.weights],
        "params": model.count_params(),
        "values": [w.tolist() for w in model.get_weights()],
    }


def test_a_model_is_the_same_however_many_models_were_built_before() -> None:
    alone = _built(WELL_MADE)
    assert "well_made/rnn_1/stacked_rnn_cells:StackedRNNCells" in alone["names"]
    assert ("rnn_1/stacked_rnn_cells/lstm_cell_1/kernel", "float32", (2, 8)) in alone["weights"]
    keras.layers.Dense(1)  # the notebook's own layers move Keras's counters
    assert _built(WELL_MADE) == alone


@pytest.mark.parametrize("failing", FAILING)
def test_a_failed_build_leaves_nothing_behind(failing: str) -> None:
    alone = _built(WELL_MADE)
    spec, message = FAILING[failing]
    before = _keras_state()
    with pytest.raises(kg.KerasGuideError, match=message):
        kg.build(spec)
    assert _keras_state() == before
    assert _built(WELL_MADE) == alone
    assert _keras_state() == before


def test_builds_keep_the_notebooks_own_names_and_settings() -> None:
    config = keras.config
    assert keras.layers.Dense(1).name == "dense"  # a fresh session (conftest)
    config.set_floatx("float64")
    config.set_image_data_format("channels_first")
    try:
        before = _keras_state()
        kg.build(WELL_MADE)
        with pytest.raises(kg.BuildError):
            kg.build(FAILING["after stacked cells"][0])
        assert _keras_state() == before
        assert keras.layers.Dense(1).name == "dense_1"
    finally:
        config.set_floatx("float32")
        config.set_image_data_format("channels_last")
