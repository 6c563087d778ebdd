"""What the command line does for a terminal: colour, wrapping, a status line, stderr streaming.

Everything here changes only how text looks on a terminal. Output that goes to
a pipe or a file is left exactly as the command wrote it: no colour codes, no
line breaks added, no status line.

- **Colour** follows https://no-color.org and https://force-color.org:
  ``NO_COLOR`` (non-empty) turns it off, ``FORCE_COLOR`` (non-empty) turns it on
  for pipes too, and otherwise a terminal gets colour unless ``TERM=dumb``.
- **Wrapping** breaks prose at word boundaries to fit the terminal, with the
  continuation lined up under the text (after ``hint:``, ``3.`` or a column
  gap). Tables and lines with box drawing keep their layout.
- **Streaming stderr.** :class:`StderrFilter` sends everything written to file
  descriptor 2 straight on, as it comes, except the lines that match a pattern
  (TensorFlow's C++ start-up log). It also shows a one-line status while Keras
  loads, erased when done, or ended with a newline if other text comes first.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import select
import shutil
import signal
import sys
import textwrap
import threading
from collections.abc import Iterator
from types import FrameType
from typing import IO, NoReturn

__all__ = [
    "HelpFormatter",
    "StderrFilter",
    "colour",
    "error_word",
    "for_terminal",
    "paint",
    "width",
    "wrap",
]

_GREEN, _RED, _BOLD, _RESET = "\x1b[32m", "\x1b[31m", "\x1b[1m", "\x1b[0m"
# TensorFlow's C++ log lines (oneDNN, CUDA probing), written straight to file descriptor 2:
# absl's format, and TensorFlow 2.16's own ("2026-01-31 12:00:00.123456: E path.cc:479] ").
NATIVE_LOG = re.compile(
    r"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    r"|[IWE]\d{4} [\d:.]+ +\d+ \S+:\d+\] "
    r"|\d{4}-\d\d-\d\d [\d:.]+: [IWE] \S+:\d+\] )"
)
_VERDICT = re.compile(r"^(PASS|OK|FAIL)\b", re.MULTILINE)
_BOX = re.compile(r"[\u2500-\u257f]")
# Where a wrapped line's continuation starts: after a number, a bullet, a short label or a gap.
_LABEL = re.compile(r"^(\s*)(\d+\.\s+|[-*]\s+|[A-Za-z]\w{0,15}:\s+|\S.*?\S\s{2,})")


def colour(stream: IO[str]) -> bool:
    """True when ``stream`` should get colour codes.

    Example:
        >>> import io
        >>> colour(io.StringIO())  # doctest: +SKIP
        False
    """
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return _is_terminal(stream) and os.environ.get("TERM") != "dumb"


def paint(text: str, stream: IO[str]) -> str:
    """``text`` with PASS and OK in green and FAIL in bold red at line starts, if wanted.

    Example:
        >>> paint("FAIL: 1 difference", io.StringIO())  # doctest: +SKIP
        'FAIL: 1 difference'
    """
    if not colour(stream):
        return text
    return _VERDICT.sub(lambda m: _styled(m.group(1)), text)


def _styled(word: str) -> str:
    return f"{_BOLD}{_RED}{word}{_RESET}" if word == "FAIL" else f"{_GREEN}{word}{_RESET}"


def error_word(stream: IO[str]) -> str:
    """``error`` for a message on ``stream``: bold red where colour is wanted."""
    return f"{_BOLD}{_RED}error{_RESET}" if colour(stream) else "error"


def width(stream: IO[str]) -> int | None:
    """The width to wrap text at: the terminal's (or ``COLUMNS``); None for pipes and files."""
    if not _is_terminal(stream):
        return None
    columns = 0
    with contextlib.suppress(ValueError):
        columns = int(os.environ.get("COLUMNS", "0"))
    if columns <= 0:
        try:
            columns = os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):  # e.g. a stand-in for a terminal
            columns = shutil.get_terminal_size().columns
    return max(20, columns or 80)  # a terminal of unknown size says 0


def _is_terminal(stream: IO[str]) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):  # a closed or unusual stream
        return False


def wrap(text: str, columns: int | None) -> str:
    """``text`` with each long prose line broken at spaces to fit ``columns``.

    Lines with box drawing, and lines that are already short, are kept as they
    are; a word longer than a line (a path, say) is never cut.

    Example:
        >>> print(wrap("  hint: add the argument units to this Dense layer", 30))
          hint: add the argument units
                to this Dense layer
    """
    if columns is None:
        return text
    lines = [_wrap_line(line, columns) for line in text.split("\n")]
    return "\n".join(lines)


def _wrap_line(line: str, columns: int) -> str:
    if len(line) <= columns or _BOX.search(line):
        return line
    match = _LABEL.match(line)
    indent = len(match.group(0)) if match else len(line) - len(line.lstrip()) + 2
    if indent > columns // 2:
        indent = len(line) - len(line.lstrip()) + 2
    return textwrap.fill(
        line,
        columns,
        subsequent_indent=" " * indent,
        break_long_words=False,
        break_on_hyphens=False,
    )


def for_terminal(text: str, stream: IO[str]) -> str:
    """``text`` wrapped to ``stream``'s terminal and painted, as it should be printed there."""
    return paint(wrap(text, width(stream)), stream)


