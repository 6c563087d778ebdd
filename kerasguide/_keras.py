"""Lazy access to Keras and TensorFlow.

``import kerasguide`` must stay fast, so nothing here runs at import time:
TensorFlow is imported on the first call that needs it.
"""

from __future__ import annotations

import os
from types import ModuleType
from typing import Any


def keras() -> ModuleType:
    """The ``keras`` module (Keras 3 on the TensorFlow backend), imported on first use."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    import keras as _keras

    module: ModuleType = _keras
    return module


def tf() -> ModuleType:
    """The ``tensorflow`` module, imported on first use."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    import tensorflow as _tf

    module: ModuleType = _tf
    return module


def is_model(obj: Any) -> bool:
    """True when ``obj`` is a Keras model; never imports TensorFlow for other objects."""
    if "keras" not in type(obj).__module__ and not any(
        "keras" in base.__module__ for base in type(obj).__mro__
    ):
        return False
    return isinstance(obj, keras().Model)
