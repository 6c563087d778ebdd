"""Each sandboxed kernel's cgroup: an equal share of the CPU, and a cap on its tasks.

Private to :mod:`kerasguide.grading`. Without a group of its own, a kernel's
threads compete with every other thread of the machine one by one: a kernel
running 500 busy threads gets 500 times the CPU of an honest kernel beside it,
which then runs past its cell time. In a group of its own, each kernel weighs
the same, however many threads it runs. (Linux's autogroups, one per session,
do not do it: a kernel makes as many sessions as it likes with ``setsid``.)

- **Where.** cgroup v2 (one hierarchy, ``/sys/fs/cgroup`` on most hosts) if the
  ``cpu`` controller is enabled for the children of the grader's own cgroup or of
  one of its parents (the nearest such is taken), and the grader may make
  folders there; else cgroup v1's ``cpu`` hierarchy (beside the grader's own
  group); else nowhere, and :func:`describe` says why (the grader's report).
- **What.** Each group has the default weight, the same for all (``cpu.weight``
  100 in v2, ``cpu.shares`` 1024 in v1), and ``pids.max`` where the ``pids``
  controller is there too: a process cap that does not need a uid of its own.
- **Names.** ``kerasguide-<grader's pid>-<slot>``: the grader makes it before the
  kernel starts, the sandbox's launcher writes its own pid into its
  ``cgroup.procs`` before it starts ``bwrap``, so that every process of the
  kernel starts inside. :func:`remove` kills what is left in it and removes it;
  :func:`sweep` removes the groups of graders that are gone.
"""

from __future__ import annotations

import contextlib
import dataclasses
import functools
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path, PurePosixPath

__all__ = ["PREFIX", "Place", "create", "describe", "place", "remove", "sweep", "unmade"]

PREFIX = "kerasguide-"


@dataclasses.dataclass(frozen=True)
class Place:
    """Where the kernels' groups are made: the ``cpu`` folder, and the ``pids`` one if any."""

    version: str  # "v2" or "v1"
    cpu: Path
    pids: Path | None  # v2: ``cpu`` itself when pids is enabled there; v1: its own hierarchy

    def folders(self, name: str) -> tuple[Path, ...]:
        """The folders of the group ``name``: one per hierarchy."""
        if self.pids is None or self.pids == self.cpu:
            return (self.cpu / name,)
        return (self.cpu / name, self.pids / name)

    def settings(self, folder: Path, most_tasks: int) -> dict[str, str]:
        """What is written in ``folder``: the default (equal) weight, the task cap."""
        found = {}
        if folder.parent == self.cpu:
            found["cpu.weight" if self.version == "v2" else "cpu.shares"] = (
                "100" if self.version == "v2" else "1024"
            )
        if self.pids is not None and folder.parent == self.pids:
            found["pids.max"] = str(most_tasks)
        return found


def create(slot: int, *, most_tasks: int) -> tuple[Path, ...]:
    """A new group for the kernel in ``slot``: its folders, or none where groups cannot be made.

    A group of that name that is still there (a grader that died with the same
    pid) is emptied and removed first.
    """
    found = place()
    if isinstance(found, str):
        return ()
    folders = found.folders(f"{PREFIX}{os.getpid()}-{slot}")
    remove([f for f in folders if f.exists()], seconds=5.0)
    try:
        _make(found, folders, most_tasks)
    except OSError:
        remove(folders, seconds=5.0)
        with _COUNTING:
            _UNMADE[0] += 1
        return ()
    return folders


def unmade() -> int:
    """How many kernels of this process ran without a group where groups can be made."""
    return _UNMADE[0]


def _make(found: Place, folders: Sequence[Path], most_tasks: int) -> None:
    for folder in folders:
        folder.mkdir(mode=0o755)
        for name, value in found.settings(folder, most_tasks).items():
            (folder / name).write_text(value)


def remove(folders: Sequence[Path], *, seconds: float = 30.0) -> bool:
    """Kill every process left in the group, then remove it; whether it is gone.

    A cgroup can be removed only once empty: tried again until it is, or ``seconds`` pass.
    """
    deadline = time.monotonic() + seconds
    left = list(folders)
    while left:
        for folder in left:
            _kill(folder)
            with contextlib.suppress(FileNotFoundError, OSError):
                folder.rmdir()
        left = [f for f in left if f.exists()]
        if not left or time.monotonic() > deadline:
            break
        time.sleep(0.02)
    return not left


def _kill(folder: Path) -> None:
    everyone = folder / "cgroup.kill"  # v2, Linux 5.14: the whole group at once, no pid race
    if everyone.exists():
        with contextlib.suppress(OSError):
            everyone.write_text("1")
            return
    for pid in _words(folder / "cgroup.procs"):
        with contextlib.suppress(OSError, ValueError):
            os.kill(int(pid), signal.SIGKILL)


def sweep() -> None:
    """Remove the groups of graders that are gone, and what runs in them."""
    found = place()
    if isinstance(found, str):
        return
    for base in dict.fromkeys(b for b in (found.cpu, found.pids) if b is not None):
        for folder in base.glob(f"{PREFIX}*-*"):
            grader = folder.name.removeprefix(PREFIX).split("-")[0]
            if grader.isdigit() and not Path(f"/proc/{grader}").exists():
                remove([folder], seconds=5.0)


