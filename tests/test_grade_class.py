"""A realistic class, graded to the scores a fair instructor would give.

The exercise is the classic one of introductory courses (improve a digits
classifier with convolutions: Conv2D → MaxPooling2D → Flatten → Dense → Dense),
written here in the style of public course notebooks, not copied from them:
tf.nn activations, other variable names, models built inside functions, a
`!pip` cell, data cells that need the assignment's `files:`, extra and missing
blocks. Three of them are graded again, afresh, in `--shard 1/2` and `2/2` runs
(the shards take the unsharded run's records of the other students: a record is
reused when its notebook is unchanged), and the merged folder is compared byte for
byte with the unsharded run. The shards run `--trusted` (no sandbox) and the
unsharded run in the sandbox: neither the run, the sharding nor the isolation may
leave a trace in what is written, and no path of the grading machine may either.
"""

from __future__ import annotations

import concurrent.futures as cf
import html
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import kerasguide as kg
from kerasguide.cli import main
from kerasguide.grading import _sandbox as sandbox
from kerasguide.grading._batch import shard
from tests.notebook_files import notebook_json

pytestmark = pytest.mark.slow

if sandbox._why_not() is not None and not os.environ.get("CI"):
    pytest.skip(f"no sandbox here: {sandbox._why_not()}", allow_module_level=True)

REFERENCE = """\
kind: sequential
name: digits_cnn
input_shape: [8, 8, 1]
layers:
  - {Conv2D: 16, kernel_size: 3, activation: relu}
  - MaxPooling2D
  - Flatten
  - {Dense: 32, activation: relu}
  - {Dense: 10, activation: softmax}
"""

ASSIGNMENT = """\
title: "Week 5: convolutions"
limits: {notebook_seconds: 120, cell_seconds: 30}
files: [data/digits.npz]
setup: |
  import os
  os.environ["DIGITS"] = "data/digits.npz"
exercises:
  - name: cnn
    variable: [model, cnn]
    reference: {spec: reference.yaml}
    checks: [model, params]
    points: 10
    deductions: {config: 2, extra: 3, missing: 3, input: 3, type: 3, default: 0,
                 caps: {config: 4}}
"""

DATA = "import numpy as np\ndata = np.load('data/digits.npz')\nx, y = data['x'], data['y']"
# The path the assignment's setup: gives (a KeyError if setup did not run first).
SETUP_DATA = DATA.replace("'data/digits.npz'", "os.environ['DIGITS']").replace(
    "import numpy", "import os\nimport numpy"
)
IMPORTS = "import tensorflow as tf\nimport keras\nfrom keras import layers"


def _cnn(
    *,
    filters: int = 16,
    units: int = 32,
    hidden: str = "'relu'",
    out: str = "'softmax'",
    conv: str = "'relu'",
    channels: int = 1,
    extra: bool = False,
    dense: bool = True,
) -> str:
    block = "    layers.Conv2D(16, 2, activation='relu'),\n    layers.MaxPooling2D(1),\n"
    return (
        "keras.Sequential([\n"
        f"    keras.Input(shape=(8, 8, {channels})),\n"
        f"    layers.Conv2D({filters}, 3, activation={conv}),\n"
        "    layers.MaxPooling2D(),\n"
        + (block if extra else "")
        + "    layers.Flatten(),\n"
        + (f"    layers.Dense({units}, activation={hidden}),\n" if dense else "")
        + f"    layers.Dense(10, activation={out}),\n])"
    )


TRAIN = (
    "model.compile('adam', 'sparse_categorical_crossentropy')\nmodel.fit(x, y, epochs=1, verbose=0)"
)

