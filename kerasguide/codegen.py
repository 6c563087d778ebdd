"""Specs as plain Keras code (issue 5). Placeholder until implemented."""

from __future__ import annotations

from typing import Any


def to_code(spec: Any, **options: Any) -> str:
    raise NotImplementedError
