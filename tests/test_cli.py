"""The kerasguide command line, run in-process through main(argv)."""

from __future__ import annotations

import errno
import io
import json
import os
import re
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

import kerasguide as kg
import kerasguide._keras as _k
from kerasguide import _cli_commands as _commands
from kerasguide.cli import main
from tests.models import ZOO

COMMANDS = [
    "summary",
    "explain",
    "plot",
    "check",
    "validate",
    "code",
    "convert",
    "examples",
    "demo",
]
DATA = Path(__file__).parent / "data"


class Run:
    """The outcome of one ``main(argv)`` call."""

    def __init__(self, code: int, out: str, err: str) -> None:
        self.code, self.out, self.err = code, out, err


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Any:
    def run(*argv: str | Path) -> Run:
        code = main([str(arg) for arg in argv])
        captured = capsys.readouterr()
        return Run(code, captured.out, captured.err)

    return run


def saved(model: Any, folder: Path, name: str = "model.keras") -> Path:
    path = folder / name
    model.save(path)
    return path


def mlp_model() -> Any:
    return kg.build(kg.load_example("mlp"))


# --- help, version, usage ------------------------------------------------------------


def test_help_lists_every_command_with_examples(cli: Any) -> None:
    run = cli("--help")
    assert run.code == 0
    for command in COMMANDS:
        assert f"\n    {command} " in run.out
    assert "Examples:\n  kerasguide examples" in run.out
    assert "2 for a usage or input error" in run.out


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help_with_an_example(cli: Any, command: str) -> None:
    run = cli(command, "--help")
    assert run.code == 0
    assert f"usage: kerasguide {command}" in run.out
    assert f"Examples:\n  kerasguide {command}" in run.out


def test_version(cli: Any) -> None:
    run = cli("--version")
    assert (run.code, run.out) == (0, f"kerasguide {kg.__version__}\n")


def test_no_command_prints_the_usage_and_exits_2(cli: Any) -> None:
    run = cli()
    assert run.code == 2
    assert "usage: kerasguide" in run.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["summary"], "the following arguments are required: SPEC_OR_MODEL"),
        (["check", "mlp"], "one of the arguments --expect --params is required"),
        (["check", "mlp", "--params", "many"], "argument --params: invalid int value: 'many'"),
        (["plot", "mlp"], "the following arguments are required: -o/--output"),
        (["code", "mlp", "--style", "graph"], "argument --style: invalid choice: 'graph'"),
        (["sumary", "mlp"], "invalid choice: 'sumary'"),
    ],
)
def test_usage_errors_exit_2(cli: Any, argv: list[str], message: str) -> None:
    run = cli(*argv)
    assert run.code == 2
    assert message in run.err


