"""Shared fixtures: one TensorFlow per worker, a clean Keras session per test."""

from __future__ import annotations

import contextlib
import os
import random
import shutil
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np
import pytest

import kerasguide._keras as _k

pytest_plugins = ("pytester",)  # runs a student's pytest file in this process


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="regenerate the golden files under tests/golden/ instead of comparing",
    )


def _needs_keras(item: pytest.Item) -> bool:
    return item.get_closest_marker("no_keras") is None


def pytest_collection_finish(session: pytest.Session) -> None:
    # Two logical CPUs, so tf.distribute.MirroredStrategy can be tested on this
    # machine. This must happen before TensorFlow initialises its devices. A run of
    # tests marked ``no_keras`` only (the website, the executed notebooks) skips
    # TensorFlow's import altogether.
    if not any(_needs_keras(item) for item in session.items):
        return
    if os.environ.get("KERAS_BACKEND", "tensorflow") != "tensorflow":
        return  # `make backends`: another backend, and no TensorFlow installed
    tf = _k.tf()
    cpus = tf.config.list_physical_devices("CPU")
    with contextlib.suppress(RuntimeError):  # already initialised in this process
        tf.config.set_logical_device_configuration(
            cpus[0],
            [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
        )


@pytest.fixture(autouse=True)
def _clean_keras_session(request: pytest.FixtureRequest) -> None:
    if not _needs_keras(request.node):
        return
    keras = _k.keras()
    keras.backend.clear_session(free_memory=False)
    keras.utils.set_random_seed(1234)
    random.seed(1234)
    np.random.seed(1234)


@pytest.fixture
def overwrite(request: pytest.FixtureRequest) -> bool:
    """True when golden files are to be rewritten: ``pytest --update-golden``.

    (nbmake already owns ``--overwrite``.)
    """
    return bool(request.config.getoption("--update-golden"))


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``graphviz`` are skipped, with the reason, where ``dot`` is missing."""
    if shutil.which("dot") is not None:
        return
    skip = pytest.mark.skip(reason="Graphviz's dot is not installed (make installs it as root)")
    for item in items:
        if "graphviz" in item.keywords:
            item.add_marker(skip)


# Test modules whose tests share one expensive module-scoped run (the example class graded
# once for three modules, the realistic class graded by its module, the site's pages
# opened in one browser, after waiting for the site that `make test` makes meanwhile):
# pytest-xdist keeps each group on one worker, so no worker waits
# for the other's run, while every other test is scheduled one by one as in
# `--dist load`. The two classes are graded on different workers at once: graders share
# nothing but the machine's sandbox uids, which each holds with a lock.
# (`--dist loadgroup` would say this with a mark, but does not group under pytest 9.2:
# pytest-dev/pytest-xdist#1386.)
SHARED_RUN_MODULES = {
    "tests/test_grade.py": "example-class",
    "tests/test_grade_hostile.py": "example-class",
    "tests/test_grade_outputs.py": "example-class",
    "tests/test_grade_class.py": "realistic-class",
    "tests/test_site.py": "site",
    "tests/test_site_api.py": "site",
}


@pytest.hookimpl(optionalhook=True)  # a hook of pytest-xdist's, absent under -p no:xdist
def pytest_xdist_make_scheduler(config: pytest.Config, log: Any) -> Any:
    unit = config.getoption("markexpr") in ("not slow", "not slow and not sweep")
    if unit and not os.environ.get("KERASGUIDE_SITE"):
        return None  # `make unit`: no class graded, no site opened; xdist's own `load` is faster
    from xdist.scheduler import LoadScopeScheduling

    class Scheduling(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::", 1)[0]
            return SHARED_RUN_MODULES.get(module, nodeid)

    return Scheduling(config, log)
