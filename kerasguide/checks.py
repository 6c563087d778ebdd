"""Instructor checks: compare a student's model with what was expected.

Every difference is reported at once, in words a student can act on, e.g.
``layer 3 (Dense): expected 20 units, found 10 — its output is (None, 10)
instead of (None, 20), so it has 110 parameters instead of 220``. Layers are
matched by order and type (auto-generated names are ignored unless asked for),
and a missing or extra layer is aligned so that it does not make every later
layer look wrong. A check returns a :class:`CheckResult`; it never raises for a
wrong model (``raise_for_failure()`` does, on request).
"""

from __future__ import annotations

import html
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import kerasguide._keras as _k
from kerasguide import _compare
from kerasguide._check_hints import with_hints
from kerasguide._compare import Finding
from kerasguide._finding import as_in_keras_summary
from kerasguide._rows import Row
from kerasguide._suggest import did_you_mean
from kerasguide.build import as_model
from kerasguide.errors import CheckFailed, FileError, OptionError
from kerasguide.parse import parse_summary
from kerasguide.summary import Summary, summarize

if TYPE_CHECKING:
    from kerasguide._types import JSONDict, KerasModel
    from kerasguide.specs import SpecSource

__all__ = ["CheckResult", "Finding", "check_model", "check_params", "check_summary"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of a check: truthy when it passed, else a list of findings.

    ``str()`` and ``repr()`` are the same readable text (``PASS: ...`` or
    ``FAIL: ...`` with every finding and hint), so the findings show wherever
    text is shown: a terminal, pytest's message for ``assert result``, a
    notebook's ``text/plain`` output, a grader's log. Notebooks also render HTML.

    Attributes:
        check: The check's name, e.g. ``"check_summary"``.
        subject: What the model was compared with, e.g. ``"the expected summary"``.
        findings: Every difference found; empty when the check passed.
        passed_text: What was confirmed when the check passed; always empty for a
            failed check, so a failure never carries the pass sentence.
    """

    check: str
    subject: str
    findings: tuple[Finding, ...]
    passed_text: str = ""

    def __post_init__(self) -> None:
        if self.findings and self.passed_text:
            object.__setattr__(self, "passed_text", "")

    @property
    def passed(self) -> bool:
        """True when nothing differs."""
        return not self.findings

    def __bool__(self) -> bool:
        return self.passed

    def _headline(self) -> str:
        count = len(self.findings)
        noun = "difference" if count == 1 else "differences"
        return f"{count} {noun} from {self.subject}"

    def _numbered(self) -> list[str]:
        lines = []
        for number, finding in enumerate(self.findings, 1):
            lines.append(f"  {number}. {finding}")
            if finding.hint:
                lines.append(f"     hint: {finding.hint}")
        return lines

    def __str__(self) -> str:
        if self.passed:
            return f"PASS: {self.passed_text}\n"
        return "\n".join([f"FAIL: {self._headline()}:", *self._numbered()]) + "\n"

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        if self.passed:
            return (
                "<div style='border-left:4px solid #2e7d32;padding:4px 8px'>"
                f"<b style='color:#2e7d32'>✓ Passed</b>: {html.escape(self.passed_text)}"
                "</div>"
            )
        items = "".join(_html_item(finding) for finding in self.findings)
        return (
            "<div style='border-left:4px solid #c62828;padding:4px 8px'>"
            f"<b style='color:#c62828'>✗ {html.escape(self._headline())}</b>"
            f"<ol>{items}</ol></div>"
        )

    def to_dict(self) -> JSONDict:
        """The result as plain data (JSON-ready)."""
        return {
            "check": self.check,
            "passed": self.passed,
            "subject": self.subject,
            "findings": [finding.to_dict() for finding in self.findings],
        }

    def raise_for_failure(self) -> CheckResult:
        """Raise :class:`~kerasguide.errors.CheckFailed` listing every finding, if any.

        For test cells (pytest, otter, nbgrader): the message holds all findings
        and their hints. Returns the result itself when the check passed.
        """
        __tracebackhide__ = True
        if self.findings:
            problem = "\n".join([f"{self._headline()}:", *self._numbered()])
            raise CheckFailed(problem, where=self.check) from None
        return self


def _html_item(finding: Finding) -> str:
    hint = f"<br><i>hint: {html.escape(finding.hint)}</i>" if finding.hint else ""
    return f"<li><b>{html.escape(finding.where)}</b>: {html.escape(finding.message)}{hint}</li>"


# --- check_params ----------------------------------------------------------------------


def check_params(
    model: KerasModel | SpecSource,
    *,
    total: int | None = None,
    trainable: int | None = None,
    non_trainable: int | None = None,
    per_layer: Mapping[str, int] | Sequence[int] | None = None,
) -> CheckResult:
    """Check a model's parameter counts (optimizer variables are never counted).

    Args:
        model: The student's Keras model (or a spec).
        total: Expected ``model.count_params()``.
        trainable: Expected number of trainable parameters.
        non_trainable: Expected number of non-trainable parameters.
        per_layer: Expected count per layer: ``{"layer name": count}``, or a list in
            layer order (with or without the ``InputLayer``'s 0).

    Returns:
        A :class:`CheckResult` with one finding per count that differs.

    Raises:
        OptionError: No expectation was given, or one is not a whole number.

    Example:
        >>> check_params(model, total=551, per_layer=[110, 220, 210, 11])  # doctest: +SKIP
        PASS: the model has the expected parameter counts (total 551).
    """
    expected = {"total": total, "trainable": trainable, "non_trainable": non_trainable}
    for key, value in expected.items():
        _check_count(f"check_params({key}=...)", value)
    per = _per_layer_argument(per_layer)
    if per is None and all(value is None for value in expected.values()):
        raise OptionError(
            "nothing to check",
            where="check_params()",
            expected="at least one of total=, trainable=, non_trainable=, per_layer=",
            received="no expectation",
            hint="e.g. check_params(model, total=551)",
        )
    model = as_model(model)
    found = summarize(model)
    findings = _per_layer(found, per, model) if per is not None else []
    target = Summary("", (), total, trainable, non_trainable)
    findings += _compare.totals(found, target, layers_differ=bool(findings), check_params=True)
    checked = ", ".join(
        f"{k.replace('_', '-')} {v:,}" for k, v in expected.items() if v is not None
    )
    checked = checked or f"{len(found.layers)} layers"
    text = f"the model has the expected parameter counts ({checked})."
    return CheckResult(
        "check_params", "the expected parameter counts", tuple(findings), "" if findings else text
    )


def _check_count(where: str, value: object) -> None:
    if value is None or (isinstance(value, int) and not isinstance(value, bool) and value >= 0):
        return
    raise OptionError(
        "a parameter count must be a whole number",
        where=where,
        expected="an int >= 0",
        received=repr(value),
    )


def _per_layer_argument(value: object) -> dict[str, int] | list[int] | None:
    if value is None:
        return None
    if isinstance(value, Mapping):
        for name, count in value.items():
            _check_count(f"check_params(per_layer[{name!r}])", count)
        return {str(name): int(count) for name, count in value.items()}
    if isinstance(value, Sequence) and not isinstance(value, str):
        for index, count in enumerate(value):
            _check_count(f"check_params(per_layer[{index}])", count)
        return [int(count) for count in value]
    raise OptionError(
        "per_layer must map layer names to counts, or list counts in order",
        where="check_params(per_layer=...)",
        expected="a dict such as {'dense_1': 220} or a list such as [110, 220]",
        received=type(value).__name__,
    )


# --- check_summary and check_model -----------------------------------------------------


def check_summary(
    model: KerasModel | SpecSource,
    expected: Summary | KerasModel | SpecSource,
    *,
    compare_names: bool = False,
) -> CheckResult:
    """Check a model against an expected summary, spec or reference model.

    Args:
        model: The student's Keras model (or a spec).
        expected: A :class:`~kerasguide.summary.Summary`; summary text in the Keras 2
            or Keras 3 format (or a ``.txt`` file holding it); a spec (a
            :class:`~kerasguide.specs.Spec`, a dict, or a ``.yaml``/``.json`` file); or
            a reference Keras model. Specs and models are compared with
            :func:`check_model`, configuration included.
        compare_names: Also compare layer names (off by default: Keras numbers
            auto-generated names by a process-wide counter).

    Returns:
        A :class:`CheckResult` listing every difference; a finding about a layer that
        :func:`~kerasguide.lint` has a hint for says it in its hint.

    Raises:
        OptionError: ``expected`` is none of the accepted kinds.
        SummaryParseError: ``expected`` is summary text that cannot be read.

    Example:
        >>> check_summary(model, open("expected_summary.txt").read())  # doctest: +SKIP
    """
    _check_flag("check_summary", compare_names)
    summary = _as_summary(expected)
    if summary is None:
        assert not isinstance(expected, Summary)  # _as_summary returns a Summary as it is
        return check_model(model, expected, compare_names=compare_names)
    model = as_model(model)
    expand = any(row.depth for row in summary.rows)
    found = summarize(model, expand_nested=expand)
    findings = with_hints(model, _compare.summaries(found, summary, compare_names=compare_names))
    findings = _numbered(model, found, findings)
    return _result("check_summary", "the expected summary", findings, found)


def check_model(
    model: KerasModel | SpecSource,
    reference: KerasModel | SpecSource,
    *,
    compare_names: bool = False,
) -> CheckResult:
    """Compare a model with a reference model layer by layer.

    Compares everything that changes what the model computes, nested models
    included: each layer's type, output shape and parameters; every value of its
    ``get_config()`` against Keras's defaults for its class (an omitted default
    equals an explicit one), initializers, regularizers, constraints and dtype
    policies included; each call's arguments (``training=``, ``mask``,
    ``use_causal_mask``, ``initial_state``, the tensors it is given); and the
    inputs' and outputs' structure (dict keys, list order). Each difference is a
    :class:`Finding` whose ``kind`` a grader can weigh apart: ``config``,
    ``initializer``, ``regularizer``, ``constraint``, ``dtype``, ``seed``, ``call``,
    ``wiring``, ``structure`` (besides ``type``, ``shape``, ``params``, …).

    Args:
        model: The student's Keras model (or a spec).
        reference: The reference: a Keras model, or a spec (a
            :class:`~kerasguide.specs.Spec`, a dict, or a ``.yaml``/``.json`` file).
        compare_names: Also compare layer names.

    Returns:
        A :class:`CheckResult` listing every difference.

    Raises:
        OptionError: ``model`` or ``reference`` is not a model or a spec.

    Example:
        >>> check_model(student, {"kind": "mlp", "inputs": 10, "hidden": [10, 20, 10],
        ...                       "outputs": 1})  # doctest: +SKIP
    """
    _check_flag("check_model", compare_names)
    model, reference = as_model(model), as_model(reference)
    found = summarize(model, expand_nested=True)
    expected = summarize(reference, expand_nested=True)
    findings = _compare.summaries(
        found, expected, compare_names=compare_names, models=(model, reference)
    )
    findings = with_hints(model, findings, reference)
    return _result("check_model", "the reference model", _numbered(model, found, findings), found)


def _numbered(model: KerasModel, found: Summary, findings: list[Finding]) -> list[Finding]:
    """Findings numbered as the student's own ``model.summary()`` shows the layers:
    Keras lists no InputLayer row for a Sequential model."""
    if type(model).__name__ == "Sequential" and found.rows and found.rows[0].is_input:
        return as_in_keras_summary(findings)
    return findings


def _result(check: str, subject: str, findings: list[Finding], found: Summary) -> CheckResult:
    layers = len([row for row in found.layers if not row.depth])
    text = f"the model matches {subject} ({layers} layers, {found.total or 0:,} parameters)."
    return CheckResult(check, subject, tuple(findings), "" if findings else text)


def _check_flag(function: str, value: object) -> None:
    if not isinstance(value, bool):
        raise OptionError(
            "compare_names must be True or False",
            where=f"{function}(compare_names=...)",
            expected="a bool",
            received=repr(value),
        )


def _as_summary(expected: object) -> Summary | None:
    """The expected summary, or None when ``expected`` is a model or a spec."""
    if isinstance(expected, Summary):
        return expected
    if isinstance(expected, str) and "\n" in expected and _looks_like_summary(expected):
        return parse_summary(expected)
    if isinstance(expected, (str, os.PathLike)) and Path(expected).suffix.lower() == ".txt":
        return parse_summary(_read(Path(expected)))
    if _k.is_model(expected) or isinstance(expected, (str, os.PathLike, Mapping)):
        return None
    from kerasguide.specs import Spec

    if isinstance(expected, Spec):
        return None
    raise OptionError(
        "cannot compare with this",
        where="check_summary(expected=...)",
        expected="a Summary, summary text, a spec (Spec, dict, .yaml/.json path) or a Keras model",
        received=f"{type(expected).__module__}.{type(expected).__name__}",
        hint=did_you_mean(type(expected).__name__, ["Summary", "Spec", "dict", "str", "Model"]),
    )


def _looks_like_summary(text: str) -> bool:
    return "Total params" in text or "Layer (type)" in text


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise FileError(
            "the expected summary cannot be read",
            where=str(path),
            expected="a UTF-8 text file",
            received=str(err),
        ) from None


def _per_layer(
    found: Summary, expected: dict[str, int] | list[int], model: KerasModel
) -> list[Finding]:
    rows = list(enumerate(found.rows))
    if isinstance(expected, dict):
        by_name = {row.name: (i, row) for i, row in rows}
        findings = []
        for name, count in expected.items():
            if name not in by_name:
                hint = did_you_mean(name, by_name) or f"its layers are {', '.join(by_name)}"
                findings.append(
                    Finding(
                        f"per_layer[{name!r}]",
                        f"the model has no layer named {name!r}",
                        hint,
                        "name",
                    )
                )
            elif by_name[name][1].params != count:
                findings.append(_count_finding(*by_name[name], count, model))
        return findings
    layers = [(i, row) for i, row in rows if not row.is_input]
    chosen = layers if len(expected) == len(layers) else rows
    if len(expected) != len(chosen):
        counts = ", ".join(f"{row.params:,}" for _, row in layers)
        return [
            Finding(
                "model",
                f"expected {len(expected)} layers with parameters, found {len(layers)}",
                f"the model's layers have {counts} parameters",
                "per_layer",
            )
        ]
    return [
        _count_finding(i, row, count, model)
        for (i, row), count in zip(chosen, expected, strict=True)
        if row.params != count
    ]


def _count_finding(index: int, row: Row, count: int, model: KerasModel) -> Finding:
    from kerasguide.explain import explain

    top = [layer for layer in explain(model).layers if not layer.depth] if model.built else []
    arithmetic = next((layer.arithmetic for layer in top if layer.name == row.name), "")
    hint = f"Keras counts {arithmetic} for this layer (named '{row.name}')" if arithmetic else None
    return Finding(
        _compare.where(row, index),
        f"expected {count:,} parameters, found {row.params:,}",
        hint,
        "params",
        row.name,
    )
