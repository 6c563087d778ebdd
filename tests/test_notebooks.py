"""The course notebooks are clean material: no outputs, the python3 kernel, public imports.

These tests read the notebooks as JSON and never execute them; ``make notebooks``
runs them (pytest --nbmake). After that run, ``make notebooks`` calls this file
again with ``KERASGUIDE_EXECUTED_NOTEBOOKS=build/notebooks`` to check that every
cell tagged ``raises-exception`` really raised a kerasguide error.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import sys
from pathlib import Path
from typing import Any

import nbformat
import pytest

import kerasguide as kg

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
pytestmark = pytest.mark.no_keras  # notebooks are read as text here; nbmake runs them

EXPECTED = [
    "01_sequential",
    "02_functional",
    "03_mlp",
    "04_cnn_rnn",
    "05_graphs",
    "06_training",
    "07_exercises",
    "08_specs",
    "09_grading",
]
# Notebooks that show an error on purpose, in a cell tagged raises-exception.
SHOW_ERRORS = ["02_functional", "04_cnn_rnn", "05_graphs", "07_exercises", "08_specs"]
FAST_MODE = "KERASGUIDE_FAST"
# Besides kerasguide and keras: the standard library and these, for data and pictures.
THIRD_PARTY = {"numpy", "sklearn", "matplotlib"}
ERROR_NAMES = {name for name in kg.__all__ if name.endswith(("Error", "Failed", "Unavailable"))}


def _read(name: str) -> Any:
    return nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)


def _code_cells(name: str) -> list[Any]:
    return [cell for cell in _read(name).cells if cell.cell_type == "code"]


def _python(source: str) -> str:
    """The cell's source with IPython's magics and shell escapes blanked out."""
    lines = source.splitlines()
    return "\n".join("" if line.lstrip().startswith(("%", "!")) else line for line in lines)


def _tagged(cell: Any) -> bool:
    return "raises-exception" in cell.metadata.get("tags", [])


def test_the_course_notebooks_exist() -> None:
    assert sorted(path.stem for path in NOTEBOOKS.glob("*.ipynb")) == EXPECTED


@pytest.mark.parametrize("name", EXPECTED)
def test_valid_and_committed_without_outputs(name: str) -> None:
    notebook = _read(name)
    nbformat.validate(notebook)
    assert notebook.metadata.get("kernelspec", {}).get("name") == "python3"
    dirty = [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.outputs or cell.execution_count is not None)
    ]
    assert not dirty, f"{name}: cells {dirty} have outputs or execution counts; clear them"


@pytest.mark.parametrize("name", EXPECTED)
def test_imports_only_the_public_api(name: str) -> None:
    problems = []
    for i, cell in enumerate(_code_cells(name)):
        for node in ast.walk(ast.parse(_python(cell.source))):
            problems += [f"code cell {i}: {p}" for p in _import_problems(node)]
    assert not problems, f"{name}:\n" + "\n".join(problems)


def _import_problems(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [p for alias in node.names for p in _module_problems(alias.name)]
    if isinstance(node, ast.ImportFrom):
        module = node.module or ""
        if module == "kerasguide" and not node.level:
            return [f"kg.{a.name} is private" for a in node.names if a.name not in kg.__all__]
        if module == "kerasguide.cli" and [a.name for a in node.names] == ["main"]:
            return []  # the `kerasguide` command's entry point (docs/guide-cli.md)
        if node.level or module.startswith("kerasguide"):
            return [f"`from {'.' * node.level}{module} import ...`: use `import kerasguide as kg`"]
        return _module_problems(module)
    is_kg = isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
    if is_kg and node.value.id in ("kg", "kerasguide") and node.attr not in kg.__all__:
        return [f"kg.{node.attr} is not in kerasguide.__all__"]
    return []


def _module_problems(module: str) -> list[str]:
    top, *rest = module.split(".")
    if top == "kerasguide":
        return [] if not rest else [f"`import {module}`: only `import kerasguide as kg`"]
    if top == "keras":
        private = any(part == "src" or part.startswith("_") for part in rest)
        return [f"`{module}` is private to Keras"] if private else []
    if top in THIRD_PARTY or top in sys.stdlib_module_names:
        return []
    return [f"`{module}`: notebooks import kerasguide, keras, {sorted(THIRD_PARTY)} and stdlib"]


@pytest.mark.parametrize("name", SHOW_ERRORS)
def test_errors_are_shown_in_tagged_cells(name: str) -> None:
    tagged = [cell for cell in _code_cells(name) if _tagged(cell)]
    assert tagged, f"{name} shows an error on purpose, in a cell tagged raises-exception"
    for cell in tagged:
        assert "kg." in cell.source, f"{name}: a tagged cell must show a kerasguide error"


def test_only_code_cells_are_tagged() -> None:
    for name in EXPECTED:
        for cell in _read(name).cells:
            assert cell.cell_type == "code" or not _tagged(cell), name


def test_training_has_a_fast_mode_in_a_setup_cell() -> None:
    setup = "".join(cell.source for cell in _code_cells("06_training") if _setup(cell))
    assert f'os.environ.get("{FAST_MODE}"' in setup
    makefile = (NOTEBOOKS.parent / "Makefile").read_text(encoding="utf-8")
    assert re.search(rf"^{FAST_MODE} \?= 1$", makefile, flags=re.MULTILINE)


@pytest.mark.parametrize("name", EXPECTED)
def test_starts_with_an_install_cell_that_does_nothing_in_the_repository(name: str) -> None:
    """The website writes the real line into it (docs/hooks.py, tested in test_site.py)."""
    first = _read(name).cells[0]
    assert first.cell_type == "code"
    assert first.metadata.get("tags") == ["install"]
    lines = first.source.splitlines()
    assert all(line.startswith("#") for line in lines), "comments only: nbmake runs it here"
    assert "course's website" in first.source


def test_the_websites_install_cell_runs_pip_where_kerasguide_is_missing() -> None:
    from IPython.core.inputtransformer2 import TransformerManager

    spec = importlib.util.spec_from_file_location("hooks", NOTEBOOKS.parent / "docs/hooks.py")
    assert spec is not None
    assert spec.loader is not None
    hooks = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(hooks)
    url = "https://course.example/keras/dist/kerasguide-1.0-py3-none-any.whl"
    python = TransformerManager().transform_cell(hooks.install_cell_source(url))
    calls = [n for n in ast.walk(ast.parse(python)) if isinstance(n, ast.Call)]
    magic = [ast.literal_eval(arg) for c in calls if ast.unparse(c.func).endswith(
        "run_line_magic") for arg in c.args]  # fmt: skip
    assert magic == ["pip", f"install {url}"]
    assert 'find_spec("kerasguide") is None' in python


@pytest.mark.parametrize("name", EXPECTED)
def test_build_plumbing_stays_out_of_student_cells(name: str) -> None:
    """Output folders and fast mode come from the environment, in a set-up cell the site hides."""
    for index, cell in enumerate(_code_cells(name)):
        if _setup(cell):
            assert "Course set-up, hidden on the course website" in cell.source
            continue
        for plumbing in ("pyproject.toml", "KERASGUIDE_", "os.environ", "os.chdir"):
            assert plumbing not in cell.source, f"{name}: code cell {index} uses {plumbing}"


DRAWS = ("plot_model(", "plt.show()", "plot_history(", "LivePlot(")


@pytest.mark.parametrize("name", EXPECTED)
def test_every_picture_has_alt_text(name: str) -> None:
    """The course website gives each picture its cell's ``alt`` metadata (docs/hooks.py)."""
    for index, cell in enumerate(_code_cells(name)):
        if any(call in cell.source for call in DRAWS):
            alt = cell.metadata.get("alt")
            assert alt, f"{name}: code cell {index} draws a picture; describe it in metadata.alt"