def describe(*, ungrouped: int = 0) -> str:
    """The CPU share a kernel gets here, in words (the grader's report); ``ungrouped``
    kernels of the batch ran without their group (making it failed)."""
    found = place()
    if isinstance(found, str):
        return f"not shared per kernel: {found}; a kernel's busy threads slow the others"
    setting = "cpu.weight" if found.version == "v2" else "cpu.shares"
    said = (
        f"an equal share per kernel, however many threads it runs "
        f"(a cgroup {found.version} of its own, {setting})"
    )
    if ungrouped:
        said += (
            f"; but {ungrouped} kernel{'' if ungrouped == 1 else 's'} of this batch ran "
            "without one (making the group failed), sharing the CPU thread by thread"
        )
    return said


# --- where: found once --------------------------------------------------------------


_PLACING = threading.Lock()  # one trial at a time (kernels start on threads)
_COUNTING = threading.Lock()
_UNMADE = [0]  # kernels that ran without a group, although groups can be made here


def place() -> Place | str:
    """Where groups are made here, tried once (a group made, joined and removed); or why none."""
    with _PLACING:
        return _place()


@functools.lru_cache(maxsize=1)
def _place() -> Place | str:
    if not sys.platform.startswith("linux"):
        return f"cgroups need Linux, and this is {sys.platform}"
    try:
        mounts = _mounts()
        own = _memberships()
    except OSError as err:
        return f"the grader's cgroups cannot be read ({err})"
    reasons = []
    for find in (_v2, _v1):
        found = find(mounts, own)
        if isinstance(found, Place):
            why = _try(found)
            if why is not None and found.pids is not None:
                found = dataclasses.replace(found, pids=None)
                why = _try(found)
            if why is None:
                return found
            found = why
        reasons.append(found)
    return "; ".join(reasons)


def _try(found: Place) -> str | None:
    """Why a group cannot be made, joined and removed at ``found``, or None when it can."""
    folders = found.folders(f"{PREFIX}{os.getpid()}-probe")
    join = "import os, sys\nfor p in sys.argv[1:]: open(p, 'w').write(str(os.getpid()))"
    try:
        remove([f for f in folders if f.exists()], seconds=5.0)
        _make(found, folders, 64)
        procs = [str(f / "cgroup.procs") for f in folders]
        subprocess.run(
            [sys.executable, "-I", "-c", join, *procs], capture_output=True, timeout=60, check=True
        )
    except (OSError, subprocess.SubprocessError) as err:
        said = getattr(err, "stderr", b"") or b""
        last = (said.decode(errors="replace").strip().splitlines() or [str(err)])[-1]
        return f"cgroup {found.version} at {found.cpu}: a group cannot be made or joined ({last})"
    finally:
        gone = remove(folders, seconds=10.0)
    if not gone:
        return f"cgroup {found.version} at {found.cpu}: a group cannot be removed"
    return None


def _v2(mounts: list[tuple[str, Path, str, set[str]]], own: dict[str, str]) -> Place | str:
    mount = next(((root, at) for root, at, kind, _ in mounts if kind == "cgroup2"), None)
    if mount is None or "" not in own:
        return "no cgroup v2 is mounted"
    start = _inside(*mount, own[""])
    if start is None:
        return f"the grader's cgroup v2 ({own['']}) is not under {mount[1]}"
    for folder in [start, *start.parents]:
        if folder != mount[1] and mount[1] not in folder.parents:
            break
        enabled = _words(folder / "cgroup.subtree_control")
        if "cpu" in enabled and os.access(folder, os.W_OK):
            return Place("v2", folder, folder if "pids" in enabled else None)
    return (
        f"cgroup v2 at {mount[1]}: the cpu controller is not enabled for new groups "
        f"beside {start} (cgroup.subtree_control), or they cannot be made there"
    )


def _v1(mounts: list[tuple[str, Path, str, set[str]]], own: dict[str, str]) -> Place | str:
    def hierarchy(controller: str) -> Path | None:
        for root, at, kind, options in mounts:
            if kind == "cgroup" and controller in options and controller in own:
                return _inside(root, at, own[controller])
        return None

    cpu = hierarchy("cpu")
    if cpu is None:
        return "no cgroup v1 cpu hierarchy holds the grader"
    if not os.access(cpu, os.W_OK):
        return f"cgroup v1 at {cpu}: the grader may not make groups there"
    return Place("v1", cpu, hierarchy("pids"))


def _inside(root: str, mountpoint: Path, path: str) -> Path | None:
    """Where the cgroup ``path`` is in a hierarchy whose ``root`` is mounted at ``mountpoint``."""
    try:
        relative = PurePosixPath(path).relative_to(root)
    except ValueError:
        return None
    folder = mountpoint / relative
    return folder if folder.is_dir() else None


def _mounts() -> list[tuple[str, Path, str, set[str]]]:
    """The cgroup mounts: (root, mount point, type, super options), from mountinfo."""
    found = []
    for line in Path("/proc/self/mountinfo").read_text().splitlines():
        left, _, right = line.partition(" - ")
        fields, tail = left.split(), right.split()
        if len(fields) >= 5 and len(tail) >= 3 and tail[0] in ("cgroup", "cgroup2"):
            options = set(tail[2].split(","))
            found.append((_unescape(fields[3]), Path(_unescape(fields[4])), tail[0], options))
    return found


def _memberships() -> dict[str, str]:
    """The grader's cgroup in each hierarchy: by controller name (v1), ``""`` for v2."""
    found: dict[str, str] = {}
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        if number == "0" and not controllers:
            found[""] = path
        for controller in filter(None, controllers.split(",")):
            found[controller] = path
    return found


def _unescape(text: str) -> str:
    """mountinfo writes a space, tab, newline and backslash as octal escapes."""
    for code in ("040", "011", "012", "134"):
        text = text.replace(f"\\{code}", chr(int(code, 8)))
    return text


def _words(path: Path) -> list[str]:
    try:
        return path.read_text().split()
    except OSError:
        return []