def test_help_version_and_examples_do_not_import_tensorflow() -> None:
    script = (
        "import contextlib, io, sys\n"
        "from kerasguide.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    codes = [main(['--help']), main(['--version']), main(['summary', '--help']),\n"
        "             main(['examples']), main(['examples', 'mlp'])]\n"
        "heavy = sorted(m for m in ('tensorflow', 'keras', 'matplotlib') if m in sys.modules)\n"
        "print(codes, heavy)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                            check=True, timeout=60)  # fmt: skip
    assert result.stdout.strip() == "[0, 0, 0, 0, 0] []"


@pytest.mark.slow  # a fresh Python that imports TensorFlow: `make test`, not `make unit`
def test_console_script_prints_one_message_and_nothing_else_on_stderr() -> None:
    script = Path(sys.executable).parent / "kerasguide"
    command = [script] if script.exists() else [sys.executable, "-m", "kerasguide"]
    result = subprocess.run([*command, "code", "multi_input", "--style", "sequential"],
                            capture_output=True, text=True, check=False, timeout=300)  # fmt: skip
    assert result.returncode == 2
    assert result.stdout == ""
    # TensorFlow was imported, yet its C++ start-up log does not drown the message, and on
    # a pipe there is no "loading Keras…" line before it (a terminal's is tested below).
    assert result.stderr.startswith("kerasguide code: error: inputs: style='sequential' needs")
    assert result.stderr.endswith("use style='functional' (the default), which writes any "
                                  "graph of layers\n")  # fmt: skip
    assert "Traceback" not in result.stderr


def test_native_log_lines_are_dropped_and_the_rest_kept(capfd: pytest.CaptureFixture[str]) -> None:
    with _commands.quiet_native_log():
        os.write(2, b"I0000 00:00:1795895754.066982    9078 port.cc:153] oneDNN noise\n")
        os.write(2, b"WARNING: All log messages before absl::InitializeLog() is called ...\n")
        os.write(
            2,
            b"2026-12-06 12:38:00.698654: E external/local_xla/xla/stream_executor/"
            b"cuda/cuda_fft.cc:479] Unable to register cuFFT factory\n",
        )  # TF 2.16
        os.write(2, b"a real warning\n")
        # Through file descriptor 2, as in the command: capfd's sys.stderr would write to
        # its capture file directly, racing the filter's thread (seen under load).
        print("python-level warning", file=sys.__stderr__, flush=True)
    assert sorted(capfd.readouterr().err.splitlines()) == ["a real warning", "python-level warning"]


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("mpl", r"no such file, and no example of that name(?s:.*)did you mean 'mlp'\?"),
        ("model.h5", "the legacy HDF5 format is not read"),
        ("notes.txt", "this is not a spec file or a saved model"),
        ("missing.yaml", "no such spec file"),
        ("missing.keras", "no such model file"),
    ],
)
def test_bad_sources_are_input_errors(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, source: str, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    Path("notes.txt").write_text("hello\n", encoding="utf-8")
    run = cli("summary", source)
    assert run.code == 2
    assert run.err.startswith(f"kerasguide summary: error: {source}")
    assert "Traceback" not in run.err
    with pytest.raises(kg.FileError, match=message):
        _commands.resolve(source)


def test_debug_shows_the_traceback_before_or_after_the_command(cli: Any) -> None:
    for argv in (["--debug", "summary", "missing.yaml"], ["summary", "missing.yaml", "--debug"]):
        run = cli(*argv)
        assert run.code == 2
        assert "Traceback (most recent call last)" in run.err
        assert "FileError" in run.err
    assert "Traceback" not in cli("summary", "missing.yaml").err


def test_unexpected_errors_are_one_message_too(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: Any) -> int:
        raise RuntimeError("something inside broke")

    monkeypatch.setitem(_commands.COMMANDS, "examples", broken)
    run = cli("examples")
    assert run.code == 2
    assert "unexpected RuntimeError: something inside broke" in run.err
    assert "Traceback" not in run.err
    assert "Traceback" in cli("--debug", "examples").err


# --- summary, explain ------------------------------------------------------------------


def test_summary_of_an_example_a_spec_file_and_a_saved_model(cli: Any, tmp_path: Path) -> None:
    expected = str(kg.summarize(mlp_model())).rstrip("\n") + "\n"
    spec_file = tmp_path / "mlp.yaml"
    spec_file.write_text(kg.load_example("mlp").to_yaml(), encoding="utf-8")
    for source in ("mlp", spec_file, saved(ZOO["seed_mlp"](), tmp_path)):
        run = cli("summary", source)
        assert (run.code, run.out) == (0, expected)


def test_summary_json(cli: Any) -> None:
    run = cli("summary", "mlp", "--json")
    assert run.code == 0
    assert json.loads(run.out) == json.loads(json.dumps(kg.summarize(mlp_model()).to_dict()))


def test_summary_options(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    model = kg.build(kg.load_example("nested"))
    run = cli("summary", "nested", "--style", "ascii", "--expand-nested")
    expected = kg.summarize(model, expand_nested=True, style="ascii")
    assert (run.code, run.out) == (0, str(expected).rstrip("\n") + "\n")
    assert "`- inner_dense (Dense)" in run.out
    monkeypatch.setattr(sys, "stdout", io.TextIOWrapper(io.BytesIO(), encoding="ascii"))
    assert _commands._table_style(None) == "ascii"
    assert _commands._table_style("box") == "box"


def test_explain_text_and_json(cli: Any, tmp_path: Path) -> None:
    model = ZOO["cnn"]()
    path = saved(model, tmp_path)
    run = cli("explain", path)
    assert (run.code, run.out) == (0, str(kg.explain(model)).rstrip("\n") + "\n")
    as_json = cli("explain", path, "--json")
    assert json.loads(as_json.out) == json.loads(json.dumps(kg.explain(model).to_dict()))


def test_explain_block_by_block(cli: Any, tmp_path: Path) -> None:
    model = ZOO["cnn"]()
    path = saved(model, tmp_path)
    run = cli("explain", path, "--fold", "blocks")
    assert (run.code, run.out) == (0, str(kg.explain(model, fold="blocks")).rstrip("\n") + "\n")
    bad = cli("explain", path, "--fold", "0")
    assert bad.code != 0
    assert "explain(fold=...): fold must be at least 1" in bad.err


def test_a_spec_error_names_the_file_and_the_entry(cli: Any, tmp_path: Path) -> None:
    path = tmp_path / "typo.yaml"
    path.write_text("input_shape: [2]\nlayers:\n  - Dence: 2\n", encoding="utf-8")
    run = cli("explain", path)
    assert run.code == 2
    assert "typo.yaml: layers[0].Dence: unknown layer type 'Dence'" in run.err
    assert "did you mean 'Dense'?" in run.err


# --- plot ------------------------------------------------------------------------------


def test_plot_writes_a_png_and_an_svg(cli: Any, tmp_path: Path) -> None:
    png, svg = tmp_path / "mlp.png", tmp_path / "siamese.svg"
    run = cli("plot", "mlp", "-o", png, "--engine", "matplotlib")
    assert (run.code, run.out) == (0, f"wrote {png}\n")
    assert png.read_bytes().startswith(b"\x89PNG")
    assert cli("plot", "shared_layers", "-o", svg, "--engine", "matplotlib",
               "--rankdir", "LR").code == 0  # fmt: skip
    assert b"<svg" in svg.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlp.png", "siamese.svg"]


def test_plot_again_replaces_its_output_and_keeps_it_when_it_fails(
    cli: Any, tmp_path: Path
) -> None:
    target = tmp_path / "diagram.png"
    for _ in range(2):  # a Makefile's rule run twice
        run = cli("plot", "mlp", "-o", target, "--engine", "matplotlib")
        assert (run.code, run.out, run.err) == (0, f"wrote {target}\n", "")
    assert target.read_bytes().startswith(b"\x89PNG")
    target.write_bytes(b"old")
    refused = cli("plot", "mlp", "-o", target, "--no-clobber")
    assert refused.code == 2
    assert "the output file already exists" in refused.err
    assert "leave out --no-clobber to replace it" in refused.err
    broken = tmp_path / "broken.yaml"
    broken.write_text("input_shape: [2]\nlayers: [{Dence: 2}]\n", encoding="utf-8")
    assert cli("plot", broken, "-o", target).code == 2
    assert target.read_bytes() == b"old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.yaml", "diagram.png"]
    assert cli("plot", "mlp", "-o", target, "--force", "--engine", "matplotlib").code == 0
    assert target.read_bytes().startswith(b"\x89PNG")


def test_plot_folds_on_request(cli: Any, tmp_path: Path) -> None:
    png = tmp_path / "mlp.png"
    assert cli("plot", "mlp", "-o", png, "--fold", "blocks").code == 0
    assert png.read_bytes().startswith(b"\x89PNG")
    assert cli("plot", "mlp", "-o", png, "--fold", "2").code == 0
    refused = cli("plot", "mlp", "-o", png, "--fold", "blocs")
    assert refused.code == 2
    assert "did you mean 'blocks'" in refused.err


def test_plot_needs_a_known_format(cli: Any, tmp_path: Path) -> None:
    run = cli("plot", "mlp", "-o", tmp_path / "mlp.gif")
    assert run.code == 2
    assert "unknown diagram format" in run.err
    assert "'.gif'" in run.err


# --- check -----------------------------------------------------------------------------


def test_check_params(cli: Any) -> None:
    passed = cli("check", "mlp", "--params", "551")
    assert passed.code == 0
    assert passed.out == str(kg.check_params(mlp_model(), total=551)).rstrip("\n") + "\n"
    failed = cli("check", "mlp", "--params", "550")
    assert failed.code == 1
    assert failed.out == str(kg.check_params(mlp_model(), total=550)).rstrip("\n") + "\n"
    as_json = cli("check", "mlp", "--params", "550", "--json")
    assert as_json.code == 1
    expected = kg.check_params(mlp_model(), total=550).to_dict()
    assert json.loads(as_json.out) == json.loads(json.dumps(expected, default=str))


def test_check_against_a_spec_and_a_saved_model(cli: Any, tmp_path: Path) -> None:
    student = saved(ZOO["seed_mlp"](), tmp_path, "student.keras")
    reference = tmp_path / "reference.yaml"
    reference.write_text(kg.load_example("mlp").to_yaml(), encoding="utf-8")
    assert cli("check", student, "--expect", reference).code == 0
    assert cli("check", "mlp", "--expect", student).code == 0
    wrong = tmp_path / "wrong.yaml"
    wrong.write_text("kind: mlp\ninputs: 10\nhidden: [10, 20]\noutputs: 1\n", encoding="utf-8")
    run = cli("check", student, "--expect", wrong)
    assert run.code == 1
    loaded = _commands.load_keras(student)
    assert run.out == str(kg.check_summary(loaded, kg.load_spec(wrong))).rstrip("\n") + "\n"


def test_check_against_summary_text(cli: Any) -> None:
    text = (DATA / "seed_summary.txt").read_text(encoding="utf-8")
    result = kg.check_summary(mlp_model(), text)
    run = cli("check", "mlp", "--expect", DATA / "seed_summary.txt")
    assert run.code == (0 if result else 1)
    assert run.out == str(result).rstrip("\n") + "\n"


def test_check_with_a_missing_expectation_is_an_input_error(cli: Any, tmp_path: Path) -> None:
    run = cli("check", "mlp", "--expect", tmp_path / "nothing.txt")
    assert run.code == 2
    assert "no such file, and no example of that name" in run.err


# --- validate --------------------------------------------------------------------------

GOOD = "name: tiny\ninput_shape: [3]\nlayers:\n  - Dense: 2\n"
BROKEN = {
    "unknown.yaml": ("input_shape: [2]\nlayers:\n  - Dence: 2\n",
                     "unknown layer type 'Dence'", "did you mean 'Dense'?"),
    "nested/bad_yaml.yml": ("input_shape: [2]\nlayers:\n  - {Dense: 2\n  - Dense: 1\n",
                            "bad_yaml.yml, line 4, column 10: the YAML cannot be parsed", ""),
    "wiring.json": ('{"inputs": {"a": [2]}, "layers": [{"Dense": 2, "inputs": "b"}]}',
                    "layers[0].inputs: 'b' is not the name of an input or a layer", ""),
    "shapes.yaml": ("input_shape: [4]\nlayers:\n  - {Reshape: [3, 3]}\n",
                    "Keras could not apply Reshape 'reshape_1'", "total size of the tensor"),
}  # fmt: skip


@pytest.fixture
def course(tmp_path: Path) -> Path:
    """A course folder with good and broken specs, plus files validate must skip."""
    (tmp_path / "nested").mkdir()
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "good.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "nested" / "mlp.yaml").write_text(kg.load_example("mlp").to_yaml())
    for name, (text, _, _) in BROKEN.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    (tmp_path / ".hidden" / "ignored.yaml").write_text("junk: [", encoding="utf-8")
    (tmp_path / "README.md").write_text("# not a spec\n", encoding="utf-8")
    return tmp_path


def test_validate_reports_every_broken_file(cli: Any, course: Path) -> None:
    run = cli("validate", course)
    assert run.code == 1
    assert f"OK    {course / 'good.yaml'}: sequential model 'tiny', 8 parameters" in run.out
    assert f"OK    {course / 'nested' / 'mlp.yaml'}: mlp model 'mlp', 551 parameters" in run.out
    for name, (_, problem, hint) in BROKEN.items():
        assert f"FAIL  {course / name}\n      " in run.out
        assert problem in run.out
        assert hint in run.out
    assert "\x1b[" not in run.out
    assert "ignored" not in run.out
    assert "README" not in run.out
    assert run.out.endswith("6 files checked: 2 OK, 4 failed\n")


def test_validate_json(cli: Any, course: Path) -> None:
    run = cli("validate", course, "--json")
    assert run.code == 1
    report = json.loads(run.out)
    assert (report["checked"], report["ok"], report["failed"]) == (6, 2, 4)
    by_name = {Path(item["path"]).name: item for item in report["files"]}
    assert by_name["good.yaml"] == {"path": str(course / "good.yaml"), "ok": True,
                                    "kind": "sequential", "name": "tiny", "params": 8}  # fmt: skip
    unknown = by_name["unknown.yaml"]["error"]
    assert (unknown["error"], unknown["hint"]) == ("SpecError", "did you mean 'Dense'?")
    assert by_name["bad_yaml.yml"]["error"]["error"] == "SpecSyntaxError"
    assert by_name["shapes.yaml"]["error"]["error"] == "BuildError"


def test_validate_without_building_misses_shape_errors(cli: Any, course: Path) -> None:
    run = cli("validate", course / "shapes.yaml", course / "good.yaml", "--no-build")
    assert run.code == 0
    assert run.out.endswith("2 files checked: 2 OK, 0 failed\n")
    assert "parameters" not in run.out


def test_validate_all_good_files_and_missing_paths(cli: Any, course: Path) -> None:
    good = cli("validate", course / "good.yaml", course / "nested" / "mlp.yaml")
    assert good.code == 0
    assert good.out.endswith("2 files checked: 2 OK, 0 failed\n")
    missing = cli("validate", course / "nope", course / "good.yaml")
    assert missing.code == 2
    assert (
        f"FAIL  {course / 'nope'}\n      {course / 'nope'}: no such file or folder" in missing.out
    )
    assert missing.out.endswith("2 files checked: 1 OK, 1 failed\n")


def test_validate_an_empty_folder_is_an_input_error(cli: Any, tmp_path: Path) -> None:
    run = cli("validate", tmp_path)
    assert run.code == 2
    assert "no spec files found" in run.err


def test_validate_goes_on_after_an_unexpected_error(
    cli: Any, course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(spec: Any) -> Any:
        raise ZeroDivisionError("oops")

    monkeypatch.setattr(sys.modules["kerasguide.build"], "build", broken)
    run = cli("validate", course / "good.yaml", course / "unknown.yaml")
    assert run.code == 1
    assert "unexpected ZeroDivisionError: oops" in run.out
    assert "unknown layer type 'Dence'" in run.out


# --- code, convert ---------------------------------------------------------------------


def test_code_prints_to_code(cli: Any, tmp_path: Path) -> None:
    run = cli("code", "mlp")
    assert (run.code, run.out) == (0, kg.to_code(kg.load_example("mlp")))
    sequential = cli("code", "cnn", "--style", "sequential")
    assert sequential.out == kg.to_code(kg.load_example("cnn"), style="sequential")
    model = ZOO["shared_layer"]()
    from_model = cli("code", saved(model, tmp_path))
    assert from_model.out == kg.to_code(kg.to_spec(model))


def test_code_to_a_file_replaces_it_unless_no_clobber(cli: Any, tmp_path: Path) -> None:
    target = tmp_path / "model.py"
    assert cli("code", "rnn", "-o", target).out == f"wrote {target}\n"
    assert target.read_text(encoding="utf-8") == kg.to_code(kg.load_example("rnn"))
    run = cli("code", "mlp", "-o", target, "--no-clobber")
    assert run.code == 2
    assert f"{target}: the output file already exists" in run.err
    assert "expected: a new file (--no-clobber was given)" in run.err
    assert target.read_text(encoding="utf-8") == kg.to_code(kg.load_example("rnn"))
    assert cli("code", "mlp", "-o", target).code == 0
    assert target.read_text(encoding="utf-8") == kg.to_code(kg.load_example("mlp"))


def test_code_sequential_style_of_a_graph_says_why(cli: Any) -> None:
    run = cli("code", "multi_output", "--style", "sequential")
    assert run.code == 2
    assert "style='sequential' needs a plain chain of layers" in run.err
    assert "'value' takes 'trunk'" in run.err
    assert "use style='functional'" in run.err


def test_convert_prints_the_spec_of_a_saved_model(cli: Any, tmp_path: Path) -> None:
    model = ZOO["multi_output"]()
    run = cli("convert", saved(model, tmp_path))
    assert run.code == 0
    assert kg.load_spec(yaml.safe_load(run.out)) == kg.to_spec(model)


def test_convert_to_a_json_file(cli: Any, tmp_path: Path) -> None:
    model = ZOO["nested"]()
    target = tmp_path / "nested.json"
    assert cli("convert", saved(model, tmp_path), "-o", target).code == 0
    assert kg.load_spec(target) == kg.to_spec(model)
    again = cli("convert", tmp_path / "model.keras", "-o", target)
    assert (again.code, again.out) == (0, f"wrote {target}\n")
    run = cli("convert", tmp_path / "model.keras", "-o", target, "--no-clobber")
    assert run.code == 2
    assert "the output file already exists" in run.err


def test_convert_never_runs_code_from_the_file(cli: Any, tmp_path: Path) -> None:
    keras = _k.keras()
    inputs = keras.Input((3,))
    outputs = keras.layers.Lambda(lambda x: x * 2)(inputs)
    path = saved(keras.Model(inputs, outputs), tmp_path, "lambda.keras")
    target = tmp_path / "out.yaml"
    target.write_text("old\n", encoding="utf-8")
    run = cli("convert", path, "-o", target, "--force")
    assert run.code == 2
    assert "the saved model cannot be loaded" in run.err
    assert "safe_mode=True" in run.err
    assert target.read_text(encoding="utf-8") == "old\n"


def test_convert_needs_a_keras_file(cli: Any, tmp_path: Path) -> None:
    run = cli("convert", "mlp.yaml")
    assert run.code == 2
    assert "convert reads saved .keras models" in run.err
    corrupt = tmp_path / "corrupt.keras"
    corrupt.write_bytes(b"not a zip file")
    assert "the saved model cannot be loaded" in cli("convert", corrupt).err


# --- examples, demo --------------------------------------------------------------------


def test_examples_lists_every_example_with_its_description(cli: Any) -> None:
    run = cli("examples")
    assert run.code == 0
    lines = run.out.splitlines()
    assert [line.split()[0] for line in lines] == kg.list_examples()
    assert "cnn              A small convolutional network for 8x8 grey images" in run.out
    listed = json.loads(cli("examples", "--json").out)
    assert [item["name"] for item in listed] == kg.list_examples()
    assert listed[-1]["description"].startswith("A siamese pair")


def test_examples_prints_one(cli: Any) -> None:
    run = cli("examples", "rnn")
    text = kg.specs.example_path("rnn").read_text(encoding="utf-8")
    assert (run.code, run.out) == (0, text)
    as_json = json.loads(cli("examples", "rnn", "--json").out)
    assert as_json["text"] == text
    assert as_json["description"].startswith("A recurrent network")


def test_examples_copies_one_without_overwriting(cli: Any, tmp_path: Path) -> None:
    text = kg.specs.example_path("mlp").read_text(encoding="utf-8")
    assert cli("examples", "mlp", "--copy", tmp_path).out == f"wrote {tmp_path / 'mlp.yaml'}\n"
    assert (tmp_path / "mlp.yaml").read_text(encoding="utf-8") == text
    (tmp_path / "mine.yaml").write_text("keep me\n", encoding="utf-8")
    run = cli("examples", "mlp", "--copy", tmp_path / "mine.yaml")
    assert run.code == 2
    assert "the output file already exists" in run.err
    assert (tmp_path / "mine.yaml").read_text(encoding="utf-8") == "keep me\n"
    assert cli("examples", "mlp", "--copy", tmp_path / "mine.yaml", "--force").code == 0
    assert (tmp_path / "mine.yaml").read_text(encoding="utf-8") == text
    missing_folder = cli("examples", "mlp", "--copy", f"{tmp_path / 'new'}/")
    assert missing_folder.code == 2
    assert "the folder to write into does not exist" in missing_folder.err


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["examples", "mpl"], r"there is no example named 'mpl'(?s:.*)did you mean 'mlp'"),
        (["examples", "--copy", "x.yaml"], "--copy needs the name of an example"),
    ],
)
def test_examples_errors(cli: Any, argv: list[str], message: str) -> None:
    run = cli(*argv)
    assert run.code == 2
    assert run.err.startswith("kerasguide examples: error: ")
    assert re.search(message, run.err)


