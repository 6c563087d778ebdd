"""Folded diagrams on one sheet: panels laid out one by one, then packed (see ``_fold``)."""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from kerasguide._draw import (
    FRAME_LABEL,
    SCREEN,
    TEXT_SIZE,
    TITLE_SIZE,
    Node,
    box_size,
    canvas,
    draw_layout,
    text_size,
)
from kerasguide._geometry import Layout, pack, shifted
from kerasguide._layout import layered_layout

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

PANEL_GAP = 28.0  # between the panels of a folded diagram
PANEL_TITLE = TEXT_SIZE + 9.0  # room for a panel's title above it
FOLDED_LAYER_GAP = 18.0  # between two layers of a folded diagram's panels
FOLDED_NODE_GAP = 10.0  # between two boxes of one layer there
DETAIL_SCALES = (1.0, 0.9, 0.85)  # of the text of the panels beside a folded diagram's own


@dataclass
class Panel:
    """One picture of a folded diagram: boxes, edges, and titled frames (open blocks)."""

    title: str
    nodes: list[Node] = field(default_factory=list)
    edges: list[tuple[str, str]] = field(default_factory=list)
    frames: dict[str, str] = field(default_factory=dict)
    scale: float = 1.0  # of its title
    layers: dict[str, tuple[str, ...]] = field(default_factory=dict)  # box → layers it shows
    shows: dict[str, object] = field(default_factory=dict)  # box → its DiagramNode or run


def sheet(panels: Sequence[Panel], *, rankdir: str, dpi: float) -> Figure:
    """Panels laid out one by one, the first at the top left and the others packed around
    it, each with its title above it.

    The text of the other panels is made smaller (down to ``DETAIL_SCALES[-1]``) only
    where that saves a whole screen.
    """
    panels = [_scaled(panel, 1.0) for panel in panels]  # tight boxes
    main = _panel_layout(panels[0], rankdir)
    tried = []
    for scale in DETAIL_SCALES if len(panels) > 1 else (1.0,):
        scaled = [panels[0], *(_scaled(panel, scale) for panel in panels[1:])]
        layouts = [main, *(_panel_layout(panel, rankdir) for panel in scaled[1:])]
        sizes = [
            (max(lay.width, _title_width(panel, i == 0)), lay.height + PANEL_TITLE)
            for i, (panel, lay) in enumerate(zip(scaled, layouts, strict=True))
        ]
        screens, places = pack(sizes, screen=SCREEN, gap=PANEL_GAP, by_height=rankdir != "LR")
        tried.append((screens, scaled, layouts, sizes, places))
    fewest = math.ceil(min(t[0] for t in tried) - 0.01)
    _, scaled, layouts, sizes, places = next(t for t in tried if t[0] <= fewest + 0.01)
    width = max(x + w for (x, _), (w, _) in zip(places, sizes, strict=True))
    height = max(y + h for (_, y), (_, h) in zip(places, sizes, strict=True))
    axes = canvas(width, height, dpi)
    for i, (panel, layout, (x, y)) in enumerate(zip(scaled, layouts, places, strict=True)):
        _draw_panel_title(axes, panel, x, y, main=i == 0)
        moved = shifted(layout, x, y + PANEL_TITLE)
        draw_layout(axes, panel.nodes, moved, panel.frames)
    return axes.figure  # type: ignore[return-value]


def _panel_layout(panel: Panel, rankdir: str) -> Layout:
    return layered_layout(
        [box_size(node) for node in panel.nodes],
        panel.edges,
        rankdir=rankdir,
        label=FRAME_LABEL,
        layer_gap=FOLDED_LAYER_GAP,
        node_gap=FOLDED_NODE_GAP,
    )


def _scaled(panel: Panel, scale: float) -> Panel:
    nodes = [
        dataclasses.replace(node, scale=node.scale * scale, tight=True) for node in panel.nodes
    ]
    return dataclasses.replace(panel, nodes=nodes, scale=panel.scale * scale)


def _title_width(panel: Panel, main: bool) -> float:
    return text_size(panel.title, bold=True, size=_title_size(panel, main))[0]


def _title_size(panel: Panel, main: bool) -> float:
    return TITLE_SIZE if main else (TEXT_SIZE + 0.5) * panel.scale


def _draw_panel_title(axes: Axes, panel: Panel, x: float, y: float, *, main: bool) -> None:
    axes.text(
        x,
        y,
        panel.title,
        fontsize=_title_size(panel, main),
        fontweight="bold",
        color="#33334d",
        va="top",
        ha="left",
        gid="panel",
    )
