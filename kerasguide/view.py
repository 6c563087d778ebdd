"""An interactive diagram for notebooks and web pages: :func:`view`.

The folded diagram of :func:`plot_model` as inline SVG with a little script: it zooms
(scroll, or the buttons) and pans (drag); hovering over a box shows the layer's class,
shapes, parameters and its entry in spec form, or a folded block's runs and totals;
clicking a folded block opens it, drawn with its layers. Everything is inline, so it
works offline, in a saved HTML file and on the course website.
"""

from __future__ import annotations

import io
import os
import re
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import yaml

from kerasguide import _files
from kerasguide._boxes import call_shapes, flow_text, layer_params
from kerasguide._fold import OPEN, fold_depth, folded_and_opened
from kerasguide._graph import DiagramNode, diagram_graph, is_graph_model, node_shapes, wrapper_type
from kerasguide._shapes import format_shapes
from kerasguide._sheet import sheet
from kerasguide._view_page import document, page, svg_element
from kerasguide.blocks import BlockRun
from kerasguide.errors import KerasGuideError, OptionError

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from kerasguide._types import KerasModel
    from kerasguide.specs import SpecSource

__all__ = ["ModelView", "view"]

OUR_IDS = ("node:", "edge:", "frame:", "card:")  # the ids the script looks for


@dataclass(frozen=True)
class ModelView:
    """An interactive diagram: shown by a notebook (``_repr_html_``), saved with :meth:`save`.

    ``str()`` says what it shows; ``html`` is the fragment a page embeds.
    """

    model: str
    html: str
    boxes: int
    opened: int

    def __str__(self) -> str:
        return (
            f"Interactive diagram of {self.model}: {self.boxes} boxes, {self.opened} folded "
            "blocks that open on a click (shown in a notebook, or save('model.html'))"
        )

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        return self.html

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the view as a whole HTML page (``.html``), which works offline."""
        target = Path(path)
        if target.suffix.lower() not in (".html", ".htm"):
            raise OptionError(
                "a view is saved as an HTML page",
                where=f"ModelView.save({str(target)!r})",
                expected="a file name ending in .html",
                received=repr(target.suffix or "no extension"),
                hint=f"e.g. {target.with_suffix('.html').name!r}",
            )
        _files.check_folder(target)
        text = document(self.html, f"{self.model}: kerasguide")
        _files.write_with(target, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def view(
    model_or_spec: KerasModel | SpecSource,
    *,
    fold: str | int = "auto",
    rankdir: str = "TB",
    expand_nested: bool = False,
) -> ModelView:
    """An interactive, offline view of a model's diagram, folded as :func:`plot_model` folds.

    Args:
        model_or_spec: A built Keras model, a :class:`Spec`, a dict spec or a spec file.
        fold: As in :func:`plot_model`: ``"auto"``, ``"blocks"``, ``"none"`` or a depth.
        rankdir: ``"TB"`` (inputs at the top) or ``"LR"`` (inputs on the left).
        expand_nested: Open nested models (``fold="auto"`` then opens two levels).

    Returns:
        A :class:`ModelView`: the last value of a notebook cell shows it.

    Raises:
        OptionError: An unknown option value.

    Example:
        >>> kg.view(keras.applications.ResNet50(weights=None))  # doctest: +SKIP
        Interactive diagram of resnet50: 29 boxes, 5 folded blocks that open on a click ...
    """
    from kerasguide.build import as_model
    from kerasguide.plot import checked_options

    options, fold = checked_options("view", fold=fold, rankdir=rankdir, expand=expand_nested)
    model = as_model(model_or_spec)
    boxes = len(diagram_graph(model, expand_nested=options.expand_nested).nodes)
    depth = fold_depth(fold, boxes, expand_nested=options.expand_nested) or OPEN
    if not is_graph_model(model):
        depth = OPEN
    panels, opened = folded_and_opened(model, depth, options)
    index = {key: i for i, key in enumerate(opened)}
    info: dict[str, object] = {}
    for panel in [*panels, *opened.values()]:
        for key, shown in panel.shows.items():
            info[key] = _describe(shown, index.get(key))
    main = _svg(sheet(panels, rankdir=options.rankdir, dpi=72), "m")
    layers = [
        (panel.title, _svg(sheet([panel], rankdir=options.rankdir, dpi=72), f"o{i}"))
        for i, panel in enumerate(opened.values())
    ]
    root = f"kg-view-{uuid.uuid4().hex[:10]}"
    html = page(root, model.name, main, layers, info)
    return ModelView(model.name, html, sum(len(p.nodes) for p in panels), len(opened))


def _describe(shown: object, opens: int | None) -> dict[str, object]:
    """What hovering over a box shows: a title, rows, and a layer's entry in spec form."""
    if isinstance(shown, DiagramNode):
        return _layer_info(shown)
    run = shown[1] if isinstance(shown, tuple) else None
    if not isinstance(run, BlockRun):
        return {"title": str(shown), "rows": [], "config": None, "open": None}
    title = f"{run.name}  ×{run.count}" if run.count > 1 else run.name
    rows = [
        f"blocks: {run.structures}" if run.count > 1 else f"block {run.structures}",
        flow_text(run.input_shapes, run.output_shapes),
        f"{run.params:,} parameters in {len(run.layers)} layers",
    ]
    if opens is not None:
        rows.append("click to open it")
    return {"title": title, "rows": rows, "config": None, "open": opens}


def _layer_info(node: DiagramNode) -> dict[str, object]:
    layer = node.layer
    rows = []
    inputs = [format_shapes(ins) for ins, _ in node_shapes(node.calls) if ins]
    if inputs:
        rows.append("input: " + " | ".join(dict.fromkeys(inputs)))
    rows.append("output: " + call_shapes(layer, node.calls))
    rows.append(f"parameters: {layer_params(layer):,}")
    if is_graph_model(layer):
        rows.append(f"a nested model of {len(diagram_graph(layer).nodes)} layers")
        return {"title": f"{layer.name} ({type(layer).__name__})", "rows": rows, "open": None}
    return {
        "title": f"{layer.name} ({wrapper_type(layer)})",
        "rows": rows,
        "config": _spec_text(layer),
        "open": None,
    }


def _spec_text(layer: object) -> str | None:
    """The layer's entry in a spec, as YAML; None when a spec cannot write it."""
    from kerasguide.convert import layer_spec

    try:
        entry = layer_spec(layer)
    except (KerasGuideError, TypeError, ValueError, KeyError):
        return None
    lines = []
    for key, value in entry.items():  # one line each: "filters: 16", "kernel_size: [3, 3]"
        text = str(yaml.safe_dump([value], default_flow_style=True, width=72)).strip()
        lines.append(f"{key}: {text[1:-1]}")
    return "\n".join(lines)


def _svg(figure: Figure, tag: str) -> str:
    """The figure as an ``<svg>`` element, its own ids made unique to ``tag``."""
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "kerasguide"}):
        figure.savefig(buffer, format="svg")
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg_element(buffer.getvalue()), flags=re.S)
    local = {
        found
        for found in re.findall(r'id="([^"]+)"', svg)
        if not found.startswith(OUR_IDS) and not found.startswith("text_")
    }
    for name in sorted(local, key=len, reverse=True):
        svg = svg.replace(f'id="{name}"', f'id="{tag}-{name}"')
        svg = svg.replace(f"#{name})", f"#{tag}-{name})").replace(f'#{name}"', f'#{tag}-{name}"')
    return svg
