"""The machinery behind :func:`kerasguide.lint`: the Hints result, options, and
running the checks of ``_hints`` on a built model. Below ``build``, which warns
with it; ``lint`` (above ``build``) adds the spec path.
"""

from __future__ import annotations

import html
import os
import re
import warnings
from collections.abc import Iterable, Mapping

from kerasguide import _graph
from kerasguide._heads import EXPECT, TASKS, heads
from kerasguide._hint_codes import CODES
from kerasguide._hints import Context, Hint, context, nested, output_names
from kerasguide._rules_data import data_hints
from kerasguide._rules_head import head_hints
from kerasguide._rules_layers import LAYER_RULES
from kerasguide._rules_shapes import INPUT_RULES
from kerasguide._suggest import did_you_mean
from kerasguide._types import JSONDict, JSONValue, KerasModel
from kerasguide.errors import KerasGuideWarning, OptionError

__all__ = ["CODES", "ENV_VAR", "TASKS", "Hint", "Hints", "kept", "lint_model", "warn_hints"]

ENV_VAR = "KERASGUIDE_IGNORE_HINTS"

Expect = str | Mapping[str, str]
"""What outputs should be: one of :data:`EXPECT`, or one per output layer name."""

# When two hints say one thing, the first (the cause) hides the second: anywhere in the
# model, or only on the same layer.
_HIDES = {
    "batch-in-input-shape": ("dense-without-flatten", "model"),
    "softmax-regression": ("softmax-one-unit", "layer"),
    "one-unit-classifier": ("softmax-one-unit", "layer"),
}


class Hints(tuple[Hint, ...]):
    """The hints about one model: a tuple of :class:`Hint`, falsy when there are none.

    ``str()`` and ``repr()`` give the readable text; notebooks render HTML.
    """

    __slots__ = ()

    def __str__(self) -> str:
        if not self:
            return "No hints: nothing looks wrong.\n"
        noun = "hint" if len(self) == 1 else "hints"
        lines = [f"{len(self)} {noun}:"]
        for number, hint in enumerate(self, 1):
            lines.append(f"  {number}. {hint.where}: {hint.message} [{hint.code}]")
            lines.append(f"     probably meant: {hint.meant}")
        lines.append(f"  (silence a hint by name: ignore=[...] or {ENV_VAR})")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        if not self:
            return "<div><b>No hints</b>: nothing looks wrong.</div>"
        items = "".join(
            f"<li><b>{html.escape(h.where)}</b>: {html.escape(h.message)} "
            f"<code>{html.escape(h.code)}</code><br><i>probably meant: "
            f"{html.escape(h.meant)}</i></li>"
            for h in self
        )
        return (
            "<div style='border-left:4px solid #ef6c00;padding:4px 8px'>"
            f"<b style='color:#ef6c00'>{len(self)} hint{'s' if len(self) > 1 else ''}</b>"
            f"<ol>{items}</ol></div>"
        )

    def to_dict(self) -> JSONDict:
        """The hints as plain data (JSON-ready)."""
        return {"count": len(self), "hints": [hint.to_dict() for hint in self]}


def lint_model(
    model: KerasModel,
    *,
    spec: Mapping[str, JSONValue] | None = None,
    expect: Expect | None = None,
    ignore: str | Iterable[str] = (),
    task: str | None = None,
    data: tuple[object, object] = (None, None),
) -> Hints:
    """The hints about a built model; ``spec`` (its normal form) gives the spec paths and
    may state the task and the loss; ``data`` is ``(x, y)`` as given to ``fit``."""
    skip = _ignored(ignore, "lint(ignore=...)") | _ignored(os.environ.get(ENV_VAR, ""), ENV_VAR)
    _check_task(task)
    if "all" in skip:
        return Hints()
    names = output_names(model)
    trained = heads(model, names, spec=spec, task=task, expect=_expectations(model, expect))
    top = context(model, spec, "", trained=bool(trained))
    found = [
        top.hint(layer, *parts)
        for layer in top.inputs
        for r in INPUT_RULES
        for parts in r(top, layer)
    ]
    found += _layer_hints(top, spec, "")
    found += head_hints(top, trained)
    found += data_hints(top, trained, names, *data)
    return Hints(_unique(found, skip))


