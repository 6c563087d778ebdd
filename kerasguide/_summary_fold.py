"""Folded summaries: one row per block or run of like blocks (see ``blocks.py``).

``summarize(model, fold="blocks")`` returns a :class:`FoldedSummary`: the same grouping
as a folded diagram, each row with its blocks' structures (``C + 2×D``), what goes in
and comes out, and its parameters. Its text says it is a folded view, and
``parse_summary`` refuses it by that first line; in a notebook each row opens
(``<details>``) onto its blocks, and each block onto its layers' rows.
"""

from __future__ import annotations

import html
from dataclasses import dataclass

from kerasguide import _table
from kerasguide._rows import Row
from kerasguide._shapes import format_shapes
from kerasguide._types import JSONDict
from kerasguide.blocks import Block, BlockRun, Blocks

FOLDED_TITLE = "Folded summary of"  # what parse_summary recognises and refuses
FOLD_ABOVE = 60  # fold="auto" folds a summary of more rows than this


@dataclass(frozen=True, eq=False)
class FoldedSummary:
    """A summary folded into blocks: ``str()`` is a table of runs, HTML opens each one.

    Attributes:
        name: The model's name.
        blocks: The runs of blocks (:func:`kerasguide.find_blocks`), covering every row.
        rows: The rows of the unfolded summary, by layer name.
        footer: The unfolded summary's totals.
    """

    name: str
    blocks: Blocks
    rows: dict[str, Row]
    footer: tuple[str, ...]
    style: str = "box"

    @property
    def total(self) -> int:
        return self.blocks.params

    def __str__(self) -> str:
        header, rows, align = self._table()
        lines = [self._title()]
        lines += _table.render_text(header, rows, align=align, style=self.style)
        lines += [f" {line}" for line in self.footer]
        for letter, block in self.blocks.structures.items():
            lines.append(f" {letter}: {len(block.layers)} layers as in {block.name}")
        return "\n".join(lines) + "\n"

    def __repr__(self) -> str:
        return str(self)

    def _title(self) -> str:
        return (
            f'{FOLDED_TITLE} "{self.name}": one row per block or run of like blocks (×N), '
            "as kerasguide groups them; not Keras's table (summarize(fold='none') is)"
        )

    def _table(self) -> tuple[list[str], list[list[str]], list[str]]:
        header = ["Blocks (or layer)", "×N", "Structure", "In → out", "Param #"]
        rows = [
            [
                run.name,
                f"×{run.count}" if run.count > 1 else "",
                run.structures,
                _flow(run),
                f"{run.params:,}",
            ]
            for run in self.blocks.runs
        ]
        return header, rows, ["left", "right", "left", "left", "right"]

    def _repr_html_(self) -> str:
        body = "".join(self._run_html(run) for run in self.blocks.runs)
        footer = "".join(f"<div>{html.escape(line)}</div>" for line in self.footer)
        return (
            f"<div class='kg-folded-summary'><p><b>{html.escape(self._title())}</b></p>"
            "<table><thead><tr><th style='text-align:left'>Blocks (or layer)</th>"
            "<th style='text-align:left'>Structure</th><th style='text-align:left'>In → out</th>"
            f"<th style='text-align:right'>Param #</th></tr></thead><tbody>{body}</tbody></table>"
            f"{footer}</div>"
        )

    def _run_html(self, run: BlockRun) -> str:
        title = html.escape(run.name + (f" ×{run.count}" if run.count > 1 else ""))
        if run.count == 1 and run.blocks[0].kind == "layer":
            first = html.escape(title)
        else:
            inner = "".join(self._block_html(block) for block in run.blocks)
            first = f"<details><summary>{title}</summary>{inner}</details>"
        return (
            f"<tr><td style='vertical-align:top'>{first}</td>"
            f"<td style='vertical-align:top'>{html.escape(run.structures)}</td>"
            f"<td style='vertical-align:top'>{html.escape(_flow(run))}</td>"
            f"<td style='text-align:right;vertical-align:top'>{run.params:,}</td></tr>"
        )

    def _block_html(self, block: Block) -> str:
        rows = "".join(
            f"<tr><td>{html.escape(f'{row.name} ({row.type})')}</td>"
            f"<td>{html.escape(format_shapes(row.output_shapes))}</td>"
            f"<td style='text-align:right'>{row.params:,}</td></tr>"
            for row in (self.rows[name] for name in block.layers if name in self.rows)
        )
        label = f"{block.name} ({block.structure}): {len(block.layers)} layers, "
        return (
            f"<details style='margin-left:1.2em'><summary>{html.escape(label)}"
            f"{block.params:,} params</summary><table>{rows}</table></details>"
        )

    def to_dict(self) -> JSONDict:
        """The runs of blocks and the totals as plain data."""
        blocks: JSONDict = self.blocks.to_dict()  # type: ignore[assignment]
        return {"name": self.name, "folded": True, "total": self.total, "blocks": blocks}


def _flow(run: BlockRun) -> str:
    if not run.input_shapes:
        return format_shapes(run.output_shapes)
    return f"{format_shapes(run.input_shapes)} → {format_shapes(run.output_shapes)}"
