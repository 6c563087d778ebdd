"""to_code: the emitted Keras code builds the same model as build(spec)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import _catalog
from kerasguide.codegen import WIDTH, identifier, literal
from tests.compare import assert_same_model
from tests.models import ZOO
from tests.test_codegen_wrappers import assert_builds

CHAINS = {"bilstm", "cnn", "mlp", "nested", "rnn", "seed_functional", "seed_sequential", "seq2seq"}
ZOO_CHAINS = {"seed_sequential", "seed_functional", "seed_mlp", "nested", "cnn", "rnn", "batchnorm"}
RUFF = Path(sys.executable).parent / "ruff"


def run(code: str) -> Any:
    """Execute emitted code in a fresh namespace and return its ``model``."""
    namespace: dict[str, Any] = {}
    exec(compile(code, "<to_code>", "exec"), namespace)
    return namespace["model"]


def fingerprint(model: Any) -> dict[str, Any]:
    """What must agree: layers (type, name, params), shapes and parameter counts."""
    keras = _k.keras()
    layers = [layer for layer in model.layers if not isinstance(layer, keras.layers.InputLayer)]
    return {
        "name": model.name,
        "layers": [(type(x).__name__, x.name, x.count_params()) for x in layers],
        "inputs": [(t.name, tuple(t.shape)) for t in model.inputs],
        "outputs": [tuple(t.shape) for t in model.outputs],
        "params": model.count_params(),
        "trainable": sum(int(w.numpy().size) for w in model.trainable_weights),
    }


def same_model(code: str, reference: Any) -> None:
    model = run(code)
    assert fingerprint(model) == fingerprint(reference)
    # Code cannot name a keras.ops call: its operation is named by Keras's counter.
    assert_same_model(model, reference, op_names=False)
    assert_builds(code, reference)  # every config, weight and flag, names aside


@pytest.mark.parametrize("name", kg.list_examples())
def test_examples_functional_style_build_the_same_model(name: str) -> None:
    spec = kg.load_example(name)
    same_model(kg.to_code(spec), kg.build(spec))


@pytest.mark.parametrize("name", sorted(CHAINS))
def test_examples_sequential_style_build_the_same_model(name: str) -> None:
    spec = kg.load_example(name)
    model = run(kg.to_code(spec, style="sequential"))
    assert type(model).__name__ == "Sequential"
    assert fingerprint(model) == fingerprint(kg.build(spec))
    assert_same_model(model, kg.build(spec))


@pytest.mark.parametrize("name", sorted(set(kg.list_examples()) - CHAINS))
def test_examples_that_are_graphs_refuse_the_sequential_style(name: str) -> None:
    with pytest.raises(kg.OptionError, match=r"plain chain(.|\n)*style='functional'"):
        kg.to_code(kg.load_example(name), style="sequential")


@pytest.mark.parametrize("name", sorted(ZOO))
def test_zoo_models_round_trip_through_code(name: str) -> None:
    model = ZOO[name]()
    spec = kg.to_spec(model)
    same_model(kg.to_code(spec), model)
    if name in ZOO_CHAINS:
        same_model(kg.to_code(spec, style="sequential"), model)
    else:
        with pytest.raises(kg.OptionError, match="plain chain"):
            kg.to_code(spec, style="sequential")


@pytest.mark.parametrize("name", ["multi_input", "shared_layers", "nested", "cnn"])
def test_code_in_the_spec_style_converts_back_to_the_same_spec(name: str) -> None:
    spec = kg.load_example(name)
    style = "sequential" if spec.kind == "sequential" else "functional"
    assert kg.to_spec(run(kg.to_code(spec, style=style))) == spec


def test_code_is_formatted_as_ruff_formats_it(tmp_path: Path) -> None:
    sources = {f"{n}_functional": kg.to_code(kg.load_example(n)) for n in kg.list_examples()}
    sources |= {f"{n}_sequential": kg.to_code(kg.load_example(n), style="sequential")
                for n in CHAINS}  # fmt: skip
    sources["wide"] = kg.to_code(WIDE)
    sources |= {f"more_{name}": kg.to_code(spec) for name, spec in MORE.items()}
    sources |= {"clash": kg.to_code(CLASHING), "regularised": kg.to_code(REGULARISED)}
    for name, code in sources.items():
        assert max(len(line) for line in code.splitlines()) <= WIDTH, name
        (tmp_path / f"{name}.py").write_text(code, encoding="utf-8")
    args = ["--isolated", "--line-length", str(WIDTH)]
    fmt = subprocess.run([RUFF, "format", "--check", "--diff", *args, tmp_path],
                         capture_output=True, text=True, check=False)  # fmt: skip
    assert fmt.returncode == 0, fmt.stdout + fmt.stderr
    lint = subprocess.run([RUFF, "check", *args, "--select", "E,F,W,I", tmp_path],
                          capture_output=True, text=True, check=False)  # fmt: skip
    assert lint.returncode == 0, lint.stdout + lint.stderr


def test_mlp_code_reads_like_the_seed_tutorial() -> None:
    code = kg.to_code(kg.load_example("mlp"))
    assert code.splitlines()[1:3] == ["import keras", "from keras import layers"]
    assert 'input_ = keras.Input(shape=(10,), name="input")' in code
    assert 'hidden_1 = layers.Dense(10, activation="relu", name="hidden_1")(input_)' in code
    assert code.endswith('model = keras.Model(inputs=input_, outputs=output, name="mlp")\n')


def test_shared_layer_is_created_once_and_called_twice() -> None:
    code = kg.to_code(kg.load_example("shared_layers"))
    assert code.count("layers.Dense(4,") == 1
    assert "encoder_1 = encoder(left)\nencoder_2 = encoder(right)\n" in code
    assert 'layers.Subtract(name="difference")([encoder_1, encoder_2])' in code


def test_nested_model_has_its_own_function_built_first() -> None:
    code = kg.to_code(kg.load_example("nested"))
    assert code.index("def build_encoder():") < code.index("outer_input = keras.Input")
    assert "encoder = build_encoder()\nencoder_out = encoder(outer_input)\n" in code


def test_nested_sequential_and_mlp_models_keep_their_type() -> None:
    spec = {
        "inputs": {"x": [4]},
        "layers": [
            {"model": {"name": "stack", "input_shape": [4], "layers": [{"Dense": 3}]}},
            {"model": {"kind": "mlp", "name": "head", "inputs": 3, "hidden": [2], "outputs": 1}},
        ],
    }
    code = kg.to_code(spec)
    assert "return keras.Sequential(" in code
    assert "def build_head():" in code
    same_model(code, kg.build(spec))


REGULARISED = {
    "input_shape": [3],
    "layers": [
        {"Dense": 4, "kernel_regularizer": {"type": "L2", "l2": 0.01},
         "kernel_initializer": "he_normal", "use_bias": False},
        {"type": "Reshape", "target_shape": [2, 2]},
        {"type": "Dropout", "rate": 0.25},
    ],
}  # fmt: skip


def test_arguments_are_written_as_keras_objects_and_literals() -> None:
    code = kg.to_code(REGULARISED)
    assert (
        "dense_1 = layers.Dense(\n    4,\n"
        "    kernel_regularizer=keras.regularizers.L2(l2=0.01),\n"
        '    kernel_initializer="he_normal",\n    use_bias=False,\n'
        '    name="dense_1",\n)(input_)\n'
    ) in code
    assert 'layers.Reshape((2, 2), name="reshape_1")(dense_1)' in code
    assert 'layers.Dropout(0.25, name="dropout_1")' in code
    same_model(code, kg.build(REGULARISED))


def test_indexed_outputs_and_named_outputs() -> None:
    spec = {
        "name": "states",
        "inputs": {"seq": [5, 1]},
        "layers": [
            {"LSTM": 4, "return_state": True, "name": "lstm"},
            {"Dense": 1, "name": "head", "inputs": "lstm[0]"},
        ],
        "outputs": {"prediction": "head", "state": "lstm[1]"},
    }
    code = kg.to_code(spec)
    assert 'head = layers.Dense(1, name="head")(lstm[0])' in code
    assert 'outputs={"prediction": head, "state": lstm[1]}' in code
    same_model(code, kg.build(spec))


CLASHING = {
    "name": "clash",
    "inputs": {"model": [3]},
    "layers": [
        {"Dense": 2, "name": "lambda"},
        {"Dense": 2, "name": "keras"},
        {"Dense": 2, "name": "layers"},
        {"Dense": 2, "name": "dense_2"},
        {"reuse": "dense_2", "name": "dense@2", "inputs": "dense_2"},
        {"Dense": 2, "name": "block-1.out"},
    ],
}


def test_variable_names_are_valid_and_distinct() -> None:
    code = kg.to_code(CLASHING)
    for var in ("model_", "lambda_", "keras_", "layers_", "dense_2", "dense_2_2", "block_1_out"):
        assert f"\n{var} = " in code, var
    same_model(code, kg.build(CLASHING))


@pytest.mark.parametrize(
    ("name", "expected"),
    [("input", "input_"), ("class", "class_"), ("encoder@2", "encoder_2"), ("a.b-c", "a_b_c"),
     ("model", "model_"), ("dense_1", "dense_1")],
)  # fmt: skip
def test_identifier(name: str, expected: str) -> None:
    assert identifier(name) == expected


def test_literal_values() -> None:
    assert literal([3, 3], "kernel_size") == "(3, 3)"
    assert literal([4], "target_shape") == "(4,)"
    assert literal([1, 2], "axis") == "[1, 2]"
    assert literal({"type": "MaxNorm", "max_value": 2}, "kernel_constraint") == (
        "keras.constraints.MaxNorm(max_value=2)"
    )
    assert literal('say "hi"') == "'say \"hi\"'"
    assert literal(float("inf")) == 'float("inf")'
    assert literal(None) == "None"


WIDE = {
    "name": "wide",
    "inputs": {"a_rather_long_input_name": [3], "another_long_input_name": [3]},
    "layers": [
        {"Dense": 8, "activation": "relu", "kernel_initializer": "he_normal",
         "kernel_regularizer": {"type": "L1L2", "l1": 0.001, "l2": 0.01},
         "name": "first_hidden_layer_with_a_long_name", "inputs": "a_rather_long_input_name"},
        {"Dense": 8, "name": "second_hidden_layer_with_long_name",
         "inputs": "another_long_input_name"},
        {"type": "Concatenate", "name": "merged_features_of_both_of_the_inputs",
         "inputs": ["first_hidden_layer_with_a_long_name", "second_hidden_layer_with_long_name"]},
        {"Dense": 1, "activation": "sigmoid", "use_bias": False,
         "name": "the_single_output_unit_of_the_model_with_a_long_name"},
    ],
}  # fmt: skip


def test_long_lines_are_wrapped_and_still_build() -> None:
    code = kg.to_code(WIDE)
    assert "first_hidden_layer_with_a_long_name = layers.Dense(\n    8,\n" in code
    same_model(code, kg.build(WIDE))


def test_unknown_style_lists_the_choices() -> None:
    with pytest.raises(
        kg.OptionError, match=r"(?s)'functional' or 'sequential'.*did you mean 'sequential'"
    ):
        kg.to_code(kg.load_example("mlp"), style="sequencial")


def test_sequential_style_names_the_entry_that_breaks_the_chain() -> None:
    with pytest.raises(kg.OptionError, match=r"layers\[2\]\.inputs(?s:.*)'value' takes 'trunk'"):
        kg.to_code(kg.load_example("multi_output"), style="sequential")
    with pytest.raises(kg.OptionError, match=r"^inputs: (?s:.*)2 inputs: left, right"):
        kg.to_code(kg.load_example("shared_layers"), style="sequential")
    reuse = {"inputs": {"x": [2]}, "layers": [{"Dense": 2, "name": "d"}, {"reuse": "d"}]}
    with pytest.raises(kg.OptionError, match=r"layers\[1\](?s:.*)calls the layer 'd' again"):
        kg.to_code(reuse, style="sequential")
    listed = {"inputs": {"x": [2]}, "layers": [{"Dense": 2, "name": "d"}], "outputs": ["d"]}
    with pytest.raises(kg.OptionError, match=r"outputs(?s:.*)not the last layer 'd'"):
        kg.to_code(listed, style="sequential")


def test_spec_errors_are_reported_before_any_code() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.Dence(?s:.*)did you mean 'Dense'"):
        kg.to_code("input_shape: [2]\nlayers: [{Dence: 2}]")


def test_spec_file_and_yaml_text_are_accepted(tmp_path: Path) -> None:
    path = tmp_path / "tiny.yaml"
    path.write_text("name: tiny\ninput_shape: [2]\nlayers: [{Dense: 1}]\n", encoding="utf-8")
    assert kg.to_code(path) == kg.to_code(path.read_text(encoding="utf-8")) == kg.to_code(str(path))


class Scale(_k.keras().layers.Layer):  # type: ignore[misc]
    """A custom layer, for the import line of registered classes."""

    def __init__(self, factor: float = 2.0, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.factor = factor

    def call(self, x: Any) -> Any:
        return x * self.factor

    def get_config(self) -> dict[str, Any]:
        return {**super().get_config(), "factor": self.factor}


@pytest.fixture
def scale_registered() -> Any:
    kg.register_layer(Scale, name="CodegenScale")
    yield
    _catalog._REGISTERED.pop("CodegenScale", None)


@pytest.mark.usefixtures("scale_registered")
def test_registered_layers_are_imported_from_their_module() -> None:
    spec = {"input_shape": [2], "layers": [{"type": "CodegenScale", "factor": 3.0}, {"Dense": 1}]}
    code = kg.to_code(spec)
    assert f"from {Scale.__module__} import Scale\n" in code
    assert 'Scale(factor=3.0, name="codegen_scale_1")' in code
    same_model(code, kg.build(spec))


MORE = {
    "tokens": {"name": "tokens", "input_shape": [5], "input_dtype": "int32", "layers": [
        {"type": "Embedding", "input_dim": 50, "output_dim": 4}, "Flatten", {"Dense": 1}]},
    "conv": {"input_shape": [12, 12, 3], "layers": [
        {"Conv2D": 4, "kernel_size": [3, 2], "strides": 2, "padding": "same"},
        "BatchNormalization", {"type": "GlobalAveragePooling2D"}, {"Dense": 2}]},
    "sequence": {"input_shape": [None, 3], "layers": [
        {"LSTM": 4, "return_sequences": True}, {"GRU": 2}, {"Dense": 1}]},
    "deep_nesting": {"inputs": {"x": [4]}, "layers": [{"model": {
        "name": "outer_block", "inputs": {"inner_x": [4]}, "layers": [
            {"model": {"name": "core", "input_shape": [4], "layers": [{"Dense": 3}]}},
            {"Dense": 2, "name": "outer_dense"}]}}]},
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(MORE))
def test_more_layers_and_arguments_in_both_styles(name: str) -> None:
    spec = MORE[name]
    same_model(kg.to_code(spec), kg.build(spec))
    same_model(kg.to_code(spec, style="sequential"), kg.build(spec))
