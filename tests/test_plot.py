"""plot_model: the matplotlib drawing against the model's own graph, Keras's Graphviz path,
files, options and errors. Pictures of the examples were also looked at by eye."""

from __future__ import annotations

import itertools
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib
import pytest

import kerasguide as kg
import kerasguide._keras as _k
import kerasguide.specs
from kerasguide import _draw, plot
from kerasguide._boxes import box_lines
from kerasguide._geometry import Rect
from kerasguide._graph import diagram_graph
from kerasguide._layout import layered_layout
from tests import models

ALL_MODELS: dict[str, Callable[[], Any]] = {**models.ZOO, **models.MORE}
NEEDS_DOT = pytest.mark.skipif(
    plot.graphviz_missing() is not None,
    reason=f"Keras's Graphviz path needs pydot and dot: {plot.graphviz_missing()}",
)


@pytest.fixture
def no_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    """Graphviz's ``dot`` made unavailable, as on a school laptop."""
    monkeypatch.setattr(plot.shutil, "which", lambda name: None)


def drawn(figure: Any) -> tuple[dict[str, Rect], list[tuple[str, str]], dict[str, Rect]]:
    """Boxes, edges and frames as drawn, read back from the figure's artists."""
    boxes: dict[str, Rect] = {}
    frames: dict[str, Rect] = {}
    edges: list[tuple[str, str]] = []
    for patch in figure.axes[0].patches:
        kind, _, key = patch.get_gid().partition(":")
        if kind == "edge":
            source, target = key.split("->")
            edges.append((source, target))
            continue
        rect = Rect(patch.get_x(), patch.get_y(), patch.get_width(), patch.get_height())
        (boxes if kind == "node" else frames)[key] = rect
    return boxes, edges, frames


def box_texts(figure: Any) -> list[str]:
    return [text.get_text() for text in figure.axes[0].texts]


def keras_graph(model: Any) -> tuple[set[str], set[tuple[str, str]]]:
    """Layer names and connections as Keras's own ``model_to_dot`` sees them."""
    dot = _k.keras().utils.model_to_dot(model, show_shapes=True)
    names = {}
    for node in dot.get_nodes():
        label = node.get("label")
        if isinstance(label, str) and "<b>" in label:
            names[node.get_name().strip('"')] = label.split("<b>")[1].split("</b>")[0]
    edges = {
        (names[edge.get_source().strip('"')], names[edge.get_destination().strip('"')])
        for edge in dot.get_edges()
    }
    return set(names.values()), edges


def keras_connections(model: Any) -> set[tuple[str, str]]:
    """Every (source layer, target layer) pair of the model's nodes, read from Keras."""
    edges = set()
    for layer in model.layers:
        for node in layer._inbound_nodes:
            for tensor in node.arguments.keras_tensors:
                edges.add((tensor._keras_history.operation.name, layer.name))
    return edges


def assert_no_overlaps(boxes: dict[str, Rect]) -> None:
    for (a, first), (b, second) in itertools.combinations(boxes.items(), 2):
        assert not first.overlaps(second), f"{a} overlaps {b}"


# --- the matplotlib engine, Graphviz unavailable ---------------------------------


@pytest.mark.parametrize("name", sorted(ALL_MODELS))
def test_drawn_graph_is_the_models_graph(name: str, no_graphviz: None) -> None:
    model = ALL_MODELS[name]()
    figure = kg.plot_model(model)
    boxes, edges, frames = drawn(figure)
    layers = {layer.name for layer in model.layers}
    if isinstance(model, _k.keras().Sequential):
        layers.add(model.inputs[0]._keras_history.operation.name)
    assert set(boxes) == layers
    assert len(edges) == len(set(edges))
    expected = keras_connections(model._functional if hasattr(model, "_functional") else model)
    assert set(edges) == {(s, t) for s, t in expected if s in layers}
    assert frames == {}
    assert_no_overlaps(boxes)


