"""Issue 21: hints reach the student where they are, with precise fixes.

A spec's ``task:`` and ``loss:`` (build warns before training), build errors that name
the real fix (a channel axis, a leading None, the poolings that shrank a map, a time
axis), ``check_summary`` naming the setting the numbers determine, a failed check
carrying lint's hint, and no terminal colour codes in any message.
"""

from __future__ import annotations

import contextlib
import io
import re
import warnings
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k

keras = _k.keras()
L = keras.layers


def _codes(spec: Any) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        kg.build(spec)
    return [w.message.code for w in caught if isinstance(w.message, kg.KerasGuideWarning)]


# --- task: and loss: in a spec ------------------------------------------------------------

HEAD = [{"Dense": 16, "activation": "relu"}]


@pytest.mark.parametrize(
    ("top", "output", "code"),
    [
        ({"task": "classification"}, {"Dense": 10, "activation": "relu"}, "relu-output"),
        ({"task": "regression"}, {"Dense": 3, "activation": "softmax"}, "softmax-regression"),
        ({"task": "binary"}, {"Dense": 1}, "missing-output-activation"),
        ({"loss": "categorical_crossentropy"}, {"Dense": 10, "activation": "sigmoid"},
         "sigmoid-with-categorical-loss"),
        ({"loss": "binary_crossentropy"}, {"Dense": 10, "activation": "softmax"},
         "softmax-with-binary-loss"),
        ({"loss": {"name": "categorical_crossentropy", "from_logits": True}},
         {"Dense": 10, "activation": "softmax"}, "activation-with-logits"),
        ({"loss": "mse", "metrics": ["accuracy"]}, {"Dense": 1}, "accuracy-on-regression"),
    ],
)  # fmt: skip
def test_build_hints_before_training_from_the_spec_task_or_loss(
    top: dict[str, Any], output: dict[str, Any], code: str
) -> None:
    spec = {"input_shape": [20], **top, "layers": [*HEAD, output]}
    assert _codes(spec) == [code]
    assert [h.code for h in kg.lint(spec)] == [code]
    assert kg.lint(spec)[0].path == "layers[1]"


@pytest.mark.parametrize(
    ("top", "output"),
    [
        ({"task": "classification"}, {"Dense": 10, "activation": "softmax"}),
        ({"task": "binary"}, {"Dense": 1, "activation": "sigmoid"}),
        ({"task": "regression"}, {"Dense": 1}),
        ({"loss": {"name": "categorical_crossentropy", "from_logits": True}}, {"Dense": 10}),
        ({"loss": "mse", "metrics": ["mae"], "optimizer": "sgd"}, {"Dense": 1}),
    ],
)
def test_a_correct_head_for_its_task_or_loss_has_no_hint(
    top: dict[str, Any], output: dict[str, Any]
) -> None:
    spec = {"input_shape": [20], **top, "layers": [*HEAD, output]}
    assert _codes(spec) == []


def test_a_spec_loss_compiles_the_model_and_to_code_writes_the_compile() -> None:
    spec = {"kind": "mlp", "inputs": 4, "hidden": [8], "outputs": 3,
            "output_activation": "softmax", "loss": "sparse_categorical_crossentropy",
            "metrics": ["accuracy"]}  # fmt: skip
    model = kg.build(spec)
    assert model.compiled
    assert model.loss == "sparse_categorical_crossentropy"
    assert kg.load_spec(spec).to_dict()["loss"] == "sparse_categorical_crossentropy"
    code = kg.to_code(spec)
    assert code.endswith(
        'model.compile(\n    optimizer="adam",\n    loss="sparse_categorical_crossentropy",\n'
        '    metrics=["accuracy"],\n)\n'
    )
    namespace: dict[str, Any] = {}
    exec(compile(code, "<to_code>", "exec"), namespace)
    assert namespace["model"].loss == "sparse_categorical_crossentropy"
    logits = {**spec, "loss": {"name": "categorical_crossentropy", "from_logits": True}}
    assert "loss=keras.losses.CategoricalCrossentropy(from_logits=True)," in kg.to_code(logits)
    assert not kg.build({"input_shape": [4], "task": "binary",
                         "layers": [{"Dense": 1, "activation": "sigmoid"}]}).compiled  # fmt: skip


