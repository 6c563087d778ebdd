"""kerasguide grade: the example assignment against its generated submissions, by outcome.

The whole class is graded once per test session (about seven kernel starts, in
``tests/graded_class.py``, shared with ``tests/test_grade_hostile.py``): the run is
interrupted after three notebooks and resumed, and every test reads that
outcome. Regenerate the submissions with tests/data/grading/make_submissions.py.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
from kerasguide.cli import main
from tests import graded_class
from tests.notebook_files import notebook_json

# Each of these launches Jupyter kernels (a few seconds each): `make slow`, part of `make test`.
pytestmark = pytest.mark.slow

DATA = graded_class.DATA
ASSIGNMENT = graded_class.ASSIGNMENT
SUBMISSIONS = graded_class.SUBMISSIONS
STUDENTS = graded_class.STUDENTS


@pytest.fixture(scope="module")
def graded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The class graded once per test session (``tests/graded_class.py``)."""
    return graded_class.graded_once(tmp_path_factory)


@pytest.fixture
def report(graded: dict[str, Any]) -> kg.GradeReport:
    return graded["report"]  # type: ignore[no-any-return]


def _kinds(submission: kg.GradedSubmission, exercise: str) -> set[str]:
    return {f["kind"] for f in submission.exercise(exercise)["findings"]}


def test_every_submission_is_graded(report: kg.GradeReport) -> None:
    assert [s.student for s in report.submissions] == STUDENTS


def test_correct_gets_full_marks(report: kg.GradeReport) -> None:
    correct = report["correct"]
    assert (correct.score, correct.max_score, correct.status) == (20, 20, "ok")
    assert all(ex["findings"] == [] for ex in correct.exercises)


def test_a_classic_mistake_gets_partial_credit(report: kg.GradeReport) -> None:
    """The other kinds of mistake (extra, missing, input) are graded in the realistic
    class of tests/test_grade_class.py."""
    submission = report["wrong_units"]
    assert submission.status == "ok"
    assert submission.exercise("classifier")["score"] == 7
    assert _kinds(submission, "classifier") == {"config", "consequence", "totals"}
    assert submission.exercise("regressor")["score"] == 10


@pytest.mark.parametrize(
    ("student", "status", "ename"),
    [
        ("infinite_loop", "timeout", None),
        ("memory_hog", "memory", "MemoryError"),
        ("raises", "error", "RuntimeError"),
        # its own FileNotFoundError, with no path the assignment could give: the student's
        ("cheater", "error", "FileNotFoundError"),
    ],
)
def test_misbehaving_notebooks_keep_the_exercises_done_before(
    graded: dict[str, Any], report: kg.GradeReport, student: str, status: str, ename: str | None
) -> None:
    submission = report[student]
    assert submission.status == status
    assert submission.exercise("classifier")["status"] == "missing"
    assert submission.exercise("classifier")["score"] == 0
    assert submission.exercise("regressor")["score"] == 10  # defined before the failing cell
    record = json.loads((graded["out"] / "students" / student / "record.json").read_text())
    assert [e["ename"] for e in record["errors"]] == ([ename] if ename else [])


def test_not_json_is_a_zero_with_a_reason(report: kg.GradeReport) -> None:
    broken = report["not_json"]
    assert (broken.score, broken.status) == (0, "invalid-notebook")
    assert {ex["status"] for ex in broken.exercises} == {"not-run"}


def test_the_interrupted_run_resumes_without_running_again(graded: dict[str, Any]) -> None:
    first = graded["first"]  # every record the stopped run wrote
    assert len(graded["seen"]) == 3
    assert set(graded["seen"]) <= set(first)
    assert sorted(graded["skipped"]) == sorted(first)
    assert graded["graded_again"] == len(STUDENTS) - len(first)
    for name, record in first.items():
        again = json.loads((graded["out"] / "students" / name / "record.json").read_text())
        assert again == record  # not executed again: the same record, same run time


def test_a_third_run_grades_nothing(graded: dict[str, Any]) -> None:
    again = kg.grade(ASSIGNMENT, graded["submitted"], output=graded["out"], progress=False)
    assert again.graded == 0
    assert [s.score for s in again.submissions] == [s.score for s in graded["report"].submissions]


