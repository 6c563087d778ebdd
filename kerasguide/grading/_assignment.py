"""The assignment file of ``kerasguide grade``: read safely, checked with where/expected/hint.

Private to :mod:`kerasguide.grading`. An assignment is YAML (or JSON)::

    title: "Week 3: a first classifier"
    limits: {notebook_seconds: 120, cell_seconds: 60, memory_mb: 4096}
    exercises:
      - name: classifier
        variable: model                    # or [model, clf]: the first that is set
                                           # or call: build_model (a function, no args)
                                           # or file: classifier.keras
        reference: {spec: classifier.yaml}   # or keras: x.keras, or summary: x.txt
        checks: [model]                    # model, summary, params
        points: 10
        deductions: {config: 3, extra: 4, default: 0}

Paths are relative to the assignment file. The document goes through the same
reader as a spec (safe loader, duplicate keys refused, size and alias limits).
"""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from kerasguide._suggest import did_you_mean
from kerasguide.errors import FileError, SpecError, SpecTypeError
from kerasguide.specs import read_document, read_text

__all__ = ["FINDING_KINDS", "Assignment", "Exercise", "FitCheck", "GradeLimits", "load"]

# Finding.kind values of kerasguide's checks, plus "fit" for the optional training check.
FINDING_KINDS = (
    "type",
    "config",
    "shape",
    "params",
    "input",
    "missing",
    "extra",
    "name",
    "totals",
    "per_layer",
    "layer",
    "initializer",
    "regularizer",
    "constraint",
    "dtype",
    "seed",
    "call",
    "wiring",
    "structure",
    "fit",
)
CHECKS = ("model", "summary", "params")
REFERENCE_KINDS = ("spec", "keras", "summary")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_TOP = ("title", "limits", "exercises")
_EXERCISE = (
    "name",
    "variable",
    "call",
    "file",
    "reference",
    "checks",
    "points",
    "deductions",
    "fit",
)
_FIT = ("data", "loss", "optimizer", "metric", "threshold", "epochs", "batch_size")


@dataclass(frozen=True)
class GradeLimits:
    """Limits of one submission's run (each can be overridden on the command line)."""

    notebook_seconds: float = 600.0
    cell_seconds: float = 120.0
    memory_mb: int = 4096
    model_mb: int = 100


@dataclass(frozen=True)
class FitCheck:
    """A short fit of the student's model on given data (an .npz with ``x`` and ``y``).

    Missing the threshold is a finding of kind ``fit`` (its deduction: ``deductions.fit``).
    """

    data: Path
    loss: str
    metric: str
    threshold: float
    optimizer: str = "adam"
    epochs: int = 1
    batch_size: int = 32


@dataclass(frozen=True)
class Exercise:
    """One exercise: where the student's model is, what it is compared with, the points."""

    name: str
    reference_kind: str
    reference: Path
    points: float
    checks: tuple[str, ...] = ("model",)
    variable: tuple[str, ...] = ()
    file: str | None = None
    deductions: dict[str, float] = field(default_factory=dict)
    fit: FitCheck | None = None
    call: str | None = None

    def deduction(self, kind: str) -> float:
        """Points taken off for one finding of ``kind`` (``default``: all the points)."""
        return self.deductions.get(kind, self.deductions.get("default", self.points))


@dataclass(frozen=True)
class Assignment:
    """A checked assignment file."""

    title: str
    path: Path
    exercises: tuple[Exercise, ...]
    limits: GradeLimits
    digest: str

    @property
    def points(self) -> float:
        """The maximum total score."""
        return sum(exercise.points for exercise in self.exercises)


def load(source: str | os.PathLike[str]) -> Assignment:
    """Read and check an assignment file; raise a ``KerasGuideError`` naming the mistake."""
    path = Path(source)
    try:
        text = read_text(path)
    except FileNotFoundError:
        raise FileError(
            "no such assignment file",
            where=str(path),
            expected="an existing .yaml file",
            received=str(path.resolve()),
            hint="check the path, relative to the current folder",
        ) from None
    except (OSError, UnicodeDecodeError) as err:
        raise FileError(
            "the assignment file cannot be read",
            where=str(path),
            expected="a readable UTF-8 text file",
            received=str(err),
        ) from None
    where = path.name
    data = _keys(_parse(text, path.name), _TOP, where, required=("exercises",))
    title = _string(data.get("title", path.stem), f"{where}: title")
    limits = _limits_of(data.get("limits", {}), f"{where}: limits")
    exercises = _list(data["exercises"], f"{where}: exercises")
    parsed = tuple(
        _exercise(item, f"{where}: exercises[{i}]", path.parent) for i, item in enumerate(exercises)
    )
    _unique([e.name for e in parsed], f"{where}: exercises")
    return Assignment(title, path, parsed, limits, _digest(text, parsed))


