"""The assignment file of ``kerasguide grade``: read safely, checked with where/expected/hint.

Private to :mod:`kerasguide.grading`. An assignment is YAML (or JSON)::

    title: "Week 3: a first classifier"
    limits: {notebook_seconds: 120, cell_seconds: 60, memory_mb: 4096}
    files: [data/digits.npz]                 # each kernel finds it there, read-only
    setup: |                                 # run before the notebook, outside its time
      import os; os.environ["DATA"] = "data/digits.npz"
    exercises:
      - name: classifier
        variable: model                    # or [model, clf]: the first that is set
                                           # or call: build_model (a function, no args)
                                           # or file: classifier.keras
        reference: {spec: classifier.yaml}   # or keras: x.keras, or summary: x.txt
        checks: [model]                    # model, summary, params
        points: 10
        deductions: {config: 3, extra: 4, default: 0,
                     caps: {config: 6},             # at most 6 points off for config
                     max: 8}                        # at most 8 off in this exercise

Paths are relative to the assignment file. The document goes through the same
reader as a spec (safe loader, duplicate keys refused, size and alias limits).
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field
from pathlib import Path

from kerasguide.errors import FileError, SpecError, SpecTypeError
from kerasguide.grading._fields import (
    NAME,
    choice,
    existing,
    identifier,
    keys,
    list_of,
    number,
    relative_file,
    string,
    unique,
)
from kerasguide.specs import read_document, read_text

__all__ = ["FINDING_KINDS", "Assignment", "Exercise", "FitCheck", "GradeLimits", "load"]

# Finding.kind values of kerasguide's checks, plus "fit" for the optional training check
# and "hint" for kerasguide.lint's hints about the student's model.
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
    "consequence",
    "fit",
    "hint",
)
# Free unless the assignment prices them: consequences and totals only follow from another
# difference, and a hint is advice about a model that may still match the reference.
FREE_KINDS = ("consequence", "totals", "hint")
CHECKS = ("model", "summary", "params")
REFERENCE_KINDS = ("spec", "keras", "summary")
_TOP = ("title", "limits", "files", "setup", "exercises")
_FILES_MB = 512  # what files: may give each kernel, in all
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
    caps: dict[str, float] = field(default_factory=dict)
    most: float | None = None

    def deduction(self, kind: str) -> float:
        """Points taken off for one finding of ``kind`` (``default``: all the points)."""
        if kind in FREE_KINDS and kind not in self.deductions:
            return 0.0  # a consequence of another finding, which is priced itself
        return self.deductions.get(kind, self.deductions.get("default", self.points))

    def lost(self, deductions: list[tuple[str, float]]) -> float:
        """The points lost for ``(kind, deduction)`` findings: capped per kind, then in all."""
        per_kind: dict[str, float] = {}
        for kind, points in deductions:
            per_kind[kind] = per_kind.get(kind, 0.0) + points
        total = sum(min(points, self.caps.get(kind, points)) for kind, points in per_kind.items())
        return min(total, self.points if self.most is None else self.most)


@dataclass(frozen=True)
class Assignment:
    """A checked assignment file."""

    title: str
    path: Path
    exercises: tuple[Exercise, ...]
    limits: GradeLimits
    digest: str
    files: tuple[tuple[str, Path], ...] = ()
    setup: str = ""

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
    except (OSError, ValueError) as err:  # ValueError: not UTF-8, or a NUL in the path
        raise FileError(
            "the assignment file cannot be read",
            where=str(path),
            expected="a readable UTF-8 text file",
            received=str(err),
        ) from None
    where = path.name
    data = keys(_parse(text, path.name), _TOP, where, required=("exercises",))
    title = string(data.get("title", path.stem), f"{where}: title")
    limits = _limits_of(data.get("limits", {}), f"{where}: limits")
    exercises = list_of(data["exercises"], f"{where}: exercises")
    parsed = tuple(
        _exercise(item, f"{where}: exercises[{i}]", path.parent) for i, item in enumerate(exercises)
    )
    unique([e.name for e in parsed], f"{where}: exercises")
    given = data.get("files")
    files = _files(given, f"{where}: files", path.parent) if given is not None else ()
    setup = string(data["setup"], f"{where}: setup") if data.get("setup") is not None else ""
    digest = _digest(text, parsed, [source for _, source in files])
    return Assignment(title, path, parsed, limits, digest, files, setup)


def _files(value: object, where: str, folder: Path) -> tuple[tuple[str, Path], ...]:
    """``files:``: data each kernel finds, read-only, at the same relative path."""
    found = []
    for i, item in enumerate(list_of(value, where)):
        text = string(item, f"{where}[{i}]")
        relative = Path(text)
        if relative.is_absolute() or ".." in relative.parts or not relative.parts:
            raise SpecError(
                "a file of the assignment must be inside its folder",
                where=f"{where}[{i}]",
                expected="a relative path such as data/digits.npz (the notebook finds it there)",
                received=repr(text),
            )
        found.append((relative.as_posix(), existing(text, f"{where}[{i}]", folder)))
    total = sum(source.stat().st_size for _, source in found)
    if total > _FILES_MB * 2**20:
        raise SpecError(
            "the assignment's files are too large",
            where=where,
            expected=f"at most {_FILES_MB} MB in all (every kernel gets them)",
            received=f"{total:,} bytes",
            hint="give the notebooks a smaller sample of the data",
        )
    return tuple(found)


def _parse(text: str, name: str) -> object:
    data = read_document(text, name)
    if not isinstance(data, dict):  # a mapping's keys are checked by _keys
        raise SpecTypeError(
            "an assignment must be a mapping",
            where=name,
            expected="`exercises:` and a list",
            received=type(data).__name__,
            hint="see the guide's page 'Grading a class' (docs/guide-grading.md)",
        )
    return data


def _digest(text: str, exercises: tuple[Exercise, ...], files: list[Path]) -> str:
    """A hash of the assignment and every file it names: a change means regrading."""
    digest = hashlib.sha256(text.encode("utf-8"))
    named = [*files]
    for exercise in exercises:
        named += [exercise.reference, *([exercise.fit.data] if exercise.fit else [])]
    for file in named:
        digest.update(file.read_bytes())
    return digest.hexdigest()


def _exercise(value: object, where: str, folder: Path) -> Exercise:
    item = keys(value, _EXERCISE, where, required=("name", "reference", "points"))
    name = string(item["name"], f"{where}.name")
    if not NAME.match(name):
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
        call = identifier(string(call, f"{where}.call"), f"{where}.call", "build_model")
    if file is not None:
        file = string(file, f"{where}.file")
        relative_file(file, f"{where}.file")
    kind, reference = _reference(item["reference"], f"{where}.reference", folder)
    listed = list_of(item.get("checks", ["model"]), f"{where}.checks")
    checks = tuple(choice(check, CHECKS, f"{where}.checks[{i}]") for i, check in enumerate(listed))
    if kind == "summary" and "model" in checks:
        raise SpecError(
            "check `model` needs a model as reference",
            where=f"{where}.checks",
            expected="`summary` and `params` with a summary text reference",
            received="model",
            hint="use reference: {spec: ...} or {keras: ...}",
        )
    points = number(item["points"], f"{where}.points")
    deductions, caps, most = _deductions(item.get("deductions", {}), f"{where}.deductions")
    fit = _fit(item["fit"], f"{where}.fit", folder) if item.get("fit") is not None else None
    return Exercise(
        name, kind, reference, points, checks, names, file, deductions, fit, call, caps, most
    )


def _variables(value: object, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        return (identifier(value, where, "model"),)
    listed = list_of(value, where)
    if not 1 <= len(listed) <= 10:
        raise SpecError(
            "a list of 1 to 10 variable names",
            where=where,
            expected="e.g. [model, untrained_model]",
            received=f"{len(listed)} names",
        )
    return tuple(
        identifier(string(v, f"{where}[{i}]"), f"{where}[{i}]", "model")
        for i, v in enumerate(listed)
    )


def _reference(value: object, where: str, folder: Path) -> tuple[str, Path]:
    if not isinstance(value, dict) or len(value) != 1:
        raise SpecError(
            "a reference names one file",
            where=where,
            expected="one of {spec: FILE.yaml}, {keras: FILE.keras}, {summary: FILE.txt}",
            received=repr(value)[:80],
        )
    ((key, file),) = value.items()
    kind = choice(key, REFERENCE_KINDS, f"{where} key")
    return kind, existing(string(file, f"{where}.{kind}"), f"{where}.{kind}", folder)


def _fit(mapping: object, where: str, folder: Path) -> FitCheck:
    value = keys(mapping, _FIT, where, required=("data", "loss", "metric", "threshold"))
    return FitCheck(
        data=existing(string(value["data"], f"{where}.data"), f"{where}.data", folder),
        loss=string(value["loss"], f"{where}.loss"),
        metric=string(value["metric"], f"{where}.metric"),
        threshold=number(value["threshold"], f"{where}.threshold"),
        optimizer=string(value.get("optimizer", "adam"), f"{where}.optimizer"),
        epochs=int(number(value.get("epochs", 1), f"{where}.epochs")),
        batch_size=int(number(value.get("batch_size", 32), f"{where}.batch_size")),
    )


def _limits_of(mapping: object, where: str) -> GradeLimits:
    fields = ("notebook_seconds", "cell_seconds", "memory_mb", "model_mb")
    value = keys(mapping, fields, where)
    numbers = {key: number(value[key], f"{where}.{key}", positive=True) for key in value}
    default = GradeLimits()
    return GradeLimits(
        notebook_seconds=numbers.get("notebook_seconds", default.notebook_seconds),
        cell_seconds=numbers.get("cell_seconds", default.cell_seconds),
        memory_mb=int(numbers.get("memory_mb", default.memory_mb)),
        model_mb=int(numbers.get("model_mb", default.model_mb)),
    )


def _deductions(
    mapping: object, where: str
) -> tuple[dict[str, float], dict[str, float], float | None]:
    """Points per finding kind; ``caps``: the most lost per kind; ``max``: in all."""
    value = keys(mapping, (*FINDING_KINDS, "default", "caps", "max"), where)
    caps_given = value.pop("caps", {})
    most = value.pop("max", None)
    caps = keys(caps_given, FINDING_KINDS, f"{where}.caps")
    return (
        {key: number(points, f"{where}.{key}") for key, points in value.items()},
        {key: number(points, f"{where}.caps.{key}") for key, points in caps.items()},
        None if most is None else number(most, f"{where}.max"),
    )
