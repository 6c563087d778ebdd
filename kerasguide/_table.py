"""Plain-text and HTML tables for summaries, explanations and check results.

The text tables are sized to their content, never to the terminal, so the same
model always prints the same text. A cell may hold several lines (``"a\\nb"``).
"""

from __future__ import annotations

import html
from collections.abc import Sequence

__all__ = ["BOX", "STYLES", "human_bytes", "render_html", "render_text"]

STYLES = ("box", "ascii")

# top-left, top, top-junction, top-right / header-separator ... / bottom ...
BOX = {
    "box": {
        "top": "┏━┳┓",
        "head": "┃",
        "rule": "┡━╇┩",
        "sep": "├─┼┤",
        "cell": "│",
        "bottom": "└─┴┘",
    },
    "ascii": {
        "top": "+-++",
        "head": "|",
        "rule": "+=++",
        "sep": "+-++",
        "cell": "|",
        "bottom": "+-++",
    },
}


def human_bytes(size: float) -> str:
    """A memory size as Keras prints it: 1024-based, two decimals.

    Example:
        >>> human_bytes(2204)
        '2.15 KB'
    """
    value = float(size)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if value < 1024:
            return f"{value:.2f} {unit}"
        value /= 1024
    return f"{value:.2f} PB"


def _widths(header: Sequence[str], rows: Sequence[Sequence[str]]) -> list[int]:
    widths = [len(title) for title in header]
    for row in rows:
        for col, cell in enumerate(row):
            widths[col] = max(widths[col], *(len(line) for line in cell.split("\n")))
    return widths


def _rule(chars: str, widths: list[int]) -> str:
    left, fill, mid, right = tuple(chars)
    return left + mid.join(fill * (width + 2) for width in widths) + right


def _line(cells: Sequence[str], widths: list[int], align: Sequence[str], bar: str) -> str:
    parts = []
    for cell, width, how in zip(cells, widths, align, strict=True):
        text = cell.center(width) if how == "center" else cell.ljust(width)
        parts.append(" " + (cell.rjust(width) if how == "right" else text) + " ")
    return bar + bar.join(parts) + bar


def _row_lines(row: Sequence[str], widths: list[int], align: Sequence[str], bar: str) -> list[str]:
    split = [cell.split("\n") for cell in row]
    height = max(len(lines) for lines in split)
    return [
        _line([lines[i] if i < len(lines) else "" for lines in split], widths, align, bar)
        for i in range(height)
    ]


def render_text(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    align: Sequence[str],
    style: str = "box",
) -> list[str]:
    """The lines of a table: header, one block per row, no separators between rows.

    Example:
        >>> print("\\n".join(render_text(["a", "b"], [["x", "1"]], align=["left", "right"],
        ...                              style="ascii")))
        +---+---+
        | a | b |
        +===+===+
        | x | 1 |
        +---+---+
    """
    chars = BOX[style]
    widths = _widths(header, rows)
    lines = [
        _rule(chars["top"], widths),
        _line(header, widths, ["left"] * len(header), chars["head"]),
    ]
    lines.append(_rule(chars["rule"], widths))
    for row in rows:
        lines.extend(_row_lines(row, widths, align, chars["cell"]))
    lines.append(_rule(chars["bottom"], widths))
    return lines


def render_html(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    align: Sequence[str],
    caption: str = "",
    footer: Sequence[str] = (),
) -> str:
    """An HTML table (cells escaped; line breaks kept) with a caption and footer lines."""
    head = "".join(f"<th style='text-align:left'>{html.escape(h)}</th>" for h in header)
    body = []
    for row in rows:
        cells = "".join(
            f"<td style='text-align:{how};vertical-align:top'>{_html_cell(cell)}</td>"
            for cell, how in zip(row, align, strict=True)
        )
        body.append(f"<tr>{cells}</tr>")
    cap = f"<caption style='text-align:left'><b>{html.escape(caption)}</b></caption>"
    foot = "".join(f"<div>{html.escape(line)}</div>" for line in footer)
    return (
        f"<div><table>{cap if caption else ''}<thead><tr>{head}</tr></thead>"
        f"<tbody>{''.join(body)}</tbody></table>{foot}</div>"
    )


def _html_cell(cell: str) -> str:
    text = html.escape(cell).replace("\n", "<br>")
    return text.replace("  ", "&nbsp;&nbsp;")
