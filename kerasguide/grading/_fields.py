"""Small checks of an assignment's fields: each raises an error that names the field.

Private to :mod:`kerasguide.grading` (:mod:`kerasguide.grading._assignment`).
"""

from __future__ import annotations

import re
from pathlib import Path

from kerasguide._suggest import did_you_mean
from kerasguide.errors import FileError, SpecError, SpecTypeError

__all__ = [
    "NAME",
    "choice",
    "existing",
    "identifier",
    "keys",
    "list_of",
    "number",
    "relative_file",
    "string",
    "unique",
]

NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def keys(
    value: object, allowed: tuple[str, ...], where: str, *, required: tuple[str, ...] = ()
) -> dict[str, object]:
    """``value`` as a mapping, once it is one and its keys are among ``allowed``."""
    if not isinstance(value, dict):
        raise SpecTypeError(
            "expected a mapping",
            where=where,
            expected=f"keys among {', '.join(allowed)}",
            received=type(value).__name__,
        )
    for key in value:
        if key not in allowed:
            raise SpecError(
                f"unknown key {key!r}",
                where=f"{where}.{key}",
                expected=f"one of {', '.join(allowed)}",
                received=repr(key),
                hint=did_you_mean(str(key), allowed),
            )
    for key in required:
        if key not in value:
            raise SpecError(
                f"`{key}:` is missing",
                where=where,
                expected=f"a `{key}:` entry",
                received=f"keys {', '.join(map(str, value)) or 'none'}",
            )
    return {str(key): item for key, item in value.items()}


def choice(value: object, allowed: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise SpecError(
            "unknown value",
            where=where,
            expected=f"one of {', '.join(allowed)}",
            received=repr(value),
            hint=did_you_mean(str(value), allowed),
        )
    return value


def string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpecTypeError(
            "expected a non-empty string", where=where, expected="text", received=repr(value)[:80]
        )
    return value


def number(value: object, where: str, *, positive: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value < 0
        or (positive and value == 0)
    ):
        raise SpecTypeError(
            "expected a number",
            where=where,
            expected="a number > 0" if positive else "a number >= 0",
            received=repr(value)[:80],
        )
    return float(value)


def list_of(value: object, where: str) -> list[object]:
    if not isinstance(value, list) or not value:
        raise SpecTypeError(
            "expected a non-empty list",
            where=where,
            expected="a YAML list",
            received=repr(value)[:80],
        )
    return value


def unique(names: list[str], where: str) -> None:
    for name in names:
        if names.count(name) > 1:
            raise SpecError(
                "two exercises have one name",
                where=where,
                expected="unique names",
                received=repr(name),
            )


def relative_file(text: str, where: str) -> None:
    path = Path(text)
    if path.is_absolute() or ".." in path.parts or path.suffix != ".keras":
        raise SpecError(
            "the file must be a .keras file inside the notebook's folder",
            where=where,
            expected="a relative name such as classifier.keras",
            received=repr(text),
        )


def existing(text: str, where: str, folder: Path) -> Path:
    path = folder / text
    if not path.is_file():
        raise FileError(
            "no such file",
            where=where,
            expected="a file, relative to the assignment file",
            received=str(path),
            hint=did_you_mean(Path(text).name, _siblings(path)),
        )
    return path


def _siblings(path: Path) -> list[str]:
    return [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []


def identifier(text: str, where: str, example: str) -> str:
    if not NAME.match(text):
        raise SpecError(
            "not a Python variable name",
            where=where,
            expected=f"an identifier such as {example}",
            received=repr(text),
        )
    return text
