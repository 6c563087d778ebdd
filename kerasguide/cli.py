"""The ``kerasguide`` command line (also ``python -m kerasguide``).

``kerasguide --help`` and ``--version`` never import TensorFlow.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from kerasguide._version import __version__
from kerasguide.errors import KerasGuideError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="kerasguide",
        description="Declarative tf.keras models for course notebooks: build, summarise, "
        "explain, check and draw models from YAML or JSON specs.",
        epilog="Example: kerasguide demo --out build/demo",
    )
    parser.add_argument("--version", action="version", version=f"kerasguide {__version__}")
    parser.add_argument("--debug", action="store_true", help="show tracebacks of errors")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    demo = commands.add_parser(
        "demo",
        help="build the seed tutorial's models from the shipped specs",
        description="Build every example spec, print its summary and parameter arithmetic, "
        "and write specs, summaries, code and diagrams to a folder.",
        epilog="Example: kerasguide demo --out build/demo",
    )
    demo.add_argument("--out", default="build/demo", help="folder to write into")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (0 ok, 1 failed check, 2 usage error)."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 2
    try:
        if args.command == "demo":
            from kerasguide._demo import run_demo

            return run_demo(args.out)
    except KerasGuideError as err:
        if args.debug:
            raise
        print(f"kerasguide: error: {err}", file=sys.stderr)
        return 2
    return 2
