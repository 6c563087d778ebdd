"""The wiring of a functional spec: named inputs, references between layers,
outputs, and the checks on the graph they make (unknown names, cycles, inputs
or layers that lead nowhere).

A reference is a name: an input's, or a layer entry's (its output). A layer
with several outputs is indexed: ``lstm_1[0]``. A layer entry without
``inputs`` takes the previous entry's output (the first entry takes the
model's only input), so a plain chain needs no wiring at all.
"""

from __future__ import annotations

import re
from typing import Any

from kerasguide._suggest import did_you_mean
from kerasguide._values import at as _at
from kerasguide._values import dtype as _dtype
from kerasguide._values import name_of, positive_int, shape_of
from kerasguide._values import show as _show
from kerasguide.errors import SpecError, SpecTypeError

_REF = re.compile(r"([^/\x00-\x1f\x7f]{1,200}?)(?:\[(\d+)\])?", re.DOTALL)


def refs(value: object, where: str) -> str | list[str]:
    """A checked ``inputs:`` value: one reference or a list of them."""
    items = value if isinstance(value, list) else [value]
    for i, item in enumerate(items):
        if not isinstance(item, str) or not _REF.fullmatch(item):
            raise SpecTypeError(
                "not a valid reference to a layer or input",
                where=f"{where}[{i}]" if isinstance(value, list) else where,
                expected="the name of an input or layer, e.g. `hidden_1`, or `lstm_1[0]` "
                "for one output of a layer with several",
                received=_show(item),
            )
    if isinstance(value, list) and not value:
        raise SpecTypeError(
            "`inputs` is an empty list",
            where=where,
            expected="at least one name",
            received="[]",
        )
    return value  # type: ignore[return-value]


def split_ref(ref: str) -> tuple[str, int | None]:
    """``"lstm_1[0]"`` → ``("lstm_1", 0)``; ``"dense_1"`` → ``("dense_1", None)``."""
    match = _REF.fullmatch(ref)
    assert match is not None  # checked by refs()
    index = match.group(2)
    return match.group(1), int(index) if index is not None else None


def as_list(value: str | list[str]) -> list[str]:
    return value if isinstance(value, list) else [value]


def call_refs(entry: dict[str, Any]) -> list[str]:
    """The references inside an entry's ``call:`` (its tensor arguments), in order."""
    found: list[str] = []
    for value in entry.get("call", {}).values():
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, list):
            found.extend(value)
    return found


def model_inputs(data: dict[str, Any], path: str) -> list[dict[str, Any]]:
    """The normal form of a functional spec's ``inputs`` (or its ``input_shape``)."""
    where = _at(path, "inputs")
    if "input_shape" in data:
        if "inputs" in data:
            raise SpecError(
                "give either `inputs` or `input_shape`, not both",
                where=_at(path, "input_shape"),
                expected="one of them",
                received="both",
                hint="keep `inputs:`, which names each input",
            )
        return [{"name": "input", "shape": shape_of(data["input_shape"], _at(path, "input_shape"))}]
    raw = data.get("inputs")
    keys = list(raw) if isinstance(raw, dict) else []
    if isinstance(raw, dict):
        raw = [{"name": k, **(v if isinstance(v, dict) else {"shape": v})} for k, v in raw.items()]
    if not isinstance(raw, list) or not raw:
        raise SpecTypeError(
            "a functional spec needs its inputs",
            where=where,
            expected="a mapping of names to shapes, e.g. `inputs: {image: [32], meta: [4]}`",
            received=_show(raw),
        )
    result: list[dict[str, Any]] = []
    for i, item in enumerate(raw):
        at = f"{where}.{keys[i]}" if keys else f"{where}[{i}]"
        if not isinstance(item, dict) or "shape" not in item:
            raise SpecTypeError(
                "an input needs a name and a shape",
                where=at,
                expected="e.g. {name: image, shape: [32]}",
                received=_show(item),
            )
        unknown = set(item) - {"name", "shape", "dtype", "batch_size"}
        if unknown:
            key = sorted(unknown)[0]
            raise SpecError(
                f"unknown key {key!r} in an input",
                where=f"{at}.{key}",
                expected="name, shape, dtype or batch_size",
                received=repr(key),
                hint=did_you_mean(key, ("name", "shape", "dtype", "batch_size")),
            )
        entry: dict[str, Any] = {
            "name": name_of(item.get("name"), f"{at}.name"),
            "shape": shape_of(item["shape"], f"{at}.shape"),
        }
        if any(other["name"] == entry["name"] for other in result):
            raise SpecError(
                f"the name {entry['name']!r} is used twice",
                where=f"{at}.name",
                expected="a different name for each input",
                received=f"{entry['name']!r}, already the name of another input",
                hint="give one of them another `name:`",
            )
        if item.get("dtype") is not None:
            entry["dtype"] = _dtype(item["dtype"], f"{at}.dtype")
        if item.get("batch_size") is not None:
            entry["batch_size"] = positive_int(item["batch_size"], f"{at}.batch_size", "batch_size")
        result.append(entry)
    return result


