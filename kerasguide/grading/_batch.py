"""The batch behind :func:`kerasguide.grading`: which notebooks, how many at once, the progress.

Private to :mod:`kerasguide.grading`. Notebooks run on a pool of threads (each
thread drives one kernel, the CPU work is in the kernels); scoring takes a lock.
An exception in the caller's loop (Ctrl-C, or a progress function that raises)
kills the running kernels; what was written stays, and the next run resumes. The
notebooks it stopped are not counted as having stopped the grader (only a grader
that dies outright leaves their starts counted).
"""

from __future__ import annotations

import concurrent.futures as cf
import dataclasses
import hashlib
import json
import os
import shutil
import sys
import threading
import time
import unicodedata
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from kerasguide import _files
from kerasguide._version import __version__
from kerasguide.errors import FileError, OptionError
from kerasguide.grading import _output as _out
from kerasguide.grading._assignment import Assignment, GradeLimits
from kerasguide.grading._assignment import load as load_assignment
from kerasguide.grading._record import AssignmentRecord, StudentRecord
from kerasguide.grading._score import ExerciseResult

__all__ = ["Task", "progress", "run_all", "shard", "workers"]

if TYPE_CHECKING:
    from kerasguide.grading._kernel import Run
    from kerasguide.grading._score import References


class Scored(Protocol):
    """What the progress bar shows of a graded submission."""

    @property
    def student(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def max_score(self) -> float: ...
    @property
    def status(self) -> str: ...


S = TypeVar("S", bound=Scored)


@dataclass(frozen=True)
class Task:
    assignment: Assignment
    limits: GradeLimits
    folder: Path
    notebooks: list[Path]
    output: Path
    trusted: bool = False
    names: dict[Path, str] = dataclasses.field(default_factory=dict)

    @classmethod
    def create(
        cls,
        assignment: Assignment | str | os.PathLike[str],
        submissions: str | os.PathLike[str],
        output: str | os.PathLike[str],
        limits: Mapping[str, float] | None,
        *,
        trusted: bool = False,
    ) -> Task:
        from kerasguide.grading import _host, _sandbox

        _sandbox.require(trusted=trusted)
        if not isinstance(assignment, Assignment):
            assignment = load_assignment(assignment)
        folder = Path(submissions)
        if folder.is_file() and folder.suffix == ".ipynb":
            notebooks, folder = [folder], folder.parent
        elif folder.is_dir():
            notebooks = sorted(p for p in folder.glob("*.ipynb") if p.is_file())
        else:
            raise FileError(
                "no such folder of submissions",
                where=str(folder),
                expected="a folder of .ipynb notebooks",
                received=str(folder.resolve()),
                hint="check the path",
            )
        if not trusted:
            _out_of_sight(assignment, folder, Path(output))
        out = _files.make_folder(Path(output))
        (out / "students").mkdir(exist_ok=True)
        _files.write_text(out / "assignment.json", _assignment_json(assignment))
        _host.sweep()
        checked = _limits(assignment.limits, limits)
        return cls(assignment, checked, folder, notebooks, out, trusted, student_names(notebooks))

    def key(self, path: Path) -> str:
        """What a grade depends on: the notebook, the assignment and its files, the limits."""
        text = f"{__version__}\n{self.assignment.digest}\n{self.limits}\n".encode()
        return hashlib.sha256(text + path.read_bytes()).hexdigest()

    def student(self, path: Path) -> str:
        """The student's safe name: the folder and the gradebook row of this notebook."""
        return self.names[path]


def student_names(notebooks: list[Path]) -> dict[Path, str]:
    """A safe, unique name per notebook, from its file name.

    Letters, digits, ``-``, ``_`` and inner dots are kept (NFC); anything else,
    a leading dot or ``-`` become ``_``, so that no name is ``.``, ``..``, holds a
    ``/`` or a control character, or reads as a spreadsheet formula. Names that
    clash once cleaned get ``-2``, ``-3``… in the order of the file names.
    """
    names: dict[Path, str] = {}
    taken: set[str] = set()
    for path in sorted(notebooks, key=lambda p: p.name):
        stem = unicodedata.normalize("NFC", path.name.removesuffix(".ipynb"))
        clean = "".join(c if c.isalnum() or c in "-_." else "_" for c in stem)[:80]
        clean = "_" + clean[1:] if clean[:1] in (".", "-", "") else clean
        clean = clean or "_"
        name, n = clean, 1
        while name.casefold() in taken:
            n += 1
            name = f"{clean}-{n}"
        taken.add(name.casefold())
        names[path] = name
    return names


def _assignment_json(assignment: Assignment) -> str:
    data: AssignmentRecord = {
        "title": assignment.title,
        "digest": assignment.digest,
        "exercises": [{"name": e.name, "points": e.points} for e in assignment.exercises],
    }
    return json.dumps(data, indent=2) + "\n"


def _limits(base: GradeLimits, changes: Mapping[str, float] | None) -> GradeLimits:
    fields = [f.name for f in dataclasses.fields(GradeLimits)]
    for key, value in (changes or {}).items():
        if (
            key not in fields
            or isinstance(value, bool)
            or not isinstance(value, (int, float))
            or value <= 0
        ):
            raise OptionError(
                "bad limit",
                where=f"grade(limits[{key!r}])",
                expected=f"a number > 0 for one of {', '.join(fields)}",
                received=repr(value),
            )
    typed = {k: int(v) if k.endswith("_mb") else float(v) for k, v in (changes or {}).items()}
    return dataclasses.replace(base, **typed)  # type: ignore[arg-type]


def shard(notebooks: list[Path], shard: str | None) -> list[Path]:
    if shard is None:
        return notebooks
    parts = shard.split("/")
    ok = len(parts) == 2 and all(p.isdigit() for p in parts)
    k, n = (int(parts[0]), int(parts[1])) if ok else (0, 0)
    if not ok or not 1 <= k <= n:
        raise OptionError(
            "bad shard",
            where="--shard",
            expected="K/N with 1 <= K <= N, e.g. 2/4",
            received=repr(shard),
        )
    return [path for i, path in enumerate(notebooks) if i % n == k - 1]


def workers(workers: int | None) -> int:
    if workers is None:
        return os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise OptionError(
            "bad number of workers", where="workers", expected="an int >= 1", received=repr(workers)
        )
    return workers


def run_all(task: Task, pending: list[Path], workers: int) -> Iterator[StudentRecord]:
    """Grade ``pending`` on ``workers`` threads; yield each result as it is done.

    The references load (importing TensorFlow, a few seconds) while the first kernels
    start; a broken reference kills the kernels and is raised from here.
    """
    from kerasguide.grading._kernel import kill_all

    stop = threading.Event()  # set when the caller stops: a killed kernel is no grade
    loader = cf.ThreadPoolExecutor(max_workers=1, thread_name_prefix="kerasguide-references")
    references = loader.submit(_references, task.assignment)
    references.add_done_callback(lambda done: _stop_if_broken(done, stop))
    pool = cf.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="kerasguide-grade")
    futures = [pool.submit(_grade_one, task, path, references, stop) for path in pending]
    try:
        references.result()  # raised here first, before any grade is written
        for future in cf.as_completed(futures):
            record = future.result()
            if record is not None:
                yield record
    except BaseException:
        stop.set()
        pool.shutdown(wait=False, cancel_futures=True)
        kill_all()
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        loader.shutdown(wait=True)
        from kerasguide.grading import _host

        _host.settle()  # no kernel of this batch outlives it


