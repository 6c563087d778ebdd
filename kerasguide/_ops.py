"""The Keras operations a functional spec may use between tensors.

An operation entry names a function of ``keras.ops`` from a fixed allow-list:
``{op: add, inputs: [a, b]}``, ``{op: mean, inputs: x, axis: 1}``. Nothing is
looked up outside this list and no code runs: the function is called with
tensors from ``inputs`` and constants (numbers, strings, lists) from the entry.

The tensors fill the function's parameters that the entry does not name, in
the order of its signature. Functions whose first parameter takes a list of
tensors (``concatenate``, ``stack``) take the whole ``inputs`` list there.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any

from kerasguide._keras import keras
from kerasguide._shapes import format_shapes
from kerasguide._suggest import did_you_mean
from kerasguide._types import KerasTensor
from kerasguide._values import at, show
from kerasguide.errors import BuildError, SpecError, SpecTypeError, first_line

ALLOWED = (
    # arithmetic, as `+ - * /` and friends write them
    "add",
    "subtract",
    "multiply",
    "divide",
    "true_divide",
    "floor_divide",
    "power",
    "mod",
    "negative",
    "abs",
    "absolute",
    "square",
    "sqrt",
    "exp",
    "log",
    "log1p",
    "sign",
    "maximum",
    "minimum",
    "clip",
    "floor",
    "ceil",
    "round",
    "reciprocal",
    "rsqrt",
    # activations as functions
    "relu",
    "relu6",
    "sigmoid",
    "hard_sigmoid",
    "hard_silu",
    "hard_swish",
    "silu",
    "swish",
    "gelu",
    "elu",
    "selu",
    "softplus",
    "softsign",
    "leaky_relu",
    "tanh",
    "softmax",
    "log_softmax",
    "normalize",
    # reductions
    "mean",
    "sum",
    "max",
    "min",
    "prod",
    "std",
    "var",
    "argmax",
    "argmin",
    "logsumexp",
    "amax",
    "amin",
    # shapes and joins
    "reshape",
    "transpose",
    "expand_dims",
    "squeeze",
    "concatenate",
    "stack",
    "flip",
    "tile",
    "repeat",
    "moveaxis",
    "swapaxes",
    "cast",
    "matmul",
    "dot",
    "outer",
    # comparisons and logic
    "equal",
    "not_equal",
    "greater",
    "greater_equal",
    "less",
    "less_equal",
    "logical_and",
    "logical_or",
    "logical_not",
    "where",
)

# Operations whose first parameter is a list of tensors.
LIST_FIRST = frozenset({"concatenate", "stack", "hstack", "vstack"})


@functools.cache
def available() -> tuple[str, ...]:
    """The allowed operations that the installed Keras has."""
    ops = keras().ops
    return tuple(name for name in ALLOWED if callable(getattr(ops, name, None)))


def resolve(name: object, where: str) -> Callable[..., KerasTensor]:
    """The ``keras.ops`` function an entry names, from the allow-list only."""
    if not isinstance(name, str):
        raise SpecTypeError(
            "an operation must be named by a string",
            where=where,
            expected="the name of a function in keras.ops, e.g. 'add' or 'mean'",
            received=show(name),
        )
    if name not in available():
        raise SpecError(
            f"unknown or unsupported operation {name!r}",
            where=where,
            expected=f"one of the {len(available())} keras.ops functions a spec may use "
            "(the guide's page on specs lists them)",
            received=repr(name),
            hint=did_you_mean(name, available())
            or "use a layer instead (e.g. `Add`, `Concatenate`); the allowed operations are "
            + ", ".join(available()),
        )
    function: Callable[..., KerasTensor] = getattr(keras().ops, name)
    return function


@functools.cache
def parameters(name: str) -> tuple[inspect.Parameter, ...]:
    """The parameters of an allowed operation, in signature order."""
    function = getattr(keras().ops, name)
    return tuple(
        p
        for p in inspect.signature(function).parameters.values()
        if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
    )


def tensor_slots(name: str, given: set[str], count: int, where: str) -> list[str]:
    """The parameters that ``count`` tensors fill, given the names set as constants."""
    params = parameters(name)
    if name in LIST_FIRST:
        if params[0].name in given:
            raise SpecError(
                f"{name} takes its tensors from `inputs`",
                where=at(where, params[0].name),
                expected=f"the tensors as `inputs: [a, b]`, not as `{params[0].name}:`",
                received=f"{params[0].name}: ...",
                hint=f"remove `{params[0].name}:` and list the tensors under `inputs:`",
            )
        return [params[0].name]
    free = [p for p in params if p.name not in given]
    if count > len(free):
        raise SpecError(
            f"too many inputs for {name}",
            where=at(where, "inputs"),
            expected=f"at most {len(free)} tensor(s) for the parameters "
            + ", ".join(p.name for p in free),
            received=f"{count} inputs",
            hint=f"see help(keras.ops.{name}) for its parameters",
        )
    slots = [p.name for p in free[:count]]
    missing = [p.name for p in free[count:] if p.default is p.empty]
    if missing:
        raise SpecError(
            f"{name} needs a value for {missing[0]!r}",
            where=where,
            expected=f"a tensor in `inputs:` or a constant `{missing[0]}: ...`",
            received=f"{count} input(s) and no {missing[0]!r}",
            hint=f"add another name to `inputs:`, or `{missing[0]}: <number>`",
        )
    return slots


def check_argument(name: str, key: object, where: str) -> None:
    """Refuse a key that is not a parameter of the operation, with a did-you-mean."""
    known = [p.name for p in parameters(name)]
    if key not in known:
        raise SpecError(
            f"keras.ops.{name} has no argument {key!r}",
            where=at(where, str(key)),
            expected=f"one of {name}'s arguments: " + ", ".join(known) + ", or name, inputs",
            received=repr(key),
            hint=did_you_mean(str(key), [*known, "name", "inputs"])
            or f"see help(keras.ops.{name})",
        )


def check_constant(value: object, where: str) -> object:
    """A constant argument: plain data only (numbers, strings, true/false, null, lists)."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, list):
        return [check_constant(item, f"{where}[{i}]") for i, item in enumerate(value)]
    raise SpecTypeError(
        "an operation's argument must be a constant",
        where=where,
        expected="a number, a string, true/false, null or a list of them",
        received=show(value),
        hint="tensors go under `inputs:`",
    )


