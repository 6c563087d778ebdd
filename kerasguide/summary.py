"""Summaries as data (issue 3). Placeholder until implemented."""

from __future__ import annotations

from typing import Any


class Summary:
    """Placeholder."""


def summarize(model: Any) -> Summary:
    raise NotImplementedError
