"""Did-you-mean suggestions for misspelt names."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


def closest(name: str, candidates: Iterable[str], *, n: int = 3) -> list[str]:
    """The candidates closest to ``name``, best first (case-insensitive).

    Example:
        >>> closest("Dence", ["Dense", "Dropout", "Conv2D"])
        ['Dense']
    """
    pool = sorted(set(candidates))
    by_lower: dict[str, str] = {}
    for candidate in pool:
        by_lower.setdefault(candidate.lower(), candidate)
    if name.lower() in by_lower:
        return [by_lower[name.lower()]]
    # Short names ('l3' for 'l2') differ by a larger share of their letters.
    cutoff = 0.5 if len(name) <= 3 else 0.6
    hits = difflib.get_close_matches(name.lower(), list(by_lower), n=n, cutoff=cutoff)
    return [by_lower[hit] for hit in hits]


def did_you_mean(name: str, candidates: Iterable[str]) -> str | None:
    """A ``did you mean 'X'?`` hint, or None when nothing is close.

    Example:
        >>> did_you_mean("unit", ["units", "activation"])
        "did you mean 'units'?"
    """
    hits = closest(name, candidates)
    if not hits:
        return None
    if len(hits) == 1:
        return f"did you mean {hits[0]!r}?"
    return "did you mean " + ", ".join(repr(h) for h in hits[:-1]) + f" or {hits[-1]!r}?"


def shortlist(name: str, candidates: Iterable[str], *, n: int = 5) -> list[str]:
    """At most ``n`` candidates: the closest to ``name`` first, then the others in their order.

    For an argument list in signature order, the others are the ones a layer's
    author put first, the most used.

    Example:
        >>> shortlist("bias", ["units", "activation", "use_bias", "lora_rank"], n=3)
        ['use_bias', 'units', 'activation']
    """
    pool = list(dict.fromkeys(candidates))
    near = closest(name, pool, n=n)
    return [*near, *(c for c in pool if c not in near)][:n]


def listed(name: str, candidates: Iterable[str], *, rest: str, n: int = 5) -> str:
    """The :func:`shortlist` as text, pointing at ``rest`` when some are left out.

    Example:
        >>> listed("unit", ["units", "a", "b"], rest="help(keras.layers.Dense)", n=2)
        'units, a, … (all 3: help(keras.layers.Dense))'
    """
    pool = list(dict.fromkeys(candidates))
    shown = ", ".join(shortlist(name, pool, n=n))
    return shown if len(pool) <= n else f"{shown}, … (all {len(pool)}: {rest})"
