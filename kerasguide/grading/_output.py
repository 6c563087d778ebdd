"""What ``kerasguide grade`` writes: per student, and for the class.

Private to :mod:`kerasguide.grading`. The output folder::

    OUT/gradebook.csv                 one row per student, one column per exercise, total
    OUT/findings.json                 every finding of every student
    OUT/overview.html, overview.png   the score distribution, the most common findings
    OUT/students/NAME/record.json     everything graded (what the class files are made from)
    OUT/students/NAME/results.json    Gradescope's format
    OUT/students/NAME/feedback.html   the findings in words, and the executed notebook

The class files are made from the records alone, so merging shards is copying
their ``students/`` folders and writing the class files again.
"""

from __future__ import annotations

import csv
import html
import io
import json
from pathlib import Path
from typing import TYPE_CHECKING, TypedDict

from kerasguide import _files
from kerasguide.grading._offline import offline
from kerasguide.grading._overview import page, write_overview
from kerasguide.grading._record import ExerciseRecord, FindingRecord, StudentRecord, parse_record

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = [
    "HEADLINES",
    "gradescope",
    "headline",
    "read_records",
    "write_class",
    "write_student",
]

# Each status's headline: one sentence around the run's reason (a clause in lower case).
HEADLINES = {
    "ok": "The notebook ran to the end",
    "error": "{Reason}",
    "environment": "Because of the grading machine, not the notebook's code, {reason}",
    "setup-error": "The notebook was not run because {reason}",
    "timeout": "{Reason} and was stopped",
    "memory": "{Reason}",
    "kernel-died": "{Reason}",
    "invalid-notebook": "{Reason}",
    "grader-stopped": "{Reason}",
}


def headline(status: str, reason: str) -> str:
    """The first line of a student's feedback: one sentence on how the notebook ran."""
    if not reason:
        text = HEADLINES["ok"] if status == "ok" else f"The notebook ran with the status {status}"
    else:
        template = HEADLINES.get(status, f"The notebook ran with the status {status}: {{reason}}")
        capital = reason[:1].upper() + reason[1:]
        text = template.replace("{Reason}", capital).replace("{reason}", reason)
    return text if text.endswith((".", "!", "?")) else text + "."


def student_folder(out: Path, student: str) -> Path:
    """The folder of one student's outputs."""
    return out / "students" / student


class GradescopeTest(TypedDict):
    """One exercise as a test of Gradescope's results.json."""

    name: str
    score: float
    max_score: float
    output: str


class GradescopeResults(TypedDict):
    """Gradescope's results.json (the fields kerasguide fills)."""

    score: float
    tests: list[GradescopeTest]
    output: str
    visibility: str


def write_student(out: Path, record: StudentRecord, notebook_html: str, log: str = "") -> None:
    """Write one student's record, results.json and feedback page."""
    folder = _files.make_folder(student_folder(out, record["student"]))
    _files.write_text(folder / "results.json", _json(gradescope(record)))
    _files.write_text(folder / "feedback.html", feedback_page(record, notebook_html, log))
    _files.write_text(folder / "record.json", _json(record))  # last: its presence means done
    forget_attempts(out, record["student"])


def attempts(out: Path, student: str, key: str) -> int:
    """How often a grader started this notebook before (and died); note one more start.

    The count lives in ``OUT/.running/NAME.json`` until the student's record is
    written, so a notebook that stopped the grader twice is not run a third time.
    """
    folder = _files.make_folder(out / ".running")
    path = folder / f"{student}.json"
    before = 0
    try:
        found = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(found, dict) and found.get("key") == key:
            before = int(found.get("attempts", 0))
    except (OSError, ValueError, TypeError):
        pass
    _files.write_text(path, _json({"key": key, "attempts": before + 1}))
    return before


def undo_attempt(out: Path, student: str, key: str, before: int) -> None:
    """Take back the start :func:`attempts` noted (``before``: its count until then).

    For a run stopped by the grader's caller (Ctrl-C, a progress function that
    raises): that is no death of the grader, so it does not count against the
    notebook; a grader killed outright never gets here, and its start counts.
    """
    if before == 0:
        forget_attempts(out, student)
    else:
        _files.write_text(
            out / ".running" / f"{student}.json", _json({"key": key, "attempts": before})
        )