@pytest.mark.parametrize("name", ["seed_mlp", "multi_input", "shared_layer", "nested", "wide"])
@NEEDS_DOT
def test_drawn_graph_equals_keras_model_to_dot(name: str) -> None:
    model = ALL_MODELS[name]()
    figure = kg.plot_model(model, engine="matplotlib")
    boxes, edges, _ = drawn(figure)
    names, keras_edges = keras_graph(model)
    assert set(boxes) == names
    assert set(edges) == keras_edges


def test_shared_layer_is_one_box_with_all_its_edges(no_graphviz: None) -> None:
    boxes, edges, _ = drawn(kg.plot_model(models.shared_layer()))
    assert list(boxes).count("encoder") == 1
    assert sorted(e for e in edges if "encoder" in e) == [
        ("encoder", "difference"),
        ("left", "encoder"),
        ("right", "encoder"),
    ]


def test_inputs_side_by_side_at_the_top_and_outputs_at_the_bottom(no_graphviz: None) -> None:
    boxes, _, _ = drawn(kg.plot_model(models.multi_input()))
    assert boxes["image"].y == boxes["meta"].y == 0
    assert boxes["image"].right <= boxes["meta"].x or boxes["meta"].right <= boxes["image"].x
    assert all(boxes["score"].y > rect.bottom for key, rect in boxes.items() if key != "score")
    boxes, _, _ = drawn(kg.plot_model(models.multi_output()))
    assert boxes["label"].y == boxes["value"].y > boxes["trunk"].bottom


def test_left_to_right_puts_inputs_on_the_left(no_graphviz: None) -> None:
    boxes, _, _ = drawn(kg.plot_model(models.multi_input(), rankdir="LR"))
    centre = {key: rect.x + rect.width / 2 for key, rect in boxes.items()}
    assert centre["image"] == centre["meta"]
    assert min(boxes["image"].x, boxes["meta"].x) == 0
    assert boxes["merged"].x > boxes["image_features"].right
    assert boxes["score"].x > boxes["merged"].right


def test_nested_model_collapsed_is_one_box(no_graphviz: None) -> None:
    figure = kg.plot_model(models.nested())
    boxes, edges, _frames = drawn(figure)
    assert set(boxes) == {"outer_input", "encoder", "head"}
    assert edges == [("outer_input", "encoder"), ("encoder", "head")]
    assert "encoder (Functional)" in box_texts(figure)


def test_nested_model_expanded_draws_its_layers_in_a_titled_frame(no_graphviz: None) -> None:
    figure = kg.plot_model(models.nested(), expand_nested=True)
    boxes, edges, frames = drawn(figure)
    assert set(boxes) == {"outer_input", "encoder/inner_input", "encoder/inner_dense", "head"}
    assert set(edges) == {
        ("outer_input", "encoder/inner_input"),
        ("encoder/inner_input", "encoder/inner_dense"),
        ("encoder/inner_dense", "head"),
    }
    assert list(frames) == ["encoder"]
    frame = frames["encoder"]
    for key, rect in boxes.items():
        inside = frame.x < rect.x and rect.right < frame.right
        inside = inside and frame.y < rect.y and rect.bottom < frame.bottom
        assert inside == key.startswith("encoder/"), key
    assert "encoder (Functional)" in box_texts(figure)
    assert "inner_dense (Dense)" in box_texts(figure)


def test_two_levels_of_nesting_expanded(no_graphviz: None) -> None:
    figure = kg.plot_model(models.nested_deep(), expand_nested=True)
    boxes, edges, frames = drawn(figure)
    assert set(frames) == {"middle", "middle/core"}
    # The inner frame is drawn over the outer one, and titles over the edges entering them.
    zorder = {patch.get_gid(): patch.get_zorder() for patch in figure.axes[0].patches}
    assert zorder["frame:middle"] < zorder["frame:middle/core"] < zorder["node:outer_norm"]
    titles = {text.get_text(): text.get_zorder() for text in figure.axes[0].texts}
    assert titles["core (Sequential)"] > zorder["edge:outer_input->middle/middle_input"]
    core, middle = frames["middle/core"], frames["middle"]
    assert middle.x < core.x
    assert core.right < middle.right
    assert middle.y < core.y
    assert ("outer_input", "middle/middle_input") in edges
    assert ("middle/middle_input", "middle/core/core_input") in edges
    assert ("middle/core/core_dense", "middle/middle_dense") in edges
    assert ("middle/middle_dense", "outer_norm") in edges
    assert_no_overlaps(boxes)
    for key, rect in boxes.items():
        assert core.overlaps(rect) == key.startswith("middle/core/"), key


