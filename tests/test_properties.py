"""Property tests: random valid specs build and round-trip; malformed ones raise only
KerasGuideError (never a raw Keras, TensorFlow or Python error)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kerasguide as kg
from kerasguide import _wiring
from tests.mutate import damage

# Random models trip kg.lint's hints (softmax on one unit, dropout 0 ...): not errors here.
NO_HINTS = pytest.mark.filterwarnings("ignore::kerasguide.errors.KerasGuideWarning")
ACTIVATIONS = ["relu", "tanh", "sigmoid", "softmax", "elu"]
SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)


@st.composite
def layer_entry(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["Dense", "Dense", "Dropout", "BatchNormalization", "Activation"]))
    if kind == "Dense":
        entry: dict[str, Any] = {"type": "Dense", "units": draw(st.integers(1, 6))}
        if draw(st.booleans()):
            entry["activation"] = draw(st.sampled_from(ACTIVATIONS))
        if draw(st.booleans()):
            entry["use_bias"] = False
        return entry
    if kind == "Dropout":
        return {"type": "Dropout", "rate": draw(st.sampled_from([0.1, 0.25, 0.5]))}
    if kind == "Activation":
        return {"type": "Activation", "activation": draw(st.sampled_from(ACTIVATIONS))}
    return {"type": "BatchNormalization"}


@st.composite
def sequential_spec(draw: st.DrawFn) -> dict[str, Any]:
    layers = draw(st.lists(layer_entry(), min_size=1, max_size=5))
    for i, entry in enumerate(layers):
        if draw(st.booleans()):
            entry["name"] = f"layer{i}"
    return {"kind": "sequential", "name": "random", "input_shape": [draw(st.integers(1, 5))],
            "layers": layers}  # fmt: skip


@st.composite
def functional_spec(draw: st.DrawFn) -> dict[str, Any]:
    n_inputs = draw(st.integers(1, 2))
    inputs = [{"name": f"in{i}", "shape": [draw(st.integers(1, 4))]} for i in range(n_inputs)]
    available = [item["name"] for item in inputs]
    consumed: set[str] = set()
    layers: list[dict[str, Any]] = []
    for i in range(draw(st.integers(n_inputs, 5))):
        name = f"node{i}"
        if i < n_inputs:
            sources: list[str] = [available[i]]
        elif len(available) > 1 and draw(st.booleans()):
            sources = draw(st.lists(st.sampled_from(available), min_size=2, max_size=2,
                                    unique=True))  # fmt: skip
        else:
            sources = [draw(st.sampled_from(available))]
        entry = {"type": "Concatenate"} if len(sources) > 1 else draw(layer_entry())
        entry.update(name=name, inputs=sources if len(sources) > 1 else sources[0])
        consumed.update(sources)
        layers.append(entry)
        available.append(name)
    sinks = [e["name"] for e in layers if e["name"] not in consumed]
    return {"kind": "functional", "name": "graph", "inputs": inputs, "layers": layers,
            "outputs": sinks[0] if len(sinks) == 1 else sinks}  # fmt: skip


@NO_HINTS
@SETTINGS
@given(st.one_of(sequential_spec(), functional_spec()))
def test_valid_specs_build_and_round_trip(raw: dict[str, Any]) -> None:
    spec = kg.load_spec(raw)
    model = kg.build(spec)
    back = kg.to_spec(model)
    # Keras orders a graph's layers by depth, so compare the graphs, not the lists.
    assert _graph(back) == _graph(spec)
    assert kg.to_spec(kg.build(back)) == back
    assert kg.build(back).count_params() == model.count_params()


def _graph(spec: kg.Spec) -> dict[str, Any]:
    data = spec.to_dict()
    if data["kind"] == "sequential":
        return data
    wiring = _wiring.wired(data["layers"], data["inputs"])
    layers = {e["name"]: ({k: v for k, v in e.items() if k != "inputs"}, w)
              for e, w in zip(data["layers"], wiring, strict=True)}  # fmt: skip
    return {**data, "layers": layers}


JUNK = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
              st.text(max_size=6), st.sampled_from(["Dense", "relu", "node0", "in0", "@", "[0]"])),
    lambda children: st.one_of(st.lists(children, max_size=3),
                               st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=6,
)  # fmt: skip


@st.composite
def malformed_spec(draw: st.DrawFn) -> Any:
    return damage(draw, draw(st.one_of(sequential_spec(), functional_spec())), JUNK)


@NO_HINTS
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          derandomize=True)  # fmt: skip
@given(malformed_spec())
def test_malformed_specs_raise_only_kerasguide_errors(raw: Any) -> None:
    error: kg.KerasGuideError | None = None
    try:
        kg.build(raw)
    except kg.KerasGuideError as err:
        error = err
    assert error is None or (str(error) and error.problem)
