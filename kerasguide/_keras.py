"""Lazy access to Keras and TensorFlow.

``import kerasguide`` must stay fast, so nothing here runs at import time:
TensorFlow is imported on the first call that needs it.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from typing_extensions import TypeIs

    from kerasguide._types import KerasModel


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


def is_model(obj: object) -> TypeIs[KerasModel]:
    """True when ``obj`` is a Keras model; never imports TensorFlow for other objects."""
    if "keras" not in type(obj).__module__ and not any(
        "keras" in base.__module__ for base in type(obj).__mro__
    ):
        return False
    return isinstance(obj, keras().Model)


@contextmanager
def deferred_weights() -> Iterator[None]:
    """Build layers without allocating their weights; allocate them when the block ends.

    Inside the block, Keras creates every weight with its shape and dtype but
    no memory (Keras's own deferred initialisation under a ``StatelessScope``),
    so a model's size can be checked before anything is allocated. If the block
    raises, the weights are dropped and never allocated.
    """
    from keras.src.backend.common import global_state
    from keras.src.backend.common.stateless_scope import StatelessScope, in_stateless_scope
    from keras.src.backend.common.variables import initialize_all_variables

    keras()
    if in_stateless_scope():  # already deferred by the caller: leave it to them
        yield
        return
    try:
        with StatelessScope(initialize_variables=False):
            yield
    except BaseException:
        global_state.set_global_attribute("uninitialized_variables", [])
        raise
    initialize_all_variables()


@contextmanager
def weightless() -> Iterator[None]:
    """Build layers whose weights have shapes and dtypes but never any memory.

    For models that are only compared, never run: inside the block weights are
    deferred (as in :func:`deferred_weights`), and at its end they are dropped.
    """
    from keras.src.backend.common import global_state
    from keras.src.backend.common.stateless_scope import StatelessScope, in_stateless_scope

    keras()
    if in_stateless_scope():
        yield
        return
    try:
        with StatelessScope(initialize_variables=False):
            yield
    finally:
        global_state.set_global_attribute("uninitialized_variables", [])
