"""to_code for wrapper layers, Keras operations and exact arguments (issue 9).

Each model is written twice: as a spec in normal form, rendered by
``codegen.render`` (so these tests do not depend on the spec normaliser), and
by hand in plain Keras. The executed code must build the hand-written model
exactly: the same layer classes in order, equal ``get_config()`` with names
left out, the same weight shapes and trainable flags, the same operations
with the same attributes, and the same inputs and output shapes. The tests
at the end go through the public ``kg.to_code`` with the short spec syntax.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide.codegen import WIDTH, render

RUFF = Path(sys.executable).parent / "ruff"


def run(code: str) -> Any:
    namespace: dict[str, Any] = {}
    exec(compile(code, "<to_code>", "exec"), namespace)
    return namespace["model"]


def nameless(value: Any) -> Any:
    """A config with every "name" key removed, at any depth (names are checked elsewhere)."""
    if isinstance(value, dict):
        return {k: nameless(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return type(value)(nameless(v) for v in value)
    return value


def shapes(value: Any) -> Any:
    return _k.keras().tree.map_structure(lambda t: tuple(t.shape), value)


def facts(model: Any) -> dict[str, Any]:
    """Everything that must be equal between the emitted code's model and the reference."""
    keras = _k.keras()
    rows = []
    for op in getattr(model, "operations", None) or model.layers:  # Sequential: layers
        if isinstance(op, keras.layers.InputLayer):
            continue  # a Sequential model has none: inputs are compared below
        if isinstance(op, keras.layers.Layer):
            weights = [(tuple(w.shape), w.trainable) for w in op.weights]
            config = nameless(op.get_config())
            rows.append((type(op).__name__, config, shapes(op.output), weights, op.trainable))
        else:
            attributes = {k: v for k, v in vars(op).items() if k[0] != "_" and k != "name"}
            rows.append((type(op).__name__, attributes))
    return {
        "operations": rows,
        "inputs": [(tuple(t.shape), t.dtype) for t in model.inputs],
        "outputs": [tuple(t.shape) for t in model.outputs],
        "params": (model.count_params(), len(model.trainable_weights)),
    }


def assert_builds(code: str, reference: Any) -> Any:
    model = run(code)
    got, expected = facts(model), facts(reference)
    for row, wanted in zip(got["operations"], expected["operations"], strict=False):
        assert row == wanted  # one operation at a time, for a readable diff
    assert got == expected
    return model


# --- wrappers ----------------------------------------------------------------------

LSTM_8 = {"type": "LSTM", "name": "lstm_1", "units": 8, "return_sequences": True}
BACKWARD = {"type": "LSTM", "name": "lstm_2", "units": 8, "go_backwards": True,
            "return_sequences": True}  # fmt: skip
CELLS = [{"type": "LSTMCell", "name": "lstm_cell_1", "units": 4},
         {"type": "LSTMCell", "name": "lstm_cell_2", "units": 4}]  # fmt: skip
WRAPPERS = {
    "kind": "sequential",
    "name": "seq2seq",
    "input_shape": [5, 3],
    "layers": [
        {"type": "Bidirectional", "name": "bidirectional_1", "layer": LSTM_8,
         "backward_layer": BACKWARD},
        {"type": "RNN", "name": "rnn_1", "cell": CELLS, "return_sequences": True},
        {"type": "TimeDistributed", "name": "time_distributed_1",
         "layer": {"type": "Dense", "name": "dense_1", "units": 1}},
    ],
}  # fmt: skip


def wrappers_by_hand() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential([
        keras.Input((5, 3)),
        layers.Bidirectional(
            layers.LSTM(8, return_sequences=True),
            backward_layer=layers.LSTM(8, go_backwards=True, return_sequences=True),
        ),
        layers.RNN([layers.LSTMCell(4), layers.LSTMCell(4)], return_sequences=True),
        layers.TimeDistributed(layers.Dense(1)),
    ])  # fmt: skip


@pytest.mark.parametrize("style", ["functional", "sequential"])
def test_wrappers_build_the_hand_written_model(style: str) -> None:
    model = assert_builds(render(WRAPPERS, style=style), wrappers_by_hand())
    assert type(model).__name__ == ("Sequential" if style == "sequential" else "Functional")
    assert [layer.name for layer in model.layers if layer.name != "input"] == [
        "bidirectional_1", "rnn_1", "time_distributed_1",
    ]  # fmt: skip
    assert model.get_layer("time_distributed_1").layer.name == "dense_1"


