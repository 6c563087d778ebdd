"""The catalogue of hint rules (issue 21): each rule both ways.

Every row is a beginner's mistake written in plain Keras, the same model corrected, what
``kg.lint`` is given besides the model (``task=``, ``x=``, ``y=``), and the text the hint
must say. The mistaken model gets exactly that one hint; the corrected one gets none: a
hint on a correct model is a defect.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide.lint import CODES

keras = _k.keras()
L = keras.layers
RNG = np.random.default_rng(0)


def _model(*layers: Any, shape: tuple[int | None, ...] = (20,), dtype: str = "float32") -> Any:
    return keras.Sequential([keras.Input(shape, dtype=dtype), *layers])


def _compiled(*layers: Any, loss: Any, metrics: Any = None, **options: Any) -> Any:
    model = _model(*layers, **options)
    model.compile(optimizer="adam", loss=loss, metrics=metrics)
    return model


def _hidden() -> Any:
    return L.Dense(16, activation="relu")


def _image_head(classes: int = 10) -> list[Any]:
    return [L.GlobalAveragePooling2D(), L.Dense(classes, activation="softmax")]


def _digits(count: int = 32) -> np.ndarray:
    return RNG.integers(0, 256, size=(count, 8, 8)).astype("uint8")


X20 = RNG.normal(size=(32, 20)).astype("float32")
Y10 = RNG.integers(0, 10, size=32)


# code, the mistake, the corrected model, what lint is given, the hint's text
Case = tuple[str, Callable[[], Any], Callable[[], Any], dict[str, Any], str]
CASES: list[Case] = [
    # --- output layers and losses ---
    (
        "sigmoid-with-categorical-loss",
        lambda: _compiled(_hidden(), L.Dense(10, activation="sigmoid"),
                          loss="categorical_crossentropy"),
        lambda: _compiled(_hidden(), L.Dense(10, activation="softmax"),
                          loss="categorical_crossentropy"),
        {},
        r"the loss 'categorical_crossentropy' expects one probability distribution over the "
        r"10 classes.*sigmoid gives each unit its own value.*probably meant: "
        r"activation='softmax'",
    ),
    (
        "softmax-with-binary-loss",
        lambda: _compiled(_hidden(), L.Dense(10, activation="softmax"),
                          loss="binary_crossentropy", metrics=["accuracy"]),
        lambda: _compiled(_hidden(), L.Dense(10, activation="sigmoid"),
                          loss="binary_crossentropy", metrics=["accuracy"]),
        {},
        r"scores each of the 10 outputs as its own yes/no probability, but softmax makes them "
        r"compete.*probably meant: loss='categorical_crossentropy'",
    ),
    (
        "one-unit-classifier",
        lambda: _compiled(_hidden(), L.Dense(1, activation="sigmoid"),
                          loss="categorical_crossentropy"),
        lambda: _compiled(_hidden(), L.Dense(1, activation="sigmoid"), loss="binary_crossentropy"),
        {},
        r"needs one output per class, but this layer has one unit.*probably meant: for yes/no "
        r"labels: Dense\(1, activation='sigmoid'\) with loss='binary_crossentropy'",
    ),
    (
        "softmax-regression",
        lambda: _compiled(_hidden(), L.Dense(1, activation="softmax"), loss="mse"),
        lambda: _compiled(_hidden(), L.Dense(1), loss="mse"),
        {},
        r"the loss 'mse' asks for numbers of any size, but softmax makes the output always 1\.0"
        r".*probably meant: no activation on the output layer \(a linear output\), "
        r"e\.g\. Dense\(1\)",
    ),
    (
        "accuracy-on-regression",
        lambda: _compiled(_hidden(), L.Dense(1), loss="mse", metrics=["accuracy"]),
        lambda: _compiled(_hidden(), L.Dense(1), loss="mse", metrics=["mae"]),
        {},
        r"metrics=\['accuracy'\] counts the predictions equal to the labels.*"
        r"probably meant: metrics=\['mae'\]",
    ),
    (
        "normalization-after-output",
        lambda: _compiled(_hidden(), L.Dense(10, activation="softmax"), L.BatchNormalization(),
                          loss="sparse_categorical_crossentropy"),
        lambda: _compiled(L.Dense(16), L.BatchNormalization(), L.Activation("relu"),
                          L.Dense(10, activation="softmax"),
                          loss="sparse_categorical_crossentropy"),
        {},
        r"BatchNormalization after the output's softmax shifts and rescales the probabilities"
        r".*probably meant: remove it, or move it before the output layer",
    ),
    (
        "dropout-after-output",
        lambda: _model(_hidden(), L.Dense(10, activation="softmax"), L.Dropout(0.5)),
        lambda: _model(_hidden(), L.Dropout(0.5), L.Dense(10, activation="softmax")),
        {},
        r"Dropout after the output's softmax sets some probabilities to 0.*"
        r"probably meant: remove it; dropout belongs between hidden layers",
    ),
    (
        "relu-output",
        lambda: _model(_hidden(), L.Dense(10, activation="relu")),
        lambda: _model(_hidden(), L.Dense(10, activation="softmax")),
        {"task": "classification"},
        r"relu outputs any value from 0 upward.*probably meant: activation='softmax'",
    ),
    # --- input shapes ---
    (
        "batch-in-input-shape",
        lambda: _model(L.Flatten(), L.Dense(10, activation="softmax"), shape=(32, 28, 28)),
        lambda: _model(L.Flatten(), L.Dense(10, activation="softmax"), shape=(28, 28)),
        {},
        r"the input shape \[32, 28, 28\] seems to include a batch size of 32.*"
        r"probably meant: drop the batch size: keras\.Input\(shape=\(28, 28\)\)",
    ),
    (
        "channels-first",
        lambda: _model(L.Conv2D(8, 3), *_image_head(), shape=(3, 32, 32)),
        lambda: _model(L.Conv2D(8, 3), *_image_head(), shape=(32, 32, 3)),
        {},
        r"the input \(None, 3, 32, 32\) puts 3 first.*sees images 3 pixels high and 32 wide, "
        r"with 32 channels.*probably meant: keras\.Input\(shape=\(32, 32, 3\)\)",
    ),
    (
        "integer-input-without-embedding",
        lambda: _model(_hidden(), L.Dense(1, activation="sigmoid"), dtype="int32"),
        lambda: _model(L.Embedding(1000, 8), L.GlobalAveragePooling1D(),
                       L.Dense(1, activation="sigmoid"), dtype="int32"),
        {},
        r"the input holds integers \(int32\).*Dense 'dense\w*' reads them as amounts.*"
        r"probably meant: an Embedding\(vocabulary size, vector size\)",
    ),
    (
        "recurrent-one-step",
        lambda: _model(L.LSTM(8), L.Dense(1), shape=(1, 20)),
        lambda: _model(L.LSTM(8), L.Dense(1), shape=(20, 1)),
        {},
        r"its input \(None, 1, 20\) has 1 time step of 20 features.*"
        r"probably meant: the steps along axis 1: e\.g\. an input shape of \[20, 1\]",
    ),
    # --- convolutions and pooling ---
    (
        "kernel-larger-than-input",
        lambda: _model(L.MaxPooling2D(), L.Conv2D(8, 3, padding="same"), L.Flatten(), L.Dense(1),
                       shape=(2, 2, 8)),
        lambda: _model(L.Conv2D(8, 3, padding="same"), L.MaxPooling2D(), L.Flatten(), L.Dense(1),
                       shape=(2, 2, 8)),
        {},
        r"its input \(None, 1, 1, 8\) is a 1-pixel map, so of each 3×3 kernel only the centre "
        r"weight ever sees the image: the other 8 of every 9 weights read the padding's zeros",
    ),
    (
        "stride-skips-input",
        lambda: _model(L.Conv2D(8, 3, strides=4), *_image_head(), shape=(28, 28, 1)),
        lambda: _model(L.Conv2D(8, 3, strides=2), *_image_head(), shape=(28, 28, 1)),
        {},
        r"strides=\(4, 4\) are larger than its kernel_size 3×3: the windows do not touch",
    ),
    (
        "no-effect",
        lambda: _model(L.MaxPooling2D(padding="same"), L.Flatten(), L.Dense(1), shape=(1, 1, 8)),
        lambda: _model(L.MaxPooling2D(), L.Flatten(), L.Dense(1), shape=(2, 2, 8)),
        {},
        r"its input \(None, 1, 1, 8\) is already 1 pixel wide.*pooled too often",
    ),
    # --- regularisation and normalisation ---
    (
        "batchnorm-axis",
        lambda: _model(L.Conv2D(8, 3), L.BatchNormalization(axis=1), *_image_head(),
                       shape=(28, 28, 1)),
        lambda: _model(L.Conv2D(8, 3), L.BatchNormalization(), *_image_head(), shape=(28, 28, 1)),
        {},
        r"axis=1 normalises each of the 26 entries of axis 1 of its input \(None, 26, 26, 8\)"
        r".*probably meant: axis=-1",
    ),
    (
        "batchnorm-momentum",
        lambda: _model(L.Dense(16), L.BatchNormalization(momentum=0.1), L.Activation("relu"),
                       L.Dense(1)),
        lambda: _model(L.Dense(16), L.BatchNormalization(momentum=0.9), L.Activation("relu"),
                       L.Dense(1)),
        {},
        r"momentum=0\.1 keeps only 10% of the running mean.*PyTorch's momentum=0\.1 is Keras's "
        r"momentum=0\.9",
    ),
    (
        "regularizer-high",
        lambda: _model(L.Dense(16, activation="relu",
                               kernel_regularizer=keras.regularizers.L2(0.5)), L.Dense(1)),
        lambda: _model(L.Dense(16, activation="relu",
                               kernel_regularizer=keras.regularizers.L2(1e-3)), L.Dense(1)),
        {},
        r"kernel_regularizer with l2=0\.5 adds 0\.5 × the size of the weights.*"
        r"probably meant: a factor of 1e-4 to 1e-2",
    ),
    # --- layers ---
    (
        "double-activation",
        lambda: _model(L.Dense(10, activation="relu"), L.Softmax()),
        lambda: _model(L.Dense(10), L.Softmax()),
        {},
        r"'dense\w*' already applies activation='relu', and this layer applies softmax on top "
        r"of it.*probably meant: one activation",
    ),
    (
        "linear-stack",
        lambda: _compiled(L.Dense(16), L.Dense(1, activation="sigmoid"),
                          loss="binary_crossentropy"),
        lambda: _compiled(L.Dense(16, activation="relu"), L.Dense(1, activation="sigmoid"),
                          loss="binary_crossentropy"),
        {},
        r"it has no activation and feeds Dense 'dense\w*' directly: two linear layers in a row "
        r"compute one linear function.*probably meant: activation='relu'",
    ),
    (
        "embedding-swapped",
        lambda: _model(L.Embedding(64, 10000), L.GlobalAveragePooling1D(), L.Dense(1),
                       dtype="int32"),
        lambda: _model(L.Embedding(10000, 64), L.GlobalAveragePooling1D(), L.Dense(1),
                       dtype="int32"),
        {},
        r"input_dim=64 is the vocabulary.*probably meant: Embedding\(input_dim=10000, "
        r"output_dim=64\)",
    ),
    # --- the data given to fit ---
    (
        "input-data-shape",
        lambda: _model(L.Conv2D(4, 3), *_image_head(), shape=(8, 8, 1)),
        lambda: _model(L.Conv2D(4, 3), *_image_head(), shape=(8, 8, 1)),
        {"x": _digits() / 255.0, "good": {"x": (_digits() / 255.0)[..., None]}},
        r"the model expects \(None, 8, 8, 1\), with a channel axis of 1 at the end; x has shape "
        r"\(32, 8, 8\).*probably meant: add the channel axis to the data: x = x\[\.\.\., None\]",
    ),
    (
        "inputs-not-scaled",
        lambda: _model(L.Flatten(), L.Dense(10, activation="softmax"), shape=(8, 8)),
        lambda: _model(L.Flatten(), L.Dense(10, activation="softmax"), shape=(8, 8)),
        {"x": _digits(), "good": {"x": _digits() / 255.0}},
        r"x holds whole numbers from 0 to 255 \(pixel values\?\).*probably meant: scale them "
        r"to 0\.\.1: x = x / 255 before fit",
    ),
    (
        "embedding-vocabulary",
        lambda: _model(L.Embedding(100, 8), L.GlobalAveragePooling1D(), L.Dense(1),
                       shape=(10,), dtype="int32"),
        lambda: _model(L.Embedding(151, 8), L.GlobalAveragePooling1D(), L.Dense(1),
                       shape=(10,), dtype="int32"),
        {"x": np.arange(10 * 16).reshape(16, 10) % 151},
        r"x holds token ids up to 150, but input_dim=100.*probably meant: input_dim=151",
    ),
    (
        "sparse-labels-categorical-loss",
        lambda: _compiled(_hidden(), L.Dense(10, activation="softmax"),
                          loss="categorical_crossentropy"),
        lambda: _compiled(_hidden(), L.Dense(10, activation="softmax"),
                          loss="sparse_categorical_crossentropy"),
        {"x": X20, "y": Y10},
        r"expects one-hot labels of shape \(N, 10\), but y holds one class id per example, shape "
        r"\(32,\).*probably meant: loss='sparse_categorical_crossentropy'",
    ),
    (
        "one-hot-labels-sparse-loss",
        lambda: _compiled(_hidden(), L.Dense(10, activation="softmax"),
                          loss="sparse_categorical_crossentropy"),
        lambda: _compiled(_hidden(), L.Dense(10, activation="softmax"),
                          loss="categorical_crossentropy"),
        {"x": X20, "y": np.eye(10)[Y10]},
        r"expects one class id per example, shape \(N,\), but y is one-hot, shape \(32, 10\).*"
        r"probably meant: loss='categorical_crossentropy'",
    ),
    (
        "labels-out-of-range",
        lambda: _compiled(_hidden(), L.Dense(10, activation="softmax"),
                          loss="sparse_categorical_crossentropy"),
        lambda: _compiled(_hidden(), L.Dense(11, activation="softmax"),
                          loss="sparse_categorical_crossentropy"),
        {"x": X20, "y": np.arange(32) % 10 + 1},
        r"y holds class ids from 1 to 10, but the output has 10 units, for ids 0 to 9 only.*"
        r"probably meant: labels from 0 to 9: y - 1",
    ),
    (
        "regression-loss-on-labels",
        lambda: _compiled(_hidden(), L.Dense(1, activation="sigmoid"), loss="mse"),
        lambda: _compiled(_hidden(), L.Dense(1, activation="sigmoid"), loss="binary_crossentropy"),
        {"x": X20, "y": np.arange(32) % 2},
        r"the loss 'mse' measures distances between numbers, but y holds class labels "
        r"\(0 and 1\).*probably meant: loss='binary_crossentropy'",
    ),
    (
        "output-range",
        lambda: _compiled(_hidden(), L.Dense(1, activation="sigmoid"), loss="mse"),
        lambda: _compiled(_hidden(), L.Dense(1), loss="mse"),
        {"x": X20, "y": np.linspace(100.0, 500.0, 32)},
        r"sigmoid outputs values from 0 to 1, but y runs from 100 to 500.*"
        r"probably meant: no activation on the output layer",
    ),
]  # fmt: skip
IDS = [case[0] for case in CASES]


def _options(given: dict[str, Any], *, good: bool) -> dict[str, Any]:
    options = {k: v for k, v in given.items() if k != "good"}
    return {**options, **given.get("good", {})} if good else options


@pytest.mark.parametrize(("code", "bad", "good", "given", "text"), CASES, ids=IDS)
def test_the_mistake_gets_its_hint(
    code: str, bad: Callable[[], Any], good: Callable[[], Any], given: dict[str, Any], text: str
) -> None:
    hints = kg.lint(bad(), **_options(given, good=False))
    assert [hint.code for hint in hints] == [code], str(hints)
    assert re.search(text, str(hints[0]), re.DOTALL), str(hints[0])
    assert "\x1b" not in str(hints)


@pytest.mark.parametrize(("code", "bad", "good", "given", "text"), CASES, ids=IDS)
def test_the_corrected_model_gets_no_hint(
    code: str, bad: Callable[[], Any], good: Callable[[], Any], given: dict[str, Any], text: str
) -> None:
    hints = kg.lint(good(), **_options(given, good=True))
    assert not hints, str(hints)


def test_the_catalogue_holds_25_new_rules_each_tested_both_ways() -> None:
    before = {
        "softmax-one-unit", "missing-output-activation", "relu-output",
        "wrong-output-activation", "activation-with-logits", "dense-without-flatten",
        "return-sequences", "dropout-high", "no-effect",
    }  # fmt: skip
    training = {"loss-nan", "loss-constant", "accuracy-at-chance"}  # tests/test_live_hints.py
    new = set(CODES) - before
    assert len(new) >= 25
    assert new - training <= set(IDS)
