"""The commands of ``kerasguide``: each takes the parsed arguments and returns an exit status.

Keras and the result modules are imported inside the commands, so that the
command line starts fast and ``--help`` never imports TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from kerasguide import _cli_terminal as _terminal
from kerasguide import _files
from kerasguide._cli_terminal import say
from kerasguide._inputs import PLOT_SUFFIXES, SPEC_SUFFIXES, load_keras, locate, resolve
from kerasguide.errors import FileError, OptionError
from kerasguide.specs import example_path, list_examples

if TYPE_CHECKING:
    from kerasguide._types import KerasModel
    from kerasguide.specs import Spec


def writable(target: str, *, force: bool, refused: str = "--no-clobber") -> Path:
    """The output path, refused early when it exists (unless ``force``) or is not a file.

    ``force`` is true unless ``--no-clobber`` was given: like most command-line
    tools, kerasguide replaces its outputs, so a Makefile can run a command
    again. Only a regular file is ever replaced. :mod:`kerasguide._files` checks
    again when it moves the finished file into place. ``refused`` names the
    option that decided (``--force`` for ``examples --copy``, which never
    replaces a student's file unless told to).
    """
    path = Path(target)
    if path.is_dir():
        raise FileError(
            "the output is a folder",
            where=target,
            expected="a file name",
            received=f"the folder {target}",
        )
    existing = _files.existing_file(path, where=target)
    if existing is not None and not force:
        raise FileError(
            "the output file already exists",
            where=target,
            expected="a new file, or --force to replace it"
            if refused == "--force"
            else "a new file (--no-clobber was given)",
            received=f"an existing file of {existing.st_size} bytes",
            hint="pass --force to replace it, or choose another name"
            if refused == "--force"
            else "leave out --no-clobber to replace it, or choose another name",
        )
    return path


def replaces(args: argparse.Namespace) -> bool:
    """Whether an existing output file may be replaced: yes, unless ``--no-clobber``."""
    return not getattr(args, "no_clobber", False)


class _Result(Protocol):
    """What a command prints: text, or with ``--json`` its ``to_dict()``."""

    def to_dict(self) -> Mapping[str, object]: ...


class _Status(Protocol):
    """Shows a line of status on the terminal while a block runs."""

    def status(self, text: str) -> contextlib.AbstractContextManager[None]: ...


def _emit(result: _Result, as_json: bool, *, table: bool = False) -> None:
    if as_json:
        print(json.dumps(result.to_dict(), indent=2, default=str))
    elif table:  # a table keeps its layout, whatever the terminal's width
        print(str(result).rstrip("\n"))
    else:
        say(str(result).rstrip("\n"))


def _deliver(text: str, output: str | None, *, force: bool) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    _files.write_text(writable(output, force=force), text, force=force)
    print(f"wrote {output}")


# --- the commands ------------------------------------------------------------------


def summary(args: argparse.Namespace) -> int:
    from kerasguide.summary import summarize

    model = resolve(args.source).as_model()
    _emit(
        summarize(model, expand_nested=args.expand_nested, style=_table_style(args.style)),
        args.json,
        table=True,
    )
    return 0


def _table_style(style: str | None) -> str:
    """The requested style, else box drawing where stdout can print it, else ASCII."""
    if style is not None:
        return style
    try:
        "┃━".encode(sys.stdout.encoding or "ascii")
    except (UnicodeEncodeError, LookupError):
        return "ascii"
    return "box"


def explain(args: argparse.Namespace) -> int:
    from kerasguide.explain import explain as explain_model

    fold = getattr(args, "fold", "none")
    model = resolve(args.source).as_model()
    _emit(explain_model(model, fold=_fold(fold)), args.json)
    return 0


def _fold(fold: str) -> str | int:
    """``--fold``: a number of levels, or one of the words."""
    return int(fold) if fold.isdigit() else fold


def plot(args: argparse.Namespace) -> int:
    target = writable(args.output, force=replaces(args))
    if target.suffix.lower() not in PLOT_SUFFIXES:
        raise OptionError(
            "unknown diagram format",
            where=args.output,
            expected="a file name ending in .png, .svg or .pdf",
            received=repr(target.suffix or "no suffix"),
        )
    from kerasguide.plot import plot_model

    model = resolve(args.source).as_model()
    fold = getattr(args, "fold", "auto")
    options: dict[str, Any] = {"engine": args.engine, "fold": _fold(fold)}
    if args.rankdir is not None:
        options["rankdir"] = args.rankdir
    _files.write_with(target, lambda tmp: plot_model(model, tmp, **options), force=replaces(args))
    print(f"wrote {args.output}")
    return 0


def check(args: argparse.Namespace) -> int:
    from kerasguide import checks

    model = resolve(args.source).as_model()
    if args.params is not None:
        result = checks.check_params(model, total=args.params)
    else:
        result = checks.check_summary(model, _expected(args.expect))
    _emit(result, args.json)
    return 0 if result else 1


def _expected(text: str) -> KerasModel | Spec | str:
    """What ``--expect`` names: a spec, a model, or summary text."""
    path = Path(text)
    if path.suffix.lower() in (*SPEC_SUFFIXES, ".keras") or not path.exists():
        source = resolve(text)
        return source.model if source.model is not None else source.as_spec()
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise FileError(
            "the expected summary cannot be read",
            where=text,
            expected="a UTF-8 text file",
            received=str(err),
        ) from None


def code(args: argparse.Namespace) -> int:
    from kerasguide.codegen import to_code

    if args.output is not None:
        writable(args.output, force=replaces(args))
    text = to_code(resolve(args.source).as_spec(), style=args.style)
    _deliver(text, args.output, force=replaces(args))
    return 0


def convert(args: argparse.Namespace) -> int:
    from kerasguide.convert import to_spec

    path = Path(args.model)
    if path.suffix.lower() != ".keras":
        raise OptionError(
            "convert reads saved .keras models",
            where=args.model,
            expected="a file name ending in .keras",
            received=repr(path.suffix or "no suffix"),
            hint="a spec is already a spec: `kerasguide validate` checks it",
        )
    if args.output is not None:
        writable(args.output, force=replaces(args))
    spec = to_spec(load_keras(path))
    json_out = args.output is not None and args.output.lower().endswith(".json")
    _deliver(
        spec.to_json() + "\n" if json_out else spec.to_yaml(), args.output, force=replaces(args)
    )
    return 0


def examples(args: argparse.Namespace) -> int:
    if args.name is None:
        if args.copy is not None:
            raise OptionError(
                "--copy needs the name of an example",
                where="examples --copy",
                expected="kerasguide examples NAME --copy DEST",
                received="no NAME",
                hint="e.g. kerasguide examples mlp --copy .",
            )
        return _list_examples(args.json)
    text = example_path(args.name).read_text(encoding="utf-8")
    if args.copy is not None:
        dest = Path(args.copy)
        folder = dest.is_dir() or args.copy.endswith(("/", os.sep))
        dest = dest / f"{args.name}.yaml" if folder else dest
        checked = writable(str(dest), force=args.force, refused="--force")
        _files.write_text(checked, text, force=args.force)
        print(f"wrote {dest}")
    elif args.json:
        info = {"name": args.name, "description": describe(text), "text": text}
        print(json.dumps(info, indent=2))
    else:
        sys.stdout.write(text)
    return 0


def _list_examples(as_json: bool) -> int:
    rows = [
        (name, describe(example_path(name).read_text(encoding="utf-8"))) for name in list_examples()
    ]
    if as_json:
        print(json.dumps([{"name": n, "description": d} for n, d in rows], indent=2))
        return 0
    width = max(len(name) for name, _ in rows) + 2
    say("\n".join(f"{name:<{width}}{description}".rstrip() for name, description in rows))
    return 0


def describe(text: str) -> str:
    """The first sentence of a spec's leading comment.

    Example:
        >>> describe("# A small model. Two layers.\\nname: tiny\\n")
        'A small model.'
    """
    comment = []
    for line in text.splitlines():
        if not line.startswith("#"):
            break
        comment.append(line.lstrip("#").strip())
    joined = " ".join(part for part in comment if part)
    match = re.match(r"(.*?\.)(\s|$)", joined)
    return match.group(1) if match else joined


def validate(args: argparse.Namespace) -> int:
    from kerasguide._cli_validate import validate_paths

    return validate_paths(args.paths, build=not args.no_build, as_json=args.json, debug=args.debug)


def demo(args: argparse.Namespace) -> int:
    from kerasguide._cli_demo import run_demo

    return run_demo(args.out)


def completion(args: argparse.Namespace) -> int:
    """Print argcomplete's completion script for ``args.shell``."""
    from argcomplete.shell_integration import shellcode

    sys.stdout.write(shellcode(["kerasguide"], shell=args.shell))
    return 0


# Commands that never load Keras: no "loading Keras…" line for them.
WITHOUT_KERAS = frozenset({"examples", "completion"})


def grade(args: argparse.Namespace) -> int:
    from kerasguide.grading._grade import command

    return command(args)


def run(args: argparse.Namespace) -> int:
    """Run the command named in ``args``; return its exit status.

    Stderr is streamed as it is written (TensorFlow's C++ start-up log dropped,
    unless ``--debug``); on a terminal, a "loading Keras…" line shows while
    TensorFlow is imported.
    """
    with quiet_native_log(keep_all=args.debug) as stderr:
        for name in ("source", "expect"):  # a missing input fails before Keras is loaded
            if isinstance(getattr(args, name, None), str):
                locate(getattr(args, name))
        if args.command not in WITHOUT_KERAS and "keras" not in sys.modules:
            with stderr.status("kerasguide: loading Keras\u2026"):
                from kerasguide._keras import keras

                keras()
        return COMMANDS[args.command](args)


class _Unfiltered:
    """Stands in for the filter when file descriptor 2 cannot be redirected."""

    @contextlib.contextmanager
    def status(self, text: str) -> Iterator[None]:
        yield


@contextlib.contextmanager
def quiet_native_log(*, keep_all: bool = False) -> Iterator[_Status]:
    """Stream stderr as it is written, without TensorFlow's C++ start-up log lines."""
    try:
        stderr = _terminal.StderrFilter(None if keep_all else _terminal.NATIVE_LOG)
        stderr.__enter__()
    except OSError:  # no file descriptor 2 to redirect
        yield _Unfiltered()
        return
    try:
        yield stderr
    finally:
        stderr.__exit__()


COMMANDS: dict[str, Callable[[argparse.Namespace], int]] = {
    "summary": summary,
    "explain": explain,
    "plot": plot,
    "check": check,
    "validate": validate,
    "code": code,
    "convert": convert,
    "examples": examples,
    "demo": demo,
    "completion": completion,
    "grade": grade,
}
