"""False alarms (issue 21): ``kg.lint`` on correct models raises no hint.

The whole test zoo, every hand-written model of the conformance suite, the shipped
examples, and a sample of ``keras.applications`` (``make lint-applications`` runs all
40: ``tests/lint_applications.py``), as shipped and compiled with their loss.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest

import kerasguide as kg
from tests import conformance as conf
from tests import models
from tests.lint_applications import lint_application

# The smallest, ConvNeXt (identity placeholders), and one of each family of blocks.
APPLICATIONS = ("MobileNetV3Small", "ConvNeXtTiny", "EfficientNetB0", "ResNet50", "VGG16")


@pytest.mark.parametrize("make", [*models.ZOO.values(), *models.MORE.values()],
                         ids=[*models.ZOO, *models.MORE])  # fmt: skip
def test_the_zoo_has_no_hints(make: Callable[[], Any]) -> None:
    assert not kg.lint(make())


@pytest.mark.parametrize("case", conf.OWN, ids=[case.name for case in conf.OWN])
def test_the_conformance_models_have_no_hints(case: conf.Case) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # Keras's own, about some of them
        model, _ = case.make()
    assert not kg.lint(model)


@pytest.mark.slow
@pytest.mark.parametrize("name", APPLICATIONS)
def test_applications_have_no_hints(name: str) -> None:
    plain, compiled = lint_application(name)
    assert not plain
    assert not compiled