def test_describe_takes_the_first_sentence_of_the_leading_comment() -> None:
    text = "# The seed model: Dense(2). 7 parameters.\n# More.\nname: x\n"
    assert _commands.describe(text) == "The seed model: Dense(2)."
    assert _commands.describe("name: x\n") == ""


def test_demo_writes_every_example(cli: Any, tmp_path: Path) -> None:
    run = cli("demo", "--out", tmp_path)
    assert run.code == 0
    for name in kg.list_examples():
        assert (tmp_path / f"{name}.py").read_text() == kg.to_code(kg.load_example(name))
        assert (tmp_path / f"{name}.png").exists()


# --- the files the commands write (issue 10) ---------------------------------------------


@pytest.fixture
def device_kept() -> Any:
    """Check that a device file is still one; put it back should a test replace it (root)."""

    def check(path: str, major: int, minor: int) -> bool:
        if stat.S_ISCHR(os.lstat(path).st_mode):
            return True
        os.unlink(path)
        os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
        os.chmod(path, 0o666)
        return False

    return check


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can replace device files")
def test_code_never_replaces_dev_null_even_with_force(cli: Any, device_kept: Any) -> None:
    try:
        run = cli("code", "mlp", "-o", "/dev/null", "--force")
    finally:
        kept = device_kept("/dev/null", 1, 3)
    assert kept
    assert run.code == 2
    assert run.out == ""
    assert "/dev/null: kerasguide replaces only regular files" in run.err
    assert "received: a character device" in run.err
    assert "not even with --force" in run.err


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can replace device files")
def test_convert_never_replaces_dev_full(cli: Any, tmp_path: Path, device_kept: Any) -> None:
    model = saved(mlp_model(), tmp_path)
    try:
        run = cli("convert", model, "-o", "/dev/full", "--force")
    finally:
        kept = device_kept("/dev/full", 1, 7)
    assert kept
    assert run.code == 2
    assert "wrote" not in run.out
    assert "/dev/full: kerasguide replaces only regular files" in run.err


