"""kerasguide grade shows kg.lint's hints in the feedback (issue 21): free of charge
unless the assignment prices ``hint``, never counted as a difference from the reference."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import kerasguide._keras as _k
from kerasguide.grading._assignment import Exercise
from kerasguide.grading._output import exercise_text, feedback_page
from kerasguide.grading._record import ExerciseRecord
from kerasguide.grading._score import _findings

keras = _k.keras()
L = keras.layers


def _classifier(*tail: Any) -> Any:
    return keras.Sequential(
        [keras.Input((20,)), L.Dense(16, activation="relu"), L.Dense(10, activation="softmax"),
         *tail]
    )  # fmt: skip


def _record(exercise: Exercise, student: Any, reference: Any) -> ExerciseRecord:
    findings = _findings(exercise, student, reference)
    lost = exercise.lost([(f["kind"], f["deduction"]) for f in findings])
    score = max(0.0, exercise.points - lost)
    return {"name": exercise.name, "score": score, "max_score": exercise.points,
            "status": "graded", "reason": "", "findings": findings}  # fmt: skip


def _binary_loss() -> Any:
    model = _classifier()
    model.compile(loss="binary_crossentropy", metrics=["accuracy"])  # softmax over 10 classes
    return model


def test_a_hint_is_free_and_listed_apart_from_the_differences(tmp_path: Path) -> None:
    exercise = Exercise("classifier", "spec", tmp_path / "ref.yaml", 10.0)
    record = _record(exercise, _binary_loss(), _classifier())
    assert [f["kind"] for f in record["findings"]] == ["hint"]
    assert record["score"] == 10.0
    text = exercise_text(record)
    assert text.startswith("classifier: 10/10. Your model matches the reference.\n")
    assert "  Hints on how your model trains (no points off):" in text
    assert "the loss 'binary_crossentropy' scores each of the 10 outputs" in text
    assert "[softmax-with-binary-loss]" in text
    page = feedback_page({"title": "t", "student": "s", "score": 10.0, "max_score": 10.0,
                          "status": "ok", "reason": "", "errors": [],
                          "exercises": [record]}, "")  # type: ignore[typeddict-item]  # fmt: skip
    assert "✓ Your model matches the reference." in page
    assert "Hints on how your model trains (no points off)" in page


def test_an_assignment_may_price_hints(tmp_path: Path) -> None:
    exercise = Exercise("classifier", "spec", tmp_path / "ref.yaml", 10.0,
                        deductions={"hint": 2.0})  # fmt: skip
    record = _record(exercise, _binary_loss(), _classifier())
    assert record["score"] == 8.0
    assert "(-2)" in exercise_text(record)
    assert "(no points off)" not in exercise_text(record)


def test_a_hint_about_a_layer_that_differs_is_in_that_finding_once(tmp_path: Path) -> None:
    exercise = Exercise("classifier", "spec", tmp_path / "ref.yaml", 10.0)
    record = _record(exercise, _classifier(L.Dropout(0.5)), _classifier())
    (finding,) = record["findings"]
    assert finding["kind"] == "extra"
    assert str(finding["hint"]).endswith("[dropout-after-output]")
    assert exercise_text(record).count("dropout-after-output") == 1


def test_a_model_that_matches_gets_no_hint_and_full_marks(tmp_path: Path) -> None:
    exercise = Exercise("classifier", "spec", tmp_path / "ref.yaml", 10.0)
    record = _record(exercise, _classifier(), _classifier())
    assert record["findings"] == []
    assert exercise_text(record) == "classifier: 10/10. Your model matches the reference."


def test_a_hint_the_reference_has_too_is_not_given(tmp_path: Path) -> None:
    exercise = Exercise("classifier", "spec", tmp_path / "ref.yaml", 10.0)
    record = _record(exercise, _classifier(L.Dropout(0.5)), _classifier(L.Dropout(0.5)))
    assert record["findings"] == []


def test_the_student_s_saved_loss_is_read_back_for_the_hints(tmp_path: Path) -> None:
    from kerasguide._inputs import load_keras
    from kerasguide._lint import lint_model
    from kerasguide.grading._score import _compile_as_saved

    for loss in ("binary_crossentropy", keras.losses.BinaryCrossentropy()):
        model = _classifier()
        model.compile(loss=loss, metrics=["accuracy"])
        path = tmp_path / "student.keras"
        model.save(path)
        loaded = load_keras(path)
        assert not loaded.compiled
        _compile_as_saved(loaded, path)
        assert [h.code for h in lint_model(loaded)] == ["softmax-with-binary-loss"]
    (tmp_path / "broken.keras").write_bytes(b"not a zip")
    _compile_as_saved(_classifier(), tmp_path / "broken.keras")  # no loss, no error
