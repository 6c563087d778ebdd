"""Fuzzing the public API: whatever the input, only KerasGuideError leaves it.

Hypothesis damages real inputs with a fixed seed: the shipped example specs as
YAML and JSON text and as files (in odd encodings, with stray bytes, or not files
at all), spec dicts with wrappers, operations, call options and nested models
(their keys and values drawn from the names and values that specs use), printed
Keras summaries, objects of any type, and ``set_limits`` arguments. Every spec
that loads is built, and every model turned back into code; specs with a single
value changed mostly load, so that their builds reach deep into Keras.

An outcome is an escape when anything but a ``KerasGuideError`` leaves the call,
when the call runs for more than ``HANG_SECONDS``, or when the error's message
carries a raw Python or TensorFlow traceback.

``make test`` runs a few hundred cases; ``make fuzz`` sets ``KERASGUIDE_FUZZ_EXAMPLES``
for a long campaign and prints the counts, and ``KERASGUIDE_FUZZ_SEED`` draws
other cases than the fixed ones.
"""

from __future__ import annotations

import copy
import itertools
import json
import os
import shutil
import signal
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from types import FrameType
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

import kerasguide as kg
from tests.mutate import damage, paths

EXAMPLES = int(os.environ.get("KERASGUIDE_FUZZ_EXAMPLES", "60"))
SEED = os.environ.get("KERASGUIDE_FUZZ_SEED") or None  # empty: the fixed cases
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=SEED is None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
HANG_SECONDS = 60
# What a student must never see in an error: Python's or TensorFlow's own traceback.
RAW = ("Traceback (most recent call last)", "{{function_node", "tensorflow/core/")
NO_HINTS = pytest.mark.filterwarnings("ignore::kerasguide.errors.KerasGuideWarning")
COUNTS: Counter[str] = Counter()
DATA = Path(__file__).parent / "data"
FILES = Path(tempfile.mkdtemp(prefix="kerasguide-fuzz-"))
SPEC_TEXTS = [kg.load_example(name).to_yaml() for name in kg.list_examples()]
SUMMARY_TEXTS = [p.read_text() for p in sorted(DATA.rglob("*.txt"))]
SPECIAL = [
    *list("&*!{}[]:-,#|>'\"\t\n @%`"), "!!python/object:os.system", "<<: *a", "1e999",
    "? [a]\n: 1\n", "{[x]: 1}", "&a ", "*a", "!!set ", "!!binary ", "!!timestamp ", "~",
    "\ufeff", "\x00", "\ud800", ".nan", ".inf", "0x10", "1_000", "yes", "\\u0000",
    "dtype: string", "input_dtype: __import__", "units: 1000000000000", "- {op: matmul}",
    "batch_size: 0", "call: {training: true}", "model: {layers: []}", "inputs: [x, x]",
]  # fmt: skip
SUMMARY_SPECIAL = [
    "Total params: 1,2,3", "Total params: 99999999999999999999999", "│", "┃", "═", "(None, 3)",
    "(None, None, -1)", "1e999", "Layer (type)", "=" * 30, "\\n", "#", "Trainable params: 7",
    "Non-trainable params: -1", '"', "\r\n", "\x00",
]  # fmt: skip
DTYPES = ["float32", "float16", "bfloat16", "float64", "int32", "int8", "uint8", "uint64", "bool",
          "string", "complex64", "int", "mixed_float16", "__import__", "float8_e4m3fn"]  # fmt: skip
KEY_NAMES = [
    "type", "name", "inputs", "outputs", "units", "activation", "dtype", "input_dtype",
    "batch_size", "call", "model", "cell", "layer", "backward_layer", "return_sequences",
    "kernel_size", "filters", "padding", "strides", "target_shape", "rate", "axis", "kind",
    "input_shape", "hidden", "reuse", "op", "trainable", "kernel_initializer",
    "kernel_regularizer", "merge_mode", "training", "use_causal_mask", "mask_zero",
    "output_dim", "input_dim", "data_format", "x2", "shape", "stateful", "Dense", "LSTM",
]  # fmt: skip
INTERESTING = [
    0, -1, 1, 2, 3, 7, 10**12, 2**31, 2**63, 0.5, 1e-9, 1e300, float("nan"), float("inf"), "",
    "same", "valid", "causal", "channels_first", "relu", "softmax", "glorot_uniform", "zeros",
    "l2", "x", "dense_1", "input", "x[0]", "dense_1[1]", "x" * 300, [3, 3], [None, 4],
    [[0, 1], [0, 1]], [], {}, {"type": "L2", "l2": 0.1}, {"Dense": 2}, {"LSTMCell": 2},
    {"training": True}, {"use_causal_mask": True}, True, None, *DTYPES,
]  # fmt: skip


