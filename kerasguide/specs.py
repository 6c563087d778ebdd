"""Specs: short declarative descriptions of Keras models, in YAML, JSON or a dict.

A sequential spec::

    name: seed_sequential
    input_shape: [1]
    layers:
      - Dense: 2
      - Dense: 1

A functional spec names its inputs, and a layer names what it reads with
``inputs:`` (by default the previous layer's output)::

    inputs: {image: [32], meta: [4]}
    layers:
      - {Dense: 16, name: image_features, inputs: image}
      - {Dense: 4, name: meta_features, inputs: meta}
      - {type: Concatenate, name: merged, inputs: [image_features, meta_features]}
      - {Dense: 1, activation: sigmoid, name: score}
    outputs: score

The MLP shorthand::

    kind: mlp
    inputs: 10
    hidden: [10, 20, 10]
    outputs: 1
    activation: relu
    output_activation: sigmoid

Specs are untrusted input: YAML is loaded safely, and nothing named in a
spec is imported or executed.
"""

from __future__ import annotations

import copy
import html
import json
import os
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from kerasguide import _normalize, _yaml
from kerasguide import limits as _limits
from kerasguide._catalog import register_layer
from kerasguide._suggest import did_you_mean
from kerasguide._types import JSONDict, JSONValue
from kerasguide.errors import (
    FileError,
    KerasGuideError,
    LimitError,
    OptionError,
    SpecSyntaxError,
)

__all__ = ["Spec", "list_examples", "load_example", "load_spec", "register_layer"]

_SUFFIXES = (".yaml", ".yml", ".json")


class Spec:
    """A checked model spec in its normal form.

    Create one with :func:`load_spec`, or ``Spec(mapping)``. Two specs are equal
    when their normal forms are.

    Args:
        data: The spec as a mapping (already parsed from YAML or JSON).
        source: Where it came from (a file name), used in error messages.

    Raises:
        SpecError: The spec is not valid; the message names the path of the mistake.

    Example:
        >>> spec = Spec({"input_shape": [1], "layers": [{"Dense": 2}, {"Dense": 1}]})
        >>> [layer["name"] for layer in spec.to_dict()["layers"]]
        ['dense_1', 'dense_2']
    """

    def __init__(self, data: object, *, source: str | None = None) -> None:
        self.source = source
        try:
            _normalize.check_layer_count(data)
            _limits.check_document(data, source or "spec")
            self._data = _normalize.normalize(_plain(data, "spec"))
        except KerasGuideError as err:
            if source is not None:
                _prefix(err, source)
            raise

    @property
    def kind(self) -> str:
        """``"sequential"``, ``"functional"`` or ``"mlp"``."""
        return str(self._data["kind"])

    @property
    def name(self) -> str:
        """The model's name."""
        return str(self._data["name"])

    def to_dict(self) -> JSONDict:
        """The normal form as plain data (a deep copy)."""
        return copy.deepcopy(self._data)

    def to_yaml(self) -> str:
        """The normal form as YAML, keys in reading order."""
        return yaml.safe_dump(self._data, sort_keys=False, default_flow_style=None, width=88)

    def to_json(self, *, indent: int = 2) -> str:
        """The normal form as JSON."""
        return json.dumps(self._data, indent=indent)

    def expanded(self) -> Spec:
        """The same model without shorthands: an MLP spec becomes its functional spec."""
        if self.kind == "mlp":
            return Spec(_normalize.expand_mlp(self._data), source=self.source)
        return self

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Spec):
            return self._data == other._data
        return NotImplemented

    def __hash__(self) -> int:
        return hash(json.dumps(self._data, sort_keys=True))

    def __repr__(self) -> str:
        layers = self._data.get("layers", self._data.get("hidden", []))
        count = len(layers) if isinstance(layers, list) else 0
        noun = "hidden layers" if self.kind == "mlp" else "layers"
        return f"Spec(kind={self.kind!r}, name={self.name!r}, {noun}={count})"

    def __str__(self) -> str:
        return self.to_yaml()

    def _repr_html_(self) -> str:
        title = html.escape(repr(self))
        body = html.escape(self.to_yaml())
        return f"<details open><summary><code>{title}</code></summary><pre>{body}</pre></details>"


SpecSource = Spec | dict[str, Any] | str | os.PathLike[str]
"""What :func:`load_spec` reads: a Spec, a dict spec, a spec file's path, or YAML/JSON text.

The dict's values are ``Any`` because a dict is invariant: ``dict[str, object]``
would refuse a caller's ``dict[str, list[int]]``. :func:`load_spec` checks each value.
"""