# name: (cells, score, status), as a fair instructor grades them.
CLASS: dict[str, tuple[list[str], float, str]] = {
    # the data from the assignment's `setup:`, the model built inside a function, then trained
    "ada": (
        [IMPORTS, SETUP_DATA, f"def build():\n    return {_cnn()}\n\nmodel = build()", TRAIN],
        10,
        "ok",
    ),
    "ben_tf_nn": (
        [
            IMPORTS,
            DATA,
            f"model = {_cnn(conv='tf.nn.relu', hidden='tf.nn.relu', out='tf.nn.softmax')}",
        ],
        10,
        "ok",
    ),
    # a `!pip` cell, and the model under the assignment's other name
    "chloe_pip_named_cnn": (
        ["!pip install --quiet numpy", IMPORTS, DATA, f"cnn = {_cnn()}"],
        10,
        "ok",
    ),
    "gia_extra_block": ([IMPORTS, DATA, f"model = {_cnn(extra=True)}"], 7, "ok"),
    "hugo_missing_dense": ([IMPORTS, DATA, f"model = {_cnn(dense=False)}"], 7, "ok"),
    # one setting: a tf.nn function where the reference names 'softmax'
    "iris_sigmoid": ([IMPORTS, DATA, f"model = {_cnn(out='tf.nn.sigmoid')}"], 8, "ok"),
    "jay_own_data_file": (
        [
            IMPORTS,
            "import os\nimport numpy as np\ndata = np.load(os.path.join(os.getcwd(), 'mnist.npz'))",
            f"model = {_cnn()}",
        ],
        10,
        "environment",
    ),
    "kim_raises": (
        [IMPORTS, DATA, "model = keras.Sequential([layers.Dense(10, activaton='relu')])"],
        0,
        "error",
    ),
    "leo_other_name": ([IMPORTS, DATA, f"untrained_model = {_cnn()}"], 0, "ok"),
    "mia_channels": ([IMPORTS, DATA, f"model = {_cnn(channels=3)}"], 7, "ok"),
    # Keras cannot load a lambda again: no model to grade, and the reason names the layer
    "olga_lambda": ([IMPORTS, DATA, f"model = {_cnn(hidden='lambda x: tf.nn.relu(x)')}"], 0, "ok"),
    "noah_three_settings": (
        [IMPORTS, DATA, "model = " + _cnn(filters=8, units=64, out="'sigmoid'")],
        6,
        "ok",
    ),
}


# Graded again in the shards: the environment's failure on a missing file (named by its
# absolute path) in shard 1, and a traceback through Keras and a mistake with its
# consequences in shard 2.
FRESH = ("gia_extra_block", "jay_own_data_file", "kim_raises")


