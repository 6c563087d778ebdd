"""How a graded notebook's run is told, without kernels.

Each status's headline (the first line of the feedback), which errors are the
grading machine's rather than the student's, how the grader's own failures are
counted, the assignment's `setup:` (outside the notebook's time, its failure the
instructor's), the per-exercise cap `max:`, and the layer named when Keras cannot
load a student's model again. The same paths through real kernels are graded in
tests/test_grade.py and tests/test_grade_class.py.
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
import re
import time
import warnings
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from types import SimpleNamespace
from typing import Any

import pytest

from kerasguide.grading import _kernel, _reasons
from kerasguide.grading._assignment import Exercise, GradeLimits
from kerasguide.grading._output import exercise_text, gradebook_csv, run_text, write_class
from kerasguide.grading._record import ExerciseRecord, StudentRecord

WORK = "/kerasguide-kernel/work"
MISSING = "[Errno 2] No such file or directory: {!r}"
FETCH = (  # keras.datasets.mnist.load_data() offline (keras/src/utils/file_utils.py)
    "URL fetch failure on https://storage.googleapis.com/tensorflow/tf-keras-datasets/"
    "mnist.npz: None -- [Errno -3] Temporary failure in name resolution"
)


def _record(status: str, reason: str, exercises: list[ExerciseRecord] | None = None) -> Any:
    record: StudentRecord = {
        "student": "ada",
        "notebook": "ada.ipynb",
        "key": "k",
        "title": "Week 5",
        "status": status,
        "reason": reason,
        "errors": [],
        "seconds": 1.0,
        "score": 0.0,
        "max_score": 10.0,
        "exercises": exercises or [],
    }
    return record


# --- the headline -------------------------------------------------------------------

HEADLINES = [
    ("ok", "", "The notebook ran to the end."),
    (
        "error",
        "the cell In [3] raised RuntimeError: I did not finish this exercise",
        "The cell In [3] raised RuntimeError: I did not finish this exercise.",
    ),
    (
        "environment",
        "the cell In [2] raised FileNotFoundError: a file the notebook reads is not there: "
        "data/x.npz — if the assignment should provide it, list it under `files:`",
        "Because of the grading machine, not the notebook's code, the cell In [2] raised "
        "FileNotFoundError: a file the notebook reads is not there: data/x.npz — if the "
        "assignment should provide it, list it under `files:`.",
    ),
    (
        "environment",
        f"the cell In [2] raised Exception: {FETCH} — there is no network where notebooks are "
        "graded: data must come with the assignment's `files:`",
        f"Because of the grading machine, not the notebook's code, the cell In [2] raised "
        f"Exception: {FETCH} — there is no network where notebooks are graded: data must come "
        "with the assignment's `files:`.",
    ),
    (
        "setup-error",
        "the instructor's setup code raised NameError: name 'DIGITS' is not defined",
        "The notebook was not run because the instructor's setup code raised NameError: "
        "name 'DIGITS' is not defined.",
    ),
    (
        "timeout",
        "the cell In [3] ran over its limit of 5 s",
        "The cell In [3] ran over its limit of 5 s and was stopped.",
    ),
    (
        "timeout",
        "the notebook ran over its limit of 60 s",
        "The notebook ran over its limit of 60 s and was stopped.",
    ),
    (
        "memory",
        "the cell In [3] ran out of memory (cap: 4096 MB)",
        "The cell In [3] ran out of memory (cap: 4096 MB).",
    ),
    (
        "memory",
        "the notebook's kernel was killed over its memory cap of 4096 MB (DeadKernelError: "
        "Kernel died)",
        "The notebook's kernel was killed over its memory cap of 4096 MB (DeadKernelError: "
        "Kernel died).",
    ),
    (
        "kernel-died",
        "the notebook's kernel stopped (DeadKernelError: Kernel died)",
        "The notebook's kernel stopped (DeadKernelError: Kernel died).",
    ),
    (
        "invalid-notebook",
        "the file is not a readable notebook (JSONDecodeError: Expecting value: line 1 column 13 "
        "(char 12))",
        "The file is not a readable notebook (JSONDecodeError: Expecting value: line 1 column 13 "
        "(char 12)).",
    ),
    (
        "grader-stopped",
        "the grader stopped twice while this notebook ran, so it was not run again (pass "
        "--regrade to run it once more)",
        "The grader stopped twice while this notebook ran, so it was not run again (pass "
        "--regrade to run it once more).",
    ),
]


@pytest.mark.no_keras
@pytest.mark.parametrize(("status", "reason", "expected"), HEADLINES)
def test_every_status_has_one_grammatical_headline(status: str, reason: str, expected: str) -> None:
    text = run_text(_record(status, reason))
    assert text == expected
    assert text[0].isupper()
    assert text.endswith(".")
    words = re.findall(r"[a-z']+", text.lower().replace(FETCH.lower(), ""))
    triples = [tuple(words[i : i + 3]) for i in range(len(words) - 2)]
    assert len(triples) == len(set(triples)), f"a phrase said twice: {text}"


@pytest.mark.no_keras
def test_every_status_has_a_headline_and_is_documented() -> None:
    import kerasguide as kg
    from kerasguide.grading._output import HEADLINES as TEMPLATES

    assert {status for status, _, _ in HEADLINES} == set(TEMPLATES)
    for status in TEMPLATES:
        assert f"``{status}``" in (kg.GradedSubmission.__doc__ or ""), status
        assert f"``{status}``" in (_kernel.Run.__doc__ or ""), status
    assert "``check-error``" in (kg.GradedSubmission.__doc__ or "")


@pytest.mark.no_keras
def test_the_reasons_are_the_ones_the_headlines_are_written_for() -> None:
    """The table's reasons are what the grader writes (so that the table tests them)."""
    reasons = {reason for _, reason, _ in HEADLINES}
    assert _reasons.GRADER_STOPPED in reasons
    assert _reasons.setup_failed("NameError", "name 'DIGITS' is not defined") in reasons
    assert _reasons.stopped("kernel-died", "DeadKernelError: Kernel died", 4096) in reasons
    assert _reasons.stopped("memory", "DeadKernelError: Kernel died", 4096) in reasons
    err = json.JSONDecodeError("Expecting value", "{" + " " * 11 + "x", 12)
    assert _reasons.invalid_notebook(err) in reasons
    cause = _reasons.environment_cause("FileNotFoundError", MISSING.format("data/x.npz"), work=WORK)
    assert f"the cell In [2] raised FileNotFoundError: {cause}" in reasons
    cause = _reasons.environment_cause("Exception", FETCH, work=WORK)
    assert f"the cell In [2] raised Exception: {cause}" in reasons
    assert _reasons.setup_timeout(120) == "the instructor's setup code ran over its limit of 120 s"


