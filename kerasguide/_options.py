"""The one home of option checks: plain-string options are checked once, on entry,
and the error lists the allowed values with a did-you-mean."""

from __future__ import annotations

from collections.abc import Iterable

from kerasguide._suggest import did_you_mean
from kerasguide.errors import OptionError


def check_choice(function: str, option: str, value: object, allowed: Iterable[str]) -> None:
    """Raise OptionError unless ``value`` is one of ``allowed`` (a plain-string option)."""
    choices = tuple(allowed)
    if isinstance(value, str) and value in choices:
        return
    raise OptionError(
        f"unknown {option}",
        where=f"{function}({option}=...)",
        expected=" or ".join(repr(choice) for choice in choices),
        received=repr(value),
        hint=did_you_mean(value, choices) if isinstance(value, str) else None,
    )
