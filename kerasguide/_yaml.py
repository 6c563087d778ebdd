"""Untrusted YAML, read safely and within the limits.

- :class:`SafeUniqueLoader` is PyYAML's safe loader (libyaml's where installed) that
  also refuses a key given twice in one mapping, and a list or mapping as a key.
- :func:`check_events` counts a large text's size from the parser's events before
  anything is built. Building a YAML document makes a Python object for every
  value, which for a text near the ``file_bytes`` limit takes seconds; the events
  cost a tenth of that. The count stops at the first limit passed (values, nesting
  depth, or the entries of the root's ``layers:`` or ``hidden:`` list), and the text
  is refused there, in time bounded by the limits, not by the text. Aliases count
  once here; their expansion is counted on the built document
  (:func:`kerasguide.limits.check_document`).

Example:
    >>> try:
    ...     check_events("layers: [" + "Dense, " * 30_000 + "]", "big.yaml")
    ... except Exception as err:
    ...     print(str(err).splitlines()[0])
    big.yaml: layers: at least 20,001 layers is over kerasguide's limit
"""

from __future__ import annotations

import collections.abc
from typing import Any

import yaml

from kerasguide import limits as _limits
from kerasguide.errors import KerasGuideError, SpecSyntaxError

__all__ = ["SCAN_FROM", "SafeUniqueLoader", "check_events", "load"]

_Base: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser where installed


class SafeUniqueLoader(_Base):  # type: ignore[misc]
    """A safe YAML loader that also refuses a key given twice, and a list or mapping as a key."""


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode) -> dict[object, object]:
    seen: set[object] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        mark = key_node.start_mark
        where = f"line {mark.line + 1}, column {mark.column + 1}"
        if not isinstance(key, collections.abc.Hashable):
            raise SpecSyntaxError(
                "a list or mapping cannot be a key",
                where=where,
                expected="a key that is a name, such as `units:`",
                received=f"a {'list' if isinstance(key, list) else 'mapping'} as a key",
                hint="a `[...]` or `{...}` (or `? `) before a colon makes a key of it: "
                "write the name, then the value after `: `",
            )
        if key in seen:
            raise SpecSyntaxError(
                f"the key {key!r} appears twice in one mapping",
                where=where,
                expected="each key once",
                received=f"a second {key!r}",
                hint="remove or rename one of them",
            )
        seen.add(key)
    return loader.construct_mapping(node)


SafeUniqueLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)

# Texts shorter than this are built directly: they parse in a few milliseconds,
# and cannot hold more entries than the default limits allow by much.
SCAN_FROM = 32_000
_STARTS = frozenset((yaml.SequenceStartEvent, yaml.MappingStartEvent))
_ENDS = frozenset((yaml.SequenceEndEvent, yaml.MappingEndEvent))
_LISTS = ("layers", "hidden")


def load(text: str) -> object:
    """The document of a YAML text, read with :class:`SafeUniqueLoader`.

    Raises:
        SpecSyntaxError: A value that its explicit tag cannot read (``!!int abc``,
            ``!!bool maybe``, ``!!timestamp x``), where PyYAML raises a plain
            ``ValueError``, ``KeyError`` or ``AttributeError``.
        yaml.YAMLError: The text is not YAML (the caller words it).
    """
    try:
        return yaml.load(text, Loader=SafeUniqueLoader)
    except (KerasGuideError, UnicodeError, RecursionError):
        raise
    except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as err:
        raise SpecSyntaxError(
            "a value does not fit its YAML tag",
            expected="a plain value, or one that its tag (!!int, !!float, !!bool, "
            "!!timestamp, ...) can read",
            received=f"{type(err).__name__}: {err}",
            hint="remove the !!tag: a spec needs only plain values",
        ) from None


def check_events(text: str, where: str) -> None:
    """Refuse a YAML text over the values, depth or layers limit, from its events alone.

    Raises:
        LimitError: The first limit passed, named as the built document's check names it.
        yaml.YAMLError: The text is not YAML (the caller words it).
    """
    limits = _limits.get_limits()
    parser = _Base(text)
    try:
        values, deepest, entries = _count(parser, limits)
    finally:
        parser.dispose()
    _limits.check_sizes(values, deepest, where)
    if entries > limits.layers:
        _limits.check_layers(entries, f"{where}: layers", partial=True)


def _count(parser: Any, limits: _limits.Limits) -> tuple[int, int, int]:
    """Values, levels and entries of the root's ``layers:`` list, until one is over its limit.

    One loop over the events, with nothing but counting in it: it runs once per event
    of a text up to the size limit.
    """
    values = level = entries = 0
    key_next, wanted, listing = True, False, False  # where the events are in the root mapping
    root_mapping = False
    scalar, alias, start, end = yaml.ScalarEvent, yaml.AliasEvent, _STARTS, _ENDS
    while True:
        event = parser.get_event()
        kind = type(event)
        if kind is scalar or kind is alias or kind in start:
            values += 1
            if level == 1 and root_mapping:
                if key_next:
                    wanted = kind is scalar and event.value in _LISTS
                else:
                    listing = wanted and kind is yaml.SequenceStartEvent
                key_next = not key_next
            elif level == 2 and listing:
                entries += 1
            elif level == 0:
                root_mapping = kind is yaml.MappingStartEvent
            if kind in start:
                level += 1
        elif kind in end:
            level -= 1
            listing = listing and level > 1
        elif event is None or kind is yaml.StreamEndEvent:
            return values, level, entries
        if values > limits.values or level > limits.depth or entries > limits.layers:
            return values, level, entries
