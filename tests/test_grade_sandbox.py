"""The grading sandbox attacked directly: small programs run in it, without a kernel.

Each test starts ``bwrap`` with the same command a student's kernel gets and runs
a short Python program in it (about half a second, no TensorFlow); one test starts
a kernel the way the grader does, to attack its sockets. Whole hostile notebooks
graded beside honest ones are in tests/test_grade_hostile.py.
"""

from __future__ import annotations

import contextlib
import csv
import io
import os
import shutil
import socket
import subprocess
import sys
import textwrap
import threading
import time
import zipfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

import pytest

from kerasguide.errors import FileError, SandboxUnavailable
from kerasguide.grading import _cgroup as cgroup
from kerasguide.grading import _host as host
from kerasguide.grading import _sandbox as sandbox
from kerasguide.grading._assignment import GradeLimits
from kerasguide.grading._batch import student_names
from kerasguide.grading._collect import take, zip_refusal
from kerasguide.grading._output import _cell, gradebook_csv

pytestmark = [pytest.mark.no_keras, pytest.mark.slow]

WHY_NOT = sandbox._why_not()
needs_bwrap = pytest.mark.skipif(
    WHY_NOT is not None and not os.environ.get("CI"),
    reason=f"no sandbox here: {WHY_NOT}",  # in CI (make install brings bwrap) it must run
)
CGROUPS = cgroup.place()
needs_cgroups = pytest.mark.skipif(
    isinstance(CGROUPS, str), reason=f"no cgroup of its own per kernel here: {CGROUPS}"
)


def _run(code: str, limits: GradeLimits | None = None, **files: Path) -> tuple[str, str, int]:
    """Run ``code`` in a fresh sandbox; its stdout, stderr and the host uid it had."""
    with sandbox.Sandbox(limits or GradeLimits(), trusted=False) as box:
        for name, source in files.items():
            box.give(box.work / name, source)
        command = [*box.prefix(), sys.executable, "-c", textwrap.dedent(code)]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/")
        uid = box.uid if box.uid is not None else os.getuid()
        left = _left(box.uid)
    assert left == [] or box.uid is None, f"processes outlived the sandbox: {left}"
    return done.stdout, done.stderr, uid


def _left(uid: int | None, seconds: float = 15.0) -> list[int]:
    """The processes of ``uid`` still there once the PID namespace has had time to go."""
    deadline = time.monotonic() + seconds
    while True:
        left = [
            p for p in host.pids() if uid is not None and host.owner(p) == uid and host.running(p)
        ]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.05)


@needs_bwrap
def test_the_kernel_is_an_unprivileged_user_with_no_capabilities() -> None:
    out, err, uid = _run(
        """
        import os
        status = dict(l.split(":", 1) for l in open("/proc/self/status").read().splitlines())
        print(os.getuid(), os.getgid(), status["CapEff"].strip(), status["CapBnd"].strip(),
              status["NoNewPrivs"].strip())
        """
    )
    inside, gid, eff, bounding, nnp = out.split()
    assert (inside, gid) == ("1000", "1000"), err
    assert int(eff, 16) == 0
    assert int(bounding, 16) == 0
    assert nnp == "1"
    if os.geteuid() == 0:
        assert host.UID_BASE <= uid < host.UID_BASE + host.SLOTS


@needs_bwrap
def test_nothing_of_the_graders_files_is_in_sight(tmp_path: Path) -> None:
    secret = tmp_path / "reference.yaml"
    secret.write_text("answer: 42")
    out, err, _ = _run(
        f"""
        import os
        print(sorted(os.listdir("/")))
        print(os.path.exists({str(secret)!r}), os.path.exists({str(Path.cwd() / "tests")!r}))
        print(sorted(os.listdir("/proc")[:0] + [p for p in os.listdir("/proc") if p.isdigit()]))
        """
    )
    lines = out.splitlines()
    assert len(lines) == 3, err
    allowed = {"bin", "dev", "etc", "kerasguide-kernel", "lib", "lib64", "proc", "sbin", "tmp"}
    allowed |= {"usr", "lib32", "libx32"}
    # Python, its packages and kerasguide are bound where they are on the host (the
    # checkout may be anywhere: /work, /check, /home...), and only their top folders show
    python = sandbox._python()
    allowed |= {PurePosixPath(target).parts[1] for target in python[2::3]}  # --ro-bind SRC DEST
    assert set(eval(lines[0])) <= allowed, python
    assert lines[1] == "False False"
    assert eval(lines[2]) == ["1", "2"]  # bwrap's init and the program: nothing else


