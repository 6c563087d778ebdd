"""find_blocks: blocks and runs of like blocks, compared with the models' own layers and
parameter counts, and with what their authors built (ResNet50's 3, 4, 6 and 3 blocks)."""

from __future__ import annotations

from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import _blocks
from kerasguide.blocks import made_up_name
from tests import models
from tests.golden import assert_golden


def own_operations(model: Any) -> list[str]:
    """The names of the layers and operations of the model's own graph, read from Keras."""
    owner = getattr(model, "_functional", None) or model
    return [op.name for op in owner._operations]


def own_params(model: Any, name: str) -> int:
    owner = getattr(model, "_functional", None) or model
    op = next(op for op in owner._operations if op.name == name)
    return int(op.count_params()) if getattr(op, "weights", None) else 0


def assert_partition(model: Any, blocks: kg.Blocks) -> None:
    """Every layer in exactly one block, each block's parameters the sum of its layers'."""
    assert sorted(blocks.layers) == sorted(own_operations(model))
    assert len(set(blocks.layers)) == len(blocks.layers)
    for run in blocks.runs:
        for block in run.blocks:
            assert block.params == sum(own_params(model, n) for n in block.layers), block.name
        assert run.params == sum(b.params for b in run.blocks)
    assert blocks.params == model.count_params()


# --- keras.applications ------------------------------------------------------------


@pytest.fixture(scope="module")
def resnet50() -> Any:
    return _k.keras().applications.ResNet50(weights=None)


@pytest.mark.slow
def test_resnet50_stages_are_runs_of_3_4_6_and_3_blocks(resnet50: Any) -> None:
    blocks = kg.find_blocks(resnet50)
    assert_partition(resnet50, blocks)
    runs = [run for run in blocks.runs if run.count > 1]
    assert [run.count for run in runs] == [3, 4, 6, 3]
    assert [run.name for run in runs] == [
        f"conv{stage}_block1 … conv{stage}_block{n}"
        for stage, n in zip((2, 3, 4, 5), (3, 4, 6, 3), strict=True)
    ]
    # Each stage opens with a projection block (C), then identity blocks (D).
    assert [run.structures for run in runs] == ["C + 2×D", "C + 3×D", "C + 5×D", "C + 2×D"]
    projection, identity = blocks.structures["C"], blocks.structures["D"]
    assert projection.layers == tuple(
        f"conv2_block1_{part}"
        for part in (
            "1_conv", "1_bn", "1_relu", "2_conv", "2_bn", "2_relu",
            "3_conv", "3_bn", "0_conv", "0_bn", "add", "out",
        )
    )  # fmt: skip
    assert len(identity.layers) == 10
    assert runs[0].input_shapes == ((None, 56, 56, 64),)
    assert runs[0].output_shapes == ((None, 56, 56, 256),)
    assert runs[-1].output_shapes == ((None, 7, 7, 2048),)


@pytest.mark.slow
def test_resnet50_blocks_as_text(resnet50: Any, overwrite: bool) -> None:
    assert_golden("blocks_resnet50.txt", str(kg.find_blocks(resnet50)) + "\n", overwrite=overwrite)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("name", "runs"),
    [
        # The stages of MobileNetV2's table (n = 2, 3, 4, 3, 3), each opened by a block
        # without its residual add.
        ("MobileNetV2", [2, 3, 4, 3, 3]),
        # NASNet's cells, named by their suffix (…_0 … …_3), around two reduction cells.
        # (in `make conformance`: the suffixes' labels are test_labels_from_names's)
        pytest.param("NASNetMobile", [2, 4, 4, 4], marks=pytest.mark.sweep),
        # InceptionV3's modules are named only at their end (mixed0): found by cuts.
        ("InceptionV3", [3, 4, 2]),
    ],
)
def test_application_blocks(name: str, runs: list[int]) -> None:
    model = getattr(_k.keras().applications, name)(weights=None)
    blocks = kg.find_blocks(model)
    assert_partition(model, blocks)
    assert [run.count for run in blocks.runs if run.count > 1] == runs


# --- hand-made models ----------------------------------------------------------------


def test_residual_blocks_with_made_up_names_are_found_by_their_wiring() -> None:
    model = models.residual_unnamed()
    blocks = kg.find_blocks(model)
    assert_partition(model, blocks)
    assert blocks.family == "structure"
    [run] = [run for run in blocks.runs if run.count > 1]
    assert run.count == 3
    assert run.structures == "3×A"
    assert [len(block.layers) for block in run.blocks] == [5, 5, 5]
    assert all(type(model.get_layer(b.layers[-1])).__name__ == "Activation" for b in run.blocks)


