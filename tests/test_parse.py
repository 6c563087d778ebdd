"""parse_summary(): printed summaries, Keras 2 and Keras 3, read back into Summary data.

Keras 3 text is generated here with ``model.summary(print_fn=...)``; Keras 2 text is
stored under tests/data/keras2/, printed by tf_keras 2.21 for the same zoo models
(see tests/data/make_keras2_summaries.py).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import models

keras = _k.keras()
DATA = Path(__file__).parent / "data"
SEED = (DATA / "seed_summary.txt").read_text(encoding="utf-8")
ALL = {**models.ZOO, **models.MORE}
SEED_BOX = """Model: "mlp"
┏━━━━━━━━━━━━━━━━━━━━┳━━━━━━━━━━━━━━┳━━━━━━━━━┓
┃ Layer (type)       ┃ Output Shape ┃ Param # ┃
┡━━━━━━━━━━━━━━━━━━━━╇━━━━━━━━━━━━━━╇━━━━━━━━━┩
│ input (InputLayer) │ (None, 10)   │       0 │
└────────────────────┴──────────────┴─────────┘
 Total params: 0
"""


def keras_text(model: Any, **options: Any) -> str:
    """Keras's own summary of ``model``, captured through ``print_fn``."""
    lines: list[str] = []
    model.summary(print_fn=lines.append, **options)
    return "\n".join(lines)


def test_the_seed_summary_as_printed() -> None:
    summary = kg.parse_summary(SEED)
    assert summary.name == "model_4"
    assert [(r.name, r.type, r.output_shape, r.params) for r in summary.rows] == [
        ("input_7", "InputLayer", "(None, 10)", 0),  # printed as [(None, 10)]
        ("dense_18", "Dense", "(None, 10)", 110),
        ("dense_19", "Dense", "(None, 20)", 220),
        ("dense_20", "Dense", "(None, 10)", 210),
        ("dense_21", "Dense", "(None, 1)", 11),
    ]
    assert (summary.total, summary.trainable, summary.non_trainable) == (551, 551, 0)
    assert summary.memory is None
    live = kg.summarize(models.seed_mlp())
    assert [(r.type, r.output_shapes, r.params) for r in summary.rows] == [
        (r.type, r.output_shapes, r.params) for r in live.rows
    ]


def test_the_seed_summary_with_what_a_notebook_adds_around_it() -> None:
    text = "\n\n" + SEED + "None\n"  # print(model.summary()) prints None after it
    assert kg.parse_summary(text) == kg.parse_summary(SEED)