@needs_bwrap
def test_covers_cannot_be_lifted_and_the_system_is_read_only() -> None:
    out, _, _ = _run(
        """
        import ctypes, os
        libc = ctypes.CDLL(None, use_errno=True)
        results = []
        for target in (b"/", b"/usr", b"/proc", b"/kerasguide-kernel/work"):
            results.append(libc.umount2(target, 2) == 0)      # MNT_DETACH
        results.append(libc.unshare(0x10000000) == 0)        # CLONE_NEWUSER
        results.append(libc.unshare(0x00020000) == 0)        # CLONE_NEWNS
        for path in ("/usr/evil", "/etc/evil", "/evil"):
            try:
                open(path, "w").close()
                results.append(True)
            except OSError:
                results.append(False)
        print(results)
        """
    )
    assert out.strip() == str([False] * 9)


@needs_bwrap
def test_no_network_and_no_other_namespace() -> None:
    out, _, _ = _run(
        """
        import ctypes, os, socket
        found = []
        for family, address in ((socket.AF_INET, ("127.0.0.1", 22)),
                                (socket.AF_INET, ("1.1.1.1", 53))):
            s = socket.socket(family, socket.SOCK_STREAM)
            s.settimeout(2)
            try:
                s.connect(address)
                found.append("connected")
            except OSError as err:
                found.append(type(err).__name__)
        libc = ctypes.CDLL(None, use_errno=True)
        fd = os.open("/proc/1/ns/net", os.O_RDONLY)
        found.append(libc.setns(fd, 0) == 0)  # pid 1 is the sandbox's own init
        print(found, os.listdir("/sys") if os.path.isdir("/sys") else "no /sys")
        """
    )
    assert "connected" not in out
    assert "False" in out
    assert "no /sys" in out


@needs_bwrap
def test_the_total_written_is_capped_per_folder() -> None:
    limits = GradeLimits(model_mb=16)  # work folder: 256 MB at least
    out, _, _ = _run(
        """
        import os
        written = {}
        folders = ("/tmp", "/dev/shm", "/kerasguide-kernel/work", "/kerasguide-kernel/private")
        for folder in (*folders, "/dev"):
            total = 0
            try:
                for i in range(1000 if folder != "/dev" else 4):  # /dev: uncapped before
                    with open(f"{folder}/fill-{i}", "wb") as f:
                        f.write(b"x" * 2**20 * 8)
                    total += 8
            except OSError as err:
                written[folder] = (total, err.errno)
        for device in ("/dev/null", "/dev/zero"):  # still devices to write to
            with open(device, "wb") as f:
                f.write(b"x" * 2**20)
        print(written)
        """,
        limits,
    )
    written = eval(out)
    assert written.pop("/dev") == (0, 30)  # EROFS: no file at all in /dev, so none fills RAM
    assert written["/tmp"][0] <= sandbox._TMP_MB
    assert written["/dev/shm"][0] <= sandbox._SHM_MB
    assert written["/kerasguide-kernel/work"][0] <= sandbox.disk_mb(limits)
    assert written["/kerasguide-kernel/private"][0] <= sandbox._KG_MB
    assert {errno for _, errno in written.values()} <= {27, 28}  # EFBIG or ENOSPC


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the process cap needs a uid of its own (root)")
def test_a_fork_bomb_meets_the_process_cap() -> None:
    out, _, _ = _run(
        """
        import threading, time
        started = 0
        try:
            for _ in range(5000):
                threading.Thread(target=time.sleep, args=(5,), daemon=True).start()
                started += 1
        except RuntimeError:
            pass
        print(started)
        """
    )
    assert 0 < int(out) < sandbox._NPROC


# Busy from the wall-clock time argv[1] for argv[2] seconds in argv[3] processes; prints
# the CPU seconds they had in all.
_BUSY = """
import os, resource, sys, time
start, seconds, workers = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3])
children = []
for _ in range(workers - 1):
    pid = os.fork()
    if pid == 0:
        os.setsid()  # a session of its own: an autogroup of its own, where the kernel has them
        children = None
        break
    children.append(pid)
while time.time() < start:
    time.sleep(0.01)
while time.time() < start + seconds:
    pass
if children is None:
    os._exit(0)
for pid in children:
    os.waitpid(pid, 0)
used = [resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
print(sum(u.ru_utime + u.ru_stime for u in used))
"""


