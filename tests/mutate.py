"""Random damage to a spec, for the property and fuzz tests: replace, delete or add
a value anywhere in it, with junk drawn by hypothesis."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import strategies as st


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every place in a nested structure of dicts and lists, the root first."""
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths(item, (*prefix, i))
    return found


def damage(
    draw: st.DrawFn,
    spec: Any,
    junk: st.SearchStrategy[Any],
    keys: st.SearchStrategy[str] | None = None,
) -> Any:
    """A copy of ``spec`` with one to three places replaced, deleted or added to.

    ``keys`` draws the keys added to mappings (any short text by default).
    """
    spec = copy.deepcopy(spec)
    for _ in range(draw(st.integers(1, 3))):
        path = draw(st.sampled_from(paths(spec)))
        if not path:
            return draw(junk)
        parent = spec
        for key in path[:-1]:
            parent = parent[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if action == "replace":
            parent[path[-1]] = draw(junk)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(keys if keys is not None else st.text(max_size=8))] = draw(junk)
        else:
            parent.append(draw(junk))
    return spec
