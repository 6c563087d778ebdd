"""kerasguide._files: every file kerasguide writes is whole, safe and honest."""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import kerasguide as kg
from kerasguide import _cli_commands as _commands
from kerasguide import _files
from kerasguide.specs import example_path

ROOT = Path(__file__).parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def names(folder: Path) -> list[str]:
    """Every entry of ``folder``, hidden temporary files included."""
    return sorted(p.name for p in folder.iterdir())


@contextlib.contextmanager
def umask(mask: int) -> Iterator[None]:
    previous = os.umask(mask)
    try:
        yield
    finally:
        os.umask(previous)


# --- only regular files are replaced -------------------------------------------------


@pytest.mark.parametrize("force", [True, False])
def test_a_fifo_is_never_replaced(tmp_path: Path, force: bool) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(
        kg.FileError,
        match=r"(?s)pipe: kerasguide replaces only regular files.*received: a FIFO \(named pipe\)"
        r".*not even with --force",
    ):
        _files.write_text(fifo, "text", force=force)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert names(tmp_path) == ["pipe"]


def test_a_symbolic_link_to_a_fifo_is_refused_and_one_to_a_file_is_followed(
    tmp_path: Path,
) -> None:
    os.mkfifo(tmp_path / "pipe")
    (tmp_path / "to_pipe").symlink_to(tmp_path / "pipe")
    with pytest.raises(kg.FileError, match=r"received: a symbolic link to a FIFO \(named pipe\)"):
        _files.write_text(tmp_path / "to_pipe", "text")
    (tmp_path / "real.txt").write_text("old", encoding="utf-8")
    (tmp_path / "link.txt").symlink_to(tmp_path / "real.txt")
    _files.write_text(tmp_path / "link.txt", "new")
    assert (tmp_path / "link.txt").is_symlink()
    assert (tmp_path / "real.txt").read_text(encoding="utf-8") == "new"
    assert names(tmp_path) == ["link.txt", "pipe", "real.txt", "to_pipe"]


def test_a_folder_is_never_replaced(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(kg.FileError, match=r"(?s)out: kerasguide replaces only.*a folder"):
        _files.write_text(tmp_path / "out", "text")
    assert (tmp_path / "out").is_dir()


@pytest.mark.skipif(not IS_ROOT, reason="only root can replace /dev/null")
def test_dev_null_stays_a_device_even_for_root() -> None:
    try:
        with pytest.raises(kg.FileError, match=r"/dev/null: .*\n.*\n  received: a character"):
            _files.write_text("/dev/null", "text", force=True)
    finally:
        _restore_dev_null()
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


def _restore_dev_null() -> None:
    """A safety net: should the test fail, put a real /dev/null back."""
    if not stat.S_ISCHR(os.lstat("/dev/null").st_mode):
        os.unlink("/dev/null")
        os.mknod("/dev/null", 0o666 | stat.S_IFCHR, os.makedev(1, 3))
        os.chmod("/dev/null", 0o666)


def test_plot_history_refuses_a_fifo(tmp_path: Path) -> None:
    fifo = tmp_path / "curves.png"
    os.mkfifo(fifo)
    with pytest.raises(kg.FileError, match="replaces only regular files"):
        kg.plot_history({"loss": [1.0, 0.5]}, to_file=fifo)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode)
    assert names(tmp_path) == ["curves.png"]


# --- every OSError becomes a FileError with a fix --------------------------------------


@pytest.mark.skipif(IS_ROOT, reason="root ignores permission bits")
def test_a_read_only_folder_is_a_file_error(tmp_path: Path) -> None:
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        with pytest.raises(kg.FileError, match=r"(?s)permission denied.*choose a folder"):
            _files.write_text(folder / "out.txt", "text")
    finally:
        folder.chmod(0o755)
    assert names(folder) == []


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (errno.EROFS, r"read-only file system[\s\S]*EROFS[\s\S]*choose a folder you can write to"),
        (errno.EACCES, r"permission denied[\s\S]*EACCES[\s\S]*choose a folder you can write to"),
        (errno.ENOSPC, r"the disk is full[\s\S]*ENOSPC[\s\S]*free some disk space"),
        (errno.EIO, r"the OS refused the write[\s\S]*EIO[\s\S]*check the path"),
    ],
)
@pytest.mark.parametrize("step", ["create", "write", "move"])
def test_an_os_error_while_writing_is_a_file_error_with_a_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, code: int, message: str, step: str
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def refuse(*args: Any, **kwargs: Any) -> Any:
        raise OSError(code, os.strerror(code))

    def writer(tmp: Path) -> None:
        tmp.write_text("half", encoding="utf-8")
        if step == "write":
            refuse()

    with monkeypatch.context() as patch:
        if step == "create":
            patch.setattr(_files, "_new_temporary", refuse)
        if step == "move":
            patch.setattr(os, "replace", refuse)
        with pytest.raises(
            kg.FileError, match=r"out\.txt: the file cannot be written: [^\n]*" + message
        ):
            _files.write_with(target, writer, force=True)
    assert target.read_text(encoding="utf-8") == "old"
    assert names(tmp_path) == ["out.txt"]


