"""Hints in a failed check: a finding about a layer that ``kg.lint`` has a hint for says it.

When ``check_model`` or ``check_summary`` finds differences, the student's model is
linted, and each hint about a layer that a finding names is added to that finding's
hint: the difference, and why it trains badly. A hint the reference model has too is
left out (the reference is right by definition), and so is a hint about a layer that
differs in nothing: a check speaks of differences only.
"""

from __future__ import annotations

import dataclasses

from kerasguide._finding import Finding
from kerasguide._hints import Hint
from kerasguide._lint import lint_model
from kerasguide._types import KerasModel

__all__ = ["with_hints"]


def with_hints(
    model: KerasModel, findings: list[Finding], reference: KerasModel | None = None
) -> list[Finding]:
    """``findings``, each with the hints about its layer added to its hint."""
    if not findings:
        return findings
    hints = _hints(model)
    if reference is not None and hints:
        known = {hint.code for hint in _hints(reference)}
        hints = [hint for hint in hints if hint.code not in known]
    by_layer: dict[str, list[Hint]] = {}
    for hint in hints:
        by_layer.setdefault(hint.layer, []).append(hint)
    return [_with(finding, by_layer.get(finding.layer or "", [])) for finding in findings]


def _hints(model: KerasModel) -> list[Hint]:
    try:
        return list(lint_model(model))
    except Exception:  # a model lint cannot read (a subclassed one) costs its hints only
        return []


def _with(finding: Finding, hints: list[Hint]) -> Finding:
    if not hints:
        return finding
    said = "; ".join(f"{h.message}: probably meant {h.meant} [{h.code}]" for h in hints)
    text = f"{finding.hint}. Also, {said}" if finding.hint else said
    return dataclasses.replace(finding, hint=text)
