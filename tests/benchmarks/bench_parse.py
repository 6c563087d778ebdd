"""Benchmark of issue 11: parse_summary() of the largest real summary vs summarize() of its model.

The largest text in tests/data/real_summaries/ is tf_keras 2.21's summary of
ResNet50 (177 rows, 52 kB); the same model is built here in plain Keras 3.
"""

from __future__ import annotations

from pathlib import Path

import kerasguide as kg
import kerasguide._keras as _k
from tests.benchmarks._timing import median_times, report

REPEAT = 7
TEXT = (Path(__file__).parents[1] / "data" / "real_summaries" / "k2_resnet50.txt").read_text(
    encoding="utf-8"
)


def test_parse_summary_vs_summarize_on_resnet50() -> None:
    model = _k.keras().applications.ResNet50(weights=None)
    parsed = kg.parse_summary(TEXT)
    assert parsed.total == kg.summarize(model).total == model.count_params()
    assert kg.check_summary(model, TEXT).passed
    times = median_times(
        {
            "kg.summarize(model)": lambda: kg.summarize(model),
            "kg.parse_summary(text)": lambda: kg.parse_summary(TEXT),
        },
        repeat=REPEAT,
    )
    ratios = report(
        f"ResNet50, {len(parsed.rows)} rows, {len(TEXT):,} characters (median of {REPEAT})",
        times,
        baseline="kg.summarize(model)",
    )
    print(f"  => parse_summary/summarize ratio: {ratios['kg.parse_summary(text)']:.2f}")
