"""Architecture diagrams: one matplotlib style everywhere, Keras's Graphviz drawing on request.

:func:`plot_model` draws the model's graph (see ``_graph.diagram_graph``) with
matplotlib, laid out in layers by ``_layout``, so the same spec gives the same
picture on every machine. ``engine="graphviz"`` lets Keras draw instead
(``keras.utils.plot_model`` needs pydot and Graphviz's ``dot`` program), scaled
to fit a notebook page; ``engine="auto"`` uses Graphviz only where it is installed.
matplotlib is imported on first use and never through ``pyplot``: no backend,
current figure or rcParams of the user's is touched.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import warnings
from typing import TYPE_CHECKING, Protocol

import kerasguide._keras as _k
from kerasguide import _draw, _files
from kerasguide._boxes import DiagramOptions, box_color, box_lines, layer_params
from kerasguide._fold import fold_depth, folded_panels
from kerasguide._graph import (
    diagram_graph,
    is_graph_model,
    summary_operations,
    wrapper_type,
)
from kerasguide._options import check_choice, check_fold
from kerasguide._sheet import sheet
from kerasguide._types import KerasModel, KerasOperation
from kerasguide.errors import GraphvizUnavailable, KerasGuideWarning, OptionError

if TYPE_CHECKING:
    from IPython.display import Image
    from matplotlib.figure import Figure

    from kerasguide.specs import SpecSource

__all__ = ["checked_options", "graphviz_missing", "plot_model"]

ENGINES = ("auto", "graphviz", "matplotlib")
SHARP = _draw.SHARP_DPI
RANKDIRS = ("TB", "LR")
GRAPHVIZ_SIZE = (7.0, 7.0)  # inches, width and height: Keras's drawing scaled to fit a page
INSTALL_HINT = (
    "install Graphviz (`sudo apt-get install graphviz` on Debian/Ubuntu, "
    "`brew install graphviz` on macOS, or `conda install graphviz`) and `pip install pydot`; "
    "meanwhile engine='matplotlib' (the default) draws the model now, without Graphviz"
)


def plot_model(
    model_or_spec: KerasModel | SpecSource,
    to_file: str | os.PathLike[str] | None = None,
    *,
    show_shapes: bool = True,
    show_layer_names: bool = True,
    show_layer_activations: bool = False,
    show_params: bool = True,
    rankdir: str = "TB",
    expand_nested: bool = False,
    dpi: float = 200,
    engine: str = "matplotlib",
    fold: str | int = "auto",
) -> Figure | Image | bytes:
    """Draw a model's layers and how they connect, with or without Graphviz.

    Args:
        model_or_spec: A built Keras model, a :class:`Spec`, a dict spec or a spec file.
        to_file: Where to write the picture; ``.png``, ``.svg`` or ``.pdf``. The file
            appears whole or not at all.
        show_shapes: Show each layer's output shape.
        show_layer_names: Show each layer's name (its type is always shown).
        show_layer_activations: Show the activation of layers that have one.
        show_params: Show each layer's number of parameters.
        rankdir: ``"TB"`` (inputs at the top) or ``"LR"`` (inputs on the left).
        expand_nested: Draw the layers of nested models inside a labelled frame
            instead of one box per nested model.
        dpi: Resolution of PNG output and of the picture shown in a notebook. A
            notebook shows a diagram at the same size whatever its resolution; the
            default, 200, is sharp on high-density screens. A PNG is kept within
            12 megapixels: a larger picture is drawn at a lower resolution, with a
            :class:`KerasGuideWarning` when text gets smaller than on screen.
        engine: ``"matplotlib"`` (the default: the same picture on every machine),
            ``"graphviz"`` (Keras's own drawing; needs pydot and ``dot``) or
            ``"auto"`` (Graphviz where it is installed, else matplotlib).
        fold: Draw repeated blocks once (see :func:`find_blocks`): ``"blocks"``
            draws each block, or run of like blocks (×N), as one box, and each
            distinct block in full beside it; ``"none"`` draws every layer; an
            integer opens blocks that many levels deep (1 is ``"blocks"``, 2 draws
            the blocks' layers in titled frames); ``"auto"`` (the default) is
            ``"blocks"`` for a diagram of more than 60 boxes (2 levels with
            ``expand_nested``), else ``"none"``. The matplotlib engine only.

    Returns:
        A matplotlib ``Figure`` (matplotlib engine) or an ``IPython.display.Image``
        at most ``GRAPHVIZ_SIZE`` inches on the page (Graphviz engine; the PNG
        bytes when IPython is missing). Both show
        inline when they are the last value of a notebook cell.

    Raises:
        OptionError: An unknown option value or file extension (before any work).
        FileError: The folder of ``to_file`` does not exist.
        GraphvizUnavailable: ``engine="graphviz"`` without pydot or ``dot``.

    Example:
        >>> figure = plot_model(model, "model.png", rankdir="LR")  # doctest: +SKIP
    """
    options = DiagramOptions(
        **_checked_flags(
            show_shapes=show_shapes,
            show_layer_names=show_layer_names,
            show_layer_activations=show_layer_activations,
            show_params=show_params,
            expand_nested=expand_nested,
        ),
        rankdir=_checked_choice("rankdir", rankdir, RANKDIRS),
        dpi=_checked_dpi(dpi),
    )
    engine = _checked_choice("engine", engine, ENGINES)
    fold = _checked_fold(fold, engine)
    fmt = _draw.picture_format(to_file, function="plot_model")
    from kerasguide.build import as_model

    model = _built(as_model(model_or_spec))
    if _use_graphviz(engine):
        return _graphviz(model, to_file, fmt, options)
    figure = draw_model(model, options, fold=fold)
    if fmt == "png":
        _note_resolution(model, figure, options.dpi if to_file else max(options.dpi, SHARP))
    if to_file is not None:
        _draw.save_figure(figure, to_file, fmt=fmt, dpi=options.dpi)
    return figure


# --- options ----------------------------------------------------------------------


def _checked_choice(option: str, value: object, allowed: tuple[str, ...]) -> str:
    check_choice("plot_model", option, value, allowed)
    return str(value)


def _checked_flags(**flags: object) -> dict[str, bool]:
    for name, value in flags.items():
        if not isinstance(value, bool):
            raise OptionError(
                f"{name} must be True or False",
                where=f"plot_model({name}=...)",
                expected="True or False",
                received=repr(value),
            )
    return {name: bool(value) for name, value in flags.items()}


def checked_options(
    function: str, *, fold: object, rankdir: object, expand: object
) -> tuple[DiagramOptions, str | int]:
    """The options of an interactive view (:func:`kerasguide.view`), checked as here."""
    if not isinstance(expand, bool):
        raise OptionError(
            "expand_nested must be True or False",
            where=f"{function}(expand_nested=...)",
            expected="True or False",
            received=repr(expand),
        )
    check_choice(function, "rankdir", rankdir, RANKDIRS)
    options = DiagramOptions(rankdir=str(rankdir), expand_nested=expand)
    return options, _checked_fold(fold, "matplotlib", function)


def _checked_fold(fold: object, engine: str, function: str = "plot_model") -> str | int:
    fold = check_fold(function, fold)
    if engine == "graphviz" and fold not in ("auto", "none"):
        raise OptionError(
            "Keras's Graphviz drawing cannot fold blocks",
            where=f"plot_model(fold={fold!r}, engine='graphviz')",
            expected="engine='matplotlib' to fold, or fold='none'",
            received="engine='graphviz'",
        )
    return fold


def _note_resolution(model: KerasModel, figure: Figure, dpi: float) -> None:
    """A warning when a PNG is drawn so large that its text gets smaller than on screen."""
    width, height = figure.get_size_inches()
    used = _draw.raster_dpi(width, height, dpi)
    if used >= min(dpi, _draw.SCREEN_DPI):
        return
    warnings.warn(
        KerasGuideWarning(
            f"plot_model({model.name}): the diagram is {width:.0f} × {height:.0f} inches, "
            f"over {_draw.PIXEL_BUDGET // 1_000_000} megapixels as a PNG at {dpi:.0f} dpi, "
            f"so it is drawn at {used:.0f} dpi and its text is small; fold='blocks' draws "
            "each repeated block once, and an .svg file stays sharp at any size",
            code="picture-too-large",
        ),
        stacklevel=3,
    )


def _checked_dpi(dpi: object) -> float:
    if isinstance(dpi, bool) or not isinstance(dpi, (int, float)) or not 10 <= dpi <= 1000:
        raise OptionError(
            "dpi must be a number of dots per inch",
            where="plot_model(dpi=...)",
            expected="a number from 10 to 1000, e.g. 100",
            received=repr(dpi),
        )
    return float(dpi)


def _built(model: KerasModel) -> KerasModel:
    if not getattr(model, "built", False):
        raise OptionError(
            "the model has not been built yet, so its layers have no shapes to draw",
            where=f"plot_model({getattr(model, 'name', 'model')})",
            expected="a built model",
            received="a model without an input shape",
            hint="start a Sequential model with keras.Input(shape), or call model.build(...)",
        )
    return model


# --- the Graphviz engine: Keras draws ---------------------------------------------


class _DotNode(Protocol):
    """A node of a ``pydot`` graph."""

    def get_name(self) -> str: ...
    def get(self, name: str) -> object: ...
    def set(self, name: str, value: str) -> None: ...


class _DotGraph(Protocol):
    """A ``pydot`` graph (or subgraph), as Keras's ``model_to_dot`` makes it."""

    def get_nodes(self) -> list[_DotNode]: ...
    def get_subgraphs(self) -> list[_DotGraph]: ...
    def set(self, name: str, value: str) -> None: ...
    def create(self, format: str) -> bytes: ...


def graphviz_missing() -> str | None:
    """Why Keras's Graphviz drawing cannot run here, or None when it can.

    Example:
        >>> graphviz_missing() is None or "dot" in graphviz_missing()  # doctest: +SKIP
        True
    """
    if importlib.util.find_spec("pydot") is None:
        return "the Python package pydot is not installed"
    if shutil.which("dot") is None:
        return "Graphviz's `dot` program is not on the PATH"
    return None


def _use_graphviz(engine: str) -> bool:
    if engine == "matplotlib":
        return False
    missing = graphviz_missing()
    if missing is not None and engine == "graphviz":
        raise GraphvizUnavailable(
            "engine='graphviz' needs pydot and Graphviz's `dot` program",
            where="plot_model(engine='graphviz')",
            expected="pydot importable and `dot` on the PATH",
            received=missing,
            hint=INSTALL_HINT,
        )
    return missing is None


def _graphviz(
    model: KerasModel,
    to_file: str | os.PathLike[str] | None,
    fmt: str,
    options: DiagramOptions,
) -> Image | bytes:
    """Keras's ``model_to_dot`` drawn by ``dot``; temporary files stay in the system's."""
    dot: _DotGraph = _k.keras().utils.model_to_dot(
        model,
        show_shapes=options.show_shapes,
        show_layer_names=options.show_layer_names,
        show_layer_activations=options.show_layer_activations,
        rankdir=options.rankdir,
        expand_nested=options.expand_nested,
        dpi=int(options.dpi),
    )
    _label_wrappers(dot, _layers_by_id(model))
    if options.show_params:
        _add_params(dot, _layers_by_id(model))
    dot.set("size", '"{:g},{:g}"'.format(*GRAPHVIZ_SIZE))  # shrinks larger drawings to fit
    png: bytes = dot.create(format="png")
    if to_file is not None:
        data: bytes = png if fmt == "png" else dot.create(format=fmt)
        _files.write_with(to_file, lambda tmp: tmp.write_bytes(data))
    try:
        from IPython.display import Image
    except ImportError:
        return png
    width = round(int.from_bytes(png[16:20], "big") * _draw.SCREEN_DPI / options.dpi)
    return Image(data=png, format="png", width=width)  # type: ignore[no-untyped-call]


def _layers_by_id(model: KerasOperation) -> dict[str, KerasOperation]:
    found: dict[str, KerasOperation] = {str(id(model)): model}
    members = summary_operations(model) if is_graph_model(model) else []
    for layer in members or getattr(model, "layers", []):  # Keras operations too
        found.update(_layers_by_id(layer) if is_graph_model(layer) else {str(id(layer)): layer})
    return found


def _add_params(graph: _DotGraph, layers: dict[str, KerasOperation]) -> None:
    """A "Params" row in each of Keras's node tables (Keras shows no counts)."""
    for node in graph.get_nodes():
        layer = layers.get(node.get_name().strip('"'))
        label = node.get("label")
        if layer is None or not isinstance(label, str) or not label.endswith("</table>>"):
            continue
        row = (
            '<tr><td bgcolor="white" colspan="2"><font point-size="14">'
            f"Params: <b>{layer_params(layer):,}</b></font></td></tr>"
        )
        node.set("label", label[: -len("</table>>")] + row + "</table>>")
    for sub in graph.get_subgraphs():
        _add_params(sub, layers)


def _label_wrappers(graph: _DotGraph, layers: dict[str, KerasOperation]) -> None:
    """``(Bidirectional)`` becomes ``(Bidirectional(LSTM))`` in Keras's node tables.

    Keras 2's ``model_to_dot`` labelled a wrapper with its inner layer; Keras 3's
    shows the wrapper's class only. Both engines label it as Keras 2 did.
    """
    for node in graph.get_nodes():
        layer = layers.get(node.get_name().strip('"'))
        label = node.get("label")
        if layer is None or not isinstance(label, str):
            continue
        kind, full = type(layer).__name__, wrapper_type(layer)
        if kind != full:
            label = label.replace(f"({kind})</font>", f"({full})</font>")
            node.set("label", label.replace(f"<b>{kind}</b>", f"<b>{full}</b>"))
    for sub in graph.get_subgraphs():
        _label_wrappers(sub, layers)


# --- the matplotlib engine -------------------------------------------------------


def draw_model(
    model: KerasModel, options: DiagramOptions | None = None, *, fold: str | int = "none"
) -> Figure:
    """The matplotlib drawing of a built model, as a ``Figure``; used by :func:`plot_model`."""
    options = options or DiagramOptions()
    graph = diagram_graph(model, expand_nested=options.expand_nested)
    depth = fold_depth(fold, len(graph.nodes), expand_nested=options.expand_nested)
    if depth is not None and is_graph_model(model):
        panels = folded_panels(model, depth, options)
        return sheet(panels, rankdir=options.rankdir, dpi=options.dpi)
    nodes = [
        _draw.Node(node.key, box_lines(node, options), box_color(node.layer), node.groups)
        for node in graph.nodes
    ]
    titles = {key: f"{m.name} ({type(m).__name__})" for key, m in graph.groups.items()}
    return _draw.diagram(nodes, graph.edges, titles, rankdir=options.rankdir, dpi=options.dpi)
