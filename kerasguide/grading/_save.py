"""The cell that takes a student's models out of their kernel, and what it reports.

Private to :mod:`kerasguide.grading`. The grader appends this cell to every
notebook: for each exercise it finds the model (the first of ``variable:``'s
names that is set, or ``call:``'s function called), saves it under a name
chosen per run, and prints one line of JSON after a mark and the run's token.
"""

from __future__ import annotations

import contextlib
import inspect
import json
from typing import TYPE_CHECKING

from kerasguide.grading._assignment import Exercise

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["MARK", "report", "save_cell", "unloadable_layer"]

MARK = "KERASGUIDE-GRADE"


# The last cell: each exercise's model saved under a name chosen per run, and a report.
# A model whose config holds a function Keras cannot load again (activation=tf.nn.softmax)
# is also written as a spec, which the grader reads with load_spec's limits.
_SAVE = """\
def _kerasguide_save(wanted, token, mark):
    import json, sys
    keras = sys.modules.get('keras')
    scope = globals()
    report = {}
    def models():
        return sorted(k for k, v in scope.items()
                      if keras and not k.startswith('_') and isinstance(v, keras.Model))
    def find(variables, call):
        if call is not None:
            if not callable(scope.get(call)):
                return None, 'missing: the notebook defines no function ' + repr(call)
            try:
                return scope[call](), None
            except Exception as err:
                return None, f'missing: {call}() raised {type(err).__name__}: {str(err)[:200]}'
        found = [v for v in variables if v in scope]
        if not found:
            return None, 'missing: the notebook defines no variable ' + ' or '.join(
                map(repr, variables))
        chosen = next((v for v in found if keras and isinstance(scope[v], keras.Model)), found[0])
        return scope[chosen], None
    for name, variables, call, file, spec in wanted:
        if not variables and call is None:
            continue
        value, why = find(variables, call)
        if why is None and (keras is None or not isinstance(value, keras.Model)):
            why = f'not-a-model: it is a {type(value).__name__}, not a Keras model'
        if why is not None:
            if why.startswith('missing') and models():
                why += '; the Keras models it defines: ' + ', '.join(models()[:10])
            report[name] = why
            continue
        try:
            value.save(file)
            report[name] = 'saved'
        except Exception as err:
            report[name] = f'unsaved: {type(err).__name__}: {str(err)[:300]}'
            continue
        try:
            config = json.dumps(value.get_config(), default=str)
        except Exception:
            config = ''
        why = None if '"builtins"' in config else ''
        if why is None:
            try:
                import kerasguide
                with open(spec, 'w') as handle:
                    handle.write(kerasguide.to_spec(value).to_yaml())
            except Exception as err:
                why = str(err)[:600]
        if why is not None:  # no spec: why Keras may not load the file again, if it does not
            try:
                why = _kerasguide_unloadable(value) or why
            except Exception:
                pass
            if why:
                report[name] = 'saved; no spec: ' + why
    print(mark, token, json.dumps(report))
"""


def unloadable_layer(model: object) -> str:
    """What in ``model`` Keras will not load again from its ``.keras`` file, or ``''``.

    The first layer that is a class the notebook defines, a ``Lambda`` layer, or whose
    config holds a Python function (a ``lambda`` or a ``def`` outside Keras, e.g. as its
    activation), named as in ``model.summary()`` and said with what to change. It runs in
    the student's kernel (the save cell holds its source), so it imports nothing of
    kerasguide's; it reads attributes only, so a model whose parts raise is passed over.
    """
    import types

    def keras_own(kind: type) -> bool:
        return kind.__module__.split(".")[0] == "keras"

    def layers(parent: object) -> list[object]:
        found = []
        for layer in getattr(parent, "layers", None) or []:
            found += [layer, *layers(layer)]
        return found

    if not keras_own(type(model)):
        return (
            f"the model is a class the notebook defines ({type(model).__name__}), whose code "
            "the file does not hold — build it with keras.Sequential or keras.Model"
        )
    for layer in layers(model):
        kind = type(layer)
        what = f"layer {getattr(layer, 'name', '?')!r} ({kind.__name__})"
        if not keras_own(kind):
            return (
                f"{what} is a class the notebook defines, whose code the file does not hold — "
                "use Keras's built-in layers"
            )
        if kind.__name__ == "Lambda":
            return (
                f"{what} runs Python code, which Keras does not load safely — use built-in "
                "layers instead (e.g. layers.Rescaling, layers.Activation('relu'))"
            )
        try:
            keys = list(layer.get_config())  # type: ignore[attr-defined]
        except Exception:  # a lambda's source may be out of reach: the layer's own attributes
            keys = [key for key in vars(layer) if not key.startswith("_")]
        for key in keys:
            value = getattr(layer, key, None)
            function_type = (types.FunctionType, types.BuiltinFunctionType)
            module = str(getattr(value, "__module__", ""))
            if isinstance(value, function_type) and module.split(".")[0] != "keras":
                function = "lambda" if value.__name__ == "<lambda>" else value.__name__
                instead = (
                    "a built-in activation such as 'relu'"
                    if key == "activation"
                    else f"one of Keras's built-in {key} values"
                )
                return f"{what} uses a Python function ({function}) as its {key} — use {instead}"
    return ""


_UNLOADABLE = inspect.getsource(unloadable_layer).replace(
    "def unloadable_layer(", "def _kerasguide_unloadable(", 1
)


def save_cell(exercises: tuple[Exercise, ...], token: str) -> str:
    wanted = [
        (e.name, list(e.variable), e.call, f"{token}-{i}.keras", f"{token}-{i}.yaml")
        for i, e in enumerate(exercises)
    ]
    return (
        f"{_UNLOADABLE}\n{_SAVE}_kerasguide_save({wanted!r}, {token!r}, {MARK!r})\n"
        "del _kerasguide_save, _kerasguide_unloadable\n"
    )


def report(nb: NotebookNode, token: str) -> dict[str, str] | None:
    outputs = nb.cells[-1].get("outputs", []) if nb.cells else []
    for output in outputs:
        for line in str(output.get("text", "")).splitlines():
            if line.startswith(f"{MARK} {token} "):
                with contextlib.suppress(ValueError):
                    found = json.loads(line.split(" ", 2)[2])
                    return found if isinstance(found, dict) else None
    return None