@pytest.mark.parametrize("make", ALL.values(), ids=list(ALL))
@pytest.mark.parametrize("width", ["default", "wide"])
def test_keras_3_text_gives_the_rows_and_totals_of_summarize(
    make: Callable[[], Any], width: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = make()
    monkeypatch.setenv("COLUMNS", "80" if width == "default" else "260")
    options = {} if width == "default" else {"line_length": 250}
    for expand in (False, True):
        parsed = kg.parse_summary(keras_text(model, expand_nested=expand, **options))
        live = kg.summarize(model, expand_nested=expand)
        assert parsed == live
        assert [r.params for r in parsed.layers] == [r.params for r in live.layers]
        assert parsed.name == live.name
        assert parsed.memory == pytest.approx(live.memory, rel=0.01)


def test_keras_3_wrapped_cells_and_thousands_separators(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = keras_text(models.wide())
    assert "│ a_big_dense_layer_… │" in text  # Keras cut the name and wrapped the type
    assert "2,099,200" in text
    parsed = kg.parse_summary(text)
    big = parsed.rows[2]
    assert (big.name, big.type, big.params) == ("a_big_dense_layer_…", "Dense", 2_099_200)
    assert big == kg.summarize(models.wide()).rows[2]  # a name cut with … matches its prefix
    assert parsed.rows[3].output_shapes == ((None, 8), (None, 8), (None, 8))


def test_keras_3_connected_to_column(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "200")
    parsed = kg.parse_summary(keras_text(models.shared_layer(), line_length=150))
    live = kg.summarize(models.shared_layer())
    assert [r.connected_to for r in parsed.rows] == [r.connected_to for r in live.rows]
    assert parsed.rows[2].connected_to == ("left[0][0]", "right[0][0]")


def test_keras_3_trained_model_optimizer_params_are_taken_out_of_the_total() -> None:
    model = models.seed_mlp()
    model.compile(optimizer="sgd", loss="binary_crossentropy")
    x = np.random.rand(8, 10).astype("float32")
    model.fit(x, np.random.randint(0, 2, (8, 1)), epochs=1, verbose=0)
    text = keras_text(model)
    assert " Optimizer params: " in text
    parsed = kg.parse_summary(text)
    assert parsed == kg.summarize(model)
    assert (parsed.total, parsed.optimizer) == (551, kg.summarize(model).optimizer)


def _keras2_files() -> list[Path]:
    return sorted((DATA / "keras2").glob("*.txt"))


@pytest.mark.parametrize("path", _keras2_files(), ids=lambda p: p.stem)
def test_keras_2_text_gives_the_rows_and_totals_of_summarize(path: Path) -> None:
    name = path.stem.removesuffix("_narrow").removesuffix("_expanded")
    model = ALL[name]()
    parsed = kg.parse_summary(path.read_text(encoding="utf-8"))
    assert parsed == kg.summarize(model, expand_nested=path.stem.endswith("_expanded"))


def test_keras_2_wrapped_cells_and_the_trainable_column() -> None:
    parsed = kg.parse_summary((DATA / "keras2" / "gallery_narrow.txt").read_text("utf-8"))
    rows = {row.name: row for row in parsed.rows}
    assert rows["volume"].output_shapes == ((None, 4, 4, 4, 1),)  # cut as "[(None, 4, 4, 4" ", 1)]"
    assert rows["pool1d"].type == "GlobalAveragePooling1D"
    assert rows["merged"].connected_to == ("gru[0][0]", "pool1d[0][0]", "frozen_dense[0][0]")
    assert (rows["frozen_dense"].trainable, rows["frozen_dense"].non_trainable) == (0, 165)


def test_keras_2_nested_model_expanded() -> None:
    parsed = kg.parse_summary((DATA / "keras2" / "nested_deep_expanded.txt").read_text("utf-8"))
    assert [(r.depth, r.name) for r in parsed.rows if not r.is_input] == [
        (0, "middle"), (1, "core"), (2, "core_dense"), (1, "middle_dense"), (0, "outer_norm"),
        (0, "outer_dense"),
    ]  # fmt: skip


def test_keras_2_legacy_format_with_underscore_rules() -> None:
    parsed = kg.parse_summary((DATA / "keras2_legacy_shared.txt").read_text("utf-8"))
    visible = keras.Input((100,), name="A_input")
    x = keras.layers.Dense(20, name="B_dense")(visible)
    shared = keras.layers.Dense(20, name="C_dense_shared")
    out = keras.layers.Concatenate(name="D_concat")([shared(x), shared(x)])
    live = kg.summarize(keras.Model(visible, out))
    assert parsed == live
    assert parsed.rows[3].connected_to == ("C_dense_shared[0][0]", "C_dense_shared[1][0]")
    assert parsed.name == ""


@pytest.mark.parametrize("style", ["box", "ascii"])
@pytest.mark.parametrize("name", ["multi_input", "wide", "gallery", "nested_deep"])
def test_kerasguide_text_reads_back(name: str, style: str) -> None:
    model = ALL[name]()
    for expand in (False, True):
        live = kg.summarize(model, expand_nested=expand, style=style)
        parsed = kg.parse_summary(str(live))
        assert parsed == live
        assert parsed.rows == live.rows  # input rows too
        assert [r.non_trainable for r in parsed.rows] == [
            r.non_trainable if "Non-trainable" in str(live).splitlines()[2] else None
            for r in live.rows
        ]


# --- garbage in: an error that names the line -------------------------------------------


def _broken(old: str, new: str) -> str:
    assert old in SEED
    return SEED.replace(old, new, 1)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("hello world", r"line 1: this line is not the start of a summary table(.|\n)*"
                        r"received: 'hello world'"),
        ("", r"line 1: the summary text is empty"),
        (_broken("110       ", "lots      "), r"line 6: this table row cannot be read: the "
                                             r"parameter count is not a number(.|\n)*dense_18"),
        (_broken("(None, 20) ", "(None, x2) "), r"line 8: (.|\n)*dimension 'x2'"),
        (_broken("dense_19 (Dense)", "dense_19        "), r"line 8: (.|\n)*name and type"),
        (_broken("Total params: 551", "Totally 551"), r"line 14: this table row cannot be "
                                                      r"read(.|\n)*received: 'Totally 551'"),
        (SEED.split("Total params")[0], r"line 12: the summary has no 'Total params:' line"
                                        r"(.|\n)*dense_21"),
        (_broken("Trainable", "Epoch 1/10\nTrainable"), r"line 15: this line is not part of "
                                                        r"a summary's totals"),
        (str(SEED_BOX).replace("Output Shape", "Output Thing"),
         r"line 3: the table's header is not a Keras summary header"),
    ],
    ids=["words", "empty", "params", "shape", "name", "totals", "no-total", "inside", "header"],
)  # fmt: skip
def test_garbage_names_the_line(text: str, match: str) -> None:
    with pytest.raises(kg.SummaryParseError, match=match):
        kg.parse_summary(text)


