"""Checks: the seed passes; every kind of mistake is reported, all at once, in words."""

from __future__ import annotations

import json
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import models
from tests.golden import assert_golden
from tests.test_parse import keras_text

keras = _k.keras()
DATA = Path(__file__).parent / "data"
SEED = (DATA / "seed_summary.txt").read_text(encoding="utf-8")
SEED_SPEC = {"kind": "mlp", "inputs": 10, "hidden": [10, 20, 10], "outputs": 1,
             "activation": "relu", "output_activation": "sigmoid"}  # fmt: skip
ALL = {**models.ZOO, **models.MORE}


def student(hidden: list[int], *, activation: str = "relu", inputs: int = 10) -> Any:
    """The seed MLP as a student might write it, with auto-generated names."""
    visible = keras.Input((inputs,))
    x = visible
    for units in hidden:
        x = keras.layers.Dense(units, activation=activation)(x)
    return keras.Model(visible, keras.layers.Dense(1, activation="sigmoid")(x))


def messages(result: kg.CheckResult) -> list[str]:
    return [str(finding) for finding in result.findings]


# --- passing ---------------------------------------------------------------------------


def test_the_seed_summary_text_passes_for_a_freshly_built_mlp() -> None:
    result = kg.check_summary(models.seed_mlp(), SEED)
    assert result
    assert result.findings == ()
    assert (
        str(result) == "PASS: the model matches the expected summary (4 layers, 551 parameters).\n"
    )
    assert "✓ Passed" in result._repr_html_()
    assert result.raise_for_failure() is result


@pytest.mark.parametrize(
    "expected",
    [SEED_SPEC, kg.parse_summary(SEED), "spec-file", "txt-file"],
    ids=["dict-spec", "summary", "spec-file", "txt-file"],
)
def test_the_seed_passes_against_every_kind_of_expectation(expected: Any, tmp_path: Path) -> None:
    if expected == "spec-file":
        expected = tmp_path / "seed.json"
        expected.write_text(json.dumps(SEED_SPEC), encoding="utf-8")
    elif expected == "txt-file":
        expected = DATA / "seed_summary.txt"
    assert kg.check_summary(student([10, 20, 10]), expected)


def test_a_spec_object_and_a_reference_model() -> None:
    assert kg.check_summary(student([10, 20, 10]), kg.Spec(SEED_SPEC))
    assert kg.check_model(student([10, 20, 10]), models.seed_mlp())
    assert kg.check_model(models.seed_mlp(), SEED_SPEC)


