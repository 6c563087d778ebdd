"""Training curves (issue 4). Placeholder until implemented."""

from __future__ import annotations

from typing import Any


class LivePlot:
    """Placeholder."""


def plot_history(history: Any, **options: Any) -> Any:
    raise NotImplementedError