def _references(assignment: Assignment) -> References:
    from kerasguide.grading._score import References

    references = References(assignment)
    for exercise in assignment.exercises:
        references.get(exercise)
    return references


def _stop_if_broken(done: cf.Future[References], stop: threading.Event) -> None:
    if done.exception() is not None:
        from kerasguide.grading._kernel import kill_all

        stop.set()
        kill_all()


def _grade_one(
    task: Task, path: Path, references: cf.Future[References], stop: threading.Event
) -> StudentRecord | None:
    from kerasguide.grading._kernel import Prepare, run_notebook
    from kerasguide.grading._score import score_exercise
    from kerasguide.grading._scrub import scrub_data, scrub_run

    if stop.is_set():
        return None
    exercises = task.assignment.exercises
    student, key = task.student(path), task.key(path)
    before = _out.attempts(task.output, student, key)
    if before >= 2:
        run = _grader_stopped()
    else:
        prepare = Prepare(task.assignment.files, task.assignment.setup)
        run = run_notebook(path, exercises, task.limits, trusted=task.trusted, prepare=prepare)
    scrub_run(run)  # no path of this machine in what the student and the gradebook see
    if stop.is_set() or references.exception() is not None:
        _discard(run.models)
        _out.undo_attempt(task.output, student, key, before)  # the caller stopped: no death
        return None
    scored = [
        score_exercise(
            e, run.models.get(e.name, "not-run: the notebook did not run"), references.result()
        )
        for e in exercises
    ]
    if stop.is_set():
        _out.undo_attempt(task.output, student, key, before)
        return None
    record = scrub_data(_record(task, path, run, scored))
    _out.write_student(task.output, record, _out.notebook_html(run.notebook), run.log)
    return record


