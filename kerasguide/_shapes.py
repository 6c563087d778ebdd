"""Shapes in words: as summaries print them (``(None, 10)``, ``[(None, 3), (None, 1)]``,
``?``). What a shape error from Keras means is ``_build_hints``'s.
"""

from __future__ import annotations

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