def test_wrapper_code_is_the_inner_constructor_inline() -> None:
    assert render(WRAPPERS).split("\n\n", 1)[1] == (
        'input_ = keras.Input(shape=(5, 3), name="input")\n'
        "bidirectional_1 = layers.Bidirectional(\n"
        '    layers.LSTM(8, return_sequences=True, name="lstm_1"),\n'
        "    backward_layer=layers.LSTM(\n"
        '        8, go_backwards=True, return_sequences=True, name="lstm_2"\n'
        "    ),\n"
        '    name="bidirectional_1",\n'
        ")(input_)\n"
        "rnn_1 = layers.RNN(\n"
        '    [layers.LSTMCell(4, name="lstm_cell_1"), layers.LSTMCell(4, name="lstm_cell_2")],\n'
        "    return_sequences=True,\n"
        '    name="rnn_1",\n'
        ")(bidirectional_1)\n"
        "time_distributed_1 = layers.TimeDistributed(\n"
        '    layers.Dense(1, name="dense_1"), name="time_distributed_1"\n'
        ")(rnn_1)\n"
        'model = keras.Model(inputs=input_, outputs=time_distributed_1, name="seq2seq")\n'
    )


def test_short_wrapper_stays_on_one_line() -> None:
    dense = {"type": "Dense", "name": "d", "units": 1}
    data = {"kind": "sequential", "name": "s", "input_shape": [2, 3],
            "layers": [{"type": "TimeDistributed", "name": "td", "layer": dense}]}  # fmt: skip
    assert 'td = layers.TimeDistributed(layers.Dense(1, name="d"), name="td")(input_)\n' in (
        render(data)
    )


INNER_OBJECTS = {
    "kind": "functional",
    "name": "inner_objects",
    "inputs": [{"name": "seq", "shape": [4, 3]}],
    "layers": [
        {"type": "TimeDistributed", "name": "per_step", "layer": {
            "type": "Dense", "name": "dense_1", "units": 2, "activation": "relu",
            "kernel_initializer": {"type": "Constant", "value": 0.5},
            "kernel_regularizer": {"type": "L2", "l2": 0.01}, "trainable": False}},
        {"type": "Bidirectional", "name": "bidirectional_1", "merge_mode": "sum",
         "layer": {"type": "GRU", "name": "gru_1", "units": 3}},
        {"type": "RNN", "name": "rnn_1", "cell": {"type": "StackedRNNCells", "name": "stack",
         "cells": [{"type": "GRUCell", "name": "cell_a", "units": 2},
                   {"type": "SimpleRNNCell", "name": "cell_b", "units": 2}]},
         "inputs": "seq"},
        {"type": "Concatenate", "name": "merged", "inputs": ["bidirectional_1", "rnn_1"]},
    ],
    "outputs": "merged",
}  # fmt: skip


def inner_objects_by_hand() -> Any:
    keras = _k.keras()
    layers = keras.layers
    seq = keras.Input((4, 3))
    dense = layers.Dense(2, activation="relu", trainable=False,
                         kernel_initializer=keras.initializers.Constant(value=0.5),
                         kernel_regularizer=keras.regularizers.L2(l2=0.01))  # fmt: skip
    steps = layers.TimeDistributed(dense)(seq)
    both = layers.Bidirectional(layers.GRU(3), merge_mode="sum")(steps)
    cells = layers.StackedRNNCells([layers.GRUCell(2), layers.SimpleRNNCell(2)])
    stacked = layers.RNN(cells)(seq)
    return keras.Model(seq, layers.Concatenate()([both, stacked]))


def test_inner_layers_carry_their_objects_and_flags() -> None:
    code = render(INNER_OBJECTS)
    assert "kernel_initializer=keras.initializers.Constant(value=0.5)," in code
    assert "kernel_regularizer=keras.regularizers.L2(l2=0.01)," in code
    assert "trainable=False," in code
    assert "layers.StackedRNNCells(\n" in code
    model = assert_builds(code, inner_objects_by_hand())
    assert model.get_layer("per_step").layer.trainable is False


