"""Compare two Keras models layer by layer, as a person reading both would."""

from __future__ import annotations

from typing import Any

from kerasguide._graph import all_layers, inbound_layers, is_operation

# Config keys that describe what a layer computes (not how it is stored).
_KEYS = (
    "units", "activation", "use_bias", "filters", "kernel_size", "strides", "padding",
    "pool_size", "rate", "return_sequences", "axis", "target_shape",
)  # fmt: skip


def _shape(tensor: Any) -> Any:
    if isinstance(tensor, (list, tuple)):
        return [tuple(t.shape) for t in tensor]
    return tuple(tensor.shape)


def signature(model: Any) -> list[tuple[Any, ...]]:
    """(name, type, output shape, params, essential config) of every layer, in order."""
    rows = []
    for layer in all_layers(model):
        config = layer.get_config()
        essentials = tuple((k, config[k]) for k in _KEYS if k in config)
        rows.append(
            (layer.name, type(layer).__name__, _shape(layer.output), layer.count_params(),
             essentials)
        )  # fmt: skip
    return rows


def _wiring(model: Any, *, op_names: bool) -> dict[str, Any]:
    """Who feeds each layer; operations by their class unless ``op_names``."""
    found = inbound_layers(model)
    if op_names:
        return found
    operations = getattr(model, "operations", [])  # a Sequential holds layers only
    ops = {op.name: type(op).__name__ for op in operations if is_operation(op)}
    return {k: [c._replace(layer=ops.get(c.layer, c.layer)) for c in v] for k, v in found.items()}


def assert_same_model(built: Any, reference: Any, *, op_names: bool = True) -> None:
    """Same layers, shapes, parameter counts, configuration and wiring.

    ``op_names=False`` leaves out the names of operations (``x + y``,
    ``keras.ops.relu``), which Keras counts per session where code cannot name them.
    """
    assert signature(built) == signature(reference)
    assert built.count_params() == reference.count_params()
    assert _wiring(built, op_names=op_names) == _wiring(reference, op_names=op_names)
    assert [tuple(t.shape) for t in built.outputs] == [tuple(t.shape) for t in reference.outputs]
