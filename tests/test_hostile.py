"""Hostile and oversized input: refused early, bounded in time and memory, in the error tree.

Each test reproduces a report from a round of hostile input and checks the
outcome (the error, its time and its memory), not the wording alone.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
import kerasguide._keras as _k

keras = _k.keras()


def _rss_mb() -> float:
    """Resident memory of this process, from /proc (Linux)."""
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    return pages * 4096 / 1e6


def alias_bomb(levels: int = 9) -> str:
    """The "billion laughs" YAML: each level repeats the previous one nine times."""
    lines = ['a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for i in range(1, levels):
        refs = ", ".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + "\n"


def test_alias_bomb_is_refused_fast_in_a_small_memory(tmp_path: Path) -> None:
    """Run in a fresh process (no TensorFlow), under a 1 GB address-space cap."""
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(alias_bomb())
    assert len(bomb.read_bytes()) < 600
    script = (
        "import resource, sys, time\n"
        "resource.setrlimit(resource.RLIMIT_AS, (1_000_000_000, 1_000_000_000))\n"
        "import kerasguide as kg\n"
        "before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "start = time.perf_counter()\n"
        "try:\n"
        f"    kg.load_spec({str(bomb)!r})\n"
        "except kg.LimitError as err:\n"
        "    took = time.perf_counter() - start\n"
        "    grew = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024\n"
        "    print(f'{took:.4f} {grew:.1f} ' + str(err).splitlines()[0])\n"
    )
    run = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert run.returncode == 0, run.stderr
    took, grew, message = run.stdout.split(" ", 2)
    assert float(took) < 0.1
    assert float(grew) < 100  # MB
    assert "bomb.yaml: a document of more than 200,000 values is over kerasguide's limit" in message


def test_a_trillion_parameters_are_refused_before_allocation() -> None:
    before = _rss_mb()
    start = time.perf_counter()
    with pytest.raises(kg.LimitError) as info:
        kg.build({"input_shape": [1_000_000], "layers": [{"Dense": 1_000_000, "name": "wide"}]})
    assert time.perf_counter() - start < 1.0
    assert _rss_mb() - before < 100
    text = str(info.value)
    assert text.startswith("layer 'wide': the model 'sequential' would have "
                           "1,000,001,000,000 parameters (4.0 TB of weights)")  # fmt: skip
    assert "kerasguide.set_limits(params=...)" in text


def test_the_params_limit_can_be_raised_and_is_restored() -> None:
    spec = {"input_shape": [100], "layers": [{"Dense": 100}]}
    with kg.set_limits(params=1000), pytest.raises(kg.LimitError, match="10,100 parameters"):
        kg.build(spec)
    assert kg.get_limits().params == 2_000_000_000
    assert kg.build(spec).count_params() == 10_100
    with pytest.raises(kg.OptionError, match=r"unknown limit 'param'[\s\S]*did you mean 'params'"):
        kg.set_limits(param=1)
    with pytest.raises(kg.OptionError, match="must be a positive whole number"):
        kg.set_limits(params=0)


def test_a_refused_model_leaves_nothing_to_allocate_later() -> None:
    with pytest.raises(kg.LimitError):
        kg.build({"input_shape": [100_000], "layers": [{"Dense": 100_000}]})
    model = kg.build({"input_shape": [3], "layers": [{"Dense": 2}]})
    assert float(abs(model.layers[0].kernel.numpy()).sum()) > 0  # initialised normally


def test_a_huge_spec_file_is_refused_by_its_size(tmp_path: Path) -> None:
    path = tmp_path / "huge.yaml"
    path.write_text("input_shape: [4]\nlayers:\n" + "- Dense: 1\n" * 300_000)
    start = time.perf_counter()
    with pytest.raises(kg.LimitError, match=r"huge\.yaml: a file of 3,300,02\d bytes"):
        kg.load_spec(path)
    assert time.perf_counter() - start < 1.0


def test_too_many_layers() -> None:
    with kg.set_limits(layers=10), pytest.raises(kg.LimitError, match=r"layers: 11 layers"):
        kg.load_spec({"input_shape": [4], "layers": [{"Dense": 1}] * 11})


@pytest.mark.parametrize(
    "source",
    [
        "name: x\ninput_shape: [4]\nlayers: " + "[" * 1000 + "]" * 1000,
        '{"input_shape": [4], "layers": ' + "[" * 5000 + "]" * 5000 + "}",
    ],
    ids=["yaml", "json"],
)
def test_deep_nesting_in_text_is_refused(source: str) -> None:
    with pytest.raises(kg.LimitError, match="nest"):
        kg.load_spec(source)


def test_deep_nesting_and_cycles_in_python_data_are_refused() -> None:
    deep: Any = []
    for _ in range(1000):
        deep = [deep]
    with pytest.raises(kg.LimitError, match=r"nesting 101 levels deep"):
        kg.load_spec({"input_shape": [4], "layers": deep})
    cyclic: dict[str, Any] = {"input_shape": [4], "layers": []}
    cyclic["layers"].append(cyclic)
    with pytest.raises(kg.LimitError, match="the document contains itself"):
        kg.load_spec(cyclic)


def test_three_hundred_nested_models_are_refused() -> None:
    spec: dict[str, Any] = {"input_shape": [2], "layers": [{"Dense": 1}]}
    for _ in range(300):
        spec = {"input_shape": [2], "layers": [{"model": spec}]}
    with pytest.raises(kg.LimitError, match="levels deep"):
        kg.load_spec(spec)


def test_a_long_chain_listed_in_reverse_order_is_fine() -> None:
    count = 1500
    layers = [{"Dense": 2, "name": f"d{i}", "inputs": f"d{i - 1}" if i else "x"}
              for i in reversed(range(count))]  # fmt: skip
    spec = kg.load_spec({"inputs": {"x": [2]}, "layers": layers, "outputs": f"d{count - 1}"})
    assert len(spec.to_dict()["layers"]) == count


def test_unknown_last_dimension_is_a_build_error() -> None:
    with pytest.raises(kg.BuildError, match=r"layers\[0\]: Keras could not apply LSTM 'lstm_1'"
                       r"[\s\S]*give that dimension in the input shape"):  # fmt: skip
        kg.build({"input_shape": [5, None], "layers": [{"LSTM": 10}]})


def test_a_dimension_of_two_to_the_63_is_refused() -> None:
    with pytest.raises(kg.LimitError, match=r"input_shape\[1\]: a dimension of "
                       r"9,223,372,036,854,775,808"):  # fmt: skip
        kg.build({"input_shape": [5, 2**63], "layers": [{"Dense": 1}]})


def test_register_layer_refuses_a_name_that_is_not_a_class_name() -> None:
    class Odd(keras.layers.Layer):
        pass

    with pytest.raises(kg.OptionError, match=r"register_layer\(name=...\): a registered layer "
                       r"name must be a class-style name[\s\S]*received: 123 \(int\)"):  # fmt: skip
        kg.register_layer(Odd, name=123)  # type: ignore[arg-type]
    with pytest.raises(kg.SpecError, match="unknown layer type 'Dence'"):
        kg.load_spec({"input_shape": [1], "layers": ["Dence"]})


@pytest.mark.parametrize("layer", ["StringLookup", "IntegerLookup", "TextVectorization"])
def test_a_spec_cannot_name_a_file_to_read(layer: str) -> None:
    with pytest.raises(kg.SpecError, match=rf"layers\[0\]\.vocabulary: {layer}'s 'vocabulary' "
                       r"would read a file, and specs never read files"):  # fmt: skip
        kg.load_spec({"input_shape": [1], "layers": [{"type": layer, "vocabulary": "/dev/zero"}]})


def test_a_device_or_folder_is_not_read_as_a_spec(tmp_path: Path) -> None:
    with pytest.raises(kg.FileError, match=r"not a regular file[\s\S]*a folder"):
        kg.load_spec(tmp_path)
    with pytest.raises(kg.FileError, match=r"not a regular file[\s\S]*a device, pipe or socket"):
        kg.load_spec(Path("/dev/zero"))


@pytest.mark.parametrize(
    ("units", "hint"),
    [(0, "a layer needs at least one unit"), ("ten", "write the number with digits"),
     (10.0, "write it as a whole number: 10")],
)  # fmt: skip
def test_bad_unit_counts_have_a_hint(units: object, hint: str) -> None:
    with pytest.raises(kg.SpecTypeError, match=rf"layers\[0\]\.units[\s\S]*hint: {hint}"):
        kg.load_spec({"input_shape": [4], "layers": [{"Dense": units}]})


def test_a_tab_in_yaml_says_to_indent_with_spaces() -> None:
    with pytest.raises(kg.SpecSyntaxError, match=r"line 3, column 1[\s\S]*hint: YAML indents "
                       r"with spaces only"):  # fmt: skip
        kg.load_spec("input_shape: [4]\nlayers:\n\t- Dense: 2\n")


def test_a_build_error_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "flat.yaml"
    path.write_text("input_shape: [4, 4]\nlayers: [{Conv2D: 2, kernel_size: 3}]\n")
    with pytest.raises(kg.BuildError, match=r"^flat\.yaml: layers\[0\]: Keras could not apply"):
        kg.build(path)


def test_demo_into_a_file_is_a_file_error(tmp_path: Path) -> None:
    from kerasguide._cli_demo import run_demo

    target = tmp_path / "taken"
    target.write_text("mine")
    with pytest.raises(kg.FileError, match=r"taken: the output folder is a file"):
        run_demo(str(target))
    assert target.read_text() == "mine"
