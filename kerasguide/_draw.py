"""matplotlib drawing shared by diagrams and training curves, without ``pyplot``.

Figures are made with ``matplotlib.figure.Figure`` directly, so no backend,
current figure or rcParams of the user's is touched, and scripts and CI stay
headless. :class:`Picture` adds ``_repr_png_`` so a figure shows inline in
Jupyter even where ``pyplot`` was never imported.
"""

from __future__ import annotations

import functools
import io
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from kerasguide import _files
from kerasguide._geometry import Box, Layout, Rect, Route
from kerasguide._layout import layered_layout
from kerasguide.errors import OptionError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

FORMATS = {".png": "png", ".svg": "svg", ".pdf": "pdf"}
TITLE_SIZE = 10.0  # points: a box's first line (bold)
TEXT_SIZE = 9.0  # points: the other lines of a box, frame titles
LINE_GAP = 3.0  # between two lines of a box
PAD_X, PAD_Y = 9.0, 6.0  # inside a box, around its text
TIGHT = 0.6  # of that room, in a tight box
MARGIN = 12.0  # around the whole drawing
FRAME_LABEL = TEXT_SIZE + 7.0  # room for a nested model's title above its boxes
MAX_PIXELS = 32_000  # a side of a PNG; larger drawings get a lower resolution
PIXEL_BUDGET = 12_000_000  # pixels of a PNG; larger drawings get a lower resolution
PNG_OPTIONS = {"compress_level": 3}  # zlib's level: a little larger, much faster than 6
STACK_STEP = 3.5  # offset of each card drawn behind a box that stands for a run of blocks
SCREEN_DPI = 100.0  # pixels per inch of a figure on a notebook page, whatever its resolution
SCREEN = (1920 * 72 / SCREEN_DPI, 1080 * 72 / SCREEN_DPI)  # a 1080p screen, in points
SHARP_DPI = 200.0  # at least this many dots per inch in a notebook: sharp on high-density screens
EDGE_COLOR = "#4a4a4a"
FRAME_COLOR = "#f7f7fb"
TEXT_COLOR = "#1a1a1a"


@dataclass(frozen=True)
class Node:
    """One box to draw: its lines of text (the first in bold), colour and nested models."""

    key: str
    lines: tuple[str, ...]
    color: str
    groups: tuple[str, ...] = ()
    stack: int = 1  # a run of N blocks is drawn as a box with N - 1 cards behind it
    scale: float = 1.0  # of its text: smaller in the panels beside a folded diagram
    tight: bool = False  # less room around its text (folded diagrams)


def raster_dpi(width: float, height: float, dpi: float) -> float:
    """``dpi``, or less so that a ``width`` × ``height`` inch PNG stays within budget.

    Example:
        >>> raster_dpi(8.5, 200.0, 200.0) < 100
        True
    """
    budget = math.sqrt(PIXEL_BUDGET / max(width * height, 1e-9))
    return float(min(dpi, budget, MAX_PIXELS / max(width, height, 1.0)))


def new_figure(width: float, height: float, *, dpi: float = 100.0) -> Figure:
    """A headless :class:`Picture` of ``width`` × ``height`` inches."""
    picture_class = _picture_class()
    figure: Figure = picture_class(figsize=(width, height), dpi=dpi)
    return figure


@functools.cache
def _picture_class() -> type[Figure]:
    from matplotlib.figure import Figure

    class Picture(Figure):
        """A matplotlib ``Figure`` that also shows itself as a PNG in Jupyter.

        The PNG has at least ``SHARP_DPI`` dots per inch and is shown at
        ``SCREEN_DPI`` pixels per inch, so it is sharp on a high-density screen
        and the same size on the page at any resolution.
        """

        def _repr_png_(self) -> tuple[bytes, dict[str, int]]:
            buffer = io.BytesIO()
            width, height = self.get_size_inches()
            dpi = raster_dpi(float(width), float(height), max(self.dpi, SHARP_DPI))
            self.savefig(buffer, format="png", dpi=dpi, pil_kwargs=PNG_OPTIONS)
            width, height = self.get_size_inches() * SCREEN_DPI
            return buffer.getvalue(), {"width": round(width), "height": round(height)}

    Picture.__module__ = "kerasguide"
    Picture.__qualname__ = Picture.__name__ = "Picture"
    return Picture


