"""check_model sees every change to what a model computes, and names it (issue 20).

A sample of the mutation sweep of ``tests/model_mutations.py`` (``make conformance`` runs
all of it and prints the figure), then each change issue 20 found missed, one by one,
with the exact finding; then models that compute the same thing, written differently,
which must pass.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide.grading._assignment import FINDING_KINDS
from kerasguide.grading._assignment import load as load_assignment
from tests import model_mutations as mm

keras = _k.keras()
layers = keras.layers


# --- the sweep, a sample -------------------------------------------------------------------


def test_every_setting_call_and_dtype_of_a_small_model_is_caught() -> None:
    outcome = mm.run_model("batchnorm", mm.ZOO["batchnorm"])
    assert outcome.noisy == []
    assert outcome.missed == []
    assert outcome.tried >= 30  # 35 with Keras 3.15; 33 with 3.3 (fewer settings)
    assert outcome.caught == outcome.tried


@pytest.mark.parametrize("name", ["attention", "recurrent", "small_cnn"])
def test_every_call_and_structure_change_is_caught(name: str) -> None:
    def calls(mutation: mm.Mutation) -> bool:
        return " call " in mutation.detail or mutation.target == "model"

    outcome = mm.run_model(name, mm.ZOO[name], only=calls)
    older = [m for m in outcome.missed if "mask dropped" in m and "(NotEqual)" in m]
    if older and len(older) == len(outcome.missed):
        # Keras before 3.11 or so keeps an Embedding's mask as a NotEqual node of the graph:
        # a dropped mask still fails the check, as that operation, not as the mask.
        pytest.xfail(f"this Keras names a dropped mask as its NotEqual operation: {older[0]}")
    assert outcome.noisy == []
    assert outcome.missed == []
    assert outcome.tried >= 5
    assert outcome.caught == outcome.tried


def test_the_figure_is_reported() -> None:
    outcome = mm.Outcome(tried=4, caught=3, missed=["m: Dense.units: 2 -> 3: PASS"])
    text = mm.report(outcome)
    assert text.startswith("mutations caught / tried: 3 / 4 (75.0%)")
    assert "  missed: m: Dense.units: 2 -> 3: PASS" in text


def test_a_finding_names_an_attribute_as_a_word() -> None:
    assert mm.names("expected 4 units, found 5", "units")
    assert mm.names("expected backward_layer.units=4, found backward_layer.units=5", "units")
    assert not mm.names("expected recurrent_dropout=0.0, found 0.5", "dropout")


# --- the changes issue 20 found check_model missed ------------------------------------------


def _lstm(**settings: Any) -> Any:
    inputs = keras.Input((5, 3))
    return keras.Model(inputs, layers.Dense(1)(layers.LSTM(4, name="lstm", **settings)(inputs)))


def _dense(**settings: Any) -> Any:
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.Dense(3, name="dense", **settings)(inputs))


def _norm(**settings: Any) -> Any:
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.BatchNormalization(name="norm", **settings)(inputs))


def _only(student: Any, reference: Any) -> kg.Finding:
    result = kg.check_model(student, reference)
    assert len(result.findings) == 1, str(result)
    return result.findings[0]


@pytest.mark.parametrize(
    ("student", "reference", "kind", "message", "hint"),
    [
        (lambda: _lstm(go_backwards=True), _lstm, "config",
         "expected go_backwards=False, found go_backwards=True",
         "set go_backwards=False on this layer"),
        (lambda: _lstm(recurrent_activation="hard_sigmoid"), _lstm, "config",
         "expected recurrent_activation='sigmoid', found recurrent_activation='hard_sigmoid'",
         "set recurrent_activation='sigmoid' on this layer"),
        (lambda: _dense(kernel_initializer="he_normal"), _dense, "initializer",
         "expected kernel_initializer=keras.initializers.GlorotUniform(), found "
         "kernel_initializer=keras.initializers.HeNormal()",
         "set kernel_initializer=keras.initializers.GlorotUniform() on this layer"),
        (lambda: _dense(kernel_regularizer="l2"), _dense, "regularizer",
         "expected kernel_regularizer=None, found "
         "kernel_regularizer=keras.regularizers.L2(l2=0.01)",
         "set kernel_regularizer=None on this layer"),
        (lambda: _dense(bias_constraint="non_neg"), _dense, "constraint",
         "expected bias_constraint=None, found bias_constraint=keras.constraints.NonNeg()",
         "set bias_constraint=None on this layer"),
        (lambda: _norm(momentum=0.9), _norm, "config",
         "expected momentum=0.99, found momentum=0.9", "set momentum=0.99 on this layer"),
        (lambda: _norm(epsilon=0.01), _norm, "config",
         "expected epsilon=0.001, found epsilon=0.01", "set epsilon=0.001 on this layer"),
        (lambda: _dense(dtype="float64"), _dense, "dtype",
         "expected dtype='float32', found dtype='float64'",
         "set dtype='float32' on this layer (it is the layer named 'dense'); "
         "keras.config.set_floatx() and set_dtype_policy() change every layer's default"),
        (lambda: _dense(dtype="mixed_float16"), _dense, "dtype",
         "expected dtype='float32', found dtype='mixed_float16'", "set dtype='float32'"),
        (lambda: _lstm(seed=3), _lstm, "seed", "expected seed=None, found seed=3",
         "set seed=None on this layer"),
    ],
    ids=["go_backwards", "recurrent_activation", "initializer", "regularizer", "constraint",
         "momentum", "epsilon", "float64", "mixed_float16", "seed"],
)  # fmt: skip
def test_a_changed_setting_is_named(
    student: Callable[[], Any], reference: Callable[[], Any], kind: str, message: str, hint: str
) -> None:
    finding = _only(student(), reference())
    assert (finding.kind, finding.message) == (kind, message)
    assert finding.hint is not None
    assert finding.hint.startswith(hint)


def test_a_float64_input_is_named() -> None:
    def model(dtype: str) -> Any:
        inputs = keras.Input((4,), dtype=dtype, name="features")
        return keras.Model(inputs, layers.Dense(2)(inputs))

    finding = _only(model("float64"), model("float32"))
    assert str(finding) == "layer 1 (InputLayer): expected dtype='float32', found dtype='float64'"
    assert (
        finding.hint == "use keras.Input(..., dtype='float32') (it is the layer named 'features')"
    )
    with pytest.raises(kg.CheckFailed, match=r"layer 1 \(InputLayer\): expected dtype='float32'"):
        kg.check_model(model("float64"), model("float32")).raise_for_failure()


def _dropout(**call: Any) -> Any:
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.Dense(1)(layers.Dropout(0.5, name="drop")(inputs, **call)))


def _batchnorm_call(**call: Any) -> Any:
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.BatchNormalization(name="norm")(inputs, **call))


def _attention(**call: Any) -> Any:
    query, value = keras.Input((4, 8), name="query"), keras.Input((6, 8), name="value")
    out = layers.Attention(name="attention")([query, value], **call)
    return keras.Model([query, value], out)


def _frozen_base(**call: Any) -> Any:
    base_in = keras.Input((4,))
    base = keras.Model(base_in, layers.Dense(3)(base_in), name="base")
    inputs = keras.Input((4,))
    return keras.Model(inputs, layers.Dense(1)(base(inputs, **call)))


@pytest.mark.parametrize(
    ("student", "reference", "message", "hint"),
    [
        (lambda: _dropout(training=True), _dropout, "layer 2 (Dropout): expected training=False, "
         "found training=True", "call it without training (it is the layer named 'drop')"),
        (lambda: _batchnorm_call(training=False), _batchnorm_call,
         "layer 2 (BatchNormalization): expected training=None, found training=False",
         "call it without training (it is the layer named 'norm')"),
        (_attention, lambda: _attention(use_causal_mask=True),
         "layer 3 (Attention): expected use_causal_mask=True, found use_causal_mask=False",
         "call it with use_causal_mask=True (it is the layer named 'attention')"),
        (_frozen_base, lambda: _frozen_base(training=False),
         "layer 2 (Functional): expected training=False, found training=None",
         "call it with training=False (it is the layer named 'base')"),
    ],
    ids=["mc-dropout", "batchnorm-inference", "causal-mask", "frozen-base"],
)  # fmt: skip
def test_a_changed_call_is_named(
    student: Callable[[], Any], reference: Callable[[], Any], message: str, hint: str
) -> None:
    finding = _only(student(), reference())
    assert (finding.kind, str(finding), finding.hint) == ("call", message, hint)


def test_a_dropped_mask_and_initial_state_are_named() -> None:
    def seq2seq(state: bool) -> Any:
        source, target = keras.Input((5, 3), name="source"), keras.Input((4, 3), name="target")
        _, h, c = layers.LSTM(6, return_state=True, name="encoder")(source)
        decoded = layers.LSTM(6, name="decoder")(target, initial_state=[h, c] if state else None)
        return keras.Model([source, target], [decoded, h, c])

    finding = kg.check_model(seq2seq(False), seq2seq(True)).findings[0]
    assert finding.kind == "call"
    assert finding.message == (
        "expected initial_state=[output 2 of layer 4 (LSTM), output 3 of layer 4 (LSTM)], "
        "found initial_state=None"
    )

    def masked(mask: bool) -> Any:
        tokens = keras.Input((5,), name="tokens")
        keep = keras.Input((5,), dtype="bool", name="keep")
        x = layers.Embedding(10, 4, name="embedding")(tokens)
        return keras.Model([tokens, keep], layers.LSTM(3)(x, mask=keep if mask else None))

    with pytest.raises(kg.CheckFailed, match=r"expected mask=the output of layer 3 \(InputLayer\), "
                       r"found mask=None"):  # fmt: skip
        kg.check_model(masked(False), masked(True)).raise_for_failure()


def test_swapped_inputs_of_a_layer_are_wiring() -> None:
    def model(swap: bool) -> Any:
        a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
        pair = [b, a] if swap else [a, b]
        return keras.Model([a, b], layers.Subtract(name="difference")(pair))

    finding = _only(model(True), model(False))
    assert finding.kind == "wiring"
    # Keras lists the student's inputs in the order they are used: b is layer 1 there.
    assert finding.message == (
        "expected inputs[0] to be the output of layer 2 (InputLayer), found the output of "
        "layer 1 (InputLayer); expected inputs[1] to be the output of layer 1 (InputLayer), "
        "found the output of layer 2 (InputLayer)"
    )
    assert finding.hint == (
        "pass the output of layer 2 (InputLayer) as inputs[0], and the output of layer 1 "
        "(InputLayer) as inputs[1] (it is the layer named 'difference')"
    )


def test_a_layer_shared_or_not_is_wiring() -> None:
    def siamese(shared: bool) -> Any:
        left, right = keras.Input((4,), name="left"), keras.Input((4,), name="right")
        first = layers.Dense(2, name="encoder")
        second = first if shared else layers.Dense(2, name="encoder_2")
        merged = layers.Concatenate(name="merged")([first(left), second(right)])
        return keras.Model([left, right], merged)

    result = kg.check_model(siamese(True), siamese(False))
    assert [f.kind for f in result.findings][:1] == ["wiring"]
    assert result.findings[0].message == "expected this layer to be called once, found twice"


def test_the_structure_of_inputs_and_outputs() -> None:
    def heads(outputs: str) -> Any:
        inputs = keras.Input((4,), name="features")
        label = layers.Dense(3, activation="softmax", name="label")(inputs)
        value = layers.Dense(1, name="value")(inputs)
        made = {"dict": {"label": label, "value": value}, "other": {"class": label, "value": value},
                "list": [label, value], "swapped": [value, label]}  # fmt: skip
        return keras.Model(inputs, made[outputs])

    renamed = _only(heads("other"), heads("dict"))
    assert (renamed.kind, str(renamed)) == ("structure", "model: expected the outputs as a dict "
                                            "with the keys 'label', 'value', found a dict with the "
                                            "keys 'class', 'value'")  # fmt: skip
    assert renamed.hint == "give keras.Model its outputs as a dict with the keys 'label', 'value'"
    listed = _only(heads("list"), heads("dict"))
    assert listed.message.endswith("found a list of 2")
    swapped = kg.check_model(heads("swapped"), heads("list"))
    assert [f.kind for f in swapped.findings] == ["structure", "structure"]
    assert swapped.findings[0].message == (
        "expected outputs[0] to be a (None, 3) float32 tensor, found a (None, 1) float32 tensor"
    )
    assert swapped.findings[0].hint == "list the model's outputs in the expected order"


def test_the_inputs_order_of_a_model() -> None:
    def model(swap: bool) -> Any:
        a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
        out = layers.Concatenate()([layers.Dense(2, name="p")(a), layers.Dense(5, name="q")(b)])
        return keras.Model([b, a] if swap else [a, b], out)

    result = kg.check_model(model(True), model(False))
    assert [f.kind for f in result.findings] == ["structure", "structure"]
    assert result.findings[0].message == (
        "expected inputs[0] to be the output of layer 1 (InputLayer), found the output of "
        "layer 2 (InputLayer)"
    )


# --- settings held by wrappers ---------------------------------------------------------------


def test_the_backward_layer_and_stacked_cells_are_compared() -> None:
    def both(units: int) -> Any:
        inputs = keras.Input((5, 3))
        backward = layers.LSTM(units, go_backwards=True)
        x = layers.Bidirectional(layers.LSTM(4), backward_layer=backward, name="both")(inputs)
        return keras.Model(inputs, x)

    finding = kg.check_model(both(5), both(4)).findings[0]
    assert finding.message == (
        "expected backward_layer.units=4, found backward_layer.units=5 — it has 308 parameters "
        "instead of 256"
    )
    assert finding.hint == (
        "set units=4 on the backward layer of this Bidirectional (it is the layer named 'both')"
    )

    def stack(units: int, trainable: bool = True) -> Any:
        inputs = keras.Input((5, 3))
        rnn = layers.RNN([layers.GRUCell(4), layers.GRUCell(units)], name="stack")
        rnn.cell.trainable = trainable
        return keras.Model(inputs, rnn(inputs))

    second = kg.check_model(stack(3), stack(2)).findings[0]
    assert second.message.startswith("expected cells[1].units=2, found cells[1].units=3")
    assert second.hint == "set units=2 on cell 2 of this RNN (it is the layer named 'stack')"


# --- equal models, written differently, pass ------------------------------------------------


def test_an_omitted_default_equals_an_explicit_one() -> None:
    def norm(explicit: bool) -> Any:
        inputs = keras.Input((4,))
        if not explicit:
            x = layers.BatchNormalization()(layers.Dense(3)(inputs))
            return keras.Model(inputs, layers.Dropout(0.5)(x))
        x = layers.Dense(3, activation="linear")(inputs)
        x = layers.BatchNormalization(momentum=0.99, epsilon=1e-3, center=True)(x, training=None)
        return keras.Model(inputs, layers.Dropout(0.5)(x, training=None))

    assert kg.check_model(norm(True), norm(False))
    assert kg.check_model(norm(False), norm(True))
    assert kg.check_model(_dense(kernel_initializer="glorot_uniform"), _dense())
    assert kg.check_model(_dense(kernel_initializer=keras.initializers.GlorotUniform()), _dense())


def test_a_key_one_side_does_not_write_is_read_from_the_class(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    old, new = _norm(), _norm(momentum=0.9)
    layer = old.get_layer("norm")
    written = layer.get_config()
    without = {k: v for k, v in written.items() if k != "momentum"}
    monkeypatch.setattr(layer, "get_config", lambda: without)  # a model saved before the key
    assert kg.check_model(old, _norm())
    assert kg.check_model(_norm(), old)
    finding = _only(new, old)
    assert finding.message == "expected momentum=0.99, found momentum=0.9"


def test_order_free_inputs_and_a_single_output_in_a_list_pass() -> None:
    def model(swap: bool, listed: bool) -> Any:
        a, b = keras.Input((3,), name="a"), keras.Input((3,), name="b")
        x = layers.Add()([b, a] if swap else [a, b])
        y = layers.Maximum()([x, a] if swap else [a, x])
        z = x * y if swap else y * x
        return keras.Model([a, b], [z] if listed else z)

    assert kg.check_model(model(True, True), model(False, False))
    assert kg.check_model(model(False, True), model(True, False))


def test_a_saved_and_loaded_model_passes(tmp_path: Path) -> None:
    model = mm.small_cnn()
    path = tmp_path / "model.keras"
    model.save(path)
    assert kg.check_model(keras.models.load_model(path), model)
    assert kg.check_model(model, keras.models.load_model(path))


def test_the_new_kinds_can_be_weighed_by_a_grader(tmp_path: Path) -> None:
    kinds = ("initializer", "regularizer", "constraint", "dtype", "seed", "call", "wiring",
             "structure")  # fmt: skip
    assert set(kinds) <= set(FINDING_KINDS)
    (tmp_path / "ref.yaml").write_text("kind: mlp\ninputs: 4\nhidden: [3]\noutputs: 1\n")
    deductions = ", ".join(f"{kind}: 0" for kind in kinds)
    (tmp_path / "a.yaml").write_text(
        "exercises:\n  - name: mlp\n    variable: model\n    reference: {spec: ref.yaml}\n"
        f"    points: 10\n    deductions: {{{deductions}, config: 2}}\n"
    )
    exercise = load_assignment(tmp_path / "a.yaml").exercises[0]
    assert [exercise.deduction(kind) for kind in (*kinds, "config")] == [0] * len(kinds) + [2]