def _cpu_seconds(workers: tuple[int, ...], seconds: float = 4.0) -> list[float]:
    """The CPU seconds had by sandboxes running side by side, each busy in ``workers`` processes."""
    start = time.time() + 2.0  # once both sandboxes have started
    with contextlib.ExitStack() as stack:
        runs = []
        for count in workers:
            box = stack.enter_context(sandbox.Sandbox(GradeLimits(), trusted=False))
            command = [*box.prefix(), sys.executable, "-c", _BUSY, str(start), str(seconds)]
            runs.append(
                subprocess.Popen([*command, str(count)], cwd="/", stdout=subprocess.PIPE, text=True)
            )
        outs = [run.communicate(timeout=60)[0] for run in runs]
    assert time.time() > start + seconds
    return [float(out) for out in outs]


@needs_bwrap
@needs_cgroups
def test_a_kernel_of_many_busy_processes_takes_no_more_cpu_than_an_honest_one() -> None:
    # 64 busy processes (within the process cap) beside one: shared between threads, the
    # honest kernel would have 1/64 of what the hostile one has; between kernels, as much
    # (a 2-core machine: about a core each; measured relative, as other work shares it)
    hostile, honest = _cpu_seconds((64, 1))
    assert hostile > 0.2  # it ran, even on a busy machine
    assert honest >= hostile / 3, (honest, hostile)


@needs_bwrap
@needs_cgroups
def test_each_kernel_runs_in_a_cgroup_of_its_own_that_goes_with_it() -> None:
    with sandbox.Sandbox(GradeLimits(), trusted=False) as box:
        code = (
            "import os, time\n"
            "if os.fork() == 0: os.setsid()\n"
            "else: print('ready', flush=True)\n"
            "time.sleep(60)"
        )
        with _ready(box, code) as process:
            folders = box.group
            slot = box.uid - host.UID_BASE if box.uid is not None else ""
            assert folders  # named after the grader and the kernel's slot (its uid's, as root)
            assert {f.name.rsplit("-", 1)[0] for f in folders} == {f"{cgroup.PREFIX}{os.getpid()}"}
            assert {f.name for f in folders} == {folders[0].name}
            assert folders[0].name.endswith(f"-{slot}")
            for folder in folders:  # every process of the kernel, from bwrap on
                members = {int(pid) for pid in (folder / "cgroup.procs").read_text().split()}
                assert {process.pid, box.pid} <= members
                assert len(members) == 4  # bwrap, its init, the program and its child
            assert isinstance(CGROUPS, cgroup.Place)
            if CGROUPS.pids is not None:
                assert (CGROUPS.pids / folders[-1].name / "pids.max").read_text().strip() == "512"
    host.settle()
    assert [f for f in folders if f.exists()] == []


