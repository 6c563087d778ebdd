"""Lazy access to Keras and TensorFlow.

``import kerasguide`` must stay fast, so nothing here runs at import time:
TensorFlow is imported on the first call that needs it.
"""

from __future__ import annotations

import collections
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from types import ModuleType
from typing import TYPE_CHECKING, Any

from kerasguide.errors import BuildError, KerasGuideError, LimitError, first_line

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


def dtype_names() -> tuple[str, ...]:
    """The dtype names that Keras accepts (``float32``, ``int64``, ``string``, …)."""
    from keras.src.backend.common.dtypes import ALLOWED_DTYPES

    keras()
    return tuple(ALLOWED_DTYPES)


def is_dtype(name: str) -> bool:
    """True when Keras accepts ``name`` as a tensor's dtype (``"int"`` included)."""
    try:
        keras().backend.standardize_dtype(name)
    except (ValueError, TypeError):
        return False
    return True


@contextmanager
def deferred_weights() -> Iterator[None]:
    """Build layers without allocating their weights; allocate them when the block ends.

    Inside the block, Keras creates every weight with its shape and dtype but
    no memory (Keras's own deferred initialisation under a ``StatelessScope``),
    so a model's size can be checked before anything is allocated. If the block
    raises, the weights are dropped and never allocated; if allocating one fails
    (out of memory, or a dtype that its initializer cannot make), the rest are
    dropped too and a :class:`KerasGuideError` names the weight.
    """
    from keras.src.backend.common import global_state
    from keras.src.backend.common.stateless_scope import StatelessScope, in_stateless_scope

    keras()
    if in_stateless_scope():  # already deferred by the caller: leave it to them
        yield
        return
    try:
        with StatelessScope(initialize_variables=False):
            yield
    finally:
        # Taken out of Keras's global list before anything can fail, so that a failed
        # build leaves nothing for the next one to initialise twice.
        pending = global_state.get_global_attribute("uninitialized_variables") or []
        global_state.set_global_attribute("uninitialized_variables", [])
    for variable in pending:
        try:
            variable._deferred_initialize()
        except Exception as err:  # out of memory, or a dtype no initializer makes
            raise weight_error(variable, err) from err


def weight_error(variable: Any, err: Exception) -> KerasGuideError:
    """The error for a weight that could not be allocated: a LimitError when out of memory."""
    layer = variable.path.rpartition("/")[0] or variable.path
    received = (
        f"the weight {variable.path!r} of shape {tuple(variable.shape)} and dtype {variable.dtype}"
    )
    if isinstance(err, MemoryError) or type(err).__name__ == "ResourceExhaustedError":
        return LimitError(
            "the model's weights do not fit in this machine's memory",
            where=f"layer {layer!r}",
            expected="weights that fit in the memory that is free",
            received=received,
            hint="make that layer smaller (fewer units or filters, or a smaller input); "
            "kerasguide's `params` limit counts weights, not the memory this machine has",
        )
    return BuildError(
        "Keras could not create a weight of this layer",
        where=f"layer {layer!r}",
        expected="weights that the layer's dtype allows (trainable weights need a float dtype)",
        received=received,
        hint=f"Keras says: {first_line(err).rstrip('.')}",
    )


# Python calls at most, however deep the graph: far from what the C stack holds.
_MOST_CALLS = 25_000


@contextmanager
def recursion_room(levels: int) -> Iterator[None]:
    """Python's recursion limit raised inside the block, for a graph ``levels`` deep.

    Keras walks a functional graph recursively, about one call per layer, so a chain
    of a thousand layers passes Python's default limit of 1,000 calls. The limit is
    raised (never lowered, and to at most 25,000) for the block and restored after
    it; a graph too deep even then is a :class:`LimitError`.
    """
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(max(before, min(1_000 + 4 * levels, _MOST_CALLS)))
    try:
        yield
    except RecursionError:
        raise LimitError(
            "the model is too deep for Keras to build",
            where="layers",
            expected=f"chains of at most about {(sys.getrecursionlimit() - 1_000) // 4:,} layers",
            received=f"{levels:,} layers",
            hint="Keras walks a model's layers recursively: make parts of the chain nested "
            "models (`model:` entries), each a chain of its own",
        ) from None
    finally:
        sys.setrecursionlimit(before)


@contextmanager
def fresh_names() -> Iterator[None]:
    """Keras's automatic names counted as in a fresh session inside the block.

    The layers that Keras makes and names itself (the ``StackedRNNCells`` of an
    ``RNN`` of several cells, the operations of ``keras.ops``) are named the same
    however many models the process built before, and the caller's own counters
    are as they were when the block ends, whether it succeeded or failed.
    """
    from keras.src.backend.common import global_state

    keras()
    saved = global_state.get_global_attribute("object_name_uids")
    global_state.set_global_attribute("object_name_uids", collections.defaultdict(int))
    try:
        yield
    finally:
        global_state.set_global_attribute("object_name_uids", saved)


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
