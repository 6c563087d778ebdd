"""Specs as plain Keras code: the same model, written the way a student writes it.

``to_code(spec)`` walks the spectrum from a declarative spec to the Keras code
it stands for: ``keras.Input`` first, one layer per line with its arguments,
wiring with the call notation, shared layers assigned to a variable once and
called twice, nested models built by their own function, and
``model = keras.Model(inputs=..., outputs=..., name=...)`` at the end. A
wrapper's layer (``TimeDistributed``, ``Bidirectional``, an RNN's cells) is
written inline as its own constructor call; an operation entry becomes a
``keras.ops`` call, or ``a + b`` for the operators Keras tensors overload (see
``_codegen_ops``). The output is formatted as ``ruff format`` (line length 88)
formats it (see ``_codegen_layout``).
"""

from __future__ import annotations

import math
import os
from typing import Any

from kerasguide import _catalog as cat
from kerasguide import _codegen_ops as _ops
from kerasguide import _normalize, _wiring
from kerasguide._call_options import arranged
from kerasguide._codegen_layout import (
    RESERVED,
    TAB,
    WIDTH,
    Arg,
    Group,
    Names,
    applied,
    call_lines,
    identifier,
    joined,
    string_literal,
)
from kerasguide._suggest import did_you_mean
from kerasguide._training import code_lines
from kerasguide.errors import OptionError
from kerasguide.specs import Spec, load_spec

__all__ = ["STYLES", "to_code"]

STYLES = ("functional", "sequential")
# Arguments that are shapes or sizes: written as tuples, as Keras code usually does.
_TUPLES = {"kernel_size", "strides", "pool_size", "dilation_rate", "size", "target_shape"}
_TUPLES |= {"dims", "padding", "cropping", "noise_shape", "shape"}
_OBJECT_MODULES = {
    "initializer": "initializers",
    "regularizer": "regularizers",
    "constraint": "constraints",
    "activation": "activations",
}


def to_code(
    spec: Spec | dict[str, Any] | str | os.PathLike[str], *, style: str = "functional"
) -> str:
    """Python source that builds the spec's model with plain Keras.

    Executing the code defines ``model``, with the same layers (types and
    names), output shapes and parameter counts as ``build(spec)``. An MLP spec
    is written as its functional spec.

    Args:
        spec: A :class:`Spec`, a dict, a path to a spec file, or YAML/JSON text.
        style: ``"functional"`` (any model: ``keras.Input`` and the call
            notation) or ``"sequential"`` (a ``keras.Sequential`` list, for
            a plain chain of layers only).

    Returns:
        The source code, ending with a newline.

    Raises:
        OptionError: ``style`` is unknown, or ``"sequential"`` was asked for a
            model that is not a plain chain (the message names the entry).
        SpecError: The spec is not valid.

    Example:
        >>> print(to_code({"input_shape": [1], "layers": [{"Dense": 2}]}))  # doctest: +SKIP
        # The model "sequential" in plain Keras, written by kerasguide.to_code.
        import keras
        from keras import layers
        <BLANKLINE>
        input_ = keras.Input(shape=(1,), name="input")
        dense_1 = layers.Dense(2, name="dense_1")(input_)
        model = keras.Model(inputs=input_, outputs=dense_1, name="sequential")
    """
    _check_style(style)
    return render(load_spec(spec).expanded().to_dict(), style=style)


def render(data: dict[str, Any], *, style: str = "functional") -> str:
    """The code of a spec already in normal form (``Spec.to_dict()``), unchecked.

    Example:
        >>> data = {"kind": "sequential", "name": "s", "input_shape": [1],
        ...         "layers": [{"type": "Dense", "name": "dense_1", "units": 2}]}
        >>> render(data).splitlines()[-1]  # doctest: +SKIP
        'model = keras.Model(inputs=input_, outputs=dense_1, name="s")'
    """
    _check_style(style)
    if style == "sequential":
        check_chain(data)
    return _Module().render(data, sequential=style == "sequential")


def _check_style(style: str) -> None:
    if style not in STYLES:
        raise OptionError(
            "unknown code style",
            where="to_code(style=...)",
            expected=" or ".join(map(repr, STYLES)),
            received=repr(style),
            hint=did_you_mean(str(style), STYLES),
        )


# --- the sequential check ----------------------------------------------------------