def _parse(text: str, name: str) -> object:
    data = read_document(text, name)
    if not isinstance(data, dict):  # a mapping's keys are checked by _keys
        raise SpecTypeError(
            "an assignment must be a mapping",
            where=name,
            expected="`exercises:` and a list",
            received=type(data).__name__,
            hint="see the README's section for instructors",
        )
    return data


def _digest(text: str, exercises: tuple[Exercise, ...]) -> str:
    """A hash of the assignment and every file it names: a change means regrading."""
    digest = hashlib.sha256(text.encode("utf-8"))
    for exercise in exercises:
        for file in (exercise.reference, exercise.fit.data if exercise.fit else None):
            if file is not None:
                digest.update(file.read_bytes())
    return digest.hexdigest()


def _exercise(value: object, where: str, folder: Path) -> Exercise:
    item = _keys(value, _EXERCISE, where, required=("name", "reference", "points"))
    name = _string(item["name"], f"{where}.name")
    if not _NAME.match(name):
        raise SpecError(
            "an exercise name must be a plain identifier",
            where=f"{where}.name",
            expected="letters, digits and _ (it becomes a gradebook column)",
            received=repr(name),
            hint="e.g. classifier_1",
        )
    variable, file, call = item.get("variable"), item.get("file"), item.get("call")
    given = [
        key for key, value in (("variable", variable), ("file", file), ("call", call)) if value
    ]
    if len(given) != 1:
        raise SpecError(
            "say where the student's model is",
            where=where,
            expected="exactly one of `variable:` (a name in the notebook, or a list of names "
            "tried in order), `call:` (a function of the notebook that returns the model) or "
            "`file:` (a .keras file the notebook saves)",
            received=" and ".join(given) if given else "none of them",
        )
    names = _variables(variable, f"{where}.variable") if variable is not None else ()
    if call is not None:
        call = _identifier(_string(call, f"{where}.call"), f"{where}.call", "build_model")
    if file is not None:
        file = _string(file, f"{where}.file")
        _relative_file(file, f"{where}.file")
    kind, reference = _reference(item["reference"], f"{where}.reference", folder)
    listed = _list(item.get("checks", ["model"]), f"{where}.checks")
    checks = tuple(_choice(check, CHECKS, f"{where}.checks[{i}]") for i, check in enumerate(listed))
    if kind == "summary" and "model" in checks:
        raise SpecError(
            "check `model` needs a model as reference",
            where=f"{where}.checks",
            expected="`summary` and `params` with a summary text reference",
            received="model",
            hint="use reference: {spec: ...} or {keras: ...}",
        )
    points = _number(item["points"], f"{where}.points")
    deductions = _deductions(item.get("deductions", {}), f"{where}.deductions")
    fit = _fit(item["fit"], f"{where}.fit", folder) if item.get("fit") is not None else None
    return Exercise(name, kind, reference, points, checks, names, file, deductions, fit, call)


