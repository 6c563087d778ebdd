"""The sandbox of a grading kernel, piece by piece, without starting a kernel.

The kernels themselves (limits hit, answers hidden) are tested by outcome in
tests/test_grade.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from kerasguide.grading import _sandbox as sandbox
from kerasguide.grading._assignment import GradeLimits

pytestmark = pytest.mark.no_keras


def test_the_kernel_gets_its_own_copy_of_the_graders_font_list(tmp_path: Path) -> None:
    import matplotlib
    from matplotlib import font_manager

    grader = Path(matplotlib.get_cachedir()) / (
        f"fontlist-v{font_manager.FontManager.__version__}.json"
    )
    sandbox.copy_font_list(tmp_path / "mpl")
    copied = tmp_path / "mpl" / grader.name
    assert copied.read_bytes() == grader.read_bytes()
    assert not copied.samefile(grader)


def test_a_kernel_with_the_copy_does_not_build_the_font_list_again(tmp_path: Path) -> None:
    sandbox.copy_font_list(tmp_path / "mpl")
    before = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "mpl").iterdir()}
    env = {**os.environ, "MPLCONFIGDIR": str(tmp_path / "mpl")}
    code = "import matplotlib.font_manager as f; print(len(f.fontManager.ttflist))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) > 0
    after = {p.name: p.stat().st_mtime_ns for p in (tmp_path / "mpl").iterdir()}
    assert after == before  # read, not rebuilt


def test_the_environment_holds_no_path_of_the_grader(tmp_path: Path) -> None:
    work, private = tmp_path / "work", tmp_path / "kernel"
    env = sandbox.environment(work, private)
    assert env["HOME"] == env["TMPDIR"] == str(work)
    assert env["MPLCONFIGDIR"] == str(private / "mpl")
    assert "PWD" not in env
    assert "VIRTUAL_ENV" not in env
    grader = [v for k, v in env.items() if not k.startswith("KERASGUIDE_")]  # passed on as set
    assert str(Path.cwd()) not in "".join(grader)


def test_the_prefix_sets_the_memory_cap_before_the_kernel_starts(tmp_path: Path) -> None:
    limits = GradeLimits(memory_mb=1234)
    prefix = sandbox.command_prefix(limits, [], tmp_path)
    assert prefix[-5:-3] == [sys.executable, "-c"]  # last: python -c TRAMPOLINE MEMORY FILES
    assert prefix[-2] == str(1234 * 2**20)
    code = "import resource; print(resource.getrlimit(resource.RLIMIT_AS)[0])"
    done = subprocess.run(
        [*prefix, sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
    assert int(done.stdout) == 1234 * 2**20


def test_the_folders_are_removed_afterwards() -> None:
    with sandbox.folders() as (work, private):
        (work / "left.txt").write_text("x")
        assert oct(private.stat().st_mode & 0o777) == "0o700"
    assert not work.exists()
    assert not private.exists()
