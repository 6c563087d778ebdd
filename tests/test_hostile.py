"""Hostile and oversized input: refused early, bounded in time and memory, in the error tree.

Each test reproduces a report from a round of hostile input and checks the
outcome (the error, its time and its memory), not the wording alone.
"""

from __future__ import annotations

import subprocess
import sys
import time
import tracemalloc
from collections.abc import Callable
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


def _refusal_time(call: Callable[[], object], match: str) -> float:
    """The best of three CPU times that ``call`` takes to raise a LimitError matching ``match``.

    Only kerasguide's call is timed, never the making of its input. The time is this
    thread's CPU time (``thread_time``), which other processes on a busy machine do not
    lengthen as they do the wall clock; the best of three leaves out a cache gone cold.
    """
    times = []
    for _ in range(3):
        start = time.thread_time()
        with pytest.raises(kg.LimitError, match=match):
            call()
        times.append(time.thread_time() - start)
    return min(times)


def _peak_mb(call: Callable[[], object]) -> float:
    """The most memory that Python allocated during ``call`` (which must raise), in MB."""
    tracemalloc.start()
    try:
        with pytest.raises(kg.LimitError):
            call()
        return tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


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


MILLION = [{"Dense": 1} for _ in range(1_000_000)]
LAYER_FLOODS = {
    "a million layers in a dict": (
        {"input_shape": [4], "layers": MILLION},
        r"^layers: 1,000,000 layers is over kerasguide's limit",
    ),
    "a million layers in YAML": (
        "input_shape: [4]\nlayers:\n" + "- Dense: 1\n" * 1_000_000,
        r"^<text>: a document of 11,000,025 bytes is over kerasguide's limit",
    ),
    "10 nested models of 19,999 layers": (
        {"input_shape": [2], "layers": [{"model": {"input_shape": [2],
         "layers": [{"Dense": 1} for _ in range(19_999)]}} for _ in range(10)]},
        r"^spec: at least 20,009 layers, nested models' included, is over kerasguide's limit",
    ),
    "an MLP of 100,000 hidden layers": (
        {"inputs": 4, "hidden": [8] * 100_000, "outputs": 1},
        r"^hidden: 100,000 layers is over kerasguide's limit",
    ),
    "a 50 MB YAML text": (
        "input_shape: [4]\nlayers:\n" + "- {Dense: 1, name: " + "x" * 50_000_000 + "}\n",
        r"^<text>: a document of 50,000,046 bytes is over kerasguide's limit",
    ),
}  # fmt: skip


# Texts just under the 2 MB file_bytes limit: each is read until its 20,001st layer
# (YAML's parser events, not the built document; all of it for JSON) and refused
# there: about 0.05 s of CPU, where building the whole of one took seconds.
NEAR_THE_SIZE_LIMIT = {
    "190,000 layers in 1.9 MB of YAML": (
        "input_shape: [4]\nlayers:\n" + "- Flatten\n" * 190_000,
        r"^<text>: layers: at least 20,001 layers is over kerasguide's limit",
    ),
    "150,000 layers in 1.95 MB of flow YAML": (
        "input_shape: [4]\nlayers: [" + "{Dense: 10}, " * 150_000 + "]\n",
        r"^<text>: layers: at least 20,001 layers is over kerasguide's limit",
    ),
    "190,000 layers in 1.9 MB of JSON": (
        '{"input_shape": [4], "layers": [' + ",".join(['"Flatten"'] * 190_000) + "]}",
        r"^layers: 190,000 layers is over kerasguide's limit",
    ),
}


@pytest.mark.parametrize("flood", LAYER_FLOODS)
def test_too_many_layers_are_refused_at_once_in_little_memory(flood: str) -> None:
    source, match = LAYER_FLOODS[flood]
    assert _refusal_time(lambda: kg.load_spec(source), match) < 0.1
    assert _peak_mb(lambda: kg.load_spec(source)) < 20


@pytest.mark.parametrize("flood", NEAR_THE_SIZE_LIMIT)
def test_too_many_layers_in_a_text_under_the_size_limit_are_refused_early(flood: str) -> None:
    source, match = NEAR_THE_SIZE_LIMIT[flood]
    assert _refusal_time(lambda: kg.load_spec(source), match) < 0.3
    assert _peak_mb(lambda: kg.load_spec(source)) < 60


