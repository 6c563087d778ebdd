"""The ``kerasguide`` command line (also ``python -m kerasguide``).

Exit codes: 0 success, 1 a check or a validation failed, 2 a usage or input
error (one message on stderr, or ``{"error": {...}}`` on stdout under ``--json``;
``--debug`` adds the traceback).

Shell completion comes from argcomplete: ``kerasguide completion bash`` (or
``zsh``, ``fish``) prints the script to load; each TAB then runs ``main``
with ``_ARGCOMPLETE`` set, which answers before anything slow is imported.

``kerasguide --help`` and ``--version`` never import TensorFlow: the commands
live in :mod:`kerasguide._cli_commands`, which imports Keras only when a command
needs a model.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import traceback
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, NoReturn

from kerasguide import _cli_terminal as _terminal
from kerasguide._version import __version__
from kerasguide.errors import KerasGuideError

if TYPE_CHECKING:
    _Commands = argparse._SubParsersAction["_Parser"]

__all__ = ["main"]

SOURCE_HELP = (
    "a spec file (.yaml, .yml or .json), a saved model (.keras), or the name of an example "
    "spec shipped with kerasguide (see `kerasguide examples`)"
)
_EXIT = (
    "Exit status: 0 on success, 1 when a check or validation fails, 2 for a usage or input error."
)


class _Parser(argparse.ArgumentParser):
    """An argument parser whose usage errors are raised, to be reported as text or JSON."""

    def error(self, message: str) -> NoReturn:
        raise _UsageError(self, message)


class _UsageError(Exception):
    def __init__(self, parser: argparse.ArgumentParser, message: str) -> None:
        super().__init__(message)
        self.parser, self.message = parser, message


def _common() -> _Parser:
    """Options that every command accepts, after its name too."""
    common = _Parser(add_help=False)
    common.add_argument(
        "--debug",
        action="store_true",
        default=argparse.SUPPRESS,
        help="show the traceback of an error",
    )
    return common


def _command(
    commands: _Commands,
    name: str,
    summary: str,
    examples: str,
) -> argparse.ArgumentParser:
    return commands.add_parser(
        name,
        help=summary,
        description=summary[0].upper() + summary[1:] + ".",
        epilog="Examples:\n" + examples + "\n\n" + _EXIT,
        formatter_class=_terminal.HelpFormatter,
        parents=[_common()],
    )


def _source(parser: argparse.ArgumentParser) -> None:
    source = parser.add_argument("source", metavar="SPEC_OR_MODEL", help=SOURCE_HELP)
    source.completer = _complete_source  # type: ignore[attr-defined]


def _complete_source(prefix: str, **kwargs: object) -> list[str]:
    """TAB on SPEC_OR_MODEL: the example names, then files and folders (argcomplete)."""
    from argcomplete.completers import FilesCompleter

    from kerasguide.specs import list_examples

    names = [name for name in list_examples() if name.startswith(prefix)]
    return names + list(FilesCompleter(("yaml", "yml", "json", "keras"))(prefix))


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print the result as JSON")


def _output(parser: argparse.ArgumentParser, what: str, *, required: bool = False) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        required=required,
        help=f"write {what} to FILE (written whole or not at all; an existing regular file "
        "is replaced, so a Makefile can run the command again)"
        + ("" if required else "; by default it is printed"),
    )
    parser.add_argument(
        "--no-clobber",
        action="store_true",
        help="refuse to replace FILE if it exists; a device, pipe or folder is never replaced",
    )
    parser.add_argument("--force", action="store_true", help=argparse.SUPPRESS)  # the default


def _add_summary(commands: _Commands) -> None:
    parser = _command(
        commands,
        "summary",
        "print a model's summary table",
        "  kerasguide summary mlp\n  kerasguide summary model.keras --style ascii\n"
        "  kerasguide summary nested --expand-nested --json",
    )
    _source(parser)
    parser.add_argument(
        "--style",
        choices=("box", "ascii"),
        help="draw the table with box-drawing characters, as Keras does, or in plain ASCII "
        "(default: box, or ascii where the output cannot show box drawing)",
    )
    parser.add_argument(
        "--expand-nested", action="store_true", help="show the layers inside nested models"
    )
    _json(parser)


def _add_explain(commands: _Commands) -> None:
    parser = _command(
        commands,
        "explain",
        "explain a model's parameter counts, layer by layer",
        "  kerasguide explain specs/mlp.yaml\n  kerasguide explain cnn --json\n"
        "  kerasguide explain resnet.keras --fold blocks",
    )
    _source(parser)
    _json(parser)
    parser.add_argument(
        "--fold",
        default="none",
        help="count parameters block by block: none (layer by layer, the default), blocks, "
        "auto (blocks above 60 layers), or a number of levels to open (2 lists each layer)",
    )


def _add_plot(commands: _Commands) -> None:
    parser = _command(
        commands,
        "plot",
        "draw a model's architecture diagram (PNG, SVG or PDF)",
        "  kerasguide plot mlp -o mlp.png\n"
        "  kerasguide plot specs/siamese.yaml -o siamese.svg --engine matplotlib --rankdir LR\n"
        "  kerasguide plot resnet.keras -o resnet.png --fold blocks",
    )
    _source(parser)
    _output(parser, "the diagram (.png, .svg or .pdf)", required=True)
    parser.add_argument(
        "--engine",
        choices=("matplotlib", "graphviz", "auto"),
        default="matplotlib",
        help="matplotlib (the same picture on every machine), graphviz, or auto: Graphviz "
        "when it is installed (default: matplotlib)",
    )
    parser.add_argument("--rankdir", help="direction of the diagram, e.g. TB (top to bottom) or LR")
    parser.add_argument(
        "--fold",
        default="auto",
        help="draw repeated blocks once: auto (above 60 boxes, the default), blocks, none, "
        "or a number of levels to open",
    )


def _add_check(commands: _Commands) -> None:
    parser = _command(
        commands,
        "check",
        "check a model against an expected summary, spec or parameter count",
        "  kerasguide check student.keras --expect reference.yaml\n"
        "  kerasguide check student.keras --expect expected_summary.txt\n"
        "  kerasguide check specs/mlp.yaml --params 551",
    )
    _source(parser)
    expected = parser.add_mutually_exclusive_group(required=True)
    expected.add_argument(
        "--expect",
        metavar="FILE",
        help="the expected model: summary text printed by Keras (.txt or any other file), "
        "a spec (.yaml, .yml, .json) or a saved model (.keras)",
    )
    expected.add_argument("--params", metavar="N", type=int, help="the expected parameter total")
    _json(parser)


def _add_validate(commands: _Commands) -> None:
    parser = _command(
        commands,
        "validate",
        "check spec files and build their models, reporting every file's problems",
        "  kerasguide validate specs/\n"
        "  kerasguide validate course/week1 course/week2/model.yaml --json\n\n"
        "Folders are searched recursively for *.yaml, *.yml and *.json files (hidden folders\n"
        "are skipped). A path that does not exist is reported and makes the exit status 2.",
    )
    parser.add_argument("paths", nargs="+", metavar="SPEC", help="spec files or folders")
    parser.add_argument(
        "--no-build",
        action="store_true",
        help="only check the specs, without building the models (faster; misses shape errors)",
    )
    _json(parser)


def _add_code(commands: _Commands) -> None:
    parser = _command(
        commands,
        "code",
        "write a spec as the plain Keras code that builds the same model",
        "  kerasguide code mlp\n  kerasguide code specs/cnn.yaml --style sequential -o cnn.py",
    )
    _source(parser)
    parser.add_argument(
        "--style",
        choices=("functional", "sequential"),
        default="functional",
        help="keras.Input and the call notation (default), or a keras.Sequential list "
        "for a plain chain of layers",
    )
    _output(parser, "the code")


def _add_convert(commands: _Commands) -> None:
    parser = _command(
        commands,
        "convert",
        "turn a saved .keras model into a spec",
        "  kerasguide convert model.keras\n  kerasguide convert model.keras -o model.yaml\n\n"
        "The model is loaded with safe_mode=True: code stored in a file is never run.",
    )
    parser.add_argument("model", metavar="MODEL.keras", help="a model saved with model.save()")
    _output(parser, "the spec (JSON when FILE ends in .json, YAML otherwise)")


def _add_examples(commands: _Commands) -> None:
    parser = _command(
        commands,
        "examples",
        "list the example specs shipped with kerasguide, print or copy one",
        "  kerasguide examples\n  kerasguide examples mlp\n  kerasguide examples mlp --copy specs/",
    )
    parser.add_argument("name", nargs="?", help="the example to print")
    parser.add_argument(
        "--copy",
        metavar="DEST",
        help="copy the example to DEST (a file, or a folder to copy NAME.yaml into)",
    )
    parser.add_argument(
        "--force", action="store_true", help="replace DEST if it exists (refused otherwise)"
    )
    _json(parser)


def _add_demo(commands: _Commands) -> None:
    parser = _command(
        commands,
        "demo",
        "build the seed tutorial's models from the shipped specs",
        "  kerasguide demo --out build/demo\n\n"
        "Builds every example spec, prints its summary and parameter arithmetic, and writes\n"
        "specs, summaries, code and diagrams to a folder.",
    )
    parser.add_argument("--out", default="build/demo", help="folder to write into")


def _add_completion(commands: _Commands) -> None:
    parser = _command(
        commands,
        "completion",
        "print the shell code that completes kerasguide's commands and options on TAB",
        "  kerasguide completion bash >> ~/.bashrc\n"
        "  kerasguide completion zsh >> ~/.zshrc\n"
        "  kerasguide completion fish > ~/.config/fish/completions/kerasguide.fish\n\n"
        "Made by argcomplete; the script runs kerasguide itself to find the completions.",
    )
    parser.add_argument("shell", choices=("bash", "zsh", "fish"), help="the shell to complete in")


def _add_grade(commands: _Commands) -> None:
    from kerasguide.grading._merge import USAGE, add_arguments

    add_arguments(
        _command(
            commands,
            "grade",
            "grade a class's notebooks against an assignment, or merge sharded runs (grade merge)",
            USAGE,
        )
    )


_ADDERS: tuple[Callable[[_Commands], None], ...] = (
    _add_summary,
    _add_explain,
    _add_plot,
    _add_check,
    _add_validate,
    _add_code,
    _add_convert,
    _add_examples,
    _add_demo,
    _add_grade,
    _add_completion,
)


def parser() -> argparse.ArgumentParser:
    """The argument parser of ``kerasguide`` and its commands."""
    main_parser = _Parser(
        prog="kerasguide",
        description="Declarative tf.keras models for course notebooks: build, summarise, "
        "explain, check, draw and convert models from YAML or JSON specs.",
        epilog="Examples:\n  kerasguide examples\n  kerasguide summary mlp\n"
        "  kerasguide validate specs/\n  kerasguide plot mlp -o mlp.png\n\n"
        "Run `kerasguide COMMAND --help` for a command's options.\n" + _EXIT,
        formatter_class=_terminal.HelpFormatter,
    )
    main_parser.add_argument("--version", action="version", version=f"kerasguide {__version__}")
    main_parser.add_argument("--debug", action="store_true", help="show the traceback of an error")
    commands = main_parser.add_subparsers(dest="command", metavar="COMMAND")
    for add in _ADDERS:
        add(commands)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line and return its exit status.

    Args:
        argv: The arguments without the program name; ``sys.argv[1:]`` by default.

    Returns:
        0 on success, 1 when a check or validation failed, 2 for a usage or input error.

    Example:
        >>> main(["examples"])  # doctest: +SKIP
        cnn             A small convolutional network for 8x8 grey images ...
        0
    """
    cli = parser()
    if "_ARGCOMPLETE" in os.environ:  # a TAB in a shell: answer, and exit
        import argcomplete

        argcomplete.autocomplete(cli)
    words = list(sys.argv[1:] if argv is None else argv)
    try:
        args = cli.parse_args(words)
    except _UsageError as err:
        return _usage_error(err, as_json="--json" in words)
    except SystemExit as stop:  # --help and --version
        return stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 2
    if args.command is None:
        cli.print_help(sys.stderr)
        return 2
    return _run(args)


