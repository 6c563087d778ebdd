"""explain(fold=...): parameters block by block, the grouping of summarize(fold=...), and
counts that are the sum of plain Keras's per-layer counts, every layer counted once."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import models
from tests.golden import assert_golden

keras = _k.keras()
ALL = {**models.ZOO, **models.MORE}


def two_blocks() -> Any:
    """A stem, two residual blocks named as Keras's applications name theirs, and a head."""
    layers = keras.layers
    inputs = keras.Input((8, 8, 3), name="image")
    x = layers.Conv2D(8, 3, padding="same", name="stem_conv")(inputs)
    for i in (1, 2):
        y = layers.Conv2D(8, 3, padding="same", name=f"stage_block{i}_conv")(x)
        y = layers.BatchNormalization(name=f"stage_block{i}_bn")(y)
        y = layers.Activation("relu", name=f"stage_block{i}_relu")(y)
        x = layers.Add(name=f"stage_block{i}_add")([x, y])
    x = layers.GlobalAveragePooling2D(name="pool")(x)
    return keras.Model(inputs, layers.Dense(3, name="head")(x), name="two_blocks")


def _assert_counted_once(model: Any, folded: kg.FoldedExplanation) -> None:
    """Each block's count is the sum of Keras's counts for its layers, each layer in one block."""
    keras_counts = {layer.name: layer.count_params() for layer in model.layers}
    names = [layer.name for run in folded.runs for b in run.blocks for layer in b.layers]
    assert sorted(names) == sorted(keras_counts)
    for run in folded.runs:
        for block in run.blocks:
            assert block.params == sum(keras_counts[layer.name] for layer in block.layers)
    assert sum(run.params for run in folded.runs) == folded.total == model.count_params()


@pytest.mark.slow
@pytest.mark.parametrize("name", ["ResNet50", "MobileNetV2"])
def test_applications_block_by_block(name: str) -> None:
    model = getattr(keras.applications, name)(weights=None)
    folded = kg.explain(model, fold="auto")
    assert isinstance(folded, kg.FoldedExplanation)
    _assert_counted_once(model, folded)
    summary = kg.summarize(model, fold="blocks")
    assert isinstance(summary, kg.FoldedSummary)
    assert [run.name for run in folded.runs] == [run.name for run in summary.blocks.runs]
    assert [run.params for run in folded.runs] == [run.params for run in summary.blocks.runs]
    text = str(folded)
    assert text.endswith(f"= {model.count_params():,} parameters " + text.split("parameters ")[-1])
    if name == "ResNet50":
        assert "conv4_block2 … conv4_block6 (5×D), each: " in text
        assert "; 5 × 1,121,792 = 5,608,960" in text
        assert "conv5_block1 … conv5_block3 ×3 (C + 2×D): 14,998,528 (58.5% of all)" in text


@pytest.mark.parametrize("make", ALL.values(), ids=list(ALL))
def test_every_zoo_model_adds_up_folded(make: Callable[[], Any]) -> None:
    model = make()
    folded = kg.explain(model, fold="blocks")
    assert isinstance(folded, kg.FoldedExplanation)
    top = [layer.name for run in folded.runs for b in run.blocks for layer in b.layers]
    assert sorted(top) == sorted(
        layer.name for layer in kg.explain(model).layers if not layer.depth
    )
    assert sum(run.params for run in folded.runs) == folded.total == model.count_params()


def test_two_repeated_blocks_against_keras(overwrite: bool) -> None:
    model = two_blocks()
    folded = kg.explain(model, fold="blocks")
    assert isinstance(folded, kg.FoldedExplanation)
    _assert_counted_once(model, folded)
    (run,) = [run for run in folded.runs if run.count > 1]
    assert run.count == 2
    assert run.params == 2 * (8 * 9 * 8 + 8 + 4 * 8)
    assert_golden("explain_two_blocks_folded.txt", str(folded), overwrite=overwrite)


def test_opened_blocks_write_out_every_layer() -> None:
    text = str(kg.explain(two_blocks(), fold=2))
    assert "    stage_block1, stage_block2 (2×A), each, 4 layers:" in text
    assert "        stage_block1_conv (Conv2D): kernel 3×3×8×8 = 576 + bias 8 = 584" in text
    assert "        = 616 each; 2 × 616 = 1,232" in text


def test_nested_models_keep_their_layers_inside() -> None:
    model = models.nested_deep()
    folded = kg.explain(model, fold=2)
    assert isinstance(folded, kg.FoldedExplanation)
    assert folded.total == model.count_params()
    assert "    core_dense (Dense): kernel 4×4 = 16 + bias 4 = 20" in str(folded)


def test_a_subclassed_model_is_one_entry_per_layer() -> None:
    class Small(keras.Model):
        def __init__(self) -> None:
            super().__init__(name="small")
            self.hidden = keras.layers.Dense(3, name="hidden")
            self.out = keras.layers.Dense(2, name="out")

        def call(self, x: Any) -> Any:
            return self.out(self.hidden(x))

    model = Small()
    model(keras.ops.zeros((1, 4)))
    folded = kg.explain(model, fold="blocks")
    assert isinstance(folded, kg.FoldedExplanation)
    assert [run.name for run in folded.runs] == ["hidden", "out"]
    assert sum(run.params for run in folded.runs) == folded.total == model.count_params() == 23


def test_html_opens_each_run_onto_its_blocks_and_layers() -> None:
    folded = kg.explain(two_blocks(), fold="blocks")
    page = folded._repr_html_()
    assert page.count("<details") == 2  # the run, and its one group of like blocks
    assert "<details open" not in page
    assert "stage_block1_conv (Conv2D)" in page
    assert "Total: 224 + 1,232 + 27 = 1,483 parameters" in page
    assert "<details open" in kg.explain(two_blocks(), fold=2)._repr_html_()
    data = folded.to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["total"] == 1483


def test_small_models_stay_unfolded_with_auto() -> None:
    assert isinstance(kg.explain(two_blocks(), fold="auto"), kg.Explanation)
    assert isinstance(kg.explain(two_blocks(), fold="none"), kg.Explanation)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"fold": "block"}, r"explain\(fold=...\): unknown fold[\s\S]*did you mean 'blocks'"),
        ({"fold": 0}, r"explain\(fold=...\): fold must be at least 1[\s\S]*received: 0"),
        ({"fold": True}, r"explain\(fold=...\): unknown fold[\s\S]*received: True"),
        ({"fold": "blocks", "mult_adds": True}, r"a folded explanation counts parameters only"),
    ],
    ids=["misspelt", "zero", "bool", "mult-adds"],
)
def test_fold_option_is_checked(options: dict[str, Any], message: str) -> None:
    with pytest.raises(kg.OptionError, match=message):
        kg.explain(models.seed_mlp(), **options)


def test_summarize_gives_the_same_error() -> None:
    with pytest.raises(kg.OptionError, match=r"summarize\(fold=...\): unknown fold") as summarized:
        kg.summarize(models.seed_mlp(), fold="block")
    with pytest.raises(kg.OptionError) as explained:
        kg.explain(models.seed_mlp(), fold="block")
    assert str(explained.value).replace("explain", "summarize") == str(summarized.value)
