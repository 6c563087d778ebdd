"""Score one exercise: load the student's model safely, run kerasguide's checks, deduct.

Private to :mod:`kerasguide.grading`. Runs in the grader's process, never in the
student's kernel: the references are read here only.
"""

from __future__ import annotations

import shutil
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from kerasguide._types import KerasModel
from kerasguide.errors import KerasGuideError
from kerasguide.grading._assignment import Assignment, Exercise, FitCheck
from kerasguide.grading._record import ExerciseRecord, FindingRecord

if TYPE_CHECKING:
    import numpy as np

    from kerasguide._finding import Finding
    from kerasguide.checks import CheckResult
    from kerasguide.summary import Summary

__all__ = ["ExerciseResult", "References", "score_exercise"]

# Keras keeps process-wide state (name counters, the session): one scoring at a time.
LOCK = threading.Lock()


@dataclass
class ExerciseResult:
    """The score of one exercise and why.

    ``status`` is ``graded`` when the model was checked; otherwise why there is
    no model: ``missing``, ``not-a-model``, ``unsaved``, ``unloadable``, ``not-run``
    or ``check-error``.
    """

    name: str
    score: float
    max_score: float
    status: str
    reason: str = ""
    findings: list[FindingRecord] = field(default_factory=list)

    def to_dict(self) -> ExerciseRecord:
        """Plain data, as stored in the records and findings.json."""
        return {
            "name": self.name,
            "score": self.score,
            "max_score": self.max_score,
            "status": self.status,
            "reason": self.reason,
            "findings": self.findings,
        }


class References:
    """The assignment's reference models and summaries, each read once."""

    def __init__(self, assignment: Assignment) -> None:
        self._assignment = assignment
        self._cache: dict[str, KerasModel | Summary] = {}

    def get(self, exercise: Exercise) -> KerasModel | Summary:
        """A Keras model (spec or .keras reference) or a Summary (summary text)."""
        if exercise.name not in self._cache:
            self._cache[exercise.name] = _load_reference(exercise)
        return self._cache[exercise.name]


def _load_reference(exercise: Exercise) -> KerasModel | Summary:
    if exercise.reference_kind == "spec":
        from kerasguide.build import build

        return build(exercise.reference)
    if exercise.reference_kind == "keras":
        from kerasguide._inputs import load_keras

        model: KerasModel = load_keras(exercise.reference)
        return model
    from kerasguide.parse import parse_summary
    from kerasguide.specs import read_text

    return parse_summary(read_text(exercise.reference))


def score_exercise(exercise: Exercise, model: Path | str, references: References) -> ExerciseResult:
    """Grade one exercise from the model file (or the reason why there is none)."""
    if isinstance(model, str):
        status, _, reason = model.partition(": ")
        return ExerciseResult(exercise.name, 0.0, exercise.points, status, reason)
    try:
        with LOCK:
            return _checked(exercise, model, references)
    finally:
        shutil.rmtree(model.parent, ignore_errors=True)


def _checked(exercise: Exercise, path: Path, references: References) -> ExerciseResult:
    from kerasguide._inputs import load_keras

    try:
        student: KerasModel = load_keras(path)
    except KerasGuideError as err:
        loaded = _from_spec(path.parent, err)
        if isinstance(loaded, str):
            return ExerciseResult(exercise.name, 0.0, exercise.points, "unloadable", loaded)
        student = loaded
    _compile_as_saved(student, path)
    try:
        findings = _findings(exercise, student, references.get(exercise))
    except Exception as err:  # the grader's failure, said as such: a zero, not a crash
        return ExerciseResult(
            exercise.name, 0.0, exercise.points, "check-error", check_error_reason(err)
        )
    lost = exercise.lost([(f["kind"], f["deduction"]) for f in findings])
    score = max(0.0, exercise.points - lost)
    return ExerciseResult(exercise.name, round(score, 2), exercise.points, "graded", "", findings)


def check_error_reason(err: Exception) -> str:
    """Why an exercise is ``check-error``: the grader's checks failed, not the student."""
    first = str(err).splitlines()[0][:200] if str(err) else ""
    return (
        f"the grader's checks failed on this model ({type(err).__name__}: {first}); this is "
        "the grader's failure, not the notebook's: the instructor will look at it"
    )


_CONFIG_BYTES = 16 * 2**20  # a .keras file's config.json read for its loss, at most


def _compile_as_saved(model: KerasModel, path: Path) -> None:
    """Compile the loaded model with the loss and metrics the student compiled it with,
    when Keras names them (a loss of ``keras.losses``, metrics by name), so that the
    hints that read the loss see it. The model is loaded uncompiled, and nothing the
    file names is imported: a loss is looked up in ``keras.losses`` only."""
    import json
    import zipfile

    from kerasguide._keras import keras

    try:
        with zipfile.ZipFile(path) as archive:
            info = archive.getinfo("config.json")
            if info.file_size > _CONFIG_BYTES:
                return
            saved = json.loads(archive.read(info)).get("compile_config") or {}
        loss, metrics = saved.get("loss"), saved.get("metrics")
        if isinstance(loss, dict) and loss.get("module") == "keras.losses":
            loss = keras().losses.deserialize(loss)
        if not isinstance(metrics, list) or not all(isinstance(m, str) for m in metrics):
            metrics = None
        if loss is not None and not isinstance(loss, dict):
            model.compile(loss=loss, metrics=metrics)
    except Exception:  # no compile config Keras can read: the hints go without the loss
        return


