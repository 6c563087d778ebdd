"""What a command or a grader reads: spec files, saved ``.keras`` models and example names.

A saved model is always loaded with Keras's ``safe_mode``: code stored in a file
never runs. And its weights are counted before Keras allocates them: a ``.keras``
file is a zip of ``config.json`` (the layers and their sizes) and
``model.weights.h5`` (every weight's values), and Keras builds the model from the
config, allocating every weight, before it reads a value. A file of a kilobyte
whose config declares a ``Dense`` of 16,000 units on 16,000 inputs would take a
gigabyte. So the config is built first with weights that have shapes but no
memory, and a file whose weights could not be in it (more bytes declared than its
weights file holds) is refused, as are weights over the ``params`` limit or the
memory free.
"""

from __future__ import annotations

import io
import json
import math
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from kerasguide._suggest import did_you_mean
from kerasguide._types import KerasModel
from kerasguide.errors import FileError, KerasGuideError, LimitError, first_line
from kerasguide.limits import check_params, human_bytes, weight_bytes
from kerasguide.specs import Spec, example_path, list_examples, load_spec

SPEC_SUFFIXES = (".yaml", ".yml", ".json")
PLOT_SUFFIXES = (".png", ".svg", ".pdf")


@dataclass
class Source:
    """What SPEC_OR_MODEL named: a spec, or a loaded model."""

    spec: Spec | None = None
    model: KerasModel | None = None

    def as_model(self) -> KerasModel:
        """The Keras model (built from the spec if need be)."""
        from kerasguide.build import build

        return self.model if self.model is not None else build(self.spec)  # type: ignore[arg-type]

    def as_spec(self) -> Spec:
        """The spec (converted from the model if need be)."""
        from kerasguide.convert import to_spec

        return self.spec if self.spec is not None else to_spec(self.model)


def resolve(text: str) -> Source:
    """Read SPEC_OR_MODEL: a spec file, a saved .keras model, or an example's name."""
    path = Path(text)
    suffix = path.suffix.lower()
    if suffix == ".keras":
        return Source(model=load_keras(path))
    if suffix in SPEC_SUFFIXES:
        return Source(spec=load_spec(path))
    if suffix in (".h5", ".hdf5"):
        raise _input_error(
            text,
            "the legacy HDF5 format is not read, only .keras files",
            "re-save the model with model.save('model.keras')",
        )
    if not path.exists() and text in list_examples():
        return Source(spec=load_spec(example_path(text)))
    if path.exists():
        raise _input_error(
            text,
            "this is not a spec file or a saved model",
            "give a .yaml, .yml, .json or .keras file",
        )
    hint = did_you_mean(text, list_examples()) or "check the path, or run `kerasguide examples`"
    raise _input_error(text, "no such file, and no example of that name", hint)


def locate(text: str) -> None:
    """Raise at once, before Keras is loaded, the error :func:`resolve` gives for a source
    that is not there (a mistyped path should not wait for TensorFlow's import).

    Every reader checks its file before it needs Keras, so this loads nothing.
    """
    if not Path(text).exists() and text not in list_examples():
        resolve(text)


def _input_error(text: str, problem: str, hint: str) -> FileError:
    return FileError(
        problem,
        where=text,
        expected="a spec file (.yaml, .yml, .json), a saved model (.keras) or an example name",
        received=repr(text),
        hint=hint,
    )


def load_keras(path: Path) -> KerasModel:
    """Load a saved .keras model safely: never run code stored in the file."""
    if not path.is_file():
        raise FileError(
            "no such model file",
            where=str(path),
            expected="an existing .keras file saved with model.save(...)",
            received=str(path.resolve()),
            hint=did_you_mean(path.name, _siblings(path, ".keras")) or "check the path",
        )
    from kerasguide._keras import keras

    try:
        check_weights(path)
        model: KerasModel = keras().saving.load_model(path, compile=False, safe_mode=True)
        return model
    except KerasGuideError:
        raise
    except Exception as err:
        message = first_line(err)
        raise FileError(
            "the saved model cannot be loaded",
            where=str(path),
            expected="a .keras file saved by Keras 3 with model.save(path)",
            received=f"Keras says: {message}",
            hint="kerasguide loads models with safe_mode=True and never runs code stored in a "
            "file; replace Lambda layers with built-in layers"
            if "safe_mode" in message or "lambda" in message.lower()
            else "save the model again with model.save('model.keras')",
        ) from err


# --- the weights a .keras file declares, counted before any is allocated ---------------