def test_a_refused_link_is_a_file_error_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: Any) -> None:
        raise OSError(errno.EROFS, "Read-only file system")

    monkeypatch.setattr(os, "link", refuse)
    with pytest.raises(kg.FileError, match="read-only file system"):
        _files.write_text(tmp_path / "new.txt", "text", force=False)
    assert names(tmp_path) == []


def test_without_hard_links_a_new_file_is_still_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unsupported(*args: Any) -> None:
        raise OSError(errno.EPERM, "Operation not permitted")

    monkeypatch.setattr(os, "link", unsupported)
    _files.write_text(tmp_path / "new.txt", "text", force=False)
    assert (tmp_path / "new.txt").read_text(encoding="utf-8") == "text"
    with pytest.raises(kg.FileError, match="the output file already exists"):
        _files.write_text(tmp_path / "new.txt", "again", force=False)
    assert names(tmp_path) == ["new.txt"]


# --- the umask ---------------------------------------------------------------------


@pytest.mark.parametrize("mask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_umask_like_open(tmp_path: Path, mask: int) -> None:
    with umask(mask):
        _files.write_text(tmp_path / "new.txt", "text")
        with open(tmp_path / "by_open.txt", "w", encoding="utf-8") as file:
            file.write("text")
    assert stat.S_IMODE(os.stat(tmp_path / "new.txt").st_mode) == 0o666 & ~mask
    assert os.stat(tmp_path / "new.txt").st_mode == os.stat(tmp_path / "by_open.txt").st_mode


def test_a_replaced_file_keeps_its_permissions(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    target.chmod(0o640)
    with umask(0o077):
        _files.write_text(target, "new")
    assert stat.S_IMODE(os.stat(target).st_mode) == 0o640
    assert target.read_text(encoding="utf-8") == "new"


# --- whole or nothing, and no leftovers ------------------------------------------------


@pytest.mark.parametrize("interrupt", [KeyboardInterrupt, RuntimeError, SystemExit])
def test_an_interrupted_write_leaves_the_target_and_no_temporary_file(
    tmp_path: Path, interrupt: type[BaseException]
) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")

    def writer(tmp: Path) -> None:
        tmp.write_text("half of the new", encoding="utf-8")
        raise interrupt

    with pytest.raises(interrupt):
        _files.write_with(target, writer)
    assert target.read_text(encoding="utf-8") == "old"
    assert names(tmp_path) == ["out.txt"]


def test_the_temporary_file_sits_beside_the_target_with_its_suffix(tmp_path: Path) -> None:
    seen: list[Path] = []
    _files.write_with(tmp_path / "diagram.svg", lambda tmp: seen.append(tmp) or tmp.touch())
    assert seen[0].parent == tmp_path
    assert seen[0].name.startswith(".diagram.svg.")
    assert seen[0].suffix == ".svg"
    assert names(tmp_path) == ["diagram.svg"]


# A CLI run whose write blocks half-way, until the test sends SIGTERM.
_BLOCKED_WRITE = """
import sys, time
from kerasguide import _files, cli

real_write_with = _files.write_with

def write_with(target, writer, **options):
    def blocked(tmp):
        writer(tmp)
        with open(tmp, "ab") as file:
            file.write(b"x" * 1_000_000)
        print("writing", flush=True)
        time.sleep(120)
    return real_write_with(target, blocked, **options)

_files.write_with = write_with
sys.exit(cli.main(["examples", "mlp", "--copy", sys.argv[1], "--force"]))
"""


def test_sigterm_during_a_cli_write_removes_the_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "mlp.yaml"
    target.write_text("old", encoding="utf-8")
    process = subprocess.Popen(
        [sys.executable, "-c", _BLOCKED_WRITE, str(target)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline() == "writing\n"
        assert len(names(tmp_path)) == 2  # the target and the temporary file, half-written
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    finally:
        process.kill()
        process.communicate()
    assert names(tmp_path) == ["mlp.yaml"]
    assert process.returncode == 128 + signal.SIGTERM
    assert target.read_text(encoding="utf-8") == "old"


# --- concurrent writers ------------------------------------------------------------


def _race(target: Path, *, force: bool, writers: int = 4) -> list[str]:
    """Start ``writers`` threads that all finish writing before any moves its file."""
    barrier = threading.Barrier(writers)
    outcomes = [""] * writers

    def write(index: int) -> None:
        def writer(tmp: Path) -> None:
            tmp.write_text(f"writer {index}", encoding="utf-8")
            barrier.wait(timeout=30)

        try:
            _files.write_with(target, writer, force=force)
            outcomes[index] = "wrote"
        except kg.FileError as err:
            outcomes[index] = str(err)

    threads = [threading.Thread(target=write, args=(i,)) for i in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


def test_of_concurrent_new_writers_exactly_one_wins(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    outcomes = _race(target, force=False)
    assert outcomes.count("wrote") == 1
    for outcome in outcomes:
        if outcome != "wrote":
            assert "the output file already exists" in outcome
            assert "appeared while kerasguide was writing" in outcome
    assert target.read_text(encoding="utf-8") == f"writer {outcomes.index('wrote')}"
    assert names(tmp_path) == ["out.txt"]


def test_of_concurrent_forced_writers_one_wins_and_the_others_say_so(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    target.write_text("old", encoding="utf-8")
    outcomes = _race(target, force=True)
    assert outcomes.count("wrote") == 1
    for outcome in outcomes:
        if outcome != "wrote":
            assert "the file changed while kerasguide was writing it" in outcome
            assert "run again" in outcome
    assert target.read_text(encoding="utf-8") == f"writer {outcomes.index('wrote')}"
    assert names(tmp_path) == ["out.txt"]


def test_forced_writers_one_after_another_all_succeed(tmp_path: Path) -> None:
    target = tmp_path / "out.txt"
    for text in ("one", "two", "three"):
        _files.write_text(target, text, force=True)
    assert target.read_text(encoding="utf-8") == "three"


# Four CLI processes write one new file; each waits, with its content written, for the others.
_RACING_CLI = """
import sys, time
from pathlib import Path
from kerasguide import _files, cli

real_write_with = _files.write_with
ready = Path(sys.argv[2])

def write_with(target, writer, **options):
    def wait_for_the_others(tmp):
        writer(tmp)
        (ready / sys.argv[3]).touch()
        deadline = time.monotonic() + 60
        while len(list(ready.iterdir())) < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
    return real_write_with(target, wait_for_the_others, **options)

_files.write_with = write_with
sys.exit(cli.main(["examples", "mlp", "--copy", sys.argv[1]]))
"""


@pytest.mark.slow
def test_four_cli_processes_writing_one_new_file_one_wins(tmp_path: Path) -> None:
    out, ready = tmp_path / "out", tmp_path / "ready"
    out.mkdir()
    ready.mkdir()
    target = out / "mlp.yaml"
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", _RACING_CLI, str(target), str(ready), str(i)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        )
        for i in range(4)
    ]
    results = [(p.wait(timeout=120), *p.communicate()) for p in processes]
    codes = sorted(code for code, _, _ in results)
    assert codes == [0, 2, 2, 2], results
    assert sum("wrote" in stdout for _, stdout, _ in results) == 1
    for code, _, stderr in results:
        if code == 2:
            assert "the output file already exists" in stderr
    assert names(out) == ["mlp.yaml"]
    assert target.read_text(encoding="utf-8") == example_path("mlp").read_text(encoding="utf-8")


def test_a_slow_writer_does_not_hold_the_folder_lock(tmp_path: Path) -> None:
    release = threading.Event()
    slow = threading.Thread(
        target=_files.write_with,
        args=(tmp_path / "slow.txt", lambda tmp: release.wait(timeout=30)),
    )
    fast = threading.Thread(target=_files.write_text, args=(tmp_path / "fast.txt", "fast"))
    slow.start()
    try:
        fast.start()
        fast.join(timeout=30)
        assert not fast.is_alive()  # it did not wait for the slow writer
        assert (tmp_path / "fast.txt").read_text(encoding="utf-8") == "fast"
    finally:
        release.set()
        slow.join(timeout=30)
    assert names(tmp_path) == ["fast.txt", "slow.txt"]


def test_a_path_through_a_file_says_the_folder_does_not_exist(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("a file, not a folder", encoding="utf-8")
    target = tmp_path / "notes.txt" / "out.txt"
    assert _commands.writable(str(target), force=False) == target  # no raw NotADirectoryError
    with pytest.raises(kg.FileError, match=r"notes\.txt/out\.txt: the folder to write into"):
        _files.write_text(target, "text")
