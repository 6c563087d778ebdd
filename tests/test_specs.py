"""Loading specs: formats, the normal form, and errors a student can act on."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import kerasguide as kg
import kerasguide._keras as _k

SEED_YAML = """\
name: seed_sequential
input_shape: [1]
layers:
  - Dense: 2
  - Dense: 1
"""


def test_yaml_json_dict_and_file_give_the_same_spec(tmp_path: Path) -> None:
    from_text = kg.load_spec(SEED_YAML)
    as_dict = {"name": "seed_sequential", "input_shape": [1],
               "layers": [{"Dense": 2}, {"Dense": 1}]}  # fmt: skip
    (tmp_path / "seed.json").write_text(json.dumps(as_dict))
    (tmp_path / "seed.yaml").write_text(SEED_YAML)
    assert from_text == kg.load_spec(as_dict)
    assert from_text == kg.load_spec(json.dumps(as_dict))
    assert from_text == kg.load_spec(tmp_path / "seed.json")
    assert from_text == kg.load_spec(str(tmp_path / "seed.yaml"))
    assert kg.load_spec(from_text) is from_text


def test_normal_form_expands_shorthands_and_fills_names() -> None:
    spec = kg.load_spec(SEED_YAML)
    assert spec.to_dict() == {
        "kind": "sequential",
        "name": "seed_sequential",
        "input_shape": [1],
        "layers": [
            {"type": "Dense", "name": "dense_1", "units": 2},
            {"type": "Dense", "name": "dense_2", "units": 1},
        ],
    }


@pytest.mark.parametrize("name", kg.list_examples())
def test_normal_form_round_trips_through_yaml_and_json(name: str) -> None:
    spec = kg.load_example(name)
    assert kg.load_spec(spec.to_yaml()) == spec
    assert kg.load_spec(spec.to_json()) == spec
    assert kg.Spec(spec.to_dict()) == spec


def test_shorthand_forms() -> None:
    spec = kg.load_spec({"input_shape": [4], "layers": [
        "Flatten", {"Dense": 3, "activation": "relu"}, {"Dropout": 0.5},
        {"type": "Dense", "units": 1},
    ]})  # fmt: skip
    assert spec.to_dict()["layers"] == [
        {"type": "Flatten", "name": "flatten_1"},
        {"type": "Dense", "name": "dense_1", "units": 3, "activation": "relu"},
        {"type": "Dropout", "name": "dropout_1", "rate": 0.5},
        {"type": "Dense", "name": "dense_2", "units": 1},
    ]


def test_functional_wiring_is_compact_in_the_normal_form() -> None:
    spec = kg.load_example("multi_input").to_dict()
    assert [e.get("inputs") for e in spec["layers"]] == [
        "image", "meta", ["image_features", "meta_features"], None,
    ]  # fmt: skip
    assert spec["outputs"] == "score"


def test_mlp_spec_and_its_expansion() -> None:
    spec = kg.load_example("mlp")
    assert spec.kind == "mlp"
    assert spec.to_dict()["hidden"] == [10, 20, 10]
    expanded = spec.expanded()
    assert expanded.kind == "functional"
    assert [e["name"] for e in expanded.to_dict()["layers"]] == [
        "hidden_1", "hidden_2", "hidden_3", "output",
    ]  # fmt: skip


def test_spec_prints_and_renders() -> None:
    spec = kg.load_example("mlp")
    assert repr(spec) == "Spec(kind='mlp', name='mlp', hidden layers=3)"
    assert str(spec).startswith("kind: mlp\nname: mlp\n")
    assert "<pre>" in spec._repr_html_()


def test_examples_are_listed_and_misspelt_names_suggested() -> None:
    assert {"seed_sequential", "seed_functional", "mlp", "cnn", "rnn"} <= set(kg.list_examples())
    with pytest.raises(kg.OptionError, match=r"no example named 'mpl'[\s\S]*did you mean 'mlp'"):
        kg.load_example("mpl")


# --- errors ------------------------------------------------------------------------


def _fails(spec: object) -> str:
    with pytest.raises(kg.KerasGuideError) as info:
        kg.build(spec)  # type: ignore[arg-type]
    return str(info.value)


def test_unknown_layer_type_suggests_the_right_one() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.Dence: unknown layer type 'Dence'"
                       r"[\s\S]*did you mean 'Dense'\?"):  # fmt: skip
        kg.load_spec({"input_shape": [1], "layers": [{"Dence": 2}]})
    with pytest.raises(kg.SpecError, match=r"layers\[1\]\.type: unknown layer type 'conv2d'"
                       r"[\s\S]*did you mean 'Conv2D'\?"):  # fmt: skip
        kg.load_spec({"input_shape": [8, 8, 1], "layers": ["Flatten", {"type": "conv2d"}]})


def test_unknown_argument_is_checked_against_the_real_signature() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.unit: Dense has no argument 'unit'"
                       r"[\s\S]*expected: one of Dense's arguments: units, activation"
                       r"[\s\S]*did you mean 'units'\?"):  # fmt: skip
        kg.load_spec({"input_shape": [1], "layers": [{"type": "Dense", "unit": 2}]})
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.kernal_size[\s\S]*'kernel_size'"):
        kg.load_spec({"input_shape": [8, 8, 1],
                      "layers": [{"Conv2D": 4, "kernal_size": 3}]})  # fmt: skip


def test_missing_required_argument() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]: Conv2D needs the argument "
                       r"'kernel_size'[\s\S]*add `kernel_size: \.\.\.`"):  # fmt: skip
        kg.load_spec({"input_shape": [8, 8, 1], "layers": [{"Conv2D": 4}]})


@pytest.mark.parametrize(
    ("arg", "value", "message"),
    [
        ("activation", "rellu", r"unknown activation 'rellu'[\s\S]*did you mean 'relu'"),
        ("kernel_initializer", "glorot_unifrom",
         r"unknown initializer[\s\S]*did you mean 'glorot_uniform'"),
        ("kernel_regularizer", "l3", r"unknown regularizer 'l3'[\s\S]*did you mean"),
        ("kernel_regularizer", {"type": "L3"}, r"unknown regularizer class 'L3'"),
        ("kernel_constraint", "maxnorm", r"unknown constraint[\s\S]*'max_norm'"),
    ],
)  # fmt: skip
def test_unknown_objects_suggest_the_right_name(arg: str, value: object, message: str) -> None:
    with pytest.raises(kg.SpecError, match=rf"layers\[0\]\.{arg}[\s\S]*" + message):
        kg.load_spec({"input_shape": [2], "layers": [{"Dense": 1, arg: value}]})


def test_unknown_reference_suggests_a_name() -> None:
    spec = {
        "inputs": {"image": [4]},
        "layers": [{"Dense": 2, "name": "features"}, {"Dense": 1, "inputs": "featuers"}],
    }
    with pytest.raises(kg.SpecError, match=r"layers\[1\]\.inputs: 'featuers' is not the name "
                       r"of an input or a layer[\s\S]*did you mean 'features'\?"):  # fmt: skip
        kg.load_spec(spec)


def test_unknown_reuse_target() -> None:
    spec = {"inputs": {"a": [2], "b": [2]},
            "layers": [{"Dense": 2, "name": "enc", "inputs": "a"},
                       {"reuse": "encc", "inputs": "b"},
                       {"type": "Add", "inputs": ["enc", "encc@2"]}]}  # fmt: skip
    with pytest.raises(kg.SpecError, match=r"layers\[1\]\.reuse: `reuse` names 'encc'"
                       r"[\s\S]*did you mean 'enc'"):  # fmt: skip
        kg.load_spec(spec)


def test_cycle_is_named() -> None:
    spec = {"inputs": {"x": [2]}, "outputs": "b",
            "layers": [{"Dense": 2, "name": "a", "inputs": "b"},
                       {"Dense": 2, "name": "b", "inputs": "a"}]}  # fmt: skip
    with pytest.raises(kg.SpecError, match=r"the layers form a cycle[\s\S]*a → b → a"):
        kg.load_spec(spec)


def test_duplicate_names() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[1\]: the name 'x' is used twice[\s\S]*"
                       r"already used by layers\[0\]"):  # fmt: skip
        kg.load_spec({"input_shape": [2], "layers": [{"Dense": 1, "name": "x"},
                                                      {"Dense": 1, "name": "x"}]})  # fmt: skip
    with pytest.raises(kg.SpecError, match=r"the name 'x' is used twice[\s\S]*the model inputs"):
        kg.load_spec({"inputs": {"x": [2]}, "layers": [{"Dense": 1, "name": "x"}]})


def test_outputs_never_produced() -> None:
    with pytest.raises(kg.SpecError, match=r"outputs: the output 'scroe' is never produced"
                       r"[\s\S]*did you mean 'score'"):  # fmt: skip
        kg.load_spec({"inputs": {"x": [2]}, "layers": [{"Dense": 1, "name": "score"}],
                      "outputs": "scroe"})  # fmt: skip


def test_inputs_never_used_and_layers_leading_nowhere() -> None:
    with pytest.raises(kg.SpecError, match=r"inputs: the input 'meta' is never used[\s\S]*"
                       r"add `inputs: meta`"):  # fmt: skip
        kg.load_spec({"inputs": {"image": [4], "meta": [2]},
                      "layers": [{"Dense": 1, "inputs": "image"}]})  # fmt: skip
    with pytest.raises(kg.SpecError, match=r"layers\[1\]: the layer 'aux' does not lead to "
                       r"any output"):  # fmt: skip
        kg.load_spec(
            {
                "inputs": {"x": [4]},
                "outputs": "main",
                "layers": [
                    {"Dense": 1, "name": "main"},
                    {"Dense": 1, "name": "aux", "inputs": "x"},
                ],
            }
        )


def test_first_layer_must_pick_an_input_when_there_are_several() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.inputs: the first layer must say "
                       r"which input it takes[\s\S]*a, b"):  # fmt: skip
        kg.load_spec({"inputs": {"a": [1], "b": [1]}, "layers": [{"Dense": 1}]})


@pytest.mark.parametrize(
    ("spec", "error", "message"),
    [
        ({"input_shape": [1], "layers": [{"Dense": "ten"}]}, kg.SpecTypeError,
         r"layers\[0\]\.units: Dense's 'units' must be a positive whole number[\s\S]*'ten'"),
        ({"input_shape": [1], "layers": [{"Dense": 2, "use_bias": "yes"}]}, kg.SpecTypeError,
         r"layers\[0\]\.use_bias: Dense's argument 'use_bias' has the wrong type[\s\S]*"
         r"true or false"),
        ({"input_shape": "ten", "layers": ["Flatten"]}, kg.SpecTypeError,
         r"input_shape: not a valid input shape"),
        ({"input_shape": [1], "layers": {"Dense": 2}}, kg.SpecTypeError,
         r"layers: `layers` must be a non-empty list"),
        ({"input_shape": [1], "layers": [42]}, kg.SpecTypeError,
         r"layers\[0\]: a layer entry must be a layer name or a mapping"),
        ({"kind": "mpl", "layers": []}, kg.SpecError,
         r"kind: unknown model kind[\s\S]*did you mean 'mlp'"),
        ({"input_shape": [1], "layer": []}, kg.SpecError,
         r"layer: unknown key 'layer' in a sequential spec[\s\S]*did you mean 'layers'"),
        ({"layers": [{"Dense": 1}]}, kg.SpecError,
         r"input_shape: a sequential spec needs an input shape[\s\S]*input_shape: \[10\]"),
        ({"input_shape": [1], "layers": [{"Dense": 1, "inputs": "x"}]}, kg.SpecError,
         r"layers\[0\]\.inputs: `inputs` needs a functional spec"),
        ({"kind": "mlp", "inputs": 3, "hidden": [4, 0], "outputs": 1}, kg.SpecTypeError,
         r"hidden\[1\]: a hidden layer's width must be a positive whole number"),
        ({"kind": "mlp", "inputs": 3, "hidden": [4], "outputs": 1, "dropout": 1.5},
         kg.SpecTypeError, r"dropout: a dropout rate must be a number from 0"),
        ({"input_shape": [1], "layers": [{"Lambda": {"function": "os.system"}}]}, kg.SpecError,
         r"Lambda cannot be used in a spec[\s\S]*runs Python code"),
        ({"input_shape": [1], "layers": [{"type": "keras.layers.Dense", "units": 1}]},
         kg.SpecError, r"unknown layer type 'keras.layers.Dense'"),
        ({"input_shape": [1], "layers": [{"type": "Model"}]}, kg.SpecError,
         r"nested model as an entry `model:"),
        ({}, kg.SpecError, r"cannot tell what kind of model[\s\S]*an empty mapping"),
    ],
)  # fmt: skip
def test_bad_specs(spec: object, error: type[Exception], message: str) -> None:
    with pytest.raises(error, match=message):
        kg.load_spec(spec)  # type: ignore[arg-type]


def test_shape_errors_from_keras_name_the_layer_and_the_shapes() -> None:
    spec = {
        "inputs": {"a": [2], "b": [3, 4]},
        "layers": [{"type": "Concatenate", "name": "merged", "inputs": ["a", "b"]}],
    }
    with pytest.raises(kg.BuildError, match=r"layers\[0\]: Keras could not apply Concatenate "
                       r"'merged'[\s\S]*\(None, 2\) from 'a', \(None, 3, 4\) from 'b'"
                       r"[\s\S]*Keras says: A `Concatenate` layer requires"):  # fmt: skip
        kg.build(spec)
    seq = {"input_shape": [8, 8, 1], "layers": [{"Dense": 4}, {"Conv1D": 2, "kernel_size": 9}]}
    with pytest.raises(kg.BuildError, match=r"layers\[1\]: Keras could not apply Conv1D "
                       r"'conv1d_1'[\s\S]*\(None, 8, 8, 4\)"):  # fmt: skip
        kg.build(seq)


def test_shape_errors_suggest_the_likely_fix() -> None:
    stacked = {"input_shape": [5, 1], "layers": [{"LSTM": 4}, {"LSTM": 3}]}
    with pytest.raises(kg.BuildError) as caught:
        kg.build(stacked)
    message = str(caught.value)
    assert "received: inputs of shape (None, 4) from 'lstm_1' (the previous layer)" in message
    assert message.endswith(
        "Full shape received: (None, 4). LSTM needs a sequence (batch, steps, features), "
        "but 'lstm_1' returns only its last step: give it return_sequences: true"
    )
    flat = {"input_shape": [5], "layers": [{"GRU": 3}]}
    with pytest.raises(kg.BuildError, match=r"GRU needs a sequence \(batch, steps, features\), "
                       r"but each example is \[5\]: give the input a time axis: input_shape: "
                       r"\[5, 1\] \(5 steps of 1 feature\)"):  # fmt: skip
        kg.build(flat)
    small = {"input_shape": [6, 6, 1], "layers": [{"Conv2D": 1, "kernel_size": 9}]}
    with pytest.raises(kg.BuildError, match=r"\. The input is smaller than the "
                       "kernel or pool: use a smaller kernel_size"):  # fmt: skip
        kg.build(small)


def test_unknown_reference_lists_the_other_names() -> None:
    spec = {
        "inputs": {"a": [3]},
        "layers": [{"Dense": 2, "name": "d"}, {"Dense": 1, "name": "e", "inputs": "dd"}],
        "outputs": "e",
    }
    with pytest.raises(kg.SpecError) as caught:
        kg.build(spec)
    assert str(caught.value) == (
        "layers[1].inputs: 'dd' is not the name of an input or a layer\n"
        "  expected: one of a, d\n"
        "  received: 'dd'\n"
        "  hint: did you mean 'd'?"
    )


def test_keras_argument_errors_name_the_argument() -> None:
    with pytest.raises(kg.SpecError, match=r"layers\[0\]\.padding: Keras refused the arguments "
                       r"of Conv2D[\s\S]*padding='middle'"):  # fmt: skip
        kg.build(
            {
                "input_shape": [8, 8, 1],
                "layers": [{"Conv2D": 2, "kernel_size": 3, "padding": "middle"}],
            }
        )


# --- files and syntax --------------------------------------------------------------


def test_malformed_yaml_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("input_shape: [1]\nlayers:\n  - Dense: 2\n   - Dense: 1\n")
    with pytest.raises(kg.SpecSyntaxError, match=r"broken\.yaml, line 4, column 4: "
                       r"the YAML cannot be parsed"):  # fmt: skip
        kg.load_spec(path)


def test_malformed_json_names_the_line_and_column(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_text('{\n  "input_shape": [1],\n  "layers": [\n}')
    with pytest.raises(kg.SpecSyntaxError, match=r"broken\.json, line 4, column 1: the JSON"):
        kg.load_spec(path)


def test_content_errors_in_a_file_name_the_file(tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("input_shape: [1]\nlayers:\n  - Dence: 2\n")
    with pytest.raises(kg.SpecError, match=r"^typo\.yaml: layers\[0\]\.Dence: unknown layer"):
        kg.load_spec(path)


@pytest.mark.parametrize("text", ["", "# only a comment\n", "---\n"])
def test_empty_document(text: str) -> None:
    with pytest.raises(kg.SpecSyntaxError, match="the document is empty"):
        kg.load_spec(text + "\n")


def test_non_mapping_document() -> None:
    with pytest.raises(kg.SpecTypeError, match=r"spec: a spec must be a mapping[\s\S]*"
                       r"received: \['Dense', 'Dense'\] \(list\)"):  # fmt: skip
        kg.load_spec("- Dense\n- Dense\n")


def test_duplicate_yaml_keys_are_rejected() -> None:
    with pytest.raises(kg.SpecSyntaxError, match=r"line 3, column 1: the key 'layers' "
                       r"appears twice"):  # fmt: skip
        kg.load_spec("input_shape: [1]\nlayers: [Flatten]\nlayers: [Flatten]\n")


@pytest.mark.parametrize(
    ("text", "where", "kind"),
    [
        ("input_shape: [4]\n[a, b]: 1\nlayers: [Dense: 1]\n", "line 2, column 1", "list"),
        ("input_shape: [4]\nlayers: [{{x: 1}: 2}]\n", "line 2, column 11", "mapping"),
        ("? [x]\n: 1\n", "line 1, column 3", "list"),
    ],
)
def test_a_list_or_mapping_as_a_yaml_key_is_a_syntax_error(
    text: str, where: str, kind: str
) -> None:
    with pytest.raises(kg.SpecSyntaxError, match=rf"^<text>: {where}: a list or mapping cannot be "
                       rf"a key[\s\S]*received: a {kind} as a key"):  # fmt: skip
        kg.load_spec(text)


@pytest.mark.parametrize(
    ("spec", "where"),
    [
        ({"input_shape": [4], "input_dtype": "__import__", "layers": [{"Dense": 1}]},
         "input_dtype"),
        ({"inputs": {"x": {"shape": [4], "dtype": "mixed_float16"}}, "layers": [{"Dense": 1}]},
         r"inputs\.x\.dtype"),
        ({"inputs": [{"name": "x", "shape": [4], "dtype": "flaot32"}], "layers": [{"Dense": 1}]},
         r"inputs\[0\]\.dtype"),
    ],
)  # fmt: skip
def test_an_input_dtype_keras_does_not_know_is_a_spec_error(spec: dict[str, object],
                                                            where: str) -> None:  # fmt: skip
    with pytest.raises(kg.SpecError, match=rf"^{where}: unknown dtype '\w+'[\s\S]*expected: one of "
                       r"float16, float32, float64, [\s\S]*hint: "):  # fmt: skip
        kg.load_spec(spec)


def test_an_input_dtype_has_a_did_you_mean_and_takes_what_keras_takes() -> None:
    with pytest.raises(kg.SpecError, match=r"hint: did you mean 'float32'\?"):
        kg.load_spec({"input_shape": [4], "input_dtype": "flaot32", "layers": [{"Dense": 1}]})
    with pytest.warns(kg.KerasGuideWarning, match=r"integer-input-without-embedding"):
        model = kg.build({"input_shape": [4], "input_dtype": "int", "layers": [{"Dense": 1}]})
    # int64 on TensorFlow, int32 on JAX: Keras's own reading of "int" on its backend
    assert model.inputs[0].dtype == _k.keras().backend.standardize_dtype("int")


@pytest.mark.parametrize(
    "text",
    [
        "!!python/object/apply:os.system ['echo hacked']\n",
        "input_shape: [1]\nlayers: [!!python/name:os.system Flatten]\n",
        "layers: !!python/object:collections.OrderedDict {}\n",
    ],
)
def test_yaml_tags_that_build_python_objects_are_refused(text: str) -> None:
    with pytest.raises(kg.SpecSyntaxError, match="YAML tags that build Python objects"):
        kg.load_spec(text)


@pytest.mark.parametrize(
    ("value", "error"),
    [("!!timestamp conv", "AttributeError"), ("!!int abc", "ValueError: invalid literal"),
     ("!!bool maybe", "KeyError: 'maybe'"),
     ("!!timestamp 2001-13-45", "ValueError: month must be in")],
)  # fmt: skip
def test_a_value_that_does_not_fit_its_yaml_tag_is_a_syntax_error(value: str, error: str) -> None:
    with pytest.raises(kg.SpecSyntaxError, match=rf"^<text>: a value does not fit its YAML tag"
                       rf"[\s\S]*received: {error}[\s\S]*hint: remove the !!tag"):  # fmt: skip
        kg.load_spec(f"input_shape: [4]\nlayers:\n- {{Dense: 2, name: {value}}}\n")


def test_two_inputs_of_one_name_are_refused() -> None:
    inputs = [{"name": "left", "shape": [6]}, {"name": "left", "shape": [6]}]
    with pytest.raises(kg.SpecError, match=r"^inputs\[1\]\.name: the name 'left' is used twice"
                       r"[\s\S]*already the name of another input"):  # fmt: skip
        kg.load_spec({"inputs": inputs, "layers": [{"Dense": 1, "inputs": "left"}]})


def test_non_plain_values_are_refused() -> None:
    with pytest.raises(kg.SpecTypeError, match=r"layers\[0\]\.Dense\.units: a spec may hold only "
                       r"plain data"):  # fmt: skip
        kg.load_spec({"input_shape": [1], "layers": [{"Dense": {"units": object()}}]})


def test_missing_file_suggests_a_neighbour(tmp_path: Path) -> None:
    (tmp_path / "model.yaml").write_text(SEED_YAML)
    with pytest.raises(kg.FileError, match=r"no such spec file[\s\S]*did you mean "
                       r"'model\.yaml'"):  # fmt: skip
        kg.load_spec(tmp_path / "modle.yaml")
    assert isinstance(kg.FileError("x"), OSError)


def test_load_spec_rejects_other_objects() -> None:
    with pytest.raises(kg.OptionError, match="load_spec cannot read this kind of object"):
        kg.load_spec(3.5)  # type: ignore[arg-type]


def test_errors_expose_their_parts() -> None:
    with pytest.raises(kg.SpecError) as info:
        kg.load_spec({"input_shape": [1], "layers": [{"Dence": 2}]})
    parts = info.value.to_dict()
    assert parts["where"] == "layers[0].Dence"
    assert parts["received"] == "'Dence'"
    assert parts["hint"] == "did you mean 'Dense'?"
    assert isinstance(info.value, ValueError)


def test_a_bare_word_is_taken_as_a_file_name_with_a_hint_for_examples() -> None:
    with pytest.raises(kg.FileError, match=r"no such spec file[\s\S]*'mlp' is an example: use "
                       r"kerasguide\.load_example\('mlp'\)"):  # fmt: skip
        kg.load_spec("mlp")
