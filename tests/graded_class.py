"""The example class graded once per test session, shared by the grading tests.

``tests/test_grade.py`` reads this run by outcome, and ``tests/test_grade_hostile.py``
takes its honest students' grades from it as their grades without attackers beside
them: one run of about seven kernels instead of one per module. Regenerate the
submissions with tests/data/grading/make_submissions.py.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg

DATA = Path(__file__).parent / "data" / "grading"
ASSIGNMENT = DATA / "assignment" / "assignment.yaml"
SUBMISSIONS = DATA / "submissions"
STUDENTS = sorted(p.stem for p in SUBMISSIONS.glob("*.ipynb"))


class Stop(Exception):
    """Raised by the progress hook to interrupt a run."""


def graded_once(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The class graded once per test session, even across pytest-xdist's workers.

    The run is interrupted after three notebooks and resumed. The output folder is
    inside the submissions folder, as an instructor may well put it: the kernels must
    hide both, the outer one first. Each call grades the class once more, every
    notebook skipped, for its report.
    """
    out = graded_folder(tmp_path_factory)
    submitted = out.parent
    report = kg.grade(ASSIGNMENT, submitted, output=out, progress=False)  # all skipped
    state = json.loads((out / "resumed.json").read_text())
    return {"out": out, "submitted": submitted, "report": report, **state}


def graded_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The output folder of the class graded once per session (nothing graded again)."""
    base = tmp_path_factory.getbasetemp()
    root = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    submitted = root / "kerasguide-class"
    out = submitted / "graded"
    with (root / "kerasguide-graded.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (out / "resumed.json").exists():
            shutil.rmtree(submitted, ignore_errors=True)
            shutil.copytree(SUBMISSIONS, submitted)
            _grade_interrupted_then_resumed(submitted, out)
    return out


def _grade_interrupted_then_resumed(submitted: Path, out: Path) -> None:
    seen: list[str] = []

    def stop_after_three(submission: kg.GradedSubmission) -> None:
        seen.append(submission.student)
        if len(seen) == 3:
            raise Stop

    with pytest.raises(Stop):
        kg.grade(ASSIGNMENT, submitted, output=out, workers=2, progress=stop_after_three)
    # What the stopped run wrote: the three it reported, and any other notebook the
    # second thread finished before the stop reached it (a record stays once written).
    records = [folder / "record.json" for folder in (out / "students").iterdir()]
    first = {path.parent.name: json.loads(path.read_text()) for path in records if path.is_file()}
    resumed = kg.grade(ASSIGNMENT, submitted, output=out, workers=2, progress=False)
    skipped = [s.student for s in resumed.submissions if s.skipped]
    state = {"seen": seen, "first": first, "skipped": skipped, "graded_again": resumed.graded}
    (out / "resumed.json").write_text(json.dumps(state))
