"""Specs that say what attention, masked, sequence-to-sequence and stateful models need.

Each spec is written by hand, as a course author would, and built; the model must be
the one written by hand in plain Keras (compared with ``fingerprint``: configs, weights,
every call's arguments by parameter, the input and output structure). Mistakes get a
SpecError that names the place, what was expected and a fix.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests.test_convert_calls import fingerprint

keras = _k.keras()
layers = keras.layers


def _same(spec: dict[str, Any], by_hand: Any, *, code: bool = True) -> Any:
    """Build ``spec``; it must be ``by_hand``, and so must the code to_code writes for it
    (``code=False`` where the spec names an operation: ``x + y`` in code cannot)."""
    built = kg.build(spec, ignore_hints="all")
    assert fingerprint(built) == fingerprint(by_hand)
    if not code:
        return built
    namespace: dict[str, Any] = {}
    exec(kg.to_code(kg.load_spec(spec)), namespace)  # our own generated code
    assert fingerprint(namespace["model"]) == fingerprint(by_hand)
    return built


# --- attention: MultiHeadAttention's value and key, its call options -------------------


def test_a_transformer_block_self_attends_with_call_value() -> None:
    spec = {
        "inputs": [{"name": "x", "shape": [6, 8]}],
        "layers": [
            {"type": "MultiHeadAttention", "name": "attend", "num_heads": 2, "key_dim": 4,
             "call": {"value": "x", "use_causal_mask": True}},
            {"op": "add", "name": "residual", "inputs": ["x", "attend"]},
            {"type": "LayerNormalization", "name": "norm", "epsilon": 1e-6},
            {"type": "Dense", "name": "ffn", "units": 8, "activation": "relu"},
        ],
        "outputs": "ffn",
    }  # fmt: skip
    x = keras.Input((6, 8), name="x")
    a = layers.MultiHeadAttention(2, 4, name="attend")(x, x, use_causal_mask=True)
    h = layers.LayerNormalization(epsilon=1e-6, name="norm")(x + a)
    by_hand = keras.Model(x, layers.Dense(8, activation="relu", name="ffn")(h))
    next(op for op in by_hand.operations if type(op).__name__ == "Add").name = "residual"
    _same(spec, by_hand, code=False)


def test_cross_attention_takes_value_and_key_by_name() -> None:
    spec = {
        "inputs": [{"name": "q", "shape": [4, 8]}, {"name": "v", "shape": [6, 8]},
                   {"name": "k", "shape": [6, 8]}],
        "layers": [{"type": "MultiHeadAttention", "name": "mha", "num_heads": 2, "key_dim": 4,
                    "inputs": "q", "call": {"value": "v", "key": "k"}}],
        "outputs": "mha",
    }  # fmt: skip
    q, v, k = (keras.Input(s, name=n) for n, s in (("q", (4, 8)), ("v", (6, 8)), ("k", (6, 8))))
    _same(spec, keras.Model([q, v, k], layers.MultiHeadAttention(2, 4, name="mha")(q, v, k)))


# --- masks: passed on by Keras, or given by name ----------------------------------------


def test_a_mask_from_mask_zero_reaches_the_lstm_without_being_written() -> None:
    spec = {
        "inputs": [{"name": "tokens", "shape": [None], "dtype": "int32"}],
        "layers": [{"type": "Embedding", "name": "embed", "input_dim": 50, "output_dim": 4,
                    "mask_zero": True}, {"type": "LSTM", "name": "lstm", "units": 3}],
        "outputs": "lstm",
    }  # fmt: skip
    x = keras.Input((None,), dtype="int32", name="tokens")
    by_hand = keras.Model(
        x, layers.LSTM(3, name="lstm")(layers.Embedding(50, 4, mask_zero=True, name="embed")(x))
    )
    built = _same(spec, by_hand)
    names = [op.name for op in built.operations]
    assert names == ["tokens", "embed", "embed_mask", "lstm"]  # not Keras's not_equal_N
    assert [op.name for op in kg.build(spec).operations] == names  # the same every time
    built.set_weights(by_hand.get_weights())
    padded = np.array([[3, 4, 0, 0], [5, 0, 0, 0]])
    np.testing.assert_allclose(built(padded), by_hand(padded), atol=1e-6)
    assert kg.check_model(by_hand, built, compare_names=True).passed


def test_an_explicit_mask_is_given_by_name() -> None:
    spec = {
        "inputs": [{"name": "x", "shape": [4]}, {"name": "m", "shape": [4], "dtype": "bool"}],
        "layers": [{"type": "Softmax", "name": "soft", "inputs": "x", "call": {"mask": "m"}}],
        "outputs": "soft",
    }
    x, m = keras.Input((4,), name="x"), keras.Input((4,), name="m", dtype="bool")
    built = _same(spec, keras.Model([x, m], layers.Softmax(name="soft")(x, mask=m)))
    out = built([np.ones((1, 4)), np.array([[True, True, False, False]])])
    np.testing.assert_allclose(out, [[0.5, 0.5, 0.0, 0.0]], atol=1e-6)


# --- sequence to sequence: initial_state ------------------------------------------------


def test_a_decoder_starts_from_the_encoders_states() -> None:  # keras.io's lstm_seq2seq
    spec = {
        "inputs": [{"name": "source", "shape": [None, 5]}, {"name": "target", "shape": [None, 6]}],
        "layers": [
            {"type": "LSTM", "name": "encoder", "units": 8, "return_state": True,
             "inputs": "source"},
            {"type": "LSTM", "name": "decoder", "units": 8, "return_sequences": True,
             "inputs": "target", "call": {"initial_state": ["encoder[1]", "encoder[2]"]}},
            {"type": "Dense", "name": "next", "units": 6, "activation": "softmax"},
        ],
        "outputs": "next",
    }  # fmt: skip
    source, target = keras.Input((None, 5), name="source"), keras.Input((None, 6), name="target")
    _, h, c = layers.LSTM(8, return_state=True, name="encoder")(source)
    d = layers.LSTM(8, return_sequences=True, name="decoder")(target, initial_state=[h, c])
    by_hand = keras.Model([source, target], layers.Dense(6, activation="softmax", name="next")(d))
    _same(spec, by_hand)


# --- stateful RNNs ----------------------------------------------------------------------


def test_a_stateful_rnn_keeps_its_state_between_batches() -> None:
    spec = {"input_shape": [3, 2], "batch_size": 2, "layers": [{"GRU": 4, "stateful": True}]}
    spec["layers"][0]["name"] = "gru"
    model = kg.build(spec)
    assert model.layers[-1].stateful
    assert tuple(model.inputs[0].shape) == (2, 3, 2)
    by_hand = keras.Sequential(
        [keras.Input((3, 2), batch_size=2, name="input"), layers.GRU(4, stateful=True, name="gru")]
    )
    assert fingerprint(model)[1:] == fingerprint(by_hand)[1:]
    batch = np.ones((2, 3, 2), "float32")
    first, second = np.array(model(batch)), np.array(model(batch))
    assert not np.allclose(first, second)  # it went on from the state the first batch left
    model.layers[-1].reset_state()
    np.testing.assert_allclose(np.array(model(batch)), first, atol=1e-6)


def test_a_stateful_rnn_without_a_batch_size_is_refused_naming_the_cause() -> None:
    spec = {"input_shape": [3, 2], "layers": [{"type": "LSTM", "name": "memory", "units": 4,
                                               "stateful": True}]}  # fmt: skip
    with pytest.raises(
        kg.SpecError,
        match=r"layer 'memory': the LSTM 'memory' is stateful, but its input has no fixed "
        r"batch size[\s\S]*received: input shape \(None, 3, 2\)[\s\S]*add `batch_size: 32`",
    ):
        kg.build(spec)


# --- names and input structure ----------------------------------------------------------


def test_names_keras_accepts_are_accepted() -> None:
    spec = {
        "inputs": [{"name": "pixel values", "shape": [4]}],
        "layers": [{"type": "Dense", "name": "1st hidden (relu)", "units": 3},
                   {"type": "Dense", "name": "über", "units": 1, "inputs": "1st hidden (relu)"}],
        "outputs": "über",
    }  # fmt: skip
    x = keras.Input((4,), name="pixel values")
    h = layers.Dense(3, name="1st hidden (relu)")(x)
    _same(spec, keras.Model(x, layers.Dense(1, name="über")(h)))


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("block/conv", r"layers\[0\]\.name: not a valid name[\s\S]*no '/'"),
        ("dense[0]", r"layers\[0\]\.name: not a valid name[\s\S]*a final \[number\]"),
        ("", r"layers\[0\]\.name: not a valid name[\s\S]*1 to 200 characters"),
        ("a" * 201, r"layers\[0\]\.name: not a valid name"),
    ],
)
def test_names_a_spec_cannot_use_are_refused(name: str, message: str) -> None:
    with pytest.raises(kg.SpecError, match=message):
        kg.load_spec({"input_shape": [4], "layers": [{"type": "Dense", "units": 1, "name": name}]})


def test_dict_inputs_build_a_model_that_takes_a_dict() -> None:
    spec = {
        "inputs": [{"name": "title", "shape": [3]}, {"name": "body", "shape": [2]}],
        "dict_inputs": True,
        "layers": [{"type": "Concatenate", "name": "join", "inputs": ["title", "body"]}],
        "outputs": "join",
    }
    title, body = keras.Input((3,), name="title"), keras.Input((2,), name="body")
    by_hand = keras.Model(
        {"title": title, "body": body}, layers.Concatenate(name="join")([title, body])
    )
    built = _same(spec, by_hand)
    assert isinstance(built.input, dict)
    assert 'inputs={"title": title, "body": body}' in kg.to_code(kg.load_spec(spec))
    with pytest.raises(kg.OptionError, match=r"dict_inputs[\s\S]*takes its inputs as a dict"):
        kg.to_code(kg.load_spec(spec), style="sequential")
    with pytest.raises(kg.SpecError, match=r"dict_inputs: `dict_inputs` must be true or false"):
        kg.load_spec({**spec, "dict_inputs": "yes"})


# --- mistakes in call: ------------------------------------------------------------------


def _attention(call: object) -> dict[str, Any]:
    return {
        "inputs": [{"name": "x", "shape": [6, 8]}],
        "layers": [{"type": "MultiHeadAttention", "name": "mha", "num_heads": 2, "key_dim": 4,
                    "call": call}],
        "outputs": "mha",
    }  # fmt: skip


@pytest.mark.parametrize(
    ("call", "message"),
    [
        ({"valu": "x"}, r"layers\[0\]\.call\.valu: MultiHeadAttention 'mha' has no call option "
         r"'valu'[\s\S]*expected: options of MultiHeadAttention's call: value, key[\s\S]*"
         r"did you mean 'value'"),
        ({"value": "y"}, r"layers\[0\]\.call\.value: 'y' is not the name of an input or a "
         r"layer[\s\S]*expected: one of x"),
        ({"value": 3}, r"layers\[0\]\.call\.value: `call.value` is neither a call flag nor "
         r"tensors given by name[\s\S]*received: value: 3 \(int\)"),
        ({"value": "x", "use_causal_mask": "yes"},
         r"layers\[0\]\.call\.use_causal_mask: `use_causal_mask` must be true or false"),
        ({"query": "x", "value": "x"}, r"MultiHeadAttention 'mha' has no call option 'query'"
         r"[\s\S]*give the layer's inputs with `inputs:`"),
    ],
)  # fmt: skip
def test_mistakes_in_call_name_the_place_and_the_fix(call: object, message: str) -> None:
    with pytest.raises(kg.SpecError, match=message):
        kg.build(_attention(call))


def test_an_input_used_only_through_call_is_used() -> None:
    spec = {
        "inputs": [{"name": "x", "shape": [4]}, {"name": "m", "shape": [4], "dtype": "bool"}],
        "layers": [{"type": "Softmax", "name": "soft", "inputs": "x", "call": {"mask": "m"}}],
        "outputs": "soft",
    }
    assert [t.name for t in kg.build(spec).inputs] == ["x", "m"]


def test_a_name_with_markup_and_quotes_stays_text_everywhere(tmp_path: Any) -> None:
    name = "<img src=x onerror=alert(1)>&\"'"
    spec = {"inputs": [{"name": "in <b>", "shape": [4]}],
            "layers": [{"type": "Dense", "units": 2, "name": name}], "outputs": name}  # fmt: skip
    model = kg.build(spec)
    assert model.layers[-1].name == name
    assert "<img" not in kg.summarize(model)._repr_html_()
    kg.plot_model(model, to_file=tmp_path / "m.svg")
    assert "<img" not in (tmp_path / "m.svg").read_text()
    namespace: dict[str, Any] = {}
    exec(kg.to_code(kg.to_spec(model)), namespace)  # the names are string literals in code
    assert [layer.name for layer in namespace["model"].layers] == ["in <b>", name]
