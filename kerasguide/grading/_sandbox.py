"""The sandbox a student's kernel runs in: bubblewrap, an unprivileged uid, its own namespaces.

Private to :mod:`kerasguide.grading`. Every kernel runs under ``bwrap``
(Debian's ``bubblewrap``, the engine Flatpak uses), never under a home-made
script. What the kernel gets:

- **An unprivileged identity.** As root, the grader gives each kernel its own
  uid and gid (from :mod:`kerasguide.grading._host`'s ``UID_BASE``)
  before it starts ``bwrap``; inside, the kernel is uid 1000 in a new user
  namespace, with no capabilities, ``no_new_privs``, and no way to make
  further user namespaces (``--disable-userns``).
- **Its own namespaces**: user, PID, network (no network: only a loopback
  of its own), IPC, UTS and cgroup; ``--die-with-parent``, and the launcher
  sets the parent-death signal too. When the kernel ends, the PID namespace
  goes with it: every process it started, ``setsid`` and double forks too.
- **Its own file system.** A fresh root holding only ``/usr``, ``/etc``, the
  Python installation and the kerasguide package, read-only; the kernel's work
  folder ``/work``, ``/tmp``, ``/dev/shm`` and its private ``/kg`` (kernel
  sockets, IPython's and matplotlib's folders) are tmpfs with a size each, so
  the *total* written is capped (:func:`disk_mb`). Nothing of the grader's
  temporary folders, the other kernels, the submissions, the references or the
  output folder is in it.
- **Limits** set before ``bwrap`` starts: ``RLIMIT_AS`` (memory),
  ``RLIMIT_FSIZE`` (one file), ``RLIMIT_NPROC`` (processes and threads, as root:
  each kernel has its own uid), no core files.
- **A cgroup of its own** (:mod:`kerasguide.grading._cgroup`), where one can be
  made: the launcher joins it before ``bwrap`` starts, so the kernels share the CPU
  equally however many threads each runs, and ``pids.max`` caps its tasks.

The grader reaches the kernel's sockets and files through ``/proc/PID/root``
of the sandbox (as root, or as the user who owns its user namespace): the
sockets live only inside that sandbox. Once the kernel has bound them, their
folder becomes the host root's, read-only (:meth:`Sandbox.seal`): the kernel
cannot swap a socket for a link to one of the host's. Its files are taken out by
:func:`kerasguide.grading._collect.take`, never through a link.

``trusted=True`` (``kerasguide grade --trusted``) runs the kernel without
bubblewrap, for an instructor's own notebooks: only the limits are set.
"""

from __future__ import annotations

import contextlib
import functools
import itertools
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO

from kerasguide.errors import SandboxUnavailable
from kerasguide.grading import _cgroup as cgroup
from kerasguide.grading import _host as host
from kerasguide.grading._assignment import GradeLimits

__all__ = ["Sandbox", "disk_mb", "isolation", "require"]

_INSIDE_UID = 1000
_TMP_MB, _SHM_MB, _KG_MB = 64, 64, 32
# The kernel's folders, named so that no host path bound into the sandbox falls under them.
_WORK = PurePosixPath("/kerasguide-kernel/work")
_PRIVATE = PurePosixPath("/kerasguide-kernel/private")
_NPROC = 512  # processes and threads of one kernel (TensorFlow starts many threads)
_SLOTS = itertools.count()  # the kernels' cgroups' slots when they have no uid (not root)
FOLDER = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW  # a folder, never through a link

# Runs as the grader's user, then becomes the kernel: joins the kernel's cgroup, opens
# the files the sandbox gets copies of, sets the limits, drops to the kernel's uid, asks
# to die with the grader, and starts bwrap. argv: a JSON of {cgroups, limits, uid, bwrap}.
_LAUNCH = """\
import ctypes, json, os, resource, sys
plan = json.loads(sys.argv[1])
for procs in plan["cgroups"]:
    with open(procs, "w") as group:
        group.write(str(os.getpid()))
command = []
for word in plan["bwrap"]:
    if isinstance(word, list):
        fd = os.open(word[0], os.O_RDONLY | os.O_NOFOLLOW)
        os.set_inheritable(fd, True)
        word = str(fd)
    command.append(word)
for name, value in plan["limits"].items():
    resource.setrlimit(getattr(resource, name), (value, value))
if plan["uid"] is not None:
    os.setgroups([])
    os.setgid(plan["uid"])
    os.setuid(plan["uid"])
parent = os.getppid()
ctypes.CDLL(None, use_errno=True).prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
if os.getppid() != parent:
    sys.exit(1)
command += sys.argv[2:]
os.execv(command[0], command)
"""


