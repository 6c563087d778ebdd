"""What comes out of a student's kernel: its model files and its stderr, bounded.

Private to :mod:`kerasguide.grading`, used by :mod:`kerasguide.grading._kernel`.

- **Model files** are copied out of the sandbox while the kernel is alive: only
  a regular file (opened folder by folder without following links, so a link to
  a grader's file or folder is refused), of at most ``model_mb``, whose zip
  directory promises no more than ``model_mb`` once inflated (a zip bomb is
  refused before anything inflates). The grader then loads it with
  ``safe_mode=True``. Its folder (``kerasguide-model-*``) holds the grader's pid,
  as a sandbox's folder does, so that if the grader dies before scoring it the
  next run sweeps it.
- **The kernel's stderr** is drained on a thread; its first 64 KB are kept for
  the student's feedback page, without TensorFlow's C++ start-up lines.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import stat
import tempfile
import threading
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO

from kerasguide._cli_terminal import NATIVE_LOG
from kerasguide.grading import _sandbox as sandbox

__all__ = ["KernelLog", "file_copy", "model_file", "take", "zip_refusal"]


class KernelLog:
    """The kernel process's own stdout and stderr: the first ``most`` bytes are kept."""

    def __init__(self, most: int = 64 * 1024) -> None:
        self.most = most
        self.kept = bytearray()
        self.dropped = 0
        self._thread: threading.Thread | None = None
        self._stream: IO[bytes] | None = None

    def drain(self, stream: IO[bytes] | None) -> None:
        if stream is None:
            return
        self._stream = stream
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: IO[bytes]) -> None:
        with contextlib.suppress(OSError, ValueError):
            while chunk := stream.read1(65536) if hasattr(stream, "read1") else stream.read(65536):
                room = self.most - len(self.kept)
                self.kept += chunk[: max(room, 0)]
                self.dropped += max(len(chunk) - max(room, 0), 0)

    def text(self) -> str:
        if self._thread is not None:
            self._thread.join(timeout=5)
        if self._stream is not None:
            with contextlib.suppress(OSError):
                self._stream.close()
        text = self.kept.decode("utf-8", "replace")
        lines = text.splitlines(keepends=True)
        text = "".join(line for line in lines if not NATIVE_LOG.match(line))  # TensorFlow's
        return text + (f"\n[{self.dropped:,} more bytes not kept]" if self.dropped else "")


def model_file(box: sandbox.Sandbox, stem: str, saved: str) -> Path | str:
    """The kernel's model ``stem.keras``, copied out for the grader, or why there is none.

    Beside it in the grader's folder: ``spec.yaml`` when the kernel also wrote the
    model as a spec (a function Keras cannot load again), and ``why.txt`` when it
    wrote none: the layer Keras will not load again and what to change, or why
    ``to_spec`` failed (``saved``: the kernel's report).
    """
    found = file_copy(box, f"{stem}.keras", "model")
    if isinstance(found, Path):
        spec = take(box, f"{stem}.yaml", most=2**20)
        if isinstance(spec, bytes):
            (found.parent / "spec.yaml").write_bytes(spec)
        why = saved.partition("saved; no spec: ")[2]
        if why:
            (found.parent / "why.txt").write_text(why, encoding="utf-8")
    return found


def file_copy(box: sandbox.Sandbox, name: str, what: str) -> Path | str:
    """The kernel's file ``name`` as a ``.keras`` in a folder of the grader's: checked, bounded."""
    most = box.limits.model_mb * 2**20
    data = take(box, name, most=most)
    if isinstance(data, str):
        return data.replace(repr(name), repr(what))
    refused = zip_refusal(data, most)
    if refused is not None:
        return f"unloadable: {what!r} {refused}"
    folder = Path(tempfile.mkdtemp(prefix="kerasguide-model-"))
    (folder / "grader.pid").write_text(str(os.getpid()))  # swept if the grader dies first
    keep = folder / "model.keras"
    keep.write_bytes(data)
    return keep


def zip_refusal(data: bytes, most: int) -> str | None:
    """Why a ``.keras`` file is refused by its zip directory alone, before anything inflates."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as err:
        return f"is not a .keras (zip) file ({err})"
    if len(members) > 64:
        return f"holds {len(members)} files; a .keras file holds 3"
    total = sum(member.file_size for member in members)
    for member in members:
        if member.file_size > most:
            return (
                f"would inflate {member.filename!r} to {member.file_size:,} bytes, over the "
                f"model limit of {most // 2**20} MB"
            )
    if total > most:
        return f"would inflate to {total:,} bytes, over the model limit of {most // 2**20} MB"
    return None


def take(box: sandbox.Sandbox, name: str, *, most: int) -> bytes | str:
    """The bytes of the kernel's regular file ``work/name``, or why there are none.

    Each folder of ``name`` is opened in the one before, never through a link: a
    folder the student made a link (to ``/``, say) would lead to the grader's files.
    """
    path = PurePosixPath(name)
    if path.is_absolute() or ".." in path.parts or not path.parts:
        return f"missing: {name!r} is not inside the notebook's folder"
    try:
        folder = os.open(box.inside(box.work), sandbox.FOLDER)
    except (OSError, RuntimeError):
        return "missing: the kernel's folder was gone"
    *parents, last = path.parts
    try:
        for part in parents:
            try:
                inner = os.open(part, sandbox.FOLDER, dir_fd=folder)
            except OSError as err:
                if err.errno in (errno.ELOOP, errno.ENOTDIR):
                    return f"unloadable: {name!r} is not a regular file ({part!r} is no folder)"
                return f"missing: the notebook did not save {name!r}"
            os.close(folder)
            folder = inner
        return _read_regular(folder, last, most, name)
    finally:
        os.close(folder)


def _read_regular(folder: int, last: str, most: int, name: str) -> bytes | str:
    try:
        fd = os.open(last, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError as err:
        if err.errno == errno.ELOOP:
            return f"unloadable: {name!r} is not a regular file"
        return f"missing: the notebook did not save {name!r}"
    with os.fdopen(fd, "rb") as handle:
        info = os.fstat(handle.fileno())
        if not stat.S_ISREG(info.st_mode):
            return f"unloadable: {name!r} is not a regular file"
        if info.st_size > most:
            return f"unloadable: {name!r} has {info.st_size:,} bytes, over {most // 2**20} MB"
        data = handle.read(most + 1)
    if len(data) > most:
        return f"unloadable: {name!r} grew over {most // 2**20} MB while it was read"
    return data