@pytest.mark.parametrize(
    "spec",
    [{"input_shape": [4], "layers": [{"Dense": 10**12, "name": "wide"}]},
     {"input_shape": [8], "layers": [{"Embedding": 10**12, "output_dim": 4, "name": "wide"}]},
     {"inputs": {"x": [1000]}, "layers": [{"Dense": 4}, {"Dense": 10**12, "name": "wide"}]}],
    ids=["Dense", "Embedding", "functional"],
)  # fmt: skip
def test_a_layer_of_a_trillion_units_is_refused_before_allocation(spec: dict[str, Any]) -> None:
    before = _rss_mb()
    assert _refusal_time(lambda: kg.build(spec), r"^layer 'wide': the model '\w+' would have "
                         r"\d{1,3}(,\d{3}){4,} parameters") < 0.1  # fmt: skip
    assert _rss_mb() - before < 100


@pytest.mark.parametrize("levels", [9, 30])
def test_alias_bombs_are_refused_at_once(levels: int) -> None:
    bomb = alias_bomb(levels)
    match = r"^<text>: a document of more than 200,000 values is over kerasguide's limit"
    assert _refusal_time(lambda: kg.load_spec(bomb), match) < 0.1
    assert _peak_mb(lambda: kg.load_spec(bomb)) < 5


def test_merge_keys_are_not_read() -> None:
    with pytest.raises(kg.SpecSyntaxError, match=r"YAML tags that build Python objects[\s\S]*"
                       r"hint: write the mapping out in full: merge keys \(`<<:`\) "
                       r"are not read"):  # fmt: skip
        kg.load_spec("a: &a {units: 2}\ninput_shape: [4]\nlayers: [{<<: *a, type: Dense}]\n")


def test_weights_that_do_not_fit_in_memory_are_a_limit_error(monkeypatch: Any) -> None:
    """TensorFlow's out-of-memory error while allocating, and nothing half-made left."""
    tf = _k.tf()

    def out_of_memory(self: object, shape: Any, dtype: Any = None) -> None:
        raise tf.errors.ResourceExhaustedError(None, None, "OOM when allocating tensor")

    spec = {"input_shape": [4], "layers": [{"Dense": 3, "name": "wide"}, {"Dense": 2}]}
    monkeypatch.setattr(keras.initializers.GlorotUniform, "__call__", out_of_memory)
    with pytest.raises(kg.LimitError, match=r"^layer 'sequential/wide': the model's weights do "
                       r"not fit in this machine's memory[\s\S]*received: the weight "
                       r"'sequential/wide/kernel' of shape \(4, 3\) and dtype "
                       r"float32"):  # fmt: skip
        kg.build(spec)
    monkeypatch.undo()
    assert kg.build(spec).count_params() == 23