@pytest.mark.no_keras
def test_differences_are_counted_in_words() -> None:
    finding = {
        "where": "layer 1 (Dense)",
        "message": "expected 16 units, found 32",
        "hint": None,
        "kind": "config",
        "layer": "dense",
        "check": "check_model",
        "deduction": 3.0,
    }
    exercise: Any = {**_exercise(), "score": 7.0, "findings": [finding]}
    assert exercise_text(exercise).splitlines()[0] == (
        "cnn: 7/10. 1 difference from the reference:"
    )
    exercise["findings"] = [finding, finding]
    assert exercise_text(exercise).splitlines()[0] == (
        "cnn: 7/10. 2 differences from the reference:"
    )


# --- the environment or the student ---------------------------------------------------------


@pytest.mark.no_keras
@pytest.mark.parametrize(
    ("ename", "evalue", "sources", "cause"),
    [
        # the course's data cell, offline: Keras's own exception, urllib's, socket's, requests'
        ("Exception", FETCH, [], _reasons.NO_NETWORK),
        ("URLError", "<urlopen error [Errno -3] Temporary failure in name resolution>", [],
         _reasons.NO_NETWORK),
        ("gaierror", "[Errno -2] Name or service not known", [], _reasons.NO_NETWORK),
        ("HTTPError", "HTTP Error 403: Forbidden", [], _reasons.NO_NETWORK),
        ("ConnectionError", "HTTPSConnectionPool(host='x.org', port=443): Max retries "
         "exceeded", [], _reasons.NO_NETWORK),
        ("OSError", "[Errno 101] Network is unreachable", [], _reasons.NO_NETWORK),
        ("ModuleNotFoundError", "No module named 'seaborn'", [], _reasons.MISSING_PACKAGE),
        # a file the assignment could have given
        ("FileNotFoundError", MISSING.format("mnist.npz"), [], "a file the notebook reads is "
         "not there: mnist.npz — if the assignment should provide it, list it under `files:`"),
        ("FileNotFoundError", MISSING.format("data/x.npz"), ["np.load('data/x.npz')"],
         "a file the notebook reads is not there: data/x.npz"),
        ("FileNotFoundError", MISSING.format(f"{WORK}/data/x.npz"), [],
         "a file the notebook reads is not there: data/x.npz"),  # shown without the folder
        # the student's: outside the work folder, the notebook's own files, no path at all
        ("FileNotFoundError", MISSING.format("/etc/answers.yaml"), [], None),
        ("FileNotFoundError", MISSING.format("../assignment/classifier.yaml"), [], None),
        ("FileNotFoundError", MISSING.format("/tmp/reference.yaml"), [], None),
        ("FileNotFoundError", MISSING.format("features.npy"),
         ["x = 1", "np.save('features.npy', x)", "np.load('features.npy')"], None),
        ("FileNotFoundError", MISSING.format("out.csv"), ["df.to_csv(\"out.csv\")"], None),
        ("FileNotFoundError", MISSING.format("notes.txt"),
         ["with open('notes.txt', mode='w') as f:\n    f.write('x')"], None),
        ("FileNotFoundError", MISSING.format("copy.npz"), ["shutil.copy(src, 'copy.npz')"],
         None),
        ("FileNotFoundError", "no reference found in ['classifier.yaml']", [], None),
        ("FileNotFoundError", MISSING.format("notes.txt"), ["open('notes.txt').read()"],
         "a file the notebook reads is not there: notes.txt"),  # read, not written
        ("RuntimeError", "I did not finish this exercise", [], None),
        ("TimeoutError", "over the time limit", [], None),
    ],
)  # fmt: skip
def test_the_environment_is_told_from_the_student(
    ename: str, evalue: str, sources: list[str], cause: str | None
) -> None:
    found = _reasons.environment_cause(ename, evalue, work=WORK, sources=sources)
    if cause is None:
        assert found is None
    else:
        assert found is not None
        assert cause in found, found


