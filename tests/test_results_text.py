"""Results as text (issue 11): repr, str, text/plain and HTML; summarize's torchinfo options.

The multiply-add figures are checked against counts done by hand, written out
beside each case.
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from typing import Any

import pytest
from IPython.core.formatters import PlainTextFormatter

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide.errors import OptionError
from tests import models
from tests.golden import assert_golden

keras = _k.keras()
layers = keras.layers


def _student() -> Any:
    """The seed MLP with its second hidden layer too small and no output activation."""
    return keras.Sequential(
        [
            keras.Input((10,), name="input"),
            layers.Dense(10, activation="relu", name="hidden_1"),
            layers.Dense(10, activation="relu", name="hidden_2"),
            layers.Dense(10, activation="relu", name="hidden_3"),
            layers.Dense(1, name="output"),
        ],
        name="student",
    )


def _results() -> dict[str, Any]:
    seed = models.seed_mlp()
    return {
        "summary": kg.summarize(seed),
        "explain": kg.explain(seed),
        "check_failed": kg.check_model(_student(), seed),
        "check_passed": kg.check_model(models.seed_mlp(), seed),
        "hints": kg.lint(
            keras.Sequential([keras.Input((4,)), layers.Dense(1, activation="softmax")])
        ),
    }


# --- plain text everywhere -------------------------------------------------------------


@pytest.mark.parametrize("name", ["summary", "explain", "check_failed", "check_passed", "hints"])
def test_repr_str_and_text_plain_are_the_same_text(name: str, overwrite: bool) -> None:
    result = _results()[name]
    text = repr(result)
    assert text == str(result)
    # Jupyter's text/plain: IPython's formatter, as a notebook stores it (no final newline).
    assert PlainTextFormatter()(result) == text.rstrip("\n")
    assert_golden(f"text_{name}.txt", text, overwrite=overwrite)
    assert_golden(f"text_{name}.html", result._repr_html_() + "\n", overwrite=overwrite)


def test_a_failed_check_never_carries_the_pass_sentence() -> None:
    failed = kg.check_model(_student(), models.seed_mlp())
    assert not failed
    assert failed.passed_text == ""
    assert "matches" not in repr(failed)
    assert "PASS" not in repr(failed)
    assert repr(failed).startswith("FAIL: 4 differences from the reference model:\n")
    params = kg.check_params(models.seed_mlp(), total=552)
    assert params.passed_text == ""
    assert "expected parameter counts (" not in repr(params)
    finding = failed.findings[0]
    built = kg.CheckResult("check_model", "the reference", (finding,), "all is well")
    assert built.passed_text == ""
    assert "all is well" not in repr(built)
    passed = kg.check_model(models.seed_mlp(), models.seed_mlp())
    assert (
        repr(passed) == "PASS: the model matches the reference model (4 layers, 551 parameters).\n"
    )


def test_a_layer_of_an_explanation_reprs_as_its_arithmetic() -> None:
    layer = kg.explain(models.seed_mlp()).layers[2]
    assert repr(layer) == "hidden_2 (Dense): kernel 10×20 = 200 + bias 20 = 220"


_PYTEST_FILE = """
import keras
import kerasguide as kg


def student():
    return keras.Sequential([keras.Input((10,)), keras.layers.Dense(10, activation="relu"),
                             keras.layers.Dense(10, activation="relu"),
                             keras.layers.Dense(10, activation="relu"), keras.layers.Dense(1)])


def test_assert_a_short_result():
    assert kg.check_params(student(), total=551)


def test_assert_a_long_result():
    assert kg.check_model(student(), kg.load_example("mlp"))


def test_raise_for_failure():
    kg.check_model(student(), kg.load_example("mlp")).raise_for_failure()
"""


def _pytest_lines(output: str) -> str:
    """The failure lines of a pytest run, without addresses, timings and paths."""
    keep = [line for line in output.splitlines() if line.startswith(("E ", ">", "____", "FAILED"))]
    text = "\n".join(keep) + "\n"
    text = re.sub(r" at 0x[0-9a-f]+", " at 0x…", text)
    return re.sub(r"name=sequential(_\d+)?", "name=sequential", text)


def test_what_pytest_prints_for_a_failed_check(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, overwrite: bool
) -> None:
    """A real failing test file run by pytest, as a student's course runs it.

    In this process (pytester keeps the two runs apart), so TensorFlow is not imported
    again; the text is the same as from ``pytest`` on the command line.
    """
    pytester.makepyfile(test_student=textwrap.dedent(_PYTEST_FILE))
    monkeypatch.setenv("COLUMNS", "100")
    for name in ("PYTEST_ADDOPTS", "CI", "BUILD_NUMBER"):  # on CI, pytest never truncates
        monkeypatch.delenv(name, raising=False)
    run = pytester.runpytest_inprocess("-q", "-p", "no:cacheprovider", "-W", "ignore")
    output = run.stdout.str()
    assert run.ret == 1, output
    text = _pytest_lines(output)
    # The short result's finding is in the assertion line; the long one's first and last.
    assert "E       assert FAIL: 1 difference from the expected parameter counts:\\n" in text
    assert "expected 551 parameters in total" in text
    assert "E         1. layer 2 (Dense): expected 20 units, found 10" in text
    assert_golden("text_pytest_failures.txt", text, overwrite=overwrite)


# --- a Sequential built with add() -----------------------------------------------------


def _keras_header(model: Any) -> str:
    """The header of Keras's own summary (its titles may be cut short: ``Connected…``)."""
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line))
    return next(line for line in "\n".join(lines).splitlines() if "Layer (type)" in line)


