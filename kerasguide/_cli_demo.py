"""``make demo``: the seed tutorial's models, built from the specs shipped in the package."""

from __future__ import annotations

from pathlib import Path

from kerasguide import _files
from kerasguide.specs import list_examples, load_example


def run_demo(out: str) -> int:
    """Build every example; print summaries; write specs, summaries, code and diagrams."""
    from kerasguide.build import build
    from kerasguide.codegen import to_code
    from kerasguide.explain import explain
    from kerasguide.plot import plot_model
    from kerasguide.summary import summarize

    folder = _files.make_folder(Path(out))
    for name in list_examples():
        spec = load_example(name)
        model = build(spec)
        summary = summarize(model)
        print(f"== {name}: {spec.kind} spec, {model.count_params()} parameters ==")
        print(summary)
        print(explain(model))
        print()
        _files.write_text(folder / f"{name}.yaml", spec.to_yaml())
        _files.write_text(folder / f"{name}.txt", f"{summary}\n\n{explain(model)}\n")
        _files.write_text(folder / f"{name}.py", to_code(spec))
        plot_model(model, folder / f"{name}.png", engine="matplotlib")
    print(
        f"wrote specs, summaries, code and diagrams of {len(list_examples())} models to {folder}/"
    )
    return 0