# --- the grader's own failures ------------------------------------------------------------


def _exercise(status: str = "graded", reason: str = "") -> ExerciseRecord:
    return {"name": "cnn", "score": 0.0, "max_score": 10.0, "status": status, "reason": reason,
            "findings": []}  # fmt: skip


@pytest.mark.no_keras
def test_the_graders_failures_are_counted_apart_per_cause(tmp_path: Path) -> None:
    from kerasguide.grading._batch import _grader_stopped
    from kerasguide.grading._score import check_error_reason

    stopped = _grader_stopped()
    assert stopped.status == "grader-stopped"  # the grader's side, not the student's `error`
    checks = check_error_reason(AttributeError("'str' object has no attribute 'get'"))
    file = _reasons.environment_cause("FileNotFoundError", MISSING.format("a.npz"), work=WORK)
    rows = {
        "a_file": _record("environment", f"the cell In [2] raised FileNotFoundError: {file}"),
        "b_file": _record("environment", f"the cell In [1] raised FileNotFoundError: {file}"),
        "c_net": _record("environment", "the cell In [1] raised Exception: "
                         + str(_reasons.environment_cause("Exception", FETCH, work=WORK))),
        "d_setup": _record("setup-error", _reasons.setup_failed("KeyError", "'DIGITS'")),
        "e_stop": _record(stopped.status, stopped.reason),
        "f_checks": _record("ok", "", [_exercise("check-error", checks)]),
        "g_error": _record("error", "the cell In [1] raised RuntimeError: no"),
    }  # fmt: skip
    for name, row in rows.items():
        row["student"] = name
    write_class(tmp_path, rows, ["cnn"])
    overview = (tmp_path / "overview.html").read_text()
    part = overview.split("Failures of the grading machine, not of students")[1].split("</ul>")[0]
    assert re.findall(r"<li>(\d+): (.*?)</li>", part) == [
        ("2", "a file the notebook reads is not there"),
        ("1", "the grader stopped twice while the notebook ran (it was not run again)"),
        ("1", "the grader&#x27;s checks failed on a model of cnn"),
        ("1", "the instructor&#x27;s setup code failed (the notebook was not run)"),
        ("1", "there is no network where notebooks are graded"),
    ]
    gradebook = list(csv.DictReader(io.StringIO(gradebook_csv(list(rows.values()), ["cnn"]))))
    by_name = {row["student"]: row for row in gradebook}
    assert by_name["e_stop"]["status"] == "grader-stopped"
    assert by_name["f_checks"]["reason"] == f"cnn: {checks}"
    assert checks.startswith("the grader's checks failed on this model (AttributeError: ")
    assert "the grader's failure, not the notebook's" in checks
    assert run_text(rows["e_stop"]).startswith("The grader stopped twice")


