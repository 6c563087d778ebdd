"""explain(): the arithmetic behind every parameter count, checked against Keras."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide._graph import all_layers
from tests import models
from tests.golden import assert_golden

keras = _k.keras()
ALL = {**models.ZOO, **models.MORE}


@pytest.mark.parametrize("make", ALL.values(), ids=list(ALL))
def test_layers_add_up_to_count_params(make: Callable[[], Any]) -> None:
    model = make()
    explanation = kg.explain(model)
    top = [layer for layer in explanation.layers if layer.depth == 0]
    assert [layer.name for layer in top] == [layer.name for layer in all_layers(model)]
    assert [layer.params for layer in top] == [layer.count_params() for layer in all_layers(model)]
    assert sum(layer.params for layer in top) == explanation.total == model.count_params()
    summary = kg.summarize(model)
    assert (explanation.trainable, explanation.non_trainable) == (
        summary.trainable,
        summary.non_trainable,
    )


def _line(model: Any, name: str) -> str:
    return next(str(layer) for layer in kg.explain(model).layers if layer.name == name)


@pytest.mark.parametrize(
    ("make", "name", "text"),
    [
        (models.seed_mlp, "hidden_2", "hidden_2 (Dense): kernel 10×20 = 200 + bias 20 = 220"),
        (models.rnn, "lstm_1",
         "lstm_1 (LSTM): kernel 1×40 = 40 + recurrent_kernel 10×40 = 400 + bias 40 = 480"),
        (models.batchnorm, "batch_normalization_1",
         "batch_normalization_1 (BatchNormalization): gamma 8 + beta 8 + moving_mean 8 "
         "(non-trainable) + moving_variance 8 (non-trainable) = 32"),
        (models.cnn, "conv2d_1", "conv2d_1 (Conv2D): kernel 3×3×1×8 = 72 + bias 8 = 80"),
        (models.cnn, "flatten_1", "flatten_1 (Flatten): no weights = 0"),
        (models.gallery, "embedding", "embedding (Embedding): embeddings 100×8 = 800"),
        (models.gallery, "gru",
         "gru (GRU): kernel 6×15 = 90 + recurrent_kernel 5×15 = 75 + bias 2×15 = 30 = 195"),
        (models.gallery, "frozen_dense",
         "frozen_dense (Dense): kernel 54×3 = 162 (non-trainable) + bias 3 (non-trainable) = 165"),
        (models.nested_deep, "middle", "middle (Functional): core 20 + middle_dense 10 = 30"),
        (models.nested_deep, "core_dense", "    core_dense (Dense): kernel 4×4 = 16 + bias 4 = 20"),
    ],
    ids=["dense", "lstm", "batchnorm", "conv2d", "flatten", "embedding", "gru", "frozen",
         "nested", "nested-inner"],
)  # fmt: skip
def test_arithmetic_from_the_weight_shapes(make: Callable[[], Any], name: str, text: str) -> None:
    assert _line(make(), name) == text


def test_why_for_the_common_layers() -> None:
    why = {layer.type: layer.why for layer in kg.explain(models.gallery()).layers}
    assert why["Embedding"] == (
        "one vector of 8 numbers for each of the 100 token ids in the vocabulary."
    )
    assert why["Conv1D"] == (
        "each of the 4 filters has one weight per position of its 3-wide window and per input "
        "channel (3 channels), plus one bias per filter."
    )
    assert why["Conv3D"] is not None
    assert why["Conv3D"].startswith(
        "each of the 2 filters has one weight per position of its 2×2×2"
    )
    assert why["SimpleRNN"] is not None
    assert "previous step's output" in why["SimpleRNN"]
    assert why["GRU"] is not None
    assert why["GRU"].startswith("three gates (update, reset and candidate) of 5 units each")
    assert why["LayerNormalization"] is not None
    assert why["LayerNormalization"].startswith("for each feature it learns a scale (gamma)")
    assert why["Concatenate"] is None
    dense = next(layer for layer in kg.explain(models.seed_mlp()).layers if layer.name == "output")
    assert (
        dense.why == "one weight per input per unit (10 inputs × 1 unit), plus one bias per unit."
    )
    lstm = kg.explain(models.rnn()).layers[1]
    assert lstm.why is not None
    assert lstm.why.startswith("four gates (input, forget, cell and output) of 10 units each")
    norm = kg.explain(models.batchnorm()).layers[2]
    assert norm.why is not None
    assert "non-trainable" in norm.why


def test_a_weight_shared_by_two_layers_is_counted_once() -> None:
    class Tied(keras.layers.Layer):
        """Reuses another layer's kernel, transposed (like tied autoencoder weights)."""

        def __init__(self, source: Any, **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.source = source

        def call(self, x: Any) -> Any:
            return keras.ops.matmul(x, keras.ops.transpose(self.source.kernel))

    inputs = keras.Input((6,), name="x")
    encode = keras.layers.Dense(3, name="encode")
    decoded = Tied(encode, name="decode")(encode(inputs))
    model = keras.Model(inputs, decoded)
    explanation = kg.explain(model)
    assert sum(layer.params for layer in explanation.layers) == model.count_params() == 21
    assert _line(model, "decode") == (
        "decode (Tied): kernel 6×3 = 18 (shared with encode, counted there) "
        "+ bias 3 (shared with encode, counted there) = 0"
    )


def test_to_dict_and_html() -> None:
    explanation = kg.explain(models.rnn())
    data = explanation.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["total"] == 491
    assert data["layers"][1]["terms"][1] == {
        "weight": "recurrent_kernel", "shape": [10, 40], "count": 400, "trainable": True,
        "shared_with": None,
    }  # fmt: skip
    html = explanation._repr_html_()
    assert "kernel 1×40 = 40 + recurrent_kernel 10×40 = 400 + bias 40 = 480" in html
    assert "Total: 480 + 11 = 491 parameters" in html


def test_an_unbuilt_model_cannot_be_explained() -> None:
    model = keras.Sequential([keras.layers.Dense(2)], name="later")
    with pytest.raises(kg.OptionError, match=r"explain\(later\): the model is not built yet"
                       r"(.|\n)*hint: start the model with keras.Input"):  # fmt: skip
        kg.explain(model)


@pytest.mark.parametrize("name", ["seed_mlp", "rnn", "batchnorm", "gallery", "nested_deep"])
def test_text_rendering(name: str, overwrite: bool) -> None:
    assert_golden(f"explain_{name}.txt", str(kg.explain(ALL[name]())), overwrite=overwrite)
