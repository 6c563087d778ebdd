"""The scored beginner mistakes of issue 21 (``tests/mistakes.py``), as a student meets
them: each one's message names the place, what was expected, what was received and the
precise fix, with no raw traceback and no colour codes. 23/60 before issue 21."""

from __future__ import annotations

import pytest

from tests.mistakes import MISTAKES, POINTS, Mistake, score


@pytest.mark.parametrize("mistake", MISTAKES, ids=[m.name for m in MISTAKES])
def test_each_mistake_scores_five_of_five(mistake: Mistake) -> None:
    points = score(mistake)
    assert points == dict.fromkeys(POINTS, 1), (points, mistake.meet())


def test_the_four_silent_mistakes_of_the_issue_come_first_and_name_their_fix() -> None:
    fixes = [m.meet() for m in MISTAKES[:4]]
    assert "probably meant: activation='softmax'" in fixes[0]
    assert "probably meant: activation='softmax' for one class per example" in fixes[1]
    assert "probably meant: remove it, or move it before the output layer" in fixes[2]
    assert "probably meant: no activation on the output layer (a linear output)" in fixes[3]