def _layer_hints(ctx: Context, spec: Mapping[str, JSONValue] | None, prefix: str) -> list[Hint]:
    """Hints about each layer on its own, in nested models too."""
    found: list[Hint] = []
    for layer in ctx.layers.values():
        if _graph.is_graph_model(layer):
            inner, at = nested(spec, layer.name, prefix)
            found += _layer_hints(context(layer, inner, at, trained=ctx.trained), inner, at)
            continue
        found += [ctx.hint(layer, *parts) for rule in LAYER_RULES for parts in rule(ctx, layer)]
    return found


def _unique(found: list[Hint], skip: set[str]) -> list[Hint]:
    """The hints not silenced, each once, without those a cause among them explains."""
    hidden = set()
    for hint in found:
        code, scope = _HIDES.get(hint.code, ("", ""))
        hidden.add((code, hint.layer if scope == "layer" else ""))
    seen: set[tuple[str, str]] = set()
    result = []
    for hint in found:
        key = (hint.code, hint.layer)
        if hint.code in skip or key in hidden or (hint.code, "") in hidden or key in seen:
            continue
        seen.add(key)
        result.append(hint)
    return result


def _check_task(task: object) -> None:
    if task is not None and task not in TASKS:
        raise OptionError(
            "task must say what the model is trained for",
            where="lint(task=...)",
            expected="one of " + ", ".join(map(repr, TASKS)),
            received=repr(task),
            hint=did_you_mean(str(task), TASKS),
        )


def kept(found: Iterable[Hint], ignore: str | Iterable[str] = ()) -> Hints:
    """The hints of ``found`` that neither ``ignore`` nor the environment variable silence."""
    skip = _ignored(ignore, "ignore=...") | _ignored(os.environ.get(ENV_VAR, ""), ENV_VAR)
    return Hints(() if "all" in skip else (hint for hint in found if hint.code not in skip))


def warn_hints(
    model: KerasModel, spec: Mapping[str, JSONValue], ignore: str | Iterable[str]
) -> KerasModel:
    """Emit each hint about a model built from ``spec`` as a :class:`KerasGuideWarning`.

    Returns:
        The model itself (``build`` returns ``warn_hints(model, ...)``).
    """
    for hint in lint_model(model, spec=spec, ignore=ignore):
        warnings.warn(KerasGuideWarning(str(hint), code=hint.code), stacklevel=3)
    return model


# --- options -----------------------------------------------------------------------------


def _ignored(value: str | Iterable[str], where: str) -> set[str]:
    names = re.split(r"[\s,]+", value) if isinstance(value, str) else list(value)
    result = set()
    for name in names:
        if not isinstance(name, str):
            raise OptionError(
                "hint codes must be strings",
                where=where,
                expected="hint codes, e.g. ['dropout-high'], or 'all'",
                received=repr(name),
            )
        if name and name != "all" and name not in CODES:
            raise OptionError(
                f"unknown hint code {name!r}",
                where=where,
                expected="one of " + ", ".join(CODES) + ", or 'all'",
                received=repr(name),
                hint=did_you_mean(name, CODES),
            )
        result.add(name)
    return result


def _expectations(model: KerasModel, expect: Expect | None) -> dict[str, str] | None:
    """Output layer name -> ``"probabilities"`` or ``"logits"``, as ``expect=`` says."""
    names = output_names(model)
    if expect is None:
        return None
    given = expect if isinstance(expect, Mapping) else dict.fromkeys(names, expect)
    for key, value in given.items():
        if value not in EXPECT:
            raise OptionError(
                "expect must say what an output should be",
                where="lint(expect=...)" if given is not expect else f"lint(expect[{key!r}])",
                expected="'probabilities' or 'logits' (or a dict of them by output layer name)",
                received=repr(value),
                hint=did_you_mean(str(value), EXPECT),
            )
        if key not in names:
            raise OptionError(
                f"no output layer named {key!r}",
                where="lint(expect=...)",
                expected="one of the output layers: " + ", ".join(names),
                received=repr(key),
                hint=did_you_mean(str(key), names),
            )
    return dict(given)
