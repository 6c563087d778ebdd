"""Turn a spec as written (YAML, JSON or a dict) into its one normal form.

The normal form is itself a valid spec, so normalising twice changes nothing:

- every layer entry is ``{type, name, **arguments}``, plus ``inputs`` in a
  functional spec where it is not simply the previous entry's output;
- every name is filled in deterministically: explicit names are kept, the
  rest are ``snake_case(type)_k`` for the k-th layer of that type;
- shorthands are expanded: ``Dense: 10`` becomes ``{type: Dense, units: 10}``.

Every check that needs no built model happens here, with the spec path of
the mistake: unknown types and arguments, bad values, references to names
that do not exist, duplicates, cycles, and unused inputs or layers.
"""

from __future__ import annotations

from typing import Any

from kerasguide import _catalog as cat
from kerasguide import _entries, _ops, _wiring
from kerasguide._suggest import did_you_mean
from kerasguide._training import TRAINING_KEYS, normalize_training
from kerasguide._values import at as _at
from kerasguide._values import check_keys as _check_keys
from kerasguide._values import dtype as _dtype
from kerasguide._values import flag, name_of, positive_int, shape_of
from kerasguide._values import show as _show
from kerasguide.errors import SpecError, SpecTypeError
from kerasguide.limits import check_layers, get_limits

KINDS = ("sequential", "functional", "mlp")
TOP_KEYS = {
    "sequential": (
        "kind",
        "name",
        "input_shape",
        "input_name",
        "input_dtype",
        "batch_size",
        "layers",
        *TRAINING_KEYS,
    ),
    "functional": (
        "kind",
        "name",
        "inputs",
        "input_shape",
        "dict_inputs",
        "layers",
        "outputs",
        *TRAINING_KEYS,
    ),
    "mlp": (
        "kind",
        "name",
        "inputs",
        "hidden",
        "outputs",
        "activation",
        "output_activation",
        "dropout",
        "batch_norm",
        *TRAINING_KEYS,
    ),
}


def normalize(data: object, path: str = "") -> dict[str, Any]:
    """The normal form of a spec; raises a SpecError naming the path of any mistake."""
    if not isinstance(data, dict):
        raise SpecTypeError(
            "a spec must be a mapping of keys to values",
            where=path or "spec",
            expected="a mapping with `layers:` (or `hidden:` for an MLP)",
            received=_show(data),
            hint="start the document with keys such as `name:`, `input_shape:` and `layers:`",
        )
    kind = _kind(data, path)
    _check_keys(data, TOP_KEYS[kind], path, f"a {kind} spec")
    if kind == "mlp":
        out = _mlp(data, path)
    elif kind == "sequential":
        out = _sequential(data, path)
    else:
        out = _functional(data, path)
    return {**out, **normalize_training(data, path)}


def check_layer_count(data: object) -> None:
    """Refuse a spec of too many layers, nested models' included, before reading any."""
    limits = get_limits()
    count, nested = layer_count(data, stop=limits.layers, depth=limits.depth)
    mlp = isinstance(data, dict) and isinstance(data.get("hidden"), list)
    check_layers(count, "spec" if nested else "hidden" if mlp else "layers", nested=nested)


def layer_count(data: object, *, stop: int, depth: int) -> tuple[int, bool]:
    """The layer entries of a spec, its nested models' and an MLP's hidden layers included.

    Safe on any data (counting stops past ``stop`` entries or ``depth`` nested
    models), so it runs before anything else reads the spec, and a spec of too many
    layers is refused before any work per layer. Returns the count (a lower bound
    once past ``stop``), and whether nested models' entries are in it.
    """
    count, nested = 0, False
    todo: list[tuple[object, int]] = [(data, 0)]
    while todo and count <= stop:
        spec, level = todo.pop()
        if not isinstance(spec, dict) or level > depth:
            continue
        nested = nested or level > 0
        for key in ("layers", "hidden"):
            items = spec.get(key)
            if isinstance(items, list):
                count += len(items)
                if count > stop:
                    break
                todo += [
                    (i["model"], level + 1) for i in items if isinstance(i, dict) and "model" in i
                ]
    return count, nested


def _kind(data: dict[str, Any], path: str) -> str:
    kind = data.get("kind")
    if kind is None:
        if "hidden" in data:
            return "mlp"
        if "inputs" in data or "outputs" in data:
            return "functional"
        if "layers" in data or "input_shape" in data:
            return "sequential"
        raise SpecError(
            "cannot tell what kind of model this spec describes",
            where=path or "spec",
            expected="`layers:` (sequential), `inputs:` + `layers:` (functional) or "
            "`hidden:` (mlp), or an explicit `kind:`",
            received="keys " + ", ".join(map(repr, data)) if data else "an empty mapping",
            hint="add `kind: sequential`, `kind: functional` or `kind: mlp`",
        )
    if kind not in KINDS:
        raise SpecError(
            "unknown model kind",
            where=_at(path, "kind"),
            expected=" or ".join(map(repr, KINDS)),
            received=_show(kind),
            hint=did_you_mean(str(kind), KINDS),
        )
    return str(kind)