def model_outputs(
    value: object, entries: list[dict[str, Any]], path: str
) -> str | list[str] | dict[str, str]:
    """The normal form of ``outputs``; by default the last layer entry's output."""
    where = f"{path}.outputs" if path else "outputs"
    if value is None:
        return entry_name(entries[-1])
    if isinstance(value, dict):
        for key, ref in value.items():
            refs(ref, f"{where}.{key}")
            if not isinstance(ref, str):
                raise SpecTypeError(
                    "a named output must be one reference",
                    where=f"{where}.{key}",
                    expected="a layer name",
                    received=_show(ref),
                )
        return dict(value)
    return refs(value, where)


def entry_name(entry: dict[str, Any]) -> str:
    return str(entry["model"]["name"] if "model" in entry else entry["name"])


def wired(
    entries: list[dict[str, Any]], inputs: list[dict[str, Any]], path: str = ""
) -> list[str | list[str]]:
    """Each entry's inputs, with the defaults (previous output, the only input) filled in."""
    result: list[str | list[str]] = []
    for i, entry in enumerate(entries):
        if "inputs" in entry:
            result.append(entry["inputs"])
        elif i > 0:
            result.append(entry_name(entries[i - 1]))
        elif len(inputs) == 1:
            result.append(inputs[0]["name"])
        else:
            names = ", ".join(item["name"] for item in inputs)
            raise SpecError(
                "the first layer must say which input it takes",
                where=f"{path}.layers[0].inputs" if path else "layers[0].inputs",
                expected=f"one or more of the model's inputs: {names}",
                received="no `inputs:`",
                hint=f"add e.g. `inputs: {inputs[0]['name']}`",
            )
    return result


