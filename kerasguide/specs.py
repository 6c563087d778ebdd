"""Placeholder: being written."""

from __future__ import annotations

from typing import Any


class Spec:
    """Placeholder."""


def load_spec(source: Any) -> Spec:
    raise NotImplementedError


def register_layer(cls: Any = None, *, name: str | None = None) -> Any:
    raise NotImplementedError


def load_example(name: str) -> Spec:
    raise NotImplementedError


def list_examples() -> list[str]:
    raise NotImplementedError
