"""Small checks on the values of a spec, shared by every module that reads one.

This module sits below ``_normalize``, ``_entries`` and ``_wiring``: it imports
none of them, so spec checking has one downward road.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from kerasguide._suggest import did_you_mean
from kerasguide.errors import SpecError, SpecTypeError
from kerasguide.limits import check_dimension

# A name is any text Keras accepts (no "/"), without "@" (kept for ``encoder@2``, the
# second call of a shared layer), control characters, or a final ``[0]`` (which picks
# one output of a layer in a reference). Match with ``fullmatch``.
NAME = re.compile(r"(?!.*\[\d+\]$)[^/@\x00-\x1f\x7f]{1,200}", re.DOTALL)
_ALIAS = re.compile(r"(?!.*\[\d+\]$)[^/@\x00-\x1f\x7f]{1,200}(?:@\d+)?", re.DOTALL)


def at(path: str, key: str | int) -> str:
    """The spec path of ``key`` inside ``path``: ``layers[0].units``."""
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def clip(value: object, width: int = 60) -> str:
    """``repr(value)``, cut to ``width`` characters with ``...`` when longer."""
    text = repr(value)
    return text if len(text) <= width else text[: width - 3] + "..."


def show(value: object) -> str:
    """A value and its type, as error messages print it."""
    return f"{clip(value)} ({type(value).__name__})"


def check_keys(data: Mapping[str, object], allowed: tuple[str, ...], path: str, what: str) -> None:
    """Refuse any key of ``data`` not in ``allowed``, with a did-you-mean."""
    for key in data:
        if key not in allowed:
            raise SpecError(
                f"unknown key {key!r} in {what}",
                where=at(path, str(key)),
                expected="one of " + ", ".join(allowed),
                received=repr(key),
                hint=did_you_mean(str(key), allowed),
            )


def name_of(value: object, where: str, *, alias: bool = False) -> str:
    """A checked layer or tensor name (``alias`` allows the ``encoder@2`` form)."""
    pattern = _ALIAS if alias else NAME
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise (SpecError if isinstance(value, str) else SpecTypeError)(
            "not a valid name",
            where=where,
            expected="a name Keras accepts (1 to 200 characters, no '/'), without '@', "
            "control characters or a final [number] (that form picks one output)",
            received=show(value),
            hint="e.g. `name: hidden_1`",
        )
    return value


def is_int(value: object) -> bool:
    """True for a whole number that is not a bool."""
    return isinstance(value, int) and not isinstance(value, bool)


def shape_of(value: object, where: str) -> list[int | None]:
    """A checked input shape; a bare number means a vector of that length."""
    items: object = [value] if is_int(value) else value
    dims: list[int | None] = []
    if isinstance(items, list):
        dims = [d for d in items if d is None or (isinstance(d, int) and not isinstance(d, bool))]
    if (
        not isinstance(items, list)
        or not items
        or len(dims) != len(items)
        or any(d is not None and d < 1 for d in dims)
    ):
        raise SpecTypeError(
            "not a valid input shape",
            where=where,
            expected="a list of positive whole numbers without the batch size, e.g. [10] "
            "or [28, 28, 1] (null for a variable length)",
            received=show(value),
        )
    for i, d in enumerate(dims):
        if d is not None:
            check_dimension(d, at(where, i))
    return dims


def positive_int(value: object, where: str, what: str) -> int:
    """A checked whole number of at least 1."""
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        if isinstance(value, str):
            hint = "write the number with digits, without quotes: e.g. 10"
        elif isinstance(value, float) and value.is_integer() and value >= 1:
            hint = f"write it as a whole number: {int(value)}"
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            hint = "a layer needs at least one unit (or filter, head...): e.g. 10"
        else:
            hint = "give a whole number such as 10"
        raise SpecTypeError(
            f"{what} must be a positive whole number",
            where=where,
            expected="an integer of at least 1",
            received=show(value),
            hint=hint,
        )
    return value


def dtype(value: object, where: str) -> str:
    """A checked dtype name."""
    if not isinstance(value, str):
        raise SpecTypeError(
            "a dtype must be a name",
            where=where,
            expected="e.g. 'float32' or 'int32'",
            received=show(value),
        )
    from kerasguide._keras import dtype_names, is_dtype

    if not is_dtype(value):
        names = dtype_names()
        raise SpecError(
            f"unknown dtype {value!r}",
            where=where,
            expected="one of " + ", ".join(names),
            received=show(value),
            hint=did_you_mean(value, names)
            or "an input's dtype is a tensor type such as "
            "'float32', 'int32' or 'string' (a dtype policy such as 'mixed_float16' is for layers)",
        )
    return value


def flag(value: object, where: str, what: str) -> bool:
    """A checked true/false."""
    if not isinstance(value, bool):
        raise SpecTypeError(
            f"{what} must be true or false",
            where=where,
            expected="true or false",
            received=show(value),
        )
    return value
