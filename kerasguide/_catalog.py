"""What a spec may name: Keras layer classes, their arguments, and the objects
(activations, initializers, regularizers, constraints) passed to them.

Only names are looked up, in fixed Keras namespaces and in the layers that
the user registered with :func:`register_layer`. Nothing named in a spec is
ever imported or executed.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import re
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar, overload

from kerasguide._keras import keras
from kerasguide._suggest import did_you_mean
from kerasguide._values import show
from kerasguide.errors import OptionError, SpecError, SpecTypeError

T = TypeVar("T", bound=type)

# Layers in keras.layers that a spec may not use, and why.
BLOCKED: dict[str, str] = {
    "Lambda": "it runs Python code, and specs never carry code",
    "TFSMLayer": "it loads a SavedModel from disk",
    "TorchModuleWrapper": "it wraps PyTorch code, and specs never carry code",
    "Input": "model inputs are declared with `inputs:` (functional) or `input_shape:` (sequential)",
    "InputLayer": "model inputs are declared with `inputs:` (functional) or "
    "`input_shape:` (sequential)",
}

# Arguments every layer accepts through the base Layer's **kwargs.
_BASE_KWARGS = ("input_shape", "input_dim", "batch_size")

_REGISTERED: dict[str, type] = {}

# Layers that Keras itself ships inside keras.applications (not in keras.layers),
# so that the application models can be described. Fixed module paths: a spec
# only names the class, and nothing else is ever imported.
_APPLICATION_LAYERS = {
    "LayerScale": "keras.src.applications.convnext",
    "StochasticDepth": "keras.src.applications.convnext",
    "CustomScaleLayer": "keras.src.applications.inception_resnet_v2",
}

# The kinds of object a layer argument can name, keyed by the suffix of the argument.
OBJECT_KINDS = ("activation", "initializer", "regularizer", "constraint")


@overload
def register_layer(cls: T, *, name: str | None = None) -> T: ...
@overload
def register_layer(cls: None = None, *, name: str | None = None) -> Callable[[T], T]: ...
def register_layer(cls: T | None = None, *, name: str | None = None) -> T | Callable[[T], T]:
    """Register a custom layer class so that specs can name it.

    Works as a decorator (with or without a ``name``) or as a plain call.

    Args:
        cls: A subclass of ``keras.layers.Layer``.
        name: The name specs use; defaults to the class name.

    Returns:
        The class itself, so the decorator leaves it unchanged.

    Raises:
        OptionError: ``cls`` is not a Keras layer class, or the name is taken
            by a built-in Keras layer.

    Example:
        >>> @register_layer
        ... class Scale(keras.layers.Layer):  # doctest: +SKIP
        ...     def __init__(self, factor=2.0, **kwargs):
        ...         super().__init__(**kwargs)
        ...         self.factor = factor
    """

    def decorate(target: T) -> T:
        if not (inspect.isclass(target) and issubclass(target, keras().layers.Layer)):
            raise OptionError(
                "register_layer needs a Keras layer class",
                where="register_layer",
                expected="a subclass of keras.layers.Layer",
                received=repr(target),
            )
        key = name or target.__name__
        if not isinstance(key, str) or not re.match(r"^[A-Z][A-Za-z0-9_]*$", key):
            raise OptionError(
                "a registered layer name must be a class-style name",
                where="register_layer(name=...)",
                expected="a string starting with a capital letter, e.g. 'Scale' or 'MyDense'",
                received=show(key),
                hint="specs name layer types like classes: `- {Scale: 2.0}`",
            )
        if key in _keras_layers():
            raise OptionError(
                f"the name {key!r} is already a built-in Keras layer",
                where="register_layer",
                expected="a name that is not in keras.layers",
                received=repr(key),
                hint="pass name='My" + key + "' to register it under another name",
            )
        _REGISTERED[key] = target
        return target

    return decorate(cls) if cls is not None else decorate


@functools.cache
def _keras_layers() -> dict[str, type]:
    layers = keras().layers
    base = layers.Layer
    found: dict[str, type] = {}
    for attr in dir(layers):
        value = getattr(layers, attr)
        if inspect.isclass(value) and issubclass(value, base) and attr[0].isupper():
            found[attr] = value
    for attr, module in _APPLICATION_LAYERS.items():
        value = getattr(importlib.import_module(module), attr, None)
        if inspect.isclass(value) and issubclass(value, base) and attr not in found:
            found[attr] = value
    return found


def layer_classes() -> dict[str, type]:
    """Every layer name a spec may use (Keras's and registered ones), blocked ones excluded."""
    merged = {k: v for k, v in _keras_layers().items() if k not in BLOCKED}
    merged.update(_REGISTERED)
    return merged


def type_name(cls: type) -> str:
    """The name a spec uses for a layer class (a registered name where there is one)."""
    for key, value in _REGISTERED.items():
        if value is cls:
            return key
    return cls.__name__


def resolve_layer(name: object, where: str) -> type:
    """The layer class a spec names, or a SpecError with a did-you-mean."""
    if not isinstance(name, str) or not name:
        raise SpecTypeError(
            "a layer type must be a class name",
            where=where,
            expected="a name such as 'Dense' or 'Conv2D'",
            received=show(name),
        )
    known = layer_classes()
    if name in known:
        return known[name]
    if name in BLOCKED:
        raise SpecError(
            f"{name} cannot be used in a spec",
            where=where,
            expected="a layer class from keras.layers or one registered with register_layer",
            received=repr(name),
            hint=f"{name} is not allowed because {BLOCKED[name]}",
        )
    if name in ("Model", "Sequential", "Functional"):
        hint = "write a nested model as an entry `model: {...}` holding its own spec"
    else:
        hint = did_you_mean(name, known) or (
            "see the classes in keras.layers, or register your own with kerasguide.register_layer"
        )
    raise SpecError(
        f"unknown layer type {name!r}",
        where=where,
        expected="a layer class from keras.layers or one registered with register_layer",
        received=repr(name),
        hint=hint,
    )


@functools.cache
def parameters(cls: type) -> tuple[dict[str, inspect.Parameter], tuple[str, ...]]:
    """A layer constructor's accepted keyword arguments, and the required ones in order."""
    accepted: dict[str, inspect.Parameter] = {}
    required: list[str] = []
    layer_base = keras().layers.Layer
    for klass in cls.__mro__:
        if "__init__" not in vars(klass):
            continue
        for index, param in enumerate(
            inspect.signature(vars(klass)["__init__"]).parameters.values()
        ):
            if index == 0 or param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
                continue
            accepted.setdefault(param.name, param)
            if klass is cls and param.default is param.empty:
                required.append(param.name)
        if klass is layer_base:
            break
    for extra in _BASE_KWARGS:
        accepted.setdefault(extra, inspect.Parameter(extra, inspect.Parameter.KEYWORD_ONLY))
    return accepted, tuple(required)


def first_parameter(cls: type) -> str | None:
    """The constructor's first positional argument (``units`` for Dense)."""
    for param in inspect.signature(cls).parameters.values():
        if param.kind in (param.POSITIONAL_ONLY, param.POSITIONAL_OR_KEYWORD):
            return param.name
    return None


def object_kind(arg: str) -> str | None:
    """Which kind of Keras object an argument names, from its name (``kernel_initializer``)."""
    for kind in OBJECT_KINDS:
        if arg == kind or arg.endswith("_" + kind):
            return kind
    return None


_MODULES: dict[str, Callable[[], ModuleType]] = {
    "activation": lambda: keras().activations,
    "initializer": lambda: keras().initializers,
    "regularizer": lambda: keras().regularizers,
    "constraint": lambda: keras().constraints,
}


@functools.cache
def object_names(kind: str) -> tuple[tuple[str, ...], dict[str, type]]:
    """(the string names, the classes) Keras offers for one kind of object."""
    module = _MODULES[kind]()
    names: list[str] = []
    classes: dict[str, type] = {}
    for attr in dir(module):
        if attr.startswith("_") or attr in ("get", "serialize", "deserialize"):
            continue
        value = getattr(module, attr)
        if attr[0].islower() and callable(value):
            names.append(attr)  # a function, or a snake_case alias of a class
        elif inspect.isclass(value) and attr not in ("Initializer", "Regularizer", "Constraint"):
            classes[attr] = value
    return tuple(sorted(names)), classes


def check_object(kind: str, value: object, where: str) -> object:
    """Validate an activation/initializer/regularizer/constraint; return its normal form.

    Accepted: ``None``, a name (``"relu"``, ``"he_normal"``), or a mapping
    ``{type: ClassName, **arguments}`` (Keras's own ``{class_name, config}`` is
    read too, but its ``module`` is never imported).
    """
    if value is None:
        return None
    names, classes = object_names(kind)
    if isinstance(value, str):
        if (value in names or (kind != "activation" and value in classes)) and buildable(
            kind, value
        ):
            return value
        if value in names or value in classes:
            cls = classes.get(value) or next(
                (c for n, c in classes.items() if snake_case(n) == value), None
            )
            cls_name = cls.__name__ if cls is not None else value
            raise SpecError(
                f"the {kind} {value!r} needs arguments",
                where=where,
                expected=f"a mapping with its arguments, e.g. {{type: {cls_name}, ...}}",
                received=repr(value),
                hint=f"see help(keras.{kind}s.{cls_name}) for its arguments",
            )
        raise SpecError(
            f"unknown {kind} {value!r}",
            where=where,
            expected=f"one of the {kind}s Keras offers, e.g. " + _examples(kind),
            received=repr(value),
            hint=did_you_mean(value, [*names, *classes]) or _examples_hint(kind),
        )
    if isinstance(value, dict) and kind != "activation":
        return _check_object_mapping(kind, value, classes, where)
    raise SpecTypeError(
        f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} must be written as a name"
        + ("" if kind == "activation" else " or a mapping {type: ..., arguments}"),
        where=where,
        expected="a string such as " + _examples(kind),
        received=show(value),
    )


