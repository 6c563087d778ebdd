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
  of free sandbox uids, its kernels' cgroups (:mod:`kerasguide.grading._cgroup`),
  and its temporary folders (sandboxes, and the model files copied out of them),
  each marked with its grader's pid.
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

from kerasguide.grading import _cgroup as cgroup

__all__ = [
    "SLOTS",
    "STATE",
    "UID_BASE",
    "font_list",
    "kill_uid",
    "orphans",
    "owner",
    "pids",
    "reachable",
    "release",
    "running",
    "settle",
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


_RELEASING: set[threading.Thread] = set()  # release()'s threads still killing a uid
_RELEASING_LOCK = threading.Lock()


def release(uid: int | None, lock: IO[str] | None, group: tuple[Path, ...] = ()) -> None:
    """Give ``uid`` back once its last process is gone, on a thread of its own.

    The kernel's PID namespace takes a moment to go (TensorFlow's memory is freed):
    the next notebook need not wait for it, and no kernel takes the uid before then.
    Its cgroup ``group`` is removed too, once empty (before the uid's slot, which
    names it, is free). :func:`settle` waits for these threads (at the end of a batch).
    """
    if uid is None and lock is None and not group:
        return

    def finish() -> None:
        try:
            if uid is not None:
                kill_uid(uid)
            cgroup.remove(group)
        finally:
            if lock is not None:
                lock.close()
            with _RELEASING_LOCK:
                _RELEASING.discard(thread)

    thread = threading.Thread(target=finish, name=f"kerasguide-uid-{uid}", daemon=True)
    with _RELEASING_LOCK:
        _RELEASING.add(thread)
    thread.start()


def settle(seconds: float = 60.0) -> None:
    """Wait until every uid given back by :func:`release` has no process left.

    A batch calls it before it returns, so that when ``grade`` returns no process of
    the class runs any more, even on a machine so busy that killed kernels are slow to go.
    """
    deadline = time.monotonic() + seconds
    while True:
        with _RELEASING_LOCK:
            threads = list(_RELEASING)
        if not threads:
            return
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        if time.monotonic() >= deadline:
            return


def kill_uid(uid: int, *, seconds: float = 30.0) -> None:
    """Kill every process of ``uid`` (a kernel's, after its sandbox is done).

    Killed again until none runs: a process forked meanwhile is caught on the next
    round, and a busy machine may take seconds to end a large one. A zombie counts as
    gone (its parent, also killed, leaves it to be reaped by init).
    """
    deadline = time.monotonic() + seconds
    while True:
        found = [pid for pid in pids() if owner(pid) == uid and running(pid)]
        if not found or time.monotonic() > deadline:
            return
        for pid in found:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
        time.sleep(0.02)


def running(pid: int) -> bool:
    """True while ``pid`` runs: not gone, and not a zombie waiting for its parent."""
    try:
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat_line.rsplit(")", 1)[-1].split()[0] != "Z"


def pids() -> list[int]:
    return [int(p) for p in os.listdir("/proc") if p.isdigit()]


def owner(pid: int) -> int | None:
    try:
        return os.stat(f"/proc/{pid}").st_uid
    except OSError:
        return None


def orphans() -> list[int]:
    """Running processes of sandbox uids that no grader holds: what kernels left behind.

    A uid is held from :func:`take_uid` until :func:`release` has killed its last
    process, so another grader's kernels running meanwhile on this machine are not
    counted; only a process that outlived its sandbox is.
    """
    running_by_uid: dict[int, list[int]] = {}
    for pid in pids():
        uid = owner(pid)
        if uid is not None and UID_BASE <= uid < UID_BASE + SLOTS and running(pid):
            running_by_uid.setdefault(uid, []).append(pid)
    left: list[int] = []
    for uid, found in sorted(running_by_uid.items()):
        with _unheld(uid - UID_BASE) as free:
            if free:
                left += [pid for pid in found if running(pid)]
    return left


@contextlib.contextmanager
def _unheld(slot: int) -> Iterator[bool]:
    """Hold ``slot``'s lock for a moment if no grader holds it: yields whether it was free."""
    lock = STATE / f"uid-{slot}.lock"
    if not lock.exists():
        yield True
        return
    with lock.open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            yield False  # a live kernel holds it
            return
        yield True


def sweep() -> None:
    """Clean up what a grader that died left: its kernels' processes, cgroups and folders."""
    if os.geteuid() == 0 and STATE.is_dir():
        for slot in range(SLOTS):
            with _unheld(slot) as free:
                if free:
                    kill_uid(UID_BASE + slot)
    cgroup.sweep()
    temporary = Path(tempfile.gettempdir())
    folders = [*temporary.glob("kerasguide-grade-*"), *temporary.glob("kerasguide-model-*")]
    for folder in folders:  # sandboxes, and model files copied out of them for scoring
        with contextlib.suppress(OSError, ValueError):
            pid = int((folder / "grader.pid").read_text())
            if not Path(f"/proc/{pid}").exists():
                shutil.rmtree(folder, ignore_errors=True)