def _added_with_input() -> Any:
    model = keras.Sequential(name="added")
    model.add(keras.Input((4,)))
    model.add(layers.Dense(2))
    model.add(layers.Dense(1))
    return model


def _added_then_built() -> Any:
    model = keras.Sequential(name="added")
    model.add(layers.Dense(2))
    model.add(layers.Dense(1))
    model.build((None, 4))
    return model


def _listed_then_added() -> Any:
    model = keras.Sequential([keras.Input((4,)), layers.Dense(2)], name="added")
    model.add(layers.Dense(1))
    return model


def _added_after_a_call() -> Any:
    model = keras.Sequential(name="added")
    model.add(keras.Input((4,)))
    model.add(layers.Dense(2))
    model(keras.ops.ones((1, 4)))
    model.add(layers.Dense(1))
    model(keras.ops.ones((1, 4)))
    return model


@pytest.mark.parametrize(
    "make", [_added_with_input, _added_then_built, _listed_then_added, _added_after_a_call]
)
def test_a_sequential_built_with_add_has_no_connected_to_column(make: Callable[[], Any]) -> None:
    model = make()
    assert "Conn" not in _keras_header(model)  # Keras's own summary
    summary = kg.summarize(model)
    assert "Connected to" not in str(summary)
    assert "Connected to" not in summary._repr_html_()
    assert [row.params for row in summary.layers] == [10, 3]
    assert "Connected to" not in str(kg.summarize(model, expand_nested=True, style="ascii"))


def test_a_functional_graph_that_is_not_a_chain_keeps_its_connections() -> None:
    assert "Conn" in _keras_header(models.shared_layer())
    assert "Connected to" in str(kg.summarize(models.shared_layer()))


# --- depth -----------------------------------------------------------------------------


def test_depth_shows_nested_layers_down_to_that_level(overwrite: bool) -> None:
    model = models.nested_deep()
    rows = {d: [(r.depth, r.name) for r in kg.summarize(model, depth=d).rows] for d in (1, 2, 3)}
    assert rows[1] == [(r.depth, r.name) for r in kg.summarize(model).rows]
    assert rows[3] == [(r.depth, r.name) for r in kg.summarize(model, expand_nested=True).rows]
    assert rows[2] == [
        (0, "outer_input"), (0, "middle"), (1, "middle_input"), (1, "core"),
        (1, "middle_dense"), (0, "outer_norm"), (0, "outer_dense"),
    ]  # fmt: skip
    assert kg.summarize(model, depth=9).rows == kg.summarize(model, expand_nested=True).rows
    two = kg.summarize(model, depth=2, expand_nested=True)
    assert [r.name for r in two.rows] == [name for _, name in rows[2]]
    assert two.total == model.count_params()
    assert_golden("text_summary_depth2.txt", str(two), overwrite=overwrite)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"depth": 0}, r"summarize\(depth=\.\.\.\)(.|\n)*received: 0"),
        ({"depth": True}, r"depth must be a whole number"),
        ({"depth": "2"}, r"received: '2'"),
        ({"columns": ["trainable", "param_percent"]}, r"did you mean 'params_percent'"),
        ({"columns": 3}, r"columns must list column names"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], match: str) -> None:
    with pytest.raises(OptionError, match=match):
        kg.summarize(models.seed_mlp(), **options)


# --- columns: trainable, params_percent, mult_adds -------------------------------------


def _frozen_functional() -> Any:
    inputs = keras.Input((4,), name="x")
    hidden = layers.Dense(3, name="frozen", trainable=False)(inputs)
    hidden = layers.BatchNormalization(name="norm")(hidden)
    hidden = layers.Dropout(0.1, name="drop")(hidden)
    return keras.Model(inputs, layers.Dense(1, name="out")(hidden), name="partly_frozen")


def _keras_trainable_column(model: Any) -> list[str]:
    lines: list[str] = []
    model.summary(print_fn=lambda line, **_: lines.append(line), show_trainable=True)
    text = "\n".join(lines)
    return re.findall(r"│\s+([YN-])\s+│\s*$", text, flags=re.MULTILINE)


