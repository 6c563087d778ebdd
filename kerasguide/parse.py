"""Parse printed summaries (issue 3). Placeholder until implemented."""

from __future__ import annotations

from typing import Any


def parse_summary(text: str) -> Any:
    raise NotImplementedError
