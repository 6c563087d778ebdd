"""Grading a whole class: student notebooks run in a sandbox, their models checked.

The library's core never imports this package (``tests/test_code_layout.py``
checks it); :mod:`kerasguide` re-exports its public names, and the command line
reaches it through ``kerasguide grade``.

- :mod:`._grade`: :func:`grade` and :func:`merge_grades`, the report objects.
- :mod:`._assignment`: the assignment file and its limits.
- :mod:`._batch`: which notebooks, how many at once, the progress.
- :mod:`._kernel`: one notebook's run on a fresh kernel.
- :mod:`._sandbox`: the bubblewrap sandbox that kernel runs in.
- :mod:`._score`: models compared with the references.
- :mod:`._record`, :mod:`._output`, :mod:`._overview`, :mod:`._merge`: what is written.
"""

from __future__ import annotations

from kerasguide.grading._grade import (
    Assignment,
    GradedSubmission,
    GradeReport,
    grade,
    load_assignment,
    merge_grades,
)

__all__ = [
    "Assignment",
    "GradeReport",
    "GradedSubmission",
    "grade",
    "load_assignment",
    "merge_grades",
]