def call(name: str, values: dict[str, object]) -> KerasTensor:
    """Call an allowed operation with tensors and constants by parameter name."""
    args: list[object] = []
    kwargs: dict[str, object] = {}
    positional = True
    for param in parameters(name):
        if param.name not in values:
            positional = False
            continue
        value = values[param.name]
        if positional and param.kind is not param.KEYWORD_ONLY:
            args.append(value)
        else:
            kwargs[param.name] = value
    out: KerasTensor = getattr(keras().ops, name)(*args, **kwargs)
    return out


# Arguments that are shapes: a tuple, as Keras 3.4 and later store them whichever was given
# (3.3 keeps a list as a list, and `to_code` writes a tuple).
SHAPE_ARGUMENTS = frozenset({"newshape", "shape"})


def tuples(key: str, value: Any) -> Any:
    """Nested lists as tuples where Keras wants pairs, e.g. padding ((0, 1), (0, 1)).

    A shape (``newshape`` of ``reshape``) is a tuple too.
    """
    if isinstance(value, list) and value and all(isinstance(v, list) for v in value):
        return tuple(tuple(v) for v in value)
    if key in SHAPE_ARGUMENTS and isinstance(value, list):
        return tuple(value)
    return value


def apply(entry: dict[str, Any], args: list[Any], where: str, refs: list[str]) -> Any:
    """Call an allowed keras.ops function and give its operation the entry's name."""
    op = entry["op"]
    given = {k: v for k, v in entry.items() if k not in ("op", "name", "inputs")}
    slots = tensor_slots(op, set(given), len(args), where)
    values: dict[str, object] = (
        {slots[0]: args} if op in LIST_FIRST else dict(zip(slots, args, strict=True))
    )
    values.update({k: tuples(k, v) for k, v in given.items()})
    try:
        out = call(op, values)
    except Exception as err:
        shapes = ", ".join(
            f"{format_shapes((tuple(t.shape),))} from {r!r}"
            for t, r in zip(args, refs, strict=False)
        )
        raise BuildError(
            f"Keras could not apply keras.ops.{op} {entry['name']!r}",
            where=where,
            expected=f"inputs and arguments that keras.ops.{op} accepts",
            received="inputs of shape " + shapes,
            hint=f"Keras says: {first_line(err).rstrip('.')}",
        ) from err
    out._keras_history.operation.name = entry["name"]
    return out