class _Hang(BaseException):
    """A call that ran for more than HANG_SECONDS (not an Exception: nothing wraps it)."""


def _alarm(signum: int, frame: FrameType | None) -> None:
    raise _Hang


@pytest.fixture(scope="module", autouse=True)
def _report() -> Iterator[None]:
    start = time.perf_counter()
    yield
    shutil.rmtree(FILES, ignore_errors=True)
    if COUNTS:
        line = ", ".join(f"{k}: {v}" for k, v in sorted(COUNTS.items()))
        took = time.perf_counter() - start
        print(f"\nfuzz cases: {sum(COUNTS.values())} ({line}); outside the error tree: 0; "
              f"{took:.0f} s")  # fmt: skip


def _outcome(kind: str, call: Callable[[], Any]) -> Any:
    """Run ``call``; a KerasGuideError is a fine outcome, anything else fails the test."""
    previous = signal.signal(signal.SIGALRM, _alarm)
    signal.alarm(HANG_SECONDS)
    try:
        result = call()
    except kg.KerasGuideError as err:
        if any(marker in str(err) for marker in RAW):
            pytest.fail(f"{kind}: a raw traceback in the message:\n{err}")
        COUNTS[f"{kind} refused"] += 1
        return None
    except _Hang:
        pytest.fail(f"{kind}: still running after {HANG_SECONDS} s")
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    COUNTS[f"{kind} accepted"] += 1
    return result


def _fuzz(test: Callable[..., None]) -> Callable[..., None]:
    """The campaign's settings, and another seed when KERASGUIDE_FUZZ_SEED asks for one."""
    test = FUZZ(test)
    return seed(int(SEED))(test) if SEED is not None else test


@st.composite
def mutated_text(draw: st.DrawFn, texts: list[str], pieces: list[str] = SPECIAL) -> str:
    text = draw(st.sampled_from(texts))
    for _ in range(draw(st.integers(0, 4))):
        at = draw(st.integers(0, len(text)))
        action = draw(st.sampled_from(["insert", "delete", "replace", "duplicate"]))
        piece = draw(st.one_of(st.sampled_from(pieces), st.text(max_size=4)))
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


def _build_and_code(spec: kg.Spec | None) -> None:
    if spec is not None:
        _outcome("build", lambda: _build_small(spec))
        _outcome("to_code", lambda: kg.to_code(spec))


@NO_HINTS
@_fuzz
@given(mutated_text(SPEC_TEXTS), st.booleans())
def test_spec_text(text: str, as_json: bool) -> None:
    if as_json:
        try:
            text = json.dumps(yaml.safe_load(text))
        except Exception:  # not even YAML: try the text as JSON-looking input as it is
            text = "{" + text
    spec = _outcome("spec text", lambda: kg.load_spec(text))
    if spec is not None:
        _outcome("build", lambda: _build_small(spec))


JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-2, 2**40), st.floats(allow_nan=True),
              st.text(max_size=6), st.sampled_from(INTERESTING).map(copy.deepcopy),
              st.sampled_from(["Dense", "LSTM", "relu", "add", "mean", "layer", "cell", "op",
                               "TimeDistributed", "Bidirectional", "/dev/zero", "x"])),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=8,
)  # fmt: skip
KEYS = st.one_of(st.sampled_from(KEY_NAMES), st.text(max_size=8))

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
    {"inputs": {"x": [8, 8, 3]}, "layers": [
        {"Conv2D": 4, "kernel_size": 3, "padding": "same"}, "MaxPooling2D",
        {"Reshape": [16, 4]}, {"Dropout": 0.5, "call": {"training": True}},
        {"model": {"input_shape": [16, 4], "layers": [{"GRU": 2}]}, "trainable": False},
        {"op": "matmul", "inputs": ["sequential_1", "sequential_1"], "transpose": True},
    ], "outputs": {"out": "sequential_1"}},
    {"inputs": {"q": [5, 4], "v": [7, 4]}, "layers": [
        {"type": "Attention", "inputs": ["q", "v"], "call": {"use_causal_mask": True}},
        {"Embedding": 10, "output_dim": 4, "mask_zero": True, "inputs": "q"},
    ], "outputs": ["attention_1", "embedding_1"]},
    *[kg.load_example(name).to_dict() for name in kg.list_examples()],
]  # fmt: skip


@st.composite
def mutated_spec(draw: st.DrawFn) -> Any:
    return damage(draw, draw(st.sampled_from(BASES)), JUNK, KEYS)