@pytest.mark.parametrize("make", ALL.values(), ids=list(ALL))
def test_every_zoo_model_passes_against_its_own_keras_summary(
    make: Callable[[], Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    model = make()
    assert kg.check_summary(model, keras_text(model)), kg.check_summary(model, keras_text(model))
    assert kg.check_summary(model, keras_text(model, expand_nested=True))
    assert kg.check_model(model, make())


def test_keras_2_text_of_the_zoo_passes() -> None:
    for path in sorted((DATA / "keras2").glob("*.txt")):
        name = path.stem.removesuffix("_narrow").removesuffix("_expanded")
        result = kg.check_summary(ALL[name](), path.read_text(encoding="utf-8"))
        assert result, (path.name, str(result))


# --- each mistake, reported in words -----------------------------------------------------

UNITS = ("layer 3 (Dense): expected 20 units, found 10 — its output is (None, 10) instead of "
         "(None, 20), so it has 110 parameters instead of 220")  # fmt: skip
NEXT = ("layer 4 (Dense): it has 110 parameters instead of 210, because its input is (None, 10) "
        "instead of (None, 20), which follows from layer 3 (Dense)")  # fmt: skip


def test_wrong_units() -> None:
    for check in (lambda m: kg.check_summary(m, SEED), lambda m: kg.check_model(m, SEED_SPEC)):
        result = check(student([10, 10, 10]))
        assert not result
        assert messages(result) == [UNITS, NEXT, "model: expected 551 parameters in total (551 "
                                    "trainable, 0 non-trainable), found 341 (341 trainable, "
                                    "0 non-trainable)"]  # fmt: skip
        assert result.findings[0].hint is not None
        assert result.findings[0].hint.startswith("set units=20 on this layer (it is the layer")
        assert result.findings[1].hint == (
            "this follows from a difference before it: fix the earlier layers first"
        )


def test_a_missing_layer_does_not_cascade() -> None:
    result = kg.check_model(student([10, 10]), SEED_SPEC)
    assert messages(result)[:2] == [
        "missing layer: expected a Dense layer with output (None, 20) and 220 parameters after "
        "layer 2 (Dense), but there is none",
        "layer 3 (Dense): it has 110 parameters instead of 210, because its input is (None, 10) "
        "instead of (None, 20), which follows from the layer missing after layer 2 (Dense)",
    ]
    assert result.findings[0].hint == (
        "add keras.layers.Dense(20, activation='relu') after layer 2 (Dense)"
    )
    assert len(result.findings) == 3  # and the total; the output layer matches
    from_text = kg.check_summary(student([10, 10]), SEED)
    assert from_text.findings[0].hint == "add a Dense layer with 20 units after layer 2 (Dense)"


def test_an_extra_layer_does_not_cascade() -> None:
    result = kg.check_summary(student([10, 20, 20, 10]), SEED)
    assert messages(result)[0] == "layer 4 (Dense): this Dense layer is not in the expected model"
    assert result.findings[0].hint is not None
    assert result.findings[0].hint.startswith("remove it (it is the layer named 'dense")
    assert [f.kind for f in result.findings] == ["extra", "totals"]


def test_a_wrong_activation() -> None:
    result = kg.check_model(student([10, 20, 10], activation="tanh"), SEED_SPEC)
    assert messages(result) == [
        f"layer {n} (Dense): expected activation 'relu', found 'tanh'" for n in (2, 3, 4)
    ]
    assert kg.check_summary(
        student([10, 20, 10], activation="tanh"), SEED
    )  # text has no activations


def test_a_wrong_input_shape() -> None:
    result = kg.check_summary(student([10, 20, 10], inputs=12), SEED)
    assert messages(result)[:2] == [
        "layer 1 (InputLayer): expected input shape (None, 10), found (None, 12)",
        "layer 2 (Dense): it has 130 parameters instead of 110, because its input is (None, 12) "
        "instead of (None, 10), which follows from layer 1 (InputLayer)",
    ]
    assert result.findings[0].hint == "use keras.Input(shape=(10,))"


def test_a_wrong_shape_in_the_expected_text() -> None:
    """The text of the seed MLP with 30 units in its second hidden layer, as Keras prints
    it: that layer's and the next one's counts, and the totals, all changed together."""
    text = SEED.replace("(None, 20)                220", "(None, 30)                330")
    text = text.replace("(None, 10)                210", "(None, 10)                310")
    text = text.replace("params: 551", "params: 761")
    result = kg.check_summary(models.seed_mlp(), text)
    assert messages(result)[0] == (
        "layer 3 (Dense): expected 30 units, found 20 — its output is (None, 20) instead of "
        "(None, 30), so it has 220 parameters instead of 330"
    )


def test_a_wrong_total_alone() -> None:
    """The expected text says that 10 of its 551 parameters are frozen, and no row says
    which: every layer matches, the totals do not."""
    frozen = "Trainable params: 541\nNon-trainable params: 10"
    text = SEED.replace("Trainable params: 551\nNon-trainable params: 0", frozen)
    result = kg.check_summary(models.seed_mlp(), text)
    assert messages(result) == [
        "model: expected 551 parameters in total (541 trainable, 10 non-trainable), found 551 "
        "(551 trainable, 0 non-trainable)"
    ]
    assert result.findings[0].hint == "every layer matches, so check the expected totals themselves"


def test_an_expected_text_whose_total_contradicts_its_rows_is_refused() -> None:
    """A total edited by hand, its rows left as they are: the text is refused, not graded."""
    text = SEED.replace("Total params: 551", "Total params: 552")
    with pytest.raises(
        kg.SummaryParseError,
        match=r"line 14: the total contradicts the table: its 5 rows add up to 551 parameters, "
        r"1 fewer than the total says\n  expected: 'Total params: 551', the sum of the 5 rows\n"
        r"  received: 'Total params: 552'\n  hint: the summary may have been cut or edited",
    ):
        kg.check_summary(models.seed_mlp(), text)


def test_every_mistake_at_once() -> None:
    visible = keras.Input((12,))  # expected 10 inputs
    x = keras.layers.Dense(10, activation="tanh")(visible)  # expected relu
    x = keras.layers.Dense(10, activation="relu")(x)  # expected 20 units
    x = keras.layers.Dense(10, activation="relu")(x)
    x = keras.layers.Dense(7, activation="relu")(x)  # an extra layer
    out = keras.layers.Dense(1, activation="sigmoid")(x)
    result = kg.check_model(keras.Model(visible, out), SEED_SPEC)
    assert [f.kind for f in result.findings] == [
        "input", "config", "config", "consequence", "extra", "consequence", "totals"
    ]  # fmt: skip
    assert messages(result)[1] == (
        "layer 2 (Dense): expected activation 'relu', found 'tanh'; also it has 130 parameters "
        "instead of 110, because its input is (None, 12) instead of (None, 10), which follows "
        "from layer 1 (InputLayer)"
    )
    assert messages(result)[2] == UNITS
    assert messages(result)[3] == NEXT  # follows from layer 3
    assert messages(result)[4] == "layer 5 (Dense): this Dense layer is not in the expected model"
    text = str(result)
    assert text.startswith("FAIL: 7 differences from the reference model:\n  1. layer 1 ")
    assert "Traceback" not in text


def test_names_are_compared_only_on_request() -> None:
    assert kg.check_summary(models.seed_mlp(), SEED)
    result = kg.check_summary(models.seed_mlp(), SEED, compare_names=True)
    assert messages(result)[:2] == [
        "layer 1 (InputLayer): expected the name 'input_7', found 'input'",
        "layer 2 (Dense): expected the name 'dense_18', found 'hidden_1'",
    ]
    assert len(result.findings) == 5


def test_layer_configuration_that_matters() -> None:
    def cnn(filters: int, kernel: int, strides: int, padding: str) -> Any:
        return keras.Sequential([
            keras.Input((8, 8, 1)),
            keras.layers.Conv2D(filters, kernel, strides=strides, padding=padding),
            keras.layers.Flatten(), keras.layers.Dropout(0.5), keras.layers.Dense(2),
        ])  # fmt: skip

    result = kg.check_model(cnn(4, 5, 2, "same"), cnn(8, 3, 1, "valid"))
    assert messages(result)[0] == (
        "layer 1 (Conv2D): expected 8 filters, found 4; expected kernel_size=(3, 3), found "
        "kernel_size=(5, 5); expected strides=(1, 1), found strides=(2, 2); expected "
        "padding='valid', found padding='same' — its output is (None, 4, 4, 4) instead of "
        "(None, 6, 6, 8), so it has 104 parameters instead of 80"
    )
    low = keras.Sequential([keras.Input((3,)), keras.layers.Dropout(0.2)])
    dropout = kg.check_model(low, keras.Sequential([keras.Input((3,)), keras.layers.Dropout(0.5)]))
    assert messages(dropout) == ["layer 1 (Dropout): expected rate=0.5, found rate=0.2"]


def test_return_sequences() -> None:
    def rnn(flag: bool) -> Any:
        return keras.Sequential([keras.Input((5, 1)), keras.layers.LSTM(4, return_sequences=flag)])

    assert messages(kg.check_model(rnn(False), rnn(True))) == [
        "layer 1 (LSTM): expected return_sequences=True, found return_sequences=False — its "
        "output is (None, 4) instead of (None, 5, 4)"
    ]


def _digits_cnn(filters: int = 16, units: int = 32, out: str = "softmax") -> Any:
    return keras.Sequential([
        keras.Input((8, 8, 1)), keras.layers.Conv2D(filters, 3, activation="relu"),
        keras.layers.MaxPooling2D(), keras.layers.Flatten(),
        keras.layers.Dense(units, activation="relu"), keras.layers.Dense(10, activation=out),
    ])  # fmt: skip


def test_a_layer_is_blamed_only_for_what_its_own_setting_does() -> None:
    """Fewer filters make the Dense layer's input 72 wide instead of 144: its 4,672
    parameters (4,640 expected) come from that as much as from its 64 units."""
    result = kg.check_model(_digits_cnn(8, 64, "sigmoid"), _digits_cnn())
    assert messages(result)[1:5] == [
        "layer 2 (MaxPooling2D): its output is (None, 3, 3, 8) instead of (None, 3, 3, 16), "
        "because its input is (None, 6, 6, 8) instead of (None, 6, 6, 16), which follows from "
        "layer 1 (Conv2D)",
        "layer 3 (Flatten): its output is (None, 72) instead of (None, 144), because its input "
        "is (None, 3, 3, 8) instead of (None, 3, 3, 16), which follows from layer 1 (Conv2D)",
        "layer 4 (Dense): expected 32 units, found 64 — on the expected input, its output would "
        "be (None, 64) instead of (None, 32), so it would have 9,280 parameters instead of "
        "4,640; its input is (None, 72) instead of (None, 144), which follows from layer 1 "
        "(Conv2D), so it has 4,672 parameters",
        "layer 5 (Dense): expected activation 'softmax', found 'sigmoid'; also it has 650 "
        "parameters instead of 330, because its input is (None, 64) instead of (None, 32), "
        "which follows from layer 4 (Dense)",
    ]
    assert [f.kind for f in result.findings] == [
        "config", "consequence", "consequence", "config", "config", "totals"
    ]  # fmt: skip
    # from summary text alone, the count on the expected input is unknown: both are named
    text = kg.check_summary(_digits_cnn(8, 64), keras_text(_digits_cnn()))
    assert messages(text)[3] == (
        "layer 4 (Dense): expected 32 units, found 64 — its input also differs ((None, 72) "
        "instead of (None, 144), which follows from layer 1 (Conv2D)), and from both, its output "
        "is (None, 64) instead of (None, 32) and it has 4,672 parameters instead of 4,640"
    )


@pytest.mark.parametrize("padding", ["same", "valid"])
def test_of_two_like_layers_the_one_given_the_input_stays_paired(padding: str) -> None:
    """One Conv2D(32) expected; two Conv2D(64) found. Both placements of the extra layer
    cost the same: the first layer, which carries the input shape, is kept and changed, the
    second is the extra one, and the later layers' differences are its consequences."""

    def cnn(*filters: int) -> Any:
        convs = [keras.layers.Conv2D(n, 3, padding=padding, activation="relu") for n in filters]
        convs[0] = keras.layers.Conv2D(
            filters[0], 3, padding=padding, activation="relu", input_shape=(28, 28, 1)
        )
        rest = [keras.layers.MaxPooling2D(), keras.layers.Flatten(), keras.layers.Dense(10)]
        return keras.Sequential([*convs, *rest])

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras 3 prefers keras.Input to input_shape=
        student, reference = cnn(64, 64), cnn(32)
    result = kg.check_model(student, reference)
    side = {"same": 28, "valid": 26}[padding]
    assert messages(result)[:2] == [
        f"layer 1 (Conv2D): expected 32 filters, found 64 — its output is (None, {side}, {side}, "
        f"64) instead of (None, {side}, {side}, 32), so it has 640 parameters instead of 320",
        "layer 2 (Conv2D): this Conv2D layer is not in the expected model",
    ]
    extra = student.layers[1].name
    assert result.findings[1].hint == f"remove it (it is the layer named '{extra}')"
    assert [f.kind for f in result.findings] == [
        "config", "extra", "consequence", "consequence", "consequence", "totals"
    ]  # fmt: skip
    cause = "which follows from the extra layer 2 (Conv2D)"
    assert all(message.endswith(cause) for message in messages(result)[2:5])


# --- check_params ----------------------------------------------------------------------


def test_check_params() -> None:
    model = models.batchnorm()
    assert kg.check_params(model, total=81, trainable=65, non_trainable=16)
    assert str(kg.check_params(model, total=81)) == (
        "PASS: the model has the expected parameter counts (total 81).\n"
    )
    result = kg.check_params(model, total=80, per_layer=[40, 30, 0, 9])
    assert messages(result) == [
        "layer 3 (BatchNormalization): expected 30 parameters, found 32",
        "model: expected 80 parameters in total, found 81",
    ]
    assert result.findings[0].hint == (
        "Keras counts gamma 8 + beta 8 + moving_mean 8 (non-trainable) + moving_variance 8 "
        "(non-trainable) = 32 for this layer (named 'batch_normalization_1')"
    )
    assert kg.check_params(model, per_layer=[0, 40, 32, 0, 9])  # with the InputLayer's 0
    assert kg.check_params(model, per_layer={"dense_1": 40, "dense_2": 9})


def test_check_params_names_and_counts_that_do_not_fit() -> None:
    result = kg.check_params(models.seed_mlp(), per_layer={"hiden_2": 220})
    assert messages(result) == ["per_layer['hiden_2']: the model has no layer named 'hiden_2'"]
    assert result.findings[0].hint is not None
    assert result.findings[0].hint.startswith("did you mean 'hidden_2'")
    short = kg.check_params(models.seed_mlp(), per_layer=[110, 220])
    assert messages(short) == ["model: expected 2 layers with parameters, found 4"]


@pytest.mark.slow
def test_trained_model_optimizer_variables_are_not_counted() -> None:
    model = models.seed_mlp()
    model.compile(optimizer="adam", loss="mse")
    import numpy as np

    model.fit(np.zeros((4, 10), "float32"), np.zeros((4, 1), "float32"), epochs=1, verbose=0)
    assert kg.check_params(model, total=551)
    assert kg.check_summary(model, SEED)
    assert kg.check_summary(model, keras_text(model))  # Keras's total includes the optimizer


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({}, r"check_params\(\): nothing to check(.|\n)*e.g. check_params\(model, total=551\)"),
        ({"total": "551"}, r"check_params\(total=\.\.\.\)(.|\n)*received: '551'"),
        ({"trainable": -1}, r"check_params\(trainable=\.\.\.\)(.|\n)*an int >= 0"),
        ({"non_trainable": True}, r"check_params\(non_trainable=\.\.\.\)(.|\n)*received: True"),
        ({"per_layer": "110"}, r"check_params\(per_layer=\.\.\.\)(.|\n)*received: str"),
        ({"per_layer": [110, 2.5]}, r"check_params\(per_layer\[1\]\)(.|\n)*received: 2.5"),
    ],
)  # fmt: skip
def test_bad_arguments_to_check_params(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(kg.OptionError, match=match):
        kg.check_params(models.seed_mlp(), **kwargs)


def test_bad_arguments_to_check_summary_and_check_model() -> None:
    with pytest.raises(kg.OptionError, match=r"check_summary\(expected=\.\.\.\): cannot compare "
                       r"with this(.|\n)*received: builtins.int"):  # fmt: skip
        kg.check_summary(models.seed_mlp(), 42)
    with pytest.raises(kg.OptionError, match=r"check_model\(compare_names=\.\.\.\)"):
        kg.check_model(models.seed_mlp(), SEED_SPEC, compare_names="yes")
    with pytest.raises(kg.OptionError, match=r"expected a Keras model or a spec"):
        kg.check_model(models.seed_mlp(), 3.5)
    with pytest.raises(kg.SummaryParseError, match=r"line 1: "):
        kg.check_summary(models.seed_mlp(), "Layer (type) is what I expect\nand more")
    with pytest.raises(kg.FileError, match=r"missing.txt: the expected summary cannot be read"):
        kg.check_summary(models.seed_mlp(), DATA / "missing.txt")


# --- results ---------------------------------------------------------------------------


def test_raise_for_failure_lists_every_finding() -> None:
    result = kg.check_model(student([10, 10, 10]), SEED_SPEC)
    with pytest.raises(kg.CheckFailed) as raised:
        result.raise_for_failure()
    message = str(raised.value)
    assert message.startswith("check_model: 3 differences from the reference model:\n  1. ")
    for finding in result.findings:
        assert str(finding) in message
    assert "hint: set units=20" in message
    assert isinstance(raised.value, AssertionError)
    assert raised.value.__cause__ is None


def test_results_as_data_and_html() -> None:
    result = kg.check_summary(student([10, 10]), SEED)
    data = result.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert (data["check"], data["passed"], len(data["findings"])) == ("check_summary", False, 3)
    assert data["findings"][0]["kind"] == "missing"
    html = result._repr_html_()
    assert "✗ 3 differences from the expected summary" in html
    assert html.count("<li>") == 3
    assert "<i>hint: add a Dense layer with 20 units after layer 2 (Dense)</i>" in html


GOLDEN = {
    "units": lambda: kg.check_summary(student([10, 10, 10]), SEED),
    "missing": lambda: kg.check_model(student([10, 10]), SEED_SPEC),
    "extra": lambda: kg.check_summary(student([10, 20, 20, 10]), SEED),
    "activation": lambda: kg.check_model(student([10, 20, 10], activation="tanh"), SEED_SPEC),
    "input": lambda: kg.check_summary(student([10, 20, 10], inputs=12), SEED),
    "params": lambda: kg.check_params(models.seed_mlp(), total=550, per_layer=[110, 200, 210, 11]),
    "passed": lambda: kg.check_summary(models.seed_mlp(), SEED),
}


@pytest.mark.parametrize("name", GOLDEN)
def test_text_rendering(name: str, overwrite: bool) -> None:
    assert_golden(f"checks_{name}.txt", str(GOLDEN[name]()), overwrite=overwrite)


def test_an_extra_block_after_a_changed_layer_is_found_where_it_is() -> None:
    """One mistake per finding (issue 19): the first convolution has 64 filters instead of
    32, and a second Conv2D/MaxPooling2D block follows it. The alignment pairs the first
    convolution (its output's size agrees) and reports the later block as extra, not the
    other way round, which blamed the second convolution for the block's parameters."""
    ref = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Conv2D(32, 3), keras.layers.MaxPooling2D(),
         keras.layers.Flatten(), keras.layers.Dense(10)]
    )  # fmt: skip
    student = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Conv2D(64, 3), keras.layers.MaxPooling2D(),
         keras.layers.Conv2D(64, 3), keras.layers.MaxPooling2D(), keras.layers.Flatten(),
         keras.layers.Dense(10)]
    )  # fmt: skip
    found = kg.check_model(student, ref).findings
    assert [f.kind for f in found] == [
        "config", "consequence", "extra", "consequence", "consequence", "totals"
    ]  # fmt: skip
    assert found[0].message.startswith("expected 32 filters, found 64")
    assert found[0].message.endswith("so it has 640 parameters instead of 320")
    assert found[2].where == "layers 3–4 (Conv2D, MaxPooling2D)"  # as in model.summary()