# --- setup: before the notebook, outside its time -------------------------------------------


class _FakeClient:
    """What _execute uses of nbclient's client: each cell is "run" by ``behave``."""

    def __init__(self, behave: Any) -> None:
        self.timeout: int | None = None
        self.behave = behave
        self.ran: list[int] = []
        self.timeouts: list[int | None] = []

    @contextlib.contextmanager
    def setup_kernel(self, **_: object) -> Iterator[None]:
        yield

    def execute_cell(self, cell: Any, index: int) -> None:
        self.ran.append(index)
        self.timeouts.append(self.timeout)
        self.behave(cell)

    def _cleanup_kernel(self) -> None:
        pass


def _execute_with(monkeypatch: pytest.MonkeyPatch, behave: Any, setup: str) -> dict[str, Any]:
    """_execute with a client that runs nothing: what ran, when the notebook's time started."""
    from nbformat.v4 import new_code_cell, new_notebook

    client = _FakeClient(behave)
    seen: dict[str, Any] = {"client": client}

    def cells(*args: Any, **kwargs: Any) -> None:
        seen["deadline"] = kwargs["deadline"] if "deadline" in kwargs else args[2]
        seen["cells_started"] = time.monotonic()

    km = SimpleNamespace(provisioner=None)
    monkeypatch.setattr(_kernel, "_kernel_manager", lambda box, log: km)
    monkeypatch.setattr(_kernel, "_client", lambda nb, km, limits: client)
    monkeypatch.setattr(_kernel, "_cells", cells)
    limits = GradeLimits(notebook_seconds=60, cell_seconds=5)
    box = SimpleNamespace(limits=limits, trusted=True, work=PurePosixPath("/w"), seal=dict,
                          environment=dict)  # fmt: skip
    nb = new_notebook(cells=[new_code_cell("model = 1")])  # type: ignore[no-untyped-call]
    run = _kernel.Run()
    _kernel._execute(nb, (), (box, "kg-token", None, setup), run)  # type: ignore[arg-type]
    seen["run"] = run
    return seen


@pytest.mark.no_keras
def test_the_notebooks_time_starts_after_the_setup(monkeypatch: pytest.MonkeyPatch) -> None:
    def behave(cell: Any) -> None:
        if "SLOW_SETUP" in cell.source:
            time.sleep(0.5)

    seen = _execute_with(monkeypatch, behave, "SLOW_SETUP = 1")
    # the notebook's 60 s start once the setup's half second is over
    assert seen["deadline"] >= seen["cells_started"] + 60 - 0.05
    assert seen["client"].timeouts[:2] == [_kernel.LEAD_SECONDS] * 2  # warm-up's, setup's own
    assert seen["run"].status == "ok"


@pytest.mark.no_keras
def test_a_setup_that_raises_or_hangs_is_the_instructors_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from nbclient.exceptions import CellTimeoutError
    from nbformat.v4 import new_output

    def raises(cell: Any) -> None:
        if "DIGITS" in cell.source:
            cell.outputs = [new_output("error", ename="KeyError", evalue="'DIGITS'",  # type: ignore[no-untyped-call]
                                       traceback=[])]  # fmt: skip

    seen = _execute_with(monkeypatch, raises, "DIGITS = os.environ['DIGITS']")
    assert "deadline" not in seen  # the notebook was not run
    assert seen["client"].ran == [0, 1]  # the warm-up and the setup: nothing of the notebook
    run = seen["run"]
    assert (run.status, run.reason) == (
        "setup-error", "the instructor's setup code raised KeyError: 'DIGITS'"
    )  # fmt: skip

    def hangs(cell: Any) -> None:
        if "while" in cell.source:
            raise CellTimeoutError("Cell execution timed out")

    seen = _execute_with(monkeypatch, hangs, "while True:\n    pass")
    assert "deadline" not in seen
    assert (seen["run"].status, seen["run"].reason) == (
        "setup-error", "the instructor's setup code ran over its limit of 120 s"
    )  # fmt: skip


# --- deductions -------------------------------------------------------------------------


