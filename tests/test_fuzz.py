"""Fuzzing the public API: whatever the input, only KerasGuideError leaves it.

Hypothesis mutates real inputs (the shipped example specs as YAML and JSON
text, spec dicts with wrappers and operations, printed Keras summaries) with
a fixed seed. ``make test`` runs a few hundred cases; ``make fuzz`` sets
``KERASGUIDE_FUZZ_EXAMPLES`` for a long campaign and prints the counts.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerasguide as kg
from tests.mutate import damage

EXAMPLES = int(os.environ.get("KERASGUIDE_FUZZ_EXAMPLES", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)
NO_HINTS = pytest.mark.filterwarnings("ignore::kerasguide.errors.KerasGuideWarning")
COUNTS: Counter[str] = Counter()
DATA = Path(__file__).parent / "data"
SPEC_TEXTS = [kg.load_example(name).to_yaml() for name in kg.list_examples()]
SUMMARY_TEXTS = [p.read_text() for p in sorted(DATA.rglob("*.txt"))]
SPECIAL = [*list("&*!{}[]:-,#|>'\"\t\n @%`"), "!!python/object:os.system", "<<: *a", "1e999"]


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    yield
    if COUNTS:
        line = ", ".join(f"{k}: {v}" for k, v in sorted(COUNTS.items()))
        print(f"\nfuzz cases: {sum(COUNTS.values())} ({line}); outside the error tree: 0")


def _outcome(kind: str, call: Callable[[], Any]) -> Any:
    """Run ``call``; a KerasGuideError is a fine outcome, anything else fails the test."""
    try:
        result = call()
    except kg.KerasGuideError:
        COUNTS[f"{kind} refused"] += 1
        return None
    COUNTS[f"{kind} accepted"] += 1
    return result


@st.composite
def mutated_text(draw: st.DrawFn, texts: list[str]) -> str:
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        piece = draw(st.one_of(st.sampled_from(SPECIAL), st.text(max_size=4)))
        if action == "insert":
            text = text[:at] + piece + text[at:]
        elif action == "delete":
            text = text[:at] + text[at + draw(st.integers(1, 20)) :]
        elif action == "replace":
            text = text[:at] + piece + text[at + len(piece) :]
        else:
            text = text[:at] + text[at : at + 40] + text[at:]
    return text


def _build_small(spec: kg.Spec) -> None:
    with kg.set_limits(params=2_000_000):
        kg.build(spec)


@NO_HINTS
@FUZZ
@given(mutated_text(SPEC_TEXTS), st.booleans())
def test_spec_text(text: str, as_json: bool) -> None:
    if as_json:
        try:
            text = json.dumps(__import__("yaml").safe_load(text))
        except Exception:  # not even YAML: try the text as JSON-looking input as it is
            text = "{" + text
    spec = _outcome("spec text", lambda: kg.load_spec(text))
    if spec is not None:
        _outcome("build", lambda: _build_small(spec))


JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 2**40), st.floats(allow_nan=True),
              st.text(max_size=6),
              st.sampled_from(["Dense", "LSTM", "relu", "add", "mean", "layer", "cell", "op",
                               "TimeDistributed", "Bidirectional", "/dev/zero", "x"])),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=8,
)  # fmt: skip

BASES: list[dict[str, Any]] = [
    {"inputs": {"x": [6, 3]}, "layers": [
        {"Bidirectional": {"LSTM": 2, "return_sequences": True}},
        {"TimeDistributed": {"Dense": 2}},
        {"op": "add", "x2": 1.0},
        {"op": "mean", "axis": 1},
        {"type": "RNN", "cell": [{"LSTMCell": 2}], "inputs": "x"},
        {"type": "Concatenate", "inputs": ["mean_1", "rnn_1"]},
    ]},
    {"input_shape": [4], "layers": [{"Dense": 3, "activation": "relu"}, {"Dropout": 0.5},
                                    {"Dense": 1}]},
]  # fmt: skip


@st.composite
def mutated_spec(draw: st.DrawFn) -> Any:
    return damage(draw, draw(st.sampled_from(BASES)), JUNK)


@NO_HINTS
@FUZZ
@given(mutated_spec())
def test_spec_data(raw: Any) -> None:
    spec = _outcome("spec data", lambda: kg.load_spec(raw))
    if spec is not None:
        _outcome("build", lambda: _build_small(spec))
        _outcome("to_code", lambda: kg.to_code(spec))


@FUZZ
@given(mutated_text(SUMMARY_TEXTS))
def test_summary_text(text: str) -> None:
    _outcome("summary text", lambda: kg.parse_summary(text))


@FUZZ
@given(st.dictionaries(st.sampled_from(["params", "layers", "depth", "valus", "string"]),
                       JUNK, max_size=2))  # fmt: skip
def test_set_limits(changes: dict[str, Any]) -> None:
    restore = _outcome("set_limits", lambda: kg.set_limits(**changes))
    if restore is not None:
        with restore:
            pass