def _check_object_mapping(
    kind: str, value: dict[str, Any], classes: dict[str, type], where: str
) -> dict[str, Any]:
    if "class_name" in value:  # Keras's serialised form
        args = dict(value.get("config") or {})
        type_ = value["class_name"]
    else:
        args = {k: v for k, v in value.items() if k != "type"}
        type_ = value.get("type")
    if type_ not in classes:
        raise SpecError(
            f"unknown {kind} class {type_!r}",
            where=f"{where}.type",
            expected=f"a class name from keras.{kind}s: " + ", ".join(sorted(classes)),
            received=show(type_),
            hint=did_you_mean(str(type_), classes) if isinstance(type_, str) else None,
        )
    accepted = inspect.signature(classes[type_]).parameters
    for arg in args:
        if arg not in accepted:
            raise SpecError(
                f"{type_} has no argument {arg!r}",
                where=f"{where}.{arg}",
                expected="one of " + ", ".join(accepted),
                received=repr(arg),
                hint=did_you_mean(arg, accepted),
            )
    return {"type": type_, **args}


@functools.cache
def buildable(kind: str, name: str) -> bool:
    """True when Keras can make the object from its name alone (``'constant'`` cannot)."""
    try:
        _MODULES[kind]().get(name)
    except Exception:
        return False
    return True


def make_object(kind: str, value: object) -> object:
    """Turn a checked normal-form value into what the Keras constructor takes."""
    if isinstance(value, dict):
        _, classes = object_names(kind)
        args = {k: v for k, v in value.items() if k != "type"}
        return classes[value["type"]](**args)
    return value


def _examples(kind: str) -> str:
    return {
        "activation": "'relu', 'sigmoid', 'softmax' or 'tanh'",
        "initializer": "'glorot_uniform', 'he_normal' or 'zeros'",
        "regularizer": "'l2' or {type: L2, l2: 0.01}",
        "constraint": "'max_norm' or {type: MaxNorm, max_value: 2}",
    }[kind]


def _examples_hint(kind: str) -> str:
    return f"use one of the names in keras.{kind}s, e.g. {_examples(kind)}"


def snake_case(name: str) -> str:
    """Keras's way of naming a layer after its class: ``MaxPooling2D`` → ``max_pooling2d``."""
    name = re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)
    return re.sub(r"([a-z])([A-Z])", r"\1_\2", name).lower()