def disk_mb(limits: GradeLimits) -> int:
    """The size of the kernel's work folder: the model files it saves must fit."""
    return max(4 * limits.model_mb, 256)


@functools.lru_cache(maxsize=1)
def _bwrap() -> str | None:
    return shutil.which("bwrap")


def _why_not() -> str | None:
    """Why bubblewrap cannot sandbox a kernel here, or None when it can (probed once)."""
    return _probe(os.geteuid())


@functools.lru_cache(maxsize=2)
def _probe(euid: int) -> str | None:
    if not sys.platform.startswith("linux"):
        return f"bubblewrap needs Linux, and this is {sys.platform}"
    if _bwrap() is None:
        return "bubblewrap (bwrap) is not installed"
    with Sandbox(GradeLimits(), trusted=False) as box:
        command = [*box.prefix(), sys.executable, "-c", "import os; print(os.getuid())"]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=60, check=False, cwd=box.host
            )
        except (OSError, subprocess.SubprocessError) as err:
            return f"bwrap could not be started ({err})"
    if done.returncode != 0 or done.stdout.strip() != str(_INSIDE_UID):
        said = (done.stderr.strip().splitlines() or ["no message"])[-1]
        return f"bwrap could not start a sandbox here ({said})"
    return None


def require(*, trusted: bool) -> None:
    """Refuse to grade untrusted notebooks where no sandbox can be made."""
    if trusted:
        return
    why = _why_not()
    if why is None:
        return
    raise SandboxUnavailable(
        "students' notebooks cannot be sandboxed on this machine",
        where="kerasguide grade",
        expected="bubblewrap with user namespaces (Linux; root, or unprivileged user "
        "namespaces enabled)",
        received=why,
        hint="install it (Debian/Ubuntu: apt-get install bubblewrap), run as root or enable "
        "user namespaces (sysctl kernel.unprivileged_userns_clone=1); or, for your own "
        "notebooks only, pass --trusted (grade(..., trusted=True)): no sandbox at all",
    )


def isolation(limits: GradeLimits, *, trusted: bool = False, ungrouped: int = 0) -> dict[str, str]:
    """What this machine enforces, in words (in the report; the guide's grading page has it too)."""
    time_text = f"{limits.cell_seconds:g} s per cell, {limits.notebook_seconds:g} s per notebook"
    memory = f"{limits.memory_mb} MB address space (RLIMIT_AS)"
    if trusted:
        return {
            "sandbox": "none (--trusted): the kernel runs as the grader's user",
            "memory": memory,
            "time": time_text,
            "network": "not blocked",
            "files": "the kernel can read and write whatever the grader's user can",
            "cpu": "not shared per kernel (--trusted)",
        }
    root = os.geteuid() == 0
    where = cgroup.place()
    caps = ["RLIMIT_NPROC"] if root else []
    if isinstance(where, cgroup.Place) and where.pids is not None:
        caps.append("pids.max of its cgroup")
    return {
        "sandbox": "bubblewrap: new user, PID, network, IPC, UTS and cgroup namespaces, "
        "no capabilities",
        "user": f"a uid of its own from {host.UID_BASE}" if root else "the grader's uid, mapped",
        "memory": memory,
        "time": time_text,
        "processes": f"{_NPROC} ({' and '.join(caps)})" if caps else "not capped (needs root)",
        "cpu": cgroup.describe(ungrouped=ungrouped),
        "disk": f"{disk_mb(limits) + _TMP_MB + _SHM_MB + _KG_MB} MB in all (tmpfs)",
        "network": "none (a network namespace with only its own loopback)",
        "files": "only /usr, /etc and Python, read-only: no grader, student or reference file",
    }


# --- one kernel's sandbox -------------------------------------------------------------


