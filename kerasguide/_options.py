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


FOLDS = ("auto", "blocks", "none")


def check_fold(function: str, fold: object, *, levels: bool = True) -> str | int:
    """``fold=``: ``"auto"``, ``"blocks"``, ``"none"``, or (with ``levels``) a depth from 1."""
    if levels and isinstance(fold, int) and not isinstance(fold, bool):
        if fold < 1:
            raise OptionError(
                "fold must be at least 1 when it is a number of levels",
                where=f"{function}(fold=...)",
                expected="'auto', 'blocks', 'none' or a number of levels from 1",
                received=repr(fold),
                hint="fold=1 folds each block into one entry; fold='none' shows every layer",
            )
        return fold
    check_choice(function, "fold", fold, FOLDS)
    return str(fold)