@pytest.mark.parametrize(
    "argv",
    [
        ("code", "mlp", "-o", "{fifo}", "--force"),
        ("plot", "mlp", "-o", "{fifo}", "--force"),
        ("examples", "mlp", "--copy", "{fifo}", "--force"),
    ],
)
def test_commands_refuse_a_fifo(cli: Any, tmp_path: Path, argv: tuple[str, ...]) -> None:
    fifo = tmp_path / "out.png"
    os.mkfifo(fifo)
    run = cli(*(arg.format(fifo=fifo) for arg in argv))
    assert run.code == 2
    assert "kerasguide replaces only regular files" in run.err
    assert "received: a FIFO (named pipe)" in run.err
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert [p.name for p in tmp_path.iterdir()] == ["out.png"]


@pytest.mark.parametrize(
    ("call", "code", "words"),
    [
        ("link", errno.EROFS, ["read-only file system", "choose a folder you can write to"]),
        ("link", errno.EACCES, ["permission denied", "choose a folder you can write to"]),
        ("replace", errno.ENOSPC, ["the disk is full", "free some disk space"]),
    ],
)
def test_a_refused_write_is_an_input_error_with_a_fix(
    cli: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, call: str, code: int,
    words: list[str],
) -> None:  # fmt: skip
    target = tmp_path / "mlp.py"
    force = call == "replace"
    if force:
        target.write_text("old", encoding="utf-8")

    def refuse(*args: Any) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(os, call, refuse)
    run = cli("code", "mlp", "-o", target, *([] if force else ["--no-clobber"]))
    monkeypatch.undo()
    assert run.code == 2
    assert run.err.startswith(f"kerasguide code: error: {target}: the file cannot be written")
    for word in words:
        assert word in run.err
    assert "unexpected" not in run.err
    assert [p.name for p in tmp_path.iterdir()] == (["mlp.py"] if force else [])


