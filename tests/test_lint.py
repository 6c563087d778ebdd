"""kg.lint: hints for legal but wrong models, on hand-written Keras models and on specs."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import models

keras = _k.keras()
L = keras.layers


def _sequential(*layers: Any, shape: tuple[int, ...] = (4,)) -> Any:
    return keras.Sequential([keras.Input(shape), *layers])


def _spec(*layers: Any, shape: list[int] | None = None) -> dict[str, Any]:
    return {"input_shape": shape or [4], "layers": list(layers)}


# code, the model written in Keras, the same mistake as a spec, expect, message, spec path
CASES: list[tuple[str, Callable[[], Any], dict[str, Any], str | None, str, str]] = [
    (
        "softmax-one-unit",
        lambda: _sequential(L.Dense(8), L.Dense(1, activation="softmax")),
        _spec({"Dense": 8}, {"Dense": 1, "activation": "softmax"}),
        None,
        r"softmax over one unit always outputs 1\.0.*probably meant: activation='sigmoid'",
        "layers[1]",
    ),
    (
        "missing-output-activation",
        lambda: _sequential(L.Dense(8, activation="relu"), L.Dense(3)),
        _spec({"Dense": 8, "activation": "relu"}, {"Dense": 3}),
        "probabilities",
        r"checked against probabilities, but it has no activation.*"
        r"probably meant: activation='softmax' \(3 classes",
        "layers[1]",
    ),
    (
        "relu-output",
        lambda: _sequential(L.Dense(8, activation="relu"), L.Dense(1, activation="relu")),
        _spec({"Dense": 8, "activation": "relu"}, {"Dense": 1, "activation": "relu"}),
        "probabilities",
        r"relu outputs any value from 0 upward, never a probability.*"
        r"probably meant: activation='sigmoid'",
        "layers[1]",
    ),
    (
        "wrong-output-activation",
        lambda: _sequential(L.Dense(1, activation="tanh")),
        _spec({"Dense": 1, "activation": "tanh"}),
        "probabilities",
        r"tanh does not output a probability",
        "layers[0]",
    ),
    (
        "activation-with-logits",
        lambda: _sequential(L.Dense(3, activation="softmax")),
        _spec({"Dense": 3, "activation": "softmax"}),
        "logits",
        r"the loss expects logits.*softmax.*applies it a second time",
        "layers[0]",
    ),
    (
        "dense-without-flatten",
        lambda: _sequential(L.Conv2D(4, 3), L.Dense(10, activation="softmax"), shape=(8, 8, 1)),
        _spec(
            {"Conv2D": 4, "kernel_size": 3}, {"Dense": 10, "activation": "softmax"}, shape=[8, 8, 1]
        ),
        None,
        r"its input \(None, 6, 6, 4\) has 4 axes.*outputs \(None, 6, 6, 10\).*"
        r"probably meant: a Flatten \(or GlobalAveragePooling2D\) before the Dense",
        "layers[1]",
    ),
    (
        "return-sequences",
        lambda: _sequential(L.LSTM(4, return_sequences=True), L.Dense(1), shape=(5, 3)),
        _spec({"LSTM": 4, "return_sequences": True}, {"Dense": 1}, shape=[5, 3]),
        None,
        r"return_sequences=True on the last recurrent layer.*each of its 5 steps.*"
        r"probably meant: return_sequences=False on 'lstm'.*sequence-to-sequence.*TimeDistributed",
        "layers[0]",
    ),
    (
        "dropout-high",
        lambda: _sequential(L.Dense(8), L.Dropout(0.9), L.Dense(1)),
        _spec({"Dense": 8}, {"Dropout": 0.9}, {"Dense": 1}),
        None,
        r"rate=0\.9 sets 90% of the values to 0.*probably meant: rate=0\.1 to keep 90%",
        "layers[1]",
    ),
    (
        "no-effect",
        lambda: _sequential(L.Dense(8), L.Activation("linear"), L.Dense(1)),
        _spec({"Dense": 8}, {"Activation": "linear"}, {"Dense": 1}),
        None,
        r"Activation\('linear'\) returns its input unchanged.*probably meant: remove it",
        "layers[1]",
    ),
]
IDS = [case[0] for case in CASES]


@pytest.mark.parametrize(("code", "model", "spec", "expect", "message", "path"), CASES, ids=IDS)
def test_each_hint_on_a_keras_model(
    code: str, model: Callable[[], Any], spec: Any, expect: Any, message: str, path: str
) -> None:
    hints = kg.lint(model(), expect=expect)
    assert [hint.code for hint in hints] == [code]
    assert hints[0].path is None
    assert str(hints[0]).startswith("layer '")
    assert re.search(message, str(hints[0]), re.DOTALL), str(hints[0])


@pytest.mark.parametrize(("code", "model", "spec", "expect", "message", "path"), CASES, ids=IDS)
def test_each_hint_on_a_spec_names_the_spec_path(
    code: str, model: Callable[[], Any], spec: Any, expect: Any, message: str, path: str
) -> None:
    hints = kg.lint(spec, expect=expect)
    assert [hint.code for hint in hints] == [code]
    assert hints[0].path == path
    assert str(hints[0]).startswith(f"{path} '")
    assert hints[0].message in str(hints)


def test_dropout_zero_and_flatten_of_a_flat_input_have_no_effect() -> None:
    model = _sequential(L.Dense(8), L.Dropout(0.0), L.Flatten(), L.Dense(1))
    hints = kg.lint(model)
    assert [(h.code, h.layer_type) for h in hints] == [
        ("no-effect", "Dropout"),
        ("no-effect", "Flatten"),
    ]
    assert "Dropout(rate=0) drops nothing" in hints[0].message
    assert "is already flat" in hints[1].message


def test_recurrent_dropout_of_0_95_is_too_high() -> None:
    hints = kg.lint(_sequential(L.LSTM(4, recurrent_dropout=0.95), L.Dense(1), shape=(5, 3)))
    assert [h.code for h in hints] == ["dropout-high"]
    assert "recurrent_dropout=0.95 sets 95%" in hints[0].message
    assert "recurrent_dropout=0.05 to keep 95%" in hints[0].meant


def test_a_softmax_layer_over_an_axis_of_one_value() -> None:
    hints = kg.lint(_sequential(L.Dense(1), L.Softmax()))
    assert [(h.code, h.layer_type) for h in hints] == [("softmax-one-unit", "Softmax")]


@pytest.mark.parametrize(
    "model",
    [
        models.seed_sequential, models.seed_functional, models.seed_mlp, models.multi_input,
        models.multi_output, models.shared_layer, models.nested, models.cnn, models.rnn,
        models.batchnorm, models.gallery, models.nested_deep,
    ],
)  # fmt: skip
def test_the_zoo_models_have_no_hints(model: Callable[[], Any]) -> None:
    hints = kg.lint(model())
    assert not hints
    assert len(hints) == 0
    assert str(hints) == "No hints: nothing looks wrong.\n"


@pytest.mark.parametrize("name", kg.list_examples())
def test_the_shipped_examples_have_no_hints(name: str) -> None:
    assert not kg.lint(kg.load_example(name))


def test_a_sequence_to_sequence_head_in_time_distributed_is_intended() -> None:
    assert not kg.lint(kg.load_example("seq2seq"))
    model = _sequential(L.LSTM(4, return_sequences=True), L.LSTM(4), L.Dense(1), shape=(5, 3))
    assert not kg.lint(model)


def test_dense_inside_a_transformer_block_is_not_flagged() -> None:
    # Dense along the last axis in the middle of a model is normal (a per-token projection).
    inputs = keras.Input((6,), dtype="int32")
    x = L.Embedding(50, 8)(inputs)
    x = L.Dense(8, activation="relu")(x)
    x = L.GlobalAveragePooling1D()(x)
    outputs = L.Dense(1, activation="sigmoid")(x)
    assert not kg.lint(keras.Model(inputs, outputs), expect="probabilities")


def test_a_compiled_loss_says_what_the_output_should_be() -> None:
    model = _sequential(L.Dense(8, activation="relu"), L.Dense(3, activation="relu"))
    model.compile(loss="categorical_crossentropy")
    assert [h.code for h in kg.lint(model)] == ["relu-output"]
    model = _sequential(L.Dense(3, activation="softmax"))
    model.compile(loss=keras.losses.CategoricalCrossentropy(from_logits=True))
    assert [h.code for h in kg.lint(model)] == ["activation-with-logits"]
    model.compile(loss="mse")
    assert [h.code for h in kg.lint(model)] == ["softmax-regression"]
    model = _sequential(L.Dense(3))
    model.compile(loss="mse")
    assert not kg.lint(model)


def test_expect_per_output_of_a_multi_output_model() -> None:
    inputs = keras.Input((4,))
    kind = L.Dense(3, name="kind")(inputs)
    size = L.Dense(1, name="size")(inputs)
    model = keras.Model(inputs, [kind, size])
    hints = kg.lint(model, expect={"kind": "probabilities"})
    assert [(h.code, h.layer) for h in hints] == [("missing-output-activation", "kind")]


def test_bad_expect_values_are_option_errors() -> None:
    model = _sequential(L.Dense(1))
    with pytest.raises(
        kg.OptionError,
        match=r"expect=...\)(.|\n)*received: 'probability'\n  hint: did you mean 'probabilities'",
    ):
        kg.lint(model, expect="probability")
    with pytest.raises(kg.OptionError, match=r"no output layer named 'ouput'"):
        kg.lint(model, expect={"ouput": "logits"})


def test_mlp_and_nested_specs_name_their_spec_paths() -> None:
    spec = {"kind": "mlp", "inputs": 3, "hidden": [4], "outputs": 1,
            "output_activation": "softmax", "dropout": 0.9}  # fmt: skip
    hints = kg.lint(spec)
    assert [(h.code, h.path) for h in hints] == [
        ("dropout-high", "dropout"),
        ("softmax-one-unit", "outputs"),
    ]
    nested = _spec({"Dense": 3}, {"model": {"input_shape": [3], "layers": [{"Dropout": 0}]}})
    assert [h.path for h in kg.lint(nested)] == ["layers[1].model.layers[0]"]


# --- silencing ---------------------------------------------------------------------------

BAD = _spec({"Dense": 8}, {"Dropout": 0.95}, {"Dense": 1, "activation": "softmax"})


def test_ignore_silences_hints_by_name() -> None:
    assert [h.code for h in kg.lint(BAD)] == ["dropout-high", "softmax-one-unit"]
    assert [h.code for h in kg.lint(BAD, ignore=["dropout-high"])] == ["softmax-one-unit"]
    assert [h.code for h in kg.lint(BAD, ignore="dropout-high, softmax-one-unit")] == []
    assert not kg.lint(BAD, ignore="all")


def test_an_unknown_hint_code_is_an_option_error_with_a_did_you_mean() -> None:
    with pytest.raises(
        kg.OptionError, match=r"unknown hint code 'dropout-hi'(.|\n)*did you mean 'dropout-high'"
    ):
        kg.lint(BAD, ignore=["dropout-hi"])


def test_the_environment_variable_silences_hints_everywhere(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("KERASGUIDE_IGNORE_HINTS", "dropout-high")
    assert [h.code for h in kg.lint(BAD)] == ["softmax-one-unit"]
    monkeypatch.setenv("KERASGUIDE_IGNORE_HINTS", "all")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kg.build(BAD)
    monkeypatch.setenv("KERASGUIDE_IGNORE_HINTS", "dropuot-high")
    with pytest.raises(kg.OptionError, match=r"KERASGUIDE_IGNORE_HINTS: unknown hint code"):
        kg.lint(BAD)


# --- build warns -------------------------------------------------------------------------


def test_build_emits_each_hint_as_a_warning() -> None:
    with pytest.warns(kg.KerasGuideWarning) as record:
        model = kg.build(BAD)
    assert model.count_params() > 0
    codes = [w.message.code for w in record.list if isinstance(w.message, kg.KerasGuideWarning)]
    assert codes == ["dropout-high", "softmax-one-unit"]
    assert re.match(
        r"layers\[2\] 'dense_\d' \(Dense\): softmax over one", str(record.list[1].message)
    )
    assert record.list[0].filename == __file__


def test_build_ignore_hints_silences_by_name_or_all() -> None:
    with pytest.warns(kg.KerasGuideWarning, match=r"softmax over one unit") as record:
        kg.build(BAD, ignore_hints=["dropout-high"])
    assert len(record.list) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kg.build(BAD, ignore_hints="all")


# --- the result object -------------------------------------------------------------------


def test_hints_print_as_text_html_and_data() -> None:
    hints = kg.lint(BAD)
    assert isinstance(hints, kg.Hints)
    assert hints
    text = str(hints)
    assert re.match(r"2 hints:\n  1\. layers\[1\] 'dropout(_\d)?' \(Dropout\): rate=0\.95", text)
    assert "     probably meant: rate=0.05 to keep 95%" in text
    assert repr(hints) == text
    assert "<ol>" in hints._repr_html_()
    assert "dropout-high" in hints._repr_html_()
    data = hints.to_dict()
    assert data["count"] == 2
    assert data["hints"][1] == hints[1].to_dict()
    assert set(data["hints"][0]) == {"code", "layer", "layer_type", "path", "message", "meant"}
    assert "No hints" in kg.Hints()._repr_html_()


# --- kerasguide validate -----------------------------------------------------------------


def test_validate_lists_hints_under_the_file_and_still_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from kerasguide.cli import main

    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "name: bad\ninput_shape: [4]\nlayers:\n  - Dense: 8\n  - Dropout: 0.95\n"
        "  - {Dense: 1, activation: softmax}\n",
        encoding="utf-8",
    )
    (tmp_path / "good.yaml").write_text(
        "name: good\ninput_shape: [4]\nlayers:\n  - Dense: 2\n", encoding="utf-8"
    )
    assert main(["validate", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert re.search(
        r"OK    .*bad\.yaml: sequential model 'bad', \d+ parameters\n"
        r"      hint: layers\[1\] 'dropout(_\d)?' \(Dropout\): rate=0\.95 .* \[dropout-high\]\n"
        r"            probably meant: rate=0\.05 to keep 95%",
        out,
    ), out
    assert "layers[2] " in out
    assert re.search(r"OK    .*good\.yaml: sequential model 'good', 10 parameters\n", out)
    assert out.endswith("2 files checked: 2 OK, 0 failed, 2 hints\n")
    assert main(["validate", str(tmp_path), "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["hints"] == 2
    by_name = {Path(item["path"]).name: item for item in report["files"]}
    assert [h["code"] for h in by_name["bad.yaml"]["hints"]] == ["dropout-high", "softmax-one-unit"]
    assert "hints" not in by_name["good.yaml"]
