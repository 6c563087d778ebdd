"""Benchmarks of issue 5: the command line's start-up and `validate`, as ratios in one run."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

import kerasguide as kg
from tests.benchmarks._timing import median_times, python_process, report

SCRIPT = Path(sys.executable).parent / "kerasguide"
COMMAND = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "kerasguide"]


def _process(*argv: str) -> Callable[[], object]:
    return lambda: subprocess.run([*COMMAND, *argv], check=True, capture_output=True)


def test_help_vs_import_tensorflow() -> None:
    times = median_times(
        {
            "kerasguide --help": _process("--help"),
            "kerasguide --version": _process("--version"),
            "python -c 'import tensorflow'": python_process("import tensorflow"),
        },
        repeat=5,
    )
    ratios = report("start-up (fresh processes, median of 5)", times,
                    baseline="python -c 'import tensorflow'")  # fmt: skip
    print(f"  => kerasguide --help / import tensorflow = {ratios['kerasguide --help']:.3f}"
          " (target: below 0.1)")  # fmt: skip


def _spec(i: int) -> dict[str, Any]:
    """The i-th of 100 varied specs: MLPs, dense and convolutional chains, two-input graphs."""
    width = 8 + i % 5 * 4
    if i % 4 == 0:
        hidden = [width] * (1 + i % 3)
        return {"kind": "mlp", "name": f"mlp_{i}", "inputs": 10 + i % 7, "hidden": hidden,
                "outputs": 1, "output_activation": "sigmoid"}  # fmt: skip
    if i % 4 == 1:
        layers = [{"Dense": width, "activation": "relu"}, {"Dropout": 0.1}] * (1 + i % 4)
        return {"name": f"dense_{i}", "input_shape": [12], "layers": [*layers, {"Dense": 3}]}
    if i % 4 == 2:
        return {"name": f"cnn_{i}", "input_shape": [16, 16, 1], "layers": [
            {"Conv2D": 4 + i % 3, "kernel_size": 3, "activation": "relu"}, "MaxPooling2D",
            "Flatten", {"Dense": 10, "activation": "softmax"}]}  # fmt: skip
    return {"name": f"pair_{i}", "inputs": {"left": [6], "right": [4]}, "layers": [
        {"Dense": width, "name": "a", "inputs": "left"},
        {"Dense": width, "name": "b", "inputs": "right"},
        {"type": "Concatenate", "name": "merged", "inputs": ["a", "b"]}, {"Dense": 1}]}  # fmt: skip


def _plain_keras_script(specs: list[dict[str, Any]]) -> str:
    """One script that builds every model with plain Keras code and prints the parameters."""
    parts = ["total = 0\n"]
    for spec in specs:
        parts += [kg.to_code(spec), "total += model.count_params()\n"]
    return "".join(parts) + "print(total)\n"


def test_validate_100_specs_vs_plain_keras(tmp_path: Path) -> None:
    specs = [_spec(i) for i in range(100)]
    for i, spec in enumerate(specs):
        text = yaml.safe_dump(spec, sort_keys=False)
        (tmp_path / f"spec_{i:03d}.yaml").write_text(text, encoding="utf-8")
    script = tmp_path / "plain_keras.py"
    script.write_text(_plain_keras_script(specs), encoding="utf-8")
    plain = subprocess.run([sys.executable, script], check=True, capture_output=True, text=True)
    checked = subprocess.run([*COMMAND, "validate", tmp_path, "--json"],
                             check=True, capture_output=True, text=True)  # fmt: skip
    reports = json.loads(checked.stdout)["files"]
    assert sum(r["params"] for r in reports) == int(plain.stdout.split()[-1])
    times = median_times(
        {
            "kerasguide validate (100 specs, one process)": _process("validate", str(tmp_path)),
            "kerasguide validate --no-build": _process("validate", "--no-build", str(tmp_path)),
            "plain Keras: build 100 models (one process)": lambda: subprocess.run(
                [sys.executable, script], check=True, capture_output=True
            ),
        },
        repeat=3,
    )
    ratios = report("validate 100 spec files (fresh processes, median of 3)", times,
                    baseline="plain Keras: build 100 models (one process)")  # fmt: skip
    key = "kerasguide validate (100 specs, one process)"
    print(f"  => validate / plain Keras = {ratios[key]:.3f}")


def _first_output(*argv: str, terminal: bool) -> Callable[[], object]:
    """Run the command; return when its first byte shows (stderr on a pseudo-terminal, or stdout).

    With ``terminal``, stderr is a pseudo-terminal, where the "loading Keras…" line
    is the first output; without, the first byte of the summary table on stdout.
    """
    import os
    import pty
    import select

    def run() -> None:
        leader, follower = pty.openpty() if terminal else (-1, subprocess.DEVNULL)
        process = subprocess.Popen([*COMMAND, *argv], stdout=subprocess.PIPE,
                                   stderr=follower, stdin=subprocess.DEVNULL)  # fmt: skip
        watched = leader if terminal else process.stdout.fileno()  # type: ignore[union-attr]
        select.select([watched], [], [], 300)
        if terminal:
            os.close(follower)  # type: ignore[arg-type]
            os.close(leader)
        process.kill()
        process.communicate()

    return run


def test_time_to_first_output_of_summary_vs_import_tensorflow() -> None:
    times = median_times(
        {
            "kerasguide summary mlp: first byte on a terminal": _first_output(
                "summary", "mlp", terminal=True
            ),
            "kerasguide summary mlp: first byte of the table": _first_output(
                "summary", "mlp", terminal=False
            ),
            "python -c 'import tensorflow'": python_process("import tensorflow"),
        },
        repeat=5,
    )
    ratios = report("time to first output (fresh processes, median of 5)", times,
                    baseline="python -c 'import tensorflow'")  # fmt: skip
    for name, ratio in ratios.items():
        if name.startswith("kerasguide"):
            print(f"  => {name} / import tensorflow = {ratio:.3f}")