@NO_HINTS
@_fuzz
@given(mutated_spec())
def test_spec_data(raw: Any) -> None:
    before = repr(raw)
    _build_and_code(_outcome("spec data", lambda: kg.load_spec(raw)))
    assert repr(raw) == before, "load_spec changed the dict it was given"


@st.composite
def one_value_changed(draw: st.DrawFn) -> Any:
    """A valid base with one value changed: most still load, and so reach Keras."""
    spec = copy.deepcopy(draw(st.sampled_from(BASES)))
    leaves = [p for p in paths(spec) if p and not isinstance(_at(spec, p), (dict, list))]
    path = draw(st.sampled_from(leaves))
    value = draw(st.one_of(st.sampled_from(INTERESTING).map(copy.deepcopy),
                           st.integers(-3, 300), st.sampled_from(DTYPES)))  # fmt: skip
    _at(spec, path[:-1])[path[-1]] = value
    return spec


def _at(spec: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        spec = spec[key]
    return spec


@NO_HINTS
@_fuzz
@given(one_value_changed())
def test_spec_value(raw: Any) -> None:
    _build_and_code(_outcome("spec value", lambda: kg.load_spec(raw)))


COUNTER = itertools.count()
SUFFIXES = [".yaml", ".yml", ".json", "", ".txt", ".YAML"]
ENCODINGS = ["utf-8", "utf-8", "utf-8-sig", "utf-16", "utf-32", "latin-1"]


@st.composite
def odd_file(draw: st.DrawFn) -> str | Path:
    """A spec file in an odd encoding or with stray bytes, or something that is no file."""
    path = FILES / f"spec{next(COUNTER)}{draw(st.sampled_from(SUFFIXES))}"
    kind = draw(st.sampled_from(["text", "text", "text", "bytes", "empty", "folder", "link",
                                 "dangling", "fifo", "json"]))  # fmt: skip
    text = draw(mutated_text(SPEC_TEXTS))
    if kind in ("text", "json"):
        if kind == "json":
            text = json.dumps(yaml.safe_load(kg.load_example(draw(st.sampled_from(
                kg.list_examples()))).to_yaml()))[: draw(st.integers(0, 2000))]  # fmt: skip
        encoding = draw(st.sampled_from(ENCODINGS))
        errors = "replace" if encoding == "latin-1" else "surrogatepass"
        path.write_bytes(text.encode(encoding, errors=errors))
    elif kind == "bytes":
        data = text.encode("utf-8", errors="surrogatepass")
        at = draw(st.integers(0, len(data)))
        path.write_bytes(data[:at] + draw(st.binary(min_size=1, max_size=8)) + data[at:])
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "folder":
        path.mkdir()
    elif kind == "link":
        target = FILES / f"target{next(COUNTER)}.yaml"
        target.write_text(SPEC_TEXTS[0])
        path.symlink_to(target if draw(st.booleans()) else FILES)
    elif kind == "dangling":
        path.symlink_to(FILES / "nothing-here.yaml")
    else:
        os.mkfifo(path)
    return path if draw(st.booleans()) else str(path)


@NO_HINTS
@_fuzz
@given(odd_file())
def test_spec_file(source: str | Path) -> None:
    spec = _outcome("spec file", lambda: kg.load_spec(source))
    if spec is not None:
        _outcome("build", lambda: _build_small(spec))


ODD = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(), st.binary(max_size=20),
    st.text(max_size=30), st.lists(st.integers(), max_size=3), st.tuples(st.text(max_size=3)),
    st.builds(Path, st.text(max_size=20)), st.frozensets(st.integers(), max_size=2),
    st.just(object()), st.just(b"input_shape: [1]\nlayers: [Dense]"),
    st.dictionaries(st.integers(), st.integers(), max_size=2),
)  # fmt: skip


@_fuzz
@given(ODD)
def test_odd_objects(value: Any) -> None:
    _outcome("odd source", lambda: kg.load_spec(value))
    _outcome("odd summary", lambda: kg.parse_summary(value))


@_fuzz
@given(mutated_text(SUMMARY_TEXTS, SUMMARY_SPECIAL + SPECIAL))
def test_summary_text(text: str) -> None:
    _outcome("summary text", lambda: kg.parse_summary(text))


@_fuzz
@given(st.dictionaries(st.sampled_from(["params", "layers", "depth", "valus", "string"]),
                       JUNK, max_size=2))  # fmt: skip
def test_set_limits(changes: dict[str, Any]) -> None:
    restore = _outcome("set_limits", lambda: kg.set_limits(**changes))
    if restore is not None:
        with restore:
            pass
