"""The sandbox a student's kernel runs in: its folders, environment, limits and namespaces.

Private to :mod:`kerasguide.grading` (used by :mod:`kerasguide.grading._kernel`).
What is enforced, and where:

- **Working directory.** A new temporary folder holding a copy of the notebook
  only; the kernel's ``HOME`` and ``TMPDIR`` point into it, and its environment
  is a short list (no ``PWD``, no paths of the grader).
- **Time.** Each cell gets ``cell_seconds`` (at most what is left of
  ``notebook_seconds``); a cell over its time is interrupted and the run stops.
- **Memory.** ``RLIMIT_AS`` (address space) of ``memory_mb`` on the kernel
  process, set before ``exec``: an allocation over the cap fails with
  ``MemoryError`` inside the kernel, or the kernel dies; files are capped at
  ``RLIMIT_FSIZE``. Linux and macOS.
- **Network and the answers** (root on Linux, where ``unshare`` works): the
  kernel runs in new network and mount namespaces. It has no network (not even
  loopback: kernel messages go through Unix sockets), and the assignment, its
  references, the submissions folder and the output folder are covered (a file
  by ``/dev/null``, a folder by an empty tmpfs). Elsewhere, these files are
  only out of the kernel's sight: not in its folder and not in its environment.
"""

from __future__ import annotations

import contextlib
import functools
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from kerasguide.grading._assignment import GradeLimits

__all__ = ["command_prefix", "copy_font_list", "environment", "folders", "isolation"]

_TRAMPOLINE = (
    "import os, sys, resource as r\n"
    "for k, v in ((r.RLIMIT_AS, int(sys.argv[1])), (r.RLIMIT_FSIZE, int(sys.argv[2]))):\n"
    "    r.setrlimit(k, (v, v))\n"
    "os.execv(sys.argv[3], sys.argv[3:])\n"
)
_HIDE = (
    'while [ "$1" != "--" ]; do '
    'if [ -d "$1" ]; then mount -t tmpfs -o ro,size=4k none "$1"; '
    'elif [ -e "$1" ]; then mount --bind /dev/null "$1"; fi || exit 97; shift; done; '
    'shift; exec "$@"'
)  # a path already under a covered folder no longer exists: it is hidden already


@functools.lru_cache(maxsize=1)
def _can_unshare() -> bool:
    if not sys.platform.startswith("linux") or os.geteuid() != 0 or not shutil.which("unshare"):
        return False
    try:
        probe = subprocess.run(
            ["unshare", "--net", "--mount", "true"], capture_output=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return False
    return probe.returncode == 0


def isolation(limits: GradeLimits) -> dict[str, str]:
    """What this machine enforces, in words (shown in the report and the README)."""
    namespaces = _can_unshare()
    return {
        "memory": f"{limits.memory_mb} MB address space (RLIMIT_AS) on the kernel",
        "time": f"{limits.cell_seconds:g} s per cell, {limits.notebook_seconds:g} s per notebook",
        "network": "none (network namespace)" if namespaces else "not blocked (needs root)",
        "answers": "covered in a mount namespace"
        if namespaces
        else "outside the kernel's folder and environment (not covered: needs root)",
    }


def command_prefix(limits: GradeLimits, hidden: list[Path], work: Path) -> list[str]:
    """What runs the kernel: its limits set, then its namespaces with ``hidden`` covered."""
    memory = str(limits.memory_mb * 2**20)
    files = str(max(limits.model_mb * 2**20 * 4, 2**28))
    command = [sys.executable, "-c", _TRAMPOLINE, memory, files]
    if not _can_unshare():
        return command
    keep = (Path(sys.prefix).resolve(), work.resolve())
    cover = [str(p) for p in hidden if p.exists() and not any(_inside(k, p) for k in keep)]
    return ["unshare", "--net", "--mount", "--", "sh", "-c", _HIDE, "sh", *cover, "--", *command]


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def environment(work: Path, private: Path) -> dict[str, str]:
    """The kernel's whole environment: a short list, with no paths of the grader."""
    env = {
        "PATH": os.defpath,
        "HOME": str(work),
        "TMPDIR": str(work),
        "IPYTHONDIR": str(private / "ipython"),
        "MPLCONFIGDIR": str(private / "mpl"),
        "MPLBACKEND": "Agg",
        "TF_CPP_MIN_LOG_LEVEL": "3",
        "PYTHONHASHSEED": "0",
        "CUDA_VISIBLE_DEVICES": "",
        "LANG": "C.UTF-8",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1",
    }
    return env | {k: v for k, v in os.environ.items() if k.startswith("KERASGUIDE_")}


@functools.lru_cache(maxsize=1)
def _font_list() -> Path | None:
    """The grader's matplotlib font list (``import keras`` imports pyplot, which needs it)."""
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    name = f"fontlist-v{font_manager.FontManager.__version__}.json"
    found = Path(matplotlib.get_cachedir()) / name
    return found if found.is_file() else None


def copy_font_list(folder: Path) -> None:
    """Give the kernel its own copy of the font list: a fresh one costs about 0.4 s to build.

    The copy comes from the grader, never from another student's kernel.
    """
    font_list = _font_list()
    if font_list is None:
        return
    folder.mkdir(mode=0o700, exist_ok=True)
    with contextlib.suppress(OSError):
        shutil.copyfile(font_list, folder / font_list.name)


@contextlib.contextmanager
def folders() -> Iterator[tuple[Path, Path]]:
    """A new working folder for the notebook, and a private one for the kernel's files."""
    root = Path(tempfile.mkdtemp(prefix="kerasguide-grade-"))
    try:
        (root / "work").mkdir()
        (root / "kernel").mkdir(mode=0o700)
        yield root / "work", root / "kernel"
    finally:
        shutil.rmtree(root, ignore_errors=True)