@pytest.fixture(scope="module")
def course(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("course")
    (root / "data").mkdir()
    rng = np.random.default_rng(0)
    np.savez(
        root / "data" / "digits.npz",
        x=rng.random((64, 8, 8, 1), dtype=np.float32),
        y=rng.integers(0, 10, 64),
    )
    (root / "reference.yaml").write_text(REFERENCE)
    (root / "assignment.yaml").write_text(ASSIGNMENT)
    submitted = root / "submitted"
    submitted.mkdir()
    for name, (cells, _, _) in CLASS.items():
        (submitted / f"{name}.ipynb").write_text(notebook_json(cells))
    assignment = root / "assignment.yaml"
    whole = kg.grade(assignment, submitted, output=root / "whole", workers=2, progress=False)
    for k in (1, 2):  # each shard takes the unsharded records of all but the fresh students
        for notebook in shard(sorted(submitted.glob("*.ipynb")), f"{k}/2"):
            if notebook.stem not in FRESH:
                student = root / "whole" / "students" / notebook.stem
                shutil.copytree(student, root / f"shard{k}" / "students" / notebook.stem)
    with cf.ThreadPoolExecutor(max_workers=2) as pool:  # as two machines would, at once
        parts = [
            pool.submit(kg.grade, assignment, submitted, output=root / f"shard{k}",
                        shard=f"{k}/2", workers=1, progress=False, trusted=True)
            for k in (1, 2)
        ]  # fmt: skip
        fresh = sorted(s.student for part in parts for s in part.result().submissions
                       if not s.skipped)  # fmt: skip
    assert fresh == sorted(FRESH)  # these ran again, in the shards; the others were reused
    shards = [str(root / "shard1"), str(root / "shard2")]
    assert main(["grade", "merge", *shards, "-o", str(root / "merged")]) == 0
    return {"root": root, "whole": whole}


@pytest.mark.parametrize("student", sorted(CLASS))
def test_each_student_gets_a_fair_score(course: dict[str, Any], student: str) -> None:
    graded = course["whole"][student]
    _, score, status = CLASS[student]
    assert (graded.score, graded.status) == (score, status), str(graded)


def test_one_finding_per_mistake_and_consequences_cost_nothing(course: dict[str, Any]) -> None:
    extra = course["whole"]["gia_extra_block"].exercise("cnn")
    priced = [f for f in extra["findings"] if f["deduction"]]
    assert [f["kind"] for f in priced] == ["extra"]
    assert priced[0]["message"] == (
        "this block of 2 layers (Conv2D → MaxPooling2D) is not in the expected model"
    )
    assert {f["kind"] for f in extra["findings"]} <= {"extra", "consequence", "totals"}
    missing = course["whole"]["hugo_missing_dense"].exercise("cnn")
    assert [f["kind"] for f in missing["findings"] if f["deduction"]] == ["missing"]
    for name in CLASS:  # no layer is blamed for what comes from before it
        findings = course["whole"][name].exercises[0]["findings"]
        assert _blamed_for_upstream(findings) == [], name
    noah = course["whole"]["noah_three_settings"].exercise("cnn")["findings"]
    assert sum("which follows from layer 1 (Conv2D)" in f["message"] for f in noah) == 3
    totals = [f for f in extra["findings"] if f["kind"] == "totals"]
    assert len(totals) == 1  # said by `model`, not repeated by `params`


def _blamed_for_upstream(findings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The findings that state a shape or a parameter count of a layer whose input differs
    (the layer before it is extra, or missing, or has another output) without naming the
    earlier difference it comes from."""
    differs: set[int] = set()  # layers whose output differs from the reference's; 0: the input
    for finding in findings:
        where, message = finding["where"], finding["message"]
        span = re.match(r"layers? (\d+)(?:–(\d+))? ", where)
        if where.startswith("the input"):
            differs.add(0)
        elif where.startswith("missing"):
            differs.update(int(n) for n in re.findall(r"after layer (\d+) ", message))
        elif span and (finding["kind"] == "extra" or "its output" in message):
            differs.update(range(int(span[1]), int(span[2] or span[1]) + 1))
    return [
        finding
        for finding in findings
        if (at := re.match(r"layer (\d+) ", finding["where"]))
        and int(at[1]) - 1 in differs
        and re.search(r"parameters|its output", finding["message"])
        and "which follows from " not in finding["message"]
    ]


def test_caps_hold_and_the_reason_names_what_exists(course: dict[str, Any]) -> None:
    three = course["whole"]["noah_three_settings"].exercise("cnn")
    assert sum(f["deduction"] for f in three["findings"]) == 6  # 3 × 2, capped at 4
    assert three["score"] == 6
    other = course["whole"]["leo_other_name"].exercise("cnn")
    assert other["status"] == "missing"
    assert other["reason"] == (
        "the notebook defines no variable 'model' or 'cnn'; the Keras models it defines: "
        "untrained_model"
    )


def test_the_environment_is_told_apart_from_the_student(course: dict[str, Any]) -> None:
    jay = course["whole"]["jay_own_data_file"]
    assert jay.reason == (
        "the cell In [2] raised FileNotFoundError: a file the notebook reads is not there: "
        "mnist.npz — if the assignment should provide it, list it under `files:`"
    )
    overview = (course["root"] / "whole" / "overview.html").read_text()
    assert "Failures of the grading machine, not of students" in overview
    assert "<li>1: a file the notebook reads is not there</li>" in overview
    assert "most common mistakes" in overview
    page = course["root"] / "whole" / "students" / "jay_own_data_file" / "feedback.html"
    assert (
        "<p>Because of the grading machine, not the notebook&#x27;s code, the cell In [2] "
        "raised FileNotFoundError: a file the notebook reads" in page.read_text()
    )


def test_a_model_keras_cannot_load_again_names_its_layer(course: dict[str, Any]) -> None:
    olga = course["whole"]["olga_lambda"].exercise("cnn")
    assert (olga["status"], olga["score"]) == ("unloadable", 0)
    assert olga["reason"] == (
        "Keras cannot load the saved model again: layer 'dense' (Dense) uses a Python function "
        "(lambda) as its activation — use a built-in activation such as 'relu'"
    )


def test_a_setup_that_raises_is_the_instructors_failure(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """The notebook is not run, and the gradebook and overview say it is not the student's."""
    root = tmp_path_factory.mktemp("setup")
    (root / "reference.yaml").write_text(REFERENCE)
    (root / "assignment.yaml").write_text(
        ASSIGNMENT.replace("files: [data/digits.npz]\n", "").replace(
            'os.environ["DIGITS"] = "data/digits.npz"', 'DIGITS = open("data/digits.npz").read()'
        )
    )
    submitted = root / "submitted"
    submitted.mkdir()
    # never run: a notebook that needs no Keras keeps its kernel's start short
    (submitted / "ada.ipynb").write_text(notebook_json(["model = None"]))
    report = kg.grade(root / "assignment.yaml", submitted, output=root / "out", progress=False)
    ada = report["ada"]
    assert (ada.score, ada.status) == (0, "setup-error")
    assert ada.reason == (
        "the instructor's setup code raised FileNotFoundError: [Errno 2] No such file or "
        "directory: 'data/digits.npz'"
    )
    assert ada.exercise("cnn")["status"] == "not-run"
    record = (root / "out" / "students" / "ada" / "record.json").read_text()
    assert '"errors": []' in record  # no cell of the notebook ran
    page = (root / "out" / "students" / "ada" / "feedback.html").read_text()
    assert (
        "<p>The notebook was not run because the instructor&#x27;s setup code raised "
        "FileNotFoundError" in page
    )
    assert "Cell In[" not in page  # no traceback of the notebook's: it did not run
    overview = (root / "out" / "overview.html").read_text()
    assert "<li>1: the instructor&#x27;s setup code failed (the notebook was not run)</li>" in (
        overview
    )


def test_shards_and_the_unsharded_run_write_the_same_bytes(course: dict[str, Any]) -> None:
    """Byte for byte, but for each record's wall-clock ``seconds`` (and the lock file)."""
    root = course["root"]
    whole, merged = root / "whole", root / "merged"
    for name in ("gradebook.csv", "findings.json", "overview.html", "overview.png"):
        assert (merged / name).read_bytes() == (whole / name).read_bytes(), name
    for student in sorted(CLASS):
        for name in ("results.json", "feedback.html"):
            path = f"students/{student}/{name}"
            assert (merged / path).read_bytes() == (whole / path).read_bytes(), path
        records = [json.loads((f / "students" / student / "record.json").read_bytes())
                   for f in (merged, whole)]  # fmt: skip
        assert [r.pop("seconds") > 0 for r in records] == [True, True]
        assert records[0] == records[1], student
    [jay] = [r for r in (whole / "gradebook.csv").read_text().splitlines() if r.startswith("jay")]
    # its kernel's folder was a temporary one of the grader's in the trusted shard
    assert "a file the notebook reads is not there: mnist.npz —" in jay
    page = (merged / "students" / "jay_own_data_file" / "feedback.html").read_text()
    assert "No such file or directory: &#x27;/kerasguide-kernel/work/mnist.npz&#x27;" in page


def test_no_path_of_the_grading_machine_in_any_file(course: dict[str, Any]) -> None:
    import kerasguide

    root = course["root"]
    paths = {
        str(root),  # the submissions, the assignment, the output folders
        tempfile.gettempdir() + "/kerasguide-",  # the kernels' and the models' folders
        sys.prefix,  # the grader's virtual environment
        str(Path(kerasguide.__file__).parents[1]),  # kerasguide's folder (the repository)
    }
    paths |= {sys.base_prefix} - {"/usr", "/usr/local"}  # Python itself
    paths |= {p for p in sys.path if "site-packages" in p}  # Keras's, TensorFlow's
    folders = ["whole", "shard1", "shard2", "merged"]  # sandboxed, trusted, both
    written = [p for f in folders for p in (root / f).rglob("*") if p.is_file()]
    assert len(written) > 100
    for path in written:
        data = path.read_bytes()
        found = [p for p in paths if p.encode() in data]
        assert found == [], (path, found)
    kim = (root / "whole" / "students" / "kim_raises" / "feedback.html").read_text()
    notebook = html.unescape(kim)  # the notebook's page, as its frame gets it
    assert re.search(r"&lt;python&gt;/keras/src/\S+\.py", notebook)  # a traceback into Keras


def test_a_builder_function_is_called_and_graded(tmp_path_factory: pytest.TempPathFactory) -> None:
    root = tmp_path_factory.mktemp("builder")
    (root / "reference.yaml").write_text(REFERENCE)
    (root / "assignment.yaml").write_text(
        "title: builders\nexercises:\n  - name: cnn\n    call: build_model\n"
        "    reference: {spec: reference.yaml}\n    points: 10\n"
    )
    submitted = root / "submitted"
    submitted.mkdir()
    code = f"def build_model():\n    return {_cnn()}"
    (submitted / "zoe.ipynb").write_text(notebook_json([IMPORTS, code]))
    (submitted / "yann.ipynb").write_text(notebook_json(["x = 1"]))  # no Keras: a quick start
    report = kg.grade(root / "assignment.yaml", submitted, output=root / "out", progress=False)
    assert (report["zoe"].score, report["zoe"].status) == (10, "ok")
    assert report["yann"].exercise("cnn")["reason"] == (
        "the notebook defines no function 'build_model'"
    )


def test_the_assignment_says_where_the_model_is_exactly_once(tmp_path: Path) -> None:
    from kerasguide.errors import SpecError

    (tmp_path / "reference.yaml").write_text(REFERENCE)
    (tmp_path / "a.yaml").write_text(
        "exercises:\n  - name: cnn\n    variable: model\n    call: build\n"
        "    reference: {spec: reference.yaml}\n    points: 10\n"
    )
    with pytest.raises(SpecError, match=r"(?s)exercises\[0\].*say where the student's model is"
                       r".*received: variable and call"):  # fmt: skip
        kg.load_assignment(tmp_path / "a.yaml")
    (tmp_path / "a.yaml").write_text(
        "exercises:\n  - name: cnn\n    variable: [model, 2cnn]\n"
        "    reference: {spec: reference.yaml}\n    points: 10\n"
    )
    with pytest.raises(SpecError, match=r"variable\[1\]: not a Python variable name"):
        kg.load_assignment(tmp_path / "a.yaml")