@pytest.mark.parametrize("mask", [0o022, 0o077])
def test_outputs_get_the_umask(cli: Any, tmp_path: Path, mask: int) -> None:
    previous = os.umask(mask)
    try:
        assert cli("code", "mlp", "-o", tmp_path / "mlp.py").code == 0
        assert cli("examples", "mlp", "--copy", tmp_path).code == 0
        assert cli("plot", "mlp", "-o", tmp_path / "mlp.png", "--engine", "matplotlib").code == 0
    finally:
        os.umask(previous)
    for name in ("mlp.py", "mlp.yaml", "mlp.png"):
        assert stat.S_IMODE(os.stat(tmp_path / name).st_mode) == 0o666 & ~mask


# --- issue 13: a command line that feels finished ----------------------------------------


def _console(*argv: str, env: dict[str, str] | None = None, timeout: int = 300) -> Any:
    script = Path(sys.executable).parent / "kerasguide"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kerasguide"]
    return subprocess.run([*command, *argv], capture_output=True, text=True, check=False,
                          timeout=timeout, env={**os.environ, **(env or {})})  # fmt: skip


def test_version_of_the_console_script() -> None:
    run = _console("--version", timeout=60)
    assert (run.returncode, run.stdout, run.stderr) == (0, f"kerasguide {kg.__version__}\n", "")


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_prints_argcomplete_s_script(cli: Any, shell: str) -> None:
    run = cli("completion", shell)
    assert run.code == 0
    assert "_ARGCOMPLETE" in run.out
    assert "kerasguide" in run.out
    assert cli("completion", "tcsh").code == 2


