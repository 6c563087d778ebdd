"""A scored set of beginner mistakes, met as a student meets them (issue 21).

Each mistake is what a new user really writes: a spec given to ``kg.build``, a Keras model
compiled and given to ``kg.lint``, a model checked with ``kg.check_summary``. What the
student then reads (a warning, an error, a check's findings) is scored on five points:

- **where**: it names the place (the spec path, or the layer);
- **expected**: it says what was expected;
- **received**: it says what was received;
- **fix**: it names the precise fix;
- **clean**: no raw TensorFlow traceback, and no terminal colour codes.

The four silent mistakes of the issue (a relu classifier, sigmoid outputs with a
categorical loss, BatchNormalization after the softmax, a softmax regression trained
with mse) and the two that got misleading fixes (a batch axis in the input shape, a
Conv2D without a channel axis) come first. ``python -m tests.mistakes`` prints the
table; ``tests/test_mistakes.py`` asserts the full score. The file runs against older
versions of kerasguide too, to measure a before and after.
"""

from __future__ import annotations

import contextlib
import io
import re
import sys
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import kerasguide as kg
import kerasguide._keras as _k

POINTS = ("where", "expected", "received", "fix", "clean")


@dataclass(frozen=True)
class Mistake:
    """One mistake: how the student meets it, and what a good message must say."""

    name: str
    meet: Callable[[], str]  # what the student reads
    where: str  # regexes the text must match, one per point
    expected: str
    received: str
    fix: str


def _keras() -> Any:
    return _k.keras()