def test_gradebook_has_a_row_per_student_and_a_column_per_exercise(
    graded: dict[str, Any], report: kg.GradeReport
) -> None:
    with (graded["out"] / "gradebook.csv").open() as handle:
        rows = list(csv.DictReader(handle))
    assert [r["student"] for r in rows] == STUDENTS
    for row in rows:
        submission = report[row["student"]]
        assert float(row["total"]) == submission.score
        assert float(row["classifier"]) + float(row["regressor"]) == submission.score


def test_findings_json_holds_every_finding(graded: dict[str, Any], report: kg.GradeReport) -> None:
    findings = json.loads((graded["out"] / "findings.json").read_text())
    expected = sum(len(ex["findings"]) for s in report.submissions for ex in s.exercises)
    assert len(findings) == expected > 0
    assert {f["student"] for f in findings} == {"wrong_units"}


def test_gradescope_results(graded: dict[str, Any], report: kg.GradeReport) -> None:
    for submission in report.submissions:
        path = graded["out"] / "students" / submission.student / "results.json"
        results = json.loads(path.read_text())
        assert results["score"] == submission.score
        assert [t["name"] for t in results["tests"]] == ["classifier", "regressor"]
        assert sum(t["score"] for t in results["tests"]) == submission.score
        assert all(t["max_score"] == 10 and t["output"] for t in results["tests"])


def test_feedback_and_overview_are_written(graded: dict[str, Any]) -> None:
    out = graded["out"]
    for student in STUDENTS:
        assert (out / "students" / student / "feedback.html").stat().st_size > 0
    assert (out / "overview.png").read_bytes().startswith(b"\x89PNG")
    assert (out / "overview.html").stat().st_size > 0
    # The grader's warm-up cell is not counted: the student's first cell is In [1].
    page = (out / "students" / "correct" / "feedback.html").read_text()
    assert re.findall(r"In\s\[(\d+)\]", page) == ["1", "2", "3", "4"]  # In&nbsp;[1]
    # A finding that costs nothing (the parameter counts that follow from a changed layer)
    # is listed without a "(−0)".
    wrong = (out / "students" / "wrong_units" / "feedback.html").read_text()
    assert "parameters" in wrong
    assert "(−0)" not in wrong
    assert "(−3)" in wrong


def test_feedback_pages_load_nothing_from_elsewhere(graded: dict[str, Any]) -> None:
    for page in (graded["out"] / "students").glob("*/feedback.html"):
        text = page.read_text()
        assert "cdnjs" not in text
        assert not re.search(r"(?i)(src|href)=(&quot;|[\"'])?(https?:)?//", text), page
        assert "<script" not in text.replace("&lt;script", "")
        assert "@font-face" not in text


def test_common_findings_count_students() -> None:
    from kerasguide.grading._overview import common_findings

    def finding(where: str, message: str, kind: str = "config") -> dict[str, str]:
        return {"where": where, "message": message, "kind": kind}

    units = "expected 16 units, found 32 — its output is (None, 32) instead of (None, 16)"
    rows = [
        # one mistake, at layer 2 for one student and layer 3 for another: one row, 3 students
        {"exercises": [{"name": "a", "findings": [finding("layer 2 (Dense)", units)] * 2}]},
        {"exercises": [{"name": "a", "findings": [finding("layer 3 (Dense)", units)]}]},
        {"exercises": [{"name": "a", "findings": [
            finding("layer 2 (Dense)", units),
            finding("layer 3 (Dense)", "it has 264 parameters instead of 136, because its "
                    "input is (None, 32) instead of (None, 16)", "consequence"),
            finding("model", "expected 289 parameters in total", "totals"),
        ]}]},
    ]  # fmt: skip
    assert common_findings(rows, "a") == [("Dense: expected 16 units, found 32", 3)]  # type: ignore[arg-type]


def test_shards_are_a_partition() -> None:
    from kerasguide.grading._batch import shard

    paths = [Path(f"{i}.ipynb") for i in range(7)]
    slices = [shard(paths, f"{k}/3") for k in (1, 2, 3)]
    assert sorted(p for s in slices for p in s) == sorted(paths)
    with pytest.raises(kg.OptionError, match=r"--shard"):
        shard(paths, "4/3")


