"""What each output of a model is trained for: read from its compiled loss and metrics, a
spec's ``task:`` and ``loss:``, or ``lint``'s ``task=`` and ``expect=``.

Private to the hint rules: ``_rules_head`` and ``_rules_data`` compare each output layer
(its activation, its units) and the labels given to ``fit`` with the :class:`Head`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from kerasguide._types import JSONValue, KerasModel

__all__ = ["EXPECT", "TASKS", "Head", "heads", "loss_kind", "loss_name"]

TASKS = ("classification", "binary", "regression")
EXPECT = ("probabilities", "logits")

# Keras's loss identifiers by what they expect of the labels and the outputs.
_KINDS = {
    "categorical_crossentropy": "categorical",
    "categorical_focal_crossentropy": "categorical",
    "sparse_categorical_crossentropy": "sparse",
    "binary_crossentropy": "binary",
    "binary_focal_crossentropy": "binary",
    "mean_squared_error": "regression",
    "mean_absolute_error": "regression",
    "mean_absolute_percentage_error": "regression",
    "mean_squared_logarithmic_error": "regression",
    "huber": "regression",
    "log_cosh": "regression",
}
_ALIASES = {
    "mse": "mean_squared_error",
    "mae": "mean_absolute_error",
    "mape": "mean_absolute_percentage_error",
    "msle": "mean_squared_logarithmic_error",
    "huber_loss": "huber",
    "logcosh": "log_cosh",
}
_TASK_OF = {"categorical": "classification", "sparse": "classification", "binary": "binary"}


@dataclass(frozen=True)
class Head:
    """What one output is trained for.

    Attributes:
        loss: The loss's name as Keras spells it (``"categorical_crossentropy"``), or None.
        kind: ``"categorical"`` (one-hot labels), ``"sparse"`` (integer labels),
            ``"binary"``, ``"regression"``, or None when the loss says nothing of it.
        from_logits: The loss was given ``from_logits=True``.
        task: ``"classification"``, ``"binary"`` or ``"regression"``: stated, or implied
            by the loss.
        metrics: The names of the metrics compiled for it.
        expect: ``"probabilities"`` or ``"logits"`` when the outputs must be one, else None.
        source: How it is known, for messages: ``"the loss 'mse'"``, ``"task: binary"``.
    """

    loss: str | None = None
    kind: str | None = None
    from_logits: bool = False
    task: str | None = None
    metrics: tuple[str, ...] = ()
    expect: str | None = None
    source: str = ""

    @property
    def said(self) -> str:
        """``"the loss 'mse'"``, or how the task is known, for a message to name."""
        return self.source or "the task"


def loss_name(item: object) -> str | None:
    """The canonical name of a loss: a string, a Loss object or a loss function."""
    name = item if isinstance(item, str) else getattr(item, "name", None)
    name = name or getattr(item, "__name__", None)
    if not isinstance(name, str):
        return None
    return _ALIASES.get(name, name)


def loss_kind(name: str | None) -> str | None:
    """``"categorical"``, ``"sparse"``, ``"binary"``, ``"regression"`` or None."""
    return _KINDS.get(name or "")


def _from_logits(item: object) -> bool:
    if isinstance(item, Mapping):
        return item.get("from_logits") is True
    flag = getattr(item, "from_logits", None)
    if flag is None:
        flag = (getattr(item, "_fn_kwargs", None) or {}).get("from_logits")
    return flag is True


def _head(item: object, metrics: tuple[str, ...], source: str) -> Head:
    name = loss_name(item.get("name") if isinstance(item, Mapping) else item)
    kind = loss_kind(name)
    logits = _from_logits(item)
    expect = None
    if kind in ("categorical", "sparse", "binary"):
        expect = "logits" if logits else "probabilities"
    task = _TASK_OF.get(kind or "", "regression" if kind == "regression" else None)
    given = item.get("name") if isinstance(item, Mapping) else item
    shown = given if isinstance(given, str) else name
    said = f"{source} {shown!r}" + (" (from_logits=True)" if logits else "")
    return Head(name, kind, logits, task, metrics, expect, said)


def _per_output(value: object, names: list[str]) -> list[tuple[str, object]]:
    """``value`` (one for all, a list in output order, or a dict by output name) per output."""
    if hasattr(value, "items") and not isinstance(value, str):
        items = dict(value.items())
        return [(name, items.get(name)) for name in names]
    if isinstance(value, (list, tuple)) and len(names) > 1:
        return list(zip(names, value, strict=False))
    return [(name, value) for name in names]


def _metric_names(value: object) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    if hasattr(value, "items"):
        return tuple(n for v in dict(value.items()).values() for n in _metric_names(v))
    if isinstance(value, Iterable):
        return tuple(n for v in value for n in _metric_names(v))
    name = getattr(value, "name", None) or getattr(value, "__name__", None)
    return (name,) if isinstance(name, str) else ()


def _compiled(model: KerasModel) -> tuple[object, object] | None:
    """(the loss, the metrics) a model was compiled with, or None when it was not."""
    loss = getattr(model, "loss", None)
    if not getattr(model, "compiled", False) or loss is None:
        return None
    metrics: object = None
    try:
        metrics = model.get_compile_config().get("metrics")  # type: ignore[attr-defined]
    except Exception:  # a compile config Keras cannot serialise: the metrics stay unknown
        metrics = None
    return loss, metrics


def heads(
    model: KerasModel,
    names: list[str],
    *,
    spec: Mapping[str, JSONValue] | None = None,
    task: str | None = None,
    expect: Mapping[str, str] | None = None,
) -> dict[str, Head]:
    """Each output's :class:`Head`, by output layer name, for the outputs that have one.

    The compiled loss comes first, then the spec's ``loss:``; a task (``task=`` or the
    spec's ``task:``) fills in what no loss says; ``expect`` overrides what the outputs
    should be.
    """
    found: dict[str, Head] = {}
    compiled = _compiled(model)
    spec_loss = (spec or {}).get("loss")
    if compiled is not None:
        metric_lists = dict(_per_output(compiled[1], names))
        for name, item in _per_output(compiled[0], names):
            found[name] = _head(item, _metric_names(metric_lists.get(name)), "the loss")
    elif spec_loss is not None:
        metrics = _metric_names((spec or {}).get("metrics"))
        found = {name: _head(spec_loss, metrics, "the spec's loss:") for name in names}
    stated = task or (spec or {}).get("task")
    for name in names if isinstance(stated, str) else ():
        found[name] = _with_task(found.get(name, Head()), str(stated), task is not None)
    for name, value in (expect or {}).items():
        found[name] = _with_expect(found.get(name, Head()), value)
    return {name: head for name, head in found.items() if head != Head()}


def _with_task(head: Head, task: str, option: bool) -> Head:
    said = f"task={task!r}" if option else f"task: {task}"
    if head.task is not None and head.kind is not None:
        return head
    expect = head.expect or ("probabilities" if task in ("classification", "binary") else None)
    return Head(head.loss, head.kind, head.from_logits, task, head.metrics, expect, said)


def _with_expect(head: Head, expect: str) -> Head:
    said = head.source or f"expect={expect!r}"
    return Head(head.loss, head.kind, head.from_logits, head.task, head.metrics, expect, said)
