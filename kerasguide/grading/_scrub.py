"""The grading machine's paths, taken out of everything a grade and its feedback say.

Private to :mod:`kerasguide.grading`. What a kernel prints (tracebacks, warnings,
error messages) and what the grader says of a model can name paths of the machine
that graded it: the kernel's temporary folder under ``--trusted``
(``/tmp/kerasguide-grade-…/work``), the grader's copy of a model file, and the
Python installation (a traceback into Keras, in ``…/.venv/lib/python3.11/site-packages``).
They are written as names that are the same on every machine and every run:

- a kernel's folders as the sandbox names them (``/kerasguide-kernel/work``,
  ``/kerasguide-kernel/private``, ``/tmp``), sandboxed or not;
- the grader's copy of a model as ``model.keras``;
- the Python installation, its packages and kerasguide as ``<python>/``.

So the gradebook, the findings, the overview and the feedback pages are the same
byte for byte across runs and shards, sandboxed or ``--trusted``, wherever the
grader's Python is installed.
"""

from __future__ import annotations

import functools
import os
import re
import sys
import sysconfig
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

if TYPE_CHECKING:
    from kerasguide.grading._kernel import Run

__all__ = ["PYTHON", "scrub", "scrub_data", "scrub_run"]

PYTHON = "<python>"
_KERNEL = "/kerasguide-kernel"  # as in the sandbox: _sandbox._WORK's and _PRIVATE's parent
_END = r"(?![\w.-])"  # a whole path part: not the start of a longer name
T = TypeVar("T")


@functools.lru_cache(maxsize=1)
def _patterns() -> tuple[tuple[re.Pattern[str], str], ...]:
    temp = sorted({tempfile.gettempdir(), os.path.realpath(tempfile.gettempdir())}, key=len)
    tmp = "(?:" + "|".join(re.escape(t) for t in reversed(temp)) + ")"
    folder = r"[^/\s'\"<>]+"
    return (
        (re.compile(rf"{tmp}/kerasguide-model-{folder}/"), ""),
        (re.compile(rf"{tmp}/kerasguide-grade-{folder}/kg{_END}"), f"{_KERNEL}/private"),
        (re.compile(rf"{tmp}/kerasguide-grade-{folder}/tmp{_END}"), "/tmp"),
        (re.compile(rf"{tmp}/kerasguide-grade-{folder}"), _KERNEL),
        (_python_places(), PYTHON),
    )


def _python_places() -> re.Pattern[str]:
    """The Python installation's folders and kerasguide's, longest first."""
    import kerasguide

    places = {Path(kerasguide.__file__).parent.parent}
    paths = sysconfig.get_paths()
    places |= {Path(paths[k]) for k in ("stdlib", "platstdlib", "purelib", "platlib") if k in paths}
    places |= {Path(p) for p in sys.path if p and ("site-packages" in p or "dist-packages" in p)}
    prefixes = {sys.prefix, sys.exec_prefix, sys.base_prefix, sys.base_exec_prefix}
    places |= {Path(p) for p in prefixes if p not in ("/", "/usr", "/usr/local")}
    names = {str(p).rstrip("/") for p in places} | {os.path.realpath(p) for p in places}
    names -= {"", "/", "/usr", "/usr/local"}
    words = sorted((re.escape(n) for n in names), key=len, reverse=True)
    return re.compile(rf"(?:{'|'.join(words)}){_END}")


def scrub(text: str) -> str:
    """``text`` with the grading machine's paths written as neutral names."""
    for pattern, name in _patterns():
        text = pattern.sub(name, text)
    return text


def scrub_data(data: T) -> T:
    """Every string in ``data`` (dicts, lists, strings: JSON-like) scrubbed, in place."""
    if isinstance(data, str):
        return scrub(data)  # type: ignore[return-value]
    if isinstance(data, dict):
        for key, value in data.items():
            data[key] = scrub_data(value)
    elif isinstance(data, list):
        data[:] = [scrub_data(value) for value in data]
    return data


def scrub_run(run: Run) -> None:
    """The kernel's words, in place: the reason, the errors, the outputs, its stderr."""
    run.reason = scrub(run.reason)
    run.log = scrub(run.log)
    for error in run.errors:
        error["evalue"] = scrub(error["evalue"])
    run.models = {k: v if isinstance(v, Path) else scrub(v) for k, v in run.models.items()}
    if run.notebook is not None:
        for cell in run.notebook.cells:
            for output in cell.get("outputs", []):
                scrub_data(output)