def _prefix(err: KerasGuideError, source: str) -> None:
    err.where = f"{source}: {err.where}" if err.where else source
    err.args = (str(err),)


def _plain(value: object, where: str) -> JSONValue:
    """Check that a spec holds only plain data; tuples become lists."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise _not_plain(key, f"{where} key")
        return {k: _plain(v, f"{where}.{k}" if where != "spec" else k) for k, v in value.items()}
    raise _not_plain(value, where)


def _not_plain(value: object, where: str) -> KerasGuideError:
    from kerasguide.errors import SpecTypeError

    return SpecTypeError(
        "a spec may hold only plain data",
        where=where,
        expected="strings, numbers, true/false, null, lists and mappings with string keys",
        received=f"{value!r} ({type(value).__name__})",
        hint="write the value as text or a number",
    )


def load_spec(source: SpecSource) -> Spec:
    """Load and check a spec from a file, YAML or JSON text, or a mapping.

    Args:
        source: A :class:`Spec` (returned as is), a dict, a path to a ``.yaml``,
            ``.yml`` or ``.json`` file, or the text of a YAML/JSON document.

    Returns:
        The checked :class:`Spec`.

    Raises:
        FileError: The file does not exist or cannot be read.
        SpecSyntaxError: The YAML or JSON is malformed (file, line and column).
        SpecError: The spec is not valid (the path of the mistake).

    Example:
        >>> load_spec("input_shape: [1]\\nlayers: [{Dense: 2}, {Dense: 1}]").kind
        'sequential'
    """
    if isinstance(source, Spec):
        return source
    if isinstance(source, dict):
        return Spec(source)
    if isinstance(source, os.PathLike) or _looks_like_path(source):
        path = Path(source)
        return Spec(_parse(_read(path), path.name, json_=path.suffix == ".json"), source=path.name)
    if isinstance(source, str):
        return Spec(_parse(source, "<text>", json_=source.lstrip().startswith("{")))
    raise OptionError(
        "load_spec cannot read this kind of object",
        where="load_spec(source)",
        expected="a Spec, a dict, a path to a .yaml/.json file, or YAML/JSON text",
        received=f"{type(source).__name__}",
    )


def _looks_like_path(source: object) -> bool:
    """A one-line string that is a file, or could not be a spec's text (no ``key:``)."""
    if not isinstance(source, str) or "\n" in source:
        return False
    return source.endswith(_SUFFIXES) or os.path.exists(source) or ":" not in source


def _read(path: Path) -> str:
    try:
        return read_text(path)
    except FileNotFoundError:
        raise FileError(
            "no such spec file",
            where=str(path),
            expected="an existing .yaml, .yml or .json file",
            received=str(path.resolve()),
            hint=_file_hint(path),
        ) from None
    except KerasGuideError:
        raise
    except (OSError, ValueError) as err:  # ValueError: not UTF-8, or a NUL in the path
        raise FileError(
            "the spec file cannot be read",
            where=str(path),
            expected="a readable UTF-8 text file",
            received=str(err),
        ) from None


def read_text(path: Path) -> str:
    """A regular UTF-8 text file, read up to the ``file_bytes`` limit and no further."""
    if path.exists() and not path.is_file():
        raise FileError(
            "not a regular file",
            where=str(path),
            expected="a text file",
            received="a folder" if path.is_dir() else "a device, pipe or socket",
            hint="give the path of a .yaml, .yml or .json file",
        )
    limit = _limits.get_limits().file_bytes
    if path.exists():
        _limits.check_text(path.stat().st_size, str(path), what="file")
    with path.open("rb") as handle:
        data = handle.read(limit + 1)
    _limits.check_text(data, str(path))
    return data.decode("utf-8")


def _file_hint(path: Path) -> str:
    if path.suffix == "" and path.name in list_examples():
        return f"{path.name!r} is an example: use kerasguide.load_example({path.name!r})"
    folder = path.parent if str(path.parent) else Path(".")
    siblings = (
        [p.name for p in folder.glob("*") if p.suffix in _SUFFIXES] if folder.is_dir() else []
    )
    return did_you_mean(path.name, siblings) or "check the path, relative to the current folder"