def compact(entries: list[dict[str, Any]], inputs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries with ``inputs`` removed wherever it equals the default, and placed last."""
    result = []
    for i, entry in enumerate(entries):
        given = entry.get("inputs")
        body = {k: v for k, v in entry.items() if k != "inputs"}
        default = (
            entry_name(entries[i - 1])
            if i > 0
            else (inputs[0]["name"] if len(inputs) == 1 else None)
        )
        if given is not None and given != default and given != [default]:
            body["inputs"] = given
        result.append(body)
    return result


def check_graph(
    inputs: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    outputs: str | list[str] | dict[str, str],
    path: str,
) -> list[int]:
    """Check references, reuse targets, cycles and reachability; return a build order."""
    layers_at = f"{path}.layers" if path else "layers"
    known = {item["name"] for item in inputs} | {entry_name(e) for e in entries}
    index = {entry_name(e): i for i, e in enumerate(entries)}
    deps: list[list[int]] = []
    sources_of = wired(entries, inputs, path)
    for i, sources in enumerate(sources_of):
        mine = []
        places = [("inputs", ref) for ref in as_list(sources)]
        places += [
            (f"call.{key}", ref)
            for key in entries[i].get("call", {})
            for ref in call_refs({"call": {key: entries[i]["call"][key]}})
        ]
        for place, ref in places:
            name, _ = split_ref(ref)
            _check_known(name, known, f"{layers_at}[{i}].{place}", entries[i])
            if name in index:
                mine.append(index[name])
        if "reuse" in entries[i]:
            mine.append(_reuse_target(entries, i, index, layers_at))
        deps.append(mine)
    order = _topological(deps, entries, layers_at)
    _check_reachable(inputs, entries, outputs, deps, sources_of, path)
    return order


def _check_known(name: str, known: set[str], where: str, entry: dict[str, Any]) -> None:
    if name not in known:
        raise SpecError(
            f"{name!r} is not the name of an input or a layer",
            where=where,
            expected="one of " + ", ".join(sorted(known - {entry_name(entry)})),
            received=repr(name),
            hint=did_you_mean(name, known) or "check the spelling, or name the layer you mean",
        )


def _reuse_target(
    entries: list[dict[str, Any]], i: int, index: dict[str, int], layers_at: str
) -> int:
    target = entries[i]["reuse"]
    layers = {entry_name(e) for e in entries if "reuse" not in e}
    if target not in layers:
        raise SpecError(
            f"`reuse` names {target!r}, which is not a layer of this model",
            where=f"{layers_at}[{i}].reuse",
            expected="the name of a layer entry defined in this spec",
            received=repr(target),
            hint=did_you_mean(target, layers) or "reuse takes the `name:` of another entry",
        )
    return index[target]


def _topological(deps: list[list[int]], entries: list[dict[str, Any]], layers_at: str) -> list[int]:
    """A build order (each entry after those it reads), without recursion; refuses cycles."""
    done: list[int] = []
    state = [0] * len(deps)  # 0 new, 1 on the path, 2 done
    for root in range(len(deps)):
        if state[root]:
            continue
        path: list[int] = [root]
        pending: list[list[int]] = [list(reversed(deps[root]))]
        state[root] = 1
        while path:
            if not pending[-1]:
                state[path[-1]] = 2
                done.append(path.pop())
                pending.pop()
                continue
            j = pending[-1].pop()
            if state[j] == 1:
                cycle = [*path[path.index(j) :], j]
                raise SpecError(
                    "the layers form a cycle",
                    where=f"{layers_at}[{cycle[0]}]",
                    expected="connections that only flow forward, from inputs to outputs",
                    received=" → ".join(entry_name(entries[k]) for k in cycle),
                    hint="a layer cannot take its own output, directly or through others; "
                    "check the `inputs:` of these layers",
                )
            if state[j] == 0:
                state[j] = 1
                path.append(j)
                pending.append(list(reversed(deps[j])))
    return done


def _check_reachable(
    inputs: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    outputs: str | list[str] | dict[str, str],
    deps: list[list[int]],
    sources_of: list[str | list[str]],
    path: str,
) -> None:
    index = {entry_name(e): i for i, e in enumerate(entries)}
    input_names = {item["name"] for item in inputs}
    targets = list(outputs.values()) if isinstance(outputs, dict) else as_list(outputs)
    where = f"{path}.outputs" if path else "outputs"
    used: set[int] = set()
    stack = []
    for ref in targets:
        name, _ = split_ref(ref)
        if name not in index and name not in input_names:
            raise SpecError(
                f"the output {name!r} is never produced",
                where=where,
                expected="names of layers in this spec",
                received=repr(name),
                hint=did_you_mean(name, index) or "list the `name:` of a layer",
            )
        if name in index:
            stack.append(index[name])
    while stack:
        i = stack.pop()
        if i not in used:
            used.add(i)
            stack.extend(deps[i])
    _report_unused(inputs, entries, used, targets, sources_of, path)


def _report_unused(
    inputs: list[dict[str, Any]],
    entries: list[dict[str, Any]],
    used: set[int],
    targets: list[str],
    sources_of: list[str | list[str]],
    path: str,
) -> None:
    layers_at = f"{path}.layers" if path else "layers"
    fed = {split_ref(t)[0] for t in targets}
    for i in used:
        fed |= {split_ref(r)[0] for r in [*as_list(sources_of[i]), *call_refs(entries[i])]}
    for item in inputs:
        if item["name"] not in fed:
            raise SpecError(
                f"the input {item['name']!r} is never used",
                where=f"{path}.inputs" if path else "inputs",
                expected="every input to feed at least one layer on the way to an output",
                received=f"nothing connected to {item['name']!r}",
                hint=f"add `inputs: {item['name']}` to the layer that should read it, "
                "or remove the input",
            )
    for i, entry in enumerate(entries):
        if i not in used:
            raise SpecError(
                f"the layer {entry_name(entry)!r} does not lead to any output",
                where=f"{layers_at}[{i}]",
                expected="every layer to contribute to an output",
                received="outputs: " + ", ".join(targets),
                hint=f"add {entry_name(entry)!r} to `outputs:`, wire it into a later layer, "
                "or remove it",
            )