def test_weights_larger_than_the_free_memory_are_refused_before_allocation(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(kg.limits, "free_memory", lambda: 1_000_000)
    with pytest.raises(kg.LimitError, match=r"^layer 'wide': the model 'sequential' needs 4.0 MB "
                       r"for its weights, more than the 1.0 MB of memory free[\s\S]*has "
                       r"1,001,000 parameters \(4.0 MB\)"):  # fmt: skip
        kg.build({"input_shape": [1000], "layers": [{"Dense": 1000, "name": "wide"}]})
    assert kg.build({"input_shape": [10], "layers": [{"Dense": 10}]}).count_params() == 110


def _nested(wrap: Any, levels: int = 10_000) -> Any:
    value: Any = {"Dense": 1}
    for _ in range(levels):
        value = wrap(value)
    return value


@pytest.mark.parametrize(
    ("source", "match"),
    [
        ("name: x\ninput_shape: [4]\nlayers: " + "[" * 10_000 + "]" * 10_000,
         "<text>: the document is nested too deeply to read"),
        ("input_shape: [4]\nlayers: " + "{a: " * 10_000 + "1" + "}" * 10_000,
         "<text>: nesting 101 levels deep is over kerasguide's limit"),
        ('{"input_shape": [4], "layers": ' + "[" * 10_000 + "]" * 10_000 + "}",
         "<text>: the document is nested too deeply to read"),
        ('{"input_shape": [4], "layers": ' + '{"a": ' * 10_000 + "1" + "}" * 10_000 + "}",
         "<text>: the document is nested too deeply to read"),
        ({"input_shape": [4], "layers": _nested(lambda v: [v])},
         "spec: nesting 101 levels deep is over kerasguide's limit"),
        ({"input_shape": [3, 4], "layers": [_nested(lambda v: {"TimeDistributed": v})]},
         "spec: nesting 101 levels deep is over kerasguide's limit"),
        (_nested(lambda v: {"input_shape": [2], "layers": [{"model": v}]}),
         "spec: nesting 101 levels deep is over kerasguide's limit"),
    ],
    ids=["yaml lists", "yaml mappings", "json lists", "json objects", "python lists",
         "wrappers", "nested models"],
)  # fmt: skip
def test_ten_thousand_levels_are_refused_at_once(source: object, match: str) -> None:
    assert _refusal_time(lambda: kg.load_spec(source), match) < 0.1  # type: ignore[arg-type]


def test_cycles_in_python_data_are_refused() -> None:
    cyclic: dict[str, Any] = {"input_shape": [4], "layers": []}
    cyclic["layers"].append(cyclic)
    with pytest.raises(kg.LimitError, match="the document contains itself"):
        kg.load_spec(cyclic)
    model: dict[str, Any] = {"input_shape": [4], "layers": []}
    model["layers"].append({"model": model})
    with pytest.raises(kg.LimitError, match="the document contains itself"):
        kg.load_spec(model)


def test_a_long_chain_listed_in_reverse_order_is_fine() -> None:
    count = 1500
    layers = [{"Dense": 2, "name": f"d{i}", "inputs": f"d{i - 1}" if i else "x"}
              for i in reversed(range(count))]  # fmt: skip
    spec = kg.load_spec({"inputs": {"x": [2]}, "layers": layers, "outputs": f"d{count - 1}"})
    assert len(spec.to_dict()["layers"]) == count


@pytest.mark.slow
def test_a_chain_deeper_than_pythons_recursion_limit_builds() -> None:
    """Keras walks the graph recursively: 1,200 layers in a chain raised RecursionError."""
    count = 1200
    layers = [{"type": "Identity", "name": f"d{i}", "inputs": f"d{i - 1}" if i else "x"}
              for i in reversed(range(count))]  # fmt: skip
    limit = sys.getrecursionlimit()
    model = kg.build({"inputs": {"x": [2]}, "layers": layers, "outputs": f"d{count - 1}"})
    assert [layer.name for layer in model.layers[-2:]] == [f"d{count - 2}", f"d{count - 1}"]
    assert sys.getrecursionlimit() == limit


def test_a_graph_too_deep_even_for_the_raised_recursion_limit_is_a_limit_error() -> None:
    from kerasguide._keras import recursion_room

    def down(level: int) -> int:
        return down(level + 1)

    limit = sys.getrecursionlimit()
    with pytest.raises(kg.LimitError, match=r"^layers: the model is too deep for Keras to build"
                       r"[\s\S]*expected: chains of at most about 6,000 layers[\s\S]*"
                       r"received: 30,000 layers"), recursion_room(30_000):  # fmt: skip
        down(0)
    assert sys.getrecursionlimit() == limit


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


@pytest.mark.parametrize(
    ("source", "why"),
    [("spec\x00.yaml", "embedded null byte"), (Path("spec\x00.yaml"), "embedded null byte"),
     ("\ud800.yaml", "surrogates not allowed")],
)  # fmt: skip
def test_a_path_no_file_can_have_is_a_file_error(source: str | Path, why: str) -> None:
    with pytest.raises(
        kg.FileError, match=rf"the spec file cannot be read[\s\S]*received: .*{why}"
    ):
        kg.load_spec(source)
    with pytest.raises(kg.FileError, match=rf"the assignment file cannot be read[\s\S]*{why}"):
        kg.load_assignment(source)


def test_a_lone_surrogate_in_yaml_text_is_a_syntax_error() -> None:
    with pytest.raises(kg.SpecSyntaxError, match=r"^<text>: the text holds a character that is "
                       r"not valid Unicode[\s\S]*surrogates not allowed"):  # fmt: skip
        kg.load_spec("input_shape: [1]\nlayers: [\ud800]\n")