def test_a_nested_model_inside_a_wrapper_is_built_by_its_function() -> None:
    inner = {"kind": "sequential", "name": "frame", "input_shape": [3],
             "layers": [{"type": "Dense", "name": "dense_1", "units": 2}]}  # fmt: skip
    data = {"kind": "sequential", "name": "outer", "input_shape": [4, 3], "layers": [
        {"type": "TimeDistributed", "name": "td", "layer": {"model": inner}}]}  # fmt: skip
    code = render(data)
    assert 'td = layers.TimeDistributed(build_frame(), name="td")(input_)' in code
    keras = _k.keras()
    if "compute_output_shape" not in vars(keras.Sequential):
        pytest.skip("Keras 3.3 cannot call TimeDistributed on a Sequential model in a graph")
    frame = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    reference = keras.Sequential([keras.Input((4, 3)), keras.layers.TimeDistributed(frame)])
    assert_builds(code, reference)


# --- operations --------------------------------------------------------------------

OPS = {
    "kind": "functional",
    "name": "ops",
    "inputs": [{"name": "input", "shape": [6, 3]}],
    "layers": [
        {"type": "LSTM", "name": "lstm_1", "units": 4, "return_sequences": True},
        {"op": "mean", "name": "mean_1", "axis": 1},
        {"type": "Dense", "name": "d", "units": 4},
        {"op": "add", "name": "add_1", "inputs": ["d", "mean_1"]},
        {"op": "add", "name": "add_2", "x2": 3.0},
        {"op": "subtract", "name": "subtract_1", "x1": 1.0},
        {"op": "multiply", "name": "multiply_1", "x2": 0.5},
        {"op": "true_divide", "name": "true_divide_1", "x2": 2.0},
        {"op": "divide", "name": "divide_1", "x2": 2.0},
        {"op": "concatenate", "name": "concatenate_1", "inputs": ["divide_1", "d"], "axis": -1},
        {"op": "reshape", "name": "reshape_1", "newshape": [-1, 2, 4]},
        {"op": "max", "name": "max_1", "axis": [1, 2], "keepdims": True},
        {"op": "where", "name": "where_1", "inputs": ["max_1", "max_1"], "x1": 0.0},
    ],
    "outputs": "where_1",
}


def ops_by_hand() -> Any:
    keras = _k.keras()
    ops = keras.ops
    x = keras.Input((6, 3))
    seq = keras.layers.LSTM(4, return_sequences=True)(x)
    mean = ops.mean(seq, axis=1)
    d = keras.layers.Dense(4)(mean)
    y = (1.0 - ((d + mean) + 3.0)) * 0.5 / 2.0
    y = ops.reshape(ops.concatenate([ops.divide(y, 2.0), d], axis=-1), (-1, 2, 4))
    y = ops.max(y, axis=[1, 2], keepdims=True)
    return keras.Model(x, ops.where(y, 0.0, y))


def test_operations_build_the_hand_written_model() -> None:
    assert_builds(render(OPS), ops_by_hand())


def test_operation_code_is_what_a_person_writes() -> None:
    code = render(OPS)
    assert code.split("\n\n", 1)[1] == (
        'input_ = keras.Input(shape=(6, 3), name="input")\n'
        'lstm_1 = layers.LSTM(4, return_sequences=True, name="lstm_1")(input_)\n'
        "mean_1 = keras.ops.mean(lstm_1, axis=1)\n"
        'd = layers.Dense(4, name="d")(mean_1)\n'
        "add_1 = d + mean_1\n"
        "add_2 = add_1 + 3.0\n"
        "subtract_1 = 1.0 - add_2\n"
        "multiply_1 = subtract_1 * 0.5\n"
        "true_divide_1 = multiply_1 / 2.0\n"
        "divide_1 = keras.ops.divide(true_divide_1, 2.0)\n"
        "concatenate_1 = keras.ops.concatenate([divide_1, d], axis=-1)\n"
        "reshape_1 = keras.ops.reshape(concatenate_1, (-1, 2, 4))\n"
        "max_1 = keras.ops.max(reshape_1, axis=[1, 2], keepdims=True)\n"
        "where_1 = keras.ops.where(max_1, 0.0, max_1)\n"
        'model = keras.Model(inputs=input_, outputs=where_1, name="ops")\n'
    )


