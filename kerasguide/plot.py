"""Architecture diagrams (issue 4). Placeholder until implemented."""

from __future__ import annotations

from typing import Any


def plot_model(model_or_spec: Any, to_file: Any = None, **options: Any) -> Any:
    raise NotImplementedError
