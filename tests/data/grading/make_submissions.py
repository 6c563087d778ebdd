"""Write the example assignment's generated submissions (run from the repository root).

    .venv/bin/python tests/data/grading/make_submissions.py

Each notebook is a small class exercise: a binary classifier (an MLP on 8
features) and a regressor. One is correct, one has the classic mistake of a
layer's units (the other kinds of mistake are graded in the realistic class of
tests/test_grade_class.py, which covers them once), and the rest misbehave: a loop that never ends, an allocation without bound, an
exception, an attempt to read the answers, and a file that is not JSON. The
correct one also holds notes that name things on the web (an image and a web font
in Markdown, an image in an output): its feedback page must load none of them.
The same cells are used by notebooks/09_grading.ipynb.
"""

from __future__ import annotations

import json
from pathlib import Path

HERE = Path(__file__).resolve().parent
SUBMISSIONS = HERE / "submissions"

IMPORTS = "import keras\nfrom keras import layers"
REGRESSOR = (
    "regressor = keras.Sequential([keras.Input((4,)), layers.Dense(8, activation='relu'),\n"
    "                              layers.Dense(1)])"
)


def classifier(units: int = 16) -> str:
    return (
        f"model = keras.Sequential([keras.Input((8,)), layers.Dense({units}, activation='relu'), "
        "layers.Dense(8, activation='relu'), layers.Dense(1, activation='sigmoid')])"
    )


CHEAT = (
    "import os\n"
    "# Try to read the instructor's reference, from here and from the grader's folder.\n"
    "places = ['classifier.yaml', '../classifier.yaml', '../assignment/classifier.yaml',\n"
    "          os.path.join(os.environ.get('PWD', '.'),\n"
    "                       'tests/data/grading/assignment/classifier.yaml')]\n"
    "answer = None\n"
    "for place in places:\n"
    "    if os.path.exists(place) and os.path.getsize(place) > 0:\n"
    "        answer = open(place).read()\n"
    "if answer is None:\n"
    "    raise FileNotFoundError('no reference found in ' + repr(places))\n"
    "import kerasguide\n"
    "model = kerasguide.build(kerasguide.load_spec(answer))"
)

# A student's notes and an output that name things on the web (see tests/test_grade_offline.py).
NOTES = (
    "## My notes\n\nThe network from the course's slides:\n\n"
    "![the course's diagram](https://example.com/course/mlp.png)\n\n"
    "<style>@import url(https://fonts.googleapis.com/css2?family=Roboto);\n"
    "h2 { font-family: Roboto; background: url('https://example.com/course/paper.png') }</style>"
)
SHOW = (
    "from IPython.display import HTML\n"
    "HTML(\"<p>My loss curve:</p><img src='https://example.com/me/loss.png' alt='loss'>\")"
)

CASES = {
    "correct": [classifier(), NOTES, SHOW],
    "wrong_units": [classifier(units=32)],
    "infinite_loop": ["while True:\n    pass\n" + classifier()],
    "memory_hog": [
        "import numpy as np\nhoard = []\nwhile True:\n    hoard.append(np.zeros(2**27))\n"
        + classifier()
    ],
    "raises": ["raise RuntimeError('I did not finish this exercise')\n" + classifier()],
    "cheater": [CHEAT],
}


def notebook(cells: list[str]) -> dict[str, object]:
    """A minimal nbformat 4 notebook with these cells after a title (NOTES is Markdown)."""
    body = [IMPORTS, REGRESSOR, *cells]
    return {
        "cells": [{"cell_type": "markdown", "id": "title", "metadata": {}, "source": "# Week 3"}]
        + [
            {"cell_type": "markdown", "id": "notes", "metadata": {}, "source": source}
            if source == NOTES
            else {
                "cell_type": "code",
                "execution_count": None,
                "id": f"cell-{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(body)
        ],
        "metadata": {
            "kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}
        },
        "nbformat": 4,
        "nbformat_minor": 5,
    }


def main() -> None:
    SUBMISSIONS.mkdir(exist_ok=True)
    for name, cells in CASES.items():
        text = json.dumps(notebook(cells), indent=1, sort_keys=True) + "\n"
        (SUBMISSIONS / f"{name}.ipynb").write_text(text, encoding="utf-8")
    (SUBMISSIONS / "not_json.ipynb").write_text('{"cells": [ this is not JSON\n', encoding="utf-8")


if __name__ == "__main__":
    main()