# --- sequential --------------------------------------------------------------------


def _sequential(data: dict[str, Any], path: str) -> dict[str, Any]:
    layers = _layer_list(data, path)
    entries = [
        _entries.entry(raw, _at(_at(path, "layers"), i), functional=False)
        for i, raw in enumerate(layers)
    ]
    input_shape = _sequential_input(data, entries, path)
    out: dict[str, Any] = {"kind": "sequential"}
    out["name"] = name_of(data.get("name", "sequential"), _at(path, "name"))
    out["input_shape"] = input_shape
    if data.get("input_name", "input") != "input":
        out["input_name"] = name_of(data["input_name"], _at(path, "input_name"))
    if data.get("input_dtype") is not None:
        out["input_dtype"] = _dtype(data["input_dtype"], _at(path, "input_dtype"))
    if data.get("batch_size") is not None:
        out["batch_size"] = positive_int(data["batch_size"], _at(path, "batch_size"), "batch_size")
    out["layers"] = _entries.fill_names(
        entries, path, reserved={out.get("input_name", "input")}, nested=normalize_model_entry
    )
    return out


def _sequential_input(data: dict[str, Any], entries: list[dict[str, Any]], path: str) -> Any:
    found: list[tuple[str, Any]] = []
    if "input_shape" in data:
        found.append((_at(path, "input_shape"), shape_of(data["input_shape"], "input_shape")))
    for i, entry in enumerate(entries):
        for key in ("input_shape", "input_dim"):
            if key in entry and not _own(entry, key):
                where = _at(_at(_at(path, "layers"), i), key)
                if i > 0:
                    raise SpecError(
                        f"only the first layer may give `{key}`",
                        where=where,
                        expected=f"`{key}` on layers[0] or `input_shape:` at the top",
                        received=f"{key}: {entry[key]!r}",
                        hint=f"remove `{key}` from this layer",
                    )
                found.append((where, shape_of(entry.pop(key), where)))
    if len(found) > 1:
        raise SpecError(
            "the input shape is given twice",
            where=found[1][0],
            expected="one input shape",
            received=f"{found[0][1]} at {found[0][0]} and {found[1][1]} here",
            hint="keep only the top-level `input_shape:`",
        )
    if not found:
        raise SpecError(
            "a sequential spec needs an input shape",
            where=_at(path, "input_shape"),
            expected="`input_shape: [n, ...]` at the top of the spec",
            received="no input shape",
            hint="add e.g. `input_shape: [10]` (Keras 3 prefers keras.Input(shape) to input_dim)",
        )
    return found[0][1]


def _own(entry: dict[str, Any], key: str) -> bool:
    return "type" in entry and _entries.own_argument(cat.layer_classes()[entry["type"]], key)


def _layer_list(data: dict[str, Any], path: str) -> list[Any]:
    layers = data.get("layers")
    if not isinstance(layers, list) or not layers:
        raise SpecTypeError(
            "`layers` must be a non-empty list",
            where=_at(path, "layers"),
            expected="a list of layer entries such as `- Dense: 10`",
            received=_show(layers),
        )
    check_layers(len(layers), _at(path, "layers"))
    return layers


def normalize_model_entry(
    entry: dict[str, Any], counts: dict[str, int], where: str
) -> dict[str, Any]:
    """A nested model entry with its spec normalised, named by its rank if unnamed."""
    sub = entry["model"]
    kind = _kind(sub, _at(where, "model")) if isinstance(sub, dict) else None
    if isinstance(sub, dict) and sub.get("name") is None:
        counts[str(kind)] = counts.get(str(kind), 0) + 1
        sub = {**sub, "name": f"{kind}_{counts[str(kind)]}"}
    return {**entry, "model": normalize(sub, _at(where, "model"))}


# --- functional --------------------------------------------------------------------


def _functional(data: dict[str, Any], path: str) -> dict[str, Any]:
    inputs = _wiring.model_inputs(data, path)
    entries = [
        _entries.entry(raw, _at(_at(path, "layers"), i), functional=True)
        for i, raw in enumerate(_layer_list(data, path))
    ]
    for i, entry in enumerate(entries):
        for key in ("input_shape", "input_dim"):
            if key in entry and not _own(entry, key):
                raise SpecError(
                    f"`{key}` belongs in the model's `inputs:` in a functional spec",
                    where=_at(_at(_at(path, "layers"), i), key),
                    expected="input shapes under `inputs:`",
                    received=f"{key}: {entry[key]!r}",
                    hint="remove it here and declare the shape under `inputs:`",
                )
    names = {item["name"] for item in inputs}
    entries = _entries.fill_names(entries, path, reserved=names, nested=normalize_model_entry)
    outputs = _wiring.model_outputs(data.get("outputs"), entries, path)
    sources = _wiring.wired(entries, inputs, path)
    for i, entry in enumerate(entries):
        if "op" in entry:
            given = set(entry) - {"op", "name", "inputs"}
            count = len(_wiring.as_list(sources[i]))
            _ops.tensor_slots(entry["op"], given, count, _at(_at(path, "layers"), i))
    _wiring.check_graph(inputs, entries, outputs, path)
    result: dict[str, Any] = {
        "kind": "functional",
        "name": name_of(data.get("name", "functional"), _at(path, "name")),
        "inputs": inputs,
    }
    # the model takes a dict keyed by the inputs' names, as keras.Model({"a": a, ...}, ...)
    if flag(data.get("dict_inputs", False), _at(path, "dict_inputs"), "`dict_inputs`"):
        result["dict_inputs"] = True
    return {**result, "layers": _wiring.compact(entries, inputs), "outputs": outputs}