def test_operators_make_the_same_operations_as_the_functions() -> None:
    keras = _k.keras()
    x, y = keras.Input((3,)), keras.Input((3,))
    ops = keras.ops
    pairs = [(x + y, ops.add(x, y)), (1.0 - x, ops.subtract(1.0, x)),
             (x * 0.5, ops.multiply(x, 0.5)), (x / y, ops.true_divide(x, y))]  # fmt: skip
    for operator, function in pairs:
        assert type(operator._keras_history.operation) is type(function._keras_history.operation)


def test_operations_on_several_outputs_and_in_a_stack() -> None:
    data = {"kind": "functional", "name": "stacked", "inputs": [
        {"name": "a", "shape": [3]}, {"name": "b", "shape": [3]}], "layers": [
        {"op": "stack", "name": "stack_1", "inputs": ["a", "b"], "axis": 1},
        {"type": "LSTM", "name": "lstm", "units": 2, "return_state": True},
        {"op": "multiply", "name": "gated", "inputs": ["lstm[0]", "lstm[2]"]},
    ], "outputs": "gated"}  # fmt: skip
    code = render(data)
    assert "stack_1 = keras.ops.stack([a, b], axis=1)\n" in code
    assert "gated = lstm[0] * lstm[2]\n" in code
    keras = _k.keras()
    a, b = keras.Input((3,)), keras.Input((3,))
    out, _, carry = keras.layers.LSTM(2, return_state=True)(keras.ops.stack([a, b], axis=1))
    assert_builds(code, keras.Model([a, b], out * carry))


LONG = "a_long_tensor_name_for_wrapping_test"
LONG_OPS = {"kind": "functional", "name": "long", "inputs": [{"name": LONG, "shape": [3]}],
            "layers": [{"op": "add", "name": f"{LONG}_sum", "inputs": [LONG, LONG]},
                       {"op": "concatenate", "name": "c", "inputs": [f"{LONG}_sum", LONG] * 2}],
            "outputs": "c"}  # fmt: skip


def test_long_operation_lines_wrap_and_use_the_function() -> None:
    code = render(LONG_OPS)
    assert f"{LONG}_sum = keras.ops.add(\n    {LONG}, {LONG}\n)\n" in code
    assert f"c = keras.ops.concatenate(\n    [\n        {LONG}_sum,\n" in code
    run(code)


def test_sequential_style_refuses_operations() -> None:
    with pytest.raises(kg.OptionError, match=r"layers\[1\]\.op(?s:.*)keras\.ops\.mean"):
        render(OPS, style="sequential")


def test_unknown_operation_and_argument_are_spec_errors() -> None:
    data = {**OPS, "layers": [{"op": "meen", "name": "m", "inputs": "input"}], "outputs": "m"}
    unknown = r"m\.op: unknown or unsupported operation 'meen'(?s:.*)did you mean 'mean'"
    with pytest.raises(kg.SpecError, match=unknown):
        render(data)
    data["layers"] = [{"op": "mean", "name": "m", "inputs": "input", "axes": 1}]
    with pytest.raises(kg.SpecError, match=r"m\.axes(?s:.*)did you mean 'axis'"):
        render(data)


# --- exact arguments ---------------------------------------------------------------

EXACT = {
    "kind": "sequential",
    "name": "exact",
    "input_shape": [6, 6, 2],
    "batch_size": 8,
    "input_dtype": "float32",
    "layers": [
        {"type": "ZeroPadding2D", "name": "pad", "padding": [[0, 1], [0, 1]]},
        {"type": "Cropping2D", "name": "crop", "cropping": [[1, 0], [0, 1]]},
        {"type": "Normalization", "name": "norm", "axis": -1},
        {"type": "Normalization", "name": "norm_2", "axis": [1, 3]},
        {"type": "Conv2D", "name": "conv", "filters": 3, "kernel_size": [2, 2],
         "kernel_initializer": {"type": "Constant", "value": 0.0}, "trainable": False},
    ],
}  # fmt: skip


def exact_by_hand() -> Any:
    keras = _k.keras()
    layers = keras.layers
    return keras.Sequential([
        keras.Input((6, 6, 2), batch_size=8, dtype="float32"),
        layers.ZeroPadding2D(((0, 1), (0, 1))),
        layers.Cropping2D(((1, 0), (0, 1))),
        layers.Normalization(axis=-1),
        layers.Normalization(axis=[1, 3]),
        layers.Conv2D(3, (2, 2), kernel_initializer=keras.initializers.Constant(0.0),
                      trainable=False),
    ])  # fmt: skip