def picture_format(to_file: object, *, function: str) -> str:
    """The format of ``to_file`` by its extension ("png" without a file); checked up front.

    Raises OptionError for anything but a .png, .svg or .pdf file name, and
    FileError when its folder does not exist, before any drawing is done.
    """
    if to_file is None:
        return "png"
    if not isinstance(to_file, (str, os.PathLike)):
        raise OptionError(
            "to_file must be a file name",
            where=f"{function}(to_file=...)",
            expected="a str or pathlib.Path ending in .png, .svg or .pdf",
            received=type(to_file).__name__,
        )
    path = Path(to_file)
    if path.suffix.lower() not in FORMATS:
        raise OptionError(
            "unknown picture format",
            where=f"{function}(to_file={str(path)!r})",
            expected="a file name ending in " + ", ".join(FORMATS),
            received=repr(path.suffix or "no extension"),
            hint=f"e.g. {path.with_suffix('.png').name!r}",
        )
    _files.check_folder(path)
    return FORMATS[path.suffix.lower()]


def save_figure(figure: Figure, to_file: str | os.PathLike[str], *, fmt: str, dpi: float) -> None:
    """Write ``figure`` as ``fmt`` (png, svg or pdf): the file appears whole or not at all.

    A PNG is kept within ``PIXEL_BUDGET`` pixels (see :func:`raster_dpi`).
    """
    if fmt != "png":
        _files.write_with(to_file, lambda tmp: figure.savefig(tmp, format=fmt, dpi=dpi))
        return
    width, height = figure.get_size_inches()
    dpi = raster_dpi(float(width), float(height), dpi)
    _files.write_with(
        to_file, lambda tmp: figure.savefig(tmp, format=fmt, dpi=dpi, pil_kwargs=PNG_OPTIONS)
    )


# --- diagrams --------------------------------------------------------------------


@functools.lru_cache(maxsize=8192)  # each line is measured to size its box, then to place it
def text_size(text: str, *, bold: bool = False, size: float = TEXT_SIZE) -> tuple[float, float]:
    """Width and height of ``text`` in points, as matplotlib will draw it."""
    from matplotlib.font_manager import FontProperties
    from matplotlib.textpath import TextToPath

    font = FontProperties(size=size, weight="bold" if bold else "normal")
    width, height, _descent = TextToPath().get_text_width_height_descent(text, font, ismath=False)
    return float(width), float(max(height, size * 1.2))


def box_size(node: Node) -> Box:
    """The size of ``node``'s box, from its text."""
    sizes = [
        text_size(line, bold=i == 0, size=_font(i) * node.scale)
        for i, line in enumerate(node.lines)
    ]
    pad_x, pad_y = _padding(node)
    width = max(w for w, _ in sizes) + 2 * pad_x
    height = sum(h for _, h in sizes) + LINE_GAP * (len(sizes) - 1) + 2 * pad_y
    return Box(node.key, max(width, 60.0), height, node.groups)


def _padding(node: Node) -> tuple[float, float]:
    tight = TIGHT if node.tight else 1.0
    return PAD_X * node.scale * tight, PAD_Y * node.scale * tight


def _font(index: int) -> float:
    return TITLE_SIZE if index == 0 else TEXT_SIZE


def diagram(
    nodes: Sequence[Node],
    edges: Sequence[tuple[str, str]],
    titles: Mapping[str, str],
    *,
    rankdir: str,
    dpi: float,
) -> Figure:
    """Lay out and draw boxes, edges and frames (one per nested model, titled)."""
    layout = layered_layout(
        [box_size(node) for node in nodes], list(edges), rankdir=rankdir, label=FRAME_LABEL
    )
    axes = canvas(layout.width, layout.height, dpi)
    draw_layout(axes, nodes, layout, titles)
    return axes.figure  # type: ignore[return-value]


def canvas(width: float, height: float, dpi: float) -> Axes:
    """Axes on a new figure for a drawing of ``width`` × ``height`` points, y downwards."""
    width, height = width + 2 * MARGIN, height + 2 * MARGIN
    figure = new_figure(width / 72, height / 72, dpi=raster_dpi(width / 72, height / 72, dpi))
    axes = figure.add_axes((0.0, 0.0, 1.0, 1.0))
    axes.set_xlim(-MARGIN, width - MARGIN)
    axes.set_ylim(height - MARGIN, -MARGIN)
    axes.set_axis_off()
    return axes


