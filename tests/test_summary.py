"""summarize(): summaries read from the Keras model objects, compared with Keras itself."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide._graph import all_layers
from tests import models
from tests.golden import assert_golden

keras = _k.keras()
ALL = {**models.ZOO, **models.MORE}


def _shapes(layer: Any) -> tuple[tuple[int | None, ...], ...]:
    outputs = layer.output if isinstance(layer.output, (list, tuple)) else [layer.output]
    return tuple(tuple(t.shape) for t in outputs)


@pytest.mark.parametrize("make", ALL.values(), ids=list(ALL))
def test_rows_and_totals_come_from_the_keras_model(make: Callable[[], Any]) -> None:
    model = make()
    summary = kg.summarize(model)
    layers = all_layers(model)
    assert [row.name for row in summary.rows] == [layer.name for layer in layers]
    assert [row.type for row in summary.rows] == [type(layer).__name__ for layer in layers]
    assert [row.params for row in summary.rows] == [layer.count_params() for layer in layers]
    assert [row.output_shapes for row in summary.rows] == [_shapes(layer) for layer in layers]
    assert summary.total == model.count_params() == sum(row.params for row in summary.rows)
    trainable = sum(int(np.prod(w.shape)) for w in model.trainable_weights)
    assert (summary.trainable, summary.non_trainable) == (trainable, summary.total - trainable)
    assert summary.optimizer == 0
    assert summary.memory == 4 * summary.total  # float32 weights


def test_sequential_shows_its_input_layer_and_functional_its_connections() -> None:
    summary = kg.summarize(models.cnn())
    assert summary.rows[0].name == "image"
    assert summary.rows[0].output_shape == "(None, 8, 8, 1)"
    assert summary.rows[1].connected_to == ("image[0][0]",)
    assert "Connected to" not in str(summary)  # a plain chain: the column would be noise
    siamese = kg.summarize(models.shared_layer())
    encoder = next(row for row in siamese.rows if row.name == "encoder")
    assert encoder.connected_to == ("left[0][0]", "right[0][0]")
    assert "Connected to" in str(siamese)
    assert siamese.total == 33  # the shared Dense is counted once


def test_a_layer_with_several_outputs_lists_every_shape() -> None:
    row = next(r for r in kg.summarize(models.wide()).rows if r.name == "lstm_with_states")
    assert row.output_shapes == ((None, 8), (None, 8), (None, 8))
    assert row.output_shape == "[(None, 8), (None, 8), (None, 8)]"


@pytest.mark.parametrize("make", [models.nested, models.nested_deep])
def test_nested_models_collapse_or_expand_without_double_counting(make: Any) -> None:
    model = make()
    collapsed, expanded = kg.summarize(model), kg.summarize(model, expand_nested=True)
    assert len(expanded.rows) > len(collapsed.rows)
    assert collapsed.total == expanded.total == model.count_params()
    top = [row for row in expanded.rows if row.depth == 0]
    assert [row.name for row in top] == [row.name for row in collapsed.rows]
    assert sum(row.params for row in top) == model.count_params()


def test_nested_rows_are_indented_under_their_model() -> None:
    summary = kg.summarize(models.nested_deep(), expand_nested=True)
    assert [(row.depth, row.name) for row in summary.rows] == [
        (0, "outer_input"), (0, "middle"), (1, "middle_input"), (1, "core"),
        (2, "core_input"), (2, "core_dense"), (1, "middle_dense"), (0, "outer_norm"),
        (0, "outer_dense"),
    ]  # fmt: skip
    assert "│       └ core_dense (Dense)" in str(summary)


@pytest.mark.slow
def test_trained_model_totals_exclude_optimizer_variables() -> None:
    model = models.batchnorm()
    model.compile(optimizer="adam", loss="mse")
    x, y = np.random.rand(16, 4).astype("float32"), np.random.rand(16, 1).astype("float32")
    model.fit(x, y, epochs=1, batch_size=8, verbose=0)
    optimizer = sum(int(np.prod(v.shape)) for v in model.optimizer.variables)
    summary = kg.summarize(model)
    assert summary.total == model.count_params() == 81
    assert (summary.trainable, summary.non_trainable, summary.optimizer) == (65, 16, optimizer)
    assert optimizer > 0
    keras_text: list[str] = []
    model.summary(print_fn=keras_text.append)
    assert f"Total params: {81 + optimizer:,}" in keras_text[0]  # Keras adds them in
    assert f"Optimizer variables: {optimizer:,} (not part of the total)" in str(summary)


def test_unbuilt_model_shows_unknown_shapes() -> None:
    model = keras.Sequential([keras.layers.Dense(2, name="a"), keras.layers.Dense(1, name="b")])
    summary = kg.summarize(model)
    assert [(row.name, row.output_shapes, row.params, row.built) for row in summary.rows] == [
        ("a", None, 0, False), ("b", None, 0, False),
    ]  # fmt: skip
    assert summary.total == 0
    assert "│ a (Dense)    │ ?            │ 0 (unbuilt) │" in str(summary)


def test_frozen_layers_show_their_non_trainable_parameters() -> None:
    summary = kg.summarize(models.gallery())
    frozen = next(row for row in summary.rows if row.name == "frozen_dense")
    assert (frozen.trainable, frozen.non_trainable) == (0, 165)
    assert "Non-trainable" in str(summary).splitlines()[2]


def test_text_width_does_not_depend_on_the_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "40")
    narrow = str(kg.summarize(models.wide()))
    monkeypatch.setenv("COLUMNS", "250")
    assert str(kg.summarize(models.wide())) == narrow
    assert "first_input_with_a_long_name (InputLayer)" in narrow
    assert "Total params: 2,120,305 (8.09 MB)" in narrow


def test_summaries_compare_as_data() -> None:
    one, two = kg.summarize(models.seed_mlp()), kg.summarize(models.seed_mlp())
    assert one == two
    assert hash(one) == hash(two)
    other = keras.Sequential(
        [keras.Input((10,)), *[keras.layers.Dense(u, name=f"hidden_{i + 1}")
                               for i, u in enumerate((10, 20, 10))],
         keras.layers.Dense(1, name="output")], name="another_name",
    )  # fmt: skip
    assert kg.summarize(other) == one  # same layers; input rows and model names are not compared
    assert kg.summarize(models.seed_functional()) != one


def test_to_dict_is_json_ready() -> None:
    data = kg.summarize(models.multi_output()).to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["total"] == 212
    assert data["memory"] == "848.00 B"
    assert data["layers"][2] == {
        "name": "label", "type": "Dense", "output_shape": "(None, 3)",
        "output_shapes": [[None, 3]], "params": 51, "trainable": 51, "non_trainable": 0,
        "connected_to": ["trunk[0][0]"], "depth": 0, "built": True,
    }  # fmt: skip


def test_html_is_a_table_with_escaped_cells() -> None:
    html = kg.summarize(models.multi_input())._repr_html_()
    assert html.startswith("<div><table>")
    assert "<td style='text-align:left;vertical-align:top'>merged (Concatenate)</td>" in html
    assert "image_features[0][0]<br>meta_features[0][0]" in html
    assert "Total params: 569 (2.22 KB)" in html


def test_a_spec_is_built_first() -> None:
    spec = {"kind": "mlp", "inputs": 10, "hidden": [10, 20, 10], "outputs": 1}
    assert kg.summarize(spec).total == 551


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"style": "fancy"}, r"summarize\(style=\.\.\.\): unknown style(.|\n)*'box' or 'ascii'"),
        ({"style": "Box"}, r"received: 'Box'(.|\n)*did you mean 'box'\?"),
        ({"expand_nested": "yes"}, r"summarize\(expand_nested=\.\.\.\)(.|\n)*received: 'yes'"),
    ],
)
def test_bad_options_are_refused(kwargs: dict[str, Any], match: str) -> None:
    with pytest.raises(kg.OptionError, match=match):
        kg.summarize(models.seed_mlp(), **kwargs)


def test_something_that_is_not_a_model_is_refused() -> None:
    with pytest.raises(kg.OptionError, match=r"expected a Keras model or a spec(.|\n)*builtins"):
        kg.summarize(42)


GOLDEN = [
    ("seed_mlp", {}), ("multi_input", {}), ("shared_layer", {}), ("batchnorm", {}), ("wide", {}),
    ("nested_deep", {"expand_nested": True}), ("multi_output", {"style": "ascii"}),
    ("nested", {"expand_nested": True, "style": "ascii"}),
]  # fmt: skip


@pytest.mark.parametrize(("name", "options"), GOLDEN, ids=[f"{n}-{len(o)}" for n, o in GOLDEN])
def test_text_rendering(name: str, options: dict[str, Any], overwrite: bool) -> None:
    suffix = "".join(f"_{value}" if isinstance(value, str) else "_expanded"
                     for value in options.values())  # fmt: skip
    text = str(kg.summarize(ALL[name](), **options))
    assert_golden(f"summary_{name}{suffix}.txt", text, overwrite=overwrite)


def test_a_subclassed_model_summarises_like_keras() -> None:
    class Custom(keras.Model):
        def __init__(self) -> None:
            super().__init__(name="custom")
            self.hidden = keras.layers.Dense(4, name="hidden")
            self.out = keras.layers.Dense(1, name="out")

        def call(self, x: Any) -> Any:
            return self.out(self.hidden(x))

    model = Custom()
    model(np.zeros((2, 3), "float32"))
    summary = kg.summarize(model)
    assert [(row.name, row.output_shape, row.params) for row in summary.rows] == [
        ("hidden", "(2, 4)", 16), ("out", "(2, 1)", 5),
    ]  # fmt: skip
    lines: list[str] = []
    model.summary(print_fn=lines.append)
    if "│ ?" in lines[0]:  # Keras 3.3 prints no output shapes for a subclassed model
        expected = [(row.name, row.type, row.params) for row in summary.rows]
        assert [(r.name, r.type, r.params) for r in kg.parse_summary(lines[0]).rows] == expected
    else:
        assert kg.parse_summary(lines[0]) == summary
    assert sum(layer.params for layer in kg.explain(model).layers) == model.count_params()