def _complete(line: str) -> list[str]:
    """What argcomplete answers for a TAB at the end of ``line`` (as the shell script asks)."""
    env = {"_ARGCOMPLETE": "1", "_ARGCOMPLETE_IFS": "\n", "COMP_LINE": line,
           "COMP_POINT": str(len(line)), "_ARGCOMPLETE_SHELL": "bash"}  # fmt: skip
    run = subprocess.run([sys.executable, "-c", "import sys; from kerasguide.cli import main; "
                          "sys.exit(main())", "kerasguide"], capture_output=True, text=True,
                         env={**os.environ, **env}, pass_fds=(), timeout=60, check=False,
                         stdin=subprocess.DEVNULL)  # fmt: skip
    assert run.returncode == 0, run.stderr
    return run.stdout.split("\n") if run.stdout else []


def test_completion_answers_commands_options_and_example_names(tmp_path: Path) -> None:
    os.environ["_ARGCOMPLETE_STDOUT_FILENAME"] = str(tmp_path / "out")
    try:
        words = {}
        for line in ("kerasguide su", "kerasguide plot --no", "kerasguide summary ml"):
            (tmp_path / "out").unlink(missing_ok=True)
            _complete(line)
            words[line] = (tmp_path / "out").read_text(encoding="utf-8").split("\n")
    finally:
        del os.environ["_ARGCOMPLETE_STDOUT_FILENAME"]
    assert [w.strip() for w in words["kerasguide su"]] == ["summary"]
    assert [w.strip() for w in words["kerasguide plot --no"]] == ["--no-clobber"]
    assert "mlp" in [w.strip() for w in words["kerasguide summary ml"]]


