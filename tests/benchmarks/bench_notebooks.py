"""Benchmark of issue 6: the notebook suite on 2 workers against 1, as a ratio in one run.

Both runs execute copies of notebooks/*.ipynb in a temporary folder, in fast
mode, exactly as ``make notebooks`` does (pytest --nbmake), one after the other.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from tests.benchmarks._timing import median_times, report

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
TIMEOUT = "120"


def _suite(folder: Path, workers: list[str]) -> Callable[[], object]:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}  # inline figures
    env |= {"KERASGUIDE_FAST": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    argv = [sys.executable, "-m", "pytest", "--nbmake", f"--nbmake-timeout={TIMEOUT}",
            "-p", "no:cacheprovider", "-q", *workers, str(folder)]  # fmt: skip

    def run() -> None:
        done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True)
        assert done.returncode == 0, done.stdout[-3000:]

    return run


def test_notebooks_parallel_vs_serial(tmp_path: Path) -> None:
    for notebook in sorted(NOTEBOOKS.glob("*.ipynb")):
        shutil.copy(notebook, tmp_path)
    count = len(list(tmp_path.glob("*.ipynb")))
    times = median_times(
        {
            f"{count} notebooks, serial (-p no:xdist)": _suite(tmp_path, ["-p", "no:xdist"]),
            f"{count} notebooks, parallel (-n 2)": _suite(tmp_path, ["-n", "2"]),
        },
        repeat=1,
    )
    serial, parallel = times.values()
    report("notebook suite, fast mode (one run each, same session)", times,
           baseline=f"{count} notebooks, serial (-p no:xdist)")  # fmt: skip
    print(f"  => speed-up of -n 2: {serial / parallel:.2f}x on {os.cpu_count()} CPUs")