def _setup(cell: Any) -> bool:
    return "setup" in cell.metadata.get("tags", [])


# --- after `make notebooks`: the executed copies under build/notebooks/ --------------

EXECUTED = os.environ.get("KERASGUIDE_EXECUTED_NOTEBOOKS")


@pytest.mark.skipif(not EXECUTED, reason="checks executed notebooks; run by `make notebooks`")
def test_executed_notebooks_ran_to_the_end_with_errors_only_where_tagged() -> None:
    problems = []
    for name in EXPECTED:
        notebook = nbformat.read(Path(str(EXECUTED)) / f"{name}.ipynb", as_version=4)
        for index, cell in enumerate(notebook.cells):
            problem = _executed_problem(index, cell) if cell.cell_type == "code" else None
            if problem:
                problems.append(f"{name}.ipynb, {problem}")
                break  # one problem per notebook: the cells after a failure did not run
    assert not problems, "\n".join(problems)


def _executed_problem(index: int, cell: Any) -> str | None:
    first_line = cell.source.strip().splitlines()[0] if cell.source.strip() else ""
    where = f"cell {index} (In [{cell.execution_count or ' '}]: {first_line[:60]})"
    if cell.execution_count is None:
        return f"{where}: not executed (an earlier cell failed or timed out)"
    errors = [f"{out.ename}: {out.evalue}" for out in cell.outputs if out.output_type == "error"]
    if errors and errors[0].startswith("KeyboardInterrupt"):
        return f"{where}: timed out (nbmake interrupted it; see --nbmake-timeout)"
    if _tagged(cell) and not errors:
        return f"{where}: tagged raises-exception but raised nothing"
    if _tagged(cell) and errors[0].split(":")[0] not in ERROR_NAMES:
        return f"{where}: tagged raises-exception but raised {errors[0]}, not a kerasguide error"
    if errors and not _tagged(cell):
        return f"{where}: {errors[0]}"
    return None
