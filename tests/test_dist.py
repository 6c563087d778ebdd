"""The package as a user installs it: a wheel, not editable, in a fresh virtual environment.

``make dist`` builds the sdist and the wheel into ``dist/`` (``python -m build``, then
``twine check``), and ``make test`` hands that folder to this file with
``KERASGUIDE_DIST=dist``. Without it, the wheel is built here with ``pip wheel``. Either
way it is installed with ``--no-deps`` into a new venv whose only other packages are
this interpreter's (a ``.pth`` file names its site-packages), so TensorFlow is not
downloaded again, and the command line and ``import kerasguide`` run from it, outside
the repository.
"""

from __future__ import annotations

import os
import site
import subprocess
import sys
import tarfile
import venv
import zipfile
from pathlib import Path

import pytest

import kerasguide as kg

ROOT = Path(__file__).resolve().parents[1]
DIST = os.environ.get("KERASGUIDE_DIST")
pytestmark = [pytest.mark.slow, pytest.mark.no_keras]


def _source_files() -> set[str]:
    """What the wheel must hold: every module, the example specs and py.typed."""
    package = ROOT / "kerasguide"
    wanted = [*package.rglob("*.py"), *package.glob("examples/*.yaml"), package / "py.typed"]
    return {path.relative_to(ROOT).as_posix() for path in wanted}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if DIST:
        wheels = sorted(Path(DIST).glob("kerasguide-*.whl"))
        assert len(wheels) == 1, f"{DIST} should hold one kerasguide wheel (`make dist`)"
        return wheels[0]
    out = tmp_path_factory.mktemp("wheel")
    command = [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out)]
    subprocess.run([*command, str(ROOT)], check=True, capture_output=True, timeout=300)
    return next(out.glob("kerasguide-*.whl"))


@pytest.fixture(scope="module")
def installed(wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with the wheel installed; its ``bin`` folder."""
    home = tmp_path_factory.mktemp("venv")
    venv.create(home, with_pip=False)
    python = home / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "--quiet"]
    install = [*pip, "--no-deps", "--ignore-installed", str(wheel)]
    subprocess.run(install, check=True, capture_output=True, env=_env(), timeout=300)
    # The dependencies come from this interpreter's site-packages, appended after the
    # venv's own: a plain path in a .pth file, so its editable kerasguide is not loaded.
    # (Written after the install, where pip would take that kerasguide for this one.)
    Path(purelib, "_kerasguide_test_deps.pth").write_text(
        "\n".join(site.getsitepackages()) + "\n", encoding="utf-8"
    )
    return home / "bin"


def _env() -> dict[str, str]:
    """This environment without the variables that would put the repository on the path."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def _run(bin_dir: Path, *command: str, cwd: Path) -> str:
    done = subprocess.run(
        [str(bin_dir / command[0]), *command[1:]],
        cwd=cwd,
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{command} exited {done.returncode}:\n{done.stderr}"
    return done.stdout


def test_the_wheel_holds_every_module_and_the_package_data(wheel: Path) -> None:
    assert wheel.name == f"kerasguide-{kg.__version__}-py3-none-any.whl"
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        metadata = archive.read(f"kerasguide-{kg.__version__}.dist-info/METADATA").decode()
    missing = _source_files() - names
    assert not missing, f"the wheel lacks {sorted(missing)}; rebuild it with `make dist`"
    assert "License-Expression: Apache-2.0" in metadata.splitlines()
    assert "License-File: LICENSE" in metadata.splitlines()
    assert f"kerasguide-{kg.__version__}.dist-info/licenses/LICENSE" in names


@pytest.mark.skipif(not DIST, reason="checks `make dist`'s sdist; run by `make test`")
def test_the_sdist_holds_every_module_and_the_package_data() -> None:
    sdist = Path(str(DIST)) / f"kerasguide-{kg.__version__}.tar.gz"
    with tarfile.open(sdist) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert not _source_files() - names
    assert {"pyproject.toml", "README.md", "LICENSE"} <= names


def test_the_installed_command_line_runs_outside_the_repository(
    installed: Path, tmp_path: Path
) -> None:
    assert "usage: kerasguide" in _run(installed, "kerasguide", "--help", cwd=tmp_path)
    listed = _run(installed, "kerasguide", "examples", cwd=tmp_path)
    examples = sorted(path.stem for path in (ROOT / "kerasguide" / "examples").glob("*.yaml"))
    assert all(name in listed for name in examples), listed


def test_the_installed_package_imports_from_the_venv_with_its_examples(
    installed: Path, tmp_path: Path
) -> None:
    code = (
        "import sys, kerasguide as kg; from importlib import resources; "
        "print(kg.__file__); print(kg.__version__); print(','.join(kg.list_examples())); "
        "print(len((resources.files('kerasguide') / 'examples/mlp.yaml').read_bytes())); "
        "print('tensorflow' in sys.modules)"
    )
    output = _run(installed, "python", "-c", code, cwd=tmp_path).split()
    where, version, examples, size, tensorflow = output
    assert Path(where).is_relative_to(installed.parent), where
    assert version == kg.__version__
    assert examples.split(",") == kg.list_examples()
    assert int(size) == (ROOT / "kerasguide" / "examples" / "mlp.yaml").stat().st_size
    assert tensorflow == "False", "`import kerasguide` stays fast: TensorFlow is imported lazily"
