"""Shapes in words: as summaries print them (``(None, 10)``, ``[(None, 3), (None, 1)]``,
``?``), and what a shape error from Keras means.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kerasguide._types import KerasTensor

Shape = tuple[int | None, ...]


def format_shapes(
    shapes: tuple[Shape, ...] | None, *, sep: str = " ", keys: tuple[str, ...] | None = None
) -> str:
    """``(None, 10)`` for one output, ``[(None, 3), (None, 1)]`` for several, ``?`` if unknown.

    With ``keys`` (a layer returning a dict), ``{a: (None, 3), b: (None,)}``, as
    Keras's summary shows it.

    Example:
        >>> format_shapes(((None, 10),))
        '(None, 10)'
        >>> format_shapes(((None, 3), (None,)), keys=("b", "a"))
        '{b: (None, 3), a: (None,)}'
    """
    if shapes is None:
        return "?"
    texts = [_format_shape(shape) for shape in shapes]
    if keys is not None and len(keys) == len(texts):
        return "{" + f",{sep}".join(f"{k}: {t}" for k, t in zip(keys, texts, strict=True)) + "}"
    return texts[0] if len(texts) == 1 else "[" + f",{sep}".join(texts) + "]"


def _format_shape(shape: Shape) -> str:
    dims = ", ".join(str(dim) for dim in shape)
    return f"({dims},)" if len(shape) == 1 else f"({dims})"


def same_text(expected: str, found: str) -> bool:
    """Equal, or ``expected`` is a prefix of ``found`` when it was cut short with ``…``."""
    if expected.endswith("…"):
        return found.startswith(expected[:-1])
    if found.endswith("…"):
        return expected.startswith(found[:-1])
    return expected == found


def shape_error_hint(err: Exception, tensors: list[KerasTensor], label: str) -> str:
    """The likely fix of a layer that refused its input's shape (Keras's error ``err``).

    A recurrent layer fed by one that returns only its last step is named first.
    """
    if "expected ndim=3, found ndim=2" in str(err):
        for tensor in tensors:
            source = tensor._keras_history.operation
            if getattr(source, "return_sequences", True) is False:
                return (
                    f"{label} needs a sequence (batch, steps, features), but {source.name!r} "
                    "returns only its last step: give it return_sequences: true"
                )
        return f"{label} needs a sequence (batch, steps, features); a Reshape may be missing"
    if "must be fully-defined" in str(err):
        return (
            f"{label} has weights, and their size depends on the last dimension of its "
            "input, which is unknown (null): give that dimension in the input shape"
        )
    if "would be zero or negative" in str(err):
        return (
            "The input is smaller than the kernel or pool: use a smaller kernel_size or "
            "pool_size, padding: same, or fewer poolings before it"
        )
    return (
        "Check the layers that feed it; a Flatten or Reshape may be missing, "
        "or a merge may need matching shapes"
    )