class HelpFormatter(argparse.RawDescriptionHelpFormatter):
    """Help text that fits the terminal: prose paragraphs are wrapped, example lines kept.

    An indented line of a description or epilog (an example command) is kept as
    it is, or, when longer than the terminal, continued on the next line after
    a backslash, as a shell reads it.
    """

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        out: list[str] = []
        prose: list[str] = []
        for line in [*text.splitlines(), ""]:  # the last, empty line ends the last paragraph
            if line.strip() and not line.startswith("  "):
                prose.append(line.strip())
                continue
            if prose:
                out.append(_prose(" ".join(prose), width, indent))
                prose = []
            out.append(_command_line(indent + line, width))
        return "\n".join(out[:-1])


def _prose(text: str, width: int, indent: str) -> str:
    return textwrap.fill(
        text, width, initial_indent=indent, subsequent_indent=indent, break_on_hyphens=False
    )


def _command_line(line: str, width: int) -> str:
    """A long example command, continued after backslashes to fit ``width``."""
    if len(line) <= width or not line.startswith("  "):
        return line
    pieces = textwrap.wrap(
        line.strip(), max(20, width - 8), break_long_words=False, break_on_hyphens=False
    )
    margin = line[: len(line) - len(line.lstrip())]
    return " \\\n".join(margin + ("" if i == 0 else "    ") + p for i, p in enumerate(pieces))


class StderrFilter:
    """Stream file descriptor 2 through a pipe, dropping the lines that match ``drop``.

    Text is passed on line by line as it arrives; a partial line is passed on
    when nothing more arrives for a moment. Use as a context manager.
    """

    def __init__(self, drop: re.Pattern[str] | None) -> None:
        self._drop = drop
        self._lock = threading.Lock()
        self._status = False
        self._target = -1
        self._thread: threading.Thread | None = None
        self._terminal = False

    def __enter__(self) -> StderrFilter:
        sys.stderr.flush()
        self._terminal = _is_terminal(sys.stderr)  # asked before file descriptor 2 is a pipe
        self._target = os.dup(2)
        read, write = os.pipe()
        os.dup2(write, 2)
        os.close(write)
        self._thread = threading.Thread(target=self._pump, args=(read,), daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.status_done()
        with contextlib.suppress(ValueError, OSError):
            sys.stderr.flush()
        os.dup2(self._target, 2)  # closes the pipe's last write end: the pump sees its end
        if self._thread is not None:
            self._thread.join(timeout=10)
        os.close(self._target)

    def _pump(self, read: int) -> None:
        pending = b""
        with os.fdopen(read, "rb", buffering=0) as pipe:
            while True:
                ready, _, _ = select.select([pipe], [], [], 0.2)
                if not ready:  # quiet for a moment: pass on a partial line
                    pending = self._emit(pending, final=True)
                    continue
                chunk = pipe.read(65536)
                if not chunk:
                    break
                pending = self._emit(pending + chunk, final=False)
        self._emit(pending, final=True)

    def _emit(self, data: bytes, *, final: bool) -> bytes:
        lines = data.splitlines(keepends=True)
        rest = b"" if final or not lines or lines[-1].endswith(b"\n") else lines.pop()
        kept = [line for line in lines if not self._dropped(line)]
        if kept:
            self._write(b"".join(kept))
        return rest

    def _dropped(self, line: bytes) -> bool:
        return self._drop is not None and bool(self._drop.match(line.decode("utf-8", "replace")))

    def _write(self, data: bytes) -> None:
        with self._lock:
            if self._status:  # end the status line cleanly before other text
                os.write(self._target, b"\n")
                self._status = False
            os.write(self._target, data)

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[None]:
        """Show ``text`` on the terminal while the block runs (not on pipes and files)."""
        if self._terminal and os.isatty(self._target):
            encoding = sys.stderr.encoding or "utf-8"
            try:
                data = text.encode(encoding)
            except (UnicodeEncodeError, LookupError):
                data = text.replace("\u2026", "...").encode("ascii", "replace")
            with self._lock:
                os.write(self._target, data)
                self._status = True
        try:
            yield
        finally:
            self.status_done()

    def status_done(self) -> None:
        """Erase the status line, if it is still showing."""
        with contextlib.suppress(ValueError, OSError):
            sys.stderr.flush()
        with self._lock:
            if self._status:
                os.write(self._target, b"\r\x1b[K")
                self._status = False


def plain(text: str | None) -> str | None:
    """Text without the terminal colour codes that some Keras messages carry."""
    return None if text is None else re.sub(r"\x1b\[[0-9;]*m", "", text)


def say(text: str) -> None:
    """Print prose on stdout: wrapped to the terminal, PASS/OK/FAIL in colour where wanted."""
    print(for_terminal(text, sys.stdout))


@contextlib.contextmanager
def sigterm_unwinds() -> Iterator[None]:
    """Turn SIGTERM into ``SystemExit(143)``, so that ``finally`` blocks run.

    A file being written is then removed instead of being left as a hidden
    temporary file. SIGKILL cannot be caught.
    """
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set in the main thread
        return
    previous = signal.signal(signal.SIGTERM, _terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, signal.SIG_DFL if previous is None else previous)


def _terminate(signum: int, frame: FrameType | None) -> NoReturn:
    raise SystemExit(128 + signum)
