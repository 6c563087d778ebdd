"""The one error tree of kerasguide.

Every mistake in a spec, a file or an argument raises a subclass of
:class:`KerasGuideError`. Each subclass also inherits the matching built-in
exception, so ``except ValueError`` keeps working::

    KerasGuideError(Exception)
    ├── SpecError(ValueError)            a spec's content is wrong
    │   ├── SpecTypeError(TypeError)     a value has the wrong type
    │   ├── SpecSyntaxError              YAML or JSON that cannot be read
    │   └── BuildError                   Keras refused to build the model
    ├── OptionError(ValueError)          a bad argument to a kerasguide function
    ├── FileError(OSError)               a file that cannot be read or written
    ├── SummaryParseError(ValueError)    summary text that cannot be parsed
    ├── LimitError(ValueError)           an input over a limit (see set_limits)
    ├── CheckFailed(AssertionError)      CheckResult.raise_for_failure()
    ├── GraphvizUnavailable(RuntimeError) engine="graphviz" without Graphviz
    └── SandboxUnavailable(RuntimeError) grading untrusted notebooks without bubblewrap

    KerasGuideWarning(UserWarning)       a legal but probably wrong model (kg.lint's hints)

A message says four things: *where* the mistake is (``layers[2].units``),
what was *expected*, what was *received*, and a *hint* on how to fix it,
with a did-you-mean for misspelt names.
"""

from __future__ import annotations

import re

__all__ = [
    "BuildError",
    "CheckFailed",
    "FileError",
    "GraphvizUnavailable",
    "KerasGuideError",
    "KerasGuideWarning",
    "LimitError",
    "OptionError",
    "SandboxUnavailable",
    "SpecError",
    "SpecSyntaxError",
    "SpecTypeError",
    "SummaryParseError",
]


class KerasGuideError(Exception):
    """Base class of every error raised by kerasguide.

    Args:
        problem: One sentence that says what went wrong.
        where: The place of the mistake, e.g. ``"layers[2].units"`` or a file name.
        expected: What would have been accepted.
        received: What was given instead.
        hint: How to fix it, e.g. a did-you-mean.

    Example:
        >>> err = KerasGuideError("unknown layer type", where="layers[0].type",
        ...                       expected="a class in keras.layers",
        ...                       received="'Dence'", hint="did you mean 'Dense'?")
        >>> print(err)
        layers[0].type: unknown layer type
          expected: a class in keras.layers
          received: 'Dence'
          hint: did you mean 'Dense'?
    """

    def __init__(
        self,
        problem: str,
        *,
        where: str | None = None,
        expected: str | None = None,
        received: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.problem = strip_ansi(problem)
        self.where = where
        self.expected = expected
        self.received = strip_ansi(received) if received else received
        self.hint = strip_ansi(hint) if hint else hint
        super().__init__(self._message())

    def _message(self) -> str:
        head = f"{self.where}: {self.problem}" if self.where else self.problem
        lines = [head]
        for label, value in (
            ("expected", self.expected),
            ("received", self.received),
            ("hint", self.hint),
        ):
            if value:
                lines.append(f"  {label}: {value}")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self._message()

    def _render_traceback_(self) -> list[str]:
        # IPython shows this instead of a traceback: a student sees the message only.
        return [f"{type(self).__name__}: {self}"]

    def __reduce__(self) -> tuple[object, ...]:
        # Keep the keyword-only fields when pickled (pytest-xdist, multiprocessing).
        return (_rebuild, (type(self), self.problem, self.to_dict()))

    def to_dict(self) -> dict[str, str | None]:
        """The parts of the message, for programs (e.g. ``kerasguide --json``)."""
        return {
            "error": type(self).__name__,
            "where": self.where,
            "problem": self.problem,
            "expected": self.expected,
            "received": self.received,
            "hint": self.hint,
        }


def _rebuild(
    cls: type[KerasGuideError], problem: str, parts: dict[str, str | None]
) -> KerasGuideError:
    return cls(
        problem,
        where=parts["where"],
        expected=parts["expected"],
        received=parts["received"],
        hint=parts["hint"],
    )


class SpecError(KerasGuideError, ValueError):
    """A spec describes something that cannot be built (unknown names, bad wiring)."""


class SpecTypeError(SpecError, TypeError):
    """A value in a spec has the wrong type (a string where a number belongs)."""


class SpecSyntaxError(SpecError):
    """A YAML or JSON document that cannot be parsed; names the file, line and column."""


class BuildError(SpecError):
    """Keras refused to build a layer; names the layer's spec path and the shapes involved."""


class OptionError(KerasGuideError, ValueError):
    """A bad argument to a kerasguide function (an unknown option value, a wrong type)."""


class FileError(KerasGuideError, OSError):
    """A file that cannot be found, read or written."""


class SummaryParseError(KerasGuideError, ValueError):
    """Summary text that cannot be parsed; names the line."""


class LimitError(KerasGuideError, ValueError):
    """An input over one of kerasguide's limits (size, nesting, parameters); see set_limits."""


class CheckFailed(KerasGuideError, AssertionError):
    """Raised by ``CheckResult.raise_for_failure()`` when a check has findings."""


class GraphvizUnavailable(KerasGuideError, RuntimeError):
    """``engine="graphviz"`` was asked for, but pydot or Graphviz's ``dot`` is missing."""


class SandboxUnavailable(KerasGuideError, RuntimeError):
    """``kerasguide grade`` cannot sandbox students' kernels here (no usable bubblewrap)."""


class KerasGuideWarning(UserWarning):
    """A hint about a legal but probably wrong model, emitted by ``build``; never an error.

    The message is the hint's text; ``code`` is its name (e.g. ``"dropout-high"``),
    by which it can be silenced (see :func:`kerasguide.lint`).

    Example:
        >>> KerasGuideWarning("layers[1] 'dropout' (Dropout): ...", code="dropout-high").code
        'dropout-high'
    """

    def __init__(self, message: str = "", code: str = "") -> None:
        super().__init__(message)
        self.code = code


_ANSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def strip_ansi(text: str) -> str:
    """``text`` without terminal colour codes (Keras puts some in its error messages).

    Example:
        >>> strip_ansi("\x1b[1mComputed output size would be zero.\x1b[0m")
        'Computed output size would be zero.'
    """
    return _ANSI.sub("", text)


def first_line(err: BaseException) -> str:
    """The first useful line of an error's message, at most 300 characters.

    Keras's "Exception encountered …" preamble is skipped, and so are its colour codes,
    TensorFlow's ``{{function_node …}}`` prefix and ``[Op:…]`` suffix; the class name
    if nothing is left.

    Example:
        >>> first_line(ValueError("{{function_node __wrapped__Cast_device_/job:0}} "
        ...                       "Cast float to string is not supported [Op:Cast] name: "))
        'Cast float to string is not supported'
    """
    lines = [line.strip() for line in strip_ansi(str(err)).splitlines() if line.strip()]
    text = next((line for line in lines if not line.startswith("Exception encountered")), "")
    text = re.sub(r"^\{\{function_node [^}]*\}\}\s*", "", text)
    text = re.sub(r"\s*\[Op:\w+\]( name:\s*\S*)?\s*$", "", text)
    return (text or type(err).__name__)[:300]