def _variables(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (_identifier(value, where, "model"),)
    listed = _list(value, where)
    if not 1 <= len(listed) <= 10:
        raise SpecError(
            "a list of 1 to 10 variable names",
            where=where,
            expected="e.g. [model, untrained_model]",
            received=f"{len(listed)} names",
        )
    return tuple(
        _identifier(_string(v, f"{where}[{i}]"), f"{where}[{i}]", "model")
        for i, v in enumerate(listed)
    )


def _identifier(text: str, where: str, example: str) -> str:
    if not _NAME.match(text):
        raise SpecError(
            "not a Python variable name",
            where=where,
            expected=f"an identifier such as {example}",
            received=repr(text),
        )
    return text


def _reference(value: object, where: str, folder: Path) -> tuple[str, Path]:
    if not isinstance(value, dict) or len(value) != 1:
        raise SpecError(
            "a reference names one file",
            where=where,
            expected="one of {spec: FILE.yaml}, {keras: FILE.keras}, {summary: FILE.txt}",
            received=repr(value)[:80],
        )
    ((key, file),) = value.items()
    kind = _choice(key, REFERENCE_KINDS, f"{where} key")
    return kind, _existing(_string(file, f"{where}.{kind}"), f"{where}.{kind}", folder)


def _fit(mapping: object, where: str, folder: Path) -> FitCheck:
    value = _keys(mapping, _FIT, where, required=("data", "loss", "metric", "threshold"))
    return FitCheck(
        data=_existing(_string(value["data"], f"{where}.data"), f"{where}.data", folder),
        loss=_string(value["loss"], f"{where}.loss"),
        metric=_string(value["metric"], f"{where}.metric"),
        threshold=_number(value["threshold"], f"{where}.threshold"),
        optimizer=_string(value.get("optimizer", "adam"), f"{where}.optimizer"),
        epochs=int(_number(value.get("epochs", 1), f"{where}.epochs")),
        batch_size=int(_number(value.get("batch_size", 32), f"{where}.batch_size")),
    )


def _limits_of(mapping: object, where: str) -> GradeLimits:
    fields = ("notebook_seconds", "cell_seconds", "memory_mb", "model_mb")
    value = _keys(mapping, fields, where)
    numbers = {key: _number(value[key], f"{where}.{key}", positive=True) for key in value}
    default = GradeLimits()
    return GradeLimits(
        notebook_seconds=numbers.get("notebook_seconds", default.notebook_seconds),
        cell_seconds=numbers.get("cell_seconds", default.cell_seconds),
        memory_mb=int(numbers.get("memory_mb", default.memory_mb)),
        model_mb=int(numbers.get("model_mb", default.model_mb)),
    )


def _deductions(mapping: object, where: str) -> dict[str, float]:
    value = _keys(mapping, (*FINDING_KINDS, "default"), where)
    return {key: _number(points, f"{where}.{key}") for key, points in value.items()}


# --- small checks ---------------------------------------------------------------------


def _keys(
    value: object, allowed: tuple[str, ...], where: str, *, required: tuple[str, ...] = ()
) -> dict[str, object]:
    """``value`` as a mapping, once it is one and its keys are among ``allowed``."""
    if not isinstance(value, dict):
        raise SpecTypeError(
            "expected a mapping",
            where=where,
            expected=f"keys among {', '.join(allowed)}",
            received=type(value).__name__,
        )
    for key in value:
        if key not in allowed:
            raise SpecError(
                f"unknown key {key!r}",
                where=f"{where}.{key}",
                expected=f"one of {', '.join(allowed)}",
                received=repr(key),
                hint=did_you_mean(str(key), allowed),
            )
    for key in required:
        if key not in value:
            raise SpecError(
                f"`{key}:` is missing",
                where=where,
                expected=f"a `{key}:` entry",
                received=f"keys {', '.join(map(str, value)) or 'none'}",
            )
    return {str(key): item for key, item in value.items()}


def _choice(value: object, allowed: tuple[str, ...], where: str) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise SpecError(
            "unknown value",
            where=where,
            expected=f"one of {', '.join(allowed)}",
            received=repr(value),
            hint=did_you_mean(str(value), allowed),
        )
    return value


def _string(value: object, where: str) -> str:
    if not isinstance(value, str) or not value:
        raise SpecTypeError(
            "expected a non-empty string", where=where, expected="text", received=repr(value)[:80]
        )
    return value


def _number(value: object, where: str, *, positive: bool = False) -> float:
    if (
        isinstance(value, bool)
        or not isinstance(value, (int, float))
        or value < 0
        or (positive and value == 0)
    ):
        raise SpecTypeError(
            "expected a number",
            where=where,
            expected="a number > 0" if positive else "a number >= 0",
            received=repr(value)[:80],
        )
    return float(value)


def _list(value: object, where: str) -> list[object]:
    if not isinstance(value, list) or not value:
        raise SpecTypeError(
            "expected a non-empty list",
            where=where,
            expected="a YAML list",
            received=repr(value)[:80],
        )
    return value


def _unique(names: list[str], where: str) -> None:
    for name in names:
        if names.count(name) > 1:
            raise SpecError(
                "two exercises have one name",
                where=where,
                expected="unique names",
                received=repr(name),
            )


def _relative_file(text: str, where: str) -> None:
    path = Path(text)
    if path.is_absolute() or ".." in path.parts or path.suffix != ".keras":
        raise SpecError(
            "the file must be a .keras file inside the notebook's folder",
            where=where,
            expected="a relative name such as classifier.keras",
            received=repr(text),
        )


def _existing(text: str, where: str, folder: Path) -> Path:
    path = folder / text
    if not path.is_file():
        raise FileError(
            "no such file",
            where=where,
            expected="a file, relative to the assignment file",
            received=str(path),
            hint=did_you_mean(Path(text).name, _siblings(path)),
        )
    return path


def _siblings(path: Path) -> list[str]:
    return [p.name for p in path.parent.iterdir()] if path.parent.is_dir() else []
