"""Placeholder: being written."""

from __future__ import annotations

from typing import Any


def build(spec: Any, *, strategy: Any = None) -> Any:
    raise NotImplementedError


def sequential(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def functional(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError


def mlp(*args: Any, **kwargs: Any) -> Any:
    raise NotImplementedError
