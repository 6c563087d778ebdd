"""Parameter arithmetic (issue 3). Placeholder until implemented."""

from __future__ import annotations

from typing import Any


class Explanation:
    """Placeholder."""


def explain(model: Any) -> Explanation:
    raise NotImplementedError
