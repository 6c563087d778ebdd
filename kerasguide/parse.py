"""Read printed model summaries back into :class:`~kerasguide.summary.Summary` data.

Course material keeps summaries as text. Two families are read:

* Keras 2 (``tf.keras`` up to TF 2.15): rules of underscores and ``=``, columns
  at fixed positions, cells cut at the column width and continued on the next
  lines, ``[(None, 10)]`` input shapes, ``Total params: 551``;
* Keras 3 and kerasguide's own tables: box-drawing (or ``+--+`` ASCII) grids,
  cells wrapped over several lines, ``1,234`` thousands separators,
  ``Total params: 551 (2.15 KB)`` and an ``Optimizer params`` line after training.

Rows of Keras operations (``add (Add)``, ``mean (Mean)``) are read like any
row; their ``operation`` is None, since the text does not say whether ``(Add)``
is ``keras.ops.add`` or ``keras.layers.Add``. A dict output
``{a: (None, 3), b: (None)}`` keeps its keys. Anything else raises
:class:`~kerasguide.errors.SummaryParseError` naming the line, and so do totals that
contradict the rows (:mod:`kerasguide._parse_totals`): a parsed summary is never
silently wrong.

The wrapping that course material adds (indentation, ``#`` comments, docstring
quotes, Markdown list items, prose around the summary, several summaries in one
cell, a notebook's JSON, a logger's prefixes) and old type names are handled in
:mod:`kerasguide._parse_forms`.
"""

from __future__ import annotations

import itertools
import re

from kerasguide import _parse_forms as _forms
from kerasguide._parse_cells import Text, column_names, row_at
from kerasguide._parse_totals import TOTAL, is_rule, read_totals
from kerasguide._rows import Row
from kerasguide._summary_fold import FOLDED_TITLE
from kerasguide.errors import OptionError, SummaryParseError
from kerasguide.summary import Summary

__all__ = ["parse_summaries", "parse_summary"]

_MODEL = re.compile(r'^\s*Model:\s*"(.*)"\s*$')
_JUNCTIONS = "┏┳┓┡╇┩├┼┤└┴┘+"
_BARS = "┃│|"
_TABLE_START = 'a "Model: ..." line, or the first rule of a summary table'


def parse_summary(text: str, *, name: str | None = None) -> Summary:
    """Parse a printed Keras summary (Keras 1, 2 or 3 format) into a Summary.

    The totals of the result leave out optimizer variables, like
    :func:`~kerasguide.summary.summarize`; a parsed summary and the summary of the
    same live model compare equal. The summary may sit in other text as course
    material keeps it: indented, as ``#`` comments, in a docstring, with prose
    around it, in a notebook's JSON, or in a log with a logger's prefix on each
    line. A complete table printed without its totals gets the sum of its rows;
    printed totals must agree with the rows.

    Args:
        text: The summary as printed, e.g. copied from a notebook.
        name: The model to take when ``text`` holds several summaries, e.g.
            ``"decoder"`` (the name in its ``Model: "..."`` line).

    Returns:
        A :class:`~kerasguide.summary.Summary` (its ``memory`` is approximate: printed
        summaries round it).

    Raises:
        SummaryParseError: A line cannot be read (the message names it); the
            totals contradict the rows (the message quotes both); or ``text``
            holds several summaries and ``name`` does not pick one.
        OptionError: ``text`` or ``name`` is not a string.

    Example:
        >>> from pathlib import Path
        >>> summary = parse_summary(Path("tests/data/seed_summary.txt").read_text())
        >>> summary.total, [row.params for row in summary.rows]
        (551, [0, 110, 220, 210, 11])
    """
    if name is not None and not isinstance(name, str):
        raise OptionError(
            "the model's name must be a string",
            where="parse_summary(name=...)",
            expected='a name such as "decoder"',
            received=type(name).__name__,
        )
    found = parse_summaries(text)
    if name is None and len(found) == 1:
        return found[0]
    picked = [summary for summary in found if summary.name == name]
    if len(picked) == 1:
        return picked[0]
    names = ", ".join(repr(summary.name or "(no name)") for summary in found)
    raise SummaryParseError(
        f"the text holds {len(found)} summaries" + (f", none named {name!r}" if name else ""),
        where="parse_summary(text)",
        expected="one summary, or name= naming one of them",
        received=f"the models {names}",
        hint=f"pick one with parse_summary(text, name={found[-1].name!r}), or read them "
        "all with parse_summaries(text)",
    )


