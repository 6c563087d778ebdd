"""Why a notebook's run is not ``ok``, in words: each status's reason, and which errors
come from the grading machine rather than the student's code.

Private to :mod:`kerasguide.grading`. A reason is a clause in lower case; the
feedback's headline (:func:`kerasguide.grading._output.headline`) makes it a sentence.

A cell's error is the environment's (status ``environment``) when it could not be
the student's doing on the machine they wrote the notebook on:

- **no network**: a download failed (urllib's ``URLError`` and ``HTTPError``,
  ``socket.gaierror``, ``ConnectionError``, requests' and urllib3's connection
  errors, and Keras's ``Exception("URL fetch failure on …")`` that
  ``keras.datasets.*.load_data()`` raises offline);
- **a missing package**: ``ModuleNotFoundError``;
- **a missing file the assignment could have given**: a ``FileNotFoundError`` whose
  path is relative (without ``..``) or under the notebook's work folder, and that no
  cell of the notebook writes (``np.save('x.npy', …)``, ``open('x.npy', 'w')``,
  ``df.to_csv('x.csv')``…). An absolute path elsewhere (``/etc/answers``), a path
  out of the work folder (``../reference.yaml``), a file the notebook itself writes,
  or a ``FileNotFoundError`` raised without a path is the student's.

The phrase each cause's reason holds is what the overview counts them by.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Sequence
from pathlib import PurePosixPath

__all__ = [
    "CAUSES",
    "GRADER_STOPPED",
    "MISSING_FILE",
    "MISSING_PACKAGE",
    "NO_NETWORK",
    "environment_cause",
    "invalid_notebook",
    "setup_failed",
    "setup_timeout",
    "stopped",
]

GRADER_STOPPED = (
    "the grader stopped twice while this notebook ran, so it was not run again "
    "(pass --regrade to run it once more)"
)

MISSING_FILE = "a file the notebook reads is not there"
NO_NETWORK = "there is no network where notebooks are graded"
MISSING_PACKAGE = "a package the notebook imports is not installed where it is graded"
CAUSES = (MISSING_FILE, NO_NETWORK, MISSING_PACKAGE)

_NETWORK_ERRORS = {
    "URLError",
    "HTTPError",
    "ConnectionError",
    "ConnectionRefusedError",
    "ConnectionResetError",
    "ConnectionAbortedError",
    "gaierror",
    "herror",
    "MaxRetryError",
    "NewConnectionError",
    "ConnectTimeout",
}
_NETWORK_TEXT = re.compile(
    r"URL fetch failure|urlopen error|Temporary failure in name resolution|"
    r"Name or service not known|nodename nor servname|No address associated with hostname|"
    r"Network is unreachable|Failed to establish a new connection|Max retries exceeded"
)
_NO_SUCH_FILE = re.compile(r"No such file or directory: ((['\"]).*\2)\s*$", re.DOTALL)
# A call that writes its first argument: np.save, savez, savetxt, model.save, to_csv,
# to_pickle, savefig, json.dump, write_text… (the name of the function holds one of these).
_WRITER = r"\w*(?:save|write|dump|to_)\w*"
# A call that writes its second argument: shutil.copy(src, 'x'), os.rename, urlretrieve(url, 'x').
_WRITER_TO = r"\w*(?:copy|move|rename|replace|retrieve|symlink)\w*"


def environment_cause(
    ename: str, evalue: str, *, work: str, sources: Sequence[str] = ()
) -> str | None:
    """What the grading machine lacked for this error, said for the reason; None: the student's.

    ``work`` is the notebook's work folder as the kernel sees it; ``sources`` the
    code of the notebook's cells up to the one that raised.
    """
    if ename in _NETWORK_ERRORS or _NETWORK_TEXT.search(evalue):
        return f"{evalue[:200]} — {NO_NETWORK}: data must come with the assignment's `files:`"
    if ename == "ModuleNotFoundError":
        return f"{evalue[:200]} — {MISSING_PACKAGE}"
    if ename == "FileNotFoundError":
        path = _missing_path(evalue)
        shown = _given_path(path, work) if path is not None else None
        if shown is not None and not any(_writes(source, path or "") for source in sources):
            return (
                f"{MISSING_FILE}: {shown} — if the assignment should provide it, "
                "list it under `files:`"
            )
    return None


def _missing_path(evalue: str) -> str | None:
    """The path of ``[Errno 2] No such file or directory: 'data/x.npz'``, or None."""
    found = _NO_SUCH_FILE.search(evalue)
    if found is None:
        return None
    try:
        path = ast.literal_eval(found.group(1))
    except (ValueError, SyntaxError):
        return None
    return path if isinstance(path, str) and path else None


def _given_path(path: str, work: str) -> str | None:
    """``path`` as the assignment's ``files:`` would name it, or None when it cannot."""
    candidate = PurePosixPath(path)
    if candidate.is_absolute():
        try:
            candidate = candidate.relative_to(work)
        except ValueError:
            return None
    if ".." in candidate.parts or not candidate.parts:
        return None
    return candidate.as_posix()


def _writes(source: str, path: str) -> bool:
    """True when ``source`` writes ``path`` (a string literal) in a way this can see."""
    name = rf"[rbuRBU]?(['\"]){re.escape(path)}\1"
    patterns = (
        rf"\b{_WRITER}\s*\(\s*{name}",  # np.save('x.npy', a), df.to_csv('x.csv')
        rf"\b{_WRITER_TO}\s*\([^,()]*,\s*{name}",  # shutil.copy(source, 'x.npy')
        rf"\bopen\s*\(\s*{name}\s*,\s*(?:mode\s*=\s*)?[rbf]?['\"][^'\"]*[wax+]",  # open(.., 'w')
        rf"\bPath\s*\(\s*{name}\s*\)\s*\.\s*(?:write_\w+|touch|open\s*\([^)]*[wax+])",
    )
    return any(re.search(pattern, source) for pattern in patterns)


def setup_failed(ename: str, evalue: str) -> str:
    """``setup-error``: the assignment's ``setup:`` raised; the notebook is not run."""
    return f"the instructor's setup code raised {ename}: {evalue[:200]}"


def setup_timeout(seconds: float) -> str:
    """``setup-error``: the assignment's ``setup:`` ran over its bound."""
    return f"the instructor's setup code ran over its limit of {seconds:g} s"


def stopped(status: str, error: str, memory_mb: int) -> str:
    """``memory`` or ``kernel-died``: the kernel stopped, with the ``error`` nbclient saw."""
    if status == "memory":
        return f"the notebook's kernel was killed over its memory cap of {memory_mb} MB ({error})"
    return f"the notebook's kernel stopped ({error})"


def invalid_notebook(err: Exception) -> str:
    """``invalid-notebook``: the file could not be read as a notebook."""
    why = str(err).splitlines()[0][:200] if str(err) else ""
    return f"the file is not a readable notebook ({type(err).__name__}: {why})"