def test_box_text_follows_the_options(no_graphviz: None) -> None:
    model = models.seed_mlp()
    texts = box_texts(kg.plot_model(model))
    assert texts[:2] == ["input (InputLayer)", "(None, 10)"]
    assert texts[5:8] == ["hidden_2 (Dense)", "(None, 20)", "220 params"]
    texts = box_texts(
        kg.plot_model(
            model,
            show_shapes=False,
            show_layer_names=False,
            show_params=False,
            show_layer_activations=True,
        )
    )
    assert texts == ["InputLayer"] + ["Dense", "activation: relu"] * 3 + [
        "Dense",
        "activation: sigmoid",
    ]


def test_a_spec_is_drawn_like_the_model_it_builds(no_graphviz: None) -> None:
    spec = kg.load_example("shared_layers")
    from_spec = drawn(kg.plot_model(spec))
    from_model = drawn(kg.plot_model(kg.build(spec)))
    assert from_spec[1] == from_model[1]
    assert from_spec[0].keys() == from_model[0].keys()
    assert drawn(kg.plot_model(str(kerasguide.specs.example_path("mlp"))))[0].keys() == {
        "input",
        "hidden_1",
        "hidden_2",
        "hidden_3",
        "output",
    }


@pytest.mark.slow
def test_resnet50_layout_keeps_boxes_apart_and_edges_out_of_boxes() -> None:
    model = _k.keras().applications.ResNet50(weights=None)
    options = plot.DiagramOptions()
    graph = diagram_graph(model)
    nodes = [_draw.Node(n.key, box_lines(n, options), "white") for n in graph.nodes]
    layout = layered_layout(
        [_draw.box_size(n) for n in nodes], graph.edges, label=_draw.FRAME_LABEL
    )
    assert len(layout.boxes) == len(model.layers) == 177
    assert len(layout.routes) == len(graph.edges)
    rects = sorted(layout.boxes.items(), key=lambda item: item[1].y)
    for i, (a, first) in enumerate(rects):  # sorted by y: only near neighbours can overlap
        for b, second in rects[i + 1 : i + 8]:
            assert not first.overlaps(second), f"{a} overlaps {b}"
    for route in layout.routes:
        # The straight runs are the only parts of an edge inside a band of boxes.
        for start, end in zip(route.points[::2], route.points[1::2], strict=True):
            for key, rect in layout.boxes.items():
                if key in (route.source, route.target):
                    continue
                middle = ((start[0] + end[0]) / 2, (start[1] + end[1]) / 2)
                assert not rect.contains(middle, inset=0.5), (route.source, route.target, key)


def test_routes_start_and_end_on_their_boxes() -> None:
    graph = diagram_graph(models.multi_input())
    nodes = [_draw.Node(n.key, (n.key,), "white") for n in graph.nodes]
    layout = layered_layout([_draw.box_size(n) for n in nodes], graph.edges)
    for route in layout.routes:
        source, target = layout.boxes[route.source], layout.boxes[route.target]
        (x0, y0), (x1, y1) = route.points[0], route.points[-1]
        assert y0 == source.bottom
        assert source.x < x0 < source.right
        assert y1 == target.y
        assert target.x < x1 < target.right


# --- files -----------------------------------------------------------------------


@pytest.mark.parametrize("suffix", [".png", ".svg", ".pdf"])
def test_files_are_written_whole_in_each_format(
    suffix: str, tmp_path: Path, no_graphviz: None
) -> None:
    target = tmp_path / f"mlp{suffix}"
    figure = kg.plot_model(models.seed_mlp(), target)
    data = target.read_bytes()
    assert sorted(p.name for p in tmp_path.iterdir()) == [target.name]
    if suffix == ".png":
        import matplotlib.image

        pixels = matplotlib.image.imread(target)
        width, height = figure.get_size_inches() * figure.dpi
        assert pixels.shape[:2] == (int(height), int(width))
        assert (pixels[..., :3] < 0.5).mean() > 0.01  # dark text and lines, not a blank page
    elif suffix == ".svg":
        text = data.decode()
        assert text.startswith("<?xml")
        assert text.rstrip().endswith("</svg>")
        assert 'id="node:hidden_2"' in text
        assert 'id="edge:hidden_2-&gt;hidden_3"' in text
    else:
        assert data.startswith(b"%PDF")
        assert data.rstrip().endswith(b"%%EOF")