def _grader_stopped() -> Run:
    from kerasguide.grading._kernel import Run
    from kerasguide.grading._reasons import GRADER_STOPPED

    return Run(status="grader-stopped", reason=GRADER_STOPPED)


def _discard(models: Mapping[str, Path | str]) -> None:
    """Delete the model files of a run that will not be scored."""
    for model in models.values():
        if isinstance(model, Path):
            shutil.rmtree(model.parent, ignore_errors=True)


def _record(task: Task, path: Path, run: Run, scored: list[ExerciseResult]) -> StudentRecord:
    return {
        "student": task.student(path),
        "notebook": path.name,
        "key": task.key(path),
        "title": task.assignment.title,
        "status": run.status,
        "reason": run.reason,
        "errors": run.errors,
        "seconds": round(run.seconds, 2),
        "score": round(sum(s.score for s in scored), 2),
        "max_score": task.assignment.points,
        "exercises": [s.to_dict() for s in scored],
    }


def progress(progress: bool | Callable[[S], None], total: int, skipped: int) -> Callable[[S], None]:
    if callable(progress):
        return progress
    if not progress:
        return lambda submission: None
    if skipped:
        print(
            f"{skipped} of {total} already graded (pass --regrade to grade them again)",
            file=sys.stderr,
        )
    state = {"done": skipped, "start": time.monotonic()}

    def report(submission: S) -> None:
        state["done"] += 1
        done = int(state["done"])
        bar = "#" * (20 * done // max(total, 1))
        line = (
            f"[{bar:<20}] {done}/{total} {submission.student}: "
            f"{submission.score:g}/{submission.max_score:g} ({submission.status})"
        )
        end = "\n" if not sys.stderr.isatty() or done == total else ""
        print(
            ("\r\x1b[K" if sys.stderr.isatty() else "") + line, end=end, file=sys.stderr, flush=True
        )

    return report


def _out_of_sight(assignment: Assignment, submissions: Path, output: Path) -> None:
    """Refuse references, data, submissions or outputs that every kernel could read.

    The sandbox shows each kernel the system and Python (``/usr``, ``/etc``, the
    venv, kerasguide) read-only: what an instructor keeps in there is in sight.
    """
    from kerasguide.grading import _sandbox

    places = {
        "the assignment": assignment.path.parent,
        **{f"the reference of {e.name!r}": e.reference for e in assignment.exercises},
        **{f"files: {relative}": source for relative, source in assignment.files},
        "the submissions": submissions,
        "the output folder": output,
    }
    for what, path in places.items():
        bound = _sandbox.in_sight(path)
        if bound is not None:
            raise FileError(
                f"{what} would be in sight of every student's kernel",
                where=str(path),
                expected="a folder outside what the sandbox shows every kernel (the "
                "system's /usr and /etc, Python, its packages and kerasguide)",
                received=f"inside {bound}, which every kernel can read",
                hint="move it elsewhere, e.g. under your home folder or /srv",
            )