def test_a_changed_notebook_is_graded_again(graded: dict[str, Any], tmp_path: Path) -> None:
    folder = tmp_path / "submitted"
    folder.mkdir()
    (folder / "not_json.ipynb").write_text("{ still not json")
    out = tmp_path / "out"
    shutil.copytree(graded["out"] / "students" / "not_json", out / "students" / "not_json")
    assert kg.grade(ASSIGNMENT, folder, output=out, progress=False).graded == 1
    assert kg.grade(ASSIGNMENT, folder, output=out, progress=False).graded == 0
    assert kg.grade(ASSIGNMENT, folder, output=out, regrade=True, progress=False).graded == 1


def test_stopping_the_batch_twice_is_no_death_of_the_grader(tmp_path: Path) -> None:
    """A progress function that raises (as Ctrl-C does) while a slow honest notebook runs,
    twice: the notebook is not "the grader stopped twice while this ran"; it is graded."""
    hold = tmp_path / "hold"  # the slow notebook waits while this file exists
    hold.touch()
    folder = tmp_path / "submitted"
    folder.mkdir()
    # the quick one imports nothing, so its kernel starts without Keras (a second or so)
    (folder / "quick.ipynb").write_text(notebook_json(["x = 1"]))
    # the slow one neither: what counts here is whether it is graded, not its model
    wait = f"import os, time\nwhile os.path.exists({str(hold)!r}):\n    time.sleep(0.1)"
    (folder / "slow.ipynb").write_text(notebook_json([wait, "print('done')"]))
    out = tmp_path / "out"
    limits = {"cell_seconds": 300, "notebook_seconds": 600}  # the slow one outlasts the quick one

    def stop_when_quick_is_done(submission: kg.GradedSubmission) -> None:
        assert submission.student == "quick"  # the slow one is still running
        raise graded_class.Stop

    for _ in range(2):
        shutil.rmtree(out / "students" / "quick", ignore_errors=True)  # run it again
        with pytest.raises(graded_class.Stop):
            kg.grade(
                ASSIGNMENT,
                folder,
                output=out,
                workers=2,
                limits=limits,
                progress=stop_when_quick_is_done,
                trusted=True,
            )
        assert not (out / "students" / "slow").exists()
        assert not (out / ".running" / "slow.json").exists()  # its start does not count
    hold.unlink()
    report = kg.grade(ASSIGNMENT, folder, output=out, limits=limits, progress=False, trusted=True)
    assert report["quick"].skipped
    slow = report["slow"]
    assert (slow.score, slow.status, slow.reason) == (0, "ok", "")  # run to its end
    assert slow.exercise("classifier")["status"] == "missing"  # graded: it has no model


# --- the assignment file ---------------------------------------------------------------


def test_load_assignment() -> None:
    assignment = kg.load_assignment(ASSIGNMENT)
    assert [e.name for e in assignment.exercises] == ["classifier", "regressor"]
    assert assignment.points == 20
    assert assignment.exercises[0].deduction("config") == 3
    assert assignment.exercises[0].deduction("totals") == 0  # default: 0
    assert assignment.limits.cell_seconds == 5


def _write(tmp_path: Path, text: str) -> Path:
    shutil.copy(DATA / "assignment" / "classifier.yaml", tmp_path)
    path = tmp_path / "a.yaml"
    path.write_text(text)
    return path


EXERCISE = (
    "exercises:\n  - {name: c, variable: model, reference: {spec: classifier.yaml}, points: 5"
)


@pytest.mark.parametrize(
    ("text", "error", "match"),
    [
        (EXERCISE + ", checks: [modle]}", kg.SpecError, r"(?s)checks\[0\].*did you mean 'model'"),
        (EXERCISE + ", pionts: 3}", kg.SpecError, r"exercises\[0\]\.pionts"),
        (EXERCISE + ", deductions: {confg: 1}}", kg.SpecError, r"did you mean 'config'"),
        (EXERCISE.replace("classifier.yaml", "nope.yaml") + "}", kg.FileError, r"no such"),
        (EXERCISE.replace("variable: model", "variable: 1x") + "}", kg.SpecError, "variable"),
        (EXERCISE + ", file: m.keras}", kg.SpecError, "exactly one of"),
        (EXERCISE + "}\nlimits: {memory_mb: 0}", kg.SpecTypeError, r"limits\.memory_mb"),
        ("exercises: []", kg.SpecTypeError, "non-empty list"),
        ("title: x\ntitle: y\nexercises: [1]", kg.SpecSyntaxError, "twice"),
        ("- just a list", kg.SpecTypeError, "mapping"),
    ],
)
def test_bad_assignments_are_refused(
    tmp_path: Path, text: str, error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        kg.load_assignment(_write(tmp_path, text))


def test_cli_usage_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["grade", str(ASSIGNMENT), "-o", str(tmp_path)]) == 2
    assert "grade takes an assignment" in capsys.readouterr().err
    assert main(["grade", "merge", str(tmp_path / "nothing"), "-o", str(tmp_path / "m")]) == 2
    assert "not an output folder" in capsys.readouterr().err