_CONFIG_MOST = 64 * 2**20  # config.json: 20,000 layers of a few kB each, and room to spare
_WEIGHT_FILES = ("model.weights.h5", "model.weights.npz")
_SLACK = 2**20  # what a weights file holds besides the values: headers, names


def check_weights(path: Path) -> None:
    """Refuse a ``.keras`` file whose weights could not be in it, before Keras builds it.

    The model is built from ``config.json`` with weights that have shapes but no
    memory (``safe_mode`` on, nothing compiled), and the bytes of its weights are
    counted: Keras stores every weight in the weights file, so more bytes than that
    file holds (with 1 MB for its headers) is a file made to exhaust memory. The
    datasets of the weights file are counted too (an HDF5 dataset can declare a
    gigabyte and store nothing). A file Keras cannot read is left for Keras to say why.
    """
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "config.json" not in names:
                return
            config_size = archive.getinfo("config.json").file_size
            if config_size > _CONFIG_MOST:
                raise FileError(
                    "the saved model's config.json is too large",
                    where=str(path),
                    expected=f"a config.json of at most {_CONFIG_MOST // 2**20} MB",
                    received=f"{config_size:,} bytes",
                    hint="save the model again with model.save('model.keras')",
                )
            text = archive.read("config.json")
            weights = next((n for n in _WEIGHT_FILES if n in names), None)
            stored = archive.getinfo(weights).file_size if weights else 0
            held = _weights_held(archive, weights) if weights else 0
    except KerasGuideError:
        raise
    except (zipfile.BadZipFile, OSError, ValueError, RuntimeError):
        return  # not a zip, or config.json unreadable: Keras says what is wrong
    if held > stored + _SLACK:
        raise _declared_error(
            path,
            str(weights),
            f"{held:,} bytes of values declared by {weights} ({human_bytes(held)})",
            f"values that fit in the {stored:,} bytes {weights} holds",
        )
    try:
        config = json.loads(text)
    except (ValueError, RecursionError):
        return
    if isinstance(config, dict):
        _check_config(path, config, weights or _WEIGHT_FILES[0], stored)


def _weights_held(archive: zipfile.ZipFile, name: str) -> int:
    """The bytes of values the weights file declares: each HDF5 dataset's shape × dtype
    (or each array's size in an ``.npz``); 0 when it cannot be read (Keras says why)."""
    import h5py  # type: ignore[import-untyped]  # a dependency of Keras

    total = 0

    def add(_: str, item: object) -> None:
        nonlocal total
        if isinstance(item, h5py.Dataset):
            total += math.prod(item.shape or ()) * item.dtype.itemsize

    try:
        with _member(archive, name) as handle:
            if name.endswith(".npz"):
                with zipfile.ZipFile(handle) as inner:
                    return sum(info.file_size for info in inner.infolist())
            with h5py.File(handle, "r") as weights:
                weights.visititems(add)
    except Exception:  # not an HDF5 file, or a damaged one: Keras's load fails on it
        return 0
    return total


def _member(archive: zipfile.ZipFile, name: str) -> IO[bytes]:
    """A zip member as a file that seeks fast: its bytes in the archive when stored (as
    Keras stores them), else inflated in memory (as Keras reads them), not re-inflated
    from its start at every backward seek."""
    info = archive.getinfo(name)
    if info.compress_type != zipfile.ZIP_STORED or archive.fp is None:
        return io.BytesIO(archive.read(name))
    archive.fp.seek(info.header_offset)
    header = archive.fp.read(30)  # the local header: its name's and extra field's lengths
    start = info.header_offset + 30 + int.from_bytes(header[26:28], "little")
    start += int.from_bytes(header[28:30], "little")
    return io.BufferedReader(_Window(archive.fp, start, info.file_size))


class _Window(io.RawIOBase):
    """``size`` bytes of ``handle`` from ``start``, read as a file of their own."""

    def __init__(self, handle: IO[bytes], start: int, size: int) -> None:
        super().__init__()
        self._handle, self._start, self._size, self._at = handle, start, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._at

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._at, io.SEEK_END: self._size}[whence]
        self._at = max(0, base + offset)
        return self._at

    def readinto(self, buffer: Any) -> int:
        count = max(0, min(len(buffer), self._size - self._at))
        self._handle.seek(self._start + self._at)
        data = self._handle.read(count)
        buffer[: len(data)] = data
        self._at += len(data)
        return len(data)


