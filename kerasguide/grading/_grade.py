"""Grade a whole class: run every submitted notebook safely, check its models, write a gradebook.

An instructor writes an assignment file (YAML) naming, per exercise, the
variable that holds the student's model, a reference, the checks and the
points. :func:`grade` runs each notebook on a fresh kernel in a bubblewrap
sandbox, under time, memory, disk and process limits (see
:mod:`kerasguide.grading._sandbox` for what is enforced where), takes each model
out of the kernel as a ``.keras`` file, loads it with ``safe_mode=True`` and
compares it with the reference using :func:`~kerasguide.check_model`,
:func:`~kerasguide.check_summary` and :func:`~kerasguide.check_params`.

Nothing stops the batch: a notebook that hangs, crashes, raises, runs out of
memory, has no such variable or is not JSON gets a score and a reason. Running
again skips what is already graded (same notebook, same assignment), so an
interrupted run resumes; ``--shard K/N`` and :func:`merge_grades` split a class over
machines.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import html
import json
import os
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kerasguide.grading import _batch as _batch
from kerasguide.grading import _output as _out
from kerasguide.grading._assignment import Assignment
from kerasguide.grading._assignment import load as _load
from kerasguide.grading._record import ExerciseRecord, StudentRecord

if TYPE_CHECKING:
    import argparse
from kerasguide.errors import OptionError

__all__ = [
    "Assignment",
    "GradeReport",
    "GradedSubmission",
    "grade",
    "load_assignment",
    "merge_grades",
]

Progress = Callable[["GradedSubmission"], None]


def load_assignment(source: str | os.PathLike[str]) -> Assignment:
    """Read and check an assignment file.

    Args:
        source: The path of the assignment's YAML file. Its references are
            relative to it.

    Returns:
        The checked :class:`Assignment`.

    Raises:
        FileError: The file, or a file it names, cannot be read.
        SpecError: The assignment is not valid (the path of the mistake).

    Example:
        >>> assignment = load_assignment("week3/assignment.yaml")  # doctest: +SKIP
        >>> [exercise.name for exercise in assignment.exercises]  # doctest: +SKIP
        ['classifier', 'regressor']
    """
    return _load(Path(source))


@dataclass(frozen=True)
class GradedSubmission:
    """One student's grade.

    Attributes:
        student: The notebook's name without ``.ipynb``, made safe and unique
            (letters, digits, ``-``, ``_`` and inner dots; see ``gradebook.csv``'s
            ``notebook`` column for the file it came from).
        score: The total; ``max_score`` the most there is.
        status: How the notebook ran. The student's side: ``ok``, ``error`` (a
            cell raised), ``timeout``, ``memory``, ``kernel-died``,
            ``invalid-notebook``. The grader's side: ``environment`` (a cell raised
            because of the grading machine: a file the assignment did not give, a
            package, the network), ``setup-error`` (the assignment's ``setup:``
            raised; the notebook was not run), ``grader-stopped`` (the grader
            stopped twice while it ran; not run again). ``reason`` says more.
        exercises: Each exercise's score, status and findings (plain data); an
            exercise's ``status`` is ``graded`` or why no model was graded:
            ``missing``, ``not-a-model``, ``unsaved``, ``unloadable``, ``not-run``,
            or ``check-error`` (the grader's checks failed: the grader's side).
        skipped: True when it was graded by an earlier run and not run again.
    """

    student: str
    score: float
    max_score: float
    status: str
    reason: str
    exercises: tuple[ExerciseRecord, ...]
    skipped: bool = False

    @classmethod
    def from_record(cls, record: StudentRecord, *, skipped: bool = False) -> GradedSubmission:
        """From a stored record."""
        return cls(
            record["student"],
            record["score"],
            record["max_score"],
            record["status"],
            record["reason"],
            tuple(record["exercises"]),
            skipped,
        )

    def exercise(self, name: str) -> ExerciseRecord:
        """One exercise's result: ``score``, ``max_score``, ``status``, ``reason``, ``findings``."""
        return next(ex for ex in self.exercises if ex["name"] == name)

    def __str__(self) -> str:
        lines = [f"{self.student}: {self.score:g}/{self.max_score:g} ({self.status})"]
        lines += ["  " + _out.exercise_text(ex).replace("\n", "\n  ") for ex in self.exercises]
        return "\n".join(lines)

    def to_dict(self) -> dict[str, object]:
        """Plain data."""
        return dataclasses.asdict(self) | {"exercises": list(self.exercises)}


