"""Files written whole or not at all: the one road for every file kerasguide writes.

:func:`write_with` (and :func:`write_text`, :func:`write_bytes`) guarantee:

- **Whole or nothing.** The content goes to a hidden temporary file beside the
  target (``.NAME.XXXXXXXX.SUFFIX``), which is then moved onto the target in one
  step. A reader sees the old file or the new one, never a half-written one.
- **No leftovers.** On any exception, ``KeyboardInterrupt`` included, the
  temporary file is removed. The command line turns SIGTERM into an exception
  so that this cleanup runs; SIGKILL or a power cut cannot be caught, and may
  leave a hidden temporary file (never a half-written target).
- **The user's umask.** A new file gets ``0o666 & ~umask``, as ``open(path, "w")``
  would give it; a replaced file keeps its permission bits.
- **Only regular files.** A device, FIFO, socket or folder is never replaced,
  ``force`` or not; a symbolic link is followed (the file it points to is
  replaced, the link stays), and refused when it points to anything else.
- **Honest concurrency.** Without ``force``, the move is a hard link, which fails
  atomically when the target exists: of writers racing for one name exactly one
  wins, the others get a ``FileError``. With ``force``, the move happens under a
  lock on the folder, after checking that the target is still the file seen when
  the write began; if another writer replaced it meanwhile, ``FileError``
  ("changed while writing").
- **Every** ``OSError`` becomes a ``FileError`` that says how to fix it.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import stat
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

from kerasguide.errors import FileError

__all__ = ["check_folder", "existing_file", "write_bytes", "write_text", "write_with"]

_NEW_FILE_MODE = 0o666  # the umask is applied by the OS, as for open(path, "w")
# Hard links that a file system refuses: fall back to a check and a move under the lock.
_NO_LINK = {errno.EPERM, errno.EXDEV, errno.EMLINK, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP}
_REPLACE_ON_PURPOSE = "pass --force (force=True) to replace it, or choose another name"


def write_text(target: str | os.PathLike[str], text: str, *, force: bool = True) -> Path:
    """Write ``text`` (UTF-8) to ``target`` whole or not at all; return the path.

    Example:
        >>> write_text("notes.txt", "done\\n", force=False)  # doctest: +SKIP
        PosixPath('notes.txt')
    """
    return write_with(target, lambda tmp: tmp.write_bytes(text.encode("utf-8")), force=force)


def write_bytes(target: str | os.PathLike[str], data: bytes, *, force: bool = True) -> Path:
    """Write ``data`` to ``target`` whole or not at all; return the path."""
    return write_with(target, lambda tmp: tmp.write_bytes(data), force=force)


def write_with(
    target: str | os.PathLike[str], writer: Callable[[Path], object], *, force: bool = True
) -> Path:
    """Call ``writer(tmp_path)``, then move the temporary file onto ``target``.

    Args:
        target: The file to write. It may exist only as a regular file (or a link
            to one), and only when ``force`` is true.
        writer: Writes the content to the temporary path it is given (same folder
            and suffix as ``target``). It may open the path, or replace it.
        force: Replace ``target`` when it exists. Without it an existing target,
            even one created by another program during the write, is refused.

    Returns:
        ``target`` as a ``Path``.

    Raises:
        FileError: The target is not a regular file, exists without ``force``,
            changed while writing, or the OS refused the write (read-only folder,
            full disk, permissions …); the temporary file is gone.

    Example:
        >>> write_with("plot.svg", lambda tmp: figure.savefig(tmp))  # doctest: +SKIP
        PosixPath('plot.svg')
    """
    path = Path(target)
    try:
        _write(path, writer, force=force)
    except FileError:
        raise
    except OSError as err:
        raise write_error(path, err) from None
    return path


def _write(path: Path, writer: Callable[[Path], object], *, force: bool) -> None:
    check_folder(path)
    real = Path(os.path.realpath(path))  # a link to a regular file: write the file
    before = existing_file(real, where=path)
    if before is not None and not force:
        raise _exists_error(path, f"an existing file of {before.st_size} bytes")
    tmp = _new_temporary(real, None if before is None else stat.S_IMODE(before.st_mode))
    try:
        writer(tmp)
        with _folder_lock(real.parent):
            if force:
                _replace(tmp, real, path, before)
            else:
                _create(tmp, real, path)
    finally:
        with contextlib.suppress(OSError):
            tmp.unlink()


def existing_file(path: Path, *, where: Path | str | None = None) -> os.stat_result | None:
    """The status of ``path`` when it is a regular file, ``None`` when it does not exist.

    Raises:
        FileError: ``path`` is a folder, a device, a FIFO, a socket, or a link to one;
            or its status cannot be read (e.g. no permission to search its folder).
    """
    try:
        info = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    except OSError as err:
        raise write_error(Path(where or path), err) from None
    if stat.S_ISREG(info.st_mode):
        return info
    kind = _kind(info.st_mode)
    if os.path.islink(where or path):
        kind = f"a symbolic link to {kind} ({os.path.realpath(path)})"
    raise FileError(
        "kerasguide replaces only regular files",
        where=str(where or path),
        expected="a new file name, or an existing regular file",
        received=kind,
        hint="choose a file name; devices, pipes, sockets and folders are never replaced, "
        "not even with --force",
    )


def _kind(mode: int) -> str:
    kinds = [
        (stat.S_ISDIR, "a folder"),
        (stat.S_ISCHR, "a character device"),
        (stat.S_ISBLK, "a block device"),
        (stat.S_ISFIFO, "a FIFO (named pipe)"),
        (stat.S_ISSOCK, "a socket"),
    ]
    return next((name for test, name in kinds if test(mode)), "not a regular file")


def _new_temporary(real: Path, mode: int | None) -> Path:
    """An empty hidden file beside ``real``, created with the umask (or given ``mode``)."""
    stem, suffix = real.name[:100], real.suffix[:20]
    for _ in range(100):
        tmp = real.with_name(f".{stem}.{secrets.token_hex(4)}{suffix}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, _NEW_FILE_MODE)
        except FileExistsError:
            continue
        try:
            if mode is not None:
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        return tmp
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(real.parent))


def _create(tmp: Path, real: Path, path: Path) -> None:
    """Move ``tmp`` to ``real`` only if ``real`` does not exist, atomically."""
    try:
        os.link(tmp, real)
        return
    except FileExistsError:
        received = "a file that appeared while kerasguide was writing (another program?)"
        raise _exists_error(path, received) from None
    except OSError as err:
        if err.errno not in _NO_LINK:
            raise
    if existing_file(real, where=path) is not None:  # no hard links: checked under the lock
        raise _exists_error(path, "a file that appeared while kerasguide was writing")
    os.replace(tmp, real)


def _replace(tmp: Path, real: Path, path: Path, before: os.stat_result | None) -> None:
    """Move ``tmp`` onto ``real`` if ``real`` is still what it was when the write began."""
    now = existing_file(real, where=path)
    if _identity(now) != _identity(before):
        raise FileError(
            "the file changed while kerasguide was writing it",
            where=str(path),
            expected="no other program writing the same file at the same time",
            received="absent, then created" if before is None else "replaced or modified",
            hint="another writer got there first; run again to replace its file",
        )
    os.replace(tmp, real)


def _identity(info: os.stat_result | None) -> tuple[int, ...] | None:
    if info is None:
        return None
    return (info.st_dev, info.st_ino, info.st_size, info.st_mtime_ns)


@contextlib.contextmanager
def _folder_lock(folder: Path) -> Iterator[None]:
    """Hold an exclusive ``flock`` on ``folder`` (where the OS allows it; else no lock)."""
    if sys.platform == "win32":
        yield
        return
    import fcntl

    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        yield
        return
    try:
        with contextlib.suppress(OSError):  # e.g. a network file system without locks
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def _exists_error(path: Path, received: str) -> FileError:
    return FileError(
        "the output file already exists",
        where=str(path),
        expected="a new file, or --force to replace it",
        received=received,
        hint=_REPLACE_ON_PURPOSE,
    )


_ELSEWHERE = "choose a folder you can write to"
_WHY: dict[int, tuple[str, str]] = {
    errno.EROFS: ("the folder is on a read-only file system", _ELSEWHERE),
    errno.EACCES: ("permission denied", f"{_ELSEWHERE}, or ask for write permission on it"),
    errno.EPERM: ("operation not permitted", f"{_ELSEWHERE}, or ask for write permission on it"),
    errno.ENOSPC: ("the disk is full", "free some disk space, or write to another disk"),
    errno.EDQUOT: ("the disk quota is used up", "free some disk space, or write elsewhere"),
    errno.EFBIG: ("the file is too large for this file system", "write to another disk"),
    errno.ENAMETOOLONG: ("the file name is too long", "choose a shorter file name"),
    errno.ENOENT: ("the folder disappeared while writing", "check the folder, and run again"),
    errno.EISDIR: ("the output is a folder", "give a file name inside the folder"),
    errno.ELOOP: ("too many levels of symbolic links", "give the path of a regular file"),
}


def write_error(path: Path, err: OSError) -> FileError:
    """A ``FileError`` for an ``OSError`` raised while writing ``path``, with a fix."""
    problem, hint = _WHY.get(
        err.errno or 0, ("the OS refused the write", "check the path and the folder's permissions")
    )
    code = errno.errorcode.get(err.errno or 0, "OSError")
    return FileError(
        f"the file cannot be written: {problem}",
        where=str(path),
        expected="a file in a folder that kerasguide can write to",
        received=f"{code}: {err.strerror or err}",
        hint=hint,
    )


def check_folder(target: Path) -> Path:
    """The folder ``target`` goes into; FileError when it does not exist."""
    parent = target.parent if str(target.parent) else Path(".")
    if not parent.is_dir():
        raise FileError(
            "the folder to write into does not exist",
            where=str(target),
            expected="an existing folder",
            received=str(parent),
            hint=f"create it first, e.g. mkdir -p {parent}",
        )
    return parent


def make_folder(folder: Path) -> Path:
    """Create ``folder`` (and its parents) if needed; every OSError as a FileError."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise FileError(
            "the output folder is a file",
            where=str(folder),
            expected="a folder, or a path where one can be created",
            received="an existing file",
            hint="choose another folder name",
        ) from None
    except OSError as err:
        raise write_error(folder, err) from None
    return folder