def _check_config(path: Path, config: dict[str, Any], weights: str, stored: int) -> None:
    """Build ``config`` weightless, and refuse weights that ``stored`` bytes cannot hold."""
    from kerasguide._keras import fresh_names, keras, weightless

    saving = keras().saving
    from keras.src.saving.serialization_lib import ObjectSharingScope

    config = {**_stateless(config), "compile_config": None}  # as load_model(compile=False)
    with fresh_names(), weightless(), ObjectSharingScope():
        model = saving.deserialize_keras_object(config, safe_mode=True)
        variables = list(getattr(model, "variables", []))
        sizes = _layer_sizes(model, variables)
        states = _state_sizes(model)
    declared = sum(size for _, _, _, size in sizes)
    if declared > stored + _SLACK:
        largest = max(variables, key=lambda v: weight_bytes(tuple(v.shape), str(v.dtype))[1])
        raise _declared_error(
            path,
            "config.json",
            f"{declared:,} bytes of weights declared by config.json ({human_bytes(declared)}); "
            f"the largest, {largest.path!r}, of shape {tuple(largest.shape)}",
            f"weights that fit in the {stored:,} bytes of {weights}",
        )
    try:
        check_params(sizes + states, str(getattr(model, "name", path.name)))
    except LimitError as err:
        raise LimitError(
            err.problem,
            where=f"{path}, {err.where}",
            expected=err.expected,
            received=err.received,
            hint=err.hint,
        ) from None


def _stateless(value: Any) -> Any:
    """``value`` with every ``stateful: true`` made false: a stateful RNN makes its state
    (zeros, not a deferred weight) while it builds, which a weightless build refuses.
    Its state is counted from the layer's batch size instead (:func:`_state_sizes`)."""
    if isinstance(value, dict):
        return {k: False if k == "stateful" else _stateless(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_stateless(v) for v in value]
    return value


def _layer_sizes(model: Any, variables: list[Any]) -> list[tuple[str, str, int, int]]:
    """(layer, class, parameters, bytes) of every layer that owns weights."""
    kinds = {_layer_path(layer): type(layer).__name__ for layer in _layers(model)}
    sizes: dict[str, tuple[int, int]] = {}
    for variable in variables:
        owner = str(variable.path).rpartition("/")[0] or str(variable.path)
        count, size = weight_bytes(tuple(variable.shape), str(variable.dtype))
        before = sizes.get(owner, (0, 0))
        sizes[owner] = (before[0] + count, before[1] + size)
    return [(name, kinds.get(name, "weights"), c, b) for name, (c, b) in sizes.items()]


def _layer_path(layer: Any) -> str:
    """The layer's path, as its weights' paths begin (Keras before 3.4 has only its name)."""
    return str(getattr(layer, "path", None) or layer.name)


def _state_sizes(model: Any) -> list[tuple[str, str, int, int]]:
    """The state a stateful RNN makes as it builds (its batch × its state size): memory,
    not a weight, so not in the weights file. Counted for every RNN of fixed batch size."""
    from kerasguide._keras import keras

    found = []
    for layer in _layers(model):
        shapes = getattr(layer, "_build_shapes_dict", None) or {}
        shape = next(iter(shapes.values()), None)
        if isinstance(layer, keras().layers.RNN) and shape and shape[0] is not None:
            state = layer.cell.state_size
            parts = state if isinstance(state, (list, tuple)) else [state]
            units = sum(math.prod(int(d or 0) for d in _dims(part)) for part in parts)
            size = weight_bytes((int(shape[0]), units), str(layer.variable_dtype))[1]
            found.append((_layer_path(layer), type(layer).__name__, 0, size))
    return found


def _dims(part: Any) -> list[Any]:
    return list(part) if hasattr(part, "__iter__") else [part]


def _layers(model: Any) -> list[Any]:
    """Every layer inside ``model``, nested ones included (Keras's own walk)."""
    flatten = getattr(model, "_flatten_layers", None)
    return list(flatten(include_self=False)) if callable(flatten) else []


def _declared_error(path: Path, member: str, received: str, expected: str) -> FileError:
    return FileError(
        f"the saved model declares more than its file holds ({member})",
        where=str(path),
        expected=expected,
        received=received,
        hint="a file saved by model.save(...) holds every weight it declares; this one was "
        "made to exhaust memory, or is damaged: save the model again with "
        "model.save('model.keras')",
    )


def _siblings(path: Path, suffix: str) -> list[str]:
    folder = path.parent
    return [p.name for p in folder.glob(f"*{suffix}")] if folder.is_dir() else []