def _from_spec(folder: Path, err: KerasGuideError) -> KerasModel | str:
    """The model from the spec the kernel wrote beside an unloadable ``.keras``, or why not.

    Keras cannot load a model whose config holds a function (``activation=tf.nn.softmax``);
    the kernel then writes it with ``to_spec``, and the spec is read as any spec is:
    :func:`~kerasguide.load_spec` with all its limits, so the trust boundary holds.
    """
    from kerasguide.build import build
    from kerasguide.specs import load_spec

    spec = folder / "spec.yaml"
    if not spec.is_file():
        return unloadable_reason(err, _why(folder))
    try:
        model: KerasModel = build(load_spec(spec))
    except KerasGuideError as spec_err:
        return f"{err.problem}; its spec could not be built either: {spec_err.problem}"
    return model


def _why(folder: Path) -> str:
    """What the kernel said of a model it could not write as a spec (``why.txt``), or ''."""
    why = folder / "why.txt"
    return why.read_text(encoding="utf-8")[:1000] if why.is_file() else ""


def unloadable_reason(err: KerasGuideError, why: str) -> str:
    """Why a model is ``unloadable``: what the kernel named (the layer, what to change),
    else Keras's words and ``load_keras``'s hint."""
    if why:
        return f"Keras cannot load the saved model again: {why}"
    hint = f" — {err.hint}" if err.hint else ""
    if not (err.received or "").startswith("Keras says: "):  # refused before Keras loaded it
        return f"{err.problem}: {err.received}{hint}" if err.received else f"{err.problem}{hint}"
    said = (err.received or "").removeprefix("Keras says: ")
    return f"Keras cannot load the saved model again ({said}){hint}"


def _findings(
    exercise: Exercise, student: KerasModel, reference: KerasModel | Summary
) -> list[FindingRecord]:
    from kerasguide.checks import check_model, check_params, check_summary
    from kerasguide.summary import Summary

    results = []
    for check in exercise.checks:
        if check == "summary":
            results.append(check_summary(student, reference))
        elif check == "params":
            total = reference.total if isinstance(reference, Summary) else reference.count_params()
            results.append(check_params(student, total=total))
        elif isinstance(reference, Summary):  # refused when the assignment is loaded
            raise TypeError("check `model` needs a model as reference")
        else:
            results.append(check_model(student, reference))
    findings: list[FindingRecord] = [
        {
            "where": f.where,
            "message": f.message,
            "hint": f.hint,
            "kind": f.kind,
            "layer": f.layer,
            "check": r.check,
            "deduction": exercise.deduction(f.kind),
        }
        for r in results
        for f in r.findings
        if not _repeated(f, r.check, results)
    ]
    findings += _hints(student, reference, findings, exercise.deduction("hint"))
    if exercise.fit is not None:
        findings += _fit(student, exercise.fit, exercise.deduction("fit"))
    return findings


def _hints(
    student: KerasModel,
    reference: KerasModel | Summary,
    findings: list[FindingRecord],
    deduction: float,
) -> list[FindingRecord]:
    """kerasguide.lint's hints about the student's model, as findings of kind ``hint``.

    Left out: a hint the reference has too, and one a finding already carries in its
    hint (``check_model`` adds them there). Free unless the assignment prices ``hint``.
    """
    from kerasguide._lint import lint_model
    from kerasguide.summary import Summary

    try:
        hints = lint_model(student)
        known = set() if isinstance(reference, Summary) else {h.code for h in lint_model(reference)}
    except Exception:  # advice that cannot be had never costs the student the exercise
        return []
    said = " ".join(f["hint"] or "" for f in findings)
    return [
        {
            "where": hint.where,
            "message": hint.message,
            "hint": f"probably meant: {hint.meant} [{hint.code}]",
            "kind": "hint",
            "layer": hint.layer,
            "check": "lint",
            "deduction": deduction,
        }
        for hint in hints
        if hint.code not in known and f"[{hint.code}]" not in said
    ]


def _repeated(finding: Finding, check: str, results: list[CheckResult]) -> bool:
    """``params``'s totals when ``model`` or ``summary`` already said them."""
    return (
        check == "check_params"
        and finding.kind == "totals"
        and any(r.check != check and any(f.kind == "totals" for f in r.findings) for r in results)
    )


class _FitHistory(Protocol):
    history: dict[str, list[float]]


@runtime_checkable
class _Trainable(Protocol):
    """What the fit check uses of a model (any Keras model has it)."""

    def compile(self, *, optimizer: str, loss: str, metrics: list[str]) -> None: ...
    def fit(
        self, x: np.ndarray, y: np.ndarray, *, epochs: int, batch_size: int, verbose: int
    ) -> _FitHistory: ...


def _fit(model: KerasModel, fit: FitCheck, deduction: float) -> list[FindingRecord]:
    """Train briefly on the given data; a finding when the metric misses the threshold."""
    import numpy as np

    if not isinstance(model, _Trainable):
        raise TypeError(f"a {type(model).__name__} cannot be trained")

    with np.load(fit.data, allow_pickle=False) as data:
        x, y = data["x"], data["y"]
    model.compile(optimizer=fit.optimizer, loss=fit.loss, metrics=[fit.metric])
    history = model.fit(x, y, epochs=fit.epochs, batch_size=fit.batch_size, verbose=0)
    value = float(history.history[fit.metric][-1])
    if value >= fit.threshold:
        return []
    return [
        {
            "where": "model",
            "kind": "fit",
            "layer": None,
            "check": "fit",
            "message": f"after {fit.epochs} epoch{'' if fit.epochs == 1 else 's'} of training, "
            f"{fit.metric} is {value:.3f}, "
            f"below the {fit.threshold:g} expected",
            "hint": "check the output layer's activation and the loss the task needs",
            "deduction": deduction,
        }
    ]
