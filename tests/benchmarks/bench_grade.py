"""Benchmark of issue 14: grading N copies of the correct submission vs. just executing them.

Both sides run the same notebooks on fresh kernels with nbclient, with the same
number of workers. Grading adds the sandbox (limits, namespaces), the cell that
saves the models, safe loading, the checks, the HTML feedback and the files.
Target: ratio < 1.15. ``KERASGUIDE_BENCH_GRADE_COPIES`` (default 100) sets N.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
import shutil
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

import kerasguide as kg
from tests.benchmarks._timing import report

DATA = Path(__file__).resolve().parents[1] / "data" / "grading"
COPIES = int(os.environ.get("KERASGUIDE_BENCH_GRADE_COPIES", "100"))
WORKERS = os.cpu_count() or 1


def _execute(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb, kernel_name="python3", timeout=120, resources={"metadata": {"path": str(path.parent)}}
    ).execute()


def _just_execute(folder: Path) -> None:
    with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(_execute, sorted(folder.glob("*.ipynb"))))


def test_grading_vs_executing(tmp_path: Path) -> None:
    folder = tmp_path / "submitted"
    folder.mkdir()
    for i in range(COPIES):
        shutil.copy(DATA / "submissions" / "correct.ipynb", folder / f"student_{i:03d}.ipynb")
    start = time.perf_counter()
    _just_execute(folder)
    executed = time.perf_counter() - start
    start = time.perf_counter()
    graded = kg.grade(
        DATA / "assignment" / "assignment.yaml",
        folder,
        output=tmp_path / "out",
        workers=WORKERS,
        progress=False,
    )
    grading = time.perf_counter() - start
    assert all(s.score == s.max_score for s in graded.submissions)
    times = {
        f"execute {COPIES} notebooks (nbclient)": executed,
        f"grade {COPIES} notebooks (kerasguide grade)": grading,
    }
    ratios = report(
        f"{COPIES} copies of the correct submission, {WORKERS} workers",
        times,
        baseline=f"execute {COPIES} notebooks (nbclient)",
    )
    print(f"  => grade / execute = {ratios[next(reversed(ratios))]:.3f} (target < 1.15)")