def test_where_no_cgroup_can_be_made_the_report_says_the_cpu_is_not_shared(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    why = "cgroup v1 at /sys/fs/cgroup/cpu: the grader may not make groups there"
    monkeypatch.setattr(cgroup, "place", lambda: why)
    where = sandbox.isolation(GradeLimits())
    assert where["cpu"] == f"not shared per kernel: {why}; a kernel's busy threads slow the others"
    assert where["processes"] == (
        "512 (RLIMIT_NPROC)" if os.geteuid() == 0 else "not capped (needs root)"
    )
    with sandbox.Sandbox(GradeLimits(), trusted=False) as box:
        assert box.group == ()
        assert '"cgroups": []' in box.prefix()[-1]


def test_cgroup_v2_is_used_at_the_nearest_parent_that_gives_the_cpu_controller(
    tmp_path: Path,
) -> None:
    # a v2 hierarchy mounted at tmp_path; the grader in /a/b; cpu enabled for /a's children
    for folder, enabled in (("", "cpu io memory pids"), ("a", "cpu"), ("a/b", "")):
        (tmp_path / folder).mkdir(exist_ok=True)
        (tmp_path / folder / "cgroup.subtree_control").write_text(enabled)
    mounts = [("/", tmp_path, "cgroup2", {"rw"})]
    found = cgroup._v2(mounts, {"": "/a/b"})
    assert found == cgroup.Place("v2", tmp_path / "a", None)  # no pids there
    assert found.folders("kerasguide-1-2") == (tmp_path / "a" / "kerasguide-1-2",)
    (tmp_path / "a" / "cgroup.subtree_control").write_text("")
    found = cgroup._v2(mounts, {"": "/a/b"})
    assert found == cgroup.Place("v2", tmp_path, tmp_path)
    assert found.settings(tmp_path / "g", 512) == {"cpu.weight": "100", "pids.max": "512"}
    (tmp_path / "cgroup.subtree_control").write_text("memory pids")
    assert str(cgroup._v2(mounts, {"": "/a/b"})).endswith(
        "the cpu controller is not enabled for new groups "
        f"beside {tmp_path / 'a' / 'b'} (cgroup.subtree_control), or they cannot be made there"
    )
    assert cgroup._v2([], {"": "/"}) == "no cgroup v2 is mounted"


def _named(name: str) -> list[int]:
    """The host's processes called ``name`` (their ``comm``)."""
    found = []
    for pid in host.pids():
        with contextlib.suppress(OSError):
            if Path(f"/proc/{pid}/comm").read_text().strip() == name:
                found.append(pid)
    return found


@needs_bwrap
def test_detached_processes_die_with_the_sandbox() -> None:
    name = f"kg-survivor{os.getpid() % 10000}"  # a process name (comm: 15 bytes at most)
    code = f"""
import ctypes, os, time
read, write = os.pipe()
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:  # a daemon: its own session, its parent gone, no terminal
        ctypes.CDLL(None).prctl(15, {name.encode()!r}, 0, 0, 0)  # PR_SET_NAME
        null = os.open("/dev/null", os.O_RDWR)
        for fd in (0, 1, 2):
            os.dup2(null, fd)
        os.write(write, str(os.getpid()).encode())
        time.sleep(60)
        os._exit(0)
    os._exit(0)
daemon = os.read(read, 20).decode()
open("/dev/shm/{name}", "w").write("x" * 1000)
print("left", open(f"/proc/{{daemon}}/comm").read().strip())
"""
    with sandbox.Sandbox(GradeLimits(), trusted=False) as box:
        command = [*box.prefix(), sys.executable, "-c", code]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/")
        assert done.stdout.strip() == f"left {name}", done.stderr  # it ran, under that name
        # looked for before the sandbox is closed (as root, closing it kills its uid's)
        deadline = time.monotonic() + 15
        while _named(name) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _named(name) == []  # the daemon is gone, though it meant to sleep for 60 s
    assert not (Path("/dev/shm") / name).exists()  # its /dev/shm was its own


@needs_bwrap
def test_the_sandbox_goes_when_its_bwrap_is_killed() -> None:
    with sandbox.Sandbox(GradeLimits(), trusted=False) as box:
        code = "import os, time\nif os.fork() == 0: os.setsid()\ntime.sleep(60)"
        process = subprocess.Popen([*box.prefix(), sys.executable, "-c", code], cwd="/")
        box.attach(process)
        assert box.pid is not None
        assert Path(f"/proc/{box.pid}").exists()
        if os.geteuid() == 0:  # seen from the host, the sandbox runs as its own uid
            assert host.owner(box.pid) == box.uid
        process.kill()
        process.wait()
        deadline = time.monotonic() + 30  # a loaded machine (CI beside other work) is slow
        while host.running(box.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not host.running(box.pid)
        assert _left(box.uid) == []


@needs_bwrap
def test_the_assignments_files_are_read_only(tmp_path: Path) -> None:
    """A file lent with `files:` is read, never changed, moved or removed by a notebook."""
    data = tmp_path / "digits.npz"
    data.write_bytes(b"the assignment's data")
    with sandbox.Sandbox(GradeLimits(), trusted=False) as box:
        box.lend("data/digits.npz", data)
        code = textwrap.dedent(
            """
            import os
            print(open("data/digits.npz", "rb").read().decode())
            attempts = {
                "write": lambda: open("data/digits.npz", "wb").write(b"changed"),
                "append": lambda: open("data/digits.npz", "ab").write(b"more"),
                "remove": lambda: os.remove("data/digits.npz"),
                "rename": lambda: os.rename("data/digits.npz", "data/moved.npz"),
                "chmod": lambda: os.chmod("data/digits.npz", 0o666),
            }
            for name, attempt in attempts.items():
                try:
                    attempt()
                    print(name, "done")
                except OSError as err:
                    print(name, "refused", err.errno)
            print(open("data/digits.npz", "rb").read().decode())
            """
        )
        command = [*box.prefix(), sys.executable, "-c", code]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd="/")
    lines = done.stdout.splitlines()
    assert lines[0] == lines[-1] == "the assignment's data", done.stderr
    assert [line.split()[:2] for line in lines[1:-1]] == [
        [name, "refused"] for name in ("write", "append", "remove", "rename", "chmod")
    ]
    assert data.read_bytes() == b"the assignment's data"


@needs_bwrap
def test_files_are_taken_only_when_regular_and_small(tmp_path: Path) -> None:
    limits = GradeLimits(model_mb=1)
    (tmp_path / "x.keras").write_bytes(b"PK the grader's file")  # e.g. the reference
    with sandbox.Sandbox(limits, trusted=False) as box:
        code = (
            "import os\n"
            "open('model.keras', 'wb').write(b'PK' * 10)\n"
            "os.symlink('/etc/passwd', 'link.keras')\n"
            f"os.symlink({str(tmp_path)!r}, 'models')\n"  # a host folder, seen from the grader
            "os.makedirs('real/deep')\n"
            "open('real/deep/m.keras', 'wb').write(b'PK deep')\n"
            "os.mkfifo('pipe.keras')\n"
            "open('big.keras', 'wb').write(b'x' * (2 * 2**20))\n"
            "print('ready', flush=True)\n"
            "import time; time.sleep(30)\n"
        )
        with _ready(box, code):
            assert take(box, "model.keras", most=2**20) == b"PK" * 10
            assert (
                take(box, "link.keras", most=2**20)
                == "unloadable: 'link.keras' is not a regular file"
            )
            assert (
                take(box, "pipe.keras", most=2**20)
                == "unloadable: 'pipe.keras' is not a regular file"
            )
            assert str(take(box, "big.keras", most=2**20)).startswith("unloadable: 'big.keras' has")
            assert str(take(box, "none.keras", most=2**20)).startswith("missing:")
            assert take(box, "real/deep/m.keras", most=2**20) == b"PK deep"
            assert take(box, "models/x.keras", most=2**20) == (
                "unloadable: 'models/x.keras' is not a regular file ('models' is no folder)"
            )
            assert take(box, "real/deep/m.keras/x.keras", most=2**20) == (
                "unloadable: 'real/deep/m.keras/x.keras' is not a regular file "
                "('m.keras' is no folder)"
            )
            assert str(take(box, "real/none/m.keras", most=2**20)).startswith("missing:")


_SEALED = """
import os, time
from ipykernel.kernelapp import IPKernelApp
run = "/kerasguide-kernel/private/run"
names = sorted(os.listdir(run))
print("SOCKETS", len(names))
def swap(path):  # a socket becomes a link to the host's socket, which the grader would follow
    os.rename(path, path + "-old")
    os.symlink(HOST, path)
def move():
    os.rename(run, run + "-old")
    os.mkdir(run)
    for name in names:
        os.symlink(HOST, f"{run}/{name}")
tries = {
    "create": lambda: open(run + "/new", "w"),
    "unlink": lambda: os.unlink(f"{run}/{names[0]}"),
    "swap": lambda: [swap(f"{run}/{name}") for name in names[1:]],
    "chmod": lambda: os.chmod(run, 0o777),
    "move the folder": move,
    "make another": lambda: os.mkdir("/kerasguide-kernel/private/other"),
}
for what, attempt in tries.items():
    try:
        attempt()
        print("DONE", what)
    except OSError as err:
        print("REFUSED", what, err.errno)
IPKernelApp.instance().stdin_socket.close(linger=0)  # the grader's stdin channel reconnects
time.sleep(1)
os.write(2, b"STDERR-OF-THE-KERNEL\\n")
"""


def _unix_listener(path: Path) -> tuple[socket.socket, list[bytes]]:
    """A unix socket of the host's, and what connected to it."""
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(str(path))
    server.listen()
    got: list[bytes] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                conn, _ = server.accept()
                got.append(conn.recv(100))
                conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server, got


@needs_bwrap
@pytest.mark.skipif(os.geteuid() != 0, reason="the sockets' folder is sealed as root only")
def test_a_started_kernel_cannot_touch_its_sockets_and_its_stderr_stays_in(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from kerasguide.grading._kernel import run_notebook
    from tests.notebook_files import notebook_json

    server, got = _unix_listener(tmp_path / "host.sock")
    code = f"HOST = {str(tmp_path / 'host.sock')!r}\n{_SEALED}"
    notebook = tmp_path / "sealed.ipynb"
    notebook.write_text(notebook_json([code, "print('still answering')"]), encoding="utf-8")
    try:
        run = run_notebook(notebook, (), GradeLimits())
        time.sleep(0.5)
    finally:
        server.close()
    seen = capfd.readouterr()
    assert run.status == "ok", run.reason
    assert run.notebook is not None
    printed = "".join(
        str(out.get("text", "")) for cell in run.notebook.cells for out in cell.get("outputs", [])
    )
    assert "SOCKETS 5" in printed  # shell, iopub, stdin, control, heartbeat
    assert "DONE" not in printed, printed
    assert printed.count("REFUSED") == 6
    assert got == []  # the grader never connected to the host's socket
    assert "still answering" in printed  # ipykernel works in its sealed folder
    assert "STDERR-OF-THE-KERNEL" in run.log  # for the student's feedback page
    assert "STDERR-OF-THE-KERNEL" not in seen.err + seen.out  # not on the grader's terminal


def test_require_refuses_without_bubblewrap_and_says_what_to_do(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(sandbox, "_why_not", lambda: "bubblewrap (bwrap) is not installed")
    with pytest.raises(
        SandboxUnavailable, match=r"(?s)cannot be sandboxed.*apt-get install bubblewrap.*--trusted"
    ):
        sandbox.require(trusted=False)
    sandbox.require(trusted=True)  # no error: the instructor's own notebooks


def test_the_probe_says_why_when_bwrap_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sandbox, "_bwrap", lambda: None)
    sandbox._probe.cache_clear()
    try:
        assert sandbox._probe(12345) == "bubblewrap (bwrap) is not installed"
    finally:
        sandbox._probe.cache_clear()


def test_the_trusted_environment_holds_no_path_of_the_grader() -> None:
    with sandbox.Sandbox(GradeLimits(), trusted=True) as box:
        env = box.environment()
        assert env["HOME"] == str(box.work)
        assert "PWD" not in env
        assert "VIRTUAL_ENV" not in env
        assert str(Path.cwd()) not in "".join(v for k, v in env.items() if k != "PATH")
        folder = box.host
    assert not folder.exists()


def test_the_launcher_sets_the_memory_cap_before_the_kernel_starts() -> None:
    with sandbox.Sandbox(GradeLimits(memory_mb=1234), trusted=True) as box:
        code = "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"
        done = subprocess.run(
            [*box.prefix(), sys.executable, "-c", code], capture_output=True, text=True, cwd="/"
        )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == 1234 * 2**20


def _zip(members: dict[str, int], *, stored_size: int | None = None) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, size in members.items():
            archive.writestr(name, b"\0" * size)
    return buffer.getvalue()


def test_a_zip_bomb_is_refused_by_its_directory() -> None:
    bomb = _zip({"config.json": 300 * 2**20, "model.weights.h5": 10})
    assert len(bomb) < 2**20  # small on disk
    assert zip_refusal(bomb, 100 * 2**20) == (
        "would inflate 'config.json' to 314,572,800 bytes, over the model limit of 100 MB"
    )
    many = _zip({f"part{i}": 30 * 2**20 for i in range(4)})
    assert zip_refusal(many, 100 * 2**20) == (
        "would inflate to 125,829,120 bytes, over the model limit of 100 MB"
    )
    assert zip_refusal(_zip({"config.json": 100}), 100 * 2**20) is None
    assert str(zip_refusal(b"not a zip", 100)).startswith("is not a .keras (zip) file")


def test_student_names_are_safe_unique_and_keep_nothing_dangerous() -> None:
    paths = [
        Path(f"/s/{n}.ipynb")
        for n in (".", "..", "=cmd|' C calc'!A0", "Zoë Ünï", "a b", "a_b", "-rm")
    ]
    names = student_names(paths)
    assert names == {
        Path("/s/..ipynb"): "_",
        Path("/s/...ipynb"): "_.",
        Path("/s/=cmd|' C calc'!A0.ipynb"): "_cmd___C_calc__A0",
        Path("/s/Zoë Ünï.ipynb"): "Zoë_Ünï",
        Path("/s/a b.ipynb"): "a_b",
        Path("/s/a_b.ipynb"): "a_b-2",
        Path("/s/-rm.ipynb"): "_rm",
    }


def test_gradebook_cells_never_run_as_formulas() -> None:
    record = {
        "student": "_cmd",
        "notebook": "=cmd.ipynb",
        "score": 0.0,
        "max_score": 10.0,
        "status": "error",
        "reason": "@SUM(A1) +1 -1",
        "exercises": [],
    }
    text = gradebook_csv([record], [])  # type: ignore[list-item]
    assert text.splitlines()[1] == "_cmd,'=cmd.ipynb,0,10,error,'@SUM(A1) +1 -1"
    for lead in ("=", "+", "-", "@", "\t"):
        assert _cell(f"{lead}1+1") == f"'{lead}1+1", repr(lead)
    assert _cell("\r=1+1") == "'\n=1+1"  # a CR is a line feed, quoted by the writer
    assert _cell("a=1") == "a=1"
    # a notebook named "-2+3.ipynb"; reasons that start with a tab or a carriage return,
    # or hold one before a formula (a bare CR ends the row for some spreadsheets)
    rows = [
        record | {"notebook": "-2+3.ipynb", "reason": "\t=1+1"},
        record | {"notebook": "x.ipynb", "reason": "\r=1+1"},
        record | {"notebook": "y.ipynb", "reason": "a\r=1+1"},
    ]
    parsed = list(csv.reader(io.StringIO(gradebook_csv(rows, []), newline="")))  # type: ignore[arg-type]
    assert [(r[1], r[5]) for r in parsed[1:]] == [
        ("'-2+3.ipynb", "'\t=1+1"),
        ("x.ipynb", "'\n=1+1"),
        ("y.ipynb", "a\n=1+1"),
    ]


def test_a_stopped_run_takes_back_its_start_and_a_dead_graders_still_count(
    tmp_path: Path,
) -> None:
    from kerasguide.grading._output import attempts, undo_attempt

    assert attempts(tmp_path, "s", "key") == 0  # a start, and the grader was killed: counts
    before = attempts(tmp_path, "s", "key")  # a start, and the batch was stopped by its caller
    assert before == 1
    undo_attempt(tmp_path, "s", "key", before)
    assert attempts(tmp_path, "s", "key") == 1  # the death counts, the stop does not
    undo_attempt(tmp_path, "s", "key", 0)
    assert not (tmp_path / ".running" / "s.json").exists()


def test_what_a_dead_grader_left_is_swept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Sandbox folders, and the model files copied out of a kernel for scoring."""
    import tempfile
    from types import SimpleNamespace

    from kerasguide.grading import _collect
    from kerasguide.grading._collect import file_copy

    stale = Path(tempfile.mkdtemp(prefix="kerasguide-grade-"))
    (stale / "grader.pid").write_text("999999999")
    live = Path(tempfile.mkdtemp(prefix="kerasguide-grade-"))
    (live / "grader.pid").write_text(str(os.getpid()))
    made = [live, stale]
    monkeypatch.setattr(_collect, "take", lambda box, name, most: _zip({"config.json": 9}))
    box = SimpleNamespace(limits=GradeLimits())
    try:
        # A model copied out of a kernel, then the grader dies before scoring it.
        copied = file_copy(box, "model.keras", "model")  # type: ignore[arg-type]
        kept = file_copy(box, "model.keras", "model")  # type: ignore[arg-type]
        assert isinstance(copied, Path)
        assert isinstance(kept, Path)  # this grader's own copy, not yet scored
        made += [copied.parent, kept.parent]
        assert (copied.parent / "grader.pid").read_text() == str(os.getpid())
        (copied.parent / "grader.pid").write_text("999999999")  # its grader is gone
        host.sweep()
        assert not stale.exists()
        assert live.exists()
        assert not copied.parent.exists()
        assert kept.exists()
    finally:
        for folder in made:
            shutil.rmtree(folder, ignore_errors=True)


def test_paths_inside_are_seen_through_the_sandboxs_root() -> None:
    with sandbox.Sandbox(GradeLimits(), trusted=False) as box:
        box.pid = 4321
        assert box.inside(PurePosixPath("/kerasguide-kernel/work/m.keras")) == Path(
            "/proc/4321/root/kerasguide-kernel/work/m.keras"
        )


@needs_bwrap
def test_a_killed_grader_leaves_nothing_that_the_next_run_does_not_clean() -> None:
    import signal

    grader = textwrap.dedent(
        """
        import subprocess, sys, time
        from kerasguide.grading import _sandbox as sandbox
        from kerasguide.grading._assignment import GradeLimits
        box = sandbox.Sandbox(GradeLimits(), trusted=False).__enter__()
        code = "import os, time\\nif os.fork() == 0: os.setsid()\\ntime.sleep(120)"
        process = subprocess.Popen([*box.prefix(), sys.executable, "-c", code], cwd="/")
        box.attach(process)
        print(box.host, box.uid, box.pid, *box.group, flush=True)
        time.sleep(120)
        """
    )
    with subprocess.Popen(
        [sys.executable, "-c", grader], stdout=subprocess.PIPE, text=True
    ) as process:
        assert process.stdout is not None
        folder, uid, pid, *groups = process.stdout.readline().split()
        assert Path(f"/proc/{pid}").exists()
        process.send_signal(signal.SIGKILL)  # the grader dies without cleaning up
        process.wait()
    assert _left(None if uid == "None" else int(uid)) == []  # the sandbox died with it
    assert Path(folder).exists()  # its folder and cgroup stay until the next run sweeps them
    assert len(groups) == (0 if isinstance(CGROUPS, str) else 1 + (CGROUPS.pids != CGROUPS.cpu))
    assert all(Path(group).is_dir() for group in groups)
    host.sweep()
    assert not Path(folder).exists()
    assert [group for group in groups if Path(group).exists()] == []


def test_the_command_line_takes_trusted() -> None:
    from kerasguide.cli import parser

    args = parser().parse_args(["grade", "a.yaml", "submitted", "-o", "out", "--trusted"])
    assert args.trusted is True
    assert parser().parse_args(["grade", "a.yaml", "submitted", "-o", "out"]).trusted is False


@pytest.mark.skipif(os.geteuid() != 0, reason="kernels get uids of their own only as root")
def test_orphans_are_the_processes_of_uids_no_grader_holds() -> None:
    host.STATE.mkdir(mode=0o711, exist_ok=True)
    uid, lock = host.take_uid()  # a uid of our own, held as a grader holds it
    script = "import os, sys, time; u = int(sys.argv[1]); os.setgid(u); os.setuid(u); time.sleep(9)"
    child = subprocess.Popen([sys.executable, "-c", script, str(uid)])
    try:
        deadline = time.monotonic() + 30
        while host.owner(child.pid) != uid and time.monotonic() < deadline:
            time.sleep(0.02)
        assert host.owner(child.pid) == uid
        assert child.pid not in host.orphans()  # held: a kernel that is still grading
        lock.close()  # the grader let go of the uid without killing it: a process left behind
        assert child.pid in host.orphans()
        host.kill_uid(uid)
        child.wait(timeout=30)
        assert child.pid not in host.orphans()
    finally:
        child.kill()
        child.wait()
        lock.close()


@needs_bwrap
def test_nothing_the_grader_keeps_may_lie_where_every_kernel_can_read_it(tmp_path: Path) -> None:
    from kerasguide.grading._batch import Task

    assignment = Path(__file__).parent / "data" / "grading" / "assignment" / "assignment.yaml"
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    venv = Path(sys.prefix)  # bound read-only into every sandbox, as kerasguide's folder is
    with pytest.raises(FileError) as caught:
        Task.create(assignment, submitted, venv / "graded-here", None)
    assert caught.value.problem == "the output folder would be in sight of every student's kernel"
    assert caught.value.received == f"inside {venv.resolve()}, which every kernel can read"
    assert not (venv / "graded-here").exists()  # refused before anything is written
    with pytest.raises(FileError, match="the submissions would be in sight"):
        Task.create(assignment, venv, tmp_path / "out", None)
    assert sandbox.in_sight(Path("/etc/hostname")) == "/etc"
    assert sandbox.in_sight(tmp_path) is None
    # the host folder behind a bind counts too: a Python under /root is bound from a mirror
    python = Path(sys.base_prefix).resolve()
    assert sandbox.in_sight(host.reachable(python) / "bin") is not None
    # --trusted runs no sandbox: nothing to hide from
    Task.create(assignment, submitted, tmp_path / "trusted-out", None, trusted=True)


@contextlib.contextmanager
def _ready(box: sandbox.Sandbox, code: str) -> Iterator[subprocess.Popen[bytes]]:
    """``code`` running in ``box`` once it has printed ``ready``; killed when the block ends."""
    process = subprocess.Popen(
        [*box.prefix(), sys.executable, "-c", code], cwd="/", stdout=subprocess.PIPE
    )
    try:
        box.attach(process)
        assert process.stdout is not None
        assert process.stdout.readline().strip() == b"ready"
        yield process
    finally:
        process.kill()
        process.wait()
        assert process.stdout is not None
        process.stdout.close()


@needs_bwrap
@needs_cgroups
def test_a_kernel_whose_cgroup_could_not_be_made_is_in_the_report(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def refuse(*args: object) -> None:
        raise OSError(28, "No space left on device")

    before = cgroup.unmade()
    monkeypatch.setattr(cgroup, "_make", refuse)
    with sandbox.Sandbox(GradeLimits(), trusted=False) as box:
        assert box.group == ()  # the kernel runs, without a group of its own
    assert cgroup.unmade() == before + 1
    said = sandbox.isolation(GradeLimits(), ungrouped=cgroup.unmade() - before)["cpu"]
    assert said.endswith(
        "; but 1 kernel of this batch ran without one (making the group failed), "
        "sharing the CPU thread by thread"
    )
    assert "but" not in sandbox.isolation(GradeLimits())["cpu"]
