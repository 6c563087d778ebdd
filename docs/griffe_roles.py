"""A griffe extension for the API reference (docs/api.md): kerasguide's docstrings as Markdown.

Two habits of kerasguide's Google-style docstrings (see CONVENTIONS.md) that griffe,
which mkdocstrings reads them with, does not know:

- **``Example:``**, the conventions' section title, is to griffe only an admonition,
  whose doctest lines would be read as Markdown; it becomes ``Examples:``, griffe's
  section, whose ``>>>`` lines are shown as code.
- **Sphinx roles** (``:func:`kerasguide.lint```, ``:class:`~kerasguide.Spec```) would
  be shown as they are written; each becomes inline code, linked to its entry in the
  reference where the name is in ``kerasguide.__all__``. (A function named like its
  module, ``kerasguide.build``, is the entry ``kerasguide.build.build``: griffe takes
  ``kerasguide.build`` for the module. docs/api.md gives it the anchor
  ``kerasguide.build`` as well.)
"""

from __future__ import annotations

import ast
import re
from pathlib import Path
from typing import Any

import griffe

ROLE = re.compile(r":(?:func|class|meth|attr|mod|exc|data|obj):`~?([^`]+)`")
EXAMPLE = re.compile(r"^(\s*)Example:[ \t]*$", re.MULTILINE)
INIT = Path(__file__).resolve().parents[1] / "kerasguide" / "__init__.py"


def _public_names() -> set[str]:
    for node in ast.parse(INIT.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets
        ):
            return set(ast.literal_eval(node.value))
    return set()


PUBLIC = _public_names()


class KerasguideDocstrings(griffe.Extension):
    """Rewrite each docstring before griffe parses it (it parses on first use)."""

    def on_instance(self, *, obj: Any, **_: Any) -> None:
        if obj.docstring is not None:
            text = EXAMPLE.sub(r"\1Examples:", obj.docstring.value)
            obj.docstring.value = ROLE.sub(_markdown, text)


def _markdown(match: re.Match[str]) -> str:
    name = match.group(1)
    short = name.removeprefix("kerasguide.").removesuffix("()")
    if short in PUBLIC:
        # kg.build is also the module kerasguide.build: its entry is kerasguide.build.build.
        module = (INIT.parent / f"{short}.py").is_file()
        return f"[`{name}`][kerasguide.{short}{f'.{short}' if module else ''}]"
    return f"`{name}`"