def parse_summaries(text: str) -> list[Summary]:
    """Parse every printed summary in ``text``, in order.

    A notebook cell often prints several: an encoder, a decoder and the
    autoencoder that joins them.

    Args:
        text: The text, e.g. a notebook cell's output or a Markdown file.

    Returns:
        One :class:`~kerasguide.summary.Summary` per printed summary.

    Raises:
        SummaryParseError: There is no summary in ``text``, or a line of one
            cannot be read; the message names the line.
        OptionError: ``text`` is not a string.

    Example:
        >>> [s.name for s in parse_summaries(cell_output)]  # doctest: +SKIP
        ['encoder', 'decoder', 'autoencoder']
    """
    if not isinstance(text, str):
        raise OptionError(
            "summary text must be a string",
            where="parse_summary(text)",
            expected="str",
            received=type(text).__name__,
        )
    lines = _forms.clean(text)
    folded = next((i for i, line in enumerate(lines) if line.startswith(FOLDED_TITLE)), None)
    if folded is not None:
        raise SummaryParseError(
            "this is a folded summary (one row per block), which parse_summary cannot read",
            where=f"line {folded + 1}",
            expected="a summary with one row per layer, as Keras prints it",
            received=lines[folded][:60] + "…",
            hint="print kg.summarize(model) without fold=, or model.summary()",
        )
    if not any(line.strip() for line in lines):
        raise SummaryParseError(
            "the summary text is empty", where="line 1", expected=_TABLE_START, received=repr(text)
        )
    found: list[Summary] = []
    at = _forms.starts(lines, 0)
    if at is None:
        raise _forms.not_a_summary(lines)
    while at is not None:
        table = next((i for i in range(at + 1, len(lines)) if lines[i].strip()), at)
        first = table if _MODEL.match(lines[at]) else at
        indent = len(lines[first]) - len(lines[first].lstrip(" \t"))
        block = Text(_forms.dedent(lines[at:], indent), offset=at)
        found.append(_one(block))
        at = _forms.starts(lines, at + max(block.at, 1))
    return found


def _one(lines: Text) -> Summary:
    name = _model_name(lines)
    grid = lines.line().lstrip()[:1] in ("┏", "+")
    rows, closed = (_grid(lines), True) if grid else _keras2(lines)
    return read_totals(lines, name, rows, closed=closed)


def _model_name(text: Text) -> str:
    found = _MODEL.match(text.line())
    if found is None:
        return ""
    text.at += 1
    text.skip_blank()
    return found.group(1)


# --- Keras 3 and kerasguide grids ------------------------------------------------------


def _grid(text: Text) -> list[Row]:
    top = text.line().rstrip()
    bounds = [i for i, char in enumerate(top) if char in _JUNCTIONS]
    if top[-1:] not in ("┓", "+") or len(bounds) < 4:
        raise text.error(
            "the table's right edge is missing",
            text.at,
            expected="a complete table border, like ┏━━━┳━━━┓",
            hint="Keras cuts summaries at the terminal's width: print it "
            "again in a wider terminal or with a smaller line_length",
        )
    text.at += 1
    header_at = text.at
    header = _grid_header(text, bounds)
    names = column_names(
        text, header_at, [" ".join(filter(None, c)) for c in zip(*header, strict=True)]
    )
    text.at += 1
    rows: list[Row] = []
    for index, block in _grid_rows(text, bounds, names.index("params")):
        joined = [_join(col, first=i == 0) for i, col in enumerate(zip(*block, strict=True))]
        rows.append(row_at(text, index, dict(zip(names, joined, strict=True))))
    return rows


def _join(fragments: tuple[str, ...], *, first: bool) -> str:
    parts = [part for part in fragments if part.strip()]
    if not parts:
        return ""
    head = parts[0].rstrip() if first else parts[0].strip()
    return " ".join([head, *(part.strip() for part in parts[1:])])


def _cells(text: Text, bounds: list[int]) -> list[str]:
    line = text.line()
    if len(line.rstrip()) != bounds[-1] + 1 or any(line[b] not in _BARS for b in bounds):
        raise text.error(
            "this line does not line up with the table's columns",
            text.at,
            expected=f"a row with '│' at columns {[b + 1 for b in bounds]}",
        )
    cells = [line[a + 1 : b] for a, b in itertools.pairwise(bounds)]
    return [cell[1:] if cell.startswith(" ") else cell for cell in cells]


