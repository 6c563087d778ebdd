"""Labels that layers' names give them, for finding blocks (see ``_blocks``)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

BLOCK_ID_NAMES = 5  # names that end in one "word_number" make it a block's id


def name_label(name: str, family: str) -> str | None:
    """The label a name gives its layer in ``family``; None when it gives none.

    Example:
        >>> name_label("conv2_block3_1_conv", "prefix2")
        'conv2_block3'
        >>> name_label("separable_conv_1_normal_left1_0", "suffix")
        '0'
    """
    tokens = name.split("_")
    numbered = [i for i, token in enumerate(tokens) if re.search(r"\d", token)]
    if not numbered:
        return None
    if family.startswith("prefix"):
        index = min(int(family[-1]), len(numbered)) - 1
        if index and numbered[index] == len(tokens) - 1:
            index -= 1  # a number that ends the name counts a layer, not a block (se_conv_1)
        return "_".join(tokens[: numbered[index] + 1])
    if family == "number":
        return str(re.findall(r"\d+", name)[0])
    if family == "suffix":
        return tokens[-1] if tokens[-1].isdigit() else None
    return None


def block_ids(labels: dict[str, str | None]) -> None:
    """``reduce_8``, not ``8``, where many names end so (NASNet's cell 8 follows it)."""
    counts: dict[str, int] = {}
    for key, label in labels.items():
        if label is not None:
            pair = "_".join(key.split("_")[-2:])
            counts[pair] = counts.get(pair, 0) + 1
    for key, label in labels.items():
        pair = "_".join(key.split("_")[-2:])
        if label is not None and counts[pair] >= BLOCK_ID_NAMES and pair[0].isalpha():
            labels[key] = pair


def first_token(name: str) -> str:
    return name.split("_")[0]


def stage(name: str, family: str) -> str | None:
    """What a block's label says of its stage: ``conv2_block3`` → ``conv2_block``."""
    if family == "structure":
        return None
    if re.search(r"\d[a-z]$", name):
        return name[:-1]
    return re.sub(r"\d+$", "", name)


def display_name(
    members: Sequence[str], family: str, label: str | None, auto: frozenset[str]
) -> str:
    """A block's name for people: its label, or what its layers' names share."""
    if len(members) == 1 or label is None or family == "structure":
        return members[-1]
    if label.startswith("plain:"):
        return label.removeprefix("plain:")
    if family.startswith("prefix"):
        return label
    if family == "suffix":
        return f"*_{label}" if label.isdigit() else label
    named = [m for m in members if m not in auto and label in re.findall(r"\d+", m)]
    prefix = common_prefix(named)
    return (
        f"{prefix}*_{label}" if prefix and not prefix.rstrip("_").endswith(label) else members[-1]
    )


def common_prefix(names: Sequence[str]) -> str:
    """The longest common prefix of ``names``, cut at a token boundary."""
    columns = zip(*names, strict=False)
    shared = "".join(c[0] for c in itertools.takewhile(lambda c: len(set(c)) == 1, columns))
    if all(len(n) == len(shared) or n[len(shared)] == "_" for n in names):
        return shared
    return shared[: shared.rfind("_") + 1] if "_" in shared else ""
