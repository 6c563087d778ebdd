"""What a spec says of training: ``task:``, and ``loss:`` (with ``metrics:`` and
``optimizer:``), which make ``build`` compile the model.

::

    task: classification          # or binary, regression: what lint checks the head against
    loss: sparse_categorical_crossentropy   # or {name: categorical_crossentropy,
                                            #     from_logits: true}
    metrics: [accuracy]
    optimizer: adam               # the default

Only a model's top-level spec may say these. ``_normalize`` checks them here, ``build``
compiles with :func:`compile_model`, and ``to_code`` writes :func:`code_lines`.
"""

from __future__ import annotations

import json
from typing import Any

from kerasguide._heads import TASKS
from kerasguide._suggest import did_you_mean
from kerasguide._types import KerasModel
from kerasguide._values import at, show
from kerasguide.errors import SpecError, SpecTypeError

__all__ = ["TRAINING_KEYS", "code_lines", "compile_model", "normalize_training"]

TRAINING_KEYS = ("task", "loss", "metrics", "optimizer")
_COMPILE_KEYS = ("loss", "metrics", "optimizer")
_SPECIAL_METRICS = ("accuracy", "acc")


def normalize_training(data: dict[str, Any], path: str) -> dict[str, Any]:
    """The checked training keys of a spec, in their normal form (absent ones left out)."""
    given = {key: data[key] for key in TRAINING_KEYS if data.get(key) is not None}
    if given and path:
        key = next(iter(given))
        raise SpecError(
            f"only the top-level spec may give `{key}:`",
            where=at(path, key),
            expected="training keys (task, loss, metrics, optimizer) at the top of the spec",
            received=f"{key}: {given[key]!r} in a nested model",
            hint=f"move `{key}:` to the top-level spec",
        )
    if "loss" not in given and ("metrics" in given or "optimizer" in given):
        key = "metrics" if "metrics" in given else "optimizer"
        raise SpecError(
            f"`{key}:` compiles the model, which needs a loss",
            where=key,
            expected="`loss:` beside it, e.g. loss: sparse_categorical_crossentropy",
            received=f"{key}: {given[key]!r} without loss:",
            hint="add `loss:`, or remove `" + key + ":`",
        )
    out: dict[str, Any] = {}
    if "task" in given:
        out["task"] = _task(given["task"])
    if "loss" in given:
        out["loss"] = _loss(given["loss"])
    if "metrics" in given:
        out["metrics"] = _metrics(given["metrics"])
    if "optimizer" in given:
        out["optimizer"] = _identifier("optimizer", given["optimizer"], "optimizers")
    return out


def _task(value: object) -> str:
    if value not in TASKS:
        raise SpecError(
            "unknown task",
            where="task",
            expected="one of " + ", ".join(TASKS),
            received=show(value),
            hint=did_you_mean(str(value), TASKS) or "classification: one class per example",
        )
    return str(value)


def _identifier(where: str, value: object, module: str) -> str:
    """A name that ``keras.<module>.get`` knows: a loss, a metric or an optimizer."""
    from kerasguide._keras import keras

    what = _WHAT[module]
    if not isinstance(value, str):
        raise SpecTypeError(
            f"a {what} is named by a string",
            where=where,
            expected=f"a Keras {what} name, e.g. {_EXAMPLES[module]!r}",
            received=show(value),
        )
    try:
        getattr(keras(), module).get(value)
    except (ValueError, TypeError):
        raise SpecError(
            f"unknown {what} {value!r}",
            where=where,
            expected=f"a name that keras.{module}.get() knows, e.g. {_EXAMPLES[module]!r}",
            received=repr(value),
            hint=did_you_mean(value, _KNOWN[module]),
        ) from None
    return value


_WHAT = {"losses": "loss", "metrics": "metric", "optimizers": "optimizer"}
_EXAMPLES = {
    "losses": "sparse_categorical_crossentropy",
    "metrics": "accuracy",
    "optimizers": "adam",
}
_KNOWN = {
    "losses": (
        "categorical_crossentropy",
        "sparse_categorical_crossentropy",
        "binary_crossentropy",
        "mean_squared_error",
        "mean_absolute_error",
        "mse",
        "mae",
        "huber",
    ),
    "metrics": ("accuracy", "mae", "mse", "auc", "precision", "recall"),
    "optimizers": ("adam", "sgd", "rmsprop", "adamw", "adagrad", "nadam"),
}


_WITH_LOGITS = (
    "categorical_crossentropy",
    "sparse_categorical_crossentropy",
    "binary_crossentropy",
    "categorical_focal_crossentropy",
    "binary_focal_crossentropy",
)


def _loss(value: object) -> str | dict[str, Any]:
    if not isinstance(value, dict):
        return _identifier("loss", value, "losses")
    unknown = set(value) - {"name", "from_logits"}
    if unknown or "name" not in value or not isinstance(value.get("from_logits", False), bool):
        raise SpecTypeError(
            "a loss with options is a mapping of its name and from_logits",
            where="loss",
            expected="e.g. {name: categorical_crossentropy, from_logits: true}",
            received=show(value),
        )
    if value["name"] not in _WITH_LOGITS:
        raise SpecError(
            f"{value['name']!r} takes no from_logits",
            where="loss.name",
            expected="one of " + ", ".join(_WITH_LOGITS),
            received=show(value["name"]),
            hint=did_you_mean(str(value["name"]), _WITH_LOGITS),
        )
    return {"name": value["name"], "from_logits": value.get("from_logits", False)}


def _class_name(name: str) -> str:
    """``CategoricalCrossentropy`` for ``categorical_crossentropy``."""
    return "".join(part.capitalize() for part in name.split("_"))


def _metrics(value: object) -> list[str]:
    items = value if isinstance(value, list) else [value]
    return [
        item if item in _SPECIAL_METRICS else _identifier(f"metrics[{i}]", item, "metrics")
        for i, item in enumerate(items)
    ]


def _loss_object(loss: str | dict[str, Any]) -> object:
    """What ``model.compile(loss=...)`` is given for a spec's ``loss:``."""
    from kerasguide._keras import keras

    if isinstance(loss, str):
        return loss
    return getattr(keras().losses, _class_name(loss["name"]))(from_logits=loss["from_logits"])


def compile_model(model: KerasModel, data: dict[str, Any]) -> KerasModel:
    """``model``, compiled when the spec gives a loss; returned as it is otherwise."""
    if "loss" in data:
        model.compile(
            optimizer=data.get("optimizer", "adam"),
            loss=_loss_object(data["loss"]),
            metrics=data.get("metrics"),
        )
    return model


def code_lines(data: dict[str, Any]) -> list[str]:
    """The ``model.compile(...)`` call that ``to_code`` writes for a spec's ``loss:``."""
    if "loss" not in data:
        return []
    loss = data["loss"]
    if isinstance(loss, dict):
        text = f"keras.losses.{_class_name(loss['name'])}(from_logits={loss['from_logits']})"
    else:
        text = json.dumps(loss)
    args = [f"optimizer={json.dumps(data.get('optimizer', 'adam'))}", f"loss={text}"]
    if data.get("metrics"):
        args.append(f"metrics={json.dumps(data['metrics'])}")
    return ["model.compile(", *(f"    {arg}," for arg in args), ")"]