@pytest.mark.no_keras
def test_max_caps_what_one_exercise_can_lose(tmp_path: Path) -> None:
    import kerasguide as kg

    (tmp_path / "ref.yaml").write_text("kind: sequential\ninput_shape: [4]\nlayers: [{Dense: 1}]\n")
    (tmp_path / "a.yaml").write_text(
        "exercises:\n  - name: c\n    variable: model\n    reference: {spec: ref.yaml}\n"
        "    points: 10\n    deductions: {config: 3, extra: 4, caps: {config: 5}, max: 6}\n"
    )
    exercise = kg.load_assignment(tmp_path / "a.yaml").exercises[0]
    assert exercise.most == 6
    assert exercise.lost([("config", 3)]) == 3
    assert exercise.lost([("config", 3), ("config", 3)]) == 5  # the config cap
    assert exercise.lost([("config", 3), ("config", 3), ("extra", 4)]) == 6  # max: 5 + 4 → 6
    uncapped = Exercise("c", "spec", tmp_path / "ref.yaml", 10, deductions={"extra": 4})
    assert uncapped.lost([("extra", 4)] * 3) == 10  # without max: at most the points


# --- a model Keras cannot load again ------------------------------------------------------


def _activation(value: Any) -> Any:
    from kerasguide._keras import keras

    k = keras()
    return k.Sequential([k.Input((4,)), k.layers.Dense(3, activation="relu"),
                         k.layers.Dense(2, activation=value)])  # fmt: skip


def test_the_layer_keras_cannot_load_again_is_named() -> None:
    from kerasguide._keras import keras
    from kerasguide.grading._save import unloadable_layer

    k = keras()

    def double(x: Any) -> Any:
        return x * 2

    class Doubling(k.layers.Layer):  # type: ignore[misc,name-defined]
        def call(self, x: Any) -> Any:
            return x * 2

    def named(model: Any) -> str:
        return unloadable_layer(model).replace(model.layers[-1].name, "LAST")

    assert named(_activation(lambda x: x * 2)) == (
        "layer 'LAST' (Dense) uses a Python function (lambda) as its activation — use a "
        "built-in activation such as 'relu'"
    )
    assert "uses a Python function (double) as its activation" in named(_activation(double))
    lam = k.Sequential([k.Input((4,)), k.layers.Lambda(lambda x: x * 2), k.layers.Dense(1)])
    assert re.fullmatch(
        r"layer 'lambda\w*' \(Lambda\) runs Python code, which Keras does not load safely — use "
        r"built-in layers instead \(e\.g\. layers\.Rescaling, layers\.Activation\('relu'\)\)",
        unloadable_layer(lam),
    )
    own = k.Sequential([k.Input((4,)), Doubling(name="twice"), k.layers.Dense(1)])
    assert unloadable_layer(own) == (
        "layer 'twice' (Doubling) is a class the notebook defines, whose code the file does "
        "not hold — use Keras's built-in layers"
    )
    inner = k.Sequential([k.Input((4,)), k.layers.Dense(2, activation=double, name="deep")])
    outer = k.Sequential([k.Input((4,)), inner])
    assert unloadable_layer(outer).startswith("layer 'deep' (Dense) uses a Python function")
    assert unloadable_layer(_activation("softmax")) == ""
    assert unloadable_layer(_activation(k.activations.softmax)) == ""


def test_an_unloadable_model_says_which_layer_and_what_to_change(tmp_path: Path) -> None:
    """The grader's side: the kernel's note (why.txt) is the reason; without one, Keras's
    words and load_keras's hint."""
    from kerasguide.grading._save import unloadable_layer
    from kerasguide.grading._score import score_exercise

    model = _activation(lambda x: x * 2)
    exercise = Exercise("cnn", "spec", tmp_path / "unused.yaml", 10)
    for note in (True, False):
        folder = tmp_path / f"model-{note}"
        folder.mkdir()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras's own warning about the lambda, and numpy's
            model.save(folder / "model.keras")
        if note:
            (folder / "why.txt").write_text(unloadable_layer(model))
        result = score_exercise(exercise, folder / "model.keras", None)  # type: ignore[arg-type]
        assert (result.status, result.score) == ("unloadable", 0)
        if note:
            assert result.reason == (
                f"Keras cannot load the saved model again: layer {model.layers[-1].name!r} "
                "(Dense) uses a Python function (lambda) as its activation — use a built-in "
                "activation such as 'relu'"
            )
        else:
            assert result.reason.startswith("Keras cannot load the saved model again (")
            assert result.reason.endswith(" — save the model again with model.save('model.keras')")
        assert not folder.exists()  # the grader's copy is gone once scored