@pytest.mark.parametrize(
    ("top", "pattern"),
    [
        ({"task": "clasification"}, r"task: unknown task(.|\n)*did you mean 'classification'"),
        ({"loss": "categorical_crossentropi"},
         r"loss: unknown loss(.|\n)*did you mean 'categorical_crossentropy'"),
        ({"metrics": ["accuracy"]}, r"metrics: `metrics:` compiles the model, which needs a loss"),
        ({"loss": {"name": "mse", "from_logits": True}}, r"loss.name: 'mse' takes no from_logits"),
        ({"loss": "mse", "optimizer": "adamm"}, r"optimizer: unknown optimizer 'adamm'"),
        ({"loss": "mse", "metrics": [3]}, r"metrics\[0\]: a metric is named by a string"),
    ],
)  # fmt: skip
def test_training_keys_are_checked_with_where_expected_and_a_fix(
    top: dict[str, Any], pattern: str
) -> None:
    with pytest.raises(kg.SpecError, match=pattern):
        kg.load_spec({"input_shape": [4], **top, "layers": [{"Dense": 1}]})


def test_a_nested_model_may_not_give_a_loss() -> None:
    inner = {"input_shape": [4], "loss": "mse", "layers": [{"Dense": 2}]}
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.model\.loss: only the top-level spec"):
        kg.load_spec({"input_shape": [4], "layers": [{"model": inner}]})


# --- build errors that name the real fix ---------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "fix"),
    [
        ({"input_shape": [28, 28], "layers": [{"Conv2D": 8, "kernel_size": 3}, "Flatten"]},
         r"add a channel axis: input_shape: \[28, 28, 1\] \(1 for grayscale, 3 for colour\), "
         r"and give the data the same axis: x = x\[\.\.\., None\]"),
        ({"inputs": {"image": [28, 28]},
          "layers": [{"Conv2D": 8, "kernel_size": 3}, "Flatten", {"Dense": 1}]},
         r"add a channel axis: inputs\.image: \[28, 28, 1\]"),
        ({"input_shape": [None, 28, 28], "layers": ["Flatten", {"Dense": 10}]},
         r"starts with null \(None\): Keras adds the batch axis itself.*"
         r"drop the leading None: input_shape: \[28, 28\]"),
        ({"input_shape": [10], "layers": [{"LSTM": 8}, {"Dense": 1}]},
         r"give the input a time axis: input_shape: \[10, 1\] \(10 steps of 1 feature\)"),
        ({"input_shape": [8, 8, 1],
          "layers": [{"MaxPooling2D": 2}, {"MaxPooling2D": 2}, {"MaxPooling2D": 2},
                     {"MaxPooling2D": 2}]},
         r"The map shrinks 8×8 \(input\) → 4×4 \(max_pooling2d_1\) → 2×2 \(max_pooling2d_2\) → "
         r"1×1 \(max_pooling2d_3\), and a 2×2 window no longer fits in it"),
    ],
    ids=["channel-axis", "channel-axis-functional", "leading-none", "time-axis", "over-pooling"],
)  # fmt: skip
def test_build_errors_name_the_precise_fix_without_colour_codes(spec: Any, fix: str) -> None:
    with pytest.raises(kg.BuildError) as caught:
        kg.build(spec)
    assert re.search(fix, str(caught.value), re.DOTALL), str(caught.value)
    assert "\x1b" not in str(caught.value)
    assert "Flatten or Reshape may be missing" not in str(caught.value)
    assert all("\x1b" not in str(v) for v in caught.value.to_dict().values() if v)


def test_error_text_never_holds_terminal_colour_codes() -> None:
    err = kg.SpecError("\x1b[1mbold\x1b[0m", where="x", received="\x1b[31mred\x1b[0m",
                       hint="\x1b[4mfix\x1b[0m")  # fmt: skip
    assert str(err) == "x: bold\n  received: red\n  hint: fix"


