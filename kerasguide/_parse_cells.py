"""The cells of a printed summary's table, read into rows (shared by the Keras 3 and
Keras 2 readers in :mod:`kerasguide.parse`), and the text cursor they read with."""

from __future__ import annotations

import re
from dataclasses import dataclass

from kerasguide import _parse_forms as _forms
from kerasguide._rows import Row
from kerasguide._shapes import Shape
from kerasguide.errors import SummaryParseError

NAME = re.compile(r"^(?P<name>.+?)\s*\((?P<type>[^()\s]*)(?P<close>\)?)$")
LINK = re.compile(r"([^\s'\",\[\]]+)\[(\d+)\]\[(\d+)\]")
PARAMS = re.compile(r"([\d,]+)(?:\s*\((unbuilt|unused)\))?(?:\s+=.*)?")
CUT_LINK = re.compile(r"[^\s,\[\]]+(?:\[\d+\])*(?:\[\d*)?…")
COLUMNS = {
    "Layer(type)": "name",
    "OutputShape": "shape",
    "Param#": "params",
    "Connectedto": "connected",
    "Trainable": "trainable",
    "Non-trainable": "non_trainable",
}


@dataclass
class Text:
    """The lines of the text and a cursor; makes errors that name the line."""

    lines: list[str]
    at: int = 0
    offset: int = 0

    def line(self, index: int | None = None) -> str:
        index = self.at if index is None else index
        return self.lines[index] if index < len(self.lines) else ""

    def skip_blank(self) -> None:
        while self.at < len(self.lines) and not self.lines[self.at].strip():
            self.at += 1

    def error(
        self, problem: str, index: int, *, expected: str, hint: str | None = None
    ) -> Exception:
        index = min(index, max(len(self.lines) - 1, 0))
        return SummaryParseError(
            problem,
            where=f"line {index + self.offset + 1}",
            expected=expected,
            received=repr(self.line(index)),
            hint=hint,
        )


def read_name_type(cell: str) -> tuple[str, str, int]:
    """``(name, type, depth)`` from ``"   └ dense (Dense)"``."""
    stripped = cell.strip()
    depth = 0
    for mark in ("└ ", "`- "):
        if stripped.startswith(mark):
            depth = (len(cell) - len(cell.lstrip())) // 3
            stripped = stripped[len(mark) :].strip()
    found = NAME.match(stripped)
    if found is None:
        raise ValueError("cannot read the layer's name and type, like 'dense (Dense)'")
    name, kind = found.group("name"), found.group("type")
    return name, _forms.layer_type(kind, name, cut=not found.group("close")), depth


def read_shapes(cell: str) -> tuple[tuple[Shape, ...] | None, tuple[str, ...] | None]:
    """The shapes of a cell, and the keys of a dict output ``{a: (None, 3), b: (None)}``."""
    text = cell.replace(" ", "")
    if text in ("?", "multiple"):
        return None, None
    if "…" in text:
        raise ValueError("the output shape is cut short with '…'")
    groups = re.findall(r"\(([^()]*)\)", text)
    rest = re.sub(r"\([^()]*\)", "", text)
    keys = tuple(re.findall(r"[{,]([^{},:]+):", rest)) if text.startswith("{") else None
    if keys is not None and rest != "{" + ",".join(f"{key}:" for key in keys) + "}":
        raise ValueError("cannot read the dict of output shapes, like {a: (None, 10)}")
    if not groups or (keys is None and rest.strip("[](){},:'\"\\w") not in ("",)):
        raise ValueError("cannot read the output shape, like (None, 10)")
    return tuple(read_shape(group) for group in groups), keys


def read_shape(group: str) -> Shape:
    dims: list[int | None] = []
    for item in filter(None, group.split(",")):
        if item != "None" and not item.isdigit():
            raise ValueError(f"cannot read the dimension {item!r} of an output shape")
        dims.append(None if item == "None" else int(item))
    return tuple(dims)


def read_params(cell: str) -> tuple[int, bool]:
    found = PARAMS.fullmatch(cell.strip())
    if found is None:
        hint = "cut short with '…'" if "…" in cell else "not a number"
        raise ValueError(f"the parameter count is {hint}")
    return int(found.group(1).replace(",", "")), found.group(2) is None


def make_row(cells: dict[str, str]) -> Row:
    name, kind, depth = read_name_type(cells["name"])
    params, built = read_params(cells["params"])
    non_trainable: int | None = None
    if "non_trainable" in cells:
        non_trainable = read_params(cells["non_trainable"])[0]
    elif cells.get("trainable", "").strip() == "N":
        non_trainable = params
    trainable = None if non_trainable is None else params - non_trainable
    links = read_links(cells.get("connected", ""))
    shapes, keys = read_shapes(cells["shape"])
    return Row(
        name, kind, shapes, params, trainable, non_trainable, links, depth, built, None, keys
    )


def read_links(cell: str) -> tuple[str, ...]:
    """``name[0][0]`` links, and those cut short with ``…`` kept as they are printed."""
    found = [(m.start(), f"{m[1]}[{m[2]}][{m[3]}]") for m in LINK.finditer(cell)]
    rest = LINK.sub(lambda m: " " * len(m[0]), cell)
    found += [(m.start(), m[0]) for m in CUT_LINK.finditer(rest)]
    return tuple(link for _, link in sorted(found))


def row_at(text: Text, index: int, cells: dict[str, str]) -> Row:
    try:
        return make_row(cells)
    except ValueError as err:
        raise text.error(
            f"this table row cannot be read: {err}",
            index,
            expected="a row 'name (Type)  output shape  parameters'",
            hint="summaries cut at a narrow width lose text: print the model's "
            "summary again with a wider line_length",
        ) from None


def column_names(text: Text, index: int, titles: list[str]) -> list[str]:
    names = []
    for title in titles:
        key = title.replace(" ", "")
        if "…" in key:
            prefix = key.split("…")[0]
            key = next((k for k in COLUMNS if k.startswith(prefix) and prefix), key)
        names.append(COLUMNS.get(key, ""))
    if not {"name", "shape", "params"} <= set(names) or "" in names:
        raise text.error(
            "the table's header is not a Keras summary header",
            index,
            expected="columns 'Layer (type)', 'Output Shape', 'Param #' "
            "(and optionally 'Connected to', 'Trainable')",
        )
    return names
