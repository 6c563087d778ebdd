"""Benchmark of issues 14 and 18: grading N copies of the correct submission vs. executing them.

Both sides run the same notebooks on fresh kernels with nbclient, with the same
number of workers. Grading adds each kernel's bubblewrap sandbox and limits, the
cell that saves the models, copying them out, safe loading, the checks, the HTML
feedback and the files. Target: ratio <= 1.15. The grader kills each kernel once
its models are saved, where nbclient's default shuts it down politely (about a
second): the run with nbclient's kernels killed the same way is timed too, to
show what the rest of grading costs.
``KERASGUIDE_BENCH_GRADE_COPIES`` (default 100) sets N.
"""

from __future__ import annotations

import asyncio
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


def _execute(path: Path, shutdown: str) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        shutdown_kernel=shutdown,
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    asyncio.get_event_loop_policy().get_event_loop().close()  # nbclient's loop for this thread


def _just_execute(folder: Path, shutdown: str) -> float:
    start = time.perf_counter()
    with cf.ThreadPoolExecutor(max_workers=WORKERS) as pool:
        list(pool.map(lambda p: _execute(p, shutdown), sorted(folder.glob("*.ipynb"))))
    return time.perf_counter() - start


def test_grading_vs_executing(tmp_path: Path) -> None:
    folder = tmp_path / "submitted"
    folder.mkdir()
    for i in range(COPIES):
        shutil.copy(DATA / "submissions" / "correct.ipynb", folder / f"student_{i:03d}.ipynb")
    executed = _just_execute(folder, "graceful")  # nbclient's default
    killed = _just_execute(folder, "immediate")  # as the grader stops its kernels
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
        f"execute {COPIES} notebooks (nbclient, kernels killed)": killed,
        f"grade {COPIES} notebooks (kerasguide grade)": grading,
    }
    ratios = report(
        f"{COPIES} copies of the correct submission, {WORKERS} workers",
        times,
        baseline=f"execute {COPIES} notebooks (nbclient)",
    )
    print(f"  => grade / execute = {ratios[next(reversed(ratios))]:.3f} (target < 1.15)")
    print(f"  => grade / execute with kernels killed = {grading / killed:.3f}")