def test_a_log_line_right_after_the_totals_ends_the_summary() -> None:
    assert kg.parse_summary(SEED + "Epoch 1/10\n") == kg.parse_summary(SEED)  # after the rule
    box = keras_text(models.seed_mlp())
    assert box.rstrip().endswith("Non-trainable params: 0 (0.00 B)")
    assert kg.parse_summary(box + "\nEpoch 1/10") == kg.parse_summary(box)


def test_keras_3_summary_cut_at_the_terminal_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    text = keras_text(models.multi_input(), line_length=150)  # rich crops it at 80 columns
    with pytest.raises(kg.SummaryParseError, match=r"line 2: the table's right edge is missing"
                       r"(.|\n)*hint: Keras cuts summaries at the terminal's width"):  # fmt: skip
        kg.parse_summary(text)


def test_a_keras_3_row_that_does_not_line_up() -> None:
    text = str(kg.summarize(models.seed_mlp())).replace("│ hidden_2 (Dense)   │", "│ hidden_2 │", 1)
    with pytest.raises(kg.SummaryParseError, match=r"line 7: this line does not line up"):
        kg.parse_summary(text)


def test_only_text_is_parsed() -> None:
    with pytest.raises(kg.OptionError, match=r"parse_summary\(text\)(.|\n)*received: bytes"):
        kg.parse_summary(SEED.encode())  # type: ignore[arg-type]


# --- totals that contradict the rows: refused, naming both --------------------------------


def test_a_row_edited_without_its_totals_is_refused() -> None:
    text = keras_text(models.seed_mlp()).replace(" 220 │", " 230 │")
    with pytest.raises(
        kg.SummaryParseError,
        match=r"line 15: the total contradicts the table: its 5 rows add up to 561 parameters, "
        r"10 more than the total says\n  expected: 'Total params: 561', the sum of the 5 rows\n"
        r"  received: 'Total params: 551 \(2.15 KB\)'\n  hint: the summary may have been cut or "
        r"edited: paste it whole, as Keras printed it \(if you changed a layer's count, change "
        r"the totals to match\)",
    ):
        kg.parse_summary(text)


def test_totals_that_contradict_each_other_are_refused() -> None:
    text = SEED.replace("Non-trainable params: 0", "Non-trainable params: 10")
    with pytest.raises(
        kg.SummaryParseError,
        match=r"line 15: the totals contradict each other: trainable 551 plus non-trainable 10 "
        r"is 561, not 551(.|\n)*received: 'Trainable params: 551'",
    ):
        kg.parse_summary(text)


