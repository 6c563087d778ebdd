"""The grading machine's side of the sandboxes: kernel uids, the Python they see, clean-up.

Private to :mod:`kerasguide.grading`; :mod:`kerasguide.grading._sandbox` builds
each kernel's sandbox with these.

- **Uids.** As root, each kernel gets a uid of its own, ``UID_BASE + slot``,
  held by a lock file under ``STATE`` while the kernel runs, so that two
  graders on one machine never share one, and no kernel can signal another.
- **Python.** ``bwrap`` runs as the kernel's uid, which cannot enter a folder
  closed to others (pyenv's Python under ``/root``): such a folder is bound
  from a hard-linked mirror of it, made once.
- **Clean-up.** :func:`sweep` removes what a grader that died left: processes
  of free sandbox uids, and its temporary folders.
"""

from __future__ import annotations

import contextlib
import fcntl
import functools
import os
import shutil
import signal
import stat
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

__all__ = [
    "SLOTS",
    "STATE",
    "UID_BASE",
    "font_list",
    "kill_uid",
    "owner",
    "pids",
    "reachable",
    "release",
    "sweep",
    "take_uid",
]

UID_BASE = 1_900_000_000  # each kernel's uid is UID_BASE + a free slot (as root)
SLOTS = 512
STATE = Path(tempfile.gettempdir()) / "kerasguide-sandbox"


def reachable(place: Path) -> Path:
    """``place``, or a hard-linked mirror of it where the kernel's uid cannot reach it.

    A Python under ``/root`` (pyenv) cannot be bound by ``bwrap`` running as the
    kernel's uid: ``/root`` is closed to others. The mirror holds the same files
    (hard links, or copies across file systems), is made once and kept.
    """
    if os.geteuid() != 0 or all(p.stat().st_mode & stat.S_IXOTH for p in [place, *place.parents]):
        return place
    # (v2: with the compiled __pycache__, which a read-only kernel cannot write itself)
    mirror = STATE / "mirror-v2" / str(place).strip("/").replace("/", "_")
    if (mirror / ".complete").is_file():
        return mirror
    with _locked(STATE / "mirror.lock"):
        if not (mirror / ".complete").is_file():
            shutil.rmtree(mirror, ignore_errors=True)
            mirror.parent.mkdir(mode=0o711, parents=True, exist_ok=True)
            skip = shutil.ignore_patterns("site-packages", "test", "tests")
            keep_packages = Path(sys.prefix) == Path(sys.base_prefix)
            shutil.copytree(
                place,
                mirror,
                symlinks=True,
                copy_function=_link_or_copy,
                ignore=None if keep_packages else skip,
            )
            (mirror / ".complete").write_text("")
    return mirror


def _link_or_copy(source: str, target: str) -> None:
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        yield


@functools.lru_cache(maxsize=1)
def font_list() -> Path | None:
    """The grader's matplotlib font list: ``import keras`` imports pyplot, which needs it.

    Each kernel gets a copy (a fresh one costs about 0.4 s to build), from the
    grader, never from another student's kernel.
    """
    try:
        import matplotlib
        from matplotlib import font_manager
    except ImportError:
        return None
    name = f"fontlist-v{font_manager.FontManager.__version__}.json"
    found = Path(matplotlib.get_cachedir()) / name
    return found if found.is_file() else None


# --- uids, and what a dead grader left behind -------------------------------------------


def take_uid() -> tuple[int, IO[str]]:
    """A uid no other kernel on this machine holds (a lock file per uid)."""
    for slot in range(SLOTS):
        handle = (STATE / f"uid-{slot}.lock").open("w")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            continue
        uid = UID_BASE + slot
        kill_uid(uid)  # a grader that died may have left processes with this uid
        return uid, handle
    raise RuntimeError(f"all {SLOTS} sandbox uids are in use")


def release(uid: int, lock: IO[str]) -> None:
    """Give ``uid`` back once its last process is gone, on a thread of its own.

    The kernel's PID namespace takes a moment to go (TensorFlow's memory is freed):
    the next notebook need not wait for it, and no kernel takes the uid before then.
    """

    def finish() -> None:
        try:
            kill_uid(uid)
        finally:
            lock.close()

    threading.Thread(target=finish, name=f"kerasguide-uid-{uid}", daemon=True).start()


def kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (a kernel's, after its sandbox is done)."""
    for _ in range(50):
        found = [pid for pid in pids() if owner(pid) == uid]
        if not found:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


def pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def owner(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def sweep() -> None:
    """Clean up what a grader that died left: its kernels' processes and folders."""
    if os.geteuid() == 0 and STATE.is_dir():
        for slot in range(SLOTS):
            lock = STATE / f"uid-{slot}.lock"
            if not lock.exists():
                continue
            with lock.open("w") as handle:
                try:
                    fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except OSError:
                    continue  # a live kernel holds it
                kill_uid(UID_BASE + slot)
    for folder in Path(tempfile.gettempdir()).glob("kerasguide-grade-*"):
        with contextlib.suppress(OSError, ValueError):
            pid = int((folder / "grader.pid").read_text())
            if not Path(f"/proc/{pid}").exists():
                shutil.rmtree(folder, ignore_errors=True)
