"""The layout of generated code: calls on one line, or wrapped as ``ruff format`` wraps them.

Arguments are strings or :class:`Group` values (a nested call, a list), so a
layer inside a wrapper, or a list of cells, wraps the way ruff wraps it:
first on one line, then the arguments on a line of their own, then one
argument per line, each of them wrapped in turn.
"""

from __future__ import annotations

import builtins
import json
import keyword
import re
from collections.abc import Sequence

__all__ = ["WIDTH", "Arg", "Group", "applied", "call_lines", "group_lines"]

WIDTH = 88
TAB = "    "


# --- groups ------------------------------------------------------------------------


class Group:
    """A bracketed part of a line: ``head`` + items joined by commas + ``close``.

    A list literal (``explode``) that does not fit goes one item per line, as
    ``ruff format`` splits collections; call arguments first try one line of
    their own.
    """

    def __init__(
        self, head: str, items: Sequence[Arg], close: str, *, explode: bool = False
    ) -> None:
        self.head, self.items, self.close, self.explode = head, list(items), close, explode

    def __str__(self) -> str:
        return self.head + ", ".join(map(str, self.items)) + self.close


Arg = str | Group


def _joined_args(args: Sequence[Arg]) -> str:
    return ", ".join(map(str, args))


def group_lines(indent: str, group: Group, suffix: str = "") -> list[str]:
    """``group`` on one line, or wrapped as ``ruff format`` wraps it."""
    one = f"{indent}{group}{suffix}"
    if len(one) <= WIDTH or not group.items:
        return [one]
    inner = indent + TAB
    if len(group.items) == 1:  # one item has no comma to split at: it splits inside
        body = _arg_lines(inner, group.items[0], "")
    elif not group.explode and len(inner + _joined_args(group.items)) <= WIDTH:
        body = [inner + _joined_args(group.items)]
    else:
        body = [line for arg in group.items for line in _arg_lines(inner, arg, ",")]
    return [indent + group.head, *body, indent + group.close + suffix]


def _arg_lines(indent: str, arg: Arg, suffix: str) -> list[str]:
    if isinstance(arg, Group):
        return group_lines(indent, arg, suffix)
    return [f"{indent}{arg}{suffix}"]


def call_lines(indent: str, first: str, args: Sequence[Arg], last: str) -> list[str]:
    """``first + args + last`` on one line, or wrapped as ``ruff format`` wraps a call."""
    return group_lines(indent, Group(first, args, last))


def applied(indent: str, target: str, head: str, args: Sequence[Arg], source: str) -> list[str]:
    """``target = head(args)(source)``, wrapped at the call's inputs or its arguments."""
    whole = f"{indent}{target} = {head}({_joined_args(args)})({source})"
    if len(whole) <= WIDTH:
        return [whole]
    opening = f"{indent}{target} = {head}({_joined_args(args)})("
    if len(opening) <= WIDTH:
        items: Sequence[Arg] = list(source[1:-1].split(", ")) if source.startswith("[") else []
        if len(indent + TAB + source) <= WIDTH or not items:
            return [opening, indent + TAB + source, indent + ")"]
        listed = Group("[", items, "]", explode=True)
        return [opening, *group_lines(indent + TAB, listed), indent + ")"]
    return call_lines(indent, f"{target} = {head}(", args, f")({source})")


RESERVED = {"keras", "layers", "model"}  # names the generated code itself uses


# --- variable names -------------------------------------------------------------------------


def identifier(name: str) -> str:
    """A valid Python variable name for a layer or input name (``encoder@2`` → ``encoder_2``).

    Example:
        >>> identifier("lambda"), identifier("input"), identifier("block-1.conv")
        ('lambda_', 'input_', 'block_1_conv')
    """
    text = re.sub(r"\W", "_", name, flags=re.ASCII) or "_"
    if text[0].isdigit():
        text = "_" + text
    if keyword.iskeyword(text) or text in RESERVED or hasattr(builtins, text):
        text += "_"
    return text


class Names:
    """Variable names in one scope, each given out once."""

    def __init__(self, taken: set[str] | None = None) -> None:
        self.taken = set(taken or ())

    def take(self, base: str) -> str:
        name, k = base, 1
        while name in self.taken:
            k += 1
            name = f"{base}_{k}"
        self.taken.add(name)
        return name


def joined(items: list[str], brackets: str) -> str:
    """``[a, b]``: items joined with commas inside a pair of brackets (``"[]"``, ``"{}"``)."""
    return brackets[0] + ", ".join(items) + brackets[1]


def string_literal(text: str) -> str:
    """Python source for a string, in double quotes unless it holds only double quotes."""
    if '"' in text and "'" not in text:
        return repr(text)
    return json.dumps(text, ensure_ascii=False)
