"""A hostile class: attacking notebooks graded in one batch with honest ones, by outcome.

Each attack class of issue 18 has a notebook of its own, written here (the attacks
tried on the grader from outside are kept apart from the project). The honest
students' grades without attackers are those of the example class's run
(``tests/graded_class.py``, shared with ``tests/test_grade.py``); graded together
with the attackers, their scores must not move, no attacker earns a point, nothing
leaks out of a sandbox, and nothing is left behind.
"""

from __future__ import annotations

import contextlib
import csv
import json
import os
import re
import shutil
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
from kerasguide.grading import _host as host
from kerasguide.grading import _sandbox as sandbox
from tests import graded_class
from tests.notebook_files import notebook_json

pytestmark = pytest.mark.slow

DATA = graded_class.DATA
ASSIGNMENT = graded_class.ASSIGNMENT
HONEST = ("correct", "wrong_units", "raises")

if sandbox._why_not() is not None and not os.environ.get("CI"):
    pytest.skip(f"no sandbox here: {sandbox._why_not()}", allow_module_level=True)


def _attacks(
    out: Path, submitted: Path, marker: Path, port: int, host_socket: Path
) -> dict[str, str]:
    """Each attacker's code; ``marker`` is a host folder that no sandbox may write into,
    ``host_socket`` a unix socket of the host's that no kernel may lead the grader to."""
    refs = str(ASSIGNMENT.parent)
    places = (str(marker), "/tmp", "/dev/shm", str(out), str(submitted))
    leak = (
        "def leak(what):\n"
        f"    for place in {places!r}:\n"
        "        try:\n"
        "            open(place + '/LEAKED-' + what, 'w').write(what)\n"
        "        except OSError:\n"
        "            pass\n"
    )
    return {
        "h_read_refs": leak + "import ctypes, glob, os\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "for target in (b'/', b'/usr', b'/proc', b'/kerasguide-kernel/work'):\n"
        "    libc.umount2(target, 2)\n"
        "tops = [d for d in os.listdir('/') if d not in ('proc', 'sys', 'dev', 'usr')]\n"
        f"found = [{refs!r} + '/classifier.yaml', *glob.glob('/proc/*/root{refs}/*')]\n"
        "for top in tops:\n"
        "    found += glob.glob('/' + top + '/**/classifier.yaml', recursive=True)\n"
        "for path in found:\n"
        "    try:\n"
        "        text = open(path).read()\n"
        "        leak('reference')\n"
        "        print('READ', path, text[:100])\n"
        "    except OSError:\n"
        "        pass\n",
        "h_write_others": leak + "import glob, os\n"
        f"targets = [{str(submitted)!r} + '/correct.ipynb', {str(out)!r} + '/gradebook.csv',\n"
        f"           *glob.glob({str(out)!r} + '/students/*/record.json'),\n"
        "           *glob.glob('/tmp/kerasguide-*/**/*', recursive=True),\n"
        "           *glob.glob('/proc/*/root/tmp/kerasguide-*/**/*', recursive=True)]\n"
        "for path in targets:\n"
        "    try:\n"
        "        open(path, 'w').write('overwritten')\n"
        "        leak('write')\n"
        "    except OSError:\n"
        "        pass\n"
        "leak('plain')\n",
        "h_sockets": leak + "import glob, os, socket, stat, time\n"
        "mine = '/kerasguide-kernel/private/run'\n"
        "own = {(os.stat(p).st_dev, os.stat(p).st_ino) for p in glob.glob(mine + '/*')}\n"
        "# every socket in sight: its own, through /proc/*/root, and in any folder it sees\n"
        "found = glob.glob(mine + '/*') + glob.glob('/proc/*/root' + mine + '/*')\n"
        "for top in ('/tmp', '/dev', '/kerasguide-kernel', '/proc/*/root/tmp',\n"
        "            '/proc/*/root/dev', '/proc/*/root/kerasguide-kernel'):\n"
        "    found += glob.glob(top + '/**', recursive=True)\n"
        "for path in sorted(set(found)):\n"
        "    try:\n"
        "        info = os.stat(path)\n"
        "    except OSError:\n"
        "        continue\n"
        "    if not stat.S_ISSOCK(info.st_mode):\n"
        "        continue\n"
        "    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)\n"
        "    try:\n"
        "        s.connect(path)\n"
        "    except OSError:\n"
        "        continue\n"
        "    finally:\n"
        "        s.close()\n"
        "    whose = 'OWN' if (info.st_dev, info.st_ino) in own else 'OTHER'\n"
        "    print('CONNECTED', path, whose)\n"
        "    if whose == 'OTHER':\n"
        "        leak('socket')\n"
        "# its own sockets swapped for links to a host socket: the grader reconnects by path\n"
        f"host = {str(host_socket)!r}\n"
        "names = sorted(os.listdir(mine))\n"
        "for name in names:\n"
        "    try:\n"
        "        os.rename(f'{mine}/{name}', f'{mine}/{name}-old')\n"
        "        os.symlink(host, f'{mine}/{name}')\n"
        "        print('REPLACED', name)\n"
        "    except OSError as err:\n"
        "        print('KEPT', name, err)\n"
        "try:  # or the whole folder\n"
        "    os.rename(mine, mine + '-old')\n"
        "    os.mkdir(mine)\n"
        "    for name in names:\n"
        "        os.symlink(host, f'{mine}/{name}')\n"
        "    print('REPLACED', mine)\n"
        "except OSError as err:\n"
        "    print('KEPT', mine, err)\n"
        "from ipykernel.kernelapp import IPKernelApp\n"
        "IPKernelApp.instance().stdin_socket.close(linger=0)  # the grader's stdin reconnects\n"
        "time.sleep(2)\n",
        "h_daemon": "import os, time\n"
        "if os.fork() == 0:\n"
        "    os.setsid()\n"
        "    if os.fork() == 0:\n"
        "        end = time.time() + 120\n"
        "        while time.time() < end:\n"
        "            for path in ("
        f"{str(out)!r} + '/gradebook.csv', {str(out)!r} + '/students/h_daemon/record.json',\n"
        f"                         {str(marker)!r} + '/LEAKED-daemon'):\n"
        "                try:\n"
        "                    open(path, 'w').write('h_daemon,10,10,20')\n"
        "                except OSError:\n"
        "                    pass\n"
        "            time.sleep(0.2)\n"
        "        os._exit(0)\n"
        "    os._exit(0)\n"
        "print('daemon started')\n",
        "h_kill_parent": "import os, signal\n"
        "for pid in (os.getppid(), 1, -1):\n"
        "    try:\n"
        "        os.kill(pid, signal.SIGKILL)\n"
        "    except OSError as err:\n"
        "        print(pid, err)\n",
        "h_setns": leak + "import ctypes, glob, os, socket\n"
        "libc = ctypes.CDLL(None, use_errno=True)\n"
        "for ns in glob.glob('/proc/*/ns/*'):\n"
        "    try:\n"
        "        fd = os.open(ns, os.O_RDONLY)\n"
        "        libc.setns(fd, 0)\n"
        "    except OSError:\n"
        "        pass\n"
        "s = socket.socket()\n"
        "s.settimeout(2)\n"
        "try:\n"
        f"    s.connect(('127.0.0.1', {port}))\n"
        "    s.sendall(b'escaped')\n"
        "    leak('network')\n"
        "except OSError as err:\n"
        "    print('no network:', err)\n",
        "h_fill": "import os\n"
        "home = os.path.expanduser('~')\n"
        "# /dev: 8 files (128 MB) are enough to show that it takes none\n"
        "for folder, most in (('/dev/shm', 10000), ('/tmp', 10000), ('.', 10000),\n"
        "                     (home, 10000), ('/dev', 8)):\n"
        "    try:\n"
        "        for i in range(most):\n"
        "            with open(f'{folder}/fill-{i}', 'wb') as f:\n"
        "                f.write(b'x' * 2**24)\n"
        "    except OSError as err:\n"
        "        print(folder, err)\n",
        "h_bomb": "import keras, zipfile\n"
        "class Bomb(keras.Sequential):\n"
        "    def save(self, path, *args, **kwargs):\n"
        "        with zipfile.ZipFile(path, 'w', zipfile.ZIP_DEFLATED) as z:\n"
        "            with z.open('config.json', 'w', force_zip64=True) as f:\n"
        "                chunk = b' ' * 2**24\n"
        "                for _ in range(128):\n"
        "                    f.write(chunk)\n"
        "model = Bomb([keras.Input((8,)), keras.layers.Dense(1)])\n",
        "h_print": "from IPython.display import display\n"
        "for _ in range(16):\n"
        "    display({'text/plain': 'x' * 2**20}, raw=True)\n"
        "line = 'x' * 2**20\n"
        "for _ in range(500):\n"
        "    print(line)\n",
        "h_stderr": "import os\nos.write(2, b'STDERR-OF-THE-KERNEL\\n')\n",
        # odd names: the notebooks below just fail their exercises
        ".": "x = 1\n",
        "..": "x = 1\n",
        "=cmd|' C calc'!A0": "x = 1\n",
        # Keras is imported before the first cell only where the code may use it
        "Zoë Ünï": "import sys\nprint('warm:', 'keras' in sys.modules)\n"
        "if False:\n    import numpy\n",
        "with space": "import sys\nprint('warm:', 'keras' in sys.modules)\n",
    }


