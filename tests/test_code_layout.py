"""The code's own shape, as the guide's page "How the code is laid out" promises it.

Read from the modules' source with :mod:`ast`, nothing imported: no import cycles
(imports made inside functions and under ``TYPE_CHECKING`` count too), no module
borrowing another's private name, no module over 450 lines, no ``# fmt: skip``,
and grading (``kerasguide/grading/``) kept apart: no module of the library's core
imports it; only the public API (``__init__``) and the command line reach it. That
page (``docs/guide-layout.md``) names every module.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "kerasguide"
LAYOUT_PAGE = PACKAGE.parent / "docs" / "guide-layout.md"
MODULES = {
    ".".join(path.relative_to(PACKAGE).with_suffix("").parts).removesuffix(".__init__"): path
    for path in sorted(PACKAGE.rglob("*.py"))
}
# The modules allowed to import kerasguide.grading from outside it: the public API and
# the command line's dispatch.
GRADING_DOORS = {"__init__", "cli", "_cli_commands"}

pytestmark = pytest.mark.no_keras


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """``(module, names)`` for every import of a kerasguide module in ``path``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module != "kerasguide" and not node.module.startswith("kerasguide."):
                continue
            module = node.module.removeprefix("kerasguide").removeprefix(".")
            names = [alias.name for alias in node.names]
            prefix = f"{module}." if module else ""
            submodules = [f"{prefix}{name}" for name in names if f"{prefix}{name}" in MODULES]
            found += [(name, []) for name in submodules]  # from kerasguide import _x
            if module and len(submodules) < len(names):
                found.append((module, [n for n in names if f"{prefix}{n}" not in MODULES]))
        elif isinstance(node, ast.Import):
            found += [
                (alias.name.removeprefix("kerasguide."), [])
                for alias in node.names
                if alias.name.startswith("kerasguide.")
            ]
    return found


GRAPH = {
    name: {target for target, _ in _imports(path) if target != name and target in MODULES}
    for name, path in MODULES.items()
}


def _cycle_from(start: str) -> list[str] | None:
    """A path of imports from ``start`` back to itself, if there is one (iteratively)."""
    stack = [(start, [start])]
    seen = set()
    while stack:
        node, path = stack.pop()
        for target in GRAPH[node]:
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def test_the_checker_finds_a_cycle() -> None:
    GRAPH["_probe_a"], GRAPH["_probe_b"] = {"_probe_b"}, {"_probe_a"}
    try:
        assert _cycle_from("_probe_a") == ["_probe_a", "_probe_b", "_probe_a"]
    finally:
        del GRAPH["_probe_a"], GRAPH["_probe_b"]


def test_no_import_cycles() -> None:
    cycles = [" -> ".join(c) for name in MODULES if (c := _cycle_from(name)) is not None]
    assert cycles == []


def test_no_module_imports_another_modules_private_names() -> None:
    borrowed = [
        f"{name} imports {target}.{imported}"
        for name, path in MODULES.items()
        for target, names in _imports(path)
        for imported in names
        if imported.startswith("_") and not imported.startswith("__")
    ]
    assert borrowed == []


def test_no_module_is_over_450_lines() -> None:
    sizes = {
        name: len(path.read_text(encoding="utf-8").splitlines()) for name, path in MODULES.items()
    }
    assert {name: n for name, n in sizes.items() if n > 450} == {}


def test_the_core_never_imports_grading() -> None:
    reaching = sorted(
        f"{name} imports {target}"
        for name, path in MODULES.items()
        if not name.startswith("grading") and name not in GRADING_DOORS
        for target, _ in _imports(path)
        if target == "grading" or target.startswith("grading.")
    )
    assert reaching == []
    assert any(target.startswith("grading") for target, _ in _imports(MODULES["__init__"]))


def test_no_formatting_is_switched_off() -> None:
    assert [name for name, path in MODULES.items() if "fmt: skip" in path.read_text()] == []


def test_the_layout_page_names_every_module() -> None:
    page = LAYOUT_PAGE.read_text(encoding="utf-8")
    unnamed = [
        path.relative_to(PACKAGE).as_posix()
        for path in MODULES.values()
        if path.name != "__init__.py" and f"`{path.name}`" not in page
    ]
    assert unnamed == [], f"{LAYOUT_PAGE.name} does not name {unnamed}"
