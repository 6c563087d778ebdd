"""The cell that takes a student's models out of their kernel, and what it reports.

Private to :mod:`kerasguide.grading`. The grader appends this cell to every
notebook: for each exercise it finds the model (the first of ``variable:``'s
names that is set, or ``call:``'s function called), saves it under a name
chosen per run, and prints one line of JSON after a mark and the run's token.
"""

from __future__ import annotations

import contextlib
import json
from typing import TYPE_CHECKING

from kerasguide.grading._assignment import Exercise

if TYPE_CHECKING:
    from nbformat import NotebookNode

__all__ = ["MARK", "report", "save_cell"]

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
        if '"builtins"' in config:
            try:
                import kerasguide
                with open(spec, 'w') as handle:
                    handle.write(kerasguide.to_spec(value).to_yaml())
            except Exception as err:
                report[name] = 'saved; no spec: ' + str(err)[:600]
    print(mark, token, json.dumps(report))
"""


def save_cell(exercises: tuple[Exercise, ...], token: str) -> str:
    wanted = [
        (e.name, list(e.variable), e.call, f"{token}-{i}.keras", f"{token}-{i}.yaml")
        for i, e in enumerate(exercises)
    ]
    return f"{_SAVE}_kerasguide_save({wanted!r}, {token!r}, {MARK!r})\ndel _kerasguide_save\n"


def report(nb: NotebookNode, token: str) -> dict[str, str] | None:
    outputs = nb.cells[-1].get("outputs", []) if nb.cells else []
    for output in outputs:
        for line in str(output.get("text", "")).splitlines():
            if line.startswith(f"{MARK} {token} "):
                with contextlib.suppress(ValueError):
                    found = json.loads(line.split(" ", 2)[2])
                    return found if isinstance(found, dict) else None
    return None