def draw_layout(
    axes: Axes, nodes: Sequence[Node], layout: Layout, titles: Mapping[str, str]
) -> None:
    for key in sorted(layout.frames, key=lambda key: key.count("/")):  # outermost first
        _draw_frame(axes, key, layout.frames[key], titles.get(key, key))
    for route in layout.routes:
        _draw_route(axes, route, layout)
    for node in nodes:
        _draw_box(axes, node, layout.boxes[node.key])


def _draw_frame(axes: Axes, key: str, frame: Rect, title: str) -> None:
    from matplotlib.patches import FancyBboxPatch

    patch = FancyBboxPatch(
        (frame.x, frame.y),
        frame.width,
        frame.height,
        boxstyle="round,pad=0,rounding_size=6",
        facecolor=FRAME_COLOR,
        edgecolor="#8a8aa0",
        linestyle=(0, (4, 3)),
        linewidth=1.0,
        zorder=0.01 * key.count("/"),
        gid=f"frame:{key}",
    )
    axes.add_artist(patch)  # no data limits to update: the axes are set
    axes.text(
        frame.x + 7,
        frame.y + 4,
        title,
        fontsize=TEXT_SIZE,
        fontstyle="italic",
        color="#4a4a68",
        va="top",
        ha="left",
        zorder=1.5,  # above the edges that enter the frame, on a patch of its colour
        bbox={"boxstyle": "square,pad=0.15", "facecolor": FRAME_COLOR, "edgecolor": "none"},
    )


def _draw_route(axes: Axes, route: Route, layout: Layout) -> None:
    """Straight through a layer, an S-curve across each gap, an arrow head at the end."""
    from matplotlib.patches import FancyArrowPatch
    from matplotlib.path import Path

    points = route.points
    vertices: list[tuple[float, float]] = [points[0]]
    codes = [Path.MOVETO]

    def line_to(point: tuple[float, float]) -> None:
        if point != vertices[-1]:  # a zero-length end would hide the arrow head
            vertices.append(point)
            codes.append(Path.LINETO)

    line_to(points[1])
    for i in range(1, len(points) - 1, 2):
        (x1, y1), (x2, y2) = points[i], points[i + 1]
        if layout.rankdir == "LR":
            middle = (x1 + x2) / 2
            vertices += [(middle, y1), (middle, y2), (x2, y2)]
        else:
            middle = (y1 + y2) / 2
            vertices += [(x1, middle), (x2, middle), (x2, y2)]
        codes += [Path.CURVE4] * 3
        line_to(points[i + 2])
    arrow = FancyArrowPatch(
        path=Path(vertices, codes),
        arrowstyle="-|>,head_length=6,head_width=3",
        mutation_scale=1.0,
        color=EDGE_COLOR,
        linewidth=1.1,
        shrinkA=0,
        shrinkB=0,
        zorder=1,
        gid=f"edge:{route.source}->{route.target}",
    )
    axes.add_artist(arrow)


def _draw_box(axes: Axes, node: Node, rect: Rect) -> None:
    from matplotlib.patches import FancyBboxPatch

    # A run of blocks has cards behind its box (card 0 is the box itself).
    for card in range(node.stack - 1, -1, -1):
        step = card * STACK_STEP
        patch = FancyBboxPatch(
            (rect.x + step, rect.y + step),
            rect.width,
            rect.height,
            boxstyle="round,pad=0,rounding_size=4",
            facecolor=node.color,
            edgecolor="#555555",
            linewidth=0.8 if card else 1.0,
            zorder=1.9 if card else 2,
            gid=f"card:{node.key}" if card else f"node:{node.key}",
        )
        axes.add_artist(patch)  # no data limits to update: the axes are set
    heights = [
        text_size(line, bold=i == 0, size=_font(i) * node.scale)[1]
        for i, line in enumerate(node.lines)
    ]
    used = sum(heights) + LINE_GAP * (len(heights) - 1)
    y = rect.y + (rect.height - used) / 2
    for i, (line, height) in enumerate(zip(node.lines, heights, strict=True)):
        axes.text(
            rect.x + rect.width / 2,
            y + height / 2,
            line,
            fontsize=_font(i) * node.scale,
            fontweight="bold" if i == 0 else "normal",
            color=TEXT_COLOR,
            ha="center",
            va="center",
            zorder=3,
        )
        y += height + LINE_GAP