def test_layers_are_numbered_as_the_students_own_summary_shows_them() -> None:
    """Keras's summary of a Sequential model lists no InputLayer; a functional one does."""
    ref = [keras.Input((8,)), keras.layers.Dense(16), keras.layers.Dense(1)]
    wrong = [keras.Input((4,)), keras.layers.Dense(32), keras.layers.Dense(1)]
    sequential = kg.check_model(keras.Sequential(wrong), keras.Sequential(ref)).findings
    assert [f.where for f in sequential] == [
        "the input (InputLayer)", "layer 1 (Dense)", "layer 2 (Dense)", "model"
    ]  # fmt: skip
    assert sequential[1].message.startswith("expected 16 units, found 32")
    inputs = keras.Input((4,))
    functional = keras.Model(inputs, keras.layers.Dense(1)(keras.layers.Dense(32)(inputs)))
    found = kg.check_model(functional, keras.Sequential(ref)).findings
    assert [f.where for f in found][:3] == [
        "layer 1 (InputLayer)",
        "layer 2 (Dense)",
        "layer 3 (Dense)",
    ]


def test_check_summary_numbers_layers_as_the_students_summary_too() -> None:
    ref = keras.Sequential([keras.Input((8,)), keras.layers.Dense(16), keras.layers.Dense(1)])
    student = keras.Sequential([keras.Input((8,)), keras.layers.Dense(32), keras.layers.Dense(1)])
    result = kg.check_summary(student, str(kg.summarize(ref)))
    assert result.findings[0].where == "layer 1 (Dense)"
    assert result.findings[0].message.startswith("expected 16 units, found 32")
