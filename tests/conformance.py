"""The conformance suite of issue 9: Keras's own models, and ours, through every converter.

Every model constructor in ``keras.applications`` (``weights=None``, the smallest input
it allows, 10 classes where it has a top) and the hand-written functional models below
(Keras operations, wrappers, nested and shared models, odd inputs and outputs) go through
five stages, each recorded on its own:

1. ``to_spec`` → YAML → ``load_spec`` → ``build``, compared with the model *here*,
   independently of kerasguide's own check: the same operations in the same order and
   class, equal ``get_config()`` (``name`` keys removed), weight shapes, trainable
   flags, dtypes, input shapes and batch sizes, and the same wiring (which operation,
   call and output feeds every argument, constants included). Names must match too,
   except those Keras made up (``dense_3``).
2. ``to_code`` → ``exec`` → the same comparison, names aside.
3. ``check_summary(model, <Keras's own summary of it>)`` passes.
4. ``explain(model)``'s total equals ``model.count_params()``, and so does the sum of
   ``explain(model, fold="blocks")``'s runs (issue 22).
5. ``plot_model(..., engine="matplotlib", fold="blocks")`` writes a non-empty PNG, and
   ``find_blocks`` covers every layer exactly once, each block's parameters the sum
   of its layers'.

An outcome is ``exact``/``ok``, ``refused`` (a ``KerasGuideError``: acceptable when it
names what a spec cannot say), ``FAILED`` (any other exception, or a check that does not
pass) or ``DIFFERENT`` (a wrong answer given silently: the worst case).

Run ``make conformance`` (or ``python -m tests.conformance [NAME ...]``); it prints a
table and exits non-zero when anything FAILED or is DIFFERENT. Without NAMEs it then
runs ``check_model``'s mutation sweep (``tests/model_mutations.py``) and prints
"mutations caught / tried" (``--mutations-only`` runs that alone). ``tests/test_conformance.py``
runs a fast subset under ``make test``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import gc
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import kerasguide as kg
import kerasguide._keras as _k

EXACT, OK, REFUSED, FAILED, DIFFERENT, SKIPPED = (
    "exact", "ok", "refused", "FAILED", "DIFFERENT", "skipped",
)  # fmt: skip
STAGES = ("to_spec", "to_code", "check_summary", "explain", "plot")
# Models this large run stage 1 only (none in Keras 3.15: ConvNeXtXLarge, 348M at 32², runs all).
STAGE1_ONLY_ABOVE = 500_000_000


# --- outcomes ------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Outcome:
    """What one stage did with one model."""

    status: str
    detail: str = ""

    @property
    def good(self) -> bool:
        return self.status in (EXACT, OK, SKIPPED)

    @property
    def bad(self) -> bool:
        return self.status in (FAILED, DIFFERENT)

    def __str__(self) -> str:
        return f"{self.status}: {self.detail}" if self.detail else self.status


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__


def _guarded(run: Callable[[], Outcome]) -> Outcome:
    """Run a stage: a KerasGuideError is a refusal, anything else a failure."""
    try:
        return run()
    except kg.KerasGuideError as err:
        return Outcome(REFUSED, _first_line(err))
    except Exception as err:
        return Outcome(FAILED, f"{type(err).__name__}: {_first_line(err)}")


# --- an independent description of a model ------------------------------------------


@dataclasses.dataclass(frozen=True)
class Name:
    """A layer's or operation's name, and whether Keras made it up (``dense_3``)."""

    value: str
    automatic: bool


def _snake(class_name: str) -> str:
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", class_name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()


def _name(op: Any) -> Name:
    stem = _snake(type(op).__name__)
    automatic = re.fullmatch(rf"{re.escape(stem)}(_\d+)?", op.name) is not None
    if type(op).__name__ == "InputLayer":
        automatic = automatic or re.fullmatch(r"(input|keras_tensor)(_\d+)?", op.name) is not None
    return Name(op.name, automatic)


def _graph_owner(model: Any) -> Any:
    functional = getattr(model, "_functional", None)
    return functional if functional is not None else model


def _plain(value: Any) -> Any:
    """A config with its names removed and dtype policies written as their name."""
    if isinstance(value, dict):
        if str(value.get("class_name", "")).endswith("DTypePolicy"):
            return f"policy:{value.get('config', {}).get('name')}"
        return {k: _plain(v) for k, v in value.items() if k != "name"}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "tolist") and hasattr(value, "dtype"):  # numpy arrays and scalars
        return ("array", str(value.dtype), value.tolist())
    return value


class _Describer:
    """Everything about a model's graph that a round trip must keep, as plain data."""

    def __init__(self, model: Any) -> None:
        self.owner = _graph_owner(model)
        self.ops: list[Any] = list(self.owner._operations)
        self.index = {id(op): i for i, op in enumerate(self.ops)}
        by_depth = getattr(self.owner, "_nodes_by_depth", None) or {}
        self.own = {id(n) for nodes in by_depth.values() for n in nodes}

    def own_nodes(self, op: Any) -> list[Any]:
        return [n for n in op._inbound_nodes if id(n) in self.own]

    def ref(self, tensor: Any) -> Any:
        history = tensor._keras_history
        producer = history.operation
        if id(producer) not in self.index:
            return ("foreign tensor", producer.name)
        nodes = self.own_nodes(producer)
        node = producer._inbound_nodes[history.node_index]
        position = next((i for i, n in enumerate(nodes) if n is node), -1)
        return ("tensor", self.index[id(producer)], position, history.tensor_index)

    def argument(self, value: Any) -> Any:
        keras = _k.keras()
        if isinstance(value, keras.KerasTensor):
            return self.ref(value)
        if isinstance(value, dict):
            return {k: self.argument(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [self.argument(v) for v in value]
        return _plain(value)

    def call(self, node: Any) -> dict[str, Any]:
        """What one call consumed (tensors and constants) and the shapes it produced."""
        outputs = _k.keras().tree.flatten(node.outputs)
        return {
            "arguments": self.argument([node.arguments.args, node.arguments.kwargs]),
            "outputs": [(tuple(t.shape), str(t.dtype)) for t in outputs],
        }

    def operation(self, op: Any) -> dict[str, Any]:
        keras = _k.keras()
        record: dict[str, Any] = {
            "name": _name(op),
            "class": f"{type(op).__module__}.{type(op).__qualname__}",
            "calls": [self.call(node) for node in self.own_nodes(op)],
        }
        if isinstance(op, keras.layers.Layer):
            record["trainable"] = op.trainable
            record["dtype"] = op.dtype_policy.name
            record["weights"] = [(tuple(w.shape), str(w.dtype)) for w in op.weights]
            record["trainable_weights"] = [tuple(w.shape) for w in op.trainable_weights]
            record["non_trainable_weights"] = [tuple(w.shape) for w in op.non_trainable_weights]
        if isinstance(op, keras.Model):
            record["model"] = describe(op)
        else:
            record["config"] = _plain(op.get_config())
        return record


def describe(model: Any) -> dict[str, Any]:
    """A model as plain data: compare two of them with :func:`differences`."""
    d = _Describer(model)
    outputs = getattr(d.owner, "_outputs_struct", d.owner.outputs)
    keras = _k.keras()
    return {
        "name": _name(model),
        "class": f"{type(model).__module__}.{type(model).__qualname__}",
        "trainable": model.trainable,
        "params": model.count_params(),
        "inputs": [(d.ref(t), tuple(t.shape), str(t.dtype)) for t in d.owner.inputs],
        "outputs": keras.tree.map_structure(d.ref, outputs),
        "operations": [d.operation(op) for op in d.ops],
    }


def _where(path: str, value: Any) -> str:
    return f"{path}={value!r}" if len(repr(value)) < 60 else f"{path}={repr(value)[:57]}..."


def differences(
    expected: Any, found: Any, *, names: bool = True, path: str = "model"
) -> Iterator[str]:
    """Every difference between two descriptions, each as ``path: expected … found …``."""
    if isinstance(expected, Name) and isinstance(found, Name):
        if names and not expected.automatic and expected.value != found.value:
            yield f"{path}: expected {expected.value!r}, found {found.value!r}"
        return
    if isinstance(expected, dict) and isinstance(found, dict):
        for key in expected.keys() | found.keys():
            if key not in found or key not in expected:
                side = "missing" if key not in found else "extra"
                yield f"{path}.{key}: {side} ({_where(key, expected.get(key, found.get(key)))})"
            else:
                label = _label(expected, key, path)
                yield from differences(expected[key], found[key], names=names, path=label)
        return
    if isinstance(expected, list) and isinstance(found, list):
        if len(expected) != len(found):
            yield f"{path}: expected {len(expected)} items, found {len(found)}"
        for i, (a, b) in enumerate(zip(expected, found, strict=False)):
            yield from differences(a, b, names=names, path=f"{path}[{i}]")
        return
    if expected != found or type(expected) is not type(found):
        yield f"{path}: expected {expected!r:.80}, found {found!r:.80}"


def _label(parent: dict[str, Any], key: str, path: str) -> str:
    if key == "operations":
        return f"{path}.operations"
    name = parent.get("name")
    if isinstance(name, Name) and path.endswith("]"):
        return f"{path}({name.value}).{key}"
    return f"{path}.{key}"


def compare(model: Any, rebuilt: Any, *, names: bool = True) -> Outcome:
    """``exact``, or ``DIFFERENT`` with the first differences."""
    found = list(differences(describe(model), describe(rebuilt), names=names))
    if not found:
        return Outcome(EXACT)
    more = f" (+{len(found) - 2} more)" if len(found) > 2 else ""
    return Outcome(DIFFERENT, "; ".join(found[:2]) + more)


# --- the five stages ----------------------------------------------------------------


@contextlib.contextmanager
def _columns(width: int) -> Iterator[None]:
    """rich, behind Keras's summary, crops to $COLUMNS even with a line_length."""
    old = os.environ.get("COLUMNS")
    os.environ["COLUMNS"] = str(width)
    try:
        yield
    finally:
        if old is None:
            del os.environ["COLUMNS"]
        else:
            os.environ["COLUMNS"] = old


def keras_summary(model: Any, *, line_length: int = 200) -> str:
    """Keras's own summary text of ``model``, as a notebook user would paste it."""
    lines: list[str] = []
    with _columns(line_length + 20):
        model.summary(print_fn=lambda text, *_a, **_k: lines.append(text), line_length=line_length)
    return "\n".join(lines)


@dataclasses.dataclass
class Row:
    """One model's results: one outcome per stage."""

    model: str
    params: int = 0
    note: str = ""
    outcomes: dict[str, Outcome] = dataclasses.field(default_factory=dict)
    size_ratio: float | None = None  # len(YAML) / len(model.to_json())
    seconds: float = 0.0
    stage_seconds: dict[str, float] = dataclasses.field(default_factory=dict)

    @property
    def bad(self) -> list[str]:
        return [f"{stage}: {o}" for stage, o in self.outcomes.items() if o.bad]


class OwnOutputRejected(Exception):
    """kerasguide refused what it wrote itself: a failure, not a refusal."""


@contextlib.contextmanager
def _own_output(what: str) -> Iterator[None]:
    try:
        yield
    except kg.KerasGuideError as err:
        raise OwnOutputRejected(f"{what}: {_first_line(err)}") from err


def _stage_to_spec(model: Any, row: Row, keep: dict[str, Any]) -> Outcome:
    spec = kg.to_spec(model)  # a KerasGuideError here is a refusal
    keep["spec"] = spec
    text = spec.to_yaml()
    row.size_ratio = len(text) / len(model.to_json())
    with _own_output("load_spec/build of to_spec's YAML"):
        # Exactness, not hints: an application at its smallest input runs convolutions
        # over 1-pixel maps, which kg.lint rightly names (tests/lint_applications.py).
        rebuilt = kg.build(kg.load_spec(text), ignore_hints="all")
    return compare(model, rebuilt)


def _stage_to_code(model: Any, keep: dict[str, Any]) -> Outcome:
    if "spec" not in keep:
        return Outcome(SKIPPED, "no spec")
    spec = keep["spec"]
    style = "sequential" if spec.kind == "sequential" else "functional"  # keep the class
    code = kg.to_code(spec, style=style)  # a KerasGuideError here is a refusal
    namespace: dict[str, Any] = {}
    exec(compile(code, "<to_code>", "exec"), namespace)
    return compare(model, namespace["model"], names=False)


def _stage_check_summary(model: Any) -> Outcome:
    result = kg.check_summary(model, keras_summary(model))
    if result.passed:
        return Outcome(OK)
    return Outcome(FAILED, "not passed: " + _first_line(Exception(str(result))))


def _stage_explain(model: Any) -> Outcome:
    total, expected = kg.explain(model).total, model.count_params()
    if total != expected:
        return Outcome(DIFFERENT, f"explain total {total} != count_params() {expected}")
    folded = kg.explain(model, fold="blocks")
    runs = sum(run.params for run in getattr(folded, "runs", ()))
    if runs != expected:
        return Outcome(DIFFERENT, f"explain(fold='blocks') runs {runs} != count_params()")
    return Outcome(OK)


def _stage_plot(model: Any, folder: Path) -> Outcome:
    """A folded diagram is drawn, and its blocks cover every layer once (issue 22)."""
    path = folder / "m.png"
    kg.plot_model(model, path, engine="matplotlib", fold="blocks")
    if not (path.is_file() and path.stat().st_size > 0 and path.read_bytes()[:4] == b"\x89PNG"):
        return Outcome(FAILED, "no PNG written")
    blocks = kg.find_blocks(model)
    names = [op.name for op in _graph_owner(model)._operations]
    if sorted(blocks.layers) != sorted(names):
        return Outcome(DIFFERENT, "the blocks do not cover every layer exactly once")
    for run in blocks.runs:
        for block in run.blocks:
            weights = sum(_count(model, name) for name in block.layers)
            if block.params != weights:
                return Outcome(DIFFERENT, f"block {block.name}: {block.params} != {weights}")
    if blocks.params != model.count_params():
        return Outcome(DIFFERENT, f"blocks' total {blocks.params} != {model.count_params()}")
    return Outcome(OK)


def _count(model: Any, name: str) -> int:
    op = next(op for op in _graph_owner(model)._operations if op.name == name)
    return int(op.count_params()) if getattr(op, "weights", None) else 0


def run_stages(
    model: Any, row: Row, *, folder: Path, stages: tuple[str, ...] = STAGES, why: str = ""
) -> Row:
    """Run ``stages`` on ``model``, recording each outcome and its time in ``row``."""
    keep: dict[str, Any] = {}
    runs: dict[str, Callable[[], Outcome]] = {
        "to_spec": lambda: _stage_to_spec(model, row, keep),
        "to_code": lambda: _stage_to_code(model, keep),
        "check_summary": lambda: _stage_check_summary(model),
        "explain": lambda: _stage_explain(model),
        "plot": lambda: _stage_plot(model, folder),
    }
    for stage in STAGES:
        if stage not in stages:
            row.outcomes[stage] = Outcome(SKIPPED, why or "not asked for")
            continue
        start = time.perf_counter()
        row.outcomes[stage] = _guarded(runs[stage])
        row.stage_seconds[stage] = time.perf_counter() - start
    return row


# --- the models -----------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Case:
    """A model to run, and what to expect of ``to_spec``."""

    name: str
    make: Callable[[], tuple[Any, str]]  # the model, and a note on how it was made
    kind: str  # "application" or the kind of feature an own model exercises
    expect: str = EXACT  # or REFUSED, with ``mention`` in the message
    mention: str = ""


def smallest_application(name: str) -> tuple[Any, str]:
    """``keras.applications.<name>`` with no weights, at the smallest input it allows.

    Tries 32×32 with a 10-class top, then the minimum its error message states; falls
    back to ``include_top=False, pooling="avg"`` if the top cannot be had.
    """
    constructor = getattr(_k.keras().applications, name)
    size = 32
    for _ in range(3):
        try:
            shape = (size, size, 3)
            model = constructor(weights=None, input_shape=shape, classes=10)
            return model, f"{size}², top, 10 classes"
        except ValueError as err:
            minimum = re.search(r"at least (\d+)", str(err))
            if minimum is None or int(minimum.group(1)) == size:
                break
            size = int(minimum.group(1))
    model = constructor(weights=None, input_shape=(size, size, 3), include_top=False,
                        pooling="avg")  # fmt: skip
    return model, f"{size}², no top, avg"


def application_names() -> list[str]:
    """Every model constructor in ``keras.applications``: callables named in CapWords."""
    apps = _k.keras().applications
    return sorted(n for n in dir(apps) if n[:1].isupper() and callable(getattr(apps, n)))


def application_case(name: str) -> Case:
    return Case(name, lambda: smallest_application(name), "application")


# Own models: each exercises one kind of layer, operation or wrapper. Names are left to
# Keras where a student would leave them, so the automatic-name rule is exercised too.


def _own(kind: str, expect: str = EXACT, mention: str = "") -> Callable[..., Any]:
    def register(build: Callable[[], Any]) -> Callable[[], Any]:
        name = build.__name__.removeprefix("own_")
        OWN.append(Case(name, lambda: (build(), ""), kind, expect, mention))
        return build

    return register


OWN: list[Case] = []


@_own("operations: arithmetic")
def own_hard_swish_ops() -> Any:
    """``x + 3.0``, ``x += residual``, ``x * (1/6)``: what MobileNetV3 writes."""
    keras = _k.keras()
    inputs = keras.Input((8,))
    h = keras.layers.Dense(8)(inputs)
    x = keras.layers.ReLU(6.0)(h + 3.0)
    x += h
    x = x * (1 / 6)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


@_own("operations: reductions and shapes")
def own_mean_concat_reshape() -> Any:
    keras = _k.keras()
    ops = keras.ops
    inputs = keras.Input((6, 4))
    mean = ops.mean(inputs, axis=1)
    peak = ops.max(inputs, axis=1)
    both = ops.concatenate([mean, peak], axis=-1)
    grid = ops.reshape(both, (-1, 2, 4))
    return keras.Model(inputs, keras.layers.Flatten()(grid))


@_own("operations: residual +=")
def own_residual_plus() -> Any:
    """The residual block of every ResNet lesson, written with ``+=``."""
    keras = _k.keras()
    inputs = keras.Input((8, 8, 4))
    x = keras.layers.Conv2D(4, 3, padding="same", activation="relu")(inputs)
    y = keras.layers.Conv2D(4, 3, padding="same")(x)
    y += x
    y = keras.layers.Activation("relu")(y)
    return keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(y))


@_own("wrapper: TimeDistributed")
def own_time_distributed() -> Any:
    keras = _k.keras()
    inputs = keras.Input((5, 3))
    return keras.Model(inputs, keras.layers.TimeDistributed(keras.layers.Dense(1))(inputs))


@_own("wrapper: Bidirectional")
def own_bidirectional() -> Any:
    keras = _k.keras()
    lstm, bidi = keras.layers.LSTM, keras.layers.Bidirectional
    inputs = keras.Input((6, 4))
    x = bidi(lstm(8, return_sequences=True))(inputs)
    x = bidi(lstm(4), backward_layer=lstm(4, go_backwards=True))(x)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


@_own("wrapper: RNN of cells")
def own_stacked_cells() -> Any:
    keras = _k.keras()
    inputs = keras.Input((6, 3))
    cells = [keras.layers.LSTMCell(4), keras.layers.LSTMCell(4)]
    return keras.Model(inputs, keras.layers.RNN(cells)(inputs))


@_own("seq2seq: stacked LSTMs + TimeDistributed head")
def own_seq2seq() -> Any:
    keras = _k.keras()
    return keras.Sequential(
        [
            keras.Input((7, 3)),
            keras.layers.LSTM(16, return_sequences=True),
            keras.layers.LSTM(16, return_sequences=True),
            keras.layers.TimeDistributed(keras.layers.Dense(5, activation="softmax")),
        ]
    )


@_own("Embedding, int32 input")
def own_embedding() -> Any:
    keras = _k.keras()
    inputs = keras.Input((10,), dtype="int32")
    x = keras.layers.Embedding(100, 8)(inputs)
    x = keras.layers.GlobalAveragePooling1D()(x)
    return keras.Model(inputs, keras.layers.Dense(1, activation="sigmoid")(x))


@_own("asymmetric ZeroPadding2D")
def own_zero_padding() -> Any:
    keras = _k.keras()
    inputs = keras.Input((5, 5, 2))
    x = keras.layers.ZeroPadding2D(((0, 1), (0, 1)))(inputs)
    return keras.Model(inputs, keras.layers.Conv2D(3, 3, strides=2)(x))


@_own("Normalization(axis=-1)")
def own_normalization() -> Any:
    keras = _k.keras()
    inputs = keras.Input((4,))
    x = keras.layers.Normalization(axis=-1)(inputs)
    return keras.Model(inputs, keras.layers.Dense(2)(x))


@_own("Constant initializers")
def own_constant_init() -> Any:
    keras = _k.keras()
    constant = keras.initializers.Constant
    inputs = keras.Input((3,))
    dense = keras.layers.Dense(2, kernel_initializer=constant(0.5), bias_initializer=constant(0.0))
    return keras.Model(inputs, dense(inputs))


@_own("frozen nested base model")
def own_frozen_base() -> Any:
    keras = _k.keras()
    base_in = keras.Input((8, 8, 3))
    features = keras.layers.Conv2D(4, 3, activation="relu")(base_in)
    base = keras.Model(base_in, features, name="base")
    base.trainable = False
    inputs = keras.Input((8, 8, 3))
    x = keras.layers.GlobalAveragePooling2D()(base(inputs))
    return keras.Model(inputs, keras.layers.Dense(3, activation="softmax")(x))


@_own("fixed batch size")
def own_fixed_batch() -> Any:
    keras = _k.keras()
    inputs = keras.Input((4,), batch_size=8)
    return keras.Model(inputs, keras.layers.Dense(2)(inputs))


@_own("dict outputs")
def own_dict_outputs() -> Any:
    keras = _k.keras()
    inputs = keras.Input((6,))
    h = keras.layers.Dense(8, activation="relu")(inputs)
    score = keras.layers.Dense(1, activation="sigmoid", name="score")(h)
    label = keras.layers.Dense(3, activation="softmax", name="label")(h)
    return keras.Model(inputs, {"score": score, "label": label})


@_own("shared layers")
def own_shared_layers() -> Any:
    keras = _k.keras()
    left, right = keras.Input((5,), name="left"), keras.Input((5,), name="right")
    encoder = keras.layers.Dense(4, activation="relu", name="encoder")
    merged = keras.layers.Concatenate()([encoder(left), encoder(right)])
    return keras.Model([left, right], keras.layers.Dense(1)(merged))


@_own("nested Sequential models")
def own_nested_sequential() -> Any:
    keras = _k.keras()
    block = keras.Sequential([keras.layers.Dense(6, activation="relu"), keras.layers.Dense(4)],
                             name="block")  # fmt: skip
    inner = keras.Sequential([keras.Input((3,)), block, keras.layers.Dense(2)], name="inner")
    inputs = keras.Input((3,))
    return keras.Model(inputs, keras.layers.Dense(1)(inner(inputs)))


@_own("Lambda (must be refused, naming the layer)", expect=REFUSED, mention="double")
def own_lambda_refused() -> Any:
    keras = _k.keras()
    inputs = keras.Input((3,))
    x = keras.layers.Lambda(lambda t: t * 2.0, name="double")(inputs)
    return keras.Model(inputs, keras.layers.Dense(1)(x))


def all_cases() -> list[Case]:
    """Every application model, then our own."""
    return [application_case(name) for name in application_names()] + OWN


def expected_outcome(case: Case, outcome: Outcome) -> bool:
    """Whether ``to_spec``'s outcome is what ``case`` expects."""
    if case.expect == REFUSED:
        return outcome.status == REFUSED and case.mention in outcome.detail
    return outcome.status == EXACT


# --- one model, then all of them ------------------------------------------------------


def run_case(case: Case, *, folder: Path, stages: tuple[str, ...] = STAGES) -> Row:
    """Build ``case``'s model and run the stages on it; nothing of it is kept."""
    row = Row(case.name)
    start = time.perf_counter()
    try:
        model, row.note = case.make()
    except Exception as err:  # the model itself could not be built: not kerasguide's fault
        row.outcomes = {s: Outcome(FAILED, f"build: {_first_line(err)}") for s in STAGES}
        return row
    row.params = model.count_params()
    why = ""
    if row.params > STAGE1_ONLY_ABOVE and stages == STAGES:
        stages, why = ("to_spec",), f"stage 1 only above {STAGE1_ONLY_ABOVE:,} params"
    run_stages(model, row, folder=folder, stages=stages, why=why)
    if (
        case.expect == REFUSED
        and "to_spec" in row.outcomes
        and expected_outcome(case, row.outcomes["to_spec"])
    ):
        row.outcomes["to_spec"] = Outcome(REFUSED, "as expected: " + row.outcomes["to_spec"].detail)
    row.seconds = time.perf_counter() - start
    del model
    return row


def _fresh_session() -> None:
    _k.keras().backend.clear_session()
    gc.collect()


def _short(outcome: Outcome | None, width: int) -> str:
    text = "-" if outcome is None else str(outcome)
    return text if len(text) <= width else text[: width - 1] + "…"


def format_table(rows: list[Row]) -> str:
    """The table of ``make conformance``, with its totals."""
    head = (f"{'model':<22} {'params':>11}  {'to_spec':<34} {'yaml/json':>9}  {'to_code':<20} "
            f"{'check_summary':<22} {'explain':<10} {'plot':<8} {'time':>7}")  # fmt: skip
    lines = [head, "-" * len(head)]
    for r in rows:
        o = r.outcomes
        ratio = "-" if r.size_ratio is None else f"{r.size_ratio:.3f}"
        lines.append(
            f"{r.model:<22} {r.params:>11,}  {_short(o.get('to_spec'), 34):<34} {ratio:>9}  "
            f"{_short(o.get('to_code'), 20):<20} {_short(o.get('check_summary'), 22):<22} "
            f"{_short(o.get('explain'), 10):<10} {_short(o.get('plot'), 8):<8} {r.seconds:6.1f}s"
        )
    return "\n".join([*lines, "", *_totals(rows)])


def _totals(rows: list[Row]) -> list[str]:
    spec = [r.outcomes.get("to_spec", Outcome(SKIPPED)) for r in rows]
    count = {s: sum(o.status == s for o in spec) for s in (EXACT, REFUSED, FAILED, DIFFERENT)}
    per_stage = []
    for stage in STAGES:
        outs = [r.outcomes[stage] for r in rows if stage in r.outcomes]
        good = sum(o.status in (EXACT, OK) for o in outs)
        run = sum(o.status != SKIPPED for o in outs)
        per_stage.append(f"{stage} {good}/{run}")
    ratios = [r for r in rows if r.size_ratio is not None]
    lines = ["per stage (passed/run): " + ", ".join(per_stage)]
    if ratios:
        worst = max(ratios, key=lambda r: r.size_ratio or 0.0)
        biggest = max(ratios, key=lambda r: r.params)
        lines.append(
            f"yaml/json: largest {worst.size_ratio:.3f} ({worst.model}); "
            f"largest model {biggest.model}: {biggest.size_ratio:.3f}"
        )
    by_stage = {s: sum(r.stage_seconds.get(s, 0.0) for r in rows) for s in STAGES}
    total = sum(r.seconds for r in rows)
    building = total - sum(by_stage.values())
    lines.append(
        f"time {total:.0f}s: building the models {building:.0f}s, "
        + ", ".join(f"{s} {t:.0f}s" for s, t in by_stage.items())
    )
    lines.append(
        f"{count[EXACT]}/{len(rows)} exact, {count[REFUSED]} refused, {count[FAILED]} failed, "
        f"{count[DIFFERENT]} silently different"
    )
    return lines


def _details(rows: list[Row]) -> list[str]:
    lines = []
    for r in rows:
        for stage, o in r.outcomes.items():
            if o.status not in (EXACT, OK, SKIPPED):
                lines.append(f"  {r.model} / {stage}: {o}")
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.conformance", description=__doc__)
    parser.add_argument("names", nargs="*", help="only these models (default: all)")
    parser.add_argument("--stage1-only", action="store_true", help="run to_spec only")
    parser.add_argument(
        "--stages",
        default=",".join(STAGES),
        help=f"only these stages, comma-separated (default: {','.join(STAGES)})",
    )
    parser.add_argument(
        "--mutations-only",
        action="store_true",
        help="only the mutation sweep of check_model (run after the table when no NAME is given)",
    )
    args = parser.parse_args(argv)
    if args.mutations_only:
        return _mutations()
    cases = [c for c in all_cases() if not args.names or c.name in args.names]
    unknown = set(args.names) - {c.name for c in cases}
    if unknown:
        parser.error(f"unknown models: {', '.join(sorted(unknown))}")
    stages = tuple(s.strip() for s in args.stages.split(",") if s.strip())
    if args.stage1_only:
        stages = ("to_spec",)
    wrong = [s for s in stages if s not in STAGES]
    if wrong:
        parser.error(f"unknown stages: {', '.join(wrong)} (choose from {', '.join(STAGES)})")
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as folder:
        for case in cases:
            _fresh_session()
            row = run_case(case, folder=Path(folder), stages=stages)
            rows.append(row)
            print(f"[{len(rows)}/{len(cases)}] {row.model}: {row.seconds:.1f}s "
                  + ", ".join(f"{s} {o.status}" for s, o in row.outcomes.items()),
                  file=sys.stderr, flush=True)  # fmt: skip
    print(format_table(rows))
    details = _details(rows)
    if details:
        print("\ndetails (first line of each refusal and failure):")
        print("\n".join(details))
    failed = any(r.bad for r in rows)
    if not args.names and stages == STAGES:
        failed = bool(_mutations()) or failed
    return 1 if failed else 0


def _mutations() -> int:
    """check_model's mutation sweep (issue 20): print "mutations caught / tried"."""
    from tests import model_mutations

    def log(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    outcome = model_mutations.sweep(log=log)
    print("\ncheck_model, one attribute changed at a time (tests/model_mutations.py):")
    print(model_mutations.report(outcome))
    return 0 if outcome.caught == outcome.tried and not outcome.noisy else 1


if __name__ == "__main__":
    sys.exit(main())