def _listen(unix: Path | None = None) -> tuple[socket.socket, list[bytes]]:
    """A TCP socket on the loopback (or a unix socket at ``unix``), and what reached it."""
    if unix is None:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
    else:
        server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        server.bind(str(unix))
    server.listen()
    server.settimeout(0.5)
    got: list[bytes] = []

    def accept() -> None:
        end = time.monotonic() + 600
        while time.monotonic() < end:
            try:
                conn, _ = server.accept()
            except OSError:
                if server.fileno() == -1:
                    return
                continue
            got.append(conn.recv(100))
            conn.close()

    threading.Thread(target=accept, daemon=True).start()
    return server, got


@pytest.fixture(scope="module")
def batches(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("hostile")
    mixed, marker = root / "mixed", root / "marker"
    for folder in (mixed, marker):
        folder.mkdir()
    for name in HONEST:
        shutil.copy(DATA / "submissions" / f"{name}.ipynb", mixed)
    out_mixed = mixed / "graded"
    # The honest students graded among honest classmates only: the example class's run.
    honest = graded_class.graded_once(tmp_path_factory)["report"]
    server, got = _listen()
    unix, reached = _listen(root / "host.sock")
    attacks = _attacks(out_mixed, mixed, marker, server.getsockname()[1], root / "host.sock")
    for name, code in attacks.items():
        (mixed / f"{name}.ipynb").write_text(
            notebook_json([code, "print('after')"]), encoding="utf-8"
        )
    shm_before = set(os.listdir("/dev/shm"))
    temp_before = {p.name for p in Path(tempfile.gettempdir()).glob("kerasguide-*")}
    start = time.monotonic()
    report = kg.grade(ASSIGNMENT, mixed, output=out_mixed, workers=2, progress=False)
    seconds = time.monotonic() - start
    gradebook = (out_mixed / "gradebook.csv").read_text()
    time.sleep(3)  # a daemon that outlived its kernel would write now
    server.close()
    unix.close()
    return {
        "honest": honest,
        "report": report,
        "out": out_mixed,
        "marker": marker,
        "submitted": mixed,
        "attacks": attacks,
        "gradebook": gradebook,
        "shm_before": shm_before,
        "temp_before": temp_before,
        "network": got,
        "host_socket": reached,
        "seconds": seconds,
    }


def test_honest_students_keep_their_exact_scores(batches: dict[str, Any]) -> None:
    for name in HONEST:
        alone, mixed = batches["honest"][name], batches["report"][name]
        assert (mixed.score, mixed.status) == (alone.score, alone.status), name
        assert mixed.exercises == alone.exercises
    assert [batches["honest"][n].score for n in HONEST] == [20, 17, 10]


def test_no_attacker_earns_a_point(batches: dict[str, Any]) -> None:
    attackers = [s for s in batches["report"].submissions if s.student not in HONEST]
    assert len(attackers) == len(batches["attacks"])
    assert {s.student: s.score for s in attackers if s.score} == {}


def test_nothing_leaks_out_of_a_sandbox(batches: dict[str, Any]) -> None:
    assert list(batches["marker"].iterdir()) == []
    assert not list(batches["submitted"].glob("LEAKED-*"))
    assert not list(batches["out"].glob("LEAKED-*"))
    assert not list(Path("/tmp").glob("LEAKED-*"))
    assert not list(Path("/dev/shm").glob("LEAKED-*"))
    assert batches["network"] == []
    original = (DATA / "submissions" / "correct.ipynb").read_bytes()
    assert (batches["submitted"] / "correct.ipynb").read_bytes() == original
    page = (batches["out"] / "students" / "h_read_refs" / "feedback.html").read_text()
    assert "READ " not in page


def test_no_kernel_reaches_another_kernels_sockets_or_the_hosts(batches: dict[str, Any]) -> None:
    page = (batches["out"] / "students" / "h_sockets" / "feedback.html").read_text()
    connected = re.findall(r"CONNECTED (\S+) (\w+)", page)
    assert connected  # its own sockets, so the attack did connect where it could
    own = r"(/proc/(\d+|self|thread-self)/root)?/kerasguide-kernel/private/run/k-\d+"
    assert [c for c in connected if c[1] != "OWN" or not re.fullmatch(own, c[0])] == []
    # its sockets' folder is sealed (the page shows the code too: its output lines only)
    assert re.findall(r"REPLACED [/k]", page) == []
    assert len(re.findall(r"KEPT k-\d \[Errno 13\]", page)) == 5
    assert len(re.findall(r"KEPT /kerasguide-kernel/private/run \[Errno 13\]", page)) == 1
    assert batches["host_socket"] == []  # the grader never followed a link out


def test_the_gradebook_is_the_graders_alone(batches: dict[str, Any]) -> None:
    out = batches["out"]
    assert (out / "gradebook.csv").read_text() == batches["gradebook"]  # no daemon wrote it
    rows = list(csv.DictReader(batches["gradebook"].splitlines()))
    assert len(rows) == len(HONEST) + len(batches["attacks"])
    by_notebook = {r["notebook"]: r for r in rows}
    assert by_notebook["'=cmd|' C calc'!A0.ipynb"]["student"] == "_cmd___C_calc__A0"
    assert by_notebook["..ipynb"]["student"] == "_"
    assert by_notebook["...ipynb"]["student"] == "_."
    assert by_notebook["Zoë Ünï.ipynb"]["student"] == "Zoë_Ünï"
    assert by_notebook["with space.ipynb"]["student"] == "with_space"
    assert not any(cell.startswith(("=", "+", "@")) for r in rows for cell in r.values())
    record = json.loads((out / "students" / "h_daemon" / "record.json").read_text())
    assert record["student"] == "h_daemon"
    assert {p.name for p in (out / "students").iterdir()} == {r["student"] for r in rows}


def _left_by_this_batch(path: Path) -> bool:
    """Whether ``path``, new since the batch began, is the batch's: made by one of its
    kernels (a sandbox uid) or a sandbox folder of this grader's (``grader.pid``).

    Other processes on the machine (another grader, a test beside this one) may make
    files there meanwhile; they are not this batch's to clean up.
    """
    with contextlib.suppress(OSError):
        if host.UID_BASE <= path.stat().st_uid < host.UID_BASE + host.SLOTS:
            return True
    with contextlib.suppress(OSError, ValueError):
        return int((path / "grader.pid").read_text()) == os.getpid()
    return False


def test_nothing_is_left_behind(batches: dict[str, Any]) -> None:
    assert host.orphans() == []  # no kernel's process outlived its sandbox
    shm = Path("/dev/shm")
    new_shm = set(os.listdir(shm)) - batches["shm_before"]
    assert [n for n in new_shm if _left_by_this_batch(shm / n)] == []
    temp = Path(tempfile.gettempdir())
    new_temp = {p.name for p in temp.glob("kerasguide-*")} - batches["temp_before"]
    assert [n for n in new_temp if _left_by_this_batch(temp / n)] == []


def test_each_attack_has_the_outcome_it_earned(batches: dict[str, Any]) -> None:
    report, out = batches["report"], batches["out"]
    # pid 1 of its namespace ignores it, and kill(-1) reaches nothing else: the batch went on
    assert report["h_kill_parent"].status == "ok"
    assert "No such process" in (out / "students" / "h_kill_parent" / "feedback.html").read_text()
    bomb = report["h_bomb"].exercise("classifier")
    assert bomb["status"] == "unloadable"
    assert "would inflate 'config.json'" in bomb["reason"]
    filled = (out / "students" / "h_fill" / "feedback.html").read_text()
    assert "/dev [Errno 30] Read-only file system" in filled  # not a file in /dev
    assert "/dev/shm [Errno 28] No space left on device" in filled
    page = (out / "students" / "h_stderr" / "feedback.html").read_text()
    assert "STDERR-OF-THE-KERNEL" in page
    for student, warm in (("Zoë_Ünï", True), ("with_space", False)):
        assert f"warm: {warm}" in (out / "students" / student / "feedback.html").read_text()
    printed = out / "students" / "h_print" / "feedback.html"
    assert printed.stat().st_size < 30 * 2**20  # at most 8 MB of output kept, escaped twice
    assert "the rest of its output is not kept" in printed.read_text()


def test_a_notebook_that_stopped_the_grader_twice_is_not_run_again(tmp_path: Path) -> None:
    from kerasguide.grading import _batch, _output

    submitted = tmp_path / "submitted"
    submitted.mkdir()
    # no Keras (a kernel that starts in a second): what counts is whether it is run
    (submitted / "killer.ipynb").write_text(notebook_json(["print('ran')"]))
    task = _batch.Task.create(ASSIGNMENT, submitted, tmp_path / "out", None)
    key = task.key(submitted / "killer.ipynb")
    for _ in range(2):  # two runs that died while this notebook ran
        _output.attempts(task.output, "killer", key)
    report = kg.grade(ASSIGNMENT, submitted, output=tmp_path / "out", progress=False)
    killer = report["killer"]
    assert (killer.score, killer.status) == (0, "grader-stopped")  # the grader's side
    assert killer.reason.startswith("the grader stopped twice while this notebook ran")
    assert not (tmp_path / "out" / ".running" / "killer.json").exists()  # done now
    again = kg.grade(ASSIGNMENT, submitted, output=tmp_path / "out", progress=False, regrade=True)
    assert (again.graded, again["killer"].status, again["killer"].reason) == (1, "ok", "")
    record = json.loads((tmp_path / "out" / "students" / "killer" / "record.json").read_text())
    assert record["errors"] == []  # run once more, to its end


def test_trusted_grading_runs_without_the_sandbox(tmp_path: Path) -> None:
    submitted = tmp_path / "submitted"
    submitted.mkdir()
    # It reads a file of the grader's, which no sandbox shows. (Without Keras, a kernel
    # that starts in a second: the realistic class's shards grade real models --trusted.)
    (tmp_path / "hosts-file.txt").write_text("seen")
    code = f"assert open({str(tmp_path / 'hosts-file.txt')!r}).read() == 'seen'"
    (submitted / "correct.ipynb").write_text(notebook_json([code]))
    report = kg.grade(ASSIGNMENT, submitted, output=tmp_path / "out", progress=False, trusted=True)
    assert (report["correct"].status, report["correct"].reason) == ("ok", "")
    assert report.isolation["sandbox"].startswith("none (--trusted)")
    assert report.isolation["network"] == "not blocked"
