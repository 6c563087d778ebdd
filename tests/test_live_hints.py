"""Hints at fit time (issue 21): LivePlot names the classic signs of a model that trains
without learning once the first epoch ends, and says nothing of a model that learns."""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k

pytestmark = pytest.mark.slow  # see pyproject.toml: make unit leaves it to make test

keras = _k.keras()
L = keras.layers


def _fit(model: Any, x: np.ndarray, y: np.ndarray, **options: Any) -> kg.LivePlot:
    live = kg.LivePlot(**options)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(x, y, epochs=2, batch_size=32, verbose=0, callbacks=[live])
    ours = [w.message for w in caught if isinstance(w.message, kg.KerasGuideWarning)]
    assert [w.code for w in ours] == [h.code for h in live.hints]
    return live


def _classifier(output: Any, loss: str, optimizer: Any = "adam") -> Any:
    keras.utils.set_random_seed(0)
    model = keras.Sequential([keras.Input((20,)), L.Dense(16, activation="relu"), output])
    model.compile(optimizer=optimizer, loss=loss, metrics=["accuracy"])
    return model


def _data(count: int = 640) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.normal(size=(count, 20)).astype("float32")
    return x, np.argmax(x[:, :10], axis=1)  # learnable: the largest of the first ten


def test_a_nan_loss() -> None:
    x, _ = _data()
    y = x.sum(axis=1)
    y[5] = np.nan  # one missing label
    live = _fit(_classifier(L.Dense(1), "mse"), x, y)
    assert [h.code for h in live.hints] == ["loss-nan"]
    assert str(live.hints[0]).startswith("fit 'sequential")
    assert "the loss became NaN" in live.hints[0].message
    assert "a smaller learning rate" in live.hints[0].meant


def test_a_constant_loss() -> None:
    x, _ = _data()
    model = _classifier(L.Dense(1, activation="sigmoid"), "categorical_crossentropy")
    live = _fit(model, x, np.ones((len(x), 1)))
    assert [h.code for h in live.hints] == ["loss-constant"]
    assert "the loss stayed at 0 for all 20 batches of the first epoch" in live.hints[0].message


def test_accuracy_at_chance_while_the_loss_does_not_fall() -> None:
    x, _ = _data(2000)
    model = _classifier(
        L.Dense(10, activation="relu"),
        "sparse_categorical_crossentropy",
        optimizer=keras.optimizers.SGD(learning_rate=0.0),
    )
    live = _fit(model, x, np.random.default_rng(1).integers(0, 10, len(x)))
    assert [h.code for h in live.hints] == ["accuracy-at-chance"]
    assert "what guessing among 10 classes scores (1/10 = 0.100)" in live.hints[0].message


def test_a_model_that_learns_gets_no_hint() -> None:
    x, y = _data(2000)
    model = _classifier(
        L.Dense(10, activation="softmax"),
        "sparse_categorical_crossentropy",
        optimizer=keras.optimizers.Adam(learning_rate=0.01),
    )
    live = _fit(model, x, y)
    assert not live.hints
    assert live.history["accuracy"][-1] > 0.5


def test_fit_hints_are_silenced_by_name_and_unknown_names_refused() -> None:
    x, _ = _data()
    model = _classifier(L.Dense(1, activation="sigmoid"), "categorical_crossentropy")
    live = _fit(model, x, np.ones((len(x), 1)), ignore_hints=["loss-constant"])
    assert not live.hints
    with pytest.raises(kg.OptionError, match=r"unknown hint code 'loss-constnat'"):
        kg.LivePlot(ignore_hints=["loss-constnat"])
