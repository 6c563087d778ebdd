"""Stateful recurrent layers, built the way kerasguide builds everything: sizes first.

A stateful RNN keeps its last state, one row per sample of a fixed batch, from one
batch to the next. Keras makes that state as a variable holding zeros while it
builds the layer, which a deferred build (weights with shapes but no memory, see
``_keras.deferred_weights``) refuses. So ``build`` turns ``stateful`` off while the
layer is built, checks the sizes, and makes the state once the weights exist.
Inside a caller's own deferred block (``to_spec``'s check), the flag is turned back
on and no state is made: such a model is compared, never run.
"""

from __future__ import annotations

from typing import Any

from kerasguide import _graph
from kerasguide._keras import keras
from kerasguide._types import KerasLayer, KerasModel
from kerasguide.errors import SpecError
from kerasguide.limits import weight_bytes

_HELD = "_kerasguide_stateful"


def hold(layer: KerasLayer) -> None:
    """Turn ``stateful`` off on ``layer`` (and the RNNs it wraps) until :func:`release`."""
    for rnn in _recurrent(layer):
        if getattr(rnn, "stateful", False):
            rnn.stateful = False
            setattr(rnn, _HELD, True)


def release(model: KerasModel) -> None:
    """Turn ``stateful`` back on where :func:`hold` turned it off; make the states."""
    from keras.src.backend.common.stateless_scope import in_stateless_scope

    for rnn in _held(model):
        rnn.stateful = True
        delattr(rnn, _HELD)
        if not in_stateless_scope() and isinstance(rnn, keras().layers.RNN):
            rnn.build(**rnn._build_shapes_dict)  # makes the state, as Keras's own build does


def check_batch(model: KerasModel) -> None:
    """Refuse a held stateful RNN whose input has no fixed batch size."""
    for rnn in _held(model):
        shapes = getattr(rnn, "_build_shapes_dict", None) or {}
        shape = next(iter(shapes.values()), None)
        if isinstance(rnn, keras().layers.RNN) and shape is not None and shape[0] is None:
            kind = type(rnn).__name__
            raise SpecError(
                f"the {kind} {rnn.name!r} is stateful, but its input has no fixed batch size",
                where=f"layer {rnn.name!r}",
                expected="a fixed batch size: a stateful RNN keeps one state per sample "
                "of the batch, from one batch to the next",
                received=f"input shape {tuple(shape)}",
                hint="add `batch_size: 32` (your batch size) beside `input_shape:`, or to "
                "the input under `inputs:`; or remove `stateful: true`",
            )


def state_bytes(model: KerasModel) -> dict[str, int]:
    """The bytes each held stateful RNN's state will take (batch × the state sizes)."""
    sizes: dict[str, int] = {}
    for rnn in _held(model):
        shapes = getattr(rnn, "_build_shapes_dict", None) or {}
        shape = next(iter(shapes.values()), None)
        if isinstance(rnn, keras().layers.RNN) and shape is not None and shape[0] is not None:
            state = rnn.cell.state_size
            units = sum(state) if isinstance(state, (list, tuple)) else int(state)
            sizes[rnn.name] = weight_bytes((int(shape[0]), int(units)), rnn.variable_dtype)[1]
    return sizes


def _held(model: KerasModel) -> list[Any]:
    found: list[Any] = []
    for layer in _graph.all_layers(model):
        if _graph.is_graph_model(layer):
            found += _held(layer)
        found += [rnn for rnn in _recurrent(layer) if getattr(rnn, _HELD, False)]
    return found


def _recurrent(layer: Any) -> list[Any]:
    layers = keras().layers
    if isinstance(layer, layers.Bidirectional):
        return [layer, *_recurrent(layer.forward_layer), *_recurrent(layer.backward_layer)]
    if isinstance(layer, layers.Wrapper):
        return _recurrent(layer.layer)
    return [layer] if isinstance(layer, layers.RNN) else []