def test_a_leading_none_for_a_recurrent_layer_is_a_variable_length_not_a_mistake() -> None:
    spec = {"input_shape": [None, 8], "layers": [{"LSTM": 4}, {"Dense": 1}]}
    assert _codes(spec) == []


# --- check_summary names the setting the numbers determine ---------------------------------


def _summary(model: Any) -> str:
    text = io.StringIO()
    with contextlib.redirect_stdout(text):
        model.summary()
    return text.getvalue()


@pytest.mark.parametrize(
    ("make", "expected", "found", "finding"),
    [
        (lambda b: [L.Dense(4, use_bias=b), L.Dense(1)], True, False,
         r"layer 1 \(Dense\): expected use_bias=True, found use_bias=False — it has 32 "
         r"parameters instead of 36\n     hint: set use_bias=True on this layer"),
        (lambda n: [L.Embedding(n, 16), L.GlobalAveragePooling1D(), L.Dense(1)], 1000, 500,
         r"layer 1 \(Embedding\): expected a vocabulary of 1000 \(input_dim=1000\), found 500"
         r" — it has 8,000 parameters instead of 16,000\n     hint: set input_dim=1000"),
        (lambda p: [L.Conv2D(8, 3, padding=p), L.Flatten(), L.Dense(1)], "same", "valid",
         r"layer 1 \(Conv2D\): expected padding='same', found padding='valid' — its output is "
         r"\(None, 26, 26, 8\) instead of \(None, 28, 28, 8\)\n     hint: set padding='same'"),
        (lambda k: [L.Conv2D(8, k, padding="same"), L.Flatten(), L.Dense(1)], 3, 5,
         r"expected kernel_size=\(3, 3\), found kernel_size=\(5, 5\) — it has 208 parameters "
         r"instead of 80"),
        (lambda p: [L.MaxPooling2D(p), L.Flatten(), L.Dense(1)], 2, 3,
         r"expected pool_size=\(2, 2\), found pool_size=\(3, 3\)"),
    ],
    ids=["bias", "vocabulary", "padding", "kernel", "pool"],
)  # fmt: skip
def test_check_summary_names_the_setting_from_the_numbers(
    make: Any, expected: Any, found: Any, finding: str
) -> None:
    shape, dtype = ((10,), "int32") if expected == 1000 else ((8,), "float32")
    if isinstance(make(expected)[0], (L.Conv2D, L.MaxPooling2D)):
        shape, dtype = (28, 28, 1), "float32"
    model = lambda value: keras.Sequential([keras.Input(shape, dtype=dtype), *make(value)])  # noqa: E731
    result = kg.check_summary(model(found), _summary(model(expected)))
    assert re.search(finding, str(result)), str(result)
    assert "check the settings of this layer" not in str(result)


# --- a failed check carries lint's hint ----------------------------------------------------


def test_a_failed_check_adds_lint_s_hint_to_the_finding_about_the_same_layer() -> None:
    def classifier(activation: str) -> Any:
        model = keras.Sequential(
            [keras.Input((20,)), L.Dense(16, activation="relu"),
             L.Dense(10, activation=activation)]
        )  # fmt: skip
        model.compile(loss="categorical_crossentropy")
        return model

    result = kg.check_model(classifier("sigmoid"), classifier("softmax"))
    (finding,) = result.findings
    assert finding.message == "expected activation 'softmax', found 'sigmoid'"
    assert finding.hint is not None
    assert finding.hint.startswith("set activation='softmax' on this layer")
    assert "Also, the loss 'categorical_crossentropy' expects one probability distribution" in (
        finding.hint
    )
    assert finding.hint.endswith("[sigmoid-with-categorical-loss]")
    assert kg.check_model(classifier("softmax"), classifier("softmax"))


def test_a_hint_the_reference_shares_is_left_out_of_the_finding() -> None:
    def model(units: int) -> Any:
        return keras.Sequential([keras.Input((20,)), L.Dense(units), L.Dropout(0.95), L.Dense(1)])

    (finding, *_) = kg.check_model(model(8), model(16)).findings
    assert "dropout-high" not in str(finding.hint)