def test_nested_models_of_one_structure_form_a_run() -> None:
    model = models.stacked_encoders()
    blocks = kg.find_blocks(model)
    assert_partition(model, blocks)
    [run] = [run for run in blocks.runs if run.count > 1]
    assert run.name == "encoder_0 … encoder_3"
    assert {block.kind for block in run.blocks} == {"nested model"}
    inner = run.blocks[0].inner
    assert inner is not None
    assert inner.layers[-2:] == ("encoder_0_dense", "encoder_0_norm")


@pytest.mark.parametrize("name", sorted({**models.ZOO, **models.MORE}))
def test_small_models_are_partitioned(name: str) -> None:
    model = {**models.ZOO, **models.MORE}[name]()
    assert_partition(model, kg.find_blocks(model))


def test_blocks_within_a_block() -> None:
    model = models.residual_unnamed()
    run = next(run for run in kg.find_blocks(model).runs if run.count > 1)
    layers = run.layers
    parts = kg.find_blocks(model, within=layers)
    assert sorted(parts.layers) == sorted(layers)
    assert sum(run.params for run in parts.runs) == run.params


def test_to_dict_lists_runs_and_blocks() -> None:
    data = kg.find_blocks(models.stacked_encoders()).to_dict()
    assert data["model"] == "stacked"
    runs = data["runs"]
    assert isinstance(runs, list)
    assert runs[1]["count"] == 4
    assert runs[1]["blocks"][0]["layers"] == ["encoder_0"]


def test_names_keras_made_up() -> None:
    keras = _k.keras()
    assert made_up_name(keras.layers.ZeroPadding2D(name="zero_padding2d_3"))
    assert made_up_name(keras.layers.BatchNormalization(name="batch_normalization"))
    assert not made_up_name(keras.layers.Dense(2, name="conv2_block1_1_conv"))
    assert not made_up_name(keras.layers.Dense(2, name="dense_head"))


# --- the algorithm on plain graphs (no Keras) ----------------------------------------


def level(names: list[str], kinds: dict[str, str], preds: dict[str, tuple[str, ...]]) -> Any:
    auto = frozenset(n for n in names if n.startswith(("add", "activation")))
    return _blocks.Level(tuple(names), kinds, preds, auto)


@pytest.mark.no_keras
def test_made_up_names_join_the_block_they_sit_in() -> None:
    """Xception's shortcut: an unnamed conv and add belong to the block they close."""
    names = ["in", "b1_conv", "b2_conv", "b2_pool", "activation", "add", "b3_conv", "b3_pool"]
    kinds = dict.fromkeys(names, "Conv2D") | {"in": "InputLayer", "add": "Add"}
    preds = {
        "in": (),
        "b1_conv": ("in",),
        "b2_conv": ("b1_conv",),
        "b2_pool": ("b2_conv",),
        "activation": ("b1_conv",),
        "add": ("b2_pool", "activation"),
        "b3_conv": ("add",),
        "b3_pool": ("b3_conv",),
    }
    _, runs = _blocks.find(level(names, kinds, preds))
    groups = [block.members for run in runs for block in run]
    assert ("b2_conv", "b2_pool", "activation", "add") in groups
    assert ("b3_conv", "b3_pool") in groups


@pytest.mark.no_keras
def test_postorder_finishes_a_block_before_the_next() -> None:
    """A cell's side branch on an older output comes after the previous cell, not inside."""
    keys = ["x0", "a1", "b1", "a2", "b2"]
    preds = {"x0": (), "a1": ("x0",), "b1": ("a1",), "a2": ("x0",), "b2": ("a2", "b1")}
    succs = {k: [t for t in keys if k in preds[t]] for k in keys}
    assert _blocks.postorder(keys, preds, succs) == ["x0", "a1", "b1", "a2", "b2"]


@pytest.mark.no_keras
@pytest.mark.parametrize(
    ("name", "family", "label"),
    [
        ("conv2_block3_1_conv", "prefix1", "conv2"),
        ("conv2_block3_1_conv", "prefix2", "conv2_block3"),
        ("block_5_expand", "prefix2", "block_5"),
        ("conv_dw_3_bn", "number", "3"),
        ("separable_conv_1_normal_left1_0", "suffix", "0"),
        ("predictions", "prefix2", None),
    ],
)
def test_labels_from_names(name: str, family: str, label: str | None) -> None:
    assert _blocks.name_label(name, family) == label