@pytest.mark.parametrize("make", [_frozen_functional, models.gallery, models.multi_input])
def test_the_trainable_column_is_keras_show_trainable(make: Callable[[], Any]) -> None:
    model = make()
    summary = kg.summarize(model, columns=["trainable"])
    ours = [summary._extra_cell(row, "trainable") for row in summary.rows]
    assert ours == _keras_trainable_column(model)
    assert "Trainable" in str(summary).splitlines()[2]


def test_params_percent_is_each_layers_share() -> None:
    summary = kg.summarize(models.seed_mlp(), columns="params_percent")
    cells = [summary._extra_cell(row, "params_percent") for row in summary.rows]
    # 110/551, 220/551, 210/551, 11/551
    assert cells == ["-", "19.96%", "39.93%", "38.11%", "2.00%"]
    assert sum(row.params for row in summary.rows) / summary.total == 1


def test_the_default_summary_is_unchanged() -> None:
    model = models.seed_mlp()
    assert str(kg.summarize(model)) == str(kg.summarize(model, columns=(), depth=None))
    assert "mult_adds" not in kg.summarize(model).to_dict()
    assert kg.summarize(model).mult_adds is None


def _mult_adds(model: Any) -> dict[str, int | None]:
    summary = kg.summarize(model, columns=["mult_adds"], expand_nested=True)
    return {row.name: row.mult_adds for row in summary.rows if row.params}


def _one(layer: Any, shape: tuple[int | None, ...], dtype: str = "float32") -> Any:
    inputs = keras.Input(shape, dtype=dtype, name="x")
    return keras.Model(inputs, layer(inputs), name="one")


HAND_COUNTS: list[tuple[str, Callable[[], Any], dict[str, int | None]]] = [
    # hidden_1 10 inputs × 10 units = 100; hidden_2 10 × 20 = 200; hidden_3 20 × 10 = 200;
    # output 10 × 1 = 10
    ("seed_mlp", models.seed_mlp,
     {"hidden_1": 100, "hidden_2": 200, "hidden_3": 200, "output": 10}),
    # conv2d_1: 8×8 input, 3×3 kernel, valid → 6×6 positions; 6·6 × 3·3 × 1 channel × 8 filters
    # = 36 × 9 × 8 = 2,592. dense_1: 3·3·8 = 72 inputs × 10 units = 720
    ("cnn", models.cnn, {"conv2d_1": 2592, "dense_1": 720}),
    # lstm_1: 5 steps × (1 input + 10 units) × 4 gates × 10 units = 5 × 11 × 40 = 2,200
    ("rnn", models.rnn, {"lstm_1": 2200, "dense_1": 10}),
    # embedding: a lookup, 0. conv1d: 16 − 3 + 1 = 14 positions × 3 × 3 channels × 4 = 504.
    # conv3d: 4 − 2 + 1 = 3 per side, 27 positions × 2·2·2 × 1 × 2 filters = 432.
    # simple_rnn: 12 steps × (8 + 6) × 6 = 1,008. gru: 12 × (6 + 5) × 3 gates × 5 = 1,980.
    # frozen_dense: 3·3·3·2 = 54 inputs × 3 = 162. out: 12 × 2 = 24. layer_norm: not counted.
    ("gallery", models.gallery,
     {"embedding": 0, "conv1d": 504, "conv3d": 432, "simple_rnn": 1008, "layer_norm": None,
      "gru": 1980, "frozen_dense": 162, "out": 24}),
    # encoder: its inner_dense, 5 × 3 = 15; head: 3 × 2 = 6
    ("nested", models.nested, {"encoder": 15, "inner_dense": 15, "head": 6}),
    # encoder called twice (left and right): 2 × (6 inputs × 4 units) = 48; same: 4 × 1 = 4
    ("shared", models.shared_layer, {"encoder": 48, "same": 4}),
    # Dense on a sequence: 7 positions × 5 inputs × 3 units = 105
    ("dense_3d", lambda: _one(layers.Dense(3, name="d"), (7, 5)), {"d": 105}),
    # strides 2, padding same: 10×10 → 5×5 = 25 positions × 3×3 × 4 channels × 6 filters = 5,400
    ("conv_strided", lambda: _one(layers.Conv2D(6, 3, strides=2, padding="same", name="c"),
                                  (10, 10, 4)), {"c": 5400}),
    # groups=2: each filter sees 4 / 2 = 2 channels; 8×8 = 64 positions × 1×1 × 2 × 6 = 768
    ("conv_groups", lambda: _one(layers.Conv2D(6, 1, groups=2, name="c"), (8, 8, 4)),
     {"c": 768}),
    # depthwise: 6×6 positions × 3×3 × 4 channels × 2 (multiplier) = 36 × 72 = 2,592
    ("depthwise", lambda: _one(layers.DepthwiseConv2D(3, depth_multiplier=2, name="dw"),
                               (8, 8, 4)), {"dw": 2592}),
    # separable: 6×6 = 36 positions × (3·3 × 4 × 1 + 4 × 5 filters) = 36 × (36 + 20) = 2,016
    ("separable", lambda: _one(layers.SeparableConv2D(5, 3, name="sep"), (8, 8, 4)),
     {"sep": 2016}),
    # separable 1D: 10 − 3 + 1 = 8 positions × (3 × 2 × 1 + 2 × 4) = 8 × 14 = 112
    ("separable_1d", lambda: _one(layers.SeparableConv1D(4, 3, name="sep"), (10, 2)),
     {"sep": 112}),
    # channels_first: input (3, 6, 6) → 4×4 = 16 positions × 3×3 × 3 channels × 2 filters = 864
    ("channels_first", lambda: _one(layers.Conv2D(2, 3, data_format="channels_first",
                                                   name="c"), (3, 6, 6)), {"c": 864}),
    # a sequence of any length: the count depends on it, so it is unknown
    ("any_length", lambda: _one(layers.LSTM(4, name="lstm"), (None, 3)), {"lstm": None}),
    # BatchNormalization: not counted
    ("batchnorm", models.batchnorm,
     {"dense_1": 32, "batch_normalization_1": None, "dense_2": 8}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "make", "expected"), HAND_COUNTS, ids=[c[0] for c in HAND_COUNTS])