def check_chain(data: dict[str, Any]) -> None:
    """Raise an OptionError naming the entry that keeps a spec from being a plain chain."""
    if data["kind"] != "functional":
        return
    if data.get("dict_inputs"):
        raise _not_chain("dict_inputs", "the model takes its inputs as a dict")
    if len(data["inputs"]) > 1:
        names = ", ".join(item["name"] for item in data["inputs"])
        raise _not_chain("inputs", f"{len(data['inputs'])} inputs: {names}")
    for i, entry in enumerate(data["layers"]):
        name = _wiring.entry_name(entry)
        if "reuse" in entry:
            raise _not_chain(f"layers[{i}]", f"{name!r} calls the layer {entry['reuse']!r} again")
        if "op" in entry:
            raise _not_chain(f"layers[{i}].op", f"{name!r} is keras.ops.{entry['op']}")
        if "call" in entry:
            raise _not_chain(f"layers[{i}].call", f"{name!r} is called with {entry['call']!r}")
        if "inputs" in entry:
            previous = _wiring.entry_name(data["layers"][i - 1]) if i else data["inputs"][0]["name"]
            raise _not_chain(
                f"layers[{i}].inputs",
                f"{name!r} takes {entry['inputs']!r}, not the previous output {previous!r}",
            )
    last = _wiring.entry_name(data["layers"][-1])
    if data["outputs"] != last:
        raise _not_chain("outputs", f"outputs {data['outputs']!r}, not the last layer {last!r}")


def _not_chain(where: str, received: str) -> OptionError:
    return OptionError(
        "style='sequential' needs a plain chain of layers",
        where=where,
        expected="one input, one output, and each layer taking the previous layer's output, "
        "with no layer called twice",
        received=received,
        hint="use style='functional' (the default), which writes any graph of layers",
    )


# --- values ------------------------------------------------------------------------


def literal(value: Any, key: str = "") -> str:
    """Python source for a spec value: objects become constructor calls.

    Example:
        >>> literal({"type": "L2", "l2": 0.01}, "kernel_regularizer")
        'keras.regularizers.L2(l2=0.01)'
    """
    kind = cat.object_kind(key)
    if kind is not None and isinstance(value, dict) and "type" in value:
        args = ", ".join(f"{k}={literal(v, k)}" for k, v in value.items() if k != "type")
        return f"keras.{_OBJECT_MODULES[kind]}.{value['type']}({args})"
    if isinstance(value, str):
        return string_literal(value)
    if isinstance(value, float) and not math.isfinite(value):
        return f'float("{value}")'
    if isinstance(value, (list, tuple)):
        items = [literal(v, key if key in _TUPLES else "") for v in value]
        if key in _TUPLES:
            return f"({items[0]},)" if len(items) == 1 else "(" + ", ".join(items) + ")"
        return joined(items, "[]")
    if isinstance(value, dict):
        return joined(
            [f"{string_literal(str(k))}: {literal(v, k)}" for k, v in value.items()], "{}"
        )
    return repr(value)


def _shape(shape: list[int | None]) -> str:
    return literal(shape, "shape")


# --- the module --------------------------------------------------------------------


