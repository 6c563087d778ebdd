"""The class overview of ``kerasguide grade``: what to re-teach, at a glance.

Private to :mod:`kerasguide.grading`: a histogram of the totals (matplotlib,
``overview.png``) and, per exercise, the mean score, how many models could not
be graded and why, and the most common findings.
"""

from __future__ import annotations

import html
import re
from collections import Counter
from pathlib import Path

from kerasguide import _files
from kerasguide.grading._assignment import FREE_KINDS
from kerasguide.grading._reasons import CAUSES
from kerasguide.grading._record import FindingRecord, StudentRecord

__all__ = ["common_findings", "grader_side", "write_overview"]

TOP = 5


_STYLE = (
    "body{font-family:system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}"
    "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
    ".ok{color:#2e7d32}.bad{color:#c62828}.ex{border-left:4px solid #999;padding:2px 12px;"
    "margin:1em 0}.ex.ok{border-color:#2e7d32}.ex.bad{border-color:#c62828}"
    "li{margin:.3em 0}.hint{color:#555;font-style:italic}"
)


def page(title: str, body: str) -> str:
    """A whole HTML page with the grading pages' style."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}"
        f"</title><style>{_STYLE}</style></head><body>{body}</body></html>\n"
    )


def common_findings(rows: list[StudentRecord], exercise: str) -> list[tuple[str, int]]:
    """The most common mistakes of one exercise, as ``(text, number of students)``.

    A mistake is grouped by what it is, not where: the layer's type and the first
    clause of the message (``Dense: expected 16 units, found 32``), wherever in the
    model it is. Consequences (and the totals they change) are left out: they are
    not mistakes of their own. Each student counts once per mistake.
    """
    counts: Counter[str] = Counter()
    for r in rows:
        for ex in r["exercises"]:
            if ex["name"] == exercise:
                counts.update({mistake(f) for f in ex["findings"] if f["kind"] not in FREE_KINDS})
    return sorted(counts.items(), key=lambda item: (-item[1], item[0]))[:TOP]


def mistake(finding: FindingRecord) -> str:
    """What a finding says, without where: ``Dense: expected 16 units, found 32``."""
    head = re.split(r" — |; also |, because ", finding["message"])[0]
    found = re.search(r"\(([A-Za-z0-9_]+)\)", finding["where"])
    return f"{found.group(1)}: {head}" if found else head


def grader_side(rows: list[StudentRecord]) -> Counter[str]:
    """The failures on the grader's side, not the students', by cause: the environment's
    (per cause), the setup's, the grader's own stops and the grader's checks that failed."""
    causes: Counter[str] = Counter()
    for r in rows:
        if r["status"] == "setup-error":
            causes["the instructor's setup code failed (the notebook was not run)"] += 1
        elif r["status"] == "grader-stopped":
            causes["the grader stopped twice while the notebook ran (it was not run again)"] += 1
        elif r["status"] == "environment":
            cause = next((c for c in CAUSES if c in r["reason"]), "another lack of the machine")
            causes[cause] += 1
        for ex in r["exercises"]:
            if ex["status"] == "check-error":
                causes[f"the grader's checks failed on a model of {ex['name']}"] += 1
    return causes


def _ungraded(rows: list[StudentRecord], exercise: str) -> Counter[str]:
    return Counter(
        ex["status"]
        for r in rows
        for ex in r["exercises"]
        if ex["name"] == exercise and ex["status"] != "graded"
    )


def _plot(out: Path, rows: list[StudentRecord]) -> None:
    from matplotlib.figure import Figure

    totals = [r["score"] for r in rows]
    top = max((r["max_score"] for r in rows), default=1.0) or 1.0
    figure = Figure(figsize=(6, 3.2), dpi=100)
    axes = figure.subplots()
    axes.hist(
        totals, bins=min(20, max(5, int(top))), range=(0, top), color="#1565c0", edgecolor="white"
    )
    axes.set_xlabel(f"total score (out of {top:g})")
    axes.set_ylabel("students")
    axes.set_title(f"Score distribution ({len(rows)} students)")
    axes.yaxis.get_major_locator().set_params(integer=True)  # type: ignore[call-arg]
    figure.tight_layout()
    _files.write_with(out / "overview.png", lambda tmp: figure.savefig(tmp, format="png"))


def write_overview(out: Path, rows: list[StudentRecord], exercises: list[str]) -> None:
    """Write ``overview.png`` and ``overview.html``."""
    e = html.escape
    _plot(out, rows)
    title = rows[0]["title"] if rows else "Assignment"
    statuses = Counter(r["status"] for r in rows)
    parts = [
        f"<h1>{e(title)}: class overview</h1>",
        f"<p>{len(rows)} submissions; how they ran: "
        + ", ".join(f"{n} {e(s)}" for s, n in sorted(statuses.items()))
        + "</p>",
        "<img src='overview.png' alt='score distribution' style='max-width:100%'>",
    ]
    causes = grader_side(rows)
    if causes:
        items = "".join(f"<li>{n}: {e(cause)}</li>" for cause, n in sorted(causes.items()))
        parts.append(f"<h2>Failures of the grading machine, not of students</h2><ul>{items}</ul>")
    for name in exercises:
        parts.append(_exercise_section(rows, name))
    links = "".join(
        f"<tr><td><a href='students/{e(r['student'])}/feedback.html'>{e(r['student'])}</a></td>"
        f"<td>{r['score']:g} / {r['max_score']:g}</td><td>{e(r['status'])}</td></tr>"
        for r in rows
    )
    parts.append(
        "<h2>Students</h2><table><tr><th>student</th><th>score</th><th>run</th></tr>"
        f"{links}</table>"
    )
    _files.write_text(out / "overview.html", page(f"{title}: overview", "".join(parts)))


def _exercise_section(rows: list[StudentRecord], name: str) -> str:
    e = html.escape
    scores = [ex["score"] for r in rows for ex in r["exercises"] if ex["name"] == name]
    points = next((ex["max_score"] for r in rows for ex in r["exercises"] if ex["name"] == name), 0)
    mean = sum(scores) / len(scores) if scores else 0.0
    full = sum(1 for s in scores if s == points)
    ungraded = _ungraded(rows, name)
    lines = [
        f"<h2>{e(name)}</h2><p>mean {mean:.1f} / {points:g}; full marks: {full} of {len(scores)}"
    ]
    if ungraded:
        lines.append(
            "; no model graded: " + ", ".join(f"{n} {e(s)}" for s, n in sorted(ungraded.items()))
        )
    lines.append("</p>")
    common = common_findings(rows, name)
    if common:
        items = "".join(f"<tr><td>{n}</td><td>{e(text)}</td></tr>" for text, n in common)
        lines.append(
            f"<table><tr><th>students</th><th>most common mistakes</th></tr>{items}</table>"
        )
    return "".join(lines)