def _parse(text: str, name: str, *, json_: bool) -> object:
    data = read_document(text, name, json_=json_)
    if data is None:
        raise SpecSyntaxError(
            "the document is empty",
            where=name,
            expected="a spec: a mapping with `layers:` (or `hidden:` for an MLP)",
            received="nothing",
            hint="see kerasguide.list_examples() for complete specs",
        )
    return data


def read_document(text: str, name: str, *, json_: bool = False) -> object:
    """Untrusted YAML (or JSON) text as data: a safe loader, no duplicate keys, the limits.

    The result is ``object``: YAML's safe tags also make dates, sets and bytes,
    which the caller refuses (a spec must hold plain data: see ``Spec``).

    Used for specs and for every other YAML file kerasguide reads (assignments).
    """
    _limits.check_text(text, name)
    try:
        if not json_ and len(text) > _yaml.SCAN_FROM:
            _yaml.check_events(text, name)
        data = json.loads(text) if json_ else _yaml.load(text)
    except RecursionError:
        raise _too_deep(name) from None
    except UnicodeEncodeError as err:  # a lone surrogate, which no file can hold
        raise SpecSyntaxError(
            "the text holds a character that is not valid Unicode",
            where=name,
            expected="text that can be saved as UTF-8",
            received=str(err),
        ) from None
    except json.JSONDecodeError as err:
        raise SpecSyntaxError(
            "the JSON cannot be parsed",
            where=f"{name}, line {err.lineno}, column {err.colno}",
            expected="valid JSON",
            received=err.msg,
        ) from None
    except SpecSyntaxError as err:
        _prefix(err, name)
        raise
    except yaml.YAMLError as err:
        if "maximum nesting depth" in str(err):
            raise _too_deep(name) from None
        raise _yaml_error(err, name, text) from None
    _limits.check_document(data, name)
    return data


def _too_deep(name: str) -> LimitError:
    return LimitError(
        "the document is nested too deeply to read",
        where=name,
        expected=f"at most {_limits.get_limits().depth} levels of lists and mappings",
        received="deeper nesting",
        hint="a spec needs only a few levels; check the brackets",
    )


def _yaml_error(err: yaml.YAMLError, name: str, text: str = "") -> SpecSyntaxError:
    mark = getattr(err, "problem_mark", None)
    where = f"{name}, line {mark.line + 1}, column {mark.column + 1}" if mark else name
    problem = getattr(err, "problem", None) or str(err)
    if "could not determine a constructor" in str(err):
        return SpecSyntaxError(
            "YAML tags that build Python objects are not allowed in a spec",
            where=where,
            expected="plain YAML: strings, numbers, lists and mappings",
            received=problem.strip(),
            hint="write the mapping out in full: merge keys (`<<:`) are not read"
            if "2002:merge" in problem
            else "remove the !tag",
        )
    line = text.splitlines()[mark.line] if mark and mark.line < len(text.splitlines()) else ""
    if "\t" in line[: (mark.column + 1) if mark else None] or "'\\t'" in problem:
        hint = "YAML indents with spaces only: replace the tab on that line with spaces"
    else:
        hint = "check the indentation and the `key: value` punctuation around that line"
    return SpecSyntaxError(
        "the YAML cannot be parsed",
        where=where,
        expected="valid YAML (indented with spaces)",
        received=problem.strip(),
        hint=hint,
    )


def list_examples() -> list[str]:
    """The names of the example specs shipped with kerasguide.

    Example:
        >>> "mlp" in list_examples()
        True
    """
    folder = resources.files("kerasguide") / "examples"
    return sorted(p.name.rsplit(".", 1)[0] for p in folder.iterdir() if p.name.endswith(".yaml"))


def example_path(name: str) -> Path:
    """The file of an example spec; raises OptionError with a did-you-mean."""
    names = list_examples()
    if name not in names:
        raise OptionError(
            f"there is no example named {name!r}",
            where="load_example(name)",
            expected="one of " + ", ".join(names),
            received=repr(name),
            hint=did_you_mean(name, names),
        )
    return Path(str(resources.files("kerasguide") / "examples" / f"{name}.yaml"))


def load_example(name: str) -> Spec:
    """Load one of the example specs shipped with kerasguide.

    Args:
        name: One of :func:`list_examples`, e.g. ``"mlp"``.

    Returns:
        The checked :class:`Spec`.

    Raises:
        OptionError: There is no such example (with a did-you-mean).

    Example:
        >>> load_example("mlp").kind
        'mlp'
    """
    return load_spec(example_path(name))