@pytest.mark.parametrize("style", ["functional", "sequential"])
def test_arguments_are_written_exactly(style: str) -> None:
    code = render(EXACT, style=style)
    assert "keras.Input(shape=(6, 6, 2), batch_size=8, dtype=" in code
    assert "padding=((0, 1), (0, 1))" in code
    assert "cropping=((1, 0), (0, 1))" in code
    assert "axis=-1" in code
    assert "axis=[1, 3]" in code
    assert "kernel_initializer=keras.initializers.Constant(value=0.0)" in code
    assert "trainable=False" in code
    assert_builds(code, exact_by_hand())


def test_functional_inputs_keep_batch_size_and_dtype_and_embedding_its_input_dim() -> None:
    data = {"kind": "functional", "name": "tokens", "inputs": [
        {"name": "ids", "shape": [5], "batch_size": 4, "dtype": "int32"},
        {"name": "extra", "shape": [2], "batch_size": 4}], "layers": [
        {"type": "Embedding", "name": "embed", "input_dim": 50, "output_dim": 3,
         "inputs": "ids"},
        {"type": "Flatten", "name": "flat"},
        {"type": "Concatenate", "name": "both", "inputs": ["flat", "extra"]},
    ], "outputs": "both"}  # fmt: skip
    code = render(data)
    assert 'ids = keras.Input(shape=(5,), batch_size=4, dtype="int32", name="ids")' in code
    assert 'layers.Embedding(50, output_dim=3, name="embed")(ids)' in code
    keras = _k.keras()
    ids, extra = keras.Input((5,), batch_size=4, dtype="int32"), keras.Input((2,), batch_size=4)
    flat = keras.layers.Flatten()(keras.layers.Embedding(50, 3)(ids))
    assert_builds(code, keras.Model([ids, extra], keras.layers.Concatenate()([flat, extra])))


BASE = {"kind": "sequential", "name": "base", "input_shape": [3],
        "layers": [{"type": "Dense", "name": "dense_1", "units": 2}]}  # fmt: skip
FROZEN = {"kind": "functional", "name": "transfer", "inputs": [{"name": "x", "shape": [3]}],
          "layers": [{"model": BASE, "trainable": False},
                     {"type": "Dense", "name": "head", "units": 1}], "outputs": "head"}  # fmt: skip


def test_frozen_nested_model_is_frozen_by_its_function() -> None:
    code = render(FROZEN)
    assert "    model.trainable = False\n    return model\n" in code
    keras = _k.keras()
    frozen = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    frozen.trainable = False
    x = keras.Input((3,))
    assert_builds(code, keras.Model(x, keras.layers.Dense(1)(frozen(x))))


# --- layout ------------------------------------------------------------------------


def long_named(k: int) -> dict[str, Any]:
    """The wrapper model with names long enough to wrap at every level."""
    name = "n" * k
    inner = {"type": "Dense", "name": f"{name}_dense", "units": 1, "activation": "sigmoid",
             "kernel_initializer": "he_normal"}  # fmt: skip
    return {"kind": "sequential", "name": "long", "input_shape": [5, 3], "layers": [
        {"type": "Bidirectional", "name": f"{name}_bi", "layer": {**LSTM_8, "name": f"{name}_f"},
         "backward_layer": {**BACKWARD, "name": f"{name}_b"}},
        {"type": "RNN", "name": f"{name}_rnn", "return_sequences": True, "cell": [
            {**cell, "name": f"{name}_{i}"} for i, cell in enumerate(CELLS)]},
        {"type": "TimeDistributed", "name": f"{name}_td", "layer": inner}]}  # fmt: skip