class _Module:
    """Collects the functions of nested models, the imports, and the main code."""

    def __init__(self) -> None:
        self.functions: list[list[str]] = []
        self.names = Names(RESERVED)
        self.imports: dict[str, str] = {}
        self.uses_layers = False

    def render(self, data: dict[str, Any], *, sequential: bool) -> str:
        body = self.model_lines(data, "", "model = ", self.names, sequential=sequential)
        body += code_lines(data)  # model.compile(...) for a spec's loss:
        head = [f'# The model "{data["name"]}" in plain Keras, written by kerasguide.to_code.']
        head += ["import keras", *(["from keras import layers"] if self.uses_layers else [])]
        head += [f"from {module} import {name}" for name, module in sorted(self.imports.items())]
        gap = "\n\n\n" if self.functions else "\n\n"  # two blank lines around a def
        return gap.join("\n".join(part) for part in [head, *self.functions, body]) + "\n"

    def model_lines(
        self, data: dict[str, Any], indent: str, target: str, names: Names, *, sequential: bool
    ) -> list[str]:
        if data["kind"] == "mlp":
            data = _normalize.expand_mlp(data)
        if data["kind"] == "sequential":
            data = _as_functional(data)
        if sequential:
            return self.sequential_lines(data, indent, target)
        return _Graph(self, data, indent, names).lines(target)

    def sequential_lines(self, data: dict[str, Any], indent: str, target: str) -> list[str]:
        inner = indent + TAB * 2
        lines = [f"{indent}{target}keras.Sequential(", f"{indent}{TAB}["]
        lines += call_lines(inner, "keras.Input(", _input_args(data["inputs"][0]), "),")
        for entry in data["layers"]:
            head, args = self.constructor(entry)
            lines += call_lines(inner, f"{head}(", args, "),")
        lines += [f"{indent}{TAB}],", f"{indent}{TAB}name={string_literal(data['name'])},"]
        return [*lines, f"{indent})"]

    def constructor(self, entry: dict[str, Any]) -> tuple[str, list[Arg]]:
        """(the callable, its arguments) that create one layer entry."""
        if "model" in entry:
            return self.function(entry), []
        cls = cat.layer_classes()[entry["type"]]
        head = self.class_name(entry["type"], cls)
        first = cat.first_parameter(cls)
        given = first if first in cat.parameters(cls)[1] and first in entry else None
        args = [self.argument(given, entry[given], keyword=False)] if given else []
        skip = {"type", "name", "inputs", "call", given}
        args += [self.argument(k, v) for k, v in entry.items() if k not in skip]
        return head, [*args, f"name={string_literal(entry['name'])}"]

    def argument(self, key: str, value: Any, *, keyword: bool = True) -> Arg:
        """One constructor argument; a layer-valued one is the inner layer's constructor."""
        prefix = f"{key}=" if keyword else ""
        if _is_layer(key, value):
            head, args = self.constructor(value)
            return Group(f"{prefix}{head}(", args, ")")
        if isinstance(value, list) and value and all(_is_layer(key, v) for v in value):
            items = [self.argument(key, v, keyword=False) for v in value]
            return Group(f"{prefix}[", items, "]", explode=True)
        return prefix + literal(value, key)

    def class_name(self, type_: str, cls: type) -> str:
        from kerasguide._keras import keras

        if getattr(keras().layers, type_, None) is cls:
            self.uses_layers = True
            return f"layers.{type_}"
        if cls.__module__ != "__main__" and "<locals>" not in cls.__qualname__:
            self.imports[cls.__qualname__.split(".")[0]] = cls.__module__
        return cls.__qualname__

    def function(self, entry: dict[str, Any]) -> str:
        """Write the function that builds a nested model; return the call that builds it."""
        data = entry["model"]
        name = self.names.take("build_" + identifier(data["name"]).rstrip("_"))
        local = Names(self.names.taken)
        sequential = data["kind"] == "sequential"
        doc = f'{TAB}"""The model "{data["name"]}", used as a layer."""'
        if False in (entry.get("trainable"), data.get("trainable")):
            body = self.model_lines(data, TAB, "model = ", local, sequential=sequential)
            body += [f"{TAB}model.trainable = False", f"{TAB}return model"]
        else:
            body = self.model_lines(data, TAB, "return ", local, sequential=sequential)
        self.functions.append([f"def {name}():", doc, *body])
        return name


def _is_layer(key: str, value: Any) -> bool:
    """True for a nested layer entry given as an argument (``TimeDistributed.layer``)."""
    if cat.object_kind(key) is not None or not isinstance(value, dict):
        return False
    return "model" in value or value.get("type") in cat.layer_classes()


def _as_functional(data: dict[str, Any]) -> dict[str, Any]:
    """A sequential spec's data in the functional layout (one input, a chain)."""
    item: dict[str, Any] = {"name": data.get("input_name", "input"), "shape": data["input_shape"]}
    if data.get("batch_size") is not None:
        item["batch_size"] = data["batch_size"]
    if data.get("input_dtype"):
        item["dtype"] = data["input_dtype"]
    outputs = _wiring.entry_name(data["layers"][-1])
    return {
        "kind": "functional",
        "name": data["name"],
        "inputs": [item],
        "layers": data["layers"],
        "outputs": outputs,
    }


def _op_argument(name: str, keyword: bool, value: Any) -> Arg:
    prefix = f"{name}=" if keyword else ""
    if isinstance(value, _ops.Tensors):
        return Group(prefix + "[", list(value.codes), "]", explode=True)
    if isinstance(value, _ops.Tensor):
        return prefix + value.code
    # Shapes as tuples, as Keras keeps them (reshape(x, (-1, 4))); other lists stay lists,
    # as build(spec) passes them (some ops keep `axis` as it comes).
    return prefix + literal(value, "shape" if name.endswith("shape") else "")


def _operand(keyword: bool, value: Any) -> bool:
    """True for what ``a + b`` can stand for: positional tensors and plain numbers."""
    number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return not keyword and (isinstance(value, _ops.Tensor) or number)


def _input_args(item: dict[str, Any]) -> list[str]:
    args = [f"shape={_shape(item['shape'])}"]
    if item.get("batch_size") is not None:
        args.append(f"batch_size={item['batch_size']!r}")
    if item.get("dtype"):
        args.append(f"dtype={string_literal(item['dtype'])}")
    return [*args, f"name={string_literal(item['name'])}"]