@dataclass(frozen=True)
class GradeReport:
    """The outcome of :func:`grade` or :func:`merge`: every student, and where the files are.

    ``str()`` is the gradebook as a table; ``output`` holds ``gradebook.csv``,
    ``findings.json``, ``overview.html`` and ``students/NAME/`` (feedback and
    Gradescope's ``results.json``).
    """

    title: str
    output: Path
    submissions: tuple[GradedSubmission, ...]
    isolation: dict[str, str] = dataclasses.field(default_factory=dict)

    def __getitem__(self, student: str) -> GradedSubmission:
        for submission in self.submissions:
            if submission.student == student:
                return submission
        raise KeyError(student)

    @property
    def graded(self) -> int:
        """How many notebooks this run executed (the others were already graded)."""
        return sum(not s.skipped for s in self.submissions)

    def __str__(self) -> str:
        width = max((len(s.student) for s in self.submissions), default=7)
        lines = [f"{self.title}: {len(self.submissions)} submissions, {self.graded} graded now"]
        for s in self.submissions:
            lines.append(
                f"  {s.student:<{width}}  {s.score:>6g}/{s.max_score:<4g} {s.status}"
                + (f": {s.reason}" if s.reason else "")
            )
        lines.append(
            f"Gradebook: {self.output / 'gradebook.csv'}; overview: {self.output / 'overview.html'}"
        )
        return "\n".join(lines) + "\n"

    __repr__ = __str__

    def _repr_html_(self) -> str:
        e = html.escape
        rows = "".join(
            f"<tr><td>{e(s.student)}</td><td>{s.score:g} / {s.max_score:g}</td>"
            f"<td>{e(s.status)}</td><td>{e(s.reason)}</td></tr>"
            for s in self.submissions
        )
        return (
            f"<b>{e(self.title)}</b><table><tr><th>student</th><th>score</th><th>run</th>"
            f"<th>reason</th></tr>{rows}</table>"
        )

    def to_dict(self) -> dict[str, object]:
        """Plain data (JSON-ready)."""
        return {
            "title": self.title,
            "output": str(self.output),
            "isolation": self.isolation,
            "submissions": [s.to_dict() for s in self.submissions],
        }


# --- grade ----------------------------------------------------------------------------


def grade(
    assignment: Assignment | str | os.PathLike[str],
    submissions: str | os.PathLike[str],
    *,
    output: str | os.PathLike[str],
    workers: int | None = None,
    regrade: bool = False,
    shard: str | None = None,
    limits: Mapping[str, float] | None = None,
    progress: bool | Progress = True,
    trusted: bool = False,
) -> GradeReport:
    """Grade every notebook (``*.ipynb``) of a folder; write the gradebook and feedback.

    Args:
        assignment: An :class:`Assignment` or the path of its YAML file.
        submissions: A folder of submitted notebooks (or one notebook); the
            student's name is the file's name without ``.ipynb``.
        output: The folder to write into (created if needed).
        workers: Notebooks run at once (default: the number of CPUs).
        regrade: Grade again what an earlier run already graded.
        shard: ``"K/N"``: grade only the K-th of N deterministic slices.
        limits: Overrides of the assignment's limits, e.g. ``{"cell_seconds": 30}``
            (``notebook_seconds``, ``cell_seconds``, ``memory_mb``, ``model_mb``).
        progress: Print progress on stderr (True), or a function called with
            each :class:`GradedSubmission` as it is done; an exception it raises
            stops the run (what was graded stays graded).
        trusted: Run the notebooks without the sandbox: for your own notebooks
            (e.g. in CI) where bubblewrap cannot run. Only the time and memory
            limits hold then; a notebook can read and write what you can.

    Returns:
        A :class:`GradeReport`.

    Raises:
        FileError: The assignment, the folder or the output cannot be read or written.
        OptionError: A bad ``workers``, ``shard`` or ``limits``.
        SandboxUnavailable: bubblewrap cannot sandbox kernels here, and
            ``trusted`` is not set.

    Example:
        >>> report = grade("week3/assignment.yaml", "week3/submitted/",
        ...                output="week3/graded")  # doctest: +SKIP
        >>> report["alice"].score  # doctest: +SKIP
        17.0
    """
    task = _batch.Task.create(assignment, submissions, output, limits, trusted=trusted)
    with _output_lock(task.output):
        return _grade_locked(task, shard=shard, workers=workers, regrade=regrade, progress=progress)


