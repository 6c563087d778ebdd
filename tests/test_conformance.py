"""The fast subset of the conformance suite (issue 9), and tests of its comparison.

``make conformance`` runs every model of ``keras.applications``; here run the smallest
of them and every hand-written model of ``tests/conformance.py`` (one per kind of layer,
operation or wrapper), through all five stages: ``to_spec`` → YAML → ``build``,
``to_code`` → ``exec``, ``check_summary`` against Keras's own summary, ``explain``'s
total and ``plot_model``. Each must be exact (or, for the Lambda model, refused with a
message that names the layer).

The comparison is the suite's own (``conformance.describe``), independent of
kerasguide's; the tests at the end show that it catches what it must.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from tests import conformance as conf

pytestmark = pytest.mark.slow  # see pyproject.toml: make unit leaves it to make test

# The smallest application models (2-4 s each through all five stages: Keras operations,
# asymmetric ZeroPadding2D, depthwise convolutions), and one ResNet (about 6 s, a `sweep`
# test: `make conformance`, where the script runs it too).
FAST_APPLICATIONS = ("MobileNetV3Small", "MobileNet")
SLOW_APPLICATIONS = ("ResNet50",)

CASES = [
    *(pytest.param(conf.application_case(n), id=n, marks=pytest.mark.slow)
      for n in FAST_APPLICATIONS),
    *(pytest.param(conf.application_case(n), id=n, marks=[pytest.mark.slow, pytest.mark.sweep])
      for n in SLOW_APPLICATIONS),
    *(pytest.param(case, id=case.name) for case in conf.OWN),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES)
def test_every_stage_is_exact(case: conf.Case, tmp_path: Path) -> None:
    row = conf.run_case(case, folder=tmp_path)
    report = "\n".join(f"{stage}: {outcome}" for stage, outcome in row.outcomes.items())
    assert conf.expected_outcome(case, row.outcomes["to_spec"]), f"{case.name}\n{report}"
    later = {s: o for s, o in row.outcomes.items() if s != "to_spec"}
    assert all(o.status in (conf.EXACT, conf.OK) for s, o in later.items() if s != "to_code"), (
        f"{case.name}\n{report}"
    )
    if case.expect == conf.EXACT:
        assert later["to_code"].status == conf.EXACT, f"{case.name}\n{report}"


def test_the_applications_are_found_in_keras() -> None:
    names = conf.application_names()
    assert {"ResNet50", "MobileNetV3Small", "ConvNeXtTiny", "InceptionV3"} <= set(names)
    assert all(name[0].isupper() for name in names)


# --- the comparison itself catches what it must -----------------------------------------


def _padded(padding: Any) -> Any:
    keras = _k.keras()
    inputs = keras.Input((5, 5, 2), name="image")
    x = keras.layers.ZeroPadding2D(padding, name="pad")(inputs)
    return keras.Model(inputs, keras.layers.Conv2D(3, 3, name="conv")(x), name="padded")


def test_same_params_other_padding_is_different() -> None:
    # ((0, 1), (0, 1)) and [0, 1] (= ((0, 0), (1, 1))): same parameter count.
    outcome = conf.compare(_padded(((0, 1), (0, 1))), _padded((0, 1)))
    assert outcome.status == conf.DIFFERENT
    assert "operations[1](pad).config.padding" in outcome.detail


def test_the_same_model_twice_is_exact() -> None:
    assert conf.compare(_padded(((0, 1), (0, 1))), _padded(((0, 1), (0, 1)))).status == conf.EXACT


def _plus(constant: float, *, swap: bool = False, name: str = "head") -> Any:
    keras = _k.keras()
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    first, second = (b, a) if swap else (a, b)
    x = keras.layers.Subtract()([first, second]) + constant
    return keras.Model([a, b], keras.layers.Dense(1, name=name)(x), name="plus")


def test_a_different_constant_is_different() -> None:
    outcome = conf.compare(_plus(3.0), _plus(4.0))
    assert outcome.status == conf.DIFFERENT
    assert "calls" in outcome.detail


def test_swapped_wiring_is_different() -> None:
    assert conf.compare(_plus(3.0), _plus(3.0, swap=True)).status == conf.DIFFERENT


def test_explicit_names_count_unless_names_are_set_aside() -> None:
    assert conf.compare(_plus(3.0), _plus(3.0, name="score")).status == conf.DIFFERENT
    assert conf.compare(_plus(3.0), _plus(3.0, name="score"), names=False).status == conf.EXACT


def test_automatic_names_do_not_count() -> None:
    keras = _k.keras()
    _k.keras().layers.Dense(1)  # moves Keras's counter: the next Dense is dense_1
    first = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="s")
    second = keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)], name="s")
    assert first.layers[0].name != second.layers[0].name
    assert conf.compare(first, second).status == conf.EXACT


def test_a_frozen_layer_is_different() -> None:
    frozen = _padded(((0, 1), (0, 1)))
    frozen.get_layer("conv").trainable = False
    outcome = conf.compare(_padded(((0, 1), (0, 1))), frozen)
    assert outcome.status == conf.DIFFERENT
    assert "trainable" in outcome.detail


def test_a_fixed_batch_size_is_different() -> None:
    keras = _k.keras()

    def model(batch_size: int | None) -> Any:
        inputs = keras.Input((4,), batch_size=batch_size, name="x")
        return keras.Model(inputs, keras.layers.Dense(2, name="d")(inputs), name="m")

    assert conf.compare(model(8), model(None)).status == conf.DIFFERENT


def test_an_operation_replaced_by_a_layer_of_the_same_name_is_different() -> None:
    keras = _k.keras()
    a, b = keras.Input((4,), name="a"), keras.Input((4,), name="b")
    with_op = keras.Model([a, b], a + b, name="m")
    with_layer = keras.Model([a, b], keras.layers.Add(name="add")([a, b]), name="m")
    assert conf.compare(with_op, with_layer).status == conf.DIFFERENT


def test_a_refusal_is_not_a_failure_and_an_exception_is() -> None:
    def refuse() -> conf.Outcome:
        raise kg.SpecError("layer 'x': cannot be written")

    def crash() -> conf.Outcome:
        raise KeyError(("add", 0))

    assert conf._guarded(refuse) == conf.Outcome(conf.REFUSED, "layer 'x': cannot be written")
    assert conf._guarded(crash).status == conf.FAILED
    assert conf._guarded(crash).bad


def test_a_spec_changed_by_hand_is_caught_end_to_end() -> None:
    # The padding a collapsed [0, 1] stands for: same parameter count, other shapes.
    model = conf.own_zero_padding()
    data = kg.to_spec(model).to_dict()
    assert data["layers"][0]["padding"] == [[0, 1], [0, 1]]
    data["layers"][0]["padding"] = [[0, 0], [1, 1]]
    outcome = conf.compare(model, kg.build(data))
    assert outcome.status == conf.DIFFERENT
    assert "zero_padding2d" in outcome.detail
