"""Activation functions given as callables (``tf.nn.softmax``), named as Keras names them.

Course material often writes ``Dense(10, activation=tf.nn.softmax)``. Keras 3
stores such a function in ``get_config()`` as a ``builtins`` function it cannot
load again, and a comparison of configs would see a dict where it expects a
name. :func:`layer_config` is ``layer.get_config()`` with each such activation
replaced by the Keras name of the *same function* (same formula at the same
default arguments), so that the checks, ``explain`` and ``to_spec`` read it like
``activation="softmax"``. A callable kerasguide does not know raises a
:class:`~kerasguide.errors.SpecError` naming the layer and the fix, never a
wrong name.

The table (each row checked against the Keras activation in
``tests/test_activations.py``): ``tf.nn``/``tf.math`` functions and ``keras.ops``
functions whose defaults equal the Keras activation's. ``keras.ops.gelu`` is
not ``"gelu"`` (its default is the tanh approximation) and stays unknown.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable

from kerasguide.errors import SpecError

__all__ = ["keras_name", "layer_config"]

# Keras activation name -> the names of the same function elsewhere.
_SAME = {
    "relu": ("tf.nn.relu", "ops.relu"),
    "sigmoid": ("tf.nn.sigmoid", "tf.math.sigmoid", "tf.sigmoid", "ops.sigmoid"),
    "softmax": ("tf.nn.softmax", "tf.math.softmax", "ops.softmax"),
    "tanh": ("tf.nn.tanh", "tf.math.tanh", "tf.tanh", "ops.tanh"),
    "elu": ("tf.nn.elu", "ops.elu"),
    "selu": ("tf.nn.selu", "ops.selu"),
    "softplus": ("tf.nn.softplus", "tf.math.softplus", "ops.softplus"),
    "softsign": ("tf.nn.softsign", "tf.math.softsign", "ops.softsign"),
    "silu": ("tf.nn.silu", "tf.nn.swish", "ops.silu", "ops.swish"),
    "gelu": ("tf.nn.gelu",),
    "relu6": ("tf.nn.relu6", "ops.relu6"),
    "leaky_relu": ("tf.nn.leaky_relu", "ops.leaky_relu"),
    "log_softmax": ("tf.nn.log_softmax", "tf.math.log_softmax", "ops.log_softmax"),
    "exponential": ("tf.math.exp", "tf.exp", "ops.exp"),
}


@functools.lru_cache(maxsize=1)
def _table() -> dict[int, str]:
    """``id`` of each known function -> its Keras name (TensorFlow's only if loaded)."""
    import keras

    roots: dict[str, object] = {"ops": keras.ops}
    if "tensorflow" in sys.modules:
        roots["tf"] = sys.modules["tensorflow"]
    table: dict[int, str] = {}
    for name, places in _SAME.items():
        table[id(getattr(keras.activations, name))] = name
        for place in places:
            found = _lookup(roots, place)
            if found is not None:
                table[id(found)] = name
    return table


def _lookup(roots: dict[str, object], dotted: str) -> object | None:
    head, *rest = dotted.split(".")
    found = roots.get(head)
    for part in rest:
        found = getattr(found, part, None)
    return found


def keras_name(function: Callable[..., object]) -> str | None:
    """The Keras activation name of ``function``, or None when it is not one kerasguide knows.

    Example:
        >>> import tensorflow as tf  # doctest: +SKIP
        >>> keras_name(tf.nn.softmax)  # doctest: +SKIP
        'softmax'
    """
    return _table().get(id(function))


def _is_function_entry(key: str, value: object) -> bool:
    """An activation (``activation``, ``recurrent_activation``) that Keras wrote as a Python
    function: a ``builtins`` entry, or a lambda's code (a ``Lambda`` layer's ``function`` is
    not an activation, and is compared as it is)."""
    if not key.endswith("activation") or not isinstance(value, dict):
        return False
    if value.get("module") == "builtins" or value.get("class_name") == "__lambda__":
        return True
    return set(value) == {"value"}  # Keras 3 writes a lambda activation as {"value": (code, …)}


def _shown(function: object) -> str:
    """A function as a message names it: never the bytes Keras writes for a lambda."""
    name = getattr(function, "__qualname__", None) or getattr(function, "__name__", None)
    if not isinstance(name, str):
        return "a Python function"
    if name.endswith("<lambda>"):
        return "a Python function (lambda)"
    return f"{getattr(function, '__module__', None) or '?'}.{name}"


def layer_config(layer: object) -> dict[str, object]:
    """``layer.get_config()``, with activation callables named as Keras names them."""
    config: dict[str, object] = dict(layer.get_config())  # type: ignore[attr-defined]
    for key, value in config.items():
        if not _is_function_entry(key, value):
            continue
        function = getattr(layer, key, None) or getattr(getattr(layer, "cell", None), key, None)
        name = keras_name(function) if callable(function) else None
        if name is None:
            raise SpecError(
                "an activation function that is not one of Keras's",
                where=f"layer {getattr(layer, 'name', '?')!r}.{key}",
                expected="a Keras activation: a name such as 'relu' or 'softmax', or a "
                "function Keras names (tf.nn.relu, tf.nn.softmax, keras.ops.sigmoid, ...)",
                received=_shown(function),
                hint=f"write {key}='relu' (or the Keras name of your function); a function "
                "of your own cannot be saved, checked or graded",
            )
        config[key] = name
    return config
