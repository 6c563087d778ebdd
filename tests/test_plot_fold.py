"""Folded diagrams (plot_model(fold=...)): runs of blocks drawn as one box ×N, each distinct
block drawn in full beside them, compared with the models' own layers and parameter
counts; pictures sized for a screen, PNGs within the pixel budget, options checked.
The pictures of ResNet50, MobileNetV2 and NASNetMobile were also looked at by eye."""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import matplotlib.image
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import _draw, _fold
from kerasguide._boxes import DiagramOptions
from tests import models
from tests.test_blocks import own_operations

SCREEN_PX = (1920, 1080)


def params_of(lines: tuple[str, ...]) -> int:
    """The parameters a box shows (none shown: 0)."""
    found = [m.group(1) for line in lines for m in [re.search(r"([\d,]+) params?\b", line)] if m]
    return int(found[0].replace(",", "")) if found else 0


def screen_size(figure: Any) -> tuple[float, float]:
    """The figure's size in pixels where a notebook shows it (100 pixels per inch)."""
    width, height = figure.get_size_inches() * _draw.SCREEN_DPI
    return float(width), float(height)


def font_sizes(figure: Any) -> list[float]:
    return [text.get_fontsize() for text in figure.axes[0].texts]


@pytest.fixture(scope="module")
def resnet50() -> Any:
    return _k.keras().applications.ResNet50(weights=None)


# --- ResNet50 ----------------------------------------------------------------------


@pytest.mark.slow
def test_resnet50_folded_has_a_box_per_stage_marked_with_its_blocks(resnet50: Any) -> None:
    main, *details = _fold.folded_panels(resnet50, 1, DiagramOptions())
    titles = [node.lines[0] for node in main.nodes]
    counts = [int(t.rsplit("×", 1)[1]) for t in titles if "×" in t]
    assert counts == [3, 4, 6, 3]
    assert "conv4_block1 … conv4_block6  ×6" in titles
    # Every layer is shown exactly once, and the boxes' parameters add up to Keras's count.
    shown = [name for key in main.layers for name in main.layers[key]]
    assert sorted(shown) == sorted(own_operations(resnet50))
    assert sum(params_of(node.lines) for node in main.nodes) == resnet50.count_params()
    stage = next(node for node in main.nodes if node.lines[0].endswith("×4"))
    assert stage.lines[1:] == (
        "blocks C + 3×D · 1,230,336 params",
        "(None, 56, 56, 256) → (None, 28, 28, 512)",
    )
    assert stage.stack == 3
    # pool1's two layers are drawn as they are: a block seen once and so small is not folded.
    assert "pool1_pool (MaxPooling2D)" in titles
    assert [panel.title for panel in details] == [
        "A: conv1",
        "C: conv2_block1 (4 blocks alike)",
        "D: conv2_block2 (12 blocks alike)",
    ]


@pytest.mark.slow
def test_resnet50_blocks_are_drawn_in_full_with_their_skip_connection(resnet50: Any) -> None:
    _, _, projection, identity = _fold.folded_panels(resnet50, 1, DiagramOptions())
    assert len(identity.nodes) == 11  # ten layers and where the block's input comes from
    stub = "D:<0>"
    lines = {node.key: node.lines for node in identity.nodes}
    assert lines[stub] == ("from conv2_block1_out", "(None, 56, 56, 256)")
    assert (stub, "D:conv2_block2_1_conv") in identity.edges
    assert (stub, "D:conv2_block2_add") in identity.edges  # the identity shortcut
    assert ("C:conv2_block1_0_bn", "C:conv2_block1_add") in projection.edges


@pytest.mark.slow
def test_resnet50_folded_fits_one_1080p_screen_at_a_readable_font(
    resnet50: Any, tmp_path: Path
) -> None:
    figure = kg.plot_model(resnet50, tmp_path / "resnet50.png")  # fold="auto"
    width, height = screen_size(figure)
    assert width <= SCREEN_PX[0]
    assert height <= SCREEN_PX[1]
    assert min(font_sizes(figure)) >= 9  # points: 12.5 pixels on the page
    pixels = matplotlib.image.imread(tmp_path / "resnet50.png").shape
    assert pixels[0] * pixels[1] <= _draw.PIXEL_BUDGET


@pytest.mark.slow
def test_resnet50_unfolded_is_drawn_within_the_pixel_budget_with_a_note(
    resnet50: Any, tmp_path: Path
) -> None:
    with pytest.warns(kg.KerasGuideWarning, match=r"fold='blocks'[\s\S]*\.svg") as caught:
        kg.plot_model(resnet50, tmp_path / "strip.png", fold="none")
    assert caught[0].message.code == "picture-too-large"  # type: ignore[union-attr]
    height, width = matplotlib.image.imread(tmp_path / "strip.png").shape[:2]
    assert width * height <= _draw.PIXEL_BUDGET
    assert height > 10 * width  # the long strip, as asked for
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kg.plot_model(resnet50, tmp_path / "strip.svg", fold="none")  # an SVG needs no note