@contextlib.contextmanager
def _output_lock(folder: Path) -> Iterator[None]:
    """One grading run at a time per output folder; a second one waits for the first."""
    from kerasguide._files import make_folder, write_error

    make_folder(folder)
    try:
        handle = (folder / ".kerasguide-grade.lock").open("w")
    except OSError as err:
        raise write_error(folder / ".kerasguide-grade.lock", err) from None
    with handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _grade_locked(
    task: _batch.Task,
    *,
    shard: str | None,
    workers: int | None,
    regrade: bool,
    progress: bool | Progress,
) -> GradeReport:
    from kerasguide.grading import _cgroup

    ungrouped = _cgroup.unmade()  # kernels without their cgroup, counted from here
    chosen = _batch.shard(task.notebooks, shard)
    count = _batch.workers(workers)
    done = _out.read_records(task.output)
    results: dict[str, GradedSubmission] = {}
    pending = []
    for path in chosen:
        record = done.get(task.student(path))
        if not regrade and record is not None and record.get("key") == task.key(path):
            results[task.student(path)] = GradedSubmission.from_record(record, skipped=True)
        else:
            if regrade:
                _out.forget_attempts(task.output, task.student(path))
            pending.append(path)
    report = _batch.progress(progress, len(chosen), len(results))
    for record in _batch.run_all(task, pending, count):
        submission = GradedSubmission.from_record(record)
        results[submission.student] = submission
        report(submission)
    records = {k: v for k, v in _out.read_records(task.output).items() if k in results}
    _out.write_class(task.output, records, [e.name for e in task.assignment.exercises])
    from kerasguide.grading._sandbox import isolation

    ordered = tuple(results[name] for name in sorted(results))
    where = isolation(task.limits, trusted=task.trusted, ungrouped=_cgroup.unmade() - ungrouped)
    return GradeReport(task.assignment.title, task.output, ordered, where)


# --- merge ----------------------------------------------------------------------------


def merge_grades(
    outputs: list[str | os.PathLike[str]], *, output: str | os.PathLike[str]
) -> GradeReport:
    """Combine the output folders of ``grade --shard`` runs into one gradebook.

    Args:
        outputs: The shards' output folders (graded with the same assignment).
        output: The folder to write the combined outputs into.

    Returns:
        A :class:`GradeReport` of every student.

    Raises:
        FileError: A folder is not the output of ``kerasguide grade``.
        OptionError: The shards were graded with different assignments, or
            grade one student differently.

    Example:
        >>> merge_grades(["out-1", "out-2"], output="out")  # doctest: +SKIP
    """
    from kerasguide.grading._merge import merge_folders

    title, records, exercises = merge_folders([Path(p) for p in outputs], Path(output))
    _out.write_class(Path(output), records, exercises)
    subs = tuple(GradedSubmission.from_record(records[k], skipped=True) for k in sorted(records))
    return GradeReport(title, Path(output), subs)


# --- the command line -----------------------------------------------------------------


def command(args: argparse.Namespace) -> int:
    """``kerasguide grade ...`` and ``kerasguide grade merge ...``."""
    if args.paths[0] == "merge":
        if len(args.paths) < 2:
            raise OptionError(
                "nothing to merge",
                where="grade merge",
                expected="the output folders of sharded runs",
                received="none",
            )
        report = merge_grades(args.paths[1:], output=args.output)
    elif len(args.paths) != 2:
        raise OptionError(
            "grade takes an assignment and a folder of submissions",
            where="grade",
            expected="kerasguide grade ASSIGNMENT SUBMISSIONS -o OUT",
            received=" ".join(args.paths),
            hint="or: kerasguide grade merge OUT1 OUT2 -o OUT",
        )
    else:
        limits = {
            k: v
            for k, v in (
                ("notebook_seconds", args.timeout),
                ("cell_seconds", args.cell_timeout),
                ("memory_mb", args.memory_mb),
            )
            if v is not None
        }
        report = grade(
            args.paths[0],
            args.paths[1],
            output=args.output,
            workers=args.workers,
            regrade=args.regrade,
            shard=args.shard,
            limits=limits,
            trusted=args.trusted,
        )
    if args.json:
        print(json.dumps(report.to_dict(), indent=2))
    else:
        sys.stdout.write(str(report))
    return 0
