"""Instructor checks (issue 3). Placeholder until implemented."""

from __future__ import annotations

from typing import Any


class Finding:
    """Placeholder."""


class CheckResult:
    """Placeholder."""


def check_params(model: Any, **expected: Any) -> CheckResult:
    raise NotImplementedError


def check_summary(model: Any, expected: Any) -> CheckResult:
    raise NotImplementedError


def check_model(model: Any, reference: Any) -> CheckResult:
    raise NotImplementedError
