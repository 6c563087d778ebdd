"""Keras operations (``x + y``, ``keras.ops.mean``) and wrapper layers in summaries,
explanations, checks and diagrams, compared with plain Keras models written here and
with Keras's own ``model.summary()`` text (issue 9)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import plot
from kerasguide._boxes import box_lines
from kerasguide._graph import diagram_graph

keras = _k.keras()
layers, ops = keras.layers, keras.ops


# --- the models, by hand in plain Keras ------------------------------------------------


def residual_hard_swish() -> Any:
    """A residual block with ``x += y``, MobileNetV3's hard-swish, ops.mean and a concat."""
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 1, name="stem")(inputs)
    y = layers.Conv2D(4, 3, padding="same", name="branch")(x)
    x += y
    x = x * ops.relu6(x + 3.0) * (1.0 / 6.0)
    rows = ops.mean(x, axis=1)
    pooled = ops.concatenate([ops.mean(rows, axis=1), ops.max(rows, axis=1)], axis=-1)
    return keras.Model(inputs, layers.Dense(2, name="head")(pooled), name="residual")


def seq2seq() -> Any:
    """A stacked LSTM with a time-distributed head: one output per step."""
    inputs = keras.Input((6, 3), name="steps")
    x = layers.LSTM(8, return_sequences=True, name="encoder")(inputs)
    x = layers.LSTM(8, return_sequences=True, name="decoder")(x)
    outputs = layers.TimeDistributed(layers.Dense(1), name="per_step")(x)
    return keras.Model(inputs, outputs, name="seq2seq")


def bidirectional() -> Any:
    """A Bidirectional LSTM with a GRU reading backwards, then a plain Bidirectional LSTM."""
    inputs = keras.Input((6, 3), name="steps")
    backward = layers.GRU(4, return_sequences=True, go_backwards=True)
    x = layers.Bidirectional(
        layers.LSTM(4, return_sequences=True), backward_layer=backward, name="both_ways"
    )(inputs)
    x = layers.Bidirectional(layers.LSTM(4), name="summary_state")(x)
    return keras.Model(inputs, layers.Dense(1, name="score")(x), name="bidirectional")


def stacked_cells() -> Any:
    """An RNN over a list of cells, i.e. two stacked LSTM cells in one layer."""
    inputs = keras.Input((6, 3), name="steps")
    x = layers.RNN([layers.LSTMCell(4), layers.LSTMCell(5)], name="stack")(inputs)
    return keras.Model(inputs, layers.Dense(1, name="score")(x), name="stacked")


def nested_with_ops() -> Any:
    """A block whose ``+`` sits inside a nested model, used by an outer model with an op."""
    inner_in = keras.Input((4,), name="block_in")
    inner = keras.Model(inner_in, layers.Dense(4, name="block_dense")(inner_in) + inner_in)
    inputs = keras.Input((4,), name="features")
    x = inner(inputs) * 2.0
    return keras.Model(inputs, layers.Dense(1, name="out")(x), name="outer")


def mobilenet_v3_small() -> Any:
    # 32×32 is the smallest input MobileNetV3 takes; include_preprocessing adds a Rescaling.
    return keras.applications.MobileNetV3Small(
        weights=None, input_shape=(32, 32, 3), classes=10, include_preprocessing=True
    )


MAKERS: dict[str, Callable[[], Any]] = {
    "residual_hard_swish": residual_hard_swish,
    "seq2seq": seq2seq,
    "bidirectional": bidirectional,
    "stacked_cells": stacked_cells,
    "nested_with_ops": nested_with_ops,
    "mobilenet_v3_small": mobilenet_v3_small,
}


@pytest.fixture(scope="module")
def zoo() -> dict[str, Any]:
    """Each model built once for the module (MobileNetV3 takes about a second).

    Built on a fresh Keras session, so the automatic names (``add``, ``mean``) are known.
    """
    keras.backend.clear_session(free_memory=False)
    return {name: make() for name, make in MAKERS.items()}


def keras_text(model: Any, monkeypatch: pytest.MonkeyPatch, **options: Any) -> str:
    """Keras's own summary, wide enough that rich cuts nothing."""
    monkeypatch.setenv("COLUMNS", "300")
    lines: list[str] = []
    model.summary(print_fn=lines.append, line_length=280, **options)
    return "\n".join(lines)


def keras_rows(model: Any) -> list[tuple[str, str, int]]:
    """Name, type and parameters of each row of Keras's summary, from the model itself."""
    return [
        (op.name, type(op).__name__, op.count_params() if hasattr(op, "built") else 0)
        for op in model._operations
    ]


# --- summaries ---------------------------------------------------------------------------