class _Graph:
    """The functional code of one model: inputs, layer calls in build order, keras.Model."""

    def __init__(self, module: _Module, data: dict[str, Any], indent: str, names: Names) -> None:
        self.module, self.data, self.indent, self.names = module, data, indent, names
        self.tensors: dict[str, str] = {}  # spec name → variable holding its output
        self.objects: dict[str, str] = {}  # layer name → variable holding the layer
        self.reused = {e["reuse"] for e in data["layers"] if "reuse" in e}
        self.index = {_wiring.entry_name(e): i for i, e in enumerate(data["layers"])}

    def lines(self, target: str) -> list[str]:
        data, out = self.data, []
        for item in data["inputs"]:
            var = self.tensors[item["name"]] = self.names.take(identifier(item["name"]))
            out += call_lines(self.indent, f"{var} = keras.Input(", _input_args(item), ")")
        order = _wiring.check_graph(data["inputs"], data["layers"], data["outputs"], "")
        sources = _wiring.wired(data["layers"], data["inputs"])
        for i in order:
            entry = data["layers"][i]
            if "op" in entry:
                out += self.op_lines(entry, [self.ref(r) for r in _wiring.as_list(sources[i])])
            else:
                out += self.entry_lines(entry, self.source(sources[i]))
        args = [f"inputs={self.inputs()}", f"outputs={self.outputs(data['outputs'])}"]
        args.append(f"name={string_literal(data['name'])}")
        return out + call_lines(self.indent, f"{target}keras.Model(", args, ")")

    def entry_lines(self, entry: dict[str, Any], source: str) -> list[str]:
        name = _wiring.entry_name(entry)
        source += self.call_arguments(entry)
        if "reuse" in entry:
            var = self.tensors[name] = self.names.take(identifier(name))
            return [f"{self.indent}{var} = {self.objects[entry['reuse']]}({source})"]
        head, args = self.module.constructor(entry)
        if "model" not in entry and name not in self.reused:
            var = self.tensors[name] = self.names.take(identifier(name))
            return applied(self.indent, var, head, args, source)
        obj = self.objects[name] = self.names.take(identifier(name))
        lines = call_lines(self.indent, f"{obj} = {head}(", args, ")")
        suffix = "_1" if name in self.reused else "_out"
        var = self.tensors[name] = self.names.take(obj.rstrip("_") + suffix)
        return [*lines, f"{self.indent}{var} = {obj}({source})"]

    def op_lines(self, entry: dict[str, Any], tensors: list[str]) -> list[str]:
        """``var = keras.ops.<op>(...)``, or ``var = a + b`` for the operators."""
        var = self.tensors[entry["name"]] = self.names.take(identifier(entry["name"]))
        pairs = _ops.arguments(entry, tensors)
        args = [_op_argument(*argument) for argument in pairs]
        infix = _ops.INFIX.get(entry["op"])
        if infix and len(args) == 2 and all(_operand(k, v) for _, k, v in pairs):
            line = f"{self.indent}{var} = {args[0]} {infix} {args[1]}"
            if len(line) <= WIDTH:
                return [line]
        return call_lines(self.indent, f"{var} = keras.ops.{entry['op']}(", args, ")")

    def ref(self, ref: str) -> str:
        name, index = _wiring.split_ref(ref)
        return self.tensors[name] + (f"[{index}]" if index is not None else "")

    def call_arguments(self, entry: dict[str, Any]) -> str:
        """``, v, key=k, training=False``: an entry's ``call:``, as build passes it."""
        given = entry.get("call", {})
        if not given:
            return ""
        target = self.data["layers"][self.index[entry["reuse"]]] if "reuse" in entry else entry
        cls: Any = cat.layer_classes()[target["type"]] if "type" in target else None
        call = cls.call if cls is not None else (lambda inputs: inputs)  # a model: flags only
        by_place, by_name = arranged(call, given)
        words = [self.given(given[k]) for k in by_place]
        return "".join(f", {w}" for w in words + [f"{k}={self.given(given[k])}" for k in by_name])

    def given(self, value: bool | str | list[str]) -> str:
        """A ``call:`` value in code: a flag, a tensor, or a list of tensors."""
        if isinstance(value, bool):
            return repr(value)
        return (
            joined([self.ref(r) for r in value], "[]")
            if isinstance(value, list)
            else self.ref(value)
        )

    def source(self, sources: str | list[str]) -> str:
        refs = [self.ref(r) for r in _wiring.as_list(sources)]
        return joined(refs, "[]") if isinstance(sources, list) and len(refs) > 1 else refs[0]

    def inputs(self) -> str:
        items = self.data["inputs"]
        if self.data.get("dict_inputs"):
            pairs = [
                f"{string_literal(item['name'])}: {self.tensors[item['name']]}" for item in items
            ]
            return joined(pairs, "{}")
        names = [self.tensors[item["name"]] for item in items]
        return names[0] if len(names) == 1 else joined(names, "[]")

    def outputs(self, outputs: str | list[str] | dict[str, str]) -> str:
        if isinstance(outputs, dict):
            return joined([f"{string_literal(k)}: {self.ref(v)}" for k, v in outputs.items()], "{}")
        if isinstance(outputs, list):
            return joined([self.ref(r) for r in outputs], "[]")
        return self.ref(outputs)
