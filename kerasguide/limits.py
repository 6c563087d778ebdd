"""Limits on every input, so that a hostile or mistaken file is refused early.

Specs, summaries and saved models come from students and from the internet.
Each input is bounded before any work that grows with it:

============  ===============  ======================================================
limit         default          what it bounds
============  ===============  ======================================================
file_bytes    2,000,000        a spec or summary file, or text passed in directly
                               (NASNetLarge, the largest application, is 129 kB)
values        200,000          values in a document *after* YAML aliases expand
depth         100              nesting of lists and mappings
layers        20,000           layer entries in a spec, nested models included
string        10,000           characters in one string value of a spec
params        2,000,000,000    weights of a built model, counted from their shapes
                               before any memory is allocated
dimension     2**31 - 1        one dimension of an input shape
============  ===============  ======================================================

Weights larger than the memory free now (Linux's ``MemAvailable``) are refused
too, before any allocation, whatever the ``params`` limit.

Raise a limit on purpose, for the whole process or for a block::

    kg.set_limits(params=5_000_000_000)
    with kg.set_limits(layers=100_000):
        model = kg.build("huge.yaml")
"""

from __future__ import annotations

import dataclasses
import math

from kerasguide.errors import LimitError, OptionError

__all__ = ["Limits", "get_limits", "set_limits"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """The limits in force; see the module docstring for what each bounds.

    Example:
        >>> get_limits().depth
        100
    """

    file_bytes: int = 2_000_000
    values: int = 200_000
    depth: int = 100
    layers: int = 20_000
    string: int = 10_000
    params: int = 2_000_000_000
    dimension: int = 2**31 - 1

    def __str__(self) -> str:
        return ", ".join(f"{f.name}={getattr(self, f.name):,}" for f in dataclasses.fields(self))


_current = Limits()


def get_limits() -> Limits:
    """The limits in force."""
    return _current


class _Restore:
    """What set_limits returns: usable as a context manager that restores the old limits."""

    def __init__(self, previous: Limits) -> None:
        self.previous = previous

    def __enter__(self) -> Limits:
        return _current

    def __exit__(self, *exc: object) -> None:
        global _current
        _current = self.previous

    def __repr__(self) -> str:
        return f"Limits({_current})"


def set_limits(**changes: int) -> _Restore:
    """Change some limits, for the process or (as a ``with`` block) for a block.

    Args:
        **changes: New values by name: file_bytes, values, depth, layers,
            string, params, dimension. Each a positive whole number.

    Returns:
        An object that restores the previous limits when used as a context manager.

    Raises:
        OptionError: An unknown name or a value that is not a positive whole number.

    Example:
        >>> with set_limits(layers=50_000):
        ...     get_limits().layers
        50000
    """
    global _current
    names = [f.name for f in dataclasses.fields(Limits)]
    for key, value in changes.items():
        if key not in names:
            from kerasguide._suggest import did_you_mean

            raise OptionError(
                f"unknown limit {key!r}",
                where="set_limits",
                expected="one of " + ", ".join(names),
                received=repr(key),
                hint=did_you_mean(key, names),
            )
        if not isinstance(value, int) or isinstance(value, bool) or value < 1:
            raise OptionError(
                f"the limit {key!r} must be a positive whole number",
                where=f"set_limits({key}=...)",
                expected="an integer of at least 1",
                received=repr(value),
            )
    previous = _current
    _current = dataclasses.replace(_current, **changes)
    return _Restore(previous)


def _over(what: str, where: str, limit: str, value: str, hint: str = "") -> LimitError:
    return LimitError(
        f"{what} is over kerasguide's limit",
        where=where,
        expected=f"at most {value} ({limit})",
        received=what,
        hint=hint or f"if this is on purpose, raise it: kerasguide.set_limits({limit}=...)",
    )


def check_text(text: str | bytes | int, where: str, *, what: str = "document") -> None:
    """Refuse a document (or a file of that many bytes) larger than ``file_bytes``."""
    size = text if isinstance(text, int) else len(text)
    if size > _current.file_bytes:
        raise _over(
            f"a {what} of {size:,} bytes", where, "file_bytes", f"{_current.file_bytes:,} bytes"
        )


def check_document(data: object, where: str) -> None:
    """Refuse a parsed document that is too deep, too large (aliases counted) or cyclic.

    Sizes are summed over the document's shared parts without expanding them,
    so a YAML alias bomb is refused in time proportional to its text, however
    large it would grow. A document too large or too deep even before its
    aliases expand is refused as soon as the walk meets that many values or
    levels, so the time taken is bounded by the limits, not by the document.
    """
    size: dict[int, int] = {}
    depth: dict[int, int] = {}
    state: dict[int, int] = {}  # 1 on the path from the root, 2 done
    met = 1  # values met so far, each shared part once: never more than the expanded count
    # (value, level, None) to open a list or mapping; (value, level, (its values, the
    # lists and mappings among them)) to close it once they are done.
    stack: list[tuple[object, int, tuple[int, list[object]] | None]] = [(data, 1, None)]
    _check_string(data, where)
    while stack:
        value, level, done = stack.pop()
        key = id(value)
        if done is not None:
            count, inner = done
            size[key] = 1 + count + sum(size[id(c)] - 1 for c in inner)
            leaves = 1 if count > len(inner) else 0
            depth[key] = 1 + max(leaves, max((depth[id(c)] for c in inner), default=0))
            state[key] = 2
            check_sizes(size[key], depth[key], where)
            continue
        if state.get(key) == 2:
            continue
        if state.get(key) == 1:
            raise LimitError(
                "the document contains itself",
                where=where,
                expected="a tree of values",
                received="a list or mapping that holds itself",
                hint="build the spec from fresh lists and dicts",
            )
        state[key] = 1
        kids = _children(value)
        met += len(kids)
        check_sizes(met, level, where)
        inner = _inner(kids, where)
        stack.append((value, level, (len(kids), inner)))
        stack += [(child, level + 1, None) for child in inner]


def _inner(kids: list[object], where: str) -> list[object]:
    """The lists and mappings among ``kids``; a string over the limit refused."""
    longest = _current.string
    inner: list[object] = []
    for child in kids:
        if isinstance(child, str):
            if len(child) > longest:
                _check_string(child, where)
        elif isinstance(child, (list, tuple, dict)):
            inner.append(child)
    return inner


def _children(value: object) -> list[object]:
    if isinstance(value, dict):
        return [*value.keys(), *value.values()]
    if isinstance(value, (list, tuple)):
        return list(value)
    return []


def _check_string(value: object, where: str) -> None:
    if isinstance(value, str) and len(value) > _current.string:
        raise _over(
            f"a string of {len(value):,} characters",
            where,
            "string",
            f"{_current.string:,} characters",
        )


def check_sizes(count: int, levels: int, where: str) -> None:
    """Refuse a document (or a part of one) of more than ``values`` values or ``depth`` levels."""
    if count > _current.values:
        raise _over(
            f"a document of more than {_current.values:,} values",
            where,
            "values",
            f"{_current.values:,} values",
            hint="YAML aliases (&a / *a) count once per use; if this is on purpose, "
            "raise it: kerasguide.set_limits(values=...)",
        )
    if levels > _current.depth:
        raise _over(f"nesting {levels} levels deep", where, "depth", f"{_current.depth} levels")


def check_layers(count: int, where: str, *, nested: bool = False, partial: bool = False) -> None:
    """Refuse a spec with more than ``layers`` entries.

    Args:
        count: The entries counted.
        where: The spec path of the list.
        nested: Nested models' entries are in ``count``.
        partial: Counting stopped early: the spec has at least ``count``.
    """
    if count > _current.layers:
        what = ("at least " if nested or partial else "") + f"{count:,} layers"
        what += ", nested models' included," if nested else ""
        raise _over(what, where, "layers", f"{_current.layers:,} layers")


def check_dimension(value: int, where: str) -> None:
    """Refuse an input dimension over ``dimension``."""
    if value > _current.dimension:
        raise _over(
            f"a dimension of {value:,}",
            where,
            "dimension",
            f"{_current.dimension:,}",
            hint="an input dimension is a number of features, steps or pixels: check it",
        )


def human_bytes(count: float) -> str:
    """``4.0 TB`` for 4e12: decimal units, as disk sizes are written."""
    for unit in ("B", "KB", "MB", "GB", "TB", "PB"):
        if count < 1000 or unit == "PB":
            return f"{count:.0f} {unit}" if unit == "B" else f"{count:.1f} {unit}"
        count /= 1000
    return f"{count:.1f} PB"  # pragma: no cover


def check_params(layers: list[tuple[str, str, int, int]], name: str) -> None:
    """Refuse a model whose weights, counted from their shapes, pass ``params``.

    Args:
        layers: (layer name, class name, parameters, bytes) of every layer.
        name: The model's name.
    """
    total = sum(p for _, _, p, _ in layers)
    size = sum(b for _, _, _, b in layers)
    if total <= _current.params:
        _check_memory(size, layers, name)
        return
    biggest = max(layers, key=lambda item: item[2])
    raise LimitError(
        f"the model {name!r} would have {total:,} parameters ({human_bytes(size)} of weights)",
        where=f"layer {biggest[0]!r}",
        expected=f"at most {_current.params:,} parameters (the `params` limit)",
        received=f"{total:,}; the largest layer, {biggest[0]!r} ({biggest[1]}), has {biggest[2]:,}",
        hint="check that layer's units or filters and its input shape (a Flatten of a "
        "large image feeds every pixel to each unit); to build it on purpose: "
        "kerasguide.set_limits(params=...)",
    )


def _check_memory(size: int, layers: list[tuple[str, str, int, int]], name: str) -> None:
    """Refuse weights larger than the memory free now, which would end the process."""
    free = free_memory()
    if free is None or size <= free:
        return
    biggest = max(layers, key=lambda item: item[3])
    raise LimitError(
        f"the model {name!r} needs {human_bytes(size)} for its weights, more than the "
        f"{human_bytes(free)} of memory free",
        where=f"layer {biggest[0]!r}",
        expected=f"weights that fit in {human_bytes(free)}",
        received=f"{human_bytes(size)}; the largest layer, {biggest[0]!r} ({biggest[1]}), "
        f"has {biggest[2]:,} parameters ({human_bytes(biggest[3])})",
        hint="make that layer smaller (fewer units or filters, or a smaller input), or "
        "build the model on a machine with more memory",
    )


def free_memory() -> int | None:
    """Bytes of memory free for new allocations (Linux's MemAvailable); None where unknown."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def weight_bytes(shape: tuple[int, ...], dtype: str) -> tuple[int, int]:
    """(number of values, bytes) of one weight."""
    count = math.prod(int(d) for d in shape)
    bits = 64 if "64" in dtype else 16 if "16" in dtype else 8 if "8" in dtype else 32
    return count, count * bits // 8