# --- mlp ---------------------------------------------------------------------------


def _mlp(data: dict[str, Any], path: str) -> dict[str, Any]:
    for key in ("inputs", "hidden", "outputs"):
        if key not in data:
            raise SpecError(
                f"an mlp spec needs `{key}`",
                where=_at(path, key),
                expected="inputs (a number or a shape), hidden (a list of layer widths) "
                "and outputs (a number)",
                received="no " + key,
                hint="e.g. inputs: 10, hidden: [10, 20, 10], outputs: 1",
            )
    hidden = data["hidden"]
    hidden = [hidden] if isinstance(hidden, int) and not isinstance(hidden, bool) else hidden
    if not isinstance(hidden, list):
        raise SpecTypeError(
            "`hidden` must be a list of layer widths",
            where=_at(path, "hidden"),
            expected="e.g. [10, 20, 10]",
            received=_show(hidden),
        )
    out: dict[str, Any] = {
        "kind": "mlp",
        "name": name_of(data.get("name", "mlp"), _at(path, "name")),
        "inputs": _mlp_inputs(data["inputs"], _at(path, "inputs")),
        "hidden": [
            positive_int(h, _at(_at(path, "hidden"), i), "a hidden layer's width")
            for i, h in enumerate(hidden)
        ],
        "outputs": positive_int(data["outputs"], _at(path, "outputs"), "`outputs`"),
        "activation": cat.check_object(
            "activation", data.get("activation", "relu"), _at(path, "activation")
        ),
    }
    output_activation = data.get("output_activation")
    if output_activation is not None:
        out["output_activation"] = cat.check_object(
            "activation", output_activation, _at(path, "output_activation")
        )
    dropout = _dropout(data.get("dropout", 0.0), len(out["hidden"]), _at(path, "dropout"))
    if any(dropout):
        out["dropout"] = dropout[0] if len(set(dropout)) == 1 else dropout
    if flag(data.get("batch_norm", False), _at(path, "batch_norm"), "`batch_norm`"):
        out["batch_norm"] = True
    return out


def _mlp_inputs(value: object, where: str) -> int | list[int | None]:
    shape = shape_of(value, where)
    return shape[0] if len(shape) == 1 and shape[0] is not None else shape


def _dropout(value: object, count: int, where: str) -> list[float]:
    rates = value if isinstance(value, list) else [value] * count
    if len(rates) != count:
        raise SpecError(
            "`dropout` needs one rate per hidden layer",
            where=where,
            expected=f"a single rate or a list of {count} rates",
            received=f"a list of {len(rates)}",
        )
    for i, rate in enumerate(rates):
        ok = isinstance(rate, (int, float)) and not isinstance(rate, bool) and 0 <= rate < 1
        if not ok:
            raise SpecTypeError(
                "a dropout rate must be a number from 0 up to (not including) 1",
                where=f"{where}[{i}]" if isinstance(value, list) else where,
                expected="e.g. 0.2",
                received=_show(rate),
            )
    return [float(r) for r in rates]  # type: ignore[arg-type]


def expand_mlp(spec: dict[str, Any]) -> dict[str, Any]:
    """The functional spec that an MLP spec stands for."""
    shape = spec["inputs"] if isinstance(spec["inputs"], list) else [spec["inputs"]]
    dropout = spec.get("dropout", 0.0)
    rates = dropout if isinstance(dropout, list) else [dropout] * len(spec["hidden"])
    layers: list[dict[str, Any]] = []
    for i, (units, rate) in enumerate(zip(spec["hidden"], rates, strict=True), start=1):
        layers.append(
            {
                "type": "Dense",
                "name": f"hidden_{i}",
                "units": units,
                "activation": spec["activation"],
            }
        )
        if spec.get("batch_norm"):
            layers.append({"type": "BatchNormalization", "name": f"batch_norm_{i}"})
        if rate:
            layers.append({"type": "Dropout", "name": f"dropout_{i}", "rate": rate})
    head: dict[str, Any] = {"type": "Dense", "name": "output", "units": spec["outputs"]}
    if spec.get("output_activation"):
        head["activation"] = spec["output_activation"]
    layers.append(head)
    return {
        "kind": "functional",
        "name": spec["name"],
        "inputs": [{"name": "input", "shape": shape}],
        "layers": layers,
        "outputs": "output",
        **{key: spec[key] for key in TRAINING_KEYS if key in spec},
    }