def test_a_failed_drawing_leaves_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "diagram.png"
    target.write_bytes(b"old")

    def broken(*args: Any, **kwargs: Any) -> None:
        Path(args[1] if len(args) > 1 else kwargs["fname"]).write_bytes(b"half")
        raise OSError("disk full")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        kg.plot_model(models.seed_mlp(), target, engine="matplotlib")
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["diagram.png"]


def test_picture_shows_inline_as_png(no_graphviz: None) -> None:
    figure = kg.plot_model(models.seed_sequential())
    assert isinstance(figure, matplotlib.figure.Figure)
    png, size = figure._repr_png_()
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    assert set(size) == {"width", "height"}


@pytest.mark.parametrize("dpi", [50, 100, 200])
def test_inline_picture_is_sharp_and_the_same_size_at_any_dpi(dpi: int) -> None:
    """At least 200 dots per inch, shown at 100 pixels per inch: sharp on a high-density screen."""
    figure = kg.plot_model(models.seed_mlp(), dpi=dpi)
    png, size = figure._repr_png_()
    pixels = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    width, height = figure.get_size_inches() * 100
    assert size == {"width": round(width), "height": round(height)}
    assert pixels[0] >= 2 * size["width"] - 1
    assert pixels[1] >= 2 * size["height"] - 1


def test_default_dpi_is_sharp_on_high_density_screens(tmp_path: Path) -> None:
    figure = kg.plot_model(models.seed_mlp(), tmp_path / "mlp.png")
    assert figure.dpi == 200


def test_users_matplotlib_state_is_left_alone(no_graphviz: None, tmp_path: Path) -> None:
    import matplotlib.pyplot as plt

    before = (matplotlib.get_backend(), dict(matplotlib.rcParams), plt.get_fignums())
    kg.plot_model(models.nested(), tmp_path / "n.png", expand_nested=True)
    after = (matplotlib.get_backend(), dict(matplotlib.rcParams), plt.get_fignums())
    assert after == before


# --- the Graphviz engine -----------------------------------------------------------


def test_explicit_graphviz_without_dot_says_how_to_install_it(no_graphviz: None) -> None:
    with pytest.raises(kg.GraphvizUnavailable) as caught:
        kg.plot_model(models.seed_mlp(), engine="graphviz")
    message = str(caught.value)
    assert message.startswith("plot_model(engine='graphviz'): engine='graphviz' needs pydot")
    assert "received: Graphviz's `dot` program is not on the PATH" in message
    assert "apt-get install graphviz" in message
    assert "engine='matplotlib'" in message
    assert isinstance(caught.value, kg.KerasGuideError)


def test_auto_without_dot_draws_with_matplotlib(no_graphviz: None) -> None:
    assert isinstance(kg.plot_model(models.seed_mlp(), engine="auto"), matplotlib.figure.Figure)


def test_default_engine_is_matplotlib_even_where_graphviz_is_installed() -> None:
    """One diagram style by default: the same spec gives the same picture on every machine."""
    assert isinstance(kg.plot_model(models.seed_mlp()), matplotlib.figure.Figure)


@pytest.mark.graphviz
@NEEDS_DOT
def test_graphviz_drawing_fits_a_notebook_page(tmp_path: Path) -> None:
    image = kg.plot_model(models.seed_mlp(), engine="graphviz", dpi=200)
    pixels = int.from_bytes(image.data[16:20], "big"), int.from_bytes(image.data[20:24], "big")
    assert max(pixels) <= 7 * 200 + 1  # dot's size="7,7": seven inches at most
    assert image.width == round(pixels[0] / 2)  # shown at 100 pixels per inch
    assert max(image.width, round(pixels[1] / 2)) <= 701