def _usage_error(err: _UsageError, *, as_json: bool) -> int:
    if as_json:
        usage = " ".join(err.parser.format_usage().split())
        hint = f"run `{err.parser.prog} --help` for the usage"
        _print_json_error(
            {
                "type": "UsageError",
                "where": err.parser.prog,
                "problem": err.message,
                "expected": usage,
                "received": None,
                "hint": hint,
                "message": err.message,
            }
        )
    else:
        err.parser.print_usage(sys.stderr)
        print(f"{err.parser.prog}: error: {err.message}", file=sys.stderr)
    return 2


def _run(args: argparse.Namespace) -> int:
    from kerasguide import _cli_commands as _commands

    try:
        with _terminal.sigterm_unwinds():
            return _commands.run(args)
    except KerasGuideError as err:
        return _fail(args, err.to_dict(), str(err))
    except KeyboardInterrupt:
        return 130
    except Exception as err:  # a bug: still one message, unless --debug
        problem = f"unexpected {type(err).__name__}: {err}"
        hint = "please report it with the output of --debug"
        parts = {
            "error": type(err).__name__,
            "where": None,
            "problem": problem,
            "expected": None,
            "received": None,
            "hint": hint,
        }
        return _fail(args, parts, f"{problem}\n  hint: {hint}")


def _fail(args: argparse.Namespace, parts: dict[str, str | None], message: str) -> int:
    """Report an error: one message on stderr, or JSON on stdout under ``--json``; exit 2."""
    if args.debug:
        traceback.print_exc()
    from kerasguide._cli_terminal import plain

    if getattr(args, "json", False):
        fields = {key: plain(value) for key, value in parts.items() if key != "error"}
        _print_json_error({"type": parts["error"], **fields, "message": plain(message)})
        return 2
    head = f"kerasguide {args.command}: error"
    text = _terminal.wrap(f"{head}: {plain(message)}", _terminal.width(sys.stderr))
    if _terminal.colour(sys.stderr):
        text = text.replace(head, head[:-5] + _terminal.error_word(sys.stderr), 1)
    print(text, file=sys.stderr)
    return 2


def _print_json_error(fields: dict[str, str | None]) -> None:
    print(json.dumps({"error": fields}, indent=2))