def _grid_header(text: Text, bounds: list[int]) -> list[list[str]]:
    block = []
    while text.line()[:1] in _BARS:
        block.append(_cells(text, bounds))
        text.at += 1
    if not text.line().startswith(("┡", "+=")):
        raise text.error(
            "the table's header does not end with a rule",
            text.at,
            expected="a rule like ┡━━━╇━━━┩ or +===+===+",
        )
    return block


def _grid_rows(text: Text, bounds: list[int], params: int) -> list[tuple[int, list[list[str]]]]:
    """The row blocks of a grid body, each with the index of its first line."""
    rows: list[tuple[int, list[list[str]]]] = []
    current: list[list[str]] | None = None
    while True:
        line = text.line()
        if line[:1] in _BARS:
            cells = _cells(text, bounds)
            starts = bool(cells[0].strip()) and cells[params].strip()[:1].isdigit()
            if current is None or (starts and any(c[params].strip() for c in current)):
                current = []
                rows.append((text.at, current))
            current.append(cells)
        elif line[:1] in ("├", "+") and text.line(text.at + 1)[:1] in _BARS:
            current = None
        elif line[:1] in ("└", "+"):
            text.at += 1
            return rows
        else:
            raise text.error(
                "the table ends without its bottom border",
                text.at,
                expected="a table row, or a border like └───┴───┘",
            )
        text.at += 1


# --- Keras 2 ---------------------------------------------------------------------------


def _keras2(text: Text) -> tuple[list[Row], bool]:
    """The rows of a Keras 1 or 2 table, and whether its closing ``=`` rule was read."""
    if is_rule(text.line(), "_"):
        text.at += 1
    header_at = text.at
    if "Layer (type)" not in text.line():
        raise text.error(
            "this line is not the start of a summary table", text.at, expected=_TABLE_START
        )
    starts = [0, *[m.start() for m in re.finditer(r"\S+(?: \S+)*", text.line())][1:]]
    size = _header_size(text)
    header = [_slice(line, starts) for line in text.lines[text.at : text.at + size]]
    names = column_names(text, header_at, ["".join(col) for col in zip(*header, strict=True)])
    text.at += size
    if is_rule(text.line(), "="):
        text.at += 1
    found, closed = _k2_rows(text, starts, names.index("params"))
    return [row_at(text, i, dict(zip(names, c, strict=True))) for i, c in found], closed


def _header_size(text: Text) -> int:
    """Lines of the header: up to the ``=`` rule, or one line when copied without it."""
    for size, line in enumerate(text.lines[text.at :]):
        if is_rule(line, "="):
            return size
        if not line.strip() or is_rule(line, "_"):
            break
    return 1


def _slice(line: str, starts: list[int]) -> list[str]:
    ends = [*starts[1:], max(len(line), starts[-1]) + 1]
    return [line[a:b].strip() for a, b in zip(starts, ends, strict=True)]


def _starts_row(cells: list[str], block: list[list[str]], params: int) -> bool:
    """A line with ``name (Type`` and a count, after a complete row: a row of its own."""
    named = " (" in cells[0] and "(" in "".join(c[0] for c in block)
    return named and cells[params][:1].isdigit() and any(c[params] for c in block)


def _k2_rows(
    text: Text, starts: list[int], params: int
) -> tuple[list[tuple[int, list[str]]], bool]:
    rows: list[tuple[int, list[str]]] = []
    block: list[list[str]] = []
    first, depth, closed = 0, 0, False
    while text.at < len(text.lines) and not TOTAL.match(text.line()):
        line = text.line()
        if not line.replace("|", "").strip() or is_rule(line, "_¯="):
            if block:
                rows.append((first, _k2_cells(block, depth)))
            block = []
            if is_rule(line, "=") and not line.startswith("|"):
                text.at += 1
                closed = True
                break
        else:
            level = len(line) - len(line.lstrip("|"))
            plain = line.replace("|", " ", level)[: len(line) - level] if level else line
            cells = _slice(plain, starts)
            if block and _starts_row(cells, block, params):  # rows copied without rules
                rows.append((first, _k2_cells(block, depth)))
                block = []
            if not block:
                first, depth = text.at, level
            block.append(cells)
        text.at += 1
    if block:
        rows.append((first, _k2_cells(block, depth)))
    return rows, closed


def _k2_cells(block: list[list[str]], depth: int) -> list[str]:
    cells = ["".join(col) for col in zip(*block, strict=True)]
    cells[0] = "   " * depth + "└ " + cells[0] if depth else cells[0]
    return cells