def test_bad_limits_and_workers(tmp_path: Path) -> None:
    with pytest.raises(kg.OptionError, match="cell_seconds"):
        kg.grade(ASSIGNMENT, SUBMISSIONS, output=tmp_path, limits={"cell_second": 1})
    with pytest.raises(kg.OptionError, match="workers"):
        kg.grade(ASSIGNMENT, SUBMISSIONS, output=tmp_path, workers=0)


def test_an_output_folder_inside_the_submissions_folder(graded: dict[str, Any]) -> None:
    """The module's run writes inside the folder it grades, and every notebook still ran."""
    assert graded["submitted"] in graded["out"].parents
    statuses = {s.student: s.status for s in graded["report"].submissions}
    assert statuses["correct"] == "ok"
    assert "kernel-died" not in statuses.values()


def test_a_broken_reference_stops_the_batch_before_any_grade(tmp_path: Path) -> None:
    """References load while the first kernels start; a broken one kills them and is raised."""
    (tmp_path / "broken.keras").write_bytes(b"not a zip file")
    assignment = _write(
        tmp_path,
        "exercises:\n  - {name: c, variable: model, reference: {keras: broken.keras}, points: 5}",
    )
    folder = tmp_path / "submitted"
    folder.mkdir()
    for name in ("ada", "bob"):  # without Keras: their kernels start in a second
        (folder / f"{name}.ipynb").write_text(notebook_json(["x = 1"]))
    with pytest.raises(kg.FileError, match=r"(?s)broken\.keras.*cannot be loaded"):
        kg.grade(assignment, folder, output=tmp_path / "out", workers=2, progress=False)
    assert list((tmp_path / "out" / "students").iterdir()) == []


def test_a_record_is_read_back_only_when_it_is_one(graded: dict[str, Any]) -> None:
    from kerasguide.grading._record import is_assignment_record, parse_record

    described = json.loads((graded["out"] / "assignment.json").read_text())
    assert is_assignment_record(described)
    assert [e["name"] for e in described["exercises"]] == ["classifier", "regressor"]
    assert not is_assignment_record({**described, "exercises": [{"name": "c"}]})

    text = (graded["out"] / "students" / "correct" / "record.json").read_text()
    record = parse_record(text)
    assert record is not None
    assert (record["student"], record["score"]) == ("correct", 20)
    damaged = json.loads(text)
    damaged["exercises"][0].pop("findings")
    for bad in ("{", "[]", json.dumps({**json.loads(text), "score": "20"}), json.dumps(damaged)):
        assert parse_record(bad) is None


def test_a_cell_has_one_number_everywhere(graded: dict[str, Any], report: kg.GradeReport) -> None:
    """The error list, the reason, the prompt and the traceback all say In [3]."""
    raises = report["raises"]
    assert raises.reason == "the cell In [3] raised RuntimeError: I did not finish this exercise"
    record = json.loads((graded["out"] / "students" / "raises" / "record.json").read_text())
    assert record["errors"][0]["cell"] == 3
    page = (graded["out"] / "students" / "raises" / "feedback.html").read_text()
    assert "<p>The cell In [3] raised RuntimeError: I did not finish this exercise.</p>" in page
    assert "<li>In [3]: RuntimeError" in page
    frame = re.sub(r"&lt;.*?&gt;", "", page)  # the notebook's own tags, escaped in the frame
    assert "Cell In[3]" in frame
    assert re.findall(r"In\xa0\[(\d+)\]", frame) == ["1", "2", "3"]
    assert re.fullmatch(
        r"the cell In \[3\] ran over its limit of 5 s", report["infinite_loop"].reason
    )