def test_code_is_formatted_as_ruff_formats_it(tmp_path: Path) -> None:
    data = {"wrappers": WRAPPERS, "ops": OPS, "exact": EXACT, "inner": INNER_OBJECTS,
            "long_ops": LONG_OPS, "frozen": FROZEN}  # fmt: skip
    sources = {name: render(spec) for name, spec in data.items()}
    sources["frozen_sequential"] = render(FROZEN, style="sequential")
    for k in (1, 8, 16, 24, 32, 40, 48, 54):
        sources[f"long_{k}"] = render(long_named(k))
        sources[f"long_{k}_sequential"] = render(long_named(k), style="sequential")
    for name, code in sources.items():
        assert max(len(line) for line in code.splitlines()) <= WIDTH, name
        (tmp_path / f"{name}.py").write_text(code, encoding="utf-8")
    args = ["--isolated", "--line-length", str(WIDTH)]
    fmt = subprocess.run([RUFF, "format", "--check", "--diff", *args, tmp_path],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = subprocess.run([RUFF, "check", *args, "--select", "E,F,W,I", "--ignore", "E501",
                           tmp_path], capture_output=True, text=True, check=False)  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr


# --- through the public to_code (needs the normaliser's new syntax) ----------------


def test_public_to_code_writes_wrappers() -> None:
    spec = {"name": "seq2seq", "input_shape": [5, 3], "layers": [
        {"type": "Bidirectional", "layer": {"LSTM": 8, "return_sequences": True},
         "backward_layer": {"LSTM": 8, "go_backwards": True, "return_sequences": True}},
        {"type": "RNN", "cell": [{"LSTMCell": 4}, {"LSTMCell": 4}], "return_sequences": True},
        {"type": "TimeDistributed", "layer": {"Dense": 1}}]}  # fmt: skip
    assert kg.to_code(spec) == render(WRAPPERS)
    for style in ("functional", "sequential"):
        assert_builds(kg.to_code(spec, style=style), wrappers_by_hand())
        assert_builds(kg.to_code(spec, style=style), kg.build(spec))


def test_public_to_code_writes_operations() -> None:
    spec = {"name": "ops", "inputs": {"input": [6, 3]}, "layers": [
        {"LSTM": 4, "return_sequences": True}, {"op": "mean", "axis": 1},
        {"Dense": 4, "name": "d"}, {"op": "add", "inputs": ["d", "mean_1"]},
        {"op": "add", "x2": 3.0}, {"op": "subtract", "x1": 1.0}, {"op": "multiply", "x2": 0.5},
        {"op": "true_divide", "x2": 2.0}, {"op": "divide", "x2": 2.0},
        {"op": "concatenate", "inputs": ["divide_1", "d"], "axis": -1},
        {"op": "reshape", "newshape": [-1, 2, 4]},
        {"op": "max", "axis": [1, 2], "keepdims": True},
        {"op": "where", "inputs": ["max_1", "max_1"], "x1": 0.0}]}  # fmt: skip
    assert kg.to_code(spec) == render(OPS)
    assert_builds(kg.to_code(spec), ops_by_hand())
    assert_builds(kg.to_code(spec), kg.build(spec))


def test_public_to_code_writes_exact_arguments() -> None:
    spec = {k: v for k, v in EXACT.items() if k != "kind"}  # the normal form is a spec too
    assert kg.to_code(spec) == render(EXACT)
    assert_builds(kg.to_code(spec), exact_by_hand())
    assert_builds(kg.to_code(spec), kg.build(spec))


def frozen_base_by_hand() -> Any:
    keras = _k.keras()
    base = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="base")
    base.trainable = False
    x = keras.Input((3,), batch_size=4)
    return keras.Model(x, keras.layers.Dense(1)(base(x)))


def shared_wrapper_by_hand() -> Any:
    keras = _k.keras()
    left, right = keras.Input((4, 3)), keras.Input((4, 3))
    steps = keras.layers.TimeDistributed(keras.layers.Dense(2))
    return keras.Model([left, right], keras.layers.Add()([steps(left), steps(right)]))


BY_HAND = {"wrappers": wrappers_by_hand, "inner_objects": inner_objects_by_hand,
           "ops": ops_by_hand, "exact": exact_by_hand, "frozen_base": frozen_base_by_hand,
           "shared_wrapper": shared_wrapper_by_hand}  # fmt: skip


@pytest.mark.parametrize("name", sorted(BY_HAND))
def test_to_spec_then_to_code_rebuilds_the_hand_written_model(name: str) -> None:
    model = BY_HAND[name]()
    code = kg.to_code(kg.to_spec(model))
    assert_builds(code, model)
    assert max(len(line) for line in code.splitlines()) <= WIDTH