@dataclass
class Sandbox:
    """One kernel's sandbox: its uid, its host folder, and the way into its file system.

    ``inside(path)`` is the grader's view of a path of the kernel's (through
    ``/proc/PID/root`` once :meth:`attach` has found the sandbox's first process).
    """

    limits: GradeLimits
    trusted: bool
    host: Path = field(init=False)
    uid: int | None = field(init=False, default=None)
    pid: int | None = field(init=False, default=None)
    files: dict[str, Path] = field(init=False, default_factory=dict)
    lent: dict[str, Path] = field(init=False, default_factory=dict)
    group: tuple[Path, ...] = field(init=False, default=())
    _lock: IO[str] | None = field(init=False, default=None)

    def __enter__(self) -> Sandbox:
        host.STATE.mkdir(mode=0o711, exist_ok=True)
        self.host = Path(tempfile.mkdtemp(prefix="kerasguide-grade-"))
        (self.host / "grader.pid").write_text(str(os.getpid()))
        if self.trusted:
            for name in ("work", "kg", "kg/run", "kg/ipython", "kg/mpl", "tmp"):
                (self.host / name).mkdir(mode=0o700)
            return self
        if os.geteuid() == 0:
            self.uid, self._lock = host.take_uid()
        slot = next(_SLOTS) if self.uid is None else self.uid - host.UID_BASE
        self.group = cgroup.create(slot, most_tasks=_NPROC)
        return self

    def __exit__(self, *exc: object) -> None:
        host.release(self.uid, self._lock, self.group)  # on a thread: kills, then gives back
        shutil.rmtree(self.host, ignore_errors=True)

    # --- paths: the kernel's, and the grader's view of them ---

    @property
    def work(self) -> PurePosixPath:
        """The kernel's working folder, as the kernel sees it."""
        return PurePosixPath(self.host / "work") if self.trusted else _WORK

    @property
    def private(self) -> PurePosixPath:
        """The kernel's own folder: sockets, connection file, IPython's and matplotlib's."""
        return PurePosixPath(self.host / "kg") if self.trusted else _PRIVATE

    def inside(self, path: PurePosixPath) -> Path:
        """Where the grader finds the kernel's ``path``."""
        if self.trusted:
            return Path(path)
        if self.pid is None:
            raise RuntimeError("the sandbox has not started")
        return Path(f"/proc/{self.pid}/root") / path.relative_to("/")

    def give(self, where: PurePosixPath, source: Path) -> None:
        """Put a copy of the grader's file ``source`` at the kernel's path ``where``."""
        if self.trusted:
            Path(where).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, where)
        else:
            self.files[str(where)] = source.resolve()  # copied by bwrap (--file) as it starts

    def lend(self, relative: str, source: Path) -> None:
        """Show the grader's file ``source`` read-only at ``work/relative`` (``files:``)."""
        where = self.work / relative
        if self.trusted:
            Path(where).parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, where)
            Path(where).chmod(0o444)
        else:
            self.lent[str(where)] = source.resolve()

    def connection_file(self) -> tuple[Path, PurePosixPath]:
        """The kernel's connection file: where the grader writes it, where the kernel reads it."""
        inside = self.private / "kernel.json"
        if self.trusted:
            return Path(inside), inside
        self.files[str(inside)] = self.host / "kernel.json"
        return self.host / "kernel.json", inside

    def environment(self) -> dict[str, str]:
        """The kernel's whole environment: a short list, with no paths of the grader."""
        env = {
            "PATH": os.defpath,
            "HOME": str(self.work),
            "TMPDIR": str(self.host / "tmp") if self.trusted else "/tmp",
            "IPYTHONDIR": str(self.private / "ipython"),
            "MPLCONFIGDIR": str(self.private / "mpl"),
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "3",
            "PYTHONHASHSEED": "0",
            "PYTHONDONTWRITEBYTECODE": "1",
            "CUDA_VISIBLE_DEVICES": "",
            "LANG": "C.UTF-8",
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
        }
        return env | {k: v for k, v in os.environ.items() if k.startswith("KERASGUIDE_")}

    # --- the command ---

    def prefix(self) -> list[str]:
        """What starts the kernel: the launcher, then bwrap (unless trusted), then ``--``."""
        limits = {
            "RLIMIT_AS": self.limits.memory_mb * 2**20,
            "RLIMIT_FSIZE": disk_mb(self.limits) * 2**20,
            "RLIMIT_CORE": 0,
        }
        if self.uid is not None:
            limits["RLIMIT_NPROC"] = _NPROC
        bwrap: list[str | list[str]] = [] if self.trusted else self._bwrap_words()
        cgroups = [str(folder / "cgroup.procs") for folder in self.group]
        plan = {"cgroups": cgroups, "limits": limits, "uid": self.uid, "bwrap": bwrap}
        return [sys.executable, "-I", "-c", _LAUNCH, json.dumps(plan)]

    def _bwrap_words(self) -> list[str | list[str]]:
        words: list[str | list[str]] = [
            str(_bwrap()),
            "--unshare-all",
            "--unshare-user",
            "--disable-userns",
            "--die-with-parent",
            "--new-session",
            "--cap-drop",
            "ALL",
            "--uid",
            str(_INSIDE_UID),
            "--gid",
            str(_INSIDE_UID),
            "--hostname",
            "kernel",
            # the grader's pid means nothing in the kernel's PID namespace (ipykernel would
            # take its parent for dead)
            "--unsetenv",
            "JPY_PARENT_PID",
            "--proc",
            "/proc",
            "--dev",
            "/dev",
            *_tmpfs(str(_WORK), disk_mb(self.limits)),
            *_tmpfs("/tmp", _TMP_MB),
            *_tmpfs("/dev/shm", _SHM_MB),
            # --dev's own tmpfs has no size: read-only, so that only /dev/shm takes files
            # (its device nodes, /dev/null too, stay writable as devices)
            "--remount-ro",
            "/dev",
            *_tmpfs(str(_PRIVATE), _KG_MB),
            *[w for name in ("run", "ipython", "mpl") for w in ("--dir", str(_PRIVATE / name))],
            # after the tmpfs: a Python installed under /tmp stays visible
            *_system(),
            *_python(),
        ]
        for where, source in self.files.items():
            words += ["--file", [str(source)], where]
        for where, source in self.lent.items():  # copied from a file the launcher opens
            parents = PurePosixPath(where).relative_to(_WORK).parents
            for parent in reversed([p for p in parents if str(p) != "."]):
                words += ["--dir", str(_WORK / parent)]
            words += ["--ro-bind-data", [str(source)], where]
        return [*words, "--remount-ro", "/", "--chdir", str(_WORK), "--"]

    def attach(self, process: subprocess.Popen[bytes], *, seconds: float = 60.0) -> None:
        """Find the sandbox's first process (the child of the ``bwrap`` ``process``).

        It counts as started once it has started the command and then waits for it:
        bwrap arms ``--die-with-parent`` in that process (its init) after starting the
        command and before waiting, so that only from then on does the sandbox end if
        ``process`` is killed. Where the kernel does not say what a process waits in
        (``/proc/PID/wchan``), a second after the command started stands for it.
        """
        if self.trusted:
            return
        deadline = time.monotonic() + seconds
        started: float | None = None
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children")
        while time.monotonic() < deadline and process.poll() is None:
            with contextlib.suppress(OSError, IndexError):
                init = children.read_text().split()[0]
                if Path(f"/proc/{init}/task/{init}/children").read_text().split():
                    started = started or time.monotonic()
                    if _waits(init) or time.monotonic() - started > 1.0:
                        self.pid = int(init)
                        return
            time.sleep(0.01)
        raise RuntimeError("the sandbox did not start")

    def seal(self) -> None:
        """Make the kernel's socket folders the host root's, read-only, once it has started.

        The grader (and ZMQ, when it reconnects) reaches the kernel's sockets by their
        path: a socket the student replaced by a link to one of the host's sockets would
        lead there. Called once the kernel has bound its sockets, before any of the
        student's code runs; the kernel has no capability (and its user namespace maps
        only its own uid), so it cannot take the folders back. Only as root: otherwise
        the kernel's uid is the grader's, and no folder of one can be kept from the other.
        """
        if self.trusted or self.uid is None or os.geteuid() != 0:
            return
        fd = os.open(self.inside(self.private), FOLDER)
        try:
            run = os.open("run", FOLDER, dir_fd=fd)
            for folder in (run, fd):  # the folder, then its parent (else run could be moved)
                os.fchown(folder, 0, 0)
                os.fchmod(folder, 0o555)
            os.close(run)
        finally:
            os.close(fd)