@pytest.mark.skipif(not Path("/bin/bash").exists(), reason="bash is not installed")
def test_completion_works_in_bash(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "kerasguide"
    if not script.exists():
        pytest.skip("the kerasguide console script is not installed")
    code = (
        f'export PATH="{script.parent}:$PATH"\n'
        'eval "$(kerasguide completion bash)"\n'
        "COMP_WORDS=(kerasguide vali); COMP_CWORD=1; COMP_LINE='kerasguide vali'; COMP_POINT=15\n"
        "_python_argcomplete kerasguide\n"
        'printf "%s\\n" "${COMPREPLY[@]}"\n'
    )
    run = subprocess.run(["/bin/bash", "-c", code], capture_output=True, text=True, timeout=60,
                         check=False, cwd=tmp_path)  # fmt: skip
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["validate"]


class _Terminal(io.StringIO):
    """A stdout that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> Any:
    """Run main() with stdout and stderr as 60-column terminals; return (code, out, err)."""

    def run(*argv: str | Path, **env: str) -> tuple[int, str, str]:
        out, err = _Terminal(), _Terminal()
        for name in ("NO_COLOR", "FORCE_COLOR", "TERM"):
            monkeypatch.delenv(name, raising=False)
        for name, value in {"COLUMNS": "60", **env}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setattr(sys, "stdout", out)
        monkeypatch.setattr(sys, "stderr", err)
        code = main([str(arg) for arg in argv])
        monkeypatch.undo()
        return code, out.getvalue(), err.getvalue()

    return run


def test_pass_and_fail_in_colour_on_a_terminal(terminal: Any) -> None:
    code, out, _ = terminal("check", "mlp", "--params", "551")
    assert code == 0
    assert out.startswith("\x1b[32mPASS\x1b[0m")
    code, out, _ = terminal("check", "mlp", "--params", "550")
    assert code == 1
    assert out.startswith("\x1b[1m\x1b[31mFAIL\x1b[0m: 1 difference")


def test_ok_and_fail_in_colour_in_validate(
    terminal: Any, course: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(course)
    code, out, _ = terminal("validate", ".", "--no-build")
    assert code == 1
    assert "\x1b[32mOK\x1b[0m    " in out
    assert "\x1b[1m\x1b[31mFAIL\x1b[0m  " in out


def test_no_colour_with_no_color_for_pipes_and_for_a_dumb_terminal(terminal: Any, cli: Any) -> None:
    for env in ({"NO_COLOR": "1"}, {"TERM": "dumb"}, {"NO_COLOR": "1", "FORCE_COLOR": "1"}):
        _, out, _ = terminal("check", "mlp", "--params", "550", **env)
        assert out.startswith("FAIL: 1 difference"), env
        assert "\x1b[" not in out
    piped = cli("check", "mlp", "--params", "550")
    assert piped.out.startswith("FAIL: 1 difference")
    assert "\x1b[" not in piped.out + piped.err


def test_force_color_colours_a_pipe(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli("check", "mlp", "--params", "550").out.startswith("\x1b[1m\x1b[31mFAIL")
    assert "\x1b[31merror\x1b[0m" in cli("summary", "missing.yaml").err


def test_prose_is_wrapped_at_word_boundaries_and_tables_are_not(terminal: Any, cli: Any) -> None:
    _, out, _ = terminal("check", "mlp", "--expect", "cnn", NO_COLOR="1")
    lines = out.splitlines()
    assert max(len(line) for line in lines) <= 60
    joined = " ".join(line.strip() for line in lines)
    assert "there is none" in joined  # words whole, none cut in two
    assert "     hint: replace it with keras.layers.Conv2D(8," in out  # wrapped under it
    _, table, _ = terminal("summary", "cnn", "--style", "box")
    assert max(len(line) for line in table.splitlines()) > 60
    assert table == cli("summary", "cnn", "--style", "box").out  # the table keeps its layout
    _, error_text, err = terminal("summary", "mpl", NO_COLOR="1")
    assert error_text == ""
    assert max(len(line) for line in err.splitlines()) <= 60
    assert "kerasguide summary: error: mpl: no such file, and no" in err


def test_help_is_wrapped_and_long_examples_are_continued(cli: Any, monkeypatch: Any) -> None:
    monkeypatch.setenv("COLUMNS", "60")
    out = cli("plot", "--help").out
    assert max(len(line) for line in out.splitlines()) <= 60
    assert "  kerasguide plot specs/siamese.yaml -o siamese.svg \\\n      --engine" in out


def test_wrap_keeps_long_words_and_short_lines() -> None:
    from kerasguide._cli_terminal import wrap

    path = "/a/very/long/path/" + "x" * 70
    assert wrap(f"received: {path}", 40) == f"received:\n          {path}"
    assert wrap("short line\n┃ table ┃ " + "x" * 80, 40) == "short line\n┃ table ┃ " + "x" * 80
    assert wrap("  3. layer 2: expected a MaxPooling2D layer, found a Dense", 30) == (
        "  3. layer 2: expected a\n     MaxPooling2D layer, found\n     a Dense"
    )
    assert wrap("anything", None) == "anything"


@pytest.mark.parametrize(
    ("argv", "kind", "where"),
    [
        (["summary", "missing.yaml", "--json"], "FileError", "missing.yaml"),
        (["check", "mlp", "--params", "550", "--json"], None, None),
        (["validate", "{empty}", "--json"], "FileError", "{empty}"),
        (["explain", "{typo}", "--json"], "SpecError", "typo.yaml: layers[0].Dence"),
        (["summary", "--json"], "UsageError", "kerasguide summary"),
        (["check", "mlp", "--params", "many", "--json"], "UsageError", "kerasguide check"),
    ],
)
def test_json_errors_are_json_on_stdout(
    cli: Any, tmp_path: Path, argv: list[str], kind: str | None, where: str | None
) -> None:
    empty, typo = tmp_path / "empty", tmp_path / "typo.yaml"
    empty.mkdir()
    typo.write_text("input_shape: [2]\nlayers: [{Dence: 2}]\n", encoding="utf-8")
    run = cli(*(arg.format(empty=empty, typo=typo) for arg in argv))
    if kind is None:  # a failed check is a result, exit 1, not an error
        assert run.code == 1
        assert "error" not in json.loads(run.out)
        return
    assert (run.code, run.err) == (2, "")
    error = json.loads(run.out)["error"]
    assert error["type"] == kind
    assert error["where"] == str(where).format(empty=empty, typo=typo)
    assert set(error) == {"type", "where", "problem", "expected", "received", "hint", "message"}
    assert error["problem"]
    assert error["hint"]


def test_json_error_of_a_spec_says_what_and_how(cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "twice.yaml"
    spec.write_text("input_shape: [2]\nlayers: [{Dense: 2, units: 3}]\n", encoding="utf-8")
    error = json.loads(cli("summary", spec, "--json").out)["error"]
    assert error["type"] == "SpecError"
    assert error["problem"] == "Dense's 'units' is given twice"
    assert error["received"] == "`Dense: 2` and `units: 3`"


def test_unexpected_errors_under_json(cli: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(args: Any) -> int:
        raise RuntimeError("something inside broke")

    monkeypatch.setitem(_commands.COMMANDS, "examples", broken)
    run = cli("examples", "--json")
    assert run.code == 2
    error = json.loads(run.out)["error"]
    assert error["type"] == "RuntimeError"
    assert error["problem"] == "unexpected RuntimeError: something inside broke"


def test_rerunning_every_writing_command_replaces_its_output(cli: Any, tmp_path: Path) -> None:
    model = saved(mlp_model(), tmp_path)
    outputs = {
        "plot": ["plot", "mlp", "-o", tmp_path / "m.png", "--engine", "matplotlib"],
        "code": ["code", "mlp", "-o", tmp_path / "m.py"],
        "convert": ["convert", model, "-o", tmp_path / "m.yaml"],
    }
    for argv in outputs.values():
        for _ in range(2):
            run = cli(*argv)
            assert (run.code, run.err) == (0, "")
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["m.png", "m.py", "m.yaml", "model.keras"]  # no temporary files left


def test_a_replaced_output_keeps_its_mode_and_a_new_one_gets_the_umask(
    cli: Any, tmp_path: Path
) -> None:
    target = tmp_path / "m.py"
    previous = os.umask(0o027)
    try:
        assert cli("code", "mlp", "-o", target).code == 0
        assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
        os.chmod(target, 0o604)
        assert cli("code", "cnn", "-o", target).code == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o604
    assert target.read_text(encoding="utf-8") == kg.to_code(kg.load_example("cnn"))


def test_a_misspelt_argument_lists_the_closest_few_then_help(cli: Any, tmp_path: Path) -> None:
    spec = tmp_path / "typo.yaml"
    spec.write_text("input_shape: [2]\nlayers: [{Dense: 2, activaton: relu}]\n", encoding="utf-8")
    err = cli("validate", spec).out
    assert "expected: one of Dense's arguments: activation, units, use_bias" in err
    # 17 in Keras 3.15, fewer in older versions (Keras 3.3 has no lora_rank)
    listed = re.search(r"… \(all (\d+): help\(keras\.layers\.Dense\)\)", err)
    assert listed, err
    assert int(listed.group(1)) >= 12
    assert "lora_rank" not in err
    assert "quantization_config" not in err
    assert "hint: did you mean 'activation'?" in err


def test_shortlist_puts_the_closest_first() -> None:
    from kerasguide._suggest import listed, shortlist

    assert shortlist("lora", ["units", "activation", "lora_rank"], n=2) == ["lora_rank", "units"]
    assert listed("x", ["a", "b"], rest="help(f)") == "a, b"
    assert listed("x", list("abcdef"), rest="help(f)") == "a, b, c, d, e, … (all 6: help(f))"


def test_stderr_is_streamed_not_held_back(capfd: pytest.CaptureFixture[str]) -> None:
    import time

    with _commands.quiet_native_log():
        os.write(2, b"first\n")
        deadline = time.monotonic() + 5
        while "first" not in (seen := capfd.readouterr().err) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert seen == "first\n"  # on the terminal while the command still runs
        os.write(2, b"I0000 00:00:1795895754.066982    9078 port.cc:153] oneDNN noise\n")
        os.write(2, b"partial line without a newline")
    assert capfd.readouterr().err == "partial line without a newline"


def _on_a_terminal(*argv: str) -> tuple[int, bytes]:
    """Run the console script with stderr on a pseudo-terminal; return (status, stderr bytes)."""
    import pty
    import select

    script = Path(sys.executable).parent / "kerasguide"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "kerasguide"]
    leader, follower = pty.openpty()
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    process = subprocess.Popen([*command, *argv], stdout=subprocess.DEVNULL, stderr=follower,
                               stdin=subprocess.DEVNULL, env={**env, "TERM": "xterm"})  # fmt: skip
    os.close(follower)
    data = b""
    while True:
        ready, _, _ = select.select([leader], [], [], 300)
        try:
            chunk = os.read(leader, 4096) if ready else b""
        except OSError:  # the terminal closed
            chunk = b""
        if not chunk:
            break
        data += chunk
    os.close(leader)
    return process.wait(timeout=60), data


@pytest.mark.slow  # a fresh Python that imports TensorFlow: `make test`, not `make unit`
def test_loading_keras_shows_on_a_terminal_and_is_erased_before_an_error(tmp_path: Path) -> None:
    """The line shows while TensorFlow loads and is erased once it has; the error that
    follows starts a line of its own, and nothing of TensorFlow's log comes between."""
    (tmp_path / "typo.yaml").write_text("input_shape: [4]\nlayers:\n  - {Dence: 3}\n")
    code, err = _on_a_terminal("summary", str(tmp_path / "typo.yaml"))
    assert code == 2
    loading, _, rest = err.decode().partition("\r\x1b[K")
    assert loading == "kerasguide: loading Keras…"
    assert rest.startswith("kerasguide summary: \x1b[1m\x1b[31merror\x1b[0m:")
    assert "did you mean 'Dense'" in rest
    assert "oneDNN" not in rest


@pytest.mark.parametrize("source", ["missing.yaml", "missing.keras", "mpl"])
def test_a_missing_input_fails_at_once_without_loading_keras(tmp_path: Path, source: str) -> None:
    """A mistyped path or example name does not wait for TensorFlow's import."""
    code, err = _on_a_terminal("summary", str(tmp_path / source) if "." in source else source)
    assert code == 2
    text = err.decode()
    assert text.startswith("kerasguide summary: \x1b[1m\x1b[31merror\x1b[0m:")
    assert "loading Keras" not in text  # shown whenever the command loads Keras