def test_a_trained_model_without_its_optimizer_line_is_refused() -> None:
    model = models.seed_mlp()
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    text = keras_text(model)
    optimizer = next(line for line in text.splitlines() if "Optimizer params" in line)
    assert kg.parse_summary(text).total == 551
    with pytest.raises(
        kg.SummaryParseError,
        match=r"its 5 rows add up to 551 parameters, 1,104 fewer than the total says(.|\n)*"
        r"expected: 'Total params: 551', the sum of the 5 rows",
    ):
        kg.parse_summary(text.replace(optimizer, ""))
    edited = text.replace(" 220 │", " 230 │")
    with pytest.raises(
        kg.SummaryParseError,
        match=r"expected: 'Total params: 1,665', the sum of the 5 rows plus 1,104 optimizer "
        r"params\n  received: 'Total params: 1,655 \(6.4[67] KB\)'",  # 6.46 on JAX (int32 step)
    ):
        kg.parse_summary(edited)


def test_nested_rows_are_not_counted_twice() -> None:
    model = models.nested_deep()
    for expand in (False, True):
        text = keras_text(model, expand_nested=expand, show_trainable=True)
        assert kg.parse_summary(text) == kg.summarize(model, expand_nested=expand)
    expanded = (DATA / "keras2" / "nested_deep_expanded.txt").read_text("utf-8")
    nested = [row for row in kg.parse_summary(expanded).rows if row.depth]
    assert nested  # Keras 2's expanded rows, inside their model's row
    with pytest.raises(kg.SummaryParseError, match=r"its 4 top-level rows add up to"):
        kg.parse_summary(expanded.replace("Total params: ", "Total params: 1"))


def test_a_keras_1_summary_without_its_totals_is_summed() -> None:
    """Keras 1 and 2 close the table with a '=' rule: a text cut after it is complete."""
    full = (DATA / "real_summaries" / "keras1_behavioral_cloning.md").read_text("utf-8")
    cut = full.split("Total params")[0]
    assert cut.rstrip().endswith("=" * 100)
    summary, whole = kg.parse_summary(cut), kg.parse_summary(full)
    assert summary.rows == whole.rows
    assert (summary.total, summary.trainable, summary.non_trainable) == (372_173, None, None)


def test_a_summary_whose_first_rows_were_not_copied_is_refused() -> None:
    """As the issue found it: a Keras 1 text whose top rows were lost, its total kept."""
    full = (DATA / "real_summaries" / "keras1_behavioral_cloning.md").read_text("utf-8")
    header, rows = full.split("=" * 100 + "\n", 1)
    cut = header + "=" * 100 + "\n" + rows.split("_" * 100 + "\n", 6)[6]
    assert "conv1 (Convolution2D)" not in cut
    with pytest.raises(
        kg.SummaryParseError,
        match=r"its 15 rows add up to 371,265 parameters, 908 fewer than the total says"
        r"(.|\n)*received: 'Total params: 372,173'(.|\n)*hint: the summary may have been cut",
    ):
        kg.parse_summary(cut)


@pytest.mark.slow
@pytest.mark.parametrize(
    "name",
    # the smallest here; two more in `make conformance` (marked `sweep`)
    ["MobileNetV3Small", *(pytest.param(n, marks=pytest.mark.sweep)
                           for n in ("EfficientNetB0", "DenseNet121"))],
)  # fmt: skip
def test_application_summaries_parse_without_a_false_alarm(
    name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Keras's own models (all 40 pass in a sweep; one in `make test`, three in `make
    conformance`): frozen statistics,
    Normalization layers' counts, and the optimizer's parameters once trained."""
    from tests.conformance import smallest_application

    monkeypatch.setenv("COLUMNS", "260")
    model, _ = smallest_application(name)
    assert kg.parse_summary(keras_text(model, line_length=200)) == kg.summarize(model)
    model.compile(optimizer="adam", loss="mse")
    model.optimizer.build(model.trainable_variables)
    trained = keras_text(model, line_length=200)
    assert "Optimizer params" in trained
    assert kg.parse_summary(trained) == kg.summarize(model)