@pytest.mark.graphviz
@NEEDS_DOT
def test_auto_with_dot_lets_keras_draw(tmp_path: Path) -> None:
    from IPython.display import Image

    target = tmp_path / "mlp.png"
    image = kg.plot_model(models.seed_mlp(), target, engine="auto")
    assert isinstance(image, Image)
    assert image.data.startswith(b"\x89PNG")
    assert target.read_bytes() == image.data


@pytest.mark.graphviz
@NEEDS_DOT
@pytest.mark.parametrize("suffix", [".svg", ".pdf"])
def test_graphviz_writes_other_formats(suffix: str, tmp_path: Path) -> None:
    target = tmp_path / f"mlp{suffix}"
    kg.plot_model(models.seed_mlp(), target, engine="graphviz")
    data = target.read_bytes()
    assert data.startswith(b"%PDF" if suffix == ".pdf" else b"<?xml")
    if suffix == ".svg":
        assert "hidden_2" in data.decode()
        assert "Params: " in data.decode()


@pytest.mark.graphviz
@NEEDS_DOT
def test_graphviz_labels_gain_parameter_counts() -> None:
    model = models.seed_mlp()
    dot = _k.keras().utils.model_to_dot(model, show_shapes=True)
    plot._add_params(dot, plot._layers_by_id(model))
    labels = [str(node.get("label")) for node in dot.get_nodes()]
    assert sum("Params: <b>220</b>" in label for label in labels) == 1
    assert sum("Params: <b>11</b>" in label for label in labels) == 1


def test_graphviz_missing_names_what_is_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(plot.shutil, "which", lambda name: None)
    assert plot.graphviz_missing() == "Graphviz's `dot` program is not on the PATH"
    monkeypatch.setattr(plot.importlib.util, "find_spec", lambda name: None)
    assert plot.graphviz_missing() == "the Python package pydot is not installed"


def test_dot_detection_matches_the_machine() -> None:
    assert (plot.graphviz_missing() is None) == (
        shutil.which("dot") is not None and plot.importlib.util.find_spec("pydot") is not None
    )


# --- errors ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"engine": "matplotlb"}, r"plot_model\(engine=...\): unknown engine[\s\S]*'matplotlib'"),
        ({"rankdir": "LT"}, r"plot_model\(rankdir=...\): unknown rankdir[\s\S]*received: 'LT'"),
        ({"show_shapes": "yes"}, r"plot_model\(show_shapes=...\): show_shapes must be True or"),
        ({"dpi": 0}, r"plot_model\(dpi=...\): dpi must be[\s\S]*received: 0"),
    ],
)
def test_bad_options_are_named(options: dict[str, Any], message: str) -> None:
    with pytest.raises(kg.OptionError, match=message):
        kg.plot_model(models.seed_mlp(), **options)


def test_engine_typo_gets_a_did_you_mean() -> None:
    with pytest.raises(kg.OptionError, match="did you mean 'matplotlib'"):
        kg.plot_model(models.seed_mlp(), engine="matplotlb")


def test_unknown_extension_and_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(kg.OptionError, match=r"unknown picture format[\s\S]*received: '.jpg'"):
        kg.plot_model(models.seed_mlp(), tmp_path / "m.jpg")
    with pytest.raises(kg.FileError, match=r"folder to write into does not exist[\s\S]*mkdir -p"):
        kg.plot_model(models.seed_mlp(), tmp_path / "missing" / "m.png")
    assert list(tmp_path.iterdir()) == []


def test_unbuilt_model_is_explained() -> None:
    model = _k.keras().Sequential([_k.keras().layers.Dense(2)])
    with pytest.raises(kg.OptionError, match="has not been built yet") as caught:
        kg.plot_model(model, engine="matplotlib")
    assert "keras.Input" in str(caught.value)


def test_a_broken_spec_is_a_spec_error(tmp_path: Path) -> None:
    with pytest.raises(kg.SpecError, match="did you mean 'Dense'"):
        kg.plot_model({"input_shape": [2], "layers": [{"Dence": 2}]})