def _build(spec: dict[str, Any]) -> str:
    """What ``kg.build(spec)`` shows: its warnings, or its error."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            kg.build(spec)
        except kg.KerasGuideError as err:
            return f"{type(err).__name__}: {err}"
        except Exception as err:  # a raw TensorFlow error reaches the student
            return f"TRACEBACK {type(err).__name__}: {err}"
    return "\n".join(str(w.message) for w in caught if isinstance(w.message, kg.KerasGuideWarning))


def _lint(*layers: Any, loss: str, shape: tuple[int, ...] = (20,)) -> str:
    """What ``kg.lint(model)`` prints for a compiled Keras model."""
    keras = _keras()
    model = keras.Sequential([keras.Input(shape), *layers])
    model.compile(optimizer="adam", loss=loss)
    return str(kg.lint(model))


def _summary(model: Any) -> str:
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary()
    return text.getvalue()


def _check(make: Callable[[Any], list[Any]], shape: tuple[int, ...], good: Any, bad: Any) -> str:
    """What ``kg.check_summary(student, expected summary)`` prints."""
    keras = _keras()
    dtype = "int32" if len(shape) == 1 and shape[0] == 10 else "float32"
    model = lambda value: keras.Sequential([keras.Input(shape, dtype=dtype), *make(value)])  # noqa: E731
    return str(kg.check_summary(model(bad), _summary(model(good))))


def _layers() -> Any:
    return _keras().layers


MISTAKES: list[Mistake] = [
    Mistake(
        "a classifier whose last layer uses relu",
        lambda: _lint(_layers().Dense(16, activation="relu"),
                      _layers().Dense(10, activation="relu"), loss="categorical_crossentropy"),
        r"'dense\w*' \(Dense\)", r"probabilit", r"relu outputs any value from 0 upward",
        r"activation='softmax'",
    ),
    Mistake(
        "sigmoid outputs trained with categorical_crossentropy",
        lambda: _lint(_layers().Dense(16, activation="relu"),
                      _layers().Dense(10, activation="sigmoid"), loss="categorical_crossentropy"),
        r"'dense\w*' \(Dense\)", r"one probability distribution over the 10 classes",
        r"sigmoid gives each unit its own value", r"activation='softmax'",
    ),
    Mistake(
        "a BatchNormalization after the final softmax",
        lambda: _lint(_layers().Dense(16, activation="relu"),
                      _layers().Dense(10, activation="softmax"),
                      _layers().BatchNormalization(), loss="sparse_categorical_crossentropy"),
        r"'batch_normalization\w*' \(BatchNormalization\)", r"between 0 and 1",
        r"after the output's softmax", r"remove it, or move it before the output layer",
    ),
    Mistake(
        "a softmax head on a regression trained with mse",
        lambda: _lint(_layers().Dense(16, activation="relu"),
                      _layers().Dense(1, activation="softmax"), loss="mse"),
        r"'dense\w*' \(Dense\)", r"numbers of any size", r"softmax makes the output always 1",
        r"no activation on the output layer",
    ),
    Mistake(
        "input_shape with a leading None for the batch",
        lambda: _build({"input_shape": [None, 28, 28],
                        "layers": ["Flatten", {"Dense": 10, "activation": "softmax"}]}),
        r"layers\[1\]|input_shape", r"Keras adds the batch axis itself",
        r"\[null, 28, 28\]|\[None, 28, 28\]", r"drop the leading None: input_shape: \[28, 28\]",
    ),
    Mistake(
        "input_shape with the batch size in it",
        lambda: _build({"input_shape": [32, 28, 28],
                        "layers": ["Flatten", {"Dense": 10, "activation": "softmax"}]}),
        r"input_shape", r"Keras adds the batch axis itself", r"\[32, 28, 28\]",
        r"input_shape: \[28, 28\]",
    ),
    Mistake(
        "a Conv2D on images without a channel axis",
        lambda: _build({"input_shape": [28, 28],
                        "layers": [{"Conv2D": 8, "kernel_size": 3}, "Flatten", {"Dense": 10}]}),
        r"layers\[0\]", r"channel axis last", r"\(None, 28, 28\)",
        r"add a channel axis: input_shape: \[28, 28, 1\]",
    ),
    Mistake(
        "four poolings of an 8×8 image",
        lambda: _build({"input_shape": [8, 8, 1], "layers": [{"MaxPooling2D": 2}] * 4}),
        r"layers\[3\]", r"input shapes that MaxPooling2D accepts", r"\(None, 1, 1, 1\)",
        r"shrinks 8×8 .* → 1×1.*remove this layer or one of the poolings",
    ),
    Mistake(
        "a Dense layer without its bias (check_summary)",
        lambda: _check(lambda b: [_layers().Dense(4, use_bias=b), _layers().Dense(1)], (8,),
                       True, False),
        r"layer 1 \(Dense\)", r"expected use_bias=True", r"found use_bias=False",
        r"set use_bias=True",
    ),
    Mistake(
        "an Embedding with the wrong vocabulary size (check_summary)",
        lambda: _check(lambda n: [_layers().Embedding(n, 16), _layers().GlobalAveragePooling1D(),
                                  _layers().Dense(1)], (10,), 1000, 500),
        r"layer 1 \(Embedding\)", r"expected a vocabulary of 1000", r"found 500",
        r"set input_dim=1000",
    ),
    Mistake(
        "padding='valid' where 'same' was expected (check_summary)",
        lambda: _check(lambda p: [_layers().Conv2D(8, 3, padding=p), _layers().Flatten(),
                                  _layers().Dense(1)], (28, 28, 1), "same", "valid"),
        r"layer 1 \(Conv2D\)", r"expected padding='same'", r"found padding='valid'",
        r"set padding='same'",
    ),
    Mistake(
        "integer labels with categorical_crossentropy",
        lambda: _labels(),
        r"'dense\w*' \(Dense\)", r"expects one-hot labels of shape \(N, 10\)",
        r"y holds one class id per example", r"loss='sparse_categorical_crossentropy'",
    ),
]  # fmt: skip


def _labels() -> str:
    import numpy as np

    keras = _keras()
    model = keras.Sequential([keras.Input((20,)), _layers().Dense(16, activation="relu"),
                              _layers().Dense(10, activation="softmax")])  # fmt: skip
    model.compile(optimizer="adam", loss="categorical_crossentropy")
    x, y = np.zeros((8, 20), "float32"), np.arange(8)
    try:
        return str(kg.lint(model, x=x, y=y))  # type: ignore[call-arg]
    except TypeError:  # a kerasguide without lint(x=..., y=...): what fit says
        try:
            model.fit(x, y, epochs=1, verbose=0)
        except Exception as err:
            return f"TRACEBACK {type(err).__name__}: {err}"
    return ""


def score(mistake: Mistake) -> dict[str, int]:
    """One point for each of :data:`POINTS` the student's text earns."""
    text = mistake.meet()
    clean = bool(text) and "TRACEBACK" not in text and "\x1b" not in text
    return {
        "where": int(bool(re.search(mistake.where, text))),
        "expected": int(bool(re.search(mistake.expected, text))),
        "received": int(bool(re.search(mistake.received, text))),
        "fix": int(bool(re.search(mistake.fix, text, re.DOTALL))),
        "clean": int(clean),
    }


def main() -> int:
    """Print each mistake's points, and the total; return the points missed."""
    total = 0
    for mistake in MISTAKES:
        points = score(mistake)
        total += sum(points.values())
        marks = " ".join(f"{k}={v}" for k, v in points.items())
        print(f"{sum(points.values())}/5  {mistake.name:62} {marks}")
    print(f"{total}/{5 * len(MISTAKES)}")
    return 5 * len(MISTAKES) - total


if __name__ == "__main__":
    sys.exit(1 if main() else 0)
