"""``kerasguide grade merge`` and the ``grade`` command line.

Private to :mod:`kerasguide.grading`. Merging copies each shard's
``students/NAME/`` folders into one output folder; the class files are then
written from the records, exactly as an unsharded run writes them.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

from kerasguide import _files
from kerasguide.errors import FileError, OptionError
from kerasguide.grading._output import read_records
from kerasguide.grading._record import AssignmentRecord, StudentRecord, is_assignment_record

__all__ = ["add_arguments", "merge_folders"]


def merge_folders(
    folders: list[Path], output: Path
) -> tuple[str, dict[str, StudentRecord], list[str]]:
    """Copy the shards' student folders into ``output``; return the title, records, exercises."""
    if not folders:
        raise OptionError(
            "nothing to merge", where="merge", expected="one or more folders", received="none"
        )
    described = [_assignment(folder) for folder in folders]
    first = described[0]
    for folder, other in zip(folders, described, strict=True):
        if other["digest"] != first["digest"]:
            raise OptionError(
                "the shards were graded with different assignments",
                where=str(folder),
                expected=f"the assignment of {folders[0]}",
                received="another one",
                hint="grade every shard with the same assignment file and references",
            )
    out = _files.make_folder(output)
    records: dict[str, StudentRecord] = {}
    for folder in folders:
        for student, record in read_records(folder).items():
            if student in records and records[student]["key"] != record["key"]:
                raise OptionError(
                    "two shards graded one student differently",
                    where=student,
                    expected="each student in one shard",
                    received=f"also in {folder}",
                    hint="grade each slice once: --shard 1/N ... N/N",
                )
            records[student] = record
            source, target = folder / "students" / student, out / "students" / student
            if source.resolve() != target.resolve():
                shutil.copytree(source, target, dirs_exist_ok=True)
    _files.write_text(out / "assignment.json", json.dumps(first, indent=2) + "\n")
    return first["title"], records, [e["name"] for e in first["exercises"]]


def _assignment(folder: Path) -> AssignmentRecord:
    try:
        data = json.loads((folder / "assignment.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as err:
        raise FileError(
            "not an output folder of `kerasguide grade`",
            where=str(folder),
            expected="a folder with assignment.json and students/",
            received=str(err),
            hint="give the folders passed to -o of the sharded runs",
        ) from None
    if not is_assignment_record(data):
        raise FileError(
            "assignment.json is not kerasguide's",
            where=str(folder),
            expected="the file written by kerasguide grade",
            received=str(data)[:80],
        )
    return data


# --- the command line -----------------------------------------------------------------

USAGE = (
    "  kerasguide grade assignment.yaml submitted/ -o graded/\n"
    "  kerasguide grade assignment.yaml submitted/ -o graded-2/ --shard 2/4 --workers 8\n"
    "  kerasguide grade merge graded-1/ graded-2/ graded-3/ graded-4/ -o graded/\n\n"
    "Each notebook runs on a fresh kernel in a bubblewrap sandbox (its own uid, no network,\n"
    "no view of other files), with time, memory, disk and process limits. Graded notebooks\n"
    "are skipped when run again (--regrade grades them again).\n"
    "Writes gradebook.csv, findings.json, overview.html and students/NAME/ (feedback.html,\n"
    "Gradescope's results.json). Exit status 0 when every notebook was graded, whatever\n"
    "the scores."
)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``kerasguide grade``."""
    parser.add_argument(
        "paths",
        nargs="+",
        metavar="ASSIGNMENT SUBMISSIONS | merge OUT ...",
        help="the assignment file and the folder of notebooks; or `merge` and "
        "the output folders of sharded runs",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="OUT",
        required=True,
        help="the folder to write into (created if needed)",
    )
    parser.add_argument("--workers", type=int, help="notebooks run at once (default: CPUs)")
    parser.add_argument("--regrade", action="store_true", help="grade graded notebooks again")
    parser.add_argument("--shard", metavar="K/N", help="grade only the K-th of N slices")
    parser.add_argument("--timeout", type=float, metavar="S", help="seconds per notebook")
    parser.add_argument("--cell-timeout", type=float, metavar="S", help="seconds per cell")
    parser.add_argument("--memory-mb", type=int, metavar="MB", help="the kernel's memory cap")
    parser.add_argument(
        "--trusted",
        action="store_true",
        help="your own notebooks only: run them without the sandbox (where bubblewrap "
        "cannot run); only time and memory are limited",
    )
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
