"""The cell run before a student's first one, outside their time: Keras's import.

Private to :mod:`kerasguide.grading`. Importing TensorFlow takes seconds, so a
notebook that may use Keras is given it in advance, and the import never counts
against the student's time limit. A notebook (with the assignment's ``setup:``)
whose code imports nothing but plain modules of Python's standard library (and
IPython's display functions) cannot build a Keras model: its kernel skips those
seconds. Whatever could import a
module by name (``importlib``, ``pickle``, ``exec``, a magic, a relative import,
code that does not parse) counts as using Keras, so the rule only ever errs
towards the slower, fairer start.
"""

from __future__ import annotations

import ast
import sys

__all__ = ["RESET", "needs_keras", "warm_cell"]

# After the lead cells: the student's first cell is In [1] again, at its prompt and in
# its tracebacks.
RESET = "get_ipython().execution_count = 1"
_KERAS = (
    "try:\n    import keras as _kerasguide_keras\nexcept Exception:\n    pass\n"
    f"else:\n    del _kerasguide_keras\n{RESET}"
)

# Standard-library modules that load other modules by name, or run other code.
_LOADERS = frozenset(
    [
        "builtins",
        "code",
        "codeop",
        "concurrent",
        "copyreg",
        "doctest",
        "imp",
        "importlib",
        "marshal",
        "multiprocessing",
        "pdb",
        "pickle",
        "pkgutil",
        "pydoc",
        "runpy",
        "shelve",
        "site",
        "sitecustomize",
        "subprocess",
        "unittest",
        "usercustomize",
        "xmlrpc",
        "zipimport",
        "_pickle",
        "_imp",
        "__main__",
        "__future__",
    ]
)
# IPython's display functions: already in the kernel, and they run nothing of their own.
_DISPLAY = frozenset(["IPython.display", "IPython.core.display"])
# Names through which code imports or runs other code without an import statement.
_DYNAMIC = frozenset(
    [
        "__import__",
        "exec",
        "eval",
        "compile",
        "get_ipython",
        "import_module",
        "globals",
        "__builtins__",
        "breakpoint",
        "open_code",
    ]
)


def warm_cell(sources: list[str]) -> str:
    """The first cell for a notebook whose code cells (and setup) are ``sources``."""
    return _KERAS if needs_keras(sources) else RESET


def needs_keras(sources: list[str]) -> bool:
    """False only when every source parses and imports plain standard-library modules only.

    >>> needs_keras(["import os, json", "x = len(os.listdir('.'))"])
    False
    >>> needs_keras(["import numpy as np"]), needs_keras(["!pip install keras"])
    (True, True)
    """
    for source in sources:
        code = _python(source)
        if code is None:
            return True
        try:
            tree = ast.parse(code)
        except (SyntaxError, ValueError, RecursionError, MemoryError):
            return True
        if any(_may_import(node) for node in ast.walk(tree)):
            return True
    return False


def _python(source: str) -> str | None:
    """The cell as IPython runs it (magics become calls), or None when it cannot be read."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    try:
        return str(TransformerManager().transform_cell(source))  # type: ignore[no-untyped-call]
    except Exception:
        return None


def _may_import(node: ast.AST) -> bool:
    if isinstance(node, ast.Import):
        return not all(_plain(alias.name) for alias in node.names)
    if isinstance(node, ast.ImportFrom):
        return bool(node.level) or not _plain(node.module or "")
    if isinstance(node, ast.Name):
        return node.id in _DYNAMIC
    if isinstance(node, ast.Attribute):
        return node.attr in _DYNAMIC
    return False


def _plain(module: str) -> bool:
    if module in _DISPLAY:
        return True
    top = module.partition(".")[0]
    return top in sys.stdlib_module_names and top not in _LOADERS
