"""Files written whole or not at all."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from kerasguide.errors import FileError


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; move it onto ``target`` on success.

    On an exception the temporary file is removed and ``target`` is left as it
    was, so a failed run never leaves a half-written or truncated file.

    Example:
        >>> with atomic_path("out.txt") as tmp:  # doctest: +SKIP
        ...     tmp.write_text("done")
    """
    target = Path(target)
    parent = check_folder(target)
    fd, name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=target.suffix, dir=parent)
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


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


def write_text(target: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` to ``target`` atomically and return the path."""
    return write_with(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_with(target: str | os.PathLike[str], writer: Callable[[Path], object]) -> Path:
    """Call ``writer(tmp_path)`` and move the result onto ``target`` atomically."""
    with atomic_path(target) as tmp:
        writer(tmp)
    return Path(target)
