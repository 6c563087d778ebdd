"""Wrapper layers and Keras operations in specs, and a to_spec that is exact or refuses.

Every spec is compared with the same model written by hand in plain Keras:
the layer classes and every argument of get_config() (names removed where
Keras or kerasguide chose them), weight shapes, trainable flags and wiring.
"""

from __future__ import annotations

from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import _roundtrip, convert
from kerasguide._graph import summary_operations

keras = _k.keras()
L = keras.layers


def _nameless(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _nameless(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return [_nameless(v) for v in value]
    return value


def _ops(model: Any) -> list[Any]:
    return [op for op in summary_operations(model) if not isinstance(op, L.InputLayer)]


def assert_same(built: Any, reference: Any) -> None:
    """Same operations in order, same configs (names aside), weights and output shapes."""
    mine, theirs = _ops(built), _ops(reference)
    assert [type(o).__name__ for o in mine] == [type(o).__name__ for o in theirs]
    for a, b in zip(mine, theirs, strict=True):
        assert _nameless(_roundtrip.plain(a.get_config())) == _nameless(
            _roundtrip.plain(b.get_config())
        ), a.name
        weights = [(tuple(w.shape), w.trainable) for w in getattr(a, "weights", [])]
        assert weights == [(tuple(w.shape), w.trainable) for w in getattr(b, "weights", [])]
    assert [tuple(t.shape) for t in built.outputs] == [tuple(t.shape) for t in reference.outputs]
    assert built.count_params() == reference.count_params()


# --- wrappers ----------------------------------------------------------------------


def test_seq2seq_with_a_time_distributed_head_in_the_shorthand() -> None:
    built = kg.build({"input_shape": [10, 3], "layers": [
        {"LSTM": 16, "return_sequences": True},
        {"LSTM": 16, "return_sequences": True},
        {"TimeDistributed": {"Dense": 1}},
    ]})  # fmt: skip
    x = keras.Input((10, 3))
    y = L.LSTM(16, return_sequences=True)(x)
    y = L.LSTM(16, return_sequences=True)(y)
    y = L.TimeDistributed(L.Dense(1))(y)
    assert_same(built, keras.Model(x, y))
    assert built.layers[-1].layer.name == "dense_1"


def test_bidirectional_with_a_backward_layer_and_rnn_cells() -> None:
    spec = kg.load_spec("""
inputs: {tokens: {shape: [12], dtype: int32}}
layers:
  - {Embedding: 100, output_dim: 8}
  - Bidirectional: {LSTM: 8, return_sequences: true}
  - {type: Bidirectional, layer: {GRU: 4}, backward_layer: {LSTM: 4, go_backwards: true}}
  - {type: RNN, cell: [{LSTMCell: 4}, GRUCell: 3], inputs: bidirectional_1}
  - {type: Concatenate, inputs: [bidirectional_2, rnn_1]}
""")
    layers = spec.to_dict()["layers"]
    assert layers[1]["layer"] == {"type": "LSTM", "name": "lstm_1", "units": 8,
                                  "return_sequences": True}  # fmt: skip
    assert [c["name"] for c in layers[3]["cell"]] == ["lstm_cell_1", "gru_cell_1"]
    x = keras.Input((12,), dtype="int32")
    e = L.Embedding(100, 8)(x)
    b1 = L.Bidirectional(L.LSTM(8, return_sequences=True))(e)
    b2 = L.Bidirectional(L.GRU(4), backward_layer=L.LSTM(4, go_backwards=True))(b1)
    r = L.RNN([L.LSTMCell(4), L.GRUCell(3)])(b1)
    assert_same(kg.build(spec), keras.Model(x, L.Concatenate()([b2, r])))


def test_the_shorthand_value_is_always_the_first_argument() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.units: Dense's 'units' is given twice"):
        kg.load_spec({"input_shape": [3], "layers": [{"Dense": 2, "units": 3}]})
    with pytest.raises(
        kg.SpecTypeError, match=r"layers\[0\]\.Dropout: the shorthand `Dropout:` takes Dropout's "
        r"first argument, 'rate'[\s\S]*received: \{'rate': 0.5\}"
    ):  # fmt: skip
        kg.load_spec({"input_shape": [3], "layers": [{"Dropout": {"rate": 0.5}}]})
    with pytest.raises(kg.SpecTypeError, match=r"layers\[0\]\.layer: TimeDistributed's 'layer' "
                       r"takes a layer[\s\S]*received: 3 \(int\)"):  # fmt: skip
        kg.load_spec({"input_shape": [3, 2], "layers": [{"TimeDistributed": 3}]})


def test_mistakes_inside_a_wrapped_layer_name_their_path() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.layer\.unit: Dense has no argument "
                       r"'unit'[\s\S]*did you mean 'units'"):  # fmt: skip
        kg.load_spec({"input_shape": [3, 2],
                      "layers": [{"TimeDistributed": {"Dense": 1, "unit": 2}}]})  # fmt: skip
    with pytest.raises(kg.SpecError, match=r"layers\[1\]\.layer\.inputs: TimeDistributed's "
                       r"'layer' must be a single layer"):  # fmt: skip
        kg.load_spec({"inputs": {"x": [3, 2]}, "layers": [
            {"Dense": 2}, {"TimeDistributed": {"Dense": 1, "inputs": "x"}}]})  # fmt: skip


# --- operations --------------------------------------------------------------------


def test_residual_with_plus_and_constants() -> None:
    built = kg.build("""
inputs: {x: [8]}
layers:
  - {Dense: 8, activation: relu}
  - {Dense: 8}
  - {op: add, inputs: [dense_2, x]}
  - {op: add, x2: 3.0}
  - {op: subtract, x1: 1.0}
  - {op: mean, axis: 1, keepdims: true}
""")
    x = keras.Input((8,))
    y = L.Dense(8)(L.Dense(8, activation="relu")(x))
    y = 1.0 - ((y + x) + 3.0)
    reference = keras.Model(x, keras.ops.mean(y, axis=1, keepdims=True))
    assert_same(built, reference)
    assert [op.name for op in _ops(built)] == [
        "dense_1", "dense_2", "add_1", "add_2", "subtract_1", "mean_1",
    ]  # fmt: skip
    node = _ops(built)[3]._inbound_nodes[0]
    assert node.arguments.args[1] == 3.0


def test_concatenate_takes_its_tensors_as_one_list() -> None:
    built = kg.build("""
inputs: {a: [3], b: [5]}
layers:
  - {op: concatenate, inputs: [a, b], axis: -1}
  - {op: reshape, newshape: [-1, 2, 4]}
""")
    assert tuple(built.output.shape) == (None, 2, 4)
    a, b = keras.Input((3,)), keras.Input((5,))
    reference = keras.Model(
        [a, b], keras.ops.reshape(keras.ops.concatenate([a, b], axis=-1), (-1, 2, 4))
    )
    assert [type(o).__name__ for o in _ops(built)] == ["Concatenate", "Reshape"]
    assert reference.count_params() == built.count_params() == 0


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"op": "addd"}, r"layers\[0\]\.op: unknown or unsupported operation 'addd'"
         r"[\s\S]*did you mean 'add'"),
        ({"op": "add"}, r"layers\[0\]: add needs a value for 'x2'[\s\S]*received: 1 input"),
        ({"op": "mean", "axes": 1}, r"layers\[0\]\.axes: keras\.ops\.mean has no argument "
         r"'axes'[\s\S]*did you mean 'axis'"),
        ({"op": "mean", "axis": {"a": 1}}, r"layers\[0\]\.axis: an operation's argument must be "
         r"a constant"),
        ({"op": "concatenate", "xs": 1}, r"layers\[0\]\.xs: concatenate takes its tensors from "
         r"`inputs`"),
        ({"op": "__import__"}, r"unknown or unsupported operation '__import__'"),
        ({"op": "add", "inputs": ["x", "x", "x"]}, r"layers\[0\]\.inputs: too many inputs for add"),
    ],
)  # fmt: skip
def test_operation_mistakes(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(kg.SpecError, match=message):
        kg.load_spec({"inputs": {"x": [3]}, "layers": [entry]})


def test_operations_need_a_functional_spec() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.op: `op` needs a functional spec"):
        kg.load_spec({"input_shape": [3], "layers": [{"op": "relu"}]})


# --- to_spec: exact or refused -----------------------------------------------------


def _round_trip(model: Any) -> Any:
    spec = kg.to_spec(model)
    rebuilt = kg.build(kg.load_spec(spec.to_yaml()))
    _roundtrip.verify(model, rebuilt)
    assert kg.to_spec(rebuilt) == spec
    return spec


def test_to_spec_of_wrappers_is_a_readable_spec() -> None:
    x = keras.Input((10, 3), name="x")
    y = L.Bidirectional(L.LSTM(4, return_sequences=True, name="enc"), name="bi")(x)
    y = L.TimeDistributed(L.Dense(1, name="head"), name="per_step")(y)
    spec = _round_trip(keras.Model(x, y, name="tagger"))
    assert spec.to_dict()["layers"] == [
        {"type": "Bidirectional", "name": "bi",
         "layer": {"type": "LSTM", "name": "enc", "units": 4, "return_sequences": True}},
        {"type": "TimeDistributed", "name": "per_step",
         "layer": {"type": "Dense", "name": "head", "units": 1}},
    ]  # fmt: skip
    assert "module" not in spec.to_yaml()
    assert "DTypePolicy" not in spec.to_yaml()


def test_to_spec_of_operations() -> None:
    x = keras.Input((4,), name="x")
    d = L.Dense(4, name="d")(x)
    y = d + x
    y = 3.0 - y
    y = keras.ops.mean(y * (1.0 / 6.0), axis=-1)
    spec = _round_trip(keras.Model(x, y))
    ops = [e for e in spec.to_dict()["layers"] if "op" in e]
    assert [{k: v for k, v in e.items() if k != "name"} for e in ops] == [
        {"op": "add", "inputs": ["d", "x"]},
        {"op": "subtract", "x1": 3.0},
        {"op": "multiply", "x2": 1.0 / 6.0},
        {"op": "mean", "axis": -1},
    ]


def test_to_spec_round_trips_what_used_to_be_lost() -> None:
    base = keras.Sequential([keras.Input((4,)), L.Dense(3)], name="base")
    base.trainable = False
    x = keras.Input((8, 8, 3), batch_size=8, name="image")
    y = L.ZeroPadding2D(((0, 1), (0, 1)))(x)
    y = L.Normalization(axis=-1)(y)
    y = L.Conv2D(2, 3, kernel_initializer=keras.initializers.Constant(0.0))(y)
    y = L.Flatten()(y)
    y = L.Dense(4, trainable=False)(y)
    y = base(y)
    tokens = keras.Input((5,), dtype="int32", name="tokens")
    e = L.Flatten()(L.Embedding(50, 2)(tokens))
    model = keras.Model([x, tokens], {"image": y, "text": e})
    layers = _round_trip(model).to_dict()
    entries = {e.get("type", "model"): e for e in layers["layers"]}
    assert entries["ZeroPadding2D"]["padding"] == [[0, 1], [0, 1]]
    assert entries["Conv2D"]["kernel_initializer"] == {"type": "Constant", "value": 0.0}
    assert "axis" not in entries["Normalization"]
    assert entries["Dense"]["trainable"] is False
    assert entries["model"]["trainable"] is False
    assert entries["Embedding"]["input_dim"] == 50
    assert layers["inputs"][0] == {"name": "image", "shape": [8, 8, 3], "batch_size": 8}
    assert list(layers["outputs"]) == ["image", "text"]


def test_a_slice_is_refused_naming_the_operation() -> None:
    x = keras.Input((5,), name="x")
    with pytest.raises(kg.SpecError, match=r"operation 'get_item': the operation 'get_item' "
                       r"\(GetItem\) cannot be written in a spec[\s\S]*hint: slices"):  # fmt: skip
        kg.to_spec(keras.Model(x, x[:, 0:2]))


def test_the_check_inside_to_spec_refuses_a_silently_different_spec(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The old collapse of ((0, 1), (0, 1)) to [0, 1] must be caught, not written."""
    real = convert._canon

    def collapse(key: str, value: Any) -> Any:
        if key == "padding" and isinstance(value, (list, tuple)) and len(value) == 2:
            return [0, 1]
        return real(key, value)

    monkeypatch.setattr(convert, "_canon", collapse)
    x = keras.Input((8, 8, 3))
    model = keras.Model(x, L.ZeroPadding2D(((0, 1), (0, 1)), name="pad")(x))
    with pytest.raises(kg.SpecError, match=r"layer 'pad': a spec cannot describe 'pad' exactly"
                       r"[\s\S]*argument 'padding'[\s\S]*\[\[0, 1\], \[0, 1\]\]"):  # fmt: skip
        kg.to_spec(model)


def test_an_initialiser_that_needs_arguments_cannot_be_named_bare() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.kernel_initializer: the initializer "
                       r"'constant' needs arguments[\s\S]*type: Constant"):  # fmt: skip
        kg.load_spec({"input_shape": [2], "layers": [
            {"Dense": 1, "kernel_initializer": "constant"}]})  # fmt: skip


@pytest.mark.slow
def test_mobilenet_v3_small_round_trips_exactly() -> None:
    model = keras.applications.MobileNetV3Small(
        weights=None, input_shape=(32, 32, 3), classes=10, include_preprocessing=False
    )
    spec = kg.to_spec(model)
    assert sum("op" in e for e in spec.to_dict()["layers"]) > 10
    assert len(model.to_json()) > 5 * len(spec.to_yaml())