def test_mult_adds_match_a_count_by_hand(
    name: str, make: Callable[[], Any], expected: dict[str, int | None]
) -> None:
    model = make()
    assert _mult_adds(model) == expected
    summary = kg.summarize(model, columns=["mult_adds"])
    explanation = kg.explain(model, mult_adds=True)
    top = [row.mult_adds or 0 for row in summary.rows]
    assert summary.mult_adds == explanation.mult_adds == sum(top)
    by_name = {layer.name: layer.mult_adds for layer in explanation.layers if layer.params}
    assert by_name == expected


def test_mult_adds_are_explained_like_the_parameters(overwrite: bool) -> None:
    explanation = kg.explain(models.gallery(), mult_adds=True)
    lines = str(explanation).splitlines()
    assert "    mult-adds: 10 inputs × 20 units = 200 per example" in str(
        kg.explain(models.seed_mlp(), mult_adds=True)
    )
    assert (
        "    mult-adds: 12 steps × (6 inputs + 5 units) × 3 gates × 5 units = 1,980 per example"
        in lines
    )
    assert lines[-1] == (
        "Total mult-adds: 504 + 432 + 1,008 + 1,980 + 162 + 24 = 4,110 per example, "
        "not counting layer_norm (LayerNormalization)"
    )
    assert "mult-adds" not in str(kg.explain(models.gallery()))
    assert explanation.to_dict()["mult_adds"] == 4110
    assert_golden("text_explain_mult_adds.txt", str(explanation), overwrite=overwrite)
    shared = kg.explain(models.shared_layer(), mult_adds=True)
    encoder = next(layer for layer in shared.layers if layer.name == "encoder")
    assert encoder.mult_adds_text == (
        "call 1: 6 inputs × 4 units = 24; call 2: 6 inputs × 4 units = 24; 2 calls = 48"
    )
    with pytest.raises(OptionError, match=r"explain\(mult_adds=\.\.\.\)"):
        kg.explain(models.seed_mlp(), mult_adds="yes")  # type: ignore[arg-type]


def test_all_columns_golden(overwrite: bool) -> None:
    columns = ["trainable", "params_percent", "mult_adds"]
    summary = kg.summarize(models.gallery(), columns=columns)
    text = str(summary)
    assert text.splitlines()[-1] == (
        " Total mult-adds: 4,110 per example, not counting 1 row marked ?"
    )
    assert summary.to_dict()["mult_adds"] == 4110
    assert_golden("text_summary_columns.txt", text, overwrite=overwrite)
    nested = kg.summarize(models.nested_deep(), columns=columns, depth=2, style="ascii")
    assert_golden("text_summary_columns_nested.txt", str(nested), overwrite=overwrite)
    assert_golden("text_summary_columns.html", summary._repr_html_() + "\n", overwrite=overwrite)


def test_default_summaries_still_parse() -> None:
    """Every summary kerasguide prints by default is read back by parse_summary."""
    model = models.nested_deep()
    for summary in (
        kg.summarize(model),
        kg.summarize(model, depth=2),
        kg.summarize(model, columns=["trainable"]),  # Keras's own Trainable column
    ):
        assert kg.parse_summary(str(summary)) == summary