# --- other applications ----------------------------------------------------------


@pytest.mark.slow
@pytest.mark.sweep  # `make conformance`; ResNet50's and MobileNetV2's folds run in `make test`
def test_nasnet_mobile_folded_fits_three_screens() -> None:
    model = _k.keras().applications.NASNetMobile(weights=None)
    figure = kg.plot_model(model)
    width, height = screen_size(figure)
    screens = max(width / SCREEN_PX[0], 1) * max(height / SCREEN_PX[1], 1)
    assert screens <= 3
    assert min(font_sizes(figure)) >= 7.5  # the blocks drawn in full at 85%


@pytest.mark.slow
def test_mobilenet_v2_folded_shows_its_stages() -> None:
    model = _k.keras().applications.MobileNetV2(weights=None)
    main, *_ = _fold.folded_panels(model, 1, DiagramOptions())
    runs = [node.lines for node in main.nodes if "×" in node.lines[0]]
    assert [lines[0] for lines in runs] == [
        "block_1 … block_2  ×2",
        "block_3 … block_5  ×3",
        "block_6 … block_9  ×4",
        "block_10 … block_12  ×3",
        "block_13 … block_15  ×3",
    ]
    assert sum(params_of(node.lines) for node in main.nodes) == model.count_params()


# --- small models ------------------------------------------------------------------


def test_auto_leaves_small_models_unfolded() -> None:
    model = models.residual_unnamed()
    figure = kg.plot_model(model)
    keys = {p.get_gid().split(":", 1)[1] for p in figure.axes[0].patches if "node:" in p.get_gid()}
    assert keys == set(own_operations(model))


def test_blocks_of_an_unnamed_model_fold_by_their_wiring() -> None:
    model = models.residual_unnamed()
    main, detail = _fold.folded_panels(model, 1, DiagramOptions())
    [run] = [node for node in main.nodes if node.stack > 1]
    assert run.lines[0].endswith("×3")
    assert run.lines[1] == "blocks 3×A · 14,112 params"
    assert detail.title == "A: activation (3 blocks alike)"
    assert sum(params_of(node.lines) for node in main.nodes) == model.count_params()


def test_depth_two_draws_blocks_open_in_titled_frames() -> None:
    model = models.residual_unnamed()
    figure = kg.plot_model(model, fold=2)
    frames = [p.get_gid() for p in figure.axes[0].patches if p.get_gid().startswith("frame:")]
    assert len(frames) == 3
    titles = [text.get_text() for text in figure.axes[0].texts]
    assert sum(t.endswith("(block A)") for t in titles) == 3


def test_nested_models_of_one_structure_are_one_box_and_one_panel() -> None:
    model = models.stacked_encoders()
    main, encoder = _fold.folded_panels(model, 1, DiagramOptions())
    assert [node.lines[0] for node in main.nodes] == [
        "features (InputLayer)",
        "encoder_0 … encoder_3  ×4",
        "score (Dense)",
    ]
    assert encoder.title == "A: encoder_0 (Sequential) (4 blocks alike)"
    assert [node.lines[0] for node in encoder.nodes][-2:] == [
        "encoder_0_dense (Dense)",
        "encoder_0_norm (LayerNormalization)",
    ]
    opened = _fold.folded_panels(model, 2, DiagramOptions())[0]
    assert set(opened.frames) == {f"encoder_{i}" for i in range(4)}


@pytest.mark.parametrize(
    ("fold", "message"),
    [
        (0, r"plot_model\(fold=...\): fold must be at least 1[\s\S]*received: 0"),
        ("blocs", r"unknown fold[\s\S]*did you mean 'blocks'"),
        (True, r"unknown fold[\s\S]*received: True"),
    ],
)
def test_bad_fold_is_named(fold: object, message: str) -> None:
    with pytest.raises(kg.OptionError, match=message):
        kg.plot_model(models.seed_mlp(), fold=fold)  # type: ignore[arg-type]


def test_graphviz_cannot_fold() -> None:
    with pytest.raises(kg.OptionError, match=r"Graphviz drawing cannot fold"):
        kg.plot_model(models.seed_mlp(), fold="blocks", engine="graphviz")


def test_raster_resolution_keeps_within_the_budget() -> None:
    assert _draw.raster_dpi(8, 4, 200) == 200
    dpi = _draw.raster_dpi(8.5, 200, 200)
    assert 8.5 * 200 * dpi**2 <= _draw.PIXEL_BUDGET * 1.0001
    assert _draw.raster_dpi(1, 400, 200) * 400 <= _draw.MAX_PIXELS
