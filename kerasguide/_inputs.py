"""What a command or a grader reads: spec files, saved ``.keras`` models and example names.

A saved model is always loaded with Keras's ``safe_mode``: code stored in a file
never runs.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from kerasguide._suggest import did_you_mean
from kerasguide._types import KerasModel
from kerasguide.errors import FileError, first_line
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
        model: KerasModel = keras().saving.load_model(path, compile=False, safe_mode=True)
        return model
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


def _siblings(path: Path, suffix: str) -> list[str]:
    folder = path.parent
    return [p.name for p in folder.glob(f"*{suffix}")] if folder.is_dir() else []