def _tmpfs(where: str, mb: int) -> list[str]:
    return ["--size", str(mb * 2**20), "--perms", "0755", "--tmpfs", where]


@functools.lru_cache(maxsize=1)
def _system() -> tuple[str, ...]:
    """``/usr`` and ``/etc`` read-only, and ``/bin``, ``/lib``… as the host has them."""
    words = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
    for name in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = Path("/") / name
        if path.is_symlink():
            words += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            words += ["--ro-bind", str(path), str(path)]
    return tuple(words)


def in_sight(path: Path) -> str | None:
    """The folder bound read-only into every sandbox (or its host side) holding ``path``."""
    words = [*_system(), *_python()]
    bound = [words[i + k] for i, w in enumerate(words) if w == "--ro-bind" for k in (1, 2)]
    place = path.resolve()
    return next((b for b in bound if place == Path(b) or Path(b) in place.parents), None)


@functools.lru_cache(maxsize=1)
def _python() -> tuple[str, ...]:
    """The Python installation, its packages and kerasguide, read-only, where they are."""
    import kerasguide

    places = {Path(sys.base_prefix), Path(sys.prefix), Path(kerasguide.__file__).parent}
    places |= {Path(p) for p in sys.path if p and Path(p).is_dir() and "site-packages" in p}
    words: list[str] = []
    for place in sorted(p.resolve() for p in places):
        if any(parent in place.parents for parent in places if parent.resolve() != place):
            continue
        if str(place).startswith(("/usr/", "/etc/")):
            continue
        words += ["--ro-bind", str(host.reachable(place)), str(place)]
    return tuple(words)


def _waits(pid: str) -> bool:
    """True when the process waits for a child (False where the kernel does not say)."""
    try:
        return Path(f"/proc/{pid}/wchan").read_text() == "do_wait"
    except OSError:
        return False
