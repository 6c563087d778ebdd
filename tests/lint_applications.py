"""False alarms of ``kg.lint`` on correct models: every ``keras.applications`` model.

Each application is built as Keras ships it (``weights=None``, its default input size,
1,000 classes) without allocating its weights, and linted twice: as it is, and compiled
with the loss it is trained with (``categorical_crossentropy``), so that the rules that
read a loss run too. Any hint is a false alarm, unless it is justified in the report.

Run ``python -m tests.lint_applications [NAME ...]``; ``tests/test_lint_zoo.py`` runs a
sample. Prints one line per model, and the count of hints on correct models.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import kerasguide as kg
import kerasguide._keras as _k
from tests.conformance import application_names


def application(name: str) -> Any:
    """``keras.applications.<name>`` with no weights, at its default input size."""
    return getattr(_k.keras().applications, name)(weights=None)


def lint_application(name: str) -> tuple[kg.Hints, kg.Hints]:
    """The hints about an application model: as shipped, and compiled with its loss."""
    with _k.weightless():
        model = application(name)
    plain = kg.lint(model)
    model.compile(loss="categorical_crossentropy", metrics=["accuracy"])
    compiled = kg.lint(model)
    _k.keras().backend.clear_session()
    return plain, compiled


def main(names: list[str]) -> int:
    """Lint each application; print the hints; return the number of hints in all."""
    total = 0
    for name in names or application_names():
        start = time.perf_counter()
        plain, compiled = lint_application(name)
        count = len(plain) + len(compiled)
        total += count
        seconds = time.perf_counter() - start
        print(f"{name:22} {len(plain)} hints, {len(compiled)} compiled ({seconds:.1f} s)")
        for hint in (*plain, *compiled):
            print(f"    {hint.where}: [{hint.code}] {hint.message}")
    print(f"{len(names or application_names())} applications: {total} hints on correct models")
    return total


if __name__ == "__main__":
    sys.exit(1 if main(sys.argv[1:]) else 0)
