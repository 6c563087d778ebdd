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

from kerasguide._hints import Hint, head_hints, layer_hints, output_names
from kerasguide._suggest import did_you_mean
from kerasguide._types import JSONDict, JSONValue, KerasModel
from kerasguide.errors import KerasGuideWarning, OptionError

__all__ = ["CODES", "ENV_VAR", "Hint", "Hints", "lint_model", "warn_hints"]

CODES: dict[str, str] = {
    "softmax-one-unit": "softmax over one value always outputs 1.0",
    "missing-output-activation": "no sigmoid/softmax where probabilities are expected",
    "relu-output": "relu on an output expected to be a probability",
    "wrong-output-activation": "another activation where probabilities are expected",
    "activation-with-logits": "sigmoid/softmax on an output expected to be logits",
    "dense-without-flatten": "Dense on a 3-D or larger input at the model's output",
    "return-sequences": "return_sequences left on the last recurrent layer",
    "dropout-high": "a dropout rate of 0.9 or more",
    "no-effect": "a layer that changes nothing",
}
ENV_VAR = "KERASGUIDE_IGNORE_HINTS"
EXPECT = ("probabilities", "logits")

Expect = str | Mapping[str, str]
"""What outputs should be: one of :data:`EXPECT`, or one per output layer name."""

_CROSSENTROPY = {
    "binary_crossentropy",
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_focal_crossentropy",
    "categorical_focal_crossentropy",
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
) -> Hints:
    """The hints about a built model; ``spec`` (its normal form) gives the spec paths."""
    skip = _ignored(ignore, "lint(ignore=...)") | _ignored(os.environ.get(ENV_VAR, ""), ENV_VAR)
    if "all" in skip:
        return Hints()
    found = layer_hints(model, spec, "")
    found += head_hints(model, spec, _expectations(model, expect))
    return Hints(hint for hint in found if hint.code not in skip)


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


def _expectations(model: KerasModel, expect: Expect | None) -> dict[str, str]:
    """Output layer name -> ``"probabilities"`` or ``"logits"``, for the outputs that have one."""
    names = output_names(model)
    if expect is None:
        return _loss_expectations(model, names)
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


def _loss_expectations(model: KerasModel, names: list[str]) -> dict[str, str]:
    loss = getattr(model, "loss", None)
    if isinstance(loss, Mapping):
        pairs = [(name, loss.get(name)) for name in names]
    elif isinstance(loss, (list, tuple)):
        pairs = list(zip(names, loss, strict=False))
    else:
        pairs = [(name, loss) for name in names]
    result = {}
    for name, item in pairs:
        label = item if isinstance(item, str) else getattr(item, "name", None)
        label = label or getattr(item, "__name__", None)
        if label in _CROSSENTROPY:
            logits = getattr(item, "from_logits", False) is True
            result[name] = "logits" if logits else "probabilities"
    return result