def forget_attempts(out: Path, student: str) -> None:
    """The notebook is done (or graded again on purpose): no earlier starts count."""
    (out / ".running" / f"{student}.json").unlink(missing_ok=True)


def _json(data: object) -> str:
    return json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def read_records(out: Path) -> dict[str, StudentRecord]:
    """Every finished record under ``out/students``, by student."""
    records = {}
    for path in sorted((out / "students").glob("*/record.json")):
        try:
            record = parse_record(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # unreadable: graded again
        if record is not None:  # None: not a record (damaged by hand): graded again
            records[record["student"]] = record
    return records


def gradescope(record: StudentRecord) -> GradescopeResults:
    """Gradescope's results.json: the total and one test per exercise."""
    tests: list[GradescopeTest] = [
        {
            "name": ex["name"],
            "score": ex["score"],
            "max_score": ex["max_score"],
            "output": exercise_text(ex),
        }
        for ex in record["exercises"]
    ]
    return {
        "score": record["score"],
        "tests": tests,
        "output": run_text(record),
        "visibility": "visible",
    }


def run_text(record: StudentRecord) -> str:
    """One line on how the notebook ran."""
    return headline(record["status"], record["reason"])


def exercise_text(ex: ExerciseRecord) -> str:
    """An exercise's result as plain text: what a student reads."""
    head = f"{ex['name']}: {ex['score']:g}/{ex['max_score']:g}"
    if ex["status"] != "graded":
        return f"{head}. No model was graded ({ex['status']}): {ex['reason']}"
    differences = [f for f in ex["findings"] if f["kind"] != "hint"]
    hints = [f for f in ex["findings"] if f["kind"] == "hint"]
    if differences:
        count = len(differences)
        lines = [f"{head}. {count} difference{'' if count == 1 else 's'} from the reference:"]
    else:
        lines = [f"{head}. Your model matches the reference."]
    for n, f in enumerate(differences, 1):
        cost = f" (-{f['deduction']:g})" if f["deduction"] else ""
        lines.append(f"  {n}. {f['where']}: {f['message']}{cost}")
        if f["hint"]:
            lines.append(f"     hint: {f['hint']}")
    if hints:
        lines.append(f"  Hints on how your model trains{_free(hints)}:")
    for f in hints:
        cost = f" (-{f['deduction']:g})" if f["deduction"] else ""
        lines.append(f"  - {f['where']}: {f['message']}{cost}\n    {f['hint']}")
    return "\n".join(lines)


def _free(hints: list[FindingRecord]) -> str:
    return "" if any(f["deduction"] for f in hints) else " (no points off)"


# --- HTML ---------------------------------------------------------------------------


def feedback_page(record: StudentRecord, notebook_html: str, log: str = "") -> str:
    """A student's feedback: the score, each exercise's findings, their notebook, its log.

    ``log`` is what the kernel process wrote to its stderr (Python warnings,
    crashes): the student's to read, never the grader's terminal.
    """
    e = html.escape
    parts = [
        f"<h1>{e(record['title'])}: feedback for {e(record['student'])}</h1>",
        f"<p><b>Score: {record['score']:g} / {record['max_score']:g}</b></p>",
        f"<p>{e(run_text(record))}</p>",
    ]
    for ex in record["exercises"]:
        parts.append(_exercise_html(ex))
    if record["errors"]:
        items = "".join(
            f"<li>In [{x['cell']}]: {e(x['ename'])}: {e(x['evalue'])}</li>"
            for x in record["errors"]
        )
        parts.append(f"<h2>Errors in your notebook</h2><ul>{items}</ul>")
    if notebook_html:
        # The executed notebook, in a frame of its own: its styles stay out of this page.
        doc = e(notebook_html, quote=True)
        parts.append(
            "<h2>Your notebook, as it ran</h2>"
            f"<iframe srcdoc=\"{doc}\" style='width:100%;height:60em;border:1px solid #ccc'"
            " sandbox></iframe>"
        )
    if log.strip():
        parts.append(
            "<h2>What your kernel wrote to stderr</h2>"
            f"<pre style='white-space:pre-wrap'>{e(log)}</pre>"
        )
    return page(f"Feedback: {record['student']}", "".join(parts))


def _exercise_html(ex: ExerciseRecord) -> str:
    e = html.escape
    differences = [f for f in ex["findings"] if f["kind"] != "hint"]
    hints = [f for f in ex["findings"] if f["kind"] == "hint"]
    full = ex["status"] == "graded" and not differences
    head = f"<h2>{e(ex['name'])}: {ex['score']:g} / {ex['max_score']:g}</h2>"
    if ex["status"] != "graded":
        body = f"<p class='bad'>No model was graded ({e(ex['status'])}): {e(ex['reason'])}</p>"
    elif full:
        body = "<p class='ok'>✓ Your model matches the reference.</p>"
    else:
        body = f"<ol>{''.join(_item(f) for f in differences)}</ol>"
    if hints:
        title = f"Hints on how your model trains{_free(hints)}"
        body += f"<p><b>{e(title)}</b></p><ul>{''.join(_item(f) for f in hints)}</ul>"
    return f"<div class='ex {'ok' if full else 'bad'}'>{head}{body}</div>"


def _item(f: FindingRecord) -> str:
    e = html.escape
    return (
        f"<li><b>{e(f['where'])}</b>: {e(f['message'])}"
        + (f" <small>(−{f['deduction']:g})</small>" if f["deduction"] else "")
        + (f"<br><span class='hint'>hint: {e(f['hint'])}</span>" if f["hint"] else "")
        + "</li>"
    )


def notebook_html(nb: NotebookNode | None) -> str:
    """The executed notebook as a standalone, offline HTML page (nbconvert's HTMLExporter).

    Every script (nbconvert's require.js, jQuery, MathJax and mermaid from a CDN, and
    any a student's output holds), every web font and everything else that would load
    from elsewhere is taken out (:func:`~kerasguide.grading._offline.offline`): the
    page loads nothing, and its frame in the feedback page runs no script anyway.
    """
    if nb is None:
        return ""
    from nbconvert import HTMLExporter

    exporter = HTMLExporter(template_name="classic")  # type: ignore[no-untyped-call]
    body, _ = exporter.from_notebook_node(nb)
    return offline(str(body))


# --- the class ------------------------------------------------------------------------


def write_class(out: Path, records: dict[str, StudentRecord], exercises: list[str]) -> None:
    """Write gradebook.csv, findings.json and the overview from the records."""
    rows = [records[name] for name in sorted(records)]
    _files.write_text(out / "gradebook.csv", gradebook_csv(rows, exercises))
    findings = [
        {"student": r["student"], "exercise": ex["name"], **f}
        for r in rows
        for ex in r["exercises"]
        for f in ex["findings"]
    ]
    _files.write_text(out / "findings.json", _json(findings))

    write_overview(out, rows, exercises)


def gradebook_csv(rows: list[StudentRecord], exercises: list[str]) -> str:
    """One row per student: each exercise's score, the total, and how the notebook ran."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["student", "notebook", *exercises, "total", "max_total", "status", "reason"])
    for r in rows:
        scores = {ex["name"]: ex["score"] for ex in r["exercises"]}
        writer.writerow(
            [
                _cell(r["student"]),
                _cell(r["notebook"]),
                *(f"{scores.get(x, 0):g}" for x in exercises),
                f"{r['score']:g}",
                f"{r['max_score']:g}",
                r["status"],
                _cell(gradebook_reason(r)),
            ]
        )
    return buffer.getvalue()


def gradebook_reason(record: StudentRecord) -> str:
    """The run's reason, then each exercise the grader's own checks failed on (``check-error``):
    a failure on the grader's side, which the run's ``status`` does not show."""
    notes = [
        f"{ex['name']}: {ex['reason']}"
        for ex in record["exercises"]
        if ex["status"] == "check-error"
    ]
    return "; ".join(part for part in (record["reason"], *notes) if part)


def _cell(text: str) -> str:
    """A text cell that a spreadsheet shows as text, never runs as a formula (OWASP).

    A carriage return becomes a line feed, which the writer quotes: left bare in an
    unquoted field, it ends the row for some readers, and what follows it (``=...``)
    would be a new row's first cell.
    """
    text = "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
    return text.replace("\r\n", "\n").replace("\r", "\n")
