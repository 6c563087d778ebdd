"""parse_summary() on real summaries as course material keeps them (issue 11).

tests/data/real_summaries/ holds 37 summaries: 16 copied from public repositories
and 21 printed by Keras 3.15 or tf_keras 2.21 (make_summaries.py); index.json
gives each one's source, its form, and its rows and totals counted by hand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k

keras = _k.keras()
layers = keras.layers
FOLDER = Path(__file__).parent / "data" / "real_summaries"
INDEX: dict[str, dict[str, Any]] = json.loads((FOLDER / "index.json").read_text("utf-8"))


def read(name: str) -> str:
    return (FOLDER / name).read_text(encoding="utf-8")


def test_the_collection_has_30_summaries_each_with_its_source() -> None:
    files = {p.name for p in FOLDER.iterdir() if p.suffix in (".txt", ".md")}
    assert files == set(INDEX)
    assert len(INDEX) >= 30
    assert all(entry["source"] for entry in INDEX.values())


@pytest.mark.parametrize("name", list(INDEX))
def test_every_real_summary_parses_with_the_rows_and_totals_counted_by_hand(name: str) -> None:
    if "refused" in INDEX[name]:  # its printed totals contradict its rows
        with pytest.raises(kg.SummaryParseError, match=re.escape(INDEX[name]["refused"])):
            kg.parse_summaries(read(name))
        return
    found = kg.parse_summaries(read(name))
    assert [len(s.rows) for s in found] == INDEX[name]["rows"]
    assert [s.total for s in found] == INDEX[name]["totals"]
    for summary in found:  # the invariant: the rows add up to the total
        top = [row.params for row in summary.rows if not row.depth]
        assert sum(top) == summary.total


def _conv_pool(*sizes: int) -> list[Any]:
    stack: list[Any] = []
    for size in sizes:
        stack += [layers.Conv2D(size, 3, activation="relu"), layers.MaxPooling2D()]
    return stack


def chollet(units: int = 64) -> Any:
    stack = [keras.Input((28, 28, 1)), *_conv_pool(32, 64), layers.Conv2D(64, 3)]
    return keras.Sequential([*stack, layers.Flatten(), layers.Dense(units), layers.Dense(10)])


def msid(units: int = 256) -> Any:
    conv = [layers.Conv2D(64, k, padding="same") for k in (3, 3, 5, 5)]
    head = [keras.Input((28, 28, 1)), layers.BatchNormalization(), *conv[:2]]
    body = [layers.MaxPooling2D(), layers.Dropout(0.3), *conv[2:], layers.MaxPooling2D()]
    top = [layers.Dropout(0.3), layers.Flatten(), layers.Dense(units)]
    tail = [layers.BatchNormalization(), layers.Dropout(0.3), layers.Dense(10)]
    return keras.Sequential([*head, *body, *top, *tail])


def kidney(units: int = 128) -> Any:
    stack = [keras.Input((224, 224, 3)), *_conv_pool(32, 64, 128), layers.Flatten()]
    return keras.Sequential([*stack, layers.Dense(units), layers.Dense(2)])


def lenet(units: int = 120) -> Any:
    stack = [keras.Input((28, 28, 1)), layers.Conv2D(6, 5), layers.MaxPooling2D()]
    stack += [layers.Conv2D(16, 5), layers.MaxPooling2D(), layers.Flatten()]
    return keras.Sequential([*stack, layers.Dense(units), layers.Dense(84), layers.Dense(10)])


def dense_stack(inputs: int, *sizes: int, dropout: bool = False) -> Any:
    stack: list[Any] = [keras.Input((inputs,))]
    for size in sizes:
        stack += [layers.Dense(size), layers.Dropout(0.3)] if dropout else [layers.Dense(size)]
    return keras.Sequential(stack[:-1] if dropout else stack)


def sudachi(filters: int = 64) -> Any:
    stack = [keras.Input((28, 28, 1)), *_conv_pool(32, 64), layers.Conv2D(filters, 3)]
    return keras.Sequential(stack)


def persian(units: int = 4) -> Any:
    return dense_stack(3, units, 3, 1)


def crop(units: int = 128) -> Any:
    return dense_stack(11, units, 64, 8, dropout=True)


DENSE = r"layer \d+ \(Dense\): expected {} units, found {}"
REBUILT: dict[str, tuple[Callable[[int], Any], int, int, str]] = {
    # file: (model, right size, changed size, the precise finding for the changed one)
    "chollet_convnet_notes.md": (chollet, 64, 32, DENSE.format(64, 32)),
    "sudachi_cnn_instance.txt": (sudachi, 64, 48, r"expected 64 filters, found 48"),
    "msid_fashion_cnn.md": (msid, 256, 128, DENSE.format(256, 128)),
    "lenet_nbconvert.md": (lenet, 120, 100, DENSE.format(120, 100)),
    "persian_indented.md": (persian, 4, 5, DENSE.format(4, 5)),
    "crop_expected_output.md": (crop, 128, 100, DENSE.format(128, 100)),
}


@pytest.mark.parametrize("name", list(REBUILT))
def test_check_summary_passes_the_right_model_and_fails_a_changed_one(name: str) -> None:
    make, right, changed, finding = REBUILT[name]
    result = kg.check_summary(make(right), read(name))
    assert result.passed, "\n".join(str(f) for f in result.findings)
    failed = kg.check_summary(make(changed), read(name))
    assert not failed.passed
    assert any(re.search(finding, str(f)) for f in failed.findings), failed.findings


def test_types_cut_without_a_marker_become_the_keras_class_they_begin() -> None:
    rows = kg.parse_summary(read("msid_fashion_cnn.md")).rows
    assert [r.type for r in rows[:4]] == ["BatchNormalization", "Conv2D", "Conv2D", "MaxPooling2D"]
    head = kg.parse_summary(read("dog_vgg16_head.md")).rows  # '(' : chosen by the layer's name
    assert head[0].type == "GlobalAveragePooling2D"


def kidney_text() -> str:
    """kidney_readme.md with its total corrected to the sum of its rows (see below)."""
    return read("kidney_readme.md").replace("11,168,218", "11,169,218")


def test_a_type_left_open_is_matched_as_a_prefix_and_only_real_classes_are_named() -> None:
    text = kidney_text().replace("max_pooling2d_1 (MaxPooling2", "pool_1 (Glob".ljust(28))
    row = kg.parse_summary(text).rows[3]
    assert row.type == "Glob…"
    failed = kg.check_summary(keras.Sequential([layers.Flatten()]), text)
    message = "\n".join(f"{f} {f.hint}" for f in failed.findings)
    assert "GlobalAveragePooling1D" in message
    assert "Glob…" not in message.replace("'Glob'", "")


def test_a_readme_whose_total_is_not_the_sum_of_its_rows() -> None:
    """kidney_readme.md's rows add up to 11,169,218, its printed total is 11,168,218: the
    text is refused, naming both, rather than graded against a total that no model has."""
    with pytest.raises(
        kg.SummaryParseError,
        match=r"line 17: the total contradicts the table: its 9 rows add up to 11,169,218 "
        r"parameters, 1,000 more than the total says\n"
        r"  expected: 'Total params: 11,169,218', the sum of the 9 rows\n"
        r"  received: 'Total params: 11,168,218'\n"
        r"  hint: the summary may have been cut or edited: paste it whole",
    ):
        kg.check_summary(kidney(), read("kidney_readme.md"))
    assert kg.check_summary(kidney(), kidney_text()).passed  # its rows are the model's
    changed = kg.check_summary(kidney(64), kidney_text())
    assert any("expected 128 units, found 64" in str(f) for f in changed.findings)


def test_keras_1_names_map_to_keras_3_classes() -> None:
    rows = kg.parse_summary(read("keras1_behavioral_cloning.md")).rows
    assert {r.type for r in rows} >= {"Conv2D", "MaxPooling2D", "Dense"}
    assert "Convolution2D" not in {r.type for r in rows}


def test_connections_cut_with_an_ellipsis_are_kept_as_prefixes() -> None:
    rows = kg.parse_summary(read("partes_functional.md")).rows
    assert rows[1].connected_to == ("input_layer_1[0]…",)
    skip = kg.parse_summary(read("k3_skip_narrow.txt")).rows
    assert skip[2].connected_to == ("features[0][0]", "hidden_layer_on…")


def test_several_summaries_in_one_cell() -> None:
    text = read("k3_autoencoder_cell.txt")
    assert [s.name for s in kg.parse_summaries(text)] == ["encoder", "decoder", "autoencoder"]
    assert kg.parse_summary(text, name="decoder").total == 89_489
    with pytest.raises(
        kg.SummaryParseError,
        match=r"holds 3 summaries(.|\n)*'encoder', 'decoder', 'autoencoder'(.|\n)*name=",
    ):
        kg.parse_summary(text)
    with pytest.raises(kg.SummaryParseError, match=r"none named 'decodr'"):
        kg.parse_summary(text, name="decodr")


def test_notes_list_items_and_a_missing_footer() -> None:
    assert [r.params for r in kg.parse_summary(read("annotated_counts.md")).rows][1:] == [
        110,
        220,
        210,
        11,
    ]
    partes = kg.parse_summary(read("partes_functional.md"))
    assert (partes.trainable, partes.non_trainable) == (671_262, 4_049_571)
    bare = kg.parse_summary(read("k3_decoder_no_footer.txt"))
    assert (bare.total, bare.trainable) == (89_489, None)


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("Layer (type:depth-idx)   Output Shape   Param #\nConv2d: 1-1   [1, 8]  80",
         r"line 1: this line is not the start(.|\n)*PyTorch summary"),
        ("Total params: 551\nTrainable params: 551",
         r"line 1: (.|\n)*totals of a summary but not its table"),
        ("some notes\nmore notes", r"line 1: (.|\n)*none of its 2 line\(s\)"),
    ],
)  # fmt: skip
def test_a_text_that_is_not_a_summary_names_the_cause(text: str, match: str) -> None:
    with pytest.raises(kg.SummaryParseError, match=match):
        kg.parse_summary(text)
