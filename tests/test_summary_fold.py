"""summarize(fold=...): one row per block or run of like blocks, the same grouping as the
folded diagram; a text that says it is folded (parse_summary refuses it) and HTML whose
rows open onto their blocks and layers."""

from __future__ import annotations

from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import models
from tests.golden import assert_golden


@pytest.mark.slow
def test_resnet50_folded_summary(overwrite: bool) -> None:
    model = _k.keras().applications.ResNet50(weights=None)
    folded = kg.summarize(model, fold="auto")
    assert isinstance(folded, kg.FoldedSummary)
    assert folded.total == model.count_params()
    assert [run.count for run in folded.blocks.runs if run.count > 1] == [3, 4, 6, 3]
    assert_golden("summary_resnet50_folded.txt", str(folded), overwrite=overwrite)


def test_folded_rows_cover_every_layer_once() -> None:
    model = models.residual_unnamed()
    folded = kg.summarize(model, fold="blocks")
    assert isinstance(folded, kg.FoldedSummary)
    full = kg.summarize(model)
    assert sorted(folded.blocks.layers) == sorted(row.name for row in full.rows)
    assert folded.total == full.total == model.count_params()
    text = str(folded)
    assert text.startswith('Folded summary of "residual_unnamed"')
    assert "×3" in text
    assert "Total params: 14,594" in text


def test_small_models_stay_unfolded_with_auto() -> None:
    summary: Any = kg.summarize(models.residual_unnamed(), fold="auto")
    assert isinstance(summary, kg.Summary)


def test_parse_summary_refuses_a_folded_summary() -> None:
    text = str(kg.summarize(models.residual_unnamed(), fold="blocks"))
    with pytest.raises(kg.SummaryParseError, match=r"line 2: this is a folded summary"):
        kg.parse_summary("Some words before it\n" + text)


def test_folded_html_opens_onto_blocks_and_layers() -> None:
    html = kg.summarize(models.residual_unnamed(), fold="blocks")._repr_html_()
    assert html.count("<details") == 4  # the run, and its three blocks
    assert "conv2d_1 (Conv2D)" in html
    assert "2,320" in html


def test_fold_option_is_checked() -> None:
    with pytest.raises(kg.OptionError, match=r"summarize\(fold=...\)[\s\S]*did you mean 'blocks'"):
        kg.summarize(models.seed_mlp(), fold="block")
