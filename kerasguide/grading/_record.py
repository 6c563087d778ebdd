"""The plain data ``kerasguide grade`` stores: one student's record, and what it holds.

Private to :mod:`kerasguide.grading`. A record is written to
``OUT/students/NAME/record.json`` once the student is graded; the class files
(gradebook, findings, overview) and a merge of shards are made from records
alone. :func:`parse_record` reads one back, and refuses anything else: a
record that is not one is graded again.
"""

from __future__ import annotations

import json
from typing import TypedDict, TypeGuard

__all__ = [
    "AssignmentRecord",
    "CellError",
    "ExerciseRecord",
    "FindingRecord",
    "StudentRecord",
    "is_assignment_record",
    "parse_record",
]


class FindingRecord(TypedDict):
    """One finding of a check (as :class:`~kerasguide.Finding`), and what it cost."""

    where: str
    message: str
    hint: str | None
    kind: str
    layer: str | None
    check: str
    deduction: float


class ExerciseRecord(TypedDict):
    """One exercise's score: ``status`` is ``graded``, or why no model was graded."""

    name: str
    score: float
    max_score: float
    status: str
    reason: str
    findings: list[FindingRecord]


class CellError(TypedDict):
    """An error a cell of the student's notebook raised."""

    cell: int
    ename: str
    evalue: str


class StudentRecord(TypedDict):
    """Everything graded of one student; ``key`` says what the grade depends on."""

    student: str
    notebook: str
    key: str
    title: str
    status: str
    reason: str
    errors: list[CellError]
    seconds: float
    score: float
    max_score: float
    exercises: list[ExerciseRecord]


class ExercisePoints(TypedDict):
    """An exercise's name and points, as ``assignment.json`` lists them."""

    name: str
    points: float


class AssignmentRecord(TypedDict):
    """``OUT/assignment.json``: which assignment an output folder was graded with."""

    title: str
    digest: str
    exercises: list[ExercisePoints]


_FIELDS: dict[str, type | tuple[type, ...]] = {
    "student": str,
    "notebook": str,
    "key": str,
    "title": str,
    "status": str,
    "reason": str,
    "errors": list,
    "seconds": (int, float),
    "score": (int, float),
    "max_score": (int, float),
    "exercises": list,
}
_EXERCISE_FIELDS: dict[str, type | tuple[type, ...]] = {
    "name": str,
    "score": (int, float),
    "max_score": (int, float),
    "status": str,
    "reason": str,
    "findings": list,
}


def parse_record(text: str) -> StudentRecord | None:
    """A record read back from its JSON text; ``None`` when the text is not one."""
    try:
        data = json.loads(text)
    except ValueError:
        return None
    return data if _is_record(data) else None


def _is_record(data: object) -> TypeGuard[StudentRecord]:
    if not _has(data, _FIELDS) or not isinstance(data, dict):
        return False
    return all(_has(ex, _EXERCISE_FIELDS) for ex in data["exercises"])


def is_assignment_record(data: object) -> TypeGuard[AssignmentRecord]:
    """True when ``data`` (read from ``assignment.json``) is what kerasguide wrote there."""
    if not _has(data, {"title": str, "digest": str, "exercises": list}) or not isinstance(
        data, dict
    ):
        return False
    return all(_has(e, {"name": str, "points": (int, float)}) for e in data["exercises"])


def _has(data: object, fields: dict[str, type | tuple[type, ...]]) -> bool:
    return isinstance(data, dict) and all(
        isinstance(data.get(name), kind) for name, kind in fields.items()
    )
