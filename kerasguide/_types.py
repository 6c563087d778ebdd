"""Types shared across kerasguide: plain (JSON-like) data, and the Keras objects it reads.

``import kerasguide`` never imports Keras, and Keras ships no usable type
information, so a Keras object is described here by a :class:`~typing.Protocol`
listing the attributes kerasguide actually uses. They are never checked at run
time: they tell the reader (and mypy) what a function expects of a layer,
a model, a tensor or a graph node.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Protocol, TypeAlias

# --- plain data: specs, YAML/JSON documents, ``to_dict()`` results ------------------

JSONScalar: TypeAlias = str | int | float | bool | None
"""A YAML or JSON scalar."""

JSONValue: TypeAlias = "JSONScalar | Sequence[JSONValue] | Mapping[str, JSONValue]"
"""Plain data as YAML or JSON hold it: scalars, lists and string-keyed mappings, nested.

The containers are the read-only ``Sequence`` and ``Mapping``, so a ``list[int]``
or a ``dict[str, str]`` is plain data too; narrow with ``isinstance(value, list)``
or ``isinstance(value, dict)`` before changing one.
"""

JSONDict: TypeAlias = dict[str, JSONValue]
"""A mapping of plain data: a spec, a layer entry of a spec, a ``to_dict()`` result."""


# --- Keras objects ---------------------------------------------------------------


class KerasVariable(Protocol):
    """A weight of a layer (``keras.Variable``)."""

    name: str
    path: str
    shape: tuple[int, ...]
    dtype: str
    trainable: bool


class KerasHistory(Protocol):
    """Where a symbolic tensor comes from: ``tensor._keras_history``."""

    operation: KerasOperation
    node_index: int
    tensor_index: int


class KerasTensor(Protocol):
    """A symbolic tensor of a functional graph (``keras.KerasTensor``)."""

    shape: tuple[int | None, ...]
    dtype: str
    name: str
    _keras_history: KerasHistory


class NodeArguments(Protocol):
    """The arguments a node's call received (``node.arguments``)."""

    keras_tensors: list[KerasTensor]
    args: tuple[object, ...]
    kwargs: dict[str, object]


class KerasNode(Protocol):
    """One call of an operation inside a functional graph (``keras.src.ops.node.Node``)."""

    arguments: NodeArguments
    operation: KerasOperation
    outputs: list[KerasTensor]
    output_tensors: list[KerasTensor]
    input_tensors: list[KerasTensor]


class KerasOperation(Protocol):
    """A Keras operation: a layer, or an operation such as ``keras.ops.add`` in a graph."""

    name: str
    _inbound_nodes: list[KerasNode]

    def get_config(self) -> dict[str, object]: ...


class KerasLayer(KerasOperation, Protocol):
    """A Keras layer (``keras.layers.Layer``), built or not."""

    built: bool
    trainable: bool
    dtype: str
    _build_shapes_dict: dict[str, tuple[int | None, ...]] | None

    @property
    def weights(self) -> list[KerasVariable]: ...
    @property
    def trainable_weights(self) -> list[KerasVariable]: ...
    @property
    def non_trainable_weights(self) -> list[KerasVariable]: ...
    def count_params(self) -> int: ...
    def compute_output_shape(self, input_shape: tuple[int | None, ...]) -> object:
        """The output shape for ``input_shape``: a shape, or a nest of shapes."""


class KerasModel(KerasLayer, Protocol):
    """A Keras model: functional, Sequential or subclassed."""

    @property
    def layers(self) -> list[KerasLayer]: ...
    @property
    def inputs(self) -> list[KerasTensor]: ...
    @property
    def outputs(self) -> list[KerasTensor]: ...
    def get_layer(self, name: str) -> KerasLayer: ...
    def compile(self, **options: object) -> None: ...


TensorNest: TypeAlias = (
    "KerasTensor | list[TensorNest] | tuple[TensorNest, ...] | dict[str, TensorNest]"
)
"""A model's inputs or outputs: a tensor, or lists, tuples and dicts of them."""