@pytest.mark.parametrize("name", MAKERS)
def test_rows_are_keras_summary_rows(
    name: str, zoo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = zoo[name]
    summary = kg.summarize(model)
    assert [(r.name, r.type, r.params) for r in summary.rows] == keras_rows(model)
    assert [r.operation for r in summary.rows] == [
        not isinstance(op, layers.Layer) for op in model._operations
    ]
    parsed = kg.parse_summary(keras_text(model, monkeypatch))
    assert [(r.name, r.type, r.output_shapes, r.params) for r in parsed.rows] == [
        (r.name, r.type, r.output_shapes, r.params) for r in summary.rows
    ]
    if any(r.connected_to for r in parsed.rows):  # Keras leaves the column out for a chain
        assert [r.connected_to for r in parsed.rows] == [r.connected_to for r in summary.rows]
    assert summary == parsed
    assert summary.total == model.count_params() == sum(r.params for r in summary.rows)


@pytest.mark.parametrize("name", MAKERS)
def test_check_summary_passes_on_keras_own_text(
    name: str, zoo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    model = zoo[name]
    assert kg.check_summary(model, keras_text(model, monkeypatch))
    expanded = keras_text(model, monkeypatch, expand_nested=True)
    assert kg.check_summary(model, expanded)


def test_operation_rows_show_as_keras_shows_them(zoo: dict[str, Any]) -> None:
    rows = {r.name: r for r in kg.summarize(zoo["residual_hard_swish"]).rows}
    assert rows["add"].type == "Add"
    assert rows["add"].params == 0
    assert rows["add"].connected_to == ("stem[0][0]", "branch[0][0]")
    assert rows["mean"].output_shape == "(None, 8, 4)"
    assert rows["concatenate"].output_shape == "(None, 8)"
    assert rows["add"].to_dict()["operation"] is True
    assert "operation" not in rows["stem"].to_dict()
    text = str(kg.summarize(zoo["residual_hard_swish"]))
    assert "│ add (Add) " in text
    assert "│ relu6 (Relu6) " in text


def test_nested_model_expanded_shows_its_layers_as_keras_does(zoo: dict[str, Any]) -> None:
    model = zoo["nested_with_ops"]
    summary = kg.summarize(model, expand_nested=True)
    features, inner, multiply, out = (op.name for op in model._operations)
    # Keras lists the nested model's layers, not its `+`.
    assert [r.name for r in summary.rows] == [
        features,
        inner,
        "block_in",
        "block_dense",
        multiply,
        out,
    ]
    assert [r.depth for r in summary.rows] == [0, 0, 1, 1, 0, 0]


def test_a_dict_output_shows_its_keys_as_keras_does(monkeypatch: pytest.MonkeyPatch) -> None:
    class Split(layers.Layer):
        def call(self, x: Any) -> dict[str, Any]:
            return {"b": x * 2.0, "a": ops.mean(x, axis=-1)}

        def compute_output_shape(self, input_shape: Any) -> dict[str, Any]:
            return {"b": input_shape, "a": input_shape[:-1]}

    class Model(keras.Model):
        def __init__(self) -> None:
            super().__init__(name="dict_model")
            self.split = Split(name="split")
            self.dense = layers.Dense(2, name="dense")

        def call(self, x: Any) -> Any:
            return self.dense(self.split(x)["b"])

    model = Model()
    model(ops.ones((1, 3)))
    model.split.build((None, 3))
    row = kg.summarize(model).rows[0]
    assert row.output_shape == "{b: (None, 3), a: (None,)}"
    assert row.output_keys == ("b", "a")
    text = keras_text(model, monkeypatch)
    if "│ ?" in text:
        pytest.skip("this Keras (3.3) prints no output shapes for a subclassed model: '?'")
    assert "{b: (None, 3), a: (None)}" in text
    parsed = kg.parse_summary(text).rows[0]
    assert (parsed.output_keys, parsed.output_shapes) == (("b", "a"), ((None, 3), (None,)))
    assert kg.check_summary(model, text)


def test_an_unreadable_dict_of_shapes_is_named() -> None:
    text = (
        "┏━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━┓\n"
        "┃ Layer (type)  ┃ Output Shape         ┃ Param # ┃\n"
        "┡━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━┩\n"
        "│ s (Split)     │ {b: (None, 3), (None │       0 │\n"
        "│               │ )}                   │         │\n"
        "└───────────────┴──────────────────────┴─────────┘\n"
        " Total params: 0\n"
    )
    with pytest.raises(kg.SummaryParseError, match=r"line 4: .*dict of output shapes"):
        kg.parse_summary(text)


# --- explanations ------------------------------------------------------------------------


@pytest.mark.parametrize("name", MAKERS)
def test_explain_lists_operations_and_adds_up(name: str, zoo: dict[str, Any]) -> None:
    model = zoo[name]
    explanation = kg.explain(model)
    top = [layer for layer in explanation.layers if not layer.depth]
    assert [layer.name for layer in top] == [op.name for op in model._operations]
    assert sum(layer.params for layer in top) == explanation.total == model.count_params()


def test_an_operation_has_no_weights_and_says_which_function(zoo: dict[str, Any]) -> None:
    entries = {e.name: e for e in kg.explain(zoo["residual_hard_swish"]).layers}
    assert entries["mean"].arithmetic == "no weights = 0"
    assert entries["mean"].why == (
        "an operation (keras.ops.mean) has no weights: it computes its output from its "
        "inputs alone."
    )
    assert "keras.ops.add" in (entries["add"].why or "")


def test_wrappers_explain_where_their_count_comes_from(zoo: dict[str, Any]) -> None:
    both = {e.name: e for e in kg.explain(zoo["bidirectional"]).layers}
    assert (both["both_ways"].why or "").startswith(
        "a forward LSTM and a backward GRU, each with its own weights: one reads the sequence "
        "forwards (forward_lstm: 128) and one backwards (gru: 108), so 128 + 108 = 236."
    )
    assert (both["summary_state"].why or "").startswith(
        "two copies of the LSTM, each with its own weights"
    )
    assert "Each LSTM: four gates" in (both["summary_state"].why or "")
    per_step = next(e for e in kg.explain(zoo["seq2seq"]).layers if e.name == "per_step")
    assert per_step.params == 9
    assert (per_step.why or "").startswith(
        "the same Dense weights are applied at every time step, so it has exactly the "
        "parameters of one Dense (9), however long the sequence."
    )
    stack = next(e for e in kg.explain(zoo["stacked_cells"]).layers if e.name == "stack")
    assert "its 2 stacked cells" in (stack.why or "")
    assert f"= {stack.params:,}." in (stack.why or "")


# --- checks: a changed model fails with a precise finding --------------------------------


def residual_without_skip() -> Any:
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(4, 1, name="stem")(inputs)
    x = layers.Conv2D(4, 3, padding="same", name="branch")(x)
    x = x * ops.relu6(x + 3.0) * (1.0 / 6.0)
    rows = ops.mean(x, axis=1)
    pooled = ops.concatenate([ops.mean(rows, axis=1), ops.max(rows, axis=1)], axis=-1)
    return keras.Model(inputs, layers.Dense(2, name="head")(pooled))


def test_a_missing_add_is_found_in_keras_text(
    zoo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    result = kg.check_summary(
        residual_without_skip(), keras_text(zoo["residual_hard_swish"], monkeypatch)
    )
    assert [str(f) for f in result.findings] == [
        # Two Adds of the same shape: the one left is paired with the first expected Add.
        "missing layer: expected an Add layer or operation with output (None, 8, 8, 4) and 0 "
        "parameters after layer 4 (Add), but there is none"
    ]


def test_a_missing_operation_is_named_with_its_function(zoo: dict[str, Any]) -> None:
    result = kg.check_model(residual_without_skip(), zoo["residual_hard_swish"])
    (finding,) = result.findings
    assert finding.message.startswith("expected an Add operation (keras.ops.add) with output")
    assert finding.hint == "add keras.ops.add(...) after layer 4 (Add)"


def test_a_plain_lstm_where_a_bidirectional_one_was_expected(
    zoo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = keras.Input((6, 3))
    x = layers.Bidirectional(
        layers.LSTM(4, return_sequences=True),
        backward_layer=layers.GRU(4, return_sequences=True, go_backwards=True),
    )(inputs)
    student = keras.Model(inputs, layers.Dense(1)(layers.LSTM(4)(x)))
    first = kg.check_model(student, zoo["bidirectional"]).findings[0]
    assert str(first) == (
        "layer 3 (LSTM): expected a Bidirectional(LSTM) layer, found an LSTM layer"
    )
    assert first.hint == (
        "wrap this LSTM in keras.layers.Bidirectional: "
        "keras.layers.Bidirectional(keras.layers.LSTM(4))"
    )
    from_text = kg.check_summary(student, keras_text(zoo["bidirectional"], monkeypatch))
    assert str(from_text.findings[0]) == (
        "layer 3 (LSTM): expected a Bidirectional layer, found an LSTM layer"
    )
    assert from_text.findings[0].hint == (
        "wrap this LSTM in keras.layers.Bidirectional: "
        "keras.layers.Bidirectional(keras.layers.LSTM(...))"
    )


def test_a_wrapper_of_another_layer_and_an_inner_setting(zoo: dict[str, Any]) -> None:
    inputs = keras.Input((6, 3))
    x = layers.Bidirectional(layers.GRU(4, return_sequences=True))(inputs)
    x = layers.Bidirectional(layers.LSTM(6))(x)
    result = kg.check_model(keras.Model(inputs, layers.Dense(1)(x)), zoo["bidirectional"])
    first, second = result.findings[:2]
    assert (
        first.message
        == "expected a Bidirectional(LSTM, GRU) layer, found a Bidirectional(GRU) layer"
    )
    assert first.hint == (
        "replace it with keras.layers.Bidirectional(keras.layers.LSTM(4, return_sequences=True), "
        "backward_layer=keras.layers.GRU(4, return_sequences=True))"
    )
    assert second.message.startswith("expected 4 units, found 6")
    assert second.hint is not None
    assert second.hint.startswith("set units=4 on the LSTM that this Bidirectional wraps")


def test_a_dense_where_a_time_distributed_one_was_expected(
    zoo: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    inputs = keras.Input((6, 3))
    x = layers.LSTM(8, return_sequences=True)(layers.LSTM(8, return_sequences=True)(inputs))
    student = keras.Model(inputs, layers.Dense(1)(x))  # same shapes, same count
    (finding,) = kg.check_summary(student, keras_text(zoo["seq2seq"], monkeypatch)).findings
    assert str(finding) == "layer 4 (Dense): expected a TimeDistributed layer, found a Dense layer"
    assert finding.hint == (
        "wrap this Dense in keras.layers.TimeDistributed: "
        "keras.layers.TimeDistributed(keras.layers.Dense(...))"
    )


def test_an_lstm_where_an_rnn_of_cells_was_expected(zoo: dict[str, Any]) -> None:
    inputs = keras.Input((6, 3))
    student = keras.Model(inputs, layers.Dense(1)(layers.LSTM(5)(inputs)))
    finding = kg.check_summary(student, kg.summarize(zoo["stacked_cells"])).findings[0]
    assert finding.message == "expected an RNN layer, found an LSTM layer"
    assert (
        finding.hint
        == "wrap this LSTM in keras.layers.RNN: keras.layers.RNN(keras.layers.LSTMCell(...))"
    )
    from_model = kg.check_model(student, zoo["stacked_cells"]).findings[0]
    assert from_model.message == "expected an RNN(LSTMCell, LSTMCell) layer, found an LSTM layer"
    assert from_model.hint is not None
    assert from_model.hint.endswith(
        "keras.layers.RNN([keras.layers.LSTMCell(4), keras.layers.LSTMCell(5)])"
    )


def test_an_operation_matches_the_layer_of_the_same_name() -> None:
    """``x + y`` and ``layers.Add()([x, y])`` both print as ``(Add)`` and compute the same."""
    inputs = keras.Input((4,))
    by_layer = keras.Model(inputs, layers.Add()([inputs, inputs]))
    by_op = keras.Model(inputs, inputs + inputs)
    assert kg.check_model(by_op, by_layer)
    assert kg.check_summary(by_layer, kg.summarize(by_op))


# --- diagrams ----------------------------------------------------------------------------


def test_diagrams_draw_operations_and_label_wrappers(zoo: dict[str, Any]) -> None:
    model = zoo["bidirectional"]
    options = plot.DiagramOptions()
    labels = [box_lines(node, options)[0] for node in diagram_graph(model).nodes]
    assert "both_ways (Bidirectional(LSTM, GRU))" in labels
    assert "summary_state (Bidirectional(LSTM))" in labels
    residual = diagram_graph(zoo["residual_hard_swish"])
    assert [node.key for node in residual.nodes] == [op.name for op in residual_ops(zoo)]
    assert ("stem", "add") in residual.edges
    assert ("branch", "add") in residual.edges


def residual_ops(zoo: dict[str, Any]) -> list[Any]:
    return list(zoo["residual_hard_swish"]._operations)


@pytest.mark.graphviz
def test_graphviz_labels_wrappers_like_the_matplotlib_engine(zoo: dict[str, Any]) -> None:
    pytest.importorskip("pydot")
    if plot.graphviz_missing():
        pytest.skip("Graphviz's dot is not installed")
    dot = keras.utils.model_to_dot(zoo["seq2seq"])
    plot._label_wrappers(dot, plot._layers_by_id(zoo["seq2seq"]))
    labels = " ".join(str(node.get("label")) for node in dot.get_nodes())
    assert "(TimeDistributed(Dense))" in labels
