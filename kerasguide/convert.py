"""Placeholder: being written."""

from __future__ import annotations

from typing import Any


def to_spec(model: Any) -> Any:
    raise NotImplementedError
